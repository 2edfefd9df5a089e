#!/usr/bin/env python3
"""The layering rules of design.md ("Layers"), checked on the sources.

  check.py io-headers CXX SOURCE_DIR   every include/pysock/io header compiles alone and pulls in
                                       no pysock header outside the io stack but error.hpp, and
                                       no <filesystem> (what socket.hpp used to drag in)
  check.py graph SOURCE_DIR            every #include "pysock/..." in the headers and sources
                                       goes down the layer graph below, never up or sideways
  check.py no-rtti CXX SOURCE_DIR      the io sources compile with -fno-rtti
"""
import pathlib
import re
import subprocess
import sys
import tempfile

# Each layer and the layers it builds on directly (design.md: socket <- net; socket <- ssl;
# socket <- selectors; raw <- buffered <- text <- file <- makefile; finalize alone). A layer may
# include what it builds on, directly or through others, and nothing else.
LAYERS = {
    "version": [],
    "error": [],
    "finalize": [],
    "address": ["error"],
    "socket": ["address", "finalize"],
    "net": ["socket"],
    "ssl": ["socket", "makefile"],
    "selectors": ["socket"],
    "io/raw": ["error"],
    "io/lending": [],  # io/detail/lending.hpp: the streambuf's contract with the readers
    "io/buffered": ["io/raw", "io/lending"],
    "io/codec": ["error"],
    "io/text": ["io/buffered", "io/codec"],
    "io/file": ["io/text"],
    "io/streambuf": ["io/file"],
    "makefile": ["io/file", "socket"],
}
# Sources not named after their layer.
SOURCE_LAYERS = {"src/sendfile.cpp": "socket"}
UMBRELLA = "include/pysock/pysock.hpp"
INCLUDE = re.compile(r'^\s*#\s*include\s+[<"]([^>"]+)[>"]', re.M)


def below(layer):
    """The layers `layer` may include: itself and everything it builds on."""
    seen, todo = {layer}, [layer]
    while todo:
        for lower in LAYERS[todo.pop()]:
            if lower not in seen:
                seen.add(lower)
                todo.append(lower)
    return seen


def public_layer(header):
    """The layer of a public header named as included ("pysock/io/raw.hpp" -> "io/raw")."""
    name = header.removeprefix("pysock/").removesuffix(".hpp")
    return "io/lending" if name == "io/detail/lending" else name


def source_layer(path):
    """The layer a file under include/ or src/ belongs to; None for src/detail/ helpers."""
    if path in SOURCE_LAYERS:
        return SOURCE_LAYERS[path]
    if path.startswith("include/"):
        return public_layer(path.removeprefix("include/"))
    parts = pathlib.PurePosixPath(path.removeprefix("src/")).parts
    if parts[0] == "detail":
        return None
    if parts[0] == "io":
        return "io/" + pathlib.PurePosixPath(parts[1]).stem
    return pathlib.PurePosixPath(parts[0]).stem


def pysock_includes(root, path, seen=None):
    """The public pysock headers `path` includes, through the private src/ headers it includes."""
    seen = set() if seen is None else seen
    found = []
    for name in INCLUDE.findall((root / path).read_text()):
        if name.startswith("pysock/"):
            found.append(name)
        elif (root / "src" / name).is_file() and name not in seen:  # a private header
            seen.add(name)
            found += pysock_includes(root, "src/" + name, seen)
    return found


def check_graph(root):
    files = [p.relative_to(root).as_posix() for d in ("include", "src")
             for p in sorted((root / d).rglob("*")) if p.suffix in (".hpp", ".cpp")]
    errors = []
    for path in files:
        if path == UMBRELLA or path.endswith("version.hpp"):
            continue
        layer = source_layer(path)
        if layer is None:
            continue  # a private helper: checked where it is included
        if layer not in LAYERS:
            errors.append(f"{path}: layer '{layer}' is not in LAYERS (tests/layering/check.py)")
            continue
        allowed = below(layer)
        for header in pysock_includes(root, path):
            target = public_layer(header)
            if target not in allowed:
                errors.append(f"{path} ({layer}) includes {header} ({target}): not below it")
    return errors, len(files)


def compile_alone(cxx, root, header, flags, deps):
    source = f'#include "{header}"\n'
    return subprocess.run(
        [cxx, "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
         f"-I{root / 'include'}", f"-I{root / 'src'}", *flags, "-MD", "-MF", deps,
         "-x", "c++", "-"], input=source, text=True, capture_output=True)


def check_io_headers(cxx, root):
    errors = []
    headers = sorted(p.relative_to(root / "include").as_posix()
                     for p in (root / "include/pysock/io").rglob("*.hpp"))
    with tempfile.TemporaryDirectory() as tmp:
        deps = f"{tmp}/deps.d"
        for header in headers:
            result = compile_alone(cxx, root, header, [], deps)
            if result.returncode != 0:
                errors.append(f"{header} does not compile alone:\n{result.stderr}")
                continue
            pulled = pathlib.Path(deps).read_text().replace("\\\n", " ").split()[1:]
            for dep in pulled:
                if dep.endswith("/filesystem"):
                    errors.append(f"{header} pulls in <filesystem>")
                match = re.search(r"include/(pysock/.*)$", dep)
                if match and not match[1].startswith("pysock/io/") and \
                        match[1] != "pysock/error.hpp":
                    errors.append(f"{header} pulls in {match[1]}, outside the io stack")
    return errors, len(headers)


def check_no_rtti(cxx, root):
    errors = []
    sources = sorted((root / "src/io").rglob("*.cpp"))
    for source in sources:
        result = subprocess.run(
            [cxx, "-std=c++20", "-fsyntax-only", "-fno-rtti", f"-I{root / 'include'}",
             f"-I{root / 'src'}", str(source)], text=True, capture_output=True)
        if result.returncode != 0:
            errors.append(f"{source.relative_to(root)} needs RTTI:\n{result.stderr}")
    return errors, len(sources)


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "graph":
        errors, count = check_graph(pathlib.Path(args[0]))
    elif command == "io-headers":
        errors, count = check_io_headers(args[0], pathlib.Path(args[1]))
    elif command == "no-rtti":
        errors, count = check_no_rtti(args[0], pathlib.Path(args[1]))
    else:
        sys.exit(f"unknown command {command}")
    if count == 0:
        errors.append("nothing was checked")
    for error in errors:
        print("FAIL:", error)
    if errors:
        return 1
    print(f"ok: {count} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
