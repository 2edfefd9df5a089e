// The text layer: CPython 3.13's C TextIOWrapper and IncrementalNewlineDecoder over UTF-8
// strings. Line endings are ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte
// character, so lines are found with memchr on bytes; only sizes are counted in code points.
#include "pysock/io/text.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <utility>

#include "io/codec/utf8.hpp"

namespace pysock::io {

namespace {

using detail::count_code_points;
using detail::skip_code_points;
using detail::valid_utf8_end;

constexpr unsigned seen_lf = 1, seen_cr = 2, seen_crlf = 4;

// Whether decoding `input` (not the final call) with `decoder` (null: none, text passes through)
// gives `input` back: UTF-8 (or utf-8-sig past its BOM) holding no bytes back, and valid UTF-8.
// The scan comes last, so that other codecs do not pay for it.
bool decodes_to_itself(const incremental_decoder* decoder, std::string_view input) {
  if (decoder) {
    const std::string_view name = decoder->codec_name();
    if (name != "utf-8" && name != "utf-8-sig") return false;
    if (decoder->getstate() != decoder_state{}) return false;
  }
  return !input.empty() && valid_utf8_end(input, 0) == input.size();
}

}  // namespace

// --- incremental_newline_decoder -------------------------------------------------------------

incremental_newline_decoder::incremental_newline_decoder(
    std::unique_ptr<incremental_decoder> decoder, bool translate)
    : decoder_(std::move(decoder)), translate_(translate) {}

void incremental_newline_decoder::decode(std::string_view input, std::string& out, bool final) {
  const std::size_t start = out.size();
  if (decoder_) {
    decoder_->decode(input, out, final);
  } else {
    out += input;
  }
  if (pending_cr_ && (final || out.size() > start)) {
    out.insert(out.begin() + std::ptrdiff_t(start), '\r');
    pending_cr_ = false;
  }
  if (!final && out.size() > start && out.back() == '\r') {
    out.pop_back();
    pending_cr_ = true;
  }
  char* text = out.data() + start;
  const std::size_t size = out.size() - start;
  const char* first_cr = static_cast<const char*>(std::memchr(text, '\r', size));
  if (!first_cr) {
    note_line_feeds(std::string_view(text, size));
    return;
  }
  // Count the endings and translate in one pass from the first '\r'.
  note_line_feeds(std::string_view(text, std::size_t(first_cr - text)));
  std::size_t write = std::size_t(first_cr - text);
  for (std::size_t read = write; read < size; ++read) {
    char c = text[read];
    if (c == '\r') {
      if (read + 1 < size && text[read + 1] == '\n') {
        seen_ |= seen_crlf;
        ++read;
        if (!translate_) text[write++] = '\r';
        c = '\n';
      } else {
        seen_ |= seen_cr;
        if (translate_) c = '\n';
      }
    } else if (c == '\n') {
      seen_ |= seen_lf;
    }
    text[write++] = c;
  }
  out.resize(start + write);
}

std::string_view incremental_newline_decoder::decode_view(std::string_view input, std::string& out,
                                                          bool final) {
  // '\r' first: CRLF text finds one within its first line and skips the validating scan.
  if (!final && !pending_cr_ && !input.empty() && !std::memchr(input.data(), '\r', input.size()) &&
      decodes_to_itself(decoder_.get(), input)) {
    note_line_feeds(input);
    return input;
  }
  const std::size_t start = out.size();
  decode(input, out, final);
  return std::string_view(out).substr(start);
}

void incremental_newline_decoder::note_line_feeds(std::string_view text) {
  if ((seen_ & seen_lf) == 0 && !text.empty() && std::memchr(text.data(), '\n', text.size())) {
    seen_ |= seen_lf;
  }
}

std::string incremental_newline_decoder::decode(std::string_view input, bool final) {
  std::string out;
  decode(input, out, final);
  return out;
}

newlines_seen incremental_newline_decoder::newlines() const {
  newlines_seen result;
  if (seen_ & seen_cr) result.emplace_back("\r");
  if (seen_ & seen_lf) result.emplace_back("\n");
  if (seen_ & seen_crlf) result.emplace_back("\r\n");
  return result;
}

decoder_state incremental_newline_decoder::getstate() const {
  decoder_state state = decoder_ ? decoder_->getstate() : decoder_state{};
  state.flags = (state.flags << 1) | (pending_cr_ ? 1 : 0);
  return state;
}

void incremental_newline_decoder::setstate(const decoder_state& state) {
  pending_cr_ = (state.flags & 1) != 0;
  if (decoder_) decoder_->setstate({state.buffered, state.flags >> 1});
}

void incremental_newline_decoder::reset() {
  seen_ = 0;
  pending_cr_ = false;
  if (decoder_) decoder_->reset();
}

// --- text_io_wrapper -------------------------------------------------------------------------

namespace {

void check_newline(const std::optional<std::string>& newline) {
  if (!newline) return;
  for (std::string_view valid : {"", "\n", "\r", "\r\n"}) {
    if (*newline == valid) return;
  }
  throw value_error("illegal newline value: " + *newline);
}

}  // namespace

text_io_wrapper::text_io_wrapper(std::unique_ptr<io_base> buffer, std::string encoding,
                                 std::optional<std::string> errors,
                                 std::optional<std::string> newline, bool line_buffering,
                                 bool write_through)
    : buffer_(std::move(buffer)),
      encoding_(std::move(encoding)),
      errors_(errors.value_or("strict")),
      line_buffering_(line_buffering),
      write_through_(write_through) {
  check_newline(newline);
  lookup_codec(encoding_);
  read_universal_ = !newline || newline->empty();
  read_translate_ = !newline;
  read_nl_ = newline.value_or("");
  write_translate_ = !newline || !newline->empty();
  if (!read_universal_ && read_nl_ != "\n") write_nl_ = read_nl_;
  auto below = buffer_->fast_paths();
  has_read1_ = below.raw == nullptr;
  chunk_source_ = below.reader;
  closed_raw_ = below.closed_raw;
  if (read_translate_ || (!read_universal_ && read_nl_.size() == 1)) {
    line_end_ = read_translate_ ? '\n' : read_nl_[0];
  }
  if (buffer_->readable()) {
    auto decoder = make_incremental_decoder(encoding_, errors_);
    if (read_universal_) {
      nl_decoder_ =
          std::make_unique<incremental_newline_decoder>(std::move(decoder), read_translate_);
    } else {
      decoder_ = std::move(decoder);
    }
  }
  if (buffer_->writable()) {
    encoder_ = make_incremental_encoder(encoding_, errors_);
    // CPython encodes utf-16/utf-32 on a non-seekable stream as if the BOM were already written
    // (its fast path never sees a start of stream): native byte order, no BOM.
    auto name = lookup_codec(encoding_).name;
    if (!buffer_->seekable() && (name == "utf-16" || name == "utf-32")) encoder_->setstate(0);
  }
  clear_decoded();
}

text_io_wrapper::~text_io_wrapper() {
  try {
    close();
  } catch (...) {  // Python's dealloc ignores close errors
  }
  if (chunk_source_) chunk_source_->reclaim();  // the buffer outlives this object's members
}

void text_io_wrapper::set_chunk_size(std::size_t size) {
  if (size == 0) throw value_error("a strictly positive integer is required");
  chunk_size_ = size;
}

bool text_io_wrapper::seekable() const {
  return buffer_->seekable();
}

std::string text_io_wrapper::mode() const {
  if (!mode_) no_attribute("mode");
  return *mode_;
}

newlines_seen text_io_wrapper::newlines() const {
  return nl_decoder_ ? nl_decoder_->newlines() : newlines_seen{};
}

std::size_t text_io_wrapper::length_of(std::string_view line) const {
  return count_code_points(line);
}

std::string text_io_wrapper::read1(std::ptrdiff_t) {
  no_attribute("read1");
}
std::string text_io_wrapper::peek(std::ptrdiff_t) {
  no_attribute("peek");
}
std::optional<std::size_t> text_io_wrapper::readinto(std::span<std::byte>) {
  no_attribute("readinto");
}

void text_io_wrapper::check_readable_text() const {
  if (!decoder_ && !nl_decoder_) throw unsupported_operation("not readable");
}

void text_io_wrapper::decode_into(std::string_view bytes, std::string& out, bool final) {
  if (nl_decoder_) {
    nl_decoder_->decode(bytes, out, final);
  } else {
    decoder_->decode(bytes, out, final);
  }
}

// C's textiowrapper_read_chunk: one read1 (read on a raw buffer) of max(chunk, hint) bytes,
// decoded into decoded_; false at EOF.
bool text_io_wrapper::read_chunk(std::size_t size_hint) {
  std::size_t size = std::max(chunk_size_, size_hint);
  if (chunk_source_)
    return take_chunk(chunk_source_->lend_read1(std::ptrdiff_t(size), *this), true);
  std::optional<std::string> bytes;
  if (has_read1_) {
    bytes = buffer_->read1(std::ptrdiff_t(size));
  } else {
    bytes = buffer_->read(std::ptrdiff_t(size));
    if (!bytes) {
      throw type_error(
          "underlying read() should have returned a bytes-like object, not 'NoneType'");
    }
  }
  return take_chunk(*bytes, false);
}

// C replaces its decoded text only once decoding succeeded: after a decode error the old, used
// up text stays, so readline(0) still answers "" without reading. When decoding changes nothing,
// the text is the `lent` bytes themselves; otherwise it is decoded into the spare string, which
// is swapped in (keeping both allocations).
bool text_io_wrapper::take_chunk(std::string_view bytes, bool lent) {
  spare_decoded_.clear();
  std::string_view text = decode_chunk(bytes, bytes.empty());
  if (text.data() != bytes.data()) {
    store_decoded(spare_decoded_);
  } else if (lent) {
    decoded_storage_.reserve(text.size());  // so that give_back() copies without allocating
    decoded_ = text;
    decoded_lent_ = true;
  } else {
    spare_decoded_.assign(text);
    store_decoded(spare_decoded_);
  }
  has_decoded_ = !decoded_.empty();
  return !bytes.empty() || has_decoded_;
}

// The text of `bytes`: `bytes` itself when decoding is the identity, otherwise decoded into
// spare_decoded_.
std::string_view text_io_wrapper::decode_chunk(std::string_view bytes, bool final) {
  if (nl_decoder_) return nl_decoder_->decode_view(bytes, spare_decoded_, final);
  if (!final && decodes_to_itself(decoder_.get(), bytes)) return bytes;
  decoder_->decode(bytes, spare_decoded_, final);
  return spare_decoded_;
}

// Swaps `text` in as the decoded text.
void text_io_wrapper::store_decoded(std::string& text) noexcept {
  decoded_storage_.swap(text);
  decoded_ = decoded_storage_;
  decoded_lent_ = false;
}

// C's textiowrapper_set_decoded_chars(self, NULL).
void text_io_wrapper::clear_decoded() noexcept {
  decoded_ = std::string_view(decoded_storage_.data(), 0);
  decoded_lent_ = false;
  has_decoded_ = false;
}

void text_io_wrapper::give_back() noexcept {
  reclaim();  // a streambuf reading the text reports what it took first
  if (!decoded_lent_) return;
  decoded_storage_.assign(decoded_);  // within the capacity reserved in take_chunk
  decoded_ = decoded_storage_;
  decoded_lent_ = false;
}

// Up to n code points (all when n < 0) of the decoded text not yet returned.
std::string text_io_wrapper::take_decoded(std::ptrdiff_t n) {
  std::size_t bytes = n < 0 ? decoded_.size() : skip_code_points(decoded_, std::size_t(n));
  std::string taken(decoded_.substr(0, bytes));
  decoded_.remove_prefix(bytes);
  return taken;
}

std::string_view text_io_wrapper::lend(buffer_borrower& borrower) {
  reclaim();
  check_closed();
  check_readable_text();
  write_pending();
  while (decoded_.empty()) {
    if (!read_chunk(0)) return {};
  }
  borrower_ = &borrower;
  return decoded_;
}

void text_io_wrapper::give_back_loan() noexcept {
  std::exchange(borrower_, nullptr)->give_back();
}

std::optional<std::string> text_io_wrapper::read(std::ptrdiff_t n) {
  reclaim();
  check_closed();
  check_readable_text();
  write_pending();
  if (n < 0) {
    auto bytes = buffer_->read(-1);
    if (!bytes) throw type_error("can't concat NoneType to bytes");
    std::string rest;
    decode_into(*bytes, rest, true);  // first: if it throws, the decoded text stays unread
    std::string result = take_decoded(-1) + rest;
    clear_decoded();
    return result;
  }
  std::string result = take_decoded(n);
  std::size_t remaining = std::size_t(n) - count_code_points(result);
  while (remaining > 0) {
    if (!read_chunk(remaining)) break;
    std::string more = take_decoded(std::ptrdiff_t(remaining));
    remaining -= count_code_points(more);
    result += more;
  }
  return result;
}

// C's _PyIO_find_line_ending: the end of the first line in `text` (0 when none; then `consumed`
// is how much of `text` can be set aside without splitting a line ending).
std::size_t text_io_wrapper::find_line_end(std::string_view text, std::size_t& consumed) const {
  consumed = text.size();
  if (line_end_ != 0) {
    auto* hit = static_cast<const char*>(std::memchr(text.data(), line_end_, text.size()));
    return hit ? std::size_t(hit - text.data()) + 1 : 0;
  }
  if (read_universal_) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') return i + 1;
      if (text[i] == '\r') return i + 1 < text.size() && text[i + 1] == '\n' ? i + 2 : i + 1;
    }
    return 0;
  }
  // "\r\n": a '\r' at the very end may be the first half of the next ending.
  if (auto i = text.find("\r\n"); i != std::string_view::npos) return i + 2;
  if (!text.empty() && text.back() == '\r') consumed = text.size() - 1;
  return 0;
}

std::string text_io_wrapper::readline(std::ptrdiff_t limit) {
  std::string line;
  readline_into(line, limit);
  return line;
}

bool text_io_wrapper::readline_into(std::string& line, std::ptrdiff_t limit) {
  reclaim();
  check_closed();
  write_pending();
  // The common case without the general loop: no limit, a whole line already decoded.
  if (limit < 0 && line_end_ != 0) {
    if (auto* hit =
            static_cast<const char*>(std::memchr(decoded_.data(), line_end_, decoded_.size()))) {
      std::size_t length = std::size_t(hit - decoded_.data()) + 1;
      detail::assign_line(line, decoded_.substr(0, length));
      decoded_.remove_prefix(length);
      return true;
    }
  }
  return readline_gathering(line, limit);
}

// C's _textiowrapper_readline: gathers decoded text until a line ending (or `limit` code points).
bool text_io_wrapper::readline_gathering(std::string& line, std::ptrdiff_t limit) {
  line.clear();             // set aside so far
  std::size_t chunked = 0;  // its length in code points
  for (;;) {
    // C reads when its decoded text is empty, not when it is all used: readline(0) after a
    // read(n) that used up the decoded text returns "" without reading.
    while (!has_decoded_) {
      check_readable_text();
      if (!read_chunk(0)) {
        clear_decoded();
        return !line.empty();
      }
    }
    std::string_view rest = decoded_;
    std::size_t consumed = 0;
    std::size_t end = find_line_end(rest, consumed);
    std::size_t take = end > 0 ? end : consumed;
    if (limit >= 0) {
      std::size_t taken = count_code_points(rest.substr(0, take));
      if (chunked + taken >= std::size_t(limit)) {
        std::size_t cut = skip_code_points(rest, std::size_t(limit) - chunked);
        line += rest.substr(0, cut);
        decoded_.remove_prefix(cut);
        return !line.empty();
      }
      chunked += taken;
    }
    line += rest.substr(0, take);
    decoded_.remove_prefix(take);
    if (end > 0) return !line.empty();
    // No line end: the decoded text is used up (C drops it), but for a held-back '\r' of a
    // possible "\r\n", which goes in front of the next chunk.
    std::string held(rest.substr(take));
    clear_decoded();
    if (held.empty()) continue;
    if (!read_chunk(0)) {
      line += held;
      return !line.empty();
    }
    held += decoded_;
    store_decoded(held);
    has_decoded_ = true;
  }
}

std::optional<std::size_t> text_io_wrapper::write(std::string_view text) {
  reclaim();
  check_closed();
  if (!encoder_) throw unsupported_operation("not writable");
  const std::size_t length = count_code_points(text);
  const bool has_lf = text.find('\n') != std::string_view::npos;
  std::string translated;
  if (has_lf && write_translate_ && !write_nl_.empty()) {
    translated.reserve(text.size() + text.size() / 8);
    for (char c : text) {
      if (c == '\n') {
        translated += write_nl_;
      } else {
        translated += c;
      }
    }
    text = translated;
  }
  const bool need_flush = line_buffering_ && (has_lf || text.find('\r') != std::string_view::npos);
  encoder_->encode(text, pending_);
  if (pending_.size() >= chunk_size_ || need_flush || write_through_) write_pending();
  if (need_flush) buffer_->flush();
  // Not seekable: decoded text not read yet is kept (gh-80109); the decoder starts afresh.
  if (nl_decoder_) nl_decoder_->reset();
  if (decoder_) decoder_->reset();
  return length;
}

// C's _textiowrapper_writeflush: the pending bytes go to the buffer in one write; they are gone
// even if that write fails.
void text_io_wrapper::send_pending() {
  std::string bytes = std::move(pending_);
  pending_.clear();
  buffer_->write(bytes);
}

void text_io_wrapper::flush() {
  check_closed();
  write_pending();
  buffer_->flush();
}

void text_io_wrapper::close() {
  reclaim();
  if (buffer_->closed()) return;
  std::exception_ptr flush_error;
  try {
    flush();
  } catch (...) {
    flush_error = std::current_exception();
  }
  buffer_->close();
  if (flush_error) std::rethrow_exception(flush_error);
}

}  // namespace pysock::io
