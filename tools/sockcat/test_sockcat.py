"""End-to-end tests of sockcat against peers nobody here wrote: socat, ncat and CPython 3.13's
sockets (peer.py under python3.13; python3 with a warning when 3.13 is missing).

    test_sockcat.py --sockcat PATH [--list] [TEST ...]

The TLS tests (tls_*) take their certificates from --certs DIR, made by
tests/support/make_tls_certificates.sh. Runs the named tests (all by default), each in its own temporary directory, loopback and
AF_UNIX only, on ephemeral ports, with a timeout on every subprocess; prints PASS/FAIL per test
and a summary, and exits 1 if any failed. CTest runs each test as its own entry.
"""

import argparse
import hashlib
import io
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 60  # seconds, for any one subprocess (generous: loaded CI machines)
MiB = 1 << 20
TESTS = {}


def test(fn):
    TESTS[fn.__name__[len("test_"):]] = fn
    return fn


def python313():
    """The command that runs CPython 3.13 ($PYSOCK_PYTHON when set), or python3 after a
    warning."""
    if os.environ.get("PYSOCK_PYTHON"):
        return [os.environ["PYSOCK_PYTHON"]]
    env_cmd = ["env", "PYENV_VERSION=3.13.0", "python3.13"]
    try:
        out = subprocess.run(env_cmd + ["-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=TIMEOUT)
        if out.returncode == 0 and out.stdout.strip() == "(3, 13)":
            return env_cmd
    except (OSError, subprocess.TimeoutExpired):
        pass
    print("WARNING: python3.13 not found; the CPython peer runs on "
          f"{sys.executable} ({sys.version.split()[0]})", file=sys.stderr)
    return [sys.executable]


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Proc:
    """A subprocess whose stderr (and, unless it goes to a file, stdout) is collected line by
    line on threads, so a test can wait for a line while the process runs."""

    def __init__(self, argv, stdin=subprocess.DEVNULL, stdout_path=None):
        self.argv = argv
        stdin_file = open(stdin, "rb") if isinstance(stdin, str) else stdin
        stdout = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
        self.proc = subprocess.Popen(argv, stdin=stdin_file, stdout=stdout,
                                     stderr=subprocess.PIPE)
        for f in (stdin_file, stdout):
            if hasattr(f, "close"):
                f.close()
        self.streams = {"stderr": self._collect(self.proc.stderr)}
        if not stdout_path:
            self.streams["stdout"] = self._collect(self.proc.stdout)

    @staticmethod
    def _collect(pipe):
        lines, fresh = [], queue.Queue()

        def pump():
            for raw in pipe:
                line = raw.decode("utf-8", "replace")
                lines.append(line)
                fresh.put(line)
            fresh.put(None)

        pumping = threading.Thread(target=pump, daemon=True)
        pumping.start()
        return {"lines": lines, "fresh": fresh, "pump": pumping}

    def wait_for(self, pattern, stream="stderr", timeout=TIMEOUT):
        """The match of the first new line of `stream` that matches `pattern`."""
        deadline = time.monotonic() + timeout
        fresh = self.streams[stream]["fresh"]
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = fresh.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if m := re.search(pattern, line):
                return m
        raise AssertionError(f"{self.name()}: no {stream} line matching {pattern!r}\n"
                             f"{self.output()}")

    def finish(self, timeout=TIMEOUT):
        """Waits for the exit; returns the status (negative: killed by that signal)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name()} did not exit within {timeout} s\n{self.output()}")
        for s in self.streams.values():  # every line is in once the pipes reach EOF
            s["pump"].join(timeout)
        return self.proc.returncode

    def text(self, stream="stderr"):
        return "".join(self.streams[stream]["lines"])

    def result(self):
        """A peer's JSON report: the last stdout line."""
        return json.loads(self.streams["stdout"]["lines"][-1])

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def name(self):
        return os.path.basename(self.argv[0]) if self.argv[0] != "env" else "python3.13 peer"

    def output(self):
        return "".join(f"  [{self.name()} {k}] {line}" for k, s in self.streams.items()
                       for line in s["lines"])


class Env:
    """What one test works with: the programs, a temporary directory, its processes."""

    def __init__(self, sockcat, python, tmp, certs):
        self.sockcat, self.python, self.tmp, self.certs = sockcat, python, tmp, certs
        self.procs = []

    def cert(self, name):
        """A file of tests/support/make_tls_certificates.sh's directory (--certs)."""
        assert self.certs, "this test needs --certs DIR"
        return os.path.join(self.certs, name)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def random_file(self, name="in.bin", size=3 * MiB):
        with open(self.path(name), "wb") as f:
            f.write(os.urandom(size))
        return self.path(name)

    def start(self, argv, **kw):
        p = Proc(argv, **kw)
        self.procs.append(p)
        return p

    def run_sockcat(self, *args, **kw):
        return self.start([self.sockcat, *args], **kw)

    def peer(self, *args, **kw):
        return self.start([*self.python, os.path.join(HERE, "peer.py"), *args], **kw)

    def serving_peer(self, *args):
        """A peer.py server; returns it and its port (or "ready" for a Unix socket)."""
        p = self.peer("serve", *args)
        return p, p.wait_for(r"^(\S+)$", "stdout").group(1)

    def sockcat_listener(self, *args, **kw):
        """sockcat -v -l ...; returns it and the port of its repr's laddr."""
        p = self.run_sockcat("-v", "-l", *args, **kw)
        m = p.wait_for(r"listening: <pysock\.socket .*laddr=(?:\('[^']*', (\d+)|.*>)")
        return p, m.group(1)

    def output_of_everything(self):
        return "".join(p.output() for p in self.procs)

    def cleanup(self):
        for p in self.procs:
            p.kill()


def free_port():
    """A loopback port nobody listens on (for peers that cannot report an ephemeral port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def expect_exit(proc, status, timeout=TIMEOUT):
    code = proc.finish(timeout)
    if code != status:
        how = f"killed by signal {-code}" if code < 0 else f"status {code}"
        raise AssertionError(f"{proc.name()} ended with {how}, expected {status}\n"
                             f"{proc.output()}")


def expect_same_file(got_path, want_path):
    got, want = sha256_file(got_path), sha256_file(want_path)
    assert got == want, (f"{got_path}: {os.path.getsize(got_path)} bytes, sha256 {got}; "
                         f"sent {os.path.getsize(want_path)} bytes, sha256 {want}")


def expect_peer_got(peer, want_path):
    r = peer.result()
    want = {"sha256": sha256_file(want_path), "size": os.path.getsize(want_path)}
    assert {k: r.get(k) for k in want} == want, f"peer got {r}, sent {want}"


# ---- transfers with socat and ncat -------------------------------------------------------


@test
def test_upload_to_socat_listener(env):
    data = env.random_file()
    out = env.path("out.bin")
    socat = env.start(["socat", "-d", "-d", "-u", "TCP-LISTEN:0,bind=127.0.0.1", "STDOUT"],
                      stdout_path=out)
    port = socat.wait_for(r"listening on AF=2 127\.0\.0\.1:(\d+)").group(1)
    sockcat = env.run_sockcat("127.0.0.1", port, stdin=data)
    expect_exit(sockcat, 0)
    expect_exit(socat, 0)
    expect_same_file(out, data)


@test
def test_download_from_ncat_listener(env):
    data = env.random_file()
    out = env.path("out.bin")
    port = free_port()
    ncat = env.start(["ncat", "-v", "-l", "--send-only", "127.0.0.1", port], stdin=data)
    ncat.wait_for(r"Listening on")
    sockcat = env.run_sockcat("127.0.0.1", port, stdout_path=out)
    expect_exit(sockcat, 0)
    expect_exit(ncat, 0)
    expect_same_file(out, data)


@test
def test_socat_client_uploads_to_listener(env):
    data = env.random_file()
    out = env.path("out.bin")
    sockcat, port = env.sockcat_listener("127.0.0.1", "0", stdout_path=out)
    socat = env.start(["socat", "-u", f"FILE:{data}", f"TCP:127.0.0.1:{port}"])
    expect_exit(socat, 0)
    expect_exit(sockcat, 0)
    expect_same_file(out, data)


@test
def test_ncat_client_downloads_from_listener(env):
    data = env.random_file()
    out = env.path("out.bin")
    sockcat, port = env.sockcat_listener("127.0.0.1", "0", stdin=data)
    ncat = env.start(["ncat", "--recv-only", "127.0.0.1", port], stdout_path=out)
    expect_exit(ncat, 0)
    expect_exit(sockcat, 0)
    expect_same_file(out, data)


@test
def test_send_file_from_listener_to_ncat(env):
    data = env.random_file()
    out = env.path("out.bin")
    sockcat, port = env.sockcat_listener("--send-file", data, "127.0.0.1", "0")
    ncat = env.start(["ncat", "--recv-only", "127.0.0.1", port], stdout_path=out)
    expect_exit(ncat, 0)
    expect_exit(sockcat, 0)
    expect_same_file(out, data)
    assert f"bytes of {data} with sendfile" in sockcat.text(), sockcat.output()


# ---- CPython 3.13 peers ------------------------------------------------------------------


@test
def test_send_file_to_python(env):
    data = env.random_file()
    peer, port = env.serving_peer("sink")
    sockcat = env.run_sockcat("--send-file", data, "127.0.0.1", port)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    expect_peer_got(peer, data)


@test
def test_echo_both_directions_at_once(env):
    # 3 MiB echoed back needs sending and receiving at the same time: socket buffers hold less.
    data = env.random_file()
    out = env.path("out.bin")
    peer, port = env.serving_peer("echo")
    sockcat = env.run_sockcat("127.0.0.1", port, stdin=data, stdout_path=out)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    expect_same_file(out, data)


@test
def test_half_close_then_reply(env):
    # The peer answers only after it saw sockcat's EOF; sockcat must still be reading then.
    data = env.random_file(size=12345)
    peer, port = env.serving_peer("count")
    sockcat = env.run_sockcat("127.0.0.1", port, stdin=data)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    assert sockcat.text("stdout") == "received 12345 bytes\n", sockcat.output()


@test
def test_exits_when_peer_closes_while_stdin_is_open(env):
    # stdin stays open and silent (a terminal nobody types in): the peer's close ends sockcat.
    data = env.random_file(size=54321)
    out = env.path("out.bin")
    peer, port = env.serving_peer("send", data)
    sockcat = env.run_sockcat("127.0.0.1", port, stdin=subprocess.PIPE, stdout_path=out)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    expect_same_file(out, data)


@test
def test_keep_open_serves_two_clients(env):
    data = env.random_file()
    sockcat, port = env.sockcat_listener("-k", "--send-file", data, "127.0.0.1", "0")
    for _ in range(2):
        client = env.peer("connect", "127.0.0.1", port, "sink")
        expect_exit(client, 0)
        expect_peer_got(client, data)
    assert sockcat.proc.poll() is None, "sockcat -k exited after its clients\n" + sockcat.output()
    assert len(re.findall(r"accepted \('127\.0\.0\.1', \d+\)", sockcat.text())) == 2
    sockcat.proc.send_signal(signal.SIGTERM)
    expect_exit(sockcat, -signal.SIGTERM)


@test
def test_dualstack_listener(env):
    if not socket.has_dualstack_ipv6():
        print("SKIP: no dual-stack IPv6 here")
        return
    data = env.random_file(size=100000)
    sockcat, port = env.sockcat_listener("-k", "--send-file", data, "0")
    assert "family=AF_INET6" in sockcat.text() and "laddr=('::', " in sockcat.text()
    for host in ("127.0.0.1", "::1"):
        client = env.peer("connect", host, port, "sink")
        expect_exit(client, 0)
        expect_peer_got(client, data)
    sockcat.proc.send_signal(signal.SIGTERM)
    expect_exit(sockcat, -signal.SIGTERM)


@test
def test_source_address(env):
    peer, port = env.serving_peer("peername")
    sockcat = env.run_sockcat("-s", "127.0.0.2", "127.0.0.1", port)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    assert sockcat.text("stdout").startswith("('127.0.0.2', "), sockcat.output()


def localhost_resolves():
    """Whether "localhost" resolves to 127.0.0.1 (a bare root may lack it in /etc/hosts)."""
    try:
        found = socket.getaddrinfo("localhost", 0, socket.AF_INET, socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    return any(entry[4][0] == "127.0.0.1" for entry in found)


@test
def test_happy_eyeballs_localhost(env):
    if not localhost_resolves():
        print('SKIP: "localhost" does not resolve to 127.0.0.1 here (no localhost line in '
              "/etc/hosts)")
        return
    # "localhost" may resolve to ::1 first, where nobody listens: the 127.0.0.1 attempt wins.
    peer, port = env.serving_peer("count")
    sockcat = env.run_sockcat("--happy-eyeballs-delay", "0.05", "localhost", port)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    assert sockcat.text("stdout") == "received 0 bytes\n", sockcat.output()


# ---- Unix sockets ------------------------------------------------------------------------


@test
def test_unix_path_listener(env):
    data = env.random_file()
    out = env.path("out.bin")
    path = env.path("sockcat.sock")
    with socket.socket(socket.AF_UNIX) as stale:  # as a killed listener leaves it
        stale.bind(path)
    sockcat, _ = env.sockcat_listener("-U", path, stdout_path=out)
    socat = env.start(["socat", "-u", f"FILE:{data}", f"UNIX-CONNECT:{path}"])
    expect_exit(socat, 0)
    expect_exit(sockcat, 0)
    expect_same_file(out, data)
    assert not os.path.exists(path), "sockcat left its socket file behind"


@test
def test_unix_path_connect(env):
    data = env.random_file()
    path = env.path("peer.sock")
    peer, _ = env.serving_peer("sink", "--family", "unix", "--path", path)
    sockcat = env.run_sockcat("-U", path, stdin=data)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    expect_peer_got(peer, data)


@test
def test_unix_abstract_connect(env):
    data = env.random_file()
    out = env.path("out.bin")
    name = f"sockcat-test-{os.getpid()}"
    peer, _ = env.serving_peer("send", data, "--family", "abstract", "--path", name)
    sockcat = env.run_sockcat("-U", "@" + name, stdout_path=out)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    expect_same_file(out, data)


@test
def test_unix_abstract_listener(env):
    data = env.random_file()
    out = env.path("out.bin")
    name = f"sockcat-test-{os.getpid()}"
    sockcat, _ = env.sockcat_listener("-U", "@" + name, stdout_path=out)
    assert "laddr=b'\\x00" + name in sockcat.text(), sockcat.output()
    socat = env.start(["socat", "-u", f"FILE:{data}", f"ABSTRACT-CONNECT:{name}"])
    expect_exit(socat, 0)
    expect_exit(sockcat, 0)
    expect_same_file(out, data)


# ---- text mode ---------------------------------------------------------------------------


def serve_bytes(env, data, role="send"):
    path = env.path("text.bin")
    with open(path, "wb") as f:
        f.write(data)
    return env.serving_peer(role, path if role == "send" else data.hex())


@test
def test_text_latin1_to_utf8(env):
    peer, port = serve_bytes(env, "café naïve\r\nÆØÅ\n".encode("latin-1"))
    sockcat = env.run_sockcat("--encoding", "latin-1", "127.0.0.1", port)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    assert sockcat.text("stdout") == "café naïve\nÆØÅ\n", sockcat.output()


@test
def test_text_lines_stops_early(env):
    # The peer never closes first: sockcat must stop by itself after two lines.
    peer, port = serve_bytes(env, b"one\ntwo\r\nthree\nfour\n", role="text_then_wait")
    sockcat = env.run_sockcat("--lines", "2", "127.0.0.1", port)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    assert sockcat.text("stdout") == "one\ntwo\n", sockcat.output()


@test
def test_text_newline_modes(env):
    # What Python's TextIOWrapper.readline() gives for each newline= value, two lines of it.
    data = b"a\r\nb\rc\nd\n"
    for mode, newline in (("universal", None), ("keep", ""), ("lf", "\n"), ("cr", "\r"),
                          ("crlf", "\r\n")):
        reader = io.TextIOWrapper(io.BytesIO(data), encoding="ascii", newline=newline)
        want = reader.readline() + reader.readline()
        peer, port = serve_bytes(env, data, role="text_then_wait")
        sockcat = env.run_sockcat("--newline", mode, "--lines", "2", "127.0.0.1", port)
        expect_exit(sockcat, 0)
        expect_exit(peer, 0)
        got = sockcat.streams["stdout"]["lines"]
        assert "".join(got) == want, f"--newline {mode}: {got!r}, want {want!r}"


@test
def test_text_errors(env):
    # As in CPython, a strict decoder fails on the chunk: the error is all that is printed.
    for errors, status, out in (("strict", 1, ""), ("replace", 0, "fine\n\ufffd\ufffd bad\n")):
        peer, port = serve_bytes(env, b"fine\n\xff\xfe bad\n")
        sockcat = env.run_sockcat("--errors", errors, "127.0.0.1", port)
        expect_exit(sockcat, status)
        expect_exit(peer, 0)
        assert sockcat.text("stdout") == out, sockcat.output()
    assert sockcat.text() == "", sockcat.output()
    assert env.procs[1].text() == ("sockcat: receive failed: 'utf-8' codec can't decode byte 0xff "
                                   "in position 5: invalid start byte\n"), env.procs[1].output()


# ---- errors, arguments, reporting --------------------------------------------------------


@test
def test_connection_refused(env):
    port = free_port()
    sockcat = env.run_sockcat("127.0.0.1", port)
    expect_exit(sockcat, 1)
    assert sockcat.text() == (f"sockcat: connect to ('127.0.0.1', {port}) failed: "
                              "[Errno 111] Connection refused\n"), sockcat.output()


@test
def test_listen_on_a_live_unix_socket(env):
    # A path somebody still listens on is not taken over (sockcat's probe connection, which
    # found it alive, is the peer's one client).
    path = env.path("busy.sock")
    peer, _ = env.serving_peer("sink", "--family", "unix", "--path", path)
    sockcat = env.run_sockcat("-l", "-U", path)
    expect_exit(sockcat, 1)
    assert sockcat.text() == ("sockcat: listen failed: [Errno 98] Address already in use "
                              f"(while attempting to bind on address '{path}')\n"), sockcat.output()
    expect_exit(peer, 0)
    assert os.path.exists(path), "sockcat removed a live socket file"


@test
def test_listen_timeout(env):
    start = time.monotonic()
    sockcat = env.run_sockcat("-l", "-w", "0.3", "127.0.0.1", "0")
    expect_exit(sockcat, 1)
    assert time.monotonic() - start < TIMEOUT / 2
    assert sockcat.text() == "sockcat: waiting for a client failed: timed out\n", sockcat.output()


@test
def test_bad_arguments(env):
    bad = [[], ["localhost"], ["-l"], ["-k", "localhost", "1"], ["localhost", "65536"],
           ["localhost", "http"], ["--no-such-option", "localhost", "1"],
           ["--encoding", "no-such-codec", "localhost", "1"], ["--errors", "nope", "h", "1"],
           ["-U", "/tmp/x", "localhost"], ["--lines", "0", "localhost", "1"], ["--lines", "-1", "h", "1"], ["-w", "inf", "h", "1"],
           ["--newline", "\t", "localhost", "1"], ["-w", "-1", "localhost", "1"],
           ["--send-file", env.path("missing"), "localhost", "1"], ["-l", "1", "2", "3"]]
    for args in bad:
        sockcat = env.run_sockcat(*args)
        expect_exit(sockcat, 2)
        err = sockcat.text()
        assert err.startswith("sockcat: ") and "Usage: sockcat" in err, f"{args}: {err}"
    helped = env.run_sockcat("--help")
    expect_exit(helped, 0)
    assert "Usage: sockcat" in helped.text("stdout") and "--send-file" in helped.text("stdout")


@test
def test_verbose_prints_reprs(env):
    peer, port = env.serving_peer("count")
    sockcat = env.run_sockcat("-v", "127.0.0.1", port)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    err = sockcat.text()
    assert re.search(r"connected: <pysock\.socket fd=\d+, family=AF_INET, type=SOCK_STREAM, "
                     rf"proto=\d+, laddr=\('127\.0\.0\.1', \d+\), raddr=\('127\.0\.0\.1', {port}\)>",
                     err), err
    assert "shutdown(SHUT_WR)" in err and "the peer closed the connection" in err, err


@test
def test_progress_line(env):
    data = env.random_file()
    peer, port = env.serving_peer("sink")
    sockcat = env.run_sockcat("--progress", "--send-file", data, "127.0.0.1", port)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    assert re.search(r"sockcat: sent 3\.0 MiB of 3\.0 MiB \([\d.]+ [KMG]?i?B/s\), received 0 B",
                     sockcat.text()), sockcat.output()


# ---- SIGPIPE never kills sockcat -----------------------------------------------------------


def expect_sigpipe_not_ignored(sockcat):
    """The test means something only if SIGPIPE would kill sockcat: it must not ignore it."""
    with open(f"/proc/{sockcat.proc.pid}/status") as status:
        ignored = int(re.search(r"^SigIgn:\s*([0-9a-f]+)$", status.read(), re.M).group(1), 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1)), "sockcat ignores SIGPIPE"


def expect_clean_failure(sockcat, pattern):
    expect_exit(sockcat, 1)
    assert re.fullmatch(pattern, sockcat.text()), sockcat.output()


@test
def test_no_sigpipe_peer_resets(env):
    # sockcat streams /dev/zero; the peer reads a little and resets the connection.
    peer, port = env.serving_peer("reset", "--small-window")
    sockcat = env.run_sockcat("127.0.0.1", port, stdin="/dev/zero")
    expect_clean_failure(sockcat, r"sockcat: (send|receive) failed: "
                                  r"\[Errno (32|104)\] (Broken pipe|Connection reset by peer)\n")
    expect_exit(peer, 0)


@test
def test_no_sigpipe_send_after_half_close(env):
    # The peer half-closes while sockcat's send is blocked, then closes: the send gets EPIPE,
    # the error that raises SIGPIPE without MSG_NOSIGNAL. Over a Unix socket, whose send buffer
    # only drains when the peer reads, and this peer never reads. Over TCP the segment carrying
    # the FIN can make room (the kernel grows the send buffer on it): the blocked chunk then
    # finishes, and sockcat rightly sends no more.
    path = env.path("peer.sock")
    peer, _ = env.serving_peer("close_after_half_close", "--family", "unix", "--path", path)
    sockcat = env.run_sockcat("-U", path, stdin="/dev/zero")
    expect_sigpipe_not_ignored(sockcat)
    expect_clean_failure(sockcat, r"sockcat: send failed: \[Errno 32\] Broken pipe\n")
    expect_exit(peer, 0)


@test
def test_no_sigpipe_sendfile(env):
    # sendfile(2) has no MSG_NOSIGNAL; the same peer as above.
    data = env.random_file(size=16 * MiB)
    path = env.path("peer.sock")
    peer, _ = env.serving_peer("close_after_half_close", "--family", "unix", "--path", path)
    sockcat = env.run_sockcat("--send-file", data, "-U", path)
    expect_clean_failure(sockcat, rf"sockcat: sendfile {re.escape(data)} failed: "
                                  r"\[Errno 32\] Broken pipe\n")
    expect_exit(peer, 0)


# ---- TLS (--ssl) ---------------------------------------------------------------------------


def tls_listener(env, *args, **kw):
    """sockcat -v -l --ssl with the test server certificate; returns it and its port."""
    return env.sockcat_listener("--ssl", "--ssl-cert", env.cert("server.pem"),
                                "--ssl-key", env.cert("server.key"), *args, **kw)


def tls_client(env, *args, **kw):
    """sockcat --ssl trusting the test CA."""
    return env.run_sockcat("--ssl", "--ssl-trustfile", env.cert("ca.pem"), *args, **kw)


def ncat_tls_listener(env, *args, **kw):
    port = free_port()
    ncat = env.start(["ncat", "-v", "--ssl", "--ssl-cert", env.cert("server.pem"), "--ssl-key",
                      env.cert("server.key"), "-l", *args, "127.0.0.1", port], **kw)
    ncat.wait_for(r"Listening on")
    return ncat, port


def text_file(env, size):
    """`size` bytes of random hex lines: survives peers that print their status on stdout."""
    with open(env.path("in.txt"), "w") as f:
        while size > 0:
            line = os.urandom(min(64, size) // 2 or 1).hex()[:max(size - 1, 1)] + "\n"
            f.write(line)
            size -= len(line)
    return env.path("in.txt")


@test
def test_tls_send_file_20mb_to_ncat_listener(env):
    data = env.random_file(size=20 * MiB)
    out = env.path("out.bin")
    # ncat --ssl -l ends at its stdin's end, even with --recv-only: it stays open.
    ncat, port = ncat_tls_listener(env, "--recv-only", stdin=subprocess.PIPE, stdout_path=out)
    sockcat = tls_client(env, "--send-file", data, "127.0.0.1", port)
    expect_exit(sockcat, 0)
    expect_exit(ncat, 0)
    expect_same_file(out, data)


@test
def test_tls_download_20mb_from_ncat_listener(env):
    data = env.random_file(size=20 * MiB)
    out = env.path("out.bin")
    ncat, port = ncat_tls_listener(env, "--send-only", stdin=data)
    # stdin stays open: a close_notify that ncat --send-only never reads would make it reset.
    sockcat = tls_client(env, "127.0.0.1", port, stdin=subprocess.PIPE, stdout_path=out)
    expect_exit(sockcat, 0)
    expect_exit(ncat, 0)
    expect_same_file(out, data)


@test
def test_tls_listener_ncat_client_uploads_20mb(env):
    data = env.random_file(size=20 * MiB)
    out = env.path("out.bin")
    sockcat, port = tls_listener(env, "127.0.0.1", "0", stdin=subprocess.PIPE, stdout_path=out)
    # Not --send-only: ncat would leave the session tickets unread, and its close reset.
    ncat = env.start(["ncat", "--ssl", "127.0.0.1", port], stdin=data)
    expect_exit(ncat, 0)
    expect_exit(sockcat, 0)
    expect_same_file(out, data)


@test
def test_tls_listener_sends_20mb_to_ncat_client(env):
    data = env.random_file(size=20 * MiB)
    out = env.path("out.bin")
    sockcat, port = tls_listener(env, "--send-file", data, "127.0.0.1", "0")
    ncat = env.start(["ncat", "--ssl", "--recv-only", "127.0.0.1", port], stdout_path=out)
    expect_exit(ncat, 0)
    expect_exit(sockcat, 0)
    expect_same_file(out, data)


def openssl_server(env, *args, **kw):
    server = env.start(["openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
                        "-cert", env.cert("server.pem"), "-key", env.cert("server.key"), *args],
                       **kw)
    return server, server.wait_for(r"^ACCEPT 127\.0\.0\.1:(\d+)", "stdout").group(1)


@test
def test_tls_send_file_20mb_to_openssl_s_server_tls12(env):
    # s_server prints its status on stdout among the data: the data are text lines, found whole.
    data = text_file(env, 20 * MiB)
    server, port = openssl_server(env, "-tls1_2", stdin=subprocess.PIPE)  # ends at stdin's end
    sockcat = tls_client(env, "-v", "--send-file", data, "127.0.0.1", port)
    expect_exit(sockcat, 0)
    expect_exit(server, 0)
    with open(data) as f:
        assert f.read() in server.text("stdout"), "s_server did not print the file whole"
    assert re.search(r"TLS: TLSv1\.2, cipher ECDHE-", sockcat.text()), sockcat.output()


@test
def test_tls_download_from_python_tls13_alpn_ragged_eof(env):
    peer, port = env.serving_peer("send", text_file(env, 1 * MiB), "--tls-cert",
                                  env.cert("server.pem"), "--tls-key", env.cert("server.key"),
                                  "--tls-version", "1.3", "--alpn", "h2,sockcat")
    out = env.path("out.txt")
    sockcat = tls_client(env, "-v", "--ssl-alpn", "sockcat", "127.0.0.1", port, stdout_path=out)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)
    expect_same_file(out, env.path("in.txt"))
    err = sockcat.text()
    assert re.search(r"TLS: TLSv1\.3, cipher TLS_\w+ \(\d+ bits\), ALPN sockcat", err), err
    assert "subjectAltName DNS:localhost, IP Address:127.0.0.1" in err, err
    # CPython shut the transport down without close_notify: a warning, the data kept.
    assert "warning: the TLS peer closed without close_notify ([SSL: UNEXPECTED_EOF_WHILE_READING]" \
        in err, err
    assert peer.result()["alpn"] == "sockcat", peer.result()


@test
def test_tls_openssl_s_client_uploads_to_listener(env):
    data = env.random_file(size=20 * MiB)
    out = env.path("out.bin")
    sockcat, port = tls_listener(env, "127.0.0.1", "0", stdin=subprocess.PIPE, stdout_path=out)
    client = env.start(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-quiet",
                        "-no_ign_eof", "-nocommands", "-verify_return_error", "-CAfile", env.cert("ca.pem"),
                        "-verify_ip", "127.0.0.1"], stdin=data)
    expect_exit(client, 0)
    expect_exit(sockcat, 0)
    expect_same_file(out, data)


@test
def test_tls_listener_sends_to_openssl_s_client(env):
    data = env.random_file(size=20 * MiB)
    out = env.path("out.bin")
    sockcat, port = tls_listener(env, "--send-file", data, "127.0.0.1", "0")
    client = env.start(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-quiet",
                        "-verify_return_error", "-CAfile", env.cert("ca.pem")],
                       stdout_path=out)
    expect_exit(client, 0)
    expect_exit(sockcat, 0)
    expect_same_file(out, data)


@test
def test_tls_socat_both_ways(env):
    up, down = env.random_file("up.bin"), env.random_file("down.bin")
    got_up, got_down = env.path("got_up.bin"), env.path("got_down.bin")
    socat = env.start(["socat", "-d", "-d", "-u",
                       f"OPENSSL-LISTEN:0,bind=127.0.0.1,cert={env.cert('server.pem')},"
                       f"key={env.cert('server.key')},verify=0", "STDOUT"],
                      stdout_path=got_up)
    port = socat.wait_for(r"listening on AF=2 127\.0\.0\.1:(\d+)").group(1)
    expect_exit(tls_client(env, "127.0.0.1", port, stdin=up), 0)
    expect_exit(socat, 0)
    expect_same_file(got_up, up)
    sockcat, port = tls_listener(env, "--send-file", down, "127.0.0.1", "0")
    socat = env.start(["socat", "-u", f"OPENSSL:127.0.0.1:{port},cafile={env.cert('ca.pem')}",
                       "STDOUT"], stdout_path=got_down)
    expect_exit(socat, 0)
    expect_exit(sockcat, 0)
    expect_same_file(got_down, down)


@test
def test_tls_half_close_then_reply_python(env):
    # close_notify after stdin ends, and sockcat reads on: CPython answers after it.
    peer, port = env.serving_peer("count", "--tls-cert", env.cert("server.pem"),
                                  "--tls-key", env.cert("server.key"))
    sockcat = tls_client(env, "127.0.0.1", port, stdin=env.random_file())
    assert sockcat.wait_for(r"received (\d+) bytes", "stdout").group(1) == str(3 * MiB)
    expect_exit(sockcat, 0)
    expect_exit(peer, 0)


@test
def test_tls_python_client_echo_tls12_text_mode(env):
    # sockcat -l --ssl in text mode (makefile over TLS) against CPython's ssl client.
    sockcat, port = tls_listener(env, "--tls1.2", "--encoding", "latin-1", "127.0.0.1", "0")
    peer = env.peer("connect", "127.0.0.1", port, "send", text_file(env, 100_000),
                    "--tls-ca", env.cert("ca.pem"), "--tls-version", "1.2")
    expect_exit(peer, 0)
    expect_exit(sockcat, 0)
    assert peer.result()["tls"] == "TLSv1.2", peer.result()
    with open(env.path("in.txt")) as f:
        assert sockcat.text("stdout") == f.read()


@test
def test_tls_unix_socket_keep_open(env):
    data = env.random_file()
    path = env.path("tls.sock")
    sockcat, _ = tls_listener(env, "-k", "--send-file", data, "-U", path)
    for i in range(2):
        out = env.path(f"out{i}.bin")
        # stdin stays open: a client that half-closed at once would stop the server sending.
        client = tls_client(env, "--ssl-servername", "localhost", "-U", path,
                            stdin=subprocess.PIPE, stdout_path=out)
        expect_exit(client, 0)
        expect_same_file(out, data)
    sockcat.kill()


def expect_tls_failure(sockcat, message):
    expect_clean_failure(sockcat, re.escape(message) + r"\n")


@test
def test_tls_wrong_host(env):
    sockcat, port = tls_listener(env, "127.0.0.1", "0")
    client = tls_client(env, "--ssl-servername", "example.com", "127.0.0.1", port)
    expect_tls_failure(client, f"sockcat: TLS handshake with ('127.0.0.1', {port}) failed: "
                               "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                               "Hostname mismatch, certificate is not valid for 'example.com'.")
    expect_exit(sockcat, 1)


@test
def test_tls_expired_and_self_signed(env):
    for name, why in (("expired", "certificate has expired"),
                      ("selfsigned", "self-signed certificate")):
        sockcat, port = env.sockcat_listener("--ssl", "--ssl-cert", env.cert(f"{name}.pem"),
                                             "--ssl-key", env.cert(f"{name}.key"),
                                             "127.0.0.1", "0")
        client = tls_client(env, "127.0.0.1", port)
        expect_tls_failure(client, f"sockcat: TLS handshake with ('127.0.0.1', {port}) failed: "
                                   f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                   f"{why}")
        expect_exit(sockcat, 1)
    # --no-ssl-verify accepts it (ncat's default).
    sockcat, port = env.sockcat_listener("--ssl", "--ssl-cert", env.cert("selfsigned.pem"),
                                         "--ssl-key", env.cert("selfsigned.key"),
                                         "127.0.0.1", "0")
    client = env.run_sockcat("--ssl", "--no-ssl-verify", "127.0.0.1", port)
    expect_exit(client, 0)
    expect_exit(sockcat, 0)


@test
def test_tls_plaintext_peer(env):
    # A plaintext server that answers the ClientHello with text, and a plaintext client.
    peer, port = env.serving_peer("text_then_wait", b"HTTP/1.0 400 Bad\r\n\r\n".hex())
    client = tls_client(env, "127.0.0.1", port)
    expect_tls_failure(client, f"sockcat: TLS handshake with ('127.0.0.1', {port}) failed: "
                               "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    sockcat, port = tls_listener(env, "127.0.0.1", "0")
    plain = env.peer("connect", "127.0.0.1", port, "text_then_wait", b"hello\n".hex())
    expect_clean_failure(sockcat, r"(?s).*sockcat: TLS handshake with \('127\.0\.0\.1', \d+\) "
                                  r"failed: \[SSL: (WRONG_VERSION_NUMBER|HTTP_REQUEST|"
                                  r"RECORD_LAYER_FAILURE)\] [^\n]*\n")
    # The peers' bytes were left unread: both get a reset, which is all they can report.
    for p in (peer, plain):
        p.finish()


@test
def test_tls_no_sigpipe_peer_vanishes(env):
    # sockcat streams /dev/zero over TLS; the CPython peer reads a little and resets.
    peer, port = env.serving_peer("reset", "--small-window", "--tls-cert",
                                  env.cert("server.pem"), "--tls-key", env.cert("server.key"))
    sockcat = tls_client(env, "127.0.0.1", port, stdin="/dev/zero")
    expect_sigpipe_not_ignored(sockcat)
    # The reset reaches one thread as ECONNRESET; the other may read the end that follows.
    expect_clean_failure(sockcat, r"(sockcat: warning: the TLS peer closed without "
                                  r"close_notify [^\n]*\n)?"
                                  r"sockcat: (send|receive) failed: \[Errno (32|104)\] "
                                  r"(Broken pipe|Connection reset by peer)\n")
    expect_exit(peer, 0)


@test
def test_tls_usage_errors(env):
    for args, message in ((["-l", "--ssl", "0"], "-l --ssl needs --ssl-cert FILE"),
                          (["--ssl-alpn", "h2", "h", "1"], "the --ssl-* options need --ssl"),
                          (["--ssl", "-U", "x"], "-U --ssl needs --ssl-servername NAME")):
        sockcat = env.run_sockcat(*args)
        expect_exit(sockcat, 2)
        assert f"sockcat: {message}" in sockcat.text(), sockcat.output()


# ---- the runner --------------------------------------------------------------------------


def run_one(name, sockcat, python, certs):
    tmp = tempfile.mkdtemp(prefix=f"sockcat-{name}-")
    env = Env(sockcat, python, tmp, certs)
    start = time.monotonic()
    try:
        TESTS[name](env)
        ok, detail = True, ""
    except Exception:  # a failed assertion or a broken peer: both fail the test
        ok, detail = False, traceback.format_exc() + env.output_of_everything()
    finally:
        env.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'PASS' if ok else 'FAIL'} sockcat.{name} ({time.monotonic() - start:.2f} s)")
    if detail:
        print(detail)
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockcat", help="the sockcat binary")
    parser.add_argument("--certs", help="the TLS tests' certificates (make_tls_certificates.sh)")
    parser.add_argument("--list", action="store_true", help="print the test names")
    parser.add_argument("tests", nargs="*", help="tests to run (default: all)")
    args = parser.parse_args()
    if args.list:
        print(";".join(TESTS))
        return 0
    unknown = [t for t in args.tests if t not in TESTS]
    if unknown or not args.sockcat:
        parser.error(f"unknown tests {unknown}" if unknown else "--sockcat is required")
    python = python313()
    names = args.tests or list(TESTS)
    results = {name: run_one(name, os.path.abspath(args.sockcat), python, args.certs) for name in names}
    failed = [n for n, ok in results.items() if not ok]
    print(f"sockcat tests: {len(results) - len(failed)} passed, {len(failed)} failed"
          + (f" ({', '.join(failed)})" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
