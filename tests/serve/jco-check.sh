#!/usr/bin/env bash
# Proves the C wasi:http guests against the reference host, `jco serve`, and runs the same
# checks against `weft serve`:
#   jco-check.sh <jco | weft> <test-handler.component.wasm> [<hello-http.wasm>]
# (the first argument is weft's binary when its name starts with "weft").
# Serves each component on 127.0.0.1 (a free port), curls its routes, compares status, body
# and the headers that matter, and stops the server. Where the hosts differ:
#   /spin (forever) is not checked: it would block jco's only event loop (weft's end-to-end
#   tests, serve_test.py, check it with --request-timeout);
#   /trap kills a jco serve process unless requests are isolated in workers, so under jco it
#   is checked under --isolate-requests worker (jco answers 502; weft 500);
#   /noresponse: jco never answers (the connection hangs), so it is checked under weft only.
# Weft only, too: /fetch of its own /hello, --allow-outbound denial, /big from fresh instances.
# /fetch goes to a python http.server over the data directory. Exit status 0 when every check passes. Prints one line per check.
set -uo pipefail

server=${1:?usage: jco-check.sh <jco | weft> <test-handler.component.wasm> [<hello-http.wasm>]}
handler=${2:?missing test-handler component}
hello=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
host=jco
[[ $(basename "$server") == weft* ]] && host=weft
for f in "$handler" ${hello:+"$hello"}; do
  [[ -f $f ]] || { echo "missing component: $f" >&2; exit 2; }
done

work=$(mktemp -d)
server_pid=
origin_pid=
failures=0
# Either server is one process (jco's isolation workers are threads): ending it ends all.
StopServer() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
  fi
}
trap 'StopServer; [[ -n $origin_pid ]] && kill "$origin_pid" 2>/dev/null; rm -rf "$work"' EXIT

FreePort() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# StartServer <component> [server flags...]: sets $base; fails after 30 s without answer.
# Weft gets the equivalent of the environment and preopen jco gets (jco serve passes its own
# environment through; jco-preload.mjs preopens the data directory).
StartServer() {
  local component=$1
  shift
  local port=
  if [[ $host == weft ]]; then
    # Empty the log first: the background redirection may truncate it only after the loop
    # below has read the previous server's port from it.
    : >"$work/serve.log"
    WEFT_JCO_CHECK_VAR=value-1 "$server" serve --addr 127.0.0.1:0 --threads 1 \
      --env WEFT_JCO_CHECK_VAR --dir "$work/data::/data" "$@" \
      "$component" >"$work/serve.out" 2>"$work/serve.log" &
    server_pid=$!
    for _ in $(seq 1 120); do
      port=$(sed -n 's|^Serving HTTP on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.log")
      [[ -n $port ]] && break
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.25
    done
    base=http://127.0.0.1:$port
    [[ -n $port ]] && return 0
  else
    port=$(FreePort)
    base=http://127.0.0.1:$port
    WEFT_JCO_CHECK_DATA=$work/data WEFT_JCO_CHECK_VAR=value-1 \
      "$server" serve --host 127.0.0.1 --port "$port" --jco-import "$here/jco-preload.mjs" "$@" \
      "$component" >"$work/serve.log" 2>&1 &
    server_pid=$!
    : >"$work/serve.out"
    for _ in $(seq 1 120); do
      # Any HTTP answer means it is up.
      if curl -s -o /dev/null -m 1 "$base/ready-probe"; then return 0; fi
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.25
    done
  fi
  echo "FAIL: $host serve $component did not start:" >&2
  cat "$work/serve.log" >&2
  exit 1
}

Fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# Expect <what> <status> <body> <path> [curl args...]: exact status and body.
Expect() {
  local what=$1 status=$2 body=$3 path=$4
  shift 4
  local got
  got=$(curl -s -m 10 -o "$work/body" -D "$work/head" -w '%{http_code}' "$@" "$base$path")
  printf '%s' "$body" >"$work/expected"
  if [[ $got != "$status" ]]; then
    Fail "$what: status $got, expected $status"
  elif ! cmp -s "$work/body" "$work/expected"; then
    Fail "$what: body $(head -c 200 "$work/body" | od -c | head -3), expected $(printf '%q' "$body")"
  else
    echo "ok: $what"
  fi
}

# ExpectHeader <what> <regex>: a header line of the last response matches (case-insensitive).
ExpectHeader() {
  if tr -d '\r' <"$work/head" | grep -qiE "$2"; then
    echo "ok: $1"
  else
    Fail "$1: no header line matching '$2' in: $(tr -d '\r' <"$work/head" | tr '\n' '|')"
  fi
}

mkdir -p "$work/data"
printf 'file contents\n' >"$work/data/f.txt"
head -c 3000000 /dev/urandom >"$work/upload.bin"

# An origin for /fetch: python's file server over the data directory.
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$work/data" >"$work/origin.log" 2>&1 &
origin_pid=$!
origin=
for _ in $(seq 1 40); do
  origin=$(sed -n 's|^Serving HTTP on 127.0.0.1 port \([0-9]*\) .*|127.0.0.1:\1|p' "$work/origin.log")
  [[ -n $origin ]] && break
  sleep 0.25
done
[[ -n $origin ]] || { echo "FAIL: the origin server did not start" >&2; cat "$work/origin.log" >&2; exit 1; }

if [[ -n $hello ]]; then
  StartServer "$hello"
  Expect "hello-http GET /" 200 $'Hello, WASI!\n' /
  ExpectHeader "hello-http content-type" '^content-type: text/plain$'
  ExpectHeader "hello-http content-length" '^content-length: 13$'
  Expect "hello-http POST /any/path" 200 $'Hello, WASI!\n' /any/path -d 'ignored body'
  StopServer
fi

# One instance for all (weft: reuse; jco serve without isolation has one instance).
if [[ $host == weft ]]; then StartServer "$handler" --max-instance-reuse-count 1000; else StartServer "$handler"; fi
Expect "/hello" 200 $'hello\n' /hello
ExpectHeader "/hello content-length" '^content-length: 6$'
Expect "/sleep?ms=50" 200 $'slept 50\n' '/sleep?ms=50'
Expect "/spin?ms=30" 200 $'spun 30\n' '/spin?ms=30'
# One instance serves every request here: the count goes up by one per request.
first=$(curl -s -m 10 "$base/count")
if [[ $first =~ ^[0-9]+$ ]]; then
  Expect "/count grows (instance reused)" 200 "$((first + 1))"$'\n' /count
else
  Fail "/count: answered '$first', not a number"
fi
Expect "/headers" 200 $'accept: */*\nx-b: 2\nx-test: a\n' /headers -H 'User-Agent:' -H 'X-Test: a' -H 'x-b: 2'
Expect "/info" 200 $'method POST\npath /info?a=1&b\nscheme http\nauthority '"${base#http://}"$'\n' \
  '/info?a=1&b' -X POST
Expect "/status?code=201" 201 $'status 201\n' '/status?code=201'
Expect "/status?code=418" 418 $'status 418\n' '/status?code=418'
Expect "/status?code=204 (no body)" 204 "" '/status?code=204'
Expect "/status without code" 400 $'status needs ?code=N\n' /status
Expect "/env?name=WEFT_JCO_CHECK_VAR" 200 $'value-1\n' '/env?name=WEFT_JCO_CHECK_VAR'
Expect "/env of an unset variable" 404 $'not set\n' '/env?name=WEFT_NOT_SET_ANYWHERE'
Expect "/file in a preopen" 200 $'file contents\n' '/file?path=/data/f.txt'
Expect "/file missing (no-entry = 20)" 404 $'error 20\n' '/file?path=/data/none.txt'
Expect "/stdout" 200 $'ok\n' /stdout
Expect "unknown path" 404 $'not found\n' /nope
Expect "/echo small" 200 'echo me' /echo -H 'content-type: app/x-test' --data-binary 'echo me'
ExpectHeader "/echo keeps the content-type" '^content-type: app/x-test$'
Expect "/echo chunked request" 200 'chunked body' /echo -H 'transfer-encoding: chunked' --data-binary 'chunked body'
if curl -s -m 30 --data-binary @"$work/upload.bin" "$base/echo" | cmp -s - "$work/upload.bin"; then
  echo "ok: /echo 3 MB"
else
  Fail "/echo 3 MB: the body came back different"
fi
python3 -c 'import sys; sys.stdout.buffer.write((b"abcdefghijklmnopqrstuvwxyz" * 192309)[:5000003])' \
  >"$work/big.expected"
if curl -s -m 30 "$base/big?bytes=5000003" | cmp -s - "$work/big.expected"; then
  echo "ok: /big?bytes=5000003"
else
  Fail "/big?bytes=5000003: wrong body"
fi
Expect "/big?bytes=0" 200 "" '/big?bytes=0'
Expect "/length of a 3 MB upload" 200 $'3000000\n' /length --data-binary @"$work/upload.bin"
Expect "/length without a body" 200 $'0\n' /length
start_ns=$(date +%s%N)
Expect "/drip?n=3&ms=150" 200 $'drip 0\ndrip 1\ndrip 2\n' '/drip?n=3&ms=150'
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
((elapsed_ms >= 300)) && echo "ok: /drip took ${elapsed_ms} ms (>= 300)" || Fail "/drip took only ${elapsed_ms} ms"
Expect "/after?ms=100" 200 $'after\n' '/after?ms=100'
Expect "/fetch from a loopback origin" 200 $'status 200\nfile contents\n' "/fetch?url=http://$origin/f.txt"
Expect "/fetch from a closed port" 502 $'error 6 connection-refused\n' '/fetch?url=http://127.0.0.1:1/x'
if [[ $host == weft ]]; then
  # The guest waits for its own server: another instance on the same thread answers.
  Expect "/fetch from weft serve itself" 200 $'status 200\nhello\n' "/fetch?url=$base/hello"
fi
sleep 0.2  # stdout/stderr lines reach the log asynchronously
# weft prefixes guest lines with "[instance N] "; jco prints them as they are.
grep -qE '(^|\] )to stdout$' "$work/serve.out" "$work/serve.log" &&
  grep -qE '(^|\] )to stderr$' "$work/serve.log" &&
  echo "ok: /stdout and /stderr lines reached the server's output" || Fail "/stdout: lines missing from the output"
if [[ $host == weft ]]; then
  # Failures are answered with 500 and the server (and the next instance) carries on.
  status=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$base/trap")
  [[ $status == 500 ]] && echo "ok: /trap gives 500" || Fail "/trap: status $status, expected 500"
  Expect "/hello after a trap" 200 $'hello\n' /hello
  for path in /noresponse '/noresponse?drop=1'; do
    status=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$base$path")
    [[ $status == 500 ]] && echo "ok: $path gives 500" || Fail "$path: status $status, expected 500"
  done
  StopServer
  StartServer "$handler" --allow-outbound example.invalid
  Expect "/fetch outside --allow-outbound" 502 $'error 15 HTTP-request-denied\n' \
    "/fetch?url=http://$origin/f.txt"
  StopServer
  # weft's default, a fresh instance per request: the instance goes once handle returns,
  # while the body the guest wrote may still be buffered in the host.
  StartServer "$handler"
  Expect "/count in a fresh instance" 200 $'1\n' /count
  for n in 65536 200000 1000000; do
    if curl -s -m 30 "$base/big?bytes=$n" | cmp -s - <(head -c "$n" "$work/big.expected"); then
      echo "ok: /big?bytes=$n from a fresh instance"
    else
      Fail "/big?bytes=$n from a fresh instance: wrong body"
    fi
  done
  StopServer
else
  StopServer
  # Traps end a jco serve process unless each request gets its own worker.
  StartServer "$handler" --isolate-requests worker --isolate-worker-pool-size 2
  status=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$base/trap")
  [[ $status == 5* ]] && echo "ok: /trap gives $status" || Fail "/trap: status $status, expected 5xx"
  Expect "/hello after a trap" 200 $'hello\n' /hello
  Expect "/count in a fresh instance" 200 $'1\n' /count
  StopServer
fi

if ((failures > 0)); then
  echo "$failures check(s) FAILED ($host serve)"
  exit 1
fi
echo "all checks passed ($host serve)"
