// ssl.hpp: tls.md 1.1-1.9 and the scenarios of 4.3, pysock client against pysock server over a
// socketpair or loopback TCP, the peer on a thread. Certificates come from
// tests/support/make_tls_certificates.sh.
#include "pysock/ssl.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "detail/test_hooks.hpp"
#include "pysock/io/file.hpp"
#include "pysock/makefile.hpp"
#include "pysock/net.hpp"
#include "pysock/selectors.hpp"
#include "support/helpers.hpp"
#include "support/tls_certificates.hpp"

namespace {

using namespace pysock;
using pysock::socket;
using namespace std::chrono_literals;
using pysock_test::bytes_of;
using pysock_test::tls_file;

ssl_context server_context(const std::string& cert = "server") {
  ssl_context ctx(ssl_protocol::tls_server);
  ctx.load_cert_chain(tls_file(cert + ".pem"), tls_file(cert + ".key"));
  return ctx;
}

ssl_context client_context() {
  return create_default_context(purpose::server_auth, tls_file("ca.pem"));
}

// Both ends of one handshake, each with its outcome. The peers get a 10 s timeout so that a
// bug fails the test instead of hanging it.
struct handshake_result {
  std::optional<ssl_socket> client, server;
  std::exception_ptr client_error, server_error;
};

handshake_result handshake(ssl_context server_ctx, ssl_context client_ctx,
                           std::optional<std::string> host = "localhost",
                           std::pair<socket, socket> pair = pysock::socketpair()) {
  handshake_result result;
  pair.first.settimeout(10s);
  pair.second.settimeout(10s);
  std::thread server([&, s = std::move(pair.second)]() mutable {
    try {
      result.server.emplace(server_ctx.wrap_socket(std::move(s), {.server_side = true}));
    } catch (...) {
      result.server_error = std::current_exception();
    }
  });
  try {
    result.client.emplace(client_ctx.wrap_socket(std::move(pair.first), {.server_hostname = host}));
  } catch (...) {
    result.client_error = std::current_exception();
  }
  server.join();
  return result;
}

// A connected client/server pair (TLS 1.3 with the default contexts). The tests name its
// halves with references, not structured bindings: clang 14 cannot capture those in lambdas.
std::pair<ssl_socket, ssl_socket> connected(ssl_context server_ctx = server_context(),
                                            ssl_context client_ctx = client_context(),
                                            std::pair<socket, socket> pair = pysock::socketpair()) {
  auto r = handshake(std::move(server_ctx), std::move(client_ctx), "localhost", std::move(pair));
  if (r.client_error) std::rethrow_exception(r.client_error);
  if (r.server_error) std::rethrow_exception(r.server_error);
  return {std::move(*r.client), std::move(*r.server)};
}

// Throws what a handshake end failed with, nothing when it succeeded: the statement the
// EXPECT_THROW_* assertions check.
void rethrow_if_failed(const std::exception_ptr& error) {
  if (error) std::rethrow_exception(error);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// ---- ssl_context ----------------------------------------------------------------------------

TEST(SslContext, ClientDefaultsAreCPythons) {
  ssl_context ctx(ssl_protocol::tls_client);
  EXPECT_EQ(ctx.protocol(), ssl_protocol::tls_client);
  EXPECT_EQ(ctx.verify_mode(), verify_mode::cert_required);
  EXPECT_TRUE(ctx.check_hostname());
  EXPECT_EQ(ctx.minimum_version(), tls_version::tlsv1_2);
  EXPECT_EQ(ctx.maximum_version(), tls_version::maximum_supported);
  EXPECT_EQ(ctx.options(), 0x82520050u);
  EXPECT_EQ(ctx.verify_flags(), verify_x509_trusted_first);
  EXPECT_EQ(ctx.security_level(), 2);
  EXPECT_TRUE(ctx.hostname_checks_common_name());
  EXPECT_EQ(ctx.options() & (op_ignore_unexpected_eof | op_no_ticket | op_enable_ktls), 0u);
}

TEST(SslContext, ServerDefaultsAreCPythons) {
  ssl_context ctx(ssl_protocol::tls_server);
  EXPECT_EQ(ctx.verify_mode(), verify_mode::cert_none);
  EXPECT_FALSE(ctx.check_hostname());
  EXPECT_EQ(ctx.num_tickets(), 2u);
  EXPECT_EQ(ctx.options(), 0x82520050u);
}

TEST(SslContext, DefaultContextAddsStrictAndPartialChain) {
  auto client = create_default_context();
  EXPECT_EQ(client.protocol(), ssl_protocol::tls_client);
  EXPECT_EQ(client.verify_flags(),
            verify_x509_trusted_first | verify_x509_strict | verify_x509_partial_chain);
  auto server = create_default_context(purpose::client_auth);
  EXPECT_EQ(server.protocol(), ssl_protocol::tls_server);
  EXPECT_EQ(server.verify_mode(), verify_mode::cert_none);
}

TEST(SslContext, CheckHostnameAndVerifyModeInterplay) {
  ssl_context ctx(ssl_protocol::tls_client);
  EXPECT_THROW_MSG(ctx.verify_mode(verify_mode::cert_none), value_error,
                   "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
  ctx.check_hostname(false);
  ctx.verify_mode(verify_mode::cert_none);
  ctx.check_hostname(true);
  EXPECT_EQ(ctx.verify_mode(), verify_mode::cert_required);
  ctx.check_hostname(false);
  ctx.verify_mode(verify_mode::cert_optional);
  EXPECT_EQ(ctx.verify_mode(), verify_mode::cert_optional);
}

TEST(SslContext, SettersRoundTrip) {
  ssl_context ctx(ssl_protocol::tls_server);
  ctx.minimum_version(tls_version::tlsv1_3);
  ctx.maximum_version(tls_version::tlsv1_3);
  EXPECT_EQ(ctx.minimum_version(), tls_version::tlsv1_3);
  EXPECT_EQ(ctx.maximum_version(), tls_version::tlsv1_3);
  ctx.options(ctx.options() | op_no_ticket);
  EXPECT_EQ(ctx.options(), 0x82520050u | op_no_ticket);
  ctx.num_tickets(0);
  EXPECT_EQ(ctx.num_tickets(), 0u);
  ctx.verify_flags(verify_x509_strict);
  EXPECT_EQ(ctx.verify_flags(), verify_x509_strict);
  ctx.hostname_checks_common_name(false);
  EXPECT_FALSE(ctx.hostname_checks_common_name());
  EXPECT_THROW_MSG(ssl_context(ssl_protocol::tls_client).num_tickets(1), value_error,
                   "SSLContext is not a server context.");
}

TEST(SslContext, LoadVerifyLocationsErrors) {
  ssl_context ctx(ssl_protocol::tls_client);
  EXPECT_THROW_MSG(ctx.load_verify_locations(std::nullopt), io::type_error,
                   "cafile, capath and cadata cannot be all omitted");
  EXPECT_THROW_MSG(ctx.load_verify_locations("/missing"), file_not_found_error,
                   "[Errno 2] No such file or directory");
  ctx.load_verify_locations(std::nullopt, "/missing-dir");  // lazy, as in Python
  EXPECT_THROW_WITH(ctx.load_verify_locations(std::nullopt, std::nullopt, std::string("garbage")),
                    ssl_error, [](const ssl_error& garbage) {
                      EXPECT_STREQ(garbage.what(),
                                   "no start line: cadata does not contain a certificate");
                      EXPECT_EQ(garbage.errno_value(), 0);
                      EXPECT_FALSE(garbage.library());
                    });
  ctx.load_verify_locations(std::nullopt, std::nullopt, read_file(tls_file("ca.pem")));
}

TEST(SslContext, LoadCertChainErrors) {
  ssl_context ctx(ssl_protocol::tls_server);
  EXPECT_THROW_MSG(ctx.load_cert_chain("/missing"), file_not_found_error,
                   "[Errno 2] No such file or directory");
  EXPECT_THROW_WITH(ctx.load_cert_chain(tls_file("server.pem"), tls_file("client.key")), ssl_error,
                    [](const ssl_error& mismatch) {
                      EXPECT_STREQ(mismatch.what(),
                                   "[X509: KEY_VALUES_MISMATCH] key values mismatch");
                      EXPECT_EQ(mismatch.errno_value(), 116);
                      EXPECT_EQ(mismatch.library(), "X509");
                      EXPECT_EQ(mismatch.reason(), "KEY_VALUES_MISMATCH");
                    });
  EXPECT_THROW_WITH(
      ctx.load_cert_chain(tls_file("server.pem"), tls_file("server_enc.key"), std::string("wrong")),
      ssl_error, [](const ssl_error& wrong) {
        EXPECT_STREQ(wrong.what(), "[SSL] PEM lib");
        EXPECT_EQ(wrong.errno_value(), 524297);
        EXPECT_EQ(wrong.library(), "SSL");
        EXPECT_FALSE(wrong.reason());
      });
  ctx.load_cert_chain(tls_file("server.pem"), tls_file("server_enc.key"), std::string("secret"));
  ctx.load_cert_chain(tls_file("server.pem"), tls_file("server_enc.key"),
                      std::function<std::string()>([] { return std::string("secret"); }));
}

TEST(SslContext, CipherAndAlpnErrors) {
  ssl_context ctx(ssl_protocol::tls_client);
  EXPECT_THROW_WITH(ctx.set_ciphers("BOGUS"), ssl_error, [](const ssl_error& bogus) {
    EXPECT_STREQ(bogus.what(), "No cipher can be selected.");
    EXPECT_FALSE(bogus.errno_value());
  });
  EXPECT_THROW_MSG(ctx.set_alpn_protocols({""}), ssl_error,
                   "ALPN protocols must be 1 to 255 in length");
  ctx.set_ciphers("ECDHE+AESGCM");
}

// The first word of each line of a key log file.
std::vector<std::string> keylog_labels(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);)
    labels.push_back(line.substr(0, line.find(' ')));
  return labels;
}

// A fresh directory for a test's files, removed at the end.
struct scratch_dir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("pysock-test-ssl-" + std::to_string(::getpid()));
  scratch_dir() { std::filesystem::create_directories(path); }
  ~scratch_dir() { std::filesystem::remove_all(path); }
};

TEST(SslContext, KeylogFilenameAppendsTheSecretsOfEachHandshake) {
  scratch_dir dir;
  const auto log = dir.path / "keys.log";
  auto client_ctx = client_context();
  EXPECT_FALSE(client_ctx.keylog_filename());
  client_ctx.keylog_filename(log);
  EXPECT_EQ(client_ctx.keylog_filename(), log);
  EXPECT_EQ(keylog_labels(log), std::vector<std::string>{"#"});  // the comment line only
  connected(server_context(), client_ctx);
  const std::vector<std::string> tls13{"#",
                                       "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                                       "EXPORTER_SECRET",
                                       "SERVER_TRAFFIC_SECRET_0",
                                       "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                                       "CLIENT_TRAFFIC_SECRET_0"};
  auto labels = keylog_labels(log);
  EXPECT_EQ(std::multiset<std::string>(labels.begin(), labels.end()),
            std::multiset<std::string>(tls13.begin(), tls13.end()));
  auto again = client_context();
  again.keylog_filename(log);  // appends, no second comment line
  connected(server_context(), again);
  EXPECT_EQ(keylog_labels(log).size(), 2 * tls13.size() - 1);
  again.keylog_filename(std::nullopt);
  EXPECT_FALSE(again.keylog_filename());
  connected(server_context(), again);
  EXPECT_EQ(keylog_labels(log).size(), 2 * tls13.size() - 1);
}

TEST(SslContext, KeylogFilenameErrors) {
  scratch_dir dir;
  auto ctx = client_context();
  ctx.keylog_filename(dir.path / "keys.log");
  const auto missing = dir.path / "missing" / "keys.log";
  EXPECT_THROW_WITH(ctx.keylog_filename(missing), file_not_found_error,
                    [&](const file_not_found_error& e) {
                      EXPECT_EQ(e.errno_value(), ENOENT);
                      EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos);
                    });
  EXPECT_FALSE(ctx.keylog_filename());  // the previous file is closed first, as in Python
  EXPECT_THROW(ctx.keylog_filename(dir.path), is_a_directory_error);
}

TEST(SslContext, CreateDefaultContextReadsSslKeylogFile) {
  scratch_dir dir;
  const auto log = dir.path / "env.log";
  ASSERT_EQ(::setenv("SSLKEYLOGFILE", log.c_str(), 1), 0);
  EXPECT_EQ(client_context().keylog_filename(), log);
  EXPECT_EQ(create_default_context(purpose::client_auth).keylog_filename(), log);
  EXPECT_EQ(keylog_labels(log), std::vector<std::string>{"#"});
  ::setenv("SSLKEYLOGFILE", "", 1);
  EXPECT_FALSE(client_context().keylog_filename());
  ::setenv("SSLKEYLOGFILE", (dir.path / "missing" / "x").c_str(), 1);
  EXPECT_THROW(client_context(), file_not_found_error);
  ::unsetenv("SSLKEYLOGFILE");
  EXPECT_FALSE(client_context().keylog_filename());
  EXPECT_FALSE(ssl_context(ssl_protocol::tls_client).keylog_filename());
}

// ---- wrap_socket, handshake, peer information -----------------------------------------------

TEST(SslSocket, WrapArgumentErrorsLeaveTheSocketWithTheCaller) {
  auto ctx = client_context();
  socket dgram(family::inet, sock_type::dgram);
  EXPECT_THROW_MSG(ctx.wrap_socket(std::move(dgram)), not_implemented_error,
                   "only stream sockets are supported");
  EXPECT_NE(dgram.fileno(), -1);
  socket s;
  EXPECT_THROW_MSG(ctx.wrap_socket(std::move(s)), value_error,
                   "check_hostname requires server_hostname");
  EXPECT_THROW_MSG(
      server_context().wrap_socket(std::move(s), {.server_side = true, .server_hostname = "x"}),
      value_error, "server_hostname can only be specified in client mode");
  EXPECT_THROW_MSG(ctx.wrap_socket(std::move(s), {.server_hostname = ".example.com"}), value_error,
                   "server_hostname cannot be an empty string or start with a leading dot.");
  auto a_b = pysock::socketpair();
  [[maybe_unused]] auto& a = a_b.first;
  [[maybe_unused]] auto& b = a_b.second;
  a.setblocking(false);
  EXPECT_THROW_MSG(ctx.wrap_socket(std::move(a), {.server_hostname = "x"}), value_error,
                   "do_handshake_on_connect should not be specified for non-blocking sockets");
  EXPECT_NE(s.fileno(), -1);
  EXPECT_NE(a.fileno(), -1);
}

TEST(SslSocket, HandshakeGivesVersionCipherAndPeerCertificate) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  EXPECT_EQ(client.version(), "TLSv1.3");
  EXPECT_EQ(server.version(), "TLSv1.3");
  ASSERT_TRUE(client.cipher());
  EXPECT_EQ(client.cipher()->protocol, "TLSv1.3");
  EXPECT_EQ(client.cipher()->name, "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(client.cipher()->secret_bits, 256);
  EXPECT_FALSE(client.server_side());
  EXPECT_TRUE(server.server_side());
  EXPECT_EQ(client.server_hostname(), "localhost");
  EXPECT_FALSE(server.getpeercert());  // the client sent no certificate
  auto cert = client.getpeercert();
  ASSERT_TRUE(cert);
  using alt = peer_certificate::alt_name;
  EXPECT_EQ(cert->subject, (peer_certificate::name{{{"commonName", "localhost"}}}));
  EXPECT_EQ(cert->issuer, (peer_certificate::name{{{"commonName", "pysock test CA"}}}));
  EXPECT_EQ(cert->version, 3);
  EXPECT_EQ(cert->subject_alt_name, (std::vector<alt>{{"DNS", "localhost", {}},
                                                      {"IP Address", "127.0.0.1", {}},
                                                      {"IP Address", "0:0:0:0:0:0:0:1", {}}}));
  // The texts the openssl CLI prints for the same certificate.
  auto serial =
      pysock_test::run_command("openssl x509 -noout -serial -in " + tls_file("server.pem"));
  EXPECT_EQ("serial=" + cert->serial_number + "\n", serial.output);
  auto dates = pysock_test::run_command("openssl x509 -noout -dates -in " + tls_file("server.pem"));
  EXPECT_EQ("notBefore=" + cert->not_before + "\nnotAfter=" + cert->not_after + "\n", dates.output);
  auto der = client.getpeercert(binary_form);
  ASSERT_TRUE(der);
  auto expected = pysock_test::run_command("openssl x509 -outform DER -in " +
                                           tls_file("server.pem") + " | od -An -v -tx1 | wc -w");
  EXPECT_EQ(std::to_string(der->size()) + "\n", expected.output);
}

TEST(SslSocket, UnverifiedPeerCertificateIsEmpty) {
  auto ctx = client_context();
  ctx.check_hostname(false);
  ctx.verify_mode(verify_mode::cert_none);
  auto client_server = connected(server_context(), ctx);
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  auto cert = client.getpeercert();
  ASSERT_TRUE(cert);
  EXPECT_TRUE(cert->empty());
  EXPECT_TRUE(client.getpeercert(binary_form));
}

TEST(SslSocket, ApiShapeErrors) {
  auto ctx = client_context();
  socket unconnected;
  auto s = ctx.wrap_socket(std::move(unconnected), {.server_hostname = "localhost"});
  EXPECT_FALSE(s.version());
  EXPECT_FALSE(s.cipher());
  EXPECT_THROW_MSG(s.getpeercert(), value_error, "handshake not done yet");
  s.close();
  EXPECT_THROW_WITH(s.unwrap(), value_error, [](const value_error& unwrap) {
    EXPECT_TRUE(std::string(unwrap.what()).starts_with("No SSL wrapper around <pysock.ssl_socket"))
        << unwrap.what();
  });
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  std::array<std::byte, 4> buffer{};
  EXPECT_THROW_MSG(client.recv_into(buffer, 5), value_error,
                   "buffer too small for requested bytes");
  EXPECT_TRUE(client.repr().starts_with("<pysock.ssl_socket fd=")) << client.repr();
  client.close();
  EXPECT_FALSE(client.version());
  EXPECT_THROW_ERRNO(client.recv(1), os_error, EBADF);
}

TEST(SslSocket, WrappedListenerAcceptsServerSideSockets) {
  socket listener;
  listener.bind(inet_address{"127.0.0.1", 0});
  listener.listen();
  auto addr = listener.getsockname();
  auto tls_listener = server_context().wrap_socket(std::move(listener), {.server_side = true});
  tls_listener.settimeout(10s);
  auto server = std::async(std::launch::async, [&] {
    auto conn_peer = tls_listener.accept();
    [[maybe_unused]] auto& conn = conn_peer.first;
    [[maybe_unused]] auto& peer = conn_peer.second;
    EXPECT_TRUE(conn.server_side());
    auto got = conn.recv(100);
    conn.sendall(got);
    return got;
  });
  auto client = client_context().wrap_socket(socket(), {.server_hostname = "127.0.0.1"});
  client.settimeout(10s);
  client.connect(addr);  // handshakes here
  EXPECT_EQ(client.version(), "TLSv1.3");
  client.sendall("ping");
  EXPECT_EQ(client.recv(100), "ping");
  EXPECT_EQ(server.get(), "ping");
}

TEST(SslSocket, ConnectRefused) {
  auto ctx = client_context();
  const int port = pysock_test::unused_tcp_port();
  auto s = ctx.wrap_socket(socket(), {.server_hostname = "localhost"});
  EXPECT_EQ(s.connect_ex(inet_address{"127.0.0.1", static_cast<std::uint16_t>(port)}),
            ECONNREFUSED);
  auto s2 = ctx.wrap_socket(socket(), {.server_hostname = "localhost"});
  EXPECT_THROW(s2.connect(inet_address{"127.0.0.1", static_cast<std::uint16_t>(port)}),
               connection_refused_error);
}

TEST(SslSocket, BytesQueuedOnAnUnconnectedSocketAreRefused) {
  auto pair = pysock_test::tcp_pair();
  pair.first.sendall("early bytes");
  ::linger hard{1, 0};
  ::setsockopt(pair.first.fileno(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  pair.first.close();  // RST: the other end is no longer connected, yet holds the bytes
  pollfd reset{pair.second.fileno(), POLLRDHUP, 0};
  ASSERT_EQ(::poll(&reset, 1, 10000), 1);
  EXPECT_THROW_WITH(
      server_context().wrap_socket(std::move(pair.second), {.server_side = true}), ssl_error,
      [](const ssl_error& e) {
        EXPECT_STREQ(e.what(), "Closed before TLS handshake with data in recv buffer.");
        EXPECT_EQ(e.errno_value(), ENOTCONN);
        EXPECT_EQ(e.reason(), "Closed before TLS handshake with data in recv buffer.");
        EXPECT_FALSE(e.library());
      });
  // A socket that was never connected has nothing queued: wrapping it succeeds.
  auto fresh = client_context().wrap_socket(socket(), {.server_hostname = "localhost"});
  EXPECT_FALSE(fresh.version());
}

// ---- certificate verification ---------------------------------------------------------------

struct verify_case {
  std::string cert;
  std::string host;
  long code;
  std::string client_text;
  std::string server_text;  // empty: not checked
};

void expect_verification_failure(const verify_case& c) {
  SCOPED_TRACE(c.cert + " " + c.host);
  auto r = handshake(server_context(c.cert), client_context(), c.host);
  EXPECT_THROW_WITH(
      rethrow_if_failed(r.client_error), ssl_cert_verification_error,
      [&](const ssl_cert_verification_error& e) {
        EXPECT_EQ(e.verify_code(), c.code);
        EXPECT_EQ(std::string(e.what()),
                  "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: " + c.client_text);
        EXPECT_EQ(e.reason(), "CERTIFICATE_VERIFY_FAILED");
        EXPECT_EQ(e.library(), "SSL");
        EXPECT_EQ(e.errno_value(), 1);
      });
  if (!c.server_text.empty())
    EXPECT_THROW_MSG(rethrow_if_failed(r.server_error), ssl_error, c.server_text);
}

TEST(SslVerify, HostnameMismatch62) {
  expect_verification_failure({"server", "example.com", 62,
                               "Hostname mismatch, certificate is not valid for 'example.com'.",
                               "[SSL: SSLV3_ALERT_BAD_CERTIFICATE] sslv3 alert bad certificate"});
}

TEST(SslVerify, IpMismatch64) {
  expect_verification_failure({"server", "127.0.0.2", 64,
                               "IP address mismatch, certificate is not valid for '127.0.0.2'.",
                               "[SSL: SSLV3_ALERT_BAD_CERTIFICATE] sslv3 alert bad certificate"});
}

TEST(SslVerify, SelfSigned18) {
  expect_verification_failure({"selfsigned", "localhost", 18, "self-signed certificate",
                               "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca"});
}

TEST(SslVerify, UnknownCa20) {
  expect_verification_failure({"unknown_ca", "localhost", 20,
                               "unable to get local issuer certificate",
                               "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca"});
}

TEST(SslVerify, Expired10) {
  expect_verification_failure(
      {"expired", "localhost", 10, "certificate has expired",
       "[SSL: SSLV3_ALERT_CERTIFICATE_EXPIRED] sslv3 alert certificate expired"});
}

TEST(SslVerify, MissingAkidUnderStrict85) {
  expect_verification_failure({"noakid", "localhost", 85, "Missing Authority Key Identifier", ""});
}

TEST(SslVerify, IpAddressAndUppercaseNamesMatch) {
  for (std::string host : {"127.0.0.1", "LOCALHOST"}) {
    auto r = handshake(server_context(), client_context(), host);
    EXPECT_FALSE(r.client_error) << host;
  }
}

TEST(SslVerify, WildcardRules) {
  EXPECT_FALSE(
      handshake(server_context("wildcard"), client_context(), "a.example.test").client_error);
  for (std::string host : {"a.b.example.test", "example.test", "foo.partial.test"}) {
    auto r = handshake(server_context("wildcard"), client_context(), host);
    EXPECT_THROW_WITH(
        rethrow_if_failed(r.client_error), ssl_cert_verification_error,
        [&](const ssl_cert_verification_error& e) { EXPECT_EQ(e.verify_code(), 62) << host; });
  }
}

TEST(SslVerify, CommonNameOnlyUnlessDisabled) {
  auto ctx = client_context();
  ctx.verify_flags(verify_x509_trusted_first);  // STRICT would not matter; keep it plain
  EXPECT_FALSE(handshake(server_context("cn_only"), ctx, "localhost").client_error);
  ctx.hostname_checks_common_name(false);
  auto r = handshake(server_context("cn_only"), ctx, "localhost");
  EXPECT_THROW_WITH(rethrow_if_failed(r.client_error), ssl_cert_verification_error,
                    [](const ssl_cert_verification_error& e) { EXPECT_EQ(e.verify_code(), 62); });
}

// ---- negotiation ----------------------------------------------------------------------------

TEST(SslNegotiation, AlpnOverlapAndNone) {
  auto server_ctx = server_context();
  server_ctx.set_alpn_protocols({"h2", "http/1.1"});
  auto client_ctx = client_context();
  client_ctx.set_alpn_protocols({"http/1.1", "spam"});
  auto client_server = connected(server_ctx, client_ctx);
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  EXPECT_EQ(client.selected_alpn_protocol(), "http/1.1");
  EXPECT_EQ(server.selected_alpn_protocol(), "http/1.1");
  auto other = client_context();
  other.set_alpn_protocols({"spam"});
  auto c2_s2 = connected(server_ctx, other);  // no overlap: no ALPN, handshake succeeds
  [[maybe_unused]] auto& c2 = c2_s2.first;
  [[maybe_unused]] auto& s2 = c2_s2.second;
  EXPECT_FALSE(c2.selected_alpn_protocol());
  EXPECT_FALSE(s2.selected_alpn_protocol());
}

TEST(SslNegotiation, SniOnlyForDnsNames) {
  // openssl s_server presents server.pem only to a client whose SNI is "localhost", and the
  // self-signed certificate to the others: what the client verifies shows what it sent.
  for (std::string host : {"localhost", "127.0.0.1"}) {
    SCOPED_TRACE(host);
    pysock_test::child_process s_server(
        {"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0", "-cert",
         tls_file("selfsigned.pem"), "-key", tls_file("selfsigned.key"), "-servername", "localhost",
         "-cert2", tls_file("server.pem"), "-key2", tls_file("server.key"), "-naccept", "1"});
    std::optional<std::string> line;
    while ((line = s_server.read_line()) && !line->starts_with("ACCEPT ")) {
    }
    ASSERT_TRUE(line) << "s_server printed no ACCEPT line";
    const auto port = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
    auto client = client_context().wrap_socket(socket(), {.server_hostname = host});
    client.settimeout(10s);
    if (host == "localhost") {
      client.connect(inet_address{"127.0.0.1", port});
      EXPECT_EQ(client.getpeercert()->issuer,
                (peer_certificate::name{{{"commonName", "pysock test CA"}}}));
    } else {
      // No SNI for an IP address: the default certificate.
      EXPECT_THROW_WITH(
          client.connect(inet_address{"127.0.0.1", port}), ssl_cert_verification_error,
          [](const ssl_cert_verification_error& e) { EXPECT_EQ(e.verify_code(), 18); });
    }
  }
}

TEST(SslNegotiation, Tls12AndVersionMismatch) {
  auto server12 = server_context();
  server12.maximum_version(tls_version::tlsv1_2);
  auto client_server = connected(server12, client_context());
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  EXPECT_EQ(client.version(), "TLSv1.2");
  EXPECT_EQ(client.cipher()->name, "ECDHE-ECDSA-AES256-GCM-SHA384");
  auto client13 = client_context();
  client13.minimum_version(tls_version::tlsv1_3);
  auto r = handshake(server12, client13);
  EXPECT_THROW_MSG(rethrow_if_failed(r.client_error), ssl_error,
                   "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version");
  EXPECT_THROW_MSG(rethrow_if_failed(r.server_error), ssl_error,
                   "[SSL: UNSUPPORTED_PROTOCOL] unsupported protocol");
}

TEST(SslNegotiation, ClientCertificates) {
  auto server_ctx = server_context();
  server_ctx.verify_mode(verify_mode::cert_required);
  server_ctx.load_verify_locations(tls_file("ca.pem"));
  auto client_ctx = client_context();
  client_ctx.load_cert_chain(tls_file("client.pem"), tls_file("client.key"));
  auto client_server = connected(server_ctx, client_ctx);
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  ASSERT_TRUE(server.getpeercert());
  EXPECT_EQ(server.getpeercert()->subject,
            (peer_certificate::name{{{"commonName", "pysock client"}}}));
  // TLS 1.3 without a client certificate: the client's handshake succeeds and its first recv
  // fails; the server's handshake fails.
  auto r = handshake(server_ctx, client_context());
  ASSERT_FALSE(r.client_error);
  EXPECT_THROW_MSG(rethrow_if_failed(r.server_error), ssl_error,
                   "[SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE] peer did not return a certificate");
  EXPECT_THROW_MSG(r.client->recv(10), ssl_error,
                   "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required");
  // TLS 1.2: the client's handshake fails too.
  auto client12 = client_context();
  client12.maximum_version(tls_version::tlsv1_2);
  auto r12 = handshake(server_ctx, client12);
  EXPECT_THROW_MSG(rethrow_if_failed(r12.client_error), ssl_error,
                   "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure");
}

TEST(SslNegotiation, ClientCertificateForServersOnlyIsUnsuitable) {
  auto server_ctx = server_context();
  server_ctx.verify_mode(verify_mode::cert_required);
  server_ctx.load_verify_locations(tls_file("ca.pem"));
  auto client_ctx = client_context();
  client_ctx.load_cert_chain(tls_file("server.pem"), tls_file("server.key"));  // EKU serverAuth
  auto r = handshake(server_ctx, client_ctx);
  EXPECT_THROW_WITH(rethrow_if_failed(r.server_error), ssl_cert_verification_error,
                    [](const ssl_cert_verification_error& e) {
                      EXPECT_STREQ(e.what(),
                                   "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                   "unsuitable certificate purpose");
                      EXPECT_EQ(e.verify_code(), 26);
                      EXPECT_EQ(e.verify_message(), "unsuitable certificate purpose");
                    });
  ASSERT_FALSE(r.client_error);  // TLS 1.3: the client learns it from its first read
  EXPECT_THROW_MSG(
      r.client->recv(10), ssl_error,
      "[SSL: SSLV3_ALERT_UNSUPPORTED_CERTIFICATE] sslv3 alert unsupported certificate");
}

// ---- records, pending, data OpenSSL holds ----------------------------------------------------

TEST(SslRecords, OneRecordPerRecvAndPending) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  server.sendall(std::string(100, 'a'));
  server.sendall(std::string(50, 'b'));
  EXPECT_EQ(client.pending(), 0u);
  EXPECT_EQ(client.recv(10), std::string(10, 'a'));
  EXPECT_EQ(client.pending(), 90u);
  EXPECT_EQ(client.recv(1000), std::string(90, 'a'));
  EXPECT_EQ(client.recv(1000), std::string(50, 'b'));
  EXPECT_EQ(client.recv(0), "");
}

TEST(SslRecords, PendingDataIsReadWithoutWaiting) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  server.sendall(std::string(100, 'x'));
  EXPECT_EQ(client.recv(10).size(), 10u);
  client.settimeout(0.2s);  // the kernel is empty; OpenSSL holds 90 bytes
  EXPECT_EQ(client.recv(1000).size(), 90u);
}

TEST(SslRecords, TicketsAloneNeverSatisfyARead) {
  auto client_server = connected();  // TLS 1.3: the server sent two session tickets
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  client.settimeout(0.2s);
  EXPECT_THROW_MSG(client.recv(10), timeout_error, "The read operation timed out");
  server.sendall("data");
  client.settimeout(std::nullopt);  // blocking again: the data arrives
  EXPECT_EQ(client.recv(10), "data");
}

// ---- timeouts ----------------------------------------------------------------------------------

TEST(SslTimeout, HandshakeAgainstASilentPeer) {
  auto a_b = pysock::socketpair();
  [[maybe_unused]] auto& a = a_b.first;
  [[maybe_unused]] auto& b = a_b.second;
  a.settimeout(0.2s);
  EXPECT_THROW_WITH(client_context().wrap_socket(std::move(a), {.server_hostname = "localhost"}),
                    timeout_error, [](const timeout_error& e) {
                      EXPECT_STREQ(e.what(), "The handshake operation timed out");
                      EXPECT_FALSE(e.errno_value());
                      EXPECT_EQ(e.code(), std::errc::timed_out);
                    });
}

TEST(SslTimeout, ReadTimeoutRepeatsOnTheSocketButPoisonsTheFile) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  client.settimeout(0.1s);
  EXPECT_THROW_MSG(client.recv(10), timeout_error, "The read operation timed out");
  EXPECT_THROW_MSG(client.recv(10), timeout_error, "The read operation timed out");
  auto file = client.makefile("rb");
  EXPECT_THROW(file.read(10), timeout_error);
  EXPECT_THROW_MSG(file.read(10), os_error, "cannot read from timed out object");
}

TEST(SslTimeout, WriteToANonReadingPeer) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  client.settimeout(0.2s);
  const std::string block(1 << 16, 'x');
  EXPECT_THROW_MSG(for (;;) client.send(block), timeout_error, "The write operation timed out");
}

TEST(SslTimeout, SendallHasOneDeadline) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  client.settimeout(0.3s);
  const std::string big(8 << 20, 'x');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW_MSG(client.sendall(big), timeout_error, "The write operation timed out");
  // One deadline for the whole call, however many waits it made: never much less than 0.3 s.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 0.29s);
}

TEST(SslTimeout, SendallToASlowReaderHasOneDeadline) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  std::atomic<bool> done{false};
  auto reader = std::async(std::launch::async, [&] {
    server.settimeout(0.2s);
    std::size_t got = 0;
    const auto give_up = std::chrono::steady_clock::now() + 6s;  // then a broken sendall ends
    while (!done && std::chrono::steady_clock::now() < give_up) {
      try {
        got += server.recv(4096).size();
      } catch (const timeout_error&) {  // a record cut short by the writer's timeout
      }
      std::this_thread::sleep_for(5ms);  // slow, not stopped: every wait of sendall succeeds
    }
    return got;
  });
  client.settimeout(0.5s);
  const std::string big(8 << 20, 'x');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW_MSG(client.sendall(big), timeout_error, "The write operation timed out");
  const auto took = std::chrono::steady_clock::now() - start;
  done = true;
  EXPECT_GE(took, 0.5s);
  EXPECT_LT(took, 5s);  // one deadline for the call, not one per wait
  EXPECT_GT(reader.get(), 0u);
}

// The calls resume after a signal without SA_RESTART (tls.md 4.3 #13, PEP 475): SIGALRM is sent
// to the waiting thread only once /proc shows it inside ppoll, so each signal interrupts a wait.
std::atomic<int> alarms{0};
void count_alarm(int) {
  alarms.fetch_add(1);
}

bool waiting_in_ppoll(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long number = -1;
  in >> number;  // "running" outside a system call
  return in && number == SYS_ppoll;
}

// Sends `times` SIGALRMs to `target` (kernel id `tid`), each while it waits in ppoll.
void interrupt_waits(pthread_t target, pid_t tid, int times) {
  const auto limit = std::chrono::steady_clock::now() + 10s;
  for (int i = 0; i < times && std::chrono::steady_clock::now() < limit; ++i) {
    while (!waiting_in_ppoll(tid) && std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(1ms);
    const int before = alarms;
    ::pthread_kill(target, SIGALRM);
    while (alarms == before && std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(1ms);
  }
}

struct alarm_handler {
  alarm_handler() {
    struct sigaction action {};
    action.sa_handler = count_alarm;  // no SA_RESTART
    ::sigaction(SIGALRM, &action, &previous);
  }
  ~alarm_handler() { ::sigaction(SIGALRM, &previous, nullptr); }
  struct sigaction previous {};
};

TEST(SslSignals, InterruptedReadsResume) {
  alarm_handler handler;
  for (const std::optional<std::chrono::duration<double>> t :
       {std::optional<std::chrono::duration<double>>{}, {30s}}) {
    auto client_server = connected();
    [[maybe_unused]] auto& client = client_server.first;
    [[maybe_unused]] auto& server = client_server.second;
    client.settimeout(t);
    alarms = 0;
    auto signaller =
        std::async(std::launch::async, [&, target = ::pthread_self(), tid = ::gettid()] {
          interrupt_waits(target, tid, 3);
          server.sendall("after three signals");
        });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(client.recv(100), "after three signals");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
    signaller.get();
    EXPECT_EQ(alarms, 3);
  }
}

TEST(SslSignals, InterruptedHandshakeResumes) {
  alarm_handler handler;
  alarms = 0;
  auto pair = pysock::socketpair();
  auto server = std::async(
      std::launch::async,
      [s = std::move(pair.second), target = ::pthread_self(), tid = ::gettid()]() mutable {
        interrupt_waits(target, tid, 3);  // the client waits for the reply
        s.settimeout(10s);
        return server_context().wrap_socket(std::move(s), {.server_side = true});
      });
  auto client =
      client_context().wrap_socket(std::move(pair.first), {.server_hostname = "localhost"});
  EXPECT_EQ(client.version(), "TLSv1.3");
  server.get();
  EXPECT_EQ(alarms, 3);
}

TEST(SslTimeout, WriteAfterAWriteTimeoutWaitsForRoomFirst) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  client.settimeout(0.05s);
  const std::string big(1 << 20, 'x');  // more than the socket takes: OpenSSL keeps a record
  EXPECT_THROW(client.send(big), timeout_error);
  // _ssl.c polls for room before SSL_write, so the shorter retry times out; handed to OpenSSL,
  // it would be "[SSL: BAD_LENGTH] bad length".
  EXPECT_THROW_MSG(client.send("0123456789"), timeout_error, "The write operation timed out");
}

// A relay between two socketpairs, so that a test can hold back part of a record.
class relay {
 public:
  relay() {
    auto c_r1 = pysock::socketpair();
    [[maybe_unused]] auto& c = c_r1.first;
    [[maybe_unused]] auto& r1 = c_r1.second;
    auto s_r2 = pysock::socketpair();
    [[maybe_unused]] auto& s = s_r2.first;
    [[maybe_unused]] auto& r2 = s_r2.second;
    client_end = std::move(c);
    server_end = std::move(s);
    to_client_ = std::move(r1);
    to_server_ = std::move(r2);
    thread_ = std::thread([this] { forward(); });
  }
  ~relay() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
  }
  // After stop(): the raw bytes the server sent, and a way to pass them on.
  std::string take_from_server(std::size_t n) {
    std::string data;
    to_server_.settimeout(10s);
    while (data.size() < n)
      data += to_server_.recv(n - data.size());
    return data;
  }
  void give_to_client(std::string_view data) { to_client_.sendall(data); }

  socket client_end, server_end;

 private:
  void forward() {
    to_client_.settimeout(0.02s);
    to_server_.settimeout(0.02s);
    while (!stop_) {
      pump(to_client_, to_server_);
      pump(to_server_, to_client_);
    }
  }
  static void pump(socket& from, socket& to) {
    try {
      auto data = from.recv(65536);
      if (!data.empty()) to.sendall(data);
    } catch (const timeout_error&) {
    }
  }
  socket to_client_, to_server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(SslTimeout, MidRecordTimeoutKeepsThePartialRecord) {
  auto ctx = server_context();
  ctx.num_tickets(0);  // no tickets in flight: the relay sees only the data record
  relay r;
  auto client_server =
      connected(ctx, client_context(), {std::move(r.client_end), std::move(r.server_end)});
  auto& client = client_server.first;
  auto& server = client_server.second;
  r.stop();
  server.sendall(std::string(1000, 'z'));
  const std::string record = r.take_from_server(1000 + 22);  // header 5 + type 1 + tag 16
  r.give_to_client(record.substr(0, 20));
  client.settimeout(0.2s);
  EXPECT_THROW_MSG(client.recv(2000), timeout_error, "The read operation timed out");
  EXPECT_EQ(client.pending(), 0u);
  r.give_to_client(record.substr(20));
  EXPECT_EQ(client.recv(2000), std::string(1000, 'z'));
}

// ---- non-blocking
// --------------------------------------------------------------------------------

TEST(SslNonBlocking, WantErrors) {
  auto a_b = pysock::socketpair();
  [[maybe_unused]] auto& a = a_b.first;
  [[maybe_unused]] auto& b = a_b.second;
  a.setblocking(false);
  auto client = client_context().wrap_socket(
      std::move(a), {.server_hostname = "localhost", .do_handshake_on_connect = false});
  EXPECT_THROW_WITH(client.do_handshake(), ssl_want_read_error, [](const ssl_want_read_error& e) {
    EXPECT_STREQ(e.what(), "The operation did not complete (read)");
    EXPECT_EQ(e.errno_value(), 2);
    EXPECT_FALSE(e.library());
    EXPECT_FALSE(e.reason());
  });
}

TEST(SslNonBlocking, ReadableAfterHandshakeYetRecvWantsRead) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  client.setblocking(false);
  pollfd p{client.fileno(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);  // the session tickets
  EXPECT_THROW(client.recv(10), ssl_want_read_error);
  auto file = client.makefile("rb", {.buffering = 0});
  EXPECT_THROW(file.read(), ssl_want_read_error);  // as Python's SocketIO: not None
  EXPECT_THROW_MSG(client.sendfile(tls_file("ca.pem")), value_error,
                   "non-blocking sockets are not supported");
}

// Sends `block` on the non-blocking `client` until the path is full, which must end in Python's
// want-write error; how much went through.
std::size_t fill(ssl_socket& client, const std::string& block) {
  client.setblocking(false);
  std::size_t sent = 0;
  EXPECT_THROW_WITH(for (;;) sent += client.send(block), ssl_want_write_error,
                    [](const ssl_want_write_error& e) {
                      EXPECT_STREQ(e.what(), "The operation did not complete (write)");
                      EXPECT_EQ(e.errno_value(), 3);
                    });
  return sent;
}

TEST(SslNonBlocking, WantWriteThenAShorterRetryIsBadLength) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  const std::string block(1 << 16, 'x');
  EXPECT_GT(fill(client, block), 0u);
  EXPECT_THROW_MSG(client.send(std::string_view(block).substr(0, 10)), ssl_error,
                   "[SSL: BAD_LENGTH] bad length");
}

TEST(SslNonBlocking, RetryWithTheSameBytesCompletes) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  const std::string block(1 << 16, 'x');
  const std::size_t sent = fill(client, block);
  auto reader = std::async(std::launch::async, [&] {
    std::size_t got = 0;
    while (got < sent + block.size())
      got += server.recv(1 << 16).size();
    return got;
  });
  pollfd p{client.fileno(), POLLOUT, 0};
  for (;;) {
    ::poll(&p, 1, 1000);
    try {
      EXPECT_EQ(client.send(block), block.size());
      break;
    } catch (const ssl_want_write_error&) {
    }
  }
  EXPECT_EQ(reader.get(), sent + block.size());
}

// ---- EOF, close_notify, unwrap (tls.md 1.7) ----------------------------------------------------

TEST(SslEof, RaggedCloseIsEmptyWhenSuppressed) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  server.close();  // no close_notify, as Python
  EXPECT_EQ(client.recv(10), "");
  EXPECT_EQ(client.recv(10), "");
}

TEST(SslEof, RaggedCloseRaisesWithoutSuppress) {
  auto a_b = pysock::socketpair();
  [[maybe_unused]] auto& a = a_b.first;
  [[maybe_unused]] auto& b = a_b.second;
  std::optional<ssl_socket> server;
  std::thread t([&, s = std::move(b)]() mutable {
    server.emplace(server_context().wrap_socket(std::move(s), {.server_side = true}));
  });
  auto client = client_context().wrap_socket(
      std::move(a), {.server_hostname = "localhost", .suppress_ragged_eofs = false});
  t.join();
  server->close();
  EXPECT_THROW_WITH(client.recv(10), ssl_eof_error, [](const ssl_eof_error& first) {
    EXPECT_STREQ(first.what(),
                 "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol");
    EXPECT_EQ(first.errno_value(), 8);
    EXPECT_EQ(first.library(), "SSL");
    EXPECT_EQ(first.reason(), "UNEXPECTED_EOF_WHILE_READING");
  });
  EXPECT_THROW_WITH(client.recv(10), ssl_eof_error, [](const ssl_eof_error& second) {
    EXPECT_STREQ(second.what(), "EOF occurred in violation of protocol");
    EXPECT_FALSE(second.library());
  });
  EXPECT_THROW_MSG(client.send("x"), ssl_eof_error, "EOF occurred in violation of protocol");
}

TEST(SslEof, CloseNotifyOnCloseIsACleanEnd) {
  auto pair = pysock::socketpair();
  pair.first.settimeout(10s);
  pair.second.settimeout(10s);
  auto server = std::async(std::launch::async, [s = std::move(pair.second)]() mutable {
    return server_context().wrap_socket(std::move(s),
                                        {.server_side = true, .suppress_ragged_eofs = false});
  });
  auto client = client_context().wrap_socket(
      std::move(pair.first), {.server_hostname = "localhost", .close_notify_on_close = true});
  auto peer = server.get();
  client.sendall("bye");
  client.close();
  EXPECT_EQ(peer.recv(10), "bye");
  EXPECT_EQ(peer.recv(10), "");  // close_notify: no ssl_eof_error although not suppressed
  EXPECT_EQ(peer.recv(10), "");
}

TEST(SslEof, CloseNotifyGivesEmptyReadsAndUnwrapGivesThePlainSocket) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  auto peer = std::async(std::launch::async, [&] {
    socket plain = server.unwrap();
    EXPECT_TRUE(server.closed());
    plain.sendall("plaintext after TLS");
    return plain.recv(100);
  });
  EXPECT_EQ(client.recv(10), "");
  EXPECT_EQ(client.recv(10), "");
  socket plain = client.unwrap();
  EXPECT_EQ(plain.recv(100), "plaintext after TLS");
  plain.sendall("reply");
  EXPECT_EQ(peer.get(), "reply");
}

TEST(SslEof, DataAfterCloseNotifyFailsTheUnwrappingPeer) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  auto peer = std::async(std::launch::async, [&] {
    EXPECT_THROW_MSG(
        server.unwrap(), ssl_error,
        "[SSL: APPLICATION_DATA_AFTER_CLOSE_NOTIFY] application data after close notify");
  });
  EXPECT_EQ(client.recv(10), "");
  client.send("late");  // still works after the peer's close_notify
  peer.get();
}

TEST(SslEof, UnwrapAfterThePeerClosedTcp) {
  auto client_server = connected(server_context(), client_context(), pysock_test::tcp_pair());
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  server.close();
  EXPECT_THROW_MSG(client.unwrap(), ssl_eof_error,
                   "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol");
}

TEST(SslEof, ResetIsConnectionResetThenEof) {
  auto client_server = connected(server_context(), client_context(), pysock_test::tcp_pair());
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  server.settimeout(std::nullopt);
  ::linger hard{1, 0};
  server.shutdown(shut::rd);  // leaves TLS; the plain socket gets SO_LINGER 0
  ::setsockopt(server.fileno(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  server.close();
  EXPECT_THROW_ERRNO(client.recv(10), os_error, ECONNRESET);
  EXPECT_EQ(client.recv(10), "");  // latched: the stream ended
}

TEST(SslEof, ResetWithoutSuppressIsConnectionResetThenEofErrors) {
  auto pair = pysock_test::tcp_pair();
  pair.first.settimeout(10s);
  pair.second.settimeout(10s);
  auto server = std::async(std::launch::async, [s = std::move(pair.second)]() mutable {
    return server_context().wrap_socket(std::move(s), {.server_side = true});
  });
  auto client = client_context().wrap_socket(
      std::move(pair.first), {.server_hostname = "localhost", .suppress_ragged_eofs = false});
  auto peer = server.get();
  ::linger hard{1, 0};
  peer.shutdown(shut::rd);  // leaves TLS; the plain socket gets SO_LINGER 0
  ::setsockopt(peer.fileno(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  peer.close();
  EXPECT_THROW_ERRNO(client.recv(10), os_error, ECONNRESET);
  // Python: SSLEOFError, its first text with "[SSL: UNEXPECTED_EOF_WHILE_READING] "; here the
  // latched end of the stream (docs/differences.md).
  for (int i = 0; i < 2; ++i)
    EXPECT_THROW_MSG(client.recv(10), ssl_eof_error, "EOF occurred in violation of protocol");
  EXPECT_THROW(client.send("x"), ssl_eof_error);
}

TEST(SslEof, HandshakeFailuresOfTheServer) {
  auto a_b = pysock::socketpair();
  [[maybe_unused]] auto& a = a_b.first;
  [[maybe_unused]] auto& b = a_b.second;
  auto client = std::async(std::launch::async, [c = std::move(a)]() mutable {
    c.sendall("GET / HTTP/1.0\r\n\r\n");
    try {
      // The server's alert, or a reset: it closes with the request unread.
      static_cast<void>(c.recv(100));
    } catch (const connection_reset_error&) {
    }
  });
  EXPECT_THROW_MSG(server_context().wrap_socket(std::move(b), {.server_side = true}), ssl_error,
                   "[SSL: HTTP_REQUEST] http request");
  client.get();
  auto c_d = pysock::socketpair();
  [[maybe_unused]] auto& c = c_d.first;
  [[maybe_unused]] auto& d = c_d.second;
  d.close();
  EXPECT_THROW_MSG(server_context().wrap_socket(std::move(c), {.server_side = true}), ssl_eof_error,
                   "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol");
}

// ---- SIGPIPE: every write path, in a child with SIGPIPE at its default
// ----------------------------- Both mechanisms (ssl/bio.hpp): pysock's MSG_NOSIGNAL BIO (the
// default) and OpenSSL's socket BIO under the per-call guard (what a context with op_enable_ktls
// gets).

ssl_context with_ktls(ssl_context ctx, bool ktls) {
  if (ktls) ctx.options(ctx.options() | op_enable_ktls);
  return ctx;
}

template <class Body>
void expect_no_sigpipe(Body body) {
  for (bool ktls : {false, true}) {
    auto result = pysock_test::run_in_child([&] {
      ::signal(SIGPIPE, SIG_DFL);
      body(ktls);
    });
    EXPECT_EQ(result.signal, 0) << "killed by signal " << result.signal << ", ktls " << ktls;
    EXPECT_EQ(result.exit_code, 0) << result.output;
  }
}

// The peer's TCP end is gone: every write of `client` meets EPIPE.
std::pair<ssl_socket, ssl_socket> connected_then_gone(bool ktls) {
  auto client_server = connected(with_ktls(server_context(), ktls),
                                 with_ktls(client_context(), ktls), pysock_test::tcp_pair());
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  server.shutdown(shut::rdwr);
  server.close();
  return {std::move(client), std::move(server)};
}

void expect_broken_pipe(const std::function<void()>& write) {
  for (int i = 0; i < 100; ++i) {
    try {
      write();
    } catch (const broken_pipe_error&) {
      return;
    } catch (const connection_reset_error&) {
      return;
    }
  }
  throw std::runtime_error("no broken_pipe_error");
}

TEST(SslSigpipe, SendAndSendall) {
  expect_no_sigpipe([](bool ktls) {
    auto client_server = connected_then_gone(ktls);
    [[maybe_unused]] auto& client = client_server.first;
    [[maybe_unused]] auto& server = client_server.second;
    expect_broken_pipe([&] { client.send("x"); });
  });
  expect_no_sigpipe([](bool ktls) {
    auto client_server = connected_then_gone(ktls);
    [[maybe_unused]] auto& client = client_server.first;
    [[maybe_unused]] auto& server = client_server.second;
    expect_broken_pipe([&] { client.sendall(std::string(100000, 'x')); });
  });
}

TEST(SslSigpipe, SendfileAndCloseNotify) {
  expect_no_sigpipe([](bool ktls) {
    auto client_server = connected_then_gone(ktls);
    [[maybe_unused]] auto& client = client_server.first;
    [[maybe_unused]] auto& server = client_server.second;
    expect_broken_pipe([&] { client.sendfile(tls_file("ca.pem")); });
  });
  expect_no_sigpipe([](bool ktls) {
    auto pair = pysock_test::tcp_pair();
    std::thread server([&, s = std::move(pair.second)]() mutable {
      with_ktls(server_context(), ktls).wrap_socket(std::move(s), {.server_side = true});
    });  // the server's ssl_socket closes at once
    auto client = with_ktls(client_context(), ktls)
                      .wrap_socket(std::move(pair.first),
                                   {.server_hostname = "localhost", .close_notify_on_close = true});
    server.join();
    client.send("x");  // the peer answers with a reset
    ::usleep(1000);
    client.close();  // close_notify into the reset connection
  });
  expect_no_sigpipe([](bool ktls) {
    auto client_server = connected_then_gone(ktls);
    [[maybe_unused]] auto& client = client_server.first;
    [[maybe_unused]] auto& server = client_server.second;
    client.send("x");  // the peer answers with a reset, so close_notify meets EPIPE
    ::usleep(1000);
    try {
      client.unwrap();
    } catch (const os_error&) {
    }
  });
}

TEST(SslSigpipe, HandshakeAlertAndClientHello) {
  expect_no_sigpipe([](bool ktls) {
    // The client hello goes to a peer that closed: EPIPE or a reset, never a signal.
    auto a_b = pysock_test::tcp_pair();
    [[maybe_unused]] auto& a = a_b.first;
    [[maybe_unused]] auto& b = a_b.second;
    b.close();
    try {
      with_ktls(client_context(), ktls).wrap_socket(std::move(a), {.server_hostname = "localhost"});
    } catch (const os_error&) {
    }
  });
  expect_no_sigpipe([](bool ktls) {
    // The server's alert for a plaintext request goes to a client that is gone.
    auto a_b = pysock_test::tcp_pair();
    [[maybe_unused]] auto& a = a_b.first;
    [[maybe_unused]] auto& b = a_b.second;
    a.sendall("GET / HTTP/1.0\r\n\r\n");
    a.close();
    try {
      with_ktls(server_context(), ktls).wrap_socket(std::move(b), {.server_side = true});
    } catch (const os_error&) {
    }
  });
}

TEST(SslSigpipe, ProcessDispositionAndMaskUntouched) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  struct sigaction before {};
  ::sigaction(SIGPIPE, nullptr, &before);
  sigset_t mask_before;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask_before);
  client.sendall("x");
  EXPECT_EQ(server.recv(1), "x");
  struct sigaction after {};
  ::sigaction(SIGPIPE, nullptr, &after);
  sigset_t mask_after;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask_after);
  EXPECT_EQ(before.sa_handler, after.sa_handler);
  EXPECT_EQ(sigismember(&mask_before, SIGPIPE), sigismember(&mask_after, SIGPIPE));
}

// ---- sendfile
// -------------------------------------------------------------------------------------

TEST(SslSendfile, OffsetCountAndFinalPosition) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  const auto path = pysock_test::tls_certificates() / "sendfile.bin";
  std::string content;
  for (int i = 0; i < 30000; ++i)
    content += static_cast<char>('a' + i % 26);
  std::ofstream(path) << content;
  owned_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  auto reader = std::async(std::launch::async, [&] {
    std::string got;
    while (got.size() < 20000)
      got += server.recv(65536);
    return got;
  });
  EXPECT_EQ(client.sendfile(file.get(), 100, 20000), 20000u);
  EXPECT_EQ(::lseek(file.get(), 0, SEEK_CUR), 20100);
  EXPECT_EQ(reader.get(), content.substr(100, 20000));
  EXPECT_THROW_MSG(client.sendfile(file.get(), 0, 0), value_error,
                   "count must be a positive integer (got 0)");
}

// ssl_socket::sendfile takes SSL_sendfile exactly when BIO_get_ktls_send reports the send side
// in kernel TLS; detail::ktls_send_reported forces that report (-1: ask OpenSSL). Run on a kernel
// with the tls module (`modprobe tls`) the first test takes the kTLS path for real.

struct forced_ktls_report {
  explicit forced_ktls_report(int report) { detail::ktls_send_reported = report; }
  ~forced_ktls_report() { detail::ktls_send_reported = -1; }
};

bool kernel_offers_tls() {
  return read_file("/proc/sys/net/ipv4/tcp_available_ulp").find("tls") != std::string::npos;
}

ssl_context ktls_server_context() {
  auto ctx = server_context();
  ctx.options(ctx.options() | op_enable_ktls);
  return ctx;
}

// The bytes each path of ssl_socket::sendfile moved while `send` ran.
struct sendfile_paths {
  std::uint64_t ktls = 0, copied = 0;
  friend bool operator==(const sendfile_paths&, const sendfile_paths&) = default;
};

template <class Send>
sendfile_paths paths_taken_by(Send send) {
  auto& stats = detail::ssl_sendfile_stats();
  const sendfile_paths before{stats.zero_copy_bytes, stats.fallback_bytes};
  send();
  return {stats.zero_copy_bytes - before.ktls, stats.fallback_bytes - before.copied};
}

// Sends a file of 200,003 bytes from the server end of a TCP pair made with `server_ctx` and
// checks what the client received.
sendfile_paths sendfile_over_tcp(ssl_context server_ctx) {
  auto client_server = connected(std::move(server_ctx), client_context(), pysock_test::tcp_pair());
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  scratch_dir dir;
  std::string content;
  for (int i = 0; i < 200003; ++i)
    content += static_cast<char>('a' + i % 26);
  std::ofstream(dir.path / "file.bin") << content;
  auto reader = std::async(std::launch::async, [&] {
    std::string got;
    while (got.size() < content.size())
      got += client.recv(65536);
    return got;
  });
  const auto paths =
      paths_taken_by([&] { EXPECT_EQ(server.sendfile(dir.path / "file.bin"), content.size()); });
  EXPECT_EQ(reader.get(), content);
  return paths;
}

TEST(SslSendfile, KernelTlsExactlyWhenOpenSslReportsIt) {
  const bool ktls = kernel_offers_tls();
  const auto paths = sendfile_over_tcp(ktls_server_context());
  EXPECT_EQ(paths, (ktls ? sendfile_paths{200003, 0} : sendfile_paths{0, 200003}))
      << "'tls' in tcp_available_ulp: " << ktls << "; SSL_sendfile moved " << paths.ktls
      << " bytes, read + SSL_write " << paths.copied;
}

TEST(SslSendfile, ReportedNoKernelTlsTakesReadAndWrite) {
  forced_ktls_report no(0);
  EXPECT_EQ(sendfile_over_tcp(ktls_server_context()), (sendfile_paths{0, 200003}));
}

TEST(SslSendfile, ReportedKernelTlsCallsSslSendfile) {
  // pysock's MSG_NOSIGNAL BIO is never in kernel TLS, so OpenSSL's SSL_sendfile, reached only
  // through the forced report, refuses: the error proves which call was made.
  forced_ktls_report yes(1);
  auto client_server = connected();
  [[maybe_unused]] auto& server = client_server.second;
  const auto paths = paths_taken_by([&] {
    EXPECT_THROW_WITH((void)server.sendfile(tls_file("ca.pem")), ssl_error,
                      [](const ssl_error& refused) {
                        EXPECT_EQ(refused.reason(), "UNINITIALIZED") << refused.what();
                      });
  });
  EXPECT_EQ(paths, (sendfile_paths{0, 0}));
}

// With op_enable_ktls the handshake runs on OpenSSL's socket BIO, each call under the SIGPIPE
// guard; once it is done without kernel TLS, pysock's MSG_NOSIGNAL BIO takes over and no later
// call is guarded (the SslSigpipe tests show that writes to a gone peer still raise no signal).
TEST(SslSendfile, NoSigpipeGuardAfterAHandshakeWithoutKernelTls) {
  if (kernel_offers_tls()) GTEST_SKIP() << "the kernel has the tls module: it may take the keys";
  const std::uint64_t before = detail::sigpipe_guards_taken;
  auto client_server =
      connected(ktls_server_context(), with_ktls(client_context(), true), pysock_test::tcp_pair());
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  const std::uint64_t after_handshake = detail::sigpipe_guards_taken;
  EXPECT_GT(after_handshake, before);  // the handshake ran guarded
  const auto content = std::string(300000, 'k');
  auto reader = std::async(std::launch::async, [&] {
    std::string got;
    while (got.size() < content.size())
      got += client.recv(65536);
    client.sendall("done");
    return got;
  });
  server.sendall(content);
  EXPECT_EQ(server.recv(10), "done");
  EXPECT_EQ(reader.get(), content);
  EXPECT_EQ(detail::sigpipe_guards_taken - after_handshake, 0u);
}

// ---- selectors (selectors.md 6): decrypted bytes inside OpenSSL are ready at once ------------

template <class S>
class SslSelectors : public ::testing::Test {};
using selector_types =
    ::testing::Types<default_selector<>, epoll_selector<>, poll_selector<>, select_selector<>>;
TYPED_TEST_SUITE(SslSelectors, selector_types);

TYPED_TEST(SslSelectors, RegisterUnregisterAndWriteReadiness) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  TypeParam sel;
  const auto& key = sel.register_(client, event_write, 7);
  EXPECT_EQ(key.fd, client.fileno());
  EXPECT_EQ(key.fileobj.template get<ssl_socket>(), &client);
  auto ready = sel.select(10.0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, event_write);
  EXPECT_EQ(std::any_cast<int>(ready[0].first.data), 7);
  sel.unregister(client);
  EXPECT_EQ(sel.get_map()->size(), 0u);
}

TYPED_TEST(SslSelectors, DecryptedBytesAreReadableWithoutWaiting) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  server.sendall(std::string(1000, 'r'));  // one record
  EXPECT_EQ(client.recv(100), std::string(100, 'r'));
  ASSERT_EQ(client.pending(), 900u);  // the kernel holds nothing: OpenSSL has the rest
  TypeParam sel;
  sel.register_(client, event_read);
  const auto start = std::chrono::steady_clock::now();
  auto ready = sel.select(20.0);  // Python's selectors wait the whole 20 s and return nothing
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, event_read);
  ready = sel.select(std::nullopt);  // and would block here for ever
  ASSERT_EQ(ready.size(), 1u);
  client.setblocking(false);
  EXPECT_EQ(client.recv(4096), std::string(900, 'r'));
  EXPECT_THROW(client.recv(4096), ssl_want_read_error);
  EXPECT_TRUE(sel.select(0).empty());  // nothing decrypted, nothing in the kernel
  sel.unregister(client);
}

// ---- makefile over TLS --------------------------------------------------------------------------

TEST(SslMakefile, EveryModeAndDeferredClose) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  server.sendall("line one\n");
  {
    auto text = client.makefile("r");
    EXPECT_EQ(text.readline(), "line one\n");
  }
  server.sendall("raw");
  {
    auto raw = client.makefile("rb", {.buffering = 0});
    EXPECT_EQ(raw.read(100), "raw");
  }
  server.sendall("line two\nrest");
  auto file = client.makefile("rwb");
  client.close();  // the file keeps the TLS connection
  EXPECT_EQ(file.readline(), "line two\n");
  file.write("to server\n");
  file.flush();
  EXPECT_EQ(server.recv(100), "to server\n");
  server.close();  // ragged: suppressed, the end of the stream
  EXPECT_EQ(file.read(), "rest");
  file.close();
  EXPECT_EQ(client.fileno(), -1);
}

TEST(SslMakefile, TextModeWithEncodingAndNewline) {
  auto client_server = connected();
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  auto out = server.makefile("w", {.encoding = "latin-1", .newline = "\r\n"});
  out.write("caf\xc3\xa9\n");
  out.flush();
  auto in = client.makefile("rb");
  EXPECT_EQ(in.readline(), "caf\xe9\r\n");
}

// ---- threads ------------------------------------------------------------------------------------

TEST(SslThreaded, FullDuplexOnOneSocket) {
  auto client_server = connected(server_context(), client_context(), pysock_test::tcp_pair());
  [[maybe_unused]] auto& client = client_server.first;
  [[maybe_unused]] auto& server = client_server.second;
  constexpr std::size_t total = 16 << 20;
  auto echo = std::async(std::launch::async, [&] {
    std::size_t n = 0;
    while (n < total) {
      auto data = server.recv(65536);
      if (data.empty()) break;
      server.sendall(data);
      n += data.size();
    }
    return n;
  });
  auto writer = std::async(std::launch::async, [&] {
    const std::string block(40000, 'w');
    for (std::size_t sent = 0; sent < total; sent += block.size())
      client.sendall(std::string_view(block).substr(0, std::min(block.size(), total - sent)));
  });
  std::size_t received = 0;
  while (received < total)
    received += client.recv(65536).size();
  writer.get();
  EXPECT_EQ(received, total);
  EXPECT_EQ(echo.get(), total);
}

}  // namespace
