// The raw stream under the io fuzz targets: reads serve a fixed byte string and writes collect
// into one, each call sized by the fuzzer (a socket's short reads and short writes), and a step
// may instead be "would block" (EAGAIN on a non-blocking socket: readinto/write_bytes return
// nullopt). It counts the calls that returned EOF or would-block, so that an invariant can tell
// whether a short result from a layer above was allowed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "pysock/io/raw.hpp"
#include "support.hpp"

namespace pysock_fuzz {

// The sections of an input laid out as [n1] [n2] ... first (n1 bytes) second (n2 bytes) ... rest:
// `count` length bytes, then the sections, then whatever is left.
template <std::size_t count>
struct sections {
  std::string_view part[count];
  std::string_view rest;
};

template <std::size_t count>
sections<count> take_sections(input_reader& in, std::size_t max_rest) {
  std::size_t sizes[count];
  for (std::size_t& size : sizes)
    size = in.byte();
  sections<count> result;
  for (std::size_t i = 0; i < count; ++i)
    result.part[i] = in.take(sizes[i]);
  result.rest = in.take(max_rest);
  return result;
}

class fake_raw final : public pysock::io::raw_io {
 public:
  // `steps`: one byte per call (cycling), read as a size_plan up to `max_step`: 0 means would
  // block when `may_block` (else 1), otherwise the call moves at most that many bytes. Without
  // steps every call moves what was asked.
  fake_raw(std::string_view incoming, std::string_view steps, std::size_t max_step, bool may_block)
      : incoming_(incoming), steps_(steps, max_step), may_block_(may_block) {}

  std::optional<std::size_t> readinto(std::span<std::byte> buffer) override {
    check(!closed());
    const std::optional<std::size_t> size = next_size(buffer.size());
    if (!size) return std::nullopt;
    const std::size_t n = std::min(*size, incoming_.size() - read_pos_);
    if (n == 0 && !buffer.empty()) ++interruptions_;  // EOF
    std::memcpy(buffer.data(), incoming_.data() + read_pos_, n);
    read_pos_ += n;
    return n;
  }

  std::optional<std::size_t> write_bytes(std::span<const std::byte> data) override {
    check(!closed());
    const std::optional<std::size_t> size = next_size(data.size());
    if (!size) return std::nullopt;
    written_.append(reinterpret_cast<const char*>(data.data()), *size);
    return *size;
  }

  bool readable() const override { return true; }
  bool writable() const override { return true; }
  void close() override { mark_closed(); }

  // EOF reads plus would-block steps so far.
  std::size_t interruptions() const { return interruptions_; }
  // From now on every call moves everything asked for (to drain or flush at the end).
  void stop_interrupting() { unlimited_ = true; }
  const std::string& written() const { return written_; }

 protected:
  std::string_view class_name() const override { return "FakeRawIO"; }

 private:
  // How much this call may move (at most `wanted`, at least 1 when wanted > 0: a raw read of 0
  // is EOF, a raw write of 0 would make a writer spin); nullopt: would block.
  std::optional<std::size_t> next_size(std::size_t wanted) {
    if (unlimited_ || wanted == 0 || steps_.empty()) return wanted;
    const std::size_t step = steps_.next();
    if (step == 0 && may_block_) {
      ++interruptions_;
      return std::nullopt;
    }
    return std::min(wanted, std::max<std::size_t>(step, 1));
  }

  std::string_view incoming_;
  std::size_t read_pos_ = 0;
  std::string written_;
  size_plan steps_;
  bool may_block_;
  bool unlimited_ = false;
  std::size_t interruptions_ = 0;
};

}  // namespace pysock_fuzz
