;; An async (stackful) lift: refused at instantiation until async is implemented.
(component
  (core module $m (func (export "f")))
  (core instance $i (instantiate $m))
  (func (export "f") (canon lift (core func $i "f") async))
)
