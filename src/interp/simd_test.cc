// Tests for interp/simd.h: every instruction against the spec suite's expected results
// (simd_spec.inc, generated from simd_*.wast by tests/tools/simd/gen.py), for both the native
// variant (SSE2 on x86-64) and the portable lane-by-lane variant, plus a randomised
// differential test native vs portable and a few hand-written edge cases.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "interp/simd.h"
namespace native_simd = weft::interp::simd::WEFT_SIMD_NS;
#define WEFT_SIMD_PORTABLE 1
#include "interp/simd.h"
namespace portable_simd = weft::interp::simd::portable;

namespace {

using weft::interp::simd::V128;

struct SpecSegment {
  uint32_t offset;
  const char* bytes;
  uint32_t size;
};

struct SpecCase {
  uint64_t a[6];         // operand k in a[2k] (scalars) or a[2k], a[2k+1] (v128)
  uint64_t e[2];         // expected result (scalars in e[0])
  uint32_t line;         // line in the .wast file
  uint8_t file;          // index into kSpecFiles
  uint16_t nan;          // NaN lanes: 2 bits a lane (1 canonical, 2 arithmetic); 0x100 = f64
  uint8_t imm[16];       // lane index or shuffle lanes
  uint32_t offset;       // memarg offset of the instruction
  uint32_t load_offset;  // offset of the i64.load that reads back a lane store
  uint8_t mem;           // index into kSpecMems
};

struct Got {
  uint64_t lo = 0, hi = 0;
};

constexpr uint32_t kMemSize = 65536;

// Linear memory of one page with a tail so that an access at any page address stays in bounds.
struct Memory {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(kMemSize + 32, 0);
  uint8_t* At(uint64_t addr, uint32_t offset) {
    uint64_t ea = static_cast<uint32_t>(addr) + uint64_t{offset};
    return bytes.data() + (ea > kMemSize ? kMemSize : ea);
  }
};

V128 Arg(const SpecCase& c, int k) { return {c.a[2 * k], c.a[2 * k + 1]}; }
Got Out(V128 v) { return {v.lo, v.hi}; }

// One overload per signature shape of the contract; the function pointer type selects it.
Got Call(V128 (*f)(V128), const SpecCase& c, Memory&) { return Out(f(Arg(c, 0))); }
Got Call(V128 (*f)(V128, V128), const SpecCase& c, Memory&) { return Out(f(Arg(c, 0), Arg(c, 1))); }
Got Call(V128 (*f)(V128, V128, V128), const SpecCase& c, Memory&) {
  return Out(f(Arg(c, 0), Arg(c, 1), Arg(c, 2)));
}
Got Call(V128 (*f)(V128, uint32_t), const SpecCase& c, Memory&) {  // shifts
  return Out(f(Arg(c, 0), static_cast<uint32_t>(c.a[2])));
}
Got Call(V128 (*f)(uint32_t), const SpecCase& c, Memory&) { return Out(f(static_cast<uint32_t>(c.a[0]))); }
Got Call(V128 (*f)(uint64_t), const SpecCase& c, Memory&) { return Out(f(c.a[0])); }
Got Call(V128 (*f)(float), const SpecCase& c, Memory&) {
  return Out(f(std::bit_cast<float>(static_cast<uint32_t>(c.a[0]))));
}
Got Call(V128 (*f)(double), const SpecCase& c, Memory&) { return Out(f(std::bit_cast<double>(c.a[0]))); }
Got Call(uint32_t (*f)(V128, uint32_t), const SpecCase& c, Memory&) { return {f(Arg(c, 0), c.imm[0]), 0}; }
Got Call(uint64_t (*f)(V128, uint32_t), const SpecCase& c, Memory&) { return {f(Arg(c, 0), c.imm[0]), 0}; }
Got Call(float (*f)(V128, uint32_t), const SpecCase& c, Memory&) {
  return {std::bit_cast<uint32_t>(f(Arg(c, 0), c.imm[0])), 0};
}
Got Call(double (*f)(V128, uint32_t), const SpecCase& c, Memory&) {
  return {std::bit_cast<uint64_t>(f(Arg(c, 0), c.imm[0])), 0};
}
Got Call(V128 (*f)(V128, uint32_t, uint32_t), const SpecCase& c, Memory&) {
  return Out(f(Arg(c, 0), c.imm[0], static_cast<uint32_t>(c.a[2])));
}
Got Call(V128 (*f)(V128, uint32_t, uint64_t), const SpecCase& c, Memory&) {
  return Out(f(Arg(c, 0), c.imm[0], c.a[2]));
}
Got Call(V128 (*f)(V128, uint32_t, float), const SpecCase& c, Memory&) {
  return Out(f(Arg(c, 0), c.imm[0], std::bit_cast<float>(static_cast<uint32_t>(c.a[2]))));
}
Got Call(V128 (*f)(V128, uint32_t, double), const SpecCase& c, Memory&) {
  return Out(f(Arg(c, 0), c.imm[0], std::bit_cast<double>(c.a[2])));
}
Got Call(V128 (*f)(V128, V128, const uint8_t*), const SpecCase& c, Memory&) {
  return Out(f(Arg(c, 0), Arg(c, 1), c.imm));
}
Got Call(uint32_t (*f)(V128), const SpecCase& c, Memory&) { return {f(Arg(c, 0)), 0}; }
Got Call(V128 (*f)(const uint8_t*), const SpecCase& c, Memory& m) { return Out(f(m.At(c.a[0], c.offset))); }
Got Call(V128 (*f)(V128, const uint8_t*, uint32_t), const SpecCase& c, Memory& m) {
  return Out(f(Arg(c, 1), m.At(c.a[0], c.offset), c.imm[0]));
}
Got Call(void (*f)(uint8_t*, V128, uint32_t), const SpecCase& c, Memory& m) {
  f(m.At(c.a[0], c.offset), Arg(c, 1), c.imm[0]);
  uint64_t r;
  std::memcpy(&r, m.At(c.a[0], c.load_offset), 8);
  return {r, 0};
}

// Checks `got` against the expected bits, lane by lane where NaN patterns are expected.
bool Matches(const Got& got, const SpecCase& c) {
  if (c.nan == 0) return got.lo == c.e[0] && got.hi == c.e[1];
  bool f64 = c.nan & 0x100;
  int width = f64 ? 64 : 32, lanes = 128 / width;
  uint64_t g[2] = {got.lo, got.hi};
  for (int i = 0; i < lanes; ++i) {
    int word = i * width / 64, shift = i * width % 64;
    uint64_t mask = f64 ? ~uint64_t{0} : 0xffffffffull;
    uint64_t gl = (g[word] >> shift) & mask, el = (c.e[word] >> shift) & mask;
    uint64_t sign = f64 ? 1ull << 63 : 1ull << 31;
    uint64_t canon = f64 ? 0x7ff8000000000000ull : 0x7fc00000ull;
    switch ((c.nan >> (2 * i)) & 3) {
      case 0:
        if (gl != el) return false;
        break;
      case 1:
        if ((gl & ~sign & mask) != canon) return false;
        break;
      default:
        if ((gl & canon) != canon) return false;
        break;
    }
  }
  return true;
}

std::string Hex(uint64_t lo, uint64_t hi) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 "_%016" PRIx64, hi, lo);
  return buf;
}

}  // namespace

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
// Each instruction's vectors register themselves; three tests then run all instructions (a
// test per instruction would mean hundreds of CTest processes). Failures name the
// instruction and the .wast line.
#define WEFT_SPEC_BEGIN(Name) \
  namespace {                 \
  const SpecCase kSpec##Name[] = {
#define WEFT_SPEC_END(Name)                                                                 \
  }                                                                                         \
  ;                                                                                         \
  const bool kRegistered##Name = Register(                                                  \
      #Name, kSpec##Name, std::size(kSpec##Name),                                           \
      [](const SpecCase& c, Memory& m) { return Call(native_simd::Name, c, m); },           \
      [](const SpecCase& c, Memory& m) { return Call(portable_simd::Name, c, m); });        \
  }

namespace {

using Invoker = Got (*)(const SpecCase&, Memory&);

struct Instruction {
  const char* name;
  const SpecCase* cases;
  size_t count;
  Invoker native;
  Invoker portable;
};

std::vector<Instruction>& Registry() {
  static std::vector<Instruction> registry;
  return registry;
}

bool Register(const char* name, const SpecCase* cases, size_t count, Invoker native,
              Invoker portable) {
  Registry().push_back({name, cases, count, native, portable});
  return true;
}

}  // namespace

namespace {

const char* const* g_files;
const SpecSegment* const* g_mems;

void LoadMemory(Memory& m, uint8_t mem) {
  std::fill(m.bytes.begin(), m.bytes.end(), 0);
  for (const SpecSegment* s = g_mems[mem]; s->bytes != nullptr; ++s) {
    std::memcpy(m.bytes.data() + s->offset, s->bytes, s->size);
  }
}

// Returns the number of failing vectors of `ins` run through `fn`.
int RunSpec(const Instruction& ins, Invoker fn) {
  Memory m;
  int failures = 0;
  for (size_t i = 0; i < ins.count; ++i) {
    const SpecCase& c = ins.cases[i];
    LoadMemory(m, c.mem);
    Got got = fn(c, m);
    if (!Matches(got, c) && ++failures <= 5) {
      ADD_FAILURE() << ins.name << " " << g_files[c.file] << ":" << c.line << ": got "
                    << Hex(got.lo, got.hi) << ", want " << Hex(c.e[0], c.e[1])
                    << " (nan lanes 0x" << std::hex << c.nan << ")";
    }
  }
  return failures;
}

void RunSpecAll(bool portable) {
  size_t vectors = 0, failed = 0;
  for (const Instruction& ins : Registry()) {
    failed += RunSpec(ins, portable ? ins.portable : ins.native);
    vectors += ins.count;
  }
  EXPECT_EQ(failed, 0u);
  EXPECT_EQ(Registry().size(), 233u) << "every SIMD instruction but v128.load/store/const";
  std::printf("[   info   ] %zu instructions, %zu spec vectors, %zu failed\n", Registry().size(),
              vectors, failed);
}

bool IsNaNLanes(uint64_t x, uint64_t y, int width) {
  // Native and portable variants may pick different (equally valid) NaNs.
  uint64_t mask = width == 64 ? ~uint64_t{0} : 0xffffffffull;
  uint64_t exp = width == 64 ? 0x7ff0000000000000ull : 0x7f800000ull;
  uint64_t man = width == 64 ? 0x000fffffffffffffull : 0x007fffffull;
  for (int s = 0; s < 64; s += width) {
    uint64_t a = (x >> s) & mask, b = (y >> s) & mask;
    if (a == b) continue;
    bool a_nan = (a & exp) == exp && (a & man) != 0, b_nan = (b & exp) == exp && (b & man) != 0;
    if (!a_nan || !b_nan) return false;
  }
  return true;
}

// Interesting 32-bit lane patterns mixed into random inputs (floats and integer edges).
constexpr uint32_t kEdges32[] = {0,          0x80000000, 0x3f800000, 0xbf800000, 0x7f800000,
                                 0xff800000, 0x7fc00000, 0x7fa00000, 0xffc00001, 0x3f000000,
                                 0x3fc00000, 0x40200000, 0x4b000001, 0x4f000000, 0xcf000000,
                                 0x7f7fffff, 0x00000001, 0x7fffffff, 0xffffffff, 0x00008000};
constexpr uint64_t kEdges64[] = {0,
                                 0x8000000000000000ull,
                                 0x3ff0000000000000ull,
                                 0xbff8000000000000ull,
                                 0x7ff0000000000000ull,
                                 0x7ff8000000000000ull,
                                 0x7ff4000000000000ull,
                                 0x3fe0000000000000ull,
                                 0x4330000000000001ull,
                                 0x41e0000000000000ull,
                                 0xc1e0000000000000ull,
                                 0x41efffffffe00000ull,
                                 0x3ff8000000000000ull,
                                 0x4004000000000000ull,  // 2.5
                                 0x41effffffff00000ull,  // 2^32 - 0.5
                                 0x41f0000000000000ull,  // 2^32
                                 0xc1e0000000100000ull,  // -(2^31 + 0.5)
                                 0x7fefffffffffffffull};

uint64_t RandomWord(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return rng();
    case 1:
      return kEdges32[rng() % std::size(kEdges32)] |
             uint64_t{kEdges32[rng() % std::size(kEdges32)]} << 32;
    case 2:
      return kEdges64[rng() % std::size(kEdges64)];
    default:
      return rng() & 0x8080808080808080ull;
  }
}

// Runs native and portable on the spec inputs and on random inputs of the same shape; they
// must agree bit for bit except where both give a NaN. Returns the number of disagreements.
int RunDifferential(const Instruction& ins) {
  std::mt19937_64 rng(12345);
  Memory m1, m2;
  for (size_t k = 0; k < kMemSize; k += 8) {
    uint64_t w = (k * 0x9e3779b97f4a7c15ull) ^ (k >> 3);
    std::memcpy(m1.bytes.data() + k, &w, 8);
    std::memcpy(m2.bytes.data() + k, &w, 8);
  }
  int failures = 0;
  for (size_t i = 0; i < 2000; ++i) {
    SpecCase c = ins.cases[i % ins.count];
    if (i >= ins.count) {
      for (uint64_t& w : c.a) w = RandomWord(rng);
      // Addresses beyond the page are clamped by Memory::At; lane immediates are masked by
      // the functions themselves, so any values are safe.
      if (rng() % 2) c.a[0] = rng() % kMemSize;
      c.offset = 0;
      c.load_offset = 0;
      for (uint8_t& l : c.imm) l = static_cast<uint8_t>(rng() % 32);
    }
    Got a = ins.native(c, m1), b = ins.portable(c, m2);
    bool same = (a.lo == b.lo && a.hi == b.hi) ||
                (IsNaNLanes(a.lo, b.lo, 32) && IsNaNLanes(a.hi, b.hi, 32)) ||
                (IsNaNLanes(a.lo, b.lo, 64) && IsNaNLanes(a.hi, b.hi, 64));
    if (!same && ++failures <= 3) {
      ADD_FAILURE() << ins.name << " input " << Hex(c.a[0], c.a[1]) << " " << Hex(c.a[2], c.a[3])
                    << " " << Hex(c.a[4], c.a[5]) << ": native " << Hex(a.lo, a.hi)
                    << ", portable " << Hex(b.lo, b.hi);
    }
  }
  if (m1.bytes != m2.bytes) {
    ++failures;
    ADD_FAILURE() << ins.name << ": memory differs";
  }
  return failures;
}

}  // namespace

#include "interp/simd_spec.inc"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace {

const bool g_init = [] {
  g_files = kSpecFiles;
  g_mems = kSpecMems;
  return true;
}();

TEST(SimdSpec, AllInstructions) { RunSpecAll(/*portable=*/false); }

TEST(SimdSpecPortable, AllInstructions) { RunSpecAll(/*portable=*/true); }

TEST(SimdDifferential, NativeMatchesPortable) {
  int failed = 0;
  for (const Instruction& ins : Registry()) failed += RunDifferential(ins);
  EXPECT_EQ(failed, 0);
}

namespace simd = native_simd;

V128 Bytes(std::initializer_list<int> b) {
  uint8_t x[16] = {};
  int i = 0;
  for (int v : b) x[i++] = static_cast<uint8_t>(v);
  V128 r;
  std::memcpy(&r, x, 16);
  return r;
}

TEST(SimdEdge, LaneImmediatesAreMaskedNotOverrun) {
  V128 v = Bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  EXPECT_EQ(simd::I8x16ExtractLaneU(v, 17), 1u);
  EXPECT_EQ(simd::I16x8ExtractLaneU(v, 9), 0x0302u);
  uint8_t lanes[16] = {255, 32, 33, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  V128 s = simd::I8x16Shuffle(v, v, lanes);
  EXPECT_EQ(s.lo & 0xffffff, 0x01000fu);
}

TEST(SimdEdge, IntegerCornerCases) {
  EXPECT_EQ(simd::I32x4Abs({0x8000000080000000ull, 0xffffffff00000001ull}).lo, 0x8000000080000000ull);
  EXPECT_EQ(simd::I32x4Abs({0, 0xffffffff00000001ull}).hi, 0x0000000100000001ull);
  // q15mulr: only -32768 * -32768 saturates.
  EXPECT_EQ(simd::I16x8Q15mulrSatS(simd::I16x8Splat(0x8000), simd::I16x8Splat(0x8000)).lo,
            0x7fff7fff7fff7fffull);
  // dot: the single overflowing case wraps to INT32_MIN.
  EXPECT_EQ(simd::I32x4DotI16x8S(simd::I16x8Splat(0x8000), simd::I16x8Splat(0x8000)).lo,
            0x8000000080000000ull);
  EXPECT_EQ(simd::I8x16Bitmask(Bytes({0x80, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80})), 0x8005u);
  EXPECT_EQ(simd::I16x8Bitmask({0x8000000000008000ull, 0x8000ull}), 0x19u);
  EXPECT_EQ(simd::I8x16Shl(simd::I8x16Splat(1), 9).lo, 0x0202020202020202ull);
  EXPECT_EQ(simd::I64x2ShrS({0x8000000000000000ull, 1}, 65).lo, 0xc000000000000000ull);
}

TEST(SimdEdge, FloatSignOpsKeepNaNPayloads) {
  V128 snan = simd::F32x4Splat(std::bit_cast<float>(0x7fa00001u));
  EXPECT_EQ(simd::F32x4Neg(snan).lo, 0xffa00001ffa00001ull);
  EXPECT_EQ(simd::F32x4Abs(simd::F32x4Neg(snan)).lo, snan.lo);
  // pmin/pmax return the first operand unchanged when either is NaN.
  V128 one = simd::F32x4Splat(1.0f);
  EXPECT_EQ(simd::F32x4Pmin(snan, one).lo, snan.lo);
  EXPECT_EQ(simd::F32x4Pmax(one, snan).lo, one.lo);
  // min/max order -0 < +0 whatever the operand order.
  V128 pz = simd::F64x2Splat(0.0), nz = simd::F64x2Splat(-0.0);
  EXPECT_EQ(simd::F64x2Min(pz, nz).lo, nz.lo);
  EXPECT_EQ(simd::F64x2Min(nz, pz).lo, nz.lo);
  EXPECT_EQ(simd::F64x2Max(nz, pz).lo, pz.lo);
  EXPECT_EQ(simd::F64x2Max(pz, nz).lo, pz.lo);
}

TEST(SimdEdge, RoundingHalfEvenAndSignedZero) {
  V128 v = simd::F32x4ReplaceLane(simd::F32x4Splat(2.5f), 1, -0.5f);
  v = simd::F32x4ReplaceLane(v, 2, 8388609.0f);
  v = simd::F32x4ReplaceLane(v, 3, -1.5f);
  V128 n = simd::F32x4Nearest(v);
  EXPECT_EQ(simd::F32x4ExtractLane(n, 0), 2.0f);
  EXPECT_EQ(std::bit_cast<uint32_t>(simd::F32x4ExtractLane(n, 1)), 0x80000000u);
  EXPECT_EQ(simd::F32x4ExtractLane(n, 2), 8388609.0f);
  EXPECT_EQ(simd::F32x4ExtractLane(n, 3), -2.0f);
  EXPECT_EQ(std::bit_cast<uint32_t>(simd::F32x4ExtractLane(simd::F32x4Ceil(v), 1)), 0x80000000u);
  EXPECT_EQ(simd::F32x4ExtractLane(simd::F32x4Floor(v), 3), -2.0f);
  EXPECT_EQ(simd::F32x4ExtractLane(simd::F32x4Trunc(v), 3), -1.0f);
}

TEST(SimdEdge, TruncSatSaturatesAndMapsNaNToZero) {
  V128 v = simd::F64x2ReplaceLane(simd::F64x2Splat(4294967296.0), 1, std::bit_cast<double>(0x7ff8000000000001ull));
  EXPECT_EQ(simd::I32x4TruncSatF64x2UZero(v).lo, 0x00000000ffffffffull);
  EXPECT_EQ(simd::I32x4TruncSatF64x2UZero(v).hi, 0u);
  EXPECT_EQ(simd::I32x4TruncSatF64x2SZero(simd::F64x2Splat(-3e9)).lo, 0x8000000080000000ull);
  EXPECT_EQ(simd::I32x4TruncSatF32x4U(simd::F32x4Splat(-0.9f)).lo, 0u);
  auto u_zero = [](double x, double y) {
    return simd::I32x4TruncSatF64x2UZero(simd::F64x2ReplaceLane(simd::F64x2Splat(x), 1, y)).lo;
  };
  EXPECT_EQ(u_zero(0.5, 1.5), 0x0000000100000000ull);
  EXPECT_EQ(u_zero(2.5, 4294967294.9), 0xfffffffe00000002ull);
  EXPECT_EQ(u_zero(4294967295.5, -0.9), 0x00000000ffffffffull);
  EXPECT_EQ(u_zero(2147483648.5, 3.999999), 0x0000000380000000ull);
}

TEST(SimdEdge, LaneStoresWriteOnlyTheirBytes) {
  uint8_t mem[16];
  std::memset(mem, 0xee, sizeof mem);
  simd::V128Store16Lane(mem + 1, Bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}), 3);
  EXPECT_EQ(mem[0], 0xee);
  EXPECT_EQ(mem[1], 6);
  EXPECT_EQ(mem[2], 7);
  EXPECT_EQ(mem[3], 0xee);
}

}  // namespace
