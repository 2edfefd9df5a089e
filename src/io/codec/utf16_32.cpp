// UTF-16 and UTF-32 in either byte order, with and without a BOM: pysock's own conversion to and
// from generalized UTF-8, which stops where CPython's decoder or encoder reports an error; a
// per-codec rule then turns the stop into CPython's (start, end, reason).
#include <algorithm>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/codec/families.hpp"
#include "io/codec/incremental.hpp"
#include "io/codec/utf8.hpp"
#include "pysock/error.hpp"

namespace pysock::io::detail {

namespace {

// Converts between one UTF-16 or UTF-32 form and generalized UTF-8.
class unit_converter {
 public:
  enum class stop { done, invalid, incomplete };

  explicit unit_converter(surrogate_form form) : form_(form), unit_(unit_size(form)) {}

  // Decodes in[pos..], appending UTF-8 to `out`, until the input ends (done), a code unit CPython
  // rejects (invalid) or a unit or surrogate pair the input cuts short (incomplete); `pos` moves
  // past what was decoded.
  stop decode(std::string_view in, std::size_t& pos, std::string& out) const {
    const std::size_t old_size = out.size();
    out.resize(old_size + (in.size() - pos) / unit_ * (unit_ == 2 ? 3 : 4));
    char* to = out.data() + old_size;
    stop result = stop::done;
    while (pos < in.size()) {
      if (in.size() - pos < unit_) {
        result = stop::incomplete;
        break;
      }
      char32_t c = read_unit(form_, in, pos);
      std::size_t length = unit_;
      if (is_surrogate(c) || c > 0x10FFFF) {
        if (unit_ == 4 || c >= 0xDC00) {
          result = stop::invalid;
          break;
        }
        if (in.size() - pos < 4) {
          result = stop::incomplete;
          break;
        }
        const char32_t low = read_unit(form_, in, pos + 2);
        if (low < 0xDC00 || low > 0xDFFF) {
          result = stop::invalid;
          break;
        }
        c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
        length = 4;
      }
      to = put_code_point(to, c);
      pos += length;
    }
    out.resize(static_cast<std::size_t>(to - out.data()));
    return result;
  }

  // Encodes text[pos..], appending code units to `out`, until the text ends (done) or a
  // character CPython's encoder rejects (a lone surrogate) or bytes that are not generalized
  // UTF-8 (invalid); `pos` moves past what was encoded.
  stop encode(std::string_view text, std::size_t& pos, std::string& out) const {
    const std::size_t old_size = out.size();
    out.resize(old_size + (text.size() - pos) * (unit_ == 2 ? 2 : 4));  // per UTF-8 byte, at most
    char* to = out.data() + old_size;
    stop result = stop::done;
    while (pos < text.size()) {
      const unsigned char lead = byte_at(text, pos);
      const character c = lead < 0x80 ? character{lead, 1} : character_at(text, pos);
      if (c.length == 0 || is_surrogate(c.code_point)) {
        result = stop::invalid;
        break;
      }
      if (unit_ == 2 && c.code_point >= 0x10000) {
        to = put_unit(to, 0xD800 + ((c.code_point - 0x10000) >> 10));
        to = put_unit(to, 0xDC00 + ((c.code_point - 0x10000) & 0x3FF));
      } else {
        to = put_unit(to, c.code_point);
      }
      pos += c.length;
    }
    out.resize(static_cast<std::size_t>(to - out.data()));
    return result;
  }

 private:
  // Writes one code unit in this form's size and byte order at `to`; returns the end.
  char* put_unit(char* to, char32_t value) const {
    for (std::size_t i = 0; i < unit_; ++i) {
      const std::size_t significance = is_big_endian(form_) ? unit_ - 1 - i : i;
      *to++ = static_cast<char>((value >> (8 * significance)) & 0xFF);
    }
    return to;
  }

  surrogate_form form_;
  std::size_t unit_;
};

// Where a decoding stopped, turned into CPython's error for that codec; nullopt means the bytes
// may still become a character and are held back (only when not final).
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

// Everything pysock knows about one UTF-16 or UTF-32 form.
struct unit_codec {
  codec_traits traits;
  decode_classifier classify;
};

// UTF-16 or UTF-32 in one byte order.
unit_codec codec_for(codec_kind kind) {
  struct variant {
    codec_kind kind;
    std::string_view name;
    surrogate_form form;
  };
  static constexpr variant variants[] = {
      {codec_kind::utf16_le, "utf-16-le", surrogate_form::utf16_le},
      {codec_kind::utf16_be, "utf-16-be", surrogate_form::utf16_be},
      {codec_kind::utf32_le, "utf-32-le", surrogate_form::utf32_le},
      {codec_kind::utf32_be, "utf-32-be", surrogate_form::utf32_be},
  };
  const variant& v =
      *std::find_if(std::begin(variants), std::end(variants),
                    [&](const variant& candidate) { return candidate.kind == kind; });
  return {.traits = {v.name, v.form},
          .classify = unit_size(v.form) == 2 ? classify_utf16 : classify_utf32};
}

// One form's decoding to UTF-8 with its codec's error rules.
class unit_decoding {
 public:
  explicit unit_decoding(const unit_codec& codec)
      : codec_(codec), converter_(codec.traits.surrogates) {}

  // Decodes as a decode_function does.
  std::size_t decode(std::string_view object, std::size_t pos, std::string& out, bool final,
                     const error_policy& errors) const {
    while (pos < object.size()) {
      const auto stop = converter_.decode(object, pos, out);
      if (pos == object.size()) break;
      const bool incomplete = stop == unit_converter::stop::incomplete;
      const std::optional<decode_error> error =
          codec_.classify(codec_.traits.surrogates, object, pos, incomplete, final);
      if (!error) break;
      pos = errors.recover(codec_.traits, object, *error, out);
    }
    return pos;
  }

 private:
  unit_codec codec_;
  unit_converter converter_;
};

// utf-16-le, utf-16-be, utf-32-le, utf-32-be: no BOM.
class unit_decoder final : public buffered_decoder {
 public:
  unit_decoder(const codec_entry& codec, std::string_view errors)
      : buffered_decoder(codec, errors), decoding_(codec_for(codec.kind)) {}

 private:
  std::size_t decode_buffer(std::string_view data, std::string& out, bool final) override {
    return decoding_.decode(data, 0, out, final, policy());
  }

  unit_decoding decoding_;
};

// encodings.utf_16/utf_32.IncrementalDecoder: a BOM at the start picks the byte order and is
// dropped; until one has been seen, input is decoded little-endian and, once a whole code unit
// has been consumed without a BOM, CPython raises "Stream does not start with BOM".
class bom_decoder final : public buffered_decoder {
 public:
  bom_decoder(const codec_entry& codec, std::string_view errors, codec_kind little, codec_kind big)
      : buffered_decoder(codec, errors),
        name_(codec.name),
        unit_(little == codec_kind::utf16_le ? 2 : 4),
        little_(codec_for(little)),
        big_(codec_for(big)) {}

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

  const unit_decoding& decoding(byte_order order) const {
    return order == byte_order::little ? little_ : big_;
  }

  void reset_codec() override { order_.reset(); }
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
  unit_decoding little_, big_;
  std::optional<byte_order> order_;
};

// Every UTF-16 / UTF-32 encoder; `bom` is written before the first call's output.
class unit_encoder final : public encoder_base {
 public:
  unit_encoder(const codec_entry& codec, std::string_view errors, codec_kind kind,
               const bom_rule& bom = {})
      : encoder_base(codec, errors, codec_for(kind).traits, bom),
        converter_(codec_for(kind).traits.surrogates) {}

 private:
  void encode_text(std::string_view text, std::string& out, bool,
                   const codec_traits& traits) override {
    for (std::size_t pos = 0; pos < text.size();) {
      if (converter_.encode(text, pos, out) == unit_converter::stop::done) break;
      // A lone surrogate (or text that is not generalized UTF-8, which checked_character raises).
      const std::size_t end = pos + checked_character(text, pos).length;
      pos = recover(traits, text, {pos, end, "surrogates not allowed"}, out);
    }
  }

  bool encode_ascii(std::string_view ascii, std::string& out) override {
    std::size_t pos = 0;
    return converter_.encode(ascii, pos, out) == unit_converter::stop::done;
  }

  unit_converter converter_;
};

// encodings.utf_16/utf_32.IncrementalEncoder: a little-endian BOM in the first call (whose errors
// CPython reports as the "utf-16"/"utf-32" codec's), then little-endian code units.
std::unique_ptr<incremental_encoder> make_bom_encoder(const codec_entry& codec,
                                                      std::string_view errors, codec_kind little) {
  const std::string_view bom = little == codec_kind::utf16_le ? std::string_view("\xFF\xFE", 2)
                                                              : std::string_view("\xFF\xFE\0\0", 4);
  return std::make_unique<unit_encoder>(codec, errors, little, bom_rule{bom, 2, codec.name});
}

}  // namespace

std::unique_ptr<incremental_decoder> make_utf16_32_decoder(const codec_entry& codec,
                                                           std::string_view errors) {
  switch (codec.kind) {
    case codec_kind::utf16:
      return std::make_unique<bom_decoder>(codec, errors, codec_kind::utf16_le,
                                           codec_kind::utf16_be);
    case codec_kind::utf32:
      return std::make_unique<bom_decoder>(codec, errors, codec_kind::utf32_le,
                                           codec_kind::utf32_be);
    default:  // utf16_le, utf16_be, utf32_le, utf32_be: the registry sends nothing else here
      return std::make_unique<unit_decoder>(codec, errors);
  }
}

std::unique_ptr<incremental_encoder> make_utf16_32_encoder(const codec_entry& codec,
                                                           std::string_view errors) {
  switch (codec.kind) {
    case codec_kind::utf16:
      return make_bom_encoder(codec, errors, codec_kind::utf16_le);
    case codec_kind::utf32:
      return make_bom_encoder(codec, errors, codec_kind::utf32_le);
    default:  // utf16_le, utf16_be, utf32_le, utf32_be: the registry sends nothing else here
      return std::make_unique<unit_encoder>(codec, errors, codec.kind);
  }
}

}  // namespace pysock::io::detail
