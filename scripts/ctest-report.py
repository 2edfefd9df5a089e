#!/usr/bin/env python3
"""What a CTest run left unproved, for the end of scripts/test: which CPython answered the
differential tests (their "REFERENCE ..." lines) and every skipped test with its reason (the
"SKIP: ..." line or GoogleTest's GTEST_SKIP() message).

    ctest-report.py JUNIT_XML      # the file `ctest --output-junit` wrote

Prints nothing for a run with no differential test and no skip.
"""

import re
import sys
import xml.etree.ElementTree as ElementTree

# GoogleTest prints "file:line: Skipped", the message, then "[  SKIPPED ] Name".
GTEST_SKIP = re.compile(r": Skipped\n(.*?)\n\[  SKIPPED \]", re.S)
SCRIPT_SKIP = re.compile(r"^SKIP: (.*)$", re.M)
REFERENCE = re.compile(r"^REFERENCE (.*)$", re.M)


def skip_reason(output, fallback):
    """The reason a test printed for skipping itself."""
    found = GTEST_SKIP.search(output) or SCRIPT_SKIP.search(output)
    return " ".join(found.group(1).split()) if found else fallback


def main(path):
    references, skips = [], []
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name, output = case.get("name"), case.findtext("system-out") or ""
        skipped = case.find("skipped")
        if skipped is not None:
            skips.append((name, skip_reason(output, skipped.get("message", "no reason given"))))
        references += [(name, line) for line in REFERENCE.findall(output)]
    for line in dict.fromkeys(line for _, line in references):
        names = [name for name, said in references if said == line]
        print(f"CPython reference: {line} ({', '.join(names)})")
    if skips:
        print(f"{len(skips)} tests skipped:")
        for name, reason in sorted(skips):
            print(f"  {name}: {reason}")
    elif references:
        print("No test skipped.")


if __name__ == "__main__":
    main(sys.argv[1])
