#include "support/helpers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <utility>

#include <sys/socket.h>

namespace pysock_test {

std::vector<int> open_fds() {
  std::vector<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) throw std::runtime_error("cannot list /proc/self/fd");
  const int own = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd != own) fds.push_back(fd);
  }
  ::closedir(dir);
  std::sort(fds.begin(), fds.end());
  return fds;
}

std::string describe_fds(const std::vector<int>& fds) {
  std::string text;
  for (int fd : fds) {
    char target[256] = {};
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (!text.empty()) text += ", ";
    text += std::to_string(fd) + " -> " + (n > 0 ? std::string(target, n) : "?");
  }
  return text;
}

namespace {

// Reads everything from `fd` until EOF or the deadline; kills `pid` at the deadline.
child_result collect(pid_t pid, int fd, std::chrono::milliseconds limit) {
  child_result result;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

template <class Child>
child_result fork_and_collect(Child&& child, std::chrono::milliseconds limit) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    child();
    ::_exit(127);
  }
  ::close(fds[1]);
  return collect(pid, fds[0], limit);
}

}  // namespace

child_result run_in_child(const std::function<void()>& body, std::chrono::milliseconds limit) {
  return fork_and_collect(
      [&] {
        int code = 0;
        try {
          body();
        } catch (const std::exception& e) {
          std::cerr << "exception: " << e.what() << std::endl;
          code = 1;
        }
        std::cout.flush();
        std::cerr.flush();
        ::_exit(code);
      },
      limit);
}

child_result run_command(const std::string& command_line, std::chrono::milliseconds limit) {
  return fork_and_collect(
      [&] { ::execl("/bin/sh", "sh", "-c", command_line.c_str(), static_cast<char*>(nullptr)); },
      limit);
}

child_process::child_process(const std::vector<std::string>& argv) {
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  stdin_ = in[1];
  stdout_ = out[0];
}

child_process::~child_process() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
  close_stdin();
  if (stdout_ >= 0) ::close(stdout_);
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (const auto end = pending_.find('\n'); end != std::string::npos) {
      std::string line = pending_.substr(0, end);
      pending_.erase(0, end + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{stdout_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(stdout_, buffer, sizeof buffer);
    if (n <= 0) return std::nullopt;
    pending_.append(buffer, static_cast<std::size_t>(n));
  }
}

void child_process::close_stdin() {
  if (stdin_ >= 0) ::close(std::exchange(stdin_, -1));
}

child_result child_process::wait(std::chrono::milliseconds limit) {
  reaped_ = true;
  child_result result = collect(pid_, std::exchange(stdout_, -1), limit);
  result.output = std::exchange(pending_, {}) + result.output;
  return result;
}

std::pair<pysock::socket, pysock::socket> tcp_pair() {
  pysock::socket listener;
  listener.bind(pysock::inet_address{"127.0.0.1", 0});
  listener.listen(1);
  pysock::socket client;
  client.connect(listener.getsockname());
  auto [server, peer] = listener.accept();
  return {std::move(client), std::move(server)};
}

std::pair<pysock::socket, pysock::socket> unix_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw std::runtime_error("socketpair failed");
  return {pysock::socket::adopt(fds[0]), pysock::socket::adopt(fds[1])};
}

int unused_tcp_port() {
  pysock::socket probe;
  probe.bind(pysock::inet_address{"127.0.0.1", 0});
  return std::get<pysock::inet_address>(probe.getsockname()).port;
}

bool localhost_resolves() {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo("localhost", nullptr, &hints, &found) != 0) return false;
  bool loopback = false;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ai_addr);
    loopback = loopback || in->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
  }
  ::freeaddrinfo(found);
  return loopback;
}

const std::string& python_command() {
  static const std::string command = [] {
    if (const char* forced = std::getenv("PYSOCK_PYTHON")) return std::string(forced);
    const std::string preferred = "PYENV_VERSION=3.13.0 python3.13";
    if (run_command(preferred + " -c 'import sys; assert sys.version_info >= (3, 13)'",
                    std::chrono::seconds(30))
            .exit_code == 0)
      return preferred;
    std::cerr << "warning: python3.13 not found, the CPython reference is plain python3\n";
    return std::string("python3");
  }();
  return command;
}

}  // namespace pysock_test
