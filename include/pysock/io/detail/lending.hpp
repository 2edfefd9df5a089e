// pysock/io/detail/lending.hpp: the contract of io::streambuf with the readers it reads through.
// io::streambuf has no buffer of its own: its get area is a window into a reader's buffer, lent
// in place. buffered_reader and text_io_wrapper implement lending_reader; streambuf is a
// buffer_borrower, and so is text_io_wrapper, whose decoded text can be the bytes of its buffered
// reader (buffered_reader::lend_read1). Internal to the io stack (users need streambuf.hpp only).
#pragma once

#include <cstddef>
#include <string_view>

namespace pysock::io {

// Something that borrows a reader's buffered data in place (io::streambuf's get area). The
// reader calls give_back() before it does anything itself, and the borrower then reports what it
// consumed and forgets the window, so both views of the stream stay in step without a second
// buffer.
class buffer_borrower {
 public:
  virtual void give_back() noexcept = 0;

 protected:
  ~buffer_borrower() = default;
};

// A reader whose buffered data can be lent out: buffered_reader and text_io_wrapper.
class lending_reader {
 public:
  // The data buffered now (one read of the layer below when there is none; empty at EOF),
  // lent to `borrower` until the reader's next operation.
  virtual std::string_view lend(buffer_borrower& borrower) = 0;
  // Marks `n` bytes of the lent window consumed (called from give_back()).
  virtual void consume(std::size_t n) noexcept = 0;
  // Ends a loan early (the borrower is going away).
  virtual void reclaim() noexcept = 0;

 protected:
  ~lending_reader() = default;
};

}  // namespace pysock::io
