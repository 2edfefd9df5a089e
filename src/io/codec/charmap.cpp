// The single-byte ("charmap") codecs: a 256-entry decoding table per codec, generated from
// CPython 3.13 by scripts/codec_tables/charmap.py, and the encoding map built from it (a
// character encodes to the highest byte that decodes to it, as CPython's tables do).
// Errors follow CPython's charmap codec: an undefined byte is one error, a run of unencodable
// characters is one error, and a handler's replacement text is encoded through the table.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

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

constexpr codec_traits charmap_traits{"charmap"};
constexpr const char* undefined_reason = "character maps to <undefined>";

// What a codec's decoder and encoder look up, built from its table once per process: each
// byte's UTF-8 form, and the encoding map as 256-byte pages per 256 code points of the BMP (no
// codec maps a byte outside it). A character encodes to the highest byte that decodes to it.
class charmap_codec {
 public:
  explicit charmap_codec(const charmap_table& table) : table_(table), pages_(1) {
    for (std::size_t byte = 0; byte < 256; ++byte) {
      const char16_t c = table.decode[byte];
      if (c == undefined) continue;
      std::string form;
      append_code_point(form, c);
      utf8_[byte][0] = static_cast<char>(form.size());
      std::copy(form.begin(), form.end(), utf8_[byte].begin() + 1);
      if (page_of_[c >> 8] == 0) {
        page_of_[c >> 8] = static_cast<std::uint8_t>(pages_.size());
        pages_.emplace_back();
      }
      pages_[page_of_[c >> 8]][c & 0xFF] = static_cast<std::uint8_t>(byte);
    }
    ascii_decodes_as_itself_ = ascii_encodes_as_itself_ = true;
    for (char16_t c = 0; c < 0x80; ++c) {
      ascii_decodes_as_itself_ = ascii_decodes_as_itself_ && table.decode[c] == c;
      ascii_encodes_as_itself_ = ascii_encodes_as_itself_ && encode(c) == c;
    }
  }

  // The byte `c` encodes to, or -1.
  int encode(char32_t c) const {
    if (c >= 0x10000) return -1;
    const std::uint8_t byte = pages_[page_of_[c >> 8]][c & 0xFF];
    return table_.decode[byte] == c ? byte : -1;
  }
  // What `byte` decodes to: the length of its UTF-8 form (0: undefined), then the form.
  const std::array<char, 4>& decode(unsigned char byte) const { return utf8_[byte]; }
  bool ascii_decodes_as_itself() const { return ascii_decodes_as_itself_; }
  bool ascii_encodes_as_itself() const { return ascii_encodes_as_itself_; }

 private:
  const charmap_table& table_;
  std::array<std::array<char, 4>, 256> utf8_{};  // length, then the bytes
  std::array<std::uint8_t, 256> page_of_{};      // 0: the empty page
  std::vector<std::array<std::uint8_t, 256>> pages_;
  bool ascii_decodes_as_itself_, ascii_encodes_as_itself_;
};

const charmap_codec& charmap_codec_for(const codec_entry& codec) {
  constexpr std::size_t count = std::size(charmap_tables);
  static std::array<std::once_flag, count> built;
  static std::array<std::unique_ptr<const charmap_codec>, count> codecs;  // those in use
  const auto* found =
      std::lower_bound(std::begin(charmap_tables), std::end(charmap_tables), codec.module,
                       [](const charmap_table& t, std::string_view m) { return t.module < m; });
  if (found == std::end(charmap_tables) || found->module != codec.module) {
    throw lookup_error("unknown encoding: " + std::string(codec.module) +
                       " (pysock has no table for it)");
  }
  const auto index = static_cast<std::size_t>(found - std::begin(charmap_tables));
  std::call_once(built[index],
                 [&] { codecs[index] = std::make_unique<const charmap_codec>(*found); });
  return *codecs[index];
}

// codecs.charmap_decode with the codec's table; nothing is ever held back.
class charmap_decoder final : public buffered_decoder {
 public:
  charmap_decoder(const codec_entry& codec, std::string_view errors)
      : buffered_decoder(codec, errors), codec_(charmap_codec_for(codec)) {}

 private:
  std::size_t decode_buffer(std::string_view data, std::string& out, bool) override {
    for (std::size_t pos = 0; pos < data.size();) {
      pos = decode_defined(data, pos, out);
      if (pos < data.size()) {
        pos = policy().recover(charmap_traits, data, {pos, pos + 1, undefined_reason}, out);
      }
    }
    return data.size();
  }

  // Decodes data[pos..] up to its end or an undefined byte, writing into room made for the
  // longest output (3 bytes per byte); returns where it stopped.
  std::size_t decode_defined(std::string_view data, std::size_t pos, std::string& out) const {
    const std::size_t mark = out.size();
    out.resize(mark + 3 * (data.size() - pos));
    char* const begin = out.data();
    char* write = begin + mark;
    while (pos < data.size()) {
      const unsigned char byte = byte_at(data, pos);
      // A run of ASCII is copied a word at a time; a lone ASCII byte goes through the table.
      if (byte < 0x80 && codec_.ascii_decodes_as_itself() && pos + 1 < data.size() &&
          byte_at(data, pos + 1) < 0x80) {
        const std::size_t end = ascii_end(data, pos);
        std::memcpy(write, data.data() + pos, end - pos);
        write += end - pos;
        pos = end;
        continue;
      }
      const std::array<char, 4>& form = codec_.decode(byte);
      if (form[0] == 0) break;
      std::memcpy(write, form.data() + 1, 3);  // the room holds 3 bytes per byte left
      write += form[0];
      ++pos;
    }
    out.resize(static_cast<std::size_t>(write - begin));
    return pos;
  }

  const charmap_codec& codec_;
};

// codecs.charmap_encode with the codec's encoding map.
class charmap_encoder final : public encoder_base {
 public:
  charmap_encoder(const codec_entry& codec, std::string_view errors)
      : encoder_base(codec, errors, charmap_traits, {}), codec_(charmap_codec_for(codec)) {}

 private:
  void encode_text(std::string_view text, std::string& out, bool,
                   const codec_traits& traits) override {
    for (std::size_t pos = 0; pos < text.size();) {
      // A run of ASCII is copied a word at a time; a lone ASCII character is looked up.
      if (byte_at(text, pos) < 0x80 && codec_.ascii_encodes_as_itself() && pos + 1 < text.size() &&
          byte_at(text, pos + 1) < 0x80) {
        const std::size_t end = ascii_end(text, pos);
        out.append(text.data() + pos, end - pos);
        pos = end;
        continue;
      }
      const character c = checked_character(text, pos);
      if (const int byte = codec_.encode(c.code_point); byte >= 0) {
        out += static_cast<char>(byte);
        pos += c.length;
        continue;
      }
      std::size_t end = pos + c.length;
      while (end < text.size()) {
        const character next = checked_character(text, end);
        if (codec_.encode(next.code_point) >= 0) break;
        end += next.length;
      }
      pos = recover(traits, text, {pos, end, undefined_reason}, out);
    }
  }

  bool encode_ascii(std::string_view ascii, std::string& out) override {
    const std::size_t mark = out.size();
    for (const char c : ascii) {
      const int byte = codec_.encode(static_cast<unsigned char>(c));
      if (byte < 0) {
        out.resize(mark);
        return false;
      }
      out += static_cast<char>(byte);
    }
    return true;
  }

  const charmap_codec& codec_;
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
