#!/usr/bin/env python3
"""Smoke run of pysock-echo-server as the W9 harness drives it: a listening socket handed over
with --listen-fd, "ready", C clients doing M ping-pong round trips of S bytes (every byte
checked), "stop" on stdin, then one JSON line whose counts must match.

smoke_echo_server.py PROGRAM
"""
import json
import os
import socket
import subprocess
import sys
import threading

CLIENTS, MESSAGES, SIZE = 20, 50, 64


def client(port, index, errors):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            for n in range(MESSAGES):
                message = bytes((index * 31 + n + i) % 256 for i in range(SIZE))
                conn.sendall(message)
                back = b""
                while len(back) < SIZE:
                    chunk = conn.recv(SIZE - len(back))
                    if not chunk:
                        raise RuntimeError("early EOF")
                    back += chunk
                if back != message:
                    raise RuntimeError(f"mismatch in message {n}")
    except Exception as e:  # reported by the main thread
        errors.append(f"client {index}: {e!r}")


def main(program):
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    os.set_inheritable(listener.fileno(), True)
    command = [program, "--clients", str(CLIENTS), "--messages", str(MESSAGES), "--size",
               str(SIZE), "--listen-fd", str(listener.fileno())]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            pass_fds=[listener.fileno()])
    port = listener.getsockname()[1]
    listener.close()
    try:
        assert proc.stdout.readline().strip() == "ready"
        errors = []
        threads = [threading.Thread(target=client, args=(port, i, errors)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        proc.stdin.write("stop\n")
        proc.stdin.flush()
        result = json.loads(proc.stdout.readline())
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    expected = {"server": "pysock-echo-server", "connections": CLIENTS,
                "bytes": CLIENTS * MESSAGES * SIZE}
    got = {key: result.get(key) for key in expected}
    if errors or got != expected or proc.returncode != 0:
        print(f"expected {expected}, got {result} (exit {proc.returncode}); errors: {errors}")
        return 1
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
