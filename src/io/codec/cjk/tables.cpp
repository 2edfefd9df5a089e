// The CJK codecs' generated data (cjk/*.inc) and the lookup tables built from it
// (cjk/tables.hpp).
#include "io/codec/cjk/tables.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>

namespace pysock::io::detail::cjk {

namespace {

#include "io/codec/cjk/big5.inc"
#include "io/codec/cjk/cp932.inc"
#include "io/codec/cjk/cp949.inc"
#include "io/codec/cjk/cp950.inc"
#include "io/codec/cjk/euc_jp.inc"
#include "io/codec/cjk/euc_kr.inc"
#include "io/codec/cjk/gb18030.inc"
#include "io/codec/cjk/gb2312.inc"
#include "io/codec/cjk/gbk.inc"
#include "io/codec/cjk/johab.inc"
#include "io/codec/cjk/shift_jis.inc"

#define PYSOCK_CJK_DATA(name, base, form)                                                         \
  codec_data {                                                                                    \
#name, base, form, name##_tables::single, name##_tables::pairs, name##_tables::encode_patches \
  }

const codec_data gb2312_data = PYSOCK_CJK_DATA(gb2312, nullptr, long_form::none);
const codec_data gbk_data = PYSOCK_CJK_DATA(gbk, &gb2312_data, long_form::none);
const codec_data big5_data = PYSOCK_CJK_DATA(big5, nullptr, long_form::none);
const codec_data cp950_data = PYSOCK_CJK_DATA(cp950, &big5_data, long_form::none);
const codec_data shift_jis_data = PYSOCK_CJK_DATA(shift_jis, nullptr, long_form::none);
const codec_data cp932_data = PYSOCK_CJK_DATA(cp932, &shift_jis_data, long_form::none);
const codec_data johab_data = PYSOCK_CJK_DATA(johab, nullptr, long_form::none);

codec_data with_long_forms(codec_data data) {
  if (data.module == "euc_jp") data.plane2 = euc_jp_tables::plane2;
  if (data.module == "gb18030") data.four_byte = gb18030_tables::four_byte;
  if (data.module == "euc_kr") {
    data.choseong = euc_kr_tables::choseong;
    data.jungseong = euc_kr_tables::jungseong;
    data.jongseong = euc_kr_tables::jongseong;
  }
  return data;
}

const codec_data euc_kr_data =
    with_long_forms(PYSOCK_CJK_DATA(euc_kr, nullptr, long_form::euc_kr_hangul));
// cp949 has no eight-byte forms: it encodes every hangul syllable in two bytes.
const codec_data cp949_data = PYSOCK_CJK_DATA(cp949, &euc_kr_data, long_form::none);
const codec_data gb18030_data =
    with_long_forms(PYSOCK_CJK_DATA(gb18030, &gbk_data, long_form::gb18030_four_byte));
const codec_data euc_jp_data =
    with_long_forms(PYSOCK_CJK_DATA(euc_jp, nullptr, long_form::euc_jp_plane2));

#undef PYSOCK_CJK_DATA

// Sorted by module name.
const codec_data* const all_codecs[] = {&big5_data,   &cp932_data,  &cp949_data,    &cp950_data,
                                        &euc_jp_data, &euc_kr_data, &gb18030_data,  &gb2312_data,
                                        &gbk_data,    &johab_data,  &shift_jis_data};

// Applies runs (cjk/tables.hpp) to `table`, indexed by key - `offset`.
void apply_runs(std::span<const std::uint16_t> runs, std::vector<char16_t>& table,
                std::uint32_t offset) {
  for (std::size_t i = 0; i + 1 < runs.size();) {
    const std::uint32_t key = runs[i];
    const std::uint16_t header = runs[i + 1];
    const std::uint32_t count = header & ~arithmetic_run;
    for (std::uint32_t n = 0; n < count; ++n) {
      const char16_t value = (header & arithmetic_run) != 0
                                 ? static_cast<char16_t>(runs[i + 2] + n)
                                 : static_cast<char16_t>(runs[i + 2 + n]);
      if (key + n >= offset) table[key + n - offset] = value;
    }
    i += (header & arithmetic_run) != 0 ? 3 : 2 + count;
  }
}

void apply_pairs(const codec_data& data, std::vector<char16_t>& table) {
  if (data.base != nullptr) apply_pairs(*data.base, table);
  apply_runs(data.pairs, table, 0x8000);
}

}  // namespace

codec_tables::codec_tables(const codec_data& data)
    : data_(data), pairs_(0x8000, no_character), encode_(0x10000, 0) {
  std::copy(data.single.begin(), data.single.end(), single_.begin());
  apply_pairs(data, pairs_);
  // CPython's encoder mostly gives the first sequence that decodes to a code point; the
  // generator lists where it does not.
  for (unsigned byte = 0x80; byte < 0x100; ++byte) {
    const char16_t c = single_[byte];
    if (c < illegal_byte && encode_[c] == 0) encode_[c] = static_cast<std::uint16_t>(byte);
  }
  for (std::uint32_t key = 0; key < pairs_.size(); ++key) {
    const char16_t c = pairs_[key];
    if (c != no_character && encode_[c] == 0) encode_[c] = static_cast<std::uint16_t>(key + 0x8000);
  }
  for (std::size_t i = 0; i + 1 < data.encode_patches.size(); i += 2) {
    encode_[data.encode_patches[i]] = data.encode_patches[i + 1];
  }
  if (data.plane2.empty()) return;
  plane2_.assign(0x10000, no_character);
  apply_runs(data.plane2, plane2_, 0);
  for (std::uint32_t key = 0; key < plane2_.size(); ++key) {
    if (plane2_[key] != no_character) {
      plane2_encode_.emplace_back(plane2_[key], static_cast<std::uint16_t>(key));
    }
  }
  std::stable_sort(plane2_encode_.begin(), plane2_encode_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

std::uint16_t codec_tables::encode_plane2(char32_t c) const {
  const auto found =
      std::lower_bound(plane2_encode_.begin(), plane2_encode_.end(), c,
                       [](const auto& entry, char32_t wanted) { return entry.first < wanted; });
  return found != plane2_encode_.end() && found->first == c ? found->second : 0;
}

const codec_tables* tables_for(std::string_view module) {
  const auto found = std::lower_bound(
      std::begin(all_codecs), std::end(all_codecs), module,
      [](const codec_data* data, std::string_view wanted) { return data->module < wanted; });
  if (found == std::end(all_codecs) || (*found)->module != module) return nullptr;
  // One table set per codec, built by the first stream that uses the codec.
  static std::once_flag once[std::size(all_codecs)];
  static std::unique_ptr<codec_tables> built[std::size(all_codecs)];
  const std::size_t index = static_cast<std::size_t>(found - std::begin(all_codecs));
  std::call_once(once[index], [&] { built[index] = std::make_unique<codec_tables>(**found); });
  return built[index].get();
}

}  // namespace pysock::io::detail::cjk
