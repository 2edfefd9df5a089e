#include "support/faults.hpp"

#include <dlfcn.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <vector>

namespace pysock_test::faults {
namespace {

struct state {
  std::mutex mutex;
  plan* active = nullptr;
  int fd = -1;  // -1: every fd
  std::size_t errors = 0;
  std::size_t shortened = 0;
  std::array<std::size_t, static_cast<int>(call::count)> calls{};
};

state& global() {
  static state s;
  return s;
}

action decide(call c, int fd) {
  auto& s = global();
  std::lock_guard lock(s.mutex);
  if (s.active == nullptr || (s.fd != -1 && fd != s.fd)) return action::pass();
  ++s.calls[static_cast<int>(c)];
  const action a = s.active->next(c);
  if (a.error != 0) ++s.errors;
  if (a.limit) ++s.shortened;
  return a;
}

std::size_t limited(std::size_t n, const action& a) {
  if (!a.limit || n == 0) return n;
  return std::max<std::size_t>(1, std::min(n, *a.limit));
}

template <class Function>
Function* real(const char* name) {
  return reinterpret_cast<Function*>(::dlsym(RTLD_NEXT, name));
}

// The iovecs of `header` cut to at most `limit` bytes in total (the header then points at them).
std::vector<iovec> cut_vectors(msghdr& header, std::size_t limit) {
  std::vector<iovec> vectors(header.msg_iov, header.msg_iov + header.msg_iovlen);
  std::size_t left = limit;
  std::size_t used = 0;
  for (auto& v : vectors) {
    ++used;
    v.iov_len = std::min(v.iov_len, left);
    left -= v.iov_len;
    if (left == 0) break;
  }
  vectors.resize(used);
  header.msg_iov = vectors.data();
  header.msg_iovlen = vectors.size();
  return vectors;
}

std::size_t total_length(const msghdr& header) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < header.msg_iovlen; ++i)
    total += header.msg_iov[i].iov_len;
  return total;
}

// Runs a msghdr call, applying a short-count action by cutting the iovecs of a copy.
template <class Real>
ssize_t message_call(Real real_call, const action& a, int fd, const msghdr* message, int flags) {
  msghdr copy = *message;
  std::vector<iovec> cut;
  if (a.limit && total_length(copy) > 0) cut = cut_vectors(copy, limited(total_length(copy), a));
  const ssize_t result = real_call(fd, &copy, flags);
  // recvmsg reports through the header: hand the kernel's answers back to the caller's.
  auto* out = const_cast<msghdr*>(message);
  out->msg_namelen = copy.msg_namelen;
  out->msg_controllen = copy.msg_controllen;
  out->msg_flags = copy.msg_flags;
  return result;
}

}  // namespace

script& script::then(call c, action a) {
  queues_[static_cast<int>(c)].push_back(a);
  return *this;
}

action script::next(call c) {
  auto& queue = queues_[static_cast<int>(c)];
  if (queue.empty()) return action::pass();
  const action a = queue.front();
  queue.pop_front();
  return a;
}

random_plan::random_plan(std::uint64_t seed, double p_eintr, double p_eagain, double p_short)
    : rng_(seed), p_eintr_(p_eintr), p_eagain_(p_eagain), p_short_(p_short) {}

action random_plan::next(call) {
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  const double roll = coin(rng_);
  if (roll < p_eintr_) return action::fail(EINTR);
  if (roll < p_eintr_ + p_eagain_) return action::fail(EAGAIN);
  if (roll < p_eintr_ + p_eagain_ + p_short_)
    return action::shorten(std::uniform_int_distribution<std::size_t>(1, 64)(rng_));
  return action::pass();
}

scope::scope(int fd, plan& p) {
  auto& s = global();
  std::lock_guard lock(s.mutex);
  s.active = &p;
  s.fd = fd;
  s.errors = 0;
  s.shortened = 0;
  s.calls.fill(0);
}

scope::~scope() {
  auto& s = global();
  std::lock_guard lock(s.mutex);
  s.active = nullptr;
}

std::size_t scope::injected_errors() const {
  std::lock_guard lock(global().mutex);
  return global().errors;
}

std::size_t scope::shortened() const {
  std::lock_guard lock(global().mutex);
  return global().shortened;
}

std::size_t scope::calls(call c) const {
  std::lock_guard lock(global().mutex);
  return global().calls[static_cast<int>(c)];
}

}  // namespace pysock_test::faults

// ---- the interposed system calls ----------------------------------------------------------

using namespace pysock_test::faults;  // NOLINT: the interposers below are at global scope

#define PYSOCK_FAULT_OR_RETURN(a) \
  if ((a).error != 0) {           \
    errno = (a).error;            \
    return -1;                    \
  }

extern "C" {

ssize_t recv(int fd, void* buffer, size_t length, int flags) {
  static auto* real_recv = real<ssize_t(int, void*, size_t, int)>("recv");
  const action a = decide(call::recv, fd);
  PYSOCK_FAULT_OR_RETURN(a);
  return real_recv(fd, buffer, limited(length, a), flags);
}

ssize_t send(int fd, const void* buffer, size_t length, int flags) {
  static auto* real_send = real<ssize_t(int, const void*, size_t, int)>("send");
  const action a = decide(call::send, fd);
  PYSOCK_FAULT_OR_RETURN(a);
  return real_send(fd, buffer, limited(length, a), flags);
}

ssize_t recvmsg(int fd, msghdr* message, int flags) {
  static auto* real_recvmsg = real<ssize_t(int, msghdr*, int)>("recvmsg");
  const action a = decide(call::recvmsg, fd);
  PYSOCK_FAULT_OR_RETURN(a);
  return message_call(real_recvmsg, a, fd, message, flags);
}

ssize_t sendmsg(int fd, const msghdr* message, int flags) {
  static auto* real_sendmsg = real<ssize_t(int, const msghdr*, int)>("sendmsg");
  const action a = decide(call::sendmsg, fd);
  PYSOCK_FAULT_OR_RETURN(a);
  return message_call(real_sendmsg, a, fd, message, flags);
}

ssize_t read(int fd, void* buffer, size_t length) {
  static auto* real_read = real<ssize_t(int, void*, size_t)>("read");
  const action a = decide(call::read, fd);
  PYSOCK_FAULT_OR_RETURN(a);
  return real_read(fd, buffer, limited(length, a));
}

int accept4(int fd, sockaddr* addr, socklen_t* length, int flags) {
  static auto* real_accept4 = real<int(int, sockaddr*, socklen_t*, int)>("accept4");
  const action a = decide(call::accept4, fd);
  PYSOCK_FAULT_OR_RETURN(a);
  return real_accept4(fd, addr, length, flags);
}

// Only errors are injected into connect: a fake EINTR without the real call would leave the
// socket unconnected, which no kernel does.
int connect(int fd, const sockaddr* addr, socklen_t length) {
  static auto* real_connect = real<int(int, const sockaddr*, socklen_t)>("connect");
  const action a = decide(call::connect, fd);
  PYSOCK_FAULT_OR_RETURN(a);
  return real_connect(fd, addr, length);
}

ssize_t sendfile(int out_fd, int in_fd, off_t* offset, size_t count) {
  static auto* real_sendfile = real<ssize_t(int, int, off_t*, size_t)>("sendfile");
  const action a = decide(call::sendfile, out_fd);
  PYSOCK_FAULT_OR_RETURN(a);
  return real_sendfile(out_fd, in_fd, offset, limited(count, a));
}

// fcntl's third argument is an int or a pointer (or absent); on x86-64 and aarch64 passing it on
// as a pointer-sized value hands the real fcntl the same bits.
int fcntl(int fd, int cmd, ...) {
  static auto* real_fcntl = real<int(int, int, ...)>("fcntl");
  va_list rest;
  va_start(rest, cmd);
  void* argument = va_arg(rest, void*);
  va_end(rest);
  const action a = decide(call::fcntl, fd);
  PYSOCK_FAULT_OR_RETURN(a);
  return real_fcntl(fd, cmd, argument);
}

int close(int fd) {
  static auto* real_close = real<int(int)>("close");
  const action a = decide(call::close, fd);
  PYSOCK_FAULT_OR_RETURN(a);
  return real_close(fd);
}

}  // extern "C"
