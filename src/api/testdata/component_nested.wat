;; Nested components: $inner (imports f, exports g(x) = f(x) + 1) instantiated twice, the
;; second time with the first instance's lifted g as its import (a component-to-component
;; call); $producer exports an instance that is passed to $consumer as its import.
(component
  (import "double" (func $double (param "x" u32) (result u32)))
  (component $inner
    (import "f" (func $f (param "x" u32) (result u32)))
    (core func $f-l (canon lower (func $f)))
    (core module $m
      (import "i" "f" (func $f (param i32) (result i32)))
      (func (export "g") (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1))))
    (core instance $fi (export "f" (func $f-l)))
    (core instance $i (instantiate $m (with "i" (instance $fi))))
    (func (export "g") (param "x" u32) (result u32) (canon lift (core func $i "g"))))
  (component $producer
    (core module $m (func (export "val") (result i32) i32.const 41))
    (core instance $i (instantiate $m))
    (func $val (result u32) (canon lift (core func $i "val")))
    (instance $api (export "val" (func $val)))
    (export "api" (instance $api)))
  (component $consumer
    (import "dep" (instance $dep (export "val" (func (result u32)))))
    (alias export $dep "val" (func $val))
    (core func $val-l (canon lower (func $val)))
    (core module $m
      (import "d" "val" (func $v (result i32)))
      (func (export "plus") (result i32) (i32.add (call $v) (i32.const 1))))
    (core instance $di (export "val" (func $val-l)))
    (core instance $i (instantiate $m (with "d" (instance $di))))
    (func (export "val-plus-one") (result u32) (canon lift (core func $i "plus"))))
  (instance $a (instantiate $inner (with "f" (func $double))))
  (alias export $a "g" (func $ag))
  (instance $b (instantiate $inner (with "f" (func $ag))))
  (instance $p (instantiate $producer))
  (alias export $p "api" (instance $p-api))
  (instance $c (instantiate $consumer (with "dep" (instance $p-api))))
  (export "inner" (instance $a))
  (alias export $b "g" (func $bg))
  (export "g2" (func $bg))
  (alias export $c "val-plus-one" (func $vpo))
  (export "val-plus-one" (func $vpo))
)
