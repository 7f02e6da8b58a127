#!/usr/bin/env bash
# Runs one WASI 0.2 component test case and compares the runs with each other and with the
# golden files in expected/.
# Usage: run-component.sh MODE WEFT GUEST_DIR CASE
#   MODE ref:  the preview1 module under node's WASI (../wasi/node-wasi.mjs) and the component
#              under `jco run` (node_modules/.bin/jco, jco-env.mjs sets args/env/preopens).
#   MODE weft: the component under `WEFT run`, plus the node leg as the live reference.
# Every leg must give the golden stdout (CASE.stdout, or its SHA-256 in CASE.stdout.sha256),
# the golden stderr when CASE.stderr(.sha256) exists, the expected exit status, and leave the
# same files in the preopened directory as the other legs. CASE.LEG.stdout/.stderr replace the
# golden file for one reference leg whose runtime deviates (README.md lists why). CASE.status is the module's exit
# status; a component can only report success or failure through wasi:cli/exit (the adapter
# maps proc_exit(n != 0) to exit(err)), so components must exit 0 or 1, except that a trap
# exits 134 under weft as for modules (jco run reports it as 1).
set -uo pipefail
MODE=$1 WEFT=$2 GUEST_DIR=$3 CASE=$4
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EXPECTED=$HERE/expected
JCO=${JCO:-$ROOT/node_modules/.bin/jco}
WORK=$(mktemp -d /tmp/weft-component-test.XXXXXX)
[[ -n ${KEEP_WORK:-} ]] && echo "keeping $WORK" || trap 'rm -rf "$WORK"' EXIT  # KEEP_WORK=1 to debug

# Per case: arguments, environment (NAME=VALUE), stdin, which legs apply, what is compared.
# WEFT_ARGS: extra `weft run` options (the sockets case needs the network grant).
# PEER_ENVS: environment for the node and jco legs only (never weft's).
ARGS=() ENVS=() PEER_ENVS=() WEFT_ARGS=() STDIN=/dev/null GUEST=$CASE COMPARE_STDERR=1 NEED_FIXTURE=0 NODE=1 JCO_LEG=1
case $CASE in
  hello|random|terminal|big_output) ;;
  clocks) PEER_ENVS=(TIMER_SLACK_US=1000) ;;  # libuv timers may fire <1 ms early (clocks.c)
  args_env)
    ARGS=(one "two words" --flag "" "ünïcode ✓" "a=b")
    ENVS=("GREETING=hello world" "EMPTY=" "WITH_EQUALS=x=y") ;;
  files|sandbox) NEED_FIXTURE=1 ;;
  cxx) NEED_FIXTURE=1 ARGS=(zeta alpha mid) STDIN=$WORK/stdin.txt
    printf 'one\ntwo\nthe last line\n' >"$STDIN" ;;
  stdin) STDIN=$WORK/stdin.txt
    { printf 'first line of input\n'; for i in $(seq 1 500); do printf 'line %d: some text\n' "$i"; done; printf 'no newline at end'; } >"$STDIN" ;;
  exit_code) ARGS=(7) ;;
  exit_code_255) GUEST=exit_code ARGS=(255) ;;
  proc_exit) ARGS=(9) ;;
  failing) NEED_FIXTURE=1 ARGS=(sandbox/missing.txt) ;;
  symlinks) NEED_FIXTURE=1 NODE=0 ;;  # node 20's uvwasi mis-resolves `..` in link targets
  poll) STDIN=$WORK/stdin.txt NODE=0  # node 20 reports regular files/pipes as never ready
    printf 'hello world\n' >"$STDIN" ;;
  trap) COMPARE_STDERR=0 ;;  # each runtime words the trap its own way
  sockets) NODE=0 WEFT_ARGS=(--inherit-network) ;;  # imports wasi:sockets directly: a component only
  direct) NODE=0 ARGS=(first "second arg") ENVS=("A=1" "EMPTY=" "Z=last value") STDIN=$WORK/stdin.txt
    printf 'direct stdin data\n' >"$STDIN" ;;
  *) echo "unknown case $CASE"; exit 2 ;;
esac
MODULE=$GUEST.wasm COMPONENT=$GUEST.component.wasm

# make_fixture DIR: the preopened directory DIR/sandbox, and a secret file beside it.
make_fixture() {
  mkdir -p "$1/sandbox/sub"
  printf 'alpha beta\ngamma alpha\n' >"$1/sandbox/input.txt"
  printf 'inside\n' >"$1/sandbox/sub/file.txt"
  printf 'SECRET\n' >"$1/secret.txt"
  ln -s ../secret.txt "$1/sandbox/host-link"
}

# run_leg NAME: runs the case under one runtime, leaving NAME.{out,err,status,tree}.
run_leg() {
  local name=$1 dir=$WORK/$1
  mkdir -p "$dir"
  local dirargs=() envargs=() preopens='{}'
  if [[ $NEED_FIXTURE == 1 ]]; then
    make_fixture "$dir"
    dirargs=(--dir "$dir/sandbox::/sandbox")
    preopens="{\"/sandbox\": $(json_string "$dir/sandbox")}"
  fi
  local envs=("${ENVS[@]}")
  [[ $name != weft ]] && envs+=("${PEER_ENVS[@]}")
  for e in "${envs[@]}"; do envargs+=(--env "$e"); done
  local cmd
  case $name in
    node) cmd=(node --no-warnings --experimental-wasi-unstable-preview1 "$ROOT/tests/wasi/node-wasi.mjs"
               "${dirargs[@]}" "${envargs[@]}" "$MODULE" "${ARGS[@]}") ;;
    jco) cmd=(env "WEFT_JCO_CONFIG={\"argv0\": $(json_string "$COMPONENT"), \"env\": $(json_env "${envs[@]}"), \"preopens\": $preopens}"
              node "$JCO" run --jco-import "$HERE/jco-env.mjs" "$COMPONENT" "${ARGS[@]}") ;;
    weft) cmd=(timeout 60 "$WEFT" run "${WEFT_ARGS[@]}" "${dirargs[@]}" "${envargs[@]}" "$COMPONENT" "${ARGS[@]}") ;;
  esac
  # Same working directory for all, so relative guest paths and argv[0] match.
  (cd "$GUEST_DIR" && "${cmd[@]}" <"$STDIN" >"$WORK/$name.out" 2>"$WORK/$name.err")
  echo $? >"$WORK/$name.status"
  if [[ $NEED_FIXTURE == 1 ]]; then
    (cd "$dir" && find . -printf '%y %p %s\n' | sort) >"$WORK/$name.tree"
  else
    : >"$WORK/$name.tree"
  fi
}

json_string() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }
json_env() {
  python3 -c 'import json, sys; print(json.dumps(dict(a.split("=", 1) for a in sys.argv[1:])))' "$@"
}

fail=0
report() { echo "FAIL [$CASE/$1]: $2"; fail=1; }

# same_as_golden LEG STREAM(stdout|stderr) EXT(out|err)
# CASE.LEG.STREAM, when present, overrides the golden file for that leg only: it records a
# reviewed deviation of that runtime (see README.md), never of weft.
same_as_golden() {
  local leg=$1 stream=$2 ext=$3 golden=$EXPECTED/$CASE.$2
  [[ -f $EXPECTED/$CASE.$leg.$stream ]] && golden=$EXPECTED/$CASE.$leg.$stream
  if [[ -f $golden.sha256 ]]; then
    local got; got=$(sha256sum <"$WORK/$leg.$ext" | cut -d' ' -f1)
    [[ $got == "$(cat "$golden.sha256")" ]] || report "$leg" "$stream sha256 $got, expected/$CASE.$stream.sha256 differs"
  elif [[ -f $golden ]]; then
    diff -u "$golden" "$WORK/$leg.$ext" >"$WORK/diff" || { head -40 "$WORK/diff"; report "$leg" "$stream differs from expected/$CASE.$stream"; }
  elif [[ $stream == stdout ]]; then
    report "$leg" "no expected/$CASE.stdout"
  fi
}

# check_leg LEG WANT_STATUS
check_leg() {
  local leg=$1 want=$2
  same_as_golden "$leg" stdout out
  [[ $COMPARE_STDERR == 1 ]] && same_as_golden "$leg" stderr err
  [[ $(cat "$WORK/$leg.status") == "$want" ]] || {
    sed -n 1,20p "$WORK/$leg.err"; report "$leg" "exit status $(cat "$WORK/$leg.status"), expected $want"; }
}

# same_legs A B: byte-identical outputs and the same files left behind.
same_legs() {
  local a=$1 b=$2
  if [[ ! -f $EXPECTED/$CASE.$b.stdout ]]; then
    cmp -s "$WORK/$a.out" "$WORK/$b.out" || report "$b" "stdout differs from $a"
  fi
  if [[ $COMPARE_STDERR == 1 && ! -f $EXPECTED/$CASE.$b.stderr ]]; then
    cmp -s "$WORK/$a.err" "$WORK/$b.err" || report "$b" "stderr differs from $a"
  fi
  cmp -s "$WORK/$a.tree" "$WORK/$b.tree" || { diff -u "$WORK/$a.tree" "$WORK/$b.tree"; report "$b" "files left behind differ from $a"; }
}

module_status=$(cat "$EXPECTED/$CASE.status")
component_status=1
[[ $module_status == 0 ]] && component_status=0
weft_status=$component_status
[[ $module_status == 134 ]] && weft_status=134

[[ $NODE == 0 ]] || [[ -f $GUEST_DIR/$MODULE ]] || { echo "missing guest $GUEST_DIR/$MODULE"; exit 1; }
[[ -f $GUEST_DIR/$COMPONENT ]] || { echo "missing component $GUEST_DIR/$COMPONENT"; exit 1; }
legs=()
[[ $NODE == 1 ]] && legs+=(node)
case $MODE in
  ref) [[ $JCO_LEG == 1 ]] && legs+=(jco) ;;
  weft) legs+=(weft) ;;
  *) echo "unknown mode $MODE"; exit 2 ;;
esac
for leg in "${legs[@]}"; do
  run_leg "$leg"
  case $leg in
    node) check_leg node "$module_status" ;;
    jco) check_leg jco "$component_status" ;;
    weft) check_leg weft "$weft_status" ;;
  esac
done
for ((i = 1; i < ${#legs[@]}; ++i)); do same_legs "${legs[0]}" "${legs[i]}"; done
if [[ $CASE == trap && $MODE == weft ]]; then
  grep -qF "unreachable" "$WORK/weft.err" || report weft "trap stderr does not name the trap (unreachable)"
fi

if [[ $fail == 0 ]]; then echo "PASS [$CASE] (${legs[*]})"; fi
exit $fail
