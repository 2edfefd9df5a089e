// A scripted raw stream for the buffered/text tests (CPython's MockRawIO): each read returns the
// next scripted chunk (cut to the request), nullopt meaning "would block"; writes are recorded,
// and a write can be made to block.
#pragma once

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "pysock/io/raw.hpp"

namespace pysock_test {

class mock_raw final : public pysock::io::raw_io {
 public:
  explicit mock_raw(std::vector<std::optional<std::string>> reads = {}, bool writable = true)
      : reads_(reads.begin(), reads.end()), writable_(writable) {}

  std::optional<std::size_t> readinto(std::span<std::byte> buffer) override {
    check_closed();
    read_sizes.push_back(buffer.size());
    if (reads_.empty()) return 0;
    auto chunk = reads_.front();
    reads_.pop_front();
    if (!chunk) return std::nullopt;
    std::size_t n = std::min(chunk->size(), buffer.size());
    std::memcpy(buffer.data(), chunk->data(), n);
    if (n < chunk->size()) reads_.push_front(chunk->substr(n));
    returned.push_back(n);
    return n;
  }
  std::optional<std::size_t> write_bytes(std::span<const std::byte> data) override {
    check_closed();
    std::size_t n = data.size();
    if (block_after) {
      if (*block_after == 0) return std::nullopt;
      n = std::min(n, *block_after);
      *block_after -= n;
    }
    written.append(reinterpret_cast<const char*>(data.data()), n);
    return n;
  }
  bool readable() const override { return true; }
  bool writable() const override { return writable_; }
  void close() override { mark_closed(); }
  std::size_t read_ahead_limit() const noexcept override { return read_ahead; }

  std::vector<std::size_t> read_sizes;  // what each readinto asked for
  std::vector<std::size_t> returned;    // what each data-bearing readinto returned
  std::string written;
  std::optional<std::size_t> block_after;  // accept this many more bytes, then block
  std::size_t read_ahead = pysock::io::default_read_ahead_limit;  // read_ahead_limit()

 protected:
  std::string_view class_name() const override { return "MockRawIO"; }

 private:
  std::deque<std::optional<std::string>> reads_;
  bool writable_;
};

}  // namespace pysock_test
