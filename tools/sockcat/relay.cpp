#include "relay.hpp"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <exception>
#include <filesystem>
#include <string>
#include <thread>

#include <pysock/error.hpp>
#include <pysock/makefile.hpp>
#include <pysock/net.hpp>

#include "failure.hpp"
#include "progress.hpp"

namespace sockcat {
namespace {

// Big enough for sendfile to stay efficient, small enough for a lively progress line.
constexpr std::uint64_t sendfile_chunk = 4 << 20;

// Waits for stdin to have data (or its end) or for `wake_fd`; false when woken.
bool wait_for_stdin(int wake_fd) {
  pollfd fds[] = {{STDIN_FILENO, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  while (::poll(fds, 2, -1) < 0)
    if (errno != EINTR) pysock::raise_os_error(errno, "poll");
  return fds[1].revents == 0;
}

void write_stdout(std::string_view data) {
  while (!data.empty()) {
    auto written = ::write(STDOUT_FILENO, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) pysock::raise_os_error(errno, "write");
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Shuts the socket down, ignoring errors: a peer that is gone already is what we want.
void shutdown_quietly(pysock::socket& sock, pysock::shut how) noexcept {
  try {
    sock.shutdown(how);
  } catch (const std::exception&) {
  }
}

// Sends stdin or --send-file on its own thread, then half-closes.
class sender {
 public:
  sender(pysock::socket& sock, const options& opt, stdin_reader& input, traffic& counts,
         console& out)
      : sock_(sock), opt_(opt), input_(input), counts_(counts), out_(out) {}
  sender(const sender&) = delete;
  sender& operator=(const sender&) = delete;
  ~sender() {
    if (!thread_.joinable()) return;
    abort();
    thread_.join();
  }

  // The peer closed its side: finish the chunk in flight (a peer that reads on gets it whole),
  // send no more.
  void wind_down() {
    stopping_ = true;
    wake_.second.sendall("w");
  }
  // sockcat is done (--lines, or receiving failed): stop now, also a send that is blocked.
  void abort() {
    aborted_ = true;
    wind_down();
    shutdown_quietly(sock_, pysock::shut::rdwr);
  }
  // Waits for the thread; the error that stopped sending (none after abort()).
  std::exception_ptr join() {
    thread_.join();
    return error_;
  }

 private:
  void run() {
    try {
      if (opt_.send_file ? send_file() : send_stdin()) half_close();
    } catch (const std::exception&) {
      if (aborted_) return;
      error_ = std::current_exception();
      // Sending is over for good: wake the receiving thread, which may wait for a peer that
      // will never say anything again.
      shutdown_quietly(sock_, pysock::shut::rdwr);
    }
  }

  // True when stdin ended, false when told to stop first.
  bool send_stdin() {
    for (;;) {
      auto chunk = attempt("reading stdin", [&] { return input_.read(wake_.first.fileno()); });
      if (!chunk || stopping_) return false;
      if (chunk->empty()) return true;
      attempt("send", [&] { sock_.sendall(*chunk); });
      counts_.sent += chunk->size();
    }
  }

  // True when the whole file went out, false when told to stop first.
  bool send_file() {
    std::uint64_t offset = 0;
    for (;;) {
      if (stopping_) return false;
      auto sent = attempt("sendfile " + opt_.send_file->string(),
                          [&] { return sock_.sendfile(*opt_.send_file, offset, sendfile_chunk); });
      if (sent == 0) break;
      offset += sent;
      counts_.sent += sent;
    }
    out_.note("sent " + std::to_string(offset) + " bytes of " + opt_.send_file->string() +
              " with sendfile");
    return true;
  }

  void half_close() {
    out_.note("no more to send: shutdown(SHUT_WR)");
    attempt("shutdown", [&] { sock_.shutdown(pysock::shut::wr); });
  }

  pysock::socket& sock_;
  const options& opt_;
  stdin_reader& input_;
  traffic& counts_;
  console& out_;
  std::pair<pysock::socket, pysock::socket> wake_ = pysock::socketpair();
  std::atomic<bool> stopping_{false};
  std::atomic<bool> aborted_{false};
  std::exception_ptr error_;
  std::thread thread_{[this] { run(); }};  // last: starts once everything above exists
};

// Socket to stdout, byte for byte, until the peer closes.
void receive_bytes(pysock::socket& sock, traffic& counts) {
  std::vector<std::byte> buffer(64 * 1024);
  for (;;) {
    auto n = attempt("receive", [&] { return sock.recv_into(buffer); });
    if (n == 0) return;
    attempt("writing stdout", [&] {
      write_stdout({reinterpret_cast<const char*>(buffer.data()), n});
    });
    counts.received += n;
  }
}

// Socket to stdout through makefile's text layer, line by line; false when --lines stopped it
// before the peer closed.
bool receive_text(pysock::socket& sock, const options& opt, traffic& counts, console& out) {
  auto file =
      sock.makefile("r", {.encoding = opt.encoding, .errors = opt.errors, .newline = opt.newline});
  std::string line;
  for (std::uint64_t printed = 0; !opt.lines || printed < *opt.lines; ++printed) {
    if (!attempt("receive", [&] { return file.readline_into(line); })) return true;
    attempt("writing stdout", [&] { write_stdout(line); });
    counts.received += line.size();
  }
  out.note("printed " + std::to_string(*opt.lines) + " lines");
  return false;
}

std::optional<std::uint64_t> size_to_send(const options& opt) {
  if (!opt.send_file) return std::nullopt;
  std::error_code unknown;
  auto size = std::filesystem::file_size(*opt.send_file, unknown);
  return unknown ? std::nullopt : std::optional<std::uint64_t>(size);
}

}  // namespace

std::optional<std::span<const std::byte>> stdin_reader::read(int wake_fd) {
  if (at_eof_) return std::span<const std::byte>();
  if (!wait_for_stdin(wake_fd)) return std::nullopt;
  for (;;) {
    auto n = ::read(STDIN_FILENO, buffer_.data(), buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) pysock::raise_os_error(errno, "read");
    at_eof_ = n == 0;
    return std::span<const std::byte>(buffer_.data(), static_cast<std::size_t>(n));
  }
}

void relay(pysock::socket& sock, const options& opt, stdin_reader& input, console& out) {
  traffic counts;
  progress_meter meter(out, counts, opt.progress, size_to_send(opt));
  sender upload(sock, opt, input, counts, out);
  std::exception_ptr receive_error;
  bool peer_closed = false;
  try {
    peer_closed = opt.text_mode() ? receive_text(sock, opt, counts, out)
                                  : (receive_bytes(sock, counts), true);
  } catch (const std::exception&) {
    receive_error = std::current_exception();
  }
  if (peer_closed) {
    out.note("the peer closed the connection");
    upload.wind_down();
  } else {
    upload.abort();
  }
  if (auto send_error = upload.join()) std::rethrow_exception(send_error);
  if (receive_error) std::rethrow_exception(receive_error);
}

}  // namespace sockcat
