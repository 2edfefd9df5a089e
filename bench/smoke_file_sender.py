"""Smoke run of pysock-file-sender under the harness protocol: it gets one end of a socket
pair as --fd, says "ready", is told "go", and must deliver the file exactly.

smoke_file_sender.py PROGRAM          -- W2: plain sendfile, ended by EOF
smoke_file_sender.py PROGRAM CERTS    -- W7: --tls with CERTS/server.pem; this side is the
    verifying client (Python's ssl), reads to close_notify and answers it as tls-sink does"""
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import tempfile

SIZE = 3 * 1024 * 1024 + 11


def main(program, certs=None):
    data = random.Random(7).randbytes(SIZE)
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        mine, theirs = socket.socketpair()
        mine.settimeout(30)
        command = [program, '--file', f.name, '--size', str(SIZE), '--fd', str(theirs.fileno())]
        if certs:
            command += ['--tls', '--cert', os.path.join(certs, 'server.pem'),
                        '--key', os.path.join(certs, 'server.key')]
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 pass_fds=[theirs.fileno()])
        theirs.close()
        if certs:  # the sender handshakes before it says "ready"
            context = ssl.create_default_context(cafile=os.path.join(certs, 'ca.pem'))
            mine = context.wrap_socket(mine, server_hostname='localhost')
        assert child.stdout.readline() == 'ready\n'
        child.stdin.write('go\n')
        child.stdin.flush()
        received = bytearray()
        while chunk := mine.recv(1 << 16):
            received += chunk
        if certs:
            mine = mine.unwrap()  # the stream ended with close_notify: answer it
        mine.close()
        result = json.loads(child.stdout.readline())
        assert child.wait(timeout=30) == 0
    assert received == data, f'received {len(received)} bytes, wanted {SIZE}'
    assert result['bytes'] == SIZE and result['seconds'] > 0, result
    if certs:
        assert result['tls_version'] == 'TLSv1.3', result
    print('ok', result)


main(*sys.argv[1:])
