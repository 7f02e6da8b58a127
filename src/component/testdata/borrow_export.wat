(component
  (import "r" (type $r (sub resource)))
  (type $b (borrow $r))
  (type $rec (record (field "h" $b)))
  (export "rec" (type $rec))
)
