// The example programs, driven as a user would run them.
#include <gtest/gtest.h>
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
#include "support/helpers.hpp"

namespace {

using namespace std::chrono_literals;
using pysock_test::child_process;

#ifdef PYSOCK_EXAMPLES_DIR
const std::string examples_dir = PYSOCK_EXAMPLES_DIR;
#else
const std::string examples_dir;
#endif

// A running echo_server example and the port it listens on.
class echo_server_process {
 public:
  echo_server_process() : process_({examples_dir + "/echo_server", "0"}) {
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

// http_get against CPython's http.server: Content-Length and chunked bodies, and a 404.
TEST_F(Example, HttpGetAgainstPythonHttpServer) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("pysock-http-" + std::to_string(::getpid()));
  std::filesystem::create_directory(dir);
  std::mt19937 rng(5);
  const std::string content = random_bytes(300000, rng);
  std::ofstream(dir / "blob.bin", std::ios::binary) << content;
  child_process server({"/bin/sh", "-c",
                        "exec env " + pysock_test::python_command() + " -u " + PYSOCK_SOURCE_DIR +
                            "/tests/examples/http_server.py " + dir.string()});
  const auto line = server.read_line(30s);
  ASSERT_TRUE(line && line->rfind("port ", 0) == 0) << line.value_or("<no output>");
  const std::string port = line->substr(5);
  auto get = [&](const std::string& path) {
    const std::string body = (dir / "body.out").string();
    const auto result = pysock_test::run_command(examples_dir + "/http_get 127.0.0.1 " + port +
                                                 " " + path + " > " + body);
    std::ifstream in(body, std::ios::binary);
    return std::pair(result, std::string(std::istreambuf_iterator<char>(in), {}));
  };
  const auto [plain, plain_body] = get("/blob.bin");
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("HTTP/1.1 200 OK"), std::string::npos) << plain.output;
  EXPECT_NE(plain.output.find("content-length: 300000"), std::string::npos) << plain.output;
  EXPECT_TRUE(plain_body == content) << "Content-Length body differs";
  const auto [chunked, chunked_body] = get("/chunked/blob.bin");
  EXPECT_EQ(chunked.exit_code, 0) << chunked.output;
  EXPECT_NE(chunked.output.find("transfer-encoding: chunked"), std::string::npos);
  EXPECT_TRUE(chunked_body == content) << "chunked body differs";
  const auto [missing, missing_body] = get("/nothing-here");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find(" 404 "), std::string::npos) << missing.output;
  std::filesystem::remove_all(dir);
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

// Under the tsan preset the server itself is built with TSan: a race in it fails its exit code.
TEST(ExampleThreaded, EchoServerWithConcurrentClients) {
  if (examples_dir.empty()) GTEST_SKIP() << "the examples are not built";
  echo_server_process server;
  run_clients(server.port(), 16, 64 * 1024);
  const auto result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
