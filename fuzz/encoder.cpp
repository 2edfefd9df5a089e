// Fuzzes the incremental encoders. Flag bit 0 of the input picks one of two properties.
//
// Round trip (bit 0 clear): for any bytes x, encode(decode(x)) == x with surrogateescape on both
// sides (PEP 383), for the codecs where that is a true invariant:
//  - utf-8 and ascii: every byte that fails to decode is >= 0x80 (ASCII always decodes) and is
//    escaped to U+DC80..U+DCFF, which the encoder turns back into that byte; valid sequences
//    decode to characters that encode back to the same (shortest-form) bytes.
//  - latin-1 and the single-byte charmap codecs: each byte decodes on its own, to a character or
//    (undefined, >= 0x80) an escape, and the table is one-to-one. Not cp424 (6 undefined bytes
//    below 0x80, which have no escape), nor cp875, cp1006, mac_arabic and mac_farsi, where two
//    bytes decode to one character that encodes to the higher one (CPython's tables).
//  - utf-8-sig, in the form encode(decode(x)) == x with a BOM put in front unless x starts with
//    one (the encoder always writes it), except for a lone BOM prefix (1 or 2 bytes of it), which
//    CPython's decoder never decodes (codec.hpp).
//  Not the others: utf-16/utf-32 (errors cover ASCII bytes, which have no escape, and escaped
//  bytes that are not whole code units cannot be encoded back), and the CJK codecs (duplicate
//  mappings such as cp932's NEC/IBM rows and redundant iso2022 escapes or hz shifts encode back
//  to other bytes; an ESC that starts no escape sequence has no escape).
//
// Arbitrary text (bit 0 set): any codec, any of Python's handlers, generalized UTF-8 text built
// from the input (lone surrogates included). The encoder never throws outside its contract:
// ignore, replace, backslashreplace, xmlcharrefreplace and namereplace never throw (every codec
// here encodes their ASCII replacements); strict, surrogateescape and surrogatepass throw only
// unicode_encode_error, within the text. utf-8 with surrogatepass writes the text's own bytes.
// Encoding the text in chunks (cut at code points) gives the same bytes; an error is the same
// error, at the same position or inside the whole call's error range: an encoder reports a run of
// unencodable characters as one error, and a chunk boundary cuts the run. (utf-16/utf-32 with
// surrogateescape are left out: an escaped run of odd length cannot be written, so cutting a run
// changes whether it fails, as in CPython.)
//
// Input: [flags] [encoding] [handler] [k] body [k chunk sizes].
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pysock/io/codec.hpp"
#include "support.hpp"

namespace {

using pysock::io::make_incremental_decoder;
using pysock::io::make_incremental_encoder;
using pysock_fuzz::check;
using pysock_fuzz::codec_failure;

constexpr std::size_t max_input = 4096;
constexpr std::size_t max_chunk_code_points = 32;
constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

bool round_trips(std::string_view encoding) {
  return encoding != "utf-16" && !encoding.starts_with("utf-16-") && encoding != "utf-32" &&
         !encoding.starts_with("utf-32-") && !pysock_fuzz::is_cjk(encoding) &&
         encoding != "cp424" && encoding != "cp875" && encoding != "cp1006" &&
         encoding != "mac-arabic" && encoding != "mac-farsi";
}

void check_round_trip(std::string_view encoding, std::string_view bytes) {
  const std::string text =
      make_incremental_decoder(encoding, "surrogateescape")->decode(bytes, true);
  const std::string encoded =
      make_incremental_encoder(encoding, "surrogateescape")->encode(text, true);
  if (encoding != "utf-8-sig") {
    check(encoded == bytes);
  } else if (bytes.empty() || bytes.size() >= utf8_bom.size() || !utf8_bom.starts_with(bytes)) {
    check(encoded ==
          (bytes.starts_with(utf8_bom) ? std::string(bytes) : std::string(utf8_bom).append(bytes)));
  }
}

std::string join(const std::vector<std::string>& pieces, std::size_t from, std::size_t to) {
  std::string joined;
  for (std::size_t i = from; i < to; ++i)
    joined += pieces[i];
  return joined;
}

struct encoded {
  std::string bytes;
  std::optional<codec_failure> failure;
};

// Encodes code_points[cuts[i], cuts[i+1]) call by call, the last call final; error positions
// are made absolute (code points).
encoded encode_calls(std::string_view encoding, std::string_view handler,
                     const std::vector<std::string>& code_points,
                     const std::vector<std::size_t>& cuts) {
  const auto encoder = make_incremental_encoder(encoding, handler);
  encoded result;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const std::string text = join(code_points, cuts[i], cuts[i + 1]);
    result.failure = pysock_fuzz::capture_failure(
        [&] { encoder->encode(text, result.bytes, i + 2 == cuts.size()); },
        [&](const std::string& object) {
          check(object == text);
          return cuts[i];
        });
    if (result.failure) break;
  }
  return result;
}

std::vector<std::size_t> chunk_cuts(std::size_t count, pysock_fuzz::size_plan plan) {
  std::vector<std::size_t> cuts{0};
  while (cuts.back() < count && !plan.exhausted()) {
    cuts.push_back(std::min(count, cuts.back() + plan.next()));
  }
  if (cuts.back() != count || cuts.size() == 1) cuts.push_back(count);
  return cuts;
}

void check_allowed_failure(std::string_view handler, const std::optional<codec_failure>& failure,
                           std::size_t code_points) {
  if (!failure) return;
  using kind = codec_failure::kind;
  check(handler == "strict" || handler == "surrogateescape" || handler == "surrogatepass");
  check(failure->what == kind::encode_error);
  check(failure->start < failure->end && failure->end <= code_points);
}

bool chunking_changes_escapes(std::string_view encoding, std::string_view handler) {
  return handler == "surrogateescape" &&
         (encoding.starts_with("utf-16") || encoding.starts_with("utf-32"));
}

// The codec name an encoding error prints, up to what chunking changes: CPython's utf-16 and
// utf-32 encoders report errors of their first call as "utf-16"/"utf-32" and later ones as
// "utf-16-le"/"utf-32-le".
std::string_view reported_codec(std::string_view name) {
  if (name == "utf-16-le" || name == "utf-32-le") name.remove_suffix(3);
  return name;
}

void check_arbitrary_text(std::string_view encoding, std::string_view handler,
                          std::string_view body, std::string_view plan) {
  const std::vector<std::string> code_points = pysock_fuzz::text_from_bytes(body);
  const encoded whole = encode_calls(encoding, handler, code_points, {0, code_points.size()});
  check_allowed_failure(handler, whole.failure, code_points.size());
  if (encoding == "utf-8" && handler == "surrogatepass") {
    check(!whole.failure && whole.bytes == join(code_points, 0, code_points.size()));
  }
  if (chunking_changes_escapes(encoding, handler)) return;
  const encoded split = encode_calls(encoding, handler, code_points,
                                     chunk_cuts(code_points.size(), {plan, max_chunk_code_points}));
  check(split.failure.has_value() == whole.failure.has_value());
  if (!whole.failure) {
    check(split.bytes == whole.bytes);
    return;
  }
  const codec_failure& w = *whole.failure;
  const codec_failure& s = *split.failure;
  check(s.what == w.what && s.reason == w.reason);
  check(s.encoding == w.encoding || ((encoding == "utf-16" || encoding == "utf-32") &&
                                     reported_codec(s.encoding) == reported_codec(w.encoding)));
  if (w.what == codec_failure::kind::encode_error) {
    check(w.start <= s.start && s.start < s.end && s.end <= w.end);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pysock_fuzz::input_reader in(data, size);
  const bool arbitrary_text = (in.byte() & 1) != 0;
  const std::string_view encoding = in.pick(pysock_fuzz::all_encodings());
  const std::string_view handler = in.pick(pysock_fuzz::all_handlers);
  const auto [body, plan] = pysock_fuzz::take_body_and_plan(in, max_input);
  if (arbitrary_text) {
    check_arbitrary_text(encoding, handler, body, plan);
  } else if (round_trips(encoding)) {
    check_round_trip(encoding, body);
  }
  return 0;
}
