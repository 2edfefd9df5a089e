// pysock/address.hpp: socket addresses as values, and getaddrinfo.
//
// Python passes addresses as tuples: ('127.0.0.1', 80) for AF_INET, ('::1', 80, flowinfo,
// scope_id) for AF_INET6 and a path for AF_UNIX. pysock has one struct for each and an
// `address` variant over them. Hosts may be names ("localhost"), which bind/connect resolve
// as Python does; "" means INADDR_ANY and "<broadcast>" INADDR_BROADCAST.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace pysock {

// Address families, with Linux's numbers so that an unknown family read from an fd survives as
// its plain value (Python shows the int). `local` is AF_UNIX: `unix` is a macro in GNU mode.
enum class family : int { unspec = 0, local = 1, inet = 2, inet6 = 10 };
// Socket types, with Linux's numbers (never including SOCK_NONBLOCK or SOCK_CLOEXEC).
enum class sock_type : int { stream = 1, dgram = 2, raw = 3, seqpacket = 5 };

// "AF_INET", "AF_INET6", "AF_UNIX", "AF_UNSPEC", or the number for other values.
std::string to_string(family f);
// "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_SEQPACKET", or the number.
std::string to_string(sock_type t);

// ('host', port). The port is an int so that out-of-range values reach the range check that
// Python does ("bind(): port must be 0-65535.").
struct inet_address {
  std::string host;
  int port = 0;
  friend bool operator==(const inet_address&, const inet_address&) = default;
};

// ('host', port, flowinfo, scope_id). A host such as "fe80::1%lo" carries its scope by name;
// bind/connect resolve it when scope_id is 0.
struct inet6_address {
  std::string host;
  int port = 0;
  std::uint32_t flowinfo = 0;
  std::uint32_t scope_id = 0;
  friend bool operator==(const inet6_address&, const inet6_address&) = default;
};

// An AF_UNIX address: a filesystem path, or with a leading '\0' a Linux abstract name. Empty is
// an unnamed socket. Longer than sun_path (107 bytes + NUL) is a value_error.
struct unix_address {
  std::string path;
  friend bool operator==(const unix_address&, const unix_address&) = default;
};

using address = std::variant<inet_address, inet6_address, unix_address>;

// Python's str() of the address, as repr(socket) prints laddr/raddr: ('127.0.0.1', 8080),
// ('::1', 8080, 0, 0), /tmp/sock (a path prints bare), b'\x00name' (an abstract name prints as
// bytes).
std::string to_string(const address& a);
// Python's repr() of the address: like to_string, but a path is quoted ('/tmp/sock').
std::string repr(const address& a);
std::ostream& operator<<(std::ostream& out, const address& a);

// Flag sets (ai_flags, msg_flags) are scoped enums that combine like Python's IntFlag:
// a | b, a & b, a ^ b, ~a, |=, &=, and any(a) for "some flag is set". An int from a C header
// converts explicitly: static_cast<pysock::msg_flags>(MSG_PEEK).
template <class E>
struct is_flag_set : std::false_type {};
template <class E>
concept flag_set = std::is_enum_v<E> && is_flag_set<E>::value;

namespace detail {
template <class E>
constexpr auto bits(E e) noexcept {
  return static_cast<std::underlying_type_t<E>>(e);
}
}  // namespace detail

template <flag_set E>
constexpr E operator|(E a, E b) noexcept {
  return static_cast<E>(detail::bits(a) | detail::bits(b));
}
template <flag_set E>
constexpr E operator&(E a, E b) noexcept {
  return static_cast<E>(detail::bits(a) & detail::bits(b));
}
template <flag_set E>
constexpr E operator^(E a, E b) noexcept {
  return static_cast<E>(detail::bits(a) ^ detail::bits(b));
}
template <flag_set E>
constexpr E operator~(E a) noexcept {
  return static_cast<E>(~detail::bits(a));
}
template <flag_set E>
constexpr E& operator|=(E& a, E b) noexcept {
  return a = a | b;
}
template <flag_set E>
constexpr E& operator&=(E& a, E b) noexcept {
  return a = a & b;
}
template <flag_set E>
constexpr bool any(E a) noexcept {
  return detail::bits(a) != 0;
}

// getaddrinfo() flags (AI_*, Linux values).
enum class ai_flags : int {
  none = 0,
  passive = 0x1,
  canonname = 0x2,
  numerichost = 0x4,
  v4mapped = 0x8,
  all = 0x10,
  addrconfig = 0x20,
  numericserv = 0x400,
};
template <>
struct is_flag_set<ai_flags> : std::true_type {};

// The port argument of getaddrinfo: a number, a service name ("http"), or none (Python's None).
class service {
 public:
  service() = default;
  service(std::nullopt_t) {}
  service(int port) : text_(std::to_string(port)) {}
  service(std::string_view name) : text_(name) {}
  service(const char* name) : text_(name) {}
  const std::optional<std::string>& text() const noexcept { return text_; }

 private:
  std::optional<std::string> text_;
};

struct addrinfo_entry {
  pysock::family family;
  sock_type type;
  int proto;
  std::string canonname;
  pysock::address addr;
  friend bool operator==(const addrinfo_entry&, const addrinfo_entry&) = default;
};

// getaddrinfo(host, port, family, type, proto, flags). A nullopt host is Python's None. No
// AI_ADDRCONFIG unless asked for (it hides loopback-only hosts). Entries come in the resolver's
// order. Failures throw gai_error ("[Errno -2] Name or service not known").
std::vector<addrinfo_entry> getaddrinfo(std::optional<std::string_view> host, service port,
                                        family f = family::unspec, sock_type type = {},
                                        int proto = 0, ai_flags flags = ai_flags::none);

}  // namespace pysock
