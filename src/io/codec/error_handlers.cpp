// The error handlers (codec/error_handlers.hpp) and codecs.lookup_error.
#include "io/codec/error_handlers.hpp"

#include <optional>
#include <utility>

#include "io/codec/names.hpp"
#include "pysock/error.hpp"
#include "pysock/io/codec.hpp"

namespace pysock::io::detail {

namespace {

// \xNN, \uNNNN or \UNNNNNNNN: how backslashreplace (and namereplace, for a character without a
// name) writes a character.
std::string backslash_escape(char32_t c) {
  char escape[16];
  const char* format = c < 0x100 ? "\\x%02x" : c < 0x10000 ? "\\u%04x" : "\\U%08x";
  std::snprintf(escape, sizeof escape, format, static_cast<unsigned>(c));
  return escape;
}

}  // namespace

handler_kind parse_handler(std::string_view name) {
  static constexpr std::pair<std::string_view, handler_kind> known[] = {
      {"strict", handler_kind::strict},
      {"ignore", handler_kind::ignore},
      {"replace", handler_kind::replace},
      {"backslashreplace", handler_kind::backslashreplace},
      {"surrogateescape", handler_kind::surrogateescape},
      {"surrogatepass", handler_kind::surrogatepass},
      {"xmlcharrefreplace", handler_kind::xmlcharrefreplace},
      {"namereplace", handler_kind::namereplace},
  };
  for (const auto& [known_name, kind] : known) {
    if (known_name == name) return kind;
  }
  return handler_kind::unknown;
}

void raise_unknown_handler(std::string_view name) {
  if (name.find('\0') != std::string_view::npos) throw value_error("embedded null character");
  throw lookup_error("unknown error handler name '" + std::string(name) + "'");
}

void raise_decode_error(const codec_traits& codec, std::string_view object,
                        const decode_error& error) {
  throw unicode_decode_error(std::string(codec.error_name), std::string(object), error.start,
                             error.end, error.reason);
}

void raise_encode_error(const codec_traits& codec, std::string_view text,
                        const encode_error& error) {
  const std::size_t start = count_code_points(text.substr(0, error.start));
  const std::size_t end =
      start + count_code_points(text.substr(error.start, error.end - error.start));
  throw unicode_encode_error(std::string(codec.error_name), std::string(text), start, end,
                             error.reason);
}

std::size_t error_policy::recover(const codec_traits& codec, std::string_view object,
                                  const decode_error& error, std::string& out) const {
  switch (kind_) {
    case handler_kind::strict:
      raise_decode_error(codec, object, error);
    case handler_kind::ignore:
      return error.end;
    case handler_kind::replace:
      out += "\xEF\xBF\xBD";
      return error.end;
    case handler_kind::backslashreplace:
      for (std::size_t pos = error.start; pos < error.end; ++pos) {
        char escape[8];
        std::snprintf(escape, sizeof escape, "\\x%02x", byte_at(object, pos));
        out += escape;
      }
      return error.end;
    case handler_kind::surrogateescape: {
      // CPython escapes bytes 0x80..0xFF as U+DC80..U+DCFF, at most 4 per call, up to the first
      // ASCII byte (which has no escape); decoding resumes after what it escaped.
      std::size_t pos = error.start;
      for (; pos < error.end && pos - error.start < 4 && byte_at(object, pos) >= 0x80; ++pos) {
        append_code_point(out, 0xDC00 + byte_at(object, pos));
      }
      if (pos == error.start) raise_decode_error(codec, object, error);
      return pos;
    }
    case handler_kind::surrogatepass: {
      // Decodes one surrogate in the codec's own form, if that is what the bytes hold.
      const std::size_t length =
          codec.surrogates == surrogate_form::utf8 ? 3 : unit_size(codec.surrogates);
      if (codec.surrogates == surrogate_form::none || object.size() - error.start < length) {
        raise_decode_error(codec, object, error);
      }
      const char32_t unit = codec.surrogates == surrogate_form::utf8
                                ? character_at(object, error.start).code_point
                                : read_unit(codec.surrogates, object, error.start);
      if (!is_surrogate(unit)) raise_decode_error(codec, object, error);
      append_code_point(out, unit);
      return error.start + length;
    }
    case handler_kind::xmlcharrefreplace:
    case handler_kind::namereplace:
      throw type_error("don't know how to handle UnicodeDecodeError in error callback");
    case handler_kind::unknown:
      break;
  }
  raise_unknown_handler(name_);
}

replacement error_policy::replace(const codec_traits& codec, std::string_view text,
                                  const encode_error& error) const {
  replacement result{{}, false, error.end};
  const auto each_character = [&](auto&& visit) {
    for (std::size_t pos = error.start; pos < error.end;) {
      const character c = character_at(text, pos);
      visit(c.code_point, pos);
      pos += c.length;
    }
  };
  switch (kind_) {
    case handler_kind::strict:
      raise_encode_error(codec, text, error);
    case handler_kind::ignore:
      return result;
    case handler_kind::replace:
      each_character([&](char32_t, std::size_t) { result.value += '?'; });
      return result;
    case handler_kind::backslashreplace:
      each_character([&](char32_t c, std::size_t) { result.value += backslash_escape(c); });
      return result;
    case handler_kind::xmlcharrefreplace:
      each_character([&](char32_t c, std::size_t) {
        result.value += "&#" + std::to_string(static_cast<std::uint32_t>(c)) + ";";
      });
      return result;
    case handler_kind::surrogateescape: {
      result.is_bytes = true;
      std::optional<std::size_t> first_unescapable;
      each_character([&](char32_t c, std::size_t pos) {
        if (first_unescapable) return;
        if (c >= 0xDC80 && c <= 0xDCFF) {
          result.value += static_cast<char>(c - 0xDC00);
        } else {
          first_unescapable = pos;
        }
      });
      if (!first_unescapable) return result;
      if (!codec.escapes_prefix || result.value.empty()) raise_encode_error(codec, text, error);
      result.resume = *first_unescapable;  // the codec meets the rest of the run again
      return result;
    }
    case handler_kind::surrogatepass:
      result.is_bytes = true;
      each_character([&](char32_t c, std::size_t) {
        if (codec.surrogates == surrogate_form::none || !is_surrogate(c)) {
          raise_encode_error(codec, text, error);
        }
        if (codec.surrogates == surrogate_form::utf8) {
          append_code_point(result.value, c);
        } else {
          append_unit(codec.surrogates, c, result.value);
        }
      });
      return result;
    case handler_kind::namereplace:
      each_character([&](char32_t c, std::size_t) {
        const std::string name = character_name(c);
        result.value += name.empty() ? backslash_escape(c) : "\\N{" + name + "}";
      });
      return result;
    case handler_kind::unknown:
      break;
  }
  raise_unknown_handler(name_);
}

}  // namespace pysock::io::detail

namespace pysock::io {

void lookup_error_handler(std::string_view errors) {
  if (detail::parse_handler(errors) == detail::handler_kind::unknown) {
    detail::raise_unknown_handler(errors);
  }
}

}  // namespace pysock::io
