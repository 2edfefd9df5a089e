// The CJK codecs' tables, rebuilt at first use from the compact data that
// scripts/codec_tables/cjk.py generates from CPython 3.13 (src/io/codec/cjk/*.inc). Internal.
//
// What a codec's .inc holds (all std::uint16_t unless said otherwise):
// - single[256]: what a byte alone decodes to; lead_byte when it starts a sequence, illegal_byte
//   when it is illegal wherever it stands.
// - pairs: the two-byte characters as runs over the key (lead << 8) | trail: a run is
//   [first key, count, count values] or [first key, count | arithmetic_run, first value] (values
//   counting up); a value no_character removes the key. A codec's pairs patch those of the codec
//   it names as its base (gbk patches gb2312, gb18030 gbk, cp950 big5, cp949 euc_kr, cp932
//   shift_jis).
// - euc_jp's plane2: JIS X 0212 as runs over (second << 8) | third of its 8F xx xx forms.
// - gb18030's four_byte: [first linear index, first code point] per range of four-byte forms of
//   the BMP (gb18030_to_unibmp_ranges' contents).
// - euc_kr's choseong/jungseong/jongseong (std::uint8_t): the KS X 1001 jamo byte of each
//   initial, medial and final of the eight-byte hangul form (KS X 1001:1998 Annex 3).
// - encode_patches: [code point, code] pairs (code 0: unencodable) where CPython's encoder
//   differs from the first byte sequence (single bytes, then pairs in key order) that decodes to
//   the code point.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace pysock::io::detail::cjk {

inline constexpr char16_t no_character = 0xFFFF;
inline constexpr char16_t lead_byte = 0xFFFF;
inline constexpr char16_t illegal_byte = 0xFFFE;
inline constexpr std::uint16_t arithmetic_run = 0x8000;

// The sequences longer than two bytes a codec has besides its tables.
enum class long_form : std::uint8_t { none, euc_jp_plane2, gb18030_four_byte, euc_kr_hangul };

// One codec's generated data.
struct codec_data {
  std::string_view module;
  const codec_data* base;
  long_form form;
  std::span<const std::uint16_t> single, pairs, encode_patches;
  std::span<const std::uint16_t> plane2 = {}, four_byte = {};
  std::span<const std::uint8_t> choseong = {}, jungseong = {}, jongseong = {};
};

// A codec's lookup tables. Thread-safe once built (read only).
class codec_tables {
 public:
  explicit codec_tables(const codec_data& data);

  const codec_data& data() const { return data_; }
  char16_t single(unsigned char byte) const { return single_[byte]; }
  // For a lead byte (0x80..0xFF).
  char16_t pair(unsigned char lead, unsigned char trail) const {
    return pairs_[((lead - 0x80u) << 8) | trail];
  }
  char16_t plane2(unsigned char second, unsigned char third) const {
    return plane2_[(second << 8) | third];
  }
  // The one- or two-byte code of a BMP code point (codes below 0x100 are one byte); 0: none.
  std::uint16_t encode(char32_t c) const { return c < 0x10000 ? encode_[c] : 0; }
  // euc_jp's JIS X 0212 code ((second << 8) | third) of a code point without a shorter form.
  std::uint16_t encode_plane2(char32_t c) const;

 private:
  const codec_data& data_;
  std::array<char16_t, 256> single_;
  std::vector<char16_t> pairs_;   // [lead - 0x80][trail]
  std::vector<char16_t> plane2_;  // [second][third]
  std::vector<std::uint16_t> encode_;
  std::vector<std::pair<char16_t, std::uint16_t>> plane2_encode_;  // sorted by code point
};

// The tables of a codec by its module name (big5, cp932, cp949, cp950, euc_jp, euc_kr,
// gb18030, gb2312, gbk, johab, shift_jis), built on first use; nullptr for another name.
const codec_tables* tables_for(std::string_view module);

}  // namespace pysock::io::detail::cjk
