// address.hpp: address values, Python's str/repr of them, sockaddr conversion, getaddrinfo.
#include "pysock/address.hpp"
#include "support/expect_throw.hpp"

#include <gtest/gtest.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <sstream>

#include "detail/sockaddr.hpp"
#include "pysock/error.hpp"
#include "support/helpers.hpp"

namespace {

using namespace pysock;

TEST(AddressFormat, InetIsAPythonTuple) {
  EXPECT_EQ(to_string(address(inet_address{"127.0.0.1", 8080})), "('127.0.0.1', 8080)");
  EXPECT_EQ(repr(address(inet_address{"127.0.0.1", 8080})), "('127.0.0.1', 8080)");
  std::ostringstream out;
  out << address(inet_address{"10.0.0.1", 1});
  EXPECT_EQ(out.str(), "('10.0.0.1', 1)");
}

TEST(AddressFormat, Inet6HasFourFields) {
  EXPECT_EQ(to_string(address(inet6_address{"::1", 80, 0, 0})), "('::1', 80, 0, 0)");
  EXPECT_EQ(to_string(address(inet6_address{"fe80::1", 5, 7, 1})), "('fe80::1', 5, 7, 1)");
}

TEST(AddressFormat, UnixPathIsBareInStrAndQuotedInRepr) {
  EXPECT_EQ(to_string(address(unix_address{"/tmp/q'x\"y"})), "/tmp/q'x\"y");
  EXPECT_EQ(repr(address(unix_address{"/tmp/sock"})), "'/tmp/sock'");
  EXPECT_EQ(repr(address(unix_address{"it's"})), "\"it's\"");
  EXPECT_EQ(repr(address(unix_address{"a'b\"c"})), "'a\\'b\"c'");
}

TEST(AddressFormat, AbstractNameIsBytes) {
  EXPECT_EQ(to_string(address(unix_address{std::string("\0abc'", 5)})), "b\"\\x00abc'\"");
  EXPECT_EQ(to_string(address(unix_address{std::string("\0a\tb\xff", 5)})), "b'\\x00a\\tb\\xff'");
}

TEST(EnumNames, KnownNamesAndNumbers) {
  EXPECT_EQ(to_string(family::inet), "AF_INET");
  EXPECT_EQ(to_string(family::inet6), "AF_INET6");
  EXPECT_EQ(to_string(family::local), "AF_UNIX");
  EXPECT_EQ(to_string(family::unspec), "AF_UNSPEC");
  EXPECT_EQ(to_string(static_cast<family>(9999)), "9999");
  EXPECT_EQ(to_string(sock_type::stream), "SOCK_STREAM");
  EXPECT_EQ(to_string(sock_type::dgram), "SOCK_DGRAM");
  EXPECT_EQ(to_string(sock_type::seqpacket), "SOCK_SEQPACKET");
  EXPECT_EQ(to_string(sock_type::raw), "SOCK_RAW");
  EXPECT_EQ(to_string(static_cast<sock_type>(77)), "77");
}

TEST(NativeAddress, InetRoundTrip) {
  const address in = inet_address{"127.0.0.1", 4242};
  const auto native = detail::to_native(in, family::inet, "bind");
  EXPECT_EQ(native.length, sizeof(sockaddr_in));
  EXPECT_EQ(detail::from_native(native.get(), native.length), in);
}

TEST(NativeAddress, EmptyHostIsTheWildcard) {
  const auto native = detail::to_native(inet_address{"", 7}, family::inet, "bind");
  EXPECT_EQ(detail::from_native(native.get(), native.length), address(inet_address{"0.0.0.0", 7}));
  const auto native6 = detail::to_native(inet6_address{"", 7}, family::inet6, "bind");
  EXPECT_EQ(detail::from_native(native6.get(), native6.length),
            address(inet6_address{"::", 7, 0, 0}));
}

TEST(NativeAddress, BroadcastNames) {
  const auto native = detail::to_native(inet_address{"<broadcast>", 9}, family::inet, "sendto");
  EXPECT_EQ(detail::from_native(native.get(), native.length),
            address(inet_address{"255.255.255.255", 9}));
  EXPECT_THROW_MSG(detail::to_native(inet6_address{"<broadcast>", 1}, family::inet6, "bind"),
                   os_error, "address family mismatched");
}

TEST(NativeAddress, HostNamesResolve) {
  PYSOCK_REQUIRE_LOCALHOST();
  const auto native = detail::to_native(inet_address{"localhost", 80}, family::inet, "connect");
  EXPECT_EQ(detail::from_native(native.get(), native.length),
            address(inet_address{"127.0.0.1", 80}));
}

TEST(NativeAddress, PortRangeIsPythons) {
  for (int port : {-1, 65536, 70000}) {
    EXPECT_THROW_MSG(detail::to_native(inet_address{"127.0.0.1", port}, family::inet, "bind"),
                     value_error, "bind(): port must be 0-65535.");
  }
  EXPECT_THROW(detail::to_native(inet6_address{"::1", 65536}, family::inet6, "connect"),
               value_error);
  EXPECT_NO_THROW(detail::to_native(inet_address{"127.0.0.1", 65535}, family::inet, "bind"));
}

TEST(NativeAddress, Inet6FieldsAndPairs) {
  const address in6 = inet6_address{"::1", 99, 5, 0};
  const auto native = detail::to_native(in6, family::inet6, "bind");
  EXPECT_EQ(detail::from_native(native.get(), native.length), in6);
  // AF_INET6 also takes a (host, port) pair, as Python does.
  const auto pair = detail::to_native(inet_address{"::1", 3}, family::inet6, "bind");
  EXPECT_EQ(detail::from_native(pair.get(), pair.length), address(inet6_address{"::1", 3, 0, 0}));
}

TEST(NativeAddress, ScopeNamesResolve) {
  const auto lo = ::if_nametoindex("lo");
  ASSERT_NE(lo, 0u);
  const auto native = detail::to_native(inet6_address{"fe80::1%lo", 5}, family::inet6, "bind");
  EXPECT_EQ(detail::from_native(native.get(), native.length),
            address(inet6_address{"fe80::1", 5, 0, lo}));
  // An explicit scope id wins over the name.
  const auto explicit_scope =
      detail::to_native(inet6_address{"fe80::1%lo", 5, 0, 77}, family::inet6, "bind");
  EXPECT_EQ(
      std::get<inet6_address>(*detail::from_native(explicit_scope.get(), explicit_scope.length))
          .scope_id,
      77u);
}

TEST(NativeAddress, WrongShapeForFamily) {
  EXPECT_THROW_MSG(detail::to_native(inet6_address{"::1", 1, 2, 3}, family::inet, "bind"),
                   value_error, "AF_INET address must be a pair (host, port)");
  EXPECT_THROW(detail::to_native(unix_address{"/x"}, family::inet6, "bind"), value_error);
  EXPECT_THROW(detail::to_native(inet_address{"x", 1}, family::local, "bind"), value_error);
}

TEST(NativeAddress, WrongFamilyOfHostIsAGaiError) {
  EXPECT_THROW_WITH(
      detail::to_native(inet_address{"::1", 1}, family::inet, "bind"), pysock::gai_error,
      [&](const pysock::gai_error& e) { EXPECT_EQ(e.code().category(), gai_category()); });
}

TEST(NativeAddress, UnixPathsAndAbstractNames) {
  const address path = unix_address{"/tmp/pysock-test.sock"};
  const auto native = detail::to_native(path, family::local, "bind");
  EXPECT_EQ(detail::from_native(native.get(), native.length), path);
  const address abstract = unix_address{std::string("\0pysock", 7)};
  const auto native_abstract = detail::to_native(abstract, family::local, "bind");
  EXPECT_EQ(native_abstract.length, offsetof(sockaddr_un, sun_path) + 7);
  EXPECT_EQ(detail::from_native(native_abstract.get(), native_abstract.length), abstract);
}

TEST(NativeAddress, UnixPathTooLongIsAClearError) {
  const std::size_t room = sizeof(sockaddr_un{}.sun_path);
  EXPECT_NO_THROW(
      detail::to_native(unix_address{std::string(room - 1, 'x')}, family::local, "bind"));
  EXPECT_THROW_MSG(detail::to_native(unix_address{std::string(room, 'x')}, family::local, "bind"),
                   value_error, "AF_UNIX path too long");
  // An abstract name may use every byte of sun_path, but no more.
  EXPECT_NO_THROW(detail::to_native(unix_address{std::string(1, '\0') + std::string(room - 1, 'a')},
                                    family::local, "bind"));
  EXPECT_THROW(detail::to_native(unix_address{std::string(1, '\0') + std::string(room, 'a')},
                                 family::local, "bind"),
               value_error);
}

TEST(NativeAddress, EmptyIsNone) {
  EXPECT_EQ(detail::from_native(nullptr, 0), std::nullopt);
}

TEST(GetAddrInfo, NumericHost) {
  const auto entries = getaddrinfo("127.0.0.1", 80, family::inet, sock_type::stream);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].family, family::inet);
  EXPECT_EQ(entries[0].type, sock_type::stream);
  EXPECT_EQ(entries[0].proto, IPPROTO_TCP);
  EXPECT_EQ(entries[0].canonname, "");
  EXPECT_EQ(entries[0].addr, address(inet_address{"127.0.0.1", 80}));
}

TEST(GetAddrInfo, EveryTypeInResolverOrder) {
  const auto entries = getaddrinfo("127.0.0.1", 80);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].type, sock_type::stream);
  EXPECT_EQ(entries[1].type, sock_type::dgram);
  EXPECT_EQ(entries[2].type, sock_type::raw);
}

TEST(GetAddrInfo, NoneHostAndNoneService) {
  const auto passive =
      getaddrinfo(std::nullopt, 5, family::inet6, sock_type::stream, 0, ai_flags::passive);
  ASSERT_FALSE(passive.empty());
  EXPECT_EQ(passive[0].addr, address(inet6_address{"::", 5, 0, 0}));
  const auto no_port = getaddrinfo("127.0.0.1", std::nullopt, family::inet, sock_type::stream);
  EXPECT_EQ(no_port.at(0).addr, address(inet_address{"127.0.0.1", 0}));
}

TEST(GetAddrInfo, ServiceNames) {
  // Service names come from /etc/services (Debian's netbase, which scripts/deps.sh installs).
  if (::getservbyname("http", "tcp") == nullptr)
    GTEST_SKIP() << "the service name \"http\" is unknown here (no /etc/services: netbase)";
  const auto loopback = getaddrinfo(std::nullopt, "http", family::inet, sock_type::stream);
  EXPECT_EQ(loopback.at(0).addr, address(inet_address{"127.0.0.1", 80}));
}

TEST(GetAddrInfo, CanonicalName) {
  const auto entries =
      getaddrinfo("127.0.0.1", 80, family::inet, sock_type::stream, 0, ai_flags::canonname);
  EXPECT_EQ(entries.at(0).canonname, "127.0.0.1");
}

TEST(GetAddrInfo, FailuresAreGaiErrors) {
  EXPECT_THROW_MSG(getaddrinfo("not an address", 80, family::unspec, sock_type::stream, 0,
                               ai_flags::numerichost),
                   pysock::gai_error, "[Errno -2] Name or service not known");
  EXPECT_THROW_MSG(getaddrinfo("127.0.0.1", -1, family::inet, sock_type::stream), pysock::gai_error,
                   "[Errno -8] Servname not supported for ai_socktype");
}

TEST(GetAddrInfo, LocalhostWorksWithoutAddrconfig) {
  PYSOCK_REQUIRE_LOCALHOST();
  // AI_ADDRCONFIG would hide loopback-only answers on a machine without other interfaces.
  const auto entries = getaddrinfo("localhost", 80, family::inet, sock_type::stream);
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries[0].addr, address(inet_address{"127.0.0.1", 80}));
}

}  // namespace
