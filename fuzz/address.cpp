// Fuzzes the address conversions: arbitrary sockaddr bytes must decode or raise a pysock error,
// and any decoded address must print and convert back to the same sockaddr family.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "detail/sockaddr.hpp"
#include "pysock/error.hpp"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// Only numeric hosts go back through to_native, so the fuzzer never waits on a resolver.
bool numeric(const pysock::address& a) {
  if (const auto* in = std::get_if<pysock::inet_address>(&a)) return !in->host.empty();
  if (const auto* in6 = std::get_if<pysock::inet6_address>(&a)) return !in6->host.empty();
  return true;
}

pysock::family family_of(const pysock::address& a) {
  if (std::holds_alternative<pysock::inet_address>(a)) return pysock::family::inet;
  if (std::holds_alternative<pysock::inet6_address>(a)) return pysock::family::inet6;
  return pysock::family::local;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pysock::detail::native_address native;
  const std::size_t length = std::min(size, sizeof native.storage);
  std::memcpy(&native.storage, data, length);
  native.length = static_cast<socklen_t>(length);
  if (length < sizeof(sa_family_t)) return 0;
  try {
    const auto decoded = pysock::detail::from_native(native.get(), native.length);
    if (!decoded) return 0;
    check(!pysock::to_string(*decoded).empty() ||
          std::holds_alternative<pysock::unix_address>(*decoded));
    (void)pysock::repr(*decoded);
    if (!numeric(*decoded)) return 0;
    const auto again = pysock::detail::to_native(*decoded, family_of(*decoded), "fuzz");
    check(again.get()->sa_family == native.get()->sa_family);
    check(pysock::detail::from_native(again.get(), again.length) == decoded);
  } catch (const pysock::os_error&) {
  } catch (const pysock::value_error&) {
  }
  return 0;
}
