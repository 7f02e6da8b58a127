#!/usr/bin/env python3
"""The loopback origin server that the js-serve handler's /proxy route fetches from.

Usage: origin.py PORT_FILE. Binds 127.0.0.1 on a free port, writes the port to PORT_FILE once
it is listening, and serves until killed. Every answer is a pure function of the request, so
the two servers compared by compare-jco.sh must relay identical bytes. Routes:
  GET  /hello          200 "origin hello\n", x-origin-id: 42
  *    /echo           200, the request body back; x-origin-method, x-origin-length
  GET  /forward        200, x-origin-forward: the request's x-forward header (or "-")
  GET  /status/N       status N, body "origin status N\n"
  GET  /big?size=N     200, N bytes of i mod 251 (the handler's own pattern)
  else                 404
"""
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def pattern(size):
    block = bytes(range(251))
    return (block * (size // 251 + 1))[:size]


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):  # quiet: the comparison prints its own table
        pass

    def read_body(self):
        if self.headers.get('transfer-encoding', '').lower() == 'chunked':
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get('content-length') or 0)
        return self.rfile.read(length) if length else b''

    def answer(self, status, body, headers=(), content_type='text/plain'):
        self.send_response(status)
        self.send_header('content-type', content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('content-length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def route(self):
        url = urlsplit(self.path)
        body = self.read_body()
        if url.path == '/hello':
            return self.answer(200, b'origin hello\n', [('x-origin-id', '42')])
        if url.path == '/echo':
            return self.answer(200, body, [('x-origin-method', self.command),
                                           ('x-origin-length', str(len(body)))],
                               self.headers.get('content-type', 'application/octet-stream'))
        if url.path == '/forward':
            return self.answer(200, b'forward\n', [('x-origin-forward', self.headers.get('x-forward', '-'))])
        if url.path.startswith('/status/'):
            code = int(url.path[len('/status/'):])
            return self.answer(code, f'origin status {code}\n'.encode())
        if url.path == '/big':
            size = int(parse_qs(url.query).get('size', ['1048576'])[0])
            return self.answer(200, pattern(size), [('x-origin-size', str(size))],
                               'application/octet-stream')
        return self.answer(404, b'origin: not found\n')

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = route


def main():
    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    tmp = sys.argv[1] + '.tmp'
    with open(tmp, 'w') as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, sys.argv[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Event().wait()


if __name__ == '__main__':
    main()
