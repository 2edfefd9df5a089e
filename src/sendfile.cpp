// socket::sendfile: zero-copy sendfile(2) with a read/send fallback, the file position kept
// where Python leaves it, and no SIGPIPE (pysock/socket.hpp).
#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <vector>

#include "detail/sigpipe.hpp"
#include "detail/socket_core.hpp"
#include "detail/test_hooks.hpp"
#include "pysock/error.hpp"
#include "pysock/socket.hpp"

namespace pysock {

namespace {

using detail::raise_errno;
using detail::send_core;
using detail::socket_core;
using detail::timed_call;

// bpo-38319: one sendfile(2) call moves at most 1 GiB.
constexpr std::uint64_t max_sendfile_block = std::uint64_t{1} << 30;
// The fallback's read size: large enough that the per-chunk syscalls do not dominate.
constexpr std::size_t copy_block = 64 * 1024;

// One socket::sendfile call: where it reads, how much it may send, and how much it did.
struct file_transfer {
  int file;
  std::uint64_t offset;
  std::optional<std::uint64_t> count;
  std::uint64_t sent = 0;

  // What the next round may send, at most `block`; 0 when `count` is reached.
  std::uint64_t next_block(std::uint64_t block) const {
    return count ? std::min(block, *count - sent) : block;
  }
};

// Leaves the file position at offset + sent when anything was sent, and where it was otherwise
// (the fallback reads before it sends), however the call ends.
class file_position_keeper {
 public:
  explicit file_position_keeper(const file_transfer& transfer)
      : transfer_(transfer), original_(::lseek(transfer.file, 0, SEEK_CUR)) {}
  file_position_keeper(const file_position_keeper&) = delete;
  file_position_keeper& operator=(const file_position_keeper&) = delete;
  ~file_position_keeper() {
    const off_t position =
        transfer_.sent > 0 ? static_cast<off_t>(transfer_.offset + transfer_.sent) : original_;
    // A pipe has no position (ESPIPE, original_ -1): there is nothing to restore then.
    if (original_ >= 0) ::lseek(transfer_.file, position, SEEK_SET);
  }

 private:
  const file_transfer& transfer_;
  const off_t original_;
};

// The zero-copy path (Python's _sendfile_use_sendfile). False when the kernel refused the file
// before a byte went out, so the caller falls back; errors after that are thrown.
bool send_zero_copy(const socket_core& core, file_transfer& transfer, std::uint64_t file_size) {
  const std::uint64_t block = std::min(
      transfer.count.value_or(file_size > 0 ? file_size : max_sendfile_block), max_sendfile_block);
  const detail::sigpipe_guard no_sigpipe;  // sendfile(2) has no MSG_NOSIGNAL
  for (;;) {
    const std::uint64_t size = transfer.next_block(block);
    if (size == 0) return true;
    auto position = static_cast<off_t>(transfer.offset + transfer.sent);
    ssize_t sent = 0;
    try {
      sent = timed_call(core, POLLOUT, "sendfile",
                        [&](int fd) { return ::sendfile(fd, transfer.file, &position, size); });
    } catch (const timeout_error&) {
      throw;
    } catch (const os_error&) {
      if (transfer.sent == 0) return false;
      throw;
    }
    if (sent == 0) return true;  // end of file
    transfer.sent += static_cast<std::uint64_t>(sent);
    detail::sendfile_stats().zero_copy_bytes.fetch_add(static_cast<std::uint64_t>(sent),
                                                       std::memory_order_relaxed);
  }
}

std::size_t read_some(int fd, std::span<std::byte> buffer) {
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) raise_errno("read");
  }
}

// The fallback (Python's _sendfile_use_send), reading from the absolute offset as the
// zero-copy path does. A file without a position (a pipe) is read from where it is.
void send_by_copy(const socket_core& core, file_transfer& transfer) {
  if (::lseek(transfer.file, static_cast<off_t>(transfer.offset), SEEK_SET) < 0 &&
      !(errno == ESPIPE && transfer.offset == 0))
    raise_errno("sendfile");
  std::vector<std::byte> buffer(copy_block);
  for (;;) {
    const auto size = static_cast<std::size_t>(transfer.next_block(buffer.size()));
    if (size == 0) return;
    auto chunk = std::span<const std::byte>(
        buffer.data(), read_some(transfer.file, std::span(buffer).first(size)));
    if (chunk.empty()) return;
    while (!chunk.empty()) {
      const std::size_t sent = send_core(core, chunk, {});
      chunk = chunk.subspan(sent);
      transfer.sent += sent;
      detail::sendfile_stats().fallback_bytes.fetch_add(sent, std::memory_order_relaxed);
    }
  }
}

}  // namespace

namespace detail {
std::atomic<bool> sendfile_zero_copy_allowed{true};

sendfile_counters& sendfile_stats() noexcept {
  static sendfile_counters counters;
  return counters;
}
}  // namespace detail

std::uint64_t socket::sendfile(int file_fd, std::uint64_t offset,
                               std::optional<std::uint64_t> count) {
  auto& c = core();
  // Python tests the bit: SOCK_SEQPACKET and SOCK_RAW pass, SOCK_DGRAM does not.
  if ((c.type & SOCK_STREAM) == 0) throw value_error("only SOCK_STREAM type sockets are supported");
  if (count && *count == 0) throw value_error("count must be a positive integer (got 0)");
  struct stat info {};
  // Python gives the zero-copy path up when fstat fails, and sends nothing for an empty file.
  const bool have_size = ::fstat(file_fd, &info) == 0;
  if (have_size && S_ISREG(info.st_mode) && info.st_size == 0) return 0;
  if (c.timeout == 0.0) throw value_error("non-blocking sockets are not supported");
  file_transfer transfer{file_fd, offset, count};
  const file_position_keeper keep_position(transfer);
  const auto file_size = have_size && S_ISREG(info.st_mode) ? std::uint64_t(info.st_size) : 0;
  const bool zero_copy =
      have_size && detail::sendfile_zero_copy_allowed.load(std::memory_order_relaxed);
  if (!zero_copy || !send_zero_copy(c, transfer, file_size)) send_by_copy(c, transfer);
  return transfer.sent;
}

std::uint64_t socket::sendfile(const std::filesystem::path& path, std::uint64_t offset,
                               std::optional<std::uint64_t> count) {
  const owned_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) raise_os_error(errno, "'" + path.string() + "'");
  return sendfile(file.get(), offset, count);
}

}  // namespace pysock
