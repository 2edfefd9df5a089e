#!/usr/bin/env python3
"""Smoke run of a benchmark program with tiny sizes, checking its answer.

smoke.py reader PROGRAM ARGS...  -- sends lines of several sizes, checks lines/bytes/xor
smoke.py writer PROGRAM ARGS...  -- sends "go", counts the bytes, checks the count
smoke.py tls-reader CERTS PROGRAM ARGS...  -- the reader's lines from a TLS server (Python's
    ssl with CERTS/server.pem), ended by close_notify; the program gets --tls --cafile
    CERTS/ca.pem --server-name localhost, as in the harness's W6
"""
import json
import os
import socket
import ssl
import subprocess
import sys
import threading


def send_lines(mine, data, tls_certs):
    if not tls_certs:
        mine.sendall(data)
        mine.shutdown(socket.SHUT_WR)
        return
    # The reader handshakes before it says "ready", so the server side must run meanwhile.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(tls_certs, "server.pem"),
                            os.path.join(tls_certs, "server.key"))
    tls = context.wrap_socket(mine, server_side=True)
    tls.sendall(data)
    try:
        tls.unwrap()  # close_notify; the reader exits without answering it
    except (ssl.SSLError, OSError):
        pass


def run(kind, program, args):
    tls_certs = None
    if kind == "tls-reader":
        tls_certs, program, args = program, args[0], args[1:]
        args += ["--tls", "--cafile", os.path.join(tls_certs, "ca.pem"),
                 "--server-name", "localhost"]
        kind = "reader"
    mine, theirs = socket.socketpair()
    mine.settimeout(30)
    command = [program, *args, "--fd", str(theirs.fileno())]
    if kind == "writer":
        command += ["--count", "1000", "--msg-size", "16"]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            pass_fds=[theirs.fileno()], text=True)
    theirs.close()
    if kind == "reader":
        lines = [bytes([65 + i % 26]) + b"x" * (i % 300) + b"\n" for i in range(5000)]
        lines.append(b"last line without newline")
        sender = threading.Thread(target=send_lines, args=(mine, b"".join(lines), tls_certs))
        sender.start()
    assert proc.stdout.readline().strip() == "ready"
    if kind == "reader":
        result = json.loads(proc.stdout.readline())
        sender.join(30)
        xor = 0
        for line in lines:
            xor ^= line[0]
        expected = {"lines": len(lines), "bytes": sum(map(len, lines)), "xor": xor}
        if tls_certs:
            expected["tls_version"] = "TLSv1.3"
    else:
        proc.stdin.write("go\n")
        proc.stdin.flush()
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
