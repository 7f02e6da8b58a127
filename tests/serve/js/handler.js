// The componentize-js (StarlingMonkey) wasi:http handler of issue 4's acceptance 2: one route
// per behaviour that `weft serve` must share with `jco serve` (compare-jco.sh runs both), and
// the JS workload of bench/http. Invariants: every answer is a pure function of the request
// (and, for /proxy, of the origin's answer), so the two servers' answers can be compared byte
// for byte; response bodies state their own length/digest where a client could not tell.
addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

const kDefaultBigSize = 4 * 1024 * 1024;
const kMaxBigSize = 64 * 1024 * 1024;

async function handle(request) {
  const url = new URL(request.url);
  const path = url.pathname;
  const query = url.searchParams;
  switch (path) {
    case '/':
      return text(200, 'hello from js-serve\n', { 'x-weft-handler': 'js-serve' });
    case '/hello':
      // The bench workload: the same fixed body as examples/hello-http and nginx.
      return new Response('Hello, WASI!', { headers: { 'content-type': 'text/plain' } });
    case '/request':
      return describeRequest(request, url);
    case '/headers':
      return echoHeaders(request);
    case '/multi':
      return multiHeaders();
    case '/echo':
      return echo(request);
    case '/digest':
      return digest(request);
    case '/big':
      return big(query);
    case '/stream':
      return stream(query);
    case '/proxy':
      return proxy(request, query);
    case '/throw':
      throw new Error('js-serve: thrown on purpose');
    case '/reject':
      return Promise.reject(new Error('js-serve: rejected on purpose'));
    case '/spin': {
      const ms = sizeParam(query, 'ms', 100, 60000);
      if (ms < 0) return text(400, 'bad ms\n');
      spin(ms);
      return text(200, `spun ${ms} ms\n`);
    }
    case '/teapot':
      return text(418, "I'm a teapot\n");
    case '/created':
      return text(201, 'created\n', { location: '/things/1' });
    case '/unavailable':
      return text(503, 'try later\n', { 'retry-after': '7' });
    default:
      if (path.startsWith('/status/')) return status(path.slice('/status/'.length));
      return text(404, `not found: ${path}\n`);
  }
}

function text(status, body, headers = {}) {
  return new Response(body, { status, headers: { 'content-type': 'text/plain', ...headers } });
}

// What the guest sees of the request line: method, the URL StarlingMonkey builds from scheme,
// authority and path-with-query, and the parsed query.
function describeRequest(request, url) {
  const lines = [`method: ${request.method}`, `url: ${request.url}`, `path: ${url.pathname}`,
                 `search: ${url.search}`];
  for (const [name, value] of url.searchParams) lines.push(`query ${name}: ${value}`);
  return text(200, lines.join('\n') + '\n');
}

// x-* request headers (sorted, so the answer does not depend on the client's other headers)
// in the body, and each one back as x-echo-<name> response headers.
function echoHeaders(request) {
  const seen = [];
  const out = new Headers({ 'content-type': 'text/plain' });
  for (const [name, value] of request.headers) {
    if (!name.startsWith('x-')) continue;
    seen.push(`${name}: ${value}`);
    out.append(`x-echo-${name.slice(2)}`, value);
  }
  seen.sort();
  out.set('x-header-count', String(seen.length));
  return new Response(seen.join('\n') + '\n', { headers: out });
}

// Custom response headers, several with more than one value.
function multiHeaders() {
  const h = new Headers();
  h.set('content-type', 'text/plain; charset=utf-8');
  h.append('x-multi', 'one');
  h.append('x-multi', 'two');
  h.append('x-multi', 'three');
  h.append('set-cookie', 'a=1; Path=/');
  h.append('set-cookie', 'b=2; Path=/; HttpOnly');
  h.set('cache-control', 'no-store');
  h.set('x-empty-ok', 'value with spaces');
  return new Response('multi\n', { status: 200, headers: h });
}

// The request body read in full and sent back, with its length and SHA-256 as headers.
async function echo(request) {
  if (request.method !== 'POST' && request.method !== 'PUT') {
    return text(405, 'use POST or PUT\n', { allow: 'POST, PUT' });
  }
  const body = new Uint8Array(await request.arrayBuffer());
  return new Response(body, {
    headers: {
      'content-type': request.headers.get('content-type') ?? 'application/octet-stream',
      'x-body-length': String(body.length),
      'x-body-sha256': await sha256Hex(body),
    },
  });
}

// The request body read in full; only its length and SHA-256 come back (for big uploads).
async function digest(request) {
  const body = new Uint8Array(await request.arrayBuffer());
  return text(200, `${body.length} ${await sha256Hex(body)}\n`);
}

async function sha256Hex(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

// A deterministic byte pattern: byte i is i mod 251 (a prime, so it does not line up with
// any power-of-two buffer size and a misplaced chunk changes the digest). One period is
// written byte by byte, the rest by doubling copies (copyWithin is a memmove: a JS loop over
// 4 MiB takes seconds in StarlingMonkey's interpreter, which would time the JS, not the host).
function pattern(offset, size) {
  const bytes = new Uint8Array(size);
  let v = offset % 251;
  const period = Math.min(size, 251);
  for (let i = 0; i < period; i++) {
    bytes[i] = v;
    v = v === 250 ? 0 : v + 1;
  }
  for (let filled = period; filled < size; filled *= 2) {
    bytes.copyWithin(filled, 0, Math.min(filled, size - filled));
  }
  return bytes;
}

function sizeParam(query, name, fallback, max) {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) return -1;
  return n;
}

// One multi-megabyte body (default 4 MiB), with a content-length.
function big(query) {
  const size = sizeParam(query, 'size', kDefaultBigSize, kMaxBigSize);
  if (size < 0) return text(400, 'bad size\n');
  return new Response(pattern(0, size), {
    headers: { 'content-type': 'application/octet-stream', 'x-pattern': 'i mod 251' },
  });
}

// A ReadableStream body produced over time: `chunks` chunks of `chunk` bytes of the pattern,
// `delay` ms apart, each after `work` ms of busy computation (the body has no content-length:
// it is sent chunked). `work` makes a long CPU-bound guest between writes (epoch yields).
function stream(query) {
  const chunks = sizeParam(query, 'chunks', 8, 10000);
  const chunkSize = sizeParam(query, 'chunk', 1024, 4 * 1024 * 1024);
  const delay = sizeParam(query, 'delay', 20, 10000);
  const work = sizeParam(query, 'work', 0, 10000);
  if (chunks < 0 || chunkSize < 0 || delay < 0 || work < 0) return text(400, 'bad stream parameters\n');
  let sent = 0;
  const body = new ReadableStream({
    async pull(controller) {
      if (sent === chunks) {
        controller.close();
        return;
      }
      if (sent > 0 && delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (work > 0) spin(work);
      controller.enqueue(pattern(sent * chunkSize, chunkSize));
      sent++;
    },
  });
  return new Response(body, {
    headers: { 'content-type': 'application/octet-stream', 'x-stream-chunks': String(chunks) },
  });
}

// Busy for `ms` milliseconds of wall time (a CPU-bound guest).
function spin(ms) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x = (x * 31 + 7) % 1000003;
  return x;
}

function status(raw) {
  const code = Number(raw);
  if (!Number.isInteger(code) || code < 200 || code > 599) return text(400, 'bad status\n');
  // 204 and 304 have no body by definition.
  if (code === 204 || code === 304) return new Response(null, { status: code });
  return text(code, `status ${code}\n`);
}

// An outgoing request to the origin named by ?url= (loopback in the tests): the method and
// body are forwarded; the origin's status, body and x-origin-* headers come back, plus what
// the guest saw of them.
async function proxy(request, query) {
  const target = query.get('url');
  if (!target) return text(400, 'missing ?url=\n');
  const init = { method: request.method, headers: {} };
  const forwarded = request.headers.get('x-forward');
  if (forwarded !== null) init.headers['x-forward'] = forwarded;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    init.body = new Uint8Array(await request.arrayBuffer());
  }
  let upstream;
  try {
    upstream = await fetch(target, init);
  } catch (e) {
    return text(502, `fetch failed: ${e && e.name ? e.name : 'error'}\n`);
  }
  const body = new Uint8Array(await upstream.arrayBuffer());
  const headers = {
    'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream',
    'x-upstream-status': String(upstream.status),
    'x-upstream-length': String(body.length),
  };
  for (const [name, value] of upstream.headers) {
    if (name.startsWith('x-origin-')) headers[name] = value;
  }
  return new Response(body, { status: upstream.status, headers });
}
