// Fuzzes buffered_reader over a raw stream with random short reads and EAGAIN (fake_raw): a
// random sequence of read/read1/peek/readline(limit)/readinto/readinto1 and the zero-copy views,
// then a read() to EOF. Invariants, against a model that is just a position in the data:
//  - no byte lost, duplicated or reordered: every result is the data at the model's position
//    (peek: a prefix of what follows, not consumed), and the final read() ends the data exactly;
//  - sizes: read(n)/readinto never exceed n and are short only when the raw stream gave EOF or
//    would-block during that call (they loop over short reads); readline(limit) never exceeds the
//    limit, holds '\n' only at its end, and stops before one only at the limit or after EOF or
//    would-block; read1/readinto1/peek return nothing only after EOF or would-block.
//
// The same over a buffered_rw_pair (whose readline is IOBase's, see run_pair_readline).
//
// Input: [buffer size (bit 7: rw pair)] [n steps] [n ops] steps ops data. An op is 2 bytes:
// which, argument (255: -1, else the size or limit).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fake_stream.hpp"
#include "pysock/error.hpp"
#include "pysock/io/buffered.hpp"
#include "support.hpp"

namespace {

using pysock::io::buffered_reader;
using pysock_fuzz::check;
using pysock_fuzz::fake_raw;

constexpr std::size_t buffer_sizes[] = {1, 2, 3, 7, 16, 64, 4096, 8192};
constexpr std::size_t max_data = 4096;
constexpr std::size_t max_step = 200;

// What has been read of the data so far.
class stream_model {
 public:
  explicit stream_model(std::string_view data) : data_(data) {}

  void consumed(std::string_view got) {
    check(data_.substr(pos_, got.size()) == got);
    pos_ += got.size();
  }
  void peeked(std::string_view got) const { check(data_.substr(pos_).starts_with(got)); }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

struct reader_under_test {
  std::shared_ptr<fake_raw> raw;
  // The reader, or a buffered_rw_pair around one: Python's methods go through `file`, the
  // reader's own extras (views, readinto1, readline_into) to `reader`.
  std::unique_ptr<pysock::io::io_base> file;
  buffered_reader& reader;
  bool pair;
  stream_model model;
  std::size_t interruptions_before = 0;
  bool stopped = false;  // the pair's readline raised, losing what it had read (as CPython)

  bool interrupted() const { return raw->interruptions() > interruptions_before; }

  // A read of up to `n` bytes (n < 0: unbounded) that loops over short raw reads.
  void check_looping_read(std::string_view got, std::ptrdiff_t n) {
    model.consumed(got);
    if (n < 0 || got.size() < static_cast<std::size_t>(n)) check(interrupted());
    if (n >= 0) check(got.size() <= static_cast<std::size_t>(n));
  }
  // A read that may stop after one raw read, but not with nothing unless it had to.
  void check_single_read(std::string_view got, std::ptrdiff_t n) {
    model.consumed(got);
    if (n >= 0) check(got.size() <= static_cast<std::size_t>(n));
    if (got.empty() && n != 0) check(interrupted());
  }
  void check_line(std::string_view line, std::ptrdiff_t limit) {
    model.consumed(line);
    const std::size_t newline = line.find('\n');
    check(newline == std::string_view::npos || newline + 1 == line.size());
    const bool at_limit = limit >= 0 && line.size() == static_cast<std::size_t>(limit);
    check(limit < 0 || line.size() <= static_cast<std::size_t>(limit));
    if (newline == std::string_view::npos && !at_limit) check(interrupted());
  }
  // BufferedRWPair.readline is IOBase.readline over peek(): like CPython's, each round reads up
  // to `limit` more bytes, so a line can reach 2 * limit - 1 bytes; and a would-block raises
  // os_error (read() returned None), dropping the bytes of the earlier rounds.
  void run_pair_readline(std::ptrdiff_t limit) {
    std::string line;
    try {
      line = file->readline(limit);
    } catch (const pysock::os_error&) {
      check(interrupted());
      stopped = true;
      return;
    }
    model.consumed(line);
    const std::size_t newline = line.find('\n');
    check(newline == std::string::npos || newline + 1 == line.size());
    if (limit >= 0)
      check(line.size() <= static_cast<std::size_t>(std::max<std::ptrdiff_t>(2 * limit - 1, 0)));
    const bool at_limit = limit >= 0 && line.size() >= static_cast<std::size_t>(limit);
    if (newline == std::string::npos && !at_limit) check(interrupted());
  }
  void check_peek(std::string_view got) {
    model.peeked(got);
    if (got.empty()) check(interrupted());
  }

  void run(std::uint8_t which, std::ptrdiff_t n) {
    interruptions_before = raw->interruptions();
    const std::size_t size = n < 0 ? 0 : static_cast<std::size_t>(n);
    switch (which % 11) {
      case 0:
        if (const auto got = file->read(n)) {
          check_looping_read(*got, n);
        } else {
          check(interrupted());
        }
        break;
      case 1:
        check_single_read(file->read1(n), n);
        break;
      case 2:
        check_peek(file->peek(n));
        break;
      case 3:
        if (pair) return run_pair_readline(n);
        check_line(file->readline(n), n);
        break;
      case 4:
        return run_readinto(size, false);
      case 5:
        return run_readinto(size, true);
      case 6:
        check_line(reader.readline_view(n), n);
        break;
      case 7: {
        const std::string_view got = reader.read_view(size);
        model.consumed(got);
        check(got.size() <= size && (got.size() == size || interrupted()));
        break;
      }
      case 8:
        check_peek(reader.peek_view());
        break;
      case 9: {
        std::string line = "stale";
        check(reader.readline_into(line, n) == !line.empty());
        check_line(line, n);
        break;
      }
      default:
        check_single_read(reader.read1_view(n), n);
        break;
    }
  }

  void run_readinto(std::size_t size, bool once) {
    std::string buffer(size, '\0');
    const auto span = std::as_writable_bytes(std::span(buffer.data(), buffer.size()));
    const std::optional<std::size_t> got = once ? reader.readinto1(span) : file->readinto(span);
    if (!got) {
      check(interrupted());
      return;
    }
    check(*got <= size);
    const std::string_view bytes(buffer.data(), *got);
    if (once) {
      check_single_read(bytes, static_cast<std::ptrdiff_t>(size));
    } else {
      check_looping_read(bytes, static_cast<std::ptrdiff_t>(size));
    }
  }

  void drain() {
    raw->stop_interrupting();
    const std::optional<std::string> rest = file->read();
    check(rest.has_value());
    model.consumed(*rest);
    check(model.at_end());
    check(file->read() == std::string());
  }
};

reader_under_test make_test(std::shared_ptr<fake_raw> raw, std::size_t buffer_size, bool pair,
                            std::string_view data) {
  if (pair) {
    auto file = std::make_unique<pysock::io::buffered_rw_pair>(raw, raw, buffer_size);
    buffered_reader& reader = file->reader();
    return {std::move(raw), std::move(file), reader, true, stream_model(data)};
  }
  auto file = std::make_unique<buffered_reader>(raw, buffer_size);
  buffered_reader& reader = *file;
  return {std::move(raw), std::move(file), reader, false, stream_model(data)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pysock_fuzz::input_reader in(data, size);
  const std::uint8_t setup = in.byte();
  const std::size_t buffer_size = buffer_sizes[setup % std::size(buffer_sizes)];
  const bool pair = (setup & 0x80) != 0;
  const auto [parts, body] = pysock_fuzz::take_sections<2>(in, max_data);
  const std::string_view steps = parts[0], ops = parts[1];
  reader_under_test test =
      make_test(std::make_shared<fake_raw>(body, steps, max_step, true), buffer_size, pair, body);
  for (std::size_t i = 0; i + 1 < ops.size() && !test.stopped; i += 2) {
    const auto arg = static_cast<std::uint8_t>(ops[i + 1]);
    test.run(static_cast<std::uint8_t>(ops[i]), arg == 255 ? -1 : arg);
  }
  if (!test.stopped) test.drain();
  return 0;
}
