#include "pysock/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>

#include "detail/sockaddr.hpp"
#include "pysock/error.hpp"

namespace pysock {

static_assert(static_cast<int>(family::unspec) == AF_UNSPEC);
static_assert(static_cast<int>(family::local) == AF_UNIX);
static_assert(static_cast<int>(family::inet) == AF_INET);
static_assert(static_cast<int>(family::inet6) == AF_INET6);
static_assert(static_cast<int>(sock_type::stream) == SOCK_STREAM);
static_assert(static_cast<int>(sock_type::dgram) == SOCK_DGRAM);
static_assert(static_cast<int>(sock_type::raw) == SOCK_RAW);
static_assert(static_cast<int>(sock_type::seqpacket) == SOCK_SEQPACKET);
static_assert(static_cast<int>(ai_flags::passive) == AI_PASSIVE);
static_assert(static_cast<int>(ai_flags::canonname) == AI_CANONNAME);
static_assert(static_cast<int>(ai_flags::numerichost) == AI_NUMERICHOST);
static_assert(static_cast<int>(ai_flags::v4mapped) == AI_V4MAPPED);
static_assert(static_cast<int>(ai_flags::all) == AI_ALL);
static_assert(static_cast<int>(ai_flags::addrconfig) == AI_ADDRCONFIG);
static_assert(static_cast<int>(ai_flags::numericserv) == AI_NUMERICSERV);

std::string to_string(family f) {
  switch (f) {
    case family::unspec:
      return "AF_UNSPEC";
    case family::local:
      return "AF_UNIX";
    case family::inet:
      return "AF_INET";
    case family::inet6:
      return "AF_INET6";
  }
  return std::to_string(static_cast<int>(f));
}

std::string to_string(sock_type t) {
  switch (t) {
    case sock_type::stream:
      return "SOCK_STREAM";
    case sock_type::dgram:
      return "SOCK_DGRAM";
    case sock_type::raw:
      return "SOCK_RAW";
    case sock_type::seqpacket:
      return "SOCK_SEQPACKET";
  }
  return std::to_string(static_cast<int>(t));
}

namespace {

// Python's repr() of a str (text = true) or bytes object holding `s`.
std::string python_literal(std::string_view s, bool text) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out;
  if (!text) out.push_back('b');
  out.push_back(quote);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\' || c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += ch;
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F || (!text && c >= 0x80)) {
      char escape[5];
      std::snprintf(escape, sizeof escape, "\\x%02x", c);
      out += escape;
    } else {
      out += ch;
    }
  }
  out += quote;
  return out;
}

bool is_abstract(const unix_address& a) {
  return !a.path.empty() && a.path[0] == '\0';
}

// Python's tuple repr, "(item, item, ...)", from already formatted items.
std::string tuple(std::initializer_list<std::string> items) {
  std::string out(1, '(');
  for (const auto& item : items) {
    if (out.size() > 1) out.append(", ");
    out.append(item);
  }
  out.push_back(')');
  return out;
}

std::string format(const address& a, bool quote_paths) {
  struct formatter {
    bool quote_paths;
    std::string operator()(const inet_address& a) const {
      return tuple({python_literal(a.host, true), std::to_string(a.port)});
    }
    std::string operator()(const inet6_address& a) const {
      return tuple({python_literal(a.host, true), std::to_string(a.port),
                    std::to_string(a.flowinfo), std::to_string(a.scope_id)});
    }
    std::string operator()(const unix_address& a) const {
      if (is_abstract(a)) return python_literal(a.path, false);
      return quote_paths ? python_literal(a.path, true) : a.path;
    }
  };
  return std::visit(formatter{quote_paths}, a);
}

}  // namespace

std::string to_string(const address& a) {
  return format(a, false);
}
std::string repr(const address& a) {
  return format(a, true);
}
std::ostream& operator<<(std::ostream& out, const address& a) {
  return out << to_string(a);
}

namespace {

struct addrinfo_deleter {
  void operator()(::addrinfo* list) const { ::freeaddrinfo(list); }
};
using addrinfo_list = std::unique_ptr<::addrinfo, addrinfo_deleter>;

addrinfo_list resolve(const char* host, const char* port, const ::addrinfo& hints) {
  ::addrinfo* list = nullptr;
  const int status = ::getaddrinfo(host, port, &hints, &list);
  if (status != 0) raise_gai_error(status, errno);
  return addrinfo_list(list);
}

[[noreturn]] void raise_port_range(const char* caller) {
  throw value_error(std::string(caller) + "(): port must be 0-65535.");
}

std::uint16_t checked_port(int port, const char* caller) {
  if (port < 0 || port > 65535) raise_port_range(caller);
  return htons(static_cast<std::uint16_t>(port));
}

// Python's setipaddr(): the sockaddr of `host` in family `f` ("" is the wildcard address,
// "<broadcast>" the IPv4 broadcast address, anything else a numeric address or a name).
detail::native_address host_address(const std::string& host, int f) {
  detail::native_address native;
  ::addrinfo hints{};
  hints.ai_family = f;
  if (host.empty()) {
    hints.ai_flags = AI_PASSIVE;
    hints.ai_socktype = SOCK_DGRAM;  // one answer is enough; any type gives the same address
    auto list = resolve(nullptr, "0", hints);
    std::memcpy(&native.storage, list->ai_addr, list->ai_addrlen);
    native.length = list->ai_addrlen;
    return native;
  }
  if (host == "<broadcast>" || host == "255.255.255.255") {
    if (f != AF_INET) throw os_error("address family mismatched");
    auto& in = reinterpret_cast<sockaddr_in&>(native.storage);
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_BROADCAST);
    native.length = sizeof in;
    return native;
  }
  auto list = resolve(host.c_str(), nullptr, hints);
  std::memcpy(&native.storage, list->ai_addr, list->ai_addrlen);
  native.length = list->ai_addrlen;
  return native;
}

detail::native_address inet_native(const inet_address& a, const char* caller) {
  const std::uint16_t port = checked_port(a.port, caller);
  auto native = host_address(a.host, AF_INET);
  reinterpret_cast<sockaddr_in&>(native.storage).sin_port = port;
  return native;
}

detail::native_address inet6_native(const inet6_address& a, const char* caller) {
  const std::uint16_t port = checked_port(a.port, caller);
  auto native = host_address(a.host, AF_INET6);
  auto& in6 = reinterpret_cast<sockaddr_in6&>(native.storage);
  in6.sin6_port = port;
  in6.sin6_flowinfo = htonl(a.flowinfo);
  // Python overwrites the scope with the tuple's; keeping the one "%lo" resolved to when the
  // tuple says 0 is what the caller meant.
  if (a.scope_id != 0) in6.sin6_scope_id = a.scope_id;
  return native;
}

detail::native_address unix_native(const unix_address& a) {
  detail::native_address native;
  auto& un = reinterpret_cast<sockaddr_un&>(native.storage);
  // A filesystem path needs its terminating NUL; an abstract name uses every byte it has.
  const std::size_t room = sizeof un.sun_path - (is_abstract(a) ? 0 : 1);
  if (a.path.size() > room) throw value_error("AF_UNIX path too long");
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, a.path.data(), a.path.size());
  // An empty path is the family alone: bind() then autobinds to an abstract name, as in Python.
  const std::size_t terminator = a.path.empty() || is_abstract(a) ? 0 : 1;
  native.length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + a.path.size() + terminator);
  return native;
}

}  // namespace

namespace detail {

native_address to_native(const address& a, family f, const char* caller) {
  switch (f) {
    case family::inet:
      if (const auto* in = std::get_if<inet_address>(&a)) return inet_native(*in, caller);
      throw value_error("AF_INET address must be a pair (host, port)");
    case family::inet6:
      if (const auto* in6 = std::get_if<inet6_address>(&a)) return inet6_native(*in6, caller);
      if (const auto* in = std::get_if<inet_address>(&a))
        return inet6_native(inet6_address{in->host, in->port}, caller);
      throw value_error("AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])");
    case family::local:
      if (const auto* un = std::get_if<unix_address>(&a)) return unix_native(*un);
      throw value_error("AF_UNIX address must be a unix_address (a path)");
    default:
      throw os_error(std::string(caller) + "(): bad family");
  }
}

std::optional<address> from_native(const sockaddr* sa, socklen_t length) {
  if (length == 0) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  switch (sa->sa_family) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
      ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
      return inet_address{text, ntohs(in->sin_port)};
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
      return inet6_address{text, ntohs(in6->sin6_port), ntohl(in6->sin6_flowinfo),
                           in6->sin6_scope_id};
    }
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(sa);
      const std::size_t offset = offsetof(sockaddr_un, sun_path);
      if (length <= offset) return unix_address{};
      const std::size_t size = length - offset;
      if (un->sun_path[0] == '\0') return unix_address{std::string(un->sun_path, size)};
      return unix_address{std::string(un->sun_path, ::strnlen(un->sun_path, size))};
    }
    default:
      throw os_error("unsupported address family " + std::to_string(sa->sa_family));
  }
}

}  // namespace detail

std::vector<addrinfo_entry> getaddrinfo(std::optional<std::string_view> host, service port,
                                        family f, sock_type type, int proto, ai_flags flags) {
  ::addrinfo hints{};
  hints.ai_family = static_cast<int>(f);
  hints.ai_socktype = static_cast<int>(type);
  hints.ai_protocol = proto;
  hints.ai_flags = static_cast<int>(flags);
  const std::optional<std::string> host_text(host);
  const auto& port_text = port.text();
  auto list = resolve(host_text ? host_text->c_str() : nullptr,
                      port_text ? port_text->c_str() : nullptr, hints);
  std::vector<addrinfo_entry> entries;
  for (const ::addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    auto addr = detail::from_native(ai->ai_addr, ai->ai_addrlen);
    if (!addr) continue;
    entries.push_back({static_cast<family>(ai->ai_family), static_cast<sock_type>(ai->ai_socktype),
                       ai->ai_protocol, ai->ai_canonname ? ai->ai_canonname : "",
                       std::move(*addr)});
  }
  return entries;
}

}  // namespace pysock
