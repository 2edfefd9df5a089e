"""Writes the tables of pysock's CJK codecs (src/io/codec/cjk/*.inc) from what the running
CPython's codecs do: every byte and byte pair is decoded, every code point encoded, and the
answers are stored compactly (see src/io/codec/cjk/tables.hpp for the format and how the C++
side rebuilds the lookup tables from it). Run under CPython 3.13:

    PYENV_VERSION=3.13.0 python3.13 scripts/codec_tables/cjk.py

The script simulates the C++ side's reconstruction and checks it against CPython, so a table it
writes reproduces CPython's strict decoding of every pair and strict encoding of every code point.
"""

import codecs
import pathlib
import sys

OUT = pathlib.Path(__file__).resolve().parents[2] / "src" / "io" / "codec" / "cjk"

NONE = 0xFFFF  # no character
LEAD = 0xFFFF  # single[]: the byte starts a sequence
ILLEGAL = 0xFFFE  # single[]: the byte is illegal wherever it stands
ARITHMETIC = 0x8000  # run header flag: values count up from one stored value

# The stateless codecs, and the codec whose pair table each one's is stored as a patch of.
STATELESS = {
    "gb2312": None,
    "gbk": "gb2312",
    "gb18030": "gbk",
    "big5": None,
    "cp950": "big5",
    "euc_kr": None,
    "cp949": "euc_kr",
    "shift_jis": None,
    "cp932": "shift_jis",
    "euc_jp": None,
    "johab": None,
}


def decode(codec, data):
    try:
        return codecs.decode(data, codec)
    except UnicodeDecodeError:
        return None


def encode(codec, text):
    try:
        return codecs.encode(text, codec)
    except UnicodeEncodeError:
        return None


def single_table(codec):
    table = []
    for byte in range(256):
        try:
            text = codecs.decode(bytes([byte]), codec)
            assert len(text) == 1 and ord(text) < 0xFFFE
            table.append(ord(text))
        except UnicodeDecodeError as error:
            table.append(LEAD if error.reason.startswith("incomplete") else ILLEGAL)
    return table


def pair_map(codec, single, prefix=b""):
    """{(lead << 8) | trail: code point} for the pairs CPython decodes as one character."""
    pairs = {}
    for lead in range(256):
        if not prefix and single[lead] != LEAD:
            continue
        for trail in range(256):
            text = decode(codec, prefix + bytes([lead, trail]))
            if text is not None and len(text) == 1:
                assert ord(text) <= 0xFFFF
                pairs[(lead << 8) | trail] = ord(text)
    return pairs


def runs(entries, fill_gaps=True):
    """A sorted {key: value} (value NONE: remove) as a list of runs: [first key, count, values]
    or [first key, count | ARITHMETIC, first value]; gaps of one key are filled with NONE unless
    the runs patch another table (where NONE removes)."""
    gap = 2 if fill_gaps else 1
    keys = sorted(entries)
    out = []
    i = 0
    while i < len(keys):
        start = keys[i]
        values = [entries[start]]
        j = i + 1
        while j < len(keys) and keys[j] - keys[j - 1] <= gap and len(values) < 0x7000:
            if keys[j] - keys[j - 1] == 2:
                values.append(NONE)
            values.append(entries[keys[j]])
            j += 1
        i = j
        emit_values(out, start, values)
    return out


def emit_values(out, start, values):
    """Splits a run of consecutive keys into literal and arithmetic pieces."""
    k = 0
    literal = []
    literal_start = start

    def flush(upto_key):
        nonlocal literal, literal_start
        if literal:
            out.extend([literal_start, len(literal)] + literal)
        literal = []
        literal_start = upto_key

    while k < len(values):
        m = k + 1
        while m < len(values) and values[m] != NONE and values[m] == values[m - 1] + 1:
            m += 1
        if m - k >= 4 and values[k] != NONE:
            flush(start + k)
            out.extend([start + k, (m - k) | ARITHMETIC, values[k]])
            literal_start = start + m
            k = m
        else:
            if not literal:
                literal_start = start + k
            literal.extend(values[k:m])
            k = m
    flush(start + len(values))


def apply_runs(table, data):
    """What the C++ side does with runs: table[key] = value."""
    i = 0
    while i < len(data):
        key, count = data[i], data[i + 1]
        if count & ARITHMETIC:
            for n in range(count & ~ARITHMETIC):
                table[key + n] = data[i + 2] + n
            i += 3
        else:
            for n in range(count):
                table[key + n] = data[i + 2 + n]
            i += 2 + count
    return table


def patch(base, wanted):
    keys = set(base) | set(wanted)
    return {k: wanted.get(k, NONE) for k in keys if base.get(k, NONE) != wanted.get(k, NONE)}


def materialize(data_chain):
    table = {}
    for data in data_chain:
        flat = apply_runs({}, data)
        for k, v in flat.items():
            if v == NONE:
                table.pop(k, None)
            else:
                table[k] = v
    return table


def inverse(single, pairs):
    """The C++ side's first guess at the encoder: the first byte sequence (single bytes first,
    then pairs, each in ascending order) that decodes to a code point."""
    enc = {}
    for byte in range(0x80, 256):
        if single[byte] < ILLEGAL and single[byte] not in enc:
            enc[single[byte]] = byte
    for key in sorted(pairs):
        enc.setdefault(pairs[key], key)
    return enc


class Codec:
    def __init__(self, name):
        self.name = name
        self.single = single_table(name)
        self.pairs = pair_map(name, self.single)
        self.plane2 = pair_map(name, self.single, b"\x8f") if name == "euc_jp" else {}
        self.four_byte = gb18030_segments() if name == "gb18030" else []
        self.jamo = euc_kr_jamo() if name == "euc_kr" else None


def long_form(codec, cp):
    """The encoding the C++ side finds for a code point outside the 1- and 2-byte tables."""
    if codec.name == "euc_jp":
        return codec.plane2_encode.get(cp)
    if codec.name == "gb18030":
        if cp >= 0x10000:
            return gb18030_four(cp - 0x10000, 0x90)
        for lseq, first, count in codec.four_byte:
            if first <= cp < first + count:
                return gb18030_four(lseq + cp - first, 0x81)
        return None
    if codec.name == "euc_kr" and 0xAC00 <= cp <= 0xD7A3:
        cho, jung, jong = codec.jamo
        s = cp - 0xAC00
        return bytes([0xA4, 0xD4, 0xA4, cho[s // 588], 0xA4, jung[(s // 28) % 21], 0xA4,
                      jong[s % 28]])
    return None


def gb18030_four(value, first):
    b4 = value % 10 + 0x30
    value //= 10
    b3 = value % 126 + 0x81
    value //= 126
    b2 = value % 10 + 0x30
    value //= 10
    return bytes([value + first, b2, b3, b4])


def gb18030_segments():
    """[(first linear index, first code point, count)]: the four-byte forms of the BMP."""
    segments = []
    for lseq in range(39420):
        text = decode("gb18030", gb18030_four(lseq, 0x81))
        assert text is not None and len(text) == 1
        cp = ord(text)
        last = segments[-1] if segments else None
        if last and last[0] + last[2] == lseq and last[1] + last[2] == cp:
            segments[-1] = (last[0], last[1], last[2] + 1)
        else:
            segments.append((lseq, cp, 1))
    return segments


def euc_kr_jamo():
    """The KS X 1001 jamo bytes of the initial, medial and final of each hangul syllable in
    euc_kr's eight-byte form (final 0: the filler)."""
    def parts(cp):
        data = codecs.encode(chr(cp), "euc_kr")
        return data[3], data[5], data[7]
    cho, jung, jong = [None] * 19, [None] * 21, [None] * 28
    for s in range(11172):
        data = codecs.encode(chr(0xAC00 + s), "euc_kr")
        if len(data) != 8:
            continue
        c, v, t = data[3], data[5], data[7]
        for table, index, byte in ((cho, s // 588, c), (jung, (s // 28) % 21, v),
                                   (jong, s % 28, t)):
            assert table[index] in (None, byte)
            table[index] = byte
    assert None not in cho + jung + jong
    return cho, jung, jong


def encode_patches(codec, enc_single_pairs):
    """{code point: code (0: none)} so that the C++ encoder gives CPython's answer for every
    code point."""
    patches = {}
    for cp in range(0x80, 0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        wanted = encode(codec.name, chr(cp))
        guess = enc_single_pairs.get(cp) if cp <= 0xFFFF else None
        if guess is not None:
            got = bytes([guess]) if guess < 0x100 else guess.to_bytes(2, "big")
        else:
            got = long_form(codec, cp)
        if got == wanted:
            continue
        assert wanted is None or len(wanted) <= 2, (codec.name, hex(cp), wanted)
        patches[cp] = 0 if wanted is None else int.from_bytes(wanted, "big")
    return patches


def c_array(name, type_, values, per_line=12):
    lines = [f"constexpr {type_} {name}[] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("    " + ", ".join(f"0x{v:04X}" if type_ != "std::uint8_t" else f"0x{v:02X}"
                                          for v in values[i:i + per_line]) + ",")
    lines.append("};")
    return "\n".join(lines)


def write_codec(codec, base):
    pair_data = runs(patch(base.pairs if base else {}, codec.pairs), fill_gaps=base is None)
    body = [c_array("single", "std::uint16_t", codec.single),
            c_array("pairs", "std::uint16_t", pair_data or [0, 0])]
    sizes = {"single": 512, "pairs": 2 * len(pair_data)}
    full = materialize(([runs(base.pairs)] if base else []) + [pair_data])
    assert full == codec.pairs, codec.name
    if codec.plane2:
        plane2_data = runs(codec.plane2)
        body.append(c_array("plane2", "std::uint16_t", plane2_data))
        sizes["plane2"] = 2 * len(plane2_data)
        codec.plane2_encode = {}
        for key in sorted(codec.plane2):
            codec.plane2_encode.setdefault(codec.plane2[key], bytes([0x8F]) + key.to_bytes(2, "big"))
    if codec.four_byte:
        flat = [v for seg in codec.four_byte for v in (seg[0], seg[1])]
        body.append(c_array("four_byte", "std::uint16_t", flat))
        sizes["four_byte"] = 2 * len(flat)
        assert all(a[1] < b[1] for a, b in zip(codec.four_byte, codec.four_byte[1:]))
    if codec.jamo:
        for name, table in zip(("choseong", "jungseong", "jongseong"), codec.jamo):
            body.append(c_array(name, "std::uint8_t", table))
            sizes[name] = len(table)
    enc_guess = inverse(codec.single, codec.pairs)
    patches = encode_patches(codec, enc_guess)
    flat = []
    for cp in sorted(patches):
        assert cp <= 0xFFFF
        flat += [cp, patches[cp]]
    body.append(c_array("encode_patches", "std::uint16_t", flat or [0, 0]))
    sizes["encode_patches"] = 2 * len(flat)
    text = (f"// {codec.name}: generated by scripts/codec_tables/cjk.py from CPython "
            f"{sys.version.split()[0]}; do not edit.\n"
            f"// {sum(sizes.values())} bytes: " +
            ", ".join(f"{k} {v}" for k, v in sizes.items()) + "\n" +
            f"namespace {codec.name}_tables {{\n" + "\n".join(body) + f"\n}}  // namespace {codec.name}_tables\n")
    (OUT / f"{codec.name}.inc").write_text(text)
    print(codec.name, sum(sizes.values()), sizes, f"{len(patches)} encode patches")


def check_iso2022_jp(euc_jp):
    """iso2022_jp's JIS X 0208 is euc_jp's two-byte table with the high bits cleared."""
    for lead in range(0x21, 0x7F):
        for trail in range(0x21, 0x7F):
            for escape in (b"\x1b$B", b"\x1b$@"):
                text = decode("iso2022_jp", escape + bytes([lead, trail]))
                want = euc_jp.pairs.get(((lead | 0x80) << 8) | trail | 0x80)
                assert (ord(text) if text else None) == want, (hex(lead), hex(trail))
    for cp in range(0x80, 0x10000):
        data = encode("iso2022_jp", chr(cp))
        euc = encode("euc_jp", chr(cp))
        if euc is not None and len(euc) == 2 and euc[0] >= 0xA1:
            assert data == b"\x1b$B" + bytes([euc[0] & 0x7F, euc[1] & 0x7F]) + b"\x1b(B", hex(cp)
        elif cp in (0xA5, 0x203E):
            assert data == b"\x1b(J" + euc + b"\x1b(B"
        else:
            assert data is None, hex(cp)


def write_iso2022_jp_2_g2():
    """What iso2022_jp_2's single shift ESC N decodes the next byte to, with ISO-8859-1 ('A') or
    ISO-8859-7 ('F') designated to G2."""
    body = []
    for final, name in ((b"A", "g2_latin1"), (b"F", "g2_greek")):
        table = []
        for byte in range(256):
            text = decode("iso2022_jp_2", b"\x1b." + final + b"\x1bN" + bytes([byte]))
            table.append(ord(text) if text is not None and len(text) == 1 else NONE)
        body.append(c_array(name, "std::uint16_t", table))
    (OUT / "iso2022_jp_2.inc").write_text(
        f"// iso2022_jp_2: generated by scripts/codec_tables/cjk.py from CPython "
        f"{sys.version.split()[0]}; do not edit.\n// 1024 bytes: g2_latin1 512, g2_greek 512\n"
        "namespace iso2022_jp_2_tables {\n" + "\n".join(body) +
        "\n}  // namespace iso2022_jp_2_tables\n")


def main():
    assert sys.version_info[:2] == (3, 13), "run under CPython 3.13"
    built = {}
    for name, base in STATELESS.items():
        codec = Codec(name)
        for b in range(0x80):
            assert codec.single[b] == b
        built[name] = codec
        write_codec(codec, built[base] if base else None)
    check_iso2022_jp(built["euc_jp"])
    write_iso2022_jp_2_g2()


if __name__ == "__main__":
    main()
