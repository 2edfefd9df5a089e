// pysock/io/text.hpp: Python's IncrementalNewlineDecoder and TextIOWrapper (CPython 3.13's C
// implementation) over any io_base that carries bytes. Text is UTF-8 in std::string (lone
// surrogates as 3-byte generalized UTF-8, see codec.hpp); every size a user passes or gets back
// (read(n), readline(limit), write()'s result) counts code points, as in Python.
//
// Not thread-safe: one thread per object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pysock/io/buffered.hpp"
#include "pysock/io/codec.hpp"
#include "pysock/io/detail/lending.hpp"
#include "pysock/io/raw.hpp"

namespace pysock::io {

// IncrementalNewlineDecoder(decoder, translate): runs `decoder` (or passes UTF-8 text through when
// it is null), holds back a trailing '\r' until the next call so that a "\r\n" split between
// chunks is seen whole, records which line endings were seen (newlines()), and with `translate`
// turns "\r\n" and "\r" into "\n".
class incremental_newline_decoder {
 public:
  incremental_newline_decoder(std::unique_ptr<incremental_decoder> decoder, bool translate);

  // Decodes `input` and appends the text to `out`.
  void decode(std::string_view input, std::string& out, bool final = false);
  std::string decode(std::string_view input, bool final = false);
  // Beyond Python: decode() without a copy when the text is `input` itself (valid UTF-8 without
  // '\r', a UTF-8 decoder holding nothing back, no '\r' held back): then returns `input` and
  // leaves `out` alone; otherwise appends to `out` and returns what it appended.
  std::string_view decode_view(std::string_view input, std::string& out, bool final = false);
  // None, "\n", "\r", "\r\n" or a tuple of them, in Python's order.
  newlines_seen newlines() const;
  // (buffered bytes, flag): flag = inner flags << 1 | pending '\r'.
  decoder_state getstate() const;
  void setstate(const decoder_state& state);
  void reset();

 private:
  // Records a '\n' in `text` (one search until the first).
  void note_line_feeds(std::string_view text);

  std::unique_ptr<incremental_decoder> decoder_;
  bool translate_;
  bool pending_cr_ = false;
  unsigned seen_ = 0;  // bit 1: LF, 2: CR, 4: CRLF
};

// TextIOWrapper(buffer, encoding, errors, newline, line_buffering, write_through), owning its
// buffer. newline: nullopt (universal newlines, translated to '\n'), "" (universal, untranslated),
// "\n", "\r" or "\r\n"; other values → value_error("illegal newline value: x").
class text_io_wrapper final : public io_base, public lending_reader, private buffer_borrower {
 public:
  text_io_wrapper(std::unique_ptr<io_base> buffer, std::string encoding = "utf-8",
                  std::optional<std::string> errors = {}, std::optional<std::string> newline = {},
                  bool line_buffering = false, bool write_through = false);
  // Python's dealloc: close() with errors swallowed.
  ~text_io_wrapper() override;

  // read(-1): everything to EOF; read(n): n code points unless EOF comes first (on a socket it
  // waits for them).
  std::optional<std::string> read(std::ptrdiff_t n = -1) override;
  std::string readline(std::ptrdiff_t limit = -1) override;
  bool readline_into(std::string& line, std::ptrdiff_t limit = -1) override;
  // Returns the number of code points of `text` (before newline translation).
  std::optional<std::size_t> write(std::string_view text) override;
  void flush() override;
  void close() override;
  bool closed() const override { return closed_raw_ ? closed_raw_->closed() : buffer_->closed(); }
  bool readable() const override { return buffer_->readable(); }
  bool writable() const override { return buffer_->writable(); }
  bool seekable() const override;
  int fileno() const override { return buffer_->fileno(); }
  int name() const override { return buffer_->name(); }
  // The attribute makefile() sets; attribute_error when nobody set it.
  std::string mode() const override;
  void set_mode(std::string mode) { mode_ = std::move(mode); }
  std::string encoding() const override { return encoding_; }
  std::string errors() const override { return errors_; }
  newlines_seen newlines() const override;
  bool line_buffering() const override { return line_buffering_; }
  bool write_through() const noexcept { return write_through_; }
  // Text files have no read1/peek/readinto (AttributeError in Python).
  std::string read1(std::ptrdiff_t n = -1) override;
  std::string peek(std::ptrdiff_t n = 0) override;
  std::optional<std::size_t> readinto(std::span<std::byte> buffer) override;

  io_base& buffer() const noexcept { return *buffer_; }
  io_fast_paths fast_paths() noexcept override {
    return {.closed_raw = closed_raw_, .lender = this};
  }
  // io::streambuf's access to the decoded text (see lending_reader).
  std::string_view lend(buffer_borrower& borrower) override;
  void consume(std::size_t n) noexcept override { decoded_.remove_prefix(n); }
  void reclaim() noexcept override {
    if (borrower_) give_back_loan();
  }
  // The decoded-text chunk size (8192, as C's _CHUNK_SIZE).
  void set_chunk_size(std::size_t size);

 protected:
  std::string_view class_name() const override { return "TextIOWrapper"; }
  std::size_t length_of(std::string_view line) const override;

 private:
  bool read_chunk(std::size_t size_hint);
  bool take_chunk(std::string_view bytes, bool lent);
  std::string_view decode_chunk(std::string_view bytes, bool final);
  void store_decoded(std::string& text) noexcept;
  void clear_decoded() noexcept;
  std::string take_decoded(std::ptrdiff_t n);
  void decode_into(std::string_view bytes, std::string& out, bool final);
  // The buffered reader is about to be used (by anyone): lent chunk bytes become a copy.
  void give_back() noexcept override;
  void write_pending() {
    if (!pending_.empty()) send_pending();
  }
  void send_pending();
  std::size_t find_line_end(std::string_view text, std::size_t& consumed) const;
  bool readline_gathering(std::string& line, std::ptrdiff_t limit);
  void check_readable_text() const;
  void give_back_loan() noexcept;

  std::unique_ptr<io_base> buffer_;
  // What answers `closed` when the buffer is pysock's own: the raw object (under a buffered
  // buffer, C's fast CHECK_CLOSED), whose final closed() is a load, not a call per layer.
  const raw_io* closed_raw_ = nullptr;
  std::string encoding_;
  std::string errors_;
  bool read_universal_, read_translate_, write_translate_;
  std::string read_nl_;   // the newline searched for in fixed-newline mode
  char line_end_ = 0;     // the one character ending a line, when memchr can find lines
  std::string write_nl_;  // what '\n' becomes on write (empty: no translation)
  bool line_buffering_, write_through_;
  bool has_read1_;
  buffered_reader* chunk_source_ = nullptr;  // read1 as a view, when the buffer allows
  std::optional<std::string> mode_;
  std::unique_ptr<incremental_decoder> decoder_;             // when no newline decoder
  std::unique_ptr<incremental_newline_decoder> nl_decoder_;  // universal newlines
  std::unique_ptr<incremental_encoder> encoder_;
  // The decoded text not yet returned: in decoded_storage_, or (decoded_lent_) the very bytes
  // chunk_source_ lent, when decoding them changed nothing. Never dangling: the reader calls
  // give_back() before it moves or frees its buffer.
  std::string_view decoded_;
  bool decoded_lent_ = false;
  // C's decoded_chars is not empty: C reads a chunk when it is empty, not when it is used up.
  bool has_decoded_ = false;
  std::string decoded_storage_;
  std::string spare_decoded_;  // where the next chunk is decoded before it replaces decoded_
  std::string pending_;        // encoded text not yet written to the buffer
  std::size_t chunk_size_ = 8192;
  buffer_borrower* borrower_ = nullptr;
};

}  // namespace pysock::io
