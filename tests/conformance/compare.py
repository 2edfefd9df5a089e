#!/usr/bin/env python3
"""Differential conformance run: pysock-conform against CPython (conformance.md).

Feeds the same scenarios to the reference (reference.py under CPython 3.13) and to the
implementation under test, compares the answers as parsed JSON, prints every mismatch and ends
with the line ``N passed, M failed``.

    compare.py --impl build/release/tests/pysock-conform --corpus nasty.jsonl \\
               --generate 2000 --seed 1

The reference interpreter is $PYSOCK_PYTHON when set, else CPython 3.13 when installed, else
python3; under 3.11 or 3.12 reference.py emulates the four known differences (cpython313.py).
The line before the last says which interpreter answered and what it emulated:
``REFERENCE CPython 3.11.2 (/usr/bin/python3), 3.13 emulation on: gh-80109, ...``.

Exit status: 0 when every scenario matched, 1 on any mismatch (including a crashed or silent
implementation), 2 when the reference itself failed (a harness problem), 77 when
--require-313 finds no CPython 3.13 (a skip, with the reason on the last line).  With
--expect-mismatch (the harness's own self-test) the first two are swapped: 0 only when at least
one mismatch was found.

The environment variables PYSOCK_CONFORM_SEED and PYSOCK_CONFORM_COUNT override --seed and
--generate, so a CTest run can be re-seeded without reconfiguring.

--tls-dir DIR hands the certificates of the TLS scenarios (conformance.md "TLS scenarios") to
both sides; --tls additionally runs every scenario of the corpus and of the generator over TLS.

Deliberate differences go in allowlist.json next to this script (see the comment there).
"""

import argparse
import builtins
import concurrent.futures
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402  (sibling module)

REFERENCE_VERSION = "3.13.0"
BATCH_TIMEOUT = 300  # seconds for one batch of one process; a hung process is killed
TEXT_CLASSES = {"ValueError", "UnsupportedOperation", "LookupError", "UnicodeError",
                "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeTranslateError"}
OSERROR_CLASSES = {cls.__name__ for cls in vars(builtins).values()
                   if isinstance(cls, type) and issubclass(cls, OSError)}
OSERROR_CLASSES |= {"timeout", "gaierror", "herror", "UnsupportedOperation"}
# The ssl module's OSError family (compare.py itself needs no ssl module to know them).
OSERROR_CLASSES |= {"SSLError", "SSLZeroReturnError", "SSLWantReadError", "SSLWantWriteError",
                    "SSLSyscallError", "SSLEOFError", "SSLCertVerificationError"}
ERRNO_PREFIX = re.compile(r"^\[Errno -?\d+\]")
# CPython's TLS messages name the line of _ssl.c that raised them; pysock's name none.
SSL_SOURCE_LOCATION = re.compile(r"^_ssl\.c:\d+: | \(_ssl\.c:\d+\)$")
HARNESS_CLASSES = {"HarnessTimeout", "ProtocolError"}
SKIPPED = 77  # exit status CTest's SKIP_RETURN_CODE maps to "skipped"


# --- running the two sides -------------------------------------------------------------------

def reference_python():
    """The reference interpreter: $PYSOCK_PYTHON when set, else CPython 3.13 (found as
    PYENV_VERSION=3.13.0 python3.13), else python3."""
    forced = os.environ.get("PYSOCK_PYTHON")
    if forced:
        return shutil.which(forced) or forced
    env = dict(os.environ, PYENV_VERSION=REFERENCE_VERSION)
    python = shutil.which("python3.13", path=env.get("PATH"))
    if python:
        probe = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[:2] == (3, 13), sys.executable)"],
            env=env, capture_output=True, text=True, timeout=60)
        verdict, _, executable = probe.stdout.strip().partition(" ")
        if probe.returncode == 0 and verdict == "True":
            return executable
    return shutil.which("python3") or sys.executable


def reference_description(ref_command):
    """What reference.py --describe says about the interpreter and its emulation."""
    done = subprocess.run(ref_command + ["--describe"], capture_output=True, text=True,
                          timeout=60)
    if done.returncode != 0:
        raise SystemExit(f"reference.py --describe failed: {done.stderr.strip()}")
    return done.stdout.strip()


def run_batch(command, batch):
    """Run one process over a batch; returns (answer lines, problem text or None)."""
    payload = "".join(json.dumps(spec, ensure_ascii=True) + "\n" for _, spec in batch)
    try:
        done = subprocess.run(command, input=payload, capture_output=True, text=True,
                              timeout=BATCH_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return out.splitlines(), f"killed after {BATCH_TIMEOUT} s"
    except OSError as exc:
        return [], f"cannot run {command[0]}: {exc}"
    problem = None
    if done.returncode != 0:
        problem = f"exit status {done.returncode}; stderr: {done.stderr[-2000:].strip()}"
    return done.stdout.splitlines(), problem


def run_side(pool, command, batches):
    """Submit every batch of one side; returns the futures in batch order."""
    return [pool.submit(run_batch, command, batch) for batch in batches]


def collect(futures, batches, total, label):
    """Answers indexed like the scenarios (None where missing) and the problems seen."""
    answers, problems = [None] * total, []
    for future, batch in zip(futures, batches):
        lines, problem = future.result()
        if problem:
            problems.append(f"{label}: {problem}")
        if len(lines) < len(batch):
            problems.append(f"{label}: {len(lines)} answer lines for {len(batch)} scenarios "
                            f"(first unanswered: {batch[len(lines)][1].get('id')})")
        elif len(lines) > len(batch):
            problems.append(f"{label}: {len(lines)} answer lines for {len(batch)} scenarios")
        for (index, _), line in zip(batch, lines):
            answers[index] = parse_answer(line)
    return answers, problems


def parse_answer(line):
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return {"unparsable": line[:500]}


# --- comparing -------------------------------------------------------------------------------

def text_counts(result):
    """Whether an error's message is part of the contract."""
    cls, message = result.get("error"), str(result.get("message", ""))
    if cls in TEXT_CLASSES or cls in HARNESS_CLASSES:
        return True
    return cls in OSERROR_CLASSES and not ERRNO_PREFIX.match(message)


def normalize(result):
    """The comparable part of a makefile or op result."""
    if not isinstance(result, dict) or "error" not in result:
        return result
    if not text_counts(result):
        return {"error": result["error"]}
    return {"error": result["error"],
            "message": SSL_SOURCE_LOCATION.sub("", str(result.get("message", "")))}


def differences(spec, ref, impl):
    """List of (location, reference part, implementation part) where the answers differ."""
    if not isinstance(impl, dict) or impl.get("id") != ref.get("id") or "unparsable" in impl:
        return [("answer", ref, impl)]
    found = []
    if normalize(ref.get("makefile")) != normalize(impl.get("makefile")):
        found.append(("makefile", ref.get("makefile"), impl.get("makefile")))
    ref_results, impl_results = ref.get("results", []), impl.get("results")
    if not isinstance(impl_results, list) or len(impl_results) != len(ref_results):
        found.append(("results", ref_results, impl_results))
    else:
        for index, (mine, theirs) in enumerate(zip(ref_results, impl_results)):
            if normalize(mine) != normalize(theirs):
                found.append((index, mine, theirs))
    if ref.get("peer") != impl.get("peer"):
        found.append(("peer", ref.get("peer"), impl.get("peer")))
    return found


def reference_problem(ref):
    """Why a reference answer is unusable, or None."""
    if ref is None:
        return "no reference answer"
    if "harness_error" in ref or "unparsable" in ref:
        return json.dumps(ref)
    for result in ref.get("results", []):
        if result.get("error") in HARNESS_CLASSES:
            return f"{result['error']}: {result.get('message')}"
    return None


# --- allow-list ------------------------------------------------------------------------------

def load_allowlist(path):
    """Entries {"id": fnmatch pattern, "op": index|op name|"makefile"|"peer"|"*", "reason"}."""
    if not path or not Path(path).exists():
        return []
    entries = json.loads(Path(path).read_text())["entries"]
    for entry in entries:
        if not entry.get("reason") or "id" not in entry or "op" not in entry:
            raise SystemExit(f"allow-list entry needs id, op and reason: {entry}")
    return entries


def allowed(entries, spec, location):
    """The allow-list entry covering this difference, or None."""
    ops = spec.get("ops", [])
    names = {location, "*"}
    if isinstance(location, int) and location < len(ops):
        names.add(ops[location][0])
    for entry in entries:
        if fnmatch.fnmatchcase(str(spec.get("id")), entry["id"]) and entry["op"] in names:
            return entry
    return None


# --- reporting -------------------------------------------------------------------------------

def describe(spec, location):
    ops = spec.get("ops", [])
    if isinstance(location, int) and location < len(ops):
        return f"op {location} {json.dumps(ops[location], ensure_ascii=True)}"
    return str(location)


def report(spec, diffs, label):
    print(f"MISMATCH {spec.get('id')}")
    for location, ref, impl in diffs:
        print(f"  at {describe(spec, location)}")
        print(f"    reference: {json.dumps(ref, ensure_ascii=True)}")
        print(f"    {label + ':':<10} {json.dumps(impl, ensure_ascii=True)}")
    print(f"  scenario: {json.dumps(spec, ensure_ascii=True)}")


# --- main ------------------------------------------------------------------------------------

def load_scenarios(corpora, count, seed, tls):
    """The corpora's scenarios, then the generated ones; with tls, every one over TLS."""
    scenarios = []
    for corpus in corpora:
        for number, line in enumerate(Path(corpus).read_text().splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("//"):
                try:
                    scenarios.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{corpus}:{number}: {exc}") from exc
    scenarios += generate(count, seed) if count else []
    if tls:
        scenarios = [dict(spec, tls=True) for spec in scenarios]
    return scenarios


def impl_words(impl, python):
    """The implementation's command: a path to a program, or shell words with placeholders."""
    if Path(impl).is_file():
        return [impl]
    placeholders = {"{python}": python, "{reference}": str(HERE / "reference.py")}
    return [placeholders.get(word, word) for word in shlex.split(impl)]


def parse_args():
    parser = argparse.ArgumentParser(description="Compare pysock-conform with CPython.")
    parser.add_argument("--impl", required=True,
                        help="the implementation under test: a program, or shell words where "
                        "{python} and {reference} stand for the reference interpreter and "
                        "reference.py")
    parser.add_argument("--corpus", nargs="*", default=[], help="JSON-lines scenario files")
    parser.add_argument("--generate", type=int, default=0, help="generated scenarios to add")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--tls-dir", help="certificates for TLS scenarios (ca.pem, server.pem, "
                        "server.key), passed to both sides")
    parser.add_argument("--tls", action="store_true",
                        help='run every scenario over TLS (sets "tls": true; needs --tls-dir)')
    parser.add_argument("--jobs", type=int, default=4, help="batches run at once per side")
    parser.add_argument("--allowlist", default=str(HERE / "allowlist.json"))
    parser.add_argument("--expect-mismatch", action="store_true",
                        help="self-test: succeed only if some scenario fails")
    parser.add_argument("--max-report", type=int, default=40,
                        help="mismatching scenarios printed in full")
    parser.add_argument("--require-313", action="store_true",
                        help="skip (exit status 77) unless the reference is CPython 3.13")
    args = parser.parse_args()
    args.seed = int(os.environ.get("PYSOCK_CONFORM_SEED", args.seed))
    args.generate = int(os.environ.get("PYSOCK_CONFORM_COUNT", args.generate))
    if args.tls and not args.tls_dir:
        parser.error("--tls needs --tls-dir")
    return args


def run_both(args, scenarios, python, ref_command):
    """Run reference and implementation over the same batches, all batches at once."""
    impl_command = impl_words(args.impl, python)
    if args.tls_dir:
        ref_command += ["--tls-dir", args.tls_dir]
        impl_command += ["--tls-dir", args.tls_dir]
    jobs = max(1, min(args.jobs, len(scenarios)))
    # Round-robin batches spread the slow (timeout) scenarios evenly.
    batches = [list(enumerate(scenarios))[start::jobs] for start in range(jobs)]
    print(f"{len(scenarios)} scenarios (generated {args.generate}, seed {args.seed}"
          f"{', all over TLS' if args.tls else ''}), {jobs} batches per side", flush=True)
    with concurrent.futures.ThreadPoolExecutor(2 * jobs) as pool:
        ref_futures = run_side(pool, ref_command, batches)
        impl_futures = run_side(pool, impl_command, batches)
        ref_answers, ref_problems = collect(ref_futures, batches, len(scenarios), "reference")
        impl_answers, impl_problems = collect(impl_futures, batches, len(scenarios),
                                              "implementation")
    for problem in ref_problems + impl_problems:
        print(f"PROBLEM {problem}")
    return ref_answers, impl_answers, bool(impl_problems)


class Tally:
    """Counts and prints the verdict of every scenario."""

    def __init__(self, entries, max_report):
        self.entries, self.max_report = entries, max_report
        self.passed = self.failed = self.reported = self.allowed = 0
        self.broken_reference = False
        self.used_entries = set()

    def add(self, spec, ref, impl):
        problem = reference_problem(ref)
        if problem:
            print(f"REFERENCE FAILED {spec.get('id')}: {problem}")
            self.broken_reference, self.failed = True, self.failed + 1
            return
        diffs = [diff for diff in differences(spec, ref, impl) if not self.allow(spec, diff)]
        if not diffs:
            self.passed += 1
            return
        self.failed += 1
        if self.reported < self.max_report:
            report(spec, diffs, "pysock")
            self.reported += 1

    def allow(self, spec, diff):
        entry = allowed(self.entries, spec, diff[0])
        if entry is not None:
            self.allowed += 1
            self.used_entries.add(id(entry))
        return entry is not None

    def summary(self):
        if self.failed > self.reported:
            print(f"... {self.failed - self.reported} more mismatching scenarios not shown "
                  "(--max-report)")
        if self.entries:
            print(f"{self.allowed} differences allowed by the allow-list; "
                  f"{len(self.entries) - len(self.used_entries)} entries unused")
        print(f"{self.passed} passed, {self.failed} failed")


def main():
    args = parse_args()
    python = reference_python()
    ref_command = [python, "-I", str(HERE / "reference.py")]
    reference = reference_description(ref_command)
    if args.require_313 and not reference.startswith("CPython 3.13."):
        print(f"SKIP: needs CPython 3.13 as the reference, found {reference}")
        return SKIPPED
    scenarios = load_scenarios(args.corpus, args.generate, args.seed, args.tls)
    tally = Tally(load_allowlist(args.allowlist), args.max_report)
    ref_answers, impl_answers, impl_broken = run_both(args, scenarios, python, ref_command)
    for spec, ref, impl in zip(scenarios, ref_answers, impl_answers):
        tally.add(spec, ref, impl)
    print(f"REFERENCE {reference}")
    tally.summary()
    if tally.broken_reference:
        return 2
    mismatch = bool(tally.failed or impl_broken)
    return int(mismatch != args.expect_mismatch)


if __name__ == "__main__":
    sys.exit(main())
