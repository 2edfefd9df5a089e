// pysock/io/file.hpp: io::file, the one value type makefile() returns. It owns the top object of
// an io stack (socket_io, buffered_reader, buffered_writer, buffered_rw_pair or text_io_wrapper)
// and behaves as the Python object of that mode: same method names, same errors. Move-only;
// destruction closes it like Python's dealloc (flush, close, errors swallowed), which gives the
// socket's io reference back exactly once.
#pragma once

#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pysock/io/buffered.hpp"
#include "pysock/io/raw.hpp"

namespace pysock::io {

class file {
 public:
  // A closed file with nothing behind it (what a moved-from file is).
  file() noexcept = default;
  // Takes over the top object of a stack.
  explicit file(std::unique_ptr<io_base> stream);
  file(file&& other) noexcept
      : stream_(std::move(other.stream_)),
        reader_(std::exchange(other.reader_, nullptr)),
        writer_(std::exchange(other.writer_, nullptr)) {}
  // Closes this file (errors swallowed), then takes over `other`.
  file& operator=(file&& other) noexcept;
  ~file();

  // Python's methods. Bytes and text are std::string (text: UTF-8, sizes count code points).
  // read/readinto return nullopt where Python returns None (non-blocking, nothing available).
  std::optional<std::string> read(std::ptrdiff_t n = -1) { return get().read(n); }
  std::string read1(std::ptrdiff_t n = -1) { return get().read1(n); }
  std::string peek(std::ptrdiff_t n = 0) { return get().peek(n); }
  std::optional<std::size_t> readinto(std::span<std::byte> buffer) {
    return get().readinto(buffer);
  }
  std::optional<std::size_t> readinto1(std::span<std::byte> buffer) {
    return get().readinto1(buffer);
  }
  std::string readline(std::ptrdiff_t limit = -1) { return get().readline(limit); }
  // Beyond Python: readline(limit) into `line`, reusing its capacity; false at EOF.
  bool readline_into(std::string& line, std::ptrdiff_t limit = -1) {
    // A buffered reader on top ("rb"): its inline fast path instead of a virtual call.
    if (reader_ && static_cast<io_base*>(reader_) == stream_.get()) {
      return reader_->readline_into(line, limit);
    }
    return get().readline_into(line, limit);
  }
  std::vector<std::string> readlines(std::ptrdiff_t hint = -1) { return get().readlines(hint); }
  // How much was taken: bytes, or code points in text mode; nullopt when an unbuffered
  // non-blocking write would block.
  std::optional<std::size_t> write(std::string_view data) {
    // A binary buffered write mode: the writer's inline fast path instead of a virtual call.
    if (writer_) return writer_->write(data);
    return get().write(data);
  }
  void writelines(std::span<const std::string> lines) { get().writelines(lines); }
  void writelines(std::initializer_list<std::string> lines) {
    get().writelines(std::span(lines.begin(), lines.size()));
  }
  void flush() { get().flush(); }
  // Idempotent. Releases the socket's io reference (once) even when flushing throws.
  void close();
  bool closed() const { return !stream_ || stream_->closed(); }
  bool readable() const { return get().readable(); }
  bool writable() const { return get().writable(); }
  bool seekable() const { return get().seekable(); }
  int fileno() const { return get().fileno(); }
  // The socket's fd while open, -1 once closed; attribute_error for an rw binary file.
  int name() const { return get().name(); }
  std::string mode() const { return get().mode(); }
  std::string encoding() const { return get().encoding(); }
  std::string errors() const { return get().errors(); }
  newlines_seen newlines() const { return get().newlines(); }
  bool line_buffering() const { return get().line_buffering(); }

  // Beyond Python, binary buffered read modes only (unsupported_operation otherwise): the next
  // line / n bytes as a view into the buffer, valid until the next call on this file.
  std::string_view readline_view(std::ptrdiff_t limit = -1) {
    return reader("readline_view").readline_view(limit);
  }
  std::string_view read_view(std::size_t n) { return reader("read_view").read_view(n); }

  // `for (auto& line : f.lines())`: readline() until it returns empty (Python's iteration; a
  // closed file raises value_error at the start).
  class line_iterator {
   public:
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    line_iterator() = default;
    explicit line_iterator(file* f) : file_(f) { ++*this; }
    std::string& operator*() const noexcept { return line_; }
    line_iterator& operator++() {
      if (!file_->readline_into(line_)) file_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const line_iterator& it, std::default_sentinel_t) noexcept {
      return it.file_ == nullptr;
    }

   private:
    file* file_ = nullptr;
    mutable std::string line_;
  };
  struct line_range {
    file* f;
    line_iterator begin() const;
    std::default_sentinel_t end() const noexcept { return {}; }
  };
  line_range lines() noexcept { return {this}; }

  // The object at the top of the stack (for the io classes' own extras).
  io_base& stream() const { return get(); }

 private:
  io_base& get() const {
    if (!stream_) detail::raise_closed_file();
    return *stream_;
  }
  buffered_reader& reader(const char* what) const {
    if (!reader_) raise_no_reader(what);
    return *reader_;
  }
  [[noreturn]] void raise_no_reader(const char* what) const;

  std::unique_ptr<io_base> stream_;
  buffered_reader* reader_ = nullptr;  // the buffered reader of a binary read mode, if any
  buffered_writer* writer_ = nullptr;  // the buffered writer of a binary write mode, if any
};

}  // namespace pysock::io
