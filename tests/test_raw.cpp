// raw_io and socket_io<S>: checklist 3 (SocketIO) and 8.1 (RawIOBase defaults).
#include <gtest/gtest.h>

#include "pysock/io/raw.hpp"
#include "pysock/socket.hpp"
#include "support/helpers.hpp"
#include "support/mock_raw.hpp"

using pysock::socket;
using pysock::io::socket_io;
using namespace std::chrono_literals;
using opt = std::optional<std::string>;

TEST(SocketIO, ModeValidationAndNormalisation) {
  auto [a, b] = pysock_test::unix_pair();
  EXPECT_EQ(socket_io<socket>(a, "r").mode(), "rb");
  EXPECT_EQ(socket_io<socket>(a, "w").mode(), "wb");
  EXPECT_EQ(socket_io<socket>(a, "rw").mode(), "rwb");
  EXPECT_EQ(socket_io<socket>(a, "rwb").mode(), "rwb");
  EXPECT_THROW_MSG(socket_io<socket>(a, "wr"), pysock::value_error, "invalid mode: 'wr'");
  a.close();
  EXPECT_EQ(a.fileno(), -1);  // the failed constructions gave their references back
}

TEST(SocketIO, ClosedUnreadableUnwritableMessages) {
  auto [a, b] = pysock_test::unix_pair();
  socket_io<socket> reader(a, "r");
  std::string buf(4, '\0');
  auto span = std::as_writable_bytes(std::span(buf.data(), buf.size()));
  EXPECT_THROW_MSG((void)reader.write_bytes(pysock_test::bytes_of("x")),
                   pysock::unsupported_operation, "File or stream is not writable.");
  socket_io<socket> writer(a, "w");
  EXPECT_THROW_MSG(writer.readinto(span), pysock::unsupported_operation,
                   "File or stream is not readable.");
  reader.close();
  EXPECT_THROW_MSG(reader.readinto(span), pysock::value_error, "I/O operation on closed file.");
  EXPECT_THROW_WITH(reader.readable(), pysock::value_error, [&](const pysock::value_error& e) {
    EXPECT_STREQ(e.what(), "I/O operation on closed socket.");  // "socket", not "file"
  });
  EXPECT_THROW(reader.fileno(), pysock::value_error);
  EXPECT_EQ(reader.name(), -1);
  EXPECT_EQ(writer.name(), a.fileno());
}

TEST(SocketIO, TimeoutPoisonsReadsButNotWrites) {
  auto [a, b] = pysock_test::unix_pair();
  a.settimeout(20ms);
  socket_io<socket> raw(a, "rw");
  EXPECT_THROW(raw.read(1), pysock::timeout_error);
  EXPECT_TRUE(raw.timed_out());
  b.sendall("x");
  // Not a timeout (whose what() is "timed out"), and no errno.
  EXPECT_THROW_WITH((void)raw.read(1), pysock::os_error, [](const pysock::os_error& e) {
    EXPECT_STREQ(e.what(), "cannot read from timed out object");
    EXPECT_EQ(e.errno_value(), std::nullopt);
  });
  EXPECT_EQ(raw.write("ok"), 2u);
  EXPECT_EQ(b.recv(2), "ok");
}

TEST(SocketIO, NonBlockingGivesNoDataInsteadOfAnError) {
  auto [a, b] = pysock_test::unix_pair();
  a.setblocking(false);
  socket_io<socket> raw(a, "r");
  EXPECT_EQ(raw.read(3), std::nullopt);
  EXPECT_EQ(raw.readall(), std::nullopt);
  EXPECT_EQ(raw.read(0), opt(""));
  b.sendall("ab");
  EXPECT_THROW(raw.readline(), pysock::os_error);  // C IOBase.readline on None
}

TEST(SocketIO, ReadlineIsOneByteAtATime) {
  auto [a, b] = pysock_test::unix_pair();
  b.sendall("one\ntwo\n");
  socket_io<socket> raw(a, "r");
  EXPECT_EQ(raw.readline(), "one\n");
  EXPECT_EQ(a.recv(4), "two\n");  // nothing was read ahead
  EXPECT_EQ(raw.readline(0), "");
}

TEST(SocketIO, CloseReleasesTheReferenceExactlyOnce) {
  auto [a, b] = pysock_test::unix_pair();
  int fd = a.fileno();
  {
    socket_io<socket> first(a, "r");
    socket_io<socket> second(a, "r");
    a.close();
    first.close();
    first.close();  // a second close releases nothing more
    EXPECT_EQ(a.fileno(), fd);
  }
  EXPECT_EQ(a.fileno(), -1);  // the destructor of `second` released the last reference
}

// Tuning, not behaviour (the *Tuning suites): pysock's own read-ahead sizes, chosen by
// measurement. What a buffered reader on top may ask for per read (buffered.hpp, "Read-ahead
// reserve").
TEST(SocketIOTuning, ReadAheadLimitIs64KiBOnTcpAnd256KiBOtherwise) {
  auto [tcp_a, tcp_b] = pysock_test::tcp_pair();
  EXPECT_EQ(socket_io<socket>(tcp_a, "r").read_ahead_limit(), 64 * 1024u);
  auto [unix_a, unix_b] = pysock_test::unix_pair();
  EXPECT_EQ(socket_io<socket>(unix_a, "r").read_ahead_limit(), 256 * 1024u);
}

namespace {
// A socket_like type over a pysock::socket that forwards the required members only, and
// optionally states a read-ahead limit of its own (std::size_t, as a user's type may).
template <bool with_limit>
struct forwarding_socket {
  socket& sock;
  std::size_t recv_into(std::span<std::byte> b) { return sock.recv_into(b); }
  std::size_t send(std::span<const std::byte> d) { return sock.send(d); }
  pysock::timeout gettimeout() const { return sock.gettimeout(); }
  int fileno() const { return sock.fileno(); }
  pysock::socket_io_ref io_ref() { return sock.io_ref(); }
  std::size_t read_ahead_limit() const requires with_limit { return 16 * 1024; }
};
static_assert(!pysock::provides_read_ahead_limit<forwarding_socket<false>>);
static_assert(pysock::provides_read_ahead_limit<forwarding_socket<true>>);
}  // namespace

// The limit is the socket_like type's property, never looked up on the fd: a type that states
// none gets the default even over TCP.
TEST(SocketIO, ReadAheadLimitComesFromTheSocketLikeType) {
  auto [a, b] = pysock_test::tcp_pair();
  forwarding_socket<false> plain{a};
  EXPECT_EQ(socket_io<forwarding_socket<false>>(plain, "r").read_ahead_limit(),
            pysock::io::default_read_ahead_limit);
  forwarding_socket<true> limited{a};
  EXPECT_EQ(socket_io<forwarding_socket<true>>(limited, "r").read_ahead_limit(), 16 * 1024u);
}

TEST(RawIOBase, ReadallAndReadValidation) {
  auto raw = std::make_shared<pysock_test::mock_raw>(std::vector<opt>{"a", std::nullopt, "b"});
  EXPECT_EQ(raw->readall(), opt("a"));  // data before a would-block is returned
  EXPECT_EQ(raw->read(5), opt("b"));
  EXPECT_EQ(raw->read(), opt(""));
}

TEST(RawIOBase, ReadlinesAndWritelines) {
  auto raw = std::make_shared<pysock_test::mock_raw>(std::vector<opt>{"abc\nd\nef"});
  EXPECT_EQ(raw->readlines(5), (std::vector<std::string>{"abc\n", "d\n"}));
  std::vector<std::string> lines{"x", "y"};
  raw->writelines(lines);
  EXPECT_EQ(raw->written, "xy");
  raw->close();
  EXPECT_THROW(raw->writelines(lines), pysock::value_error);
  EXPECT_THROW(raw->flush(), pysock::value_error);
}
