// makefile(): checklist 2, 3, 6.1, 1.4 end to end, with pysock::socket and with a test-only
// socket-like type (XOR-scrambling wrapper), plus the FileObjectClassTestCase scenarios (9.6).
#include <gtest/gtest.h>

#include <thread>

#include "pysock/makefile.hpp"
#include "support/exceptions.hpp"
#include "support/helpers.hpp"

using pysock::makefile;
using pysock::makefile_options;
using pysock::socket;
using pysock_test::bytes_of;
using namespace std::chrono_literals;

namespace {

// A socket-like wrapper that XORs every byte with 0x20 both ways (a stand-in for TLS): it proves
// the io stack needs nothing but the socket_like operations.
class xor_socket {
 public:
  explicit xor_socket(socket& s) : sock_(s) {}
  class handle {
   public:
    explicit handle(pysock::socket_io_ref ref) : ref_(std::move(ref)) {}
    std::size_t recv_into(std::span<std::byte> buffer) {
      std::size_t n = ref_.recv_into(buffer);
      for (std::size_t i = 0; i < n; ++i)
        buffer[i] ^= std::byte{0x20};
      return n;
    }
    std::size_t send(std::span<const std::byte> data) {
      std::vector<std::byte> scrambled(data.begin(), data.end());
      for (auto& b : scrambled)
        b ^= std::byte{0x20};
      return ref_.send(scrambled);
    }
    pysock::timeout gettimeout() const { return ref_.gettimeout(); }
    int fileno() const { return ref_.fileno(); }
    void release() {
      ++releases;
      ref_.release();
    }
    static inline int releases = 0;

   private:
    pysock::socket_io_ref ref_;
  };
  std::size_t recv_into(std::span<std::byte> b) { return handle(sock_.io_ref()).recv_into(b); }
  std::size_t send(std::span<const std::byte> d) { return handle(sock_.io_ref()).send(d); }
  pysock::timeout gettimeout() const { return sock_.gettimeout(); }
  int fileno() const { return sock_.fileno(); }
  handle io_ref() { return handle(sock_.io_ref()); }

 private:
  socket& sock_;
};
static_assert(pysock::socket_like<xor_socket>);
static_assert(pysock::socket_like<socket>);

}  // namespace

TEST(Makefile, ModeIsCheckedOnItsSetOfCharacters) {
  auto [a, b] = pysock_test::unix_pair();
  for (const char* bad : {"rt", "x", "+", "a", "U"}) {
    EXPECT_THROW_MSG((void)a.makefile(bad), pysock::value_error,
                     "invalid mode '" + std::string(bad) + "' (only r, w, b allowed)");
  }
  EXPECT_EQ(a.makefile("b").mode(), "rb");
  EXPECT_EQ(a.makefile("bw").mode(), "wb");
  EXPECT_EQ(a.makefile("").mode(), "");
  EXPECT_EQ(a.makefile("wr").mode(), "wr");
  EXPECT_THROW(a.makefile("rwb").mode(), pysock::io::attribute_error);
  EXPECT_EQ(a.makefile("rr").mode(), "rr");
}

TEST(Makefile, UnbufferedTextIsRefusedAndTheReferenceGivenBackAtOnce) {
  auto [a, b] = pysock_test::unix_pair();
  EXPECT_THROW_MSG((void)a.makefile("r", {.buffering = 0}), pysock::value_error,
                   "unbuffered streams must be binary");
  a.close();
  EXPECT_EQ(a.fileno(), -1);  // no io reference left over: the close was not deferred
}

TEST(Makefile, BufferingPicksTheLayer) {
  auto [a, b] = pysock_test::unix_pair();
  auto raw = a.makefile("rb", {.buffering = 0});
  EXPECT_THROW(raw.peek(), pysock::io::attribute_error);  // SocketIO has no peek
  auto text = a.makefile("w", {.buffering = 1});
  EXPECT_FALSE(text.line_buffering());  // 1 is a 1-byte buffer (gh-75245)
  auto one_byte = a.makefile("wb", {.buffering = 1});
  one_byte.write("ab");
  EXPECT_EQ(b.recv(10), "ab");  // a write of at least the buffer size goes straight out
  auto binary = a.makefile("rb", {.encoding = "nonsense", .errors = "x", .newline = "bad"});
  EXPECT_THROW(binary.encoding(), pysock::io::attribute_error);
}

TEST(Makefile, AttributesNameAndClose) {
  auto [a, b] = pysock_test::unix_pair();
  auto f = a.makefile("rb");
  EXPECT_EQ(f.name(), a.fileno());
  EXPECT_EQ(f.fileno(), a.fileno());
  EXPECT_FALSE(f.closed());
  EXPECT_TRUE(f.readable());
  EXPECT_FALSE(f.writable());
  EXPECT_FALSE(f.seekable());
  f.close();
  EXPECT_TRUE(f.closed());
  EXPECT_EQ(f.name(), -1);
  EXPECT_THROW(f.fileno(), pysock::value_error);
  EXPECT_THROW(f.readable(), pysock::value_error);
  f.close();  // idempotent
}

TEST(Makefile, DeferredCloseEndToEnd) {
  auto [a, b] = pysock_test::unix_pair();
  b.sendall("hello\nworld\n");
  auto f1 = a.makefile("rb");
  auto f2 = a.makefile("rb", {.buffering = 0});
  int fd = a.fileno();
  a.close();
  EXPECT_EQ(a.fileno(), fd);  // still open while files use it
  EXPECT_EQ(f1.readline(), "hello\n");
  f1.close();
  EXPECT_EQ(a.fileno(), fd);
  EXPECT_EQ(f2.name(), fd);
  f2.close();
  EXPECT_EQ(a.fileno(), -1);
}

TEST(Makefile, FileOutlivesTheSocketObject) {
  auto [a, b] = pysock_test::unix_pair();
  pysock::io::file f;
  {
    socket moved = std::move(a);
    f = moved.makefile("rwb");
  }
  b.sendall("ping\n");
  EXPECT_EQ(f.readline(), "ping\n");
  f.write("pong\n");
  f.flush();
  EXPECT_EQ(b.recv(10), "pong\n");
  f.close();
  EXPECT_EQ(b.recv(10), "");  // the last reference closed the fd
}

TEST(Makefile, DetachWithAFileOpen) {
  auto [a, b] = pysock_test::unix_pair();
  auto f = a.makefile("rb");
  int fd = a.detach();
  EXPECT_EQ(f.fileno(), -1);
  f.close();
  socket again = socket::adopt(fd);  // still open, and ours
  b.sendall("x");
  EXPECT_EQ(again.recv(1), "x");
}

TEST(Makefile, MakefileOnAClosedSocketReadsEbadf) {
  auto [a, b] = pysock_test::unix_pair();
  a.close();
  auto f = a.makefile("rb");
  EXPECT_THROW_ERRNO((void)f.read(1), pysock::os_error, EBADF);
}

TEST(Makefile, ReadAfterTimeoutIsRefused) {
  auto [a, b] = pysock_test::unix_pair();
  a.settimeout(50ms);
  auto f = a.makefile("rb");
  b.sendall("abc");
  EXPECT_EQ(f.read(3), "abc");
  EXPECT_THROW(f.read(1), pysock::timeout_error);
  // Refused, not retried: a timeout_error would say "timed out".
  EXPECT_THROW_MSG((void)f.read(1), pysock::os_error, "cannot read from timed out object");
  auto fresh = a.makefile("rb");  // a new makefile reads normally
  b.sendall("z");
  EXPECT_EQ(fresh.read(1), "z");
}

TEST(Makefile, UnbufferedReadlineNeverReadsAhead) {
  auto [a, b] = pysock_test::unix_pair();
  b.sendall("A. line\nB. line\n");
  EXPECT_EQ(a.makefile("rb", {.buffering = 0}).readline(), "A. line\n");
  EXPECT_EQ(a.makefile("rb", {.buffering = 0}).readline(), "B. line\n");
}

TEST(Makefile, NonBlockingReadsAndWrites) {
  auto [a, b] = pysock_test::unix_pair();
  a.setblocking(false);
  auto raw = a.makefile("rwb", {.buffering = 0});
  std::string buf(10, '\0');
  EXPECT_EQ(raw.readinto(std::as_writable_bytes(std::span(buf.data(), buf.size()))), std::nullopt);
  EXPECT_EQ(raw.read(5), std::nullopt);
  std::optional<std::size_t> sent;
  std::string big(1 << 20, 'x');
  for (int i = 0; i < 10 && (sent = raw.write(big)); ++i) {
  }
  EXPECT_EQ(sent, std::nullopt);

  auto buffered = a.makefile("wb");
  EXPECT_THROW_WITH(
      buffered.write(big), pysock::blocking_io_error,
      [&](const pysock::blocking_io_error& e) { EXPECT_EQ(e.characters_written(), 8192u); });
  EXPECT_THROW(buffered.close(), pysock::blocking_io_error);
  EXPECT_TRUE(buffered.closed());
}

TEST(Makefile, XorSocketLikeTypePlugsIn) {
  auto [a, b] = pysock_test::unix_pair();
  xor_socket wrapped(a);
  xor_socket::handle::releases = 0;
  {
    auto f = makefile(wrapped, "rwb");
    b.sendall("HELLO\x2a");  // 0x2a ^ 0x20 = '\n'
    EXPECT_EQ(f.readline(), "hello\n");
    f.write("abc");
    f.flush();
    EXPECT_EQ(b.recv(10), "ABC");
    auto text = makefile(wrapped, "r", {.newline = ""});
    EXPECT_EQ(text.mode(), "r");
  }
  EXPECT_EQ(xor_socket::handle::releases, 2);  // one per makefile, exactly once
}

TEST(Makefile, FileObjectScenariosOverTcp) {
  for (int buffering : {-1, 0, 1, 2}) {
    auto [a, b] = pysock_test::tcp_pair();
    const std::string msg = "Michael Gilfix was here\xe1\x88\xb4\r\n";
    auto write_file = b.makefile("wb", {.buffering = buffering});
    auto read_file = a.makefile("rb", {.buffering = buffering});
    write_file.write(msg);
    write_file.flush();
    EXPECT_EQ(read_file.read(std::ptrdiff_t(msg.size()) - 3), msg.substr(0, msg.size() - 3));
    EXPECT_EQ(read_file.read(3), msg.substr(msg.size() - 3));
    write_file.write(msg);
    write_file.close();
    b.close();
    EXPECT_EQ(read_file.readline(), msg);
    EXPECT_EQ(read_file.read(), "");
  }
}

TEST(MakefileThreaded, ReaderAndWriterOnOneRwFile) {
  auto [a, b] = pysock_test::unix_pair();
  auto f = a.makefile("rwb");
  std::thread echo([&peer_socket = b] {
    auto peer = peer_socket.makefile("rwb");
    for (auto& line : peer.lines()) {
      peer.write(line);
      peer.flush();
    }
  });
  std::thread writer([&] {
    for (int i = 0; i < 100; ++i)
      f.write("line " + std::to_string(i) + "\n");
    f.flush();
  });
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(f.readline(), "line " + std::to_string(i) + "\n");
  writer.join();
  a.shutdown(pysock::shut::wr);
  echo.join();
}

TEST(Makefile, UnicodeFileObjectScenariosOverTcp) {
  // UnicodeRead/Write/ReadWriteFileObjectClassTestCase: text on either side, newline="".
  const std::string msg = "Michael Gilfix was here\xe1\x88\xb4\r\n";
  struct sides {
    const char* read_mode;
    const char* write_mode;
  };
  for (auto [read_mode, write_mode] : {sides{"r", "wb"}, sides{"rb", "w"}, sides{"r", "w"}}) {
    auto [a, b] = pysock_test::tcp_pair();
    auto read_file = a.makefile(read_mode, {.encoding = "utf-8", .newline = ""});
    auto write_file = b.makefile(write_mode, {.encoding = "utf-8", .newline = ""});
    write_file.write(msg);
    write_file.flush();
    EXPECT_EQ(read_file.readline(), msg) << read_mode << write_mode;
    EXPECT_EQ(read_file.mode(), read_mode);
    EXPECT_EQ(read_file.name(), a.fileno());
  }
}

TEST(Makefile, ClosingAFileThatReadNothingLeavesTheDataInTheSocket) {
  auto [a, b] = pysock_test::tcp_pair();
  auto read_file = a.makefile("rb");
  b.sendall("message");
  read_file.close();
  EXPECT_EQ(a.recv(7), "message");
  a.close();
  EXPECT_THROW(a.getsockname(), pysock::os_error);
}

namespace {

// A socket-like type whose handle has only the throwing calls (as a user's TLS wrapper may).
struct throwing_only_ref {
  pysock::socket_io_ref ref;
  std::size_t recv_into(std::span<std::byte> buffer) { return ref.recv_into(buffer); }
  std::size_t send(std::span<const std::byte> data) { return ref.send(data); }
  pysock::timeout gettimeout() const { return ref.gettimeout(); }
  int fileno() const noexcept { return ref.fileno(); }
  void release() noexcept { ref.release(); }
};
struct throwing_only_socket {
  socket& sock;
  std::size_t recv_into(std::span<std::byte> buffer) { return sock.recv_into(buffer); }
  std::size_t send(std::span<const std::byte> data) { return sock.send(data); }
  pysock::timeout gettimeout() const { return sock.gettimeout(); }
  int fileno() const noexcept { return sock.fileno(); }
  throwing_only_ref io_ref() { return {sock.io_ref()}; }
};
static_assert(!pysock::nonthrowing_socket_io_handle<throwing_only_ref>);
static_assert(pysock::nonthrowing_socket_io_handle<pysock::socket_io_ref>);

// Reads a non-blocking file `rounds` times with nothing to read, then reads what `peer` sends;
// returns the exceptions thrown meanwhile.
long exceptions_while_polling(pysock::io::file& file, socket& peer, int rounds) {
  const long before = pysock_test::exceptions_thrown();
  for (int i = 0; i < rounds; ++i)
    EXPECT_EQ(file.read(100), std::nullopt);
  peer.sendall("data");
  EXPECT_EQ(file.read(100), std::optional<std::string>("data"));
  return pysock_test::exceptions_thrown() - before;
}

}  // namespace

// The event loop's case: a non-blocking file that has nothing to read says so without an
// exception being thrown anywhere (socket_io calls the handle's non-throwing recv_into).
TEST(Makefile, NonBlockingReadsThrowNothing) {
  auto [a, b] = pysock_test::unix_pair();
  a.setblocking(false);
  for (int buffering : {0, -1}) {  // SocketIO, and a BufferedReader over it
    auto file = a.makefile("rb", {.buffering = buffering});
    EXPECT_EQ(exceptions_while_polling(file, b, 1000), 0) << "buffering " << buffering;
  }
}

// A socket-like type with only the throwing calls keeps working: "no data" through exceptions.
TEST(Makefile, ThrowingOnlySocketLikeStillGivesNoData) {
  auto [a, b] = pysock_test::unix_pair();
  a.setblocking(false);
  throwing_only_socket wrapper{a};
  auto file = makefile(wrapper, "rb", {.buffering = 0});
  EXPECT_GE(exceptions_while_polling(file, b, 10), 10);
}
