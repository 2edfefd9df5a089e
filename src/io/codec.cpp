// Python's text codecs: incremental decoders and encoders (pysock/io/codec.hpp).
//
// Contents, in order: the codec and alias tables and the name lookup; generalized UTF-8 helpers
// (with the word-at-a-time ASCII scan behind every hand-written codec); the error handlers, one
// routine for decoding and one for encoding shared by every codec; the iconv wrapper; the
// decoders; the encoders; the factories.
//
// UTF-8, UTF-8-sig, ASCII and Latin-1 are written by hand because a line reader decodes every
// line with them. Every other codec converts with glibc's iconv and reproduces CPython's error
// reporting on top of it: iconv says where a conversion stopped, and a per-codec rule turns that
// into CPython's (start, end, reason). That rule is exact for UTF-16 and UTF-32 and for the
// single-byte ("charmap") codecs; for the CJK codecs an illegal sequence always covers one byte
// (CPython's own codecs sometimes report two) and glibc's tables differ from CPython's in places
// (docs/differences.md lists them).
#include "pysock/io/codec.hpp"

#include <iconv.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "pysock/error.hpp"

namespace pysock::io {
namespace {

// ---------------------------------------------------------------------------------------------
// Codec table and name lookup
// ---------------------------------------------------------------------------------------------

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
  charmap,        // a single-byte table codec, through iconv
  multibyte,      // a CJK codec, through iconv
  multibyte_euc,  // a CJK codec where every byte 0x80..0xFF starts a sequence (EUC, GB, Big5, UHC)
  not_text,       // one of Python's bytes-to-bytes codecs: never a text encoding
  unsupported,    // a Python text codec pysock does not implement
};

struct codec_entry {
  std::string_view module;  // the module in Python's `encodings` package
  std::string_view name;    // CodecInfo.name
  codec_kind kind;
  const char* iconv_name;  // for charmap and multibyte codecs
};

struct alias_entry {
  std::string_view alias;
  std::string_view module;
};

// Sorted by module. The charmap and multibyte codecs listed are those whose glibc tables agree
// with CPython's (or differ only as docs/differences.md says); codecs whose glibc converter
// composes or decomposes characters (cp1255, cp1258, big5hkscs) or maps many bytes differently
// are `unsupported`.
constexpr codec_entry codec_table[] = {
    {"ascii", "ascii", codec_kind::ascii, nullptr},
    {"base64_codec", "base64", codec_kind::not_text, nullptr},
    {"big5", "big5", codec_kind::multibyte_euc, "BIG5"},
    {"big5hkscs", "big5hkscs", codec_kind::unsupported, nullptr},
    {"bz2_codec", "bz2", codec_kind::not_text, nullptr},
    {"charmap", "charmap", codec_kind::unsupported, nullptr},
    {"cp037", "cp037", codec_kind::charmap, "CP037"},
    {"cp1006", "cp1006", codec_kind::unsupported, nullptr},
    {"cp1026", "cp1026", codec_kind::unsupported, nullptr},
    {"cp1125", "cp1125", codec_kind::charmap, "CP1125"},
    {"cp1140", "cp1140", codec_kind::charmap, "CP1140"},
    {"cp1250", "cp1250", codec_kind::charmap, "CP1250"},
    {"cp1251", "cp1251", codec_kind::charmap, "CP1251"},
    {"cp1252", "cp1252", codec_kind::charmap, "CP1252"},
    {"cp1253", "cp1253", codec_kind::charmap, "CP1253"},
    {"cp1254", "cp1254", codec_kind::charmap, "CP1254"},
    {"cp1255", "cp1255", codec_kind::unsupported, nullptr},
    {"cp1256", "cp1256", codec_kind::charmap, "CP1256"},
    {"cp1257", "cp1257", codec_kind::charmap, "CP1257"},
    {"cp1258", "cp1258", codec_kind::unsupported, nullptr},
    {"cp273", "cp273", codec_kind::unsupported, nullptr},
    {"cp424", "cp424", codec_kind::unsupported, nullptr},
    {"cp437", "cp437", codec_kind::charmap, "CP437"},
    {"cp500", "cp500", codec_kind::charmap, "CP500"},
    {"cp720", "cp720", codec_kind::unsupported, nullptr},
    {"cp737", "cp737", codec_kind::charmap, "CP737"},
    {"cp775", "cp775", codec_kind::charmap, "CP775"},
    {"cp850", "cp850", codec_kind::charmap, "CP850"},
    {"cp852", "cp852", codec_kind::charmap, "CP852"},
    {"cp855", "cp855", codec_kind::charmap, "CP855"},
    {"cp856", "cp856", codec_kind::unsupported, nullptr},
    {"cp857", "cp857", codec_kind::charmap, "CP857"},
    {"cp858", "cp858", codec_kind::charmap, "CP858"},
    {"cp860", "cp860", codec_kind::charmap, "CP860"},
    {"cp861", "cp861", codec_kind::charmap, "CP861"},
    {"cp862", "cp862", codec_kind::charmap, "CP862"},
    {"cp863", "cp863", codec_kind::charmap, "CP863"},
    {"cp864", "cp864", codec_kind::charmap, "CP864"},
    {"cp865", "cp865", codec_kind::charmap, "CP865"},
    {"cp866", "cp866", codec_kind::charmap, "CP866"},
    {"cp869", "cp869", codec_kind::charmap, "CP869"},
    {"cp874", "cp874", codec_kind::charmap, "CP874"},
    {"cp875", "cp875", codec_kind::unsupported, nullptr},
    {"cp932", "cp932", codec_kind::multibyte, "CP932"},
    {"cp949", "cp949", codec_kind::multibyte_euc, "CP949"},
    {"cp950", "cp950", codec_kind::multibyte_euc, "CP950"},
    {"euc_jis_2004", "euc_jis_2004", codec_kind::unsupported, nullptr},
    {"euc_jisx0213", "euc_jisx0213", codec_kind::unsupported, nullptr},
    {"euc_jp", "euc_jp", codec_kind::multibyte_euc, "EUC-JP"},
    {"euc_kr", "euc_kr", codec_kind::multibyte_euc, "EUC-KR"},
    {"gb18030", "gb18030", codec_kind::multibyte_euc, "GB18030"},
    {"gb2312", "gb2312", codec_kind::multibyte_euc, "EUC-CN"},
    {"gbk", "gbk", codec_kind::multibyte_euc, "GBK"},
    {"hex_codec", "hex", codec_kind::not_text, nullptr},
    {"hp_roman8", "hp-roman8", codec_kind::charmap, "HP-ROMAN8"},
    {"hz", "hz", codec_kind::unsupported, nullptr},
    {"idna", "idna", codec_kind::unsupported, nullptr},
    {"iso2022_jp", "iso2022_jp", codec_kind::multibyte, "ISO-2022-JP"},
    {"iso2022_jp_1", "iso2022_jp_1", codec_kind::unsupported, nullptr},
    {"iso2022_jp_2", "iso2022_jp_2", codec_kind::unsupported, nullptr},
    {"iso2022_jp_2004", "iso2022_jp_2004", codec_kind::unsupported, nullptr},
    {"iso2022_jp_3", "iso2022_jp_3", codec_kind::unsupported, nullptr},
    {"iso2022_jp_ext", "iso2022_jp_ext", codec_kind::unsupported, nullptr},
    {"iso2022_kr", "iso2022_kr", codec_kind::unsupported, nullptr},
    {"iso8859_10", "iso8859-10", codec_kind::charmap, "ISO-8859-10"},
    {"iso8859_11", "iso8859-11", codec_kind::charmap, "ISO-8859-11"},
    {"iso8859_13", "iso8859-13", codec_kind::charmap, "ISO-8859-13"},
    {"iso8859_14", "iso8859-14", codec_kind::charmap, "ISO-8859-14"},
    {"iso8859_15", "iso8859-15", codec_kind::charmap, "ISO-8859-15"},
    {"iso8859_16", "iso8859-16", codec_kind::charmap, "ISO-8859-16"},
    {"iso8859_2", "iso8859-2", codec_kind::charmap, "ISO-8859-2"},
    {"iso8859_3", "iso8859-3", codec_kind::charmap, "ISO-8859-3"},
    {"iso8859_4", "iso8859-4", codec_kind::charmap, "ISO-8859-4"},
    {"iso8859_5", "iso8859-5", codec_kind::charmap, "ISO-8859-5"},
    {"iso8859_6", "iso8859-6", codec_kind::charmap, "ISO-8859-6"},
    {"iso8859_7", "iso8859-7", codec_kind::charmap, "ISO-8859-7"},
    {"iso8859_8", "iso8859-8", codec_kind::charmap, "ISO-8859-8"},
    {"iso8859_9", "iso8859-9", codec_kind::charmap, "ISO-8859-9"},
    {"johab", "johab", codec_kind::unsupported, nullptr},
    {"koi8_r", "koi8-r", codec_kind::charmap, "KOI8-R"},
    {"koi8_t", "koi8-t", codec_kind::charmap, "KOI8-T"},
    {"koi8_u", "koi8-u", codec_kind::charmap, "KOI8-U"},
    {"kz1048", "kz1048", codec_kind::charmap, "RK1048"},
    {"latin_1", "iso8859-1", codec_kind::latin1, nullptr},
    {"mac_arabic", "mac-arabic", codec_kind::unsupported, nullptr},
    {"mac_croatian", "mac-croatian", codec_kind::unsupported, nullptr},
    {"mac_cyrillic", "mac-cyrillic", codec_kind::charmap, "MAC-CYRILLIC"},
    {"mac_farsi", "mac-farsi", codec_kind::unsupported, nullptr},
    {"mac_greek", "mac-greek", codec_kind::unsupported, nullptr},
    {"mac_iceland", "mac-iceland", codec_kind::unsupported, nullptr},
    {"mac_latin2", "mac-latin2", codec_kind::charmap, "MAC-CENTRALEUROPE"},
    {"mac_roman", "mac-roman", codec_kind::charmap, "MACINTOSH"},
    {"mac_romanian", "mac-romanian", codec_kind::unsupported, nullptr},
    {"mac_turkish", "mac-turkish", codec_kind::unsupported, nullptr},
    {"palmos", "palmos", codec_kind::unsupported, nullptr},
    {"ptcp154", "ptcp154", codec_kind::charmap, "PT154"},
    {"punycode", "punycode", codec_kind::unsupported, nullptr},
    {"quopri_codec", "quopri", codec_kind::not_text, nullptr},
    {"raw_unicode_escape", "raw-unicode-escape", codec_kind::unsupported, nullptr},
    {"rot_13", "rot-13", codec_kind::not_text, nullptr},
    {"shift_jis", "shift_jis", codec_kind::multibyte, "SHIFT_JIS"},
    {"shift_jis_2004", "shift_jis_2004", codec_kind::unsupported, nullptr},
    {"shift_jisx0213", "shift_jisx0213", codec_kind::unsupported, nullptr},
    {"tis_620", "tis-620", codec_kind::charmap, "TIS-620"},
    {"undefined", "undefined", codec_kind::unsupported, nullptr},
    {"unicode_escape", "unicode-escape", codec_kind::unsupported, nullptr},
    {"utf_16", "utf-16", codec_kind::utf16, nullptr},
    {"utf_16_be", "utf-16-be", codec_kind::utf16_be, nullptr},
    {"utf_16_le", "utf-16-le", codec_kind::utf16_le, nullptr},
    {"utf_32", "utf-32", codec_kind::utf32, nullptr},
    {"utf_32_be", "utf-32-be", codec_kind::utf32_be, nullptr},
    {"utf_32_le", "utf-32-le", codec_kind::utf32_le, nullptr},
    {"utf_7", "utf-7", codec_kind::unsupported, nullptr},
    {"utf_8", "utf-8", codec_kind::utf8, nullptr},
    {"utf_8_sig", "utf-8-sig", codec_kind::utf8_sig, nullptr},
    {"uu_codec", "uu", codec_kind::not_text, nullptr},
    {"zlib_codec", "zlib", codec_kind::not_text, nullptr},
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

// The codec for a text encoding, or the exception TextIOWrapper raises for that name.
const codec_entry& text_codec(std::string_view encoding) {
  if (encoding.find('\0') != std::string_view::npos) throw value_error("embedded null character");
  const codec_entry* entry = search_codec(encoding);
  const codec_kind kind = entry != nullptr ? entry->kind : codec_kind::unsupported;
  if (kind != codec_kind::not_text && kind != codec_kind::unsupported) return *entry;
  const std::string given(encoding);
  if (kind == codec_kind::not_text) {
    throw lookup_error("'" + given +
                       "' is not a text encoding; use codecs.open() to handle arbitrary codecs");
  }
  if (entry == nullptr) throw lookup_error("unknown encoding: " + given);
  throw lookup_error("unknown encoding: " + given + " (pysock does not implement Python's '" +
                     std::string(entry->module) + "' codec)");
}

// ---------------------------------------------------------------------------------------------
// Generalized UTF-8
// ---------------------------------------------------------------------------------------------

unsigned char byte_at(std::string_view data, std::size_t pos) {
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
std::size_t character_length(std::string_view data, std::size_t pos, bool allow_surrogates) {
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
character character_at(std::string_view text, std::size_t pos) {
  const std::size_t length = character_length(text, pos, true);
  if (length == 0) return {};
  const unsigned char lead = byte_at(text, pos);
  char32_t value = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i)
    value = (value << 6) | (byte_at(text, pos + i) & 0x3F);
  return {value, length};
}

// Appends `c` as generalized UTF-8: a surrogate becomes its own 3-byte form.
void append_code_point(std::string& out, char32_t c) {
  const auto put = [&](unsigned value) { out += static_cast<char>(value); };
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
}

std::size_t count_code_points(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation(c); }));
}

[[noreturn]] void raise_invalid_text(std::string_view text, std::size_t pos) {
  char detail[64];
  std::snprintf(detail, sizeof detail, " (byte 0x%02x at offset %zu)", byte_at(text, pos), pos);
  throw value_error(std::string("text to encode is not valid UTF-8") + detail);
}

constexpr std::uint64_t high_bits = 0x8080808080808080u;

std::uint64_t load_word(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// The offset in a word of the first byte (in memory order) whose bit is set in `high`.
std::size_t first_marked_byte(std::uint64_t high) {
  if constexpr (std::endian::native == std::endian::little) {
    return static_cast<std::size_t>(std::countr_zero(high)) / 8;
  } else {
    return static_cast<std::size_t>(std::countl_zero(high)) / 8;
  }
}

// Where the run of ASCII bytes starting at data[pos] ends: 16 and then 8 bytes at a time, since
// most text on the wire is ASCII.
std::size_t ascii_end(std::string_view data, std::size_t pos) {
  const char* p = data.data();
  const std::size_t size = data.size();
  while (size - pos >= 16) {
    if (((load_word(p + pos) | load_word(p + pos + 8)) & high_bits) != 0) break;
    pos += 16;
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
std::size_t valid_utf8_end(std::string_view data, std::size_t pos) {
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

// ---------------------------------------------------------------------------------------------
// Error handlers
// ---------------------------------------------------------------------------------------------

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

handler_kind parse_handler(std::string_view name) {
  static constexpr std::pair<std::string_view, handler_kind> known[] = {
      {"strict", handler_kind::strict},
      {"ignore", handler_kind::ignore},
      {"replace", handler_kind::replace},
      {"backslashreplace", handler_kind::backslashreplace},
      {"surrogateescape", handler_kind::surrogateescape},
      {"surrogatepass", handler_kind::surrogatepass},
      {"xmlcharrefreplace", handler_kind::xmlcharrefreplace},
      {"namereplace", handler_kind::namereplace},
  };
  for (const auto& [known_name, kind] : known) {
    if (known_name == name) return kind;
  }
  return handler_kind::unknown;
}

// PyCodec_LookupError's failure for `name`.
[[noreturn]] void raise_unknown_handler(std::string_view name) {
  if (name.find('\0') != std::string_view::npos) throw value_error("embedded null character");
  throw lookup_error("unknown error handler name '" + std::string(name) + "'");
}

// How the surrogatepass handler writes a lone surrogate for a codec (CPython decides by the
// codec's name, get_standard_encoding).
enum class surrogate_form : std::uint8_t { none, utf8, utf16_le, utf16_be, utf32_le, utf32_be };

std::size_t unit_size(surrogate_form form) {
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

bool is_big_endian(surrogate_form form) {
  return form == surrogate_form::utf16_be || form == surrogate_form::utf32_be;
}

// The code unit of a UTF-16 or UTF-32 form at data[pos] (which must hold a whole unit).
char32_t read_unit(surrogate_form form, std::string_view data, std::size_t pos) {
  const std::size_t size = unit_size(form);
  char32_t value = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t significance = is_big_endian(form) ? size - 1 - i : i;
    value |= static_cast<char32_t>(byte_at(data, pos + i)) << (8 * significance);
  }
  return value;
}

void append_unit(surrogate_form form, char32_t value, std::string& out) {
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

[[noreturn]] void raise_encode_error(const codec_traits& codec, std::string_view text,
                                     const encode_error& error) {
  const std::size_t start = count_code_points(text.substr(0, error.start));
  const std::size_t end =
      start + count_code_points(text.substr(error.start, error.end - error.start));
  throw unicode_encode_error(std::string(codec.error_name), std::string(text), start, end,
                             error.reason);
}

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

[[noreturn]] void raise_decode_error(const codec_traits& codec, std::string_view object,
                                     const decode_error& error) {
  throw unicode_decode_error(std::string(codec.error_name), std::string(object), error.start,
                             error.end, error.reason);
}

std::size_t error_policy::recover(const codec_traits& codec, std::string_view object,
                                  const decode_error& error, std::string& out) const {
  switch (kind_) {
    case handler_kind::strict:
      raise_decode_error(codec, object, error);
    case handler_kind::ignore:
      return error.end;
    case handler_kind::replace:
      out += "\xEF\xBF\xBD";
      return error.end;
    case handler_kind::backslashreplace:
      for (std::size_t pos = error.start; pos < error.end; ++pos) {
        char escape[8];
        std::snprintf(escape, sizeof escape, "\\x%02x", byte_at(object, pos));
        out += escape;
      }
      return error.end;
    case handler_kind::surrogateescape: {
      // CPython escapes bytes 0x80..0xFF as U+DC80..U+DCFF, at most 4 per call, up to the first
      // ASCII byte (which has no escape); decoding resumes after what it escaped.
      std::size_t pos = error.start;
      for (; pos < error.end && pos - error.start < 4 && byte_at(object, pos) >= 0x80; ++pos) {
        append_code_point(out, 0xDC00 + byte_at(object, pos));
      }
      if (pos == error.start) raise_decode_error(codec, object, error);
      return pos;
    }
    case handler_kind::surrogatepass: {
      // Decodes one surrogate in the codec's own form, if that is what the bytes hold.
      const std::size_t length =
          codec.surrogates == surrogate_form::utf8 ? 3 : unit_size(codec.surrogates);
      if (codec.surrogates == surrogate_form::none || object.size() - error.start < length) {
        raise_decode_error(codec, object, error);
      }
      const char32_t unit = codec.surrogates == surrogate_form::utf8
                                ? character_at(object, error.start).code_point
                                : read_unit(codec.surrogates, object, error.start);
      if (!is_surrogate(unit)) raise_decode_error(codec, object, error);
      append_code_point(out, unit);
      return error.start + length;
    }
    case handler_kind::xmlcharrefreplace:
    case handler_kind::namereplace:
      throw type_error("don't know how to handle UnicodeDecodeError in error callback");
    case handler_kind::unknown:
      break;
  }
  raise_unknown_handler(name_);
}

replacement error_policy::replace(const codec_traits& codec, std::string_view text,
                                  const encode_error& error) const {
  replacement result{{}, false, error.end};
  const auto each_character = [&](auto&& visit) {
    for (std::size_t pos = error.start; pos < error.end;) {
      const character c = character_at(text, pos);
      visit(c.code_point, pos);
      pos += c.length;
    }
  };
  switch (kind_) {
    case handler_kind::strict:
      raise_encode_error(codec, text, error);
    case handler_kind::ignore:
      return result;
    case handler_kind::replace:
      each_character([&](char32_t, std::size_t) { result.value += '?'; });
      return result;
    case handler_kind::backslashreplace:
      each_character([&](char32_t c, std::size_t) {
        char escape[16];
        const char* format = c < 0x100 ? "\\x%02x" : c < 0x10000 ? "\\u%04x" : "\\U%08x";
        std::snprintf(escape, sizeof escape, format, static_cast<unsigned>(c));
        result.value += escape;
      });
      return result;
    case handler_kind::xmlcharrefreplace:
      each_character([&](char32_t c, std::size_t) {
        result.value += "&#" + std::to_string(static_cast<std::uint32_t>(c)) + ";";
      });
      return result;
    case handler_kind::surrogateescape: {
      result.is_bytes = true;
      std::optional<std::size_t> first_unescapable;
      each_character([&](char32_t c, std::size_t pos) {
        if (first_unescapable) return;
        if (c >= 0xDC80 && c <= 0xDCFF) {
          result.value += static_cast<char>(c - 0xDC00);
        } else {
          first_unescapable = pos;
        }
      });
      if (!first_unescapable) return result;
      if (!codec.escapes_prefix || result.value.empty()) raise_encode_error(codec, text, error);
      result.resume = *first_unescapable;  // the codec meets the rest of the run again
      return result;
    }
    case handler_kind::surrogatepass:
      result.is_bytes = true;
      each_character([&](char32_t c, std::size_t) {
        if (codec.surrogates == surrogate_form::none || !is_surrogate(c)) {
          raise_encode_error(codec, text, error);
        }
        if (codec.surrogates == surrogate_form::utf8) {
          append_code_point(result.value, c);
        } else {
          append_unit(codec.surrogates, c, result.value);
        }
      });
      return result;
    case handler_kind::namereplace:
      throw lookup_error(
          "pysock does not support the 'namereplace' error handler: it has no Unicode character "
          "name database");
    case handler_kind::unknown:
      break;
  }
  raise_unknown_handler(name_);
}

// ---------------------------------------------------------------------------------------------
// iconv
// ---------------------------------------------------------------------------------------------

// An iconv descriptor, owned.
class iconv_descriptor {
 public:
  // Throws lookup_error naming `encoding` when this system's iconv lacks the conversion.
  iconv_descriptor(const char* to, const char* from, std::string_view encoding)
      : cd_(::iconv_open(to, from)) {
    if (cd_ == reinterpret_cast<iconv_t>(-1)) {
      throw lookup_error("unknown encoding: " + std::string(encoding) +
                         " (this system's iconv cannot convert " + from + " to " + to + ")");
    }
  }
  ~iconv_descriptor() { ::iconv_close(cd_); }
  iconv_descriptor(const iconv_descriptor&) = delete;
  iconv_descriptor& operator=(const iconv_descriptor&) = delete;

  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

// glibc loads the module behind a conversion in iconv_open and unloads it when the last
// descriptor using it closes. Keeping one descriptor per conversion open until exit loads each
// module once, instead of a dlopen and a dlclose (under the dynamic loader's global lock) for
// every stream that uses the codec. (ThreadSanitizer, which cannot see that lock, also reported
// those unloads as races.)
void keep_module_loaded(const char* to, const char* from, std::string_view encoding) {
  struct anchor {
    anchor(const char* to_name, const char* from_name, std::string_view encoding_name)
        : to(to_name), from(from_name), descriptor(to_name, from_name, encoding_name) {}
    std::string to, from;
    iconv_descriptor descriptor;
  };
  static std::mutex mutex;
  static std::list<anchor> anchors;
  const std::lock_guard lock(mutex);
  for (const anchor& a : anchors) {
    if (a.to == to && a.from == from) return;
  }
  anchors.emplace_back(to, from, encoding);
}

// An iconv conversion, converting into std::string.
class iconv_converter {
 public:
  enum class stop { done, invalid, incomplete };

  iconv_converter(const char* to, const char* from, std::string_view encoding)
      : descriptor_(to, from, encoding) {
    keep_module_loaded(to, from, encoding);
  }

  // Converts in[pos..], appending to `out`, until the input ends (done) or iconv stops at an
  // invalid or incomplete sequence; `pos` moves past what was converted. `growth` bounds the
  // output bytes per input byte, so one iconv call usually does the whole input.
  stop convert(std::string_view in, std::size_t& pos, std::string& out, std::size_t growth) {
    while (pos < in.size()) {
      const std::size_t room = std::min<std::size_t>((in.size() - pos) * growth, 1 << 16) + 16;
      const std::size_t old_size = out.size();
      out.resize(old_size + room);
      char* source = const_cast<char*>(in.data() + pos);  // iconv's signature is not const-correct
      std::size_t source_left = in.size() - pos;
      char* target = out.data() + old_size;
      std::size_t target_left = room;
      const std::size_t result =
          ::iconv(descriptor_.get(), &source, &source_left, &target, &target_left);
      const int error = errno;
      pos = in.size() - source_left;
      out.resize(old_size + room - target_left);
      if (result != static_cast<std::size_t>(-1)) return stop::done;
      if (error == EILSEQ) return stop::invalid;
      if (error == EINVAL) return stop::incomplete;
      if (error != E2BIG) raise_os_error(error, "iconv");
    }
    return stop::done;
  }

  // Appends what returns a stateful encoding (ISO-2022-JP) to its initial state.
  void flush(std::string& out) {
    char buffer[32];
    char* target = buffer;
    std::size_t target_left = sizeof buffer;
    ::iconv(descriptor_.get(), nullptr, nullptr, &target, &target_left);
    out.append(buffer, static_cast<std::size_t>(target - buffer));
  }

  void reset() { ::iconv(descriptor_.get(), nullptr, nullptr, nullptr, nullptr); }

 private:
  iconv_descriptor descriptor_;
};

// How an iconv conversion stopped, turned into CPython's error for that codec; nullopt means the
// bytes may still become a character and are held back (only when not final).
using decode_classifier = std::optional<decode_error> (*)(surrogate_form form,
                                                          std::string_view object, std::size_t pos,
                                                          bool incomplete, bool final);

// CPython's UTF-16 decoder (PyUnicode_DecodeUTF16Stateful).
std::optional<decode_error> classify_utf16(surrogate_form form, std::string_view object,
                                           std::size_t pos, bool, bool final) {
  const std::size_t left = object.size() - pos;
  if (left < 2) {
    if (!final) return std::nullopt;
    return decode_error{pos, object.size(), "truncated data"};
  }
  const char32_t unit = read_unit(form, object, pos);
  if (unit >= 0xD800 && unit <= 0xDBFF) {
    if (left >= 4) return decode_error{pos, pos + 2, "illegal UTF-16 surrogate"};
    if (!final) return std::nullopt;
    return decode_error{pos, object.size(), "unexpected end of data"};
  }
  return decode_error{pos, pos + 2, "illegal encoding"};
}

// CPython's UTF-32 decoder (PyUnicode_DecodeUTF32Stateful).
std::optional<decode_error> classify_utf32(surrogate_form form, std::string_view object,
                                           std::size_t pos, bool, bool final) {
  if (object.size() - pos < 4) {
    if (!final) return std::nullopt;
    return decode_error{pos, object.size(), "truncated data"};
  }
  if (read_unit(form, object, pos) > 0x10FFFF) {
    return decode_error{pos, pos + 4, "code point not in range(0x110000)"};
  }
  return decode_error{pos, pos + 4, "code point in surrogate code point range(0xd800, 0xe000)"};
}

// CPython's charmap_decode: one undefined byte at a time.
std::optional<decode_error> classify_charmap(surrogate_form, std::string_view, std::size_t pos,
                                             bool, bool) {
  return decode_error{pos, pos + 1, "character maps to <undefined>"};
}

// CPython's CJK codecs (multibytecodec.c). An illegal sequence is reported as its first byte.
std::optional<decode_error> classify_multibyte(surrogate_form, std::string_view object,
                                               std::size_t pos, bool incomplete, bool final) {
  if (!incomplete) return decode_error{pos, pos + 1, "illegal multibyte sequence"};
  if (!final) return std::nullopt;
  return decode_error{pos, object.size(), "incomplete multibyte sequence"};
}

// CPython's EUC, GB, Big5 and UHC decoders read any byte 0x80..0xFF as the start of a sequence,
// so such a byte that ends the input is incomplete (held back until final), never illegal.
std::optional<decode_error> classify_multibyte_euc(surrogate_form form, std::string_view object,
                                                   std::size_t pos, bool incomplete, bool final) {
  const bool lone_last_byte = pos + 1 == object.size() && byte_at(object, pos) >= 0x80;
  return classify_multibyte(form, object, pos, incomplete || lone_last_byte, final);
}

// glibc's SHIFT_JIS reads bytes 0x5C and 0x7E as JIS X 0201 Roman (YEN SIGN, OVERLINE); CPython
// reads them as ASCII. No double-byte character decodes to either sign, so they are put back.
void restore_ascii_in_jis_roman(std::string& out, std::size_t from) {
  static constexpr std::string_view yen = "\xC2\xA5", overline = "\xE2\x80\xBE";
  std::size_t write = from;
  for (std::size_t read = from; read < out.size();) {
    const std::string_view rest = std::string_view(out).substr(read);
    if (rest.starts_with(yen)) {
      out[write++] = '\\';
      read += yen.size();
    } else if (rest.starts_with(overline)) {
      out[write++] = '~';
      read += overline.size();
    } else {
      out[write++] = out[read++];
    }
  }
  out.resize(write);
}

// Everything pysock knows about a codec it converts with iconv.
struct iconv_codec {
  const char* iconv_name;
  codec_traits traits;
  decode_classifier classify;
  const char* encode_reason;
  bool collects_runs = false;  // an encoding error covers a run of unencodable characters
  bool jis_roman = false;      // restore_ascii_in_jis_roman applies
  // Bytes glibc decodes but CPython's codec rejects wherever they stand (EUC-JP's C1 controls,
  // which are never part of a valid EUC-JP sequence either); {0, 0} when there are none.
  byte_range rejected{0, 0};
  std::size_t decode_growth = 1, encode_growth = 1;  // output bytes per input byte (usually)
};

// UTF-16 or UTF-32 in one byte order.
iconv_codec unicode_iconv_codec(codec_kind kind) {
  struct variant {
    codec_kind kind;
    const char* iconv_name;
    std::string_view name;
    surrogate_form form;
  };
  static constexpr variant variants[] = {
      {codec_kind::utf16_le, "UTF-16LE", "utf-16-le", surrogate_form::utf16_le},
      {codec_kind::utf16_be, "UTF-16BE", "utf-16-be", surrogate_form::utf16_be},
      {codec_kind::utf32_le, "UTF-32LE", "utf-32-le", surrogate_form::utf32_le},
      {codec_kind::utf32_be, "UTF-32BE", "utf-32-be", surrogate_form::utf32_be},
  };
  const variant& v =
      *std::find_if(std::begin(variants), std::end(variants),
                    [&](const variant& candidate) { return candidate.kind == kind; });
  const bool utf16 = unit_size(v.form) == 2;
  return {.iconv_name = v.iconv_name,
          .traits = {v.name, v.form},
          .classify = utf16 ? classify_utf16 : classify_utf32,
          .encode_reason = "surrogates not allowed",
          .decode_growth = utf16 ? 2u : 1u,
          .encode_growth = utf16 ? 2u : 4u};
}

// A charmap or CJK codec.
iconv_codec table_iconv_codec(const codec_entry& entry) {
  if (entry.kind == codec_kind::charmap) {
    return {.iconv_name = entry.iconv_name,
            .traits = {"charmap"},
            .classify = classify_charmap,
            .encode_reason = "character maps to <undefined>",
            .collects_runs = true,
            .decode_growth = 3,
            .encode_growth = 1};
  }
  const bool euc = entry.kind == codec_kind::multibyte_euc;
  return {.iconv_name = entry.iconv_name,
          .traits = {entry.module},
          .classify = euc ? classify_multibyte_euc : classify_multibyte,
          .encode_reason = "illegal multibyte sequence",
          .jis_roman = entry.module == "shift_jis",
          .rejected = entry.module == "euc_jp" ? byte_range{0x80, 0x8D} : byte_range{0, 0},
          .decode_growth = 3,
          .encode_growth = 2};
}

// ---------------------------------------------------------------------------------------------
// Decoders
// ---------------------------------------------------------------------------------------------

// A codec's decoding routine: decodes object[pos..], appending to `out`, and returns where it
// stopped (the end, or the start of bytes held back because more input may complete them).
// Error positions are offsets into `object`.
using decode_function = std::size_t (*)(std::string_view object, std::size_t pos, std::string& out,
                                        bool final, const error_policy& errors);

constexpr codec_traits utf8_traits{"utf-8", surrogate_form::utf8, true};
constexpr codec_traits ascii_traits{"ascii", surrogate_form::none, true};
constexpr codec_traits latin1_traits{"latin-1", surrogate_form::none, true};

// Why the bytes at object[pos] are not a valid character, as CPython's UTF-8 decoder reports it
// (the maximal valid prefix is one error).
struct utf8_problem {
  std::size_t length;
  const char* reason;
  bool truncated;  // a valid prefix cut off by the end of the input
};

utf8_problem diagnose_utf8(std::string_view object, std::size_t pos) {
  const unsigned char lead = byte_at(object, pos);
  if (lead < 0xC2 || lead > 0xF4) return {1, "invalid start byte", false};
  const std::size_t length = sequence_length_for_lead(lead);
  const byte_range second = second_byte_range(lead, false);
  for (std::size_t i = 1; i < length; ++i) {
    if (pos + i == object.size()) return {i, "unexpected end of data", true};
    const unsigned char next = byte_at(object, pos + i);
    const bool fits = i == 1 ? next >= second.low && next <= second.high : is_continuation(next);
    if (!fits) return {i, "invalid continuation byte", false};
  }
  return {length, "invalid start byte", false};  // not reached: the character is valid
}

std::size_t decode_utf8(std::string_view object, std::size_t pos, std::string& out, bool final,
                        const error_policy& errors) {
  while (pos < object.size()) {
    const std::size_t valid_end = valid_utf8_end(object, pos);
    out.append(object.data() + pos, valid_end - pos);
    pos = valid_end;
    if (pos == object.size()) break;
    const utf8_problem problem = diagnose_utf8(object, pos);
    // CPython also holds back an encoded surrogate's first two bytes (ED A0..ED BF), so that
    // surrogatepass sees all three when the third arrives.
    const bool surrogate_start = object.size() - pos == 2 && byte_at(object, pos) == 0xED &&
                                 byte_at(object, pos + 1) >= 0xA0 &&
                                 byte_at(object, pos + 1) <= 0xBF;
    if (!final && (problem.truncated || surrogate_start)) break;
    pos = errors.recover(utf8_traits, object, {pos, pos + problem.length, problem.reason}, out);
  }
  return pos;
}

std::size_t decode_ascii(std::string_view object, std::size_t pos, std::string& out, bool,
                         const error_policy& errors) {
  while (pos < object.size()) {
    const std::size_t end = ascii_end(object, pos);
    out.append(object.data() + pos, end - pos);
    pos = end;
    if (pos == object.size()) break;
    pos = errors.recover(ascii_traits, object, {pos, pos + 1, "ordinal not in range(128)"}, out);
  }
  return pos;
}

std::size_t decode_latin1(std::string_view object, std::size_t pos, std::string& out, bool,
                          const error_policy&) {
  while (pos < object.size()) {
    const std::size_t end = ascii_end(object, pos);
    out.append(object.data() + pos, end - pos);
    for (pos = end; pos < object.size() && byte_at(object, pos) >= 0x80; ++pos) {
      append_code_point(out, byte_at(object, pos));
    }
  }
  return pos;
}

// An iconv conversion to UTF-8 with its codec's error rules.
class iconv_decoding {
 public:
  iconv_decoding(const iconv_codec& codec, std::string_view encoding)
      : codec_(codec), converter_("UTF-8", codec.iconv_name, encoding) {}

  // Decodes as a decode_function does, with iconv.
  std::size_t decode(std::string_view object, std::size_t pos, std::string& out, bool final,
                     const error_policy& errors) {
    while (pos < object.size()) {
      const std::size_t mark = out.size();
      // iconv never sees a rejected byte: the conversion stops in front of it.
      const std::size_t limit = first_rejected(object, pos);
      const auto stop = converter_.convert(object.substr(0, limit), pos, out, codec_.decode_growth);
      if (codec_.jis_roman) restore_ascii_in_jis_roman(out, mark);
      if (pos == object.size()) break;
      // A sequence cut short by a rejected byte is illegal, not incomplete.
      const bool incomplete = stop == iconv_converter::stop::incomplete && limit == object.size();
      const std::optional<decode_error> error =
          codec_.classify(codec_.traits.surrogates, object, pos, incomplete, final);
      if (!error) break;
      pos = errors.recover(codec_.traits, object, *error, out);
    }
    return pos;
  }

  void reset() { converter_.reset(); }

 private:
  std::size_t first_rejected(std::string_view object, std::size_t pos) const {
    const byte_range rejected = codec_.rejected;
    if (rejected.high == 0) return object.size();
    for (; pos < object.size(); ++pos) {
      const unsigned char byte = byte_at(object, pos);
      if (byte >= rejected.low && byte <= rejected.high) return pos;
    }
    return object.size();
  }

  iconv_codec codec_;
  iconv_converter converter_;
};

// CPython's codecs.BufferedIncrementalDecoder: the bytes a call does not consume are put in
// front of the next call's input.
class buffered_decoder : public incremental_decoder {
 public:
  buffered_decoder(const codec_entry& codec, std::string_view errors)
      : incremental_decoder(codec.name, errors), policy_(errors) {}

  void reset() override {
    pending_.clear();
    reset_codec();
  }
  decoder_state getstate() const override { return {pending_, codec_flags()}; }
  void setstate(const decoder_state& state) override {
    pending_ = state.buffered;
    set_codec_flags(state.flags);
  }

 protected:
  // Decodes `data` (held-back bytes plus new input); returns how many bytes it consumed.
  virtual std::size_t decode_buffer(std::string_view data, std::string& out, bool final) = 0;
  virtual void reset_codec() {}
  virtual std::uint64_t codec_flags() const { return 0; }
  virtual void set_codec_flags(std::uint64_t) { reset_codec(); }

  const error_policy& policy() const { return policy_; }
  void forget_pending() { pending_.clear(); }

 private:
  void do_decode(std::string_view input, std::string& out, bool final) final {
    std::string_view data = input;
    if (!pending_.empty()) {
      joined_.assign(pending_).append(input);
      data = joined_;
    }
    const std::size_t consumed = decode_buffer(data, out, final);
    pending_.assign(data.substr(consumed));  // only once decoding succeeded, as in CPython
  }

  error_policy policy_;
  std::string pending_;
  std::string joined_;
};

// utf-8, ascii and latin-1: a decode_function and nothing else.
class function_decoder final : public buffered_decoder {
 public:
  function_decoder(const codec_entry& codec, std::string_view errors, decode_function routine)
      : buffered_decoder(codec, errors), routine_(routine) {}

 private:
  std::size_t decode_buffer(std::string_view data, std::string& out, bool final) override {
    return routine_(data, 0, out, final, policy());
  }

  decode_function routine_;
};

// encodings.utf_8_sig.IncrementalDecoder: strips one BOM at the very start. While fewer than 3
// bytes have arrived and they could still be a BOM, nothing is decoded, even at `final` (a
// CPython quirk kept for parity). After a BOM, errors are positioned in the bytes after it.
class utf8_sig_decoder final : public buffered_decoder {
 public:
  using buffered_decoder::buffered_decoder;

 private:
  static constexpr std::string_view bom = "\xEF\xBB\xBF";

  std::size_t decode_buffer(std::string_view data, std::string& out, bool final) override {
    if (first_) {
      if (data.size() < bom.size() && bom.starts_with(data)) return 0;
      first_ = false;
      if (data.starts_with(bom)) {
        return bom.size() + decode_utf8(data.substr(bom.size()), 0, out, final, policy());
      }
    }
    return decode_utf8(data, 0, out, final, policy());
  }
  void reset_codec() override { first_ = true; }
  std::uint64_t codec_flags() const override { return first_ ? 1 : 0; }
  void set_codec_flags(std::uint64_t flags) override { first_ = flags != 0; }

  bool first_ = true;
};

// Any codec that converts with iconv and has no BOM.
class iconv_decoder : public buffered_decoder {
 public:
  iconv_decoder(const codec_entry& codec, std::string_view errors, std::string_view encoding,
                const iconv_codec& conversion)
      : buffered_decoder(codec, errors), decoding_(conversion, encoding) {}

 protected:
  std::size_t decode_buffer(std::string_view data, std::string& out, bool final) override {
    return decoding_.decode(data, 0, out, final, policy());
  }
  void reset_codec() override { decoding_.reset(); }

  iconv_decoding decoding_;
};

// CPython's MultibyteIncrementalDecoder (the CJK codecs) takes the held-back bytes out before it
// decodes, so an error while decoding loses them; only the error for an incomplete sequence at
// `final` leaves them where they were.
class multibyte_decoder final : public iconv_decoder {
 public:
  using iconv_decoder::iconv_decoder;

 private:
  std::size_t decode_buffer(std::string_view data, std::string& out, bool final) override {
    std::size_t consumed = 0;
    try {
      consumed = decoding_.decode(data, 0, out, false, policy());
    } catch (...) {
      forget_pending();
      throw;
    }
    if (final && consumed < data.size()) {
      consumed = decoding_.decode(data, consumed, out, true, policy());
    }
    return consumed;
  }
};

// encodings.utf_16/utf_32.IncrementalDecoder: a BOM at the start picks the byte order and is
// dropped; until one has been seen, input is decoded little-endian and, once a whole code unit
// has been consumed without a BOM, CPython raises "Stream does not start with BOM".
class bom_decoder final : public buffered_decoder {
 public:
  bom_decoder(const codec_entry& codec, std::string_view errors, std::string_view encoding,
              codec_kind little, codec_kind big)
      : buffered_decoder(codec, errors),
        name_(codec.name),
        unit_(little == codec_kind::utf16_le ? 2 : 4),
        little_(unicode_iconv_codec(little), encoding),
        big_(unicode_iconv_codec(big), encoding) {}

 private:
  enum class byte_order : std::uint8_t { little, big };

  std::size_t decode_buffer(std::string_view data, std::string& out, bool final) override {
    if (order_) return decoding(*order_).decode(data, 0, out, final, policy());
    const std::optional<byte_order> bom = read_bom(data);
    const std::size_t consumed = decoding(bom.value_or(byte_order::little))
                                     .decode(data, bom ? unit_ : 0, out, final, policy());
    if (bom) {
      order_ = bom;
    } else if (consumed >= unit_) {
      throw unicode_decode_error(std::string(name_), std::string(data), 0, unit_,
                                 "Stream does not start with BOM");
    }
    return consumed;
  }

  std::optional<byte_order> read_bom(std::string_view data) const {
    const std::string_view little_bom =
        unit_ == 2 ? std::string_view("\xFF\xFE", 2) : std::string_view("\xFF\xFE\0\0", 4);
    const std::string_view big_bom =
        unit_ == 2 ? std::string_view("\xFE\xFF", 2) : std::string_view("\0\0\xFE\xFF", 4);
    if (data.starts_with(little_bom)) return byte_order::little;
    if (data.starts_with(big_bom)) return byte_order::big;
    return std::nullopt;
  }

  iconv_decoding& decoding(byte_order order) {
    return order == byte_order::little ? little_ : big_;
  }

  void reset_codec() override {
    order_.reset();
    little_.reset();
    big_.reset();
  }
  std::uint64_t codec_flags() const override {
    if (!order_) return 2;
    return *order_ == byte_order::little ? 0 : 1;
  }
  void set_codec_flags(std::uint64_t flags) override {
    reset_codec();
    if (flags == 0) order_ = byte_order::little;
    if (flags == 1) order_ = byte_order::big;
  }

  std::string_view name_;
  std::size_t unit_;
  iconv_decoding little_, big_;
  std::optional<byte_order> order_;
};

// ---------------------------------------------------------------------------------------------
// Encoders
// ---------------------------------------------------------------------------------------------

// The byte order mark an encoder writes at the start of its output.
struct bom_rule {
  std::string_view bytes;         // empty: the codec writes none
  std::uint64_t pending_state;    // what getstate() says while the BOM is still to be written
  std::string_view first_name;    // CPython's utf_16/utf_32 first call reports errors as "utf-16"
  bool dropped_on_error = false;  // utf-8-sig clears its flag before encoding, utf-16/32 after
};

// What every encoder shares: the error handler and the BOM.
class encoder_base : public incremental_encoder {
 public:
  encoder_base(const codec_entry& codec, std::string_view errors, const codec_traits& traits,
               const bom_rule& bom)
      : incremental_encoder(codec.name, errors),
        policy_(errors),
        traits_(traits),
        bom_(bom),
        bom_pending_(!bom.bytes.empty()) {}

  void reset() override {
    bom_pending_ = !bom_.bytes.empty();
    reset_codec();
  }
  std::uint64_t getstate() const override { return bom_pending_ ? bom_.pending_state : 0; }
  void setstate(std::uint64_t state) override { bom_pending_ = state != 0 && !bom_.bytes.empty(); }

 protected:
  // Encodes `text`, reporting errors with `traits`.
  virtual void encode_text(std::string_view text, std::string& out, bool final,
                           const codec_traits& traits) = 0;
  // Encodes an error handler's ASCII replacement; false (and nothing written) when it cannot.
  virtual bool encode_ascii(std::string_view ascii, std::string& out) {
    out += ascii;
    return true;
  }
  virtual void reset_codec() {}

  // Handles text[error.start, error.end) with the error handler and writes the replacement;
  // returns the byte offset where encoding resumes. A replacement the codec cannot write (bytes
  // that are not whole code units, text it cannot encode) raises the original error, as in
  // CPython.
  std::size_t recover(const codec_traits& traits, std::string_view text, const encode_error& error,
                      std::string& out) {
    const replacement r = policy_.replace(traits, text, error);
    if (r.is_bytes) {
      if (r.value.size() % unit_size(traits.surrogates) != 0) {
        raise_encode_error(traits, text, error);
      }
      out += r.value;
    } else if (!encode_ascii(r.value, out)) {
      raise_encode_error(traits, text, error);
    }
    return r.resume;
  }

 private:
  void do_encode(std::string_view text, std::string& out, bool final) final {
    if (!bom_pending_) {
      encode_text(text, out, final, traits_);
      return;
    }
    if (bom_.dropped_on_error) bom_pending_ = false;
    codec_traits first_traits = traits_;
    if (!bom_.first_name.empty()) first_traits.error_name = bom_.first_name;
    out += bom_.bytes;
    encode_text(text, out, final, first_traits);
    bom_pending_ = false;
  }

  error_policy policy_;
  codec_traits traits_;
  bom_rule bom_;
  bool bom_pending_;
};

// utf-8 and utf-8-sig: valid text is copied; runs of lone surrogates are errors.
class utf8_encoder final : public encoder_base {
 public:
  using encoder_base::encoder_base;

 private:
  void encode_text(std::string_view text, std::string& out, bool,
                   const codec_traits& traits) override {
    for (std::size_t pos = 0; pos < text.size();) {
      const std::size_t valid_end = valid_utf8_end(text, pos);
      out.append(text.data() + pos, valid_end - pos);
      if (valid_end == text.size()) break;
      std::size_t end = valid_end;
      while (end < text.size() && is_surrogate(character_at(text, end).code_point)) {
        end += 3;
      }
      if (end == valid_end) raise_invalid_text(text, valid_end);
      pos = recover(traits, text, {valid_end, end, "surrogates not allowed"}, out);
    }
  }
};

// ascii and latin-1 (CPython's unicode_encode_ucs1): a run of characters at or above `limit` is
// one error.
class ucs1_encoder final : public encoder_base {
 public:
  ucs1_encoder(const codec_entry& codec, std::string_view errors, const codec_traits& traits,
               char32_t limit)
      : encoder_base(codec, errors, traits, {}), limit_(limit) {}

 private:
  void encode_text(std::string_view text, std::string& out, bool,
                   const codec_traits& traits) override {
    for (std::size_t pos = 0; pos < text.size();) {
      const std::size_t ascii = ascii_end(text, pos);
      out.append(text.data() + pos, ascii - pos);
      pos = ascii;
      if (pos == text.size()) break;
      const character c = checked_character(text, pos);
      if (c.code_point < limit_) {
        out += static_cast<char>(c.code_point);
        pos += c.length;
        continue;
      }
      std::size_t end = pos + c.length;
      while (end < text.size()) {
        const character next = checked_character(text, end);
        if (next.code_point < limit_) break;
        end += next.length;
      }
      pos = recover(traits, text, {pos, end, reason()}, out);
    }
  }

  static character checked_character(std::string_view text, std::size_t pos) {
    const character c = character_at(text, pos);
    if (c.length == 0) raise_invalid_text(text, pos);
    return c;
  }

  const char* reason() const {
    return limit_ == 0x80 ? "ordinal not in range(128)" : "ordinal not in range(256)";
  }

  char32_t limit_;
};

// Any codec that converts with iconv.
class iconv_encoder final : public encoder_base {
 public:
  iconv_encoder(const codec_entry& codec, std::string_view errors, std::string_view encoding,
                const iconv_codec& conversion, const bom_rule& bom = {})
      : encoder_base(codec, errors, conversion.traits, bom),
        codec_(conversion),
        converter_(conversion.iconv_name, "UTF-8", encoding) {}

 private:
  void encode_text(std::string_view text, std::string& out, bool final,
                   const codec_traits& traits) override {
    for (std::size_t pos = 0; pos < text.size();) {
      if (converter_.convert(text, pos, out, codec_.encode_growth) == iconv_converter::stop::done) {
        break;
      }
      // iconv stopped at a character it cannot encode: a lone surrogate (glibc's UTF-8 reader
      // rejects them) or one the target lacks.
      std::size_t end = pos + unencodable_length(text, pos);
      if (codec_.collects_runs) {
        while (end < text.size() && !encodable(text, end)) {
          end += unencodable_length(text, end);
        }
      }
      pos = recover(traits, text, {pos, end, codec_.encode_reason}, out);
    }
    if (final) converter_.flush(out);
  }

  static std::size_t unencodable_length(std::string_view text, std::size_t pos) {
    const std::size_t length = character_at(text, pos).length;
    if (length == 0) raise_invalid_text(text, pos);
    return length;
  }

  // Whether the character at text[pos] converts (a probe into scratch space; only used for the
  // stateless charmap codecs).
  bool encodable(std::string_view text, std::size_t pos) {
    const std::size_t length = unencodable_length(text, pos);
    std::size_t probe = 0;
    scratch_.clear();
    return converter_.convert(text.substr(pos, length), probe, scratch_, 4) ==
           iconv_converter::stop::done;
  }

  bool encode_ascii(std::string_view ascii, std::string& out) override {
    const std::size_t mark = out.size();
    std::size_t pos = 0;
    if (converter_.convert(ascii, pos, out, codec_.encode_growth) == iconv_converter::stop::done) {
      return true;
    }
    out.resize(mark);
    return false;
  }

  void reset_codec() override { converter_.reset(); }

  iconv_codec codec_;
  iconv_converter converter_;
  std::string scratch_;
};

// encodings.utf_16/utf_32.IncrementalEncoder: a little-endian BOM in the first call (whose errors
// CPython reports as the "utf-16"/"utf-32" codec's), then little-endian code units.
std::unique_ptr<incremental_encoder> make_bom_encoder(const codec_entry& codec,
                                                      std::string_view errors,
                                                      std::string_view encoding,
                                                      codec_kind little) {
  const std::string_view bom = little == codec_kind::utf16_le ? std::string_view("\xFF\xFE", 2)
                                                              : std::string_view("\xFF\xFE\0\0", 4);
  return std::make_unique<iconv_encoder>(codec, errors, encoding, unicode_iconv_codec(little),
                                         bom_rule{bom, 2, codec.name});
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------------------------

codec_info lookup_codec(std::string_view encoding) {
  return {text_codec(encoding).name};
}

void lookup_error_handler(std::string_view errors) {
  if (parse_handler(errors) == handler_kind::unknown) raise_unknown_handler(errors);
}

incremental_decoder::incremental_decoder(std::string_view codec_name, std::string_view errors)
    : codec_name_(codec_name), errors_(errors) {}

void incremental_decoder::decode(std::string_view input, std::string& out, bool final) {
  const std::size_t mark = out.size();
  try {
    do_decode(input, out, final);
  } catch (...) {
    out.resize(mark);
    throw;
  }
}

std::string incremental_decoder::decode(std::string_view input, bool final) {
  std::string out;
  decode(input, out, final);
  return out;
}

incremental_encoder::incremental_encoder(std::string_view codec_name, std::string_view errors)
    : codec_name_(codec_name), errors_(errors) {}

void incremental_encoder::encode(std::string_view text, std::string& out, bool final) {
  const std::size_t mark = out.size();
  try {
    do_encode(text, out, final);
  } catch (...) {
    out.resize(mark);
    throw;
  }
}

std::string incremental_encoder::encode(std::string_view text, bool final) {
  std::string out;
  encode(text, out, final);
  return out;
}

std::unique_ptr<incremental_decoder> make_incremental_decoder(std::string_view encoding,
                                                              std::string_view errors) {
  const codec_entry& codec = text_codec(encoding);
  switch (codec.kind) {
    case codec_kind::utf8:
      return std::make_unique<function_decoder>(codec, errors, decode_utf8);
    case codec_kind::utf8_sig:
      return std::make_unique<utf8_sig_decoder>(codec, errors);
    case codec_kind::ascii:
      return std::make_unique<function_decoder>(codec, errors, decode_ascii);
    case codec_kind::latin1:
      return std::make_unique<function_decoder>(codec, errors, decode_latin1);
    case codec_kind::utf16:
      return std::make_unique<bom_decoder>(codec, errors, encoding, codec_kind::utf16_le,
                                           codec_kind::utf16_be);
    case codec_kind::utf32:
      return std::make_unique<bom_decoder>(codec, errors, encoding, codec_kind::utf32_le,
                                           codec_kind::utf32_be);
    case codec_kind::utf16_le:
    case codec_kind::utf16_be:
    case codec_kind::utf32_le:
    case codec_kind::utf32_be:
      return std::make_unique<iconv_decoder>(codec, errors, encoding,
                                             unicode_iconv_codec(codec.kind));
    case codec_kind::charmap:
      return std::make_unique<iconv_decoder>(codec, errors, encoding, table_iconv_codec(codec));
    default:
      return std::make_unique<multibyte_decoder>(codec, errors, encoding, table_iconv_codec(codec));
  }
}

std::unique_ptr<incremental_encoder> make_incremental_encoder(std::string_view encoding,
                                                              std::string_view errors) {
  const codec_entry& codec = text_codec(encoding);
  switch (codec.kind) {
    case codec_kind::utf8:
      return std::make_unique<utf8_encoder>(codec, errors, utf8_traits, bom_rule{});
    case codec_kind::utf8_sig:
      return std::make_unique<utf8_encoder>(codec, errors, utf8_traits,
                                            bom_rule{"\xEF\xBB\xBF", 1, {}, true});
    case codec_kind::ascii:
      return std::make_unique<ucs1_encoder>(codec, errors, ascii_traits, 0x80);
    case codec_kind::latin1:
      return std::make_unique<ucs1_encoder>(codec, errors, latin1_traits, 0x100);
    case codec_kind::utf16:
      return make_bom_encoder(codec, errors, encoding, codec_kind::utf16_le);
    case codec_kind::utf32:
      return make_bom_encoder(codec, errors, encoding, codec_kind::utf32_le);
    case codec_kind::utf16_le:
    case codec_kind::utf16_be:
    case codec_kind::utf32_le:
    case codec_kind::utf32_be:
      return std::make_unique<iconv_encoder>(codec, errors, encoding,
                                             unicode_iconv_codec(codec.kind));
    default:
      return std::make_unique<iconv_encoder>(codec, errors, encoding, table_iconv_codec(codec));
  }
}

}  // namespace pysock::io
