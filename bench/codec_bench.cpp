// Throughput of the codec layer, in MB/s of input, for the cases a text stream meets: valid ASCII
// and mixed UTF-8 (hand-written fast path), Latin-1 (hand-written), UTF-16 (utf16_32.cpp), decoded
// in 64 KiB chunks and, for ASCII, one 80-byte line per call as a line reader does; for every
// single-byte codec, decoding and encoding (charmap/decode/NAME, charmap/encode/NAME) text where
// every other character is one of the codec's non-ASCII characters; and for the CJK codecs the same
// (cjk/decode/NAME, cjk/encode/NAME) over text in their own script.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "pysock/io/codec.hpp"

namespace {

constexpr std::size_t sample_size = 1 << 20;

// Lines of ASCII text, `sample_size` bytes in all.
std::string ascii_text() {
  std::string text;
  for (int i = 0; text.size() < sample_size; ++i) {
    text += "GET /index/" + std::to_string(i) + " HTTP/1.1 Host: example.com User-Agent: bench\r\n";
  }
  text.resize(sample_size);
  text.back() = '\n';
  return text;
}

// UTF-8 with about a third of its characters outside ASCII (2, 3 and 4-byte forms).
std::string mixed_text() {
  const std::string words[] = {"plain ascii words ", "caf\xc3\xa9 na\xc3\xafve ",
                               "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 ",
                               "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e ", "\xf0\x9f\x98\x80\n"};
  std::string text;
  for (std::size_t i = 0; text.size() < sample_size; ++i)
    text += words[i % std::size(words)];
  return text;
}

std::string encoded(const char* encoding, const std::string& text) {
  return pysock::io::make_incremental_encoder(encoding)->encode(text, true);
}

// Labels the run with its throughput, in MB of input per second since `start`.
void report_throughput(benchmark::State& state, std::size_t input_size,
                       std::chrono::steady_clock::time_point start) {
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double bytes = static_cast<double>(input_size) * static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  char label[32];
  std::snprintf(label, sizeof label, "%.0f MB/s", bytes / 1e6 / elapsed.count());
  state.SetLabel(label);
}

// Decodes `input` in pieces of `chunk` bytes per call, reusing one output string.
void decode_in_chunks(benchmark::State& state, const char* encoding, const std::string& input,
                      std::size_t chunk) {
  auto decoder = pysock::io::make_incremental_decoder(encoding);
  std::string out;
  out.reserve(2 * input.size());
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    out.clear();
    for (std::size_t at = 0; at < input.size(); at += chunk) {
      decoder->decode(std::string_view(input).substr(at, chunk), out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  report_throughput(state, input.size(), start);
}

// Encodes `text` in pieces of about `chunk` bytes (on character boundaries) per call.
void encode_in_chunks(benchmark::State& state, const char* encoding, const std::string& text,
                      std::size_t chunk) {
  auto encoder = pysock::io::make_incremental_encoder(encoding);
  std::string out;
  out.reserve(text.size());
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    out.clear();
    for (std::size_t at = 0; at < text.size();) {
      std::size_t end = std::min(text.size(), at + chunk);
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        ++end;
      encoder->encode(std::string_view(text).substr(at, end - at), out);
      at = end;
    }
    benchmark::DoNotOptimize(out.data());
  }
  report_throughput(state, text.size(), start);
}

void utf8_ascii(benchmark::State& state) {
  static const std::string input = ascii_text();
  decode_in_chunks(state, "utf-8", input, 64 * 1024);
}

void utf8_ascii_per_line(benchmark::State& state) {
  static const std::string input = ascii_text();
  decode_in_chunks(state, "utf-8", input, 80);
}

void utf8_mixed(benchmark::State& state) {
  static const std::string input = mixed_text();
  decode_in_chunks(state, "utf-8", input, 64 * 1024);
}

void latin1(benchmark::State& state) {
  static const std::string input =
      encoded("latin-1", ascii_text() + "caf\xc3\xa9 \xc3\xa0 \xc3\xbf");
  decode_in_chunks(state, "latin-1", input, 64 * 1024);
}

void latin1_high_bytes(benchmark::State& state) {
  std::string bytes;
  for (std::size_t i = 0; i < sample_size; ++i)
    bytes += static_cast<char>(i % 256);
  static const std::string input = bytes;
  decode_in_chunks(state, "latin-1", input, 64 * 1024);
}

void utf16_encode(benchmark::State& state) {
  static const std::string text = mixed_text();
  encode_in_chunks(state, "utf-16", text, 64 * 1024);
}

void utf16(benchmark::State& state) {
  static const std::string input = encoded("utf-16", mixed_text());
  decode_in_chunks(state, "utf-16", input, 64 * 1024);
}

void cp1252_ascii(benchmark::State& state) {
  static const std::string input = encoded("cp1252", ascii_text());
  decode_in_chunks(state, "cp1252", input, 64 * 1024);
}

// The single-byte codecs CPython 3.13 has (but latin-1, above).
constexpr const char* single_byte_codecs[] = {
    "cp037",      "cp1006",      "cp1026",     "cp1125",       "cp1140",       "cp1250",
    "cp1251",     "cp1252",      "cp1253",     "cp1254",       "cp1255",       "cp1256",
    "cp1257",     "cp1258",      "cp273",      "cp424",        "cp437",        "cp500",
    "cp720",      "cp737",       "cp775",      "cp850",        "cp852",        "cp855",
    "cp856",      "cp857",       "cp858",      "cp860",        "cp861",        "cp862",
    "cp863",      "cp864",       "cp865",      "cp866",        "cp869",        "cp874",
    "cp875",      "hp_roman8",   "iso8859_10", "iso8859_11",   "iso8859_13",   "iso8859_14",
    "iso8859_15", "iso8859_16",  "iso8859_2",  "iso8859_3",    "iso8859_4",    "iso8859_5",
    "iso8859_6",  "iso8859_7",   "iso8859_8",  "iso8859_9",    "koi8_r",       "koi8_t",
    "koi8_u",     "kz1048",      "mac_arabic", "mac_croatian", "mac_cyrillic", "mac_farsi",
    "mac_greek",  "mac_iceland", "mac_latin2", "mac_roman",    "mac_romanian", "mac_turkish",
    "palmos",     "ptcp154",     "tis_620",
};

// ASCII text with every other character one of the codec's non-ASCII ones, about
// `sample_size` bytes once encoded.
std::string single_byte_sample(const char* encoding) {
  std::string high;
  for (int byte = 0x80; byte < 0x100; ++byte)
    high += static_cast<char>(byte);
  const std::string characters =
      pysock::io::make_incremental_decoder(encoding, "ignore")->decode(high, true);
  const std::string ascii = ascii_text();
  std::string text;
  std::size_t at = 0;
  for (std::size_t i = 0; i < sample_size / 2; ++i) {
    text += ascii[i];
    const auto lead = static_cast<unsigned char>(characters[at]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    text.append(characters, at, length);
    at = (at + length) % characters.size();
  }
  return text;
}

void register_single_byte_codecs() {
  for (const char* encoding : single_byte_codecs) {
    try {
      auto text = std::make_shared<const std::string>(single_byte_sample(encoding));
      auto bytes = std::make_shared<const std::string>(encoded(encoding, *text));
      benchmark::RegisterBenchmark(
          ("charmap/decode/" + std::string(encoding)).c_str(),
          [=](benchmark::State& state) { decode_in_chunks(state, encoding, *bytes, 64 * 1024); });
      benchmark::RegisterBenchmark(
          ("charmap/encode/" + std::string(encoding)).c_str(),
          [=](benchmark::State& state) { encode_in_chunks(state, encoding, *text, 64 * 1024); });
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: not benchmarked (%s)\n", encoding, e.what());
    }
  }
}

// Lines of text in the script a CJK codec is made for, with some ASCII, `sample_size` bytes of
// UTF-8 (about a third of that once encoded).
std::string cjk_text(std::string_view script) {
  std::string text;
  for (std::size_t i = 0; text.size() < sample_size; ++i) {
    text.append(script);
    text += (i % 4 == 3) ? "\n" : " 2024 ";
  }
  return text;
}

struct cjk_sample {
  const char* encoding;
  std::string_view script;  // UTF-8 the codec encodes
};

// Japanese (kana and kanji), simplified and traditional Chinese, Korean.
constexpr std::string_view japanese =
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83"
    "\x88"
    "\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82";
constexpr std::string_view simplified =
    "\xe4\xb8\xad\xe6\x96\x87\xe6\x96\x87\xe6\x9c\xac\xe6\xb5\x8b\xe8\xaf\x95\xe3\x80\x82";
constexpr std::string_view traditional =
    "\xe4\xb8\xad\xe6\x96\x87\xe6\xb8\xac\xe8\xa9\xa6\xe8\xb3\x87\xe6\x96\x99\xe3\x80\x82";
constexpr std::string_view korean =
    "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 "
    "\xed\x85\x8d\xec\x8a\xa4\xed\x8a\xb8\xec\x9e\x85\xeb\x8b\x88\xeb\x8b\xa4.";

constexpr cjk_sample cjk_samples[] = {
    {"shift_jis", japanese},  {"cp932", japanese},        {"euc_jp", japanese},
    {"iso2022_jp", japanese}, {"iso2022_jp_2", japanese}, {"gb2312", simplified},
    {"gbk", simplified},      {"gb18030", simplified},    {"hz", simplified},
    {"big5", traditional},    {"cp950", traditional},     {"euc_kr", korean},
    {"cp949", korean},        {"johab", korean},          {"iso2022_kr", korean},
};

void register_cjk_codecs() {
  for (const cjk_sample& sample : cjk_samples) {
    const char* encoding = sample.encoding;
    auto text = std::make_shared<const std::string>(cjk_text(sample.script));
    auto bytes = std::make_shared<const std::string>(encoded(encoding, *text));
    benchmark::RegisterBenchmark(
        ("cjk/decode/" + std::string(encoding)).c_str(),
        [=](benchmark::State& state) { decode_in_chunks(state, encoding, *bytes, 64 * 1024); });
    benchmark::RegisterBenchmark(
        ("cjk/encode/" + std::string(encoding)).c_str(),
        [=](benchmark::State& state) { encode_in_chunks(state, encoding, *text, 64 * 1024); });
  }
}

BENCHMARK(utf8_ascii);
BENCHMARK(utf8_ascii_per_line);
BENCHMARK(utf8_mixed);
BENCHMARK(latin1);
BENCHMARK(latin1_high_bytes);
BENCHMARK(utf16);
BENCHMARK(utf16_encode);
BENCHMARK(cp1252_ascii);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_single_byte_codecs();
  register_cjk_codecs();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
