;; A component with plain exports and no wasi:cli/run: add(u32, u32) -> u32,
;; echo(string) -> string, sum(list<u32>) -> u32, boom() (traps) and spin() (loops forever).
;; Used by p2-cli-tests.sh for --invoke, --timeout, --fuel and for the refusal of a
;; non-command component.
(component
  (core module $m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      global.get $bump
      local.set $p
      global.get $bump
      local.get 3
      i32.add
      global.set $bump
      local.get $p)
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "echo") (param i32 i32) (result i32)
      i32.const 16 local.get 0 i32.store
      i32.const 20 local.get 1 i32.store
      i32.const 16)
    (func (export "sum") (param i32 i32) (result i32)
      (local $s i32)
      block $done
        loop $l
          local.get 1
          i32.eqz
          br_if $done
          local.get $s
          local.get 0
          i32.load
          i32.add
          local.set $s
          local.get 0
          i32.const 4
          i32.add
          local.set 0
          local.get 1
          i32.const 1
          i32.sub
          local.set 1
          br $l
        end
      end
      local.get $s)
    (func (export "boom") unreachable)
    (func (export "spin") (loop $l (br $l))))
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (func $add (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (func $echo (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory $mem) (realloc $realloc)))
  (func $sum (param "xs" (list u32)) (result u32)
    (canon lift (core func $i "sum") (memory $mem) (realloc $realloc)))
  (func $boom (canon lift (core func $i "boom")))
  (func $spin (canon lift (core func $i "spin")))
  (export "add" (func $add))
  (export "echo" (func $echo))
  (export "sum" (func $sum))
  (export "boom" (func $boom))
  (export "spin" (func $spin))
)
