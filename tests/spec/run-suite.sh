#!/usr/bin/env bash
# Runs the whole WebAssembly spec suite through `weft wast` and prints a per-file table and the
# grand total. Usage: tests/spec/run-suite.sh BUILD_DIR [FILTER_REGEX]
#   BUILD_DIR   a configured+built tree holding `weft` (or `weft-wast-test`) and, when built,
#               tests/spec/json/*.json (else each .wast is converted here with wast2json).
#   FILTER      optional regex on the file name (e.g. '^simd_').
# Env: SUITE (default: <repo>/../shared/wasm-testsuite), JOBS (default 2), RUNNER (override the
# runner command, e.g. "build/weft wast"), LOG_DIR (keep per-file logs; default a temp dir).
# Exit status 0 iff every file passed with 0 failures.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:?usage: run-suite.sh BUILD_DIR [FILTER_REGEX]}
filter=${2:-.}
build=$(cd "$build" && pwd)
suite=${SUITE:-$repo/../shared/wasm-testsuite}
jobs=${JOBS:-2}

if [[ ! -d $suite ]]; then
  echo "run-suite: spec suite not found at $suite" >&2
  exit 2
fi
if [[ -z ${RUNNER:-} ]]; then
  if [[ -x $build/weft ]] && "$build/weft" wast --help >/dev/null 2>&1; then
    RUNNER="$build/weft wast"
  elif [[ -x $build/weft-wast-test ]]; then
    RUNNER="$build/weft-wast-test"
  else
    echo "run-suite: neither $build/weft (with 'wast') nor $build/weft-wast-test found" >&2
    exit 2
  fi
fi
if [[ -n ${LOG_DIR:-} ]]; then
  logs=$LOG_DIR
  mkdir -p "$logs"
else
  logs=$(mktemp -d)
  trap 'rm -rf "$logs"' EXIT
fi
export RUNNER logs build

run_one() {
  local wast=$1 name input
  name=$(basename "$wast" .wast)
  input=$build/tests/spec/json/$name.json
  if [[ ! -f $input || $input -ot $wast ]]; then
    mkdir -p "$logs/json"
    wast2json "$wast" -o "$logs/json/$name.json" 2>"$logs/$name.log" || { echo "$name conversion-failed" >"$logs/$name.sum"; return; }
    input=$logs/json/$name.json
  fi
  local start end rc
  start=$(date +%s.%N)
  timeout 300 $RUNNER "$input" >"$logs/$name.log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  local last
  last=$(tail -n 1 "$logs/$name.log")
  if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
    echo "$name ${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[4]:-0} $rc $(echo "$end - $start" | bc)" >"$logs/$name.sum"
  else
    echo "$name crashed($rc) $(echo "$end - $start" | bc)" >"$logs/$name.sum"
  fi
}
export -f run_one

start=$(date +%s)
ls "$suite"/*.wast | while read -r f; do
  [[ $(basename "$f") =~ $filter ]] && echo "$f"
done | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}
end=$(date +%s)

total_p=0 total_f=0 total_s=0 bad_files=0 files=0
printf '%-40s %8s %8s %8s %8s\n' file passed failed skipped seconds
for sum in "$logs"/*.sum; do
  [[ -f $sum ]] || continue
  read -r name p f s rc secs <"$sum"
  files=$((files + 1))
  if [[ $p =~ ^[0-9]+$ ]]; then
    printf '%-40s %8s %8s %8s %8.2f\n' "$name" "$p" "$f" "$s" "$secs"
    total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
    if [[ $f != 0 || $rc != 0 ]]; then bad_files=$((bad_files + 1)); fi
  else
    printf '%-40s %s\n' "$name" "$p"
    bad_files=$((bad_files + 1))
  fi
done
echo "files: $files, failing files: $bad_files, wall time: $((end - start)) s"
echo "$total_p passed, $total_f failed, $total_s skipped"
[[ $bad_files == 0 ]]
