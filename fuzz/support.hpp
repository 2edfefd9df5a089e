// Shared pieces of the fuzz targets: the invariant check, the codec and handler lists, the
// chunking of an input, and the exception a codec call threw, reduced to what the invariants
// compare.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "io/codec/registry.hpp"
#include "io/codec/utf8.hpp"
#include "pysock/error.hpp"

namespace pysock_fuzz {

// An invariant: its violation is a finding, reported by libFuzzer as a crash with the input.
inline void check(bool condition) {
  if (!condition) __builtin_trap();
}

// Every codec pysock implements, by its canonical Python name (the codec registry's list).
inline const std::vector<std::string_view>& all_encodings() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> result;
    for (const pysock::io::detail::codec_entry& codec : pysock::io::detail::implemented_codecs())
      result.push_back(codec.name);
    return result;
  }();
  return names;
}

// The CJK codecs among them (CPython's multibytecodec family).
inline bool is_cjk(std::string_view encoding) {
  return pysock::io::detail::text_codec(encoding).kind == pysock::io::detail::codec_kind::multibyte;
}

// Python's built-in error handlers. The last two only encode: decoders given them throw
// std::invalid_argument (Python's TypeError) at the first error.
inline constexpr std::string_view all_handlers[] = {
    "strict",          "ignore",        "replace",           "backslashreplace",
    "surrogateescape", "surrogatepass", "xmlcharrefreplace", "namereplace",
};

// Reads a fuzz input front to back: the first bytes choose what to test, so seeds are easy to
// write by hand. Past the end, byte() is 0 and take() is empty.
class input_reader {
 public:
  input_reader(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  template <class Options>  // an array or a vector
  const auto& pick(const Options& options) {
    return options[byte() % std::size(options)];
  }
  std::string_view take(std::size_t n) {
    const std::string_view taken = rest_.substr(0, n);
    rest_.remove_prefix(taken.size());
    return taken;
  }
  std::string_view rest() { return take(rest_.size()); }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// Sizes of successive reads, writes or chunks: one byte each, `size % (max + 1)`, so 0 (an
// empty chunk, an EOF-like short read) is one of them. Cycles; without bytes, always `max`.
class size_plan {
 public:
  size_plan(std::string_view bytes, std::size_t max) : bytes_(bytes), max_(max) {}

  std::size_t next() {
    if (bytes_.empty()) return max_;
    const auto b = static_cast<std::uint8_t>(bytes_[next_++ % bytes_.size()]);
    return b % (max_ + 1);
  }
  bool empty() const { return bytes_.empty(); }
  // Whether a first pass over the bytes is over (so a caller can stop cutting chunks).
  bool exhausted() const { return next_ >= bytes_.size(); }

 private:
  std::string_view bytes_;
  std::size_t max_;
  std::size_t next_ = 0;
};

// The rest of an input laid out as [k] body [k plan bytes]: the body (at most `max_body` bytes)
// and the bytes of a size_plan for it.
struct body_and_plan {
  std::string_view body, plan;
};

inline body_and_plan take_body_and_plan(input_reader& in, std::size_t max_body) {
  const std::size_t plan_size = in.byte();
  const std::string_view rest = in.rest();
  const std::size_t body_size = rest.size() - std::min(plan_size, rest.size());
  return {rest.substr(0, std::min(body_size, max_body)), rest.substr(body_size)};
}

// Cuts `whole` into consecutive chunks sized by one pass of `plan`; the rest is the last chunk.
inline std::vector<std::string_view> split_into_chunks(std::string_view whole, size_plan plan) {
  std::vector<std::string_view> chunks;
  std::size_t pos = 0;
  while (pos < whole.size() && !plan.exhausted()) {
    const std::size_t length = std::min(plan.next(), whole.size() - pos);
    chunks.push_back(whole.substr(pos, length));
    pos += length;
  }
  chunks.push_back(whole.substr(pos));
  return chunks;
}

using pysock::io::detail::append_code_point;

// Generalized UTF-8 text from fuzz bytes, one code point per step, so that every class an encoder
// treats differently is a byte away: ASCII as is; then two-byte forms, any BMP code point (lone
// surrogates included), the escapes U+DC80..U+DCFF, and supplementary code points.
inline std::vector<std::string> text_from_bytes(std::string_view bytes) {
  input_reader in(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  std::vector<std::string> code_points;
  while (!in.empty()) {
    const std::uint8_t lead = in.byte();
    const char32_t low_bits = lead & 0x3Fu;
    char32_t c = lead;
    if (lead >= 0xF0) {
      c = 0x10000 +
          ((char32_t{in.byte()} << 12 | char32_t{in.byte()} << 4 | (low_bits & 0xF)) % 0x100000);
    } else if (lead >= 0xE0) {
      c = 0xDC80 + (in.byte() & 0x7Fu);
    } else if (lead >= 0xC0) {
      c = char32_t{in.byte()} << 8 | in.byte();
    } else if (lead >= 0x80) {
      c = 0x80 + ((low_bits << 8 | in.byte()) % 0x780);
    }
    code_points.emplace_back();
    append_code_point(code_points.back(), c);
  }
  return code_points;
}

// The exception of a codec call, as the invariants compare it. Positions are absolute: offsets
// into the whole input (bytes when decoding, code points when encoding).
struct codec_failure {
  enum class kind { decode_error, encode_error, value_error, type_error, lookup_error };
  kind what;
  std::size_t start = 0, end = 0;
  std::string reason;
  std::string encoding;

  friend bool operator==(const codec_failure&, const codec_failure&) = default;
};

// Where a unicode error's object starts in the whole input (or text), given the object.
using locate_object = std::function<std::size_t(const std::string& object)>;

// Runs `call`, returning the exception it threw as a codec_failure, with a unicode error's
// positions made absolute by `locate`. Exceptions outside the codec contract propagate (and
// crash the target, which is the point).
inline std::optional<codec_failure> capture_failure(
    const std::function<void()>& call,
    const locate_object& locate = [](const std::string&) { return std::size_t{0}; }) {
  using kind = codec_failure::kind;
  try {
    call();
    return std::nullopt;
  } catch (const pysock::unicode_decode_error& e) {
    const std::size_t offset = locate(e.object());
    return codec_failure{kind::decode_error, offset + e.start(), offset + e.end(), e.reason(),
                         e.encoding()};
  } catch (const pysock::unicode_encode_error& e) {
    const std::size_t offset = locate(e.object());
    return codec_failure{kind::encode_error, offset + e.start(), offset + e.end(), e.reason(),
                         e.encoding()};
  } catch (const pysock::value_error& e) {
    return codec_failure{kind::value_error, 0, 0, e.what(), {}};
  } catch (const std::invalid_argument& e) {
    return codec_failure{kind::type_error, 0, 0, e.what(), {}};
  } catch (const pysock::lookup_error& e) {
    return codec_failure{kind::lookup_error, 0, 0, e.what(), {}};
  }
}

}  // namespace pysock_fuzz
