"""Writes src/io/codec/charmap_tables.inc: the decoding table of every single-byte ("charmap")
codec CPython 3.13 has, from what its codecs observably do.

Each byte is decoded alone (0xFFFE: the byte maps to <undefined>). Every code point is encoded
alone as well, to check the rule the C++ side builds its encoding map by: a character encodes to
the highest byte that decodes to it, and nothing else encodes. A codec that breaks the rule stops
the generator, so the committed table never describes a codec the C++ side would get wrong.
"""
import codecs
import encodings
import importlib
import pkgutil

from . import require_cpython_313, numbers, write_inc

UNDEFINED = 0xFFFE
# latin_1 is hand-written (src/io/codec/hand_written.cpp); iso8859_1 is its twin module.
HAND_WRITTEN = {"iso8859_1"}


def charmap_modules():
    """The encodings modules built on codecs.charmap_decode with a 256-character table."""
    for module in pkgutil.iter_modules(encodings.__path__):
        if module.name in HAND_WRITTEN:
            continue
        try:
            loaded = importlib.import_module("encodings." + module.name)
        except ImportError:
            continue
        if isinstance(getattr(loaded, "decoding_table", None), str):
            yield module.name


def decoding_table(name):
    table = []
    for byte in range(256):
        try:
            text = codecs.getincrementaldecoder(name)().decode(bytes([byte]), final=True)
        except UnicodeDecodeError:
            table.append(UNDEFINED)
            continue
        assert len(text) == 1 and ord(text) < 0x10000 and ord(text) != UNDEFINED, (name, byte)
        table.append(ord(text))
    return table


def check_encoding_rule(name, table):
    expected = {}
    for byte, code_point in enumerate(table):
        if code_point != UNDEFINED:
            expected[code_point] = bytes([byte])  # the highest byte wins
    encode = codecs.getincrementalencoder(name)().encode
    for code_point in range(0x110000):
        try:
            got = encode(chr(code_point), True)
        except UnicodeEncodeError:
            got = None
        if got != expected.get(code_point):
            raise SystemExit(f"{name}: U+{code_point:04X} encodes to {got!r}, the rule says "
                             f"{expected.get(code_point)!r}")


def main():
    require_cpython_313()
    body = []
    names = sorted(charmap_modules())
    for name in names:
        table = decoding_table(name)
        check_encoding_rule(name, table)
        body.append(f'{{"{name}", {{')
        body += numbers(table, per_line=16, width=4)
        body.append("}},")
    write_inc("charmap_tables.inc", "charmap.py",
              [f"The {len(names)} single-byte codecs: {{module, the code point of each byte "
               f"(0x{UNDEFINED:X}: undefined)}},",
               "sorted by module. A character encodes to the highest byte that decodes to it."],
              body)


if __name__ == "__main__":
    main()
