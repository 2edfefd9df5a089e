// UTF-16 and UTF-32 convert with the C library's iconv, and CPython's error reporting is rebuilt
// on top of it: iconv says where a conversion stopped, and a per-codec rule turns that into
// CPython's (start, end, reason), exactly for these codecs. The only file that includes <iconv.h>.
#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "io/codec/families.hpp"
#include "io/codec/incremental.hpp"
#include "io/codec/utf8.hpp"
#include "pysock/error.hpp"

namespace pysock::io::detail {

namespace {

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

// Everything pysock knows about a codec it converts with iconv.
struct iconv_codec {
  const char* iconv_name;
  codec_traits traits;
  decode_classifier classify;
  const char* encode_reason;
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

// An iconv conversion to UTF-8 with its codec's error rules.
class iconv_decoding {
 public:
  iconv_decoding(const iconv_codec& codec, std::string_view encoding)
      : codec_(codec), converter_("UTF-8", codec.iconv_name, encoding) {}

  // Decodes as a decode_function does, with iconv.
  std::size_t decode(std::string_view object, std::size_t pos, std::string& out, bool final,
                     const error_policy& errors) {
    while (pos < object.size()) {
      const auto stop = converter_.convert(object, pos, out, codec_.decode_growth);
      if (pos == object.size()) break;
      const bool incomplete = stop == iconv_converter::stop::incomplete;
      const std::optional<decode_error> error =
          codec_.classify(codec_.traits.surrogates, object, pos, incomplete, final);
      if (!error) break;
      pos = errors.recover(codec_.traits, object, *error, out);
    }
    return pos;
  }

  void reset() { converter_.reset(); }

 private:
  iconv_codec codec_;
  iconv_converter converter_;
};

// Any codec that converts with iconv and has no BOM.
class iconv_decoder final : public buffered_decoder {
 public:
  iconv_decoder(const codec_entry& codec, std::string_view errors, std::string_view encoding,
                const iconv_codec& conversion)
      : buffered_decoder(codec, errors), decoding_(conversion, encoding) {}

 private:
  std::size_t decode_buffer(std::string_view data, std::string& out, bool final) override {
    return decoding_.decode(data, 0, out, final, policy());
  }
  void reset_codec() override { decoding_.reset(); }

  iconv_decoding decoding_;
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
      const std::size_t end = pos + checked_character(text, pos).length;
      pos = recover(traits, text, {pos, end, codec_.encode_reason}, out);
    }
    if (final) converter_.flush(out);
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

std::unique_ptr<incremental_decoder> make_iconv_decoder(const codec_entry& codec,
                                                        std::string_view errors,
                                                        std::string_view encoding) {
  switch (codec.kind) {
    case codec_kind::utf16:
      return std::make_unique<bom_decoder>(codec, errors, encoding, codec_kind::utf16_le,
                                           codec_kind::utf16_be);
    case codec_kind::utf32:
      return std::make_unique<bom_decoder>(codec, errors, encoding, codec_kind::utf32_le,
                                           codec_kind::utf32_be);
    default:  // utf16_le, utf16_be, utf32_le, utf32_be: the registry sends nothing else here
      return std::make_unique<iconv_decoder>(codec, errors, encoding,
                                             unicode_iconv_codec(codec.kind));
  }
}

std::unique_ptr<incremental_encoder> make_iconv_encoder(const codec_entry& codec,
                                                        std::string_view errors,
                                                        std::string_view encoding) {
  switch (codec.kind) {
    case codec_kind::utf16:
      return make_bom_encoder(codec, errors, encoding, codec_kind::utf16_le);
    case codec_kind::utf32:
      return make_bom_encoder(codec, errors, encoding, codec_kind::utf32_le);
    default:  // utf16_le, utf16_be, utf32_le, utf32_be: the registry sends nothing else here
      return std::make_unique<iconv_encoder>(codec, errors, encoding,
                                             unicode_iconv_codec(codec.kind));
  }
}

}  // namespace pysock::io::detail
