// Tests of the codec layer (pysock/io/codec.hpp) against CPython 3.13's codecs.
//
// The reviewed cases below were produced by CPython 3.13 (codecs.getincrementaldecoder/encoder,
// one call with final=True) and checked by hand. CodecDifferential runs the reference CPython at
// test time on a few thousand random cases and compares every result, error message and state;
// under 3.11 or 3.12 the reference emulates 3.13 where its codecs differ (gh-112812, the
// conformance reference's tests/conformance/cpython313.py).
#include "pysock/io/codec.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <thread>

#include "io/codec/registry.hpp"
#include "pysock/error.hpp"
#include "support/helpers.hpp"

namespace {

using namespace std::string_literals;
using pysock::lookup_error;
using pysock::unicode_decode_error;
using pysock::unicode_encode_error;
using pysock::value_error;
using pysock::io::decoder_state;
using pysock::io::lookup_codec;
using pysock::io::make_incremental_decoder;
using pysock::io::make_incremental_encoder;

// Python's name for the exception a codec call threw, followed by ": " and its message.
std::string describe_current_exception() {
  try {
    throw;
  } catch (const unicode_decode_error& e) {
    return "UnicodeDecodeError: "s + e.what();
  } catch (const unicode_encode_error& e) {
    return "UnicodeEncodeError: "s + e.what();
  } catch (const pysock::unicode_error& e) {
    return "UnicodeError: "s + e.what();
  } catch (const value_error& e) {
    return "ValueError: "s + e.what();
  } catch (const pysock::type_error& e) {
    return "TypeError: "s + e.what();
  } catch (const lookup_error& e) {
    return "LookupError: "s + e.what();
  } catch (const std::exception& e) {
    return "unexpected exception: "s + e.what();
  }
}

// The outcome of a series of decode() or encode() calls, as CPython would see it: the output of
// the calls that returned, and the exception of the one that raised (empty if none).
struct outcome {
  std::string output;
  std::string error;
  friend bool operator==(const outcome&, const outcome&) = default;
};

std::ostream& operator<<(std::ostream& os, const outcome& o) {
  return os << "{output \"" << o.output << "\", error \"" << o.error << "\"}";
}

outcome decode_chunks(std::string_view encoding, std::string_view errors,
                      const std::vector<std::string>& chunks, bool final = true) {
  auto decoder = make_incremental_decoder(encoding, errors);
  outcome result;
  try {
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      decoder->decode(chunks[i], result.output, final && i + 1 == chunks.size());
    }
  } catch (...) {
    result.error = describe_current_exception();
  }
  return result;
}

outcome decode_once(std::string_view encoding, std::string_view errors, const std::string& input) {
  return decode_chunks(encoding, errors, {input});
}

outcome encode_chunks(std::string_view encoding, std::string_view errors,
                      const std::vector<std::string>& chunks, bool final = true) {
  auto encoder = make_incremental_encoder(encoding, errors);
  outcome result;
  try {
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      encoder->encode(chunks[i], result.output, final && i + 1 == chunks.size());
    }
  } catch (...) {
    result.error = describe_current_exception();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Cases reviewed against CPython 3.13
// ---------------------------------------------------------------------------------------------

struct reviewed_case {
  const char* encoding;
  const char* errors;
  std::string input;  // bytes to decode, or UTF-8 text to encode
  std::string output;
  std::string error;  // CPython's exception, empty when the call returns
};

const std::vector<reviewed_case>& reviewed_decoding_cases() {
  static const std::vector<reviewed_case> cases = {
      {"utf-8", "strict", "abc"s, "abc"s, ""},
      {"utf-8", "strict", "\377"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0: invalid start "
       "byte"},
      {"utf-8", "ignore", "\377"s, ""s, ""},
      {"utf-8", "replace", "\377"s, "\357\277\275"s, ""},
      {"utf-8", "backslashreplace", "\377"s, "\\xff"s, ""},
      {"utf-8", "surrogateescape", "\377"s, "\355\263\277"s, ""},
      {"utf-8", "surrogatepass", "\377"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0: invalid start "
       "byte"},
      {"utf-8", "xmlcharrefreplace", "\377"s, ""s,
       "TypeError: don't know how to handle UnicodeDecodeError in error callback"},
      {"utf-8", "bogus", "\377"s, ""s, "LookupError: unknown error handler name 'bogus'"},
      {"utf-8", "bogus", "abc"s, "abc"s, ""},
      {"utf-8", "strict", "\342\202A"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode bytes in position 0-1: invalid continuation "
       "byte"},
      {"utf-8", "replace", "\342\202A"s, "\357\277\275A"s, ""},
      {"utf-8", "strict", "\360\200"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xf0 in position 0: invalid "
       "continuation byte"},
      {"utf-8", "strict", "\360\200\200\200"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xf0 in position 0: invalid "
       "continuation byte"},
      {"utf-8", "replace", "\360\200\200\200"s, "\357\277\275\357\277\275\357\277\275\357\277\275"s,
       ""},
      {"utf-8", "strict", "\355\240\200"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xed in position 0: invalid "
       "continuation byte"},
      {"utf-8", "replace", "\355\240\200"s, "\357\277\275\357\277\275\357\277\275"s, ""},
      {"utf-8", "surrogateescape", "\355\240\200"s, "\355\263\255\355\262\240\355\262\200"s, ""},
      {"utf-8", "surrogatepass", "\355\240\200"s, "\355\240\200"s, ""},
      {"utf-8", "surrogatepass", "\355\240\200\355\260\200"s, "\355\240\200\355\260\200"s, ""},
      {"utf-8", "strict", "\342\202"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode bytes in position 0-1: unexpected end of "
       "data"},
      {"utf-8", "replace", "\342\202"s, "\357\277\275"s, ""},
      {"utf-8", "strict", "\300\257"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc0 in position 0: invalid start "
       "byte"},
      {"utf-8", "replace", "\300\257"s, "\357\277\275\357\277\275"s, ""},
      {"utf-8", "strict", "\340\200\257"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe0 in position 0: invalid "
       "continuation byte"},
      {"utf-8", "replace", "\340\200\257"s, "\357\277\275\357\277\275\357\277\275"s, ""},
      {"utf-8", "strict", "\364\220\200\200"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xf4 in position 0: invalid "
       "continuation byte"},
      {"utf-8", "replace", "\364\220\200\200"s, "\357\277\275\357\277\275\357\277\275\357\277\275"s,
       ""},
      {"utf-8", "replace", "\370\210\200\200\200"s,
       "\357\277\275\357\277\275\357\277\275\357\277\275\357\277\275"s, ""},
      {"utf-8", "strict", "a\360\237\230"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode bytes in position 1-3: unexpected end of "
       "data"},
      {"utf-8", "replace", "a\360\237\230"s, "a\357\277\275"s, ""},
      {"utf-8", "ignore", "\342\202A\377"s, "A"s, ""},
      {"utf-8", "replace", "\342\202A\377"s, "\357\277\275A\357\277\275"s, ""},
      {"utf-8", "backslashreplace", "\342\202A\377"s, "\\xe2\\x82A\\xff"s, ""},
      {"utf-8", "surrogateescape", "\342\202A\377"s, "\355\263\242\355\262\202A\355\263\277"s, ""},
      {"utf-8", "strict", "\200\200\302"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0x80 in position 0: invalid start "
       "byte"},
      {"utf-8", "replace", "\200\200\302"s, "\357\277\275\357\277\275\357\277\275"s, ""},
      {"utf-8", "strict", "caf\303\251 \342\202\254 \360\237\230\200"s,
       "caf\303\251 \342\202\254 \360\237\230\200"s, ""},
      {"utf-8", "strict", "\357\273\277a"s, "\357\273\277a"s, ""},
      {"utf-8-sig", "strict", "\357\273\277a\357\273\277"s, "a\357\273\277"s, ""},
      {"utf-8-sig", "strict", "\357\273\277a\377"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 1: invalid start "
       "byte"},
      {"utf-8-sig", "strict", "\357\273A"s, ""s,
       "UnicodeDecodeError: 'utf-8' codec can't decode bytes in position 0-1: invalid continuation "
       "byte"},
      {"utf-8-sig", "replace", "\357\273A"s, "\357\277\275A"s, ""},
      {"utf-8-sig", "strict", "\357\273"s, ""s, ""},
      {"ascii", "strict", "a\200b\377"s, ""s,
       "UnicodeDecodeError: 'ascii' codec can't decode byte 0x80 in position 1: ordinal not in "
       "range(128)"},
      {"ascii", "ignore", "a\200b\377"s, "ab"s, ""},
      {"ascii", "replace", "a\200b\377"s, "a\357\277\275b\357\277\275"s, ""},
      {"ascii", "backslashreplace", "a\200b\377"s, "a\\x80b\\xff"s, ""},
      {"ascii", "surrogateescape", "a\200b\377"s, "a\355\262\200b\355\263\277"s, ""},
      {"ascii", "surrogatepass", "a\200b\377"s, ""s,
       "UnicodeDecodeError: 'ascii' codec can't decode byte 0x80 in position 1: ordinal not in "
       "range(128)"},
      {"latin-1", "strict", "a\200b\377\000"s, "a\302\200b\303\277\000"s, ""},
      {"utf-16", "strict", "\377\376a\000\351\000"s, "a\303\251"s, ""},
      {"utf-16", "strict", "\376\377\000a\330=\336\000"s, "a\360\237\230\200"s, ""},
      {"utf-16", "strict", "a\000"s, ""s,
       "UnicodeDecodeError: 'utf-16' codec can't decode bytes in position 0-1: Stream does not "
       "start with BOM"},
      {"utf-16", "replace", "a\000"s, ""s,
       "UnicodeDecodeError: 'utf-16' codec can't decode bytes in position 0-1: Stream does not "
       "start with BOM"},
      {"utf-16", "strict", "a"s, ""s,
       "UnicodeDecodeError: 'utf-16-le' codec can't decode byte 0x61 in position 0: truncated "
       "data"},
      {"utf-16", "strict", "\377\376\377\376"s, "\357\273\277"s, ""},
      {"utf-16", "strict", "\376\377\000a\334\000"s, ""s,
       "UnicodeDecodeError: 'utf-16-be' codec can't decode bytes in position 4-5: illegal "
       "encoding"},
      {"utf-16", "replace", "\376\377\000a\334\000"s, "a\357\277\275"s, ""},
      {"utf-16-le", "replace", "\000\334\000\334"s, "\357\277\275\357\277\275"s, ""},
      {"utf-16-le", "replace", "\000\330\000\330\000\334"s, "\357\277\275\360\220\200\200"s, ""},
      {"utf-16-be", "strict", "\330\000\334\000"s, "\360\220\200\200"s, ""},
      {"utf-32-le", "replace", "\000\000\021\000"s, "\357\277\275"s, ""},
      {"utf-16-le", "strict", "\000\330A\000"s, ""s,
       "UnicodeDecodeError: 'utf-16-le' codec can't decode bytes in position 0-1: illegal UTF-16 "
       "surrogate"},
      {"utf-16-le", "ignore", "\000\330A\000"s, "A"s, ""},
      {"utf-16-le", "replace", "\000\330A\000"s, "\357\277\275A"s, ""},
      {"utf-16-le", "backslashreplace", "\000\330A\000"s, "\\x00\\xd8A"s, ""},
      {"utf-16-le", "surrogateescape", "\000\330A\000"s, ""s,
       "UnicodeDecodeError: 'utf-16-le' codec can't decode bytes in position 0-1: illegal UTF-16 "
       "surrogate"},
      {"utf-16-le", "surrogatepass", "\000\330A\000"s, "\355\240\200A"s, ""},
      {"utf-16-le", "strict", "\000\330A"s, ""s,
       "UnicodeDecodeError: 'utf-16-le' codec can't decode bytes in position 0-2: unexpected end "
       "of data"},
      {"utf-16-le", "replace", "\000\330A"s, "\357\277\275"s, ""},
      {"utf-16-le", "surrogateescape", "\000\330A"s, ""s,
       "UnicodeDecodeError: 'utf-16-le' codec can't decode bytes in position 0-2: unexpected end "
       "of data"},
      {"utf-16-le", "strict", "\000\330"s, ""s,
       "UnicodeDecodeError: 'utf-16-le' codec can't decode bytes in position 0-1: unexpected end "
       "of data"},
      {"utf-16-le", "surrogatepass", "\000\330"s, "\355\240\200"s, ""},
      {"utf-16-le", "strict", "\000\334\000\330"s, ""s,
       "UnicodeDecodeError: 'utf-16-le' codec can't decode bytes in position 0-1: illegal "
       "encoding"},
      {"utf-16-le", "surrogatepass", "\000\334\000\330"s, "\355\260\200\355\240\200"s, ""},
      {"utf-16-le", "surrogateescape", "\000\334\000\330"s, ""s,
       "UnicodeDecodeError: 'utf-16-le' codec can't decode bytes in position 0-1: illegal "
       "encoding"},
      {"utf-16-le", "backslashreplace", "\000\334\000\330"s, "\\x00\\xdc\\x00\\xd8"s, ""},
      {"utf-16-le", "strict", "A\000B"s, ""s,
       "UnicodeDecodeError: 'utf-16-le' codec can't decode byte 0x42 in position 2: truncated "
       "data"},
      {"utf-16-le", "backslashreplace", "A\000B"s, "A\\x42"s, ""},
      {"utf-16-le", "surrogateescape", "A\000B"s, ""s,
       "UnicodeDecodeError: 'utf-16-le' codec can't decode byte 0x42 in position 2: truncated "
       "data"},
      {"utf-16-le", "surrogateescape", "A\000\377"s, "A\355\263\277"s, ""},
      {"utf-16-be", "strict", "\330=\336\000\000A"s, "\360\237\230\200A"s, ""},
      {"utf-32", "strict", "\377\376\000\000A\000\000\000\000\330\000\000B"s, ""s,
       "UnicodeDecodeError: 'utf-32-le' codec can't decode bytes in position 8-11: code point in "
       "surrogate code point range(0xd800, 0xe000)"},
      {"utf-32", "replace", "\377\376\000\000A\000\000\000\000\330\000\000B"s,
       "A\357\277\275\357\277\275"s, ""},
      {"utf-32", "surrogatepass", "\377\376\000\000A\000\000\000\000\330\000\000B"s, ""s,
       "UnicodeDecodeError: 'utf-32-le' codec can't decode byte 0x42 in position 12: truncated "
       "data"},
      {"utf-32", "strict", "A\000\000\000"s, ""s,
       "UnicodeDecodeError: 'utf-32' codec can't decode bytes in position 0-3: Stream does not "
       "start with BOM"},
      {"utf-32", "strict", "\000\000\376\377\000\001\366\000"s, "\360\237\230\200"s, ""},
      {"utf-32-le", "strict", "\000\000\021\000"s, ""s,
       "UnicodeDecodeError: 'utf-32-le' codec can't decode bytes in position 0-3: code point not "
       "in range(0x110000)"},
      {"utf-32-le", "replace", "\000\000\021\000"s, "\357\277\275"s, ""},
      {"utf-32-le", "backslashreplace", "\000\000\021\000"s, "\\x00\\x00\\x11\\x00"s, ""},
      {"utf-32-be", "surrogatepass", "\000\000\334\200"s, "\355\262\200"s, ""},
      {"utf-32-be", "surrogateescape", "\000\000\334\200"s, ""s,
       "UnicodeDecodeError: 'utf-32-be' codec can't decode bytes in position 0-3: code point in "
       "surrogate code point range(0xd800, 0xe000)"},
      {"cp1252", "strict", "\200\201\215 abc"s, ""s,
       "UnicodeDecodeError: 'charmap' codec can't decode byte 0x81 in position 1: character maps "
       "to <undefined>"},
      {"cp1252", "replace", "\200\201\215 abc"s, "\342\202\254\357\277\275\357\277\275 abc"s, ""},
      {"cp1252", "backslashreplace", "\200\201\215 abc"s, "\342\202\254\\x81\\x8d abc"s, ""},
      {"cp1252", "surrogateescape", "\200\201\215 abc"s,
       "\342\202\254\355\262\201\355\262\215 abc"s, ""},
      {"koi8-r", "strict", "\301\302\327"s, "\320\260\320\261\320\262"s, ""},
      {"cp437", "strict", "\200\260\377"s, "\303\207\342\226\221\302\240"s, ""},
      {"iso8859-15", "strict", "\244\274"s, "\342\202\254\305\222"s, ""},
      {"cp037", "strict", "\201o\301"s, "a?A"s, ""},
      {"mac-roman", "strict", "\200\245"s, "\303\204\342\200\242"s, ""},
      {"shift_jis", "strict", "a\\~\202\240\223\372\226{\261"s,
       "a\\~\343\201\202\346\227\245\346\234\254\357\275\261"s, ""},
      {"shift_jis", "strict", "\201"s, ""s,
       "UnicodeDecodeError: 'shift_jis' codec can't decode byte 0x81 in position 0: incomplete "
       "multibyte sequence"},
      {"shift_jis", "replace", "\201"s, "\357\277\275"s, ""},
      {"shift_jis", "strict", "\377A"s, ""s,
       "UnicodeDecodeError: 'shift_jis' codec can't decode byte 0xff in position 0: illegal "
       "multibyte sequence"},
      {"shift_jis", "replace", "\377A"s, "\357\277\275A"s, ""},
      {"shift_jis", "strict", "\201 "s, ""s,
       "UnicodeDecodeError: 'shift_jis' codec can't decode byte 0x81 in position 0: illegal "
       "multibyte sequence"},
      {"shift_jis", "backslashreplace", "\201 "s, "\\x81 "s, ""},
      {"euc_jp", "strict", "\244\242\306\374"s, "\343\201\202\346\227\245"s, ""},
      {"euc_jp", "strict", "\244"s, ""s,
       "UnicodeDecodeError: 'euc_jp' codec can't decode byte 0xa4 in position 0: incomplete "
       "multibyte sequence"},
      // glibc reads 0x80..0x8D as C1 controls; CPython rejects them wherever they stand.
      {"euc_jp", "strict", "\200"s, ""s,
       "UnicodeDecodeError: 'euc_jp' codec can't decode byte 0x80 in position 0: incomplete "
       "multibyte sequence"},
      {"euc_jp", "strict", "\215a"s, ""s,
       "UnicodeDecodeError: 'euc_jp' codec can't decode byte 0x8d in position 0: illegal "
       "multibyte sequence"},
      {"euc_jp", "surrogateescape", "\200"s, "\355\262\200"s, ""},
      {"euc_jp", "surrogateescape", "a\205b"s, "a\355\262\205b"s, ""},
      {"euc_jp", "surrogateescape", "\244\200"s, "\355\262\244\355\262\200"s, ""},
      {"gbk", "strict", "\304\343\272\303"s, "\344\275\240\345\245\275"s, ""},
      {"gb2312", "strict", "\304\343\272\303"s, "\344\275\240\345\245\275"s, ""},
      {"gb18030", "strict", "\2010\2010"s, "\302\200"s, ""},
      {"big5", "strict", "\244\244\244\345"s, "\344\270\255\346\226\207"s, ""},
      {"euc_kr", "strict", "\307\321\261\333"s, "\355\225\234\352\270\200"s, ""},
      {"cp949", "strict", "\307\321\261\333"s, "\355\225\234\352\270\200"s, ""},
      {"iso2022_jp", "strict", "\033$BF|K\\\033(Ba"s, "\346\227\245\346\234\254a"s, ""},
      // The CJK codecs' tricky cases (issue 14), as CPython 3.13 decodes them.
      {"johab", "strict", "\210a\204A\3311"s, "\352\260\200\343\200\200\343\200\200"s, ""},
      {"johab", "strict", "\204"s, ""s,
       "UnicodeDecodeError: 'johab' codec can't decode byte 0x84 in position 0: incomplete "
       "multibyte sequence"},
      {"johab", "replace", "\204 A"s, "\357\277\275 A"s, ""},
      {"hz", "strict", "~{0!~}a~~"s, "\345\225\212a~"s, ""},
      {"hz", "replace", "~{~{0!"s, "\357\277\275\357\277\275\345\225\212"s, ""},
      {"hz", "strict", "~{0!\012"s, ""s,
       "UnicodeDecodeError: 'hz' codec can't decode byte 0x0a in position 4: incomplete multibyte "
       "sequence"},
      {"iso2022_kr", "strict", "\033$)C\0160!\017a\0160!\0120!"s,
       "\352\260\200a\352\260\200\0120!"s, ""},
      {"iso2022_kr", "strict", "\0160!"s, "0!"s, ""},
      {"iso2022_jp_2", "strict", "\033.A\033Ni\033.F\033Na\033$(C0!\033$A0!"s,
       "\303\251\316\261\352\260\200\345\225\212"s, ""},
      {"iso2022_jp_2", "strict", "\033N\351"s, ""s,
       "UnicodeDecodeError: 'iso2022_jp_2' codec can't decode bytes in position 0-2: illegal "
       "multibyte sequence"},
      {"iso2022_jp_1", "strict", "\033$(D0!"s, "\344\270\202"s, ""},
      {"iso2022_jp_ext", "strict", "\033(I!\033(B"s, "\357\275\241"s, ""},
      {"euc_jp", "replace", "\360\237\230"s, "\357\277\275\357\277\275\357\277\275"s, ""},
      {"euc_jp", "strict", "\220\241"s, ""s,
       "UnicodeDecodeError: 'euc_jp' codec can't decode byte 0x90 in position 0: illegal multibyte "
       "sequence"},
      {"euc_jp", "surrogateescape", "\216\241\237A"s, "\357\275\241\355\262\237A"s, ""},
      {"euc_jp", "strict", "\217\260\241"s, "\344\270\202"s, ""},
      {"euc_jp", "strict", "\217\241\241"s, ""s,
       "UnicodeDecodeError: 'euc_jp' codec can't decode byte 0x8f in position 0: illegal multibyte "
       "sequence"},
      {"euc_jp", "replace", "\217\260"s, "\357\277\275"s, ""},
      {"big5", "strict", "\241E"s, "\342\200\242"s, ""},
      {"cp950", "strict", "\241E\371\376"s, "\342\200\247\342\226\223"s, ""},
      {"gbk", "strict", "\200"s, ""s,
       "UnicodeDecodeError: 'gbk' codec can't decode byte 0x80 in position 0: incomplete multibyte "
       "sequence"},
      {"gbk", "replace", "\200A"s, "\357\277\275A"s, ""},
      {"cp949", "strict", "\242\350A"s, ""s,
       "UnicodeDecodeError: 'cp949' codec can't decode byte 0xa2 in position 0: illegal multibyte "
       "sequence"},
      {"cp949", "strict", "\306R"s, "\355\236\243"s, ""},
      {"gb18030", "strict", "\2010\2010\2252\2026\3432\2325"s,
       "\302\200\360\240\200\200\364\217\277\277"s, ""},
      {"gb18030", "strict", "\2041\2450"s, ""s,
       "UnicodeDecodeError: 'gb18030' codec can't decode byte 0x84 in position 0: illegal "
       "multibyte sequence"},
      {"gb18030", "replace", "\2010\3770"s, "\357\277\2750\357\277\275"s, ""},
      {"gb18030", "surrogateescape", "\2000"s, "\355\262\200"s, ""},
      {"gb18030", "strict", "\2000"s, ""s,
       "UnicodeDecodeError: 'gb18030' codec can't decode bytes in position 0-1: incomplete "
       "multibyte sequence"},
      {"gb18030", "backslashreplace", "\2010\201"s, "\\x81\\x30\\x81"s, ""},
      {"euc_kr", "strict", "\244\324\244\241\244\277\244\324\244\324\244\276\244\323\244\276"s,
       "\352\260\200\355\236\243"s, ""},
      {"euc_kr", "strict", "\244\324\244\241\244"s, ""s,
       "UnicodeDecodeError: 'euc_kr' codec can't decode bytes in position 0-4: incomplete "
       "multibyte sequence"},
      {"euc_kr", "replace", "\244\324\244\241\244\277AB"s,
       "\357\277\275\346\270\241\302\267\357\277\275AB"s, ""},
      {"euc_kr", "strict", "\244\324"s, ""s,
       "UnicodeDecodeError: 'euc_kr' codec can't decode bytes in position 0-1: incomplete "
       "multibyte sequence"},
      {"shift_jis", "strict", "\201_\\~"s, "\357\274\274\\~"s, ""},
      {"cp932", "strict", "\207@\240\375\200"s, "\342\221\240\357\243\260\357\243\261\302\200"s,
       ""},
      {"shift_jis", "strict", "\200"s, ""s,
       "UnicodeDecodeError: 'shift_jis' codec can't decode byte 0x80 in position 0: illegal "
       "multibyte sequence"},
      {"shift_jis", "replace", "\240\360@"s, "\357\277\275\357\277\275@"s, ""},
      {"iso2022_jp", "strict", "\033$B0!\033(J\\~\033(Ba"s, "\344\272\234\302\245\342\200\276a"s,
       ""},
      {"iso2022_jp", "strict", "\033$@0!"s, "\344\272\234"s, ""},
      {"iso2022_jp", "strict", "\033$A0!"s, ""s,
       "UnicodeDecodeError: 'iso2022_jp' codec can't decode bytes in position 0-2: illegal "
       "multibyte sequence"},
      {"iso2022_jp", "strict", "\033$B0\177"s, ""s,
       "UnicodeDecodeError: 'iso2022_jp' codec can't decode bytes in position 3-4: illegal "
       "multibyte sequence"},
      {"iso2022_jp", "strict", "\033$B0"s, ""s,
       "UnicodeDecodeError: 'iso2022_jp' codec can't decode byte 0x30 in position 3: incomplete "
       "multibyte sequence"},
      {"iso2022_jp", "strict", "\033xA\351Bc"s, ""s,
       "UnicodeDecodeError: 'iso2022_jp' codec can't decode byte 0xe9 in position 3: illegal "
       "multibyte sequence"},
      {"iso2022_jp", "strict", "\033&@\033$B0!"s, "\344\272\234"s, ""},
      {"iso2022_jp", "replace", "\033(Zab"s, "\357\277\275ab"s, ""},
      {"iso2022_jp", "strict", "\033(0123456789abcd"s, ""s,
       "UnicodeDecodeError: 'iso2022_jp' codec can't decode byte 0x1b in position 0: illegal "
       "multibyte sequence"},
  };
  return cases;
}

const std::vector<reviewed_case>& reviewed_encoding_cases() {
  static const std::vector<reviewed_case> cases = {
      {"utf-8", "strict", "abc\303\251\342\202\254\360\237\230\200"s,
       "abc\303\251\342\202\254\360\237\230\200"s, ""},
      {"utf-8", "strict", "a\355\262\200\355\263\277\355\240\200\355\262\201b"s, ""s,
       "UnicodeEncodeError: 'utf-8' codec can't encode characters in position 1-4: surrogates not "
       "allowed"},
      {"utf-8", "ignore", "a\355\262\200\355\263\277\355\240\200\355\262\201b"s, "ab"s, ""},
      {"utf-8", "replace", "a\355\262\200\355\263\277\355\240\200\355\262\201b"s, "a????b"s, ""},
      {"utf-8", "backslashreplace", "a\355\262\200\355\263\277\355\240\200\355\262\201b"s,
       "a\\udc80\\udcff\\ud800\\udc81b"s, ""},
      {"utf-8", "surrogateescape", "a\355\262\200\355\263\277\355\240\200\355\262\201b"s, ""s,
       "UnicodeEncodeError: 'utf-8' codec can't encode characters in position 3-4: surrogates not "
       "allowed"},
      {"utf-8", "surrogatepass", "a\355\262\200\355\263\277\355\240\200\355\262\201b"s,
       "a\355\262\200\355\263\277\355\240\200\355\262\201b"s, ""},
      {"utf-8", "xmlcharrefreplace", "a\355\262\200\355\263\277\355\240\200\355\262\201b"s,
       "a&#56448;&#56575;&#55296;&#56449;b"s, ""},
      {"utf-8", "bogus", "a\355\262\200\355\263\277\355\240\200\355\262\201b"s, ""s,
       "LookupError: unknown error handler name 'bogus'"},
      {"utf-8", "strict", "a\355\240\200"s, ""s,
       "UnicodeEncodeError: 'utf-8' codec can't encode character '\\ud800' in position 1: "
       "surrogates not allowed"},
      {"utf-8-sig", "strict", "a"s, "\357\273\277a"s, ""},
      {"ascii", "strict", "a\303\251\342\202\254\360\237\230\200b"s, ""s,
       "UnicodeEncodeError: 'ascii' codec can't encode characters in position 1-3: ordinal not in "
       "range(128)"},
      {"ascii", "ignore", "a\303\251\342\202\254\360\237\230\200b"s, "ab"s, ""},
      {"ascii", "replace", "a\303\251\342\202\254\360\237\230\200b"s, "a???b"s, ""},
      {"ascii", "backslashreplace", "a\303\251\342\202\254\360\237\230\200b"s,
       "a\\xe9\\u20ac\\U0001f600b"s, ""},
      {"ascii", "xmlcharrefreplace", "a\303\251\342\202\254\360\237\230\200b"s,
       "a&#233;&#8364;&#128512;b"s, ""},
      {"ascii", "surrogateescape", "a\303\251\342\202\254\360\237\230\200b"s, ""s,
       "UnicodeEncodeError: 'ascii' codec can't encode characters in position 1-3: ordinal not in "
       "range(128)"},
      {"ascii", "surrogateescape", "a\355\262\200\355\263\277\341\210\264\355\262\201b"s, ""s,
       "UnicodeEncodeError: 'ascii' codec can't encode characters in position 3-4: ordinal not in "
       "range(128)"},
      {"ascii", "surrogateescape", "a\355\262\200\355\263\277b"s, "a\200\377b"s, ""},
      {"latin-1", "strict", "a\303\251\342\202\254\360\237\230\200b\355\263\251"s, ""s,
       "UnicodeEncodeError: 'latin-1' codec can't encode characters in position 2-3: ordinal not "
       "in range(256)"},
      {"latin-1", "replace", "a\303\251\342\202\254\360\237\230\200b\355\263\251"s, "a\351??b?"s,
       ""},
      {"latin-1", "backslashreplace", "a\303\251\342\202\254\360\237\230\200b\355\263\251"s,
       "a\351\\u20ac\\U0001f600b\\udce9"s, ""},
      {"latin-1", "xmlcharrefreplace", "a\303\251\342\202\254\360\237\230\200b\355\263\251"s,
       "a\351&#8364;&#128512;b&#56553;"s, ""},
      {"latin-1", "surrogateescape", "a\303\251\342\202\254\360\237\230\200b\355\263\251"s, ""s,
       "UnicodeEncodeError: 'latin-1' codec can't encode characters in position 2-3: ordinal not "
       "in range(256)"},
      {"latin-1", "surrogateescape", "a\355\263\251"s, "a\351"s, ""},
      {"utf-16", "strict", "a\360\237\230\200"s, "\377\376a\000=\330\000\336"s, ""},
      {"utf-16", "strict", "\355\240\200"s, ""s,
       "UnicodeEncodeError: 'utf-16' codec can't encode character '\\ud800' in position 0: "
       "surrogates not allowed"},
      {"utf-16", "replace", "\355\240\200"s, "\377\376?\000"s, ""},
      {"utf-16", "surrogatepass", "\355\240\200"s, "\377\376\000\330"s, ""},
      {"utf-16", "surrogateescape", "\355\240\200"s, ""s,
       "UnicodeEncodeError: 'utf-16' codec can't encode character '\\ud800' in position 0: "
       "surrogates not allowed"},
      {"utf-16-le", "strict", "\355\240\200"s, ""s,
       "UnicodeEncodeError: 'utf-16-le' codec can't encode character '\\ud800' in position 0: "
       "surrogates not allowed"},
      {"utf-16-be", "backslashreplace", "\355\262\200x\303\251"s,
       "\000\\\000u\000d\000c\0008\0000\000x\000\351"s, ""},
      {"utf-16-be", "surrogatepass", "\355\262\200x\303\251"s, "\334\200\000x\000\351"s, ""},
      {"utf-16-be", "xmlcharrefreplace", "\355\262\200x\303\251"s,
       "\000&\000#\0005\0006\0004\0004\0008\000;\000x\000\351"s, ""},
      {"utf-32", "strict", "a\360\237\230\200"s, "\377\376\000\000a\000\000\000\000\366\001\000"s,
       ""},
      {"utf-32-be", "strict", "\355\240\200\355\260\200"s, ""s,
       "UnicodeEncodeError: 'utf-32-be' codec can't encode character '\\ud800' in position 0: "
       "surrogates not allowed"},
      {"utf-32-be", "surrogatepass", "\355\240\200\355\260\200"s,
       "\000\000\330\000\000\000\334\000"s, ""},
      {"utf-32-be", "ignore", "\355\240\200\355\260\200"s, ""s, ""},
      {"cp1252", "strict", "a\355\262\200\355\263\277\341\210\264\355\262\201b\342\202\254"s, ""s,
       "UnicodeEncodeError: 'charmap' codec can't encode characters in position 1-4: character "
       "maps to <undefined>"},
      {"cp1252", "replace", "a\355\262\200\355\263\277\341\210\264\355\262\201b\342\202\254"s,
       "a????b\200"s, ""},
      {"cp1252", "backslashreplace",
       "a\355\262\200\355\263\277\341\210\264\355\262\201b\342\202\254"s,
       "a\\udc80\\udcff\\u1234\\udc81b\200"s, ""},
      {"cp1252", "xmlcharrefreplace",
       "a\355\262\200\355\263\277\341\210\264\355\262\201b\342\202\254"s,
       "a&#56448;&#56575;&#4660;&#56449;b\200"s, ""},
      {"cp1252", "surrogateescape",
       "a\355\262\200\355\263\277\341\210\264\355\262\201b\342\202\254"s, ""s,
       "UnicodeEncodeError: 'charmap' codec can't encode characters in position 1-4: character "
       "maps to <undefined>"},
      {"cp1252", "surrogateescape", "a\355\262\200\355\263\277b"s, "a\200\377b"s, ""},
      {"cp037", "strict", "a?\341\210\264"s, ""s,
       "UnicodeEncodeError: 'charmap' codec can't encode character '\\u1234' in position 2: "
       "character maps to <undefined>"},
      {"cp037", "replace", "a?\341\210\264"s, "\201oo"s, ""},
      {"koi8-r", "strict", "\320\237\321\200\320\270\320\262\320\265\321\202"s,
       "\360\322\311\327\305\324"s, ""},
      {"shift_jis", "strict", "\346\227\245\346\234\254\\~\302\245\342\200\276"s,
       "\223\372\226{\\~\\~"s, ""},
      {"shift_jis", "strict", "a\355\262\200\355\263\277\341\210\264\355\262\201b"s, ""s,
       "UnicodeEncodeError: 'shift_jis' codec can't encode character '\\udc80' in position 1: "
       "illegal multibyte sequence"},
      {"shift_jis", "replace", "a\355\262\200\355\263\277\341\210\264\355\262\201b"s, "a????b"s,
       ""},
      {"shift_jis", "surrogateescape", "a\355\262\200\355\263\277\341\210\264\355\262\201b"s, ""s,
       "UnicodeEncodeError: 'shift_jis' codec can't encode character '\\u1234' in position 3: "
       "illegal multibyte sequence"},
      {"shift_jis", "backslashreplace", "a\355\262\200\355\263\277\341\210\264\355\262\201b"s,
       "a\\udc80\\udcff\\u1234\\udc81b"s, ""},
      {"euc_jp", "strict", "\346\227\245\346\234\254\303\251"s, "\306\374\313\334\217\253\261"s,
       ""},
      {"euc_jp", "xmlcharrefreplace", "\346\227\245\346\234\254\303\251"s,
       "\306\374\313\334\217\253\261"s, ""},
      {"gbk", "strict", "\344\275\240\345\245\275\360\237\230\200"s, ""s,
       "UnicodeEncodeError: 'gbk' codec can't encode character '\\U0001f600' in position 2: "
       "illegal multibyte sequence"},
      {"gbk", "replace", "\344\275\240\345\245\275\360\237\230\200"s, "\304\343\272\303?"s, ""},
      {"iso2022_jp", "strict", "a\346\227\245\346\234\254b"s, "a\033$BF|K\\\033(Bb"s, ""},
      // The CJK codecs' tricky cases (issue 14), as CPython 3.13 encodes them.
      {"johab", "strict", "\352\260\200\343\205\244"s, "\210a\332\324"s, ""},
      {"hz", "strict", "a~\345\225\212\303\251b"s, "a~~~{0!(&~}b"s, ""},
      {"hz", "xmlcharrefreplace", "\345\225\212\342\202\254"s, "~{0!~}&#8364;"s, ""},
      {"iso2022_kr", "strict", "a\352\260\200\012b\352\260\200"s,
       "a\033$)C\0160!\017\012b\0160!\017"s, ""},
      {"iso2022_kr", "replace", "\352\260\200\303\251"s, "\033$)C\0160!\017?"s, ""},
      {"iso2022_jp_2", "strict", "\303\251\352\260\200\345\225\212\344\270\202"s,
       "\033$(D+1\033$(C0!\033$(D5Y0!\033(B"s, ""},
      {"iso2022_jp_ext", "strict", "\357\275\241a"s, "\033(I!\033(Ba"s, ""},
      {"iso2022_jp_1", "strict", "\344\270\202"s, "\033$(D0!\033(B"s, ""},
      {"shift_jis", "strict", "\357\277\240"s, ""s,
       "UnicodeEncodeError: 'shift_jis' codec can't encode character '\\uffe0' in position 0: "
       "illegal multibyte sequence"},
      {"shift_jis", "strict", "\302\245\342\200\276\357\274\274"s, "\\~\201_"s, ""},
      {"cp932", "strict", "\342\210\245\357\277\242\357\243\260"s, "\201a\201\312\240"s, ""},
      {"euc_jp", "strict", "\344\270\202\302\245\357\275\241"s, "\217\260\241\\\216\241"s, ""},
      {"euc_kr", "strict", "\352\260\202\343\205\244"s, "\244\324\244\241\244\277\244\242\244\324"s,
       ""},
      {"euc_kr", "xmlcharrefreplace", "\303\251\352\260\202"s,
       "&#233;\244\324\244\241\244\277\244\242"s, ""},
      {"gb18030", "strict", "\302\200\360\237\230\200\356\227\245"s,
       "\2010\2010\2249\3746\243\240"s, ""},
      {"gbk", "strict", "\342\202\254"s, ""s,
       "UnicodeEncodeError: 'gbk' codec can't encode character '\\u20ac' in position 0: illegal "
       "multibyte sequence"},
      {"gb2312", "replace", "\342\202\254"s, "?"s, ""},
      {"big5", "strict", "\342\200\242\342\200\247"s, ""s,
       "UnicodeEncodeError: 'big5' codec can't encode character '\\u2027' in position 1: illegal "
       "multibyte sequence"},
      {"cp950", "strict", "\342\200\247\342\225\264"s, "\241E\241Z"s, ""},
      {"iso2022_jp", "strict", "\344\272\234\302\245a\344\272\234"s,
       "\033$B0!\033(J\\\033(Ba\033$B0!\033(B"s, ""},
      {"iso2022_jp", "replace", "\344\272\234\303\251"s, "\033$B0!\033(B?"s, ""},
      {"iso2022_jp", "xmlcharrefreplace", "\302\245\357\275\241"s, "\033(J\\\033(B&#65377;"s, ""},
      {"iso2022_jp", "strict", "\357\275\236"s, ""s,
       "UnicodeEncodeError: 'iso2022_jp' codec can't encode character '\\uff5e' in position 0: "
       "illegal multibyte sequence"},
      {"gbk", "surrogateescape", "a\355\262\200\355\263\277"s, "a\200\377"s, ""},
      {"euc_jp", "backslashreplace", "\360\237\230\200"s, "\\U0001f600"s, ""},
      {"cp949", "strict", "\355\262\200"s, ""s,
       "UnicodeEncodeError: 'cp949' codec can't encode character '\\udc80' in position 0: illegal "
       "multibyte sequence"},
  };
  return cases;
}

std::string case_name(const reviewed_case& c) {
  return std::string(c.encoding) + " / " + c.errors + " / input \"" + c.input + "\"";
}

TEST(CodecReviewed, DecodingMatchesCPython) {
  for (const reviewed_case& c : reviewed_decoding_cases()) {
    EXPECT_EQ(decode_once(c.encoding, c.errors, c.input), (outcome{c.output, c.error}))
        << case_name(c);
  }
}

TEST(CodecReviewed, EncodingMatchesCPython) {
  for (const reviewed_case& c : reviewed_encoding_cases()) {
    EXPECT_EQ(encode_chunks(c.encoding, c.errors, {c.input}), (outcome{c.output, c.error}))
        << case_name(c);
  }
}

// Every way of cutting the input into two calls, and one byte per call, gives what one call
// gives (the exception's positions may differ, since they count from the held-back bytes).
TEST(CodecReviewed, DecodingDoesNotDependOnChunking) {
  for (const reviewed_case& c : reviewed_decoding_cases()) {
    const outcome whole = decode_once(c.encoding, c.errors, c.input);
    const auto check = [&](const std::vector<std::string>& chunks, const std::string& how) {
      const outcome split = decode_chunks(c.encoding, c.errors, chunks);
      EXPECT_EQ(split.error.empty(), whole.error.empty()) << case_name(c) << how << split;
      if (whole.error.empty()) {
        EXPECT_EQ(split.output, whole.output) << case_name(c) << how;
      }
    };
    for (std::size_t cut = 0; cut <= c.input.size(); ++cut) {
      check({c.input.substr(0, cut), c.input.substr(cut)}, " cut at " + std::to_string(cut));
    }
    std::vector<std::string> bytes;
    for (const char b : c.input)
      bytes.emplace_back(1, b);
    check(bytes, " byte by byte");
  }
}

// ---------------------------------------------------------------------------------------------
// Lookup
// ---------------------------------------------------------------------------------------------

TEST(CodecLookup, NormalisesNamesAndResolvesAliasesAsCPython) {
  // (name as given, codecs.lookup(name).name in CPython 3.13)
  const std::pair<const char*, const char*> cases[] = {
      {"utf-8", "utf-8"},
      {"UTF8", "utf-8"},
      {"utf_8", "utf-8"},
      {"U8", "utf-8"},
      {"UTF-8 ", "utf-8"},
      {" utf8", "utf-8"},
      {"utf--8", "utf-8"},
      {"Utf_8", "utf-8"},
      {"utf", "utf-8"},
      {"cp65001", "utf-8"},
      {"utf8\xc3\xa9", "utf-8"},
      {"utf-8-sig", "utf-8-sig"},
      {"UTF_8_SIG", "utf-8-sig"},
      {"latin1", "iso8859-1"},
      {"latin-1", "iso8859-1"},
      {"iso-8859-1", "iso8859-1"},
      {"iso8859_1", "iso8859-1"},
      {"iso8859.1", "iso8859-1"},
      {"ISO-8859-1", "iso8859-1"},
      {"iso_8859-1:1987", "iso8859-1"},
      {"L1", "iso8859-1"},
      {"us-ascii", "ascii"},
      {"ascii", "ascii"},
      {"646", "ascii"},
      {"ANSI_X3.4-1968", "ascii"},
      {"utf_16", "utf-16"},
      {"UTF16", "utf-16"},
      {"utf-16-le", "utf-16-le"},
      {"UTF-16BE", "utf-16-be"},
      {"utf-32", "utf-32"},
      {"utf-32le", "utf-32-le"},
      {"UTF_32_BE", "utf-32-be"},
      {"cp1252", "cp1252"},
      {"windows-1252", "cp1252"},
      {"shift_jis", "shift_jis"},
      {"sjis", "shift_jis"},
      {"Shift-JIS", "shift_jis"},
      {"euc-jp", "euc_jp"},
      {"eucjp", "euc_jp"},
      {"koi8-r", "koi8-r"},
      {"KOI8_R", "koi8-r"},
      {"latin9", "iso8859-15"},
      {"cp936", "gbk"},
      {"ms_kanji", "cp932"},
      {"macintosh", "mac-roman"},
      {"tis620", "tis-620"},
      {"x-mac-japanese", "shift_jis"},
  };
  for (const auto& [name, canonical] : cases) {
    EXPECT_EQ(lookup_codec(name).name, canonical) << name;
    EXPECT_EQ(make_incremental_decoder(name)->codec_name(), canonical) << name;
    EXPECT_EQ(make_incremental_encoder(name)->codec_name(), canonical) << name;
  }
}

// Every codec the registry implements (the 96 codec.hpp lists), found under its name and able to
// decode and encode ASCII text both ways.
TEST(CodecLookup, EveryImplementedCodecWorks) {
  const auto codecs = pysock::io::detail::implemented_codecs();
  EXPECT_EQ(codecs.size(), 96u);
  for (const pysock::io::detail::codec_entry& codec : codecs) {
    EXPECT_EQ(lookup_codec(codec.module).name, codec.name);
    const std::string bytes =
        make_incremental_encoder(codec.name)->encode("Hello, World 42!", true);
    EXPECT_EQ(make_incremental_decoder(codec.name)->decode(bytes, true), "Hello, World 42!")
        << codec.name;
  }
}

TEST(CodecLookup, RejectsUnknownAndNonTextCodecsWithCPythonMessages) {
  for (const char* name : {"foo", "utf.8", "cp-1252", "utf_8.", ".utf8", "latin.1", "mbcs",
                           "\xc3\xbctf8", "cshproman8", "csHPRoman8", ""}) {
    EXPECT_THROW_MSG(lookup_codec(name), lookup_error, "unknown encoding: "s + name);
  }
  for (const char* name : {"hex", "base64", "rot13", "zlib", "bz2", "quopri", "uu"}) {
    EXPECT_THROW_MSG(
        lookup_codec(name), lookup_error,
        "'"s + name + "' is not a text encoding; use codecs.open() to handle arbitrary codecs");
  }
  EXPECT_THROW_MSG(lookup_codec("utf-8\0"s), value_error, "embedded null character");
  // Python codecs pysock does not implement say so.
  EXPECT_THROW_MSG(lookup_codec("utf-7"), lookup_error,
                   "unknown encoding: utf-7 (pysock does not implement Python's 'utf_7' codec)");
  EXPECT_THROW(make_incremental_decoder("foo"), lookup_error);
  EXPECT_THROW(make_incremental_encoder("hex"), lookup_error);
}

TEST(CodecLookup, ErrorHandlerNamesAreCheckedOnlyAtTheFirstError) {
  for (const char* name : {"strict", "ignore", "replace", "backslashreplace", "surrogateescape",
                           "surrogatepass", "xmlcharrefreplace", "namereplace"}) {
    EXPECT_NO_THROW(pysock::io::lookup_error_handler(name)) << name;
  }
  EXPECT_THROW_MSG(pysock::io::lookup_error_handler("bogus"), lookup_error,
                   "unknown error handler name 'bogus'");
  // As in CPython, an unknown name is accepted until something goes wrong.
  EXPECT_EQ(decode_once("utf-8", "bogus", "abc"), (outcome{"abc", ""}));
  EXPECT_EQ(encode_chunks("latin-1", "", {"abc"}), (outcome{"abc", ""}));
  EXPECT_EQ(decode_once("utf-8", "", "\xff"),
            (outcome{"", "LookupError: unknown error handler name ''"}));
  EXPECT_EQ(decode_once("utf-8", "strict\0"s, "\xff"),
            (outcome{"", "ValueError: embedded null character"}));
  EXPECT_EQ(encode_chunks("ascii", "bogus", {"\xc3\xa9"}),
            (outcome{"", "LookupError: unknown error handler name 'bogus'"}));
}

TEST(CodecLookup, NamereplaceIsAnEncodeOnlyHandler) {
  EXPECT_EQ(decode_once("utf-8", "namereplace", "\xff").error,
            "TypeError: don't know how to handle UnicodeDecodeError in error callback");
  EXPECT_EQ(encode_chunks("ascii", "namereplace", {"abc"}), (outcome{"abc", ""}));
}

// Stored names, names by rule (Hangul, CJK ideographs), no name (an escape as backslashreplace
// writes it), and CPython's aliases at U+F0000.. (what its namereplace writes there).
TEST(CodecErrors, NamereplaceWritesCPythonsCharacterNames) {
  const std::pair<std::string, std::string> cases[] = {
      {"\xc3\xa9", "\\N{LATIN SMALL LETTER E WITH ACUTE}"},
      {"\xed\x95\x9c", "\\N{HANGUL SYLLABLE HAN}"},
      {"\xea\xb0\x80", "\\N{HANGUL SYLLABLE GA}"},
      {"\xe4\xb8\x80", "\\N{CJK UNIFIED IDEOGRAPH-4E00}"},
      {"\xf0\xa0\x80\x80", "\\N{CJK UNIFIED IDEOGRAPH-20000}"},
      {"\xef\xa4\x80", "\\N{CJK COMPATIBILITY IDEOGRAPH-F900}"},
      {"\xf0\x9f\x98\x80", "\\N{GRINNING FACE}"},
      {"\xc2\x80", "\\x80"},
      {"\xee\x80\x80", "\\ue000"},
      {"\xed\xb2\x80", "\\udc80"},
      {"\xf3\xb0\x80\x80", "\\N{NULL}"},
      {"\xf4\x8f\xbf\xbf", "\\U0010ffff"},
  };
  for (const auto& [text, written] : cases) {
    EXPECT_EQ(encode_chunks("ascii", "namereplace", {"<" + text + ">"}),
              (outcome{"<" + written + ">", ""}));
  }
  // A charmap codec encodes the name through its table: EBCDIC here.
  EXPECT_EQ(make_incremental_encoder("cp037", "namereplace")->encode("\xe2\x82\xac", true),
            "\xe0\xd5\xc0\xc5\xe4\xd9\xd6\x40\xe2\xc9\xc7\xd5\xd0");
}

// CPython's charmap codec: an undefined byte is one error, a run of unencodable characters is
// one, and a replacement goes through the codec's table.
TEST(CodecErrors, CharmapCodecsReportAsCPython) {
  EXPECT_EQ(decode_once("cp1252", "strict", "a\x81\x8d").error,
            "UnicodeDecodeError: 'charmap' codec can't decode byte 0x81 in position 1: character "
            "maps to <undefined>");
  EXPECT_EQ(decode_once("cp1252", "replace",
                        "a\x81\x8d"
                        "b"),
            (outcome{"a\xef\xbf\xbd\xef\xbf\xbd"
                     "b",
                     ""}));
  EXPECT_EQ(encode_chunks("cp1252", "strict",
                          {"a\xe4\xb8\x80\xe4\xb8\x80"
                           "b"})
                .error,
            "UnicodeEncodeError: 'charmap' codec can't encode characters in position 1-2: "
            "character maps to <undefined>");
  EXPECT_EQ(make_incremental_encoder("cp037", "replace")->encode("a\xe4\xb8\x80", true),
            "\x81\x6f");
  EXPECT_EQ(make_incremental_encoder("cp037", "xmlcharrefreplace")->encode("\xe4\xb8\x80", true),
            "\x50\x7b\xf1\xf9\xf9\xf6\xf8\x5e");
  // mac_arabic decodes 0x20 and 0xA0 both to a space, and encodes a space as 0xA0.
  EXPECT_EQ(make_incremental_encoder("mac_arabic")->encode(" ", true), "\xa0");
}

// One class for Python's TypeError: the codecs raise the text layer's io::type_error.
TEST(CodecLookup, TypeErrorIsOneClassForCodecsAndTheTextLayer) {
  auto decoder = make_incremental_decoder("utf-8", "xmlcharrefreplace");
  EXPECT_THROW(decoder->decode("\xff", true), pysock::io::type_error);
  static_assert(std::is_same_v<pysock::io::type_error, pysock::type_error>);
}

// ---------------------------------------------------------------------------------------------
// Exceptions, held-back bytes, state
// ---------------------------------------------------------------------------------------------

TEST(CodecErrors, DecodeErrorCarriesTheBufferedBytesPlusInputAndPositionsInThem) {
  auto decoder = make_incremental_decoder("utf-8");
  EXPECT_EQ(decoder->decode("ab\xe2\x82"), "ab");
  EXPECT_EQ(decoder->getstate(), (decoder_state{"\xe2\x82", 0}));
  EXPECT_THROW_WITH(decoder->decode("\xff"
                                    "A"),
                    unicode_decode_error, [&](const unicode_decode_error& e) {
                      EXPECT_EQ(e.encoding(), "utf-8");
                      EXPECT_EQ(e.object(),
                                "\xe2\x82\xff"
                                "A");
                      EXPECT_EQ(e.start(), 0u);
                      EXPECT_EQ(e.end(), 2u);
                      EXPECT_EQ(e.reason(), "invalid continuation byte");
                    });
  // CPython keeps the old buffer and drops the input of the call that raised.
  EXPECT_EQ(decoder->getstate(), (decoder_state{"\xe2\x82", 0}));
  EXPECT_EQ(decoder->decode("\xac"), "\xe2\x82\xac");
}

TEST(CodecErrors, EncodeErrorCountsCodePoints) {
  EXPECT_THROW_WITH(
      make_incremental_encoder("ascii")->encode("\xf0\x9f\x98\x80"
                                                "ab\xc3\xa9\xc3\xa9"
                                                "c"),
      unicode_encode_error, [&](const unicode_encode_error& e) {
        EXPECT_EQ(e.encoding(), "ascii");
        EXPECT_EQ(e.object(),
                  "\xf0\x9f\x98\x80"
                  "ab\xc3\xa9\xc3\xa9"
                  "c");
        EXPECT_EQ(e.start(), 0u);
        EXPECT_EQ(e.end(), 1u);
        EXPECT_STREQ(
            e.what(),
            "'ascii' codec can't encode character '\\U0001f600' in position 0: ordinal not "
            "in range(128)");
      });
  EXPECT_THROW_WITH(make_incremental_encoder("latin-1")->encode("\xf0\x9f\x98\x80"
                                                                "ab\xe2\x82\xac\xe2\x82\xac"
                                                                "c"),
                    unicode_encode_error, [&](const unicode_encode_error& e) {
                      EXPECT_EQ(e.start(), 0u);
                      EXPECT_EQ(e.end(), 1u);
                    });
}

TEST(CodecErrors, FailedCallsLeaveTheOutputAsItWas) {
  std::string out = "kept";
  auto decoder = make_incremental_decoder("utf-8");
  EXPECT_THROW(decoder->decode("abc\xff", out), unicode_decode_error);
  EXPECT_EQ(out, "kept");
  auto encoder = make_incremental_encoder("ascii");
  EXPECT_THROW(encoder->encode("abc\xc3\xa9", out), unicode_encode_error);
  EXPECT_EQ(out, "kept");
  encoder->encode("d", out);
  EXPECT_EQ(out, "keptd");
}

TEST(CodecErrors, EncodersRejectTextThatIsNotUtf8) {
  for (const char* encoding : {"utf-8", "ascii", "latin-1", "utf-16", "cp1252", "shift_jis"}) {
    for (const std::string& text : {"a\xff"s, "a\xc3"s, "\xc0\xaf"s, "\xf4\x90\x80\x80"s}) {
      EXPECT_THROW(make_incremental_encoder(encoding, "replace")->encode(text), value_error)
          << encoding;
    }
  }
}

TEST(CodecState, Utf8HoldsBackPartialCharactersUntilFinal) {
  auto decoder = make_incremental_decoder("utf-8");
  EXPECT_EQ(decoder->decode("\xf0"), "");
  EXPECT_EQ(decoder->decode("\x9f\x98"), "");
  EXPECT_EQ(decoder->getstate(), (decoder_state{"\xf0\x9f\x98", 0}));
  EXPECT_EQ(decoder->decode("\x80!"), "\xf0\x9f\x98\x80!");
  EXPECT_EQ(decoder->decode("\xe2\x82"), "");
  EXPECT_THROW(decoder->decode("", true), unicode_decode_error);
  decoder->reset();
  EXPECT_EQ(decoder->getstate(), decoder_state{});
  decoder->setstate({"\xe2\x82", 0});
  EXPECT_EQ(decoder->decode("\xac", true), "\xe2\x82\xac");
}

TEST(CodecState, Utf8HoldsBackTheStartOfAnEncodedSurrogateOnly) {
  // CPython keeps ED A0..ED BF for surrogatepass; any other invalid pair fails at once.
  auto decoder = make_incremental_decoder("utf-8", "surrogatepass");
  EXPECT_EQ(decoder->decode("\xed\xa0"), "");
  EXPECT_EQ(decoder->decode("\x80"), "\xed\xa0\x80");
  EXPECT_THROW(decoder->decode("\xed\xd1"), unicode_decode_error);
  EXPECT_EQ(decoder->getstate(), decoder_state{});
  EXPECT_EQ(decoder->decode("\xed\x9f"), "");  // the valid start of U+D7C0..U+D7FF
  EXPECT_EQ(decoder->getstate(), (decoder_state{"\xed\x9f", 0}));
}

TEST(CodecState, Utf8SigStripsOneBomAtTheStartOnly) {
  auto decoder = make_incremental_decoder("utf-8-sig");
  EXPECT_EQ(decoder->getstate(), (decoder_state{"", 1}));
  EXPECT_EQ(decoder->decode("\xef"), "");
  EXPECT_EQ(decoder->decode("\xbb"), "");
  EXPECT_EQ(decoder->getstate(), (decoder_state{"\xef\xbb", 1}));
  EXPECT_EQ(decoder->decode("\xbf"
                            "a\xef\xbb\xbf"),
            "a\xef\xbb\xbf");
  EXPECT_EQ(decoder->getstate(), (decoder_state{"", 0}));
  decoder->reset();
  EXPECT_EQ(decoder->decode("b"), "b");  // no BOM: nothing stripped

  auto encoder = make_incremental_encoder("utf-8-sig");
  EXPECT_EQ(encoder->getstate(), 1u);
  EXPECT_EQ(encoder->encode(""), "\xef\xbb\xbf");  // CPython writes it even for empty text
  EXPECT_EQ(encoder->encode("a"), "a");
  EXPECT_EQ(encoder->getstate(), 0u);
  encoder->reset();
  EXPECT_EQ(encoder->encode("a"),
            "\xef\xbb\xbf"
            "a");
  encoder->reset();
  encoder->setstate(0);
  EXPECT_EQ(encoder->encode("a"), "a");
}

TEST(CodecState, Utf16And32PickTheByteOrderFromTheBom) {
  auto decoder = make_incremental_decoder("utf-16");
  EXPECT_EQ(decoder->getstate(), (decoder_state{"", 2}));
  EXPECT_EQ(decoder->decode("\xfe"), "");
  EXPECT_EQ(decoder->decode("\xff\x00"s), "");
  EXPECT_EQ(decoder->getstate(), (decoder_state{"\x00"s, 1}));
  EXPECT_EQ(decoder->decode("a\xfe\xff"), "a\xef\xbb\xbf");  // a later BOM is U+FEFF
  decoder->reset();
  EXPECT_EQ(decoder->decode("\xff\xfe"
                            "a\x00"s),
            "a");
  EXPECT_EQ(decoder->getstate(), (decoder_state{"", 0}));
  decoder->setstate({"", 1});
  EXPECT_EQ(decoder->decode("\x00"
                            "b"s),
            "b");

  auto decoder32 = make_incremental_decoder("utf-32");
  EXPECT_EQ(decoder32->decode("\x00\x00\xfe\xff\x00\x00\x00"
                              "a"s),
            "a");
  EXPECT_EQ(decoder32->getstate(), (decoder_state{"", 1}));

  auto encoder = make_incremental_encoder("utf-16");
  EXPECT_EQ(encoder->getstate(), 2u);
  EXPECT_EQ(encoder->encode(""), "\xff\xfe");
  EXPECT_EQ(encoder->encode("a"), "a\x00"s);
  EXPECT_EQ(encoder->getstate(), 0u);
  encoder->reset();
  encoder->setstate(0);  // what TextIOWrapper does to start writing mid-stream
  EXPECT_EQ(encoder->encode("a"), "a\x00"s);
  encoder->setstate(2);
  EXPECT_EQ(encoder->encode("a"),
            "\xff\xfe"
            "a\x00"s);
  EXPECT_EQ(make_incremental_encoder("utf-32")->encode("a"),
            "\xff\xfe\x00\x00"
            "a\x00\x00\x00"s);
  EXPECT_EQ(make_incremental_encoder("utf-16-be")->encode("a"),
            "\x00"
            "a"s);
}

TEST(CodecState, Utf16BomIsWrittenAgainAfterAFailedFirstCallButUtf8SigIsNot) {
  auto utf16 = make_incremental_encoder("utf-16");
  EXPECT_THROW(utf16->encode("\xed\xa0\x80"), unicode_encode_error);
  EXPECT_EQ(utf16->encode("a"),
            "\xff\xfe"
            "a\x00"s);
  auto sig = make_incremental_encoder("utf-8-sig");
  EXPECT_THROW(sig->encode("\xed\xa0\x80"), unicode_encode_error);
  EXPECT_EQ(sig->encode("a"), "a");
}

TEST(CodecState, StatefulIso2022JpReturnsToAsciiOnFinal) {
  auto encoder = make_incremental_encoder("iso2022_jp");
  EXPECT_EQ(encoder->encode("\xe6\x97\xa5"), "\x1b$BF|");
  EXPECT_EQ(encoder->encode("", true), "\x1b(B");
  auto decoder = make_incremental_decoder("iso2022_jp");
  EXPECT_EQ(decoder->decode("\x1b$B"), "");
  EXPECT_EQ(decoder->decode("F|K\\"), "\xe6\x97\xa5\xe6\x9c\xac");
}

// CPython 3.13's numbers, checked with codecs.getincrementalencoder(name)(): from the low byte
// up, the pending text's UTF-8 length, the text and the eight state bytes (iso2022: G0 G1 G2 G3
// flags; hz: its mode). 'B' (0x42) is ASCII, 0xC2 JIS X 0208, 0xC3 KS X 1001.
TEST(CodecState, CjkEncoderStateIsCPythonsNumber) {
  auto encoder = make_incremental_encoder("iso2022_jp");
  EXPECT_EQ(encoder->getstate(), 0x424200u);  // G0 and G1 ASCII
  EXPECT_EQ(encoder->encode("\xe6\x97\xa5"), "\x1b$BF|");
  EXPECT_EQ(encoder->getstate(), 0x42c200u);  // G0 JIS X 0208
  EXPECT_EQ(encoder->encode("", true), "\x1b(B");
  EXPECT_EQ(encoder->getstate(), 0x424200u);

  auto hz = make_incremental_encoder("hz");
  EXPECT_EQ(hz->getstate(), 0u);
  EXPECT_EQ(hz->encode("\xe4\xb8\xad"), "~{VP");
  EXPECT_EQ(hz->getstate(), 0x100u);  // GB2312 mode
  EXPECT_EQ(hz->encode("a", true), "~}a");
  EXPECT_EQ(hz->getstate(), 0u);

  auto kr = make_incremental_encoder("iso2022_kr");
  EXPECT_EQ(kr->encode("\xed\x95\x9c"), "\x1b$)C\x0e\x47\x51");
  EXPECT_EQ(kr->getstate(), 0x10000c34200u);  // G1 KS X 1001, shifted
}

TEST(CodecState, CjkEncoderSetstateRestoresStateBytesAndPendingText) {
  for (const std::uint64_t state : {0x424200ull, 0x42c200ull, 0x0102030405060700ull, 0ull}) {
    for (const char* encoding : {"iso2022_jp", "iso2022_kr", "hz", "gbk", "shift_jis"}) {
      auto encoder = make_incremental_encoder(encoding);
      encoder->setstate(state);
      EXPECT_EQ(encoder->getstate(), state) << encoding;  // verbatim, also where unused
    }
  }
  auto encoder = make_incremental_encoder("iso2022_jp");
  encoder->setstate(0x42426101);  // pending "a", G0 and G1 ASCII
  EXPECT_EQ(encoder->getstate(), 0x42426101u);
  EXPECT_EQ(encoder->encode("b"), "ab");
  EXPECT_EQ(encoder->getstate(), 0x424200u);
  encoder->setstate(0x4242a597e603);  // pending U+65E5
  EXPECT_EQ(encoder->encode("", true), "\x1b$BF|\x1b(B");
  encoder->setstate(0x4242a9c302);  // pending U+00E9, which iso2022_jp cannot encode
  EXPECT_THROW_MSG(encoder->encode("x"), unicode_encode_error,
                   "'iso2022_jp' codec can't encode character '\\xe9' in position 0: illegal "
                   "multibyte sequence");
  EXPECT_EQ(encoder->getstate(), 0x4242a9c302u);  // kept after the error, as in CPython
  encoder->reset();
  EXPECT_EQ(encoder->getstate(), 0x424200u);
  EXPECT_EQ(encoder->encode("x"), "x");

  auto gbk = make_incremental_encoder("gbk");
  gbk->setstate(0x6102);  // pending "a" and a NUL byte
  EXPECT_EQ(gbk->encode("b"), "a\0b"s);
}

TEST(CodecState, CjkEncoderSetstateRejectsWhatCPythonRejects) {
  auto encoder = make_incremental_encoder("iso2022_jp");
  encoder->setstate(0x42c200);
  EXPECT_THROW_MSG(encoder->setstate(9), pysock::unicode_error, "pending buffer too large");
  EXPECT_THROW_MSG(encoder->setstate(0xff01), unicode_decode_error,
                   "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte");
  EXPECT_THROW_MSG(encoder->setstate(0xa5e602), unicode_decode_error,
                   "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data");
  EXPECT_EQ(encoder->getstate(), 0x42c200u);  // unchanged
}

// CPython keeps the pending text of a failed call but not the state bytes it had: a 3-byte
// pending character and iso2022_kr's shift flag end past the 64th bit, which getstate() reports.
TEST(CodecState, CjkEncoderStatePastSixtyFourBitsThrows) {
  auto encoder = make_incremental_encoder("iso2022_kr");
  encoder->setstate(0x42429c95ed03);  // pending U+D55C, G0 and G1 ASCII
  EXPECT_THROW(encoder->encode("\xed\xb2\x80"), unicode_encode_error);  // U+DC80, after SO
  EXPECT_THROW_MSG(encoder->getstate(), std::overflow_error,
                   "the encoder's state does not fit in 64 bits");
  EXPECT_EQ(encoder->encode("a", true),
            "GQ\x0f"
            "a");
  EXPECT_EQ(encoder->getstate(), 0xc34200u);
}

// State bytes no codec writes: CPython compares them with the charset it needs, so an encoder
// set to 0 (TextIOWrapper's setstate(0)) or to G0 = 1 designates again.
TEST(CodecState, CjkEncodersCompareStateBytesAsCPython) {
  auto encoder = make_incremental_encoder("iso2022_jp");
  encoder->setstate(0x420100);  // G0 = 1
  EXPECT_EQ(encoder->encode("a"), "\x1b(Ba");
  encoder->setstate(0);
  EXPECT_EQ(encoder->encode("\xe6\x97\xa5", true), "\x1b$BF|\x1b(B");

  auto kr = make_incremental_encoder("iso2022_kr");
  kr->setstate(0x10000c30000);  // G0 = 0, G1 KS X 1001, shifted
  EXPECT_EQ(kr->encode("a"),
            "\x1b(B\x0f"
            "a");  // ESC ( B before SI for a character...
  kr->setstate(0x10000c30000);
  EXPECT_EQ(kr->encode("", true), "\x0f\x1b(B");  // ...SI first at the end
  kr->setstate(0);
  EXPECT_EQ(kr->encode("\xed\x95\x9c"), "\x1b$)C\x0e\x47\x51");

  auto hz = make_incremental_encoder("hz");
  hz->setstate(0x4200);  // mode 0x42: GB2312 for the encoder
  EXPECT_EQ(hz->encode("\xe4\xb8\xad"), "VP");
  hz->setstate(0x10000);  // c[1] = 1: the mode is c[0] alone
  EXPECT_EQ(hz->encode("a"), "a");
  EXPECT_EQ(hz->encode("\xe4\xb8\xad", true), "~{VP~}");
  EXPECT_EQ(hz->getstate(), 0x10000u);
}

TEST(CodecState, CjkDecoderStateIsCPythonsStateBytes) {
  auto decoder = make_incremental_decoder("iso2022_jp");
  EXPECT_EQ(decoder->getstate(), (decoder_state{"", 0x424242}));
  EXPECT_EQ(decoder->decode("\x1b$BF"), "");
  EXPECT_EQ(decoder->getstate(), (decoder_state{"F", 0x4242c2}));
  auto gbk = make_incremental_decoder("gbk");
  gbk->setstate({"\x81", 0x0102030405060708});
  EXPECT_EQ(gbk->getstate(), (decoder_state{"\x81", 0x0102030405060708}));
  EXPECT_EQ(gbk->decode("\x40", true), "\xe4\xb8\x82");
  EXPECT_THROW_MSG(gbk->setstate({"123456789", 0}), unicode_decode_error,
                   "'gbk' codec can't decode bytes in position 0-8: pending buffer too large");
  auto hz = make_incremental_decoder("hz");
  hz->setstate({"", 2});  // neither mode: CPython reads GB2312 but accepts no escape
  EXPECT_EQ(hz->decode("VP"), "\xe4\xb8\xad");
  EXPECT_THROW(hz->decode("~}", true), unicode_decode_error);
}

// ---------------------------------------------------------------------------------------------
// Round trips, chunking and sizes
// ---------------------------------------------------------------------------------------------

std::string random_bytes(std::mt19937& rng, std::size_t size) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::string bytes;
  for (std::size_t i = 0; i < size; ++i)
    bytes += static_cast<char>(byte(rng));
  return bytes;
}

TEST(CodecRoundTrip, SurrogateescapeRestoresArbitraryBytes) {
  std::mt19937 rng(12345);
  for (const char* encoding : {"utf-8", "ascii", "latin-1", "cp1252"}) {
    auto decoder = make_incremental_decoder(encoding, "surrogateescape");
    auto encoder = make_incremental_encoder(encoding, "surrogateescape");
    for (int round = 0; round < 300; ++round) {
      const std::string bytes = random_bytes(rng, rng() % 64);
      const std::string text = decoder->decode(bytes, true);
      EXPECT_EQ(encoder->encode(text), bytes) << encoding;
    }
  }
}

TEST(CodecRoundTrip, EveryCodecEncodesAndDecodesItsRepertoire) {
  const std::string text = "line one\r\nzwei \xc3\xa9t\xc3\xa9\n";
  const std::string japanese = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe3\x81\x82 \xef\xbd\xb1";
  const std::string chinese = "\xe4\xb8\xad\xe6\x96\x87";
  const std::string korean = "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4";
  const std::pair<const char*, std::string> cases[] = {
      {"utf-8", text + japanese + "\xf0\x9f\x98\x80"},
      {"utf-16", text + "\xf0\x9f\x98\x80"},
      {"utf-32-be", text + "\xf0\x9f\x98\x80"},
      {"latin-1", text},
      {"cp1252", text + "\xe2\x82\xac"},
      {"iso8859-15", text + "\xe2\x82\xac"},
      {"koi8-r", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"},
      {"cp037", "EBCDIC!"},
      {"cp1255", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x82\xaa"},
      {"mac_roman", text + "\xef\xa3\xbf"},
      {"shift_jis", japanese + "\\~"},
      {"cp932", japanese},
      {"euc_jp", japanese},
      {"iso2022_jp", "abc \xe6\x97\xa5\xe6\x9c\xac"},
      {"gbk", chinese},
      {"gb18030", chinese + "\xf0\x9f\x98\x80"},
      {"big5", chinese},
      {"cp949", korean},
      {"euc_kr", korean},
  };
  for (const auto& [encoding, sample] : cases) {
    const std::string bytes = make_incremental_encoder(encoding)->encode(sample, true);
    EXPECT_EQ(make_incremental_decoder(encoding)->decode(bytes, true), sample) << encoding;
  }
}

// Bytes that make CPython's decoders stop, hold back or recover: biased random input.
std::string tricky_bytes(std::mt19937& rng) {
  static const std::string pieces[] = {
      "a",
      "Z\n",
      "\xc3\xa9",
      "\xe2\x82\xac",
      "\xf0\x9f\x98\x80",
      "\xe2\x82",
      "\xf0\x9f",
      "\xed\xa0\x80",
      "\xed\xb2\x80",
      "\xc0\xaf",
      "\xe0\x80\xaf",
      "\xff",
      "\x80",
      "\xef\xbb\xbf",
      "\xff\xfe",
      "\xfe\xff",
      "\x00\xd8",
      "\x00\xdc",
      "\x3d\xd8\x00\xde",
      "\x00"s,
      "\x81\x40",
      "\x82\xa0",
      "\xa4\xa2",
      "\x1b$B",
      "\x1b(B",
      "\x8e\xb1",
      "\x00\x00\x11\x00"s,
  };
  std::string bytes;
  const std::size_t count = rng() % 8;
  for (std::size_t i = 0; i < count; ++i)
    bytes += pieces[rng() % std::size(pieces)];
  return bytes;
}

const char* const all_test_encodings[] = {
    "utf-8",  "utf-8-sig", "ascii",     "latin-1", "utf-16", "utf-16-le", "utf-16-be",
    "utf-32", "utf-32-le", "utf-32-be", "cp1252",  "koi8-r", "cp037",     "shift_jis",
    "cp932",  "euc_jp",    "gbk",       "gb18030", "big5",   "cp949",     "iso2022_jp",
};

const char* const all_handlers[] = {"strict",           "ignore",          "replace",
                                    "backslashreplace", "surrogateescape", "surrogatepass"};

TEST(CodecChunking, RandomInputDecodesTheSameInAnyPieces) {
  std::mt19937 rng(2024);
  for (const char* encoding : all_test_encodings) {
    for (const char* errors : all_handlers) {
      for (int round = 0; round < 25; ++round) {
        const std::string input = tricky_bytes(rng);
        const outcome whole = decode_once(encoding, errors, input);
        std::vector<std::vector<std::string>> splits;
        for (std::size_t cut = 0; cut <= input.size(); ++cut) {
          splits.push_back({input.substr(0, cut), input.substr(cut)});
        }
        splits.emplace_back();
        for (const char b : input)
          splits.back().emplace_back(1, b);
        for (const auto& chunks : splits) {
          const outcome split = decode_chunks(encoding, errors, chunks);
          ASSERT_EQ(split.error.empty(), whole.error.empty())
              << encoding << " " << errors << " " << split << " vs " << whole;
          if (whole.error.empty()) {
            ASSERT_EQ(split.output, whole.output) << encoding << " " << errors;
          }
        }
      }
    }
  }
}

TEST(CodecChunking, LargeInputsConvertCompletely) {
  std::string text;
  for (int i = 0; text.size() < 300'000; ++i) {
    text += "line " + std::to_string(i) + " caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n";
  }
  for (const char* encoding : {"utf-8", "utf-16", "utf-32-le", "gb18030"}) {
    const std::string bytes = make_incremental_encoder(encoding)->encode(text, true);
    EXPECT_EQ(make_incremental_decoder(encoding)->decode(bytes, true), text) << encoding;
    // The same through 8 KiB reads, as TextIOWrapper does.
    auto decoder = make_incremental_decoder(encoding);
    std::string decoded;
    for (std::size_t at = 0; at < bytes.size(); at += 8192) {
      decoder->decode(std::string_view(bytes).substr(at, 8192), decoded);
    }
    decoder->decode("", decoded, true);
    EXPECT_EQ(decoded, text) << encoding;
  }
  std::string latin1;
  for (int i = 0; i < 256 * 800; ++i)
    latin1 += static_cast<char>(i % 256);
  const std::string utf8 = make_incremental_decoder("latin-1")->decode(latin1, true);
  EXPECT_EQ(utf8.size(), latin1.size() + latin1.size() / 2);
  EXPECT_EQ(make_incremental_encoder("latin-1")->encode(utf8), latin1);
}

TEST(CodecThreaded, FactoriesAndIndependentObjectsWorkFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &failures] {
      const char* encodings[] = {"utf-8", "cp1252", "utf-16", "shift_jis"};
      for (int i = 0; i < 200; ++i) {
        const char* encoding = encodings[(t + i) % 4];
        auto encoder = make_incremental_encoder(encoding, "replace");
        auto decoder = make_incremental_decoder(encoding, "replace");
        const std::string text = "thread " + std::to_string(t) + " \xe2\x80\xa6";  // U+2026
        if (decoder->decode(encoder->encode(text), true) != text) ++failures[t];
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (int t = 0; t < 8; ++t)
    EXPECT_EQ(failures[t], 0) << "thread " << t;
}

// ---------------------------------------------------------------------------------------------
// Differential test against CPython 3.13
// ---------------------------------------------------------------------------------------------

// Reads one case per line: "D|E encoding errors final state chunk-hex..." ('-' for an empty
// chunk; encoding chunks are generalized UTF-8; the state given to setstate() first, '-' for
// none, "buffered-hex,flags" for a decoder) and writes "status output object message state" per
// case, with '-' for empty fields, the message and object in hex.
constexpr const char* differential_script = R"PY(
import codecs, sys
sys.path.insert(0, sys.argv[3])
sys.dont_write_bytecode = True
import cpython313
print(cpython313.describe(cpython313.install()))

def h(b):
    return b.hex() or '-'

def utf8(s):
    return s.encode('utf-8', 'surrogatepass')

def initial_state(kind, state):
    if kind == 'E':
        return int(state)
    buffered, flags = state.split(',')
    return (b'' if buffered == '-' else bytes.fromhex(buffered), int(flags))

def run(line):
    kind, encoding, errors, final, state, *chunks = line.split(' ')
    chunks = [b'' if c == '-' else bytes.fromhex(c) for c in chunks]
    if kind == 'D':
        codec = codecs.getincrementaldecoder(encoding)(errors)
        call = lambda chunk, last: utf8(codec.decode(chunk, last))
    else:
        codec = codecs.getincrementalencoder(encoding)(errors)
        call = lambda chunk, last: codec.encode(chunk.decode('utf-8', 'surrogatepass'), last)
    output, status, message, obj = b'', 'ok', b'', b''
    try:
        if state != '-':
            codec.setstate(initial_state(kind, state))
        for i, chunk in enumerate(chunks):
            output += call(chunk, final == '1' and i == len(chunks) - 1)
    except Exception as e:
        status, message = type(e).__name__, utf8(str(e))
        o = getattr(e, 'object', b'')
        obj = o if isinstance(o, bytes) else utf8(o)
    state = codec.getstate()
    state = '%s,%s' % (h(state[0]), state[1]) if kind == 'D' else str(state)
    if kind == 'E' and int(state) >= 1 << 64:
        state = 'overflow'  # pysock's getstate() throws std::overflow_error
    return ' '.join([status, h(output), h(obj), h(message), state])

with open(sys.argv[1]) as cases, open(sys.argv[2], 'w') as results:
    for line in cases:
        results.write(run(line.rstrip('\n')) + '\n')
)PY";

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (const char c : bytes) {
    text += digits[static_cast<unsigned char>(c) >> 4];
    text += digits[static_cast<unsigned char>(c) & 15];
  }
  return text.empty() ? "-" : text;
}

struct differential_case {
  bool decode;
  std::string encoding, errors;
  bool final;
  std::vector<std::string> chunks;
  std::optional<decoder_state> state = {};  // for setstate(): an encoder's is state->flags

  std::string line() const {
    std::string text =
        std::string(decode ? "D " : "E ") + encoding + " " + errors + " " + (final ? "1" : "0");
    text += ' ';
    if (!state) {
      text += '-';
    } else if (decode) {
      text += hex(state->buffered) + "," + std::to_string(state->flags);
    } else {
      text += std::to_string(state->flags);
    }
    for (const std::string& chunk : chunks) {
      text += ' ';  // (appending " " + hex(chunk) trips g++ 12's -Wrestrict false positive)
      text += hex(chunk);
    }
    return text;
  }
};

// The codec's CPython-visible behaviour on a case, in the script's result format.
std::string run_case(const differential_case& c) {
  std::string output, status = "ok", object, message, state;
  const auto describe_failure = [&] {
    try {
      throw;
    } catch (const unicode_decode_error& e) {
      object = e.object();
    } catch (const unicode_encode_error& e) {
      object = e.object();
    } catch (...) {
    }
    const std::string description = describe_current_exception();
    const std::size_t colon = description.find(": ");
    status = description.substr(0, colon);
    message = description.substr(colon + 2);
  };
  if (c.decode) {
    auto decoder = make_incremental_decoder(c.encoding, c.errors);
    try {
      if (c.state) decoder->setstate(*c.state);
      for (std::size_t i = 0; i < c.chunks.size(); ++i) {
        decoder->decode(c.chunks[i], output, c.final && i + 1 == c.chunks.size());
      }
    } catch (...) {
      describe_failure();
    }
    const decoder_state s = decoder->getstate();
    state = hex(s.buffered) + "," + std::to_string(s.flags);
  } else {
    auto encoder = make_incremental_encoder(c.encoding, c.errors);
    try {
      if (c.state) encoder->setstate(c.state->flags);
      for (std::size_t i = 0; i < c.chunks.size(); ++i) {
        encoder->encode(c.chunks[i], output, c.final && i + 1 == c.chunks.size());
      }
    } catch (...) {
      describe_failure();
    }
    try {
      state = std::to_string(encoder->getstate());
    } catch (const std::overflow_error&) {
      state = "overflow";
    }
  }
  return status + " " + hex(output) + " " + hex(object) + " " + hex(message) + " " + state;
}

// Cuts `input` into one to three chunks; text is cut between characters only.
std::vector<std::string> random_chunks(std::mt19937& rng, const std::string& input, bool text) {
  std::vector<std::string> chunks;
  std::size_t at = 0;
  const std::size_t pieces = 1 + rng() % 3;
  for (std::size_t i = 1; i < pieces; ++i) {
    std::size_t cut = at + rng() % (input.size() - at + 1);
    while (text && cut < input.size() && (input[cut] & 0xC0) == 0x80)
      ++cut;
    chunks.push_back(input.substr(at, cut - at));
    at = cut;
  }
  chunks.push_back(input.substr(at));
  return chunks;
}

// UTF-16/32 code units in the given byte order: characters, pairs, lone surrogates, BOMs,
// out-of-range values and stray bytes.
std::string random_unicode_units(std::mt19937& rng, std::size_t unit, bool big_endian) {
  static const char32_t values[] = {'a',      '\n',     0xE9,   0x20AC, 0xFEFF, 0xFFFE,
                                    0xD83D,   0xDE00,   0xD800, 0xDC80, 0xDFFF, 0x1F600,
                                    0x10FFFF, 0x110000, 0xFFFF, 0};
  std::string bytes;
  const std::size_t count = rng() % 7;
  for (std::size_t i = 0; i < count; ++i) {
    char32_t value = values[rng() % std::size(values)];
    if (unit == 2 && value > 0xFFFF) {  // a pair, or the low half of one
      bytes += random_unicode_units(rng, 0, big_endian);
      value = 0xDC00 + (value & 0x3FF);
    }
    for (std::size_t b = 0; b < unit; ++b) {
      const std::size_t shift = 8 * (big_endian ? unit - 1 - b : b);
      bytes += static_cast<char>((value >> shift) & 0xFF);
    }
  }
  if (rng() % 4 == 0) bytes += static_cast<char>(rng() % 256);
  return bytes;
}

// Generalized UTF-8 text mixing ASCII, Latin-1, BMP and astral characters and lone surrogates;
// `cjk_safe` leaves out what glibc and CPython's CJK codecs encode differently (C1 controls,
// EURO SIGN; YEN SIGN, after which CPython's iso2022_jp returns to ASCII before a replacement).
std::string random_text(std::mt19937& rng, bool cjk_safe) {
  static const char32_t ranges[][2] = {
      {'a', 'z'},       {' ', '~'},       {0x80, 0x9F},     {0xA0, 0xFF},     {0x391, 0x3C9},
      {0x410, 0x44F},   {0x3041, 0x3093}, {0x4E00, 0x4E20}, {0xAC00, 0xAC10}, {0x1F600, 0x1F610},
      {0xDC80, 0xDCFF}, {0xD800, 0xDBFF}, {0xDC00, 0xDC7F}, {0x20AC, 0x20AC}};
  std::string text;
  const std::size_t count = rng() % 8;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& range = ranges[rng() % std::size(ranges)];
    const char32_t c = range[0] + static_cast<char32_t>(rng() % (range[1] - range[0] + 1));
    if (cjk_safe && ((c >= 0x80 && c <= 0x9F) || c == 0xA5 || c == 0x20AC)) continue;
    std::string encoded;
    if (c < 0x80) {
      encoded = std::string(1, static_cast<char>(c));
    } else if (c < 0x800) {
      encoded = {static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))};
    } else if (c < 0x10000) {
      encoded = {static_cast<char>(0xE0 | (c >> 12)), static_cast<char>(0x80 | ((c >> 6) & 0x3F)),
                 static_cast<char>(0x80 | (c & 0x3F))};
    } else {
      encoded = {static_cast<char>(0xF0 | (c >> 18)), static_cast<char>(0x80 | ((c >> 12) & 0x3F)),
                 static_cast<char>(0x80 | ((c >> 6) & 0x3F)), static_cast<char>(0x80 | (c & 0x3F))};
    }
    text += encoded;
  }
  return text;
}

struct differential_codec {
  const char* encoding;
  bool multibyte;
  std::function<std::string(std::mt19937&)> decode_input;
  // For an iso2022 codec, the charsets its decoder can hold in G0 and G1 (CPython's decoder
  // reads past its table for others).
  std::string charsets = {};
};

// Valid text of a CJK codec's repertoire, encoded by pysock, then cut short and, unless
// `spoil` is false, spoiled with a byte 0xFF, which CPython and glibc both reject (not for
// iso2022_jp, whose invalid escape sequences CPython reports differently: docs/differences.md).
std::function<std::string(std::mt19937&)> cjk_input(const char* encoding, std::string repertoire,
                                                    bool spoil = true) {
  return [encoding, repertoire, spoil](std::mt19937& rng) {
    std::string bytes = make_incremental_encoder(encoding)->encode(repertoire, true);
    if (rng() % 2) bytes.resize(rng() % (bytes.size() + 1));
    if (spoil && rng() % 3 == 0) bytes.insert(rng() % (bytes.size() + 1), "\xff");
    return bytes;
  };
}

// Little-endian bytes as a number (at most eight).
std::uint64_t little_endian(std::string_view bytes) {
  std::uint64_t number = 0;
  for (std::size_t i = bytes.size(); i-- > 0;)
    number = number << 8 | static_cast<unsigned char>(bytes[i]);
  return number;
}

// A CJK encoder state as CPython packs one, within 64 bits: the pending text's length (now and
// then above CPython's limit of 8) and the text (now and then not UTF-8), then state bytes:
// charsets the iso2022 encoders write, values no codec writes, flags.
std::uint64_t random_encoder_state(std::mt19937& rng) {
  // clang-format off
  static const char* const pending[] = {"", "", "", "a", "~", "ab", "\xc3\xa9", "\xe6\x97\xa5",
                                        "\xed\x95\x9c", "\xe4\xb8\xad", "\xff", "\xe6\x97"};
  // clang-format on
  static const unsigned char charsets[] = {0, 1, 'B', 'B', 'J', 'I', 0xC2, 0xC0, 0xC3, 0xC4, 0xFF};
  const std::string text = pending[rng() % std::size(pending)];
  std::string bytes(1, static_cast<char>(rng() % 16 == 0 ? 9 + rng() % 8 : text.size()));
  bytes += text;
  for (std::size_t k = 0; bytes.size() < 8; ++k) {
    const unsigned char byte = k < 2    ? charsets[rng() % std::size(charsets)]
                               : k == 4 ? rng() % 4
                                        : (rng() % 4 == 0 ? rng() % 256 : 0);
    bytes += static_cast<char>(byte);
  }
  return little_endian(bytes);
}

// A CJK decoder state: a few held-back bytes of its input (now and then more than CPython's 8),
// and state bytes: any for the stateless codecs and hz, the codec's own charsets (and in G2 one
// of those iso2022_jp_2 designates there) for an iso2022 codec.
decoder_state random_decoder_state(std::mt19937& rng, const differential_codec& codec) {
  std::string buffered = codec.decode_input(rng);
  buffered.resize(std::min<std::size_t>(buffered.size(), rng() % 8 == 0 ? 9 : rng() % 3));
  const std::uint64_t any = std::uint64_t{rng()} << 32 | rng();
  if (codec.charsets.empty()) return {buffered, rng() % 2 ? rng() % 3 : any};
  std::string bytes;
  for (int plane = 0; plane < 2; ++plane)
    bytes += codec.charsets[rng() % codec.charsets.size()];
  bytes += "BAF"[rng() % 3];
  bytes += static_cast<char>(any);
  bytes += static_cast<char>(rng() % 4);
  return {buffered, little_endian(bytes) | (any & 0xffffff0000000000)};
}

std::vector<differential_codec> differential_codecs() {
  const auto units = [](std::size_t unit, bool big_endian) {
    return [unit, big_endian](std::mt19937& rng) {
      std::string bytes;
      if (rng() % 3 == 0)
        bytes = random_unicode_units(rng, unit, big_endian);  // may lead with a BOM
      return bytes + random_unicode_units(rng, unit, big_endian);
    };
  };
  const auto any_bytes = [](std::mt19937& rng) {
    return rng() % 2 ? tricky_bytes(rng) : random_bytes(rng, rng() % 12);
  };
  const std::string japanese = "a\xe6\x97\xa5\xe6\x9c\xac\xe3\x81\x82\xe3\x82\xa2z";
  const std::string chinese = "a\xe4\xb8\xad\xe6\x96\x87z";
  const std::string korean = "a\xed\x95\x9c\xea\xb5\xad~";
  const std::string jis = "BJ\xc2\xc0";
  return {
      {"utf-8", false, any_bytes},
      {"utf-8-sig", false, any_bytes},
      {"ascii", false, any_bytes},
      {"latin-1", false, any_bytes},
      {"utf-16", false, units(2, false)},
      {"utf-16", false, units(2, true)},
      {"utf-16-le", false, units(2, false)},
      {"utf-16-be", false, units(2, true)},
      {"utf-32", false, units(4, false)},
      {"utf-32", false, units(4, true)},
      {"utf-32-le", false, units(4, false)},
      {"utf-32-be", false, units(4, true)},
      {"cp1252", false, any_bytes},
      {"koi8-r", false, any_bytes},
      {"cp437", false, any_bytes},
      {"iso8859-5", false, any_bytes},
      {"cp037", false, any_bytes},
      {"shift_jis", true, cjk_input("shift_jis", japanese + "\xef\xbd\xb1\\~")},
      {"cp932", true, cjk_input("cp932", japanese + "\xef\xbd\xb1\\~")},
      {"euc_jp", true, cjk_input("euc_jp", japanese + "\xef\xbd\xb1")},
      {"iso2022_jp", true, cjk_input("iso2022_jp", japanese, false), jis},
      {"iso2022_jp_1", true, cjk_input("iso2022_jp_1", japanese, false), jis + "\xc4"},
      {"iso2022_jp_2", true, cjk_input("iso2022_jp_2", japanese + korean + chinese, false),
       jis + "\xc4\xc3\xc1" + "AF"},
      {"iso2022_jp_ext", true, cjk_input("iso2022_jp_ext", japanese + "\xef\xbd\xb1", false),
       jis + "\xc4I"},
      {"iso2022_kr", true, cjk_input("iso2022_kr", korean, false), "B\xc3"},
      {"gbk", true, cjk_input("gbk", chinese)},
      {"gb2312", true, cjk_input("gb2312", chinese)},
      {"gb18030", true, cjk_input("gb18030", chinese + "\xf0\x9f\x98\x80")},
      {"hz", true, cjk_input("hz", chinese + "~")},
      {"big5", true, cjk_input("big5", chinese)},
      {"cp950", true, cjk_input("cp950", chinese)},
      {"cp949", true, cjk_input("cp949", korean)},
      {"euc_kr", true, cjk_input("euc_kr", korean)},
      {"johab", true, cjk_input("johab", korean)},
  };
}

// PYSOCK_CODEC_SEED and PYSOCK_CODEC_ROUNDS explore further than the default run.
unsigned setting(const char* name, unsigned fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? static_cast<unsigned>(std::stoul(value)) : fallback;
}

// Random cases for each codec: a decoding and an encoding per round, with a random setstate()
// first for the CJK codecs when `with_states`.
std::vector<differential_case> random_cases(std::mt19937& rng, bool with_states) {
  const char* const handlers[] = {
      "strict",          "ignore",        "replace",           "backslashreplace",
      "surrogateescape", "surrogatepass", "xmlcharrefreplace", "bogus"};
  const unsigned rounds = setting("PYSOCK_CODEC_ROUNDS", 160);
  std::vector<differential_case> cases;
  for (const differential_codec& codec : differential_codecs()) {
    if (with_states && !codec.multibyte) continue;
    for (unsigned round = 0; round < rounds; ++round) {
      const std::string errors = handlers[rng() % std::size(handlers)];
      const bool final = rng() % 4 != 0;
      const std::string input = codec.decode_input(rng);
      cases.push_back({true, codec.encoding, errors, final, random_chunks(rng, input, false)});
      if (with_states) cases.back().state = random_decoder_state(rng, codec);
      const std::string text = random_text(rng, codec.multibyte);
      cases.push_back({false, codec.encoding, errors, final, random_chunks(rng, text, true)});
      if (with_states) cases.back().state = decoder_state{"", random_encoder_state(rng)};
    }
  }
  return cases;
}

// Runs the cases through `python` and through pysock, and expects the same results.
void expect_cpython_results(const std::string& python, const std::vector<differential_case>& cases,
                            unsigned seed) {
  // Names unique to this process, so that test runs of several build trees do not collide.
  const std::string prefix = ::testing::TempDir() + "pysock_codec_" + std::to_string(::getpid());
  const std::string script = prefix + "_differential.py";
  const std::string input = prefix + "_cases.txt";
  const std::string output = prefix + "_results.txt";
  std::ofstream(script) << differential_script;
  {
    std::ofstream file(input);
    for (const differential_case& c : cases)
      file << c.line() << '\n';
  }
  const auto run = pysock_test::run_command(python + " " + script + " " + input + " " + output +
                                            " " + PYSOCK_SOURCE_DIR + "/tests/conformance");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::cout << "REFERENCE " << run.output;  // the interpreter and its emulation, for the report
  std::ifstream results(output);
  int mismatches = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    std::string expected;
    ASSERT_TRUE(std::getline(results, expected)) << "CPython gave no result for case " << i;
    const std::string actual = run_case(cases[i]);
    if (actual != expected && ++mismatches <= 20) {
      ADD_FAILURE() << "seed " << seed << ", case: " << cases[i].line()
                    << "\n  CPython: " << expected << "\n  pysock:  " << actual;
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << cases.size() << " cases";
  std::remove(script.c_str());
  std::remove(input.c_str());
  std::remove(output.c_str());
}

TEST(CodecDifferential, RandomCasesMatchCPython313) {
  const std::string python = pysock_test::python_command();
  if (pysock_test::run_command(python + " -c pass").exit_code != 0)
    GTEST_SKIP() << "no CPython to compare with (" << python << " does not run)";
  const unsigned seed = setting("PYSOCK_CODEC_SEED", 20240607);
  std::mt19937 rng(seed);
  expect_cpython_results(python, random_cases(rng, false), seed);
}

// The CJK codecs' getstate() and setstate() over random states, pending text and chunks.
TEST(CodecDifferential, RandomCjkStatesMatchCPython313) {
  const std::string python = pysock_test::python_command();
  if (pysock_test::run_command(python + " -c 'import sys; sys.exit(sys.version_info < (3, 13))'")
          .exit_code != 0) {
    GTEST_SKIP() << "needs CPython 3.13 (" << python
                 << " is not: before 3.13 a CJK decoder's setstate() raises UnicodeError where "
                    "3.13 raises UnicodeDecodeError)";
  }
  const unsigned seed = setting("PYSOCK_CODEC_SEED", 20240607);
  std::mt19937 rng(seed);
  expect_cpython_results(python, random_cases(rng, true), seed);
}

}  // namespace
