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
#include <pysock/ssl.hpp>

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

// Sends stdin or --send-file on its own thread, then half-closes.
class sender {
 public:
  sender(connection& conn, const options& opt, stdin_reader& input, traffic& counts, console& out)
      : conn_(conn), opt_(opt), input_(input), counts_(counts), out_(out) {}
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
    conn_.stop();
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
      conn_.stop();
    }
  }

  // True when stdin ended, false when told to stop first.
  bool send_stdin() {
    for (;;) {
      auto chunk = attempt("reading stdin", [&] { return input_.read(wake_.first.fileno()); });
      if (!chunk || stopping_) return false;
      if (chunk->empty()) return true;
      attempt("send", [&] { conn_.sendall(*chunk); });
      counts_.sent += chunk->size();
    }
  }

  // True when the whole file went out, false when told to stop first.
  bool send_file() {
    std::uint64_t offset = 0;
    for (;;) {
      if (stopping_) return false;
      auto sent = attempt("sendfile " + opt_.send_file->string(),
                          [&] { return conn_.sendfile(*opt_.send_file, offset, sendfile_chunk); });
      if (sent == 0) break;
      offset += sent;
      counts_.sent += sent;
    }
    out_.note("sent " + std::to_string(offset) + " bytes of " + opt_.send_file->string() +
              " with sendfile");
    return true;
  }

  void half_close() {
    out_.note(opt_.tls.enabled ? "no more to send: close_notify, shutdown(SHUT_WR)"
                               : "no more to send: shutdown(SHUT_WR)");
    attempt("shutdown", [&] { conn_.half_close(); });
  }

  connection& conn_;
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

// Runs `receive`; a TLS peer that closed the transport without close_notify ends the stream as
// the peer's close would, with a warning: what arrived is printed, but may not be all.
template <typename Receive>
auto receive_tolerating_ragged_eof(console& out, Receive&& receive) -> decltype(receive()) {
  return attempt("receive", [&]() -> decltype(receive()) {
    try {
      return receive();
    } catch (const pysock::ssl_eof_error& e) {
      out.error(std::string("warning: the TLS peer closed without close_notify (") + e.what() +
                "): the data may be truncated");
      return {};
    }
  });
}

// Socket to stdout, byte for byte, until the peer closes.
void receive_bytes(connection& conn, traffic& counts, console& out) {
  std::vector<std::byte> buffer(64 * 1024);
  for (;;) {
    auto n = receive_tolerating_ragged_eof(out, [&] { return conn.recv_into(buffer); });
    if (n == 0) return;
    attempt("writing stdout", [&] {
      write_stdout({reinterpret_cast<const char*>(buffer.data()), n});
    });
    counts.received += n;
  }
}

// Socket to stdout through makefile's text layer, line by line; false when --lines stopped it
// before the peer closed.
bool receive_text(connection& conn, const options& opt, traffic& counts, console& out) {
  auto file = conn.text_reader(opt);
  std::string line;
  for (std::uint64_t printed = 0; !opt.lines || printed < *opt.lines; ++printed) {
    if (!receive_tolerating_ragged_eof(out, [&] { return file.readline_into(line); })) return true;
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

void relay(connection& conn, const options& opt, stdin_reader& input, console& out) {
  traffic counts;
  progress_meter meter(out, counts, opt.progress, size_to_send(opt));
  sender upload(conn, opt, input, counts, out);
  std::exception_ptr receive_error;
  bool peer_closed = false;
  try {
    peer_closed = opt.text_mode() ? receive_text(conn, opt, counts, out)
                                  : (receive_bytes(conn, counts, out), true);
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
