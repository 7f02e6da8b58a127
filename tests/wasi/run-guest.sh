#!/usr/bin/env bash
# Runs one WASI test case under `weft run` and under node's WASI and compares them.
# Usage: run-guest.sh WEFT GUEST_DIR CASE
# Passes when weft's stdout, stderr and exit status equal the golden files in expected/
# (CASE.stdout, CASE.stderr if present, CASE.status) and equal node's (when node is
# installed), and both leave the same files in the preopened directory.
set -uo pipefail
WEFT=$1 GUEST_DIR=$2 CASE=$3
HERE=$(cd "$(dirname "$0")" && pwd)
EXPECTED=$HERE/expected
WORK=$(mktemp -d /tmp/weft-wasi-test.XXXXXX)
[[ -n ${KEEP_WORK:-} ]] && echo "keeping $WORK" || trap 'rm -rf "$WORK"' EXIT  # KEEP_WORK=1 to debug

# PEER_ENVS: extra --env options for the node leg only (never weft's).
ARGS=() ENVS=() PEER_ENVS=() STDIN=/dev/null GUEST=$CASE COMPARE_STDERR=1 NEED_FIXTURE=0 NODE=1
case $CASE in
  args_env)
    ARGS=(one "two words" --flag "" "ünïcode ✓" "a=b")
    ENVS=(--env "GREETING=hello world" --env EMPTY= --env "WITH_EQUALS=x=y") ;;
  files|cxx) NEED_FIXTURE=1
    if [[ $CASE == cxx ]]; then
      ARGS=(zeta alpha mid) STDIN=$WORK/stdin.txt
      printf 'one\ntwo\nthe last line\n' >"$STDIN"
    fi ;;
  random) ;;
  clocks) PEER_ENVS=(--env TIMER_SLACK_US=1000) ;;  # libuv timers may fire <1 ms early (clocks.c)
  stdin) STDIN=$WORK/stdin.txt
    { printf 'first line of input\n'; for i in $(seq 1 500); do printf 'line %d: some text\n' "$i"; done; printf 'no newline at end'; } >"$STDIN" ;;
  exit_code) ARGS=(7) ;;
  exit_code_255) GUEST=exit_code ARGS=(255) ;;
  sandbox) NEED_FIXTURE=1 ;;
  symlinks) NEED_FIXTURE=1 NODE=0 ;;
  raw) NEED_FIXTURE=1 NODE=0 ;;  # node 20: raw host flags in fdstat, EINVAL for stdio prestat
  poll) STDIN=$WORK/stdin.txt NODE=0  # node 20 reports regular files/pipes as never ready
    printf 'hello world\n' >"$STDIN" ;;  # node 20's uvwasi mis-resolves `..` in link targets
  trap) COMPARE_STDERR=0 ;;  # node's trap message differs; weft's is checked below
  *) echo "unknown case $CASE"; exit 2 ;;
esac
WASM=$GUEST_DIR/$GUEST.wasm

# make_fixture DIR: the preopened directory DIR/sandbox, and a secret file beside it.
make_fixture() {
  mkdir -p "$1/sandbox/sub"
  printf 'alpha beta\ngamma alpha\n' >"$1/sandbox/input.txt"
  printf 'inside\n' >"$1/sandbox/sub/file.txt"
  printf 'SECRET\n' >"$1/secret.txt"
  ln -s ../secret.txt "$1/sandbox/host-link"
}

# run_one NAME RUNNER...: runs the case, leaving NAME.{out,err,status} and NAME.tree.
run_one() {
  local name=$1; shift
  local envs=("${ENVS[@]}")
  [[ $name != weft ]] && envs+=("${PEER_ENVS[@]}")
  local dir=$WORK/$name
  mkdir -p "$dir"
  local dirargs=()
  if [[ $NEED_FIXTURE == 1 ]]; then
    make_fixture "$dir"
    dirargs=(--dir "$dir/sandbox::/sandbox")
  fi
  # Same working directory and same module path for both, so argv[0] matches.
  (cd "$GUEST_DIR" && "$@" "${dirargs[@]}" "${envs[@]}" "$GUEST.wasm" "${ARGS[@]}" \
      <"$STDIN" >"$WORK/$name.out" 2>"$WORK/$name.err")
  echo $? >"$WORK/$name.status"
  if [[ $NEED_FIXTURE == 1 ]]; then
    (cd "$dir" && find . -printf '%y %p %s\n' | sort) >"$WORK/$name.tree"
  else
    : >"$WORK/$name.tree"
  fi
}

fail=0
report() { echo "FAIL [$CASE]: $*"; fail=1; }

[[ -f $WASM ]] || { echo "missing guest $WASM"; exit 1; }
run_one weft timeout 30 "$WEFT" run

# Golden expectations.
if ! diff -u "$EXPECTED/$CASE.stdout" "$WORK/weft.out"; then report "stdout differs from expected/$CASE.stdout"; fi
if [[ -f $EXPECTED/$CASE.stderr ]] && ! diff -u "$EXPECTED/$CASE.stderr" "$WORK/weft.err"; then
  report "stderr differs from expected/$CASE.stderr"
fi
want_status=$(cat "$EXPECTED/$CASE.status")
[[ $(cat "$WORK/weft.status") == "$want_status" ]] || report "exit status $(cat "$WORK/weft.status"), expected $want_status"
if [[ $CASE == trap ]]; then
  for needle in "failed to run main module" "wasm trap: unreachable" "innermost_function" "middle_function"; do
    grep -qF "$needle" "$WORK/weft.err" || report "trap stderr lacks \"$needle\""
  done
fi

# Differential: node's WASI must agree byte for byte.
if [[ $NODE == 0 ]]; then
  echo "note: no node comparison for $CASE"
elif command -v node >/dev/null; then
  # The flag is needed before node 20 (Debian 12 ships 18) and accepted after.
  run_one node node --no-warnings --experimental-wasi-unstable-preview1 "$HERE/node-wasi.mjs"
  cmp -s "$WORK/weft.out" "$WORK/node.out" || { diff -u "$WORK/node.out" "$WORK/weft.out"; report "stdout differs from node"; }
  if [[ $COMPARE_STDERR == 1 ]]; then
    cmp -s "$WORK/weft.err" "$WORK/node.err" || { diff -u "$WORK/node.err" "$WORK/weft.err"; report "stderr differs from node"; }
  fi
  [[ $(cat "$WORK/weft.status") == $(cat "$WORK/node.status") ]] || report "exit status $(cat "$WORK/weft.status"), node $(cat "$WORK/node.status")"
  cmp -s "$WORK/weft.tree" "$WORK/node.tree" || { diff -u "$WORK/node.tree" "$WORK/weft.tree"; report "files left behind differ from node"; }
else
  echo "note: node not found, differential comparison skipped"
fi

if [[ $fail == 0 ]]; then echo "PASS [$CASE]"; fi
exit $fail
