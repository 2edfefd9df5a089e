// Fault injection (issue 8): EINTR, EAGAIN, short reads and writes, resets and refusals at
// chosen or random points. pysock must retry what Python retries, move every byte exactly once,
// raise the right class for the rest, and leak no fd (the shared main checks).
#include <gtest/gtest.h>
#include <poll.h>

#include <cerrno>
#include <string>
#include <thread>

#include "pysock/error.hpp"
#include "pysock/socket.hpp"
#include "support/faults.hpp"
#include "support/helpers.hpp"

namespace {

using namespace pysock;
using pysock::socket;
using pysock_test::unix_pair;
using namespace pysock_test::faults;
using namespace std::chrono_literals;

std::string random_payload(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string data(size, '\0');
  for (auto& c : data)
    c = static_cast<char>(rng());
  return data;
}

// Reads until EOF on `s` in a thread; the result is everything received.
class collector {
 public:
  explicit collector(socket& s)
      : thread_([this, &s] {
          for (std::string chunk; !(chunk = s.recv(65536)).empty();)
            received_ += chunk;
        }) {}
  std::string finish() {
    thread_.join();
    return received_;
  }

 private:
  std::string received_;
  std::thread thread_;
};

TEST(Faults, RecvRetriesInjectedEintr) {
  auto [a, b] = unix_pair();
  b.sendall("payload");
  script plan;
  for (int i = 0; i < 1000; ++i)
    plan.then(call::recv, action::fail(EINTR));
  scope faults(a.fileno(), plan);
  EXPECT_EQ(a.recv(64), "payload");
  EXPECT_EQ(faults.injected_errors(), 1000u);
}

TEST(Faults, EintrStormKeepsTheTimeout) {
  auto [a, b] = unix_pair();
  a.settimeout(0.2s);
  random_plan plan(7, 0.9, 0.0, 0.0);
  scope faults(a.fileno(), plan);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(a.recv(1), timeout_error);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(took, 0.19);
  EXPECT_LT(took, 0.6);
  EXPECT_GT(faults.injected_errors(), 0u);
}

TEST(Faults, RecvSeesShortReads) {
  auto [a, b] = unix_pair();
  const std::string data = random_payload(10000, 1);
  b.sendall(data);
  b.shutdown(shut::wr);
  random_plan plan(3, 0.2, 0.0, 0.7);
  scope faults(a.fileno(), plan);
  std::string got;
  for (std::string chunk; !(chunk = a.recv(4096)).empty();)
    got += chunk;
  EXPECT_EQ(got, data);
  EXPECT_GT(faults.shortened(), 0u);
}

// sendall must deliver every byte exactly once after any sequence of short writes, EINTR and
// (with a timeout) EAGAIN.
void sendall_under_faults(std::optional<std::chrono::duration<double>> timeout, double p_eagain) {
  for (unsigned seed = 0; seed < 200; ++seed) {
    auto [a, b] = unix_pair();
    a.settimeout(timeout);
    const std::string data = random_payload(20000 + seed * 37, seed);
    collector peer(b);
    {
      random_plan plan(seed, 0.1, p_eagain, 0.5);
      scope faults(a.fileno(), plan);
      a.sendall(data);
    }
    a.shutdown(shut::wr);
    ASSERT_EQ(peer.finish(), data) << "seed " << seed;
  }
}

TEST(Faults, SendallBlockingSurvivesShortWritesAndEintr) {
  sendall_under_faults(std::nullopt, 0.0);
}

TEST(Faults, SendallWithTimeoutSurvivesEagainToo) {
  sendall_under_faults(5s, 0.2);
}

TEST(Faults, ResetMidStreamIsConnectionResetError) {
  auto [a, b] = unix_pair();
  b.sendall("first");
  script plan;
  plan.then(call::recv, action::pass()).then(call::recv, action::fail(ECONNRESET));
  scope faults(a.fileno(), plan);
  EXPECT_EQ(a.recv(64), "first");
  EXPECT_THROW(a.recv(64), connection_reset_error);
}

TEST(Faults, EpipeIsBrokenPipeError) {
  auto [a, b] = unix_pair();
  script plan;
  plan.then(call::send, action::fail(EPIPE));
  scope faults(a.fileno(), plan);
  EXPECT_THROW(a.sendall("x"), broken_pipe_error);
}

TEST(Faults, SendmsgRetriesEintrAndShortensHonestly) {
  auto [a, b] = unix_pair();
  script plan;
  plan.then(call::sendmsg, action::fail(EINTR)).then(call::sendmsg, action::shorten(3));
  scope faults(a.fileno(), plan);
  const std::string data = "abcdefgh";
  const std::span<const std::byte> parts[] = {pysock_test::bytes_of(data)};
  EXPECT_EQ(a.sendmsg(parts), 3u);
  EXPECT_EQ(b.recv(16), "abc");
}

TEST(Faults, AcceptFailuresLeakNothing) {
  socket listener;
  listener.bind(inet_address{"127.0.0.1", 0});
  listener.listen();
  socket client;
  client.connect(listener.getsockname());
  script plan;
  plan.then(call::accept4, action::fail(EMFILE))
      .then(call::accept4, action::fail(ECONNABORTED))
      .then(call::accept4, action::fail(EINTR));
  scope faults(listener.fileno(), plan);
  try {
    listener.accept();
    FAIL();
  } catch (const os_error& e) {
    EXPECT_EQ(e.errno_value(), EMFILE);
  }
  EXPECT_THROW(listener.accept(), connection_aborted_error);
  auto [accepted, peer] = listener.accept();  // EINTR is retried
  EXPECT_EQ(peer, client.getsockname());
}

TEST(Faults, RefusedConnectLeavesTheSocketUsable) {
  socket listener;
  listener.bind(inet_address{"127.0.0.1", 0});
  listener.listen();
  socket client;
  script plan;
  plan.then(call::connect, action::fail(ECONNREFUSED));
  scope faults(client.fileno(), plan);
  EXPECT_THROW(client.connect(listener.getsockname()), connection_refused_error);
  EXPECT_NO_THROW(client.connect(listener.getsockname()));
}

}  // namespace
