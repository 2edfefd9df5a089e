// Fuzzes every incremental decoder (each codec x each error handler) fed in chunks. Invariant:
// decoding in any chunking gives what one final call over the whole input gives: the same text,
// or the same exception (class, reason, codec name) at the same absolute byte positions. Along
// the way, what a decoder holds back is a short suffix of the input given so far, and nothing is
// held back after the final call (except utf-8-sig's documented quirk, a lone BOM prefix, and the
// CJK decoders' resume point, see resumes_before_end). The two exceptions to chunking invariance,
// which CPython shares, are explained at missing_bom_reported_first and
// pending_overflow_reported_first.
//
// Input: [encoding] [handler] [flags] [k] body [k chunk sizes]. Flag bit 0: the final call is a
// separate empty one (TextIOWrapper's EOF) instead of the last chunk's.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pysock/io/codec.hpp"
#include "support.hpp"

namespace {

using pysock::io::make_incremental_decoder;
using pysock_fuzz::check;
using pysock_fuzz::codec_failure;

constexpr std::size_t max_input = 4096;
constexpr std::size_t max_chunk = 64;
// A character is at most 4 bytes (8 for euc_kr's hangul); the CJK decoders hold back at most 8
// (CPython's MAXDECPENDING: more is the "pending buffer overflow" error).
constexpr std::size_t max_held_back = 8;
constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

struct decoded {
  std::string text;
  std::optional<codec_failure> failure;
};

// A unicode error's object is the held-back bytes plus the failing call's input (for utf-8-sig
// right after its BOM, what follows the BOM), so it ends where the input given so far ends.
std::size_t locate_object(std::string_view body, std::size_t given, const std::string& object) {
  check(object.size() <= given);
  const std::size_t offset = given - object.size();
  check(body.substr(offset, object.size()) == object);
  return offset;
}

decoded decode_whole(std::string_view encoding, std::string_view handler, std::string_view body) {
  const auto decoder = make_incremental_decoder(encoding, handler);
  decoded result;
  result.failure = pysock_fuzz::capture_failure(
      [&] { decoder->decode(body, result.text, true); },
      [&](const std::string& object) { return locate_object(body, body.size(), object); });
  return result;
}

// CPython's CJK decoders report a sequence cut short at the final call as one error over the
// rest of the input and stop where the handler resumes: surrogateescape resumes at the first
// ASCII byte, and what follows stays held back (CPython's TextIOWrapper never shows it either).
bool resumes_before_end(std::string_view encoding, std::string_view handler) {
  return pysock_fuzz::is_cjk(encoding) && handler == "surrogateescape";
}

bool is_lone_bom_prefix(std::string_view encoding, std::string_view body) {
  return encoding == "utf-8-sig" && body.size() < utf8_bom.size() && utf8_bom.starts_with(body);
}

decoded decode_chunks(std::string_view encoding, std::string_view handler, std::string_view body,
                      const std::vector<std::string_view>& chunks, bool final_alone) {
  const auto decoder = make_incremental_decoder(encoding, handler);
  decoded result;
  std::size_t given = 0;
  const auto call = [&](std::string_view chunk, bool final) {
    given += chunk.size();
    result.failure = pysock_fuzz::capture_failure(
        [&] { decoder->decode(chunk, result.text, final); },
        [&](const std::string& object) { return locate_object(body, given, object); });
    if (result.failure) return false;
    const std::string held = decoder->getstate().buffered;
    check(held.size() <= max_held_back && body.substr(0, given).ends_with(held));
    if (final) {
      check(held.empty() || is_lone_bom_prefix(encoding, body) ||
            resumes_before_end(encoding, handler));
    }
    return true;
  };
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (!call(chunks[i], !final_alone && i + 1 == chunks.size())) return result;
  }
  if (final_alone) call({}, true);
  return result;
}

// CPython's utf-16 and utf-32 decoders raise "Stream does not start with BOM" only after a call
// has decoded a whole code unit (little-endian) without error, so when the input has no BOM, an
// error later in the same call wins (a decode error, or the TypeError of an encode-only handler):
// one call over the whole input may report that error where smaller chunks report the missing
// BOM. (CPython 3.13 does the same: encodings/utf_16.py.)
bool missing_bom_reported_first(std::string_view encoding, const decoded& split,
                                const decoded& whole) {
  return (encoding == "utf-16" || encoding == "utf-32") && split.failure &&
         split.failure->reason == "Stream does not start with BOM" && whole.failure;
}

// CPython's CJK decoders raise "pending buffer overflow" when a call would hold back more than 8
// bytes (an unfinished iso2022_jp escape sequence); one call over the whole input, which reports
// such a sequence at the end as incomplete or decodes it, never holds it back.
bool pending_overflow_reported_first(std::string_view encoding, const decoded& split) {
  return pysock_fuzz::is_cjk(encoding) && split.failure &&
         split.failure->reason == "pending buffer overflow";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pysock_fuzz::input_reader in(data, size);
  const std::string_view encoding = in.pick(pysock_fuzz::all_encodings());
  const std::string_view handler = in.pick(pysock_fuzz::all_handlers);
  const bool final_alone = (in.byte() & 1) != 0;
  const auto [body, plan] = pysock_fuzz::take_body_and_plan(in, max_input);

  const decoded whole = decode_whole(encoding, handler, body);
  const decoded split =
      decode_chunks(encoding, handler, body,
                    pysock_fuzz::split_into_chunks(body, {plan, max_chunk}), final_alone);
  const bool overflow = pending_overflow_reported_first(encoding, split);
  check(split.failure == whole.failure || missing_bom_reported_first(encoding, split, whole) ||
        overflow);
  if (!whole.failure && !overflow) check(split.text == whole.text);
  return 0;
}
