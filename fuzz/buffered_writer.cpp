// Fuzzes buffered_writer over a raw stream with random short writes and EAGAIN (fake_raw): a
// random sequence of write(chunk) and flush(), where after a blocking_io_error the next write
// goes on from the first byte the writer did not take (as a caller must), then a flush with the
// raw stream accepting everything. Invariants:
//  - no byte lost, duplicated or reordered: what reached the raw stream is a prefix of the bytes
//    the writer took, the rest of them is exactly what it says is pending, and after the last
//    flush the raw stream holds exactly the bytes taken;
//  - write() takes all of its data or throws blocking_io_error saying how much it took (at most
//    the data's size); flush() fails only with blocking_io_error;
//  - the buffer never holds more than buffer_size bytes.
//
// Input: [buffer size] [n steps] [n ops] steps ops data. An op is 2 bytes: which (even: write of
// argument x (which / 2 % 4 + 1) bytes, odd: flush), argument.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fake_stream.hpp"
#include "pysock/error.hpp"
#include "pysock/io/buffered.hpp"
#include "support.hpp"

namespace {

using pysock::io::buffered_writer;
using pysock_fuzz::check;
using pysock_fuzz::fake_raw;

constexpr std::size_t buffer_sizes[] = {1, 2, 3, 7, 16, 64, 4096, 8192};
constexpr std::size_t max_data = 4096;
constexpr std::size_t max_step = 200;

struct writer_under_test {
  std::shared_ptr<fake_raw> raw;
  buffered_writer writer;
  std::string_view data;
  std::size_t buffer_size;
  std::size_t taken = 0;  // data[0, taken) was accepted by the writer

  void check_accounting() const {
    const std::string& sent = raw->written();
    check(sent.size() + writer.pending() == taken);
    check(data.substr(0, sent.size()) == sent);
    check(writer.pending() <= buffer_size);
  }

  void write(std::size_t size) {
    const std::string_view chunk = data.substr(taken, size);
    try {
      check(writer.write(chunk) == chunk.size());
      taken += chunk.size();
    } catch (const pysock::blocking_io_error& e) {
      check(e.characters_written() <= chunk.size());
      taken += e.characters_written();
    }
  }

  void flush() {
    try {
      writer.flush();
    } catch (const pysock::blocking_io_error& e) {
      check(e.characters_written() == 0);
    }
  }

  void finish() {
    raw->stop_interrupting();
    writer.flush();
    check(writer.pending() == 0 && raw->written() == data.substr(0, taken));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pysock_fuzz::input_reader in(data, size);
  const std::size_t buffer_size = in.pick(buffer_sizes);
  const auto [parts, body] = pysock_fuzz::take_sections<2>(in, max_data);
  const std::string_view steps = parts[0], ops = parts[1];
  auto raw = std::make_shared<fake_raw>(std::string_view(), steps, max_step, true);
  writer_under_test test{raw, buffered_writer(raw, buffer_size), body, buffer_size};
  for (std::size_t i = 0; i + 1 < ops.size(); i += 2) {
    const auto which = static_cast<std::uint8_t>(ops[i]);
    if (which % 2 == 0) {
      // Sizes up to 4 x 255 bytes, so that writes larger than any buffer size happen too.
      test.write(static_cast<std::uint8_t>(ops[i + 1]) * (which / 2 % 4 + 1u));
    } else {
      test.flush();
    }
    test.check_accounting();
  }
  test.finish();
  return 0;
}
