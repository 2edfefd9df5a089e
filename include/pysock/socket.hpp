// pysock/socket.hpp: class socket, Python's socket.socket with its timeout model.
//
// Thread safety: one thread may read (recv*, accept) while another writes (send*) on the same
// socket, and close()/detach() may race with each other; no error state is kept in the object
// (every failure is thrown on the thread that made the call). Changing the timeout while another
// thread is inside a call on the socket is not supported.
#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "pysock/address.hpp"
#include "pysock/finalize.hpp"

namespace pysock {

// A socket timeout, Python style: nullopt is None (blocking), zero is non-blocking, a positive
// duration bounds each operation (sendall: the whole call). Implemented with poll() on an
// O_NONBLOCK fd and a monotonic deadline, never SO_RCVTIMEO.
using timeout = std::optional<std::chrono::duration<double>>;

// The timeout new sockets start with (Python's socket.setdefaulttimeout); process-wide.
// Negative → value_error("Timeout value out of range").
void setdefaulttimeout(timeout t);
timeout getdefaulttimeout();

enum class shut { rd, wr, rdwr };

// MSG_* flags of the send and recv calls (Linux values), a flag set like ai_flags.
enum class msg_flags : int {
  none = 0,
  oob = 0x1,
  peek = 0x2,
  dontroute = 0x4,
  ctrunc = 0x8,
  trunc = 0x20,
  dontwait = 0x40,
  eor = 0x80,
  waitall = 0x100,
  cmsg_cloexec = 0x40000000,
};
template <>
struct is_flag_set<msg_flags> : std::true_type {};
// Python's names (socket.MSG_PEEK, ...), kept as constants of the flag set.
inline constexpr msg_flags msg_oob = msg_flags::oob;
inline constexpr msg_flags msg_peek = msg_flags::peek;
inline constexpr msg_flags msg_dontroute = msg_flags::dontroute;
inline constexpr msg_flags msg_ctrunc = msg_flags::ctrunc;
inline constexpr msg_flags msg_trunc = msg_flags::trunc;
inline constexpr msg_flags msg_dontwait = msg_flags::dontwait;
inline constexpr msg_flags msg_eor = msg_flags::eor;
inline constexpr msg_flags msg_waitall = msg_flags::waitall;
inline constexpr msg_flags msg_cmsg_cloexec = msg_flags::cmsg_cloexec;

// ---- typed socket options (Asio style) ----------------------------------------------------
// sock.set_option(pysock::tcp_nodelay(true)); sock.get_option<pysock::send_buffer_size>().value().
// Each type knows its level and name (Linux values, checked against <sys/socket.h> in
// socket.cpp) and how its value looks to setsockopt/getsockopt (native()), so callers need no
// system header. Python's setsockopt/getsockopt(level, option, ...) stay for everything else.

namespace detail {
// An option whose value is one int: a flag (bool), a count or size (int), or whole seconds.
template <int Level, int Name, class Value>
class int_option {
 public:
  static constexpr int level = Level;
  static constexpr int name = Name;
  using native_type = int;

  constexpr int_option() noexcept = default;
  constexpr explicit int_option(Value value) noexcept : value_(value) {}
  constexpr Value value() const noexcept { return value_; }
  constexpr native_type native() const noexcept { return to_int(value_); }
  static constexpr int_option from_native(native_type raw) noexcept {
    return int_option(from_int(raw));
  }
  friend bool operator==(const int_option&, const int_option&) = default;

 private:
  static constexpr int to_int(bool v) noexcept { return v ? 1 : 0; }
  static constexpr int to_int(int v) noexcept { return v; }
  static constexpr int to_int(std::chrono::seconds v) noexcept { return int(v.count()); }
  static constexpr Value from_int(int raw) noexcept {
    if constexpr (std::is_same_v<Value, bool>) {
      return raw != 0;
    } else {
      return Value(raw);
    }
  }

  Value value_{};
};
}  // namespace detail

// SOL_SOCKET options.
using reuse_address = detail::int_option<1, 2, bool>;       // SO_REUSEADDR
using keep_alive = detail::int_option<1, 9, bool>;          // SO_KEEPALIVE
using send_buffer_size = detail::int_option<1, 7, int>;     // SO_SNDBUF (Linux reports double)
using receive_buffer_size = detail::int_option<1, 8, int>;  // SO_RCVBUF (Linux reports double)
// IPPROTO_TCP options.
using tcp_nodelay = detail::int_option<6, 1, bool>;                       // TCP_NODELAY
using tcp_keepidle = detail::int_option<6, 4, std::chrono::seconds>;      // TCP_KEEPIDLE
using tcp_keepinterval = detail::int_option<6, 5, std::chrono::seconds>;  // TCP_KEEPINTVL
using tcp_keepcount = detail::int_option<6, 6, int>;                      // TCP_KEEPCNT

// SO_LINGER: whether close() waits for unsent data, and for how long (0 s: a reset).
class linger_option {
 public:
  static constexpr int level = 1;
  static constexpr int name = 13;
  struct native_type {
    int onoff;
    int seconds;
  };

  constexpr linger_option() noexcept = default;
  constexpr linger_option(bool enabled, std::chrono::seconds timeout) noexcept
      : enabled_(enabled), timeout_(timeout) {}
  constexpr bool enabled() const noexcept { return enabled_; }
  constexpr std::chrono::seconds timeout() const noexcept { return timeout_; }
  constexpr native_type native() const noexcept {
    return {enabled_ ? 1 : 0, int(timeout_.count())};
  }
  static constexpr linger_option from_native(native_type raw) noexcept {
    return {raw.onoff != 0, std::chrono::seconds(raw.seconds)};
  }
  friend bool operator==(const linger_option&, const linger_option&) = default;

 private:
  bool enabled_ = false;
  std::chrono::seconds timeout_{0};
};

// What socket::set_option / get_option accept.
template <class O>
concept socket_option = requires(const O& option, typename O::native_type raw) {
  { O::level } -> std::convertible_to<int>;
  { O::name } -> std::convertible_to<int>;
  { option.native() } -> std::same_as<typename O::native_type>;
  { O::from_native(raw) } -> std::same_as<O>;
}
&&std::is_trivially_copyable_v<typename O::native_type>;

// One control message of sendmsg/recvmsg: (cmsg_level, cmsg_type, cmsg_data).
struct ancillary_data {
  int level = 0;
  int type = 0;
  std::string data;
  friend bool operator==(const ancillary_data&, const ancillary_data&) = default;
};

// recvmsg()'s (data, ancdata, msg_flags, address).
struct recvmsg_result {
  std::string data;
  std::vector<ancillary_data> ancdata;
  pysock::msg_flags msg_flags{};
  std::optional<pysock::address> address;  // nullopt when the peer is unnamed
};

// An owned file descriptor: closed on destruction (never retried on EINTR), move-only.
class owned_fd {
 public:
  owned_fd() noexcept = default;
  explicit owned_fd(int fd) noexcept : fd_(fd) {}
  owned_fd(owned_fd&& other) noexcept : fd_(other.release()) {}
  owned_fd& operator=(owned_fd&& other) noexcept;
  ~owned_fd() { reset(); }

  // The fd, or -1 when empty.
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  // Hands the fd to the caller, leaving this empty.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the fd held (if any) and holds `fd` instead.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

namespace detail {
struct socket_core;
}
namespace io {
class file;
}
struct makefile_options;

class socket_io_ref;

// Non-throwing forms (Asio's convention): the calls an event loop makes per event also take a
// `std::error_code& ec` that receives what the throwing form would raise, and is cleared on
// success; nothing is thrown for an OS error. A non-blocking call that would block reports
// std::errc::resource_unavailable_try_again (EAGAIN), the socket's timeout std::errc::timed_out
// (as timeout_error::code() is); a moved-from socket reports EBADF. Arguments that Python rejects
// with ValueError (a bad address) still throw.
//
// A socket is `finalizable`: pysock::finalize(sock, fn) runs fn when the socket object is
// destroyed (after its fd was closed or handed to the files still using it) or at exit.
// Registrations follow the resource: moving a socket moves them to the new object, and
// destroying a moved-from socket runs nothing.
class socket : public finalizable {
 public:
  // socket(family, type, proto): a new socket, close-on-exec, with the default timeout.
  // SOCK_NONBLOCK/SOCK_CLOEXEC bits cast into `type` are honoured and never shown by type().
  explicit socket(pysock::family f = family::inet, sock_type t = sock_type::stream, int proto = 0);
  // Python's socket(fileno=fd): takes ownership of `fd`, reading family, type and proto from it.
  // fd < 0 → value_error("negative file descriptor"); a closed fd → os_error EBADF; not a
  // socket → os_error ENOTSOCK. Ownership passes only on success: when adopt throws, the fd is
  // untouched (still open, its flags unchanged) and still the caller's to close.
  [[nodiscard]] static socket adopt(int fd);

  socket(socket&& other) noexcept;
  // Closes this socket (as close() would), runs its finalizers, and takes over `other` with its
  // finalizers.
  socket& operator=(socket&& other) noexcept;
  // close(), ignoring its errors: the fd stays open while files made by makefile() use it.
  ~socket();

  // The fd, or -1 once really closed, detached or moved from.
  int fileno() const noexcept;
  pysock::family family() const;
  sock_type type() const;
  int proto() const;

  timeout gettimeout() const;
  // NaN → value_error("Invalid value NaN (not a number)"); negative → value_error("Timeout value
  // out of range").
  void settimeout(timeout t);
  void setblocking(bool blocking) { settimeout(blocking ? timeout() : timeout(0)); }
  bool getblocking() const;

  void bind(const address& addr);
  // Python's default backlog is min(SOMAXCONN, 128); a negative backlog is taken as 0.
  void listen(std::optional<int> backlog = {});
  // The accepted socket gets the default timeout, and is blocking when the default is None and
  // the listener has a timeout (bpo-7995).
  [[nodiscard]] std::pair<socket, address> accept();
  // nullopt with the error in `ec` (may still throw std::bad_alloc).
  [[nodiscard]] std::optional<std::pair<socket, address>> accept(std::error_code& ec);
  // With a timeout: a non-blocking connect waited for with poll, then SO_ERROR.
  void connect(const address& addr);
  // A non-blocking connect in progress reports EINPROGRESS.
  void connect(const address& addr, std::error_code& ec);
  // connect() returning the errno instead of throwing it (0 on success; EWOULDBLOCK on timeout).
  [[nodiscard]] int connect_ex(const address& addr);

  // Every send uses MSG_NOSIGNAL: a closed peer raises broken_pipe_error, never SIGPIPE.
  [[nodiscard]] std::size_t send(std::span<const std::byte> data, msg_flags flags = {});
  [[nodiscard]] std::size_t send(std::string_view data, msg_flags flags = {});
  [[nodiscard]] std::size_t send(std::span<const std::byte> data, std::error_code& ec,
                                 msg_flags flags = {}) noexcept;
  [[nodiscard]] std::size_t send(std::string_view data, std::error_code& ec,
                                 msg_flags flags = {}) noexcept;
  // Sends everything; the timeout bounds the whole call.
  void sendall(std::span<const std::byte> data, msg_flags flags = {});
  void sendall(std::string_view data, msg_flags flags = {});
  // Sends until everything went or an error stopped it; returns how much went (the partial
  // progress Python's sendall hides), e.g. a non-blocking socket stops at EAGAIN.
  [[nodiscard]] std::size_t sendall(std::span<const std::byte> data, std::error_code& ec,
                                    msg_flags flags = {}) noexcept;
  [[nodiscard]] std::size_t sendall(std::string_view data, std::error_code& ec,
                                    msg_flags flags = {}) noexcept;
  [[nodiscard]] std::size_t sendto(std::span<const std::byte> data, const address& addr,
                                   msg_flags flags = {});
  [[nodiscard]] std::size_t sendto(std::string_view data, const address& addr,
                                   msg_flags flags = {});
  [[nodiscard]] std::size_t sendmsg(std::span<const std::span<const std::byte>> buffers,
                                    std::span<const ancillary_data> ancdata = {},
                                    msg_flags flags = {},
                                    const std::optional<address>& addr = std::nullopt);

  // socket.sendfile(file, offset, count): sends the file's bytes from the absolute `offset`, at
  // most `count` of them (all when nullopt), and returns how many were sent. Zero-copy
  // sendfile(2) where the kernel allows it; a read/send loop when it refuses the file before a
  // byte went out (e.g. a pipe). The file position ends at offset + sent, also when an error
  // stops the transfer, and stays put when nothing was sent (both paths; CPython's fallback
  // gets offset 0 wrong). The timeout bounds each wait for writability. value_error: a socket
  // type without the SOCK_STREAM bit ("only SOCK_STREAM type sockets are supported"), count 0
  // ("count must be a positive integer (got 0)"), a non-blocking socket ("non-blocking sockets
  // are not supported"; checked after an empty regular file returned 0, as in Python). A gone
  // peer raises broken_pipe_error; no SIGPIPE reaches the process.
  [[nodiscard]] std::uint64_t sendfile(int file_fd, std::uint64_t offset = 0,
                                       std::optional<std::uint64_t> count = {});
  // The same for the file at `path`, opened read-only (close-on-exec) for the call.
  [[nodiscard]] std::uint64_t sendfile(const std::filesystem::path& path, std::uint64_t offset = 0,
                                       std::optional<std::uint64_t> count = {});

  // Up to `bufsize` bytes; empty at EOF.
  [[nodiscard]] std::string recv(std::size_t bufsize, msg_flags flags = {});
  // Reads into `buffer` (at most `nbytes` bytes when non-zero; more than the buffer holds →
  // value_error("buffer too small for requested bytes")).
  [[nodiscard]] std::size_t recv_into(std::span<std::byte> buffer, std::size_t nbytes = 0,
                                      msg_flags flags = {});
  // Empty with the error in `ec` (may still throw std::bad_alloc for the string).
  [[nodiscard]] std::string recv(std::size_t bufsize, std::error_code& ec, msg_flags flags = {});
  // 0 with the error in `ec`; 0 with `ec` clear is EOF.
  [[nodiscard]] std::size_t recv_into(std::span<std::byte> buffer, std::error_code& ec,
                                      msg_flags flags = {}) noexcept;
  [[nodiscard]] std::pair<std::string, std::optional<address>> recvfrom(std::size_t bufsize,
                                                                        msg_flags flags = {});
  [[nodiscard]] std::pair<std::size_t, std::optional<address>> recvfrom_into(
      std::span<std::byte> buffer, std::size_t nbytes = 0, msg_flags flags = {});
  // recvmsg(bufsize, ancbufsize, flags): `ancbufsize` bytes of control buffer.
  [[nodiscard]] recvmsg_result recvmsg(std::size_t bufsize, std::size_t ancbufsize = 0,
                                       msg_flags flags = {});

  void shutdown(shut how);
  void setsockopt(int level, int option, int value);
  void setsockopt(int level, int option, std::span<const std::byte> value);
  int getsockopt(int level, int option) const;
  // The raw option value, at most `buflen` (1..1024) bytes.
  std::string getsockopt(int level, int option, std::size_t buflen) const;
  // Beyond Python: the typed options above.
  template <socket_option O>
  void set_option(const O& option) {
    const typename O::native_type raw = option.native();
    setsockopt(O::level, O::name, std::as_bytes(std::span(&raw, 1)));
  }
  template <socket_option O>
  O get_option() const {
    typename O::native_type raw{};
    const std::string bytes = getsockopt(O::level, O::name, sizeof raw);
    std::memcpy(&raw, bytes.data(), std::min(bytes.size(), sizeof raw));
    return O::from_native(raw);
  }
  address getsockname() const;
  address getpeername() const;

  // A new socket on a duplicate fd (close-on-exec) with the same family, type, proto and timeout.
  [[nodiscard]] socket dup() const;
  // Marks the socket closed and hands the fd to the caller (files still open see fileno() -1).
  [[nodiscard]] int detach();
  // Marks the socket closed; closes the fd now, or when the last makefile() file lets go of it.
  // Idempotent; an fd closed behind the socket's back raises os_error EBADF.
  void close();
  // Python's _closed: true after close() or detach(), even while a deferred close is pending.
  bool closed() const noexcept;
  bool get_inheritable() const;
  void set_inheritable(bool inheritable);

  // <pysock.socket fd=3, family=AF_INET, type=SOCK_STREAM, proto=6, laddr=('127.0.0.1', 5000)>
  std::string repr() const;
  friend std::ostream& operator<<(std::ostream& out, const socket& s) { return out << s.repr(); }

  // The io-reference hook of makefile() (Python's _io_refs): the returned handle keeps the fd
  // open across close() until it is released. Works on a closed socket too (its reads then
  // raise EBADF), as makefile() does in Python.
  [[nodiscard]] socket_io_ref io_ref();
  // Python's makefile(mode, buffering, encoding=, errors=, newline=): see pysock/makefile.hpp
  // (include it to call this).
  [[nodiscard]] io::file makefile(std::string_view mode, makefile_options options);
  [[nodiscard]] io::file makefile(std::string_view mode = "r");
  // Beyond Python, socket_like's optional member (io/raw.hpp): the most one read-ahead of a
  // buffered reader over this socket should ask for: 64 KiB for TCP (AF_INET, AF_INET6),
  // nullopt (the io stack's default, 256 KiB) for other families.
  std::optional<std::size_t> read_ahead_limit() const noexcept;

 private:
  explicit socket(std::shared_ptr<detail::socket_core> core) noexcept;
  detail::socket_core& core() const;
  // accept()'s result for the connection `fd` this listener accepted from `peer`.
  std::pair<socket, address> accepted(int fd, std::optional<address> peer) const;
  void close_quietly() noexcept;

  std::shared_ptr<detail::socket_core> core_;
};

// One io reference on a socket: what a file made by makefile() holds. It shares the socket's
// state, so it stays valid after the socket object is destroyed or moved from. Releasing it
// (explicitly or by destruction) gives the reference back exactly once; if the socket was closed
// meanwhile and this was the last reference, the fd is closed.
class socket_io_ref {
 public:
  socket_io_ref() = default;
  socket_io_ref(socket_io_ref&& other) noexcept = default;
  socket_io_ref& operator=(socket_io_ref&& other) noexcept;
  ~socket_io_ref() { release(); }

  // socket.recv_into / socket.send with the socket's timeout (one call each).
  [[nodiscard]] std::size_t recv_into(std::span<std::byte> buffer);
  [[nodiscard]] std::size_t send(std::span<const std::byte> data);
  // The non-throwing forms (see socket): what socket_io uses, so a non-blocking file reports
  // "no data" without an exception.
  [[nodiscard]] std::size_t recv_into(std::span<std::byte> buffer, std::error_code& ec) noexcept;
  [[nodiscard]] std::size_t send(std::span<const std::byte> data, std::error_code& ec) noexcept;
  timeout gettimeout() const;
  // The socket's fd: -1 after it was detached or really closed.
  int fileno() const noexcept;
  // Python's _closed of the socket.
  bool closed() const noexcept;
  // Gives the reference back (Python's _decref_socketios); later calls do nothing.
  void release() noexcept;
  // Like release(), but reports an error of the deferred close (EBADF) instead of ignoring it.
  void close();

 private:
  friend class socket;
  explicit socket_io_ref(std::shared_ptr<detail::socket_core> core) noexcept;
  detail::socket_core& core() const;

  std::shared_ptr<detail::socket_core> core_;
};

}  // namespace pysock
