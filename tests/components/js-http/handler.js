// A small wasi:http handler built with componentize-js (StarlingMonkey, fetch-event style):
// routes with different status codes, request headers echoed, custom response headers, the
// request body echoed back, and a handler that throws. Used to check that a real third-party
// component instantiates and that `weft inspect` lists its imports.
addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

async function handle(request) {
  const url = new URL(request.url);
  const path = url.pathname;
  if (path === '/') {
    return new Response('hello from js-http\n', {
      status: 200,
      headers: { 'content-type': 'text/plain', 'x-weft-test': 'js-http' },
    });
  }
  if (path === '/headers') {
    // Only x-* request headers, sorted, so the answer does not depend on the client.
    const seen = [];
    for (const [name, value] of request.headers) {
      if (name.startsWith('x-')) seen.push(`${name}: ${value}`);
    }
    seen.sort();
    return new Response(seen.join('\n') + '\n', { headers: { 'content-type': 'text/plain' } });
  }
  if (path === '/echo') {
    if (request.method !== 'POST') {
      return new Response('use POST\n', { status: 405, headers: { allow: 'POST' } });
    }
    const body = new Uint8Array(await request.arrayBuffer());
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': request.headers.get('content-type') ?? 'application/octet-stream',
        'x-body-length': String(body.length),
      },
    });
  }
  if (path.startsWith('/status/')) {
    const code = Number(path.slice('/status/'.length));
    if (!Number.isInteger(code) || code < 200 || code > 599) {
      return new Response('bad status\n', { status: 400 });
    }
    return new Response(code === 204 || code === 304 ? null : `status ${code}\n`, { status: code });
  }
  if (path === '/throw') {
    throw new Error('handler failed on purpose');
  }
  return new Response(`not found: ${path}\n`, { status: 404 });
}
