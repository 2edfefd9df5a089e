"""Smoke run of pysock-file-sender under the harness protocol: it gets one end of a socket
pair as --fd, says "ready", is told "go", and must deliver the file exactly."""
import json
import os
import random
import socket
import subprocess
import sys
import tempfile

SIZE = 3 * 1024 * 1024 + 11


def main(program):
    data = random.Random(7).randbytes(SIZE)
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        mine, theirs = socket.socketpair()
        mine.settimeout(30)
        child = subprocess.Popen(
            [program, '--file', f.name, '--size', str(SIZE), '--fd', str(theirs.fileno())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, pass_fds=[theirs.fileno()])
        theirs.close()
        assert child.stdout.readline() == 'ready\n'
        child.stdin.write('go\n')
        child.stdin.flush()
        received = bytearray()
        while chunk := mine.recv(1 << 16):
            received += chunk
        result = json.loads(child.stdout.readline())
        assert child.wait(timeout=30) == 0
    assert received == data, f'received {len(received)} bytes, wanted {SIZE}'
    assert result['bytes'] == SIZE and result['seconds'] > 0, result
    print('ok', result)


main(sys.argv[1])
