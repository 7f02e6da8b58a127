;; A command component that sleeps 1 s through wasi:clocks/monotonic-clock.subscribe-duration
;; and wasi:io/poll's pollable.block, then returns ok: checks that timers work through the
;; component path, that waiting costs no CPU (the guest is suspended on the event loop), and
;; that --timeout ends a guest blocked in a host call.
(component
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type (sub resource)))
    (export "[method]pollable.block" (func (param "self" (borrow 0))))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (alias outer 1 $pollable (type $p))
    (export "pollable" (type $p2 (eq $p)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $p2))))))
  (alias export $clock "subscribe-duration" (func $sub))
  (alias export $poll "[method]pollable.block" (func $block))
  (core func $sub_l (canon lower (func $sub)))
  (core func $block_l (canon lower (func $block)))
  (core func $drop (canon resource.drop $pollable))
  (core module $m
    (import "h" "sub" (func $sub (param i64) (result i32)))
    (import "h" "block" (func $block (param i32)))
    (import "h" "drop" (func $drop (param i32)))
    (func (export "run") (result i32)
      (local $p i32)
      i64.const 1000000000
      call $sub
      local.set $p
      local.get $p
      call $block
      local.get $p
      call $drop
      i32.const 0))
  (core instance $h (export "sub" (func $sub_l)) (export "block" (func $block_l))
                    (export "drop" (func $drop)))
  (core instance $i (instantiate $m (with "h" (instance $h))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $runi (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $runi)))
