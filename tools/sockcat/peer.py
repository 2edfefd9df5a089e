"""A CPython-sockets peer for sockcat's end-to-end tests (run under python3.13).

    peer.py serve ROLE [ARG] [--family inet|inet6|unix|abstract] [--path P] [--small-window]
    peer.py connect HOST PORT ROLE [ARG]      (HOST "unix:" + PATH for a Unix socket)
    TLS (CPython's ssl): serve --tls-cert PEM --tls-key KEY, connect --tls-ca PEM; either with
    --tls-version 1.2|1.3 (the only version allowed) and --alpn PROTO,...

`serve` listens on an ephemeral loopback port (or the given Unix path / abstract name), prints
the port (or "ready") on stdout, serves one client and exits. Whatever a role reports comes
last on stdout as one JSON line. Every blocking call is bounded by a timeout.
"""

import argparse
import glob
import hashlib
import json
import socket
import ssl
import struct
import sys
import time

TIMEOUT = 60.0


def read_to_eof(sock):
    digest, size = hashlib.sha256(), 0
    while chunk := sock.recv(1 << 16):
        digest.update(chunk)
        size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def reset(sock):
    """Close with unread data and SO_LINGER 0: the peer gets an RST, not a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def role_sink(sock, _arg):
    return read_to_eof(sock)


def role_echo(sock, _arg):
    size = 0
    while chunk := sock.recv(1 << 16):
        sock.sendall(chunk)
        size += len(chunk)
    return {"size": size}


def role_count(sock, _arg):
    """Answers only after the client half-closed: proves the half-close and the reading on."""
    size = read_to_eof(sock)["size"]
    sock.sendall(f"received {size} bytes\n".encode())
    return {"size": size}


def role_send(sock, path):
    with open(path, "rb") as f:
        sock.sendfile(f)
    sock.shutdown(socket.SHUT_WR)
    return read_to_eof(sock)


def role_text_then_wait(sock, hex_bytes):
    """Sends the bytes, then waits for the client to close first (for --lines)."""
    sock.sendall(bytes.fromhex(hex_bytes))
    start = time.monotonic()
    read_to_eof(sock)
    return {"waited": time.monotonic() - start}


def role_peername(sock, _arg):
    sock.sendall(f"{sock.getpeername()}\n".encode())
    sock.shutdown(socket.SHUT_WR)
    read_to_eof(sock)
    return {}


def role_reset(sock, _arg):
    """Reads a little of a stream that goes on, then resets the connection."""
    sock.recv(1 << 16)
    reset(sock)
    return {}


def wchan_of(path):
    """Where the thread of this /proc wchan file sleeps in the kernel: a function name, "0"
    while it runs, None once it exited."""
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def threads_waiting_in(pid, kernel_functions):
    """The threads of process `pid` asleep in one of `kernel_functions` (their /proc wchan
    files)."""
    return {path for path in glob.glob(f"/proc/{pid}/task/*/wchan")
            if wchan_of(path) in kernel_functions}


def done_with(threads, kernel_functions):
    """Every one of `threads` left `kernel_functions` and is asleep elsewhere, or exited: it
    finished what woke it, not just started to."""
    return all(wchan_of(path) not in ("0", *kernel_functions) for path in threads)


# Where a Unix stream socket's send (also sendfile) waits for room, and where its recv waits for
# data: unix_stream_data_wait, or its caller when the kernel inlined it (Linux 6.x builds do, and
# wchan names the caller).
SEND_WAIT = ("sock_alloc_send_pskb",)
RECV_WAIT = ("unix_stream_data_wait", "unix_stream_read_generic")


def wait_for(condition, what):
    """Polls `condition` until it holds (bounded by TIMEOUT); the interval only bounds the work,
    it decides nothing."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.01)


def client_pid(sock):
    pid, _uid, _gid = struct.unpack("3i", sock.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return pid


def role_close_after_half_close(sock, _arg):
    """Never reads: once the client's send is blocked, half-closes (the client sees EOF while
    its send is blocked), then closes: that send gets EPIPE. Meant for a Unix socket, where
    nothing makes room in the client's buffer before the close. Every step waits for the
    client's state, read from /proc (SO_PEERCRED names it), never for time to pass."""
    pid = client_pid(sock)
    # sockcat sends on one thread and receives on another: wait until one is blocked in send
    # and one waits in recv. Neither can leave that state before this peer acts, so the pair
    # is seen together however the machine schedules them.
    receiving = set()

    def blocked_both_ways():
        nonlocal receiving
        receiving = threads_waiting_in(pid, RECV_WAIT)
        return receiving and threads_waiting_in(pid, SEND_WAIT)

    wait_for(blocked_both_ways, "the client never blocked in send while waiting in recv")
    sock.shutdown(socket.SHUT_WR)
    # Closing with unread data resets the client's recv: first let it return the EOF, i.e.
    # watch its thread until it sleeps elsewhere (joining its sender) or exits.
    wait_for(lambda: done_with(receiving, RECV_WAIT), "the client's recv never saw the EOF")
    sock.close()
    return {}


ROLES = {name[len("role_"):]: fn for name, fn in globals().items() if name.startswith("role_")}


def listener(args):
    if args.family in ("unix", "abstract"):
        server = socket.socket(socket.AF_UNIX)
        server.bind(args.path if args.family == "unix" else "\0" + args.path)
    else:
        family = socket.AF_INET6 if args.family == "inet6" else socket.AF_INET
        server = socket.socket(family)
        if args.small_window:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        server.bind(("::1" if args.family == "inet6" else "127.0.0.1", 0))
    server.listen()
    server.settimeout(TIMEOUT)
    return server


def tls_context(args, server_side):
    """A context with Python's defaults for the side, or None without TLS options."""
    if not (args.tls_cert or args.tls_ca):
        return None
    if server_side:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
    else:
        ctx = ssl.create_default_context(cafile=args.tls_ca)
    if args.tls_version:
        version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[args.tls_version]
        ctx.minimum_version = ctx.maximum_version = version
    if args.alpn:
        ctx.set_alpn_protocols(args.alpn.split(","))
    return ctx


def secure(sock, args, server_side, hostname=None):
    """`sock`, wrapped in TLS when asked; a TLS peer also reports what it negotiated."""
    ctx = tls_context(args, server_side)
    if ctx is None:
        return sock, {}
    # Strict EOFs: a client's end without close_notify is an error here, not an end.
    sock = ctx.wrap_socket(sock, server_side=server_side, server_hostname=hostname,
                           suppress_ragged_eofs=False)
    return sock, {"tls": sock.version(), "alpn": sock.selected_alpn_protocol()}


def serve(args):
    with listener(args) as server:
        port = server.getsockname()[1] if server.family != socket.AF_UNIX else "ready"
        print(port, flush=True)
        conn, _ = server.accept()
    conn.settimeout(TIMEOUT)
    conn, negotiated = secure(conn, args, server_side=True)
    with conn:
        return {**negotiated, **ROLES[args.role](conn, args.arg)}


def connect(args):
    if args.host.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(TIMEOUT)
        sock.connect(args.host[len("unix:"):].replace("@", "\0", 1))
    else:
        sock = socket.create_connection((args.host, int(args.port)), timeout=TIMEOUT)
    sock, negotiated = secure(sock, args, server_side=False, hostname=args.host)
    with sock:
        return {**negotiated, **ROLES[args.role](sock, args.arg)}


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("role", choices=ROLES)
    s.add_argument("arg", nargs="?")
    s.add_argument("--family", default="inet", choices=["inet", "inet6", "unix", "abstract"])
    s.add_argument("--path")
    s.add_argument("--small-window", action="store_true")
    c = sub.add_parser("connect")
    c.add_argument("host")
    c.add_argument("port")
    c.add_argument("role", choices=ROLES)
    c.add_argument("arg", nargs="?")
    for p in (s, c):
        p.add_argument("--tls-cert")
        p.add_argument("--tls-key")
        p.add_argument("--tls-ca")
        p.add_argument("--tls-version", choices=["1.2", "1.3"])
        p.add_argument("--alpn")
    args = parser.parse_args()
    result = serve(args) if args.command == "serve" else connect(args)
    print(json.dumps({"python": sys.version.split()[0], **result}), flush=True)


if __name__ == "__main__":
    main()
