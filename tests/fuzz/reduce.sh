#!/usr/bin/env bash
# Shrinks a module kept by diff-fuzz.sh while Weft and binaryen still disagree on it.
#
#   tests/fuzz/reduce.sh RESULT_DIR        (e.g. build/fuzz-results/seed-1-17)
#
# Writes RESULT_DIR/reduced.wasm and reduced.wat and prints the reduced module's traces.
# wasm-reduce keeps a candidate when the check command's stdout and exit code are unchanged;
# the check prints only "diverges" / "same", so any still-diverging module is kept.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DIR=${1:?usage: reduce.sh RESULT_DIR}
FUZZ_EXEC=${FUZZ_EXEC:-$ROOT/build/weft-fuzz-exec}
WASM_OPT=${WASM_OPT:-wasm-opt}
FEATURES="--mvp-features --enable-mutable-globals --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int --enable-multivalue ${EXTRA_FEATURES:-}"
DIR=$(cd "$DIR" && pwd)
FUZZ_EXEC=$(realpath "$FUZZ_EXEC")  # the check runs in another directory
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/check.sh" <<CHECK
#!/usr/bin/env bash
"$WASM_OPT" "$WORK/t.wasm" $FEATURES --fuzz-exec-before >"$WORK/ref.txt" 2>/dev/null || { echo invalid; exit 0; }
timeout 5 "$FUZZ_EXEC" "$WORK/t.wasm" >"$WORK/got.txt" 2>/dev/null
rc=\$?
if [[ \$rc -eq 124 || \$rc -eq 137 || \$rc -gt 128 ]]; then echo diverges; exit 0; fi  # hang, crash
if python3 "$HERE/compare.py" "$WORK/ref.txt" "$WORK/got.txt" >/dev/null; then echo same; else echo diverges; fi
CHECK
chmod +x "$WORK/check.sh"
cp "$DIR/m.wasm" "$WORK/t.wasm"
if [[ $("$WORK/check.sh") != diverges ]]; then echo "reduce: $DIR/m.wasm does not diverge now" >&2; exit 1; fi
# shellcheck disable=SC2086
# -b: wasm-reduce runs wasm-opt from its bin dir; -f: an empty module gives "same", which
# wasm-reduce would otherwise take as a sign the reduction cannot work.
BIN_DIR=$(dirname "$(command -v "$WASM_OPT")")/
(cd "$WORK" && timeout "${REDUCE_TIMEOUT:-600}" wasm-reduce "$DIR/m.wasm" "--command=$WORK/check.sh" \
   -t "$WORK/t.wasm" -w "$WORK/w.wasm" -b "$BIN_DIR" -f --extra-flags "$FEATURES" $FEATURES \
   >"$WORK/reduce.log" 2>&1)
if [[ ! -s $WORK/w.wasm ]]; then echo "reduce: wasm-reduce failed:" >&2; tail -5 "$WORK/reduce.log" >&2; exit 1; fi
cp "$WORK/w.wasm" "$DIR/reduced.wasm"
wasm-dis "$DIR/reduced.wasm" $FEATURES -o "$DIR/reduced.wat" 2>/dev/null || wasm2wat "$DIR/reduced.wasm" -o "$DIR/reduced.wat"
echo "reduced: $(stat -c %s "$DIR/m.wasm") -> $(stat -c %s "$DIR/reduced.wasm") bytes: $DIR/reduced.wat"
"$WASM_OPT" "$DIR/reduced.wasm" $FEATURES --fuzz-exec-before 2>/dev/null | sed 's/^/  binaryen: /'
"$FUZZ_EXEC" "$DIR/reduced.wasm" 2>&1 | sed 's/^/  weft:     /'
