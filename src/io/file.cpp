// io::file: forwards to the top object of its stack.
#include "pysock/io/file.hpp"

namespace pysock::io {

file::file(std::unique_ptr<io_base> stream) : stream_(std::move(stream)) {
  if (!stream_) return;
  auto paths = stream_->fast_paths();
  reader_ = paths.reader;
  writer_ = paths.writer;
}

file& file::operator=(file&& other) noexcept {
  if (this != &other) {
    stream_.reset();  // the top object's destructor closes it, swallowing errors
    stream_ = std::move(other.stream_);
    reader_ = std::exchange(other.reader_, nullptr);
    writer_ = std::exchange(other.writer_, nullptr);
  }
  return *this;
}

file::~file() = default;

void file::close() {
  if (stream_) stream_->close();
}

void file::raise_no_reader(const char* what) const {
  if (!stream_) detail::raise_closed_file();
  throw unsupported_operation(std::string(what) + " needs a buffered binary reader");
}

file::line_iterator file::line_range::begin() const {
  if (f->closed()) detail::raise_closed_file();
  return line_iterator(f);
}

}  // namespace pysock::io
