// What the decoders and encoders of every family share: CPython's BufferedIncrementalDecoder
// (held-back bytes) and the encoders' error handling and byte order mark. Internal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "io/codec/error_handlers.hpp"
#include "io/codec/registry.hpp"
#include "pysock/io/codec.hpp"

namespace pysock::io::detail {

// CPython's codecs.BufferedIncrementalDecoder: the bytes a call does not consume are put in
// front of the next call's input.
class buffered_decoder : public incremental_decoder {
 public:
  buffered_decoder(const codec_entry& codec, std::string_view errors)
      : incremental_decoder(codec.name, errors), policy_(errors) {}

  void reset() override {
    pending_.clear();
    reset_codec();
  }
  decoder_state getstate() const override { return {pending_, codec_flags()}; }
  void setstate(const decoder_state& state) override {
    pending_ = state.buffered;
    set_codec_flags(state.flags);
  }

 protected:
  // Decodes `data` (held-back bytes plus new input); returns how many bytes it consumed.
  virtual std::size_t decode_buffer(std::string_view data, std::string& out, bool final) = 0;
  virtual void reset_codec() {}
  virtual std::uint64_t codec_flags() const { return 0; }
  virtual void set_codec_flags(std::uint64_t) { reset_codec(); }

  const error_policy& policy() const { return policy_; }
  void forget_pending() { pending_.clear(); }

 private:
  void do_decode(std::string_view input, std::string& out, bool final) final {
    std::string_view data = input;
    if (!pending_.empty()) {
      joined_.assign(pending_).append(input);
      data = joined_;
    }
    const std::size_t consumed = decode_buffer(data, out, final);
    pending_.assign(data.substr(consumed));  // only once decoding succeeded, as in CPython
  }

  error_policy policy_;
  std::string pending_;
  std::string joined_;
};

// The byte order mark an encoder writes at the start of its output.
struct bom_rule {
  std::string_view bytes;         // empty: the codec writes none
  std::uint64_t pending_state;    // what getstate() says while the BOM is still to be written
  std::string_view first_name;    // CPython's utf_16/utf_32 first call reports errors as "utf-16"
  bool dropped_on_error = false;  // utf-8-sig clears its flag before encoding, utf-16/32 after
};

// What every encoder shares: the error handler and the BOM.
class encoder_base : public incremental_encoder {
 public:
  encoder_base(const codec_entry& codec, std::string_view errors, const codec_traits& traits,
               const bom_rule& bom)
      : incremental_encoder(codec.name, errors),
        policy_(errors),
        traits_(traits),
        bom_(bom),
        bom_pending_(!bom.bytes.empty()) {}

  void reset() override { bom_pending_ = !bom_.bytes.empty(); }
  std::uint64_t getstate() const override { return bom_pending_ ? bom_.pending_state : 0; }
  void setstate(std::uint64_t state) override { bom_pending_ = state != 0 && !bom_.bytes.empty(); }

 protected:
  // Encodes `text`, reporting errors with `traits`.
  virtual void encode_text(std::string_view text, std::string& out, bool final,
                           const codec_traits& traits) = 0;
  // Encodes an error handler's ASCII replacement; false (and nothing written) when it cannot.
  virtual bool encode_ascii(std::string_view ascii, std::string& out) {
    out += ascii;
    return true;
  }

  // Handles text[error.start, error.end) with the error handler and writes the replacement;
  // returns the byte offset where encoding resumes. A replacement the codec cannot write (bytes
  // that are not whole code units, text it cannot encode) raises the original error, as in
  // CPython.
  std::size_t recover(const codec_traits& traits, std::string_view text, const encode_error& error,
                      std::string& out) {
    const replacement r = policy_.replace(traits, text, error);
    if (r.is_bytes) {
      if (r.value.size() % unit_size(traits.surrogates) != 0) {
        raise_encode_error(traits, text, error);
      }
      out += r.value;
    } else if (!encode_ascii(r.value, out)) {
      raise_encode_error(traits, text, error);
    }
    return r.resume;
  }

 private:
  void do_encode(std::string_view text, std::string& out, bool final) final {
    if (!bom_pending_) {
      encode_text(text, out, final, traits_);
      return;
    }
    if (bom_.dropped_on_error) bom_pending_ = false;
    codec_traits first_traits = traits_;
    if (!bom_.first_name.empty()) first_traits.error_name = bom_.first_name;
    out += bom_.bytes;
    encode_text(text, out, final, first_traits);
    bom_pending_ = false;
  }

  error_policy policy_;
  codec_traits traits_;
  bom_rule bom_;
  bool bom_pending_;
};

}  // namespace pysock::io::detail
