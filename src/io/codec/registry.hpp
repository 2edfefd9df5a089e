// The codec table: every name Python's `encodings` package knows, what pysock does with it, and
// CPython's name lookup (normalisation, aliases). Internal.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace pysock::io::detail {

enum class codec_kind : std::uint8_t {
  utf8,
  utf8_sig,
  ascii,
  latin1,
  utf16,  // BOM-detecting
  utf16_le,
  utf16_be,
  utf32,  // BOM-detecting
  utf32_le,
  utf32_be,
  charmap,      // a single-byte table codec (charmap.cpp)
  multibyte,    // a CJK codec, with tables generated from CPython's (codec/cjk/)
  not_text,     // one of Python's bytes-to-bytes codecs: never a text encoding
  unsupported,  // a Python text codec pysock does not implement
};

struct codec_entry {
  std::string_view module;  // the module in Python's `encodings` package
  std::string_view name;    // CodecInfo.name
  codec_kind kind;
};

constexpr bool is_implemented(codec_kind kind) {
  return kind != codec_kind::not_text && kind != codec_kind::unsupported;
}

// The codec for a text encoding, or the exception TextIOWrapper raises for that name.
const codec_entry& text_codec(std::string_view encoding);

// Every codec pysock implements, in the order of the codec table (by module name): the one list
// the tests, the fuzzers and the exhaustive check (which reads the table) go through.
std::span<const codec_entry> implemented_codecs();

}  // namespace pysock::io::detail
