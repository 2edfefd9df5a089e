#!/usr/bin/env python3
"""Smoke run of a benchmark program with tiny sizes, checking its answer.

smoke.py reader PROGRAM ARGS...  -- sends lines of several sizes, checks lines/bytes/xor
smoke.py writer PROGRAM ARGS...  -- sends "go", counts the bytes, checks the count
"""
import json
import socket
import subprocess
import sys
import threading


def run(kind, program, args):
    mine, theirs = socket.socketpair()
    command = [program, *args, "--fd", str(theirs.fileno())]
    if kind == "writer":
        command += ["--count", "1000", "--msg-size", "16"]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            pass_fds=[theirs.fileno()], text=True)
    theirs.close()
    assert proc.stdout.readline().strip() == "ready"
    if kind == "reader":
        lines = [bytes([65 + i % 26]) + b"x" * (i % 300) + b"\n" for i in range(5000)]
        lines.append(b"last line without newline")
        sender = threading.Thread(target=lambda: (mine.sendall(b"".join(lines)),
                                                  mine.shutdown(socket.SHUT_WR)))
        sender.start()
        result = json.loads(proc.stdout.readline())
        sender.join(30)
        xor = 0
        for line in lines:
            xor ^= line[0]
        expected = {"lines": len(lines), "bytes": sum(map(len, lines)), "xor": xor}
    else:
        proc.stdin.write("go\n")
        proc.stdin.flush()
        mine.settimeout(30)
        received = 0
        while chunk := mine.recv(65536):
            received += len(chunk)
        result = json.loads(proc.stdout.readline())
        result["received"] = received
        expected = {"bytes": 16000, "received": 16000}
    proc.wait(30)
    mine.close()
    got = {key: result.get(key) for key in expected}
    if got != expected or proc.returncode != 0:
        print(f"expected {expected}, got {result} (exit {proc.returncode})")
        return 1
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], sys.argv[2], sys.argv[3:]))
