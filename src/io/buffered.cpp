// The buffered layer. The read algorithms follow CPython's C BufferedReader step by step
// (which raw reads happen, and of what size, is observable on a socket: peek and read1 return
// what one read brought, and a read past what the peer sent blocks).
#include "pysock/io/buffered.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <new>
#include <utility>

namespace pysock::io {

namespace {

// A refill into the buffer asks the raw stream for at least this much (the reserve).
// It starts at 64 KiB and doubles, up to the raw stream's read_ahead_limit(), while recvs come
// back full: a peer streaming faster than the reader gets large reads (fewer syscalls and
// wake-ups), a quiet connection keeps the small buffer.
constexpr std::size_t initial_read_ahead = 64 * 1024;
constexpr std::size_t keep_capacity = 4 * 1024 * 1024;

std::size_t checked_size(std::size_t buffer_size) {
  if (buffer_size == 0) throw value_error("buffer size must be strictly positive");
  return buffer_size;
}

std::span<std::byte> writable_span(char* data, std::size_t size) {
  return std::as_writable_bytes(std::span(data, size));
}

// Python's close(): flush, then close what is below even when flush threw; the flush error wins
// unless closing fails too (then the close error propagates, as with exception chaining).
template <class Flush, class Close>
void close_after_flush(Flush&& flush, Close&& close) {
  std::exception_ptr flush_error;
  try {
    flush();
  } catch (...) {
    flush_error = std::current_exception();
  }
  close();
  if (flush_error) std::rethrow_exception(flush_error);
}

// realloc out of line: inlined, GCC 12 takes resize_buffer's offsets, computed before the call,
// for uses of the old block after it (a -Wuse-after-free false positive).
[[gnu::noinline]] char* reallocate(char* block, std::size_t size) {
  auto* resized = static_cast<char*>(std::realloc(block, size));
  if (!resized) throw std::bad_alloc();
  return resized;
}

}  // namespace

// --- buffered_base ---------------------------------------------------------------------------

buffered_base::buffered_base(std::shared_ptr<raw_io> raw, std::size_t buffer_size)
    : raw_(std::move(raw)), buffer_size_(buffer_size) {}

void buffered_base::close() {
  if (raw_->closed()) return;
  close_after_flush([this] { flush(); },
                    [this] {
                      struct on_exit {
                        buffered_base* self;
                        ~on_exit() { self->after_close(); }
                      } guard{this};
                      raw_->close();
                    });
}

// --- buffered_reader -------------------------------------------------------------------------

buffered_reader::buffered_reader(std::shared_ptr<raw_io> raw, std::size_t buffer_size)
    : buffered_base(std::move(raw), checked_size(buffer_size)),
      max_read_ahead_(raw_->read_ahead_limit()),
      read_ahead_(std::min(initial_read_ahead, max_read_ahead_)) {
  if (!raw_->readable()) throw unsupported_operation("File or stream is not readable.");
  make_room(std::max(buffer_size_, initial_read_ahead));
}

buffered_reader::~buffered_reader() {
  try {
    close();
  } catch (...) {  // Python's dealloc ignores close errors
  }
}

void buffered_reader::after_close() noexcept {
  reclaim();
  base_ = pos_ = end_ = reserve_begin_ = reserve_end_ = nullptr;
  buffer_.reset();
  capacity_ = 0;
}

void buffered_reader::check_open(const char* message) {
  reclaim();
  if (buffered() == 0 && closed()) throw value_error(message);
}

void buffered_reader::reset() noexcept {
  if (reserved() == 0) reserve_begin_ = reserve_end_ = buffer_.get();
  base_ = pos_ = end_ = reserve_begin_;
}

// Moves everything from min(base_, pos_) on to the front of the buffer.
void buffered_reader::move_data_to_front() noexcept {
  char* from = std::min(base_, pos_);
  std::size_t shift = offset_of(from);
  if (shift == 0) return;
  std::memmove(buffer_.get(), from, std::size_t(reserve_end_ - from));
  for (char** position : positions())
    *position -= shift;
}

void buffered_reader::resize_buffer(std::size_t capacity) {
  auto moved = positions();
  std::array<std::size_t, moved.size()> offsets;
  std::ranges::transform(moved, offsets.begin(), [this](char** p) { return offset_of(*p); });
  char* resized = reallocate(buffer_.get(), capacity);
  (void)buffer_.release();
  buffer_.reset(resized);
  capacity_ = capacity;
  for (std::size_t i = 0; i < moved.size(); ++i)
    *moved[i] = resized + offsets[i];
}

// Compacting only while the held bytes fill less than half of the buffer, and doubling
// otherwise, keeps a long line at O(1) amortized per byte. A buffer far larger than a streaming
// reader needs (left by a huge line) shrinks back, so one huge line does not pin its memory;
// up to keep_capacity stays, so a stream of long lines does not page-fault a new buffer for each.
void buffered_reader::make_room(std::size_t room) {
  const std::size_t used = std::size_t(reserve_end_ - std::min(base_, pos_));
  const std::size_t normal = std::max({used + room, buffer_size_, max_read_ahead_});
  const bool oversized = capacity_ > std::max(4 * normal, keep_capacity);
  if (capacity_ - offset_of(reserve_end_) >= room && !oversized) return;
  move_data_to_front();
  if (oversized) {
    resize_buffer(normal);
  } else if (capacity_ - used < room || used >= capacity_ / 2) {
    resize_buffer(std::max(used + room, capacity_ * 2));
  }
}

std::optional<std::size_t> buffered_reader::raw_read(std::size_t size, char* external) {
  // The reserve stands for bytes still in the socket: once the raw object is closed (an rw pair
  // closes it through its writer) they are out of reach, and the read below raises as C's does.
  if (std::size_t have = reserved(); have > 0 && !raw_->closed()) {
    std::size_t n = std::min(size, have);
    std::memmove(external ? external : end_, reserve_begin_, n);
    reserve_begin_ += n;
    return n;
  }
  std::size_t ask = external ? size : std::max(size, read_ahead_);
  if (!external) make_room(ask);
  auto got = raw_->readinto(writable_span(external ? external : end_, ask));
  if (!got) return got;
  if (*got > ask) throw os_error("raw readinto() returned invalid length");
  if (!external && *got == ask) read_ahead_ = std::min(2 * read_ahead_, max_read_ahead_);
  std::size_t n = std::min(*got, size);
  if (!external) {
    reserve_begin_ = end_ + n;
    reserve_end_ = end_ + *got;
  }
  return n;
}

std::optional<std::size_t> buffered_reader::fill(std::size_t size) {
  if (reserved() == 0) reserve_begin_ = reserve_end_ = end_;
  auto got = raw_read(size, nullptr);
  if (got) end_ += *got;
  return got;
}

std::optional<std::string> buffered_reader::read(std::ptrdiff_t n) {
  if (n < -1) throw value_error("read length must be non-negative or -1");
  check_open("read of closed file");
  if (n == -1) return read_all();
  if (std::size_t(n) <= buffered()) return std::string(take(std::size_t(n)));
  return read_generic(std::size_t(n));
}

std::optional<std::string> buffered_reader::read_all() {
  std::string data(take(buffered()));
  data.append(reserve_begin_, reserved());
  reserve_begin_ = reserve_end_;
  reset();
  auto rest = raw_->readall();
  if (!rest) return data.empty() ? std::nullopt : std::optional(std::move(data));
  if (data.empty()) return rest;
  return data + *rest;
}

// C's _bufferedreader_read_generic: whole buffer-sized blocks go straight into the result, the
// tail through the buffer; whatever was gathered is lost if a raw read throws.
std::optional<std::string> buffered_reader::read_generic(std::size_t n) {
  std::string out(take(buffered()));
  reset();
  auto finish = [&](const std::optional<std::size_t>& got) -> std::optional<std::string> {
    if (!got && out.empty()) return std::nullopt;
    return std::move(out);
  };
  std::size_t remaining = n - out.size();
  while (remaining > 0) {
    std::size_t block = buffer_size_ * (remaining / buffer_size_);
    if (block == 0) break;
    std::size_t before = out.size();
    out.resize(before + block);
    auto got = raw_read(block, out.data() + before);
    out.resize(before + (got ? std::min(*got, block) : 0));
    if (!got || *got == 0) return finish(got);
    remaining -= *got;
  }
  try {
    while (remaining > 0 && std::size_t(end_ - base_) < buffer_size_) {
      auto got = fill(buffer_size_ - std::size_t(end_ - base_));
      if (!got || *got == 0) return finish(got);
      std::size_t part = std::min(*got, remaining);
      out += take(part);
      remaining -= part;
    }
  } catch (...) {
    reset();
    throw;
  }
  return out;
}

std::string buffered_reader::read1(std::ptrdiff_t n) {
  return std::string(read1_view(n));
}

// With an empty buffer, one raw read of n bytes (not capped at buffer_size, as in C).
std::string_view buffered_reader::read1_view(std::ptrdiff_t n) {
  std::size_t size = n < 0 ? buffer_size_ : std::size_t(n);
  check_open("read of closed file");
  if (size == 0) return {};
  if (buffered() == 0) {
    reset();
    fill(size);
  }
  return take(std::min(size, buffered()));
}

std::string_view buffered_reader::peek_view() {
  check_open("peek of closed file");
  if (buffered() > 0) return {pos_, buffered()};
  reset();
  fill(buffer_size_);
  return {pos_, buffered()};
}

std::string_view buffered_reader::lend(buffer_borrower& borrower) {
  auto window = peek_view();
  borrower_ = &borrower;
  return window;
}

void buffered_reader::reclaim() noexcept {
  if (auto* borrower = std::exchange(borrower_, nullptr)) borrower->give_back();
}

std::string buffered_reader::peek(std::ptrdiff_t) {
  return std::string(peek_view());
}

std::optional<std::size_t> buffered_reader::readinto(std::span<std::byte> buffer) {
  return readinto_generic(buffer, false);
}

std::optional<std::size_t> buffered_reader::readinto1(std::span<std::byte> buffer) {
  return readinto_generic(buffer, true);
}

// C's _buffered_readinto_generic: buffered bytes first; then big remainders straight from raw,
// small ones through the buffer.
std::optional<std::size_t> buffered_reader::readinto_generic(std::span<std::byte> buffer,
                                                             bool once) {
  check_open("readinto of closed file");
  std::size_t written = std::min(buffered(), buffer.size());
  std::memcpy(buffer.data(), pos_, written);
  pos_ += written;
  if (written == buffer.size()) return written;
  reset();
  while (written < buffer.size()) {
    std::size_t remaining = buffer.size() - written;
    std::optional<std::size_t> got;
    if (remaining > buffer_size_) {
      got = raw_read(remaining, reinterpret_cast<char*>(buffer.data() + written));
    } else if (!(once && written > 0)) {
      got = fill(buffer_size_ - std::size_t(end_ - base_));
      if (got && *got > 0) {
        std::size_t part = std::min(*got, remaining);
        std::memcpy(buffer.data() + written, take(part).data(), part);
        written += part;
        continue;
      }
    } else {
      break;
    }
    if (!got) return written > 0 ? std::optional(written) : std::nullopt;
    if (*got == 0) break;
    written += *got;
    if (once) break;
  }
  return written;
}

std::string buffered_reader::readline(std::ptrdiff_t limit) {
  return std::string(readline_view(limit));
}

// C's _buffered_readline, keeping the line contiguous: each refill reads buffer_size bytes after
// the partial line (moved to the front once), and only the new bytes are searched.
std::string_view buffered_reader::readline_refilling(std::ptrdiff_t limit) {
  check_open("readline of closed file");
  std::size_t max = limit < 0 ? std::size_t(-1) : std::size_t(limit);
  const char* scanned = pos_;
  for (;;) {
    const char* stop = buffered() > max ? pos_ + max : end_;
    if (auto* nl =
            static_cast<const char*>(std::memchr(scanned, '\n', std::size_t(stop - scanned)))) {
      return take(std::size_t(nl + 1 - pos_));
    }
    if (std::size_t(stop - pos_) == max) return take(max);
    // C resets its buffer here (the partial line moves to its list of chunks); the line stays
    // in place and one more buffer-sized chunk is read after it.
    base_ = pos_;
    std::optional<std::size_t> got;
    try {
      got = fill(buffer_size_);  // may move the buffer, and the positions with it
      scanned = end_ - (got ? *got : 0);
    } catch (...) {
      reset();  // the partial line is lost, as in CPython
      throw;
    }
    if (!got || *got == 0) return take(std::min(buffered(), max));
  }
}

std::string_view buffered_reader::read_view(std::size_t n) {
  check_open("read of closed file");
  while (buffered() < n) {
    base_ = pos_;
    auto got = fill(buffer_size_);
    if (!got || *got == 0) break;
  }
  return take(std::min(n, buffered()));
}

// --- buffered_writer -------------------------------------------------------------------------

buffered_writer::buffered_writer(std::shared_ptr<raw_io> raw, std::size_t buffer_size)
    : buffered_base(std::move(raw), checked_size(buffer_size)) {
  if (!raw_->writable()) throw unsupported_operation("File or stream is not writable.");
  buffer_ = std::make_unique_for_overwrite<char[]>(buffer_size_);
}

buffered_writer::~buffered_writer() {
  try {
    close();
  } catch (...) {  // Python's dealloc: flush and close, errors swallowed
  }
}

void buffered_writer::after_close() noexcept {
  buffer_.reset();
  pending_ = 0;
}

std::size_t buffered_writer::write_bytes(std::span<const std::byte> bytes) {
  if (closed()) throw value_error("write to closed file");
  std::string_view data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (data.size() <= buffer_size_ - pending_ && data.size() < buffer_size_) {
    append(data);
    return data.size();
  }
  try {
    flush_buffer();
  } catch (const blocking_io_error&) {
    // Keep as much as fits; report how much was taken.
    std::size_t room = buffer_size_ - pending_;
    if (data.size() <= room) {
      append(data);
      return data.size();
    }
    append(data.substr(0, room));
    detail::raise_write_would_block(room);
  }
  std::size_t written = 0;
  while (data.size() - written >= buffer_size_) {
    auto sent = raw_->write(data.substr(written));
    if (!sent) {
      if (data.size() - written > buffer_size_) {
        append(data.substr(written, buffer_size_));
        detail::raise_write_would_block(written + buffer_size_);
      }
      break;
    }
    if (*sent > data.size() - written) {
      throw os_error("write() returned incorrect number of bytes");
    }
    written += *sent;
  }
  append(data.substr(written));
  return data.size();
}

void buffered_writer::flush_buffer() {
  std::size_t done = 0;
  try {
    while (done < pending_) {
      auto sent = raw_->write(std::string_view(buffer_.get() + done, pending_ - done));
      if (!sent) detail::raise_write_would_block(0);
      if (*sent > pending_ - done) throw os_error("write() returned incorrect number of bytes");
      done += *sent;
    }
  } catch (...) {
    std::memmove(buffer_.get(), buffer_.get() + done, pending_ - done);
    pending_ -= done;
    throw;
  }
  pending_ = 0;
}

void buffered_writer::flush() {
  if (closed()) throw value_error("flush of closed file");
  flush_buffer();
}

// --- buffered_rw_pair ------------------------------------------------------------------------

buffered_rw_pair::buffered_rw_pair(std::shared_ptr<raw_io> reader, std::shared_ptr<raw_io> writer,
                                   std::size_t buffer_size)
    : reader_(std::move(reader), buffer_size), writer_(std::move(writer), buffer_size) {}

buffered_rw_pair::~buffered_rw_pair() {
  try {
    close();
  } catch (...) {
  }
}

void buffered_rw_pair::close() {
  close_after_flush([this] { writer_.close(); }, [this] { reader_.close(); });
}

// IOBase.readline with peek: each round takes up to the first '\n' of what peek() shows, at
// most `limit` bytes per round (not what is left of it: like C, a line can exceed the limit).
std::string buffered_rw_pair::readline(std::ptrdiff_t limit) {
  std::string line;
  while (limit < 0 || std::ptrdiff_t(line.size()) < limit) {
    std::string_view ahead = reader_.peek_view();
    std::size_t want = limit < 0 ? ahead.size() : std::min(ahead.size(), std::size_t(limit));
    std::size_t n = std::max<std::size_t>(want, 1);
    if (auto* nl = static_cast<const char*>(std::memchr(ahead.data(), '\n', want))) {
      n = std::size_t(nl - ahead.data()) + 1;
    }
    auto chunk = reader_.read(std::ptrdiff_t(n));
    if (!chunk) throw os_error("read() should have returned a bytes object, not 'NoneType'");
    if (chunk->empty()) break;
    line += *chunk;
    if (line.back() == '\n') break;
  }
  return line;
}

}  // namespace pysock::io
