// The codec table: every name Python's `encodings` package knows, what pysock does with it, and
// CPython's name lookup (normalisation, aliases). Internal.
#pragma once

#include <cstdint>
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

// The codec for a text encoding, or the exception TextIOWrapper raises for that name.
const codec_entry& text_codec(std::string_view encoding);

}  // namespace pysock::io::detail
