#include "pysock/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <mutex>

#include "detail/poll.hpp"
#include "detail/sockaddr.hpp"
#include "detail/socket_core.hpp"
#include "pysock/error.hpp"

namespace pysock {

// pysock's constants are Linux's values.
template <auto Flag>
constexpr bool is_native(int value) {
  return detail::bits(Flag) == value;
}
static_assert(is_native<msg_oob>(MSG_OOB) && is_native<msg_peek>(MSG_PEEK));
static_assert(is_native<msg_dontroute>(MSG_DONTROUTE) && is_native<msg_ctrunc>(MSG_CTRUNC));
static_assert(is_native<msg_trunc>(MSG_TRUNC) && is_native<msg_dontwait>(MSG_DONTWAIT));
static_assert(is_native<msg_eor>(MSG_EOR) && is_native<msg_waitall>(MSG_WAITALL));
static_assert(is_native<msg_cmsg_cloexec>(MSG_CMSG_CLOEXEC));

template <class Option>
constexpr bool is_option(int level, int name) {
  return Option::level == level && Option::name == name;
}
static_assert(is_option<reuse_address>(SOL_SOCKET, SO_REUSEADDR));
static_assert(is_option<keep_alive>(SOL_SOCKET, SO_KEEPALIVE));
static_assert(is_option<send_buffer_size>(SOL_SOCKET, SO_SNDBUF));
static_assert(is_option<receive_buffer_size>(SOL_SOCKET, SO_RCVBUF));
static_assert(is_option<linger_option>(SOL_SOCKET, SO_LINGER));
static_assert(sizeof(linger_option::native_type) == sizeof(::linger));
static_assert(is_option<tcp_nodelay>(IPPROTO_TCP, TCP_NODELAY));
static_assert(is_option<tcp_keepidle>(IPPROTO_TCP, TCP_KEEPIDLE));
static_assert(is_option<tcp_keepinterval>(IPPROTO_TCP, TCP_KEEPINTVL));
static_assert(is_option<tcp_keepcount>(IPPROTO_TCP, TCP_KEEPCNT));

namespace {

using clock = std::chrono::steady_clock;
using seconds = std::chrono::duration<double>;
using detail::no_timeout;

// Python refuses timeouts that overflow its nanosecond clock (OverflowError there).
constexpr double max_timeout_seconds = 9.2e9;

std::atomic<double> default_timeout{no_timeout};

double to_seconds(timeout t) {
  if (!t) return no_timeout;
  const double value = t->count();
  if (std::isnan(value)) throw value_error("Invalid value NaN (not a number)");
  if (value < 0) throw value_error("Timeout value out of range");
  if (value > max_timeout_seconds) throw value_error("timestamp out of range for platform time_t");
  return value;
}

timeout from_seconds(double value) {
  if (value < 0) return std::nullopt;
  return seconds(value);
}

using detail::deadline_after;

}  // namespace

void setdefaulttimeout(timeout t) {
  default_timeout = to_seconds(t);
}
timeout getdefaulttimeout() {
  return from_seconds(default_timeout);
}

namespace {

using detail::raise_call_error;
using detail::raise_errno;
using detail::send_core;
using detail::socket_core;
using detail::socket_timed_out;
using detail::timed_call;
using detail::try_timed_call;
using detail::wait_ready;

// Closes `core`'s fd now. EINTR is not retried: on Linux the fd is gone whatever close says.
int real_close(socket_core& core) {
  const int fd = core.fd.exchange(-1);
  if (fd < 0) return 0;
  if (::close(fd) != 0 && errno != EINTR && errno != ECONNRESET) return errno;
  return 0;
}

// Python's socket.close(): mark closed; close the fd unless makefile() files still use it.
void close_core(socket_core& core) {
  int error = 0;
  {
    std::lock_guard lock(core.close_mutex);
    core.closed = true;
    if (core.io_refs <= 0) error = real_close(core);
  }
  if (error != 0) raise_os_error(error, "close");
}

// Python's _decref_socketios(): one io reference fewer; a pending close happens at zero.
void decref_io(socket_core& core) {
  bool close_now = false;
  {
    std::lock_guard lock(core.close_mutex);
    if (core.io_refs > 0) --core.io_refs;
    close_now = core.closed && core.io_refs == 0;
  }
  if (close_now) close_core(core);
}

void set_nonblocking(int fd, bool nonblocking) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) raise_errno("fcntl");
  const int wanted = nonblocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) < 0) raise_errno("fcntl");
}

void apply_timeout(socket_core& core, double value) {
  set_nonblocking(core.fd, value >= 0);
  core.timeout = value;
}

// An error of try_timed_call as the non-throwing overloads report it: the socket's timeout is
// std::errc::timed_out, as timeout_error::code() is.
std::error_code to_error_code(int error) noexcept {
  if (error == socket_timed_out) return std::make_error_code(std::errc::timed_out);
  return {error, std::generic_category()};
}

// A try_ result for a throwing call: the size, or the error raised with `operation`. `error` is
// taken by reference because it is set by the try_ call in the same argument list.
template <class Result>
std::size_t raised(Result result, const int& error, const char* operation) {
  if (result < 0) raise_call_error(error, operation);
  return static_cast<std::size_t>(result);
}

// A try_ result for a non-throwing call: the size, or 0 with the error in `ec` (`error` by
// reference, as for raised()).
template <class Result>
std::size_t reported(Result result, const int& error, std::error_code& ec) noexcept {
  if (result < 0) {
    ec = to_error_code(error);
    return 0;
  }
  ec.clear();
  return static_cast<std::size_t>(result);
}

std::size_t checked_size(std::span<std::byte> buffer, std::size_t nbytes, const char* message) {
  if (nbytes == 0) return buffer.size();
  if (nbytes > buffer.size()) throw value_error(message);
  return nbytes;
}

ssize_t try_recv(const socket_core& core, std::span<std::byte> buffer, msg_flags flags,
                 int& error) noexcept {
  return try_timed_call(
      core, POLLIN,
      [&](int fd) { return ::recv(fd, buffer.data(), buffer.size(), detail::bits(flags)); }, error);
}

ssize_t try_send(const socket_core& core, std::span<const std::byte> data, msg_flags flags,
                 int& error, std::optional<clock::time_point> deadline = std::nullopt) noexcept {
  return try_timed_call(
      core, POLLOUT,
      [&](int fd) {
        return ::send(fd, data.data(), data.size(), detail::bits(flags) | MSG_NOSIGNAL);
      },
      error, deadline);
}

std::size_t recv_into_core(const socket_core& core, std::span<std::byte> buffer, msg_flags flags) {
  int error = 0;
  return raised(try_recv(core, buffer, flags, error), error, "recv");
}

// The deadline of a whole sendall under the socket's timeout (none without one).
std::optional<clock::time_point> sendall_deadline(const socket_core& core) {
  return core.timeout > 0 ? std::optional(deadline_after(core.timeout)) : std::nullopt;
}

// The core of a non-throwing call: EBADF in `ec` for a moved-from socket or a released handle.
const socket_core* core_or_ebadf(const std::shared_ptr<socket_core>& core,
                                 std::error_code& ec) noexcept {
  if (!core) ec = std::make_error_code(std::errc::bad_file_descriptor);
  return core.get();
}

std::span<const std::byte> as_bytes(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

int get_int_option(int fd, int level, int option) {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, level, option, &value, &length) != 0) raise_errno("getsockopt");
  return value;
}

std::shared_ptr<socket_core> make_core(int fd, int fam, int typ, int pro) {
  return std::make_shared<socket_core>(fd, fam, typ, pro);
}

// What Python's socket __init__ does with a fresh or adopted fd: the default timeout, or
// non-blocking when SOCK_NONBLOCK was asked for.
void init_timeout(socket_core& core, bool nonblocking) {
  if (nonblocking) {
    core.timeout = 0.0;
    return;
  }
  const double value = default_timeout;
  if (value >= 0) apply_timeout(core, value);
}

// Python's internal_connect(): returns 0, the errno, or socket_timed_out.
int connect_core(socket_core& core, const detail::native_address& target) {
  const int fd = core.fd;
  if (::connect(fd, target.get(), target.length) == 0) return 0;
  const int error = errno;
  const double limit = core.timeout;
  // After EINTR the connection goes on asynchronously (bpo-23618), so wait for it unless the
  // socket is non-blocking; with a timeout, EINPROGRESS is the normal way to wait.
  const bool wait = (error == EINTR && limit != 0) || (error == EINPROGRESS && limit > 0);
  if (!wait) return error;
  const auto deadline = limit > 0 ? deadline_after(limit) : clock::time_point::max();
  if (!wait_ready(fd, POLLOUT, deadline)) return socket_timed_out;
  return get_int_option(fd, SOL_SOCKET, SO_ERROR);
}

}  // namespace

namespace detail {

std::size_t send_core(const socket_core& core, std::span<const std::byte> data, msg_flags flags,
                      std::optional<clock::time_point> deadline) {
  int error = 0;
  return raised(try_send(core, data, flags, error, deadline), error, "send");
}

void raise_call_error(int error, const char* operation) {
  if (error == socket_timed_out) throw timeout_error();
  raise_os_error(error, operation);
}

}  // namespace detail

// ---- construction and lifetime ------------------------------------------------------------

socket::socket(std::shared_ptr<detail::socket_core> core) noexcept : core_(std::move(core)) {}

socket::socket(pysock::family f, sock_type t, int proto) {
  const int raw_type = static_cast<int>(t);
  const int fd = ::socket(static_cast<int>(f), raw_type | SOCK_CLOEXEC, proto);
  if (fd < 0) raise_errno("socket");
  core_ = make_core(fd, static_cast<int>(f), raw_type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), proto);
  init_timeout(*core_, (raw_type & SOCK_NONBLOCK) != 0);
}

socket socket::adopt(int fd) {
  if (fd < 0) throw value_error("negative file descriptor");
  const int fam = get_int_option(fd, SOL_SOCKET, SO_DOMAIN);
  const int typ = get_int_option(fd, SOL_SOCKET, SO_TYPE);
  const int pro = get_int_option(fd, SOL_SOCKET, SO_PROTOCOL);
  // No socket owns the fd before the last step that can fail: a failed adopt never closes it.
  auto core = make_core(fd, fam, typ, pro);
  init_timeout(*core, false);
  return socket(std::move(core));
}

socket::socket(socket&& other) noexcept = default;

socket& socket::operator=(socket&& other) noexcept {
  if (this != &other) {
    close_quietly();
    finalizable::operator=(std::move(other));
    core_ = std::move(other.core_);
  }
  return *this;
}

socket::~socket() {
  close_quietly();
}

void socket::close_quietly() noexcept {
  try {
    close();
  } catch (...) {
    // Destructors cannot report an fd that was closed behind the socket's back.
  }
}

detail::socket_core& socket::core() const {
  if (!core_) throw os_error(EBADF, "moved-from socket");
  return *core_;
}

int socket::fileno() const noexcept {
  return core_ ? core_->fd.load() : -1;
}
pysock::family socket::family() const {
  return static_cast<pysock::family>(core().family);
}
sock_type socket::type() const {
  return static_cast<sock_type>(core().type);
}
int socket::proto() const {
  return core().proto;
}

// TCP delivers in segments of up to 64 KiB (loopback's), and a larger recv holds the socket
// while the sender's next segments wait to be acknowledged: over loopback, reads of 128 or
// 256 KiB made the line readers 10-30% slower than 64 KiB ones. An AF_UNIX stream has no
// acknowledgements; there a 256 KiB read (the io default) frees the sender's whole buffer at once
// (text mode read long lines 25% faster than with 128 KiB). Measured with the W1 benchmark,
// interleaved repeats.
std::optional<std::size_t> socket::read_ahead_limit() const noexcept {
  if (core_ && (core_->family == AF_INET || core_->family == AF_INET6)) return 64 * 1024;
  return std::nullopt;
}

// ---- timeouts -----------------------------------------------------------------------------

timeout socket::gettimeout() const {
  return from_seconds(core().timeout);
}
void socket::settimeout(timeout t) {
  apply_timeout(core(), to_seconds(t));
}
bool socket::getblocking() const {
  return core().timeout != 0.0;
}

// ---- connection set-up --------------------------------------------------------------------

void socket::bind(const address& addr) {
  auto& c = core();
  const auto native = detail::to_native(addr, static_cast<pysock::family>(c.family), "bind");
  if (::bind(c.fd, native.get(), native.length) != 0) raise_errno("bind");
}

void socket::listen(std::optional<int> backlog) {
  const int value = backlog ? std::max(*backlog, 0) : std::min(SOMAXCONN, 128);
  if (::listen(core().fd, value) != 0) raise_errno("listen");
}

namespace {

// accept4 under the listener's timeout: the new fd, or -1 with `error` set.
int try_accept(const socket_core& listener, detail::native_address& peer, int& error) noexcept {
  return try_timed_call(
      listener, POLLIN,
      [&](int fd) {
        peer.length = sizeof peer.storage;
        return ::accept4(fd, peer.get(), &peer.length, SOCK_CLOEXEC);
      },
      error);
}

}  // namespace

std::pair<socket, address> socket::accepted(int fd, std::optional<address> peer) const {
  const auto& c = *core_;
  socket connection(make_core(fd, c.family, c.type, c.proto));
  init_timeout(*connection.core_, false);
  // bpo-7995: with no default timeout, a listener with a timeout hands out blocking sockets.
  if (default_timeout < 0 && c.timeout > 0) connection.setblocking(true);
  return {std::move(connection), peer ? std::move(*peer) : address(unix_address{})};
}

std::pair<socket, address> socket::accept() {
  detail::native_address peer;
  int error = 0;
  const int fd = try_accept(core(), peer, error);
  if (fd < 0) raise_call_error(error, "accept");
  return accepted(fd, detail::from_native(peer.get(), peer.length));
}

std::optional<std::pair<socket, address>> socket::accept(std::error_code& ec) {
  if (!core_or_ebadf(core_, ec)) return std::nullopt;
  detail::native_address peer;
  int error = 0;
  const int fd = try_accept(*core_, peer, error);
  if (fd < 0) {
    ec = to_error_code(error);
    return std::nullopt;
  }
  ec.clear();
  return accepted(fd, detail::from_native(peer.get(), peer.length));
}

void socket::connect(const address& addr) {
  auto& c = core();
  const auto native = detail::to_native(addr, static_cast<pysock::family>(c.family), "connect");
  if (const int error = connect_core(c, native)) raise_call_error(error, "connect");
}

void socket::connect(const address& addr, std::error_code& ec) {
  if (!core_or_ebadf(core_, ec)) return;
  const auto native =
      detail::to_native(addr, static_cast<pysock::family>(core_->family), "connect");
  const int error = connect_core(*core_, native);
  ec = error ? to_error_code(error) : std::error_code();
}

int socket::connect_ex(const address& addr) {
  auto& c = core();
  const auto native = detail::to_native(addr, static_cast<pysock::family>(c.family), "connect_ex");
  const int error = connect_core(c, native);
  return error == socket_timed_out ? EWOULDBLOCK : error;
}

// ---- sending ------------------------------------------------------------------------------

std::size_t socket::send(std::span<const std::byte> data, msg_flags flags) {
  return send_core(core(), data, flags);
}
std::size_t socket::send(std::string_view data, msg_flags flags) {
  return send(as_bytes(data), flags);
}
std::size_t socket::send(std::span<const std::byte> data, std::error_code& ec,
                         msg_flags flags) noexcept {
  const socket_core* c = core_or_ebadf(core_, ec);
  if (!c) return 0;
  int error = 0;
  return reported(try_send(*c, data, flags, error), error, ec);
}
std::size_t socket::send(std::string_view data, std::error_code& ec, msg_flags flags) noexcept {
  return send(as_bytes(data), ec, flags);
}

void socket::sendall(std::span<const std::byte> data, msg_flags flags) {
  auto& c = core();
  const auto deadline = sendall_deadline(c);
  while (!data.empty())
    data = data.subspan(send_core(c, data, flags, deadline));
}
void socket::sendall(std::string_view data, msg_flags flags) {
  sendall(as_bytes(data), flags);
}
std::size_t socket::sendall(std::span<const std::byte> data, std::error_code& ec,
                            msg_flags flags) noexcept {
  const socket_core* c = core_or_ebadf(core_, ec);
  if (!c) return 0;
  const auto deadline = sendall_deadline(*c);
  std::size_t sent = 0;
  ec.clear();
  while (sent < data.size() && !ec) {
    int error = 0;
    sent += reported(try_send(*c, data.subspan(sent), flags, error, deadline), error, ec);
  }
  return sent;
}
std::size_t socket::sendall(std::string_view data, std::error_code& ec, msg_flags flags) noexcept {
  return sendall(as_bytes(data), ec, flags);
}

std::size_t socket::sendto(std::span<const std::byte> data, const address& addr, msg_flags flags) {
  auto& c = core();
  const auto native = detail::to_native(addr, static_cast<pysock::family>(c.family), "sendto");
  return static_cast<std::size_t>(timed_call(c, POLLOUT, "sendto", [&](int fd) {
    return ::sendto(fd, data.data(), data.size(), detail::bits(flags) | MSG_NOSIGNAL, native.get(),
                    native.length);
  }));
}
std::size_t socket::sendto(std::string_view data, const address& addr, msg_flags flags) {
  return sendto(as_bytes(data), addr, flags);
}

namespace {

// The control buffer of sendmsg: every item in a cmsghdr of its own, aligned as CMSG_* wants.
std::vector<std::byte> encode_ancillary(std::span<const ancillary_data> items) {
  std::size_t total = 0;
  for (const auto& item : items)
    total += CMSG_SPACE(item.data.size());
  std::vector<std::byte> control(total);
  if (items.empty()) return control;
  msghdr header{};
  header.msg_control = control.data();
  header.msg_controllen = control.size();
  cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
  for (const auto& item : items) {
    cmsg->cmsg_level = item.level;
    cmsg->cmsg_type = item.type;
    cmsg->cmsg_len = CMSG_LEN(item.data.size());
    std::memcpy(CMSG_DATA(cmsg), item.data.data(), item.data.size());
    cmsg = CMSG_NXTHDR(&header, cmsg);
  }
  return control;
}

std::vector<ancillary_data> decode_ancillary(msghdr& header) {
  std::vector<ancillary_data> items;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg != nullptr; cmsg = CMSG_NXTHDR(&header, cmsg)) {
    const auto* data = reinterpret_cast<const char*>(CMSG_DATA(cmsg));
    const auto* end = reinterpret_cast<const char*>(header.msg_control) + header.msg_controllen;
    // A truncated last message (MSG_CTRUNC) may claim more than the buffer holds.
    const std::size_t length =
        std::min<std::size_t>(cmsg->cmsg_len - CMSG_LEN(0), static_cast<std::size_t>(end - data));
    items.push_back({cmsg->cmsg_level, cmsg->cmsg_type, std::string(data, length)});
  }
  return items;
}

}  // namespace

std::size_t socket::sendmsg(std::span<const std::span<const std::byte>> buffers,
                            std::span<const ancillary_data> ancdata, msg_flags flags,
                            const std::optional<address>& addr) {
  auto& c = core();
  std::vector<iovec> vectors;
  vectors.reserve(buffers.size());
  for (const auto& buffer : buffers)
    vectors.push_back({const_cast<std::byte*>(buffer.data()), buffer.size()});
  auto control = encode_ancillary(ancdata);
  std::optional<detail::native_address> target;
  if (addr) target = detail::to_native(*addr, static_cast<pysock::family>(c.family), "sendmsg");
  msghdr header{};
  header.msg_iov = vectors.data();
  header.msg_iovlen = vectors.size();
  header.msg_control = control.empty() ? nullptr : control.data();
  header.msg_controllen = control.size();
  if (target) {
    header.msg_name = target->get();
    header.msg_namelen = target->length;
  }
  return static_cast<std::size_t>(timed_call(c, POLLOUT, "sendmsg", [&](int fd) {
    return ::sendmsg(fd, &header, detail::bits(flags) | MSG_NOSIGNAL);
  }));
}

// ---- receiving ----------------------------------------------------------------------------

std::string socket::recv(std::size_t bufsize, msg_flags flags) {
  std::string data(bufsize, '\0');
  data.resize(recv_into(std::as_writable_bytes(std::span(data.data(), data.size())), 0, flags));
  return data;
}

std::size_t socket::recv_into(std::span<std::byte> buffer, std::size_t nbytes, msg_flags flags) {
  const std::size_t size = checked_size(buffer, nbytes, "buffer too small for requested bytes");
  return recv_into_core(core(), buffer.first(size), flags);
}

std::string socket::recv(std::size_t bufsize, std::error_code& ec, msg_flags flags) {
  std::string data(bufsize, '\0');
  data.resize(recv_into(std::as_writable_bytes(std::span(data.data(), data.size())), ec, flags));
  return data;
}

std::size_t socket::recv_into(std::span<std::byte> buffer, std::error_code& ec,
                              msg_flags flags) noexcept {
  const socket_core* c = core_or_ebadf(core_, ec);
  if (!c) return 0;
  int error = 0;
  return reported(try_recv(*c, buffer, flags, error), error, ec);
}

std::pair<std::string, std::optional<address>> socket::recvfrom(std::size_t bufsize,
                                                                msg_flags flags) {
  std::string data(bufsize, '\0');
  auto [size, from] =
      recvfrom_into(std::as_writable_bytes(std::span(data.data(), data.size())), 0, flags);
  data.resize(size);
  return {std::move(data), std::move(from)};
}

std::pair<std::size_t, std::optional<address>> socket::recvfrom_into(std::span<std::byte> buffer,
                                                                     std::size_t nbytes,
                                                                     msg_flags flags) {
  const std::size_t size =
      checked_size(buffer, nbytes, "nbytes is greater than the length of the buffer");
  detail::native_address from;
  const auto received = timed_call(core(), POLLIN, "recvfrom", [&](int fd) {
    from.length = sizeof from.storage;
    return ::recvfrom(fd, buffer.data(), size, detail::bits(flags), from.get(), &from.length);
  });
  return {static_cast<std::size_t>(received), detail::from_native(from.get(), from.length)};
}

recvmsg_result socket::recvmsg(std::size_t bufsize, std::size_t ancbufsize, msg_flags flags) {
  recvmsg_result result;
  result.data.resize(bufsize);
  std::vector<std::byte> control(ancbufsize);
  detail::native_address from;
  iovec vector{result.data.data(), result.data.size()};
  msghdr header{};
  const auto received = timed_call(core(), POLLIN, "recvmsg", [&](int fd) {
    header = msghdr{};
    header.msg_name = from.get();
    header.msg_namelen = sizeof from.storage;
    header.msg_iov = &vector;
    header.msg_iovlen = 1;
    header.msg_control = control.empty() ? nullptr : control.data();
    header.msg_controllen = control.size();
    return ::recvmsg(fd, &header, detail::bits(flags));
  });
  result.data.resize(static_cast<std::size_t>(received));
  result.ancdata = decode_ancillary(header);
  result.msg_flags = static_cast<msg_flags>(header.msg_flags);
  result.address = detail::from_native(from.get(), header.msg_namelen);
  return result;
}

// ---- options, names, shutdown -------------------------------------------------------------

void socket::shutdown(shut how) {
  const int native = how == shut::rd ? SHUT_RD : how == shut::wr ? SHUT_WR : SHUT_RDWR;
  if (::shutdown(core().fd, native) != 0) raise_errno("shutdown");
}

void socket::setsockopt(int level, int option, int value) {
  if (::setsockopt(core().fd, level, option, &value, sizeof value) != 0) raise_errno("setsockopt");
}

void socket::setsockopt(int level, int option, std::span<const std::byte> value) {
  if (::setsockopt(core().fd, level, option, value.data(), value.size()) != 0)
    raise_errno("setsockopt");
}

int socket::getsockopt(int level, int option) const {
  return get_int_option(core().fd, level, option);
}

std::string socket::getsockopt(int level, int option, std::size_t buflen) const {
  if (buflen == 0 || buflen > 1024) throw os_error("getsockopt buflen out of range");
  std::string value(buflen, '\0');
  auto length = static_cast<socklen_t>(buflen);
  if (::getsockopt(core().fd, level, option, value.data(), &length) != 0) raise_errno("getsockopt");
  value.resize(length);
  return value;
}

namespace {

template <class Query>
address query_name(const socket_core& core, Query query, const char* operation) {
  detail::native_address name;
  if (query(core.fd, name.get(), &name.length) != 0) raise_errno(operation);
  auto addr = detail::from_native(name.get(), name.length);
  return addr ? std::move(*addr) : address(unix_address{});
}

}  // namespace

address socket::getsockname() const {
  return query_name(core(), ::getsockname, "getsockname");
}
address socket::getpeername() const {
  return query_name(core(), ::getpeername, "getpeername");
}

// ---- fd ownership -------------------------------------------------------------------------

socket socket::dup() const {
  auto& c = core();
  const int fd = ::fcntl(c.fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) raise_errno("dup");
  socket copy(make_core(fd, c.family, c.type, c.proto));
  apply_timeout(*copy.core_, c.timeout);
  return copy;
}

int socket::detach() {
  auto& c = core();
  std::lock_guard lock(c.close_mutex);
  c.closed = true;
  return c.fd.exchange(-1);
}

void socket::close() {
  if (core_) close_core(*core_);
}

bool socket::closed() const noexcept {
  return !core_ || core_->closed;
}

bool socket::get_inheritable() const {
  const int flags = ::fcntl(core().fd, F_GETFD);
  if (flags < 0) raise_errno("fcntl");
  return (flags & FD_CLOEXEC) == 0;
}

void socket::set_inheritable(bool inheritable) {
  const int fd = core().fd;
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) raise_errno("fcntl");
  const int wanted = inheritable ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC;
  if (::fcntl(fd, F_SETFD, wanted) != 0) raise_errno("fcntl");
}

// ---- repr ---------------------------------------------------------------------------------

namespace {

bool is_truthy(const address& addr) {
  const auto* un = std::get_if<unix_address>(&addr);
  return un == nullptr || !un->path.empty();
}

template <class Query>
std::string name_field(const char* label, Query query) {
  try {
    const address addr = query();
    if (is_truthy(addr)) return std::string(", ") + label + "=" + to_string(addr);
  } catch (const os_error&) {
    // Python's repr swallows OSError from getsockname/getpeername.
  }
  return {};
}

}  // namespace

std::string socket::repr() const {
  std::string text = closed() ? "<pysock.socket [closed] fd=" : "<pysock.socket fd=";
  text += std::to_string(fileno());
  if (core_) {
    text += ", family=" + to_string(family()) + ", type=" + to_string(type()) +
            ", proto=" + std::to_string(proto());
  }
  if (!closed()) {
    text += name_field("laddr", [&] { return getsockname(); });
    text += name_field("raddr", [&] { return getpeername(); });
  }
  return text + ">";
}

// ---- owned fds ----------------------------------------------------------------------------

void owned_fd::reset(int fd) noexcept {
  // Never retried on EINTR: on Linux the fd is released whatever close() reports.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

owned_fd& owned_fd::operator=(owned_fd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

// ---- io references ------------------------------------------------------------------------

socket_io_ref socket::io_ref() {
  auto& c = core();
  std::lock_guard lock(c.close_mutex);
  ++c.io_refs;
  return socket_io_ref(core_);
}

socket_io_ref::socket_io_ref(std::shared_ptr<detail::socket_core> core) noexcept
    : core_(std::move(core)) {}

socket_io_ref& socket_io_ref::operator=(socket_io_ref&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
  }
  return *this;
}

detail::socket_core& socket_io_ref::core() const {
  if (!core_) throw os_error(EBADF, "released io reference");
  return *core_;
}

std::size_t socket_io_ref::recv_into(std::span<std::byte> buffer) {
  return recv_into_core(core(), buffer, {});
}

std::size_t socket_io_ref::send(std::span<const std::byte> data) {
  return send_core(core(), data, {});
}

std::size_t socket_io_ref::recv_into(std::span<std::byte> buffer, std::error_code& ec) noexcept {
  const socket_core* c = core_or_ebadf(core_, ec);
  if (!c) return 0;
  int error = 0;
  return reported(try_recv(*c, buffer, {}, error), error, ec);
}

std::size_t socket_io_ref::send(std::span<const std::byte> data, std::error_code& ec) noexcept {
  const socket_core* c = core_or_ebadf(core_, ec);
  if (!c) return 0;
  int error = 0;
  return reported(try_send(*c, data, {}, error), error, ec);
}

timeout socket_io_ref::gettimeout() const {
  return from_seconds(core().timeout);
}
int socket_io_ref::fileno() const noexcept {
  return core_ ? core_->fd.load() : -1;
}
bool socket_io_ref::closed() const noexcept {
  return !core_ || core_->closed;
}

void socket_io_ref::release() noexcept {
  try {
    close();
  } catch (...) {
    // release() runs from destructors; close() is the form that reports.
  }
}

void socket_io_ref::close() {
  if (auto core = std::move(core_)) decref_io(*core);
}

}  // namespace pysock
