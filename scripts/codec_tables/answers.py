"""Writes tests/codecs/answers/CODEC.txt: what CPython 3.13 does with every short input and every
code point, as CRC-32 digests per block, for tests/codecs/exhaustive.cpp to check pysock against.

The cases (the same, in the same order, as exhaustive.cpp):
  decode, handlers strict / replace / surrogateescape: block "short" = the empty input and every
    1-byte input; block "NN" = every 2-byte input whose first byte is 0xNN..0xNN+3; for the
    codecs whose characters take several bytes (the CJK codecs, UTF-8, UTF-16, UTF-32) also
    blocks "s3.K" / "s4.K" of 5,000 sampled 3- and 4-byte inputs each (splitmix64, fixed seed),
    50,000 of each length;
  encode: block "NNNNNN" = the 0x2000 code points from U+NNNNNN: strict for every code point,
    replace / backslashreplace / xmlcharrefreplace / namereplace for every code point strict
    fails on; surrogateescape / surrogatepass for those of U+C000..U+DFFF.
Each case is decoded or encoded alone by a fresh incremental decoder or encoder with final=True,
as TextIOWrapper uses them. (An encoder whose state stays 0 after a call, a stateless one, is
reused: CPython's own code makes it observably fresh.) A case's record is its output, or the
UnicodeError's codec, start, end and reason; a block's digest is the CRC-32 of its records. The file has a line per direction and handler:
"decode strict" and then the blocks' digests in order, 8 hex digits each.

    PYENV_VERSION=3.13.0 python3.13 -m scripts.codec_tables.answers [CODEC|--unicode|--charmap|--multibyte...]
    PYENV_VERSION=3.13.0 python3.13 -m scripts.codec_tables.answers --dump CODEC DIRECTION HANDLER BLOCK
"""
import codecs
import struct
import sys
import zlib

from . import ROOT, require_cpython_313
from .charmap import charmap_modules

UNICODE = ["ascii", "latin_1", "utf_8", "utf_8_sig", "utf_16", "utf_16_le", "utf_16_be", "utf_32",
           "utf_32_le", "utf_32_be"]
MULTIBYTE = ["big5", "big5hkscs", "cp932", "cp949", "cp950", "euc_jis_2004", "euc_jisx0213",
             "euc_jp", "euc_kr", "gb18030", "gb2312", "gbk", "hz", "iso2022_jp", "iso2022_jp_1",
             "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3", "iso2022_jp_ext", "iso2022_kr",
             "johab", "shift_jis", "shift_jis_2004", "shift_jisx0213"]
# The codecs whose 3- and 4-byte inputs are sampled.
SAMPLED = MULTIBYTE + [codec for codec in UNICODE if codec.startswith("utf_")]
DECODE_HANDLERS = ["strict", "replace", "surrogateescape"]
ENCODE_HANDLERS = ["strict", "replace", "backslashreplace", "xmlcharrefreplace", "namereplace"]
SURROGATE_HANDLERS = ["surrogateescape", "surrogatepass"]
SURROGATE_BLOCKS = range(0xC000, 0xE000, 0x2000)
ENCODE_BLOCK = 0x2000
SAMPLES, SAMPLE_BLOCK, SEED = 50000, 5000, 14
ANSWERS = ROOT / "tests" / "codecs" / "answers"


def splitmix64(state):
    while True:
        state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        yield z ^ (z >> 31)


def record(ok, payload):
    return (b"=" if ok else b"!") + struct.pack("<I", len(payload)) + payload


def error_record(e):
    return record(False, f"{type(e).__name__},{e.encoding},{e.start},{e.end},{e.reason}".encode())


def decode_blocks(codec):
    """(block name, inputs) for the decoding cases."""
    yield "short", [b""] + [bytes([b]) for b in range(256)]
    for first in range(0, 256, 4):
        yield f"{first:02x}", [bytes([f, second]) for f in range(first, first + 4)
                               for second in range(256)]
    if codec in SAMPLED:
        for length in (3, 4):
            numbers = splitmix64(SEED * 10 + length)
            for block in range(SAMPLES // SAMPLE_BLOCK):
                yield f"s{length}.{block}", [next(numbers).to_bytes(8, "little")[:length]
                                             for _ in range(SAMPLE_BLOCK)]


def decode_record(codec, handler, data):
    try:
        text = codecs.getincrementaldecoder(codec)(handler).decode(data, final=True)
    except UnicodeDecodeError as e:
        return error_record(e)
    return record(True, text.encode("utf-8", "surrogatepass"))


class Encoder:
    """A fresh incremental encoder per case (reused while it is stateless, see above)."""

    def __init__(self, codec, handler):
        self.factory = lambda: codecs.getincrementalencoder(codec)(handler)
        self.encoder = self.factory()
        self.reusable = self.encoder.getstate() == 0

    def __call__(self, text):
        encoder = self.encoder if self.reusable else self.factory()
        try:
            return record(True, encoder.encode(text, True))
        except UnicodeEncodeError as e:
            return error_record(e)
        finally:
            if self.reusable and encoder.getstate() != 0:
                self.encoder = self.factory()


def encode_cases(codec):
    """(handler, block name, records) for the encoding cases."""
    strict = Encoder(codec, "strict")
    others = {h: Encoder(codec, h) for h in ENCODE_HANDLERS[1:] + SURROGATE_HANDLERS}
    for start in range(0, 0x110000, ENCODE_BLOCK):
        name = f"{start:06x}"
        strict_records, failing = [], []
        for code_point in range(start, start + ENCODE_BLOCK):
            r = strict(chr(code_point))
            strict_records.append(r)
            if r[:1] == b"!":
                failing.append(chr(code_point))
        yield "strict", name, strict_records
        handlers = ENCODE_HANDLERS[1:] + (SURROGATE_HANDLERS if start in SURROGATE_BLOCKS else [])
        for handler in handlers:
            yield handler, name, [others[handler](c) for c in failing]


def digest(records):
    return zlib.crc32(b"".join(records))


def answers(codec):
    lines = {}
    for handler in DECODE_HANDLERS:
        lines[f"decode {handler}"] = [digest(decode_record(codec, handler, d) for d in inputs)
                                      for _, inputs in decode_blocks(codec)]
    for handler, _, records in encode_cases(codec):
        lines.setdefault(f"encode {handler}", []).append(digest(records))
    return [f"# {codec}: CRC-32 per block of CPython {sys.version.split()[0]}'s answers "
            "(scripts/codec_tables/answers.py)"] + [
        key + " " + "".join(f"{d:08x}" for d in digests) for key, digests in lines.items()]


def dump(codec, direction, handler, block):
    """Every case of one block, one "input<TAB>record" line each, in hex."""
    if direction == "decode":
        for name, inputs in decode_blocks(codec):
            if name == block:
                for data in inputs:
                    print(data.hex(), decode_record(codec, handler, data).hex(), sep="\t")
        return
    strict, other = Encoder(codec, "strict"), Encoder(codec, handler)
    start = int(block, 16)
    for code_point in range(start, start + ENCODE_BLOCK):
        r = strict(chr(code_point))
        if handler == "strict" or r[:1] == b"!":
            r = r if handler == "strict" else other(chr(code_point))
            print(f"{code_point:06x}", r.hex(), sep="\t")


def main(argv):
    require_cpython_313()
    if argv[:1] == ["--dump"]:
        dump(*argv[1:5])
        return
    ANSWERS.mkdir(parents=True, exist_ok=True)
    families = {"--unicode": UNICODE, "--charmap": sorted(charmap_modules()),
                "--multibyte": MULTIBYTE}
    chosen = [codec for arg in argv for codec in families.get(arg, [arg])]
    for codec in chosen or [codec for family in families.values() for codec in family]:
        path = ANSWERS / f"{codec}.txt"
        path.write_text("\n".join(answers(codec)) + "\n")
        print(f"wrote {path.relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
