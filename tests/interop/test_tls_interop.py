#!/usr/bin/env python3
"""TLS interop tests of pysock (tls.md 4.2, I1-I6) against peers nobody here wrote:
openssl s_server / s_client, CPython's ssl module (py_tls_peer.py under python3.13) and socat,
plus the 100 MB makefile("rb") test against a CPython peer.

    test_tls_interop.py --tls-peer PATH --certs DIR [--list] [TEST ...]

pysock's side is the tls_peer program; py_tls_peer.py speaks the same command protocol over
CPython's ssl, so any client can meet any server, and where CPython's answer is the contract the
test runs the CPython client too and compares. Loopback only, ports chosen by the OS, every wait
bounded. Prints PASS/FAIL per test and exits 1 if any failed; CTest runs each test as its own
entry.
"""

import argparse
import base64
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 60  # seconds for any one wait (generous: a loaded 2-core machine)
BIG_LINES = 1_000_000  # 100-byte lines: 100 MB
SSL_SOURCE_LOCATION = re.compile(r"^_ssl\.c:\d+: | \(_ssl\.c:\d+\)$")
TESTS = {}
CONFIG = argparse.Namespace()


def test(fn):
    TESTS[fn.__name__[len("test_"):]] = fn
    return fn


PYTHON313 = ["env", "PYENV_VERSION=3.13.0", "python3.13"]


def cpython_peer():
    """The command that runs the CPython peer: $PYSOCK_PYTHON when set (as for the differential
    run), else CPython 3.13, else this interpreter after a warning."""
    forced = os.environ.get("PYSOCK_PYTHON")
    if forced:
        return [forced]
    try:
        out = subprocess.run(PYTHON313 + ["-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=TIMEOUT)
        if out.returncode == 0 and out.stdout.strip() == "(3, 13)":
            return PYTHON313
    except (OSError, subprocess.TimeoutExpired):
        pass
    print(f"WARNING: python3.13 not found; the CPython peer runs on {sys.executable} "
          f"({sys.version.split()[0]})", file=sys.stderr)
    return [sys.executable]


# CPython before gh-95494 (3.10 to 3.11.2, Debian 12's python3) turns OP_IGNORE_UNEXPECTED_EOF
# on by default, so its strict reads take a ragged EOF for a clean one; pysock follows 3.13.
EOF_POLICY_PROBE = ("import ssl, sys; "
                    "ignores = ssl.create_default_context().options & ssl.OP_IGNORE_UNEXPECTED_EOF; "
                    "print(sys.version.split()[0] if ignores else '')")


def require_strict_eof_peer():
    """Skip unless the CPython peer reports a ragged EOF as SSLEOFError, as 3.13 does."""
    out = subprocess.run(CONFIG.python + ["-c", EOF_POLICY_PROBE], capture_output=True,
                         text=True, timeout=TIMEOUT, check=True)
    if out.stdout.strip():
        raise Skip(f"the CPython peer ({out.stdout.strip()}) predates gh-95494: its default "
                   "OP_IGNORE_UNEXPECTED_EOF reads a ragged EOF as a clean one")


class Skip(Exception):
    """A test that cannot run against this machine's peers; CTest counts it as skipped."""


class Proc:
    """A subprocess with piped stdin; its stdout and stderr lines are collected on threads so
    that a test can wait for a line with a deadline."""

    def __init__(self, argv):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines = {"stdout": [], "stderr": []}
        self.fresh = {"stdout": queue.Queue(), "stderr": queue.Queue()}
        self.pumps = [threading.Thread(target=self._pump, args=(name,), daemon=True)
                      for name in self.lines]
        for pump in self.pumps:
            pump.start()

    def _pump(self, name):
        for raw in getattr(self.proc, name):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines[name].append(line)
            self.fresh[name].put(line)
        self.fresh[name].put(None)

    def name(self):
        return os.path.basename(self.argv[0] if self.argv[0] != "env" else self.argv[2])

    def output(self):
        return "\n".join(f"  {self.name()} {name}: {line}"
                         for name, lines in self.lines.items() for line in lines[-40:])

    def next_line(self, stream="stdout", timeout=TIMEOUT):
        try:
            line = self.fresh[stream].get(timeout=timeout)
        except queue.Empty:
            line = None
        if line is None:
            raise AssertionError(f"{self.name()}: no more {stream} output\n{self.output()}")
        return line

    def wait_for(self, pattern, stream="stdout", timeout=TIMEOUT):
        """The match of the first new line of `stream` matching `pattern`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if m := re.search(pattern, self.next_line(stream, left)):
                return m
        raise AssertionError(f"{self.name()}: no line matching {pattern!r}\n{self.output()}")

    def write(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def close_stdin(self):
        if not self.proc.stdin.closed:
            self.proc.stdin.close()

    def finish(self, timeout=TIMEOUT):
        """Closes stdin and waits for the exit; returns the status."""
        self.close_stdin()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name()} did not exit within {timeout} s\n"
                                 f"{self.output()}")
        for pump in self.pumps:
            pump.join(timeout)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Peer(Proc):
    """tls_peer or py_tls_peer.py: one JSON answer per line."""

    def answer(self, timeout=TIMEOUT):
        line = self.next_line(timeout=timeout)
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"{self.name()}: not JSON: {line!r}\n{self.output()}")

    def ask(self, command, timeout=TIMEOUT):
        self.write(command + "\n")
        return self.answer(timeout)


def cert(name):
    return os.path.join(CONFIG.certs, name)


def peer_argv(kind, mode, *args):
    program = [CONFIG.tls_peer] if kind == "pysock" else [*CONFIG.python, os.path.join(
        HERE, "py_tls_peer.py")]
    return program + [mode, *args]


def server(kind, *args):
    """A tls_peer / py_tls_peer server with the test certificate, and its port."""
    proc = Peer(peer_argv(kind, "server", "--cert", cert("server.pem"), "--key",
                          cert("server.key"), *args))
    port = proc.answer().get("port")
    check(isinstance(port, int), f"no port from the server\n{proc.output()}")
    return proc, port


def client(kind, port, *args):
    return Peer(peer_argv(kind, "client", "127.0.0.1", str(port), "--cafile", cert("ca.pem"),
                          "--hostname", "localhost", *args))


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def expect(actual, wanted, what):
    check(actual == wanted, f"{what}: {actual!r}, wanted {wanted!r}")


def recv_text(answer):
    check("recv" in answer, f"recv failed: {answer}")
    return base64.b64decode(answer["recv"]).decode("latin-1")


def normalized(answer):
    """An answer with CPython's _ssl.c source locations removed from its message."""
    if "message" in answer:
        answer = dict(answer, message=SSL_SOURCE_LOCATION.sub("", answer["message"]))
    return answer


def handshake(proc):
    event = proc.answer()
    check(event.get("event") == "handshake", f"{proc.name()} handshake: {event}\n{proc.output()}")
    return event


def finish_all(*procs):
    for proc in procs:
        expect(proc.finish(), 0, f"{proc.name()} exit status")


# --- pysock and CPython, in every pairing --------------------------------------------------------

def exchange(server_kind, client_kind, version):
    """Handshake with ALPN, client certificate and SNI, data both ways, cooperative unwrap."""
    srv, port = server(server_kind, "--tls", version, "--alpn", "h2,http/1.1",
                       "--cafile", cert("ca.pem"))
    cli = client(client_kind, port, "--tls", version, "--alpn", "http/1.1,spam",
                 "--cert", cert("client.pem"), "--key", cert("client.key"))
    try:
        server_event, client_event = handshake(srv), handshake(cli)
        wanted_version = f"TLSv{version}"
        for event, peer_cn in ((server_event, "pysock client"), (client_event, "localhost")):
            expect(event["session"]["version"], wanted_version, "version")
            expect(event["session"]["alpn"], "http/1.1", "ALPN")
            expect(event["session"]["peer_cn"], peer_cn, "peer certificate")
        expect(server_event["session"]["cipher"], client_event["session"]["cipher"], "cipher")
        if server_kind == "cpython":
            expect(server_event["sni"], "localhost", "SNI")
        expect(cli.ask("send hello from the client"), {"sent": 22}, "client send")
        expect(recv_text(srv.ask("recv")), "hello from the client\n", "server recv")
        srv.ask("send hello from the server")
        expect(recv_text(cli.ask("recv")), "hello from the server\n", "client recv")
        srv.write("unwrap\n")
        cli.write("unwrap\n")
        expect(srv.answer(), {"unwrapped": True}, "server unwrap")
        expect(cli.answer(), {"unwrapped": True}, "client unwrap")
        finish_all(srv, cli)
    finally:
        srv.kill()
        cli.kill()


for _version in ("1.2", "1.3"):
    for _server, _client, _label in (("cpython", "pysock", "I3"), ("pysock", "cpython", "I4"),
                                     ("pysock", "pysock", "I6")):
        def _pairing(server_kind=_server, client_kind=_client, version=_version):
            exchange(server_kind, client_kind, version)
        _pairing.__name__ = f"test_{_server}_server_{_client}_client_tls{_version}"
        _pairing.__doc__ = f"{_label}: {_client} client, {_server} server, TLS {_version}"
        test(_pairing)


def both_clients(server_args, client_args, commands):
    """The answers of a pysock client and of a CPython client against a CPython server, each
    after the same commands: [(handshake, answers...)] for pysock and for CPython."""
    results = []
    for kind in ("pysock", "cpython"):
        srv, port = server("cpython", *server_args)
        cli = client(kind, port, *client_args)
        try:
            answers = [normalized(cli.answer())]
            if "error" not in answers[0]:
                answers += [normalized(cli.ask(command)) for command in commands]
            results.append(answers)
            srv.finish()
            cli.finish()
        finally:
            srv.kill()
            cli.kill()
    return results


def same_as_cpython(server_args, client_args, commands, wanted_error):
    pysock_answers, cpython_answers = both_clients(server_args, client_args, commands)
    pysock_answers[0].pop("session", None)
    cpython_answers[0].pop("session", None)
    expect(pysock_answers, cpython_answers, "pysock's answers against CPython's")
    check(any(answer.get("error") == wanted_error for answer in cpython_answers),
          f"the scenario did not produce {wanted_error}: {cpython_answers}")


@test
def test_wrong_hostname_as_cpython():
    """Hostname mismatch: SSLCertVerificationError with CPython's text (verify code 62)."""
    same_as_cpython([], ["--hostname", "example.com"], [], "SSLCertVerificationError")


@test
def test_missing_client_cert_tls13_as_cpython():
    """TLS 1.3 client without the required certificate: the handshake succeeds, the first
    recv raises CPython's TLSV13_ALERT_CERTIFICATE_REQUIRED error."""
    same_as_cpython(["--cafile", cert("ca.pem")], ["--tls", "1.3"], ["recv"], "SSLError")


@test
def test_missing_client_cert_tls12_as_cpython():
    """TLS 1.2 client without the required certificate: the handshake fails."""
    same_as_cpython(["--cafile", cert("ca.pem")], ["--tls", "1.2"], [], "SSLError")


@test
def test_version_mismatch_as_cpython():
    same_as_cpython(["--tls", "1.2"], ["--tls", "1.3"], [], "SSLError")


@test
def test_tickets_only_then_timeout_as_cpython():
    """After a TLS 1.3 handshake the server sends only its two session tickets: the client's
    recv must wait for data (not take the readable fd for data, not hang past the timeout) and
    raise CPython's read timeout."""
    same_as_cpython([], ["--tls", "1.3", "--timeout", "0.5"], ["recv"], "TimeoutError")


@test
def test_ragged_eof_strict_as_cpython():
    """The server closes without close_notify: with suppress_ragged_eofs=False the client's
    recv raises SSLEOFError, then the misleading second error, as CPython."""
    require_strict_eof_peer()
    pysock_answers, cpython_answers = [], []
    for kind, answers in (("pysock", pysock_answers), ("cpython", cpython_answers)):
        srv, port = server("cpython")
        cli = client(kind, port, "--strict-eofs")
        try:
            handshake(srv), handshake(cli)
            expect(srv.ask("close"), {"closed": True}, "server close")
            answers += [normalized(cli.ask("recv")), normalized(cli.ask("recv"))]
            finish_all(srv, cli)
        finally:
            srv.kill()
            cli.kill()
    expect(pysock_answers, cpython_answers, "pysock's answers against CPython's")
    expect(cpython_answers[0].get("error"), "SSLEOFError", "first recv")


def memory_bio_answers(kind, strict):
    """A client's answers against a CPython MemoryBIO server (tls.md I5): a record written in
    three pieces with pauses, after the TLS 1.3 tickets alone; then a record cut in half and
    the connection closed; then one more recv."""
    srv, port = server("cpython", "--memory-bio", "--tls", "1.3")
    cli = client(kind, port, *(["--strict-eofs"] if strict else []))
    try:
        handshake(srv), handshake(cli)
        cli.write("recv\n")
        expect(srv.ask("sendsplit one record in three writes"), {"sent": 27, "pieces": 3},
               "server sendsplit")
        answers = [normalized(cli.answer())]
        cli.write("recv\n")
        expect(srv.ask("truncate cut short"), {"truncated": True}, "server truncate")
        answers += [normalized(cli.answer()), normalized(cli.ask("recv"))]
        finish_all(srv, cli)
        return answers
    finally:
        srv.kill()
        cli.kill()


@test
def test_memory_bio_split_and_truncated_records_as_cpython():
    """I5: a record split across writes is returned whole once complete; a record cut short by
    the peer's close is an empty read (suppress_ragged_eofs) or SSLEOFError, as CPython."""
    require_strict_eof_peer()
    for strict in (False, True):
        pysock_answers = memory_bio_answers("pysock", strict)
        cpython_answers = memory_bio_answers("cpython", strict)
        expect(pysock_answers, cpython_answers,
               f"strict={strict}: pysock's answers against CPython's")
        expect(recv_text(cpython_answers[0]), "one record in three writes\n", "split record")
        wanted = {"error": "SSLEOFError"} if strict else {"recv": ""}
        expect({k: v for k, v in cpython_answers[1].items() if k != "message"}, wanted,
               "truncated record")


@test
def test_ragged_eof_suppressed():
    """The default suppress_ragged_eofs turns the server's close without close_notify into
    an empty recv."""
    srv, port = server("cpython")
    cli = client("pysock", port)
    try:
        handshake(srv), handshake(cli)
        srv.ask("send last words")
        srv.ask("close")
        expect(recv_text(cli.ask("recvall")), "last words\n", "recvall")
        finish_all(srv, cli)
    finally:
        srv.kill()
        cli.kill()


@test
def test_sni_not_sent_for_ip_literal():
    """An IP server_hostname sends no SNI, and is verified against the IP SAN."""
    srv, port = server("cpython")
    cli = client("pysock", port, "--hostname", "127.0.0.1")
    try:
        expect(handshake(srv)["sni"], None, "SNI for an IP literal")
        handshake(cli)
        finish_all(srv, cli)
    finally:
        srv.kill()
        cli.kill()


# --- openssl s_server / s_client -------------------------------------------------------------

def openssl_version_flag(version):
    return "-tls1_2" if version == "1.2" else "-tls1_3"


def s_server_test(version):
    """I1: pysock client against s_server: version, ALPN, data both ways through s_server's
    stdin and stdout; closing s_server's stdin ends the connection (without close_notify: the
    default suppress_ragged_eofs makes it an empty recv)."""
    s_server = Proc(["openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
                     "-cert", cert("server.pem"), "-key", cert("server.key"),
                     "-alpn", "h2,http/1.1", openssl_version_flag(version)])
    cli = None
    try:
        port = s_server.wait_for(r"^ACCEPT 127\.0\.0\.1:(\d+)").group(1)
        cli = client("pysock", port, "--alpn", "http/1.1,spam")
        session = handshake(cli)["session"]
        expect(session["version"], f"TLSv{version}", "version")
        expect(session["alpn"], "http/1.1", "ALPN")
        cli.ask("send hello from pysock")
        s_server.wait_for(r"^hello from pysock$")
        s_server.write("hello from s_server\n")
        expect(recv_text(cli.ask("recv")), "hello from s_server\n", "recv")
        s_server.close_stdin()
        expect(recv_text(cli.ask("recvall")), "", "recv at the end")
        finish_all(s_server, cli)
    finally:
        s_server.kill()
        if cli:
            cli.kill()


def s_client_test(version):
    """I2: pysock server against s_client with a client certificate and ALPN h2: echo both
    ways, KeyUpdate (K, TLS 1.3) transparent, Q's close_notify gives an empty recv even with
    suppress_ragged_eofs=False."""
    srv, port = server("pysock", "--alpn", "h2,http/1.1", "--cafile", cert("ca.pem"),
                       "--strict-eofs")
    s_client = Proc(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                     "-servername", "localhost", "-CAfile", cert("ca.pem"),
                     "-verify_return_error", "-alpn", "h2", "-cert", cert("client.pem"),
                     "-key", cert("client.key"), openssl_version_flag(version)])
    try:
        session = handshake(srv)["session"]
        expect(session["version"], f"TLSv{version}", "version")
        expect(session["alpn"], "h2", "ALPN")
        expect(session["peer_cn"], "pysock client", "client certificate")
        s_client.wait_for(r"Verify return code: 0 \(ok\)")
        s_client.write("hello from s_client\n")
        expect(recv_text(srv.ask("recv")), "hello from s_client\n", "recv")
        srv.ask("send hello from pysock")
        s_client.wait_for(r"hello from pysock$")  # may follow ticket output on its line
        if version == "1.3":
            s_client.write("K\n")  # KeyUpdate, update requested: pysock must answer it
            s_client.wait_for(r"^KEYUPDATE$", stream="stderr")  # one stdin read per command
            s_client.write("after the key update\n")
            expect(recv_text(srv.ask("recv")), "after the key update\n", "recv after K")
            srv.ask("send reply with new keys")
            s_client.wait_for(r"reply with new keys$")
        s_client.write("Q\n")  # close_notify
        expect(recv_text(srv.ask("recvall")), "", "recv after Q")
        finish_all(s_client, srv)
    finally:
        srv.kill()
        s_client.kill()


for _version in ("1.2", "1.3"):
    def _s_server(version=_version):
        s_server_test(version)

    def _s_client(version=_version):
        s_client_test(version)
    _s_server.__name__ = f"test_s_server_pysock_client_tls{_version}"
    _s_client.__name__ = f"test_pysock_server_s_client_tls{_version}"
    test(_s_server)
    test(_s_client)


@test
def test_socat_server_pysock_client():
    """socat OPENSSL-LISTEN echoing back (its PIPE address): one line there and back."""
    socat = Proc(["socat", "-d", "-d", f"OPENSSL-LISTEN:0,bind=127.0.0.1,cert={cert('server.pem')},"
                  f"key={cert('server.key')},verify=0", "PIPE"])
    cli = None
    try:
        port = socat.wait_for(r"listening on .*:(\d+)\s*$", stream="stderr").group(1)
        cli = client("pysock", port)
        handshake(cli)
        cli.ask("send through socat")
        expect(recv_text(cli.ask("recv")), "through socat\n", "echo")
        expect(cli.ask("close"), {"closed": True}, "close")
        finish_all(cli)
        socat.finish()
    finally:
        socat.kill()
        if cli:
            cli.kill()


@test
def test_pysock_server_ncat_client():
    """ncat --ssl verifying the certificate for localhost: a line each way, then ncat's end of
    input closes its side."""
    srv, port = server("pysock")
    ncat = Proc(["ncat", "--ssl", "--ssl-verify", "--ssl-trustfile", cert("ca.pem"),
                 "--ssl-servername", "localhost", "127.0.0.1", str(port)])
    try:
        handshake(srv)
        ncat.write("hello from ncat\n")
        expect(recv_text(srv.ask("recv")), "hello from ncat\n", "recv")
        srv.ask("send hello from pysock")
        ncat.wait_for(r"^hello from pysock$")
        ncat.close_stdin()
        expect(recv_text(srv.ask("recvall")), "", "recv at ncat's end")
        finish_all(ncat, srv)
    finally:
        srv.kill()
        ncat.kill()


# --- 100 MB of lines through makefile("rb") --------------------------------------------------

def big_lines(clean):
    """A CPython server sends BIG_LINES lines of 100 bytes; pysock reads them with
    makefile("rb").readline() and checksums them. clean: the server unwraps (close_notify both
    ways) and pysock unwraps too; else it closes without close_notify and the reader sees b''."""
    srv, port = server("cpython")
    cli = client("pysock", port)
    try:
        handshake(srv), handshake(cli)
        started = time.monotonic()
        srv.write(f"sendlines {BIG_LINES}\n" + ("unwrap\n" if clean else "close\n"))
        cli.write("lines\n")
        sent = srv.answer(timeout=TIMEOUT * 3)
        received = cli.answer(timeout=TIMEOUT * 3)
        elapsed = time.monotonic() - started
        expect(received, {"lines": BIG_LINES, "bytes": sent["sent"], "sha256": sent["sha256"]},
               "what pysock read")
        if clean:
            expect(cli.ask("unwrap"), {"unwrapped": True}, "pysock unwrap")
        expect(srv.answer(), {"unwrapped": True} if clean else {"closed": True}, "server end")
        print(f"{sent['sent']} bytes, {BIG_LINES} lines in {elapsed:.2f} s "
              f"({sent['sent'] / elapsed / 1e6:.0f} MB/s)")
        finish_all(srv, cli)
    finally:
        srv.kill()
        cli.kill()


@test
def test_lines_100mb_unwrap():
    big_lines(clean=True)


@test
def test_lines_100mb_ragged_close():
    big_lines(clean=False)


# --- main ----------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tls-peer", help="the tls_peer program")
    parser.add_argument("--certs", help="make_tls_certificates.sh's directory")
    parser.add_argument("--list", action="store_true", help="print the test names")
    parser.add_argument("tests", nargs="*")
    args = parser.parse_args()
    if args.list:
        print("\n".join(TESTS))
        return 0
    if not args.tls_peer or not args.certs:
        parser.error("--tls-peer and --certs are needed to run tests")
    CONFIG.tls_peer, CONFIG.certs, CONFIG.python = args.tls_peer, args.certs, cpython_peer()
    for tool in ("openssl", "socat", "ncat"):
        if not shutil.which(tool):
            print(f"WARNING: {tool} not found", file=sys.stderr)
    failed = 0
    for name in args.tests or list(TESTS):
        try:
            TESTS[name]()
            print(f"PASS {name}")
        except Skip as reason:
            print(f"SKIP: {reason}")
        except Exception:
            failed += 1
            print(f"FAIL {name}\n{traceback.format_exc()}")
    print(f"{len(args.tests or TESTS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
