#!/usr/bin/env bash
# Components `weft run` must refuse cleanly (issue 3, acceptance 3): exit status 1-127 (no
# signal, no crash), something on stderr, nothing run.
# Usage: check-refusals.sh WEFT GUEST_DIR
# - js-http.component.wasm (if built) imports wasi:http, which weft does not host, and has no
#   wasi:cli/run. Plain `weft run` must fail naming wasi:http (the missing import, or the
#   export); with --trap-unknown-imports it instantiates and the refusal must name
#   wasi:cli/run and list the export wasi:http/incoming-handler.
# - hello.component.wasm cut short at several lengths (not 8: the bare header is a valid empty
#   component), and with a section id corrupted: the message must give a byte offset (like
#   the module loader's "... at byte offset N").
set -uo pipefail
WEFT=$1 GUEST_DIR=$2
WORK=$(mktemp -d /tmp/weft-component-refusals.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail=0
report() { echo "FAIL: $*"; fail=1; }

# refused NAME FILE [NEEDLE...]: weft run $RUN_FLAGS FILE must fail cleanly and print every
# NEEDLE (extended regexps) on stderr.
RUN_FLAGS=()
refused() {
  local name=$1 file=$2; shift 2
  timeout 30 "$WEFT" run "${RUN_FLAGS[@]}" "$file" </dev/null >"$WORK/out" 2>"$WORK/err"
  local status=$?
  if ((status == 0 || status >= 128)); then
    report "$name: exit status $status (want 1-127)"; head -5 "$WORK/err"; return
  fi
  [[ -s $WORK/err ]] || report "$name: nothing on stderr"
  [[ -s $WORK/out ]] && report "$name: printed on stdout: $(head -c 200 "$WORK/out")"
  for needle in "$@"; do
    grep -qiE -- "$needle" "$WORK/err" || { report "$name: stderr lacks /$needle/:"; head -5 "$WORK/err"; }
  done
}

if [[ -f $GUEST_DIR/js-http.component.wasm ]]; then
  refused "wasi:http component" "$GUEST_DIR/js-http.component.wasm" "wasi:http"
  RUN_FLAGS=(--trap-unknown-imports)
  refused "no wasi:cli/run" "$GUEST_DIR/js-http.component.wasm" "wasi:cli/run" "wasi:http/incoming-handler"
  RUN_FLAGS=()
fi

hello=$GUEST_DIR/hello.component.wasm
[[ -f $hello ]] || { echo "missing $hello"; exit 1; }
size=$(stat -c %s "$hello")
for cut in 4 9 10 12 100 1000 $((size / 2)) $((size - 1)); do
  head -c "$cut" "$hello" >"$WORK/cut.wasm"
  refused "cut to $cut bytes" "$WORK/cut.wasm" "offset"
done
# Byte 8 is the first section's id: 0x7f is not a component section.
{ head -c 8 "$hello"; printf '\x7f'; tail -c +10 "$hello"; } >"$WORK/bad-section.wasm"
refused "unknown section id" "$WORK/bad-section.wasm" "offset"

if [[ $fail == 0 ]]; then echo "PASS: every malformed or non-command component refused cleanly"; fi
exit $fail
