// The codec families, each in a file of its own: the hand-written codecs (hand_written.cpp), the
// single-byte table codecs (charmap.cpp), the CJK codecs (cjk/) and UTF-16 / UTF-32
// (utf16_32.cpp). The registry picks the family by the codec's kind. Internal.
#pragma once

#include <memory>
#include <string_view>

#include "io/codec/registry.hpp"
#include "pysock/io/codec.hpp"

namespace pysock::io::detail {

// utf-8, utf-8-sig, ascii and latin-1: written by hand because a line reader decodes every line
// with them.
constexpr bool is_hand_written(codec_kind kind) {
  return kind == codec_kind::utf8 || kind == codec_kind::utf8_sig || kind == codec_kind::ascii ||
         kind == codec_kind::latin1;
}
std::unique_ptr<incremental_decoder> make_hand_written_decoder(const codec_entry& codec,
                                                               std::string_view errors);
std::unique_ptr<incremental_encoder> make_hand_written_encoder(const codec_entry& codec,
                                                               std::string_view errors);

// The single-byte codecs (codec_kind::charmap), from CPython's tables.
std::unique_ptr<incremental_decoder> make_charmap_decoder(const codec_entry& codec,
                                                          std::string_view errors);
std::unique_ptr<incremental_encoder> make_charmap_encoder(const codec_entry& codec,
                                                          std::string_view errors);

// CPython's CJK codecs, from tables generated from CPython (cjk/tables.hpp).
std::unique_ptr<incremental_decoder> make_cjk_decoder(const codec_entry& codec,
                                                      std::string_view errors);
std::unique_ptr<incremental_encoder> make_cjk_encoder(const codec_entry& codec,
                                                      std::string_view errors);

// UTF-16 and UTF-32, with and without a BOM (codec_kind::utf16 ... utf32_be).
std::unique_ptr<incremental_decoder> make_utf16_32_decoder(const codec_entry& codec,
                                                           std::string_view errors);
std::unique_ptr<incremental_encoder> make_utf16_32_encoder(const codec_entry& codec,
                                                           std::string_view errors);

}  // namespace pysock::io::detail
