// The kernel side of the selectors: epoll, poll and select with Python's timeout rounding,
// PEP 475 retries and event mapping; and the messages the selector templates raise.
#include "pysock/selectors.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <optional>

#include "detail/poll.hpp"
#include "detail/selector_timeouts.hpp"

namespace pysock {

int file_object::fileno() const {
  int fd = fd_;
  if (ops_) {
    try {
      fd = ops_->fileno(object_);
    } catch (const std::logic_error&) {
      // value_error, and io's attribute_error and type_error: Python's ValueError, AttributeError
      // and TypeError from fileno().
      throw value_error("Invalid file object: " + repr());
    } catch (const unsupported_operation&) {
      throw value_error("Invalid file object: " + repr());
    }
  }
  if (fd < 0) throw value_error("Invalid file descriptor: " + std::to_string(fd));
  return fd;
}

std::string file_object::repr() const {
  return ops_ ? ops_->repr(object_) : std::to_string(fd_);
}

namespace detail {

void raise_invalid_events(int events) {
  throw value_error("Invalid events: " + std::to_string(events));
}
void raise_not_registered(const file_object& object) {
  throw key_error(object.repr() + " is not registered");
}
void raise_already_registered(const file_object& object, int fd) {
  throw key_error(object.repr() + " (FD " + std::to_string(fd) + ") is already registered");
}
void raise_selector_closed() {
  throw std::runtime_error("Selector is closed");
}

namespace {

using std::chrono::nanoseconds;

[[noreturn]] void raise_closed_epoll() {
  throw value_error("I/O operation on closed epoll object");
}

// Python's mapping of raw poll/epoll bits: IN → read, OUT → write, anything else → both.
int python_events(unsigned raw, unsigned in, unsigned out) {
  int events = 0;
  if (raw & ~in) events |= event_write;
  if (raw & ~out) events |= event_read;
  return events;
}

// Runs `call(left)` until it does not fail with EINTR (PEP 475): `left` is the time remaining
// until the deadline, rounded up to what the call takes; once it has passed, nothing is ready.
template <class Call>
int retry_interrupted(const wait_time& wait, std::chrono::nanoseconds unit, Call call) {
  const auto deadline = wait ? std::optional(clock::now() + *wait) : std::nullopt;
  wait_time left = wait;
  for (;;) {
    const int result = call(left);
    if (result >= 0) return result;
    if (errno != EINTR) raise_os_error(errno);
    if (!deadline) continue;
    const auto remaining = deadline.value() - clock::now();
    if (remaining < clock::duration::zero()) return 0;
    left = (std::chrono::ceil<nanoseconds>(remaining) + unit - nanoseconds(1)) / unit * unit;
  }
}

int as_milliseconds(const wait_time& wait) {
  return wait ? static_cast<int>(wait->count() / 1000000) : -1;
}

class epoll_backend final : public selector_backend {
 public:
  epoll_backend() : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epfd_ < 0) raise_os_error(errno);
  }
  ~epoll_backend() override { close(); }

  void add(int fd, int events) override { control(EPOLL_CTL_ADD, fd, events); }
  void remove(int fd) noexcept override {
    if (epfd_ >= 0) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  }
  void change(int fd, int events) override { control(EPOLL_CTL_MOD, fd, events); }

  void wait(const timeout& t, std::vector<ready_fd>& ready, std::size_t known) override {
    const wait_time wait = epoll_wait_time(t);
    if (epfd_ < 0) raise_closed_epoll();
    // maxevents = len(map) or 1; the buffer only grows.
    const std::size_t max_events = std::max<std::size_t>(known, 1);
    if (events_.size() < max_events) events_.resize(std::max(max_events, 2 * events_.size()));
    const int count =
        retry_interrupted(wait, std::chrono::milliseconds(1), [&](const wait_time& w) {
          return ::epoll_wait(epfd_, events_.data(), static_cast<int>(max_events),
                              as_milliseconds(w));
        });
    ready.clear();
    for (int i = 0; i < count; ++i)
      ready.push_back({events_[std::size_t(i)].data.fd,
                       python_events(events_[std::size_t(i)].events, EPOLLIN, EPOLLOUT)});
  }

  void close() noexcept override {
    if (epfd_ >= 0) ::close(std::exchange(epfd_, -1));
  }
  int fileno() const noexcept override { return epfd_; }

 private:
  void control(int operation, int fd, int events) {
    if (epfd_ < 0) raise_closed_epoll();
    epoll_event event{};
    event.events =
        ((events & event_read) ? EPOLLIN : 0u) | ((events & event_write) ? EPOLLOUT : 0u);
    event.data.fd = fd;
    if (::epoll_ctl(epfd_, operation, fd, &event) != 0) raise_os_error(errno);
  }

  int epfd_;
  std::vector<epoll_event> events_;
};

short poll_mask(int events) {
  return static_cast<short>(((events & event_read) ? POLLIN : 0) |
                            ((events & event_write) ? POLLOUT : 0));
}

class poll_backend final : public selector_backend {
 public:
  void add(int fd, int events) override { fds_.push_back({fd, poll_mask(events), 0}); }
  void remove(int fd) noexcept override {
    std::erase_if(fds_, [fd](const pollfd& entry) { return entry.fd == fd; });
  }
  // select.poll.modify: ENOENT for an fd it does not know.
  void change(int fd, int events) override {
    const auto it = std::find_if(fds_.begin(), fds_.end(),
                                 [fd](const pollfd& entry) { return entry.fd == fd; });
    if (it == fds_.end()) raise_os_error(ENOENT);
    it->events = poll_mask(events);
  }

  void wait(const timeout& t, std::vector<ready_fd>& ready, std::size_t) override {
    const wait_time wait = poll_wait_time(t);
    const int count = retry_interrupted(
        wait, std::chrono::milliseconds(1),
        [&](const wait_time& w) { return ::poll(fds_.data(), fds_.size(), as_milliseconds(w)); });
    ready.clear();
    if (count == 0) return;  // also when the time ran out after EINTR: revents are stale then
    for (const auto& entry : fds_)
      if (entry.revents != 0)
        ready.push_back({entry.fd, python_events(unsigned(entry.revents), POLLIN, POLLOUT)});
  }

 private:
  std::vector<pollfd> fds_;  // registration order
};

class select_backend final : public selector_backend {
 public:
  void add(int fd, int events) override { fds_.push_back({fd, events}); }
  void remove(int fd) noexcept override {
    std::erase_if(fds_, [fd](const ready_fd& entry) { return entry.fd == fd; });
  }
  void change(int, int) override {}  // never called: select's modify registers again
  bool modify_reregisters() const noexcept override { return true; }

  void wait(const timeout& t, std::vector<ready_fd>& ready, std::size_t) override {
    const wait_time wait = select_wait_time(t);
    for (const auto& entry : fds_)
      if (entry.fd >= FD_SETSIZE) throw value_error("filedescriptor out of range in select()");
    fd_set readers, writers;
    int max_fd = -1;
    const int count =
        retry_interrupted(wait, std::chrono::microseconds(1), [&](const wait_time& w) {
          fill(readers, writers, max_fd);
          timeval tv{};
          if (w) {
            tv.tv_sec = static_cast<time_t>(w->count() / 1000000000);
            tv.tv_usec = static_cast<suseconds_t>(w->count() % 1000000000 / 1000);
          }
          return ::select(max_fd + 1, &readers, &writers, nullptr, w ? &tv : nullptr);
        });
    ready.clear();
    if (count == 0) return;  // also when the time ran out after EINTR: the sets hold the input
    for (const auto& entry : fds_) {
      const int events = (FD_ISSET(entry.fd, &readers) ? event_read : 0) |
                         (FD_ISSET(entry.fd, &writers) ? event_write : 0);
      if (events != 0) ready.push_back({entry.fd, events});
    }
  }

 private:
  void fill(fd_set& readers, fd_set& writers, int& max_fd) const {
    FD_ZERO(&readers);
    FD_ZERO(&writers);
    for (const auto& [fd, events] : fds_) {
      if (events & event_read) FD_SET(fd, &readers);
      if (events & event_write) FD_SET(fd, &writers);
      max_fd = std::max(max_fd, fd);
    }
  }

  std::vector<ready_fd> fds_;  // registration order, with the events asked for
};

}  // namespace

std::unique_ptr<selector_backend> make_epoll_backend() {
  return std::make_unique<epoll_backend>();
}
std::unique_ptr<selector_backend> make_poll_backend() {
  return std::make_unique<poll_backend>();
}
std::unique_ptr<selector_backend> make_select_backend() {
  return std::make_unique<select_backend>();
}

}  // namespace detail
}  // namespace pysock
