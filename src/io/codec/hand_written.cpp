// utf-8, utf-8-sig, ascii and latin-1, written by hand because a line reader decodes every line
// with them: valid runs are copied (ASCII found a word at a time), and only what is not goes
// through the error handlers.
#include <memory>
#include <string>
#include <string_view>

#include "io/codec/families.hpp"
#include "io/codec/incremental.hpp"
#include "io/codec/utf8.hpp"

namespace pysock::io::detail {

namespace {

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

  const char* reason() const {
    return limit_ == 0x80 ? "ordinal not in range(128)" : "ordinal not in range(256)";
  }

  char32_t limit_;
};

}  // namespace

std::unique_ptr<incremental_decoder> make_hand_written_decoder(const codec_entry& codec,
                                                               std::string_view errors) {
  switch (codec.kind) {
    case codec_kind::utf8_sig:
      return std::make_unique<utf8_sig_decoder>(codec, errors);
    case codec_kind::ascii:
      return std::make_unique<function_decoder>(codec, errors, decode_ascii);
    case codec_kind::latin1:
      return std::make_unique<function_decoder>(codec, errors, decode_latin1);
    default:
      return std::make_unique<function_decoder>(codec, errors, decode_utf8);
  }
}

std::unique_ptr<incremental_encoder> make_hand_written_encoder(const codec_entry& codec,
                                                               std::string_view errors) {
  switch (codec.kind) {
    case codec_kind::utf8_sig:
      return std::make_unique<utf8_encoder>(codec, errors, utf8_traits,
                                            bom_rule{"\xEF\xBB\xBF", 1, {}, true});
    case codec_kind::ascii:
      return std::make_unique<ucs1_encoder>(codec, errors, ascii_traits, 0x80);
    case codec_kind::latin1:
      return std::make_unique<ucs1_encoder>(codec, errors, latin1_traits, 0x100);
    default:
      return std::make_unique<utf8_encoder>(codec, errors, utf8_traits, bom_rule{});
  }
}

}  // namespace pysock::io::detail
