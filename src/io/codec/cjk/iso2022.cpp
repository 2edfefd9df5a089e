// The iso2022 codecs (CPython's _codecs_iso2022.c): iso2022_jp, iso2022_jp_1, iso2022_jp_2,
// iso2022_jp_ext and iso2022_kr. Escape sequences designate character sets to G0 and G1 (and for
// iso2022_jp_2 G2, used by the single shift ESC N); iso2022_kr shifts to G1 with SO and back with
// SI. Their double-byte sets are the stateless codecs' tables with the high bits cleared: JIS X
// 0208 and 0212 from euc_jp, KS X 1001 from euc_kr, GB 2312 from gb2312 (the generator and the
// exhaustive comparison check that CPython agrees).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "io/codec/cjk/multibyte.hpp"
#include "io/codec/cjk/tables.hpp"
#include "io/codec/utf8.hpp"

namespace pysock::io::detail::cjk {

namespace {

#include "io/codec/cjk/iso2022_jp_2.inc"

constexpr unsigned char esc = 0x1B, so = 0x0E, si = 0x0F, lf = 0x0A;

// CPython's charset marks (the escape sequence's final byte, | dbcs for a double-byte set), as
// its state bytes hold them.
constexpr unsigned char dbcs = 0x80;
enum charset : unsigned char {
  ascii = 'B',
  jis_roman = 'J',
  jis_katakana = 'I',
  iso8859_1 = 'A',
  iso8859_7 = 'F',
  jisx0208 = 'B' | dbcs,
  jisx0208_1978 = '@' | dbcs,
  jisx0212 = 'D' | dbcs,
  ksx1001 = 'C' | dbcs,
  gb2312 = 'A' | dbcs,
};

struct designation {
  unsigned char mark;
  unsigned char plane;  // G0, G1 or G2
};

struct iso2022_config {
  std::span<const designation> designations;  // in the order the encoder tries them
  bool no_shift, use_g2, jisx0208_ext;
};

constexpr designation jp_designations[] = {{jisx0208, 0}, {jis_roman, 0}, {jisx0208_1978, 0}};
constexpr designation jp_1_designations[] = {
    {jisx0208, 0}, {jisx0212, 0}, {jis_roman, 0}, {jisx0208_1978, 0}};
constexpr designation jp_2_designations[] = {{jisx0208, 0},  {jisx0212, 0},  {ksx1001, 0},
                                             {gb2312, 0},    {jis_roman, 0}, {jisx0208_1978, 0},
                                             {iso8859_1, 2}, {iso8859_7, 2}};
constexpr designation jp_ext_designations[] = {
    {jisx0208, 0}, {jisx0212, 0}, {jis_roman, 0}, {jis_katakana, 0}, {jisx0208_1978, 0}};
constexpr designation kr_designations[] = {{ksx1001, 1}};

iso2022_config config_of(std::string_view module) {
  if (module == "iso2022_kr") return {kr_designations, false, false, false};
  if (module == "iso2022_jp_1") return {jp_1_designations, true, false, true};
  if (module == "iso2022_jp_2") return {jp_2_designations, true, true, true};
  if (module == "iso2022_jp_ext") return {jp_ext_designations, true, false, true};
  return {jp_designations, true, false, true};
}

constexpr bool ends_escape(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || c == '@';
}
constexpr bool starts_escape(unsigned char c) {
  return c == '(' || c == ')' || c == '$' || c == '.' || c == '&';
}
constexpr std::size_t width(unsigned char mark) {
  return (mark & dbcs) != 0 ? 2 : 1;
}

// The tables the character sets come from: JIS X 0208 and 0212 (euc_jp's), KS X 1001 (euc_kr's),
// GB 2312 (gb2312's).
struct iso2022_tables {
  const codec_tables& jis = *tables_for("euc_jp");
  const codec_tables& ksc = *tables_for("euc_kr");
  const codec_tables& gb = *tables_for("gb2312");

  // The character of `mark` at bytes (first, second); no_character when there is none.
  char16_t decode(unsigned char mark, unsigned char first, unsigned char second) const {
    switch (mark) {
      case jis_roman:
        return first == 0x5C ? 0xA5 : first == 0x7E ? 0x203E : first;
      case jis_katakana:
        return first >= 0x21 && first <= 0x5F ? static_cast<char16_t>(0xFF40 + first)
                                              : no_character;
      case iso8859_1:
      case iso8859_7:
        return no_character;  // only through G2
      default:
        break;
    }
    if (second >= 0x80) return no_character;
    const unsigned char lead = first | 0x80, trail = second | 0x80;
    switch (mark) {
      case jisx0208:
      case jisx0208_1978:
        return jis.pair(lead, trail);
      case jisx0212:
        return jis.plane2(lead, trail);
      case ksx1001:
        // euc_kr's table leaves out A4 D4, where its eight-byte hangul start.
        return lead == 0xA4 && trail == 0xD4 ? 0x3164 : ksc.pair(lead, trail);
      case gb2312:
        return gb.pair(lead, trail);
      default:
        return no_character;
    }
  }

  // The code of c in `mark` (one byte, or two as first << 8 | second); 0 when it has none.
  std::uint16_t encode(unsigned char mark, char32_t c) const {
    const auto seven_bit_pair = [](std::uint16_t code) -> std::uint16_t {
      return code >= 0xA1A1 && (code & 0xFF) >= 0xA1 ? code & 0x7F7F : 0;
    };
    switch (mark) {
      case jisx0208:
        return seven_bit_pair(jis.encode(c));
      case jisx0212:
        return jis.encode(c) == 0 ? jis.encode_plane2(c) & 0x7F7F : 0;
      case ksx1001:
        return seven_bit_pair(ksc.encode(c));
      case gb2312:
        return seven_bit_pair(gb.encode(c));
      case jis_roman:
        return c == 0xA5 ? 0x5C : c == 0x203E ? 0x7E : 0;
      case jis_katakana:
        return c >= 0xFF61 && c <= 0xFF9F ? static_cast<std::uint16_t>(c - 0xFF40) : 0;
      default:
        return 0;  // JIS X 0208-1978 is JIS X 0208, tried first; ISO-8859 only decodes
    }
  }
};

// The state bytes as CPython keeps them: G0..G3 in c[0..3] (the encoder uses G0 and G1, the
// decoder G0..G2), flags in c[4].
template <class State>  // codec_state, const or not
auto& designated(State& state, int plane) {
  return state.c[plane];
}
template <class State>
auto& flags(State& state) {
  return state.c[4];
}
constexpr unsigned char shifted = 0x01, escape_throughout = 0x02;

class iso2022_decoder final : public multibyte_decoder {
 public:
  iso2022_decoder(const codec_entry& codec, std::string_view errors)
      : multibyte_decoder(codec, errors), config_(config_of(codec.module)) {
    std::fill_n(state().c.begin(), 3, ascii);
  }

 private:
  // CPython's decoder reset: G0 back to ASCII, unshifted.
  void reset_codec() override {
    designated(state(), 0) = ascii;
    flags(state()) &= ~shifted;
  }

  decode_stop decode_run(std::string_view data, std::size_t pos, std::string& out) override {
    out.reserve(out.size() + 3 * (data.size() - pos));
    while (pos < data.size()) {
      const std::size_t ascii_end = ascii_run_end(data, pos);
      if (ascii_end > pos) {
        out.append(data.substr(pos, ascii_end - pos));
        pos = ascii_end;
        continue;
      }
      const unsigned char c = byte_at(data, pos);
      if ((flags(state()) & escape_throughout) != 0) {
        append_code_point(out, c);  // as ISO-8859-1, up to the escape's final byte
        if (ends_escape(c)) flags(state()) &= ~escape_throughout;
        ++pos;
        continue;
      }
      if (c == esc) {
        if (data.size() - pos < 2) return {decode_stop::too_few, pos};
        const unsigned char next = byte_at(data, pos + 1);
        decode_stop stop{decode_stop::end, pos};
        if (starts_escape(next)) {
          stop = designate(data, pos);
        } else if (config_.use_g2 && next == 'N') {
          stop = single_shift(data, pos, out);
        } else {
          out += static_cast<char>(c);
          flags(state()) |= escape_throughout;
          stop.pos = pos + 1;
        }
        if (stop.kind != decode_stop::end) return stop;
        pos = stop.pos;
        continue;
      }
      if ((c == si || c == so) && !config_.no_shift) {
        flags(state()) = c == so ? (flags(state()) | shifted) : (flags(state()) & ~shifted);
        ++pos;
        continue;
      }
      if (c == lf) flags(state()) &= ~shifted;
      if (c >= 0x80) return {decode_stop::error, pos, 1};
      const unsigned char set = designated(state(), (flags(state()) & shifted) != 0 ? 1 : 0);
      if (c < 0x20 || set == ascii) {
        out += static_cast<char>(c);
        ++pos;
        continue;
      }
      const std::size_t length = width(set);
      if (data.size() - pos < length) return {decode_stop::too_few, pos};
      const char16_t decoded = tables_.decode(set, c, length == 2 ? byte_at(data, pos + 1) : 0);
      if (decoded == no_character) return {decode_stop::error, pos, length};
      append_code_point(out, decoded);
      pos += length;
    }
    return {decode_stop::end, pos};
  }

  // Where the bytes from data[pos] stop being plain ASCII in ASCII mode (copied as they are).
  std::size_t ascii_run_end(std::string_view data, std::size_t pos) const {
    if (designated(state(), 0) != ascii || (flags(state()) & (shifted | escape_throughout)) != 0)
      return pos;
    for (; pos < data.size(); ++pos) {
      const unsigned char c = byte_at(data, pos);
      if (c >= 0x80 || c == esc || (!config_.no_shift && (c == so || c == si))) break;
    }
    return pos;
  }

  // An escape sequence at data[pos] (ESC and one of ( ) $ . &): a designation this codec knows
  // moves past it (stop kind end, at its end); anything else is an error over the sequence.
  decode_stop designate(std::string_view data, std::size_t pos) {
    std::size_t length = 0;
    for (std::size_t i = 1; i < 16; ++i) {
      if (pos + i >= data.size()) return {decode_stop::too_few, pos};
      if (ends_escape(byte_at(data, pos + i))) {
        length = i + 1;
        break;
      }
      // ESC & @ ESC $ B: JIS X 0208-1990, read as -1983.
      if (config_.jisx0208_ext && pos + i + 1 < data.size() && byte_at(data, pos + i) == '&' &&
          byte_at(data, pos + i + 1) == '@') {
        i += 2;
      }
    }
    if (length == 0) return {decode_stop::error, pos, 1};  // unterminated
    const auto at = [&](std::size_t i) { return byte_at(data, pos + i); };
    unsigned char mark = 0;
    int plane = 0;
    if (length == 3 && at(1) == '$') {
      mark = at(2) | dbcs;
    } else if (length == 3 && (at(1) == '(' || at(1) == ')' || (config_.use_g2 && at(1) == '.'))) {
      mark = at(2);
      plane = at(1) == '(' ? 0 : at(1) == ')' ? 1 : 2;
    } else if (length == 4 && at(1) == '$' && (at(2) == '(' || at(2) == ')')) {
      mark = at(3) | dbcs;
      plane = at(2) == '(' ? 0 : 1;
    } else if (length == 6 && config_.jisx0208_ext && at(3) == esc && at(4) == '$' &&
               at(5) == 'B') {
      mark = jisx0208;
    } else {
      return {decode_stop::error, pos, length};
    }
    const bool known =
        mark == ascii || std::any_of(config_.designations.begin(), config_.designations.end(),
                                     [&](const designation& d) { return d.mark == mark; });
    if (!known) return {decode_stop::error, pos, length};
    designated(state(), plane) = mark;
    return {decode_stop::end, pos + length};
  }

  // ESC N and one byte, in the set designated to G2 (iso2022_jp_2).
  decode_stop single_shift(std::string_view data, std::size_t pos, std::string& out) const {
    if (data.size() - pos < 3) return {decode_stop::too_few, pos};
    const unsigned char c = byte_at(data, pos + 2);
    char16_t decoded = no_character;
    if (designated(state(), 2) == iso8859_1) decoded = iso2022_jp_2_tables::g2_latin1[c];
    if (designated(state(), 2) == iso8859_7) decoded = iso2022_jp_2_tables::g2_greek[c];
    if (designated(state(), 2) == ascii && c < 0x80) decoded = c;
    if (decoded == no_character) return {decode_stop::error, pos, 3};
    append_code_point(out, decoded);
    return {decode_stop::end, pos + 3};
  }

  iso2022_config config_;
  iso2022_tables tables_;
};

class iso2022_encoder final : public multibyte_encoder {
 public:
  iso2022_encoder(const codec_entry& codec, std::string_view errors)
      : multibyte_encoder(codec, errors), config_(config_of(codec.module)) {
    std::fill_n(state().c.begin(), 2, ascii);
  }

 private:
  void encode_run(std::string_view text, std::string& out, const codec_traits& traits) override {
    encode_each(text, out, traits, [this](char32_t c, std::string& o) { return encode_one(c, o); });
  }

  bool encode_ascii(std::string_view text, std::string& out) override {
    for (const char c : text)
      encode_one(static_cast<unsigned char>(c), out);
    return true;
  }

  // CPython's encoder reset: SI, then ESC ( B (an ASCII character writes them the other way
  // round).
  void flush(std::string& out) override {
    shift_in(out);
    designate_ascii(out);
  }

  bool encode_one(char32_t c, std::string& out) {
    if (c < 0x80) {
      designate_ascii(out);
      shift_in(out);
      out += static_cast<char>(c);
      return true;
    }
    for (const designation& d : config_.designations) {
      const std::uint16_t code = tables_.encode(d.mark, c);
      if (code == 0) continue;
      if (d.plane == 0) {
        select_g0(d.mark, out);
      } else {
        select_g1(d.mark, out);
      }
      if (width(d.mark) == 2) out += static_cast<char>(code >> 8);
      out += static_cast<char>(code & 0xFF);
      return true;
    }
    return false;
  }

  void shift_in(std::string& out) {
    if ((flags(state()) & shifted) == 0) return;
    out += static_cast<char>(si);
    flags(state()) &= ~shifted;
  }

  void designate_ascii(std::string& out) {
    if (designated(state(), 0) == ascii) return;
    out += "\x1B(B";
    designated(state(), 0) = ascii;
  }

  void select_g0(unsigned char mark, std::string& out) {
    shift_in(out);
    if (designated(state(), 0) == mark) return;
    out += static_cast<char>(esc);
    if (width(mark) == 2) out += '$';
    if (width(mark) == 1 || mark != jisx0208) out += '(';
    out += static_cast<char>(mark & ~dbcs);
    designated(state(), 0) = mark;
  }

  void select_g1(unsigned char mark, std::string& out) {
    if (designated(state(), 1) != mark) {
      out += static_cast<char>(esc);
      if (width(mark) == 2) out += '$';
      out += ')';
      out += static_cast<char>(mark & ~dbcs);
      designated(state(), 1) = mark;
    }
    if ((flags(state()) & shifted) == 0) {
      out += static_cast<char>(so);
      flags(state()) |= shifted;
    }
  }

  iso2022_config config_;
  iso2022_tables tables_;
};

}  // namespace

std::unique_ptr<incremental_decoder> make_iso2022_decoder(const codec_entry& codec,
                                                          std::string_view errors) {
  return std::make_unique<iso2022_decoder>(codec, errors);
}

std::unique_ptr<incremental_encoder> make_iso2022_encoder(const codec_entry& codec,
                                                          std::string_view errors) {
  return std::make_unique<iso2022_encoder>(codec, errors);
}

}  // namespace pysock::io::detail::cjk
