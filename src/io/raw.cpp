// The raw layer: IOBase defaults, RawIOBase's read/readall/readline, SocketIO's checks.
#include "pysock/io/raw.hpp"

#include <cerrno>
#include <cstring>

namespace pysock::io {

std::optional<std::string> io_base::read(std::ptrdiff_t) {
  throw unsupported_operation("read");
}
std::string io_base::read1(std::ptrdiff_t) {
  throw unsupported_operation("read1");
}
std::string io_base::peek(std::ptrdiff_t) {
  no_attribute("peek");
}
// BufferedIOBase.readinto is read() into the buffer: unsupported as "read".
std::optional<std::size_t> io_base::readinto(std::span<std::byte>) {
  throw unsupported_operation("read");
}
std::optional<std::size_t> io_base::readinto1(std::span<std::byte>) {
  no_attribute("readinto1");
}
std::optional<std::size_t> io_base::write(std::string_view) {
  throw unsupported_operation("write");
}

// IOBase.readline over read(1) (or over peek when the layer has it, see buffered.cpp).
std::string io_base::readline(std::ptrdiff_t limit) {
  std::string line;
  while (limit < 0 || std::ptrdiff_t(line.size()) < limit) {
    auto chunk = read(1);
    if (!chunk) throw os_error("read() should have returned a bytes object, not 'NoneType'");
    if (chunk->empty()) break;
    line += *chunk;
    if (line.back() == '\n') break;
  }
  return line;
}

bool io_base::readline_into(std::string& line, std::ptrdiff_t limit) {
  line = readline(limit);
  return !line.empty();
}

// IOBase.readlines: iterate (closed check first), stopping after the line that takes the total
// past hint.
std::vector<std::string> io_base::readlines(std::ptrdiff_t hint) {
  check_closed();
  std::vector<std::string> lines;
  std::ptrdiff_t total = 0;
  for (;;) {
    auto line = readline();
    if (line.empty()) break;
    auto length = std::ptrdiff_t(length_of(line));
    lines.push_back(std::move(line));
    if (hint > 0 && length > hint - total) break;
    total += length;
  }
  return lines;
}

void io_base::writelines(std::span<const std::string> lines) {
  check_closed();
  for (const auto& line : lines)
    write(line);
}

void io_base::flush() {
  check_closed();
}
int io_base::fileno() const {
  throw unsupported_operation("fileno");
}
int io_base::name() const {
  no_attribute("name");
}
std::string io_base::mode() const {
  no_attribute("mode");
}
std::string io_base::encoding() const {
  no_attribute("encoding");
}
std::string io_base::errors() const {
  no_attribute("errors");
}
newlines_seen io_base::newlines() const {
  no_attribute("newlines");
}
bool io_base::line_buffering() const {
  no_attribute("line_buffering");
}

void io_base::no_attribute(std::string_view attribute) const {
  throw attribute_error("'" + std::string(class_name()) + "' object has no attribute '" +
                        std::string(attribute) + "'");
}

void io_base::check_readable() const {
  if (!readable()) throw unsupported_operation("File or stream is not readable.");
}
void io_base::check_writable() const {
  if (!writable()) throw unsupported_operation("File or stream is not writable.");
}

// RawIOBase.read: readall for n < 0, else one readinto of n bytes (readinto runs even for n == 0,
// so its closed check applies). The count is validated (gh-140607).
std::optional<std::string> raw_io::read(std::ptrdiff_t n) {
  if (n < 0) return readall();
  std::string data(std::size_t(n), '\0');
  auto got = readinto(std::as_writable_bytes(std::span(data.data(), data.size())));
  if (!got) return std::nullopt;
  if (*got > data.size()) {
    throw value_error("readinto returned " + std::to_string(*got) + " outside buffer size " +
                      std::to_string(n));
  }
  data.resize(*got);
  return data;
}

std::optional<std::string> raw_io::readall() {
  std::string all;
  for (;;) {
    auto chunk = read(std::ptrdiff_t(default_buffer_size));
    if (!chunk) {
      if (all.empty()) return std::nullopt;
      break;
    }
    if (chunk->empty()) break;
    all += *chunk;
  }
  return all;
}

std::optional<std::size_t> raw_io::write(std::string_view data) {
  return write_bytes(std::as_bytes(std::span(data.data(), data.size())));
}

namespace detail {

std::string socket_io_mode(std::string_view mode) {
  for (std::string_view valid : {"r", "w", "rw", "rb", "wb", "rwb"}) {
    if (mode == valid) return mode.ends_with('b') ? std::string(mode) : std::string(mode) + "b";
  }
  throw value_error("invalid mode: '" + std::string(mode) + "'");
}

bool is_would_block(const os_error& e) noexcept {
  return e.errno_value() && is_would_block(e.code());
}

bool is_would_block(const std::error_code& ec) noexcept {
  return ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block;
}

void raise_timed_out_object() {
  throw os_error(std::string("cannot read from timed out object"));
}
void raise_write_would_block(std::size_t written) {
  throw blocking_io_error(EAGAIN, "write could not complete without blocking", written);
}
void raise_closed_file() {
  throw value_error("I/O operation on closed file.");
}
void raise_closed_socket() {
  throw value_error("I/O operation on closed socket.");
}

}  // namespace detail
}  // namespace pysock::io
