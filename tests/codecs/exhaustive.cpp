// The exhaustive codec check (issue 14): decodes every empty, 1-byte and 2-byte input (and, for
// the CJK codecs and UTF-8/16/32, sampled 3- and 4-byte ones: the answers say which) and encodes
// every code point, each with a fresh incremental decoder or encoder and final=True as
// TextIOWrapper uses them, and compares
// the CRC-32 of each block of results with CPython 3.13's, committed in tests/codecs/answers/ by
// scripts/codec_tables/answers.py (which documents the cases; this file walks them in the same
// order). On a difference it names the block and, where CPython 3.13 is installed, the first
// differing input with both results.
//
//   codec_exhaustive SOURCE_DIR CODEC
#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pysock/error.hpp"
#include "pysock/io/codec.hpp"

namespace {

using records = std::vector<std::string>;

std::uint32_t crc32(const records& rs) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const std::string& r : rs) {
    for (const char byte : r)
      crc = table[(crc ^ static_cast<unsigned char>(byte)) & 0xFF] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFu;
}

std::string record(bool ok, const std::string& payload) {
  std::string r(1, ok ? '=' : '!');
  for (int i = 0; i < 4; ++i)
    r += static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
  return r + payload;
}

std::string error_record(const char* type, const pysock::unicode_error& e) {
  std::string payload = type;
  for (const std::string& part :
       {e.encoding(), std::to_string(e.start()), std::to_string(e.end()), e.reason()}) {
    payload += ',';
    payload += part;
  }
  return record(false, payload);
}

// A case that raised something other than UnicodeError: never the same as CPython's record.
std::string other_record(const std::exception& e) {
  return record(false, std::string("other,") + e.what());
}

// The record of one case: `convert` returns the output or throws `Error` (named `type`).
template <class Error, class Convert>
std::string case_record(const char* type, Convert convert) {
  try {
    return record(true, convert());
  } catch (const Error& e) {
    return error_record(type, e);
  } catch (const std::exception& e) {
    return other_record(e);
  }
}

std::string decode_record(const std::string& codec, const std::string& handler,
                          const std::string& data) {
  return case_record<pysock::unicode_decode_error>("UnicodeDecodeError", [&] {
    return pysock::io::make_incremental_decoder(codec, handler)->decode(data, true);
  });
}

std::string encode_record(const std::string& codec, const std::string& handler,
                          const std::string& text) {
  return case_record<pysock::unicode_encode_error>("UnicodeEncodeError", [&] {
    return pysock::io::make_incremental_encoder(codec, handler)->encode(text, true);
  });
}

// Generalized UTF-8: a lone surrogate as its own 3-byte form, as pysock texts hold them.
std::string utf8(char32_t c) {
  std::string s;
  const auto put = [&](std::uint32_t v) { s += static_cast<char>(v); };
  if (c < 0x80) {
    put(c);
  } else if (c < 0x800) {
    put(0xC0 | (c >> 6)), put(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    put(0xE0 | (c >> 12)), put(0x80 | ((c >> 6) & 0x3F)), put(0x80 | (c & 0x3F));
  } else {
    put(0xF0 | (c >> 18)), put(0x80 | ((c >> 12) & 0x3F)), put(0x80 | ((c >> 6) & 0x3F));
    put(0x80 | (c & 0x3F));
  }
  return s;
}

std::string hex(const std::string& bytes) {
  std::string out;
  char two[3];
  for (const char b : bytes) {
    std::snprintf(two, sizeof two, "%02x", static_cast<unsigned char>(b));
    out += two;
  }
  return out;
}

constexpr const char* decode_handlers[] = {"strict", "replace", "surrogateescape"};
constexpr const char* encode_handlers[] = {"replace", "backslashreplace", "xmlcharrefreplace",
                                           "namereplace"};
constexpr const char* surrogate_handlers[] = {"surrogateescape", "surrogatepass"};
constexpr char32_t encode_block = 0x2000, surrogate_block = 0xC000;
constexpr int samples = 50000, sample_block = 5000, seed = 14;

struct block {
  std::string name;
  std::vector<std::string> inputs;  // decoding: the bytes; encoding: the text of each case
  std::vector<std::string> labels;  // how a message names each input (hex)
};

std::uint64_t splitmix64(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15u;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

std::vector<block> decode_blocks(bool sampled) {
  std::vector<block> blocks;
  block shorts{"short", {""}, {}};  // the labels are added below
  for (int b = 0; b < 256; ++b)
    shorts.inputs.push_back(std::string(1, static_cast<char>(b)));
  blocks.push_back(shorts);
  for (int first = 0; first < 256; first += 4) {
    char name[3];
    std::snprintf(name, sizeof name, "%02x", first);
    block b{name, {}, {}};
    for (int f = first; f < first + 4; ++f) {
      for (int second = 0; second < 256; ++second)
        b.inputs.push_back({static_cast<char>(f), static_cast<char>(second)});
    }
    blocks.push_back(b);
  }
  for (int length = 3; sampled && length <= 4; ++length) {
    std::uint64_t state = seed * 10 + length;
    for (int k = 0; k < samples / sample_block; ++k) {
      char name[16];
      std::snprintf(name, sizeof name, "s%d.%d", length, k);
      block b{name, {}, {}};
      for (int i = 0; i < sample_block; ++i) {
        const std::uint64_t x = splitmix64(state);
        std::string data;
        for (int j = 0; j < length; ++j)
          data += static_cast<char>((x >> (8 * j)) & 0xFF);
        b.inputs.push_back(data);
      }
      blocks.push_back(b);
    }
  }
  for (block& b : blocks) {
    for (const std::string& input : b.inputs)
      b.labels.push_back(hex(input));
  }
  return blocks;
}

// The committed answers: "decode strict" -> the digests of its blocks, in order.
std::map<std::string, std::vector<std::uint32_t>> read_answers(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("no answers at " + path);
  std::map<std::string, std::vector<std::uint32_t>> answers;
  for (std::string line; std::getline(file, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string direction, handler, digests;
    words >> direction >> handler >> digests;
    auto& list = answers[direction + " " + handler];
    for (std::size_t at = 0; at + 8 <= digests.size(); at += 8)
      list.push_back(static_cast<std::uint32_t>(std::stoul(digests.substr(at, 8), nullptr, 16)));
  }
  return answers;
}

class checker {
 public:
  checker(std::string source_dir, std::string codec)
      : source_dir_(std::move(source_dir)),
        codec_(std::move(codec)),
        answers_(read_answers(source_dir_ + "/tests/codecs/answers/" + codec_ + ".txt")) {}

  bool run() {
    pysock::io::lookup_codec(codec_);  // an unsupported codec fails here, by name
    const bool sampled = answers_["decode strict"].size() > 65;  // more than short + 64 blocks
    const std::vector<block> blocks = decode_blocks(sampled);
    for (const char* handler : decode_handlers) {
      for (std::size_t i = 0; i < blocks.size(); ++i) {
        records rs;
        for (const std::string& input : blocks[i].inputs)
          rs.push_back(decode_record(codec_, handler, input));
        if (!same("decode", handler, i, blocks[i], rs)) return false;
      }
    }
    return encode_all();
  }

 private:
  bool encode_all() {
    for (char32_t start = 0; start < 0x110000; start += encode_block) {
      const std::size_t index = start / encode_block;
      char name[8];
      std::snprintf(name, sizeof name, "%06x", static_cast<unsigned>(start));
      block all{name, {}, {}}, failing{name, {}, {}};
      records strict;
      for (char32_t c = start; c < start + encode_block; ++c) {
        char label[8];
        std::snprintf(label, sizeof label, "%06x", static_cast<unsigned>(c));
        all.inputs.push_back(utf8(c));
        all.labels.push_back(label);
        strict.push_back(encode_record(codec_, "strict", all.inputs.back()));
        if (strict.back()[0] == '!') {
          failing.inputs.push_back(all.inputs.back());
          failing.labels.push_back(label);
        }
      }
      if (!same("encode", "strict", index, all, strict)) return false;
      for (const char* handler : encode_handlers) {
        if (!encode_block_with(handler, index, failing)) return false;
      }
      if (start != surrogate_block) continue;
      for (const char* handler : surrogate_handlers) {
        if (!encode_block_with(handler, 0, failing)) return false;
      }
    }
    std::printf("%s: %zu blocks of cases, all as CPython 3.13's\n", codec_.c_str(), checked_);
    return true;
  }

  bool encode_block_with(const char* handler, std::size_t index, const block& b) {
    records rs;
    for (const std::string& text : b.inputs)
      rs.push_back(encode_record(codec_, handler, text));
    return same("encode", handler, index, b, rs);
  }

  bool same(const char* direction, const char* handler, std::size_t index, const block& b,
            const records& rs) {
    const std::string key = std::string(direction) + " " + handler;
    const auto& expected = answers_[key];
    if (index >= expected.size()) {
      std::printf("%s: the answers have no block %zu of %s\n", codec_.c_str(), index, key.c_str());
      return false;
    }
    ++checked_;
    const std::uint32_t got = crc32(rs);
    if (got == expected[index]) return true;
    std::printf("FAIL %s: %s, block %s (%zu cases): digest %08x, CPython 3.13's %08x\n",
                codec_.c_str(), key.c_str(), b.name.c_str(), rs.size(), got, expected[index]);
    explain(direction, handler, b, rs);
    return false;
  }

  // The first differing input, from a live CPython 3.13 where there is one.
  void explain(const char* direction, const char* handler, const block& b, const records& rs) {
    const std::string command = "cd '" + source_dir_ +
                                "' && PYENV_VERSION=3.13.0 python3.13 -m scripts.codec_tables."
                                "answers --dump " +
                                codec_ + " " + direction + " " + handler + " " + b.name +
                                " 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
    std::map<std::string, std::string> cpython;
    char line[1 << 16];
    while (pipe && std::fgets(line, sizeof line, pipe.get()) != nullptr) {
      const std::string_view fields(line);  // input (empty for b''), tab, record, newline
      const std::size_t tab = fields.find('\t');
      if (tab == std::string_view::npos) continue;
      std::string_view result = fields.substr(tab + 1);
      while (!result.empty() && (result.back() == '\n' || result.back() == '\r'))
        result.remove_suffix(1);
      cpython[std::string(fields.substr(0, tab))] = std::string(result);
    }
    if (cpython.empty()) {
      std::printf("  (no CPython 3.13 here to name the input: run `%s` where there is one)\n",
                  command.c_str());
      return;
    }
    for (std::size_t i = 0; i < rs.size(); ++i) {
      const auto found = cpython.find(b.labels[i]);
      const std::string theirs = found == cpython.end() ? "(no such case)" : found->second;
      if (theirs != hex(rs[i])) {
        std::printf("  first differing input %s:\n    pysock:      %s\n    CPython 3.13: %s\n",
                    b.labels[i].c_str(), hex(rs[i]).c_str(), theirs.c_str());
        return;
      }
    }
    std::printf("  the cases differ in number: pysock %zu, CPython 3.13 %zu\n", rs.size(),
                cpython.size());
  }

  std::string source_dir_, codec_;
  std::map<std::string, std::vector<std::uint32_t>> answers_;
  std::size_t checked_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SOURCE_DIR CODEC\n", argv[0]);
    return 2;
  }
  try {
    return checker(argv[1], argv[2]).run() ? 0 : 1;
  } catch (const std::exception& e) {
    std::printf("FAIL %s: %s\n", argv[2], e.what());
    return 1;
  }
}
