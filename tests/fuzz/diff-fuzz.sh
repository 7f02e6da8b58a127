#!/usr/bin/env bash
# Differential fuzzing of Weft against binaryen's interpreter.
#
#   tests/fuzz/diff-fuzz.sh [COUNT] [SEED]        (defaults: 100 modules, seed 1)
#
# For each i in [0, COUNT): random bytes from a generator seeded with SEED and i become a
# random valid module (`wasm-opt SEEDFILE -ttf --denan` with the features bulk-memory,
# sign-ext, nontrapping-float-to-int, multivalue and mutable-globals), which is run by
# `wasm-opt --fuzz-exec-before` (the reference) and by build/weft-fuzz-exec; the traces are
# compared by compare.py (trap texts and NaN payloads aside). A divergence, a crash (signal or
# sanitizer report) or a hang (TIMEOUT) keeps the module, seed, both traces and the diff in
# RESULTS/seed-<SEED>-<i>/. Ends with a summary line; exit 1 if anything failed.
#
# A module Weft rejects is a divergence unless wabt's wasm-validate rejects it too (skipped).
# Environment: FUZZ_EXEC (default build/weft-fuzz-exec), WASM_OPT (wasm-opt), RESULTS
# (default build/fuzz-results), TIMEOUT seconds per run (10), MAX_FAILURES to stop after
# (default 1; 0 = never stop), DENAN=0 to keep NaNs, EXTRA_FEATURES (e.g. "--enable-simd";
# with reference-types binaryen 108 emits non-2.0 typed references), MIN_BYTES/MAX_BYTES of
# random input (1000/20000).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
COUNT=${1:-100}
SEED=${2:-1}
FUZZ_EXEC=${FUZZ_EXEC:-$ROOT/build/weft-fuzz-exec}
WASM_OPT=${WASM_OPT:-wasm-opt}
RESULTS=${RESULTS:-$ROOT/build/fuzz-results}
TIMEOUT=${TIMEOUT:-10}
MAX_FAILURES=${MAX_FAILURES:-1}
DENAN=${DENAN:-1}
MIN_BYTES=${MIN_BYTES:-1000}
MAX_BYTES=${MAX_BYTES:-20000}
FEATURES=(--mvp-features --enable-mutable-globals --enable-bulk-memory --enable-sign-ext
          --enable-nontrapping-float-to-int --enable-multivalue)
# shellcheck disable=SC2206
FEATURES+=(${EXTRA_FEATURES:-})
GEN_PASSES=()
[[ $DENAN == 1 ]] && GEN_PASSES=(--denan)

if [[ ! -x $FUZZ_EXEC ]]; then echo "diff-fuzz: $FUZZ_EXEC not built" >&2; exit 2; fi
if ! command -v "$WASM_OPT" >/dev/null; then echo "diff-fuzz: $WASM_OPT not found" >&2; exit 2; fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$RESULTS"

same=0; diverged=0; crashed=0; hung=0; skipped=0; failures=0
keep() {  # keep KIND I: saves the evidence for module I
  local dir=$RESULTS/seed-$SEED-$2
  mkdir -p "$dir"
  cp "$WORK/seed.bin" "$WORK/m.wasm" "$WORK/ref.txt" "$WORK/got.txt" "$dir/" 2>/dev/null
  cp "$WORK/got.err" "$dir/weft-stderr.txt" 2>/dev/null
  cp "$WORK/diff.txt" "$dir/" 2>/dev/null
  echo "$1" >"$dir/KIND"
  printf 'wasm-opt %s --fuzz-exec-before\n%s %s\n' "${FEATURES[*]}" "$FUZZ_EXEC" m.wasm >"$dir/REPRO"
  echo "diff-fuzz: module $2 (seed $SEED): $1 -> $dir"
  [[ -s $WORK/diff.txt ]] && head -4 "$WORK/diff.txt" | sed 's/^/    /'
  failures=$((failures + 1))
}

start=$(date +%s)
# All seed files up front (one interpreter start instead of COUNT).
mkdir -p "$WORK/seeds"
python3 - "$SEED" "$COUNT" "$MIN_BYTES" "$MAX_BYTES" "$WORK/seeds" <<'PY'
import random, sys
seed, count, lo, hi = (int(a) for a in sys.argv[1:5])
for i in range(count):
    r = random.Random(seed * 1000003 + i)
    with open("%s/%d.bin" % (sys.argv[5], i), "wb") as f:
        f.write(r.randbytes(r.randint(lo, hi)))
PY
for ((i = 0; i < COUNT; i++)); do
  mv "$WORK/seeds/$i.bin" "$WORK/seed.bin"
  rm -f "$WORK"/{m.wasm,ref.txt,got.txt,got.err,diff.txt}
  if ! "$WASM_OPT" "$WORK/seed.bin" -ttf "${GEN_PASSES[@]}" "${FEATURES[@]}" -o "$WORK/m.wasm" 2>/dev/null; then
    skipped=$((skipped + 1)); continue
  fi
  if ! timeout "$TIMEOUT" "$WASM_OPT" "$WORK/m.wasm" "${FEATURES[@]}" --fuzz-exec-before \
      >"$WORK/ref.txt" 2>/dev/null; then
    skipped=$((skipped + 1)); continue  # binaryen itself failed or hung: nothing to compare
  fi
  timeout -k 2 "$TIMEOUT" "$FUZZ_EXEC" "$WORK/m.wasm" >"$WORK/got.txt" 2>"$WORK/got.err"
  rc=$?
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    hung=$((hung + 1)); keep "hang (over ${TIMEOUT}s)" "$i"
  elif [[ $rc -ge 128 ]] || grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$WORK/got.err"; then
    crashed=$((crashed + 1)); keep "crash (exit $rc)" "$i"
  else
    python3 "$HERE/compare.py" "$WORK/ref.txt" "$WORK/got.txt" >"$WORK/diff.txt"
    cmp=$?
    # Weft rejected the module: if wabt's validator rejects it too, binaryen generated
    # something outside WebAssembly 2.0 (its 108 -ttf emits typed function references
    # with --enable-reference-types), so there is nothing to compare.
    if [[ $rc -eq 2 && $cmp -ne 0 ]] && command -v wasm-validate >/dev/null &&
       ! wasm-validate "$WORK/m.wasm" >/dev/null 2>&1; then
      cmp=3
    fi
    case $cmp in
      0) same=$((same + 1)) ;;
      3) skipped=$((skipped + 1)) ;;
      *) diverged=$((diverged + 1)); keep "divergence (weft exit $rc)" "$i" ;;
    esac
  fi
  if [[ $MAX_FAILURES -gt 0 && $failures -ge $MAX_FAILURES ]]; then
    echo "diff-fuzz: stopping after $failures failure(s)"; i=$((i + 1)); break
  fi
done
[[ $i -gt $COUNT ]] && i=$COUNT
echo "diff-fuzz: $i modules (seed $SEED): $same identical, $diverged divergent, $crashed crashed, $hung hung, $skipped skipped; $(( $(date +%s) - start ))s"
[[ $failures -eq 0 ]]
