// Generalized UTF-8 (lone surrogates as their own 3-byte forms, see pysock/io/codec.hpp): the
// character helpers every hand-written codec, the error handlers and the text layer share, with
// the word-at-a-time ASCII scan behind the codecs' fast paths. Inline: the text layer counts the
// code points of every line with them. Internal.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "pysock/error.hpp"

namespace pysock::io::detail {

inline unsigned char byte_at(std::string_view data, std::size_t pos) {
  return static_cast<unsigned char>(data[pos]);
}

constexpr bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}
constexpr bool is_surrogate(char32_t c) {
  return c >= 0xD800 && c <= 0xDFFF;
}

struct byte_range {
  unsigned char low, high;
};

// The bytes Unicode's table 3-7 allows after `lead`: E0 and F0 exclude overlong forms, F4 code
// points above U+10FFFF, ED the surrogates (which generalized UTF-8 allows).
constexpr byte_range second_byte_range(unsigned char lead, bool allow_surrogates) {
  switch (lead) {
    case 0xE0:
      return {0xA0, 0xBF};
    case 0xED:
      return {0x80, static_cast<unsigned char>(allow_surrogates ? 0xBF : 0x9F)};
    case 0xF0:
      return {0x90, 0xBF};
    case 0xF4:
      return {0x80, 0x8F};
    default:
      return {0x80, 0xBF};
  }
}

constexpr std::size_t sequence_length_for_lead(unsigned char lead) {
  return lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// The length of the complete, valid character at data[pos], or 0 when there is none.
inline std::size_t character_length(std::string_view data, std::size_t pos, bool allow_surrogates) {
  const unsigned char lead = byte_at(data, pos);
  if (lead < 0x80) return 1;
  if (lead < 0xC2 || lead > 0xF4) return 0;
  const std::size_t length = sequence_length_for_lead(lead);
  if (data.size() - pos < length) return 0;
  const byte_range second = second_byte_range(lead, allow_surrogates);
  const unsigned char next = byte_at(data, pos + 1);
  if (next < second.low || next > second.high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!is_continuation(byte_at(data, pos + i))) return 0;
  }
  return length;
}

struct character {
  char32_t code_point = 0;
  std::size_t length = 0;  // 0: not a character
};

// The character of generalized UTF-8 (lone surrogates allowed) at text[pos].
inline character character_at(std::string_view text, std::size_t pos) {
  const std::size_t length = character_length(text, pos, true);
  if (length == 0) return {};
  const unsigned char lead = byte_at(text, pos);
  char32_t value = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i)
    value = (value << 6) | (byte_at(text, pos + i) & 0x3F);
  return {value, length};
}

// Writes `c` as generalized UTF-8 at `to` (a surrogate becomes its own 3-byte form); returns the
// end. Up to 4 bytes.
inline char* put_code_point(char* to, char32_t c) {
  const auto put = [&](char32_t value) { *to++ = static_cast<char>(value); };
  if (c < 0x80) {
    put(c);
  } else if (c < 0x800) {
    put(0xC0 | (c >> 6));
    put(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    put(0xE0 | (c >> 12));
    put(0x80 | ((c >> 6) & 0x3F));
    put(0x80 | (c & 0x3F));
  } else {
    put(0xF0 | (c >> 18));
    put(0x80 | ((c >> 12) & 0x3F));
    put(0x80 | ((c >> 6) & 0x3F));
    put(0x80 | (c & 0x3F));
  }
  return to;
}

// Appends `c` as generalized UTF-8.
inline void append_code_point(std::string& out, char32_t c) {
  char bytes[4];
  out.append(bytes, static_cast<std::size_t>(put_code_point(bytes, c) - bytes));
}

inline std::size_t count_code_points(std::string_view text) noexcept {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation(c); }));
}

// The byte offset just after the first `n` code points of `text` (all of it if shorter).
inline std::size_t skip_code_points(std::string_view text, std::size_t n) noexcept {
  std::size_t i = 0;
  for (std::size_t seen = 0; i < text.size(); ++i) {
    if (!is_continuation(static_cast<unsigned char>(text[i])) && seen++ == n) break;
  }
  return i;
}

// value_error for text that is not generalized UTF-8, naming the byte.
[[noreturn]] inline void raise_invalid_text(std::string_view text, std::size_t pos) {
  char detail[64];
  std::snprintf(detail, sizeof detail, " (byte 0x%02x at offset %zu)", byte_at(text, pos), pos);
  throw value_error(std::string("text to encode is not valid UTF-8") + detail);
}

// The character at text[pos], or value_error when the text is not generalized UTF-8 there.
inline character checked_character(std::string_view text, std::size_t pos) {
  const character c = character_at(text, pos);
  if (c.length == 0) raise_invalid_text(text, pos);
  return c;
}

inline constexpr std::uint64_t high_bits = 0x8080808080808080u;

inline std::uint64_t load_word(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// The offset in a word of the first byte (in memory order) whose bit is set in `high`.
inline std::size_t first_marked_byte(std::uint64_t high) {
  if constexpr (std::endian::native == std::endian::little) {
    return static_cast<std::size_t>(std::countr_zero(high)) / 8;
  } else {
    return static_cast<std::size_t>(std::countl_zero(high)) / 8;
  }
}

// Where the run of ASCII bytes starting at data[pos] ends: 32 and then 8 bytes at a time, since
// most text on the wire is ASCII (32 rather than 16: the text reader validates every chunk, at
// 46 instructions per 80-byte line with 16, 28 with 32, by callgrind).
inline std::size_t ascii_end(std::string_view data, std::size_t pos) {
  const char* p = data.data();
  const std::size_t size = data.size();
  while (size - pos >= 32) {
    const std::uint64_t any = load_word(p + pos) | load_word(p + pos + 8) |
                              load_word(p + pos + 16) | load_word(p + pos + 24);
    if ((any & high_bits) != 0) break;
    pos += 32;
  }
  while (size - pos >= 8) {
    const std::uint64_t high = load_word(p + pos) & high_bits;
    if (high != 0) return pos + first_marked_byte(high);
    pos += 8;
  }
  while (pos < size && byte_at(data, pos) < 0x80)
    ++pos;
  return pos;
}

// Where the valid (strict) UTF-8 starting at data[pos] ends.
inline std::size_t valid_utf8_end(std::string_view data, std::size_t pos) {
  while (pos < data.size()) {
    if (byte_at(data, pos) < 0x80) {
      pos = ascii_end(data, pos);
      continue;
    }
    const std::size_t length = character_length(data, pos, false);
    if (length == 0) break;
    pos += length;
  }
  return pos;
}

}  // namespace pysock::io::detail
