// Passing file descriptors between processes with send_fds/recv_fds (SCM_RIGHTS).
//
// The parent makes a pipe and a socketpair, forks, and sends the pipe's write end to the child
// over the socketpair. The child writes a message through the fd it received; the parent reads
// it from the pipe. Received fds are owning handles (close-on-exec), so nothing can leak.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pysock/pysock.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace {

// The child: receive one fd and write through it.
int child(pysock::socket& channel) {
  auto message = pysock::recv_fds(channel, 64, 1);
  if (message.fds.size() != 1) return 3;
  const std::string text = "written by the child through a passed fd (" + message.data + ")\n";
  const ssize_t n = ::write(message.fds[0].get(), text.data(), text.size());
  return n == static_cast<ssize_t>(text.size()) ? 0 : 4;
}

std::string read_all(int fd) {
  std::string text;
  char buffer[256];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
    text.append(buffer, n);
  return text;
}

}  // namespace

int main() try {
  auto [parent_end, child_end] = pysock::socketpair();
  std::cout << "socketpair:\n  " << parent_end << "\n  " << child_end << '\n';
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) pysock::raise_os_error(errno, "pipe2");
  pysock::owned_fd read_end(pipe_fds[0]);
  pysock::owned_fd write_end(pipe_fds[1]);

  const pid_t pid = ::fork();
  if (pid < 0) pysock::raise_os_error(errno, "fork");
  if (pid == 0) {
    parent_end.close();
    read_end.reset();
    write_end.reset();  // the child only has the copy it receives
    ::_exit(child(child_end));
  }
  child_end.close();

  const int fds[] = {write_end.get()};
  // The fds travel with the first byte; a stream socket may take less than the whole message.
  const std::string_view note = "pipe";
  parent_end.sendall(note.substr(pysock::send_fds(parent_end, note, fds)));
  write_end.reset();  // the child holds the only write end now, so EOF comes when it is done
  std::cout << "sent the pipe's write end (fd " << fds[0] << ") to child " << pid << '\n';

  const std::string received = read_all(read_end.get());
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::cout << "read from the pipe: " << received;
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                  received == "written by the child through a passed fd (pipe)\n";
  std::cout << (ok ? "fd_passing: ok\n" : "fd_passing: FAILED\n");
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
} catch (const std::exception& e) {
  std::cerr << "fd_passing: " << e.what() << '\n';
  return EXIT_FAILURE;
}
