// Test-only helpers that build component binaries byte by byte (Binary.md), so the decoder
// and validator tests can state each section and each broken rule directly. Not used by the
// library. Everything is a plain byte vector; Enc appends encodings fluently.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace weft::component::testenc {

using Bytes = std::vector<uint8_t>;

// Primitive value type codes (primvaltype).
constexpr uint8_t kBool = 0x7f, kS32 = 0x7a, kU32 = 0x79, kU64 = 0x77, kF32 = 0x76, kChar = 0x74,
                  kString = 0x73;
// Core value types.
constexpr uint8_t kI32 = 0x7f, kI64 = 0x7e;

struct Enc {
  Bytes b;
  Enc& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Enc& bytes(std::initializer_list<uint8_t> v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  Enc& raw(const Bytes& v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  Enc& raw(const Enc& v) { return raw(v.b); }
  Enc& u32(uint32_t v) {
    do {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      if (v) byte |= 0x80;
      b.push_back(byte);
    } while (v);
    return *this;
  }
  // A u32 type index in a valtype position (s33: indices >= 64 need two bytes).
  Enc& idx(uint32_t v) {
    int64_t x = v;  // signed LEB128 (s33): values >= 64 take a second byte
    while (true) {
      uint8_t byte = x & 0x7f;
      x >>= 7;
      bool done = (x == 0 && !(byte & 0x40));
      b.push_back(done ? byte : (byte | 0x80));
      if (done) return *this;
    }
  }
  Enc& name(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  // nameattributes with the plain 0x00 form.
  Enc& ename(std::string_view s) { return u8(0x00).name(s); }
};

inline Bytes Preamble() { return {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}; }

/// A section: id, size, contents.
inline Bytes Section(uint8_t id, const Bytes& contents) {
  Enc e;
  e.u8(id).u32(static_cast<uint32_t>(contents.size())).raw(contents);
  return e.b;
}
/// A section holding vec(items).
inline Bytes VecSection(uint8_t id, std::initializer_list<Enc> items) {
  Enc e;
  e.u32(static_cast<uint32_t>(items.size()));
  for (const Enc& i : items) e.raw(i);
  return Section(id, e.b);
}

/// A component from sections.
inline Bytes Component(std::initializer_list<Bytes> sections) {
  Bytes out = Preamble();
  for (const Bytes& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

/// A core module with one function type `(params) -> (results)`, `nfuncs` functions of that type
/// (bodies `unreachable`), each exported as "f0", "f1", ..., one memory exported as "mem" when
/// `memory`, and imports of functions of that type named ("env", "i0"), ... when `nimports`.
inline Bytes CoreModule(std::initializer_list<uint8_t> params, std::initializer_list<uint8_t> results,
                        uint32_t nfuncs, bool memory = false, uint32_t nimports = 0) {
  Enc m;
  m.bytes({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
  Enc types;
  types.u32(1).u8(0x60).u32(static_cast<uint32_t>(params.size()));
  for (uint8_t p : params) types.u8(p);
  types.u32(static_cast<uint32_t>(results.size()));
  for (uint8_t r : results) types.u8(r);
  m.raw(Section(1, types.b));
  if (nimports) {
    Enc imps;
    imps.u32(nimports);
    for (uint32_t i = 0; i < nimports; ++i) {
      std::string n = "i" + std::to_string(i);
      imps.name("env").name(n).u8(0x00).u32(0);
    }
    m.raw(Section(2, imps.b));
  }
  Enc funcs;
  funcs.u32(nfuncs);
  for (uint32_t i = 0; i < nfuncs; ++i) funcs.u32(0);
  m.raw(Section(3, funcs.b));
  if (memory) m.raw(Section(5, Bytes{0x01, 0x00, 0x01}));
  Enc exps;
  exps.u32(nfuncs + (memory ? 1 : 0));
  for (uint32_t i = 0; i < nfuncs; ++i) {
    std::string n = "f" + std::to_string(i);
    exps.name(n).u8(0x00).u32(nimports + i);
  }
  if (memory) exps.name("mem").u8(0x02).u32(0);
  m.raw(Section(7, exps.b));
  Enc code;
  code.u32(nfuncs);
  for (uint32_t i = 0; i < nfuncs; ++i) code.bytes({0x03, 0x00, 0x00, 0x0b});  // size 3: 0 locals, unreachable, end
  m.raw(Section(10, code.b));
  return m.b;
}

}  // namespace weft::component::testenc
