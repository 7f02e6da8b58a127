#!/usr/bin/env python3
"""Writes a large valid WebAssembly module for the module-load benchmark.

  gen_big_module.py OUT.wasm [--funcs 12000] [--bytes-per-func 1000] [--seed 1]

The module has FUNCS functions of about BYTES_PER_FUNC bytes of code each (12,000 x 1,000 is
the 12 MB target of issue 2), built from a seeded random generator of well-typed i32/i64/f64
code: arithmetic, locals, loads/stores, nested blocks/loops/ifs with branches, direct calls to
lower-numbered functions and (from function 1000 up) call_indirect through a table of
low-numbered functions, so the call graph is acyclic and calling a low export is cheap. It
writes the binary directly (no text round trip) in a few seconds. Exports: "main" (the last function) and every 97th
function, plus the memory and table.
"""
import argparse
import random
import struct


def uleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        done = (n == 0 and not b & 0x40) or (n == -1 and b & 0x40)
        out.append(b if done else b | 0x80)
        if done:
            return bytes(out)


def vec(items):
    return uleb(len(items)) + b"".join(items)


def name(s):
    b = s.encode()
    return uleb(len(b)) + b


def section(sid, payload):
    return bytes([sid]) + uleb(len(payload)) + payload


I32, I64, F64 = 0x7F, 0x7E, 0x7C
# Types: 0 (i32 i32)->i32, 1 (i32)->i32, 2 (i64 f64)->f64, 3 ()->().
TYPES = [([I32, I32], [I32]), ([I32], [I32]), ([I64, F64], [F64]), ([], [])]
# Locals after the params: 4 i32, 2 i64, 2 f64 (indices computed per function type), then
# MAX_LOOPS i32 loop counters, one per loop nesting level, that nothing else writes (so every
# loop terminates).
MAX_LOOPS = 3
EXTRA_LOCALS = [(4, I32), (2, I64), (2, F64), (MAX_LOOPS, I32)]


class FuncGen:
    def __init__(self, rng, index, type_index, func_types):
        self.r = rng
        self.index = index
        self.func_types = func_types
        params = TYPES[type_index][0]
        self.locals = {I32: [], I64: [], F64: []}
        for i, t in enumerate(params):
            self.locals[t].append(i)
        n = len(params)
        for count, t in EXTRA_LOCALS[:-1]:
            for _ in range(count):
                self.locals[t].append(n)
                n += 1
        self.counters = list(range(n, n + MAX_LOOPS))
        self.loops = 0  # enclosing loops
        self.depth = 0  # enclosing labels

    def expr(self, t, budget):
        r = self.r
        if budget <= 1 or r.random() < 0.25:
            if r.random() < 0.5:
                return b"\x20" + uleb(r.choice(self.locals[t]))  # local.get
            if t == I32:
                return b"\x41" + sleb(r.randint(-1000, 100000))
            if t == I64:
                return b"\x42" + sleb(r.randint(-(1 << 40), 1 << 40))
            return b"\x44" + struct.pack("<d", r.uniform(-100, 100))
        b = budget - 1
        if t == I32:
            k = r.randint(0, 9)
            if k <= 3:  # binary op (add, sub, mul, and, or, xor, shl, shr_u, rotl)
                op = r.choice([0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x73, 0x74, 0x76, 0x77])
                return self.expr(I32, b // 2) + self.expr(I32, b // 2) + bytes([op])
            if k == 4:  # comparison
                return self.expr(I32, b // 2) + self.expr(I32, b // 2) + bytes([r.choice([0x46, 0x48, 0x4B, 0x4E])])
            if k == 5:  # load from a masked address
                return (self.expr(I32, b) + b"\x41" + sleb(0xFFF0) + b"\x71" + b"\x28\x02" + uleb(r.randint(0, 8)))
            if k == 6:  # wrap an i64 / truncate-sat an f64
                if r.random() < 0.5:
                    return self.expr(I64, b) + b"\xA7"
                return self.expr(F64, b) + b"\xFC\x02"  # i32.trunc_sat_f64_s
            if k == 7 and self.index > 0:  # direct call to a lower function of type 0 or 1
                callee = r.randrange(self.index)
                ft = self.func_types[callee]
                if ft == 0:
                    return self.expr(I32, b // 2) + self.expr(I32, b // 2) + b"\x10" + uleb(callee)
                if ft == 1:
                    return self.expr(I32, b) + b"\x10" + uleb(callee)
            if k == 8 and self.index >= 1000:  # call_indirect via the table (type 1), acyclic
                return self.expr(I32, b // 2) + self.expr(I32, b // 2) + b"\x41\x0F\x71" + b"\x11" + uleb(1) + b"\x00"
            return self.expr(I32, b // 3) + self.expr(I32, b // 3) + self.expr(I32, b // 3) + b"\x1B"  # select
        if t == I64:
            k = r.randint(0, 3)
            if k == 0:
                return self.expr(I32, b) + b"\xAC"  # i64.extend_i32_s
            return self.expr(I64, b // 2) + self.expr(I64, b // 2) + bytes([r.choice([0x7C, 0x7D, 0x7E, 0x83, 0x85])])
        k = r.randint(0, 3)
        if k == 0:
            return self.expr(I32, b) + b"\xB7"  # f64.convert_i32_s
        return self.expr(F64, b // 2) + self.expr(F64, b // 2) + bytes([r.choice([0xA0, 0xA1, 0xA2, 0xA4, 0xA5])])

    def stmt(self, budget):
        r = self.r
        k = r.randint(0, 9)
        if k <= 3 or budget < 8:
            t = r.choice([I32, I32, I64, F64])
            return self.expr(t, min(budget, 12)) + b"\x21" + uleb(r.choice(self.locals[t]))
        if k == 4:  # store
            return (self.expr(I32, 4) + b"\x41" + sleb(0xFFF0) + b"\x71" + self.expr(I32, 6) + b"\x36\x02" + uleb(r.randint(0, 8)))
        if k == 5:  # if / else
            self.depth += 1
            body = self.expr(I32, 5) + b"\x04\x40" + self.block(budget // 2) + b"\x05" + self.block(budget // 3) + b"\x0B"
            self.depth -= 1
            return body
        if k == 6 and self.loops < MAX_LOOPS:  # counted loop: a private counter from 1-4 down
            c = self.counters[self.loops]
            self.loops += 1
            self.depth += 2
            inner = self.block(budget // 2)
            self.depth -= 2
            self.loops -= 1
            return (b"\x41" + sleb(r.randint(1, 4)) + b"\x21" + uleb(c) + b"\x02\x40\x03\x40" + inner +
                    b"\x20" + uleb(c) + b"\x41\x01\x6B\x22" + uleb(c) + b"\x0D\x00\x0B\x0B")
        if k == 7:  # block with a conditional exit
            self.depth += 1
            body = b"\x02\x40" + self.expr(I32, 4) + b"\x0D\x00" + self.block(budget // 2) + b"\x0B"
            self.depth -= 1
            return body
        if k == 8:
            return self.expr(I32, 10) + b"\x1A"  # drop
        return b"\x01"  # nop

    def block(self, budget):
        out = bytearray()
        while len(out) < budget:
            out += self.stmt(budget - len(out))
        return bytes(out)

    def body(self, size, type_index):
        code = self.block(size)
        results = TYPES[type_index][1]
        for t in results:
            code += self.expr(t, 6)
        local_decls = vec([uleb(c) + bytes([t]) for c, t in EXTRA_LOCALS])
        return local_decls + code + b"\x0B"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--funcs", type=int, default=12000)
    ap.add_argument("--bytes-per-func", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    n = a.funcs
    func_types = [rng.choice([0, 0, 1, 2, 3]) for _ in range(n)]
    func_types[-1] = 3
    types = vec([b"\x60" + vec([bytes([p]) for p in ps]) + vec([bytes([q]) for q in rs]) for ps, rs in TYPES])
    funcs = vec([uleb(t) for t in func_types])
    table = vec([b"\x70\x00" + uleb(16)])
    memory = vec([b"\x01\x01\x10"])  # min 1, max 16 pages
    exports = [name("main") + b"\x00" + uleb(n - 1), name("memory") + b"\x02\x00", name("table") + b"\x01\x00"]
    for i in range(0, n - 1, 97):
        exports.append(name("f%d" % i) + b"\x00" + uleb(i))
    # Table elements 0..15: functions of type 1 (call_indirect uses type 1; others would trap).
    type1 = [i for i, t in enumerate(func_types) if t == 1][:16]
    while len(type1) < 16:
        type1.append(type1[0] if type1 else 0)
    elems = vec([b"\x00\x41\x00\x0B" + vec([uleb(i) for i in type1])])
    bodies = []
    for i in range(n):
        g = FuncGen(rng, i, func_types[i], func_types)
        size = max(16, int(rng.gauss(a.bytes_per_func, a.bytes_per_func / 4)))
        body = g.body(size, func_types[i])
        bodies.append(uleb(len(body)) + body)
    data = vec([b"\x00\x41\x00\x0B" + vec([bytes([i & 0xFF]) for i in range(256)])])
    module = (b"\x00asm\x01\x00\x00\x00" + section(1, types) + section(3, funcs) + section(4, table) +
              section(5, memory) + section(7, vec(exports)) + section(9, elems) +
              section(10, vec(bodies)) + section(11, data))
    with open(a.out, "wb") as f:
        f.write(module)
    print("%s: %d bytes, %d functions" % (a.out, len(module), n))


if __name__ == "__main__":
    main()
