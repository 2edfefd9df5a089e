"""CPython 3.13's io and codec behaviour on an older CPython (3.11, 3.12), for the references.

pysock implements CPython 3.13; the differential tests compare it with a reference CPython.
Where only 3.11 or 3.12 is installed (Debian 12 has 3.11), the four changes below, which the
conformance spec lists as the known differences, make that interpreter answer as 3.13 does.
Each one is detected by a probe of the running interpreter, so it is applied exactly where the
interpreter lacks the change (gh-80109, for one, reached 3.12 only in a later bugfix release);
``install(force=True)`` applies all four anyway, which must change nothing on 3.13 itself (the
conformance.emulation_* tests check both directions).

    import cpython313
    applied = cpython313.install()      # before the first makefile(); a list of change names

Everything else is the interpreter's own behaviour: a difference outside these four places is a
real difference and fails the comparison.
"""

import codecs
import ctypes
import encodings.utf_16
import encodings.utf_32
import gc
import io
import operator
import sys

# --- gh-112812: UTF-16/32 without a BOM raise UnicodeDecodeError --------------------------------
# 3.13's incremental "utf-16"/"utf-32" decoders report input that starts without a BOM as a
# UnicodeDecodeError over the first code unit, "Stream does not start with BOM"; before, a plain
# UnicodeError("UTF-16 stream does not start with BOM").


def _bom_error_as_decode_error(module, encoding, unit):
    original = module.IncrementalDecoder._buffer_decode

    def _buffer_decode(self, input, errors, final):
        try:
            return original(self, input, errors, final)
        except UnicodeDecodeError:
            raise
        except UnicodeError as exc:
            raise UnicodeDecodeError(encoding, input, 0, unit,
                                     "Stream does not start with BOM") from exc

    module.IncrementalDecoder._buffer_decode = _buffer_decode


def _lacks_gh112812():
    try:
        codecs.getincrementaldecoder("utf-16")().decode(b"a\x00", True)
    except UnicodeDecodeError:
        return False
    except UnicodeError:
        return True
    return False


def _install_gh112812():
    _bom_error_as_decode_error(encodings.utf_16, "utf-16", 2)
    _bom_error_as_decode_error(encodings.utf_32, "utf-32", 4)


# --- gh-117151: a buffered write of at least the buffer size goes straight to the raw file -------
# 3.13's C BufferedWriter.write no longer keeps a write of exactly buffer_size bytes in its buffer
# (the fast path now needs len < buffer_size, and the direct-write loop runs while remaining >=
# buffer_size). Longer writes went straight through before too, so after a write of exactly the
# buffer size the older writer holds those bytes where 3.13 has sent them: flush them. (Exact
# while the raw write completes, as it does on the tested socketpair; on 3.13 that flush finds
# the buffer empty and does nothing.)
#
# --- gh-101819: BufferedWriter.read(None) and read1(None) raise TypeError -----------------------
# 3.12 converted _BufferedIOBase.read/read1 to Argument Clinic with a Py_ssize_t size, so a size
# that is not an integer is a TypeError before the UnsupportedOperation; 3.11 ignored it.


def _lacks_gh117151():
    raw = io.BytesIO()
    writer = io.BufferedWriter(raw, 4)
    writer.write(b"abcd")
    return raw.getvalue() != b"abcd"


def _lacks_gh101819():
    try:
        io.BufferedWriter(io.BytesIO()).read(None)
    except TypeError:
        return False
    except io.UnsupportedOperation:
        return True
    return False


def _check_size(args):
    """3.12+'s argument check of _BufferedIOBase.read/read1 (an index, or TypeError)."""
    if args:
        operator.index(args[0])


def _writer_class(base, changes):
    """A subclass of io.BufferedWriter or io.BufferedRWPair with the 3.13 write/read rules."""

    is_writer = base is io.BufferedWriter  # (raw, buffer_size), else (reader, writer, buffer_size)

    class Writer(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            where = 1 if is_writer else 2
            self._pysock_buffer_size = (args[where] if len(args) > where else
                                        kwargs.get("buffer_size", io.DEFAULT_BUFFER_SIZE))

        def write(self, data):
            written = super().write(data)
            if "gh-117151" in changes and len(memoryview(data)) == self._pysock_buffer_size:
                self.flush()
            return written

        if is_writer and "gh-101819" in changes:
            def read(self, *args):
                _check_size(args)
                return super().read(*args)

            def read1(self, *args):
                _check_size(args)
                return super().read1(*args)

    return Writer


# --- gh-80109: a write on a text rw file keeps the decoded but unread text ----------------------
# Until 3.13 (and 3.12.x before the backport), the C TextIOWrapper.write dropped its decoded-chars
# buffer on every write, so the text already decoded from the socket but not yet returned was
# lost; 3.13 drops it only when a tell() snapshot exists, which a socket never has. Both reset the
# decoder. The C object's decoded_chars/decoded_chars_used fields are not reachable from Python,
# so the emulation puts them back after the write, at the offset _decoded_chars_offset() finds
# and verifies on a probe object (it refuses to run where it cannot find them).

def _lacks_gh80109():
    text = io.TextIOWrapper(io.BufferedRWPair(io.BytesIO(b"a\nb\n"), io.BytesIO()), "ascii")
    text.readline()
    text.write("x")
    return text.readline() != "b\n"


def _decoded_chars_offset():
    """Offset of decoded_chars in the C TextIOWrapper (decoded_chars_used follows it)."""
    probe = io.TextIOWrapper(io.BufferedRWPair(io.BytesIO(b"ab\ncd\n"), io.BytesIO()), "ascii")
    probe.read(1)
    decoded = [obj for obj in gc.get_referents(probe) if isinstance(obj, str) and obj == "ab\ncd\n"]
    words = (ctypes.c_ssize_t * (type(probe).__basicsize__ // ctypes.sizeof(ctypes.c_ssize_t)))
    fields = words.from_address(id(probe))
    for index in range(len(fields) - 1):
        if decoded and fields[index] == id(decoded[0]) and fields[index + 1] == 1:
            return index * ctypes.sizeof(ctypes.c_ssize_t)
    raise RuntimeError("cannot emulate gh-80109: TextIOWrapper's decoded_chars not found")


def _text_class(offset):
    pointer = ctypes.c_void_p
    used = ctypes.c_ssize_t

    class TextIOWrapper(io.TextIOWrapper):
        def write(self, text):
            chars_at, used_at = id(self) + offset, id(self) + offset + ctypes.sizeof(pointer)
            address = pointer.from_address(chars_at).value
            kept = ctypes.cast(address, ctypes.py_object).value if address else None
            kept_used = used.from_address(used_at).value
            written = super().write(text)
            if kept is not None and pointer.from_address(chars_at).value != id(kept):
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(kept))
                pointer.from_address(chars_at).value = id(kept)
                used.from_address(used_at).value = kept_used
            return written

    return TextIOWrapper


# --- applying them -------------------------------------------------------------------------------

CHANGES = {  # name: (lacks it?, what 3.13 does)
    "gh-80109": (_lacks_gh80109, "a write on a text rw file keeps the decoded, unread text"),
    "gh-117151": (_lacks_gh117151, "a buffered write of the buffer size goes straight out"),
    "gh-112812": (_lacks_gh112812, "UTF-16/32 without a BOM raise UnicodeDecodeError"),
    "gh-101819": (_lacks_gh101819, "BufferedWriter.read(None) raises TypeError"),
}


def install(force=False):
    """Apply every change the running CPython lacks (all with force); returns their names."""
    changes = [name for name, (lacks, _) in CHANGES.items() if force or lacks()]
    if "gh-112812" in changes:
        _install_gh112812()
    if "gh-117151" in changes or "gh-101819" in changes:
        io.BufferedWriter = _writer_class(io.BufferedWriter, changes)
        io.BufferedRWPair = _writer_class(io.BufferedRWPair, changes)
    if "gh-80109" in changes:
        io.TextIOWrapper = _text_class(_decoded_chars_offset())
    return changes


def describe(changes):
    """One line for the end of a run: the interpreter and what is emulated."""
    version = "CPython " + sys.version.split()[0]
    if not changes:
        return f"{version} ({sys.executable}), 3.13 emulation off"
    return f"{version} ({sys.executable}), 3.13 emulation on: {', '.join(changes)}"
