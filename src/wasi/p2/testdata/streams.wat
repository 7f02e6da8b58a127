;; Test component for streams_test.cc (binary: streams.wasm, `jco parse streams.wat -o
;; streams.wasm`). Imports wasi:io/streams and wasi:cli/stdin + stdout at 0.2.0; the host test
;; points stdin and stdout at pipes. Exports (status: 0 ok, 1 closed, 2 last-operation-failed):
;;   read(n: u64, blocking: bool) -> tuple<u32, list<u8>>   stdin read / blocking-read
;;   write(bytes: list<u8>) -> u32                          stdout check-write + write
;;   write-over-permit() -> u32                             writes check-write's permit + 1
;;   splice(n: u64) -> tuple<u32, u64>                      stdout.splice(stdin, n)
(component
  (import "wasi:io/error@0.2.0" (instance $err
    (export "error" (type (sub resource)))))
  (alias export $err "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer 1 $error (type $e))
    (export "error" (type $e2 (eq $e)))
    (export "input-stream" (type $in (sub resource)))
    (export "output-stream" (type $out (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $e2)) (case "closed")))
    (export "stream-error" (type $se2 (eq $se)))
    (export "[method]input-stream.read"
      (func (param "self" (borrow $in)) (param "len" u64) (result (result (list u8) (error $se2)))))
    (export "[method]input-stream.blocking-read"
      (func (param "self" (borrow $in)) (param "len" u64) (result (result (list u8) (error $se2)))))
    (export "[method]output-stream.check-write"
      (func (param "self" (borrow $out)) (result (result u64 (error $se2)))))
    (export "[method]output-stream.write"
      (func (param "self" (borrow $out)) (param "contents" (list u8)) (result (result (error $se2)))))
    (export "[method]output-stream.splice"
      (func (param "self" (borrow $out)) (param "src" (borrow $in)) (param "len" u64)
            (result (result u64 (error $se2)))))))
  (alias export $streams "input-stream" (type $input))
  (alias export $streams "output-stream" (type $output))
  (import "wasi:cli/stdin@0.2.0" (instance $stdin
    (alias outer 1 $input (type $i))
    (export "input-stream" (type $i2 (eq $i)))
    (export "get-stdin" (func (result (own $i2))))))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $output (type $o))
    (export "output-stream" (type $o2 (eq $o)))
    (export "get-stdout" (func (result (own $o2))))))
  (core module $mem_m
    (memory (export "mem") 18)
    (global $bump (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      global.get $bump
      i32.const 7
      i32.add
      i32.const -8
      i32.and
      local.set $p
      local.get $p
      local.get 3
      i32.add
      global.set $bump
      local.get $p))
  (core instance $mem_i (instantiate $mem_m))
  (alias core export $mem_i "mem" (core memory $mem))
  (alias core export $mem_i "realloc" (core func $realloc))
  (alias export $stdin "get-stdin" (func $get_stdin))
  (alias export $stdout "get-stdout" (func $get_stdout))
  (alias export $streams "[method]input-stream.read" (func $read))
  (alias export $streams "[method]input-stream.blocking-read" (func $bread))
  (alias export $streams "[method]output-stream.check-write" (func $cw))
  (alias export $streams "[method]output-stream.write" (func $write))
  (alias export $streams "[method]output-stream.splice" (func $splice))
  (core func $get_stdin_l (canon lower (func $get_stdin)))
  (core func $get_stdout_l (canon lower (func $get_stdout)))
  (core func $read_l (canon lower (func $read) (memory $mem) (realloc $realloc)))
  (core func $bread_l (canon lower (func $bread) (memory $mem) (realloc $realloc)))
  (core func $cw_l (canon lower (func $cw) (memory $mem)))
  (core func $write_l (canon lower (func $write) (memory $mem)))
  (core func $splice_l (canon lower (func $splice) (memory $mem)))
  (core module $m
    (import "env" "mem" (memory 18))
    (import "h" "get-stdin" (func $get_stdin (result i32)))
    (import "h" "get-stdout" (func $get_stdout (result i32)))
    (import "h" "read" (func $read (param i32 i64 i32)))
    (import "h" "bread" (func $bread (param i32 i64 i32)))
    (import "h" "cw" (func $cw (param i32 i32)))
    (import "h" "write" (func $write (param i32 i32 i32 i32)))
    (import "h" "splice" (func $splice (param i32 i32 i64 i32)))
    ;; Status of a result<_, stream-error> at $ret whose variant sits at $ret + $off.
    (func $status (param $ret i32) (param $off i32) (result i32)
      local.get $ret
      i32.load8_u
      i32.eqz
      if (result i32)
        i32.const 0
      else
        local.get $ret
        local.get $off
        i32.add
        i32.load8_u
        i32.const 1
        i32.eq
        if (result i32) i32.const 1 else i32.const 2 end
      end)
    (func (export "read") (param $n i64) (param $blocking i32) (result i32)
      call $get_stdin
      local.get $n
      i32.const 64
      local.get $blocking
      if (param i32 i64 i32)
        call $bread
      else
        call $read
      end
      i32.const 128
      i32.const 64
      i32.const 4
      call $status
      i32.store
      i32.const 64
      i32.load8_u
      i32.eqz
      if
        i32.const 132
        i32.const 68
        i32.load
        i32.store
        i32.const 136
        i32.const 72
        i32.load
        i32.store
      else
        i32.const 132
        i32.const 0
        i32.store
        i32.const 136
        i32.const 0
        i32.store
      end
      i32.const 128)
    (func (export "write") (param $ptr i32) (param $len i32) (result i32)
      (local $h i32)
      call $get_stdout
      local.tee $h
      i32.const 64
      call $cw
      local.get $h
      local.get $ptr
      local.get $len
      i32.const 96
      call $write
      i32.const 96
      i32.const 4
      call $status)
    (func (export "write-over-permit") (result i32)
      (local $h i32)
      call $get_stdout
      local.tee $h
      i32.const 64
      call $cw
      local.get $h
      i32.const 1024
      i32.const 72
      i64.load
      i32.wrap_i64
      i32.const 1
      i32.add
      i32.const 96
      call $write
      i32.const 96
      i32.const 4
      call $status)
    (func (export "splice") (param $n i64) (result i32)
      call $get_stdout
      call $get_stdin
      local.get $n
      i32.const 64
      call $splice
      i32.const 128
      i32.const 64
      i32.const 8
      call $status
      i32.store
      i32.const 136
      i32.const 72
      i64.load
      i64.store
      i32.const 128))
  (core instance $h
    (export "get-stdin" (func $get_stdin_l)) (export "get-stdout" (func $get_stdout_l))
    (export "read" (func $read_l)) (export "bread" (func $bread_l)) (export "cw" (func $cw_l))
    (export "write" (func $write_l)) (export "splice" (func $splice_l)))
  (core instance $env (export "mem" (memory $mem)))
  (core instance $i (instantiate $m (with "h" (instance $h)) (with "env" (instance $env))))
  (func (export "read") (param "n" u64) (param "blocking" bool) (result (tuple u32 (list u8)))
    (canon lift (core func $i "read") (memory $mem) (realloc $realloc)))
  (func (export "write") (param "bytes" (list u8)) (result u32)
    (canon lift (core func $i "write") (memory $mem) (realloc $realloc)))
  (func (export "write-over-permit") (result u32) (canon lift (core func $i "write-over-permit")))
  (func (export "splice") (param "n" u64) (result (tuple u32 u64))
    (canon lift (core func $i "splice") (memory $mem))))
