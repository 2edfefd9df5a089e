// Conversions between pysock::address and the kernel's sockaddr structures. Internal.
#pragma once

#include <sys/socket.h>

#include "pysock/address.hpp"

namespace pysock::detail {

struct native_address {
  sockaddr_storage storage{};
  socklen_t length = sizeof(sockaddr_storage);

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

// The sockaddr for `a` on a socket of family `f`, resolving host names as Python's setipaddr
// does. `caller` names the operation in messages ("bind" → "bind(): port must be 0-65535.").
native_address to_native(const address& a, family f, const char* caller);

// The address a sockaddr describes; nullopt for an empty one (Python's None from recvfrom on an
// unnamed peer).
std::optional<address> from_native(const sockaddr* sa, socklen_t length);

}  // namespace pysock::detail
