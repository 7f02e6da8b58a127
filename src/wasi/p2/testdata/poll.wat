;; Test component for io_linker_test.cc (binary: poll.wasm, made with `jco parse poll.wat -o
;; poll.wasm`). Imports wasi:io/poll and wasi:clocks/monotonic-clock at 0.2.0 (linked to the
;; host's 0.2.12 by semver) and exports:
;;   poll-two(a: u64, b: u64) -> list<u32>  subscribes durations a and b (ns), polls both
;;   poll-empty()                           polls an empty list (must trap)
;;   ready-after(d: u64) -> tuple<bool, bool> pollable.ready before and after block
(component
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type (sub resource)))
    (export "[method]pollable.ready" (func (param "self" (borrow 0)) (result bool)))
    (export "[method]pollable.block" (func (param "self" (borrow 0))))
    (export "poll" (func (param "in" (list (borrow 0))) (result (list u32))))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (alias outer 1 $pollable (type $p))
    (export "pollable" (type $p2 (eq $p)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $p2))))))
  (core module $mem_m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      global.get $bump
      local.set $p
      global.get $bump
      local.get 3
      i32.add
      global.set $bump
      local.get $p))
  (core instance $mem_i (instantiate $mem_m))
  (alias core export $mem_i "mem" (core memory $mem))
  (alias core export $mem_i "realloc" (core func $realloc))
  (alias export $clock "subscribe-duration" (func $sub))
  (alias export $poll "poll" (func $pollf))
  (alias export $poll "[method]pollable.ready" (func $ready))
  (alias export $poll "[method]pollable.block" (func $block))
  (core func $sub_l (canon lower (func $sub)))
  (core func $poll_l (canon lower (func $pollf) (memory $mem) (realloc $realloc)))
  (core func $ready_l (canon lower (func $ready)))
  (core func $block_l (canon lower (func $block)))
  (core func $drop (canon resource.drop $pollable))
  (core module $m
    (import "env" "mem" (memory 1))
    (import "h" "sub" (func $sub (param i64) (result i32)))
    (import "h" "poll" (func $poll (param i32 i32 i32)))
    (import "h" "ready" (func $ready (param i32) (result i32)))
    (import "h" "block" (func $block (param i32)))
    (import "h" "drop" (func $drop (param i32)))
    (func (export "poll-two") (param i64 i64) (result i32)
      (local $h1 i32) (local $h2 i32)
      local.get 0
      call $sub
      local.set $h1
      local.get 1
      call $sub
      local.set $h2
      i32.const 100
      local.get $h1
      i32.store
      i32.const 104
      local.get $h2
      i32.store
      i32.const 100
      i32.const 2
      i32.const 200
      call $poll
      local.get $h1
      call $drop
      local.get $h2
      call $drop
      i32.const 200)
    (func (export "poll-empty")
      i32.const 100
      i32.const 0
      i32.const 200
      call $poll)
    (func (export "ready-after") (param i64) (result i32)
      (local $h i32)
      local.get 0
      call $sub
      local.set $h
      i32.const 300
      local.get $h
      call $ready
      i32.store8
      local.get $h
      call $block
      i32.const 301
      local.get $h
      call $ready
      i32.store8
      local.get $h
      call $drop
      i32.const 300))
  (core instance $h (export "sub" (func $sub_l)) (export "poll" (func $poll_l))
                    (export "ready" (func $ready_l)) (export "block" (func $block_l))
                    (export "drop" (func $drop)))
  (core instance $env (export "mem" (memory $mem)))
  (core instance $i (instantiate $m (with "h" (instance $h)) (with "env" (instance $env))))
  (func $poll_two (param "a" u64) (param "b" u64) (result (list u32))
    (canon lift (core func $i "poll-two") (memory $mem) (realloc $realloc)))
  (func $poll_empty (canon lift (core func $i "poll-empty")))
  (func $ready_after (param "d" u64) (result (tuple bool bool))
    (canon lift (core func $i "ready-after") (memory $mem)))
  (export "poll-two" (func $poll_two))
  (export "poll-empty" (func $poll_empty))
  (export "ready-after" (func $ready_after)))
