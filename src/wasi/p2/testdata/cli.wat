;; Test component for cli_test.cc (binary: cli.wasm, `jco parse cli.wat -o cli.wasm`). Imports
;; wasi:cli environment/exit/terminal-stdout, wasi:clocks/wall-clock and wasi:random at
;; 0.2.0 and re-exports each call's result unchanged (the import's lowered result area is
;; the export's lifted result area, as both have the same type):
;;   args() -> list<string>; env() -> list<tuple<string, string>>; cwd() -> option<string>
;;   exit-err(); exit-code(c: u8); wall() -> tuple<u64, u32> (datetime's layout);
;;   rand(n: u64) -> list<u8>
;;   seed() -> tuple<u64, u64>; rand-u64() -> u64; has-terminal-stdout() -> bool
(component
  (import "wasi:cli/environment@0.2.0" (instance $envi
    (export "get-environment" (func (result (list (tuple string string)))))
    (export "get-arguments" (func (result (list string))))
    (export "initial-cwd" (func (result (option string))))))
  (import "wasi:cli/exit@0.2.0" (instance $exiti
    (export "exit" (func (param "status" (result))))
    (export "exit-with-code" (func (param "status-code" u8)))))
  (import "wasi:cli/terminal-output@0.2.0" (instance $to
    (export "terminal-output" (type (sub resource)))))
  (alias export $to "terminal-output" (type $term))
  (import "wasi:cli/terminal-stdout@0.2.0" (instance $ts
    (alias outer 1 $term (type $t))
    (export "terminal-output" (type $t2 (eq $t)))
    (export "get-terminal-stdout" (func (result (option (own $t2)))))))
  (type $datetime (record (field "seconds" u64) (field "nanoseconds" u32)))
  (import "wasi:clocks/wall-clock@0.2.0" (instance $wall
    (alias outer 1 $datetime (type $dt))
    (export "datetime" (type $dt2 (eq $dt)))
    (export "now" (func (result $dt2)))))
  (import "wasi:random/random@0.2.0" (instance $rnd
    (export "get-random-bytes" (func (param "len" u64) (result (list u8))))
    (export "get-random-u64" (func (result u64)))))
  (import "wasi:random/insecure-seed@0.2.0" (instance $seedi
    (export "insecure-seed" (func (result (tuple u64 u64))))))
  (core module $mem_m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      ;; align up to 8
      global.get $bump
      i32.const 7
      i32.add
      i32.const -8
      i32.and
      local.set $p
      local.get $p
      local.get 3
      i32.add
      global.set $bump
      local.get $p))
  (core instance $mem_i (instantiate $mem_m))
  (alias core export $mem_i "mem" (core memory $mem))
  (alias core export $mem_i "realloc" (core func $realloc))
  (alias export $envi "get-arguments" (func $ga))
  (alias export $envi "get-environment" (func $ge))
  (alias export $envi "initial-cwd" (func $gc))
  (alias export $exiti "exit" (func $ex))
  (alias export $exiti "exit-with-code" (func $exc))
  (alias export $wall "now" (func $now))
  (alias export $rnd "get-random-bytes" (func $rb))
  (alias export $rnd "get-random-u64" (func $ru))
  (alias export $seedi "insecure-seed" (func $sd))
  (alias export $ts "get-terminal-stdout" (func $gts))
  (core func $ga_l (canon lower (func $ga) (memory $mem) (realloc $realloc)))
  (core func $ge_l (canon lower (func $ge) (memory $mem) (realloc $realloc)))
  (core func $gc_l (canon lower (func $gc) (memory $mem) (realloc $realloc)))
  (core func $ex_l (canon lower (func $ex)))
  (core func $exc_l (canon lower (func $exc)))
  (core func $now_l (canon lower (func $now) (memory $mem)))
  (core func $rb_l (canon lower (func $rb) (memory $mem) (realloc $realloc)))
  (core func $ru_l (canon lower (func $ru)))
  (core func $sd_l (canon lower (func $sd) (memory $mem)))
  (core func $gts_l (canon lower (func $gts) (memory $mem)))
  (core module $m
    (import "env" "mem" (memory 1))
    (import "h" "ga" (func $ga (param i32)))
    (import "h" "ge" (func $ge (param i32)))
    (import "h" "gc" (func $gc (param i32)))
    (import "h" "ex" (func $ex (param i32)))
    (import "h" "exc" (func $exc (param i32)))
    (import "h" "now" (func $now (param i32)))
    (import "h" "rb" (func $rb (param i64 i32)))
    (import "h" "ru" (func $ru (result i64)))
    (import "h" "sd" (func $sd (param i32)))
    (import "h" "gts" (func $gts (param i32)))
    (func (export "args") (result i32) i32.const 64 call $ga i32.const 64)
    (func (export "env") (result i32) i32.const 64 call $ge i32.const 64)
    (func (export "cwd") (result i32) i32.const 64 call $gc i32.const 64)
    (func (export "exit-err") i32.const 1 call $ex)
    (func (export "exit-code") (param i32) local.get 0 call $exc)
    (func (export "wall") (result i32) i32.const 64 call $now i32.const 64)
    (func (export "rand") (param i64) (result i32) local.get 0 i32.const 64 call $rb i32.const 64)
    (func (export "rand-u64") (result i64) call $ru)
    (func (export "seed") (result i32) i32.const 64 call $sd i32.const 64)
    ;; option<own<terminal-output>> at 64: discriminant byte, handle at 68
    (func (export "has-terminal-stdout") (result i32) i32.const 64 call $gts i32.const 64 i32.load8_u))
  (core instance $h
    (export "ga" (func $ga_l)) (export "ge" (func $ge_l)) (export "gc" (func $gc_l))
    (export "ex" (func $ex_l)) (export "exc" (func $exc_l)) (export "now" (func $now_l))
    (export "rb" (func $rb_l)) (export "ru" (func $ru_l)) (export "sd" (func $sd_l))
    (export "gts" (func $gts_l)))
  (core instance $env (export "mem" (memory $mem)))
  (core instance $i (instantiate $m (with "h" (instance $h)) (with "env" (instance $env))))
  (func (export "args") (result (list string))
    (canon lift (core func $i "args") (memory $mem) (realloc $realloc)))
  (func (export "env") (result (list (tuple string string)))
    (canon lift (core func $i "env") (memory $mem) (realloc $realloc)))
  (func (export "cwd") (result (option string))
    (canon lift (core func $i "cwd") (memory $mem) (realloc $realloc)))
  (func (export "exit-err") (canon lift (core func $i "exit-err")))
  (func (export "exit-code") (param "c" u8) (canon lift (core func $i "exit-code")))
  (func (export "wall") (result (tuple u64 u32)) (canon lift (core func $i "wall") (memory $mem)))
  (func (export "rand") (param "n" u64) (result (list u8))
    (canon lift (core func $i "rand") (memory $mem) (realloc $realloc)))
  (func (export "rand-u64") (result u64) (canon lift (core func $i "rand-u64")))
  (func (export "seed") (result (tuple u64 u64)) (canon lift (core func $i "seed") (memory $mem)))
  (func (export "has-terminal-stdout") (result bool)
    (canon lift (core func $i "has-terminal-stdout"))))
