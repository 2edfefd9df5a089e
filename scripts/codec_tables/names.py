r"""Writes src/io/codec/name_tables.inc: the names CPython 3.13's namereplace error handler
writes, for pysock's. They are unicodedata's character names (Unicode 15.1), and also, since
CPython looks names up with its aliases and named sequences, which it keeps at private-use code
points U+F0000..U+F03CC, those names for those code points (U+F0000 is written \N{NULL}).

Names that follow a rule are not stored: Hangul syllables (from the jamo short names, which are
derived here from the syllables' own names) and every run of code points named PREFIX-XXXX after
their own hex value (CJK unified and compatibility ideographs, Tangut, Khitan, Nushu): those runs
are stored as (first, last, prefix). Every other name is a sequence of words from a lexicon:
a word count byte, then each word's index (1 byte below 0xC0; else 2 bytes, 0xC0 + high, low),
the most frequent words first. Named code points come as runs (first, count); every 32nd name's
offset is kept, so a lookup skips at most 31 names.
"""
import collections
import unicodedata

from . import chunked_bytes, require_cpython_313, numbers, write_inc

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
CHECKPOINT = 32
ONE_BYTE = 0xC0


def jamo_names():
    """The short names of the leading consonants, vowels and trailing consonants, read off the
    syllables' names: GA..HA give the consonants (vowel A), IEUNG + vowel the vowels, GA + tail
    the tails."""
    def syllable(lead, vowel, tail):
        return unicodedata.name(chr(HANGUL_FIRST + (lead * 21 + vowel) * 28 + tail))[16:]
    leads = [syllable(l, 0, 0)[:-1] for l in range(19)]
    vowels = [syllable(11, v, 0) for v in range(21)]  # lead 11 (IEUNG) has an empty name
    tails = [""] + [syllable(0, 0, t)[2:] for t in range(1, 28)]
    assert leads[11] == "" and all(syllable(l, v, t) == leads[l] + vowels[v] + tails[t]
                                   for l in range(19) for v in range(21) for t in range(28))
    return leads, vowels, tails


def hex_rule(code_point, name):
    """The prefix when `name` is PREFIX-XXXX with the code point's own hex value."""
    prefix, _, number = name.rpartition("-")
    return prefix if prefix and number == f"{code_point:04X}" else None


def name_of(code_point):
    """What namereplace writes between the braces for the code point, or None."""
    if code_point < 0x80:  # encodable in ASCII: ask unicodedata
        return unicodedata.name(chr(code_point), None)
    written = chr(code_point).encode("ascii", "namereplace").decode()
    return written[3:-1] if written.startswith("\\N{") else None


def main():
    require_cpython_313()
    stored, rules = [], []  # rules: [first, last, prefix]
    for code_point in range(0x110000):
        name = name_of(code_point)
        if name is None or HANGUL_FIRST <= code_point <= HANGUL_LAST:
            continue
        prefix = hex_rule(code_point, name)
        if prefix and rules and rules[-1][1] == code_point - 1 and rules[-1][2] == prefix:
            rules[-1][1] = code_point
        elif prefix and (name_of(code_point + 1) or "").startswith(prefix + "-"):
            rules.append([code_point, code_point, prefix])
        else:
            stored.append((code_point, name))
    counts = collections.Counter(word for _, name in stored for word in name.split(" "))
    words = [w for w, _ in counts.most_common()]
    assert len(words) < ONE_BYTE + (0x100 - ONE_BYTE) * 0x100
    index = {w: i for i, w in enumerate(words)}
    data, checkpoints, runs = bytearray(), [], []
    for ordinal, (code_point, name) in enumerate(stored):
        if ordinal % CHECKPOINT == 0:
            checkpoints.append(len(data))
        if runs and runs[-1][0] + runs[-1][1] == code_point:
            runs[-1][1] += 1
        else:
            runs.append([code_point, 1])
        parts = name.split(" ")
        data.append(len(parts))
        for part in parts:
            i = index[part]
            data += bytes([i]) if i < ONE_BYTE else bytes([ONE_BYTE + ((i - ONE_BYTE) >> 8),
                                                           (i - ONE_BYTE) & 0xFF])
    lexicon = "".join(chr(len(w)) + w for w in words).encode()
    leads, vowels, tails = jamo_names()
    jamo = lambda names: "{" + ", ".join(f'"{n}"' for n in names) + "}"
    body = [f"inline constexpr std::string_view hangul_leads[] = {jamo(leads)};",
            f"inline constexpr std::string_view hangul_vowels[] = {jamo(vowels)};",
            f"inline constexpr std::string_view hangul_tails[] = {jamo(tails)};",
            "// {first, last, prefix}: U+first..U+last are named PREFIX-XXXX.",
            "inline constexpr hex_named_range hex_named_ranges[] = {"]
    body += [f'    {{0x{a:04X}, 0x{b:04X}, "{p}"}},' for a, b, p in rules]
    body += ["};", "// {first, count}: the runs of code points with a stored name.",
             "inline constexpr named_run named_runs[] = {"]
    body += [f"    {{0x{a:X}, {n}}}," for a, n in runs]
    body += ["};", f"// The offset in name_data of stored names 0, {CHECKPOINT}, {2 * CHECKPOINT}, ...",
             f"inline constexpr std::size_t name_checkpoint = {CHECKPOINT};",
             "inline constexpr std::uint32_t name_checkpoints[] = {"]
    body += numbers(checkpoints, per_line=12)
    body += ["};", "// Each word: its length byte, then its letters."]
    body += chunked_bytes("name_lexicon", lexicon)
    body += ["// Each name: its word count, then each word's index.",
             f"inline constexpr std::uint8_t name_one_byte_limit = 0x{ONE_BYTE:X};"]
    body += chunked_bytes("name_data", bytes(data))
    size = (len(lexicon) + len(data) + 4 * len(checkpoints) + 8 * len(runs) + 24 * len(rules)
            + sum(len(n) for n in leads + vowels + tails))
    write_inc("name_tables.inc", "names.py",
              [f"Unicode {unicodedata.unidata_version}: {len(stored)} stored names "
               f"({len(words)} words), {len(rules)} ranges named by hex value, Hangul by rule;",
               f"about {size} bytes of data."], body)


if __name__ == "__main__":
    main()
