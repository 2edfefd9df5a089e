// Python's view of pysock's results for the test programs that answer in Python's terms
// (pysock-conform, tls_peer): JSON text as json.dumps(..., ensure_ascii=True) writes it, base64,
// and the Python class of an exception. Define PYSOCK_TEST_WITH_SSL (and link pysock::ssl)
// before including it to name the classes of the ssl_error tree too.
#pragma once

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include "pysock/error.hpp"
#include "pysock/io/raw.hpp"
#ifdef PYSOCK_TEST_WITH_SSL
#include "pysock/ssl.hpp"
#endif

namespace pysock_test {

inline void write_escaped_unit(std::string& out, std::uint32_t unit) {
  static const char* digits = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4)
    out += digits[(unit >> shift) & 0xF];
}

inline std::string quote(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            if (c == 0x7F) {
              out += char(c);
            } else {
              write_escaped_unit(out, c);
            }
          } else {
            out += char(c);
          }
      }
      ++i;
      continue;
    }
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    std::uint32_t cp = c & (len == 4 ? 0x07 : len == 3 ? 0x0F : 0x1F);
    for (int k = 1; k < len && i + std::size_t(k) < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + std::size_t(k)]) & 0x3F);
    }
    i += std::size_t(len);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      write_escaped_unit(out, 0xD800 + (cp >> 10));
      write_escaped_unit(out, 0xDC00 + (cp & 0x3FF));
    } else {
      write_escaped_unit(out, cp);
    }
  }
  return out + "\"";
}

inline std::string base64(std::string_view data) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    std::uint32_t n = (std::uint32_t(std::uint8_t(data[i])) << 16) |
                      (std::uint32_t(std::uint8_t(data[i + 1])) << 8) | std::uint8_t(data[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out += table[(n >> s) & 63];
  }
  if (std::size_t rest = data.size() - i) {
    std::uint32_t n = std::uint32_t(std::uint8_t(data[i])) << 16;
    if (rest == 2) n |= std::uint32_t(std::uint8_t(data[i + 1])) << 8;
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += rest == 2 ? table[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// An exception as Python shows it: type(e).__name__ and str(e); skips_rest for the Unicode
// errors, after which a conformance scenario skips its remaining ops.
struct python_error {
  const char* cls;
  std::string message;
  bool skips_rest = false;
};

inline python_error python_error_of(std::exception_ptr error) {
  const auto named = [](const char* cls, const std::exception& e, bool skips_rest = false) {
    return python_error{cls, e.what(), skips_rest};
  };
  try {
    std::rethrow_exception(error);
  } catch (const pysock::unicode_decode_error& e) {
    return named("UnicodeDecodeError", e, true);
  } catch (const pysock::unicode_encode_error& e) {
    return named("UnicodeEncodeError", e, true);
  } catch (const pysock::value_error& e) {
    return named("ValueError", e);
  } catch (const pysock::lookup_error& e) {
    return named("LookupError", e);
  } catch (const pysock::io::attribute_error& e) {
    return named("AttributeError", e);
  } catch (const pysock::io::type_error& e) {
    return named("TypeError", e);
  } catch (const pysock::unsupported_operation& e) {
    return named("UnsupportedOperation", e);
#ifdef PYSOCK_TEST_WITH_SSL
  } catch (const pysock::ssl_cert_verification_error& e) {
    return named("SSLCertVerificationError", e);
  } catch (const pysock::ssl_zero_return_error& e) {
    return named("SSLZeroReturnError", e);
  } catch (const pysock::ssl_want_read_error& e) {
    return named("SSLWantReadError", e);
  } catch (const pysock::ssl_want_write_error& e) {
    return named("SSLWantWriteError", e);
  } catch (const pysock::ssl_syscall_error& e) {
    return named("SSLSyscallError", e);
  } catch (const pysock::ssl_eof_error& e) {
    return named("SSLEOFError", e);
  } catch (const pysock::ssl_error& e) {
    return named("SSLError", e);
#endif
  } catch (const pysock::blocking_io_error& e) {
    return named("BlockingIOError", e);
  } catch (const pysock::timeout_error& e) {
    return named("TimeoutError", e);
  } catch (const pysock::broken_pipe_error& e) {
    return named("BrokenPipeError", e);
  } catch (const pysock::connection_reset_error& e) {
    return named("ConnectionResetError", e);
  } catch (const pysock::connection_error& e) {
    return named("ConnectionError", e);
  } catch (const pysock::os_error& e) {
    return named("OSError", e);
  } catch (const std::exception& e) {
    return named("RuntimeError", e);
  }
}

}  // namespace pysock_test
