;; A guest-defined resource crossing components: $def defines `thing` (rep = value, dtor
;; counts drops) and exports make/get; $use imports $def's instance, creates a thing, lends it
;; to get, and drops it (running $def's dtor from another instance). The outer component
;; re-exports make/get so the host can hold a thing and pass it to $use's `describe`.
(component
  (component $def
    (core module $m
      (global $drops (mut i32) (i32.const 0))
      (func (export "dtor") (param i32) (global.set $drops (i32.add (global.get $drops) (i32.const 1))))
      (func (export "drops") (result i32) (global.get $drops))
      (func (export "get") (param i32) (result i32) (local.get 0)))
    (core instance $mi (instantiate $m))
    (alias core export $mi "dtor" (core func $dtor))
    (type $thing (resource (rep i32) (dtor (core func $dtor))))
    (core func $new (canon resource.new $thing))
    (core module $mk
      (import "r" "new" (func $new (param i32) (result i32)))
      (func (export "make") (param i32) (result i32) (call $new (local.get 0))))
    (core instance $ri (export "new" (func $new)))
    (core instance $mki (instantiate $mk (with "r" (instance $ri))))
    (export $thing-ex "thing" (type $thing))
    (func (export "make") (param "v" u32) (result (own $thing-ex)) (canon lift (core func $mki "make")))
    (func (export "get") (param "t" (borrow $thing-ex)) (result u32) (canon lift (core func $mi "get")))
    (func (export "drops") (result u32) (canon lift (core func $mi "drops"))))
  (component $use
    (import "dep" (instance $dep
      (export "thing" (type $thing (sub resource)))
      (export "make" (func (param "v" u32) (result (own $thing))))
      (export "get" (func (param "t" (borrow $thing)) (result u32)))))
    (alias export $dep "thing" (type $thing))
    (alias export $dep "make" (func $make))
    (alias export $dep "get" (func $get))
    (core func $make-l (canon lower (func $make)))
    (core func $get-l (canon lower (func $get)))
    (core func $drop (canon resource.drop $thing))
    (core instance $di (export "make" (func $make-l)) (export "get" (func $get-l)) (export "drop" (func $drop)))
    (core module $m
      (import "d" "make" (func $make (param i32) (result i32)))
      (import "d" "get" (func $get (param i32) (result i32)))
      (import "d" "drop" (func $drop (param i32)))
      ;; roundtrip(v) = get(make(v)) + 1, dropping the thing.
      (func (export "roundtrip") (param i32) (result i32)
        (local $h i32) (local $r i32)
        (local.set $h (call $make (local.get 0)))
        (local.set $r (call $get (local.get $h)))
        (call $drop (local.get $h))
        (i32.add (local.get $r) (i32.const 1)))
      ;; describe(own thing) = get(t) * 10, dropping it.
      (func (export "describe") (param $h i32) (result i32)
        (local $r i32)
        (local.set $r (call $get (local.get $h)))
        (call $drop (local.get $h))
        (i32.mul (local.get $r) (i32.const 10))))
    (core instance $i (instantiate $m (with "d" (instance $di))))
    (func (export "roundtrip") (param "v" u32) (result u32) (canon lift (core func $i "roundtrip")))
    (func (export "describe") (param "t" (own $thing)) (result u32) (canon lift (core func $i "describe"))))
  (instance $d (instantiate $def))
  (instance $u (instantiate $use (with "dep" (instance $d))))
  (alias export $d "thing" (type $thing))
  (export $thing-ex "thing" (type $thing))
  (alias export $d "make" (func $make))
  (alias export $d "drops" (func $drops))
  (alias export $u "roundtrip" (func $roundtrip))
  (alias export $u "describe" (func $describe))
  (export "make" (func $make) (func (param "v" u32) (result (own $thing-ex))))
  (export "drops" (func $drops))
  (export "roundtrip" (func $roundtrip))
  (export "describe" (func $describe) (func (param "t" (own $thing-ex)) (result u32)))
)
