// pysock/socket.hpp: class socket, Python's socket.socket with its timeout model.
//
// Thread safety: one thread may read (recv*, accept) while another writes (send*) on the same
// socket, and close()/detach() may race with each other; no error state is kept in the object
// (every failure is thrown on the thread that made the call). Changing the timeout while another
// thread is inside a call on the socket is not supported.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
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

// MSG_* flags for send/recv calls (Linux values), so callers need not include <sys/socket.h>.
inline constexpr int msg_oob = 0x1;
inline constexpr int msg_peek = 0x2;
inline constexpr int msg_dontroute = 0x4;
inline constexpr int msg_ctrunc = 0x8;
inline constexpr int msg_trunc = 0x20;
inline constexpr int msg_dontwait = 0x40;
inline constexpr int msg_eor = 0x80;
inline constexpr int msg_waitall = 0x100;
inline constexpr int msg_cmsg_cloexec = 0x40000000;

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
  int msg_flags = 0;
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
  int release() noexcept { return std::exchange(fd_, -1); }
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
  // socket → os_error ENOTSOCK.
  static socket adopt(int fd);

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
  std::pair<socket, address> accept();
  // nullopt with the error in `ec` (may still throw std::bad_alloc).
  std::optional<std::pair<socket, address>> accept(std::error_code& ec);
  // With a timeout: a non-blocking connect waited for with poll, then SO_ERROR.
  void connect(const address& addr);
  // A non-blocking connect in progress reports EINPROGRESS.
  void connect(const address& addr, std::error_code& ec);
  // connect() returning the errno instead of throwing it (0 on success; EWOULDBLOCK on timeout).
  int connect_ex(const address& addr);

  // Every send uses MSG_NOSIGNAL: a closed peer raises broken_pipe_error, never SIGPIPE.
  std::size_t send(std::span<const std::byte> data, int flags = 0);
  std::size_t send(std::string_view data, int flags = 0);
  std::size_t send(std::span<const std::byte> data, std::error_code& ec, int flags = 0) noexcept;
  std::size_t send(std::string_view data, std::error_code& ec, int flags = 0) noexcept;
  // Sends everything; the timeout bounds the whole call.
  void sendall(std::span<const std::byte> data, int flags = 0);
  void sendall(std::string_view data, int flags = 0);
  // Sends until everything went or an error stopped it; returns how much went (the partial
  // progress Python's sendall hides), e.g. a non-blocking socket stops at EAGAIN.
  std::size_t sendall(std::span<const std::byte> data, std::error_code& ec, int flags = 0) noexcept;
  std::size_t sendall(std::string_view data, std::error_code& ec, int flags = 0) noexcept;
  std::size_t sendto(std::span<const std::byte> data, const address& addr, int flags = 0);
  std::size_t sendto(std::string_view data, const address& addr, int flags = 0);
  std::size_t sendmsg(std::span<const std::span<const std::byte>> buffers,
                      std::span<const ancillary_data> ancdata = {}, int flags = 0,
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
  std::uint64_t sendfile(int file_fd, std::uint64_t offset = 0,
                         std::optional<std::uint64_t> count = {});
  // The same for the file at `path`, opened read-only (close-on-exec) for the call.
  std::uint64_t sendfile(const std::filesystem::path& path, std::uint64_t offset = 0,
                         std::optional<std::uint64_t> count = {});

  // Up to `bufsize` bytes; empty at EOF.
  std::string recv(std::size_t bufsize, int flags = 0);
  // Reads into `buffer` (at most `nbytes` bytes when non-zero; more than the buffer holds →
  // value_error("buffer too small for requested bytes")).
  std::size_t recv_into(std::span<std::byte> buffer, std::size_t nbytes = 0, int flags = 0);
  // Empty with the error in `ec` (may still throw std::bad_alloc for the string).
  std::string recv(std::size_t bufsize, std::error_code& ec, int flags = 0);
  // 0 with the error in `ec`; 0 with `ec` clear is EOF.
  std::size_t recv_into(std::span<std::byte> buffer, std::error_code& ec, int flags = 0) noexcept;
  std::pair<std::string, std::optional<address>> recvfrom(std::size_t bufsize, int flags = 0);
  std::pair<std::size_t, std::optional<address>> recvfrom_into(std::span<std::byte> buffer,
                                                               std::size_t nbytes = 0,
                                                               int flags = 0);
  // recvmsg(bufsize, ancbufsize, flags): `ancbufsize` bytes of control buffer.
  recvmsg_result recvmsg(std::size_t bufsize, std::size_t ancbufsize = 0, int flags = 0);

  void shutdown(shut how);
  void setsockopt(int level, int option, int value);
  void setsockopt(int level, int option, std::span<const std::byte> value);
  int getsockopt(int level, int option) const;
  // The raw option value, at most `buflen` (1..1024) bytes.
  std::string getsockopt(int level, int option, std::size_t buflen) const;
  address getsockname() const;
  address getpeername() const;

  // A new socket on a duplicate fd (close-on-exec) with the same family, type, proto and timeout.
  socket dup() const;
  // Marks the socket closed and hands the fd to the caller (files still open see fileno() -1).
  int detach();
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
  socket_io_ref io_ref();
  // Python's makefile(mode, buffering, encoding=, errors=, newline=): see pysock/makefile.hpp
  // (include it to call this).
  io::file makefile(std::string_view mode, makefile_options options);
  io::file makefile(std::string_view mode = "r");
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
  std::size_t recv_into(std::span<std::byte> buffer);
  std::size_t send(std::span<const std::byte> data);
  // The non-throwing forms (see socket): what socket_io uses, so a non-blocking file reports
  // "no data" without an exception.
  std::size_t recv_into(std::span<std::byte> buffer, std::error_code& ec) noexcept;
  std::size_t send(std::span<const std::byte> data, std::error_code& ec) noexcept;
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
