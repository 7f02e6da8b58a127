;; Self-test of `weft wast`: every command marked `;; expect-fail` must be reported as a
;; failure on its line, and no other (checked by tests/spec/selftest.sh). Covers exact bits,
;; NaN classes, v128 lanes, references, trap messages, rejections and the one allowed skip.
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "snan") (result f32) (f32.const nan:0x200000))
  (func (export "qnan") (result f64) (f64.const -nan))
  (func (export "negzero") (result f64) (f64.const -0))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func (export "v") (result v128) (v128.const i32x4 1 2 3 4))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "fref") (result funcref) (ref.func 0))
  (func (export "two") (result i32 i64) (i32.const 1) (i64.const 2))
  (func (export "rec") (result i32) (call 9))
  (func (export "spin") (loop (br 0)))
  (global (export "g") i32 (i32.const 7)))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4)) ;; expect-fail
(assert_return (invoke "add" (i32.const -1) (i32.const 0)) (i32.const 0xffffffff))
(assert_return (invoke "snan") (f32.const nan:arithmetic)) ;; expect-fail
(assert_return (invoke "snan") (f32.const nan:0x200000))
(assert_return (invoke "qnan") (f64.const nan:canonical))
(assert_return (invoke "qnan") (f64.const nan:arithmetic))
(assert_return (invoke "negzero") (f64.const 0)) ;; expect-fail
(assert_return (invoke "negzero") (f64.const -0))
(assert_return (invoke "div" (i32.const 1)) (i32.const 1))
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 0)) "unreachable") ;; expect-fail
(assert_trap (invoke "div" (i32.const 1)) "integer divide by zero") ;; expect-fail
(assert_return (invoke "div" (i32.const 0)) (i32.const 0)) ;; expect-fail
(assert_return (invoke "v") (v128.const i32x4 1 2 3 4))
(assert_return (invoke "v") (v128.const i64x2 0x200000001 0x400000003))
(assert_return (invoke "v") (v128.const i32x4 1 2 3 5)) ;; expect-fail
(assert_return (invoke "v") (v128.const f32x4 nan:canonical 0 0 0)) ;; expect-fail
(assert_return (invoke "id" (ref.extern 0)) (ref.extern 0))
(assert_return (invoke "id" (ref.extern 0)) (ref.extern 1)) ;; expect-fail
(assert_return (invoke "id" (ref.extern 0)) (ref.null extern)) ;; expect-fail
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
(assert_return (invoke "fref") (ref.null func)) ;; expect-fail
(assert_return (invoke "two") (i32.const 1) (i64.const 2))
(assert_return (get "g") (i32.const 7))
(assert_return (get "g") (i32.const 8)) ;; expect-fail
(assert_exhaustion (invoke "rec") "call stack exhausted")
(assert_exhaustion (invoke "add" (i32.const 1) (i32.const 2)) "call stack exhausted") ;; expect-fail
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch") ;; expect-fail
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_malformed (module binary "\00asm\01\00\00\00") "unknown binary version") ;; expect-fail
(assert_malformed (module quote "(func") "unexpected token")
(assert_unlinkable (module (import "spectest" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "unknown import") ;; expect-fail
(assert_trap (module (func $f unreachable) (start $f)) "unreachable")
(assert_trap (module (func $f) (start $f)) "unreachable") ;; expect-fail
(module $M (func (export "f") (result i32) (i32.const 5)))
(register "M" $M)
(module (import "M" "f" (func $f (result i32))) (func (export "g") (result i32) (call $f)))
(assert_return (invoke "g") (i32.const 5))
(assert_return (invoke $M "f") (i32.const 5))
(module (import "M" "nope" (func))) ;; expect-fail
