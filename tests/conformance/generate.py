#!/usr/bin/env python3
"""Seeded scenario generator for the pysock differential conformance test.

``generate(count, seed)`` returns scenario dicts (see conformance.md); run as a script it prints
them as JSON lines.  The same count and seed always give the same scenarios.

Scenarios are weighted toward valid-but-tricky cases: multi-byte characters and ``\\r\\n`` split
across small buffers (binary reads) and across the text layer's 8192-byte chunks, BOMs, NULs,
invalid and truncated sequences, long lines, readline limits, timeouts and non-blocking reads.
About one scenario in twenty fails at makefile on purpose.

Hang rule: a scenario whose peer stays open (``close_feed`` false) without a timeout never
contains a reading op on a readable file, since that read would block forever.
"""

import argparse
import base64
import codecs
import json
import random
import sys

MODES_READ = ["r", "rb", "b", "", "rr", "br"]
MODES_WRITE = ["w", "wb", "bw", "ww"]
MODES_RW = ["rw", "rwb", "wr", "wrb"]
MODES_INVALID = ["rt", "x", "+", "a", "U", "r+", "wt", "rwx", "ab"]
BUFFERINGS = [None, 0, 1, 2, 3, 7, 8192, -1]
SMALL_BUFFERINGS = [1, 2, 3, 7]
ENCODINGS = ["utf-8", "utf-8-sig", "ascii", "latin-1", "utf-16", "utf-16-le", "utf-16-be",
             "utf-32", "cp1252", "shift_jis", "euc-jp", "koi8-r", "UTF8", "latin1"]
UNKNOWN_ENCODING = "no-such-codec"
ERRORS = ["strict", "ignore", "replace", "backslashreplace", "surrogateescape",
          "xmlcharrefreplace", "namereplace"]
UNKNOWN_ERRORS = "no-such-handler"
NEWLINES = [None, "", "\n", "\r", "\r\n"]
INVALID_NEWLINES = ["x", "\n\r", " "]
TIMEOUTS = [0.02, 0.03, 0.05]
TEXT_CHUNK = 8192  # C TextIOWrapper reads read1(8192): text splits happen at this boundary
ATTRIBUTES = ["mode", "name", "encoding", "errors", "newlines", "line_buffering", "closed",
              "readable", "writable", "seekable"]
READING_OPS = {"read", "read1", "peek", "readinto", "readinto1", "readline", "readlines"}

TEXT_PIECES = ["abc", "hello world", "x", " ", "\n", "\n", "\r\n", "\r\n", "\r", "é", "€",
               "日本語", "ж", "😀", "\x00", "ü", "ab\r", "\r\r\n", "\n\r", "ÿ", "\t"]
BYTE_PIECES = [b"abc", b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\x80", b"\xc3\xa9",
               b"line\n", b"\xe2\x82", b"\xac", b"\xef\xbb\xbf", b"zz"]
CORRUPTIONS = [b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\xfe\xff", b"\x00\xd8", b"\r"]
WRITE_PIECES = ["a", "b\n", "\n", "\r\n", "\r", "line\n", "é", "€", "日本", "😀", "\x00",
                "\udc80", "\udcff", "ÿ", "ж", "tail"]


class Generator:
    """Builds random scenarios from one random.Random instance."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def pick(self, *weighted):
        """pick((weight, value), ...) -> value."""
        weights = [weight for weight, _ in weighted]
        return self.rng.choices([value for _, value in weighted], weights)[0]

    # --- makefile arguments -------------------------------------------------------------------

    def encoding(self):
        return self.pick((40, "utf-8"), (6, None), (50, self.rng.choice(ENCODINGS)),
                         (2, UNKNOWN_ENCODING))

    def errors(self):
        return self.pick((30, None), (60, self.rng.choice(ERRORS)), (2, UNKNOWN_ERRORS))

    def newline(self):
        return self.pick((95, self.rng.choice(NEWLINES)), (2, self.rng.choice(INVALID_NEWLINES)))

    def buffering(self, binary):
        choices = BUFFERINGS if binary else [b for b in BUFFERINGS if b != 0]
        return self.pick((55, self.rng.choice(SMALL_BUFFERINGS)), (40, self.rng.choice(choices)),
                         (0 if binary else 2, 0))

    # --- feeds --------------------------------------------------------------------------------

    def text(self, pieces=TEXT_PIECES, low=1, high=12):
        parts = [self.rng.choice(pieces) for _ in range(self.rng.randint(low, high))]
        if self.rng.random() < 0.1:
            parts.insert(self.rng.randrange(len(parts) + 1), "L" * self.rng.randint(20, 300))
        return "".join(parts)

    def text_feed(self, encoding):
        """Text encoded with the scenario's codec, sometimes BOM-edited or corrupted."""
        try:
            name = codecs.lookup(encoding or "utf-8").name
        except LookupError:
            name = "utf-8"
        text = self.text(TEXT_PIECES, 0, 12)
        if self.rng.random() < 0.2:
            text = self.chunk_padding(name) + text
        data = text.encode(name, "replace")
        roll = self.rng.random()
        if roll < 0.1:
            data = codecs.BOM_UTF8 + data
        elif roll < 0.2 and name in ("utf-16", "utf-32", "utf-8-sig"):
            data = data[2 if name == "utf-16" else 4 if name == "utf-32" else 3:]  # no BOM
        if self.rng.random() < 0.25:
            at = self.rng.randrange(len(data) + 1)
            data = data[:at] + self.rng.choice(CORRUPTIONS) + data[at:]
        if self.rng.random() < 0.1 and data:
            data = data[:-1]  # truncated final character
        return data

    def chunk_padding(self, codec):
        """'P's that put the next few characters right at the text layer's chunk boundary."""
        unit = len("PP".encode(codec)) - len("P".encode(codec))
        bom = len("P".encode(codec)) - unit
        return "P" * ((TEXT_CHUNK - bom - self.rng.randrange(8)) // unit)

    def binary_feed(self):
        if self.rng.random() < 0.03:  # a large feed, up to the 64 KiB limit
            line = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 200)))
            return (line + b"\n") * (self.rng.randint(20_000, 65_536) // (len(line) + 1))
        parts = [self.rng.choice(BYTE_PIECES) for _ in range(self.rng.randint(0, 12))]
        if self.rng.random() < 0.1:
            parts.append(b"B" * self.rng.randint(20, 300))
        return b"".join(parts)

    # --- ops ----------------------------------------------------------------------------------

    def size(self):
        return self.rng.choice([-1, 0, 1, 1, 2, 3, 4, 5, 7, 8, 16, 100])

    def read_op(self, binary, raw):
        """One reading op; some are invalid for the file kind on purpose."""
        rng = self.rng
        ops = [
            (20, ["readline"]), (12, ["readline", rng.choice([-1, 0, 1, 2, 3, 5, 10, 100])]),
            (18, ["read", self.size()]), (8, ["read"]), (2, ["read", None]),
            (4, ["readlines"]), (4, ["readlines", rng.choice([-1, 0, 1, 3, 5, 10])]),
        ]
        if binary:
            ops += [(6, ["read1", self.size()]), (2, ["read1"]), (6, ["peek", self.size()]),
                    (2, ["peek"]), (6, ["readinto", rng.choice([0, 1, 2, 3, 5, 8, 64])]),
                    (4, ["readinto1", rng.choice([0, 1, 2, 5, 64, 20000])])]
            if raw:
                ops += [(4, ["read", rng.choice([1, 2, 3])]), (2, ["readline", None])]
        else:
            ops += [(1, ["readline", None]), (1, ["read1", 1]), (1, ["peek", 1]),
                    (1, ["readinto", 2]), (1, ["readinto1", 2])]
        return self.pick(*ops)

    def write_data(self, binary):
        if binary:
            data = bytes(self.rng.randrange(256) for _ in range(self.rng.choice(
                [0, 1, 1, 2, 3, 4, 5, 7, 8, 9, 12, 40])))
            return base64.b64encode(data).decode("ascii")
        return self.text(WRITE_PIECES, 0, 5)

    def write_op(self, binary):
        rng = self.rng
        return self.pick(
            (30, ["write", self.write_data(binary)]),
            (6, ["writelines"] + [self.write_data(binary) for _ in range(rng.randint(0, 3))]),
            (2, ["writelines", [self.write_data(binary) for _ in range(rng.randint(0, 2))]]),
            (1, ["write", None]),
            (12, ["flush"]), (20, ["peer_recv"]))

    def misc_op(self, binary):
        rng = self.rng
        return self.pick(
            (10, ["attr", rng.choice(ATTRIBUTES)]), (3, ["close"]), (3, ["sock_close"]),
            (3, ["sock_alive"]), (2, ["flush"]), (2, ["peer_recv"]),
            (2, ["write", self.write_data(binary)]))

    def ops(self, readable, writable, binary, raw):
        count = self.rng.choice([1, 2, 3, 3, 4, 5, 6, 8])
        makers = [(2, lambda: self.misc_op(binary))]
        if readable:
            makers.append((8, lambda: self.read_op(binary, raw)))
        if writable:
            makers.append((7, lambda: self.write_op(binary)))
        ops = [self.pick(*makers)() for _ in range(count)]
        if writable and self.rng.random() < 0.5:
            ops.append(["peer_recv"])
        return ops

    # --- whole scenarios ----------------------------------------------------------------------

    def mode(self):
        return self.pick((45, self.rng.choice(MODES_READ)), (25, self.rng.choice(MODES_WRITE)),
                         (20, self.rng.choice(MODES_RW)), (4, self.rng.choice(MODES_INVALID)))

    def timing(self, readable):
        """(close_feed, timeout): mostly EOF after the feed; sometimes a silent peer."""
        roll = self.rng.random()
        if roll < 0.12:
            return False, self.rng.choice(TIMEOUTS)
        if roll < 0.22:
            return self.rng.random() < 0.5, 0
        if roll < 0.3 and not readable:
            return False, None
        return True, self.pick((8, None), (1, 5.0))

    def scenario(self, index, seed):
        mode = self.mode()
        binary = "b" in mode
        writable = "w" in mode
        readable = "r" in mode or not writable
        encoding = self.encoding()
        buffering = self.buffering(binary)
        close_feed, timeout = self.timing(readable)
        spec = {
            "id": f"gen-s{seed}-{index}-{mode or 'empty'}-{buffering}",
            "mode": mode, "buffering": buffering, "encoding": encoding,
            "errors": self.errors(), "newline": self.newline(),
            "feed": base64.b64encode(self.binary_feed() if binary else
                                     self.text_feed(encoding)).decode("ascii"),
            "close_feed": close_feed, "timeout": timeout,
            "ops": self.ops(readable, writable, binary, binary and buffering == 0),
        }
        return enforce_hang_rule(spec)


def enforce_hang_rule(spec):
    """Give a silent-peer, blocking scenario a timeout when it would read."""
    mode = spec.get("mode", "r")
    readable = "r" in mode or "w" not in mode
    reads = any(op[0] in READING_OPS for op in spec.get("ops", []))
    if not spec.get("close_feed", True) and spec.get("timeout") is None and readable and reads:
        spec["timeout"] = TIMEOUTS[0]
    return spec


def generate(count, seed):
    """count scenarios from seed, deterministic."""
    generator = Generator(seed)
    return [generator.scenario(index, seed) for index in range(count)]


def main():
    parser = argparse.ArgumentParser(description="Print generated conformance scenarios.")
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for spec in generate(args.count, args.seed):
        sys.stdout.write(json.dumps(spec, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
