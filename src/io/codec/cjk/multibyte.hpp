// What the CJK codecs share: CPython's MultibyteIncrementalDecoder and
// MultibyteIncrementalEncoder (multibytecodec.c) around a codec's own routine. Internal.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "io/codec/incremental.hpp"
#include "io/codec/utf8.hpp"

namespace pysock::io::detail::cjk {

inline constexpr const char* illegal_sequence = "illegal multibyte sequence";
inline constexpr const char* incomplete_sequence = "incomplete multibyte sequence";

// How a codec's decoding routine stopped.
struct decode_stop {
  enum kind_t { end, too_few, error } kind;
  std::size_t pos;
  std::size_t error_length = 0;
};

// CPython's MultibyteCodec_State: eight bytes in which a codec keeps what it likes (iso2022: its
// G0..G3 designations in c[0..3] and flags in c[4]; hz: its mode in c[0]). getstate() and
// setstate() carry all eight verbatim, for the codecs that keep nothing in them too.
struct codec_state {
  std::array<unsigned char, 8> c{};

  // The bytes as one little-endian number, as CPython's getstate() packs them.
  std::uint64_t packed() const;
  static codec_state unpacked(std::uint64_t number);
};

// CPython's MultibyteIncrementalDecoder: the codec decodes the held-back bytes and the input,
// the error handler deals with each illegal sequence, and a sequence still cut short at `final`
// is one "incomplete multibyte sequence" error over all the remaining bytes, after which decoding
// stops: whatever follows where the handler resumes stays held back (TextIOWrapper never shows
// it). An error while decoding loses the held-back bytes (CPython takes them out first); only the
// error at `final` leaves them where they were. getstate()'s flags are the codec's state bytes.
class multibyte_decoder : public buffered_decoder {
 public:
  multibyte_decoder(const codec_entry& codec, std::string_view errors)
      : buffered_decoder(codec, errors), traits_{codec.module} {}

  void setstate(const decoder_state& state) final {
    if (state.buffered.size() > max_held_back) {
      raise_decode_error(traits_, state.buffered,
                         {0, state.buffered.size(), "pending buffer too large"});
    }
    buffered_decoder::setstate(state);
  }

 protected:
  virtual decode_stop decode_run(std::string_view data, std::size_t pos, std::string& out) = 0;

  codec_state& state() { return state_; }
  const codec_state& state() const { return state_; }

 private:
  std::uint64_t codec_flags() const final { return state_.packed(); }
  void set_codec_flags(std::uint64_t flags) final { state_ = codec_state::unpacked(flags); }

  std::size_t decode_buffer(std::string_view data, std::string& out, bool final) override {
    std::size_t pos = 0;
    try {
      for (;;) {
        const decode_stop stop = decode_run(data, pos, out);
        pos = stop.pos;
        if (stop.kind != decode_stop::error) break;
        pos =
            policy().recover(traits_, data, {pos, pos + stop.error_length, illegal_sequence}, out);
      }
    } catch (...) {
      forget_pending();
      throw;
    }
    if (final && pos < data.size()) {
      pos = policy().recover(traits_, data, {pos, data.size(), incomplete_sequence}, out);
    }
    // CPython holds back at most 8 bytes (MAXDECPENDING); more (an unfinished iso2022 escape
    // sequence) is an error over the whole input that no handler sees, and loses them.
    if (data.size() - pos > max_held_back) {
      forget_pending();
      raise_decode_error(traits_, data, {0, data.size(), "pending buffer overflow"});
    }
    return pos;
  }

  static constexpr std::size_t max_held_back = 8;

  codec_traits traits_;
  codec_state state_;
};

// CPython's MultibyteIncrementalEncoder: each character the codec cannot encode is one error;
// `final` ends with the codec's return to its initial shift state (flush). getstate() packs, as
// CPython's int does, from the low byte up: the UTF-8 length of the pending text, that text, and
// the codec's eight state bytes. pysock's encoders never leave text pending themselves (CPython's
// do only for the JIS X 0213 codecs), so only setstate() puts it there, and the next encode()
// encodes it before its own text. The number fits in 64 bits but after an encode() that failed
// on pending text (which CPython keeps) having changed state bytes past the eighth byte: then
// getstate() throws std::overflow_error.
class multibyte_encoder : public encoder_base {
 public:
  multibyte_encoder(const codec_entry& codec, std::string_view errors)
      : encoder_base(codec, errors, codec_traits{codec.module}, {}) {}

  std::uint64_t getstate() const final;
  void setstate(std::uint64_t state) final;
  void reset() final;

 protected:
  // Encodes text (the pending text and the new), reporting errors with `traits`.
  virtual void encode_run(std::string_view text, std::string& out, const codec_traits& traits) = 0;
  // CPython's encreset: what returns the codec to its initial shift state.
  virtual void flush(std::string&) {}

  codec_state& state() { return state_; }

  // Encodes text, calling encode_one(code point, out) for each character, which returns false
  // when the codec cannot encode it.
  template <class Encoder>
  void encode_each(std::string_view text, std::string& out, const codec_traits& traits,
                   Encoder&& encode_one) {
    out.reserve(out.size() + text.size());
    for (std::size_t pos = 0; pos < text.size();) {
      const character c = character_at(text, pos);
      if (c.length == 0) raise_invalid_text(text, pos);
      if (!is_surrogate(c.code_point) && encode_one(c.code_point, out)) {
        pos += c.length;
      } else {
        pos = recover(traits, text, {pos, pos + c.length, illegal_sequence}, out);
      }
    }
  }

 private:
  void encode_text(std::string_view text, std::string& out, bool final,
                   const codec_traits& traits) final;

  std::string pending_;  // UTF-8, at most max_pending_bytes
  codec_state state_;
};

// The iso2022 family (cjk/iso2022.cpp).
std::unique_ptr<incremental_decoder> make_iso2022_decoder(const codec_entry& codec,
                                                          std::string_view errors);
std::unique_ptr<incremental_encoder> make_iso2022_encoder(const codec_entry& codec,
                                                          std::string_view errors);

}  // namespace pysock::io::detail::cjk
