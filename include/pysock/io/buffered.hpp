// pysock/io/buffered.hpp: Python's BufferedReader, BufferedWriter and BufferedRWPair over a
// raw_io, following CPython 3.13's C implementation where it and _pyio differ (peek never reads
// when data is buffered, read1 reads straight into the result, readline never exceeds its limit,
// a write of at least buffer_size goes straight to the raw stream).
//
// Lines are found with memchr over the buffer; a line longer than the buffer is kept contiguous
// by compacting it to the front and growing the buffer, and only the newly read bytes are
// scanned, so reading a line costs O(length) and readline(limit) holds O(limit + buffer_size).
//
// Read-ahead reserve: CPython's reader asks the socket for buffer_size bytes per refill (8 KiB by
// default), and what each refill brought is observable (peek, read1). pysock makes every refill
// into its buffer a single recv of at least 64 KiB (growing while the peer streams, up to the raw
// stream's read_ahead_limit(): 64 KiB on TCP, 256 KiB otherwise) and keeps the bytes CPython
// would not have read yet apart, as a reserve that later "raw reads" are served from. Every
// result is the one CPython gives when those bytes are already queued in the socket; the
// difference is only where unread bytes wait (in the reader instead of the kernel), which
// matters to code that also reads the socket directly (see docs/differences.md).
//
// Not thread-safe: one thread per object (a reader and a writer thread may share an rw pair).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pysock/io/detail/lending.hpp"
#include "pysock/io/raw.hpp"

namespace pysock::io {

// What BufferedReader and BufferedWriter share (Python's _BufferedIOMixin): the raw object,
// close() = flush() then raw.close() (the raw object is closed even when flush throws), and the
// attributes taken from the raw object.
class buffered_base : public io_base {
 public:
  void close() override;
  bool closed() const override { return raw_->closed(); }
  bool seekable() const override { return raw_->seekable(); }
  int fileno() const override { return raw_->fileno(); }
  int name() const override { return raw_->name(); }
  std::string mode() const override { return raw_->mode(); }
  // The raw object underneath (Python's .raw).
  const std::shared_ptr<raw_io>& raw() const noexcept { return raw_; }
  io_fast_paths fast_paths() noexcept override { return {.closed_raw = raw_.get()}; }

 protected:
  buffered_base(std::shared_ptr<raw_io> raw, std::size_t buffer_size);
  // What close() does after the raw object is closed (free the buffer).
  virtual void after_close() noexcept {}

  std::shared_ptr<raw_io> raw_;
  std::size_t buffer_size_;
};

// BufferedReader(raw, buffer_size).
class buffered_reader final : public buffered_base, public lending_reader {
 public:
  // raw not readable → unsupported_operation; buffer_size 0 → value_error.
  explicit buffered_reader(std::shared_ptr<raw_io> raw,
                           std::size_t buffer_size = default_buffer_size);
  ~buffered_reader() override;

  // read(-1): everything to EOF; read(n): n bytes unless EOF or would-block comes first (no raw
  // read once n bytes are there, bpo-9550); nullopt when nothing could be read without blocking.
  std::optional<std::string> read(std::ptrdiff_t n = -1) override;
  // Buffered bytes if any, otherwise one raw read of n (buffer_size when n < 0).
  std::string read1(std::ptrdiff_t n = -1) override;
  // read1(n) as a view into the buffer, valid until the next call.
  std::string_view read1_view(std::ptrdiff_t n = -1);
  // read1_view(n) lent to `borrower` (the text layer's chunks, used in place when decoding them
  // changes nothing): this reader's next operation, whoever makes it, first calls
  // borrower.give_back(), so the borrower can copy what it still needs. The bytes are consumed
  // already: the borrower reports nothing back.
  std::string_view lend_read1(std::ptrdiff_t n, buffer_borrower& borrower) {
    auto chunk = read1_view(n);
    borrower_ = &borrower;
    return chunk;
  }
  // The buffered bytes (n is ignored, as in C); one raw read when the buffer is empty.
  std::string peek(std::ptrdiff_t n = 0) override;
  std::optional<std::size_t> readinto(std::span<std::byte> buffer) override;
  // Like readinto, but at most one raw read, and none once some bytes were copied.
  std::optional<std::size_t> readinto1(std::span<std::byte> buffer) override;
  std::string readline(std::ptrdiff_t limit = -1) override;
  bool readline_into(std::string& line, std::ptrdiff_t limit = -1) override {
    auto view = readline_view(limit);
    detail::assign_line(line, view);
    return !view.empty();
  }
  bool readable() const override { return raw_->readable(); }
  void flush() override { raw_->flush(); }

  // Beyond Python: the next line (as readline(limit)) as a view into the buffer, valid until the
  // next call on this reader. The zero-copy path for parsers.
  std::string_view readline_view(std::ptrdiff_t limit = -1) {
    // Inline because short lines cost little else: a whole line already buffered (C's fast
    // path, which needs no closed check either: buffered data is readable after close).
    if (!borrower_ && buffered() > 0) {
      std::size_t n = limit < 0 ? buffered() : std::min(buffered(), std::size_t(limit));
      if (auto* nl = static_cast<const char*>(std::memchr(pos_, '\n', n))) {
        return take(std::size_t(nl + 1 - pos_));
      }
    }
    return readline_refilling(limit);
  }
  // Beyond Python: read(n) as a view into the buffer (n >= 0; empty at EOF or when nothing is
  // there without blocking), valid until the next call. Buffers up to n bytes.
  std::string_view read_view(std::size_t n);
  // peek() as a view, valid until the next call.
  std::string_view peek_view();
  // io::streambuf's access to the buffer (see lending_reader).
  std::string_view lend(buffer_borrower& borrower) override;
  void consume(std::size_t n) noexcept override { pos_ += n; }
  void reclaim() noexcept override;
  // Number of bytes buffered (read but not yet returned).
  std::size_t buffered() const noexcept { return std::size_t(end_ - pos_); }
  // Beyond Python: the bytes of memory the buffer holds now (it grows for long lines and shrinks
  // back), for tests and monitoring.
  std::size_t capacity() const noexcept { return capacity_; }
  io_fast_paths fast_paths() noexcept override {
    return {.closed_raw = raw_.get(), .reader = this, .lender = this};
  }

 protected:
  std::string_view class_name() const override { return "BufferedReader"; }
  void after_close() noexcept override;

 private:
  // Starts every operation: takes back a lent window, then C's CHECK_CLOSED (closed and
  // nothing left in the buffer → value_error(message)).
  void check_open(const char* message);
  std::string_view take(std::size_t n) noexcept {
    std::string_view taken(pos_, n);
    pos_ += n;
    return taken;
  }
  // readline_view when the buffer holds no whole line: reads more after the partial line.
  std::string_view readline_refilling(std::ptrdiff_t limit);
  // C's _bufferedreader_reset_buf: the visible buffer restarts empty (the reserve is kept).
  void reset() noexcept;
  std::size_t reserved() const noexcept { return std::size_t(reserve_end_ - reserve_begin_); }
  // What CPython's raw.readinto(size) would do, into `external` or else into the buffer at end_;
  // the count, or nullopt when it would block. Served from the reserve when it has data.
  std::optional<std::size_t> raw_read(std::size_t size, char* external);
  // raw_read into the buffer at end_, making the bytes visible.
  std::optional<std::size_t> fill(std::size_t size);
  // At least `room` free bytes after the reserve (compacting, growing or shrinking).
  void make_room(std::size_t room);
  void move_data_to_front() noexcept;
  void resize_buffer(std::size_t capacity);
  std::size_t offset_of(const char* position) const noexcept {
    return std::size_t(position - buffer_.get());
  }
  std::array<char**, 5> positions() noexcept {
    return {&base_, &pos_, &end_, &reserve_begin_, &reserve_end_};
  }
  std::optional<std::string> read_all();
  std::optional<std::string> read_generic(std::size_t n);
  std::optional<std::size_t> readinto_generic(std::span<std::byte> buffer, bool once);

  // Positions in buffer_, [base_ ≤ pos_ ≤ end_ ≤ reserve_begin_ ≤ reserve_end_ ≤ capacity_]: the
  // visible data is [pos_, end_), base_ is where C's buffer starts (its refill sizes count from
  // there), and [reserve_begin_, reserve_end_) is read ahead of CPython. Pointers rather than
  // offsets: a line then costs one memchr and one store, without address arithmetic on the
  // dependency from one line to the next (about 1 ns a line, a sixth of a 16-byte line's time).
  // Only resize_buffer and move_data_to_front move the data, and they move these along.
  struct free_memory {
    void operator()(char* p) const noexcept { std::free(p); }
  };
  // malloc'd, so that growing a long line's buffer is a realloc: large blocks are remapped, not
  // copied, and their pages are not touched again.
  std::unique_ptr<char, free_memory> buffer_;
  std::size_t capacity_ = 0;
  char* base_ = nullptr;
  char* pos_ = nullptr;
  char* end_ = nullptr;
  char* reserve_begin_ = nullptr;
  char* reserve_end_ = nullptr;
  const std::size_t max_read_ahead_;  // the raw stream's read_ahead_limit()
  std::size_t read_ahead_;  // what one refill asks the raw stream for (grows; see buffered.cpp)
  buffer_borrower* borrower_ = nullptr;
};

// BufferedWriter(raw, buffer_size).
class buffered_writer final : public buffered_base {
 public:
  // raw not writable → unsupported_operation; buffer_size 0 → value_error.
  explicit buffered_writer(std::shared_ptr<raw_io> raw,
                           std::size_t buffer_size = default_buffer_size);
  // Flushes (errors are swallowed, as in Python's dealloc) and closes.
  ~buffered_writer() override;

  // Buffers data, sending when the buffer would overflow; a write of at least buffer_size bytes
  // goes straight to the raw stream (3.13). On a full non-blocking socket: blocking_io_error
  // with characters_written() = the bytes of `data` taken (buffered or sent).
  std::optional<std::size_t> write(std::string_view data) override {
    if (data.size() < buffer_size_ - pending_ && !closed()) {  // the common case, inline
      append(data);
      return data.size();
    }
    return write_bytes(std::as_bytes(std::span(data.data(), data.size())));
  }
  std::size_t write_bytes(std::span<const std::byte> data);
  // BufferedIOBase.readinto1 calls read1, which a writer does not have (even once closed).
  std::optional<std::size_t> readinto1(std::span<std::byte>) override {
    throw unsupported_operation("read1");
  }
  // Sends everything buffered; blocking_io_error (characters_written 0) when it cannot.
  void flush() override;
  bool writable() const override { return raw_->writable(); }
  // Number of bytes waiting in the buffer.
  std::size_t pending() const noexcept { return pending_; }
  io_fast_paths fast_paths() noexcept override {
    return {.closed_raw = raw_.get(), .writer = this};
  }

 protected:
  std::string_view class_name() const override { return "BufferedWriter"; }
  void after_close() noexcept override;

 private:
  void flush_buffer();
  void append(std::string_view data) noexcept {
    char* to = buffer_.get() + pending_;
    if (data.size() <= short_write) {
      copy_short(to, data.data(), data.size());
    } else {
      std::memcpy(to, data.data(), data.size());
    }
    pending_ += data.size();
  }
  // Writes up to this size are copied inline: a short write is what the buffer is for, and the
  // call into libc's memcpy cost more than copying (W3: 36.5 -> 29.5 instructions per 16-byte
  // message, user time 3.6-4.5 -> 1.7-2.1 ns).
  static constexpr std::size_t short_write = 32;
  // The first and the last `Size` bytes of [from, from + n), for Size <= n <= 2 * Size: two
  // fixed-size copies that overlap in the middle, without a loop or a call.
  template <std::size_t Size>
  static void copy_ends(char* to, const char* from, std::size_t n) noexcept {
    std::memcpy(to, from, Size);
    std::memcpy(to + n - Size, from + n - Size, Size);
  }
  static void copy_short(char* to, const char* from, std::size_t n) noexcept {
    if (n >= 16) {
      copy_ends<16>(to, from, n);
    } else if (n >= 8) {
      copy_ends<8>(to, from, n);
    } else if (n >= 4) {
      copy_ends<4>(to, from, n);
    } else if (n > 0) {  // 1-3 bytes: the first, the middle and the last
      to[0] = from[0];
      to[n / 2] = from[n / 2];
      to[n - 1] = from[n - 1];
    }
  }

  std::unique_ptr<char[]> buffer_;  // buffer_size_ bytes, the first pending_ of them waiting
  std::size_t pending_ = 0;
};

// BufferedRWPair(reader, writer, buffer_size): a reader and a writer that share nothing but the
// raw object(s); a write never discards buffered read data. close() closes the writer, then the
// reader; `closed` is the writer's.
class buffered_rw_pair final : public io_base {
 public:
  buffered_rw_pair(std::shared_ptr<raw_io> reader, std::shared_ptr<raw_io> writer,
                   std::size_t buffer_size = default_buffer_size);
  ~buffered_rw_pair() override;

  std::optional<std::string> read(std::ptrdiff_t n = -1) override { return reader_.read(n); }
  std::string read1(std::ptrdiff_t n = -1) override { return reader_.read1(n); }
  std::string peek(std::ptrdiff_t n = 0) override { return reader_.peek(n); }
  std::optional<std::size_t> readinto(std::span<std::byte> buffer) override {
    return reader_.readinto(buffer);
  }
  std::optional<std::size_t> readinto1(std::span<std::byte> buffer) override {
    return reader_.readinto1(buffer);
  }
  // IOBase.readline over peek (the pair has no readline of its own).
  std::string readline(std::ptrdiff_t limit = -1) override;
  std::optional<std::size_t> write(std::string_view data) override { return writer_.write(data); }
  void flush() override { writer_.flush(); }
  void close() override;
  bool closed() const override { return writer_.closed(); }
  bool readable() const override { return reader_.readable(); }
  bool writable() const override { return writer_.writable(); }
  bool seekable() const override { return false; }

  buffered_reader& reader() noexcept { return reader_; }
  buffered_writer& writer() noexcept { return writer_; }
  // The pair's `closed` is its writer's.
  io_fast_paths fast_paths() noexcept override {
    return {.closed_raw = writer_.raw().get(),
            .reader = &reader_,
            .writer = &writer_,
            .lender = &reader_};
  }

 protected:
  std::string_view class_name() const override { return "BufferedRWPair"; }

 private:
  buffered_reader reader_;
  buffered_writer writer_;
};

}  // namespace pysock::io
