#!/usr/bin/env bash
# The HTTP benchmark of issue 4: one wrk run on loopback against, in turn, nginx returning the
# fixed body "Hello, WASI!" (the ceiling on this machine), `weft serve` on the hello example,
# `weft serve` on a componentize-js handler, and `jco serve --isolate-requests instance` on the
# same JS component. Each server is started here, polled until ready, checked to answer the
# expected body, warmed up, measured alone, and stopped. Prints a markdown table (requests/s,
# p50/p99 latency, errors, RSS) and the ratios against their targets (hello >= 0.5 x nginx,
# JS >= 10 x jco) to stdout and to $REPORT. Parameters: see README.md (all by environment).
# Exit status: 0 when every available server answered correctly (and, but for jco, without a
# socket error or non-2xx answer under load); 1 otherwise (or, with REQUIRE_ALL=1, when one
# was skipped because its binary or component is missing).
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
WEFT=${WEFT:-$BUILD/weft}
HELLO=${HELLO:-$BUILD/examples/hello-http.wasm}
if [[ -z ${JS:-} ]]; then
  JS=$BUILD/tests/serve/js-serve.component.wasm
  [[ -f $JS ]] || JS=$BUILD/tests/components/js-http.component.wasm
fi
# The JS route and its answer: js-serve's /hello answers like the hello example; js-http's /
# answers its own greeting.
if [[ $(basename "$JS") == js-http.component.wasm ]]; then
  JS_PATH=${JS_PATH:-/} JS_BODY=${JS_BODY:-$'hello from js-http\n'}
else
  JS_PATH=${JS_PATH:-/hello} JS_BODY=${JS_BODY:-Hello, WASI!}
fi
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-$(nproc)}          # server threads: weft --threads, nginx worker_processes
WRK_THREADS=${WRK_THREADS:-$THREADS}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
NGINX=${NGINX:-/usr/sbin/nginx}
JCO=${JCO:-$root/node_modules/.bin/jco}
REPORT=${REPORT:-$BUILD/bench/http-report.md}
READY_TIMEOUT=${READY_TIMEOUT:-60}
hello_body='Hello, WASI!'

tmp=$(mktemp -d /tmp/weft-bench-http.XXXXXX)
groups=()
cleanup() {
  local g
  for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
  sleep 0.3
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }
# wrk and nginx are the benchmark's own set-up, not make test's.
if ! command -v wrk >/dev/null || ! command -v curl >/dev/null || [[ ! -x /usr/sbin/nginx ]]; then
  bash "$(dirname "$0")/../../scripts/install-deps.sh" --bench
fi
for tool in wrk curl; do command -v $tool >/dev/null || { log "$tool not found"; exit 1; }; done

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stops a process group started by start_server: SIGTERM, then SIGKILL after 5 s.
stop_server() {  # PID
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null
}

# CPU time (user + system, clock ticks) used so far by every process of process group PGID:
# a per-request cost that, unlike req/s, does not depend on how busy the shared machine is.
# Fields of /proc/PID/stat after "pid (comm) ": 12 = utime, 13 = stime (all threads).
# (Only the group's own files are read: mawk stops at a file that vanished under its glob.)
group_cpu_ticks() {  # PGID
  local p
  for p in $(pgrep -g "$1"); do cat "/proc/$p/stat" 2>/dev/null; done |
    awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}
clk_tck=$(getconf CLK_TCK)
# Waits (at most 30 s) until process group PGID uses under 10% of a core over half a second.
wait_idle() {  # PGID
  local end=$((SECONDS + 30)) t0 t1
  t1=$(group_cpu_ticks "$1")
  while ((SECONDS < end)); do
    sleep 0.5
    t0=$t1 t1=$(group_cpu_ticks "$1")
    (((t1 - t0) * 1000 / clk_tck <= 50)) && return 0
  done
  log "process group $1 still busy after the warm-up"
}

failed=0 skipped=0
declare -A rps p50 p99 errs non2xx rss note cpu_ms

# measure KEY LABEL URL EXPECTED_BODY CMD...: one server, one wrk run; results in the arrays.
measure() {
  local key=$1 url=$3 expected=$4
  shift 4
  if [[ -n ${ONLY:-} && " $ONLY " != *" $key "* ]]; then note[$key]="not selected (ONLY)"; return; fi
  local log=$tmp/$key.log
  setsid "$@" >"$log" 2>&1 &
  local pid=$!
  groups+=("$pid")
  local end=$((SECONDS + READY_TIMEOUT)) body=
  while ((SECONDS < end)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$key exited before answering:"; tail -5 "$log" >&2
      note[$key]="failed: exited before answering"; failed=1; return
    fi
    body=$(curl -s -m 5 "$url") && break
    sleep 0.2
  done
  if [[ $body != "$expected" ]]; then
    log "$key answered '${body:0:80}', expected '$expected'"; tail -5 "$log" >&2
    note[$key]="failed: wrong answer"; failed=1; stop_server "$pid"; return
  fi
  log "$key ready; warm-up $WARMUP, then $DURATION with $CONNECTIONS connections"
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout "$WRK_TIMEOUT" "$url" >/dev/null 2>&1
  # A slow server still works through the warm-up's queued requests (jco: seconds of them);
  # that work must not land in the measurement.
  wait_idle "$pid"
  local out cpu0 cpu1
  cpu0=$(group_cpu_ticks "$pid")
  out=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency \
          -s "$here/report.lua" "$url" 2>&1)
  cpu1=$(group_cpu_ticks "$pid")
  echo "$out" >"$tmp/$key.wrk"
  local line; line=$(grep '^WRK_RESULT' <<<"$out")
  if [[ -z $line ]]; then
    log "$key: wrk gave no result:"; echo "$out" >&2
    note[$key]="failed: wrk gave no result"; failed=1; stop_server "$pid"; return
  fi
  local -A r=()
  local kv
  for kv in ${line#WRK_RESULT }; do r[${kv%%=*}]=${kv#*=}; done
  rps[$key]=${r[rps]}
  p50[$key]=$(awk -v u="${r[p50_us]}" 'BEGIN { printf "%.2f", u / 1000 }')
  p99[$key]=$(awk -v u="${r[p99_us]}" 'BEGIN { printf "%.2f", u / 1000 }')
  errs[$key]=$((r[connect] + r[read] + r[write] + r[timeout]))
  non2xx[$key]=${r[status]}
  cpu_ms[$key]=$(awk -v t=$((cpu1 - cpu0)) -v hz="$clk_tck" -v n="${r[requests]}" \
                   'BEGIN { if (n > 0) printf "%.3f", t * 1000 / hz / n; else print "?" }')
  ((r[requests] > 0)) || note[$key]="no request completed in $DURATION"
  # jco may time out under load (it is the baseline); the others must answer everything.
  if [[ $key != jco-js ]] && ((errs[$key] + non2xx[$key] > 0)); then
    note[$key]="failed: errors or non-2xx answers"; failed=1
  fi
  rss[$key]=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null)
  # The answer must still be right after the load.
  body=$(curl -s -m 5 "$url")
  if [[ $body != "$expected" ]]; then
    note[$key]="after the run: answered '${body:0:40}'"; failed=1
  fi
  stop_server "$pid"
  log "$key: ${rps[$key]} req/s, p50 ${p50[$key]} ms, p99 ${p99[$key]} ms, errors ${errs[$key]}, non-2xx ${non2xx[$key]}"
}

skip() {  # KEY REASON
  note[$1]="skipped: $2"; skipped=1; log "$1 skipped: $2"
}

weft_serve_flags=()
weft_has_serve=0
# `weft serve --help` must describe serve's own options (an older weft prints its top help).
if [[ -x $WEFT ]] && "$WEFT" serve --help >"$tmp/weft-serve-help" 2>&1 &&
   grep -q -- '--addr' "$tmp/weft-serve-help"; then
  weft_has_serve=1
  grep -q -- '--threads' "$tmp/weft-serve-help" && weft_serve_flags+=(--threads "$THREADS")
  grep -q -- '--quiet' "$tmp/weft-serve-help" && weft_serve_flags+=(--quiet)
  # shellcheck disable=SC2206
  weft_serve_flags+=(${WEFT_FLAGS:-})  # extra flags, word-split (e.g. --max-instance-reuse-count 1000)
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# nginx: the same body from a generated config in a temporary prefix.
if [[ -x $NGINX ]]; then
  port=$(free_port)
  mkdir -p "$tmp/nginx/logs" "$tmp/nginx/tmp"
  cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes $THREADS;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/nginx/tmp/body;
  proxy_temp_path $tmp/nginx/tmp/proxy;
  fastcgi_temp_path $tmp/nginx/tmp/fastcgi;
  uwsgi_temp_path $tmp/nginx/tmp/uwsgi;
  scgi_temp_path $tmp/nginx/tmp/scgi;
  default_type text/plain;
  server {
    listen 127.0.0.1:$port reuseport;
    location / { return 200 "$hello_body"; }
  }
}
EOF
  measure nginx nginx "http://127.0.0.1:$port/" "$hello_body" \
    "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf"
else
  skip nginx "no $NGINX"
fi

if ((!weft_has_serve)); then
  skip weft-hello "$WEFT has no serve subcommand"
elif [[ ! -f $HELLO ]]; then
  skip weft-hello "no $HELLO"
else
  port=$(free_port)
  measure weft-hello weft "http://127.0.0.1:$port/" "$hello_body" \
    "$WEFT" serve --addr "127.0.0.1:$port" "${weft_serve_flags[@]}" "$HELLO"
  # Informational: one instance serving every request, so the row measures the server and
  # the guest call without instantiation (the issue's rows use a fresh instance per request).
  if [[ ${REUSE_ROW:-1} == 1 ]]; then
    port=$(free_port)
    measure weft-hello-reuse weft "http://127.0.0.1:$port/" "$hello_body" \
      "$WEFT" serve --addr "127.0.0.1:$port" "${weft_serve_flags[@]}" \
      --max-instance-reuse-count 1000000000 "$HELLO"
  fi
fi

if ((!weft_has_serve)); then
  skip weft-js "$WEFT has no serve subcommand"
elif [[ ! -f $JS ]]; then
  skip weft-js "no $JS"
else
  port=$(free_port)
  measure weft-js weft "http://127.0.0.1:$port$JS_PATH" "$JS_BODY" \
    "$WEFT" serve --addr "127.0.0.1:$port" "${weft_serve_flags[@]}" "$JS"
fi

if [[ ! -x $JCO ]]; then
  skip jco-js "no $JCO"
elif [[ ! -f $JS ]]; then
  skip jco-js "no $JS"
else
  port=$(free_port)
  measure jco-js jco "http://127.0.0.1:$port$JS_PATH" "$JS_BODY" \
    node "$JCO" serve --host 127.0.0.1 --port "$port" --isolate-requests instance "$JS"
fi

# --- report ------------------------------------------------------------------------------
ratio() {  # A B TARGET
  if [[ -n ${rps[$1]:-} && -n ${rps[$2]:-} ]]; then
    awk -v a="${rps[$1]}" -v b="${rps[$2]}" -v t="$3" \
      'BEGIN { if (b == 0) { print "n/a | >= " t " | n/a"; exit }
               r = a / b; printf "%.2f | >= %s | %s\n", r, t, (r >= t ? "met" : "NOT met") }'
  else
    echo "n/a | >= $3 | n/a (not measured)"
  fi
}
cpu_ratio() {  # A B LABEL: A's CPU per request over B's (B's req/s over A's at equal CPU)
  if [[ ${cpu_ms[$1]:-?} != "?" && ${cpu_ms[$2]:-?} != "?" ]]; then
    awk -v a="${cpu_ms[$1]}" -v b="${cpu_ms[$2]}" -v l="$3" \
      'BEGIN { if (b > 0) printf "%s = %.2f", l, a / b; else printf "%s = n/a", l }'
  else
    printf '%s = n/a' "$3"
  fi
}
row() {  # KEY SERVER WHAT
  local k=$1
  if [[ -n ${rps[$k]:-} ]]; then
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$3" "${rps[$k]}" "${p50[$k]}" "${p99[$k]}" \
      "${cpu_ms[$k]}" "${errs[$k]}" "${non2xx[$k]}" "${rss[$k]:-?}${note[$k]:+ (${note[$k]})}"
  else
    printf '| %s | %s | %s | | | | | | |\n' "$2" "$3" "${note[$k]:-not measured}"
  fi
}
nginx_version=$("$NGINX" -v 2>&1 | sed 's/.*nginx\//nginx /')
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
mkdir -p "$(dirname "$REPORT")"
{
  echo "## HTTP benchmark (wrk on loopback)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $(nproc) cores, load before $load_before."
  echo "wrk: $DURATION after a $WARMUP warm-up, $CONNECTIONS connections, $WRK_THREADS threads, keep-alive;"
  echo "servers: $THREADS threads/workers (weft serve flags: ${weft_serve_flags[*]:-none})."
  echo
  echo "| server | workload | req/s | p50 ms | p99 ms | server CPU ms/req | errors | non-2xx | RSS after, MiB |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
  row nginx "$nginx_version" "return 200 \"$hello_body\""
  row weft-hello "weft serve" "$(basename "$HELLO")"
  [[ ${REUSE_ROW:-1} == 1 ]] &&
    row weft-hello-reuse "weft serve --max-instance-reuse-count 10^9 (informational)" "$(basename "$HELLO")"
  row weft-js "weft serve" "$(basename "$JS") $JS_PATH"
  row jco-js "jco serve --isolate-requests instance" "$(basename "$JS") $JS_PATH"
  echo
  echo "| ratio (req/s) | value | target | |"
  echo "|---|---:|---|---|"
  echo "| weft hello / nginx | $(ratio weft-hello nginx 0.5) |"
  echo "| weft JS / jco serve | $(ratio weft-js jco-js 10) |"
  echo
  echo "Server CPU per request (user + system of all the server's processes) does not depend on the"
  echo "machine's load as req/s does: $(cpu_ratio nginx weft-hello "nginx / weft hello"), $(cpu_ratio jco-js weft-js "jco / weft JS")."
} | tee "$tmp/report.md"
cp "$tmp/report.md" "$REPORT"
log "report written to $REPORT"
if ((failed)); then exit 1; fi
if ((skipped)) && [[ ${REQUIRE_ALL:-0} == 1 ]]; then exit 1; fi
exit 0
