// The codec table and the name lookup (codecs.lookup), and the factories that hand a codec to
// its family (codec/families.hpp).
#include "io/codec/registry.hpp"

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "io/codec/families.hpp"
#include "pysock/error.hpp"
#include "pysock/io/codec.hpp"

namespace pysock::io::detail {

namespace {

struct alias_entry {
  std::string_view alias;
  std::string_view module;
};

// Sorted by module. Every single-byte codec of CPython's is a charmap codec (charmap.cpp has its
// table); the multibyte codecs are pysock's own (codec/cjk/), and those CPython has that need
// what codec/cjk/ does not do (pairs decoding to two characters, combining look-ahead) are
// `unsupported`.
constexpr codec_entry codec_table[] = {
    {"ascii", "ascii", codec_kind::ascii},
    {"base64_codec", "base64", codec_kind::not_text},
    {"big5", "big5", codec_kind::multibyte},
    {"big5hkscs", "big5hkscs", codec_kind::unsupported},
    {"bz2_codec", "bz2", codec_kind::not_text},
    {"charmap", "charmap", codec_kind::unsupported},
    {"cp037", "cp037", codec_kind::charmap},
    {"cp1006", "cp1006", codec_kind::charmap},
    {"cp1026", "cp1026", codec_kind::charmap},
    {"cp1125", "cp1125", codec_kind::charmap},
    {"cp1140", "cp1140", codec_kind::charmap},
    {"cp1250", "cp1250", codec_kind::charmap},
    {"cp1251", "cp1251", codec_kind::charmap},
    {"cp1252", "cp1252", codec_kind::charmap},
    {"cp1253", "cp1253", codec_kind::charmap},
    {"cp1254", "cp1254", codec_kind::charmap},
    {"cp1255", "cp1255", codec_kind::charmap},
    {"cp1256", "cp1256", codec_kind::charmap},
    {"cp1257", "cp1257", codec_kind::charmap},
    {"cp1258", "cp1258", codec_kind::charmap},
    {"cp273", "cp273", codec_kind::charmap},
    {"cp424", "cp424", codec_kind::charmap},
    {"cp437", "cp437", codec_kind::charmap},
    {"cp500", "cp500", codec_kind::charmap},
    {"cp720", "cp720", codec_kind::charmap},
    {"cp737", "cp737", codec_kind::charmap},
    {"cp775", "cp775", codec_kind::charmap},
    {"cp850", "cp850", codec_kind::charmap},
    {"cp852", "cp852", codec_kind::charmap},
    {"cp855", "cp855", codec_kind::charmap},
    {"cp856", "cp856", codec_kind::charmap},
    {"cp857", "cp857", codec_kind::charmap},
    {"cp858", "cp858", codec_kind::charmap},
    {"cp860", "cp860", codec_kind::charmap},
    {"cp861", "cp861", codec_kind::charmap},
    {"cp862", "cp862", codec_kind::charmap},
    {"cp863", "cp863", codec_kind::charmap},
    {"cp864", "cp864", codec_kind::charmap},
    {"cp865", "cp865", codec_kind::charmap},
    {"cp866", "cp866", codec_kind::charmap},
    {"cp869", "cp869", codec_kind::charmap},
    {"cp874", "cp874", codec_kind::charmap},
    {"cp875", "cp875", codec_kind::charmap},
    {"cp932", "cp932", codec_kind::multibyte},
    {"cp949", "cp949", codec_kind::multibyte},
    {"cp950", "cp950", codec_kind::multibyte},
    {"euc_jis_2004", "euc_jis_2004", codec_kind::unsupported},
    {"euc_jisx0213", "euc_jisx0213", codec_kind::unsupported},
    {"euc_jp", "euc_jp", codec_kind::multibyte},
    {"euc_kr", "euc_kr", codec_kind::multibyte},
    {"gb18030", "gb18030", codec_kind::multibyte},
    {"gb2312", "gb2312", codec_kind::multibyte},
    {"gbk", "gbk", codec_kind::multibyte},
    {"hex_codec", "hex", codec_kind::not_text},
    {"hp_roman8", "hp-roman8", codec_kind::charmap},
    {"hz", "hz", codec_kind::multibyte},
    {"idna", "idna", codec_kind::unsupported},
    {"iso2022_jp", "iso2022_jp", codec_kind::multibyte},
    {"iso2022_jp_1", "iso2022_jp_1", codec_kind::multibyte},
    {"iso2022_jp_2", "iso2022_jp_2", codec_kind::multibyte},
    {"iso2022_jp_2004", "iso2022_jp_2004", codec_kind::unsupported},
    {"iso2022_jp_3", "iso2022_jp_3", codec_kind::unsupported},
    {"iso2022_jp_ext", "iso2022_jp_ext", codec_kind::multibyte},
    {"iso2022_kr", "iso2022_kr", codec_kind::multibyte},
    {"iso8859_10", "iso8859-10", codec_kind::charmap},
    {"iso8859_11", "iso8859-11", codec_kind::charmap},
    {"iso8859_13", "iso8859-13", codec_kind::charmap},
    {"iso8859_14", "iso8859-14", codec_kind::charmap},
    {"iso8859_15", "iso8859-15", codec_kind::charmap},
    {"iso8859_16", "iso8859-16", codec_kind::charmap},
    {"iso8859_2", "iso8859-2", codec_kind::charmap},
    {"iso8859_3", "iso8859-3", codec_kind::charmap},
    {"iso8859_4", "iso8859-4", codec_kind::charmap},
    {"iso8859_5", "iso8859-5", codec_kind::charmap},
    {"iso8859_6", "iso8859-6", codec_kind::charmap},
    {"iso8859_7", "iso8859-7", codec_kind::charmap},
    {"iso8859_8", "iso8859-8", codec_kind::charmap},
    {"iso8859_9", "iso8859-9", codec_kind::charmap},
    {"johab", "johab", codec_kind::multibyte},
    {"koi8_r", "koi8-r", codec_kind::charmap},
    {"koi8_t", "koi8-t", codec_kind::charmap},
    {"koi8_u", "koi8-u", codec_kind::charmap},
    {"kz1048", "kz1048", codec_kind::charmap},
    {"latin_1", "iso8859-1", codec_kind::latin1},
    {"mac_arabic", "mac-arabic", codec_kind::charmap},
    {"mac_croatian", "mac-croatian", codec_kind::charmap},
    {"mac_cyrillic", "mac-cyrillic", codec_kind::charmap},
    {"mac_farsi", "mac-farsi", codec_kind::charmap},
    {"mac_greek", "mac-greek", codec_kind::charmap},
    {"mac_iceland", "mac-iceland", codec_kind::charmap},
    {"mac_latin2", "mac-latin2", codec_kind::charmap},
    {"mac_roman", "mac-roman", codec_kind::charmap},
    {"mac_romanian", "mac-romanian", codec_kind::charmap},
    {"mac_turkish", "mac-turkish", codec_kind::charmap},
    {"palmos", "palmos", codec_kind::charmap},
    {"ptcp154", "ptcp154", codec_kind::charmap},
    {"punycode", "punycode", codec_kind::unsupported},
    {"quopri_codec", "quopri", codec_kind::not_text},
    {"raw_unicode_escape", "raw-unicode-escape", codec_kind::unsupported},
    {"rot_13", "rot-13", codec_kind::not_text},
    {"shift_jis", "shift_jis", codec_kind::multibyte},
    {"shift_jis_2004", "shift_jis_2004", codec_kind::unsupported},
    {"shift_jisx0213", "shift_jisx0213", codec_kind::unsupported},
    {"tis_620", "tis-620", codec_kind::charmap},
    {"undefined", "undefined", codec_kind::unsupported},
    {"unicode_escape", "unicode-escape", codec_kind::unsupported},
    {"utf_16", "utf-16", codec_kind::utf16},
    {"utf_16_be", "utf-16-be", codec_kind::utf16_be},
    {"utf_16_le", "utf-16-le", codec_kind::utf16_le},
    {"utf_32", "utf-32", codec_kind::utf32},
    {"utf_32_be", "utf-32-be", codec_kind::utf32_be},
    {"utf_32_le", "utf-32-le", codec_kind::utf32_le},
    {"utf_7", "utf-7", codec_kind::unsupported},
    {"utf_8", "utf-8", codec_kind::utf8},
    {"utf_8_sig", "utf-8-sig", codec_kind::utf8_sig},
    {"uu_codec", "uu", codec_kind::not_text},
    {"zlib_codec", "zlib", codec_kind::not_text},
};

// encodings.aliases.aliases for the modules above, sorted by alias. (CPython's mixed-case alias
// "csHPRoman8" is left out: a normalised name is lower-case, so CPython never matches it either.)
// clang-format off
constexpr alias_entry alias_table[] = {
    {"037", "cp037"}, {"1026", "cp1026"}, {"1125", "cp1125"}, {"1140", "cp1140"},
    {"1250", "cp1250"}, {"1251", "cp1251"}, {"1252", "cp1252"}, {"1253", "cp1253"},
    {"1254", "cp1254"}, {"1255", "cp1255"}, {"1256", "cp1256"}, {"1257", "cp1257"},
    {"1258", "cp1258"}, {"273", "cp273"}, {"424", "cp424"}, {"437", "cp437"}, {"500", "cp500"},
    {"646", "ascii"}, {"775", "cp775"}, {"850", "cp850"}, {"852", "cp852"}, {"855", "cp855"},
    {"857", "cp857"}, {"858", "cp858"}, {"860", "cp860"}, {"861", "cp861"}, {"862", "cp862"},
    {"863", "cp863"}, {"864", "cp864"}, {"865", "cp865"}, {"866", "cp866"}, {"869", "cp869"},
    {"8859", "latin_1"}, {"932", "cp932"}, {"936", "gbk"}, {"949", "cp949"}, {"950", "cp950"},
    {"ansi_x3.4_1968", "ascii"}, {"ansi_x3.4_1986", "ascii"}, {"ansi_x3_4_1968", "ascii"},
    {"arabic", "iso8859_6"}, {"asmo_708", "iso8859_6"}, {"base64", "base64_codec"},
    {"base_64", "base64_codec"}, {"big5_hkscs", "big5hkscs"}, {"big5_tw", "big5"},
    {"bz2", "bz2_codec"}, {"chinese", "gb2312"}, {"cp1051", "hp_roman8"}, {"cp1361", "johab"},
    {"cp154", "ptcp154"}, {"cp367", "ascii"}, {"cp65001", "utf_8"}, {"cp819", "latin_1"},
    {"cp866u", "cp1125"}, {"cp936", "gbk"}, {"cp_gr", "cp869"}, {"cp_is", "cp861"},
    {"csascii", "ascii"}, {"csbig5", "big5"}, {"csibm037", "cp037"}, {"csibm1026", "cp1026"},
    {"csibm273", "cp273"}, {"csibm424", "cp424"}, {"csibm500", "cp500"}, {"csibm855", "cp855"},
    {"csibm857", "cp857"}, {"csibm858", "cp858"}, {"csibm860", "cp860"}, {"csibm861", "cp861"},
    {"csibm863", "cp863"}, {"csibm864", "cp864"}, {"csibm865", "cp865"}, {"csibm866", "cp866"},
    {"csibm869", "cp869"}, {"csiso2022jp", "iso2022_jp"}, {"csiso2022kr", "iso2022_kr"},
    {"csiso58gb231280", "gb2312"}, {"csisolatin1", "latin_1"}, {"csisolatin2", "iso8859_2"},
    {"csisolatin3", "iso8859_3"}, {"csisolatin4", "iso8859_4"}, {"csisolatin5", "iso8859_9"},
    {"csisolatin6", "iso8859_10"}, {"csisolatinarabic", "iso8859_6"},
    {"csisolatincyrillic", "iso8859_5"}, {"csisolatingreek", "iso8859_7"},
    {"csisolatinhebrew", "iso8859_8"}, {"cskoi8r", "koi8_r"}, {"cspc775baltic", "cp775"},
    {"cspc850multilingual", "cp850"}, {"cspc862latinhebrew", "cp862"},
    {"cspc8codepage437", "cp437"}, {"cspcp852", "cp852"}, {"csptcp154", "ptcp154"},
    {"csshiftjis", "shift_jis"}, {"cyrillic", "iso8859_5"}, {"cyrillic_asian", "ptcp154"},
    {"ebcdic_cp_be", "cp500"}, {"ebcdic_cp_ca", "cp037"}, {"ebcdic_cp_ch", "cp500"},
    {"ebcdic_cp_he", "cp424"}, {"ebcdic_cp_nl", "cp037"}, {"ebcdic_cp_us", "cp037"},
    {"ebcdic_cp_wt", "cp037"}, {"ecma_114", "iso8859_6"}, {"ecma_118", "iso8859_7"},
    {"elot_928", "iso8859_7"}, {"euc_cn", "gb2312"}, {"euc_jis2004", "euc_jis_2004"},
    {"euccn", "gb2312"}, {"eucgb2312_cn", "gb2312"}, {"eucjis2004", "euc_jis_2004"},
    {"eucjisx0213", "euc_jisx0213"}, {"eucjp", "euc_jp"}, {"euckr", "euc_kr"},
    {"gb18030_2000", "gb18030"}, {"gb2312_1980", "gb2312"}, {"gb2312_80", "gb2312"},
    {"greek", "iso8859_7"}, {"greek8", "iso8859_7"}, {"hebrew", "iso8859_8"}, {"hex", "hex_codec"},
    {"hkscs", "big5hkscs"}, {"hz_gb", "hz"}, {"hz_gb_2312", "hz"}, {"hzgb", "hz"},
    {"ibm037", "cp037"}, {"ibm039", "cp037"}, {"ibm1026", "cp1026"}, {"ibm1051", "hp_roman8"},
    {"ibm1125", "cp1125"}, {"ibm1140", "cp1140"}, {"ibm273", "cp273"}, {"ibm367", "ascii"},
    {"ibm424", "cp424"}, {"ibm437", "cp437"}, {"ibm500", "cp500"}, {"ibm775", "cp775"},
    {"ibm819", "latin_1"}, {"ibm850", "cp850"}, {"ibm852", "cp852"}, {"ibm855", "cp855"},
    {"ibm857", "cp857"}, {"ibm858", "cp858"}, {"ibm860", "cp860"}, {"ibm861", "cp861"},
    {"ibm862", "cp862"}, {"ibm863", "cp863"}, {"ibm864", "cp864"}, {"ibm865", "cp865"},
    {"ibm866", "cp866"}, {"ibm869", "cp869"}, {"iso2022jp", "iso2022_jp"},
    {"iso2022jp_1", "iso2022_jp_1"}, {"iso2022jp_2", "iso2022_jp_2"},
    {"iso2022jp_2004", "iso2022_jp_2004"}, {"iso2022jp_3", "iso2022_jp_3"},
    {"iso2022jp_ext", "iso2022_jp_ext"}, {"iso2022kr", "iso2022_kr"}, {"iso646_us", "ascii"},
    {"iso8859", "latin_1"}, {"iso8859_1", "latin_1"}, {"iso_2022_jp", "iso2022_jp"},
    {"iso_2022_jp_1", "iso2022_jp_1"}, {"iso_2022_jp_2", "iso2022_jp_2"},
    {"iso_2022_jp_2004", "iso2022_jp_2004"}, {"iso_2022_jp_3", "iso2022_jp_3"},
    {"iso_2022_jp_ext", "iso2022_jp_ext"}, {"iso_2022_kr", "iso2022_kr"},
    {"iso_646.irv_1991", "ascii"}, {"iso_8859_1", "latin_1"}, {"iso_8859_10", "iso8859_10"},
    {"iso_8859_10_1992", "iso8859_10"}, {"iso_8859_11", "iso8859_11"},
    {"iso_8859_11_2001", "iso8859_11"}, {"iso_8859_13", "iso8859_13"},
    {"iso_8859_14", "iso8859_14"}, {"iso_8859_14_1998", "iso8859_14"},
    {"iso_8859_15", "iso8859_15"}, {"iso_8859_16", "iso8859_16"},
    {"iso_8859_16_2001", "iso8859_16"}, {"iso_8859_1_1987", "latin_1"}, {"iso_8859_2", "iso8859_2"},
    {"iso_8859_2_1987", "iso8859_2"}, {"iso_8859_3", "iso8859_3"}, {"iso_8859_3_1988", "iso8859_3"},
    {"iso_8859_4", "iso8859_4"}, {"iso_8859_4_1988", "iso8859_4"}, {"iso_8859_5", "iso8859_5"},
    {"iso_8859_5_1988", "iso8859_5"}, {"iso_8859_6", "iso8859_6"}, {"iso_8859_6_1987", "iso8859_6"},
    {"iso_8859_7", "iso8859_7"}, {"iso_8859_7_1987", "iso8859_7"}, {"iso_8859_8", "iso8859_8"},
    {"iso_8859_8_1988", "iso8859_8"}, {"iso_8859_9", "iso8859_9"}, {"iso_8859_9_1989", "iso8859_9"},
    {"iso_celtic", "iso8859_14"}, {"iso_ir_100", "latin_1"}, {"iso_ir_101", "iso8859_2"},
    {"iso_ir_109", "iso8859_3"}, {"iso_ir_110", "iso8859_4"}, {"iso_ir_126", "iso8859_7"},
    {"iso_ir_127", "iso8859_6"}, {"iso_ir_138", "iso8859_8"}, {"iso_ir_144", "iso8859_5"},
    {"iso_ir_148", "iso8859_9"}, {"iso_ir_157", "iso8859_10"}, {"iso_ir_166", "tis_620"},
    {"iso_ir_199", "iso8859_14"}, {"iso_ir_226", "iso8859_16"}, {"iso_ir_58", "gb2312"},
    {"iso_ir_6", "ascii"}, {"jisx0213", "euc_jis_2004"}, {"korean", "euc_kr"},
    {"ks_c_5601", "euc_kr"}, {"ks_c_5601_1987", "euc_kr"}, {"ks_x_1001", "euc_kr"},
    {"ksc5601", "euc_kr"}, {"ksx1001", "euc_kr"}, {"kz_1048", "kz1048"}, {"l1", "latin_1"},
    {"l10", "iso8859_16"}, {"l2", "iso8859_2"}, {"l3", "iso8859_3"}, {"l4", "iso8859_4"},
    {"l5", "iso8859_9"}, {"l6", "iso8859_10"}, {"l7", "iso8859_13"}, {"l8", "iso8859_14"},
    {"l9", "iso8859_15"}, {"latin", "latin_1"}, {"latin1", "latin_1"}, {"latin10", "iso8859_16"},
    {"latin2", "iso8859_2"}, {"latin3", "iso8859_3"}, {"latin4", "iso8859_4"},
    {"latin5", "iso8859_9"}, {"latin6", "iso8859_10"}, {"latin7", "iso8859_13"},
    {"latin8", "iso8859_14"}, {"latin9", "iso8859_15"}, {"mac_centeuro", "mac_latin2"},
    {"maccentraleurope", "mac_latin2"}, {"maccyrillic", "mac_cyrillic"}, {"macgreek", "mac_greek"},
    {"maciceland", "mac_iceland"}, {"macintosh", "mac_roman"}, {"maclatin2", "mac_latin2"},
    {"macroman", "mac_roman"}, {"macturkish", "mac_turkish"}, {"ms1361", "johab"},
    {"ms932", "cp932"}, {"ms936", "gbk"}, {"ms949", "cp949"}, {"ms950", "cp950"},
    {"ms_kanji", "cp932"}, {"mskanji", "cp932"}, {"pt154", "ptcp154"}, {"quopri", "quopri_codec"},
    {"quoted_printable", "quopri_codec"}, {"quotedprintable", "quopri_codec"}, {"r8", "hp_roman8"},
    {"rk1048", "kz1048"}, {"roman8", "hp_roman8"}, {"rot13", "rot_13"}, {"ruscii", "cp1125"},
    {"s_jis", "shift_jis"}, {"s_jis_2004", "shift_jis_2004"}, {"s_jisx0213", "shift_jisx0213"},
    {"shiftjis", "shift_jis"}, {"shiftjis2004", "shift_jis_2004"},
    {"shiftjisx0213", "shift_jisx0213"}, {"sjis", "shift_jis"}, {"sjis_2004", "shift_jis_2004"},
    {"sjisx0213", "shift_jisx0213"}, {"strk1048_2002", "kz1048"}, {"thai", "iso8859_11"},
    {"tis620", "tis_620"}, {"tis_620_0", "tis_620"}, {"tis_620_2529_0", "tis_620"},
    {"tis_620_2529_1", "tis_620"}, {"u16", "utf_16"}, {"u32", "utf_32"}, {"u7", "utf_7"},
    {"u8", "utf_8"}, {"u_jis", "euc_jp"}, {"uhc", "cp949"}, {"ujis", "euc_jp"},
    {"unicode_1_1_utf_7", "utf_7"}, {"unicodebigunmarked", "utf_16_be"},
    {"unicodelittleunmarked", "utf_16_le"}, {"us", "ascii"}, {"us_ascii", "ascii"},
    {"utf", "utf_8"}, {"utf16", "utf_16"}, {"utf32", "utf_32"}, {"utf7", "utf_7"},
    {"utf8", "utf_8"}, {"utf8_ucs2", "utf_8"}, {"utf8_ucs4", "utf_8"}, {"utf_16be", "utf_16_be"},
    {"utf_16le", "utf_16_le"}, {"utf_32be", "utf_32_be"}, {"utf_32le", "utf_32_le"},
    {"uu", "uu_codec"}, {"windows_1250", "cp1250"}, {"windows_1251", "cp1251"},
    {"windows_1252", "cp1252"}, {"windows_1253", "cp1253"}, {"windows_1254", "cp1254"},
    {"windows_1255", "cp1255"}, {"windows_1256", "cp1256"}, {"windows_1257", "cp1257"},
    {"windows_1258", "cp1258"}, {"windows_31j", "cp932"}, {"x_mac_japanese", "shift_jis"},
    {"x_mac_korean", "euc_kr"}, {"x_mac_simp_chinese", "gb2312"}, {"x_mac_trad_chinese", "big5"},
    {"zip", "zlib_codec"}, {"zlib", "zlib_codec"},
};
// clang-format on

static_assert(std::is_sorted(std::begin(codec_table), std::end(codec_table),
                             [](const codec_entry& a, const codec_entry& b) {
                               return a.module < b.module;
                             }));
static_assert(std::is_sorted(std::begin(alias_table), std::end(alias_table),
                             [](const alias_entry& a, const alias_entry& b) {
                               return a.alias < b.alias;
                             }));

template <class Entry, class Key>
const Entry* find_sorted(const Entry* first, const Entry* last, Key key, std::string_view wanted) {
  const Entry* found = std::lower_bound(
      first, last, wanted, [&](const Entry& entry, std::string_view w) { return entry.*key < w; });
  return found != last && found->*key == wanted ? found : nullptr;
}

const codec_entry* find_module(std::string_view module) {
  return find_sorted(std::begin(codec_table), std::end(codec_table), &codec_entry::module, module);
}

const alias_entry* find_alias(std::string_view alias) {
  return find_sorted(std::begin(alias_table), std::end(alias_table), &alias_entry::alias, alias);
}

constexpr bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// CPython's name normalisation (_Py_normalize_encoding, which encodings.normalize_encoding then
// leaves unchanged): ASCII letters and digits (lower-cased) and '.' are kept, and a run of any
// other bytes, non-ASCII ones included, becomes one '_' between kept characters.
std::string normalize_encoding(std::string_view name) {
  std::string normalized;
  bool separator = false;
  for (const char c : name) {
    if (!is_ascii_alnum(c) && c != '.') {
      separator = true;
      continue;
    }
    if (separator && !normalized.empty()) normalized += '_';
    separator = false;
    normalized += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return normalized;
}

// encodings.search_function: the alias (also tried with '.' read as '_'), then the module of
// that name; a module name containing '.' is never imported.
const codec_entry* search_codec(std::string_view encoding) {
  const std::string normalized = normalize_encoding(encoding);
  std::string underscored = normalized;
  std::replace(underscored.begin(), underscored.end(), '.', '_');
  const alias_entry* alias = find_alias(normalized);
  if (alias == nullptr) alias = find_alias(underscored);
  if (alias != nullptr) return find_module(alias->module);
  if (normalized.find('.') != std::string::npos) return nullptr;
  return find_module(normalized);
}

}  // namespace

// The codec for a text encoding, or the exception TextIOWrapper raises for that name.
const codec_entry& text_codec(std::string_view encoding) {
  if (encoding.find('\0') != std::string_view::npos) throw value_error("embedded null character");
  const codec_entry* entry = search_codec(encoding);
  const codec_kind kind = entry != nullptr ? entry->kind : codec_kind::unsupported;
  if (is_implemented(kind)) return *entry;
  const std::string given(encoding);
  if (kind == codec_kind::not_text) {
    throw lookup_error("'" + given +
                       "' is not a text encoding; use codecs.open() to handle arbitrary codecs");
  }
  if (entry == nullptr) throw lookup_error("unknown encoding: " + given);
  throw lookup_error("unknown encoding: " + given + " (pysock does not implement Python's '" +
                     std::string(entry->module) + "' codec)");
}

std::span<const codec_entry> implemented_codecs() {
  static const std::vector<codec_entry> implemented = [] {
    std::vector<codec_entry> codecs;
    std::copy_if(std::begin(codec_table), std::end(codec_table), std::back_inserter(codecs),
                 [](const codec_entry& codec) { return is_implemented(codec.kind); });
    return codecs;
  }();
  return implemented;
}

}  // namespace pysock::io::detail

namespace pysock::io {

codec_info lookup_codec(std::string_view encoding) {
  return {detail::text_codec(encoding).name};
}

std::unique_ptr<incremental_decoder> make_incremental_decoder(std::string_view encoding,
                                                              std::string_view errors) {
  const detail::codec_entry& codec = detail::text_codec(encoding);
  if (detail::is_hand_written(codec.kind)) return detail::make_hand_written_decoder(codec, errors);
  if (codec.kind == detail::codec_kind::charmap) return detail::make_charmap_decoder(codec, errors);
  if (codec.kind == detail::codec_kind::multibyte) return detail::make_cjk_decoder(codec, errors);
  return detail::make_utf16_32_decoder(codec, errors);
}

std::unique_ptr<incremental_encoder> make_incremental_encoder(std::string_view encoding,
                                                              std::string_view errors) {
  const detail::codec_entry& codec = detail::text_codec(encoding);
  if (detail::is_hand_written(codec.kind)) return detail::make_hand_written_encoder(codec, errors);
  if (codec.kind == detail::codec_kind::charmap) return detail::make_charmap_encoder(codec, errors);
  if (codec.kind == detail::codec_kind::multibyte) return detail::make_cjk_encoder(codec, errors);
  return detail::make_utf16_32_encoder(codec, errors);
}

}  // namespace pysock::io
