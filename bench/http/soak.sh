#!/usr/bin/env bash
# The soak of issue 4: one bounded wrk run (default 300 s) on loopback against `weft serve` on
# the hello example, with weft's resident memory (VmRSS from /proc/PID/status) sampled every
# INTERVAL seconds. Fails (exit 1) on any wrk error or non-2xx answer, on weft exiting or
# answering wrongly, or when RSS under load grows by more than MAX_GROWTH_KB from just after
# the warm-up to the end of the run (medians of three samples; the peak is reported, not
# judged); exit 2 when weft serve or the component is missing. Parameters: see README.md.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
WEFT=${WEFT:-$BUILD/weft}
COMPONENT=${COMPONENT:-$BUILD/examples/hello-http.wasm}
URL_PATH=${URL_PATH:-/}
EXPECTED_BODY=${EXPECTED_BODY:-Hello, WASI!}
DURATION=${DURATION:-300}            # seconds
WARMUP=${WARMUP:-30}                 # seconds of load before the RSS baseline is taken
INTERVAL=${INTERVAL:-10}             # seconds between RSS samples
MAX_GROWTH_KB=${MAX_GROWTH_KB:-8192}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-$(nproc)}         # weft --threads (when it has the flag)
WRK_THREADS=${WRK_THREADS:-$THREADS}
WEFT_FLAGS=${WEFT_FLAGS:-}           # extra flags for weft serve, word-split

log() { echo "soak: $*" >&2; }
# wrk and nginx are the benchmark's own set-up, not make test's.
if ! command -v wrk >/dev/null || ! command -v curl >/dev/null || [[ ! -x /usr/sbin/nginx ]]; then
  bash "$(dirname "$0")/../../scripts/install-deps.sh" --bench
fi
for tool in wrk curl; do command -v $tool >/dev/null || { log "$tool not found"; exit 2; }; done
[[ -x $WEFT ]] || { log "no weft binary at $WEFT"; exit 2; }
"$WEFT" serve --help 2>&1 | grep -q -- '--addr' || { log "$WEFT has no serve subcommand"; exit 2; }
[[ -f $COMPONENT ]] || { log "no component $COMPONENT"; exit 2; }
((WARMUP < DURATION)) || { log "WARMUP ($WARMUP) must be shorter than DURATION ($DURATION)"; exit 2; }

tmp=$(mktemp -d /tmp/weft-soak.XXXXXX)
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

flags=()
help=$("$WEFT" serve --help 2>&1)
grep -q -- '--threads' <<<"$help" && flags+=(--threads "$THREADS")
grep -q -- '--quiet' <<<"$help" && flags+=(--quiet)
# shellcheck disable=SC2206
flags+=($WEFT_FLAGS)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port$URL_PATH
setsid "$WEFT" serve --addr "127.0.0.1:$port" "${flags[@]}" "$COMPONENT" >"$tmp/weft.log" 2>&1 &
pid=$!
groups+=("$pid")
body=
for _ in $(seq 150); do
  kill -0 "$pid" 2>/dev/null || break
  body=$(curl -s -m 2 "$url") && break
  sleep 0.2
done
if [[ $body != "$EXPECTED_BODY" ]]; then
  log "weft serve answered '${body:0:80}', expected '$EXPECTED_BODY'"; tail -5 "$tmp/weft.log" >&2
  exit 1
fi
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null; }
log "weft serve (pid $pid, ${flags[*]:-no flags}) on $url; ${DURATION}s of load, $CONNECTIONS connections"

setsid wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency \
  -s "$here/report.lua" "$url" >"$tmp/wrk.out" 2>&1 &
wrk_pid=$!
groups+=("$wrk_pid")

# Only samples taken under load count (RSS with many instances in flight is far above the idle
# level, so an idle sample would hide growth). Growth compares the median of the last three
# post-warm-up samples with the median of the first three: single samples swing by the
# instances alive at that moment (+-20 MB for the 12 MB componentize-js component).
start_rss=$(rss_kb) max_rss=$start_rss samples=() loaded=()
started=$SECONDS
while kill -0 "$wrk_pid" 2>/dev/null; do
  sleep "$INTERVAL"
  kill -0 "$pid" 2>/dev/null || { log "weft serve exited during the soak"; tail -20 "$tmp/weft.log" >&2; exit 1; }
  r=$(rss_kb); t=$((SECONDS - started))
  kill -0 "$wrk_pid" 2>/dev/null || break  # the load is over: not a loaded sample
  samples+=("${t}s:$((r / 1024)).$((r % 1024 * 10 / 1024))M")
  ((r > max_rss)) && max_rss=$r
  ((t >= WARMUP)) && loaded+=("$r")
  log "t=${t}s RSS ${r} kB"
done
wait "$wrk_pid"
sleep 2
idle_rss=$(rss_kb)
median3() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
n=${#loaded[@]}
if ((n == 0)); then
  log "no RSS sample after the warm-up: make DURATION longer than WARMUP + INTERVAL"; exit 2
elif ((n >= 6)); then
  first=$(median3 "${loaded[@]:0:3}") last=$(median3 "${loaded[@]:n-3:3}")
else
  first=${loaded[0]} last=${loaded[n-1]}
fi

line=$(grep '^WRK_RESULT' "$tmp/wrk.out")
if [[ -z $line ]]; then log "wrk gave no result:"; cat "$tmp/wrk.out" >&2; exit 1; fi
declare -A w
for kv in ${line#WRK_RESULT }; do w[${kv%%=*}]=${kv#*=}; done
errors=$((w[connect] + w[read] + w[write] + w[timeout]))
after=$(curl -s -m 5 "$url")

growth=$((last - first))
echo "## Soak: weft serve $(basename "$COMPONENT"), ${DURATION}s, $CONNECTIONS connections"
echo
echo "| requests | req/s | p50 ms | p99 ms | errors | non-2xx | RSS start | RSS loaded, after warm-up | RSS loaded, end | growth | RSS max | RSS idle after |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '| %s | %s | %.2f | %.2f | %s | %s | %s kB | %s kB | %s kB | %+d kB | %s kB | %s kB |\n' \
  "${w[requests]}" "${w[rps]}" "$(awk -v u="${w[p50_us]}" 'BEGIN { print u / 1000 }')" \
  "$(awk -v u="${w[p99_us]}" 'BEGIN { print u / 1000 }')" "$errors" "${w[status]}" \
  "$start_rss" "$first" "$last" "$growth" "$max_rss" "$idle_rss"
echo
echo "RSS samples under load (warm-up: first ${WARMUP}s): ${samples[*]}"
status=0
if ((errors > 0 || w[status] > 0)); then log "FAIL: $errors socket errors, ${w[status]} non-2xx answers"; status=1; fi
if ((growth > MAX_GROWTH_KB)); then
  log "FAIL: RSS under load grew by $growth kB after the warm-up; limit $MAX_GROWTH_KB kB"; status=1
fi
if [[ $after != "$EXPECTED_BODY" ]]; then log "FAIL: after the soak weft answered '${after:0:80}'"; status=1; fi
((status == 0)) && log "PASS"
exit $status
