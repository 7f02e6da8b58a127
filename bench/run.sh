#!/usr/bin/env bash
# Times whole processes of Weft, node (V8 with WASI preview1) and wabt's wasm-interp on the
# benchmark kernels in one run, checks they agree on the checksums, and prints a table of
# wall times, ratios and the geometric mean of weft/node.
#
#   bench/run.sh [--runs N] [--no-interp] [--cpu] [--smoke] [KERNEL...]
#
# weft and node run the WASI command K.wasm at its default scale (10 work units, 0.3-0.5 s
# under node). Debian's wasm-interp has no WASI, so the weft/wasm-interp ratio is measured on
# K.bare.wasm (no imports, `run() -> i64`, 1 work unit): `wasm-interp --run-all-exports`
# against `weft run --invoke run`, same module, same work.
# Environment: BUILD (default build), WEFT (default $BUILD/weft), NODE (default node),
# WASM_INTERP (default wasm-interp), TIMEOUT per process in seconds (default 120).
# Times are best-of-N wall clock (N=3); wasm-interp (50-100x slower) runs once. --cpu uses
# user+system CPU time instead (steadier on a loaded machine; node's JIT threads count too).
# --smoke checks the checksums of one kernel under weft and node only (a few seconds).
# Exit status: 0 when every checksum agrees, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
WEFT=${WEFT:-$BUILD/weft}
NODE=${NODE:-node}
WASM_INTERP=${WASM_INTERP:-wasm-interp}
TIMEOUT=${TIMEOUT:-120}
RUNS=3
METRIC=wall
USE_INTERP=1
SMOKE=0
KERNELS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --no-interp) USE_INTERP=0; shift ;;
    --cpu) METRIC=cpu; [[ -x /usr/bin/time ]] || { echo "--cpu needs /usr/bin/time" >&2; exit 2; }; shift ;;
    --smoke) SMOKE=1; USE_INTERP=0; RUNS=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) KERNELS+=("$1"); shift ;;
  esac
done
KDIR=$BUILD/bench
if [[ ${#KERNELS[@]} -eq 0 ]]; then
  if [[ $SMOKE -eq 1 ]]; then
    KERNELS=(crc32)
  else
    for f in "$KDIR"/*.bare.wasm; do  # every kernel has both variants; other modules don't
      [[ -e $f ]] && KERNELS+=("$(basename "$f" .bare.wasm)")
    done
  fi
fi
if [[ ${#KERNELS[@]} -eq 0 ]]; then
  echo "no kernels in $KDIR (build them: cmake --build $BUILD --target bench_kernels)" >&2
  exit 1
fi
command -v "$WASM_INTERP" >/dev/null || USE_INTERP=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

now_ns() { date +%s%N; }

# run_timed OUTFILE CMD... : runs once with a timeout; prints elapsed ms, or "-" on failure.
run_timed() {
  local out=$1; shift
  local t0 t1 rc
  t0=$(now_ns)
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f '%U %S' -o "$out.time" timeout "$TIMEOUT" "$@" >"$out" 2>"$out.err" </dev/null
  else
    timeout "$TIMEOUT" "$@" >"$out" 2>"$out.err" </dev/null
  fi
  rc=$?
  t1=$(now_ns)
  if [[ $rc -ne 0 ]]; then echo "-"; return; fi
  if [[ $METRIC == cpu ]]; then
    awk '{ printf "%d\n", ($1 + $2) * 1000 }' "$out.time"
  else
    echo $(( (t1 - t0) / 1000000 ))
  fi
}

# best_of N OUTFILE CMD... : best wall time over N runs ("-" if any run failed).
best_of() {
  local n=$1 out=$2; shift 2
  local best="" t i
  for ((i = 0; i < n; i++)); do
    t=$(run_timed "$out" "$@")
    if [[ $t == "-" ]]; then echo "-"; return; fi
    if [[ -z $best || $t -lt $best ]]; then best=$t; fi
  done
  echo "$best"
}

checksum_of() { grep -oE 'checksum [0-9a-f]{16}' "$1" 2>/dev/null | awk '{print $2}' | head -1; }
# wasm-interp prints "run() => i64:DECIMAL", weft --invoke the bare value: take the last
# integer and print it as 16 hex digits (two's complement).
int_checksum_of() {
  local v; v=$(grep -oE -- '-?[0-9]+' "$1" 2>/dev/null | tail -1)
  [[ -n $v ]] && printf '%016x\n' "$v"
}

status=0
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }

printf '%-11s %8s %8s %9s %9s %9s %11s  %s\n' kernel weft_ms node_ms weft/node \
  wb_ms interp_ms weft/interp checksum
echo "($METRIC time in ms, best of $RUNS; load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
rows=()
for k in "${KERNELS[@]}"; do
  wasm=$KDIR/$k.wasm
  if [[ ! -f $wasm ]]; then echo "$k: missing $wasm" >&2; status=1; continue; fi
  tw=$(best_of "$RUNS" "$TMP/weft.out" "$WEFT" run "$wasm")
  tn=$(best_of "$RUNS" "$TMP/node.out" "$NODE" --no-warnings bench/node-wasi.mjs "$wasm")
  cw=$(checksum_of "$TMP/weft.out"); cn=$(checksum_of "$TMP/node.out")
  note=$cn
  if [[ -z $cn ]]; then note="node failed: $(head -c 200 "$TMP/node.out.err")"; status=1
  elif [[ $cw != "$cn" ]]; then
    note="MISMATCH weft=${cw:-none} node=$cn"; status=1
    [[ $tw == "-" ]] && note="$note ($(head -c 160 "$TMP/weft.out.err" | tr '\n' ' '))"
    tw="-"
  fi
  twb="-"; ti="-"
  if [[ $USE_INTERP -eq 1 && -f $KDIR/$k.bare.wasm ]]; then
    twb=$(best_of "$RUNS" "$TMP/weftb.out" "$WEFT" run --invoke run "$KDIR/$k.bare.wasm")
    ti=$(run_timed "$TMP/interp.out" "$WASM_INTERP" "$KDIR/$k.bare.wasm" --run-all-exports)
    cwb=$(int_checksum_of "$TMP/weftb.out"); ci=$(int_checksum_of "$TMP/interp.out")
    if [[ -z $ci ]]; then note="$note; wasm-interp failed"; status=1; ti="-"
    elif [[ $cwb != "$ci" ]]; then note="$note; bare MISMATCH weft=${cwb:-none} wasm-interp=$ci"; status=1; twb="-"
    fi
  fi
  printf '%-11s %8s %8s %9s %9s %9s %11s  %s\n' "$k" "$tw" "$tn" "$(ratio "$tw" "$tn")" \
    "$twb" "$ti" "$(ratio "$twb" "$ti")" "$note"
  rows+=("$tw $tn $twb $ti")
done

if [[ $SMOKE -eq 0 ]]; then
  printf '%s\n' "${rows[@]}" | awk '
    $1 != "-" && $2 != "-" { s += log($1 / $2); n++ }
    $3 != "-" && $4 != "-" { si += log($3 / $4); ni++ }
    END {
      if (n) printf "geomean weft/node: %.2f over %d kernels\n", exp(s / n), n;
      else print "geomean weft/node: - (weft ran no kernel)";
      if (ni) printf "geomean weft/wasm-interp: %.3f over %d kernels\n", exp(si / ni), ni;
    }'
fi
exit $status
