// The single-byte ("charmap") codecs: a 256-entry decoding table per codec, generated from
// CPython 3.13 by scripts/codec_tables/charmap.py, and the encoding map built from it at compile
// time (a character encodes to the highest byte that decodes to it, as CPython's tables do).
// Errors follow CPython's charmap codec: an undefined byte is one error, a run of unencodable
// characters is one error, and a handler's replacement text is encoded through the table.
#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "io/codec/families.hpp"
#include "io/codec/incremental.hpp"
#include "io/codec/utf8.hpp"
#include "pysock/error.hpp"

namespace pysock::io::detail {

namespace {

constexpr char16_t undefined = 0xFFFE;

struct charmap_table {
  std::string_view module;
  std::array<char16_t, 256> decode;
};

constexpr charmap_table charmap_tables[] = {
#include "io/codec/charmap_tables.inc"
};

static_assert(std::is_sorted(std::begin(charmap_tables), std::end(charmap_tables),
                             [](const charmap_table& a, const charmap_table& b) {
                               return a.module < b.module;
                             }));

// Whether bytes 0x00..0x7F decode to themselves (every codec but the EBCDIC ones), so that ASCII
// runs are copied as they are.
constexpr bool decodes_ascii_as_itself(const charmap_table& table) {
  for (char16_t byte = 0; byte < 0x80; ++byte) {
    if (table.decode[byte] != byte) return false;
  }
  return true;
}

// A codec's encoding map: (code point << 8 | byte), sorted, one entry per encodable character.
struct encoding_map {
  std::array<std::uint32_t, 256> entries{};
  std::size_t size = 0;
  bool ascii_as_itself = false;  // U+0000..U+007F encode to themselves

  constexpr int lookup(char32_t c) const {
    if (ascii_as_itself && c < 0x80) return static_cast<int>(c);
    const auto* last = entries.data() + size;
    const auto* found = std::lower_bound(entries.data(), last, static_cast<std::uint32_t>(c) << 8);
    return found != last && (*found >> 8) == c ? static_cast<int>(*found & 0xFF) : -1;
  }
};

constexpr encoding_map invert(const charmap_table& table) {
  encoding_map map;
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    if (table.decode[byte] != undefined) map.entries[map.size++] = table.decode[byte] << 8 | byte;
  }
  std::sort(map.entries.begin(), map.entries.begin() + map.size);
  // Of the bytes that decode to one character, the highest (the last of its run) encodes it.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < map.size; ++i) {
    const bool last_of_run =
        i + 1 == map.size || (map.entries[i + 1] >> 8) != (map.entries[i] >> 8);
    if (last_of_run) map.entries[kept++] = map.entries[i];
  }
  map.size = kept;
  bool ascii = true;
  for (char32_t c = 0; c < 0x80; ++c) {
    ascii = ascii && map.lookup(c) == static_cast<int>(c);
  }
  map.ascii_as_itself = ascii;
  return map;
}

// One constant evaluation per codec, each well within the compilers' constexpr step limits.
template <std::size_t I>
constexpr encoding_map encoding_map_of = invert(charmap_tables[I]);

template <std::size_t... I>
constexpr std::array<encoding_map, sizeof...(I)> all_encoding_maps(std::index_sequence<I...>) {
  return {encoding_map_of<I>...};
}

constexpr auto encoding_maps =
    all_encoding_maps(std::make_index_sequence<std::size(charmap_tables)>());

constexpr codec_traits charmap_traits{"charmap"};
constexpr const char* undefined_reason = "character maps to <undefined>";

std::size_t table_index(const codec_entry& codec) {
  const auto* found =
      std::lower_bound(std::begin(charmap_tables), std::end(charmap_tables), codec.module,
                       [](const charmap_table& t, std::string_view m) { return t.module < m; });
  if (found == std::end(charmap_tables) || found->module != codec.module) {
    throw lookup_error("unknown encoding: " + std::string(codec.module) +
                       " (pysock has no table for it)");
  }
  return static_cast<std::size_t>(found - std::begin(charmap_tables));
}

// codecs.charmap_decode with the codec's table; nothing is ever held back.
class charmap_decoder final : public buffered_decoder {
 public:
  charmap_decoder(const codec_entry& codec, std::string_view errors)
      : buffered_decoder(codec, errors),
        table_(charmap_tables[table_index(codec)]),
        ascii_as_itself_(decodes_ascii_as_itself(table_)) {}

 private:
  std::size_t decode_buffer(std::string_view data, std::string& out, bool) override {
    for (std::size_t pos = 0; pos < data.size();) {
      if (ascii_as_itself_) {
        const std::size_t end = ascii_end(data, pos);
        out.append(data.data() + pos, end - pos);
        pos = end;
        if (pos == data.size()) break;
      }
      const char16_t c = table_.decode[byte_at(data, pos)];
      if (c == undefined) {
        pos = policy().recover(charmap_traits, data, {pos, pos + 1, undefined_reason}, out);
        continue;
      }
      append_code_point(out, c);
      ++pos;
    }
    return data.size();
  }

  const charmap_table& table_;
  bool ascii_as_itself_;
};

// codecs.charmap_encode with the codec's encoding map.
class charmap_encoder final : public encoder_base {
 public:
  charmap_encoder(const codec_entry& codec, std::string_view errors)
      : encoder_base(codec, errors, charmap_traits, {}), map_(encoding_maps[table_index(codec)]) {}

 private:
  void encode_text(std::string_view text, std::string& out, bool,
                   const codec_traits& traits) override {
    for (std::size_t pos = 0; pos < text.size();) {
      if (map_.ascii_as_itself) {
        const std::size_t end = ascii_end(text, pos);
        out.append(text.data() + pos, end - pos);
        pos = end;
        if (pos == text.size()) break;
      }
      const character c = checked_character(text, pos);
      if (const int byte = map_.lookup(c.code_point); byte >= 0) {
        out += static_cast<char>(byte);
        pos += c.length;
        continue;
      }
      std::size_t end = pos + c.length;
      while (end < text.size()) {
        const character next = checked_character(text, end);
        if (map_.lookup(next.code_point) >= 0) break;
        end += next.length;
      }
      pos = recover(traits, text, {pos, end, undefined_reason}, out);
    }
  }

  bool encode_ascii(std::string_view ascii, std::string& out) override {
    const std::size_t mark = out.size();
    for (const char c : ascii) {
      const int byte = map_.lookup(static_cast<unsigned char>(c));
      if (byte < 0) {
        out.resize(mark);
        return false;
      }
      out += static_cast<char>(byte);
    }
    return true;
  }

  const encoding_map& map_;
};

}  // namespace

std::unique_ptr<incremental_decoder> make_charmap_decoder(const codec_entry& codec,
                                                          std::string_view errors) {
  return std::make_unique<charmap_decoder>(codec, errors);
}

std::unique_ptr<incremental_encoder> make_charmap_encoder(const codec_entry& codec,
                                                          std::string_view errors) {
  return std::make_unique<charmap_encoder>(codec, errors);
}

}  // namespace pysock::io::detail
