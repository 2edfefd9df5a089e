// Fuzzes the text write path: text_io_wrapper over buffered_writer over a raw stream with random
// short writes (fake_raw; no EAGAIN), any codec, any handler, any newline mode, with and without
// line_buffering and write_through, writing generalized UTF-8 text (lone surrogates included) in
// random pieces with flushes in between. The reference is a bare incremental encoder fed the same
// pieces after the newline translation TextIOWrapper.write does ("\n" becomes the newline given,
// when it is "\r" or "\r\n"), without utf-16/utf-32's BOM (see run()). Invariants:
//  - each write() succeeds exactly when the reference's encode() does, returns the piece's code
//    point count, and when it throws, throws the same error (class, positions, reason);
//  - after the last flush the raw stream holds exactly the reference's bytes, and with
//    line_buffering it does after every write whose text holds "\n" or "\r".
//
// Input: [flags] [encoding] [handler] [newline] [buffer size] [n steps] [n ops] steps ops text.
// Flag bit 0: line_buffering, bit 1: write_through. An op is 2 bytes: which (even: write the
// next `argument % 33` code points, odd: flush), argument.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fake_stream.hpp"
#include "pysock/io/buffered.hpp"
#include "pysock/io/codec.hpp"
#include "pysock/io/text.hpp"
#include "support.hpp"

namespace {

using pysock_fuzz::check;
using pysock_fuzz::codec_failure;

constexpr std::size_t max_text = 4096;
constexpr std::size_t max_step = 64;
constexpr std::size_t max_piece = 32;
const std::optional<std::string> newline_modes[] = {std::nullopt, "", "\n", "\r", "\r\n"};
constexpr std::size_t buffer_sizes[] = {1, 7, 64, 8192};

// TextIOWrapper.write's translation: "\n" becomes the newline when it is "\r" or "\r\n" (None
// means os.linesep, "\n" here).
std::string translate_for_write(std::string_view text, const std::optional<std::string>& newline) {
  if (!newline || newline->size() == 0 || *newline == "\n") return std::string(text);
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out += *newline;
    } else {
      out += c;
    }
  }
  return out;
}

struct setup {
  bool line_buffering, write_through;
  std::string_view encoding, handler;
  std::optional<std::string> newline;
  std::size_t buffer_size;
  std::string_view steps, ops;
  std::vector<std::string> code_points;
};

setup read_setup(const std::uint8_t* data, std::size_t size) {
  pysock_fuzz::input_reader in(data, size);
  setup s;
  const std::uint8_t flags = in.byte();
  s.line_buffering = (flags & 1) != 0;
  s.write_through = (flags & 2) != 0;
  s.encoding = in.pick(pysock_fuzz::all_encodings());
  s.handler = in.pick(pysock_fuzz::all_handlers);
  s.newline = in.pick(newline_modes);
  s.buffer_size = in.pick(buffer_sizes);
  const auto [parts, text] = pysock_fuzz::take_sections<2>(in, max_text);
  s.steps = parts[0];
  s.ops = parts[1];
  s.code_points = pysock_fuzz::text_from_bytes(text);
  return s;
}

void run(const setup& s) {
  auto raw = std::make_shared<pysock_fuzz::fake_raw>(std::string_view(), s.steps, max_step, false);
  pysock::io::text_io_wrapper wrapper(
      std::make_unique<pysock::io::buffered_writer>(raw, s.buffer_size), std::string(s.encoding),
      std::string(s.handler), s.newline, s.line_buffering, s.write_through);
  const auto reference = pysock::io::make_incremental_encoder(s.encoding, s.handler);
  // CPython's TextIOWrapper writes utf-16/utf-32 without a BOM (and reports errors as the -le
  // codec's) unless the stream is seekable and at its start; a socket never is. (utf-8-sig goes
  // through its encoder and keeps its BOM.)
  if (s.encoding == "utf-16" || s.encoding == "utf-32") reference->setstate(0);
  std::string expected;
  std::size_t next = 0;
  for (std::size_t i = 0; i + 1 < s.ops.size(); i += 2) {
    const auto which = static_cast<std::uint8_t>(s.ops[i]);
    if (which % 2 != 0) {
      wrapper.flush();
      continue;
    }
    const std::size_t wanted = static_cast<std::uint8_t>(s.ops[i + 1]) % (max_piece + 1);
    const std::size_t count = std::min(wanted, s.code_points.size() - next);
    std::string piece;
    for (std::size_t k = next; k < next + count; ++k)
      piece += s.code_points[k];
    next += count;
    const std::string translated = translate_for_write(piece, s.newline);
    const std::optional<codec_failure> expected_failure =
        pysock_fuzz::capture_failure([&] { reference->encode(translated, expected, false); });
    const std::optional<codec_failure> failure =
        pysock_fuzz::capture_failure([&] { check(wrapper.write(piece) == count); });
    check(failure == expected_failure);
    if (!failure && s.line_buffering && piece.find_first_of("\r\n") != std::string::npos) {
      check(raw->written() == expected);
    }
  }
  wrapper.flush();
  check(raw->written() == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run(read_setup(data, size));
  return 0;
}
