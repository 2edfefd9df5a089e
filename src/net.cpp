#include "pysock/net.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "detail/poll.hpp"
#include "detail/sockaddr.hpp"
#include "detail/test_hooks.hpp"
#include "pysock/error.hpp"

namespace pysock {

namespace detail {
listening_hook fallback_socketpair_listening = nullptr;
}  // namespace detail

namespace {

using detail::clock;

std::exception_ptr connect_error(int errno_value) {
  try {
    raise_os_error(errno_value, "connect");
  } catch (...) {
    return std::current_exception();
  }
}

// RFC 8305 section 4: alternate address families, starting with the resolver's first choice.
std::vector<addrinfo_entry> interleave_families(std::vector<addrinfo_entry> entries) {
  if (entries.empty()) return entries;
  const family first = entries.front().family;
  std::vector<addrinfo_entry> preferred, others, mixed;
  for (auto& entry : entries)
    (entry.family == first ? preferred : others).push_back(std::move(entry));
  for (std::size_t i = 0; i < std::max(preferred.size(), others.size()); ++i) {
    if (i < preferred.size()) mixed.push_back(std::move(preferred[i]));
    if (i < others.size()) mixed.push_back(std::move(others[i]));
  }
  return mixed;
}

// Python's create_connection loop, generalised: attempts are non-blocking connects waited for
// with poll. A new attempt starts when none is running, or `stagger` after the previous start
// (Happy Eyeballs); without a stagger this is Python's one-after-the-other loop. Each attempt
// has its own deadline (the per-attempt timeout); errors are kept by attempt.
class connector {
 public:
  connector(std::vector<addrinfo_entry> targets, timeout per_attempt,
            const std::optional<address>& source, std::optional<double> stagger_seconds)
      : targets_(std::move(targets)),
        errors_(targets_.size()),
        per_attempt_(per_attempt),
        source_(source),
        stagger_seconds_(stagger_seconds) {}

  // The connected socket, with the per-attempt timeout set on it; nullopt when all failed.
  std::optional<socket> run() {
    while (!winner_ && (next_ < targets_.size() || !running_.empty())) {
      if (next_ < targets_.size() && (running_.empty() || clock::now() >= next_start_)) {
        start(next_++);
      } else {
        wait_for_progress();
      }
    }
    if (winner_) winner_->settimeout(per_attempt_);
    return std::move(winner_);
  }

  // The attempts' errors in attempt order.
  std::vector<std::exception_ptr> errors() const {
    std::vector<std::exception_ptr> recorded;
    for (const auto& error : errors_)
      if (error) recorded.push_back(error);
    return recorded;
  }

 private:
  struct attempt {
    std::size_t index;
    socket sock;
    clock::time_point deadline;
  };

  void start(std::size_t index) {
    next_start_ =
        stagger_seconds_ ? detail::deadline_after(*stagger_seconds_) : clock::time_point::max();
    const auto& target = targets_[index];
    try {
      socket sock(target.family, target.type, target.proto);
      sock.setblocking(false);
      if (source_) sock.bind(*source_);
      const int error = sock.connect_ex(target.addr);
      if (error == 0) {
        winner_ = std::move(sock);
      } else if (error == EINPROGRESS && per_attempt_ != timeout(0)) {
        running_.push_back({index, std::move(sock), deadline()});
      } else {
        failed(index, connect_error(error));
      }
    } catch (const os_error&) {
      failed(index, std::current_exception());
    }
  }

  // RFC 8305: when an attempt fails, the next one starts at once rather than after the delay.
  void failed(std::size_t index, std::exception_ptr error) {
    errors_[index] = std::move(error);
    next_start_ = clock::time_point::min();
  }

  clock::time_point deadline() const {
    return per_attempt_ ? detail::deadline_after(per_attempt_->count()) : clock::time_point::max();
  }

  // Waits until an attempt completes, an attempt times out or the next one is due.
  void wait_for_progress() {
    std::vector<pollfd> fds;
    auto until = next_ < targets_.size() ? next_start_ : clock::time_point::max();
    for (const auto& running : running_) {
      fds.push_back({running.sock.fileno(), POLLOUT, 0});
      until = std::min(until, running.deadline);
    }
    detail::poll_until(fds, until);
    const auto now = clock::now();
    std::vector<attempt> still_running;
    for (std::size_t i = 0; i < running_.size(); ++i) {
      auto& running = running_[i];
      if (fds[i].revents != 0) {
        finish(running);
      } else if (now >= running.deadline) {
        failed(running.index, std::make_exception_ptr(timeout_error()));
      } else {
        still_running.push_back(std::move(running));
      }
    }
    running_ = std::move(still_running);
  }

  void finish(attempt& running) {
    const int error = running.sock.getsockopt(SOL_SOCKET, SO_ERROR);
    if (error != 0) {
      failed(running.index, connect_error(error));
    } else if (!winner_) {
      winner_ = std::move(running.sock);
    }
  }

  std::vector<addrinfo_entry> targets_;
  std::vector<std::exception_ptr> errors_;
  timeout per_attempt_;
  const std::optional<address>& source_;
  std::optional<double> stagger_seconds_;
  std::size_t next_ = 0;
  clock::time_point next_start_{};
  std::vector<attempt> running_;
  std::optional<socket> winner_;
};

timeout resolve_timeout(connect_timeout t) {
  if (std::holds_alternative<default_timeout_t>(t)) return getdefaulttimeout();
  return std::get<timeout>(t);
}

std::vector<addrinfo_entry> default_resolver(std::string_view host, int port) {
  return getaddrinfo(host, port, family::unspec, sock_type::stream);
}

}  // namespace

socket create_connection(std::string_view host, int port, connect_timeout timeout_arg,
                         const std::optional<address>& source_address,
                         const connect_options& options) {
  auto targets = options.resolver ? options.resolver(host, port) : default_resolver(host, port);
  if (targets.empty()) throw os_error(std::string("getaddrinfo returns an empty list"));
  std::optional<double> stagger_seconds;
  if (options.happy_eyeballs_delay) {
    stagger_seconds = options.happy_eyeballs_delay->count();
    targets = interleave_families(std::move(targets));
  }
  connector attempts(std::move(targets), resolve_timeout(timeout_arg), source_address,
                     stagger_seconds);
  if (auto connected = attempts.run()) return std::move(*connected);
  auto errors = attempts.errors();
  if (options.all_errors) throw exception_group("create_connection failed", std::move(errors));
  std::rethrow_exception(errors.back());
}

socket create_connection(const address& addr, connect_timeout timeout_arg,
                         const std::optional<address>& source_address,
                         const connect_options& options) {
  const auto [host, port] = std::visit(
      [](const auto& a) -> std::pair<std::string_view, int> {
        using type = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<type, unix_address>) {
          throw value_error("create_connection needs a (host, port) address");
        } else {
          return {a.host, a.port};
        }
      },
      addr);
  return create_connection(host, port, timeout_arg, source_address, options);
}

// ---- create_server ------------------------------------------------------------------------

namespace {

family family_of(const address& addr) {
  if (std::holds_alternative<inet6_address>(addr)) return family::inet6;
  if (std::holds_alternative<unix_address>(addr)) return family::local;
  return family::inet;
}

// Python re-raises bind errors as OSError(errno, "<strerror> (while attempting to bind on
// address <addr>)"): the errno's subclass again, but a resolver error becomes a plain os_error.
void bind_server(socket& sock, const address& addr) {
  try {
    sock.bind(addr);
  } catch (const os_error& e) {
    if (!e.errno_value()) throw;
    std::string text = e.strerror() + " (while attempting to bind on address " + repr(addr) + ")";
    if (e.code().category() == std::generic_category())
      raise_os_error(e.code().value(), std::move(text), {});
    throw os_error(e.code(), std::move(text));
  }
}

}  // namespace

socket create_server(const address& addr, const server_options& options) {
  const family fam = options.family.value_or(family_of(addr));
  if (options.dualstack_ipv6) {
    if (!has_dualstack_ipv6()) throw value_error("dualstack_ipv6 not supported on this platform");
    if (fam != family::inet6) throw value_error("dualstack_ipv6 requires AF_INET6 family");
  }
  socket sock(fam, sock_type::stream);
  try {
    sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  } catch (const os_error&) {
    // Python ignores a platform that refuses SO_REUSEADDR.
  }
  if (options.reuse_port && (fam == family::inet || fam == family::inet6))
    sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  // Explicit either way: Linux's own default follows net.ipv6.bindv6only.
  if (fam == family::inet6)
    sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, options.dualstack_ipv6 ? 0 : 1);
  bind_server(sock, addr);
  sock.listen(options.backlog);
  return sock;
}

bool has_dualstack_ipv6() noexcept {
  try {
    socket probe(family::inet6, sock_type::stream);
    probe.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 0);
    return true;
  } catch (...) {
    return false;
  }
}

// ---- socketpair, fromfd -------------------------------------------------------------------

namespace {

// A socket owning `fd`. socket::adopt leaves the fd alone when it fails, so `fd` closes it then,
// once; on success the socket owns it and `fd` lets go.
socket adopt_owned(owned_fd fd) {
  socket adopted = socket::adopt(fd.get());
  (void)fd.release();
  return adopted;
}

}  // namespace

std::pair<socket, socket> socketpair(family f, sock_type t, int proto) {
  int fds[2];
  if (::socketpair(static_cast<int>(f), static_cast<int>(t) | SOCK_CLOEXEC, proto, fds) != 0)
    raise_os_error(errno, "socketpair");
  owned_fd first(fds[0]), second(fds[1]);
  socket a = adopt_owned(std::move(first));
  return {std::move(a), adopt_owned(std::move(second))};
}

std::pair<socket, socket> fallback_socketpair(family f, sock_type t, int proto) {
  if (f != family::inet && f != family::inet6)
    throw value_error("Only AF_INET and AF_INET6 socket address families are supported");
  if (t != sock_type::stream) throw value_error("Only SOCK_STREAM socket type is supported");
  if (proto != 0) throw value_error("Only protocol zero is supported");
  socket listener(f, t, proto);
  listener.bind(f == family::inet ? address(inet_address{"127.0.0.1", 0})
                                  : address(inet6_address{"::1", 0}));
  listener.listen();
  const address listening = listener.getsockname();
  if (detail::fallback_socketpair_listening) detail::fallback_socketpair_listening(listening);
  socket client(f, t, proto);
  client.setblocking(false);
  // A loopback connect is still in progress here; accept() below completes it.
  if (const int error = client.connect_ex(listening);
      error != 0 && error != EINPROGRESS && error != EINTR)
    raise_os_error(error, "connect");
  client.setblocking(true);
  auto [server, peer] = listener.accept();
  // gh-122133: another local process may have connected first.
  if (server.getsockname() != client.getpeername() || client.getsockname() != server.getpeername())
    throw connection_error(std::string("Unexpected peer connection"));
  return {std::move(server), std::move(client)};
}

socket fromfd(int fd, family, sock_type, int) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) raise_os_error(errno, "fromfd");
  return adopt_owned(owned_fd(copy));
}

// ---- getfqdn ------------------------------------------------------------------------------

namespace {

std::string strip(std::string_view text) {
  constexpr std::string_view space = " \t\n\r\f\v";
  const auto begin = text.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  return std::string(text.substr(begin, text.find_last_not_of(space) - begin + 1));
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) raise_os_error(errno, "gethostname");
  return name;
}

// socket.gethostbyaddr(name)'s (hostname, aliases), nullopt when it would raise: the name is
// resolved to its first address as Python's setipaddr does, then looked up in reverse.
std::optional<std::vector<std::string>> names_by_addr(const std::string& name) {
  std::vector<addrinfo_entry> entries;
  try {
    entries = getaddrinfo(name, std::nullopt, family::unspec, sock_type::dgram);
  } catch (const os_error&) {
    return std::nullopt;
  }
  if (entries.empty()) return std::nullopt;
  const auto native = detail::to_native(entries.front().addr, entries.front().family, "getfqdn");
  const void* raw = nullptr;
  socklen_t raw_length = 0;
  if (native.get()->sa_family == AF_INET) {
    raw = &reinterpret_cast<const sockaddr_in*>(native.get())->sin_addr;
    raw_length = sizeof(in_addr);
  } else {
    raw = &reinterpret_cast<const sockaddr_in6*>(native.get())->sin6_addr;
    raw_length = sizeof(in6_addr);
  }
  hostent entry{};
  hostent* found = nullptr;
  int h_error = 0;
  std::vector<char> buffer(4096);
  while (::gethostbyaddr_r(raw, raw_length, native.get()->sa_family, &entry, buffer.data(),
                           buffer.size(), &found, &h_error) == ERANGE)
    buffer.resize(buffer.size() * 2);
  if (found == nullptr) return std::nullopt;
  std::vector<std::string> names{found->h_name};
  for (char** alias = found->h_aliases; alias != nullptr && *alias != nullptr; ++alias)
    names.emplace_back(*alias);
  return names;
}

}  // namespace

std::string getfqdn(std::string_view name) {
  std::string host = strip(name);
  if (host.empty() || host == "0.0.0.0" || host == "::") host = host_name();
  const auto names = names_by_addr(host);
  if (!names) return host;
  const auto dotted = std::find_if(names->begin(), names->end(),
                                   [](const std::string& n) { return n.find('.') != n.npos; });
  return dotted != names->end() ? *dotted : names->front();
}

// ---- fd passing ---------------------------------------------------------------------------

std::size_t send_fds(socket& sock, std::span<const std::span<const std::byte>> buffers,
                     std::span<const int> fds, msg_flags flags,
                     const std::optional<address>& addr) {
  if (fds.size() > max_fds_per_message)
    throw value_error("send_fds: at most 253 file descriptors fit in one message (got " +
                      std::to_string(fds.size()) + ")");
  const ancillary_data rights{
      SOL_SOCKET, SCM_RIGHTS,
      std::string(reinterpret_cast<const char*>(fds.data()), fds.size_bytes())};
  return sock.sendmsg(buffers, std::span(&rights, 1), flags, addr);
}

std::size_t send_fds(socket& sock, std::string_view data, std::span<const int> fds, msg_flags flags,
                     const std::optional<address>& addr) {
  const std::span<const std::byte> buffer = std::as_bytes(std::span(data.data(), data.size()));
  return send_fds(sock, std::span(&buffer, 1), fds, flags, addr);
}

recv_fds_result recv_fds(socket& sock, std::size_t bufsize, std::size_t maxfds, msg_flags flags) {
  auto message = sock.recvmsg(bufsize, CMSG_SPACE(maxfds * sizeof(int)), flags | msg_cmsg_cloexec);
  // Take ownership of every delivered fd at once, so that none leaks whatever happens next.
  std::size_t delivered = 0;
  for (const auto& item : message.ancdata)
    if (item.level == SOL_SOCKET && item.type == SCM_RIGHTS)
      delivered += item.data.size() / sizeof(int);
  // Linux echoes MSG_CMSG_CLOEXEC back in msg_flags; it is pysock's choice, not news.
  recv_fds_result result{std::move(message.data),
                         {},
                         message.msg_flags & ~msg_cmsg_cloexec,
                         std::move(message.address)};
  result.fds.reserve(delivered);
  for (const auto& item : message.ancdata) {
    if (item.level != SOL_SOCKET || item.type != SCM_RIGHTS) continue;
    for (std::size_t at = 0; at + sizeof(int) <= item.data.size(); at += sizeof(int)) {
      int fd = -1;
      std::memcpy(&fd, item.data.data() + at, sizeof fd);
      result.fds.emplace_back(fd);
    }
  }
  // CMSG_SPACE rounds up, so the kernel may deliver one more fd than asked for: the caller
  // cannot take it, so it is closed and reported as a truncation.
  if (result.fds.size() > maxfds) {
    result.fds.resize(maxfds);
    result.msg_flags |= msg_ctrunc;
  }
  return result;
}

}  // namespace pysock
