;; A command component importing an interface no host provides (wasi:nope/thing): linking
;; must fail naming it, and with --trap-unknown-imports run() traps when it calls frob.
(component
  (import "wasi:nope/thing@0.1.0" (instance $t (export "frob" (func (param "x" u32) (result u32)))))
  (core module $m
    (import "t" "frob" (func $frob (param i32) (result i32)))
    (func (export "run") (result i32) i32.const 7 call $frob drop i32.const 0))
  (alias export $t "frob" (func $frob))
  (core func $frob_lowered (canon lower (func $frob)))
  (core instance $ti (export "frob" (func $frob_lowered)))
  (core instance $i (instantiate $m (with "t" (instance $ti))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $runi (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $runi))
)
