;; An async built-in (waitable-set.new) used by a core instance: refused at instantiation.
(component
  (core func $ws (canon waitable-set.new))
  (core module $m (import "a" "ws" (func (result i32))))
  (core instance $a (export "ws" (func $ws)))
  (core instance $i (instantiate $m (with "a" (instance $a))))
)
