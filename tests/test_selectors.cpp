// selectors.hpp: CPython's test_selectors scenarios and the checklist of selectors.md, for each
// selector class (typed tests), plus allocation-free select() and pending() readiness.
#include "pysock/selectors.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <random>
#include <thread>
#include <type_traits>
#include <vector>

#include "detail/selector_timeouts.hpp"
#include "support/allocations.hpp"
#include "support/helpers.hpp"

namespace {

using namespace pysock;
using pysock::socket;
using namespace std::chrono_literals;
using pysock_test::unix_pair;
using steady = std::chrono::steady_clock;

// An object with fileno() and a repr, like a Python file object.
struct fd_object {
  int fd;
  int fileno() const { return fd; }
  std::string repr() const { return "<fd_object fd=" + std::to_string(fd) + ">"; }
};

// fileno() raising what a closed Python file raises.
struct closed_file {
  int fileno() const { throw value_error("I/O operation on closed file."); }
  std::string repr() const { return "<closed_file>"; }
};

// A TLS-like reader: bytes already decrypted in user space that the kernel does not know about.
struct buffered_reader_like {
  socket* sock;
  std::size_t buffered = 0;
  int fileno() const { return sock->fileno(); }
  std::size_t pending() const { return buffered; }
};

template <class S>
constexpr bool is_epoll = std::is_base_of_v<epoll_selector<>, S>;
template <class S>
constexpr bool is_select = std::is_same_v<S, select_selector<>>;

template <class S>
class Selectors : public ::testing::Test {};
using selector_types =
    ::testing::Types<default_selector<>, epoll_selector<>, poll_selector<>, select_selector<>>;
TYPED_TEST_SUITE(Selectors, selector_types);

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

// test_register; checklist 2.1, 2.2.
TYPED_TEST(Selectors, RegisterReturnsTheStoredKey) {
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  const auto& key = sel.register_(rd, event_read, std::string("data"));
  EXPECT_EQ(key.fileobj.template get<socket>(), &rd);
  EXPECT_EQ(key.fd, rd.fileno());
  EXPECT_EQ(key.events, event_read);
  EXPECT_EQ(std::any_cast<std::string>(key.data), "data");
  EXPECT_EQ(&sel.get_key(rd), &key);
  EXPECT_EQ(&sel.get_key(rd.fileno()), &key);
}

TYPED_TEST(Selectors, RegisterChecksEventsFirstThenTheObject) {
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  for (int events : {0, 4, -1, 7, 999999})
    EXPECT_THROW_MSG(sel.register_(rd, events), value_error,
                     "Invalid events: " + std::to_string(events));
  EXPECT_THROW_MSG(sel.register_(-10, 0), value_error, "Invalid events: 0");
  EXPECT_THROW_MSG(sel.register_(-10, event_read), value_error, "Invalid file descriptor: -10");
  closed_file file;
  EXPECT_THROW_MSG(sel.register_(file, event_read), value_error,
                   "Invalid file object: <closed_file>");
  EXPECT_EQ(sel.get_map()->size(), 0u);
}

TYPED_TEST(Selectors, RegisterTwiceIsAKeyError) {
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  sel.register_(rd, event_read);
  const std::string fd = std::to_string(rd.fileno());
  EXPECT_THROW_MSG(sel.register_(rd, event_read), key_error,
                   rd.repr() + " (FD " + fd + ") is already registered");
  EXPECT_THROW_MSG(sel.register_(rd.fileno(), event_read), key_error,
                   fd + " (FD " + fd + ") is already registered");
  fd_object same{rd.fileno()};  // another object on the same fd
  EXPECT_THROW_MSG(sel.register_(same, event_write), key_error,
                   "<fd_object fd=" + fd + "> (FD " + fd + ") is already registered");
  EXPECT_EQ(sel.get_map()->size(), 1u);
}

// test_unregister*; checklist 2.3.
TYPED_TEST(Selectors, Unregister) {
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  sel.register_(rd, event_read, 7);
  const auto key = sel.unregister(rd);
  EXPECT_EQ(key.fd, rd.fileno());
  EXPECT_EQ(std::any_cast<int>(key.data), 7);
  EXPECT_THROW_MSG(sel.unregister(rd), key_error, rd.repr() + " is not registered");
  EXPECT_THROW_MSG(sel.unregister(999999), key_error, "999999 is not registered");
  EXPECT_THROW_MSG(sel.unregister(-5), value_error, "Invalid file descriptor: -5");
  EXPECT_THROW_MSG(sel.modify(-5, event_read), value_error, "Invalid file descriptor: -5");
  EXPECT_THROW_MSG(sel.get_key(-5), value_error, "Invalid file descriptor: -5");
}

TYPED_TEST(Selectors, UnregisterAClosedObjectFindsItsKeyByIdentity) {
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  const int fd = rd.fileno();
  sel.register_(rd, event_read);
  rd.close();
  EXPECT_TRUE(sel.get_map()->contains(rd));
  EXPECT_THROW_MSG(sel.register_(rd, event_read), key_error,
                   rd.repr() + " (FD " + std::to_string(fd) + ") is already registered");
  EXPECT_EQ(sel.unregister(rd).fd, fd);
  EXPECT_THROW_MSG(sel.unregister(rd), value_error, "Invalid file descriptor: -1");
  EXPECT_THROW_MSG((void)sel.get_map()->contains(rd), value_error, "Invalid file descriptor: -1");
}

TYPED_TEST(Selectors, UnregisterByFdAfterCloseOrReuse) {
  TypeParam sel;
  auto [a, b] = unix_pair();
  auto [c, d] = unix_pair();
  const int fd = a.fileno();
  sel.register_(a, event_read);
  sel.register_(c, event_read);
  a.close();
  EXPECT_EQ(sel.unregister(fd).fd, fd);
  const int cfd = c.fileno();
  ASSERT_EQ(::dup2(d.fileno(), cfd), cfd);  // the number now names another socket
  EXPECT_EQ(sel.unregister(cfd).fd, cfd);
}

// test_modify; checklist 2.4.
TYPED_TEST(Selectors, ModifyEventsGivesANewKey) {
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  sel.register_(rd, event_read);
  const auto& key = sel.modify(rd, event_write);
  EXPECT_EQ(key.events, event_write);
  EXPECT_EQ(&key, &sel.get_key(rd));
  const auto ready = sel.select(0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, event_write);
  EXPECT_THROW_MSG(sel.modify(999999, event_read), key_error, "999999 is not registered");
}

TYPED_TEST(Selectors, ModifyDataOnlyKeepsTheKeyAndTheKernelState) {
  basic_selector<int>* base = nullptr;
  std::conditional_t<
      is_epoll<TypeParam>, epoll_selector<int>,
      std::conditional_t<is_select<TypeParam>, select_selector<int>, poll_selector<int>>>
      sel;
  base = &sel;
  auto [rd, wr] = unix_pair();
  const auto* key = &base->register_(rd, event_read, 1);
  EXPECT_EQ(&base->modify(rd, event_read, 2), key);  // no unregister/register: the same node
  EXPECT_EQ(key->data, 2);
  EXPECT_EQ(&base->modify(rd, event_read, 2), key);
  EXPECT_EQ(wr.send("x"), 1u);
  const auto ready = base->select(0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first.data, 2);
}

TYPED_TEST(Selectors, ModifyToZeroEvents) {
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  sel.register_(rd, event_read);
  if constexpr (is_select<TypeParam>) {
    // unregister + register: the new events raise and the object is left unregistered.
    EXPECT_THROW_MSG(sel.modify(rd, 0), value_error, "Invalid events: 0");
    EXPECT_FALSE(sel.get_map()->contains(rd));
  } else {
    // Poll and epoll pass the events to the kernel unchecked, as Python does.
    EXPECT_EQ(sel.modify(rd, 0).events, 0);
    EXPECT_EQ(wr.send("x"), 1u);
    EXPECT_TRUE(sel.select(0).empty());
  }
}

// test_modify_unregister: the kernel's error drops the key (epoll: a closed socket, EBADF).
TEST(EpollSelector, ModifyErrorDropsTheKey) {
  epoll_selector sel;
  auto [rd, wr] = unix_pair();
  sel.register_(rd, event_read);
  rd.close();
  EXPECT_THROW_ERRNO(sel.modify(rd, event_write), os_error, EBADF);
  EXPECT_EQ(sel.get_map()->size(), 0u);
  EXPECT_THROW_MSG(sel.unregister(rd), value_error, "Invalid file descriptor: -1");
}

// test_close, test_context_manager; checklist 2.6.
TYPED_TEST(Selectors, Close) {
  auto [rd, wr] = unix_pair();
  TypeParam sel;
  sel.register_(rd, event_read);
  const auto* map = sel.get_map();
  ASSERT_NE(map, nullptr);
  sel.close();
  sel.close();
  EXPECT_EQ(sel.get_map(), nullptr);
  EXPECT_EQ(map->size(), 0u);
  EXPECT_EQ(map->get(rd), nullptr);
  EXPECT_THROW_MSG((*map)[rd], key_error, rd.repr() + " is not registered");
  EXPECT_THROW_MSG(sel.get_key(rd), std::runtime_error, "Selector is closed");
  EXPECT_THROW_MSG(sel.get_key(999999), std::runtime_error, "Selector is closed");
  EXPECT_THROW_MSG(sel.unregister(rd), key_error, rd.repr() + " is not registered");
  if constexpr (is_epoll<TypeParam>) {
    EXPECT_THROW_MSG(sel.register_(rd, event_read), value_error,
                     "I/O operation on closed epoll object");
    EXPECT_THROW_MSG(sel.select(0), value_error, "I/O operation on closed epoll object");
    EXPECT_THROW_MSG(sel.fileno(), value_error, "I/O operation on closed epoll object");
  } else {
    // Poll and select keep working into a map nobody can see (Python's behaviour).
    EXPECT_EQ(wr.send("x"), 1u);
    EXPECT_TRUE(sel.select(0).empty());  // the old registration has no key any more
    sel.register_(wr, event_write);
    EXPECT_EQ(sel.get_map(), nullptr);
  }
}

// test_get_key, test_get_map; checklist 2.5.
TYPED_TEST(Selectors, GetMapIsALiveView) {
  TypeParam sel;
  const auto& map = *sel.get_map();
  EXPECT_EQ(&map, sel.get_map());
  EXPECT_TRUE(map.empty());
  auto [rd, wr] = unix_pair();
  auto [a, b] = unix_pair();
  const auto& key = sel.register_(rd, event_read, std::string("d"));
  sel.register_(b, event_write);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_TRUE(map.contains(rd));
  EXPECT_TRUE(map.contains(rd.fileno()));
  EXPECT_EQ(&map[rd], &key);
  EXPECT_EQ(map.get(rd.fileno()), &key);
  EXPECT_EQ(map.get(999999), nullptr);
  EXPECT_THROW_MSG(map[999999], key_error, "999999 is not registered");
  EXPECT_THROW_MSG(sel.get_key(999999), key_error, "999999 is not registered");
  std::vector<int> order;
  for (const auto& k : map)
    order.push_back(k.fd);
  EXPECT_EQ(order, (std::vector<int>{rd.fileno(), b.fileno()}));
}

// test_select, test_select_read_write; checklist 2.7.
TYPED_TEST(Selectors, SelectReportsEventsMaskedByTheKey) {
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  sel.register_(rd, event_read);
  const auto& wr_key = sel.register_(wr, event_write);
  auto ready = sel.select(0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(&ready[0].first, &wr_key);
  EXPECT_EQ(ready[0].second, event_write);

  sel.unregister(rd);
  sel.modify(wr, event_read | event_write);
  EXPECT_EQ(rd.send("x"), 1u);  // wr now has data and room
  ready = sel.select(0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, event_read | event_write);
}

TYPED_TEST(Selectors, TwelvePairsUnderRandomTraffic) {
  TypeParam sel;
  std::vector<std::pair<socket, socket>> pairs;
  for (int i = 0; i < 12; ++i) {
    pairs.push_back(unix_pair());
    sel.register_(pairs.back().second, event_read, i);
  }
  std::mt19937 rng(5);
  for (int round = 0; round < 50; ++round) {
    const int sender = int(rng() % 12);
    pairs[std::size_t(sender)].first.sendall("msg" + std::to_string(round));
    const auto ready = sel.select(5.0);
    ASSERT_EQ(ready.size(), 1u);
    EXPECT_EQ(std::any_cast<int>(ready[0].first.data), sender);
    EXPECT_EQ(pairs[std::size_t(sender)].second.recv(100), "msg" + std::to_string(round));
  }
}

TYPED_TEST(Selectors, EmptySelectorPollsAndSleeps) {
  TypeParam sel;
  EXPECT_TRUE(sel.select(0).empty());
  const auto start = steady::now();
  EXPECT_TRUE(sel.select(0.2).empty());
  EXPECT_GE(seconds_since(start), 0.2);
}

// Checklist 4's strace table: what each class passes to the kernel, epoll's extra millisecond
// included (0.7 s is ceil(700.0) * 1e-3 = 0.7000000000000001 s, then 701 ms).
TEST(SelectorTimeouts, RoundedAsCPythonRoundsThem) {
  struct row {
    double seconds;
    long long epoll_ms, poll_ms, select_us;
  };
  const row table[] = {{0.0001, 1, 1, 100},      {1e-9, 1, 1, 1},        {0.001, 1, 1, 1000},
                       {0.0015, 2, 2, 1500},     {0.0099, 10, 10, 9900}, {0.3, 300, 300, 300000},
                       {0.57, 571, 570, 570000}, {0.7, 701, 700, 700000}};
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  for (const auto& [seconds, epoll_ms, poll_ms, select_us] : table) {
    const timeout t(seconds);
    EXPECT_EQ(detail::epoll_wait_time(t), milliseconds(epoll_ms)) << seconds;
    EXPECT_EQ(detail::poll_wait_time(t), milliseconds(poll_ms)) << seconds;
    EXPECT_EQ(detail::select_wait_time(t), microseconds(select_us)) << seconds;
  }
  for (const timeout& t : {timeout(0.0), timeout(-1.0), timeout(-0.5)}) {
    EXPECT_EQ(detail::epoll_wait_time(t), milliseconds(0));
    EXPECT_EQ(detail::poll_wait_time(t), milliseconds(0));
    EXPECT_EQ(detail::select_wait_time(t), milliseconds(0));
  }
  EXPECT_EQ(detail::epoll_wait_time(std::nullopt), std::nullopt);
  EXPECT_EQ(detail::poll_wait_time(std::nullopt), std::nullopt);
  EXPECT_EQ(detail::select_wait_time(std::nullopt), std::nullopt);
}

// test_timeout; checklist 4.
TYPED_TEST(Selectors, Timeouts) {
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  sel.register_(rd, event_read);
  for (double t : {0.0, -1.0, -0.5}) {
    const auto start = steady::now();
    EXPECT_TRUE(sel.select(t).empty());
    EXPECT_LT(seconds_since(start), 5.0);  // never blocks (bounded for a loaded machine)
  }
  for (double t : {0.0015, 0.3}) {
    const auto start = steady::now();
    EXPECT_TRUE(sel.select(t).empty());
    EXPECT_GE(seconds_since(start), t);
  }
}

TYPED_TEST(Selectors, TimeoutConversionErrors) {
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  sel.register_(wr, event_write);  // always ready: an accepted timeout returns at once
  EXPECT_EQ(sel.select(2147483.647).size(), 1u);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  if constexpr (is_select<TypeParam>) {
    EXPECT_EQ(sel.select(1e7).size(), 1u);
    EXPECT_THROW_MSG(sel.select(1e12), std::overflow_error,
                     "timestamp out of range for platform time_t");
    EXPECT_THROW_MSG(sel.select(inf), std::overflow_error,
                     "timestamp out of range for platform time_t");
    EXPECT_THROW_MSG(sel.select(nan), value_error, "Invalid value NaN (not a number)");
  } else {
    EXPECT_THROW_MSG(sel.select(2147483.648), std::overflow_error, "timeout is too large");
    EXPECT_THROW_MSG(sel.select(1e7), std::overflow_error, "timeout is too large");
    EXPECT_THROW_MSG(sel.select(1e12), std::overflow_error,
                     is_epoll<TypeParam> ? "timestamp out of range for platform time_t"
                                         : "timestamp too large to convert to C PyTime_t");
    EXPECT_THROW_MSG(sel.select(inf), std::overflow_error,
                     "cannot convert float infinity to integer");
    EXPECT_THROW_MSG(sel.select(nan), value_error, "cannot convert float NaN to integer");
  }
}

// test_select_interrupt_noexc (PEP 475): a signal whose handler returns does not shorten the
// wait.
extern "C" void ignore_signal(int) {}

TYPED_TEST(Selectors, InterruptedWaitResumesWithTheTimeLeft) {
  struct sigaction action {};
  action.sa_handler = ignore_signal;  // no SA_RESTART: the wait really fails with EINTR
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGALRM, &action, &previous), 0);
  TypeParam sel;
  auto [rd, wr] = unix_pair();
  sel.register_(rd, event_read);
  itimerval timer{};
  timer.it_value.tv_usec = 50000;
  timer.it_interval.tv_usec = 50000;  // several interruptions
  ASSERT_EQ(::setitimer(ITIMER_REAL, &timer, nullptr), 0);
  const auto start = steady::now();
  const auto ready = sel.select(0.4);
  const double waited = seconds_since(start);
  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &previous, nullptr);
  EXPECT_TRUE(ready.empty());
  EXPECT_GE(waited, 0.4);
}

// Checklist 3: Python's event mapping (errors and hang-ups reach both events).
TYPED_TEST(Selectors, PipeReadEndWithTheWriterClosed) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[1]);
  for (int events : {event_read, event_write, event_read | event_write}) {
    TypeParam sel;
    sel.register_(fds[0], events);
    const auto ready = sel.select(0);
    // HUP alone: epoll and poll report it as both events; select only as readable.
    const int expected = is_select<TypeParam> ? events & event_read : events;
    if (expected == 0) {
      EXPECT_TRUE(ready.empty());
    } else {
      ASSERT_EQ(ready.size(), 1u);
      EXPECT_EQ(ready[0].second, expected);
    }
  }
  ::close(fds[0]);
}

TYPED_TEST(Selectors, PeerClosedAndListeningSocket) {
  TypeParam sel;
  auto [a, b] = unix_pair();
  b.close();
  sel.register_(a, event_read | event_write);
  auto ready = sel.select(0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, event_read | event_write);

  socket listener;
  listener.bind(inet_address{"127.0.0.1", 0});
  listener.listen();
  sel.register_(listener, event_read | event_write);
  sel.unregister(a);
  EXPECT_TRUE(sel.select(0).empty());
  socket client;
  client.connect(listener.getsockname());
  ready = sel.select(5.0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, event_read);
}

// Checklist 5.2 case A: the socket is closed while registered.
TYPED_TEST(Selectors, SocketClosedWhileRegistered) {
  TypeParam sel;
  auto [a, b] = unix_pair();
  const int fd = a.fileno();
  sel.register_(a, event_read);
  a.close();
  if constexpr (is_epoll<TypeParam>) {
    EXPECT_TRUE(sel.select(0).empty());  // the kernel dropped the registration
  } else if constexpr (is_select<TypeParam>) {
    EXPECT_THROW_ERRNO(sel.select(0), os_error, EBADF);
  } else {
    const auto ready = sel.select(0);  // POLLNVAL: both events, masked to the key's
    ASSERT_EQ(ready.size(), 1u);
    EXPECT_EQ(ready[0].second, event_read);
  }
  EXPECT_EQ(sel.unregister(a).fd, fd);
  EXPECT_TRUE(sel.select(0).empty());
}

// Checklist 5.3 (and test_above_fd_setsize for poll and epoll).
TYPED_TEST(Selectors, FdAboveFdSetsize) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max <= 1500) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << limit.rlim_max;
  const rlimit saved = limit;
  limit.rlim_cur = std::max<rlim_t>(limit.rlim_cur, 1501);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  auto [a, b] = unix_pair();
  ASSERT_EQ(::dup3(b.fileno(), 1500, O_CLOEXEC), 1500);
  {
    TypeParam sel;
    sel.register_(a, event_write);
    sel.register_(1500, event_write);
    if constexpr (is_select<TypeParam>) {
      EXPECT_THROW_MSG(sel.select(0), value_error, "filedescriptor out of range in select()");
      sel.unregister(1500);
      EXPECT_EQ(sel.select(0).size(), 1u);
    } else {
      EXPECT_EQ(sel.select(0).size(), 2u);
    }
  }
  ::close(1500);
  ::setrlimit(RLIMIT_NOFILE, &saved);
}

// Checklist 5.4: a forked child shares the epoll instance; its unregister reaches the parent,
// its close() does not.
TEST(EpollSelector, ForkedChildSharesTheRegistrations) {
  epoll_selector sel;
  auto [a, b] = unix_pair();
  auto [c, d] = unix_pair();
  sel.register_(a, event_read);
  sel.register_(c, event_read);
  EXPECT_EQ(b.send("x"), 1u);
  EXPECT_EQ(d.send("x"), 1u);
  auto child = pysock_test::run_in_child([&sel, &a = a] { sel.unregister(a); });
  ASSERT_EQ(child.exit_code, 0) << child.output;
  auto ready = sel.select(0);
  ASSERT_EQ(ready.size(), 1u);  // a is still in the parent's map, but the kernel forgot it
  EXPECT_EQ(ready[0].first.fd, c.fileno());
  child = pysock_test::run_in_child([&] { sel.close(); });
  ASSERT_EQ(child.exit_code, 0) << child.output;
  EXPECT_EQ(sel.select(0).size(), 1u);
}

// Checklist 5.4: a child's modify changes the shared registration too: the parent's key then
// gets events the kernel reports for the child's mask, masked to nothing.
TEST(EpollSelector, ForkedChildsModifyReachesTheParent) {
  epoll_selector sel;
  auto [a, b] = unix_pair();
  sel.register_(a, event_read);
  auto child = pysock_test::run_in_child([&sel, &a = a] { sel.modify(a, event_write); });
  ASSERT_EQ(child.exit_code, 0) << child.output;
  const auto ready = sel.select(0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, 0);
}

// Checklist 5.2 case C: a dup keeps the file open, so the kernel keeps the registration of a
// closed fd; unregister's EBADF is swallowed and a ghost is left, whose events are dropped.
TEST(EpollSelector, GhostOfAClosedFdIsDropped) {
  epoll_selector sel;
  auto [a, b] = unix_pair();
  const int copy = ::dup(a.fileno());
  ASSERT_GE(copy, 0);
  sel.register_(a, event_read);
  EXPECT_EQ(b.send("x"), 1u);
  a.close();
  EXPECT_EQ(sel.select(0).size(), 1u);  // still reported under the old key
  sel.unregister(a);                    // EPOLL_CTL_DEL fails with EBADF, ignored
  EXPECT_TRUE(sel.select(0).empty());
  EXPECT_EQ(sel.get_map()->size(), 0u);
  ::close(copy);
}

TEST(EpollSelector, RefusesARegularFileAndKeepsNoKey) {
  epoll_selector sel;
  EXPECT_GE(sel.fileno(), 0);
  const int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_THROW_ERRNO(sel.register_(fd, event_read), os_error, EPERM);
  EXPECT_EQ(sel.get_map()->size(), 0u);
  ::close(fd);
  EXPECT_THROW_ERRNO(sel.register_(987, event_read), os_error, EBADF);
}

// An event loop registers (accept), unregisters and even closes while it reads a result: the
// result and its keys stay valid until the next select().
TYPED_TEST(Selectors, ResultSurvivesChangesMadeWhileReadingIt) {
  TypeParam sel;
  std::vector<std::pair<socket, socket>> ready_pairs, new_pairs;
  for (int i = 0; i < 3; ++i) {
    ready_pairs.push_back(unix_pair());
    sel.register_(ready_pairs.back().first, event_write, i);
  }
  for (int i = 0; i < 200; ++i)
    new_pairs.push_back(unix_pair());
  int seen = 0;
  for (const auto& [key, events] : sel.select(0)) {
    EXPECT_EQ(std::any_cast<int>(key.data), seen);
    EXPECT_EQ(key.fd, ready_pairs[std::size_t(seen)].first.fileno());
    EXPECT_EQ(events, event_write);
    if (seen == 0) {
      for (auto& pair : new_pairs)  // grows every buffer the selector has
        sel.register_(pair.first, event_read);
      sel.unregister(ready_pairs[1].first);
    } else if (seen == 1) {
      sel.close();
    }
    ++seen;
  }
  EXPECT_EQ(seen, 3);
}

// Beyond Python: bytes held in user space make an object readable without waiting.
TYPED_TEST(Selectors, PendingBytesAreReadyWithoutWaiting) {
  TypeParam sel;
  auto [a, b] = unix_pair();
  buffered_reader_like reader{&a};
  const auto& key = sel.register_(reader, event_read | event_write);
  EXPECT_EQ(key.fileobj.template get<buffered_reader_like>(), &reader);
  reader.buffered = 10;
  auto ready = sel.select(std::nullopt);  // would block forever without pending()
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, event_read | event_write);  // merged with the kernel's WRITE
  sel.modify(reader, event_read);
  ready = sel.select(std::nullopt);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, event_read);
  reader.buffered = 0;
  EXPECT_TRUE(sel.select(0).empty());
  sel.unregister(reader);
}

// select() allocates nothing once its buffers have grown: keys by reference, results reused.
TYPED_TEST(Selectors, SelectDoesNotAllocate) {
  if (pysock_test::allocation_count() < 0) GTEST_SKIP() << "allocations are not counted here";
  TypeParam sel;
  std::vector<std::pair<socket, socket>> pairs;
  for (int i = 0; i < 50; ++i) {
    pairs.push_back(unix_pair());
    sel.register_(pairs.back().first, event_read | event_write, i);
    EXPECT_EQ(pairs.back().second.send("x"), 1u);
  }
  sel.select(0);
  const long before = pysock_test::allocation_count();
  std::size_t seen = 0;
  for (int i = 0; i < 1000; ++i)
    seen += sel.select(0).size();
  EXPECT_EQ(pysock_test::allocation_count() - before, 0);
  EXPECT_EQ(seen, 50u * 1000u);
}

// A wait ends when another thread makes a registered socket readable (runs under TSan too).
template <class S>
class SelectorsThreaded : public ::testing::Test {};
TYPED_TEST_SUITE(SelectorsThreaded, selector_types);

TYPED_TEST(SelectorsThreaded, WakesWhenAnotherThreadWrites) {
  TypeParam sel;
  auto [a, b] = unix_pair();
  sel.register_(a, event_read, 1);
  std::thread writer([&peer = b] { peer.sendall("wake"); });
  const auto ready = sel.select(30.0);
  writer.join();
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, event_read);
  EXPECT_EQ(a.recv(16), "wake");
}

// A typed data member: no any_cast, and the same key object throughout.
TEST(Selectors, TypedData) {
  struct connection {
    int id;
  } conn{42};
  default_selector<connection*> sel;
  auto [a, b] = unix_pair();
  sel.register_(a, event_write, &conn);
  for (const auto& [key, events] : sel.select(0)) {
    EXPECT_EQ(key.data->id, 42);
    EXPECT_EQ(events, event_write);
  }
}

}  // namespace
