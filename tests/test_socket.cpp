// socket.hpp: checklist 1.1-1.5 and the CPython scenarios 9.2, 9.3, 9.5 and 9.11.
#include "pysock/socket.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "pysock/error.hpp"
#include "support/exceptions.hpp"
#include "support/helpers.hpp"

namespace {

using namespace pysock;
using pysock::socket;  // not ::socket from <sys/socket.h>
using namespace std::chrono_literals;
using pysock_test::bytes_of;
using pysock_test::tcp_pair;
using pysock_test::unix_pair;

// test_socket.py's MSG: UTF-8 with a 3-byte character, ending in CRLF.
const std::string MSG = "Michael Gilfix was here\xe1\x88\xb4\r\n";

bool fd_is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}
bool fd_nonblocking(int fd) {
  return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

double seconds_of(timeout t) {
  return t ? t->count() : -1.0;
}

template <class F>
double elapsed_seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Each test leaves the process-wide default timeout as it found it (None).
class Socket : public ::testing::Test {
 protected:
  void TearDown() override { setdefaulttimeout(std::nullopt); }
};

// ---- 1.1 construction and attributes ------------------------------------------------------

TEST_F(Socket, DefaultsAreInetStreamProtoZero) {
  socket s;
  EXPECT_EQ(s.family(), family::inet);
  EXPECT_EQ(s.type(), sock_type::stream);
  EXPECT_EQ(s.proto(), 0);
  EXPECT_GE(s.fileno(), 0);
  EXPECT_FALSE(s.closed());
}

TEST_F(Socket, AdoptDetectsFamilyTypeAndProto) {
  struct kind {
    family f;
    sock_type t;
    int proto;
  };
  for (const kind k :
       {kind{family::inet, sock_type::stream, IPPROTO_TCP},
        kind{family::inet, sock_type::dgram, IPPROTO_UDP},
        kind{family::inet6, sock_type::stream, IPPROTO_TCP},
        kind{family::local, sock_type::stream, 0}, kind{family::local, sock_type::dgram, 0}}) {
    socket original(k.f, k.t);
    const int fd = original.detach();
    socket adopted = socket::adopt(fd);
    EXPECT_EQ(adopted.fileno(), fd);
    EXPECT_EQ(adopted.family(), k.f);
    EXPECT_EQ(adopted.type(), k.t);
    EXPECT_EQ(adopted.proto(), k.proto);
  }
}

TEST_F(Socket, AdoptRejectsBadDescriptors) {
  EXPECT_THROW_MSG((void)socket::adopt(-1), value_error, "negative file descriptor");
  EXPECT_THROW((void)socket::adopt(-42), value_error);

  const int closed_fd = ::dup(0);
  ::close(closed_fd);
  EXPECT_THROW_ERRNO((void)socket::adopt(closed_fd), os_error, EBADF);

  const int file = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(file, 0);
  EXPECT_THROW_ERRNO((void)socket::adopt(file), os_error, ENOTSOCK);
  ::close(file);
}

TEST_F(Socket, NewSocketsTakeTheDefaultTimeout) {
  EXPECT_EQ(getdefaulttimeout(), std::nullopt);
  setdefaulttimeout(10s);
  EXPECT_EQ(seconds_of(getdefaulttimeout()), 10.0);
  socket with_default;
  EXPECT_EQ(seconds_of(with_default.gettimeout()), 10.0);
  EXPECT_TRUE(fd_nonblocking(with_default.fileno()));
  setdefaulttimeout(std::nullopt);
  socket blocking;
  EXPECT_EQ(blocking.gettimeout(), std::nullopt);
  EXPECT_FALSE(fd_nonblocking(blocking.fileno()));
}

TEST_F(Socket, DefaultTimeoutRejectsNegativeAndNaN) {
  EXPECT_THROW_MSG(setdefaulttimeout(-1s), value_error, "Timeout value out of range");
  EXPECT_THROW_MSG(setdefaulttimeout(std::chrono::duration<double>(std::nan(""))), value_error,
                   "Invalid value NaN (not a number)");
  EXPECT_EQ(getdefaulttimeout(), std::nullopt);
}

TEST_F(Socket, AdoptTakesTheDefaultTimeout) {
  setdefaulttimeout(2.5s);
  socket original;
  original.setblocking(true);
  socket adopted = socket::adopt(original.detach());
  EXPECT_EQ(seconds_of(adopted.gettimeout()), 2.5);
  EXPECT_TRUE(fd_nonblocking(adopted.fileno()));
}

TEST_F(Socket, NewSocketsAreNotInheritable) {
  socket s;
  EXPECT_FALSE(s.get_inheritable());
  EXPECT_TRUE(::fcntl(s.fileno(), F_GETFD) & FD_CLOEXEC);
  s.set_inheritable(true);
  EXPECT_TRUE(s.get_inheritable());
  EXPECT_FALSE(::fcntl(s.fileno(), F_GETFD) & FD_CLOEXEC);
  s.set_inheritable(false);
  EXPECT_FALSE(s.get_inheritable());
  EXPECT_TRUE(::fcntl(s.fileno(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(Socket, TypeNeverShowsNonblockOrCloexecBits) {
  socket s(family::inet, static_cast<sock_type>(SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC));
  EXPECT_EQ(s.type(), sock_type::stream);
  s.settimeout(1s);
  EXPECT_EQ(s.type(), sock_type::stream);
  s.settimeout(0s);
  EXPECT_EQ(s.type(), sock_type::stream);
  s.setblocking(true);
  EXPECT_EQ(s.type(), sock_type::stream);
  s.setblocking(false);
  EXPECT_EQ(s.type(), sock_type::stream);
}

TEST_F(Socket, SockNonblockMeansTimeoutZero) {
  socket s(family::inet, static_cast<sock_type>(SOCK_STREAM | SOCK_NONBLOCK));
  EXPECT_EQ(seconds_of(s.gettimeout()), 0.0);
  EXPECT_FALSE(s.getblocking());
}

TEST_F(Socket, UnknownFamilyPrintsItsNumber) {
  // Python shows an unknown family as a plain int; pysock keeps the value in the enum.
  socket s(family::inet);
  EXPECT_EQ(to_string(static_cast<family>(static_cast<int>(s.family()))), "AF_INET");
  EXPECT_EQ(to_string(static_cast<family>(45)), "45");
}

TEST_F(Socket, BadFamilyRaisesTheErrno) {
  EXPECT_THROW_ERRNO(socket s(static_cast<family>(12345)), os_error, EAFNOSUPPORT);
}

// ---- 1.2 RAII close and repr --------------------------------------------------------------

TEST_F(Socket, DestructionClosesTheFd) {
  int fd = -1;
  {
    socket s;
    fd = s.fileno();
    EXPECT_TRUE(fd_is_open(fd));
  }
  EXPECT_FALSE(fd_is_open(fd));
}

TEST_F(Socket, ReprOfANewSocket) {
  socket s;
  const std::string fd = std::to_string(s.fileno());
  EXPECT_EQ(s.repr(), "<pysock.socket fd=" + fd +
                          ", family=AF_INET, type=SOCK_STREAM, proto=0, laddr=('0.0.0.0', 0)>");
  s.bind(inet_address{"127.0.0.1", 0});
  const std::string laddr = to_string(s.getsockname());
  EXPECT_EQ(s.repr(), "<pysock.socket fd=" + fd +
                          ", family=AF_INET, type=SOCK_STREAM, proto=0, laddr=" + laddr + ">");
  std::ostringstream out;
  out << s;
  EXPECT_EQ(out.str(), s.repr());
}

TEST_F(Socket, ReprShowsPeerAndProto) {
  auto [client, server] = tcp_pair();
  const std::string expected =
      "<pysock.socket fd=" + std::to_string(client.fileno()) +
      ", family=AF_INET, type=SOCK_STREAM, proto=0, laddr=" + to_string(client.getsockname()) +
      ", raddr=" + to_string(client.getpeername()) + ">";
  EXPECT_EQ(client.repr(), expected);
  socket tcp(family::inet, sock_type::stream, IPPROTO_TCP);
  EXPECT_NE(tcp.repr().find("proto=6"), std::string::npos);
}

TEST_F(Socket, ReprOfInet6AndUnnamedUnix) {
  socket s6(family::inet6);
  EXPECT_NE(s6.repr().find("family=AF_INET6, type=SOCK_STREAM, proto=0, laddr=('::', 0, 0, 0)>"),
            std::string::npos);
  auto [a, b] = unix_pair();
  EXPECT_EQ(a.repr(), "<pysock.socket fd=" + std::to_string(a.fileno()) +
                          ", family=AF_UNIX, type=SOCK_STREAM, proto=0>");
}

TEST_F(Socket, ReprOfClosedSocket) {
  socket s;
  s.bind(inet_address{"127.0.0.1", 0});
  s.close();
  EXPECT_EQ(s.repr(), "<pysock.socket [closed] fd=-1, family=AF_INET, type=SOCK_STREAM, proto=0>");
}

TEST_F(Socket, ReprWhileCloseIsDeferred) {
  socket s;
  s.bind(inet_address{"127.0.0.1", 0});
  const int fd = s.fileno();
  auto ref = s.io_ref();
  s.close();
  EXPECT_EQ(s.repr(), "<pysock.socket [closed] fd=" + std::to_string(fd) +
                          ", family=AF_INET, type=SOCK_STREAM, proto=0>");
}

TEST_F(Socket, ReprOfUnixPathAndAbstractName) {
  const auto path =
      std::filesystem::temp_directory_path() / ("pysock-repr-" + std::to_string(::getpid()));
  socket named(family::local);
  named.bind(unix_address{path.string()});
  EXPECT_NE(named.repr().find(", laddr=" + path.string() + ">"), std::string::npos);
  std::filesystem::remove(path);
  socket abstract(family::local);
  abstract.bind(unix_address{std::string("\0pysock-repr", 12) + std::to_string(::getpid())});
  EXPECT_NE(abstract.repr().find(", laddr=b'\\x00pysock-repr"), std::string::npos);
}

TEST_F(Socket, MovedFromSocketIsClosedAndHarmless) {
  socket s;
  const int fd = s.fileno();
  socket t = std::move(s);
  EXPECT_EQ(t.fileno(), fd);
  EXPECT_EQ(s.fileno(), -1);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(s.repr(), "<pysock.socket [closed] fd=-1>");
  EXPECT_NO_THROW(s.close());
  EXPECT_THROW_ERRNO((void)s.recv(1), os_error, EBADF);
}

TEST_F(Socket, MoveAssignmentClosesTheTarget) {
  socket a;
  socket b;
  const int old_fd = a.fileno();
  const int kept_fd = b.fileno();
  a = std::move(b);
  EXPECT_FALSE(fd_is_open(old_fd));
  EXPECT_EQ(a.fileno(), kept_fd);
  EXPECT_TRUE(fd_is_open(kept_fd));
}

// ---- finalizers on sockets ----------------------------------------------------------------

TEST_F(Socket, FinalizerRunsWhenTheSocketGoes) {
  int fd = -1;
  bool fd_was_closed = false;
  {
    socket s;
    fd = s.fileno();
    pysock::finalize(s, [&] { fd_was_closed = !fd_is_open(fd); });
  }
  EXPECT_TRUE(fd_was_closed);  // the fd is closed before the finalizer runs
}

TEST_F(Socket, FinalizersFollowTheMovedSocket) {
  std::vector<std::string> ran;
  std::optional<socket> target;
  finalizer f;
  {
    socket s;
    f = pysock::finalize(s, [&] { ran.push_back("moved"); });
    target.emplace(std::move(s));
  }
  EXPECT_TRUE(ran.empty());  // destroying the moved-from object ran nothing
  EXPECT_TRUE(f.alive());
  target.reset();
  EXPECT_EQ(ran, std::vector<std::string>{"moved"});
  EXPECT_FALSE(f.alive());
}

TEST_F(Socket, MoveAssignmentRunsTheReplacedSocketsFinalizers) {
  std::vector<std::string> ran;
  socket a;
  socket b;
  pysock::finalize(a, [&] { ran.push_back("a"); });
  pysock::finalize(b, [&] { ran.push_back("b"); });
  a = std::move(b);
  EXPECT_EQ(ran, std::vector<std::string>{"a"});
  a.close();
  EXPECT_EQ(ran, std::vector<std::string>{"a"});  // closing is not destroying
}

TEST_F(Socket, UnixServerPathIsUnlinkedByItsFinalizer) {
  const auto path =
      std::filesystem::temp_directory_path() / ("pysock-fin-" + std::to_string(::getpid()));
  {
    socket server(family::local);
    server.bind(unix_address{path.string()});
    pysock::finalize(
        server, [](const std::filesystem::path& p) { std::filesystem::remove(p); }, path);
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

// ---- 1.3 dup and accept -------------------------------------------------------------------

TEST_F(Socket, DupCopiesTimeoutAndIsNotInheritable) {
  socket s;
  s.settimeout(3.5s);
  socket copy = s.dup();
  EXPECT_NE(copy.fileno(), s.fileno());
  EXPECT_EQ(seconds_of(copy.gettimeout()), 3.5);
  EXPECT_FALSE(copy.get_inheritable());
  EXPECT_EQ(copy.family(), s.family());
  EXPECT_EQ(copy.type(), s.type());
  EXPECT_EQ(copy.proto(), s.proto());
}

TEST_F(Socket, DupReceives) {
  auto [client, server] = tcp_pair();
  socket copy = server.dup();
  client.sendall(MSG);
  EXPECT_EQ(copy.recv(1024), MSG);
}

struct listener_with_client {
  socket listener;
  socket client;
};

listener_with_client pending_connection() {
  listener_with_client pair;
  pair.listener.bind(inet_address{"127.0.0.1", 0});
  pair.listener.listen();
  pair.client.connect(pair.listener.getsockname());
  return pair;
}

TEST_F(Socket, AcceptFromListenerWithTimeoutIsBlocking) {
  auto p = pending_connection();
  p.listener.settimeout(10s);
  auto [accepted, peer] = p.listener.accept();
  EXPECT_EQ(accepted.gettimeout(), std::nullopt);
  EXPECT_FALSE(fd_nonblocking(accepted.fileno()));
  EXPECT_EQ(peer, p.client.getsockname());
  EXPECT_EQ(accepted.family(), family::inet);
  EXPECT_EQ(accepted.type(), sock_type::stream);
  EXPECT_FALSE(accepted.get_inheritable());
}

TEST_F(Socket, AcceptTakesTheDefaultTimeoutWhenSet) {
  auto p = pending_connection();
  p.listener.settimeout(10s);
  setdefaulttimeout(20s);
  auto [accepted, peer] = p.listener.accept();
  EXPECT_EQ(seconds_of(accepted.gettimeout()), 20.0);
}

TEST_F(Socket, NonBlockingAcceptWithNothingPending) {
  socket listener;
  listener.bind(inet_address{"127.0.0.1", 0});
  listener.listen();
  listener.setblocking(false);
  const double took =
      elapsed_seconds([&] { EXPECT_THROW((void)listener.accept(), blocking_io_error); });
  EXPECT_LT(took, 1.0);
  // After poll says readable, accept works and the new socket is blocking (testAccept).
  socket client;
  client.connect(listener.getsockname());
  pollfd p{listener.fileno(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  auto [accepted, peer] = listener.accept();
  EXPECT_EQ(accepted.gettimeout(), std::nullopt);
}

TEST_F(Socket, AcceptTimesOut) {
  socket listener;
  listener.bind(inet_address{"127.0.0.1", 0});
  listener.listen();
  listener.settimeout(0.05s);
  const double took =
      elapsed_seconds([&] { EXPECT_THROW((void)listener.accept(), timeout_error); });
  EXPECT_GE(took, 0.04);
  EXPECT_LT(took, 2.0);
}

// ---- 1.4 deferred close and detach --------------------------------------------------------

TEST_F(Socket, CloseWithAnIoReferenceIsDeferred) {
  auto [client, server] = tcp_pair();
  const int fd = server.fileno();
  auto ref = server.io_ref();
  server.close();
  EXPECT_TRUE(server.closed());
  EXPECT_EQ(server.fileno(), fd);
  EXPECT_TRUE(fd_is_open(fd));
  client.sendall(MSG);
  std::string buffer(MSG.size(), '\0');
  EXPECT_EQ(ref.recv_into(std::as_writable_bytes(std::span(buffer))), MSG.size());
  EXPECT_EQ(buffer, MSG);
  ref.release();
  EXPECT_EQ(server.fileno(), -1);
  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_THROW_ERRNO(server.getsockname(), os_error, EBADF);
}

TEST_F(Socket, TheLastOfTwoReferencesCloses) {
  socket s;
  const int fd = s.fileno();
  auto first = s.io_ref();
  auto second = s.io_ref();
  s.close();
  first.release();
  EXPECT_TRUE(fd_is_open(fd));
  EXPECT_EQ(s.fileno(), fd);
  EXPECT_EQ(second.fileno(), fd);
  second.release();
  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_EQ(second.fileno(), -1);
}

TEST_F(Socket, ReleasingWithoutCloseKeepsTheSocketUsable) {
  auto [client, server] = tcp_pair();
  server.io_ref().release();
  EXPECT_FALSE(server.closed());
  client.sendall(MSG);
  EXPECT_EQ(server.recv(1024), MSG);
}

TEST_F(Socket, ReleaseIsCountedOnce) {
  socket s;
  const int fd = s.fileno();
  auto first = s.io_ref();
  auto second = s.io_ref();
  s.close();
  first.release();
  first.release();  // a second release of the same reference gives nothing back
  socket_io_ref moved = std::move(first);
  moved.release();
  EXPECT_TRUE(fd_is_open(fd));
  second.release();
  EXPECT_FALSE(fd_is_open(fd));
}

TEST_F(Socket, SocketStillWorksWhileCloseIsDeferred) {
  // Python's makefile(buffering=0): after s.close() the fd is open, so s.recv() still works;
  // once the file is closed, recv raises.
  auto [client, server] = tcp_pair();
  auto ref = server.io_ref();
  server.close();
  client.sendall(MSG);
  EXPECT_EQ(server.recv(1024), MSG);
  ref.release();
  EXPECT_THROW((void)server.recv(1024), os_error);
}

TEST_F(Socket, IoReferenceOutlivesTheSocketObject) {
  auto [client, server] = tcp_pair();
  int fd = -1;
  socket_io_ref ref;
  {
    socket doomed = std::move(server);
    fd = doomed.fileno();
    ref = doomed.io_ref();
  }
  EXPECT_TRUE(fd_is_open(fd));
  client.sendall(MSG);
  std::string buffer(64, '\0');
  const std::size_t n = ref.recv_into(std::as_writable_bytes(std::span(buffer)));
  EXPECT_EQ(buffer.substr(0, n), MSG);
  EXPECT_EQ(ref.send(bytes_of("pong")), 4u);
  EXPECT_EQ(client.recv(16), "pong");
  ref.release();
  EXPECT_FALSE(fd_is_open(fd));
}

TEST_F(Socket, CloseIsIdempotent) {
  socket s;
  s.close();
  EXPECT_NO_THROW(s.close());
  EXPECT_NO_THROW(s.close());
  EXPECT_EQ(s.fileno(), -1);
}

TEST_F(Socket, CloseAfterTheFdWasClosedBehindItsBack) {
  // testCloseException: another owner closed the same fd.
  socket s;
  ::close(s.fileno());
  EXPECT_THROW_ERRNO(s.close(), os_error, EBADF);
}

TEST_F(Socket, SendAfterCloseFails) {
  socket s;
  s.settimeout(1s);
  s.close();
  EXPECT_THROW((void)s.send("foo"), os_error);
}

TEST_F(Socket, DetachHandsTheFdOver) {
  auto [client, server] = tcp_pair();
  const int fd = server.fileno();
  EXPECT_EQ(server.detach(), fd);
  EXPECT_TRUE(server.closed());
  EXPECT_EQ(server.fileno(), -1);
  EXPECT_THROW((void)server.recv(1024), os_error);
  EXPECT_NO_THROW(server.close());
  EXPECT_TRUE(fd_is_open(fd));
  socket again = socket::adopt(fd);
  client.sendall(MSG);
  EXPECT_EQ(again.recv(1024), MSG);
}

TEST_F(Socket, DetachWithAnIoReferenceOpen) {
  socket s;
  const int fd = s.fileno();
  auto ref = s.io_ref();
  EXPECT_EQ(s.detach(), fd);
  EXPECT_EQ(s.fileno(), -1);
  EXPECT_EQ(ref.fileno(), -1);
  ref.release();
  EXPECT_TRUE(fd_is_open(fd));  // the detached fd belongs to the caller
  ::close(fd);
}

TEST_F(Socket, IoReferenceOnAClosedSocket) {
  socket s;
  s.close();
  auto ref = s.io_ref();
  std::byte buffer[4];
  EXPECT_THROW_ERRNO((void)ref.recv_into(buffer), os_error, EBADF);
}

// ---- 1.5 the timeout model ----------------------------------------------------------------

TEST_F(Socket, SetBlockingAndTimeouts) {
  socket s;
  s.setblocking(true);
  EXPECT_EQ(s.gettimeout(), std::nullopt);
  EXPECT_TRUE(s.getblocking());
  EXPECT_FALSE(fd_nonblocking(s.fileno()));
  s.setblocking(false);
  EXPECT_EQ(seconds_of(s.gettimeout()), 0.0);
  EXPECT_FALSE(s.getblocking());
  EXPECT_TRUE(fd_nonblocking(s.fileno()));
  s.settimeout(std::nullopt);
  EXPECT_TRUE(s.getblocking());
  EXPECT_FALSE(fd_nonblocking(s.fileno()));
  s.settimeout(0s);
  EXPECT_FALSE(s.getblocking());
  EXPECT_TRUE(fd_nonblocking(s.fileno()));
  s.settimeout(10s);
  EXPECT_TRUE(s.getblocking());
  EXPECT_TRUE(fd_nonblocking(s.fileno()));
  EXPECT_EQ(seconds_of(s.gettimeout()), 10.0);
}

TEST_F(Socket, SetTimeoutRejectsBadValues) {
  socket s;
  EXPECT_THROW(s.settimeout(-1s), value_error);
  EXPECT_THROW(s.settimeout(std::chrono::duration<double>(std::nan(""))), value_error);
  EXPECT_THROW(s.settimeout(std::chrono::duration<double>(INFINITY)), value_error);
  EXPECT_THROW(s.settimeout(std::chrono::duration<double>(1e300)), value_error);
  EXPECT_EQ(s.gettimeout(), std::nullopt);
}

TEST_F(Socket, RecvTimesOut) {
  auto [client, server] = unix_pair();
  server.settimeout(0.05s);
  EXPECT_THROW_WITH((void)server.recv(1), timeout_error, [](const timeout_error& e) {
    EXPECT_STREQ(e.what(), "timed out");
    EXPECT_EQ(e.errno_value(), std::nullopt);
  });
  const double took =
      elapsed_seconds([&server = server] { EXPECT_THROW((void)server.recv(1), timeout_error); });
  EXPECT_GE(took, 0.045);
  EXPECT_LT(took, 2.0);
}

TEST_F(Socket, NonBlockingRecvRaisesBlockingIoError) {
  auto [client, server] = tcp_pair();
  server.setblocking(false);
  EXPECT_THROW_WITH((void)server.recv(1024), blocking_io_error, [&](const blocking_io_error& e) {
    EXPECT_EQ(e.errno_value(), EAGAIN);
    EXPECT_STREQ(e.what(), "[Errno 11] Resource temporarily unavailable: recv");
  });
  client.sendall(MSG);
  pollfd p{server.fileno(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  EXPECT_EQ(server.recv(MSG.size()), MSG);
}

// The system call the thread `tid` of this process is blocked in, or -1 while it runs
// (/proc/self/task/<tid>/syscall).
long blocked_syscall(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  std::string first;
  in >> first;
  return first.empty() || first == "running" ? -1 : std::stol(first);
}

// Waits (at most 10 s) until thread `tid` is blocked in recv. The data must arrive while the
// receiver already waits inside pysock's poll or recv, not before it started.
bool wait_until_blocked_in_receive(pid_t tid) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    const long call = blocked_syscall(tid);
    if (call == SYS_poll || call == SYS_ppoll || call == SYS_recvfrom) return true;
    std::this_thread::yield();
  }
  return false;
}

TEST_F(Socket, TimeoutReturnsDataThatArrivesInTime) {
  auto [client, server] = tcp_pair();
  server.settimeout(30s);
  const pid_t receiver = static_cast<pid_t>(::syscall(SYS_gettid));
  std::thread writer([&client = client, receiver] {
    if (wait_until_blocked_in_receive(receiver))
      client.sendall(MSG);
    else
      client.shutdown(shut::wr);  // the recv below then fails the test at once
  });
  EXPECT_EQ(server.recv(1024), MSG);
  writer.join();
}

TEST_F(Socket, SendallDeadlineCoversTheWholeCall) {
  // The peer drains a little every 20 ms, so each send makes progress: a per-send timeout would
  // never fire, the total deadline of sendall does.
  auto [client, server] = unix_pair();
  std::atomic<bool> stop{false};
  std::thread drainer([&, &server = server] {
    while (!stop) {
      std::this_thread::sleep_for(20ms);
      pollfd p{server.fileno(), POLLIN, 0};
      if (::poll(&p, 1, 0) == 1) (void)server.recv(4096);
    }
  });
  client.settimeout(0.3s);
  const std::string big(64 * 1024 * 1024, 'x');
  const double took =
      elapsed_seconds([&, &client = client] { EXPECT_THROW(client.sendall(big), timeout_error); });
  stop = true;
  drainer.join();
  EXPECT_GE(took, 0.25);
  EXPECT_LT(took, 3.0);
}

TEST_F(Socket, LargeTimeoutsWork) {
  // testLargeTimeout: a timeout beyond INT_MAX milliseconds must not break the poll path.
  auto [client, server] = tcp_pair();
  const double huge = static_cast<double>(INT_MAX) + 1;
  server.settimeout(std::chrono::duration<double>(huge));
  client.settimeout(std::chrono::duration<double>(huge));
  EXPECT_EQ(server.gettimeout()->count(), huge);
  client.sendall(MSG);
  EXPECT_EQ(server.recv(1024), MSG);
  server.settimeout(std::chrono::duration<double>(9e9));
  client.sendall(MSG);
  EXPECT_EQ(server.recv(1024), MSG);
}

TEST_F(Socket, EintrIsRetriedWithTheRemainingTimeout) {
  // A storm of SIGALRM (handler without SA_RESTART) during a 0.2 s recv: still a timeout after
  // about 0.2 s, not an InterruptedError and not a wait restarted from scratch.
  const auto result = pysock_test::run_in_child([] {
    struct sigaction action {};
    action.sa_handler = [](int) {};
    ::sigaction(SIGALRM, &action, nullptr);
    itimerval storm{{0, 5000}, {0, 5000}};
    ::setitimer(ITIMER_REAL, &storm, nullptr);
    auto [client, server] = unix_pair();
    server.settimeout(0.2s);
    const double took = elapsed_seconds([&server = server] {
      try {
        (void)server.recv(1);
        throw std::runtime_error("recv returned");
      } catch (const timeout_error&) {
      }
    });
    itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    if (took < 0.19 || took > 0.6) throw std::runtime_error("took " + std::to_string(took));
  });
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

std::atomic<int> signals_handled{0};

TEST_F(Socket, BlockingRecvSurvivesSignals) {
  const auto result = pysock_test::run_in_child([] {
    struct sigaction action {};
    action.sa_handler = [](int) { signals_handled.fetch_add(1); };
    ::sigaction(SIGALRM, &action, nullptr);
    itimerval storm{{0, 2000}, {0, 2000}};
    ::setitimer(ITIMER_REAL, &storm, nullptr);
    auto [client, server] = unix_pair();
    const pid_t receiver = static_cast<pid_t>(::syscall(SYS_gettid));
    std::thread writer([&client = client, receiver] {
      // SIGALRM goes to the receiving thread only; the writer sends once that thread was
      // interrupted several times inside recv (each EINTR is retried by pysock).
      sigset_t alarm;
      sigemptyset(&alarm);
      sigaddset(&alarm, SIGALRM);
      ::pthread_sigmask(SIG_BLOCK, &alarm, nullptr);
      int interrupted_inside = 0;
      for (int seen = signals_handled.load(); interrupted_inside < 5;) {
        if (!wait_until_blocked_in_receive(receiver)) break;
        if (signals_handled.load() != seen) {
          seen = signals_handled.load();
          ++interrupted_inside;
        }
      }
      client.sendall(interrupted_inside == 5 ? "late" : "never blocked");
    });
    const std::string got = server.recv(16);
    writer.join();
    itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    if (got != "late") throw std::runtime_error("got " + got);
  });
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

// ---- connect ------------------------------------------------------------------------------

TEST_F(Socket, ConnectRefused) {
  const int port = pysock_test::unused_tcp_port();
  socket s;
  EXPECT_THROW_ERRNO(s.connect(inet_address{"127.0.0.1", port}), connection_refused_error,
                     ECONNREFUSED);
  socket with_timeout;
  with_timeout.settimeout(2s);
  EXPECT_THROW(with_timeout.connect(inet_address{"127.0.0.1", port}), connection_refused_error);
}

TEST_F(Socket, ConnectExReturnsTheErrno) {
  socket s;
  EXPECT_EQ(s.connect_ex(inet_address{"127.0.0.1", pysock_test::unused_tcp_port()}), ECONNREFUSED);
  socket listener;
  listener.bind(inet_address{"127.0.0.1", 0});
  listener.listen();
  socket ok;
  EXPECT_EQ(ok.connect_ex(listener.getsockname()), 0);
  EXPECT_EQ(ok.connect_ex(listener.getsockname()), EISCONN);
}

TEST_F(Socket, NonBlockingConnectRaisesInProgress) {
  socket listener;
  listener.bind(inet_address{"127.0.0.1", 0});
  listener.listen();
  socket s;
  s.setblocking(false);
  try {
    s.connect(listener.getsockname());
  } catch (const blocking_io_error& e) {
    EXPECT_EQ(e.errno_value(), EINPROGRESS);
  }
  pollfd p{s.fileno(), POLLOUT, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  EXPECT_EQ(s.getsockopt(SOL_SOCKET, SO_ERROR), 0);
}

TEST_F(Socket, ConnectWithTimeoutToAFullBacklogTimesOut) {
  // A listener whose accept queue is full drops SYNs, so a connect can only time out.
  socket listener;
  listener.bind(inet_address{"127.0.0.1", 0});
  listener.listen(0);
  std::vector<socket> fillers;
  bool blackholed = false;
  for (int i = 0; i < 8 && !blackholed; ++i) {
    socket probe;
    probe.settimeout(0.1s);
    if (probe.connect_ex(listener.getsockname()) == EWOULDBLOCK) blackholed = true;
    fillers.push_back(std::move(probe));
  }
  if (!blackholed) GTEST_SKIP() << "this kernel completes connects beyond the backlog";
  socket s;
  s.settimeout(0.1s);
  const double took =
      elapsed_seconds([&] { EXPECT_THROW(s.connect(listener.getsockname()), timeout_error); });
  EXPECT_GE(took, 0.09);
  EXPECT_LT(took, 2.0);
}

// ---- 9.2 BasicTCPTest ---------------------------------------------------------------------

TEST_F(Socket, BasicRecv) {
  auto [client, server] = tcp_pair();
  client.sendall(MSG);
  EXPECT_EQ(server.recv(1024), MSG);
}

TEST_F(Socket, OverflowRecv) {
  auto [client, server] = tcp_pair();
  client.sendall(MSG);
  const std::string head = server.recv(MSG.size() - 3);
  const std::string tail = server.recv(1024);
  EXPECT_EQ(head + tail, MSG);
}

TEST_F(Socket, RecvFromOnTcp) {
  auto [client, server] = tcp_pair();
  client.sendall(MSG);
  auto [data, from] = server.recvfrom(MSG.size() - 3);
  auto [rest, from2] = server.recvfrom(1024);
  EXPECT_EQ(data + rest, MSG);
}

TEST_F(Socket, SendAll2048) {
  auto [client, server] = tcp_pair();
  const std::string big(2048, 'f');
  client.sendall(big);
  client.close();
  std::string got;
  for (std::string chunk; !(chunk = server.recv(1024)).empty();)
    got += chunk;
  EXPECT_EQ(got, big);
}

TEST_F(Socket, FromDuplicatedFd) {
  auto [client, server] = tcp_pair();
  socket adopted = socket::adopt(::fcntl(server.fileno(), F_DUPFD_CLOEXEC, 0));
  client.sendall(MSG);
  EXPECT_EQ(adopted.recv(1024), MSG);
}

TEST_F(Socket, ShutdownStillDelivers) {
  auto [client, server] = tcp_pair();
  client.sendall(MSG);
  client.shutdown(shut::rdwr);
  EXPECT_EQ(server.recv(1024), MSG);
  EXPECT_EQ(server.recv(1024), "");
}

TEST_F(Socket, ShutdownWriteIsHalfClose) {
  auto [client, server] = tcp_pair();
  client.shutdown(shut::wr);
  EXPECT_EQ(server.recv(16), "");
  server.sendall("still open");
  EXPECT_EQ(client.recv(16), "still open");
}

TEST_F(Socket, ShutdownOfUnconnectedSocket) {
  socket s;
  EXPECT_THROW_ERRNO(s.shutdown(shut::rdwr), os_error, ENOTCONN);
}

// ---- 9.3 TCPCloserTest --------------------------------------------------------------------

TEST_F(Socket, PeerCloseGivesEmptyRecv) {
  auto [client, server] = tcp_pair();
  client.sendall("x");
  pollfd p{server.fileno(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 1000), 1);
  EXPECT_EQ(server.recv(1), "x");
  server.close();
  p = pollfd{client.fileno(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 1000), 1);
  EXPECT_EQ(client.recv(1), "");
  client.close();
  client.close();
}

// ---- SIGPIPE ------------------------------------------------------------------------------

TEST_F(Socket, WritingToAClosedPeerNeverRaisesSigpipe) {
  for (const bool tcp : {true, false}) {
    const auto result = pysock_test::run_in_child([tcp] {
      ::signal(SIGPIPE, SIG_DFL);
      auto [client, server] = tcp ? tcp_pair() : unix_pair();
      server.close();
      const std::string chunk(65536, 'x');
      try {
        for (int i = 0; i < 1000; ++i)
          client.sendall(chunk);
      } catch (const broken_pipe_error&) {
        return;
      } catch (const connection_reset_error&) {
        return;
      }
      throw std::runtime_error("no error raised");
    });
    EXPECT_EQ(result.signal, 0) << "tcp=" << tcp;
    EXPECT_EQ(result.exit_code, 0) << result.output;
  }
}

TEST_F(Socket, SendmsgAndSendtoUseNoSignal) {
  const auto result = pysock_test::run_in_child([] {
    ::signal(SIGPIPE, SIG_DFL);
    auto [client, server] = unix_pair();
    server.close();
    const std::string data = "abc";
    const std::span<const std::byte> parts[] = {bytes_of(data)};
    try {
      (void)client.sendmsg(parts);
    } catch (const broken_pipe_error&) {
      return;
    }
    throw std::runtime_error("no error raised");
  });
  EXPECT_EQ(result.signal, 0);
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

// ---- datagrams, unix sockets, messages ----------------------------------------------------

TEST_F(Socket, UdpSendtoRecvfrom) {
  socket receiver(family::inet, sock_type::dgram);
  receiver.bind(inet_address{"127.0.0.1", 0});
  socket sender(family::inet, sock_type::dgram);
  sender.bind(inet_address{"127.0.0.1", 0});
  EXPECT_EQ(sender.sendto(MSG, receiver.getsockname()), MSG.size());
  receiver.settimeout(5s);
  auto [data, from] = receiver.recvfrom(1024);
  EXPECT_EQ(data, MSG);
  EXPECT_EQ(from, sender.getsockname());
}

TEST_F(Socket, UnixStreamRecvfromHasNoAddress) {
  auto [a, b] = unix_pair();
  ASSERT_EQ(b.send("x"), 1u);
  auto [data, from] = a.recvfrom(10);
  EXPECT_EQ(data, "x");
  EXPECT_EQ(from, std::nullopt);
}

TEST_F(Socket, UnixPathServer) {
  const auto path =
      std::filesystem::temp_directory_path() / ("pysock-srv-" + std::to_string(::getpid()));
  socket listener(family::local);
  listener.bind(unix_address{path.string()});
  listener.listen();
  EXPECT_EQ(listener.getsockname(), address(unix_address{path.string()}));
  socket client(family::local);
  client.connect(unix_address{path.string()});
  auto [server, peer] = listener.accept();
  EXPECT_EQ(peer, address(unix_address{}));
  client.sendall(MSG);
  EXPECT_EQ(server.recv(1024), MSG);
  std::filesystem::remove(path);
}

TEST_F(Socket, UnixEmptyPathAutobinds) {
  socket s(family::local);
  s.bind(unix_address{""});
  const auto name = std::get<unix_address>(s.getsockname()).path;
  ASSERT_EQ(name.size(), 6u);  // Linux picks '\0' and five hex digits
  EXPECT_EQ(name[0], '\0');
  socket one_nul(family::local);
  one_nul.bind(unix_address{std::string(1, '\0')});
  EXPECT_EQ(one_nul.getsockname(), address(unix_address{std::string(1, '\0')}));
}

TEST_F(Socket, UnixPathTooLong) {
  socket s(family::local);
  EXPECT_THROW(s.bind(unix_address{"/tmp/" + std::string(200, 'x')}), value_error);
}

TEST_F(Socket, BindPortOutOfRange) {
  socket s;
  EXPECT_THROW_MSG(s.bind(inet_address{"127.0.0.1", 70000}), value_error,
                   "bind(): port must be 0-65535.");
  EXPECT_THROW_MSG(s.connect(inet_address{"127.0.0.1", -1}), value_error,
                   "connect(): port must be 0-65535.");
}

TEST_F(Socket, BindErrorsCarryTheErrno) {
  socket first;
  first.bind(inet_address{"127.0.0.1", 0});
  first.listen();
  socket second;
  EXPECT_THROW_WITH(second.bind(first.getsockname()), os_error, [&](const os_error& e) {
    EXPECT_EQ(e.errno_value(), EADDRINUSE);
    EXPECT_EQ(e.context(), "bind");
  });
}

TEST_F(Socket, SendmsgGathersAndRecvmsgReturnsAncillaryData) {
  auto [a, b] = unix_pair();
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  ancillary_data rights{SOL_SOCKET, SCM_RIGHTS, std::string(sizeof(int), '\0')};
  std::memcpy(rights.data.data(), &pipe_fds[1], sizeof(int));
  const std::span<const std::byte> parts[] = {bytes_of("hello "), bytes_of("world")};
  EXPECT_EQ(a.sendmsg(parts, std::span(&rights, 1)), 11u);
  ::close(pipe_fds[1]);

  auto message = b.recvmsg(64, 64, msg_cmsg_cloexec);
  EXPECT_EQ(message.data, "hello world");
  EXPECT_FALSE(any(message.msg_flags & msg_ctrunc));
  ASSERT_EQ(message.ancdata.size(), 1u);
  EXPECT_EQ(message.ancdata[0].level, SOL_SOCKET);
  EXPECT_EQ(message.ancdata[0].type, SCM_RIGHTS);
  ASSERT_EQ(message.ancdata[0].data.size(), sizeof(int));
  int received = -1;
  std::memcpy(&received, message.ancdata[0].data.data(), sizeof(int));
  EXPECT_TRUE(::fcntl(received, F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(::write(received, "z", 1), 1);
  char c = 0;
  EXPECT_EQ(::read(pipe_fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'z');
  ::close(received);
  ::close(pipe_fds[0]);
}

TEST_F(Socket, RecvmsgWithoutRoomReportsCtrunc) {
  auto [a, b] = unix_pair();
  const int fd = ::dup(0);
  ancillary_data rights{SOL_SOCKET, SCM_RIGHTS, std::string(sizeof(int), '\0')};
  std::memcpy(rights.data.data(), &fd, sizeof(int));
  const std::span<const std::byte> parts[] = {bytes_of("x")};
  ASSERT_EQ(a.sendmsg(parts, std::span(&rights, 1)), 1u);
  ::close(fd);
  auto message = b.recvmsg(8, 0, msg_cmsg_cloexec);
  EXPECT_EQ(message.data, "x");
  EXPECT_TRUE(any(message.msg_flags & msg_ctrunc));
  EXPECT_TRUE(message.ancdata.empty());
}

// ---- socket options and names -------------------------------------------------------------

TEST_F(Socket, SocketOptions) {
  socket s;
  s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  EXPECT_NE(s.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
  EXPECT_EQ(s.getsockopt(SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  const std::string linger = s.getsockopt(SOL_SOCKET, SO_LINGER, 8);
  EXPECT_EQ(linger, std::string(8, '\0'));
  const int on_for_5[2] = {1, 5};
  s.setsockopt(SOL_SOCKET, SO_LINGER, std::as_bytes(std::span(on_for_5)));
  const std::string set = s.getsockopt(SOL_SOCKET, SO_LINGER, 8);
  EXPECT_EQ(set, std::string(reinterpret_cast<const char*>(on_for_5), 8));
  EXPECT_THROW_MSG(s.getsockopt(SOL_SOCKET, SO_LINGER, 1025), os_error,
                   "getsockopt buflen out of range");
  EXPECT_THROW(s.getsockopt(SOL_SOCKET, SO_LINGER, 0), os_error);
}

TEST_F(Socket, GetpeernameOfUnconnectedSocket) {
  socket s;
  EXPECT_THROW_ERRNO(s.getpeername(), os_error, ENOTCONN);
}

// How many connections a listener with `backlog` queues before a non-blocking connect gets
// EAGAIN. An AF_UNIX listener queues backlog + 1 (Linux's unix_recvq_full), so the backlog that
// reached listen(2) shows without timing.
std::size_t queued_connections(std::optional<int> backlog) {
  static int serial = 0;
  const unix_address name{std::string("\0pysock-backlog-", 16) + std::to_string(::getpid()) + "-" +
                          std::to_string(serial++)};
  socket listener(family::local);
  listener.bind(name);
  listener.listen(backlog);
  std::vector<socket> clients;
  for (std::size_t i = 0; i < 1000; ++i) {
    socket client(family::local);
    client.setblocking(false);
    if (const int error = client.connect_ex(name); error != 0) {
      EXPECT_EQ(error, EAGAIN);
      break;
    }
    clients.push_back(std::move(client));
  }
  return clients.size();
}

TEST_F(Socket, ListenBacklogs) {
  EXPECT_EQ(queued_connections(0), 1u);
  EXPECT_EQ(queued_connections(5), 6u);
  EXPECT_EQ(queued_connections(-1), 1u);  // a negative backlog is taken as 0, as in Python
  EXPECT_EQ(queued_connections(std::nullopt), std::size_t(std::min(SOMAXCONN, 128)) + 1);
}

// ---- typed options ------------------------------------------------------------------------

TEST_F(Socket, TypedOptionsReachTheKernel) {
  auto [client, server] = tcp_pair();
  client.set_option(tcp_nodelay(true));
  EXPECT_TRUE(client.get_option<tcp_nodelay>().value());
  EXPECT_NE(client.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0);
  client.set_option(keep_alive(true));
  EXPECT_EQ(client.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
  client.set_option(keep_alive(false));
  EXPECT_FALSE(client.get_option<keep_alive>().value());
  client.set_option(reuse_address(true));
  EXPECT_EQ(client.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
  client.set_option(send_buffer_size(8192));
  EXPECT_EQ(client.get_option<send_buffer_size>().value(),
            client.getsockopt(SOL_SOCKET, SO_SNDBUF));
  EXPECT_GE(client.get_option<send_buffer_size>().value(), 8192);  // Linux doubles it
  client.set_option(receive_buffer_size(8192));
  EXPECT_EQ(client.getsockopt(SOL_SOCKET, SO_RCVBUF),
            client.get_option<receive_buffer_size>().value());
  client.set_option(tcp_keepidle(std::chrono::seconds(42)));
  client.set_option(tcp_keepinterval(std::chrono::seconds(7)));
  client.set_option(tcp_keepcount(3));
  EXPECT_EQ(client.getsockopt(IPPROTO_TCP, TCP_KEEPIDLE), 42);
  EXPECT_EQ(client.get_option<tcp_keepinterval>().value(), std::chrono::seconds(7));
  EXPECT_EQ(client.get_option<tcp_keepcount>(), tcp_keepcount(3));
  client.set_option(linger_option(true, std::chrono::seconds(5)));
  const auto linger = client.get_option<linger_option>();
  EXPECT_TRUE(linger.enabled());
  EXPECT_EQ(linger.timeout(), std::chrono::seconds(5));
  EXPECT_EQ(client.getsockopt(SOL_SOCKET, SO_LINGER, sizeof(::linger)),
            std::string("\1\0\0\0\5\0\0\0", 8));
}

TEST_F(Socket, TypedOptionErrorsAreSetsockoptErrors) {
  socket local(family::local);
  EXPECT_THROW_ERRNO(local.set_option(tcp_nodelay(true)), os_error, EOPNOTSUPP);
}

TEST_F(Socket, FlagSetsCombine) {
  constexpr msg_flags both = msg_peek | msg_dontwait;
  static_assert(any(both & msg_peek) && !any(both & msg_waitall));
  static_assert((both & ~msg_peek) == msg_dontwait);
  msg_flags flags{};
  flags |= msg_flags::waitall;
  EXPECT_EQ(flags, msg_waitall);
  static_assert(any(ai_flags::passive | ai_flags::numerichost));
  auto [client, server] = unix_pair();
  client.sendall("peek");
  EXPECT_EQ(server.recv(16, msg_peek | msg_dontwait), "peek");  // flags reach recv
  EXPECT_EQ(server.recv(16), "peek");
  EXPECT_THROW((void)server.recv(16, msg_dontwait), blocking_io_error);
}

TEST_F(Socket, Inet6Loopback) {
  socket listener(family::inet6);
  try {
    listener.bind(inet6_address{"::1", 0});
  } catch (const os_error& e) {
    GTEST_SKIP() << "no ::1 on this machine: " << e.what();
  }
  listener.listen();
  const auto name = std::get<inet6_address>(listener.getsockname());
  EXPECT_EQ(name.host, "::1");
  socket client(family::inet6);
  client.connect(inet_address{"::1", name.port});
  auto [server, peer] = listener.accept();
  client.sendall(MSG);
  EXPECT_EQ(server.recv(1024), MSG);
}

// ---- 9.11 buffers and inheritance ---------------------------------------------------------

TEST_F(Socket, RecvIntoBuffers) {
  auto [client, server] = tcp_pair();
  client.sendall(MSG);
  std::vector<std::byte> buffer(1024);
  const std::size_t n = server.recv_into(buffer);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), n), MSG);
  client.sendall(MSG);
  char small[5];
  EXPECT_EQ(server.recv_into(std::as_writable_bytes(std::span(small)), 3), 3u);
  EXPECT_EQ(std::string(small, 3), MSG.substr(0, 3));
}

TEST_F(Socket, RecvIntoRejectsOversizedRequests) {
  auto [client, server] = tcp_pair();
  std::byte small[2];
  EXPECT_THROW_MSG((void)server.recv_into(small, 5), value_error,
                   "buffer too small for requested bytes");
  std::byte eight[8];
  EXPECT_THROW_MSG((void)server.recvfrom_into(eight, 1024), value_error,
                   "nbytes is greater than the length of the buffer");
}

TEST_F(Socket, RecvfromIntoAndEmptyBuffers) {
  auto [client, server] = tcp_pair();
  client.sendall(MSG);
  std::vector<std::byte> buffer(1024);
  auto [n, from] = server.recvfrom_into(buffer);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), n), MSG);
  // As in CPython's testRecvFromIntoEmptyBuffer, with data pending: nothing is consumed.
  client.sendall(MSG);
  pollfd p{server.fileno(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  EXPECT_EQ(server.recv_into(std::span<std::byte>()), 0u);
  EXPECT_EQ(server.recvfrom_into(std::span<std::byte>()).first, 0u);
  EXPECT_EQ(server.recv(0), "");
  EXPECT_EQ(server.recv(1024), MSG);
}

TEST_F(Socket, DupOfNonInheritableIsNotInheritable) {
  socket s;
  ASSERT_FALSE(s.get_inheritable());
  socket copy = s.dup();
  EXPECT_FALSE(copy.get_inheritable());
  EXPECT_NE(::fcntl(copy.fileno(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(Socket, DupOfInheritableIsNotInheritableEither) {
  // Python's dup() always makes a non-inheritable fd (PEP 446), whatever the original is.
  socket s;
  s.set_inheritable(true);
  socket copy = s.dup();
  EXPECT_FALSE(copy.get_inheritable());
}

TEST_F(Socket, AcceptedAndPairedSocketsAreNotInheritable) {
  auto [client, server] = tcp_pair();
  EXPECT_FALSE(client.get_inheritable());
  EXPECT_FALSE(server.get_inheritable());
}

TEST_F(Socket, ChildProcessesDoNotInheritSockets) {
  socket s;
  const std::string probe = "test -e /proc/self/fd/" + std::to_string(s.fileno());
  EXPECT_NE(pysock_test::run_command(probe).exit_code, 0);
  s.set_inheritable(true);
  EXPECT_EQ(pysock_test::run_command(probe).exit_code, 0);
}

// ---- threads ------------------------------------------------------------------------------

TEST(SocketThreaded, CloseRacesDetach) {
  // FreeThreadingTests.test_close_detach_race: must not crash, and the fd ends up either closed
  // by close() or handed to detach() exactly once.
  for (int round = 0; round < 50; ++round) {
    socket s;
    const int fd = s.fileno();
    std::atomic<int> detached{-1};
    std::atomic<int> handed_out{0};
    std::atomic<int> close_errors{0};  // a second ::close of the fd raises EBADF here
    std::thread closer([&] {
      for (int i = 0; i < 20; ++i) {
        try {
          s.close();
        } catch (const os_error&) {
          ++close_errors;
        }
      }
    });
    std::thread detacher([&] {
      for (int i = 0; i < 20; ++i) {
        const int got = s.detach();
        if (got >= 0) {
          detached = got;
          ++handed_out;
        }
      }
    });
    closer.join();
    detacher.join();
    EXPECT_EQ(s.fileno(), -1);
    EXPECT_EQ(close_errors, 0);
    EXPECT_LE(handed_out, 1);
    // No other thread opens fds here, so the number still names the socket's fd: open exactly
    // when detach() took it, closed exactly when close() did.
    const bool open = ::fcntl(fd, F_GETFD) >= 0;
    if (detached >= 0) {
      EXPECT_EQ(detached, fd);
      EXPECT_TRUE(open) << "detach() handed out an fd that close() closed";
      ::close(detached);
    } else {
      EXPECT_FALSE(open) << "neither close() nor detach() let go of the fd";
    }
  }
}

TEST(SocketThreaded, OneReaderAndOneWriter) {
  auto [client, server] = tcp_pair();
  constexpr std::size_t total = 4 * 1024 * 1024;
  std::thread writer([&client = client] {
    const std::string chunk(4096, 'w');
    for (std::size_t sent = 0; sent < total; sent += chunk.size())
      client.sendall(chunk);
  });
  std::thread echo_writer([&server = server] {
    const std::string chunk(4096, 'e');
    for (std::size_t sent = 0; sent < total; sent += chunk.size())
      server.sendall(chunk);
  });
  auto drain = [](socket& s) {
    std::size_t got = 0;
    std::vector<std::byte> buffer(65536);
    while (got < total)
      got += s.recv_into(buffer);
    return got;
  };
  std::size_t client_got = 0;
  std::thread client_reader([&, &client = client] { client_got = drain(client); });
  EXPECT_EQ(drain(server), total);
  writer.join();
  echo_writer.join();
  client_reader.join();
  EXPECT_EQ(client_got, total);
}

}  // namespace

namespace {

// The non-throwing overloads (Asio's convention): errors land in the error_code, nothing throws.
TEST(SocketErrorCode, RecvAndSendReportInsteadOfThrowing) {
  auto [a, b] = unix_pair();
  a.setblocking(false);
  std::error_code ec = std::make_error_code(std::errc::io_error);
  std::array<std::byte, 16> buffer{};
  const long before = pysock_test::exceptions_thrown();
  EXPECT_EQ(a.recv_into(buffer, ec), 0u);
  EXPECT_EQ(ec, std::errc::resource_unavailable_try_again);
  EXPECT_EQ(a.recv(16, ec), "");
  EXPECT_EQ(ec, std::errc::resource_unavailable_try_again);
  EXPECT_EQ(b.send("hello", ec), 5u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(a.recv(16, ec), "hello");
  EXPECT_FALSE(ec);
  b.close();
  EXPECT_EQ(a.recv_into(buffer, ec), 0u);  // EOF: 0 with a clear code
  EXPECT_FALSE(ec);
  EXPECT_EQ(pysock_test::exceptions_thrown() - before, 0);
  socket moved = std::move(a);
  EXPECT_EQ(a.send("x", ec), 0u);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
}

TEST(SocketErrorCode, SocketTimeoutIsTimedOut) {
  auto [a, b] = unix_pair();
  a.settimeout(20ms);
  std::error_code ec;
  std::array<std::byte, 4> buffer{};
  EXPECT_EQ(a.recv_into(buffer, ec), 0u);
  EXPECT_EQ(ec, std::errc::timed_out);
  EXPECT_EQ(ec, timeout_error().code());
}

// sendall's partial progress: a non-blocking socket stops at EAGAIN and says how much went.
TEST(SocketErrorCode, SendallReportsPartialProgress) {
  auto [a, b] = unix_pair();
  a.setblocking(false);
  const std::string big(8 * 1024 * 1024, 'x');
  std::error_code ec;
  const std::size_t sent = a.sendall(big, ec);
  EXPECT_EQ(ec, std::errc::resource_unavailable_try_again);
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, big.size());
  std::size_t received = 0;
  b.settimeout(5s);
  while (received < sent)
    received += b.recv(1 << 20).size();
  EXPECT_EQ(received, sent);
  EXPECT_EQ(a.sendall("tail", ec), 4u);
  EXPECT_FALSE(ec);
}

TEST(SocketErrorCode, AcceptAndConnect) {
  socket listener;
  listener.bind(inet_address{"127.0.0.1", 0});
  listener.listen();
  listener.setblocking(false);
  std::error_code ec;
  EXPECT_EQ(listener.accept(ec), std::nullopt);
  EXPECT_EQ(ec, std::errc::resource_unavailable_try_again);
  socket client;
  client.connect(listener.getsockname(), ec);
  EXPECT_FALSE(ec);
  listener.setblocking(true);
  auto accepted = listener.accept(ec);
  ASSERT_TRUE(accepted);
  EXPECT_FALSE(ec);
  EXPECT_EQ(accepted->second, client.getsockname());

  socket refused;
  refused.connect(inet_address{"127.0.0.1", pysock_test::unused_tcp_port()}, ec);
  EXPECT_EQ(ec, std::errc::connection_refused);
  socket nonblocking;
  nonblocking.setblocking(false);
  nonblocking.connect(listener.getsockname(), ec);
  EXPECT_TRUE(!ec || ec == std::errc::operation_in_progress) << ec.message();
}

}  // namespace
