"""A loopback HTTP server for the http_get example's test: Python's own http.server serving a
directory (Content-Length bodies), plus /chunked, which sends a directory file in chunked
transfer coding. With CERT and KEY it serves HTTPS (CPython's ssl, ALPN http/1.1). Prints
"port N" once it listens; serves until killed.

usage: http_server.py DIRECTORY [CERT KEY]
"""
import functools
import http.server
import os
import ssl
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if not self.path.startswith("/chunked/"):
            return super().do_GET()
        name = os.path.basename(self.path)
        with open(os.path.join(self.directory, name), "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        for start in range(0, len(body), 7777):
            piece = body[start:start + 7777]
            self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")

    def log_message(self, *args):
        pass


def main():
    handler = functools.partial(Handler, directory=sys.argv[1])
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        if len(sys.argv) == 4:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[2], sys.argv[3])
            context.set_alpn_protocols(["http/1.1"])
            server.socket = context.wrap_socket(server.socket, server_side=True)
        print("port", server.server_address[1], flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
