#!/usr/bin/env python3
"""Reference side of the pysock differential conformance test (docs: conformance.md).

Reads scenarios (one JSON object per line) on standard input and runs each one through
CPython's own ``socket.socketpair()`` (AF_UNIX) and ``socket.makefile()``; writes one JSON
answer per scenario, in order, on standard output.  Standard library only; the reference
interpreter is CPython 3.13.  Under an older CPython the four known differences are emulated
(cpython313.py, ``--emulate auto``, the default); ``--emulate force`` applies them under 3.13 too
and ``--emulate off`` never; ``--describe`` prints which interpreter and emulation would answer.

A scenario with ``"tls": true`` runs over CPython's ``ssl`` instead (conformance.md "TLS
scenarios"): the peer is the TLS server, the tested socket the TLS client, with the
certificates of ``--tls-dir DIR`` (ca.pem, server.pem, server.key).

Harness-level outcomes that CPython itself never produces use their own CLASS names:
``ProtocolError`` (an op or attribute name the protocol does not know; the next op still runs)
and ``HarnessTimeout`` (an op that did not return within ``OP_LIMIT`` seconds; the remaining ops
are skipped).  A well-formed scenario never produces either.

``--mutate value`` and ``--mutate crash`` deliberately break the answers; they exist only so the
harness's self-tests can prove that compare.py notices.
"""

import argparse
import base64
import binascii
import io
import json
import select
import signal
import socket
import ssl
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # -I leaves the script's folder out
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import cpython313  # noqa: E402  (sibling module)

# Upper bound for one op; legitimate ops finish within the scenario's timeout (at most one
# recv can time out, since the SocketIO is poisoned afterwards) or peer_recv's 0.2 s.
OP_LIMIT = 3.0
# Upper bound for queueing the feed and for draining the peer at the end of a scenario.
IO_LIMIT = 5.0
# peer_recv waits at most this long for more bytes, and stops after this much silence.
PEER_RECV_LIMIT = 0.2
PEER_RECV_GRACE = 0.002
ATTRIBUTES = frozenset(("mode", "name", "encoding", "errors", "newlines", "line_buffering",
                        "closed", "readable", "writable", "seekable"))
ATTRIBUTE_METHODS = frozenset(("readable", "writable", "seekable"))
SKIPPING_ERRORS = (UnicodeDecodeError, UnicodeEncodeError)
# The peer's send buffer: large enough that a 64 KiB feed (plus TLS framing) never blocks.
PEER_SNDBUF = 1 << 20


class ProtocolError(Exception):
    """The scenario asks for something outside the protocol."""


class HarnessTimeout(Exception):
    """An op ran longer than OP_LIMIT seconds."""


def encode_value(value):
    """Encode a Python result by its type: bytes as base64, str/int/bool/None as JSON."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (list, tuple)):
        return [encode_value(item) for item in value]
    if value is None or isinstance(value, (str, int)):
        return value
    raise ProtocolError(f"cannot encode a result of type {type(value).__name__}")


def error_answer(exc):
    """The answer for an exception: its class name and str()."""
    return {"error": type(exc).__name__, "message": str(exc)}


class Peer:
    """The far end of the socketpair: sends the feed and collects what the tested side sends."""

    def __init__(self, sock):
        self.sock = sock
        self.received = bytearray()
        self.eof = False

    def send_feed(self, feed, close_feed):
        """Queue the whole feed (before any op runs), then optionally shut down the write side.

        Over TLS the feed is one sendall (records of at most 16 KiB), and the end of it is a
        close_notify (one SSL_shutdown that does not wait for the answer) before the TCP
        shutdown; the TLS object stays, since the peer still decrypts what it receives.
        """
        self.sock.settimeout(IO_LIMIT)
        self.sock.sendall(feed)
        self.sock.setblocking(False)  # peer_recv polls; a timeout would make recv wait
        if close_feed:
            if isinstance(self.sock, ssl.SSLSocket):
                send_close_notify(self.sock)
            socket.socket.shutdown(self.sock, socket.SHUT_WR)  # SSLSocket's would drop TLS

    def _drain_available(self):
        """Receive whatever is queued now without blocking; ECONNRESET counts as end of data
        (and over TLS a failed record: the tested side may vanish mid-record)."""
        while not self.eof:
            try:
                chunk = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError,
                    ssl.SSLWantWriteError):
                return
            except (ConnectionResetError, ssl.SSLError):
                chunk = b""
            if not chunk:
                self.eof = True
                return
            self.received += chunk

    def recv_so_far(self):
        """Everything received since the scenario began, waiting at most PEER_RECV_LIMIT."""
        deadline = time.monotonic() + PEER_RECV_LIMIT
        self._drain_available()
        while not self.eof:
            wait = min(PEER_RECV_GRACE, deadline - time.monotonic())
            if wait <= 0 or not select.select([self.sock], [], [], wait)[0]:
                break
            self._drain_available()
        return bytes(self.received)

    def drain_until_eof(self):
        """Blocking drain until the tested side is closed (bounded by the socket timeout)."""
        self.sock.settimeout(IO_LIMIT)
        while not self.eof:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                chunk = b""
            except TimeoutError:
                return
            if not chunk:
                self.eof = True
            self.received += chunk


def send_close_notify(tls_sock):
    """SSL_shutdown once on a non-blocking SSLSocket: close_notify goes out, and the second
    SSL_shutdown of unwrap() finds no answer and raises SSLWantReadError, keeping the TLS
    object for reading."""
    try:
        tls_sock.unwrap()
    except ssl.SSLWantReadError:
        return
    raise RuntimeError("the tested side answered close_notify before it was sent")


class TlsSetup:
    """The two contexts of a TLS scenario, made once from --tls-dir."""

    def __init__(self, directory):
        self.server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server.load_cert_chain(f"{directory}/server.pem", f"{directory}/server.key")
        self.server.num_tickets = 0  # no session tickets in flight
        self.client = ssl.create_default_context(cafile=f"{directory}/ca.pem")

    def wrap(self, tested, peer):
        """(TLS client, TLS server) over the two ends, both handshakes complete (the
        server's on a thread, each bounded by IO_LIMIT)."""
        tested.settimeout(IO_LIMIT)
        peer.settimeout(IO_LIMIT)
        server = {}

        def accept():
            try:
                server["sock"] = self.server.wrap_socket(peer, server_side=True)
            except Exception as exc:  # reported by the client's failure or below
                server["error"] = exc

        handshake = threading.Thread(target=accept, daemon=True)
        handshake.start()
        try:
            client = self.client.wrap_socket(tested, server_hostname="localhost")
        finally:
            handshake.join(IO_LIMIT + 1)
        if "sock" not in server:
            raise RuntimeError(f"TLS server handshake failed: {server.get('error')!r}")
        return client, server["sock"]


class Scenario:
    """One scenario run: the tested socket, its file object and the peer."""

    def __init__(self, spec, sock, peer):
        self.spec = spec
        self.sock = sock
        self.peer = peer
        self.fd = sock.fileno()
        self.file = None
        self.text = False

    def open(self):
        """Call makefile exactly as the scenario says (a null encoding means UTF-8)."""
        encoding = self.spec.get("encoding")
        self.sock.settimeout(self.spec.get("timeout"))
        self.file = self.sock.makefile(
            self.spec.get("mode", "r"), self.spec.get("buffering"),
            encoding="utf-8" if encoding is None else encoding,
            errors=self.spec.get("errors"), newline=self.spec.get("newline"))
        self.text = isinstance(self.file, io.TextIOBase)

    def data(self, item):
        """Write data: a str in text mode, base64-decoded bytes in binary mode; others as-is."""
        if self.text or not isinstance(item, str):
            return item
        try:
            return base64.b64decode(item, validate=True)
        except binascii.Error as exc:
            raise ProtocolError(f"write data is not base64: {item!r}") from exc

    def op_readinto(self, size):
        buffer = bytearray(size)
        count = self.file.readinto(buffer)
        return None if count is None else bytes(buffer[:count])

    def op_readinto1(self, size):
        buffer = bytearray(size)
        count = self.file.readinto1(buffer)
        return None if count is None else bytes(buffer[:count])

    def op_write(self, item):
        return self.file.write(self.data(item))

    def op_writelines(self, *items):
        if len(items) == 1 and isinstance(items[0], list):
            items = items[0]
        return self.file.writelines([self.data(item) for item in items])

    def op_attr(self, name):
        if name not in ATTRIBUTES:
            raise ProtocolError(f"unknown attribute {name!r}")
        value = getattr(self.file, name)
        if name in ATTRIBUTE_METHODS:
            return value()
        if name == "name" and type(value) is int and value == self.fd:
            return True
        return value

    def op_sock_close(self):
        return self.sock.close()

    def op_sock_alive(self):
        return self.sock.fileno() != -1

    def op_peer_recv(self):
        return self.peer.recv_so_far()

    def run_op(self, op):
        """Run one op and return its (encoded) value."""
        if not isinstance(op, list) or not op or not isinstance(op[0], str):
            raise ProtocolError(f"malformed op {op!r}")
        name, args = op[0], op[1:]
        if name in ("read", "read1", "peek", "readline", "readlines", "flush", "close"):
            return encode_value(getattr(self.file, name)(*args))
        handler = getattr(self, "op_" + name, None)
        if handler is None:
            raise ProtocolError(f"unknown op {name!r}")
        return encode_value(handler(*args))

    def run_ops(self):
        """All ops in order; Unicode errors and harness timeouts skip the rest."""
        results = []
        ops = self.spec.get("ops", [])
        for index, op in enumerate(ops):
            try:
                with OpDeadline():
                    results.append({"value": self.run_op(op)})
            except (HarnessTimeout, *SKIPPING_ERRORS) as exc:
                results.append(error_answer(exc))
                results.extend({"skipped": True} for _ in ops[index + 1:])
                break
            except Exception as exc:  # every other error is an answer; the next op runs
                results.append(error_answer(exc))
        return results

    def close_all(self):
        """Close the file and then the socket while the peer drains, so nothing can block."""
        drainer = threading.Thread(target=self.peer.drain_until_eof, daemon=True)
        drainer.start()
        for close in (getattr(self.file, "close", None), self.sock.close):
            try:
                if close is not None:
                    with OpDeadline():
                        close()
            except Exception:  # the final close is not part of the answer
                pass
        drainer.join(IO_LIMIT + 1)


class OpDeadline:
    """Context manager: raise HarnessTimeout in the main thread after OP_LIMIT seconds."""

    def __enter__(self):
        signal.setitimer(signal.ITIMER_REAL, OP_LIMIT)

    def __exit__(self, *exc_info):
        signal.setitimer(signal.ITIMER_REAL, 0)
        return False


def on_alarm(signum, frame):
    raise HarnessTimeout(f"op did not finish within {OP_LIMIT} s")


def run_scenario(spec, tls):
    """Run one scenario dict and return its answer dict (tls: a TlsSetup or None)."""
    answer = {"id": spec.get("id")}
    sock, peer_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        peer_sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PEER_SNDBUF)
        if spec.get("tls"):
            sock, peer_sock = tls.wrap(sock, peer_sock)
    except BaseException:
        sock.close()
        peer_sock.close()
        raise
    scenario = Scenario(spec, sock, Peer(peer_sock))
    try:
        scenario.peer.send_feed(base64.b64decode(spec.get("feed", "")),
                                spec.get("close_feed", True))
        try:
            scenario.open()
        except Exception as exc:
            answer["makefile"] = error_answer(exc)
            answer["results"] = []
        else:
            answer["makefile"] = {"ok": True}
            answer["results"] = scenario.run_ops()
        scenario.close_all()
        answer["peer"] = encode_value(bytes(scenario.peer.received))
    finally:
        sock.close()
        peer_sock.close()
    return answer


def mutate(answer, how, count):
    """Deliberately wrong answers for the harness self-tests."""
    if how == "crash" and count >= 3:
        sys.exit(3)
    if how == "value":
        for result in answer["results"]:
            if isinstance(result.get("value"), str):
                result["value"] += "A="
                break
    return answer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutate", choices=("value", "crash"),
                        help="answer wrongly on purpose (harness self-test only)")
    parser.add_argument("--emulate", choices=("auto", "force", "off"), default="auto",
                        help="CPython 3.13's behaviour where this CPython lacks it (auto), "
                        "everywhere (force) or nowhere (off)")
    parser.add_argument("--describe", action="store_true",
                        help="print the interpreter and the emulated changes, then exit")
    parser.add_argument("--tls-dir", help="certificates of the TLS scenarios: ca.pem, "
                        "server.pem, server.key")
    args = parser.parse_args()
    tls = TlsSetup(args.tls_dir) if args.tls_dir else None
    emulated = [] if args.emulate == "off" else cpython313.install(args.emulate == "force")
    if args.describe:
        print(cpython313.describe(emulated))
        return
    signal.signal(signal.SIGALRM, on_alarm)
    for count, line in enumerate(sys.stdin):
        if not line.strip():
            continue
        spec = json.loads(line)
        if spec.get("tls") and tls is None:
            parser.error(f"scenario {spec.get('id')!r} is a TLS scenario: --tls-dir is needed")
        try:
            answer = run_scenario(spec, tls)
        except Exception as exc:  # a broken scenario must not take the rest of the run down
            answer = {"id": spec.get("id"), "harness_error": repr(exc)}
        if args.mutate:
            answer = mutate(answer, args.mutate, count)
        sys.stdout.write(json.dumps(answer, ensure_ascii=True) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
