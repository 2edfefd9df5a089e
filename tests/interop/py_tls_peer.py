#!/usr/bin/env python3
"""CPython's side of the TLS interop tests: tls_peer's command line and command protocol
(tests/interop/tls_peer.cpp) over CPython's ssl module, so test_tls_interop.py can pair any
client with any server and compare pysock's answers with CPython's.

    py_tls_peer.py client HOST PORT [options] | py_tls_peer.py server [options]

Beyond tls_peer: the server's handshake line also names the SNI it received ("sni"), and the
command ``sendlines N`` sends N lines of 100 bytes with one sendall per 10 000 lines and
answers {"sent": BYTES, "lines": N, "sha256": HEX} (the 100 MB test's writer).

``server --memory-bio`` speaks TLS through ssl.MemoryBIO on a raw socket (tls.md I5), so it
controls where the record bytes are cut: ``sendsplit TEXT`` writes the one record of TEXT in
three pieces, 0.2 s apart; ``truncate TEXT`` writes half of its record, then closes the socket.
"""

import argparse
import base64
import hashlib
import json
import socket
import ssl
import sys
import time

LINES_PER_BLOCK = 10_000


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def error(exc):
    return {"error": type(exc).__name__, "message": str(exc)}


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("client", "server"))
    parser.add_argument("address", nargs="*")
    parser.add_argument("--cafile")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--hostname")
    parser.add_argument("--alpn")
    parser.add_argument("--tls", choices=("1.2", "1.3"))
    parser.add_argument("--strict-eofs", action="store_true")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--memory-bio", action="store_true")
    return parser.parse_args()


def make_context(args, sni_seen):
    if args.mode == "client":
        ctx = ssl.create_default_context(cafile=args.cafile)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if args.cafile:
            ctx.load_verify_locations(args.cafile)
            ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.sni_callback = lambda sock, name, context: sni_seen.append(name)
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    if args.alpn:
        ctx.set_alpn_protocols(args.alpn.split(","))
    if args.tls:
        version = ssl.TLSVersion.TLSv1_2 if args.tls == "1.2" else ssl.TLSVersion.TLSv1_3
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


def connect(args, ctx):
    host, port = args.address
    sock = socket.create_connection((host, int(port)), timeout=args.timeout)
    return ctx.wrap_socket(sock, server_hostname=args.hostname or host,
                           suppress_ragged_eofs=not args.strict_eofs)


def accept(args, ctx):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(args.timeout)
    answer({"port": listener.getsockname()[1]})
    with ctx.wrap_socket(listener, server_side=True,
                         suppress_ragged_eofs=not args.strict_eofs) as tls_listener:
        return tls_listener.accept()[0]


class MemoryBioServer:
    """The server side of TLS over ssl.MemoryBIO on a raw socket: every byte on the wire is
    written here, so a record can be split or cut short."""

    def __init__(self, raw, ctx):
        self.raw, self.incoming, self.outgoing = raw, ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_side=True)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                data = raw.recv(65536)
                if not data:
                    raise ConnectionError("the client closed during the handshake")
                self.incoming.write(data)
        self.flush()  # the Finished answer and the TLS 1.3 tickets

    def __getattr__(self, name):  # getpeercert, cipher, version, ... of the SSLObject
        return getattr(self.tls, name)

    def settimeout(self, timeout):
        self.raw.settimeout(timeout)

    def flush(self):
        self.raw.sendall(self.outgoing.read())

    def record(self, text):
        self.flush()
        self.tls.write((text + "\n").encode())
        return self.outgoing.read()

    def send_split(self, text):
        record = self.record(text)
        third = len(record) // 3
        for piece in (record[:third], record[third:2 * third], record[2 * third:]):
            self.raw.sendall(piece)
            time.sleep(0.2)  # the client must wait for the rest, whatever the timing
        return {"sent": len(text) + 1, "pieces": 3}

    def truncate(self, text):
        record = self.record(text)
        self.raw.sendall(record[:len(record) // 2])
        self.raw.close()
        return {"truncated": True}

    def close(self):
        self.raw.close()


def accept_memory_bio(args, ctx):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(args.timeout)
    answer({"port": listener.getsockname()[1]})
    raw = listener.accept()[0]
    raw.settimeout(args.timeout)
    listener.close()
    return MemoryBioServer(raw, ctx)


def info(sock):
    cert = sock.getpeercert()
    subject = dict(rdn[0] for rdn in cert["subject"]) if cert else {}
    cipher = sock.cipher()
    return {"version": sock.version(), "cipher": cipher[0] if cipher else None,
            "alpn": sock.selected_alpn_protocol(), "peer_cn": subject.get("commonName")}


def send_lines(sock, count):
    digest, sent = hashlib.sha256(), 0
    for first in range(0, count, LINES_PER_BLOCK):
        block = b"".join(b"%08d %s\n" % (number, b"x" * 90)
                         for number in range(first, min(first + LINES_PER_BLOCK, count)))
        sock.sendall(block)
        digest.update(block)
        sent += len(block)
    return {"sent": sent, "lines": count, "sha256": digest.hexdigest()}


def read_lines(sock):
    digest, lines, size = hashlib.sha256(), 0, 0
    with sock.makefile("rb") as file:
        for line in iter(file.readline, b""):
            lines, size = lines + 1, size + len(line)
            digest.update(line)
    return {"lines": lines, "bytes": size, "sha256": digest.hexdigest()}


def recv_all(sock):
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def run(sock, line):
    command, _, rest = line.partition(" ")
    if command == "send":
        data = (rest + "\n").encode()
        sock.sendall(data)
        return {"sent": len(data)}
    if command == "sendsplit":
        return sock.send_split(rest)
    if command == "truncate":
        return sock.truncate(rest)
    if command == "sendlines":
        return send_lines(sock, int(rest))
    if command == "recv":
        return {"recv": base64.b64encode(sock.recv(65536)).decode()}
    if command == "recvall":
        return {"recv": base64.b64encode(recv_all(sock)).decode()}
    if command == "lines":
        return read_lines(sock)
    if command == "info":
        return info(sock)
    if command == "unwrap":
        sock.unwrap()
        return {"unwrapped": True}
    if command == "close":
        sock.close()
        return {"closed": True}
    raise ValueError(f"unknown command {command}")


def main():
    args = parse()
    sni_seen = []
    try:
        ctx = make_context(args, sni_seen)
        if args.mode == "client":
            sock = connect(args, ctx)
        else:
            sock = (accept_memory_bio if args.memory_bio else accept)(args, ctx)
        sock.settimeout(args.timeout)
        event = {"event": "handshake", "session": info(sock)}
        if args.mode == "server":
            event["sni"] = sni_seen[0] if sni_seen else None
        answer(event)
    except Exception as exc:
        answer(error(exc))
        return 1
    for line in sys.stdin:
        try:
            answer(run(sock, line.rstrip("\n")))
        except Exception as exc:
            answer(error(exc))
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
