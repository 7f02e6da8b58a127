#!/usr/bin/env bash
# CTest fuzz_exec_edge: runs edge.wat through binaryen's --fuzz-exec-before and through
# weft-fuzz-exec and compares the traces with compare.py (the same rules as diff-fuzz.sh).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
FUZZ_EXEC=${FUZZ_EXEC:?set FUZZ_EXEC}
WASM_OPT=${WASM_OPT:-wasm-opt}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FEATURES=(--mvp-features --enable-mutable-globals --enable-bulk-memory --enable-sign-ext
          --enable-nontrapping-float-to-int --enable-multivalue)
wat2wasm "$HERE/edge.wat" -o "$WORK/edge.wasm" || exit 2
"$WASM_OPT" "$WORK/edge.wasm" "${FEATURES[@]}" --fuzz-exec-before >"$WORK/ref.txt" 2>/dev/null || exit 2
"$FUZZ_EXEC" "$WORK/edge.wasm" >"$WORK/got.txt" 2>&1
python3 "$HERE/compare.py" "$WORK/ref.txt" "$WORK/got.txt" && echo "edge.wat: identical traces ($(wc -l <"$WORK/ref.txt") lines)"
