#!/usr/bin/env python3
"""Chaos test of `weft serve`: many concurrent clients doing hostile or unlucky things to a
server running the routed test handler (tests/serve/guests/test-handler.c), with random flags.

Usage: chaos.py WEFT TEST_HANDLER_COMPONENT [--duration S] [--seed N] [--clients N] [--no-rss]

Each server (its flags drawn from the seed) goes through rounds: clients disconnect mid-body
and mid-response, half-close, pipeline bursts with garbage inside, send heads byte by byte,
huge heads, broken chunked bodies, requests that time out while streaming, guests that trap
after the head, /fetch to a loopback origin (run by this script) that stalls, resets or lies;
after each round, well-formed requests must get their exact answers (a concurrency slot or
instance leaked by the chaos shows up here as a 503 or a hang), and the server's RSS is
sampled. At the end SIGTERM under load: weft must exit 0 within the grace. Any sanitizer
report on weft's stderr fails the run. RSS growth across rounds is judged only for a build
without sanitizers (ASan's quarantine grows by design).
Everything listens on 127.0.0.1; every process and socket started here is stopped here.
"""
import argparse
import mmap
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("weft")
ap.add_argument("handler")
ap.add_argument("--duration", type=float, default=30.0, help="seconds of the whole run (about)")
ap.add_argument("--seed", type=int, default=None)
ap.add_argument("--clients", type=int, default=12)
ap.add_argument("--no-rss", action="store_true", help="do not judge RSS growth")
ap.add_argument("--servers", type=int, default=3, help="servers, each with its own random flags")
ap.add_argument("--rounds", type=int, default=3, help="chaos rounds per server")
ap.add_argument("--only", default="", help="comma-separated action names (a_...): only these")
ap.add_argument("--flags", default="", help="weft serve flags instead of random ones")
ARGS = ap.parse_args()
SEED = ARGS.seed if ARGS.seed is not None else random.randrange(1 << 30)
print(f"chaos: seed {SEED} (rerun with --seed {SEED})", flush=True)

SANITIZER_RE = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                          r"runtime error:|ThreadSanitizer|Segmentation fault|terminate called")


def binary_has_asan(path):
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return m.find(b"__asan_init") >= 0


SANITIZED = binary_has_asan(ARGS.weft)
FAILURES = []
FAIL_LOCK = threading.Lock()


def fail(msg):
    with FAIL_LOCK:
        FAILURES.append(msg)
    print("FAIL: " + msg, flush=True)


# ---------------------------------------------------------------- the misbehaving origin

class Origin:
    """A loopback HTTP/1.1 origin for /fetch: /ok answers, /stall never answers, /reset
    resets after the head, /partial promises 100 bytes, sends 10 and resets, /garbage sends
    no HTTP at all, /slowbody drips its body."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.stop_ev = threading.Event()
        self.conns = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()

    def accept_loop(self):
        self.sock.settimeout(0.2)
        while not self.stop_ev.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.conns.append(c)
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    @staticmethod
    def reset(c):
        try:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        except OSError:
            pass

    def serve(self, c):
        try:
            c.settimeout(5)
            buf = b""
            while b"\r\n\r\n" not in buf:
                b = c.recv(4096)
                if not b:
                    return
                buf += b
            path = buf.split(b" ", 2)[1].decode()
            if path == "/ok":
                c.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\norigin ok\n")
                c.close()
            elif path == "/stall":
                self.stop_ev.wait(10)
                c.close()
            elif path == "/reset":
                self.reset(c)
            elif path == "/partial":
                c.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
                time.sleep(0.05)
                self.reset(c)
            elif path == "/garbage":
                c.sendall(b"garbage\r\n\r\n" + os.urandom(64))
                c.close()
            elif path == "/slowbody":
                c.sendall(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                for _ in range(40):
                    if self.stop_ev.wait(0.05):
                        break
                    c.sendall(b"2\r\nx\n\r\n")
                c.sendall(b"0\r\n\r\n")
                c.close()
            elif path == "/hugehead":
                c.sendall(b"HTTP/1.1 200 OK\r\nx-big: " + b"h" * 2000000 + b"\r\n\r\n")
                c.close()
            elif path == "/badchunk":
                c.sendall(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                          b"5\r\nhello\r\nzz\r\n")
                c.close()
            elif path == "/http10":
                c.sendall(b"HTTP/1.0 200 OK\r\n\r\nto the close\n")
                c.close()
            elif path == "/continue":
                c.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nok\n")
                c.close()
            elif path == "/smuggle":
                c.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n"
                          b"content-length: 9\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
                c.close()
            elif path == "/endless":
                c.sendall(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                piece = b"%x\r\n%s\r\n" % (60000, b"e" * 60000)
                while not self.stop_ev.is_set():
                    c.sendall(piece)
            else:
                c.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                c.close()
        except OSError:
            pass

    def close(self):
        self.stop_ev.set()
        self.sock.close()
        self.thread.join(2)
        with self.lock:
            for c in self.conns:
                try:
                    c.close()
                except OSError:
                    pass


# ---------------------------------------------------------------- the server under test

class Server:
    def __init__(self, flags):
        self.flags = flags
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
        self.proc = subprocess.Popen(
            [ARGS.weft, "serve", "--addr", "127.0.0.1:0", *flags, ARGS.handler],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        self.err = []
        self.port = None
        ready = threading.Event()

        def pump():
            for line in self.proc.stderr:
                line = line.decode("utf-8", "replace").rstrip("\n")
                # Keep failures and sanitizer reports; drop the access log's bulk.
                if not re.match(r'^127\.0\.0\.1:\d+ "', line):
                    self.err.append(line)
                if self.port is None:
                    m = re.search(r"Serving HTTP on http://[^:]+:(\d+)/", line)
                    if m:
                        self.port = int(m.group(1))
                        ready.set()
            ready.set()

        self.pump = threading.Thread(target=pump, daemon=True)
        self.pump.start()
        if not ready.wait(30) or self.port is None:
            self.proc.kill()
            raise SystemExit("weft serve did not start: " + "\n".join(self.err[-20:]))

    def rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def alive(self):
        return self.proc.poll() is None

    def sanitizer_report(self):
        text = "\n".join(self.err)
        m = SANITIZER_RE.search(text)
        if not m:
            return None
        start = max(0, m.start() - 200)
        return text[start:start + 6000]

    def stop(self, timeout):
        """SIGTERM; returns (exit code or None if it had to be killed, seconds)."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)  # a core/stack trace from ASan if possible
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            rc = None
        self.pump.join(5)
        return rc, time.monotonic() - t0


# ---------------------------------------------------------------- client helpers

def connect(port, timeout=3.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def dl(ctx, secs):
    """A client deadline `secs` from now, cut at the end of the round (so a round ends soon
    after its time: the server must cope with clients vanishing anyway)."""
    return min(time.monotonic() + secs, ctx.get("round_end", float("inf")) + 0.3)


def reset_close(s):
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def read_some(s, limit, deadline):
    """Reads up to `limit` bytes or until close/timeout; returns bytes."""
    out = b""
    while len(out) < limit and time.monotonic() < deadline:
        try:
            b = s.recv(min(65536, limit - len(out)))
        except (socket.timeout, OSError):
            break
        if not b:
            break
        out += b
    return out


def read_response(s, deadline, head_only=False):
    """Reads one HTTP/1.1 response (content-length, chunked or to close). Returns
    (status, headers dict, body bytes, leftover) or None on a cut/garbled response."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        if time.monotonic() > deadline:
            return None
        try:
            b = s.recv(65536)
        except (socket.timeout, OSError):
            return None
        if not b:
            return None
        buf += b
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        return None
    status = int(m.group(1))
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if status == 100:
        return read_response_from(s, rest, deadline, head_only)
    if head_only or status in (204, 304):
        return status, headers, b"", rest

    def more():
        if time.monotonic() > deadline:
            return None
        try:
            b = s.recv(65536)
        except (socket.timeout, OSError):
            return None
        return b

    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            b = more()
            if not b:
                return None
            rest += b
        return status, headers, rest[:n], rest[n:]
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                b = more()
                if not b:
                    return None
                rest += b
            size_line, rest = rest.split(b"\r\n", 1)
            try:
                size = int(size_line.split(b";")[0], 16)
            except ValueError:
                return None
            if size == 0:
                while not (rest.startswith(b"\r\n") or b"\r\n\r\n" in rest):
                    b = more()
                    if not b:
                        return None
                    rest += b
                rest = rest[2:] if rest.startswith(b"\r\n") else rest.split(b"\r\n\r\n", 1)[1]
                return status, headers, body, rest
            while len(rest) < size + 2:
                b = more()
                if not b:
                    return None
                rest += b
            body += rest[:size]
            rest = rest[size + 2:]
    body = rest
    while True:
        b = more()
        if b is None:
            return None
        if not b:
            return status, headers, body, b""
        body += b


class Prefixed:
    """A socket whose first recv returns already-buffered bytes."""

    def __init__(self, s, pre):
        self.s, self.pre = s, pre

    def recv(self, n):
        if self.pre:
            b, self.pre = self.pre[:n], self.pre[n:]
            return b
        return self.s.recv(n)


def read_response_from(s, pre, deadline, head_only):
    return read_response(Prefixed(s, pre), deadline, head_only)


def request(port, method, target, body=None, headers=(), timeout=8.0, chunked=False):
    """One request on a fresh connection; (status, body) or None."""
    s = connect(port, timeout)
    try:
        h = f"{method} {target} HTTP/1.1\r\nhost: chaos\r\nconnection: close\r\n"
        for k, v in headers:
            h += f"{k}: {v}\r\n"
        data = b""
        if body is not None:
            if chunked:
                h += "transfer-encoding: chunked\r\n"
                pieces = [body[i:i + 700] for i in range(0, len(body), 700)]
                data = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
            else:
                h += f"content-length: {len(body)}\r\n"
                data = body
        s.sendall(h.encode() + b"\r\n" + data)
        r = read_response(s, time.monotonic() + timeout, head_only=(method == "HEAD"))
        return None if r is None else (r[0], r[2])
    except OSError:
        return None
    finally:
        s.close()


def big_body(n):
    pat = bytes(range(ord("a"), ord("z") + 1))
    return (pat * (n // 26 + 1))[:n]


# ---------------------------------------------------------------- chaos actions
# Each takes (rng, port, ctx) and may do anything; exceptions from the socket are expected.

def a_disconnect_mid_body(rng, port, ctx):
    s = connect(port)
    s.sendall(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 200000\r\n\r\n" +
              os.urandom(rng.randrange(1, 70000)))
    time.sleep(rng.random() * 0.05)
    (reset_close if rng.random() < 0.5 else socket.socket.close)(s)


def a_disconnect_mid_chunked_body(rng, port, ctx):
    s = connect(port)
    s.sendall(b"POST /" + rng.choice([b"echo", b"length", b"hello"]) +
              b" HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n1000\r\n" +
              b"y" * rng.randrange(0, 4096))
    time.sleep(rng.random() * 0.05)
    (reset_close if rng.random() < 0.5 else socket.socket.close)(s)


def a_disconnect_mid_response(rng, port, ctx):
    s = connect(port)
    target = rng.choice([b"/big?bytes=4000000", b"/big?bytes=300000", b"/drip?n=40&ms=10",
                         b"/drip?n=5&ms=100"])
    s.sendall(b"GET " + target + b" HTTP/1.1\r\nhost: x\r\n\r\n")
    read_some(s, rng.randrange(1, 100000), time.monotonic() + 0.3)
    (reset_close if rng.random() < 0.5 else socket.socket.close)(s)


def a_stop_reading(rng, port, ctx):
    # A big response to a client that never reads: backpressure, then the client vanishes.
    s = connect(port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /big?bytes=8000000 HTTP/1.1\r\nhost: x\r\n\r\n")
    time.sleep(0.2 + rng.random() * 0.3)
    reset_close(s)


def a_half_close(rng, port, ctx):
    s = connect(port)
    s.sendall(b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    r = read_response(s, time.monotonic() + 3)
    s.close()
    if r is not None and r[0] == 200 and r[2] != b"hello\n":
        fail(f"half-close /hello answered {r[2]!r}")


def a_half_close_mid_body(rng, port, ctx):
    s = connect(port)
    s.sendall(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 50\r\n\r\nabc")
    s.shutdown(socket.SHUT_WR)
    read_some(s, 1 << 20, time.monotonic() + 1.5)
    s.close()


def a_pipeline_garbage(rng, port, ctx):
    s = connect(port)
    k = rng.randrange(1, 8)
    good = b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n"
    garbage = rng.choice([b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nhost: x\r\nhost: y\r\n\r\n",
                          b"GET / HTTP/1.1\r\n bad: fold\r\n\r\n", os.urandom(200) + b"\r\n\r\n",
                          b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n"
                          b"transfer-encoding: chunked\r\n\r\n",
                          b"GET /x HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\n\r\n"])
    s.sendall(good * k + garbage + good * 3)
    deadline = time.monotonic() + 5
    pre = b""
    for i in range(k):
        r = read_response_from(s, pre, deadline, False)
        if r is None:
            if not ctx.get("stopping"):
                fail(f"pipelined /hello {i + 1}/{k} before garbage got no answer")
            break
        if r[0] == 503:  # --max-concurrent-requests: legitimate
            break
        if (r[0], r[2]) != (200, b"hello\n"):
            fail(f"pipelined /hello {i + 1}/{k} got {r[0]} {r[2][:80]!r}")
            break
        pre = r[3]
    s.close()


def a_pipeline_burst(rng, port, ctx):
    s = connect(port)
    reqs = []
    for _ in range(rng.randrange(2, 30)):
        kind = rng.randrange(4)
        if kind == 0:
            reqs.append((b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n", b"hello\n"))
        elif kind == 1:
            body = os.urandom(rng.randrange(0, 3000))
            reqs.append((b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n" % len(body)
                         + body, body))
        elif kind == 2:
            reqs.append((b"GET /status?code=201 HTTP/1.1\r\nhost: x\r\n\r\n", b"status 201\n"))
        else:
            reqs.append((b"HEAD /hello HTTP/1.1\r\nhost: x\r\n\r\n", b""))
    data = b"".join(r[0] for r in reqs)
    # Sent in random pieces.
    i = 0
    while i < len(data):
        n = rng.randrange(1, 2000)
        s.sendall(data[i:i + n])
        i += n
    deadline = time.monotonic() + 8
    pre = b""
    for idx, (raw, want) in enumerate(reqs):
        r = read_response_from(s, pre, deadline, raw.startswith(b"HEAD"))
        if r is None:
            if not ctx.get("stopping"):  # a stopping server closes after the current request
                fail(f"pipelined burst: response {idx + 1}/{len(reqs)} missing")
            break
        if r[0] == 503:
            break
        if r[2] != want:
            fail(f"pipelined burst: response {idx + 1} got {r[0]} {r[2][:60]!r}, want {want[:60]!r}")
            break
        pre = r[3]
    if rng.random() < 0.5:
        reset_close(s)
    else:
        s.close()


def a_slowloris(rng, port, ctx):
    s = connect(port)
    head = b"GET /hello HTTP/1.1\r\nhost: x\r\nx-slow: " + b"s" * 30
    end = dl(ctx, rng.uniform(0.3, 1.5))
    for b in head:
        if time.monotonic() > end:
            break
        try:
            s.send(bytes([b]))
        except OSError:
            break
        time.sleep(0.03)
    (reset_close if rng.random() < 0.5 else socket.socket.close)(s)


def a_huge_headers(rng, port, ctx):
    s = connect(port)
    try:
        n = rng.choice([70000, 200000, 1000000])
        s.sendall(b"GET /hello HTTP/1.1\r\nhost: x\r\nx-big: " + b"h" * n + b"\r\n\r\n")
    except OSError:
        pass
    r = read_response(s, time.monotonic() + 3)
    s.close()
    if r is not None and r[0] not in (431, 400):
        fail(f"huge head answered {r[0]}")


def a_many_headers(rng, port, ctx):
    s = connect(port)
    h = b"".join(b"x-h%d: %d\r\n" % (i, i) for i in range(rng.randrange(100, 3000)))
    try:
        s.sendall(b"GET /headers HTTP/1.1\r\nhost: x\r\n" + h + b"\r\n")
    except OSError:
        pass
    read_some(s, 1 << 20, time.monotonic() + 2)
    s.close()


def a_bad_chunked(rng, port, ctx):
    s = connect(port)
    bad = rng.choice([b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhelloXX0\r\n\r\n",
                      b"ffffffffffffffffffff\r\n", b"5;\x01=1\r\nhello\r\n0\r\n\r\n",
                      b"-5\r\nhello\r\n", b"3\r\nabc\r\n0\r\ncontent-length: 3\r\n\r\n",
                      b"5\r\nhel", b"1\r\na\r\n" * 200 + b"x\r\n"])
    target = rng.choice([b"/echo", b"/length", b"/hello"])
    try:
        s.sendall(b"POST " + target + b" HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n" + bad)
        if rng.random() < 0.5:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    read_some(s, 1 << 20, time.monotonic() + 1.5)
    s.close()


def a_body_too_large(rng, port, ctx):
    # --max-body-size is 1000000 here: refused at once (content-length) or mid-stream (chunked).
    s = connect(port)
    target = rng.choice([b"/echo", b"/length", b"/hello"])
    try:
        if rng.random() < 0.5:
            s.sendall(b"POST " + target + b" HTTP/1.1\r\nhost: x\r\ncontent-length: 5000000\r\n\r\n" + b"q" * 10000)
        else:
            s.sendall(b"POST " + target + b" HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
            piece = b"%x\r\n%s\r\n" % (50000, b"q" * 50000)
            for _ in range(24):
                s.sendall(piece)
    except OSError:
        pass
    r = read_response(s, dl(ctx, 3))
    s.close()
    if r is not None and r[0] == 200 and target != b"/hello":
        fail(f"a body over --max-body-size to {target.decode()} was answered 200")


def a_random_bytes(rng, port, ctx):
    s = connect(port)
    try:
        s.sendall(rng.choice([b"", b"GET ", b"POST /echo HTTP/1.1\r\n"]) + os.urandom(rng.randrange(1, 5000)))
    except OSError:
        pass
    read_some(s, 1 << 16, time.monotonic() + 0.5)
    reset_close(s)


def a_timeout_streaming(rng, port, ctx):
    if ctx["no_timeout"] and not ctx.get("stopping_load"):
        return
    s = connect(port)
    s.sendall(rng.choice([b"GET /drip?n=200&ms=20 HTTP/1.1\r\nhost: x\r\n\r\n",
                          b"GET /spin HTTP/1.1\r\nhost: x\r\n\r\n",
                          b"GET /sleep?ms=5000 HTTP/1.1\r\nhost: x\r\n\r\n",
                          b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\nabc"]))
    read_some(s, 1 << 20, dl(ctx, ctx["timeout_s"] * 2 + 1))
    s.close()


def a_trap(rng, port, ctx):
    partial = rng.random() < 0.6
    r = request(port, "GET", "/trap?partial=1" if partial else "/trap", timeout=3)
    if r is not None and not partial and r[0] not in (500, 503):
        fail(f"/trap answered {r[0]}")
    if r is not None and partial and r[0] == 200:
        fail("/trap?partial=1 was answered as a complete 200 response")


def a_noresponse(rng, port, ctx):
    r = request(port, "GET", rng.choice(["/noresponse", "/noresponse?drop=1"]), timeout=3)
    if r is not None and r[0] not in (500, 503):
        fail(f"/noresponse answered {r[0]}")


def a_after_close(rng, port, ctx):
    s = connect(port)
    s.sendall(b"GET /after?ms=%d HTTP/1.1\r\nhost: x\r\n\r\n" % rng.randrange(10, 400))
    read_some(s, rng.randrange(1, 200), time.monotonic() + 0.5)
    reset_close(s)


def a_expect_continue_vanish(rng, port, ctx):
    s = connect(port)
    s.sendall(b"POST /echo HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 5000\r\n\r\n")
    read_some(s, 30, time.monotonic() + 0.3)
    (reset_close if rng.random() < 0.5 else socket.socket.close)(s)


def a_fetch_bad_origin(rng, port, ctx):
    path = rng.choice(["/stall", "/reset", "/partial", "/garbage", "/slowbody", "/nothing",
                       "/hugehead", "/badchunk", "/http10", "/continue", "/smuggle", "/endless"])
    if path in ("/stall", "/endless") and ctx["no_timeout"] and not ctx.get("stopping_load"):
        path = "/reset"
    origin = rng.choice([f"127.0.0.1:{ctx['origin']}", f"127.0.0.1:{ctx['closed_port']}"])
    if rng.random() < 0.3:
        # Ask, then vanish while the guest is mid-fetch.
        s = connect(port)
        s.sendall(f"GET /fetch?url=http://{origin}{path} HTTP/1.1\r\nhost: x\r\n\r\n".encode())
        time.sleep(rng.random() * 0.2)
        reset_close(s)
        return
    r = request(port, "GET", f"/fetch?url=http://{origin}{path}",
                timeout=max(0.2, dl(ctx, ctx["timeout_s"] * 2 + 3) - time.monotonic()))
    if r is None:
        return
    if r[0] == 200 and path in ("/reset", "/garbage", "/stall", "/hugehead", "/smuggle"):
        fail(f"/fetch {path} answered 200 {r[1][:80]!r}")


def a_head_big(rng, port, ctx):
    r = request(port, "HEAD", "/big?bytes=100000", timeout=3)
    if r is not None and r[1] != b"":
        fail("HEAD carried a body")


def a_good(rng, port, ctx):
    """Well-formed requests in the middle of the chaos: exact answers (or a legitimate 503)."""
    check_one(rng, port, ctx, during_chaos=True)


ACTIONS = [
    (a_disconnect_mid_body, 3), (a_disconnect_mid_chunked_body, 2), (a_disconnect_mid_response, 3),
    (a_stop_reading, 1), (a_half_close, 2), (a_half_close_mid_body, 1), (a_pipeline_garbage, 2),
    (a_pipeline_burst, 2), (a_slowloris, 1), (a_huge_headers, 1), (a_many_headers, 1),
    (a_bad_chunked, 2), (a_random_bytes, 2), (a_timeout_streaming, 2), (a_trap, 2),
    (a_noresponse, 1), (a_after_close, 2), (a_expect_continue_vanish, 1), (a_fetch_bad_origin, 3),
    (a_head_big, 1), (a_body_too_large, 1), (a_good, 4),
]


# ---------------------------------------------------------------- exact checks

def check_one(rng, port, ctx, during_chaos=False):
    kind = rng.randrange(8)
    if kind == 0:
        want, r = (200, b"hello\n"), request(port, "GET", "/hello")
    elif kind == 1:
        body = os.urandom(rng.randrange(0, 200000))
        want, r = (200, body), request(port, "POST", "/echo", body=body, chunked=rng.random() < 0.5)
    elif kind == 2:
        n = rng.randrange(0, 400000)
        want, r = (200, big_body(n)), request(port, "GET", f"/big?bytes={n}")
    elif kind == 3:
        want, r = (200, b"status 200\norigin ok\n"), request(
            port, "GET", f"/fetch?url=http://127.0.0.1:{ctx['origin']}/ok")
    elif kind == 4:
        want, r = (202, b"status 202\n"), request(port, "GET", "/status?code=202")
    elif kind == 5:
        want, r = (200, b"x-chaos: 1\n"), request(
            port, "GET", "/headers", headers=[("x-chaos", "1")])
    elif kind == 6:
        want, r = (200, b"drip 0\ndrip 1\ndrip 2\n"), request(port, "GET", "/drip?n=3&ms=5")
    else:
        body = os.urandom(rng.randrange(0, 5000))
        want, r = (200, b"%d\n" % len(body)), request(port, "POST", "/length", body=body)
    what = ["/hello", "/echo", "/big", "/fetch ok", "/status", "/headers", "/drip", "/length"][kind]
    if (during_chaos or ctx.get("stopping")) and r is not None and r[0] == 503:
        return True
    if r is None:
        if during_chaos or ctx.get("stopping"):
            return True  # e.g. the connection limit or an overloaded loop; judged after
        fail(f"{what}: no (complete) answer")
        return False
    if r != want:
        fail(f"{what}: got {r[0]} {r[1][:80]!r} ({len(r[1])} bytes), want {want[0]} "
             f"{want[1][:80]!r} ({len(want[1])} bytes)")
        return False
    return True


def checks_after(rng, port, ctx):
    """Sequential then concurrent exact checks once the chaos has stopped."""
    # A request slot held by a request that timed out is released within the timeout; give
    # the server that long, then nothing may be refused.
    time.sleep(ctx["timeout_s"] + 0.3)
    for _ in range(8):
        check_one(rng, port, ctx)
    seeds = [rng.randrange(1 << 30) for _ in range(min(4, ctx["max_conc"] or 4))]
    ts = [threading.Thread(target=lambda s=s: [check_one(random.Random(s), port, ctx) for _ in range(3)])
          for s in seeds]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)


# ---------------------------------------------------------------- driver

def chaos_round(rng, port, ctx, seconds):
    stop = time.monotonic() + seconds
    ctx["round_end"] = stop
    actions = [a for a in ACTIONS if not ARGS.only or a[0].__name__ in ARGS.only.split(",")]
    names, weights = zip(*actions)
    counts = {}
    lock = threading.Lock()

    def client(seed):
        crng = random.Random(seed)
        while time.monotonic() < stop:
            act = crng.choices(names, weights)[0]
            with lock:
                counts[act.__name__] = counts.get(act.__name__, 0) + 1
            try:
                act(crng, port, ctx)
            except OSError:
                pass  # refused, reset, timed out: the point of the exercise

    ts = [threading.Thread(target=client, args=(rng.randrange(1 << 30),)) for _ in range(ARGS.clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(seconds + 30)
    return sum(counts.values())


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run_server(rng, origin, seconds, rounds):
    timeout_ms = rng.choice([300, 500, 800])
    threads = rng.choice([1, 2])
    reuse = rng.choice([1, 3, 50])
    max_conc = rng.choice([0, 4, 16])
    grace_s = 2
    # One server in three has no --request-timeout: its rounds avoid requests that never end
    # (they would hold request slots), and SIGTERM then meets spinning guests the grace cuts.
    no_timeout = rng.random() < 0.34
    flags = ["--threads", str(threads), "--max-instance-reuse-count", str(reuse),
             *([] if no_timeout else ["--request-timeout", f"{timeout_ms}ms"]),
             "--header-read-timeout", "1s",
             "--idle-instance-timeout", "200ms", "--shutdown-grace", f"{grace_s}s",
             "--max-body-size", "1000000"]
    if max_conc:
        flags += ["--max-concurrent-requests", str(max_conc)]
    if rng.random() < 0.3:
        flags.append("--quiet")
    if ARGS.flags:
        flags = ARGS.flags.split()
        m = re.search(r"--request-timeout (\d+)ms", ARGS.flags)
        timeout_ms = int(m.group(1)) if m else 1000
        m = re.search(r"--max-concurrent-requests (\d+)", ARGS.flags)
        max_conc = int(m.group(1)) if m else 0
    print("chaos: weft serve " + " ".join(flags), flush=True)
    srv = Server(flags)
    if ARGS.flags:
        no_timeout = "--request-timeout" not in ARGS.flags
    ctx = {"origin": origin.port, "closed_port": closed_port(), "timeout_s": timeout_ms / 1000,
           "max_conc": max_conc, "no_timeout": no_timeout}
    rss = []
    try:
        for rnd in range(rounds):
            n = chaos_round(rng, srv.port, ctx, seconds)
            if not srv.alive():
                fail(f"weft serve died in round {rnd + 1} (exit {srv.proc.returncode})")
                break
            ctx.pop("round_end", None)
            t_checks = time.monotonic()
            checks_after(rng, srv.port, ctx)
            rss.append(srv.rss_kib())
            print(f"chaos:   round {rnd + 1}: {n} actions, checks {time.monotonic() - t_checks:.1f}s, "
                  f"RSS {rss[-1]} KiB", flush=True)
        # SIGTERM under load: streams, sleeps, spins, slow heads in flight.
        load_stop = threading.Event()

        def load(seed):
            lrng = random.Random(seed)
            while not load_stop.is_set():
                try:
                    lrng.choice([a_disconnect_mid_response, a_timeout_streaming, a_slowloris,
                                 a_good, a_fetch_bad_origin, a_pipeline_burst])(lrng, srv.port, ctx)
                except OSError:
                    pass
                except Exception as e:  # noqa: BLE001 - any client bug must not hang the run
                    fail(f"load client: {e!r}")
                    return

        ctx["stopping_load"] = True  # guests that never end are fine now: the grace cuts them
        lts = [threading.Thread(target=load, args=(rng.randrange(1 << 30),), daemon=True)
               for _ in range(6)]
        for t in lts:
            t.start()
        spinners = []
        if ctx["no_timeout"]:
            # Guests that only the grace ends: SIGTERM must still exit 0 in time.
            for target in (b"/spin", b"/sleep?ms=60000"):
                sp = connect(srv.port)
                sp.sendall(b"GET " + target + b" HTTP/1.1\r\nhost: x\r\n\r\n")
                spinners.append(sp)
        time.sleep(0.4)
        ctx["stopping"] = True
        rc, took = srv.stop(timeout=grace_s + 5)
        load_stop.set()
        for t in lts:
            t.join(15)
        for sp in spinners:
            sp.close()
        if rc != 0:
            fail(f"SIGTERM under load: exit {rc} after {took:.1f}s (grace {grace_s}s)")
        elif took > grace_s + 2:
            fail(f"SIGTERM under load: took {took:.1f}s (grace {grace_s}s)")
    finally:
        if srv.alive():
            srv.proc.kill()
            srv.proc.wait()
        report = srv.sanitizer_report()
        if report:
            fail("sanitizer report / crash on weft's stderr:\n" + report)
        elif srv.proc.returncode not in (0, None) and not FAILURES:
            fail(f"weft exited {srv.proc.returncode}; stderr tail:\n" + "\n".join(srv.err[-30:]))
    return rss


def main():
    rng = random.Random(SEED)
    origin = Origin()
    t0 = time.monotonic()
    # Servers with different flags; each: rounds of chaos + checks, then SIGTERM under load.
    # A round costs its chaos time plus about 2.3 s (actions finishing, checks); a server
    # about 2 s more (start, SIGTERM).
    servers, rounds = ARGS.servers, ARGS.rounds
    per_round = max(0.5, (ARGS.duration / servers - 2) / rounds - 2.3)
    rss_series = []
    try:
        for _ in range(servers):
            rss_series.append(run_server(rng, origin, per_round, rounds))
            if any("sanitizer" in f or "died" in f for f in FAILURES):
                break
    finally:
        origin.close()
    judge_rss = not SANITIZED and not ARGS.no_rss
    for rss in rss_series:
        rss = [r for r in rss if r]
        if len(rss) < 3:
            continue
        # Round 1 warms up (pools, allocator arenas); later rounds must not keep growing.
        base, last = rss[1], rss[-1]
        grow = last - base
        msg = f"chaos: RSS after rounds (KiB): {rss}"
        print(msg, flush=True)
        # glibc keeps freed memory, so RSS creeps up toward the peak working set (measured
        # with malloc_stats: in-use bytes flat while RSS grows ~1 KiB a request); a real leak
        # of a buffer per request crosses this within a round or two.
        if judge_rss and grow > max(12288, base // 2):
            fail(f"RSS grew {grow} KiB from round 2 to round {len(rss)}: {rss}")
    took = time.monotonic() - t0
    if FAILURES:
        print(f"chaos: FAILED ({len(FAILURES)} failures, seed {SEED}, {took:.1f}s)", flush=True)
        sys.exit(1)
    print(f"chaos: ok (seed {SEED}, {took:.1f}s{', RSS not judged' if not judge_rss else ''})",
          flush=True)


if __name__ == "__main__":
    main()
