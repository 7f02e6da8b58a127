// Semantics of the scalar (non-SIMD) WebAssembly instructions, one inline function per
// opcodes.def entry, named as there; the interpreter's generic handlers call ops::Name. SIMD
// names resolve to interp/simd.h through the using-directive below. Trapping instructions
// also have a Check<Op::kName> specialisation returning the trap (kNone when the operation is
// defined), evaluated before the operation itself.
// Invariants: exact IEEE semantics; NaN results are arithmetic NaNs as the spec allows.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "interp/simd.h"
#include "runtime/trap.h"
#include "wasm/code_validator_impl.h"

namespace weft::interp::ops {

using namespace weft::interp::simd;  // NOLINT: SIMD semantics share the ops:: namespace.
using runtime::TrapCode;
using wasm::Op;

// Trap checks (default: never traps).
template <Op op, typename... A>
inline TrapCode Check(A...) {
  return TrapCode::kNone;
}

#define WEFT_DIV_CHECKS(T, S, DivS, DivU, RemS, RemU)                                     \
  template <>                                                                            \
  inline TrapCode Check<Op::DivS>(T a, T b) {                                            \
    if (b == 0) return TrapCode::kIntegerDivideByZero;                                   \
    if (static_cast<S>(a) == std::numeric_limits<S>::min() && static_cast<S>(b) == -1) { \
      return TrapCode::kIntegerOverflow;                                                 \
    }                                                                                    \
    return TrapCode::kNone;                                                              \
  }                                                                                      \
  template <>                                                                            \
  inline TrapCode Check<Op::DivU>(T, T b) {                                              \
    return b == 0 ? TrapCode::kIntegerDivideByZero : TrapCode::kNone;                    \
  }                                                                                      \
  template <>                                                                            \
  inline TrapCode Check<Op::RemS>(T, T b) {                                              \
    return b == 0 ? TrapCode::kIntegerDivideByZero : TrapCode::kNone;                    \
  }                                                                                      \
  template <>                                                                            \
  inline TrapCode Check<Op::RemU>(T, T b) {                                              \
    return b == 0 ? TrapCode::kIntegerDivideByZero : TrapCode::kNone;                    \
  }
WEFT_DIV_CHECKS(uint32_t, int32_t, kI32DivS, kI32DivU, kI32RemS, kI32RemU)
WEFT_DIV_CHECKS(uint64_t, int64_t, kI64DivS, kI64DivU, kI64RemS, kI64RemU)
#undef WEFT_DIV_CHECKS

// Float -> int truncation: `lo` and `hi` are the exclusive bounds of the source values whose
// truncation is representable.
#define WEFT_TRUNC_CHECK(OP, F, LO, HI)                   \
  template <>                                             \
  inline TrapCode Check<Op::OP>(F x) {                    \
    if (std::isnan(x)) return TrapCode::kInvalidConversion; \
    if (!(x > (LO) && x < (HI))) return TrapCode::kIntegerOverflow; \
    return TrapCode::kNone;                               \
  }
WEFT_TRUNC_CHECK(kI32TruncF32S, float, -2147483904.0f, 2147483648.0f)
WEFT_TRUNC_CHECK(kI32TruncF32U, float, -1.0f, 4294967296.0f)
WEFT_TRUNC_CHECK(kI32TruncF64S, double, -2147483649.0, 2147483648.0)
WEFT_TRUNC_CHECK(kI32TruncF64U, double, -1.0, 4294967296.0)
WEFT_TRUNC_CHECK(kI64TruncF32S, float, -9223373136366403584.0f, 9223372036854775808.0f)
WEFT_TRUNC_CHECK(kI64TruncF32U, float, -1.0f, 18446744073709551616.0f)
WEFT_TRUNC_CHECK(kI64TruncF64S, double, -9223372036854777856.0, 9223372036854775808.0)
WEFT_TRUNC_CHECK(kI64TruncF64U, double, -1.0, 18446744073709551616.0)
#undef WEFT_TRUNC_CHECK

using u32 = uint32_t;
using u64 = uint64_t;
using s32 = int32_t;
using s64 = int64_t;

// i32
inline u32 I32Eqz(u32 a) { return a == 0; }
inline u32 I32Eq(u32 a, u32 b) { return a == b; }
inline u32 I32Ne(u32 a, u32 b) { return a != b; }
inline u32 I32LtS(u32 a, u32 b) { return s32(a) < s32(b); }
inline u32 I32LtU(u32 a, u32 b) { return a < b; }
inline u32 I32GtS(u32 a, u32 b) { return s32(a) > s32(b); }
inline u32 I32GtU(u32 a, u32 b) { return a > b; }
inline u32 I32LeS(u32 a, u32 b) { return s32(a) <= s32(b); }
inline u32 I32LeU(u32 a, u32 b) { return a <= b; }
inline u32 I32GeS(u32 a, u32 b) { return s32(a) >= s32(b); }
inline u32 I32GeU(u32 a, u32 b) { return a >= b; }
inline u32 I32Clz(u32 a) { return std::countl_zero(a); }
inline u32 I32Ctz(u32 a) { return std::countr_zero(a); }
inline u32 I32Popcnt(u32 a) { return std::popcount(a); }
inline u32 I32Add(u32 a, u32 b) { return a + b; }
inline u32 I32Sub(u32 a, u32 b) { return a - b; }
inline u32 I32Mul(u32 a, u32 b) { return a * b; }
inline u32 I32DivS(u32 a, u32 b) { return u32(s32(a) / s32(b)); }
inline u32 I32DivU(u32 a, u32 b) { return a / b; }
inline u32 I32RemS(u32 a, u32 b) { return s32(b) == -1 ? 0 : u32(s32(a) % s32(b)); }
inline u32 I32RemU(u32 a, u32 b) { return a % b; }
inline u32 I32And(u32 a, u32 b) { return a & b; }
inline u32 I32Or(u32 a, u32 b) { return a | b; }
inline u32 I32Xor(u32 a, u32 b) { return a ^ b; }
inline u32 I32Shl(u32 a, u32 b) { return a << (b & 31); }
inline u32 I32ShrS(u32 a, u32 b) { return u32(s32(a) >> (b & 31)); }
inline u32 I32ShrU(u32 a, u32 b) { return a >> (b & 31); }
inline u32 I32Rotl(u32 a, u32 b) { return std::rotl(a, int(b & 31)); }
inline u32 I32Rotr(u32 a, u32 b) { return std::rotr(a, int(b & 31)); }

// i64
inline u32 I64Eqz(u64 a) { return a == 0; }
inline u32 I64Eq(u64 a, u64 b) { return a == b; }
inline u32 I64Ne(u64 a, u64 b) { return a != b; }
inline u32 I64LtS(u64 a, u64 b) { return s64(a) < s64(b); }
inline u32 I64LtU(u64 a, u64 b) { return a < b; }
inline u32 I64GtS(u64 a, u64 b) { return s64(a) > s64(b); }
inline u32 I64GtU(u64 a, u64 b) { return a > b; }
inline u32 I64LeS(u64 a, u64 b) { return s64(a) <= s64(b); }
inline u32 I64LeU(u64 a, u64 b) { return a <= b; }
inline u32 I64GeS(u64 a, u64 b) { return s64(a) >= s64(b); }
inline u32 I64GeU(u64 a, u64 b) { return a >= b; }
inline u64 I64Clz(u64 a) { return std::countl_zero(a); }
inline u64 I64Ctz(u64 a) { return std::countr_zero(a); }
inline u64 I64Popcnt(u64 a) { return std::popcount(a); }
inline u64 I64Add(u64 a, u64 b) { return a + b; }
inline u64 I64Sub(u64 a, u64 b) { return a - b; }
inline u64 I64Mul(u64 a, u64 b) { return a * b; }
inline u64 I64DivS(u64 a, u64 b) { return u64(s64(a) / s64(b)); }
inline u64 I64DivU(u64 a, u64 b) { return a / b; }
inline u64 I64RemS(u64 a, u64 b) { return s64(b) == -1 ? 0 : u64(s64(a) % s64(b)); }
inline u64 I64RemU(u64 a, u64 b) { return a % b; }
inline u64 I64And(u64 a, u64 b) { return a & b; }
inline u64 I64Or(u64 a, u64 b) { return a | b; }
inline u64 I64Xor(u64 a, u64 b) { return a ^ b; }
inline u64 I64Shl(u64 a, u64 b) { return a << (b & 63); }
inline u64 I64ShrS(u64 a, u64 b) { return u64(s64(a) >> (b & 63)); }
inline u64 I64ShrU(u64 a, u64 b) { return a >> (b & 63); }
inline u64 I64Rotl(u64 a, u64 b) { return std::rotl(a, int(b & 63)); }
inline u64 I64Rotr(u64 a, u64 b) { return std::rotr(a, int(b & 63)); }

// Floats. min/max: NaN if either operand is NaN, and -0 < +0. Rounding functions quiet a
// signalling NaN explicitly (a + a): inlined expansions of std::floor may return it unchanged.
template <typename F>
inline F FMin(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
template <typename F>
inline F FMax(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
inline float F32Abs(float a) { return std::bit_cast<float>(std::bit_cast<u32>(a) & 0x7fffffffu); }
inline float F32Neg(float a) { return std::bit_cast<float>(std::bit_cast<u32>(a) ^ 0x80000000u); }
inline float F32Copysign(float a, float b) {
  return std::bit_cast<float>((std::bit_cast<u32>(a) & 0x7fffffffu) |
                              (std::bit_cast<u32>(b) & 0x80000000u));
}
inline double F64Abs(double a) {
  return std::bit_cast<double>(std::bit_cast<u64>(a) & 0x7fffffffffffffffull);
}
inline double F64Neg(double a) {
  return std::bit_cast<double>(std::bit_cast<u64>(a) ^ 0x8000000000000000ull);
}
inline double F64Copysign(double a, double b) {
  return std::bit_cast<double>((std::bit_cast<u64>(a) & 0x7fffffffffffffffull) |
                               (std::bit_cast<u64>(b) & 0x8000000000000000ull));
}
inline float F32Ceil(float a) { return std::isnan(a) ? a + a : std::ceil(a); }
inline float F32Floor(float a) { return std::isnan(a) ? a + a : std::floor(a); }
inline float F32Trunc(float a) { return std::isnan(a) ? a + a : std::trunc(a); }
inline float F32Nearest(float a) { return std::isnan(a) ? a + a : std::nearbyint(a); }
inline float F32Sqrt(float a) { return std::sqrt(a); }
inline float F32Add(float a, float b) { return a + b; }
inline float F32Sub(float a, float b) { return a - b; }
inline float F32Mul(float a, float b) { return a * b; }
inline float F32Div(float a, float b) { return a / b; }
inline float F32Min(float a, float b) { return FMin(a, b); }
inline float F32Max(float a, float b) { return FMax(a, b); }
inline double F64Ceil(double a) { return std::isnan(a) ? a + a : std::ceil(a); }
inline double F64Floor(double a) { return std::isnan(a) ? a + a : std::floor(a); }
inline double F64Trunc(double a) { return std::isnan(a) ? a + a : std::trunc(a); }
inline double F64Nearest(double a) { return std::isnan(a) ? a + a : std::nearbyint(a); }
inline double F64Sqrt(double a) { return std::sqrt(a); }
inline double F64Add(double a, double b) { return a + b; }
inline double F64Sub(double a, double b) { return a - b; }
inline double F64Mul(double a, double b) { return a * b; }
inline double F64Div(double a, double b) { return a / b; }
inline double F64Min(double a, double b) { return FMin(a, b); }
inline double F64Max(double a, double b) { return FMax(a, b); }
inline u32 F32Eq(float a, float b) { return a == b; }
inline u32 F32Ne(float a, float b) { return a != b; }
inline u32 F32Lt(float a, float b) { return a < b; }
inline u32 F32Gt(float a, float b) { return a > b; }
inline u32 F32Le(float a, float b) { return a <= b; }
inline u32 F32Ge(float a, float b) { return a >= b; }
inline u32 F64Eq(double a, double b) { return a == b; }
inline u32 F64Ne(double a, double b) { return a != b; }
inline u32 F64Lt(double a, double b) { return a < b; }
inline u32 F64Gt(double a, double b) { return a > b; }
inline u32 F64Le(double a, double b) { return a <= b; }
inline u32 F64Ge(double a, double b) { return a >= b; }

// Conversions (trapping ones are guarded by Check above).
inline u32 I32WrapI64(u64 a) { return u32(a); }
inline u32 I32TruncF32S(float a) { return u32(s32(a)); }
inline u32 I32TruncF32U(float a) { return u32(a); }
inline u32 I32TruncF64S(double a) { return u32(s32(a)); }
inline u32 I32TruncF64U(double a) { return u32(a); }
inline u64 I64ExtendI32S(u32 a) { return u64(s64(s32(a))); }
inline u64 I64ExtendI32U(u32 a) { return a; }
inline u64 I64TruncF32S(float a) { return u64(s64(a)); }
inline u64 I64TruncF32U(float a) { return u64(a); }
inline u64 I64TruncF64S(double a) { return u64(s64(a)); }
inline u64 I64TruncF64U(double a) { return u64(a); }
inline float F32ConvertI32S(u32 a) { return float(s32(a)); }
inline float F32ConvertI32U(u32 a) { return float(a); }
inline float F32ConvertI64S(u64 a) { return float(s64(a)); }
inline float F32ConvertI64U(u64 a) { return float(a); }
inline float F32DemoteF64(double a) { return float(a); }
inline double F64ConvertI32S(u32 a) { return double(s32(a)); }
inline double F64ConvertI32U(u32 a) { return double(a); }
inline double F64ConvertI64S(u64 a) { return double(s64(a)); }
inline double F64ConvertI64U(u64 a) { return double(a); }
inline double F64PromoteF32(float a) { return double(a); }
inline u32 I32ReinterpretF32(float a) { return std::bit_cast<u32>(a); }
inline u64 I64ReinterpretF64(double a) { return std::bit_cast<u64>(a); }
inline float F32ReinterpretI32(u32 a) { return std::bit_cast<float>(a); }
inline double F64ReinterpretI64(u64 a) { return std::bit_cast<double>(a); }
inline u32 I32Extend8S(u32 a) { return u32(s32(int8_t(a))); }
inline u32 I32Extend16S(u32 a) { return u32(s32(int16_t(a))); }
inline u64 I64Extend8S(u64 a) { return u64(s64(int8_t(a))); }
inline u64 I64Extend16S(u64 a) { return u64(s64(int16_t(a))); }
inline u64 I64Extend32S(u64 a) { return u64(s64(int32_t(a))); }

// Saturating truncation: NaN -> 0, out of range -> the nearest bound.
template <typename I, typename F>
inline I TruncSat(F x) {
  if (std::isnan(x)) return 0;
  constexpr F lo = static_cast<F>(std::numeric_limits<I>::min());
  constexpr F hi = static_cast<F>(std::numeric_limits<I>::max());  // Rounds up to 2^N.
  if (x <= lo) return std::numeric_limits<I>::min();
  if (x >= hi) return std::numeric_limits<I>::max();
  return static_cast<I>(x);
}
inline u32 I32TruncSatF32S(float a) { return u32(TruncSat<s32>(a)); }
inline u32 I32TruncSatF32U(float a) { return TruncSat<u32>(a); }
inline u32 I32TruncSatF64S(double a) { return u32(TruncSat<s32>(a)); }
inline u32 I32TruncSatF64U(double a) { return TruncSat<u32>(a); }
inline u64 I64TruncSatF32S(float a) { return u64(TruncSat<s64>(a)); }
inline u64 I64TruncSatF32U(float a) { return TruncSat<u64>(a); }
inline u64 I64TruncSatF64S(double a) { return u64(TruncSat<s64>(a)); }
inline u64 I64TruncSatF64U(double a) { return TruncSat<u64>(a); }

// Memory accesses (little-endian hosts; `p` is bounds-checked by the caller).
template <typename T>
inline T LoadAs(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
inline void StoreAs(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}
inline u32 I32Load(const uint8_t* p) { return LoadAs<u32>(p); }
inline u64 I64Load(const uint8_t* p) { return LoadAs<u64>(p); }
inline float F32Load(const uint8_t* p) { return LoadAs<float>(p); }
inline double F64Load(const uint8_t* p) { return LoadAs<double>(p); }
inline u32 I32Load8S(const uint8_t* p) { return u32(s32(LoadAs<int8_t>(p))); }
inline u32 I32Load8U(const uint8_t* p) { return LoadAs<uint8_t>(p); }
inline u32 I32Load16S(const uint8_t* p) { return u32(s32(LoadAs<int16_t>(p))); }
inline u32 I32Load16U(const uint8_t* p) { return LoadAs<uint16_t>(p); }
inline u64 I64Load8S(const uint8_t* p) { return u64(s64(LoadAs<int8_t>(p))); }
inline u64 I64Load8U(const uint8_t* p) { return LoadAs<uint8_t>(p); }
inline u64 I64Load16S(const uint8_t* p) { return u64(s64(LoadAs<int16_t>(p))); }
inline u64 I64Load16U(const uint8_t* p) { return LoadAs<uint16_t>(p); }
inline u64 I64Load32S(const uint8_t* p) { return u64(s64(LoadAs<int32_t>(p))); }
inline u64 I64Load32U(const uint8_t* p) { return LoadAs<uint32_t>(p); }
inline void I32Store(uint8_t* p, u32 v) { StoreAs(p, v); }
inline void I64Store(uint8_t* p, u64 v) { StoreAs(p, v); }
inline void F32Store(uint8_t* p, float v) { StoreAs(p, v); }
inline void F64Store(uint8_t* p, double v) { StoreAs(p, v); }
inline void I32Store8(uint8_t* p, u32 v) { StoreAs(p, uint8_t(v)); }
inline void I32Store16(uint8_t* p, u32 v) { StoreAs(p, uint16_t(v)); }
inline void I64Store8(uint8_t* p, u64 v) { StoreAs(p, uint8_t(v)); }
inline void I64Store16(uint8_t* p, u64 v) { StoreAs(p, uint16_t(v)); }
inline void I64Store32(uint8_t* p, u64 v) { StoreAs(p, uint32_t(v)); }
inline V128 V128Load(const uint8_t* p) { return LoadAs<V128>(p); }
inline void V128Store(uint8_t* p, V128 v) { StoreAs(p, v); }

}  // namespace weft::interp::ops
