#!/usr/bin/env bash
# `weft run` front-end tests: bad input, link errors, --invoke, --timeout, --fuel,
# --max-memory-size, traps and exit codes. Each check runs the built weft on a small module
# made with wat2wasm and looks at the exit status, the output and how long it took.
# Usage: cli-tests.sh WEFT [GUEST_DIR]
set -uo pipefail
WEFT=$1
GUEST_DIR=${2:-}
WORK=$(mktemp -d /tmp/weft-cli-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
pass=0 fail=0
export GREETING=inherited  # for the --env NAME (inherit) check

wat() {  # wat NAME TEXT: NAME.wasm from the text
  printf '%s\n' "$2" >"$1.wat"
  wat2wasm --no-check --debug-names "$1.wat" -o "$1.wasm" || { echo "wat2wasm failed for $1"; exit 1; }
}

# check NAME WANT_STATUS STDOUT_PATTERN STDERR_PATTERN MAX_SECONDS -- weft args...
# Patterns are grep -E regexes ('' = anything). A crash (signal) always fails.
check() {
  local name=$1 want=$2 out_re=$3 err_re=$4 max_s=$5
  shift 6
  local start end status
  start=$(date +%s%N)
  timeout 60 "$WEFT" "$@" >out.txt 2>err.txt </dev/null
  status=$?
  end=$(date +%s%N)
  local ms=$(((end - start) / 1000000)) ok=1 why=""
  if [[ $status != "$want" ]]; then ok=0; why+=" status $status (want $want)"; fi
  if [[ -n $out_re ]] && ! grep -qE -- "$out_re" out.txt; then ok=0; why+=" stdout lacks /$out_re/"; fi
  if [[ -n $err_re ]] && ! grep -qE -- "$err_re" err.txt; then ok=0; why+=" stderr lacks /$err_re/"; fi
  if ((ms > max_s * 1000)); then ok=0; why+=" took ${ms}ms (max ${max_s}s)"; fi
  if [[ $ok == 1 ]]; then
    pass=$((pass + 1))
    echo "ok   $name (${ms}ms)"
  else
    fail=$((fail + 1))
    echo "FAIL $name:$why"
    sed 's/^/     stdout: /' out.txt | head -5
    sed 's/^/     stderr: /' err.txt | head -10
  fi
}

# --- modules
head -c 4096 /dev/urandom >garbage.wasm
printf '\0asm\1\0\0\0\1\x85\x80\x80' >truncated.wasm
wat add '(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "half") (param f64) (result f64) (f64.div (local.get 0) (f64.const 2)))
  (func (export "pair") (param i64) (result i64 f32) (local.get 0) (f32.const 0.5)))'
wat invalid '(module (func (export "_start") (result i32) (i64.const 0)))'
wat missing_import '(module (import "env" "host_thing" (func (param i32))) (func (export "_start")))'
wat bad_wasi_sig '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))) (func (export "_start")))'
wat loop '(module (func (export "_start") (loop $l (br $l))))'
wat recurse '(module (func $runaway (export "_start") (call $runaway)))'
wat divide '(module
  (func $divide (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func $caller (export "_start") (drop (call $divide (i32.const 0)))))'
wat exit42 '(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 42)) unreachable))'
wat grow '(module (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))'
wat start_trap '(module (func $boom unreachable) (start $boom))'
wat hello '(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi from wat\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    ;; Out-of-bounds iovec: EFAULT (21), not a crash.
    (if (i32.ne (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 8)) (i32.const 21))
      (then unreachable))))'
wat sleep '(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    ;; One relative clock subscription of 10 s (monotonic): tag 0 at 8, id 1 at 16, timeout at 24.
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 10000000000))
    (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))'
wat writer '(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $err i32)
    (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 4096))
    ;; Write until fd_write fails, then exit with its errno (EPIPE = 64 once the reader is gone).
    (loop $l
      (local.set $err (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $l (i32.eqz (local.get $err))))
    (call $exit (local.get $err))))'
head -c 40 add.wasm >add_truncated.wasm

# --- bad input
check "unknown file"        1 '' 'failed to read `nope.wasm`' 5 -- run nope.wasm
check "garbage"             1 '' 'failed to compile `garbage.wasm`: .*byte offset' 5 -- run garbage.wasm
check "truncated header"    1 '' 'byte offset' 5 -- run truncated.wasm
check "truncated module"    1 '' 'failed to compile `add_truncated.wasm`: .*byte offset' 5 -- run add_truncated.wasm
check "invalid module"      1 '' 'failed to compile `invalid.wasm`: .*type mismatch.*byte offset' 5 -- run invalid.wasm
check "empty file"          1 '' 'failed to compile' 5 -- run /dev/null
check "directory"           1 '' 'failed to read `.`: Is a directory' 5 -- run .
check "empty file name"     1 '' 'failed to read ``' 5 -- run ""
check "missing import"      1 '' 'env.*host_thing' 5 -- run missing_import.wasm
check "wrong import type"   1 '' 'fd_write' 5 -- run bad_wasi_sig.wasm
check "missing --dir"       1 '' 'cannot open directory `/nonexistent-dir`' 5 -- run --dir /nonexistent-dir hello.wasm
check "bad --timeout"       1 '' 'invalid duration `soon`' 5 -- run --timeout soon loop.wasm
check "bad --env"           1 '' 'invalid --env' 5 -- run --env =x hello.wasm
check "unknown flag"        2 '' 'bogus' 5 -- run --bogus hello.wasm
check "negative fuel"       2 '' 'not a non-negative 64-bit integer' 5 -- run --fuel -1 hello.wasm
check "no subcommand"       2 '' 'subcommand' 5 --
check "version"             0 '^weft [0-9]' '' 5 -- --version
check "run --help"          0 'invoke' '' 5 -- run --help

# --- --invoke
check "invoke add"          0 '^5$' '' 5 -- run --invoke add add.wasm 2 3
check "invoke negative"     0 '^-1$' '' 5 -- run --invoke add add.wasm 0 -1
check "invoke f64"          0 '^1\.5$' '' 5 -- run --invoke half add.wasm 3
check "invoke multi-value"  0 '^0\.5$' '' 5 -- run --invoke pair add.wasm 7
check "invoke too few"      1 '' 'expected 2 argument' 5 -- run --invoke add add.wasm 1
check "invoke too many"     1 '' 'expected 2 argument' 5 -- run --invoke add add.wasm 1 2 3
check "invoke bad number"   1 '' 'argument 2: `x` is not a valid i32' 5 -- run --invoke add add.wasm 1 x
check "invoke out of range" 1 '' 'is not a valid i32' 5 -- run --invoke add add.wasm 1 4294967296
check "invoke missing"      1 '' 'no exported function `nope`' 5 -- run --invoke nope add.wasm
check "max memory ok"       0 '^1$' '' 5 -- run --max-memory-size 1000000 --invoke grow grow.wasm 1
check "max memory refused"  0 '^-1$' '' 5 -- run --max-memory-size 131072 --invoke grow grow.wasm 2

# --- running
check "hello from wat"      0 '^hi from wat$' '' 5 -- run hello.wasm
check "proc_exit 42"        42 '' '' 5 -- run exit42.wasm
check "timeout"             124 '' '^timeout: guest exceeded 1s$' 5 -- run --timeout 1s loop.wasm
check "timeout 300ms"       124 '' 'exceeded 300ms' 3 -- run --timeout 300ms loop.wasm
check "timeout in a host call" 124 '' '^timeout: guest exceeded 500ms$' 3 -- run --timeout 500ms sleep.wasm
check "fuel"                134 '' 'all fuel consumed' 10 -- run --fuel 100000 loop.wasm
check "runaway recursion"   134 '' 'call stack exhausted' 20 -- run recurse.wasm
check "recursion backtrace" 134 '' 'runaway' 20 -- run recurse.wasm
check "trap message"        134 '' 'wasm trap: integer divide by zero' 5 -- run divide.wasm
check "trap context"        134 '' 'failed to run main module `divide.wasm`' 5 -- run divide.wasm
check "trap backtrace"      134 '' '0: .*divide' 5 -- run divide.wasm
check "trap backtrace 2"    134 '' '1: .*caller' 5 -- run divide.wasm
check "start function trap" 134 '' 'unreachable' 5 -- run start_trap.wasm

# A closed stdout pipe is EPIPE for the guest, not SIGPIPE for weft.
timeout 20 "$WEFT" run writer.wasm | head -c 10 >/dev/null
status=${PIPESTATUS[0]}
if [[ $status == 64 ]]; then pass=$((pass + 1)); echo "ok   closed pipe gives EPIPE"; else
  fail=$((fail + 1)); echo "FAIL closed pipe gives EPIPE: status $status (want 64)"; fi

if [[ -n $GUEST_DIR && -f $GUEST_DIR/args_env.wasm ]]; then
  cp "$GUEST_DIR/args_env.wasm" .
  check "guest args after FILE" 0 'argv\[1\] = \[--flag\]' '' 5 -- run args_env.wasm --flag -x
  check "guest args order"      0 'argv\[2\] = \[-x\]' '' 5 -- run args_env.wasm --flag -x
  check "--env inherit"         0 'GREETING = inherited' '' 5 -- run --env GREETING args_env.wasm
fi

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
