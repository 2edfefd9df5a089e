// Fuzzes the text read path: incremental_newline_decoder fed in random chunks, or text_io_wrapper
// over buffered_reader over a raw stream with random short reads (fake_raw; no EAGAIN: a text
// layer reads an empty read1 as EOF, as CPython's does), with random readline(limit)/read(n).
// The reference is "decode all, then translate": the whole input decoded in one final call by the
// same codec and handler, with "\r\n" and "\r" turned into "\n" when newlines are translated.
// Invariants:
//  - the concatenation of all results is the reference text, or, when the reference raises,
//    reading raises too (a value_error: unicode_decode_error, or what an encode-only handler
//    throws); reading may also raise CPython's "pending buffer overflow" (CJK decoders);
//  - newline decoder: newlines() is what one call over the whole input records;
//  - text_io_wrapper: read(n) returns n code points unless the text ends first; readline(limit)
//    returns at most `limit` code points, holds a line ending (of the newline mode) only at its
//    end, lacks one only at the limit or at the end of the text, and (newline="") never leaves
//    "\r" at the end of one line with "\n" starting the next.
//
// Input: [flags] [encoding] [handler] [newline] [chunk size] [buffer size] [n steps] [n ops]
// steps ops data. Flag bit 0: the newline decoder instead of the wrapper. An op is 2 bytes:
// which (read, readline, readline_into), argument (255: -1).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fake_stream.hpp"
#include "pysock/error.hpp"
#include "pysock/io/buffered.hpp"
#include "pysock/io/codec.hpp"
#include "pysock/io/text.hpp"
#include "support.hpp"

namespace {

using pysock_fuzz::check;

constexpr std::size_t max_data = 4096;
constexpr std::size_t max_step = 64;
constexpr std::string_view decode_handlers[] = {
    "strict", "ignore", "replace", "backslashreplace", "surrogateescape", "surrogatepass"};
const std::optional<std::string> newline_modes[] = {std::nullopt, "", "\n", "\r", "\r\n"};
constexpr std::size_t chunk_sizes[] = {1, 2, 3, 5, 8, 64, 8192};
constexpr std::size_t buffer_sizes[] = {1, 7, 64, 8192};

struct setup {
  bool newline_decoder;
  std::string_view encoding, handler;
  std::optional<std::string> newline;
  std::size_t chunk_size, buffer_size;
  std::string_view steps, ops, data;

  bool translates() const { return !newline.has_value(); }
};

setup read_setup(const std::uint8_t* bytes, std::size_t size) {
  pysock_fuzz::input_reader in(bytes, size);
  setup s;
  s.newline_decoder = (in.byte() & 1) != 0;
  s.encoding = in.pick(pysock_fuzz::all_encodings());
  s.handler = in.pick(decode_handlers);
  s.newline = in.pick(newline_modes);
  s.chunk_size = in.pick(chunk_sizes);
  s.buffer_size = in.pick(buffer_sizes);
  const auto [parts, data] = pysock_fuzz::take_sections<2>(in, max_data);
  s.steps = parts[0];
  s.ops = parts[1];
  s.data = data;
  return s;
}

std::string translate_newlines(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out += text[i];
      continue;
    }
    out += '\n';
    if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
  }
  return out;
}

// Decode all, then translate; nullopt when decoding raises.
std::optional<std::string> reference_text(const setup& s) {
  try {
    const std::string text =
        pysock::io::make_incremental_decoder(s.encoding, s.handler)->decode(s.data, true);
    return s.translates() ? translate_newlines(text) : text;
  } catch (const std::invalid_argument&) {  // value_error and the encode-only handlers' error
    return std::nullopt;
  }
}

std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text)
    count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

// Runs `read` (which returns false when done), requiring that it raises exactly when the
// reference does; returns whether it read everything.
template <class Read>
bool read_checked(const std::optional<std::string>& reference, Read&& read) {
  std::string got;
  try {
    while (read(got)) {
    }
  } catch (const pysock::unicode_decode_error& error) {
    // CPython's CJK decoders fail a call that would hold back more than 8 bytes (an unfinished
    // iso2022 escape sequence), which one call over the whole input never does.
    check(!reference.has_value() || error.reason() == "pending buffer overflow");
    return false;
  } catch (const std::invalid_argument&) {
    check(!reference.has_value());
    return false;
  }
  check(reference.has_value() && got == *reference);
  return true;
}

void check_newline_decoder(const setup& s, const std::optional<std::string>& reference) {
  using pysock::io::incremental_newline_decoder;
  using pysock::io::make_incremental_decoder;
  const auto make = [&] {
    return incremental_newline_decoder(make_incremental_decoder(s.encoding, s.handler),
                                       s.translates());
  };
  auto chunked = make();
  const auto chunks = pysock_fuzz::split_into_chunks(s.data, {s.steps, max_step});
  std::size_t next = 0;
  const bool complete = read_checked(reference, [&](std::string& out) {
    chunked.decode(next < chunks.size() ? chunks[next] : std::string_view(), out,
                   next == chunks.size());
    return next++ < chunks.size();
  });
  if (!complete) return;
  auto whole = make();
  whole.decode(s.data, true);
  check(chunked.newlines() == whole.newlines());
}

// Where the first line ending of `line` ends in the wrapper's newline mode (npos: none).
std::size_t first_line_end(std::string_view line, const std::optional<std::string>& newline) {
  if (!newline || *newline == "\n" || *newline == "\r" || *newline == "\r\n") {
    const std::string_view ending = newline ? std::string_view(*newline) : "\n";
    const std::size_t at = line.find(ending);
    return at == std::string_view::npos ? at : at + ending.size();
  }
  const std::size_t at = line.find_first_of("\r\n");
  if (at == std::string_view::npos) return at;
  return line.substr(at).starts_with("\r\n") ? at + 2 : at + 1;
}

class wrapper_under_test {
 public:
  explicit wrapper_under_test(const setup& s, const std::optional<std::string>& reference)
      : setup_(s),
        reference_(reference),
        wrapper_(std::make_unique<pysock::io::buffered_reader>(
                     std::make_shared<pysock_fuzz::fake_raw>(s.data, s.steps, max_step, false),
                     s.buffer_size),
                 std::string(s.encoding), std::string(s.handler), s.newline) {
    wrapper_.set_chunk_size(s.chunk_size);
  }

  void run() {
    std::size_t op = 0;
    read_checked(reference_, [&](std::string& got) {
      const bool more = op + 1 < setup_.ops.size();
      if (more) {
        const auto arg = static_cast<std::uint8_t>(setup_.ops[op + 1]);
        got += next_result(static_cast<std::uint8_t>(setup_.ops[op]), arg == 255 ? -1 : arg, got);
        op += 2;
      } else {
        got += *wrapper_.read();
        check(wrapper_.read() == std::string());
      }
      return more;
    });
  }

 private:
  bool text_ended(std::size_t consumed) const {
    return reference_ && consumed == reference_->size();
  }

  std::string next_result(std::uint8_t which, std::ptrdiff_t n, const std::string& before) {
    const std::size_t limit = static_cast<std::size_t>(n);
    if (which % 3 == 0) {
      previous_ended_with_cr_ = false;  // read(n) may stop anywhere, between "\r" and "\n" too
      std::string got = *wrapper_.read(n);
      if (n >= 0) {
        check(code_points(got) <= limit);
        check(code_points(got) == limit || text_ended(before.size() + got.size()));
      }
      return got;
    }
    std::string line;
    if (which % 3 == 1) {
      line = wrapper_.readline(n);
    } else {
      line = "stale";
      check(wrapper_.readline_into(line, n) == !line.empty());
    }
    check_line(line, n, before);
    return line;
  }

  void check_line(std::string_view line, std::ptrdiff_t limit, std::string_view before) {
    const std::size_t length = code_points(line);
    const bool at_limit = limit >= 0 && length == static_cast<std::size_t>(limit);
    check(limit < 0 || length <= static_cast<std::size_t>(limit));
    const std::size_t end = first_line_end(line, setup_.newline);
    check(end == line.size() ||
          (end == std::string_view::npos && (at_limit || text_ended(before.size() + line.size()))));
    if (setup_.newline == "" && line.starts_with('\n')) check(!previous_ended_with_cr_);
    previous_ended_with_cr_ = line.ends_with('\r') && !at_limit;
  }

  const setup& setup_;
  const std::optional<std::string>& reference_;
  pysock::io::text_io_wrapper wrapper_;
  bool previous_ended_with_cr_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const setup s = read_setup(data, size);
  const std::optional<std::string> reference = reference_text(s);
  if (s.newline_decoder) {
    check_newline_decoder(s, reference);
  } else {
    wrapper_under_test(s, reference).run();
  }
  return 0;
}
