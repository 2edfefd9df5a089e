// The CJK codecs, each as CPython's _codecs_cn/_tw/_kr/_jp/_iso2022 modules behave under
// multibytecodec.c's incremental decoder and encoder (cjk/multibyte.hpp): table lookups
// (cjk/tables.hpp) for the stateless codecs, a state machine for hz; the iso2022 family is in
// cjk/iso2022.cpp.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "io/codec/cjk/multibyte.hpp"
#include "io/codec/cjk/tables.hpp"
#include "io/codec/families.hpp"
#include "io/codec/incremental.hpp"
#include "io/codec/utf8.hpp"

namespace pysock::io::detail {

namespace {

using cjk::codec_tables;
using cjk::decode_stop;
using cjk::multibyte_decoder;
using cjk::multibyte_encoder;

// A long form at data[pos]: a character and its length, or an error of one byte (CPython's
// decoders resynchronise after the first byte of an illegal sequence), or too few bytes.
struct long_result {
  char32_t c = 0;
  std::size_t length = 0;  // 0: an error (or too few bytes)
  bool too_few = false;
};

// gb18030's four-byte forms (any lead byte, a digit second): the BMP ranges, then the
// supplementary planes from 90 30 81 30 on, computed as _codecs_cn.c does.
long_result gb18030_four_byte(const codec_tables& tables, std::string_view data, std::size_t pos) {
  if (data.size() - pos < 4) return {.too_few = true};
  const std::uint32_t c1 = byte_at(data, pos), c2 = byte_at(data, pos + 1) - 0x30u,
                      c3 = byte_at(data, pos + 2), c4 = byte_at(data, pos + 3);
  if (c1 < 0x81 || c3 < 0x81 || c3 > 0xFE || c4 < 0x30 || c4 > 0x39) return {};
  const std::uint32_t index = c2 * 1260 + (c3 - 0x81) * 10 + (c4 - 0x30);
  if (c1 - 0x81 < 4) {
    const std::uint32_t linear = (c1 - 0x81) * 12600 + index;
    if (linear >= 39420) return {};
    const std::span<const std::uint16_t> ranges = tables.data().four_byte;
    const std::size_t count = ranges.size() / 2;
    std::size_t low = 0, high = count;  // the last range starting at or before `linear`
    while (high - low > 1) {
      const std::size_t middle = (low + high) / 2;
      (ranges[2 * middle] <= linear ? low : high) = middle;
    }
    return {ranges[2 * low + 1] + (linear - ranges[2 * low]), 4};
  }
  if (c1 - 0x81 >= 15) {
    const std::uint32_t c = 0x10000 + (c1 - 0x81 - 15) * 12600 + index;
    if (c <= 0x10FFFF) return {c, 4};
  }
  return {};
}

// The four-byte form of a code point gb18030 has no two-byte form for.
bool encode_gb18030_four_byte(const codec_tables& tables, char32_t c, std::string& out) {
  std::uint32_t linear = 0, first = 0x81;
  if (c >= 0x10000) {
    linear = c - 0x10000;
    first = 0x90;
  } else {
    const std::span<const std::uint16_t> ranges = tables.data().four_byte;
    const std::size_t count = ranges.size() / 2;
    std::size_t low = 0, high = count;  // the last range whose code points start at or before c
    while (high - low > 1) {
      const std::size_t middle = (low + high) / 2;
      (ranges[2 * middle + 1] <= c ? low : high) = middle;
    }
    const std::uint32_t end = low + 1 < count ? ranges[2 * low + 2] : 39420;
    linear = ranges[2 * low] + (c - ranges[2 * low + 1]);
    if (c < ranges[2 * low + 1] || linear >= end) return false;
  }
  const char bytes[4] = {
      static_cast<char>(linear / 12600 + first), static_cast<char>(linear / 1260 % 10 + 0x30),
      static_cast<char>(linear / 10 % 126 + 0x81), static_cast<char>(linear % 10 + 0x30)};
  out.append(bytes, 4);
  return true;
}

int index_of(std::span<const std::uint8_t> table, unsigned char byte) {
  const auto found = std::find(table.begin(), table.end(), byte);
  return found == table.end() ? -1 : static_cast<int>(found - table.begin());
}

// euc_kr's eight-byte hangul: A4 D4, then A4 and the jamo byte of the initial, the medial and
// the final (the filler D4 for none).
long_result euc_kr_hangul(const codec_tables& tables, std::string_view data, std::size_t pos) {
  if (data.size() - pos < 8) return {.too_few = true};
  for (std::size_t i = 2; i < 8; i += 2) {
    if (byte_at(data, pos + i) != 0xA4) return {};
  }
  const cjk::codec_data& d = tables.data();
  const int initial = index_of(d.choseong, byte_at(data, pos + 3));
  const int medial = index_of(d.jungseong, byte_at(data, pos + 5));
  const int final = index_of(d.jongseong, byte_at(data, pos + 7));
  if (initial < 0 || medial < 0 || final < 0) return {};
  return {static_cast<char32_t>(0xAC00 + initial * 588 + medial * 28 + final), 8};
}

bool encode_euc_kr_hangul(const codec_tables& tables, char32_t c, std::string& out) {
  if (c < 0xAC00 || c > 0xD7A3) return false;
  const cjk::codec_data& d = tables.data();
  const std::size_t s = c - 0xAC00;
  const char bytes[8] = {'\xA4', '\xD4',
                         '\xA4', static_cast<char>(d.choseong[s / 588]),
                         '\xA4', static_cast<char>(d.jungseong[s / 28 % 21]),
                         '\xA4', static_cast<char>(d.jongseong[s % 28])};
  out.append(bytes, 8);
  return true;
}

// The long form at data[pos], where the pair data[pos], data[pos + 1] is not in the table.
long_result decode_long_form(const codec_tables& tables, std::string_view data, std::size_t pos) {
  const unsigned char lead = byte_at(data, pos), second = byte_at(data, pos + 1);
  switch (tables.data().form) {
    case cjk::long_form::euc_jp_plane2: {
      if (lead != 0x8F) return {};
      if (data.size() - pos < 3) return {.too_few = true};
      const char16_t c = tables.plane2(second, byte_at(data, pos + 2));
      if (c == cjk::no_character) return {};
      return {c, 3};
    }
    case cjk::long_form::gb18030_four_byte:
      if (second < 0x30 || second > 0x39) return {};
      return gb18030_four_byte(tables, data, pos);
    case cjk::long_form::euc_kr_hangul:
      if (lead != 0xA4 || second != 0xD4) return {};
      return euc_kr_hangul(tables, data, pos);
    case cjk::long_form::none:
      break;
  }
  return {};
}

bool encode_long_form(const codec_tables& tables, char32_t c, std::string& out) {
  switch (tables.data().form) {
    case cjk::long_form::euc_jp_plane2: {
      const std::uint16_t code = tables.encode_plane2(c);
      if (code == 0) return false;
      const char bytes[3] = {'\x8F', static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
      out.append(bytes, 3);
      return true;
    }
    case cjk::long_form::gb18030_four_byte:
      return encode_gb18030_four_byte(tables, c, out);
    case cjk::long_form::euc_kr_hangul:
      return encode_euc_kr_hangul(tables, c, out);
    case cjk::long_form::none:
      break;
  }
  return false;
}

// Decodes data[pos..] with a stateless codec until the end, an illegal sequence or a sequence
// cut short by the end.
decode_stop decode_stateless(const codec_tables& tables, std::string_view data, std::size_t pos,
                             std::string& out) {
  const std::size_t mark = out.size();
  // The worst case: three bytes of UTF-8 per input byte (a form of n bytes is one code point of
  // at most n + 1 UTF-8 bytes, and a single byte at most three); trimmed after.
  out.resize(mark + 3 * (data.size() - pos));
  char* p = out.data() + mark;
  decode_stop stop{decode_stop::end, data.size()};
  while (pos < data.size()) {
    const unsigned char lead = byte_at(data, pos);
    const char16_t single = tables.single(lead);
    if (single < cjk::illegal_byte) {
      p = put_code_point(p, single);
      ++pos;
      continue;
    }
    if (single == cjk::illegal_byte) {
      stop = {decode_stop::error, pos, 1};
      break;
    }
    if (data.size() - pos < 2) {
      stop = {decode_stop::too_few, pos};
      break;
    }
    const char16_t c = tables.pair(lead, byte_at(data, pos + 1));
    if (c != cjk::no_character) {
      p = put_code_point(p, c);
      pos += 2;
      continue;
    }
    const long_result form = decode_long_form(tables, data, pos);
    if (form.length == 0) {
      stop = {form.too_few ? decode_stop::too_few : decode_stop::error, pos, 1};
      break;
    }
    p = put_code_point(p, form.c);
    pos += form.length;
  }
  out.resize(static_cast<std::size_t>(p - out.data()));
  return stop;
}

class stateless_decoder final : public multibyte_decoder {
 public:
  stateless_decoder(const codec_entry& codec, std::string_view errors, const codec_tables& tables)
      : multibyte_decoder(codec, errors), tables_(tables) {}

 private:
  decode_stop decode_run(std::string_view data, std::size_t pos, std::string& out) override {
    return decode_stateless(tables_, data, pos, out);
  }

  const codec_tables& tables_;
};

class stateless_encoder final : public multibyte_encoder {
 public:
  stateless_encoder(const codec_entry& codec, std::string_view errors, const codec_tables& tables)
      : multibyte_encoder(codec, errors), tables_(tables) {}

 private:
  void encode_run(std::string_view text, std::string& out, const codec_traits& traits) override {
    encode_each(text, out, traits, [this](char32_t c, std::string& o) {
      if (c < 0x80) {
        o += static_cast<char>(c);
        return true;
      }
      const std::uint16_t code = tables_.encode(c);
      if (code == 0) return encode_long_form(tables_, c, o);
      if (code >= 0x100) o += static_cast<char>(code >> 8);
      o += static_cast<char>(code & 0xFF);
      return true;
    });
  }

  const codec_tables& tables_;
};

// hz (RFC 1843, CPython's _codecs_cn.c): ASCII, with "~{" switching to GB2312 in seven-bit
// bytes and "~}" back; "~~" is a tilde and "~" before a newline a line continuation (both only in
// ASCII mode). GB2312 is gb2312's table with the high bits cleared. The mode is CPython's state
// byte c[0]: 0 is ASCII, 1 GB2312; the encoder takes any other value for GB2312, the decoder
// reads GB2312 in it but accepts no escape sequence (only "~}" leads out of 1).
namespace hz {
constexpr unsigned char ascii_mode = 0, gb_mode = 1;
}

class hz_decoder final : public multibyte_decoder {
 public:
  hz_decoder(const codec_entry& codec, std::string_view errors, const codec_tables& gb2312)
      : multibyte_decoder(codec, errors), gb2312_(gb2312) {}

 private:
  void reset_codec() override { state().c[0] = hz::ascii_mode; }

  decode_stop decode_run(std::string_view data, std::size_t pos, std::string& out) override {
    while (pos < data.size()) {
      const unsigned char mode = state().c[0];
      const unsigned char c = byte_at(data, pos);
      if (c == '~') {
        if (data.size() - pos < 2) return {decode_stop::too_few, pos};
        const unsigned char next = byte_at(data, pos + 1);
        if (mode == hz::ascii_mode && next == '~') {
          out += '~';
        } else if (mode == hz::ascii_mode && next == '{') {
          state().c[0] = hz::gb_mode;
        } else if (mode == hz::gb_mode && next == '}') {
          state().c[0] = hz::ascii_mode;
        } else if (mode != hz::ascii_mode || next != '\n') {
          return {decode_stop::error, pos, 1};
        }
        pos += 2;
        continue;
      }
      if (c >= 0x80) return {decode_stop::error, pos, 1};
      if (mode == hz::ascii_mode) {
        out += static_cast<char>(c);
        ++pos;
        continue;
      }
      if (data.size() - pos < 2) return {decode_stop::too_few, pos};
      const unsigned char trail = byte_at(data, pos + 1);
      const char16_t decoded =
          trail < 0x80 ? gb2312_.pair(c | 0x80, trail | 0x80) : cjk::no_character;
      if (decoded == cjk::no_character) return {decode_stop::error, pos, 1};
      append_code_point(out, decoded);
      pos += 2;
    }
    return {decode_stop::end, pos};
  }

  const codec_tables& gb2312_;
};

class hz_encoder final : public multibyte_encoder {
 public:
  hz_encoder(const codec_entry& codec, std::string_view errors, const codec_tables& gb2312)
      : multibyte_encoder(codec, errors), gb2312_(gb2312) {}

 private:
  void encode_run(std::string_view text, std::string& out, const codec_traits& traits) override {
    encode_each(text, out, traits, [this](char32_t c, std::string& o) { return encode_one(c, o); });
  }

  bool encode_ascii(std::string_view ascii, std::string& out) override {
    for (const char c : ascii)
      encode_one(static_cast<unsigned char>(c), out);
    return true;
  }

  void flush(std::string& out) override { leave_gb_mode(out); }

  bool encode_one(char32_t c, std::string& out) {
    if (c < 0x80) {
      leave_gb_mode(out);
      out += static_cast<char>(c);
      if (c == '~') out += '~';
      return true;
    }
    const std::uint16_t code = gb2312_.encode(c);
    if (code < 0x100) return false;
    if (state().c[0] == hz::ascii_mode) {
      out += "~{";
      state().c[0] = hz::gb_mode;
    }
    out += static_cast<char>((code >> 8) & 0x7F);
    out += static_cast<char>(code & 0x7F);
    return true;
  }

  void leave_gb_mode(std::string& out) {
    if (state().c[0] == hz::ascii_mode) return;
    out += "~}";
    state().c[0] = hz::ascii_mode;
  }

  const codec_tables& gb2312_;
};

const codec_tables& gb2312_tables() {
  return *cjk::tables_for("gb2312");
}

}  // namespace

std::unique_ptr<incremental_decoder> make_cjk_decoder(const codec_entry& codec,
                                                      std::string_view errors) {
  if (codec.module.starts_with("iso2022")) return cjk::make_iso2022_decoder(codec, errors);
  if (codec.module == "hz") return std::make_unique<hz_decoder>(codec, errors, gb2312_tables());
  return std::make_unique<stateless_decoder>(codec, errors, *cjk::tables_for(codec.module));
}

std::unique_ptr<incremental_encoder> make_cjk_encoder(const codec_entry& codec,
                                                      std::string_view errors) {
  if (codec.module.starts_with("iso2022")) return cjk::make_iso2022_encoder(codec, errors);
  if (codec.module == "hz") return std::make_unique<hz_encoder>(codec, errors, gb2312_tables());
  return std::make_unique<stateless_encoder>(codec, errors, *cjk::tables_for(codec.module));
}

}  // namespace pysock::io::detail
