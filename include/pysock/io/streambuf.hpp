// pysock/io/streambuf.hpp: a std::streambuf over an io::file, so std::istream / std::ostream,
// std::getline and operator<< work on a socket file. It has no buffer of its own: its get area is
// the file's read buffer (lent in place), and output goes straight to file.write() (the file
// buffers). So std::getline and file.readline() can be mixed without losing a byte.
//
// Output is all or a reported failure, never a silent loss. An unbuffered file ("wb" with
// buffering 0) may take part of a write: the streambuf writes the rest until everything is
// taken (a timeout then bounds each send). When a non-blocking file cannot take more, the
// output operation fails with blocking_io_error, whose characters_written() is how many bytes
// of that operation were taken, as a BufferedWriter reports it; std::ostream turns it into
// badbit (and rethrows it when out.exceptions() has badbit). Other errors (timeout_error,
// broken_pipe_error) reach the stream the same way.
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

  // Writes all of `data` or throws; returns data.size().
  std::streamsize write_all(std::string_view data);

  file& file_;
  lending_reader* reader_;  // null when the file cannot lend (write-only, raw)
  bool partial_writes_;     // write() may take part of the data (an unbuffered raw file)
};

}  // namespace pysock::io
