;; Weft's own spec-style regressions: cases that once failed in Weft (see tests/spec/TRIAGE.md)
;; and edge cases of the runner's value handling. Every command here must pass.

;; A comparison whose left operand is the previous instruction's result, feeding `if`
;; (interpreter compare+branch fusion).
(module
  (memory 1 1)
  (func (export "eq-if") (param $a i32) (param $b i32) (result i32)
    (if (result i32) (i32.eq (i32.add (local.get $a) (i32.const 0)) (local.get $b))
      (then (i32.const 1)) (else (i32.const 0))))
  (func (export "load-eq-br_if") (param $a i32) (param $b i32) (result i32)
    (block $out (result i32)
      (drop (br_if $out (i32.const 7) (i32.eq (i32.load8_u (local.get $a)) (local.get $b))))
      (i32.const 9)))
  (func (export "lt_s-loop") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_s (i32.mul (local.get $i) (i32.const 1)) (local.get $n))))
    (local.get $i)))
(assert_return (invoke "eq-if" (i32.const 0) (i32.const 0)) (i32.const 1))
(assert_return (invoke "eq-if" (i32.const 1) (i32.const 0)) (i32.const 0))
(assert_return (invoke "load-eq-br_if" (i32.const 0) (i32.const 0)) (i32.const 7))
(assert_return (invoke "load-eq-br_if" (i32.const 0) (i32.const 1)) (i32.const 9))
(assert_return (invoke "lt_s-loop" (i32.const 10)) (i32.const 10))
(assert_return (invoke "lt_s-loop" (i32.const -5)) (i32.const 1))

;; Rounding functions must quiet a signalling NaN (g++-12 inlines std::floor without it).
(module
  (func (export "f32.floor") (param f32) (result f32) (f32.floor (local.get 0)))
  (func (export "f32.ceil") (param f32) (result f32) (f32.ceil (local.get 0)))
  (func (export "f32.trunc") (param f32) (result f32) (f32.trunc (local.get 0)))
  (func (export "f32.nearest") (param f32) (result f32) (f32.nearest (local.get 0)))
  (func (export "f64.floor") (param f64) (result f64) (f64.floor (local.get 0)))
  (func (export "f64.ceil") (param f64) (result f64) (f64.ceil (local.get 0)))
  (func (export "f64.trunc") (param f64) (result f64) (f64.trunc (local.get 0)))
  (func (export "f64.nearest") (param f64) (result f64) (f64.nearest (local.get 0))))
(assert_return (invoke "f32.floor" (f32.const nan:0x200000)) (f32.const nan:arithmetic))
(assert_return (invoke "f32.ceil" (f32.const -nan:0x200000)) (f32.const nan:arithmetic))
(assert_return (invoke "f32.trunc" (f32.const nan:0x1)) (f32.const nan:arithmetic))
(assert_return (invoke "f32.nearest" (f32.const nan:0x200000)) (f32.const nan:arithmetic))
(assert_return (invoke "f64.floor" (f64.const nan:0x4000000000000)) (f64.const nan:arithmetic))
(assert_return (invoke "f64.ceil" (f64.const -nan:0x4000000000000)) (f64.const nan:arithmetic))
(assert_return (invoke "f64.trunc" (f64.const nan:0x1)) (f64.const nan:arithmetic))
(assert_return (invoke "f64.nearest" (f64.const nan:0x4000000000000)) (f64.const nan:arithmetic))

;; externref 0 is a valid non-null reference in scripts (the runner carries N as N + 1).
(module
  (table $t 2 externref)
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0)))
  (func (export "set") (param i32 externref) (table.set $t (local.get 0) (local.get 1)))
  (func (export "get") (param i32) (result externref) (table.get $t (local.get 0))))
(assert_return (invoke "id" (ref.extern 0)) (ref.extern 0))
(assert_return (invoke "is_null" (ref.extern 0)) (i32.const 0))
(assert_return (invoke "is_null" (ref.null extern)) (i32.const 1))
(invoke "set" (i32.const 1) (ref.extern 0))
(assert_return (invoke "get" (i32.const 1)) (ref.extern 0))
(assert_return (invoke "get" (i32.const 0)) (ref.null extern))

;; v128 results compared per lane with the expectation's lane type; NaN lanes by class.
(module
  (func (export "v") (result v128) (v128.const i32x4 0x7fc00000 0xffc00000 0x7fa00000 1))
  (func (export "fv") (result v128) (f32x4.add (v128.const f32x4 nan 1 2 3) (v128.const f32x4 1 1 1 1))))
(assert_return (invoke "v") (v128.const i16x8 0 0x7fc0 0 0xffc0 0 0x7fa0 1 0))
(assert_return (invoke "v") (v128.const i8x16 0 0 0xc0 0x7f 0 0 0xc0 0xff 0 0 0xa0 0x7f 1 0 0 0))
(assert_return (invoke "fv") (v128.const f32x4 nan:canonical 2 3 4))
(assert_return (invoke "fv") (v128.const f32x4 nan:arithmetic 2 3 4))

;; The spectest module as the suite expects it.
(module
  (import "spectest" "global_i32" (global $gi i32))
  (import "spectest" "global_i64" (global $gl i64))
  (import "spectest" "global_f32" (global $gf f32))
  (import "spectest" "global_f64" (global $gd f64))
  (import "spectest" "table" (table $tab 10 20 funcref))
  (import "spectest" "memory" (memory 1 2))
  (import "spectest" "print_i32" (func $p (param i32)))
  (func (export "globals") (result i32 i64 f32 f64)
    (global.get $gi) (global.get $gl) (global.get $gf) (global.get $gd))
  (func (export "sizes") (result i32 i32) (table.size $tab) (memory.size))
  (func (export "grow") (result i32 i32 i32)
    (memory.grow (i32.const 1)) (memory.grow (i32.const 1))
    (table.grow $tab (ref.null func) (i32.const 11)))
  (func (export "print") (call $p (i32.const 42))))
(assert_return (invoke "globals") (i32.const 666) (i64.const 666) (f32.const 666.6) (f64.const 666.6))
(assert_return (invoke "sizes") (i32.const 10) (i32.const 1))
(assert_return (invoke "grow") (i32.const 1) (i32.const -1) (i32.const -1))
(assert_return (invoke "print"))
