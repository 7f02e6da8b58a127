(component
  (core module $m (func (export "f") (param i32)))
  (core instance $ci (instantiate $m))
  (type $res (resource (rep i32)))
  (type $own (own $res))
  (alias core export $ci "f" (core func $cf))
  (func $f (param "x" $own) (canon lift (core func $cf)))
  (export "f" (func $f))
)
