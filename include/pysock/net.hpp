// pysock/net.hpp: the module-level helpers of Python's socket module.
//
// create_connection and create_server (with has_dualstack_ipv6), socketpair and the loopback
// fallback_socketpair, fromfd, getfqdn, and fd passing with send_fds / recv_fds. Beyond Python:
// create_connection can stagger its attempts (Happy Eyeballs, RFC 8305) and take a custom
// resolver, and received fds come back as owning handles.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "pysock/address.hpp"
#include "pysock/socket.hpp"

namespace pysock {

// ---- create_connection --------------------------------------------------------------------

// Python's _GLOBAL_DEFAULT_TIMEOUT: "leave the timeout as getdefaulttimeout() says".
struct default_timeout_t {
  explicit constexpr default_timeout_t() = default;
};
inline constexpr default_timeout_t use_default_timeout{};

// The timeout argument of create_connection: use_default_timeout (argument left out),
// std::nullopt (blocking, whatever the default is) or a duration.
using connect_timeout = std::variant<default_timeout_t, timeout>;

// Resolves (host, port) into the addresses to try, in order. The default is
// getaddrinfo(host, port, family::unspec, sock_type::stream), with no flags (as Python).
using connect_resolver =
    std::function<std::vector<addrinfo_entry>(std::string_view host, int port)>;

struct connect_options {
  // Python's all_errors: on failure throw an exception_group of every attempt's error instead
  // of the last one.
  bool all_errors = false;
  // Beyond Python: RFC 8305 staggered attempts. When set, the addresses are reordered to
  // alternate address families, a new attempt starts `happy_eyeballs_delay` after the previous
  // one (at once when an attempt fails), attempts overlap, the first connected socket wins and
  // the others are closed. RFC 8305 recommends 250 ms. nullopt keeps Python's
  // one-after-the-other attempts.
  std::optional<std::chrono::duration<double>> happy_eyeballs_delay{};
  // Beyond Python: where the addresses come from (e.g. a cache, or a test's fixed answer).
  connect_resolver resolver{};
};

// socket.create_connection(address, timeout, source_address, all_errors=...): tries every
// address that (host, port) resolves to until one connects. The timeout applies to each attempt
// and stays on the returned socket; `source_address` is bound first (port 0 or host "" let the
// OS choose). Failure throws the last attempt's error unchanged (e.g. connection_refused_error,
// timeout_error), or with options.all_errors an exception_group("create_connection failed");
// an empty resolver answer throws os_error("getaddrinfo returns an empty list"). Every socket
// of a failed attempt is closed, whatever is thrown.
[[nodiscard]] socket create_connection(std::string_view host, int port,
                                       connect_timeout timeout = use_default_timeout,
                                       const std::optional<address>& source_address = std::nullopt,
                                       const connect_options& options = {});
// The same with the (host, port) of an inet or inet6 address (flowinfo and scope id are
// ignored, as Python's `host, port = address`); a unix_address is a value_error.
[[nodiscard]] socket create_connection(const address& addr,
                                       connect_timeout timeout = use_default_timeout,
                                       const std::optional<address>& source_address = std::nullopt,
                                       const connect_options& options = {});

// ---- create_server ------------------------------------------------------------------------

struct server_options {
  // The socket's family. nullopt picks it from the address: inet_address → inet, inet6_address
  // → inet6, unix_address → local (Python's default is always AF_INET).
  std::optional<pysock::family> family{};
  // listen()'s backlog; nullopt is socket::listen's default.
  std::optional<int> backlog{};
  // SO_REUSEPORT (set for inet families only: Linux 6.12.9+ refuses it on AF_UNIX).
  bool reuse_port = false;
  // Accept IPv4 and IPv6 on one AF_INET6 socket (IPV6_V6ONLY 0); otherwise an AF_INET6 server
  // is IPv6-only (IPV6_V6ONLY 1), whatever the system default.
  bool dualstack_ipv6 = false;
};

// socket.create_server(address, family=..., backlog=..., reuse_port=..., dualstack_ipv6=...):
// a listening socket with SO_REUSEADDR and the default timeout. Checks, in Python's order:
// dualstack_ipv6 without has_dualstack_ipv6() → value_error("dualstack_ipv6 not supported on
// this platform"); with a family other than inet6 → value_error("dualstack_ipv6 requires
// AF_INET6 family"). A failed bind throws os_error (the errno's subclass, same errno) whose
// text is "<strerror> (while attempting to bind on address <repr(address)>)".
[[nodiscard]] socket create_server(const address& addr, const server_options& options = {});

// socket.has_dualstack_ipv6(): whether an AF_INET6 socket can switch IPV6_V6ONLY off.
bool has_dualstack_ipv6() noexcept;

// ---- socketpair, fromfd -------------------------------------------------------------------

// socket.socketpair(family, type, proto): two connected sockets, non-inheritable, each with the
// default timeout.
[[nodiscard]] std::pair<socket, socket> socketpair(pysock::family f = family::local,
                                                   sock_type t = sock_type::stream, int proto = 0);

// socket._fallback_socketpair: a pair over a loopback listener (127.0.0.1 or ::1), returned as
// (server side, client side), both blocking. Arguments other than inet/inet6, stream and 0 are
// value_errors with Python's messages. The accepted connection must be the client's (full
// addresses compared, gh-122133), else connection_error("Unexpected peer connection").
[[nodiscard]] std::pair<socket, socket> fallback_socketpair(pysock::family f = family::inet,
                                                            sock_type t = sock_type::stream,
                                                            int proto = 0);

// socket.fromfd(fd, family, type, proto): a socket on a close-on-exec duplicate of `fd`, with the
// default timeout; the caller keeps (and closes) `fd`. Unlike Python, family, type and proto are
// read from the fd: the arguments only mirror Python's signature. A non-socket fd throws
// os_error ENOTSOCK.
[[nodiscard]] socket fromfd(int fd, pysock::family f, sock_type t, int proto = 0);

// socket.getfqdn(name): the fully qualified name of `name` (stripped; "", "0.0.0.0" and "::"
// mean this host): the first of gethostbyaddr's name and aliases that contains a dot, else its
// name; `name` itself when the lookup fails.
std::string getfqdn(std::string_view name = "");

// ---- fd passing ---------------------------------------------------------------------------

// Linux's SCM_MAX_FD: the most fds one message can carry.
inline constexpr std::size_t max_fds_per_message = 253;

// socket.send_fds(sock, buffers, fds, flags, address): sends the buffers with the fds as one
// SCM_RIGHTS message; returns the bytes sent. Unlike CPython (gh-107898), `flags` and `addr` are
// passed on to sendmsg. More than max_fds_per_message fds is a value_error.
[[nodiscard]] std::size_t send_fds(socket& sock,
                                   std::span<const std::span<const std::byte>> buffers,
                                   std::span<const int> fds, msg_flags flags = {},
                                   const std::optional<address>& addr = std::nullopt);
[[nodiscard]] std::size_t send_fds(socket& sock, std::string_view data, std::span<const int> fds,
                                   msg_flags flags = {},
                                   const std::optional<address>& addr = std::nullopt);

// recv_fds()'s (msg, fds, msg_flags, address).
struct recv_fds_result {
  std::string data;
  std::vector<owned_fd> fds;      // close-on-exec, owned by the caller
  pysock::msg_flags msg_flags{};  // msg_ctrunc when fds were cut off
  std::optional<pysock::address> address;
};

// socket.recv_fds(sock, bufsize, maxfds, flags): receives up to `bufsize` bytes and at most
// `maxfds` fds. Unlike CPython, `flags` is passed on, the fds are close-on-exec
// (MSG_CMSG_CLOEXEC) and the control buffer is sized with CMSG_SPACE; an fd beyond `maxfds`
// that the kernel still delivered is closed and reported as msg_ctrunc: none is ever leaked.
[[nodiscard]] recv_fds_result recv_fds(socket& sock, std::size_t bufsize, std::size_t maxfds,
                                       msg_flags flags = {});

}  // namespace pysock
