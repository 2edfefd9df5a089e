// pysock/io/streambuf.hpp: a std::streambuf over an io::file, so std::istream / std::ostream,
// std::getline and operator<< work on a socket file. It has no buffer of its own: its get area is
// the file's read buffer (lent in place), and output goes straight to file.write() (the file
// buffers). So std::getline and file.readline() can be mixed without losing a byte.
#pragma once

#include <streambuf>

#include "pysock/io/detail/lending.hpp"
#include "pysock/io/file.hpp"

namespace pysock::io {

class streambuf final : public std::streambuf, private buffer_borrower {
 public:
  // The file must outlive the streambuf. Reading needs a binary buffered or text read mode.
  explicit streambuf(file& f);
  ~streambuf() override;
  streambuf(const streambuf&) = delete;
  streambuf& operator=(const streambuf&) = delete;

 protected:
  int_type underflow() override;
  std::streamsize xsgetn(char_type* s, std::streamsize count) override;
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char_type* s, std::streamsize count) override;
  // Flushes the file (std::flush, std::endl).
  int sync() override;

 private:
  void give_back() noexcept override;

  file& file_;
  lending_reader* reader_;  // null when the file cannot lend (write-only, raw)
};

}  // namespace pysock::io
