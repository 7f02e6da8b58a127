;; Canonical ABI call costs (bench/component/calls_bench.cc): exports called by the host
;; with no arguments, a string and a list of records, and loops that call host imports of the
;; same three shapes n times from the guest. Built with `jco parse calls.wat -o calls.wasm`.
(component
  (type $rec (record (field "a" u32) (field "b" string)))
  (export $rec-e "rec" (type $rec))
  (import "host" (instance $host
    (alias outer 1 $rec (type $r))
    (export "rec" (type $r-e (eq $r)))
    (export "empty" (func))
    (export "take-string" (func (param "s" string)))
    (export "take-records" (func (param "l" (list $r-e))))
  ))
  ;; Memory and a bump allocator that starts over when 48 KiB are used: each benchmark call's
  ;; data is dead by the next call.
  (core module $libc
    (memory (export "memory") 2)
    (global $heap (mut i32) (i32.const 16384))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $r i32)
      (if (i32.gt_u (i32.add (global.get $heap) (local.get 3)) (i32.const 65536))
        (then (global.set $heap (i32.const 16384))))
      (local.set $r (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $heap (i32.add (local.get $r) (local.get 3)))
      (local.get $r)))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $h-empty (canon lower (func $host "empty")))
  (core func $h-string (canon lower (func $host "take-string") (memory $mem)))
  (core func $h-records (canon lower (func $host "take-records") (memory $mem)))
  (core module $m
    (import "libc" "memory" (memory 1))
    (import "host" "empty" (func $empty))
    (import "host" "take-string" (func $take-string (param i32 i32)))
    (import "host" "take-records" (func $take-records (param i32 i32)))
    ;; "hello, component model!" at 256 (23 bytes); 4 records {a, b} at 512 pointing at it.
    (data (i32.const 256) "hello, component model!")
    (data (i32.const 512)
      "\01\00\00\00\00\01\00\00\05\00\00\00"
      "\02\00\00\00\00\01\00\00\09\00\00\00"
      "\03\00\00\00\00\01\00\00\0d\00\00\00"
      "\04\00\00\00\00\01\00\00\17\00\00\00")
    (func (export "empty"))
    (func (export "take-string") (param i32 i32))
    (func (export "take-records") (param i32 i32))
    (func (export "loop-empty") (param $n i32)
      (block $done (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (call $empty)
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
    (func (export "loop-string") (param $n i32)
      (block $done (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (call $take-string (i32.const 256) (i32.const 23))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
    (func (export "loop-records") (param $n i32)
      (block $done (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (call $take-records (i32.const 512) (i32.const 4))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))))
  (core instance $i (instantiate $m
    (with "libc" (instance $libc))
    (with "host" (instance
      (export "empty" (func $h-empty))
      (export "take-string" (func $h-string))
      (export "take-records" (func $h-records))))))
  (func (export "empty") (canon lift (core func $i "empty")))
  (func (export "take-string") (param "s" string)
    (canon lift (core func $i "take-string") (memory $mem) (realloc $realloc)))
  (func (export "take-records") (param "l" (list $rec-e))
    (canon lift (core func $i "take-records") (memory $mem) (realloc $realloc)))
  (func (export "loop-empty") (param "n" u32) (canon lift (core func $i "loop-empty")))
  (func (export "loop-string") (param "n" u32) (canon lift (core func $i "loop-string")))
  (func (export "loop-records") (param "n" u32) (canon lift (core func $i "loop-records")))
)
