#!/usr/bin/env bash
# `make run`: serves the bundled wasi:http example (examples/hello-http, built by `make build`
# into build/examples/hello-http.wasm) with `weft serve` on 127.0.0.1:8080, answering every
# request with "Hello, WASI!". Ctrl-C stops it gracefully. ADDR and WEFT override the defaults.
# (The preview1 program example still runs with:
#  build/weft run --dir examples::examples build/examples/hello.wasm examples/hello/greeting.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
ADDR=${ADDR:-127.0.0.1:8080}
echo "make run: try \`curl http://$ADDR/\` (Ctrl-C stops the server)" >&2
exec ${WEFT:-build/weft} serve --addr "$ADDR" ${HELLO_HTTP:-build/examples/hello-http.wasm}
