// pysock/io/codec.hpp: Python's text codecs as incremental decoders and encoders.
//
// These are what `codecs.getincrementaldecoder(encoding)(errors)` and
// `codecs.getincrementalencoder(encoding)(errors)` return in CPython 3.13, and what the text layer
// (io::text_io_wrapper) drives exactly as TextIOWrapper drives those objects.
//
// Text is UTF-8 in a std::string. A Python string may hold lone surrogates (U+D800..U+DFFF, e.g.
// from the surrogateescape handler); pysock writes each of them as its 3-byte generalized UTF-8
// form (ED A0 80 .. ED BF BF), one code point per surrogate, never joined into a pair.
//
// Error handlers are Python's: "strict", "ignore", "replace", "backslashreplace",
// "surrogateescape", "surrogatepass", "xmlcharrefreplace" and "namereplace" (with CPython 3.13's
// character names, Unicode 15.1). The last two only encode: decoding with them throws
// type_error (Python's TypeError) "don't know how to handle UnicodeDecodeError in error
// callback". As in CPython, the handler name is looked
// up at the first error, not at construction, so an unknown name fails only when an error occurs:
// lookup_error("unknown error handler name 'X'").
//
// Supported: utf-8, utf-8-sig, ascii, latin-1 (written by hand); utf-16, utf-32 and their
// -le/-be forms; every single-byte codec of CPython's: cp037 cp273 cp424 cp437 cp500 cp720
// cp737 cp775 cp850 cp852 cp855 cp856 cp857 cp858 cp860-cp866 cp869 cp874 cp875 cp1006 cp1026
// cp1125 cp1140 cp1250-cp1258 hp-roman8 iso8859-2..16 koi8-r koi8-t koi8-u kz1048 mac-arabic
// mac-croatian mac-cyrillic mac-farsi mac-greek mac-iceland mac-latin2 mac-roman mac-romanian
// mac-turkish palmos ptcp154 tis-620; and the CJK shift_jis cp932 euc_jp iso2022_jp
// iso2022_jp_1 iso2022_jp_2 iso2022_jp_ext iso2022_kr gb2312 gbk gb18030 hz big5 cp950 cp949
// euc_kr johab (all under Python's names and aliases). The single-byte and CJK codecs use tables
// generated from CPython 3.13's. No codec depends on the C library's iconv or locale.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pysock::io {

/// What `codecs.lookup(encoding)` tells about a text encoding.
struct codec_info {
  /// CodecInfo.name: the codec's canonical Python name, e.g. "utf-8", "iso8859-1" (for
  /// "latin-1"), "cp1252", "utf-16", "shift_jis". Error messages print a codec's own name
  /// instead ("latin-1", "charmap", "utf-16-le", ...), exactly as CPython does.
  std::string_view name;
};

/// `codecs.lookup(encoding)` restricted to text encodings, with CPython's normalisation
/// (case-insensitive; runs of characters other than ASCII letters, digits and '.' mean one '_')
/// and alias table. Throws lookup_error "unknown encoding: X" for a name it does not know (or that
/// pysock does not implement), lookup_error "'X' is not a text encoding; use codecs.open() to
/// handle arbitrary codecs" for Python's bytes-to-bytes codecs (hex, base64, rot13, ...), and
/// value_error "embedded null character" for a name containing NUL. Thread-safe.
codec_info lookup_codec(std::string_view encoding);

/// `codecs.lookup_error(errors)`: returns normally when `errors` names one of Python's built-in
/// error handlers, throws lookup_error "unknown error handler name 'X'" otherwise. Decoders and
/// encoders do this check themselves at their first error; this is for eager validation (what
/// CPython's dev mode does when a TextIOWrapper is built).
void lookup_error_handler(std::string_view errors);

/// Python's `IncrementalDecoder.getstate()` pair.
struct decoder_state {
  /// Input bytes held back because they may be the start of a character.
  std::string buffered;
  /// The codec's extra state: for utf-16 and utf-32, 0 = little-endian (this platform's order),
  /// 1 = big-endian, 2 = byte order not yet decided by a BOM; for utf-8-sig, 1 while a BOM may
  /// still come; for the CJK codecs, CPython's eight state bytes as a little-endian number
  /// (iso2022: G0..G3 and flags; hz: its mode; 0 for the stateless ones unless setstate() put
  /// something there); 0 for every other codec.
  std::uint64_t flags = 0;

  friend bool operator==(const decoder_state&, const decoder_state&) = default;
};

/// An incremental decoder: bytes in, UTF-8 text out, in as many calls as the bytes arrive in.
/// Bytes that may start a character are held back until the next call (or until `final`).
/// Single-threaded: one object must not be used by two threads at once.
class incremental_decoder {
 public:
  virtual ~incremental_decoder() = default;
  incremental_decoder(const incremental_decoder&) = delete;
  incremental_decoder& operator=(const incremental_decoder&) = delete;

  /// `decode(input, final)`: decodes the held-back bytes followed by `input`, appending the text
  /// to `out`. With `final`, nothing is held back: a truncated sequence is an error. Errors go
  /// through the error handler; one that raises throws unicode_decode_error whose object() is
  /// the held-back bytes plus `input` and whose start()/end() are byte offsets into it (as in
  /// CPython, where the object is `self.buffer + input`). When it throws, `out` and the held-back
  /// bytes are left as they were (the input is dropped, as in CPython). `input` must not point
  /// into `out`.
  void decode(std::string_view input, std::string& out, bool final = false);
  /// The same, returning the text.
  std::string decode(std::string_view input, bool final = false);

  /// `reset()`: forgets held-back bytes and any byte-order or BOM decision.
  virtual void reset() = 0;
  /// `getstate()`: the held-back bytes and the codec's flags.
  virtual decoder_state getstate() const = 0;
  /// `setstate(state)`: restores what getstate() returned.
  virtual void setstate(const decoder_state& state) = 0;

  /// The codec's canonical Python name (codec_info::name).
  std::string_view codec_name() const noexcept { return codec_name_; }
  /// The error handler name given at construction (`decoder.errors`).
  const std::string& errors() const noexcept { return errors_; }

 protected:
  incremental_decoder(std::string_view codec_name, std::string_view errors);

 private:
  virtual void do_decode(std::string_view input, std::string& out, bool final) = 0;

  std::string_view codec_name_;
  std::string errors_;
};

/// An incremental encoder: UTF-8 text in (see the header comment about surrogates), bytes out.
/// Single-threaded: one object must not be used by two threads at once.
class incremental_encoder {
 public:
  virtual ~incremental_encoder() = default;
  incremental_encoder(const incremental_encoder&) = delete;
  incremental_encoder& operator=(const incremental_encoder&) = delete;

  /// `encode(text, final)`: appends the encoding of `text` to `out`. utf-8-sig, utf-16 and
  /// utf-32 write their BOM in the first call, even for empty text. `final` ends a stateful
  /// encoding (iso2022_jp returns to ASCII). Characters the codec cannot encode go through the
  /// error handler; one that raises throws unicode_encode_error whose object() is `text` and whose
  /// start()/end() count code points. Text that is not (generalized) UTF-8 throws value_error.
  /// When it throws, `out` is left as it was. `text` must not point into `out`.
  void encode(std::string_view text, std::string& out, bool final = false);
  /// The same, returning the bytes.
  std::string encode(std::string_view text, bool final = false);

  /// `reset()`: back to the initial state (a BOM will be written again; a CJK encoder forgets
  /// pending text and returns to its initial shift state, discarding what that writes).
  virtual void reset() = 0;
  /// `getstate()`: for utf-16/utf-32, 2 while the BOM is still to be written and 0 after; for
  /// utf-8-sig, 1 while the BOM is still to be written and 0 after; for the CJK codecs CPython's
  /// number, from the low byte up: the UTF-8 length of the text setstate() left pending, that
  /// text, and the codec's eight state bytes (iso2022: G0..G3 and flags; hz: its mode), e.g.
  /// 0x424200 for a fresh iso2022_jp encoder; 0 for other codecs. Throws std::overflow_error
  /// where CPython's number has more than 64 bits (a CJK encoder whose encode() failed on pending
  /// text from setstate() after changing state bytes it then holds past the eighth byte).
  virtual std::uint64_t getstate() const = 0;
  /// `setstate(state)`: `setstate(0)` makes utf-8-sig/utf-16/utf-32 skip their BOM (what
  /// TextIOWrapper does when it starts writing in the middle of a stream); a non-zero state makes
  /// them write it again. The CJK codecs take the state bytes as they are (an iso2022 encoder
  /// set to 0 writes ESC ( B before ASCII, as CPython's does) and encode the pending text before
  /// the next encode()'s; a pending length above 8 throws unicode_error "pending buffer too
  /// large", pending bytes that are not UTF-8 throw unicode_decode_error, as in CPython.
  virtual void setstate(std::uint64_t state) = 0;

  /// The codec's canonical Python name (codec_info::name).
  std::string_view codec_name() const noexcept { return codec_name_; }
  /// The error handler name given at construction (`encoder.errors`).
  const std::string& errors() const noexcept { return errors_; }

 protected:
  incremental_encoder(std::string_view codec_name, std::string_view errors);

 private:
  virtual void do_encode(std::string_view text, std::string& out, bool final) = 0;

  std::string_view codec_name_;
  std::string errors_;
};

/// `codecs.getincrementaldecoder(encoding)(errors)`. Throws what lookup_codec() throws.
/// Thread-safe.
std::unique_ptr<incremental_decoder> make_incremental_decoder(std::string_view encoding,
                                                              std::string_view errors = "strict");

/// `codecs.getincrementalencoder(encoding)(errors)`. Throws what lookup_codec() throws.
/// Thread-safe.
std::unique_ptr<incremental_encoder> make_incremental_encoder(std::string_view encoding,
                                                              std::string_view errors = "strict");

}  // namespace pysock::io
