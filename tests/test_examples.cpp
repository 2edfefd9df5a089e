// The example programs, driven as a user would run them.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "pysock/pysock.hpp"
#include "pysock/ssl.hpp"
#include "support/helpers.hpp"
#include "support/tls_certificates.hpp"

namespace {

using namespace std::chrono_literals;
using pysock_test::child_process;

#ifdef PYSOCK_EXAMPLES_DIR
const std::string examples_dir = PYSOCK_EXAMPLES_DIR;
#else
const std::string examples_dir;
#endif

// A running echo_server (or selector_echo_server) example and the port it listens on.
class echo_server_process {
 public:
  explicit echo_server_process(const std::string& program = "echo_server",
                               const std::vector<std::string>& more_arguments = {})
      : process_(arguments(program, more_arguments)) {
    const auto line = process_.read_line(30s);
    static const std::regex listening(R"(listening on \('127\.0\.0\.1', (\d+)\))");
    std::smatch match;
    if (!line || !std::regex_match(*line, match, listening))
      throw std::runtime_error("unexpected first line: " + line.value_or("<none>"));
    port_ = std::stoi(match[1]);
  }

  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }

  // Closes its stdin (the stop request) and returns how it ended.
  pysock_test::child_result stop() {
    process_.close_stdin();
    return process_.wait(30s);
  }

 private:
  static std::vector<std::string> arguments(const std::string& program,
                                            const std::vector<std::string>& more) {
    std::vector<std::string> argv{examples_dir + "/" + program, "0"};
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
  }

  child_process process_;
  int port_ = 0;
};

std::string random_bytes(std::size_t size, std::mt19937& rng) {
  std::string data(size, '\0');
  for (auto& c : data)
    c = static_cast<char>(rng());
  return data;
}

// Sends `total` random bytes in random-sized pieces and checks each piece comes back.
void echo_client(int port, std::size_t total, unsigned seed) {
  std::mt19937 rng(seed);
  pysock::socket s = pysock::create_connection("127.0.0.1", port, 30s);
  for (std::size_t sent = 0; sent < total;) {
    const std::size_t piece = std::min<std::size_t>(total - sent, 1 + rng() % 20000);
    const std::string data = random_bytes(piece, rng);
    s.sendall(data);
    std::string back;
    while (back.size() < piece) {
      const std::string chunk = s.recv(piece - back.size());
      if (chunk.empty()) throw std::runtime_error("echo_server closed early");
      back += chunk;
    }
    if (back != data) throw std::runtime_error("echo mismatch");
    sent += piece;
  }
}

void run_clients(int port, int clients, std::size_t bytes_each) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      try {
        echo_client(port, bytes_each, static_cast<unsigned>(i));
      } catch (const std::exception& e) {
        ADD_FAILURE() << "client " << i << ": " << e.what();
        ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures, 0);
}

// Like echo_client, through makefile("rwb"): random-sized writes, a flush, and a read of exactly
// as many bytes back from the buffered reader.
void echo_client_through_makefile(int port, std::size_t total, unsigned seed) {
  std::mt19937 rng(seed);
  pysock::socket s = pysock::create_connection("127.0.0.1", port, 60s);
  pysock::io::file f = s.makefile("rwb");
  for (std::size_t sent = 0; sent < total;) {
    const std::size_t piece = std::min<std::size_t>(total - sent, 1 + rng() % 40000);
    const std::string data = random_bytes(piece, rng);
    f.write(data);
    f.flush();
    const auto back = f.read(static_cast<std::ptrdiff_t>(piece));
    if (!back || *back != data) throw std::runtime_error("echo mismatch through makefile");
    sent += piece;
  }
}

// Waits (bounded) until process `pid` has at most `fds` open.
bool settles_to(pid_t pid, std::size_t fds) {
  for (int i = 0; i < 100; ++i) {
    if (pysock_test::open_fd_count(pid) <= fds) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// What drive_echo_clients saw.
struct load_report {
  std::size_t failures = 0;
  std::string first_failure;
  std::size_t held_at_once = 0;        // connections open at the same time, at most
  std::size_t server_fds_at_peak = 0;  // the server's open fds while all were connected
};

// One client of drive_echo_clients: its socket and where it is in its conversation.
struct load_client {
  pysock::socket sock;
  std::size_t id = 0;
  int echoed = 0;        // messages echoed so far
  std::string expected;  // the message in flight
  std::string received;
};

// The message `n` of client `id`: different for every client and message, 32 to 95 bytes.
std::string load_message(std::size_t id, int n) {
  std::string text = std::to_string(id) + ":" + std::to_string(n) + ":";
  text.resize(32 + (id * 7 + std::size_t(n) * 13) % 64, char('a' + id % 26));
  return text;
}

// Opens `clients` non-blocking connections to the server `pid` (in batches its backlog takes),
// holds them all, and runs `messages` echoes on each from this one thread with a
// default_selector, checking every byte. The server's fd count is sampled once every client
// has had its first echo (so the server holds them all). The sockets close with SO_LINGER 0:
// no TIME_WAIT is left to use up the ephemeral ports of the next run.
load_report drive_echo_clients(pid_t pid, int port, std::size_t clients, int messages) {
  load_report report;
  auto fail = [&](std::string what) {
    if (report.failures++ == 0) report.first_failure = std::move(what);
  };
  pysock::default_selector<load_client*> sel;
  std::vector<std::unique_ptr<load_client>> all;
  auto send_next = [&](load_client& c) {
    c.expected = load_message(c.id, c.echoed);
    c.received.clear();
    std::error_code ec;
    if (c.sock.sendall(c.expected, ec) != c.expected.size()) fail("send: " + ec.message());
  };
  constexpr std::size_t batch = 500;
  while (all.size() < clients) {
    std::size_t connecting = 0;
    for (; connecting < batch && all.size() < clients; ++connecting) {
      all.push_back(
          std::make_unique<load_client>(load_client{pysock::socket(), all.size(), 0, {}, {}}));
      load_client& c = *all.back();
      c.sock.setblocking(false);
      std::error_code ec;
      c.sock.connect(pysock::inet_address{"127.0.0.1", port}, ec);
      if (ec && ec != std::errc::operation_in_progress) fail("connect: " + ec.message());
      sel.register_(c.sock, pysock::event_write, &c);
    }
    while (connecting > 0) {  // every connection of the batch established
      const auto ready = sel.select(30.0);
      if (ready.empty()) return fail("connect timed out"), report;
      for (const auto& [key, events] : ready) {
        if (const int error = key.data->sock.getsockopt(SOL_SOCKET, SO_ERROR))
          fail("connect: " + std::generic_category().message(error));
        sel.modify(key.data->sock, pysock::event_read, key.data);
        --connecting;
      }
    }
  }
  report.held_at_once = sel.get_map()->size();
  for (auto& c : all)
    send_next(*c);
  std::size_t active = all.size();
  std::size_t first_echoes = 0;
  std::array<std::byte, 256> buffer{};
  while (active > 0) {
    const auto ready = sel.select(30.0);
    if (ready.empty()) return fail("echo timed out"), report;
    for (const auto& [key, events] : ready) {
      load_client& c = *key.data;
      std::error_code ec;
      const std::size_t n = c.sock.recv_into(buffer, ec);
      if (ec == std::errc::resource_unavailable_try_again) continue;
      if (ec || n == 0) {
        fail("recv: " + (ec ? ec.message() : std::string("early EOF")));
        sel.unregister(c.sock);
        --active;
        continue;
      }
      c.received.append(reinterpret_cast<const char*>(buffer.data()), n);
      if (c.received.size() < c.expected.size()) continue;
      if (c.received != c.expected) fail("echo mismatch: " + c.received);
      if (++c.echoed == 1 && ++first_echoes == clients)
        report.server_fds_at_peak = pysock_test::open_fd_count(pid);
      if (c.echoed < messages) {
        send_next(c);
      } else {
        sel.unregister(c.sock);
        --active;
      }
    }
  }
  const linger abort_on_close{1, 0};
  for (auto& c : all) {
    c->sock.setsockopt(SOL_SOCKET, SO_LINGER, std::as_bytes(std::span(&abort_on_close, 1)));
    c->sock.close();
  }
  return report;
}

class Example : public ::testing::Test {
 protected:
  void SetUp() override {
    if (examples_dir.empty()) GTEST_SKIP() << "the examples are not built (PYSOCK_EXAMPLES=OFF)";
  }
};

TEST_F(Example, EchoServerEchoesAndStopsCleanly) {
  echo_server_process server;
  run_clients(server.port(), 8, 256 * 1024);
  const auto result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("echo_server: stopped"), std::string::npos) << result.output;
}

TEST_F(Example, EchoServerStopsWithAnIdleClientConnected) {
  echo_server_process server;
  pysock::socket idle = pysock::create_connection("127.0.0.1", server.port(), 10s);
  // One round trip first: a connection still waiting in the backlog would be reset, not closed.
  idle.sendall("x");
  ASSERT_EQ(idle.recv(16), "x");
  const auto start = std::chrono::steady_clock::now();
  const auto result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(idle.recv(16), "");  // the server closed its side
}

// Issue 8's load test: 200 concurrent clients, 1 MiB each through makefile("rwb"), every byte
// verified; the server ends with the fds it started with, and its peak RSS is reported.
TEST_F(Example, EchoServerUnder200ClientsThroughMakefile) {
  echo_server_process server;
  const std::size_t fds_idle = pysock_test::open_fd_count(server.pid());
  constexpr int clients = 200;
  constexpr std::size_t bytes_each = 1 << 20;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      try {
        echo_client_through_makefile(server.port(), bytes_each, static_cast<unsigned>(i));
      } catch (const std::exception& e) {
        ADD_FAILURE() << "client " << i << ": " << e.what();
        ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failures, 0);
  EXPECT_TRUE(settles_to(server.pid(), fds_idle)) << "the server kept client fds open";
  std::cout << "200 clients x 1 MiB echoed in " << seconds << " s ("
            << 2.0 * clients * bytes_each / seconds / 1e6 << " MB/s both ways); server peak RSS "
            << pysock_test::peak_rss_kib(server.pid()) / 1024 << " MiB\n";
  const auto result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

// http_get against CPython's http.server: Content-Length and chunked bodies, and a 404; over
// TLS too, with the test CA in SSL_CERT_FILE, and a certificate for another name.
class HttpGet : public Example {
 protected:
  void SetUp() override { std::filesystem::create_directory(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // A server for `dir`; `tls`: certificate and key files. Returns its port.
  std::string serve(const std::string& tls = "") {
    servers.push_back(std::make_unique<child_process>(std::vector<std::string>{
        "/bin/sh", "-c",
        "exec env " + pysock_test::python_command() + " -u " + PYSOCK_SOURCE_DIR +
            "/tests/examples/http_server.py " + dir.string() + " " + tls}));
    const auto line = servers.back()->read_line(30s);
    EXPECT_TRUE(line && line->rfind("port ", 0) == 0) << line.value_or("<no output>");
    return line ? line->substr(5) : "0";
  }

  std::pair<pysock_test::child_result, std::string> get(const std::string& url,
                                                        const std::string& env = "") {
    const std::string body = (dir / "body.out").string();
    const auto result =
        pysock_test::run_command(env + " " + examples_dir + "/http_get " + url + " > " + body);
    std::ifstream in(body, std::ios::binary);
    return std::pair(result, std::string(std::istreambuf_iterator<char>(in), {}));
  }

  void expect_blob_both_ways(const std::string& base, const std::string& env = "") {
    const auto [plain, plain_body] = get(base + "/blob.bin", env);
    EXPECT_EQ(plain.exit_code, 0) << plain.output;
    EXPECT_NE(plain.output.find("HTTP/1.1 200 OK"), std::string::npos) << plain.output;
    EXPECT_NE(plain.output.find("content-length: 300000"), std::string::npos) << plain.output;
    EXPECT_TRUE(plain_body == content) << "Content-Length body differs";
    const auto [chunked, chunked_body] = get(base + "/chunked/blob.bin", env);
    EXPECT_EQ(chunked.exit_code, 0) << chunked.output;
    EXPECT_NE(chunked.output.find("transfer-encoding: chunked"), std::string::npos);
    EXPECT_TRUE(chunked_body == content) << "chunked body differs";
  }

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("pysock-http-" + std::to_string(::getpid()));
  const std::string content = [] {
    std::mt19937 rng(5);
    return random_bytes(300000, rng);
  }();
  std::vector<std::unique_ptr<child_process>> servers;
};

TEST_F(HttpGet, AgainstPythonHttpServer) {
  std::ofstream(dir / "blob.bin", std::ios::binary) << content;
  const std::string port = serve();
  expect_blob_both_ways("http://127.0.0.1:" + port);
  const auto [missing, missing_body] = get("http://127.0.0.1:" + port + "/nothing-here");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find(" 404 "), std::string::npos) << missing.output;
}

TEST_F(HttpGet, HttpsAgainstPythonHttpServer) {
  std::ofstream(dir / "blob.bin", std::ios::binary) << content;
  const std::string ca = "SSL_CERT_FILE=" + pysock_test::tls_file("ca.pem");
  const std::string port =
      serve(pysock_test::tls_file("server.pem") + " " + pysock_test::tls_file("server.key"));
  expect_blob_both_ways("https://127.0.0.1:" + port, ca);
  const auto [info, body] = get("https://127.0.0.1:" + port + "/blob.bin", ca);
  EXPECT_NE(info.output.find("TLS: TLSv1.3, TLS_"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("ALPN http/1.1"), std::string::npos) << info.output;
  // Without the CA the system store does not know the server.
  const auto [unknown, unknown_body] = get("https://127.0.0.1:" + port + "/blob.bin");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.output,
            "http_get: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get "
            "local issuer certificate\n");
  const std::string other =
      serve(pysock_test::tls_file("wildcard.pem") + " " + pysock_test::tls_file("wildcard.key"));
  const auto [wrong, wrong_body] = get("https://127.0.0.1:" + other + "/blob.bin", ca);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.output,
            "http_get: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address "
            "mismatch, certificate is not valid for '127.0.0.1'.\n");
}

// The TLS echo server: two verified clients at once, each piece echoed back intact, then a
// clean stop.
TEST_F(Example, TlsEchoServerEchoesOverTls) {
  echo_server_process server("tls_echo_server", {pysock_test::tls_file("server.pem"),
                                                 pysock_test::tls_file("server.key")});
  pysock::ssl_context context =
      pysock::create_default_context(pysock::purpose::server_auth, pysock_test::tls_file("ca.pem"));
  std::vector<pysock::ssl_socket> clients;
  for (int i = 0; i < 2; ++i)
    clients.push_back(
        context.wrap_socket(pysock::create_connection("127.0.0.1", server.port(), 10s),
                            {.server_hostname = "localhost"}));
  std::mt19937 rng(7);
  for (int round = 0; round < 8; ++round) {
    for (auto& client : clients) {
      const std::string piece = random_bytes(16 * 1024, rng);
      client.sendall(piece);
      std::string echoed;
      while (echoed.size() < piece.size()) {
        const std::string more = client.recv(65536);
        ASSERT_FALSE(more.empty()) << "the server closed early";
        echoed += more;
      }
      EXPECT_TRUE(echoed == piece) << "round " << round << ": the echo differs";
    }
  }
  EXPECT_EQ(clients.front().version(), "TLSv1.3");
  clients.clear();
  const auto result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("tls_echo_server: stopped"), std::string::npos) << result.output;
}

TEST_F(Example, TlsLikeSocketThroughMakefile) {
  const auto result = pysock_test::run_command(examples_dir + "/tls_like");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("on the wire: 21 bytes, unreadable"), std::string::npos);
  EXPECT_NE(result.output.find("tls_like: ok"), std::string::npos) << result.output;
}

TEST_F(Example, QuickstartPassesAndCleansUp) {
  const auto result = pysock_test::run_command(examples_dir + "/quickstart");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("quickstart: all checks passed"), std::string::npos);
  EXPECT_NE(result.output.find("finalize at exit removed"), std::string::npos) << result.output;
}

TEST_F(Example, FdPassing) {
  const auto result = pysock_test::run_command(examples_dir + "/fd_passing");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("fd_passing: ok"), std::string::npos) << result.output;
}

TEST_F(Example, SelectorEchoServerEchoesAndStopsCleanly) {
  echo_server_process server("selector_echo_server");
  run_clients(server.port(), 8, 256 * 1024);
  pysock::socket idle = pysock::create_connection("127.0.0.1", server.port(), 10s);
  idle.sendall("x");
  ASSERT_EQ(idle.recv(16), "x");
  const auto result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("selector_echo_server: stopped after 9 connections"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(idle.recv(16), "");  // the server closed its side
}

// A client that sends a lot before reading: the server stops reading from it while its echo
// waits, and everything arrives once the client reads.
TEST_F(Example, SelectorEchoServerWaitsForASlowReader) {
  echo_server_process server("selector_echo_server");
  pysock::socket client = pysock::create_connection("127.0.0.1", server.port(), 30s);
  std::mt19937 rng(3);
  const std::string data = random_bytes(8 << 20, rng);
  std::thread writer([&] { client.sendall(data); });
  std::string back;
  while (back.size() < data.size()) {
    const std::string chunk = client.recv(1 << 20);
    ASSERT_FALSE(chunk.empty());
    back += chunk;
  }
  writer.join();
  EXPECT_TRUE(back == data);
  client.close();
  EXPECT_EQ(server.stop().exit_code, 0);
}

// Issue 18's load test: 10,000 concurrent loopback connections to the one-thread selector
// server, driven by one client thread with its own selector; every connection echoes three
// messages, every byte is checked, the server ends with the fds it started with, and its peak
// RSS is reported (and bounded).
TEST_F(Example, SelectorEchoServerHolds10000Connections) {
  constexpr std::size_t clients = 10000;
  constexpr int messages = 3;
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  const rlim_t needed = clients + 256;
  if (limit.rlim_max < needed)
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << limit.rlim_max << " < " << needed;
  const rlimit saved = limit;
  limit.rlim_cur = std::max(limit.rlim_cur, needed);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);

  echo_server_process server("selector_echo_server");
  const std::size_t fds_idle = pysock_test::open_fd_count(server.pid());
  const auto start = std::chrono::steady_clock::now();
  const auto report = drive_echo_clients(server.pid(), server.port(), clients, messages);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(report.failures, 0u) << report.first_failure;
  EXPECT_GE(report.held_at_once, clients);
  EXPECT_GE(report.server_fds_at_peak, fds_idle + clients);
  EXPECT_TRUE(settles_to(server.pid(), fds_idle)) << "the server kept client fds open";
  const std::size_t rss_kib = pysock_test::peak_rss_kib(server.pid());
  std::cout << clients << " connections x " << messages << " echoes in " << seconds
            << " s; server peak RSS " << rss_kib / 1024 << " MiB (" << rss_kib * 1024 / clients
            << " bytes per connection)\n";
  if (!pysock_test::address_sanitized) {
    EXPECT_LT(rss_kib, 256u * 1024);
  }
  const auto result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  ::setrlimit(RLIMIT_NOFILE, &saved);
}

// Under the tsan preset the server itself is built with TSan: a race in it fails its exit code.
TEST(ExampleThreaded, EchoServerWithConcurrentClients) {
  if (examples_dir.empty()) GTEST_SKIP() << "the examples are not built";
  echo_server_process server;
  run_clients(server.port(), 16, 64 * 1024);
  const auto result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
