// Python's error handlers (strict, ignore, replace, backslashreplace, surrogateescape,
// surrogatepass, xmlcharrefreplace, namereplace): one routine for decoding and one for encoding,
// shared by every codec as CPython's built-in handlers are. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "io/codec/utf8.hpp"

namespace pysock::io::detail {

enum class handler_kind : std::uint8_t {
  strict,
  ignore,
  replace,
  backslashreplace,
  surrogateescape,
  surrogatepass,
  xmlcharrefreplace,
  namereplace,
  unknown,
};

// The handler of that name; unknown when Python has no such built-in handler.
handler_kind parse_handler(std::string_view name);

// PyCodec_LookupError's failure for `name`.
[[noreturn]] void raise_unknown_handler(std::string_view name);

// How the surrogatepass handler writes a lone surrogate for a codec (CPython decides by the
// codec's name, get_standard_encoding).
enum class surrogate_form : std::uint8_t { none, utf8, utf16_le, utf16_be, utf32_le, utf32_be };

inline std::size_t unit_size(surrogate_form form) {
  switch (form) {
    case surrogate_form::utf16_le:
    case surrogate_form::utf16_be:
      return 2;
    case surrogate_form::utf32_le:
    case surrogate_form::utf32_be:
      return 4;
    default:
      return 1;
  }
}

inline bool is_big_endian(surrogate_form form) {
  return form == surrogate_form::utf16_be || form == surrogate_form::utf32_be;
}

// The code unit of a UTF-16 or UTF-32 form at data[pos] (which must hold a whole unit).
inline char32_t read_unit(surrogate_form form, std::string_view data, std::size_t pos) {
  const std::size_t size = unit_size(form);
  char32_t value = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t significance = is_big_endian(form) ? size - 1 - i : i;
    value |= static_cast<char32_t>(byte_at(data, pos + i)) << (8 * significance);
  }
  return value;
}

inline void append_unit(surrogate_form form, char32_t value, std::string& out) {
  const std::size_t size = unit_size(form);
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t significance = is_big_endian(form) ? size - 1 - i : i;
    out += static_cast<char>((value >> (8 * significance)) & 0xFF);
  }
}

// What the error handlers need to know about the codec that hit an error.
struct codec_traits {
  std::string_view error_name;  // the codec name the exceptions print
  surrogate_form surrogates = surrogate_form::none;
  // CPython's hand-written ASCII, Latin-1 and UTF-8 encoders apply surrogateescape character by
  // character (writing the escapable prefix of a run before failing); every other codec passes
  // the whole run to the generic handler, which escapes all of it or nothing.
  bool escapes_prefix = false;
};

// A decoding error: object[start, end) cannot be decoded, for `reason`.
struct decode_error {
  std::size_t start, end;
  const char* reason;
};

// An encoding error: text[start, end) (byte offsets, on character boundaries) cannot be encoded.
struct encode_error {
  std::size_t start, end;
  const char* reason;
};

// The UnicodeDecodeError / UnicodeEncodeError a strict handler raises.
[[noreturn]] void raise_decode_error(const codec_traits& codec, std::string_view object,
                                     const decode_error& error);
[[noreturn]] void raise_encode_error(const codec_traits& codec, std::string_view text,
                                     const encode_error& error);

// What an encoding error handler substitutes, and where encoding resumes (a byte offset).
struct replacement {
  std::string value;
  bool is_bytes = false;  // bytes go out as they are; text is ASCII the codec still encodes
  std::size_t resume = 0;
};

// A codec's error handler, resolved from its name. One instance of each routine below serves
// every codec, as CPython's built-in handlers do.
class error_policy {
 public:
  explicit error_policy(std::string_view name) : name_(name), kind_(parse_handler(name)) {}

  // Applies the handler to a decoding error in `object`, appending the replacement text to
  // `out`; returns the offset where decoding resumes. Throws what the handler raises.
  std::size_t recover(const codec_traits& codec, std::string_view object, const decode_error& error,
                      std::string& out) const;

  // The handler's replacement for text[error.start, error.end). Throws what the handler raises.
  replacement replace(const codec_traits& codec, std::string_view text,
                      const encode_error& error) const;

 private:
  std::string name_;
  handler_kind kind_;
};

}  // namespace pysock::io::detail
