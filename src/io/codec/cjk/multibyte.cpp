// The state every CJK decoder and encoder shares (cjk/multibyte.hpp): CPython's eight state bytes
// and the encoder's pending text, packed into numbers as multibytecodec.c packs them.
#include "io/codec/cjk/multibyte.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>

#include "pysock/error.hpp"
#include "pysock/io/codec.hpp"

namespace pysock::io::detail::cjk {

namespace {

// CPython's MAXENCPENDING characters of at most four UTF-8 bytes each.
constexpr std::size_t max_pending_bytes = 2 * 4;

// An encoder state's bytes: the pending text's length, the text, the eight state bytes.
using encoder_state_bytes = std::array<unsigned char, 1 + max_pending_bytes + 8>;

template <std::size_t size>
std::uint64_t little_endian(const std::array<unsigned char, size>& bytes) {
  std::uint64_t number = 0;
  for (std::size_t i = std::min<std::size_t>(size, 8); i-- > 0;)
    number = number << 8 | bytes[i];
  return number;
}

template <std::size_t size>
std::array<unsigned char, size> bytes_of(std::uint64_t number) {
  std::array<unsigned char, size> bytes{};
  for (std::size_t i = 0; i < std::min<std::size_t>(size, 8); ++i)
    bytes[i] = static_cast<unsigned char>(number >> (8 * i));
  return bytes;
}

}  // namespace

std::uint64_t codec_state::packed() const {
  return little_endian(c);
}

codec_state codec_state::unpacked(std::uint64_t number) {
  return {bytes_of<8>(number)};
}

std::uint64_t multibyte_encoder::getstate() const {
  encoder_state_bytes bytes{};
  bytes[0] = static_cast<unsigned char>(pending_.size());
  std::copy(pending_.begin(), pending_.end(), bytes.begin() + 1);
  std::copy(state_.c.begin(), state_.c.end(), bytes.begin() + 1 + pending_.size());
  if (std::any_of(bytes.begin() + 8, bytes.end(), [](unsigned char byte) { return byte != 0; }))
    throw std::overflow_error("the encoder's state does not fit in 64 bits");
  return little_endian(bytes);
}

void multibyte_encoder::setstate(std::uint64_t state) {
  const auto bytes = bytes_of<std::tuple_size_v<encoder_state_bytes>>(state);
  const std::size_t length = bytes[0];
  if (length > max_pending_bytes) throw unicode_error("pending buffer too large");
  std::string pending(bytes.begin() + 1, bytes.begin() + 1 + length);
  make_incremental_decoder("utf-8")->decode(pending, true);  // raises CPython's UnicodeDecodeError
  pending_ = std::move(pending);
  std::copy_n(bytes.begin() + 1 + length, state_.c.size(), state_.c.begin());
}

void multibyte_encoder::reset() {
  std::string discarded;
  flush(discarded);
  pending_.clear();
}

void multibyte_encoder::encode_text(std::string_view text, std::string& out, bool final,
                                    const codec_traits& traits) {
  if (pending_.empty()) {
    encode_run(text, out, traits);
  } else {
    encode_run(pending_ + std::string(text), out, traits);  // an error keeps pending_, as CPython
  }
  if (final) flush(out);
  pending_.clear();
}

}  // namespace pysock::io::detail::cjk
