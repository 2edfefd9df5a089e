// io::streambuf: the get area is a window lent by the file's reader.
#include "pysock/io/streambuf.hpp"

#include <algorithm>
#include <cstring>

namespace pysock::io {

streambuf::streambuf(file& f)
    : file_(f),
      reader_(f.closed() ? nullptr : f.stream().fast_paths().lender),
      partial_writes_(!f.closed() && f.stream().fast_paths().raw != nullptr) {}

streambuf::~streambuf() {
  if (reader_) reader_->reclaim();
}

void streambuf::give_back() noexcept {
  if (reader_ && eback()) reader_->consume(std::size_t(gptr() - eback()));
  setg(nullptr, nullptr, nullptr);
}

streambuf::int_type streambuf::underflow() {
  if (!reader_) return traits_type::eof();
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  reader_->reclaim();  // hands back the exhausted window
  std::string_view window = reader_->lend(*this);
  if (window.empty()) return traits_type::eof();
  char* begin = const_cast<char*>(window.data());
  setg(begin, begin, begin + window.size());
  return traits_type::to_int_type(*gptr());
}

std::streamsize streambuf::xsgetn(char_type* s, std::streamsize count) {
  std::streamsize done = 0;
  while (done < count) {
    if (gptr() == egptr() && traits_type::eq_int_type(underflow(), traits_type::eof())) break;
    auto part = std::min<std::streamsize>(count - done, egptr() - gptr());
    std::memcpy(s + done, gptr(), std::size_t(part));
    gbump(int(part));
    done += part;
  }
  return done;
}

streambuf::int_type streambuf::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  char byte = traits_type::to_char_type(c);
  write_all(std::string_view(&byte, 1));
  return c;
}

std::streamsize streambuf::xsputn(const char_type* s, std::streamsize count) {
  return write_all(std::string_view(s, std::size_t(count)));
}

// A buffered or text file takes everything or throws (its count is code points in text mode);
// only a raw file can take part, and its count is bytes.
std::streamsize streambuf::write_all(std::string_view data) {
  if (!partial_writes_) {
    (void)file_.write(data);
    return std::streamsize(data.size());
  }
  std::size_t taken = 0;
  while (taken < data.size()) {
    const auto written = file_.write(data.substr(taken));
    if (!written) detail::raise_write_would_block(taken);
    taken += *written;
  }
  return std::streamsize(taken);
}

int streambuf::sync() {
  if (file_.closed() || !file_.writable()) return 0;
  file_.flush();
  return 0;
}

}  // namespace pysock::io
