// Fuzzes recv_fds' ancillary-data handling over a real AF_UNIX socketpair: the fuzzer picks the
// socket type, how many fds to pass (0..300, dups of /dev/null; send_fds refuses more than 253),
// the data, recv_fds' bufsize and maxfds, and whether a MSG_PEEK call (which installs the fds
// too) comes first. The receiver is non-blocking and the sender is closed after its one message,
// so every run is deterministic and ends. Invariants:
//  - no fd leaks: after each recv_fds call exactly the fds it returned are new in the process, and
//    after the run the process has the fds it had before;
//  - each call returns at most maxfds fds, each close-on-exec and a /dev/null that was sent;
//  - once the message is consumed, min(sent, maxfds) fds arrived and msg_ctrunc was reported
//    exactly when that is fewer than were sent;
//  - the data arrives whole (stream), or cut to bufsize with msg_trunc exactly when it was cut
//    (datagram, seqpacket).
//
// Input: [type (bit 7: peek first)] [fds: 2 bytes] [maxfds: 2 bytes] [bufsize] data (at most 64
// bytes).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "pysock/error.hpp"
#include "pysock/net.hpp"
#include "pysock/socket.hpp"
#include "support.hpp"

namespace {

using pysock::owned_fd;
using pysock_fuzz::check;

constexpr std::size_t max_fds = 300;
constexpr std::size_t max_bufsize = 128;
constexpr std::size_t max_data = 64;
constexpr pysock::sock_type socket_types[] = {pysock::sock_type::stream, pysock::sock_type::dgram,
                                              pysock::sock_type::seqpacket};

std::size_t open_fd_count() {
  DIR* directory = ::opendir("/proc/self/fd");
  check(directory != nullptr);
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(directory)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(directory);
  return count - 1;  // the directory's own fd
}

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_rdev == b.st_rdev;
}

struct scenario {
  pysock::sock_type type;
  bool peek_first;  // one recv_fds(MSG_PEEK) before the others: it installs fds too
  std::size_t fds, maxfds, bufsize;
  std::string data;
};

scenario read_scenario(const std::uint8_t* data, std::size_t size) {
  pysock_fuzz::input_reader in(data, size);
  scenario s;
  const std::uint8_t type = in.byte();
  s.type = socket_types[type % std::size(socket_types)];
  s.peek_first = (type & 0x80) != 0;
  const auto two_bytes = [&] { return std::size_t{in.byte()} << 8 | in.byte(); };
  s.fds = two_bytes() % (max_fds + 1);
  s.maxfds = two_bytes() % (max_fds + 1);
  s.bufsize = in.byte() % (max_bufsize + 1);
  s.data = in.take(max_data);
  return s;
}

struct sent_message {
  bool sent = false;  // whether a message left (a stream sends nothing for empty data)
  std::size_t fds = 0;
};

// Sends the scenario's message with `s.fds` dups of `null`, closing the dups afterwards (the
// kernel holds its own references while the message is in flight).
sent_message send_message(pysock::socket& sender, const scenario& s, const owned_fd& null) {
  std::vector<owned_fd> dups;
  std::vector<int> raw;
  for (std::size_t i = 0; i < s.fds; ++i) {
    dups.emplace_back(::fcntl(null.get(), F_DUPFD_CLOEXEC, 0));
    check(dups.back().get() >= 0);
    raw.push_back(dups.back().get());
  }
  try {
    check(pysock::send_fds(sender, s.data, raw) == s.data.size());  // small: taken whole
  } catch (const pysock::value_error&) {
    check(s.fds > pysock::max_fds_per_message);
    return {};
  }
  check(s.fds <= pysock::max_fds_per_message);
  if (s.type == pysock::sock_type::stream && s.data.empty()) return {};
  return {true, s.fds};
}

struct received {
  std::string data;
  std::size_t fds = 0;
  bool ctrunc = false, trunc = false;
  bool consumed = false;  // the message was read to its end (or EOF/EAGAIN came first)
};

// One recv_fds call with `flags`, checked on its own: fds within maxfds, each a close-on-exec
// /dev/null, and no other new fd in the process. nullopt: it would block.
std::optional<pysock::recv_fds_result> checked_recv_fds(pysock::socket& receiver, const scenario& s,
                                                        const struct stat& null_stat,
                                                        pysock::msg_flags flags) {
  const std::size_t fds_before = open_fd_count();
  std::optional<pysock::recv_fds_result> result;
  try {
    result = pysock::recv_fds(receiver, s.bufsize, s.maxfds, flags);
  } catch (const pysock::blocking_io_error&) {
    return std::nullopt;
  }
  check(result->fds.size() <= s.maxfds);
  check(open_fd_count() == fds_before + result->fds.size());
  for (const owned_fd& fd : result->fds) {
    struct stat fd_stat {};
    check(::fstat(fd.get(), &fd_stat) == 0 && same_file(fd_stat, null_stat));
    check((::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
  }
  return result;
}

// One recv_fds call that consumes, added to `total`; false once nothing more can come.
bool receive_once(pysock::socket& receiver, const scenario& s, const struct stat& null_stat,
                  received& total) {
  std::optional<pysock::recv_fds_result> result = checked_recv_fds(receiver, s, null_stat, {});
  if (!result) {
    total.consumed = true;
    return false;
  }
  total.fds += result->fds.size();
  total.ctrunc |= any(result->msg_flags & pysock::msg_ctrunc);
  total.trunc |= any(result->msg_flags & pysock::msg_trunc);
  total.data += result->data;
  if (s.type != pysock::sock_type::stream) {
    total.consumed = true;  // one call reads a whole datagram or seqpacket record
    return false;
  }
  if (s.bufsize == 0) return false;  // an empty read is no sign of the end then
  if (result->data.empty() && result->fds.empty()) {
    total.consumed = true;  // EOF: the sender is closed
    return false;
  }
  return true;
}

void check_exchange(const scenario& s, const sent_message& sent, const received& total) {
  if (!total.consumed) return;
  check(total.fds == std::min(sent.fds, s.maxfds));
  check(total.ctrunc == (total.fds < sent.fds));
  const std::string expected = sent.sent ? s.data : std::string();
  if (s.type == pysock::sock_type::stream) {
    check(total.data == expected);
  } else {
    check(total.data == expected.substr(0, s.bufsize));
    check(total.trunc == (expected.size() > s.bufsize));
  }
}

void run(const scenario& s) {
  auto [sender, receiver] = pysock::socketpair(pysock::family::local, s.type);
  receiver.setblocking(false);
  const owned_fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  check(null.get() >= 0);
  struct stat null_stat {};
  check(::fstat(null.get(), &null_stat) == 0);
  const sent_message sent = send_message(sender, s, null);
  sender.close();
  if (s.peek_first) (void)checked_recv_fds(receiver, s, null_stat, pysock::msg_peek);
  received total;
  for (std::size_t calls = 0; calls <= max_data + 1; ++calls) {
    if (!receive_once(receiver, s, null_stat, total)) break;
  }
  check_exchange(s, sent, total);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const scenario s = read_scenario(data, size);
  const std::size_t fds_before = open_fd_count();
  run(s);
  check(open_fd_count() == fds_before);
  return 0;
}
