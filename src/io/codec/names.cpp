// The character names: generated tables (name_tables.inc, by scripts/codec_tables/names.py) and
// the rules that name Hangul syllables and the ideograph ranges without storing them.
#include "io/codec/names.hpp"

#include "io/codec/utf8.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string_view>
#include <vector>

namespace pysock::io::detail {

namespace {

struct hex_named_range {
  char32_t first, last;
  std::string_view prefix;
};

struct named_run {
  char32_t first;
  std::uint32_t count;
};

#include "io/codec/name_tables.inc"

// The byte at `at` of data stored in pieces (chunked_bytes in scripts/codec_tables).
template <std::size_t N>
unsigned char chunked_byte(const std::string_view (&chunks)[N], std::size_t chunk, std::size_t at) {
  return byte_at(chunks[at / chunk], at % chunk);
}

unsigned char lexicon_byte(std::size_t at) {
  return chunked_byte(name_lexicon, name_lexicon_chunk, at);
}

unsigned char data_byte(std::size_t at) {
  return chunked_byte(name_data, name_data_chunk, at);
}

constexpr std::size_t lexicon_size() {
  std::size_t size = 0;
  for (const std::string_view chunk : name_lexicon)
    size += chunk.size();
  return size;
}

constexpr char32_t hangul_first = 0xAC00, hangul_last = 0xD7A3;

std::string hangul_name(char32_t c) {
  const std::size_t index = c - hangul_first;
  const std::size_t tails = std::size(hangul_tails), vowels = std::size(hangul_vowels);
  std::string name = "HANGUL SYLLABLE ";
  name += hangul_leads[index / (vowels * tails)];
  name += hangul_vowels[index / tails % vowels];
  name += hangul_tails[index % tails];
  return name;
}

// Where each word of the lexicon starts, found once.
const std::vector<std::uint32_t>& word_offsets() {
  static const std::vector<std::uint32_t> offsets = [] {
    std::vector<std::uint32_t> found;
    for (std::size_t at = 0; at < lexicon_size(); at += 1 + lexicon_byte(at)) {
      found.push_back(static_cast<std::uint32_t>(at));
    }
    return found;
  }();
  return offsets;
}

// The ordinal of each run's first name among the stored names, found once.
const std::vector<std::uint32_t>& run_ordinals() {
  static const std::vector<std::uint32_t> ordinals = [] {
    std::vector<std::uint32_t> found;
    std::uint32_t ordinal = 0;
    for (const named_run& run : named_runs) {
      found.push_back(ordinal);
      ordinal += run.count;
    }
    return found;
  }();
  return ordinals;
}

// The word index at name_data[at], moving `at` past it.
std::size_t read_word(std::size_t& at) {
  const unsigned char lead = data_byte(at++);
  if (lead < name_one_byte_limit) return lead;
  return name_one_byte_limit + (static_cast<std::size_t>(lead - name_one_byte_limit) << 8) +
         data_byte(at++);
}

std::string stored_name(std::uint32_t ordinal) {
  std::size_t at = name_checkpoints[ordinal / name_checkpoint];
  for (std::uint32_t skip = ordinal % name_checkpoint; skip > 0; --skip) {
    for (std::size_t words = data_byte(at++); words > 0; --words)
      read_word(at);
  }
  std::string name;
  for (std::size_t words = data_byte(at++); words > 0; --words) {
    const std::uint32_t word = word_offsets()[read_word(at)];
    if (!name.empty()) name += ' ';
    for (std::size_t i = 1; i <= lexicon_byte(word); ++i)
      name += static_cast<char>(lexicon_byte(word + i));
  }
  return name;
}

}  // namespace

std::string character_name(char32_t c) {
  if (c >= hangul_first && c <= hangul_last) return hangul_name(c);
  for (const hex_named_range& range : hex_named_ranges) {
    if (c >= range.first && c <= range.last) {
      char number[16];
      std::snprintf(number, sizeof number, "-%04X", static_cast<unsigned>(c));
      return std::string(range.prefix) + number;
    }
  }
  const auto* run = std::upper_bound(std::begin(named_runs), std::end(named_runs), c,
                                     [](char32_t v, const named_run& r) { return v < r.first; });
  if (run == std::begin(named_runs)) return {};
  --run;
  if (c - run->first >= run->count) return {};
  const auto index = static_cast<std::size_t>(run - std::begin(named_runs));
  return stored_name(run_ordinals()[index] + static_cast<std::uint32_t>(c - run->first));
}

}  // namespace pysock::io::detail
