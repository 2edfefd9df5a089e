// The CJK codecs, each as CPython's _codecs_cn/_tw/_kr/_jp/_iso2022 modules behave under
// multibytecodec.c's incremental decoder and encoder: table lookups (cjk/tables.hpp) for the
// stateless codecs, a state machine for iso2022_jp.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "io/codec/cjk/tables.hpp"
#include "io/codec/families.hpp"
#include "io/codec/incremental.hpp"
#include "io/codec/utf8.hpp"

namespace pysock::io::detail {

namespace {

using cjk::codec_tables;

constexpr const char* illegal = "illegal multibyte sequence";
constexpr const char* incomplete = "incomplete multibyte sequence";

// How a codec's decoding routine stopped.
struct decode_stop {
  enum kind_t { end, too_few, error } kind;
  std::size_t pos;
  std::size_t error_length = 0;
};

// UTF-8 of a BMP code point, written through a raw pointer (the decoders size `out` for the
// worst case, three bytes per input byte, and trim it after).
inline char* put_code_point(char* p, char32_t c) {
  if (c < 0x80) {
    *p++ = static_cast<char>(c);
  } else if (c < 0x800) {
    *p++ = static_cast<char>(0xC0 | (c >> 6));
    *p++ = static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *p++ = static_cast<char>(0xE0 | (c >> 12));
    *p++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    *p++ = static_cast<char>(0x80 | (c & 0x3F));
  } else {
    *p++ = static_cast<char>(0xF0 | (c >> 18));
    *p++ = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    *p++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    *p++ = static_cast<char>(0x80 | (c & 0x3F));
  }
  return p;
}

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

// CPython's MultibyteIncrementalDecoder: the codec decodes the held-back bytes and the input,
// the error handler deals with each illegal sequence, and a sequence still cut short at `final`
// is one "incomplete multibyte sequence" error over all the remaining bytes, after which decoding
// stops: whatever follows where the handler resumes stays held back (TextIOWrapper never shows
// it). An error while decoding loses the held-back bytes (CPython takes them out first); only the
// error at `final` leaves them where they were.
class multibyte_decoder : public buffered_decoder {
 public:
  multibyte_decoder(const codec_entry& codec, std::string_view errors)
      : buffered_decoder(codec, errors), traits_{codec.module} {}

 protected:
  virtual decode_stop decode_run(std::string_view data, std::size_t pos, std::string& out) = 0;

 private:
  std::size_t decode_buffer(std::string_view data, std::string& out, bool final) override {
    std::size_t pos = 0;
    try {
      for (;;) {
        const decode_stop stop = decode_run(data, pos, out);
        pos = stop.pos;
        if (stop.kind != decode_stop::error) break;
        pos = policy().recover(traits_, data, {pos, pos + stop.error_length, illegal}, out);
      }
    } catch (...) {
      forget_pending();
      throw;
    }
    if (final && pos < data.size()) {
      pos = policy().recover(traits_, data, {pos, data.size(), incomplete}, out);
    }
    // CPython holds back at most 8 bytes (MAXDECPENDING); more (an unfinished iso2022 escape
    // sequence) is an error over the whole input that no handler sees, and loses them.
    if (data.size() - pos > max_held_back) {
      forget_pending();
      raise_decode_error(traits_, data, {0, data.size(), "pending buffer overflow"});
    }
    return pos;
  }

  static constexpr std::size_t max_held_back = 8;

  codec_traits traits_;
};

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

// CPython's MultibyteIncrementalEncoder: each character the codec cannot encode is one error.
class multibyte_encoder : public encoder_base {
 public:
  multibyte_encoder(const codec_entry& codec, std::string_view errors)
      : encoder_base(codec, errors, codec_traits{codec.module}, {}) {}

 protected:
  // Encodes text, calling encode_one(code point, out) for each character, which returns false
  // when the codec cannot encode it.
  template <class Encoder>
  void encode_each(std::string_view text, std::string& out, const codec_traits& traits,
                   Encoder&& encode_one) {
    out.reserve(out.size() + text.size());
    for (std::size_t pos = 0; pos < text.size();) {
      const character c = character_at(text, pos);
      if (c.length == 0) raise_invalid_text(text, pos);
      if (!is_surrogate(c.code_point) && encode_one(c.code_point, out)) {
        pos += c.length;
      } else {
        pos = recover(traits, text, {pos, pos + c.length, illegal}, out);
      }
    }
  }
};

class stateless_encoder final : public multibyte_encoder {
 public:
  stateless_encoder(const codec_entry& codec, std::string_view errors, const codec_tables& tables)
      : multibyte_encoder(codec, errors), tables_(tables) {}

 private:
  void encode_text(std::string_view text, std::string& out, bool,
                   const codec_traits& traits) override {
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

// iso2022_jp (CPython's _codecs_iso2022.c with ISO-2022-JP's designations: JIS X 0208-1983 and
// -1978, JIS X 0201 Roman, ASCII; no shifts). JIS X 0208 is euc_jp's two-byte table with the high
// bits cleared (the generator checks that CPython agrees).
namespace iso2022 {

constexpr unsigned char esc = 0x1B;
// CPython's charset marks, kept as its decoder state holds them (getstate() shows them).
constexpr unsigned char ascii = 'B', jis_roman = 'J', dbcs = 0x80, jisx0208 = 'B' | dbcs,
                        jisx0208_1978 = '@' | dbcs;
constexpr unsigned char escape_throughout = 0x02;  // a non-ISO-2022 escape is being passed on

constexpr bool ends_escape(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || c == '@';
}
constexpr bool starts_escape(unsigned char c) {
  return c == '(' || c == ')' || c == '$' || c == '.' || c == '&';
}

// JIS X 0201 Roman: ASCII with YEN SIGN for 0x5C and OVERLINE for 0x7E.
constexpr char32_t jis_roman_character(unsigned char c) {
  return c == 0x5C ? 0xA5 : c == 0x7E ? 0x203E : c;
}

}  // namespace iso2022

class iso2022_jp_decoder final : public multibyte_decoder {
 public:
  iso2022_jp_decoder(const codec_entry& codec, std::string_view errors, const codec_tables& euc_jp)
      : multibyte_decoder(codec, errors), euc_jp_(euc_jp) {}

 private:
  // CPython's state bytes c[0] (G0), c[1] (G1), c[2] (G2) and c[4] (flags), little-endian.
  std::uint64_t codec_flags() const override {
    return g0_ | std::uint64_t{g1_} << 8 | std::uint64_t{iso2022::ascii} << 16 |
           std::uint64_t{flags_} << 32;
  }
  void set_codec_flags(std::uint64_t state) override {
    g0_ = static_cast<unsigned char>(state);
    g1_ = static_cast<unsigned char>(state >> 8);
    flags_ = static_cast<unsigned char>(state >> 32);
  }
  void reset_codec() override {
    g0_ = iso2022::ascii;
    flags_ = 0;
  }

  decode_stop decode_run(std::string_view data, std::size_t pos, std::string& out) override {
    while (pos < data.size()) {
      const unsigned char c = byte_at(data, pos);
      if ((flags_ & iso2022::escape_throughout) != 0) {
        append_code_point(out, c);  // as ISO-8859-1, up to the escape's final byte
        if (iso2022::ends_escape(c)) flags_ &= ~iso2022::escape_throughout;
        ++pos;
        continue;
      }
      if (c == iso2022::esc) {
        if (data.size() - pos < 2) return {decode_stop::too_few, pos};
        if (!iso2022::starts_escape(byte_at(data, pos + 1))) {
          out += static_cast<char>(c);
          flags_ |= iso2022::escape_throughout;
          ++pos;
          continue;
        }
        const decode_stop stop = designate(data, pos);
        if (stop.kind != decode_stop::end) return stop;
        pos = stop.pos;
        continue;
      }
      if (c < 0x20 || g0_ == iso2022::ascii) {
        if (c >= 0x80) return {decode_stop::error, pos, 1};
        out += static_cast<char>(c);
        ++pos;
        continue;
      }
      if (c >= 0x80) return {decode_stop::error, pos, 1};
      if (g0_ == iso2022::jis_roman) {
        append_code_point(out, iso2022::jis_roman_character(c));
        ++pos;
        continue;
      }
      if (data.size() - pos < 2) return {decode_stop::too_few, pos};
      const unsigned char trail = byte_at(data, pos + 1);
      const char16_t decoded =
          trail < 0x80 ? euc_jp_.pair(c | 0x80, trail | 0x80) : cjk::no_character;
      if (decoded == cjk::no_character) return {decode_stop::error, pos, 2};
      append_code_point(out, decoded);
      pos += 2;
    }
    return {decode_stop::end, pos};
  }

  // An escape sequence at data[pos] (ESC and one of ( ) $ . &): a designation this codec knows
  // moves past it (stop kind end, at its end); anything else is an error over the sequence.
  decode_stop designate(std::string_view data, std::size_t pos) {
    std::size_t length = 0;
    for (std::size_t i = 1; i < 16; ++i) {
      if (pos + i >= data.size()) return {decode_stop::too_few, pos};
      if (iso2022::ends_escape(byte_at(data, pos + i))) {
        length = i + 1;
        break;
      }
      // ESC & @ ESC $ B: JIS X 0208-1990, read as -1983.
      if (pos + i + 1 < data.size() && byte_at(data, pos + i) == '&' &&
          byte_at(data, pos + i + 1) == '@') {
        i += 2;
      }
    }
    if (length == 0) return {decode_stop::error, pos, 1};  // unterminated
    const auto at = [&](std::size_t i) { return byte_at(data, pos + i); };
    unsigned char charset = 0;
    bool g1 = false;
    if (length == 3 && at(1) == '$') {
      charset = at(2) | iso2022::dbcs;
    } else if (length == 3 && (at(1) == '(' || at(1) == ')')) {
      charset = at(2);
      g1 = at(1) == ')';
    } else if (length == 4 && at(1) == '$' && (at(2) == '(' || at(2) == ')')) {
      charset = at(3) | iso2022::dbcs;
      g1 = at(2) == ')';
    } else if (length == 6 && at(3) == iso2022::esc && at(4) == '$' && at(5) == 'B') {
      charset = iso2022::jisx0208;
    } else {
      return {decode_stop::error, pos, length};
    }
    const bool known = charset == iso2022::ascii || charset == iso2022::jis_roman ||
                       charset == iso2022::jisx0208 || charset == iso2022::jisx0208_1978;
    if (!known) return {decode_stop::error, pos, length};
    (g1 ? g1_ : g0_) = charset;
    return {decode_stop::end, pos + length};
  }

  const codec_tables& euc_jp_;
  unsigned char g0_ = iso2022::ascii, g1_ = iso2022::ascii, flags_ = 0;
};

class iso2022_jp_encoder final : public multibyte_encoder {
 public:
  iso2022_jp_encoder(const codec_entry& codec, std::string_view errors, const codec_tables& euc_jp)
      : multibyte_encoder(codec, errors), euc_jp_(euc_jp) {}

 private:
  void encode_text(std::string_view text, std::string& out, bool final,
                   const codec_traits& traits) override {
    encode_each(text, out, traits, [this](char32_t c, std::string& o) { return encode_one(c, o); });
    if (final) designate(iso2022::ascii, out);
  }

  bool encode_ascii(std::string_view ascii, std::string& out) override {
    for (const char c : ascii)
      encode_one(static_cast<unsigned char>(c), out);
    return true;
  }

  void reset_codec() override { g0_ = iso2022::ascii; }

  bool encode_one(char32_t c, std::string& out) {
    if (c < 0x80) {
      designate(iso2022::ascii, out);
      out += static_cast<char>(c);
      return true;
    }
    const std::uint16_t code = euc_jp_.encode(c);
    if (code >= 0xA1A1 && (code & 0xFF) >= 0xA1) {
      designate(iso2022::jisx0208, out);
      out += static_cast<char>((code >> 8) & 0x7F);
      out += static_cast<char>(code & 0x7F);
      return true;
    }
    if (c == 0xA5 || c == 0x203E) {
      designate(iso2022::jis_roman, out);
      out += c == 0xA5 ? '\x5C' : '\x7E';
      return true;
    }
    return false;
  }

  void designate(unsigned char charset, std::string& out) {
    if (g0_ == charset) return;
    out += static_cast<char>(iso2022::esc);
    out += (charset & iso2022::dbcs) != 0 ? '$' : '(';
    out += static_cast<char>(charset & ~iso2022::dbcs);
    g0_ = charset;
  }

  const codec_tables& euc_jp_;
  unsigned char g0_ = iso2022::ascii;
};

const codec_tables& tables_of(std::string_view module) {
  return *cjk::tables_for(module == "iso2022_jp" ? "euc_jp" : module);
}

}  // namespace

std::unique_ptr<incremental_decoder> make_cjk_decoder(const codec_entry& codec,
                                                      std::string_view errors) {
  const codec_tables& tables = tables_of(codec.module);
  if (codec.module == "iso2022_jp") {
    return std::make_unique<iso2022_jp_decoder>(codec, errors, tables);
  }
  return std::make_unique<stateless_decoder>(codec, errors, tables);
}

std::unique_ptr<incremental_encoder> make_cjk_encoder(const codec_entry& codec,
                                                      std::string_view errors) {
  const codec_tables& tables = tables_of(codec.module);
  if (codec.module == "iso2022_jp") {
    return std::make_unique<iso2022_jp_encoder>(codec, errors, tables);
  }
  return std::make_unique<stateless_encoder>(codec, errors, tables);
}

}  // namespace pysock::io::detail
