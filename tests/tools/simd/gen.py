#!/usr/bin/env python3
"""Turns assert_return cases of the spec suite's simd_*.wast into table-driven vectors for
src/interp/simd_test.cc. Usage: gen.py TESTSUITE_DIR OUT.inc"""
import glob, json, os, re, struct, subprocess, sys, tempfile, collections

SUITE, OUT = sys.argv[1], sys.argv[2]

def pascal(name):
    parts = re.split(r'[._]', name)
    return ''.join(p[:1].upper() + p[1:] for p in parts)

# Instructions handled by the interpreter itself, not simd.h.
NOT_MINE = {'v128.load', 'v128.store', 'v128.const'}

def is_simd_op(op):
    if op in NOT_MINE:
        return False
    return op.split('.')[0] in ('v128', 'i8x16', 'i16x8', 'i32x4', 'i64x2', 'f32x4', 'f64x2')

def f32_bits(tok):
    neg = tok.startswith('-')
    t = tok.lstrip('+-')
    if t.startswith('nan'):
        payload = int(t[4:], 16) if t.startswith('nan:') else 0x400000
        b = 0x7f800000 | payload
    elif t == 'inf':
        b = 0x7f800000
    else:
        v = float.fromhex(t) if t.startswith('0x') else float(t)
        b = struct.unpack('<I', struct.pack('<f', v))[0]
    return b | (0x80000000 if neg else 0)

def f64_bits(tok):
    neg = tok.startswith('-')
    t = tok.lstrip('+-')
    if t.startswith('nan'):
        payload = int(t[4:], 16) if t.startswith('nan:') else 0x8000000000000
        b = 0x7ff0000000000000 | payload
    elif t == 'inf':
        b = 0x7ff0000000000000
    else:
        v = float.fromhex(t) if t.startswith('0x') else float(t)
        b = struct.unpack('<Q', struct.pack('<d', v))[0]
    return b | (1 << 63 if neg else 0)

def parse_wat(text):
    """Returns (funcs: idx -> (params, results, [instr lines]), exports: name -> idx, data)."""
    funcs, exports, data = {}, {}, []
    cur = None
    fidx = 0
    for line in text.split('\n'):
        s = line.strip()
        s = re.sub(r'\(;.*?;\)', '', s).strip()
        if line.startswith('  (func'):
            params = re.search(r'\(param ([^)]*)\)', s)
            results = re.search(r'\(result ([^)]*)\)', s)
            cur = (params.group(1).split() if params else [], results.group(1).split() if results else [], [])
            funcs[fidx] = cur
            fidx += 1
            if s.endswith(')') and s.count('(') < s.count(')'):
                cur = None
            continue
        if line.startswith('  (import') and '(func' in line:
            fidx += 1
            continue
        if line.startswith('  (') and not line.startswith('    '):
            cur = None
            m = re.match(r'\(export\s+"((?:[^"\\]|\\.)*)" \(func (\d+)\)\)', s)
            if m:
                exports[m.group(1)] = int(m.group(2))
            m = re.match(r"\(data\s+\(i32\.const (-?\d+)\)\s+\"(.*)\"\)", s)
            if m:
                raw = m.group(2)
                b = bytearray()
                i = 0
                while i < len(raw):
                    if raw[i] == '\\':
                        b.append(int(raw[i + 1:i + 3], 16))
                        i += 3
                    else:
                        b.append(ord(raw[i]))
                        i += 1
                data.append((int(m.group(1)), bytes(b)))
            continue
        if cur is not None and line.startswith('    '):
            if s.startswith('(local'):
                cur[2].append('LOCALS')
                continue
            body_end = False
            while s.endswith(')') and s.count(')') > s.count('('):
                s = s[:-1].rstrip()
                body_end = True
            cur[2].append(s)
            if body_end:
                cur = None
    return funcs, exports, data

def arg_words(a):
    """A JSON argument/expected value to (lo, hi) words, or None for NaN patterns."""
    t = a['type']
    if t == 'v128':
        lt = a['lane_type']
        bits = {'i8': 8, 'i16': 16, 'i32': 32, 'i64': 64, 'f32': 32, 'f64': 64}[lt]
        val = 0
        for i, x in enumerate(a['value']):
            if x.startswith('nan'):
                x = '0'
            val |= (int(x) & ((1 << bits) - 1)) << (i * bits)
        return val & (2**64 - 1), val >> 64
    if a['value'].startswith('nan'):
        return 0, 0
    mask = {'i32': 2**32 - 1, 'f32': 2**32 - 1}.get(t, 2**64 - 1)
    return int(a['value']) & mask, 0

def nan_spec(e):
    """Per-lane NaN expectations: (bits, lane width 32/64), 2 bits per lane (1 canon, 2 arith)."""
    t = e['type']
    if t == 'v128':
        if e['lane_type'] not in ('f32', 'f64'):
            return 0
        flag = 0x100 if e['lane_type'] == 'f64' else 0
        m = 0
        for i, x in enumerate(e['value']):
            if x == 'nan:canonical':
                m |= 1 << (2 * i)
            elif x == 'nan:arithmetic':
                m |= 2 << (2 * i)
        return m | flag if m else 0
    if t in ('f32', 'f64'):
        flag = 0x100 if t == 'f64' else 0
        if e['value'] == 'nan:canonical':
            return 1 | flag
        if e['value'] == 'nan:arithmetic':
            return 2 | flag
    return 0

# cases[op] = list of dicts
cases = collections.OrderedDict()
stats = collections.Counter()
mems = []  # memory images (bytes, trimmed)
mem_index = {}
files = []

def const_operand(s):
    toks = s.split()
    op = toks[0]
    if op == 'i32.const':
        return (int(toks[1]) & (2**32 - 1), 0)
    if op == 'i64.const':
        return (int(toks[1]) & (2**64 - 1), 0)
    if op == 'f32.const':
        return (f32_bits(toks[1]), 0)
    if op == 'f64.const':
        return (f64_bits(toks[1]), 0)
    if op == 'v128.const':
        assert toks[1] == 'i32x4', s
        v = 0
        for i, x in enumerate(toks[2:6]):
            v |= (int(x, 0) & 0xffffffff) << (32 * i)
        return (v & (2**64 - 1), v >> 64)
    return None

with tempfile.TemporaryDirectory() as tmp:
    for wast in sorted(glob.glob(os.path.join(SUITE, 'simd_*.wast'))):
        base = os.path.basename(wast)
        stem = base[:-5]
        subprocess.run(['wast2json', '--enable-all', wast, '-o', os.path.join(tmp, stem + '.json')],
                       check=True, capture_output=True)
        doc = json.load(open(os.path.join(tmp, stem + '.json')))
        file_idx = len(files)
        files.append(base)
        modules = {}
        current = None
        for cmd in doc['commands']:
            if cmd['type'] == 'module':
                wat = subprocess.run(['wasm2wat', '--no-check', '--enable-all',
                                      os.path.join(tmp, cmd['filename'])],
                                     check=True, capture_output=True, text=True).stdout
                current = parse_wat(wat)
                if 'name' in cmd:
                    modules[cmd['name']] = current
                continue
            if cmd['type'] != 'assert_return':
                continue
            stats['assert_return'] += 1
            act = cmd['action']
            mod = modules.get(act['module']) if 'module' in act else current
            if act['type'] != 'invoke' or mod is None or act['field'] not in mod[1]:
                stats['skip_other'] += 1
                continue
            funcs, exports, data = mod
            params, results, body = funcs[exports[act['field']]]
            args = act['args']
            # Store-lane pattern: store then i64.load of the same address.
            instrs = [b for b in body if b != 'LOCALS']
            store = [b for b in instrs if re.match(r'v128\.store\d+_lane', b)]
            if store:
                if not (instrs[:2] == ['local.get 0', 'local.get 1'] and instrs[2] == store[0]
                        and instrs[3] == 'local.get 0' and instrs[4].startswith('i64.load')):
                    stats['skip_multi'] += 1
                    continue
                op_line = store[0]
                operands = [arg_words(args[0]), arg_words(args[1])]
                load_off = re.search(r'offset=(\d+)', instrs[4])
                load_off = int(load_off.group(1)) if load_off else 0
            else:
                if not instrs:
                    stats['skip_multi'] += 1
                    continue
                op_line = instrs[-1]
                operands = []
                ok = True
                for b in instrs[:-1]:
                    m = re.fullmatch(r'local\.get (\d+)', b)
                    if m:
                        operands.append(arg_words(args[int(m.group(1))]))
                        continue
                    c = const_operand(b)
                    if c is None:
                        ok = False
                        break
                    operands.append(c)
                if not ok:
                    stats['skip_multi'] += 1
                    continue
                load_off = 0
            toks = op_line.split()
            op = toks[0]
            if not is_simd_op(op):
                stats['skip_notmine'] += 1
                continue
            offset = 0
            imms = []
            for t in toks[1:]:
                if t.startswith('offset='):
                    offset = int(t[7:], 0)
                elif t.startswith('align='):
                    pass
                else:
                    imms.append(int(t, 0))
            mem = 0
            if 'load' in op or 'store' in op:
                img = tuple(data)
                if img not in mem_index:
                    mem_index[img] = len(mems)
                    mems.append(img)
                mem = mem_index[img]
            exp = cmd['expected'][0]
            words = []
            for w in operands:
                words += [w[0], w[1]]
            e = arg_words(exp)
            entry = (tuple(words), e, tuple(imms), offset, load_off, mem, nan_spec(exp))
            lst = cases.setdefault(pascal(op), collections.OrderedDict())
            if entry in lst:
                stats['duplicate'] += 1
                continue
            lst[entry] = (cmd['line'], file_idx)
            stats['vector'] += 1

def hx(v):
    return '0x%x' % v if v > 9 else str(v)

with open(OUT, 'w') as f:
    f.write('// Generated from the WebAssembly spec suite (simd_*.wast) by tests/tools/simd/gen.py; do not edit.\n')
    f.write('// Each case (SpecCase in simd_test.cc, trailing zero fields omitted): {operand words},\n')
    f.write('// {expected lo, hi}, wast line, wast file, NaN lanes (2 bits a lane: 1 canonical,\n')
    f.write('// 2 arithmetic; 0x100 = f64 lanes), {immediates}, memarg offset, i64.load offset, memory.\n')
    f.write('static const char* const kSpecFiles[] = {%s};\n' % ', '.join('"%s"' % x for x in files))
    for i, img in enumerate(mems):
        segs = ', '.join('{%d, "%s", %d}' % (off, ''.join('\\x%02x' % c for c in b), len(b)) for off, b in img)
        f.write('static const SpecSegment kSpecMem%d[] = {%s{0, nullptr, 0}};\n' % (i, segs + ', ' if segs else ''))
    f.write('static const SpecSegment* const kSpecMems[] = {%s};\n' % ', '.join('kSpecMem%d' % i for i in range(len(mems))))

    for name, lst in cases.items():
        f.write('WEFT_SPEC_BEGIN(%s)\n' % name)
        for (words, e, imms, off, loff, mem, nan), (line, fidx) in lst.items():
            fields = ['{%s}' % ','.join(hx(w) for w in words), '{%s,%s}' % (hx(e[0]), hx(e[1])),
                      str(line), str(fidx), hx(nan), '{%s}' % ','.join(str(i) for i in imms),
                      str(off), str(loff), str(mem)]
            while fields[-1] in ('0', '{}'):
                fields.pop()
            f.write('{%s},\n' % ','.join(fields))
        f.write('WEFT_SPEC_END(%s)\n' % name)
print(dict(stats), 'ops', len(cases), file=sys.stderr)
