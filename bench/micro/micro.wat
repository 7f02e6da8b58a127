;; Guest side of the micro-benchmarks (bench/micro/micro_bench.cc).
(module
  (import "host" "nop" (func $nop))
  (import "host" "suspend" (func $suspend (result i32)))
  (func $empty (export "empty"))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  ;; Calls the host `n` times (guest -> host cost, loop overhead included).
  (func (export "call_host") (param $n i32)
    (loop $l
      (call $nop)
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; The same loop calling a wasm function (guest -> guest baseline).
  (func (export "call_guest") (param $n i32)
    (loop $l
      (call $empty)
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; Suspends through the host until the host returns 0.
  (func (export "suspend_loop")
    (loop $l (br_if $l (call $suspend)))))
