// pysock/io/raw.hpp: the bottom of the io stack. io_base is Python's IOBase (the interface every
// layer shares, so io::file can hold any of them), raw_io is RawIOBase, and socket_io<S> is
// socket.SocketIO over anything socket-like (a pysock::socket, a TLS wrapper, a test double).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "pysock/error.hpp"

namespace pysock {

// The socket_like contract: what the io stack (socket_io, hence makefile()) asks of a socket.
// It names no concrete socket, so pysock::socket, a TLS socket and a user's test double plug in
// alike. Blocking behaviour is the socket's own (its timeout): a call that times out throws
// timeout_error, and a non-blocking call that would block throws an os_error whose errno is
// EAGAIN/EWOULDBLOCK.
//
// Required:
//   recv_into(span<byte>) -> size_t   one receive (0 at EOF)
//   send(span<const byte>) -> size_t  one send (may be partial)
//   gettimeout()                      the timeout (any type; read, never interpreted)
//   fileno() -> int                   the fd, -1 once closed
//   io_ref() -> socket_io_handle      the io-reference hook (below)
// Optional, each detected on its own (a type without it gets the stated default):
//   read_ahead_limit() -> size_t or optional<size_t>
//       the most one read-ahead of a buffered reader should ask this socket for (buffered.hpp,
//       "Read-ahead reserve"); absent or nullopt: io::default_read_ahead_limit.
//   on the handle, recv_into(span<byte>, error_code&) and send(span<const byte>, error_code&)
//       (nonthrowing_socket_io_handle): used instead of the throwing forms; absent: those.

// The io-reference handle (what socket::io_ref() returns): the I/O operations of SocketIO plus
// release(), Python's _decref_socketios, called exactly once when the file closes. socket_io
// holds the handle, not the socket, so a file outlives the socket object that made it.
template <class H>
concept socket_io_handle = std::movable<H> &&
    requires(H& h, std::span<std::byte> in, std::span<const std::byte> out) {
  { h.recv_into(in) } -> std::convertible_to<std::size_t>;
  { h.send(out) } -> std::convertible_to<std::size_t>;
  h.gettimeout();
  { h.fileno() } -> std::convertible_to<int>;
  h.release();
};

// The handle's optional non-throwing forms (Asio's convention, see socket.hpp): socket_io uses
// them when present, so "would block" costs no exception; a handle with only the throwing forms
// keeps working.
template <class H>
concept nonthrowing_socket_io_handle = socket_io_handle<H> &&
    requires(H& h, std::span<std::byte> in, std::span<const std::byte> out, std::error_code& ec) {
  { h.recv_into(in, ec) } -> std::convertible_to<std::size_t>;
  { h.send(out, ec) } -> std::convertible_to<std::size_t>;
};

// Anything makefile() can wrap (the urllib3 backport's contract, see above).
template <class S>
concept socket_like = requires(S& s, std::span<std::byte> in, std::span<const std::byte> out) {
  s.recv_into(in);
  s.send(out);
  s.gettimeout();
  { s.fileno() } -> std::convertible_to<int>;
  { s.io_ref() } -> socket_io_handle;
};

// The optional read_ahead_limit() member of a socket_like type.
template <class S>
concept provides_read_ahead_limit = requires(const S& s) {
  { s.read_ahead_limit() } -> std::convertible_to<std::optional<std::size_t>>;
};

}  // namespace pysock

namespace pysock::io {

// io.DEFAULT_BUFFER_SIZE.
inline constexpr std::size_t default_buffer_size = 8192;
// Beyond Python: raw_io::read_ahead_limit() unless a stream knows better (see socket_like).
inline constexpr std::size_t default_read_ahead_limit = 256 * 1024;

// Python's AttributeError, raised where the Python object of that mode has no such attribute
// (e.g. `mode` of a BufferedRWPair, `encoding` of a binary file).
class attribute_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {
// ValueError "I/O operation on closed file.", what every layer raises once closed.
[[noreturn]] void raise_closed_file();
// line = bytes (not in line), as resize + memcpy rather than assign: assign's general path
// (overlap and length checks) cost 19 more instructions a line (W1 rb at L=16: 94.5 -> 75.6 per
// line, L=80: 123 -> 104).
inline void assign_line(std::string& line, std::string_view bytes) {
  line.resize(bytes.size());
  if (!bytes.empty()) std::memcpy(line.data(), bytes.data(), bytes.size());
}
}  // namespace detail

// Python's newlines attribute: empty is None, one entry a str, more a tuple.
using newlines_seen = std::vector<std::string>;

class raw_io;
class buffered_reader;
class buffered_writer;
class lending_reader;

// What the layers above an object may use directly instead of a virtual call per operation.
// io::file, io::streambuf and text_io_wrapper ask for it once (io_base::fast_paths()), when they
// are put on top of the object; each layer fills in what it is or holds in its override, so a new
// layer is added in one place (and no RTTI is needed to find it).
struct io_fast_paths {
  // The raw object whose closed() answers this object's `closed` (a load, not a call per layer).
  const raw_io* closed_raw = nullptr;
  // This object, when it is a raw stream (which has no read1).
  raw_io* raw = nullptr;
  // The binary buffered reader serving this object's reads, and the writer taking its writes.
  buffered_reader* reader = nullptr;
  buffered_writer* writer = nullptr;
  // What io::streambuf borrows the read buffer from (detail/lending.hpp).
  lending_reader* lender = nullptr;
};

// IOBase: the interface every layer implements, with Python's defaults. Methods a layer does not
// have raise what CPython's C io module raises for them (unsupported_operation, attribute_error).
// Bytes and text are both std::string (text is UTF-8); sizes in text mode count code points.
class io_base {
 public:
  virtual ~io_base() = default;
  io_base(const io_base&) = delete;
  io_base& operator=(const io_base&) = delete;

  // read(n): up to n bytes (all when n < 0); nullopt when a non-blocking read would block.
  virtual std::optional<std::string> read(std::ptrdiff_t n = -1);
  // read1(n): at most one raw read.
  virtual std::string read1(std::ptrdiff_t n = -1);
  // peek(n): buffered bytes without consuming them.
  virtual std::string peek(std::ptrdiff_t n = 0);
  // readinto(buffer): bytes stored; nullopt when a non-blocking read would block.
  virtual std::optional<std::size_t> readinto(std::span<std::byte> buffer);
  // readinto1(buffer): readinto with at most one raw read. Only the buffered classes have it
  // (AttributeError elsewhere, as for IOBase, RawIOBase and TextIOWrapper).
  virtual std::optional<std::size_t> readinto1(std::span<std::byte> buffer);
  // readline(limit): up to and including '\n' (text: the newline mode's line end).
  virtual std::string readline(std::ptrdiff_t limit = -1);
  // Beyond Python: readline(limit) into `line`, replacing its contents and reusing its capacity
  // (no allocation per line once it is big enough, like std::getline); false at EOF (empty).
  virtual bool readline_into(std::string& line, std::ptrdiff_t limit = -1);
  // readlines(hint): lines until EOF, or until their total size reaches hint (> 0).
  virtual std::vector<std::string> readlines(std::ptrdiff_t hint = -1);
  // write(data): how much was taken (bytes, or code points in text mode); nullopt when a raw
  // non-blocking write would block.
  virtual std::optional<std::size_t> write(std::string_view data);
  // writelines(lines): write() of each item, after a closed check.
  virtual void writelines(std::span<const std::string> lines);
  virtual void flush();
  // close(): flush, then close; idempotent; the object ends closed even when flush throws.
  virtual void close() = 0;
  virtual bool closed() const = 0;
  virtual bool readable() const { return false; }
  virtual bool writable() const { return false; }
  virtual bool seekable() const { return false; }
  virtual int fileno() const;
  virtual int name() const;
  virtual std::string mode() const;
  virtual std::string encoding() const;
  virtual std::string errors() const;
  virtual newlines_seen newlines() const;
  virtual bool line_buffering() const;
  // Beyond Python: see io_fast_paths (none by default, e.g. for a user's own io_base).
  virtual io_fast_paths fast_paths() noexcept { return {}; }

 protected:
  io_base() = default;
  // The Python class name used in messages ("BufferedReader", "SocketIO", ...).
  virtual std::string_view class_name() const = 0;
  [[noreturn]] void no_attribute(std::string_view attribute) const;
  // len() of a line as Python counts it (bytes; code points in text mode), for readlines' hint.
  virtual std::size_t length_of(std::string_view line) const { return line.size(); }
  // Inline so that a final layer's closed() is called directly.
  void check_closed() const {
    if (closed()) detail::raise_closed_file();
  }
  void check_readable() const;  // UnsupportedOperation "File or stream is not readable."
  void check_writable() const;  // UnsupportedOperation "File or stream is not writable."
};

// RawIOBase: read/readall/readline built on readinto, one byte at a time for readline because a
// raw object has no peek (so an unbuffered file never reads past a line). `closed` is IOBase's
// flag, set by mark_closed() in a subclass's close(); keeping it here lets the buffered layers
// check it per call with a load instead of a virtual call.
class raw_io : public io_base {
 public:
  bool closed() const final { return closed_; }
  std::optional<std::string> read(std::ptrdiff_t n = -1) override;
  // Loops read(8192) to EOF; nullopt when the first read would block (data before a would-block
  // is returned).
  std::optional<std::string> readall();
  std::optional<std::size_t> readinto(std::span<std::byte> buffer) override = 0;
  [[nodiscard]] std::optional<std::size_t> write(std::string_view data) override;
  // The byte-span primitive behind write().
  [[nodiscard]] virtual std::optional<std::size_t> write_bytes(std::span<const std::byte> data) = 0;
  // Beyond Python: the most one read-ahead of a buffered reader should ask this stream for (see
  // buffered.hpp, "Read-ahead reserve").
  virtual std::size_t read_ahead_limit() const noexcept { return default_read_ahead_limit; }
  io_fast_paths fast_paths() noexcept final { return {.closed_raw = this, .raw = this}; }

 protected:
  std::string_view class_name() const override { return "RawIOBase"; }
  void mark_closed() noexcept { closed_ = true; }

 private:
  bool closed_ = false;
};

namespace detail {
// SocketIO's mode check and normalisation: "r", "w", "rw", "rb", "wb", "rwb" → "rb", "wb",
// "rwb"; anything else → value_error("invalid mode: 'x'").
std::string socket_io_mode(std::string_view mode);
// The errno of an os_error is EAGAIN/EWOULDBLOCK (a non-blocking call that would block).
bool is_would_block(const os_error& e) noexcept;
bool is_would_block(const std::error_code& ec) noexcept;
[[noreturn]] void raise_timed_out_object();
// BlockingIOError "write could not complete without blocking" after `written` bytes were taken.
[[noreturn]] void raise_write_would_block(std::size_t written);
[[noreturn]] void raise_closed_socket();
}  // namespace detail

// socket.SocketIO over any socket_like S. It holds one io reference (S::io_ref()), given back
// exactly once by close() or destruction, so it stays valid after the socket object is gone.
// After a timeout every read raises os_error("cannot read from timed out object"): a layer
// above may have lost data in the failed call, so the stream cannot be trusted (bpo-7322).
template <socket_like S>
class socket_io final : public raw_io {
 public:
  using handle_type = decltype(std::declval<S&>().io_ref());

  // Takes the io reference first, then checks the mode, as Python does; a bad mode gives the
  // reference straight back.
  socket_io(S& sock, std::string_view mode)
      : ref_(sock.io_ref()),
        mode_(checked_mode(mode)),
        reading_(mode_.find('r') != mode_.npos),
        writing_(mode_.find('w') != mode_.npos),
        read_ahead_limit_(read_ahead_limit_of(sock)) {}
  ~socket_io() override { release(); }

  std::optional<std::size_t> readinto(std::span<std::byte> buffer) override {
    check_closed();
    check_readable();
    if (timeout_occurred_) detail::raise_timed_out_object();
    if (buffer.empty()) return 0;  // recv of 0 bytes: no wait, even when non-blocking
    try {
      return io_call([&](auto&... ec) { return ref_->recv_into(buffer, ec...); }, "recv");
    } catch (const timeout_error&) {
      timeout_occurred_ = true;
      throw;
    }
  }

  [[nodiscard]] std::optional<std::size_t> write_bytes(std::span<const std::byte> data) override {
    check_closed();
    check_writable();
    return io_call([&](auto&... ec) { return ref_->send(data, ec...); }, "send");
  }

  bool readable() const override { return checked_open(), reading_; }
  bool writable() const override { return checked_open(), writing_; }
  bool seekable() const override { return checked_open(), false; }
  int fileno() const override { return check_closed(), ref_->fileno(); }
  int name() const override { return closed() ? -1 : fileno(); }
  std::string mode() const override { return mode_; }
  // RawIOBase.close (flush, mark closed), then the io reference is given back once.
  void close() override {
    if (closed()) return;
    mark_closed();
    release();
  }
  // SocketIO has no read1 and no peek (AttributeError).
  std::string read1(std::ptrdiff_t) override { no_attribute("read1"); }
  std::string peek(std::ptrdiff_t) override { no_attribute("peek"); }
  // Whether a timeout poisoned this object.
  bool timed_out() const noexcept { return timeout_occurred_; }
  std::size_t read_ahead_limit() const noexcept override { return read_ahead_limit_; }

 protected:
  std::string_view class_name() const override { return "SocketIO"; }

 private:
  std::string checked_mode(std::string_view mode) {
    try {
      return detail::socket_io_mode(mode);
    } catch (...) {
      ref_->release();
      throw;
    }
  }
  // One call of the handle: its non-throwing form when it has one, else the throwing one;
  // nullopt when the call would block.
  template <class Call>
  static std::optional<std::size_t> io_call(Call call, const char* operation) {
    if constexpr (nonthrowing_socket_io_handle<handle_type>) {
      std::error_code ec;
      const std::size_t done = call(ec);
      if (!ec) return done;
      if (detail::is_would_block(ec)) return std::nullopt;
      raise_os_error(ec, operation);
    } else {
      try {
        return call();
      } catch (const os_error& e) {
        if (detail::is_would_block(e)) return std::nullopt;
        throw;
      }
    }
  }
  static std::size_t read_ahead_limit_of(const S& sock) {
    if constexpr (provides_read_ahead_limit<S>) {
      return std::optional<std::size_t>(sock.read_ahead_limit()).value_or(default_read_ahead_limit);
    } else {
      return default_read_ahead_limit;
    }
  }
  void checked_open() const {
    if (closed()) detail::raise_closed_socket();
  }
  void release() noexcept {
    if (!ref_) return;
    ref_->release();
    ref_.reset();
  }

  std::optional<handle_type> ref_;
  std::string mode_;
  bool reading_;
  bool writing_;
  std::size_t read_ahead_limit_;
  bool timeout_occurred_ = false;
};

}  // namespace pysock::io
