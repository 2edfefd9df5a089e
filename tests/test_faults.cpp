// Fault injection (issue 8): EINTR, EAGAIN, short reads and writes, resets and refusals at
// chosen or random points. pysock must retry what Python retries, move every byte exactly once,
// raise the right class for the rest, and leak no fd (the shared main checks).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "pysock/error.hpp"
#include "pysock/io/file.hpp"
#include "pysock/makefile.hpp"
#include "pysock/net.hpp"
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
  EXPECT_THROW((void)a.recv(1), timeout_error);
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
  std::size_t injected = 0, shortened = 0;
  for (unsigned seed = 0; seed < 200; ++seed) {
    auto [a, b] = unix_pair();
    a.settimeout(timeout);
    const std::string data = random_payload(20000 + seed * 37, seed);
    collector peer(b);
    {
      random_plan plan(seed, 0.1, p_eagain, 0.5);
      scope faults(a.fileno(), plan);
      a.sendall(data);
      injected += faults.injected_errors();
      shortened += faults.shortened();
    }
    a.shutdown(shut::wr);
    ASSERT_EQ(peer.finish(), data) << "seed " << seed;
  }
  // Without this a plan that never fires (or an interposer that is not linked) would pass.
  EXPECT_GT(injected, 0u);
  EXPECT_GT(shortened, 0u);
}

TEST(Faults, SendallBlockingSurvivesShortWritesAndEintr) {
  sendall_under_faults(std::nullopt, 0.0);
}

TEST(Faults, SendallWithTimeoutSurvivesEagainToo) {
  sendall_under_faults(5s, 0.2);
}

// socket::adopt's ownership rule: when it throws, the fd is untouched and still the caller's.
// An fcntl failure comes after the fd was read as a socket (setting O_NONBLOCK for the default
// timeout), the last point where adopt can fail.
class default_timeout_scope {
 public:
  explicit default_timeout_scope(timeout t) : saved_(getdefaulttimeout()) { setdefaulttimeout(t); }
  ~default_timeout_scope() { setdefaulttimeout(saved_); }

 private:
  timeout saved_;
};

TEST(Faults, FailedAdoptLeavesTheFdOpenAndUntouched) {
  const int fd = socket(family::local).detach();  // blocking: O_NONBLOCK clear
  default_timeout_scope with_timeout(5s);
  {
    script plan;
    plan.then(call::fcntl, action::fail(ENOMEM));
    scope faults(fd, plan);
    EXPECT_THROW_ERRNO((void)socket::adopt(fd), os_error, ENOMEM);
    EXPECT_EQ(faults.injected_errors(), 1u);
    EXPECT_EQ(faults.calls(call::close), 0u);
  }
  EXPECT_GE(::fcntl(fd, F_GETFD), 0) << "adopt closed an fd it did not take";
  EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  ::close(fd);
}

// fromfd and socketpair hand their new fds to adopt through an owning handle: when adopt fails,
// the fd must be closed exactly once (a second close could hit an fd another thread opened).
TEST(Faults, FailedFromfdClosesItsDuplicateExactlyOnce) {
  default_timeout_scope with_timeout(5s);
  socket original(family::local);
  const int next_fd = ::dup(0);  // the lowest free fd: where fromfd's duplicate will land
  ::close(next_fd);
  script plan;
  plan.then(call::fcntl, action::fail(ENOMEM));
  scope faults(next_fd, plan);
  EXPECT_THROW_ERRNO((void)fromfd(original.fileno(), family::local, sock_type::stream), os_error,
                     ENOMEM);
  EXPECT_EQ(faults.injected_errors(), 1u);
  EXPECT_EQ(faults.calls(call::close), 1u);
}

TEST(Faults, ResetMidStreamIsConnectionResetError) {
  auto [a, b] = unix_pair();
  b.sendall("first");
  script plan;
  plan.then(call::recv, action::pass()).then(call::recv, action::fail(ECONNRESET));
  scope faults(a.fileno(), plan);
  EXPECT_EQ(a.recv(64), "first");
  EXPECT_THROW((void)a.recv(64), connection_reset_error);
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
  EXPECT_THROW_ERRNO((void)listener.accept(), os_error, EMFILE);
  EXPECT_THROW((void)listener.accept(), connection_aborted_error);
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

// ---- makefile under random fault schedules ------------------------------------------------
//
// Every mode family and several buffer sizes, each under many random schedules of EINTR, EAGAIN
// (the sockets have a timeout, so EAGAIN means "wait", as the kernel means it) and short
// reads/writes: every byte must arrive exactly once and in order.

struct makefile_case {
  const char* mode;
  std::optional<int> buffering;
};

constexpr int schedules_per_case = 800;

bool is_text(const char* mode) {
  return std::string_view(mode).find('b') == std::string_view::npos;
}

pysock::makefile_options options_for(const makefile_case& c) {
  pysock::makefile_options options{.buffering = c.buffering};
  if (is_text(c.mode)) options.encoding = "utf-8";
  return options;
}

// Random lines of mixed ASCII and multi-byte UTF-8 (no \r, so newline translation is identity).
std::string random_text(std::size_t size, std::mt19937& rng) {
  static const char* const pieces[] = {
      "a", "Z", " ", "\n", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "0"};
  std::string text;
  while (text.size() < size)
    text += pieces[rng() % std::size(pieces)];
  return text;
}

std::string random_bytes(std::size_t size, std::mt19937& rng) {
  std::string data(size, '\0');
  for (auto& c : data)
    c = static_cast<char>(rng());
  return data;
}

// One random read operation; empty means end of stream.
std::string read_some(pysock::io::file& f, std::mt19937& rng, bool text, bool raw) {
  const int kinds = text || raw ? 3 : 5;
  const auto n = static_cast<std::ptrdiff_t>(1 + rng() % 300);
  switch (rng() % kinds) {
    case 0:
      return f.readline();
    case 1:
      return f.read(n).value_or("");
    case 2: {
      if (text) return f.readline(n);
      std::string buffer(static_cast<std::size_t>(n), '\0');
      const auto got = f.readinto(std::as_writable_bytes(std::span(buffer)));
      buffer.resize(got.value_or(0));
      return buffer;
    }
    case 3:
      return f.read1(n);
    default:
      f.peek(n);  // never consumes: the next read must still see these bytes
      return f.read1(n);
  }
}

TEST(FaultSchedules, MakefileReadersGetEveryByteOnce) {
  const makefile_case cases[] = {{"rb", 0},  {"rb", 1},           {"rb", 7}, {"rb", std::nullopt},
                                 {"rwb", 5}, {"r", std::nullopt}, {"r", 3}};
  for (const auto& c : cases) {
    for (int seed = 0; seed < schedules_per_case; ++seed) {
      std::mt19937 rng(static_cast<unsigned>(seed));
      const bool text = is_text(c.mode);
      const std::string data =
          text ? random_text(1 + rng() % 6000, rng) : random_bytes(1 + rng() % 6000, rng);
      auto [a, b] = unix_pair();
      a.settimeout(5s);
      b.sendall(data);
      b.shutdown(shut::wr);
      pysock::io::file f = a.makefile(c.mode, options_for(c));
      random_plan plan(static_cast<std::uint64_t>(seed), 0.15, 0.15, 0.4);
      scope faults(a.fileno(), plan);
      std::string got;
      for (std::string piece; !(piece = read_some(f, rng, text, c.buffering == 0)).empty();)
        got += piece;
      ASSERT_EQ(got, data) << c.mode << " buffering " << c.buffering.value_or(-1) << " seed "
                           << seed;
    }
  }
}

TEST(FaultSchedules, MakefileWritersDeliverEveryByteOnce) {
  const makefile_case cases[] = {{"wb", 0},  {"wb", 1},          {"wb", 7}, {"wb", std::nullopt},
                                 {"rwb", 5}, {"w", std::nullopt}};
  for (const auto& c : cases) {
    for (int seed = 0; seed < schedules_per_case; ++seed) {
      std::mt19937 rng(static_cast<unsigned>(seed));
      const bool text = is_text(c.mode);
      auto [a, b] = unix_pair();
      a.settimeout(5s);
      std::string written;
      {
        pysock::io::file f = a.makefile(c.mode, options_for(c));
        random_plan plan(static_cast<std::uint64_t>(seed), 0.15, 0.15, 0.4);
        scope faults(a.fileno(), plan);
        for (int i = 0, pieces = 1 + static_cast<int>(rng() % 20); i < pieces; ++i) {
          std::string piece =
              text ? random_text(1 + rng() % 700, rng) : random_bytes(1 + rng() % 700, rng);
          written += piece;
          if (c.buffering == 0) {
            // A raw file writes what one send takes; the caller writes the rest (Python's rule).
            while (!piece.empty())
              piece.erase(0, f.write(piece).value_or(0));
          } else {
            f.write(piece);  // buffered and text files take everything
          }
        }
        f.close();
      }
      a.close();
      std::string received;
      for (std::string chunk; !(chunk = b.recv(65536)).empty();)
        received += chunk;
      ASSERT_EQ(received, written)
          << c.mode << " buffering " << c.buffering.value_or(-1) << " seed " << seed;
    }
  }
}

TEST(FaultSchedules, ResetMidLineRaisesAfterAPrefix) {
  for (int seed = 0; seed < 500; ++seed) {
    std::mt19937 rng(static_cast<unsigned>(seed));
    const std::string data = random_text(4000, rng);
    auto [a, b] = unix_pair();
    b.sendall(data);
    pysock::io::file f = a.makefile("rb", {.buffering = static_cast<int>(1 + rng() % 64)});
    script plan;
    for (unsigned i = rng() % 20; i > 0; --i)
      plan.then(call::recv, action::shorten(1 + rng() % 200));
    plan.then(call::recv, action::fail(ECONNRESET));
    scope faults(a.fileno(), plan);
    std::string got;
    EXPECT_THROW(
        {
          for (std::string line; !(line = f.readline()).empty();)
            got += line;
        },
        connection_reset_error);
    ASSERT_EQ(data.compare(0, got.size(), got), 0) << "not a prefix, seed " << seed;
  }
}

// A reset in the middle of a zero-copy sendfile: connection_reset_error, the file position
// where the bytes sent so far end, and nothing leaked.
TEST(FaultSchedules, ResetMidSendfile) {
  auto [a, b] = unix_pair();
  const auto path = std::filesystem::temp_directory_path() /
                    ("pysock-faults-" + std::to_string(::getpid()) + ".bin");
  std::mt19937 rng(9);
  std::ofstream(path, std::ios::binary) << random_bytes(100000, rng);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  script plan;
  plan.then(call::sendfile, action::shorten(1000)).then(call::sendfile, action::fail(ECONNRESET));
  {
    scope faults(a.fileno(), plan);
    EXPECT_THROW((void)a.sendfile(fd), connection_reset_error);
  }
  EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 1000);
  EXPECT_EQ(b.recv(65536).size(), 1000u);
  ::close(fd);
  std::filesystem::remove(path);
}

// A reset while receiving fds: the error class, and no received fd leaks (the shared main checks
// the fd table after the test).
TEST(FaultSchedules, ResetMidRecvFds) {
  auto [a, b] = unix_pair();
  const int fds[] = {0, 1, 2};
  ASSERT_EQ(pysock::send_fds(b, "fds", fds), 3u);
  script plan;
  plan.then(call::recvmsg, action::fail(ECONNRESET));
  scope faults(a.fileno(), plan);
  EXPECT_THROW((void)pysock::recv_fds(a, 16, 3), connection_reset_error);
  const auto message = pysock::recv_fds(a, 16, 3);  // the message is still there
  EXPECT_EQ(message.data, "fds");
  EXPECT_EQ(message.fds.size(), 3u);
}

// Hostile input: an endless line read with readline(limit) keeps memory at O(limit + buffer).
TEST(HostileInput, EndlessLineWithLimitKeepsMemoryBounded) {
  auto [a, b] = unix_pair();
  constexpr std::size_t total = 256 << 20;
  std::thread writer([&b = b] {
    const std::string chunk(1 << 20, 'x');  // never a newline
    try {
      for (std::size_t sent = 0; sent < total; sent += chunk.size())
        b.sendall(chunk);
      b.shutdown(shut::wr);
    } catch (const os_error&) {
    }
  });
  pysock::io::file f = a.makefile("rb");
  const std::size_t before = pysock_test::peak_rss_kib(::getpid());
  std::size_t consumed = 0;
  // readline_into reuses one string, so the peak measures the reader, not allocator churn.
  for (std::string piece; f.readline_into(piece, 4096);) {
    ASSERT_LE(piece.size(), 4096u);
    consumed += piece.size();
  }
  writer.join();
  EXPECT_EQ(consumed, total);
  const std::size_t growth_mib = (pysock_test::peak_rss_kib(::getpid()) - before) / 1024;
  EXPECT_LT(growth_mib, 16u) << "peak RSS grew by " << growth_mib << " MiB for a 256 MiB line";
}

}  // namespace
