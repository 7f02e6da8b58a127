// Semantics of the WebAssembly 2.0 SIMD instructions (0xFD prefix, 128-bit vectors), one inline
// function per instruction, called by the interpreter's handlers (names and signatures: the
// contract in docs/simd.md). Invariants: results are exactly those of the spec (sections 4.3
// and 4.4.3), with NaN results canonical or arithmetic where the spec allows a choice; every
// function has a portable lane-by-lane form, and x86 SSE2/SSSE3/SSE4.1 intrinsics are used only
// when the compiler targets them (define WEFT_SIMD_PORTABLE to force the portable forms).
// Lane and shuffle immediates are masked to their range, so unvalidated input cannot overrun.
// Including this header again after defining WEFT_SIMD_PORTABLE adds the portable variant in
// its own inline namespace (the tests check both variants against the spec vectors).
#ifndef WEFT_INTERP_SIMD_H_COMMON
#define WEFT_INTERP_SIMD_H_COMMON

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace weft::interp::simd {

static_assert(std::endian::native == std::endian::little,
              "simd.h maps lanes with memcpy; big-endian hosts need byte swapping");

/// A 128-bit vector: byte i is byte i of the little-endian pair (lo, hi), the same layout as
/// two consecutive 64-bit operand slots, low half first.
struct V128 {
  uint64_t lo;
  uint64_t hi;
};
static_assert(sizeof(V128) == 16 && std::is_trivially_copyable_v<V128>);

}  // namespace weft::interp::simd
#endif  // WEFT_INTERP_SIMD_H_COMMON

// Each variant lives in its own inline namespace so that translation units compiled with
// different target flags never violate the one-definition rule.
#undef WEFT_SIMD_SSE2
#undef WEFT_SIMD_SSSE3
#undef WEFT_SIMD_SSE41
#undef WEFT_SIMD_NS
#if !defined(WEFT_SIMD_PORTABLE) && defined(__SSE2__)
#define WEFT_SIMD_SSE2 1
#include <emmintrin.h>
#if defined(__SSSE3__)
#define WEFT_SIMD_SSSE3 1
#include <tmmintrin.h>
#endif
#if defined(__SSE4_1__)
#define WEFT_SIMD_SSE41 1
#include <smmintrin.h>
#endif
#endif

#if defined(WEFT_SIMD_SSE41)
#define WEFT_SIMD_NS sse41
#ifndef WEFT_INTERP_SIMD_H_SSE41
#define WEFT_INTERP_SIMD_H_SSE41
#define WEFT_SIMD_BODY
#endif
#elif defined(WEFT_SIMD_SSSE3)
#define WEFT_SIMD_NS ssse3
#ifndef WEFT_INTERP_SIMD_H_SSSE3
#define WEFT_INTERP_SIMD_H_SSSE3
#define WEFT_SIMD_BODY
#endif
#elif defined(WEFT_SIMD_SSE2)
#define WEFT_SIMD_NS sse2
#ifndef WEFT_INTERP_SIMD_H_SSE2
#define WEFT_INTERP_SIMD_H_SSE2
#define WEFT_SIMD_BODY
#endif
#else
#define WEFT_SIMD_NS portable
#ifndef WEFT_INTERP_SIMD_H_PORTABLE
#define WEFT_INTERP_SIMD_H_PORTABLE
#define WEFT_SIMD_BODY
#endif
#endif

#ifdef WEFT_SIMD_BODY
#undef WEFT_SIMD_BODY

namespace weft::interp::simd {
inline namespace WEFT_SIMD_NS {

namespace detail {

// Lane views. Converting through memcpy keeps the code free of aliasing issues; compilers turn
// the copies into register moves and vectorise the fixed-count loops below.
template <typename T>
struct Lanes {
  static constexpr int kN = 16 / sizeof(T);
  T v[kN];
};

template <typename T>
inline Lanes<T> Get(V128 x) {
  Lanes<T> r;
  std::memcpy(r.v, &x, 16);
  return r;
}

template <typename T>
inline V128 Put(const Lanes<T>& l) {
  V128 r;
  std::memcpy(&r, l.v, 16);
  return r;
}

template <typename T, typename F>
inline V128 Map1(V128 a, F f) {
  Lanes<T> x = Get<T>(a), r;
  for (int i = 0; i < Lanes<T>::kN; ++i) r.v[i] = static_cast<T>(f(x.v[i]));
  return Put(r);
}

template <typename T, typename F>
inline V128 Map2(V128 a, V128 b, F f) {
  Lanes<T> x = Get<T>(a), y = Get<T>(b), r;
  for (int i = 0; i < Lanes<T>::kN; ++i) r.v[i] = static_cast<T>(f(x.v[i], y.v[i]));
  return Put(r);
}

// Lane-wise predicate to an all-ones / all-zeros mask of the same lane width.
template <typename T, typename F>
inline V128 Cmp(V128 a, V128 b, F f) {
  using U = std::make_unsigned_t<
      std::conditional_t<std::is_floating_point_v<T>,
                         std::conditional_t<sizeof(T) == 4, int32_t, int64_t>, T>>;
  Lanes<T> x = Get<T>(a), y = Get<T>(b);
  Lanes<U> r;
  for (int i = 0; i < Lanes<T>::kN; ++i) r.v[i] = f(x.v[i], y.v[i]) ? static_cast<U>(~U{0}) : U{0};
  return Put(r);
}

template <typename T>
inline T Sat(int64_t v) {
  constexpr int64_t lo = std::numeric_limits<T>::min();
  constexpr int64_t hi = std::numeric_limits<T>::max();
  return static_cast<T>(v < lo ? lo : (v > hi ? hi : v));
}

// Widening: lanes of half width `From` starting at lane `first` become lanes of type `To`.
template <typename To, typename From>
inline V128 Extend(V128 a, int first) {
  Lanes<From> x = Get<From>(a);
  Lanes<To> r;
  for (int i = 0; i < Lanes<To>::kN; ++i) r.v[i] = static_cast<To>(x.v[first + i]);
  return Put(r);
}

template <typename To, typename From>
inline V128 ExtMul(V128 a, V128 b, int first) {
  Lanes<From> x = Get<From>(a), y = Get<From>(b);
  Lanes<To> r;
  using Wide = std::conditional_t<std::is_signed_v<From>, int64_t, uint64_t>;
  for (int i = 0; i < Lanes<To>::kN; ++i)
    r.v[i] = static_cast<To>(static_cast<Wide>(x.v[first + i]) * static_cast<Wide>(y.v[first + i]));
  return Put(r);
}

template <typename To, typename From>
inline V128 ExtAddPairwise(V128 a) {
  Lanes<From> x = Get<From>(a);
  Lanes<To> r;
  for (int i = 0; i < Lanes<To>::kN; ++i)
    r.v[i] = static_cast<To>(static_cast<To>(x.v[2 * i]) + static_cast<To>(x.v[2 * i + 1]));
  return Put(r);
}

// Narrowing: signed lanes of `From` from a then b, saturated into `To`.
template <typename To, typename From>
inline V128 Narrow(V128 a, V128 b) {
  Lanes<From> x = Get<From>(a), y = Get<From>(b);
  Lanes<To> r;
  constexpr int n = Lanes<From>::kN;
  for (int i = 0; i < n; ++i) r.v[i] = Sat<To>(x.v[i]);
  for (int i = 0; i < n; ++i) r.v[n + i] = Sat<To>(y.v[i]);
  return Put(r);
}

template <typename T>
inline uint32_t Bitmask(V128 a) {
  using S = std::make_signed_t<T>;
  Lanes<S> x = Get<S>(a);
  uint32_t m = 0;
  for (int i = 0; i < Lanes<S>::kN; ++i) m |= static_cast<uint32_t>(x.v[i] < 0) << i;
  return m;
}

template <typename T>
inline uint32_t AllTrue(V128 a) {
  Lanes<T> x = Get<T>(a);
  bool all = true;
  for (int i = 0; i < Lanes<T>::kN; ++i) all &= x.v[i] != 0;
  return all ? 1 : 0;
}

template <typename T>
inline uint32_t Lane(uint32_t lane) {
  return lane & (Lanes<T>::kN - 1);
}

template <typename T>
inline T Extract(V128 v, uint32_t lane) {
  T r;
  std::memcpy(&r, reinterpret_cast<const unsigned char*>(&v) + Lane<T>(lane) * sizeof(T), sizeof(T));
  return r;
}

template <typename T>
inline V128 Replace(V128 v, uint32_t lane, T x) {
  std::memcpy(reinterpret_cast<unsigned char*>(&v) + Lane<T>(lane) * sizeof(T), &x, sizeof(T));
  return v;
}

template <typename T>
inline V128 Splat(T x) {
  Lanes<T> r;
  for (int i = 0; i < Lanes<T>::kN; ++i) r.v[i] = x;
  return Put(r);
}

template <typename T>
inline T Load(const uint8_t* p) {
  T r;
  std::memcpy(&r, p, sizeof(T));
  return r;
}

// Loads kN/2 lanes of `From` and widens them to `To`.
template <typename To, typename From>
inline V128 LoadExtend(const uint8_t* p) {
  Lanes<To> r;
  for (int i = 0; i < Lanes<To>::kN; ++i) r.v[i] = static_cast<To>(Load<From>(p + i * sizeof(From)));
  return Put(r);
}

// ---- Floating point helpers (spec 4.3.3). ----

template <typename F>
struct FBits;
template <>
struct FBits<float> {
  using U = uint32_t;
  static constexpr U kSign = 0x80000000u;
  static constexpr U kCanonicalNaN = 0x7fc00000u;
  static constexpr float kTwoPowMant = 8388608.0f;  // 2^23: every float >= this is integral.
};
template <>
struct FBits<double> {
  using U = uint64_t;
  static constexpr U kSign = 0x8000000000000000ull;
  static constexpr U kCanonicalNaN = 0x7ff8000000000000ull;
  static constexpr double kTwoPowMant = 4503599627370496.0;  // 2^52
};

template <typename F>
inline typename FBits<F>::U ToBits(F f) {
  return std::bit_cast<typename FBits<F>::U>(f);
}
template <typename F>
inline F FromBits(typename FBits<F>::U u) {
  return std::bit_cast<F>(u);
}

// fmin: NaN if either is NaN (canonical NaN is always an allowed result), -0 < +0.
template <typename F>
inline F FMin(F a, F b) {
  if (a != a || b != b) return FromBits<F>(FBits<F>::kCanonicalNaN);
  if (a == b) return FromBits<F>(ToBits(a) | ToBits(b));  // -0 wins over +0
  return a < b ? a : b;
}

template <typename F>
inline F FMax(F a, F b) {
  if (a != a || b != b) return FromBits<F>(FBits<F>::kCanonicalNaN);
  if (a == b) return FromBits<F>(ToBits(a) & ToBits(b));  // +0 wins over -0
  return a > b ? a : b;
}

template <typename F>
inline F FAbs(F a) {
  return FromBits<F>(ToBits(a) & ~FBits<F>::kSign);
}
template <typename F>
inline F FNeg(F a) {
  return FromBits<F>(ToBits(a) ^ FBits<F>::kSign);
}
template <typename F>
inline F FCopySign(F mag, F sign) {
  return FromBits<F>((ToBits(mag) & ~FBits<F>::kSign) | (ToBits(sign) & FBits<F>::kSign));
}

// Round half to even without libm: adding and subtracting 2^mantissa rounds in the default
// rounding mode, which wasm fixes as round-to-nearest-even. NaN inputs are quieted by x + x.
template <typename F>
inline F FNearest(F x) {
  if (x != x) return x + x;
  F ax = FAbs(x);
  if (!(ax < FBits<F>::kTwoPowMant)) return x;
  F r = (ax + FBits<F>::kTwoPowMant) - FBits<F>::kTwoPowMant;
  return FCopySign(r, x);
}

template <typename F>
inline F FTrunc(F x) {
  if (x != x) return x + x;
  F ax = FAbs(x);
  if (!(ax < FBits<F>::kTwoPowMant)) return x;
  F r = FNearest(ax);
  if (r > ax) r -= F(1);
  return FCopySign(r, x);
}

template <typename F>
inline F FCeil(F x) {
  if (x != x) return x + x;
  if (!(FAbs(x) < FBits<F>::kTwoPowMant)) return x;
  F r = FNearest(x);
  if (r < x) r += F(1);
  return FCopySign(r, x);  // ceil(-0.5) is -0
}

template <typename F>
inline F FFloor(F x) {
  if (x != x) return x + x;
  if (!(FAbs(x) < FBits<F>::kTwoPowMant)) return x;
  F r = FNearest(x);
  if (r > x) r -= F(1);
  return FCopySign(r, x);  // floor(+0.5) is +0
}

// trunc_sat: NaN -> 0, out of range -> the nearest bound.
template <typename I, typename F>
inline I TruncSat(F x) {
  if (x != x) return 0;
  // Both bounds are exact powers of two (or zero) in F.
  constexpr F lo = std::is_signed_v<I> ? -static_cast<F>(uint64_t{1} << (sizeof(I) * 8 - 1)) : F(0);
  constexpr F hi = std::is_signed_v<I> ? static_cast<F>(uint64_t{1} << (sizeof(I) * 8 - 1))
                                       : static_cast<F>(uint64_t{1} << (sizeof(I) * 8 - 1)) * F(2);
  if (x <= lo) return std::numeric_limits<I>::min();
  if (x >= hi) return std::numeric_limits<I>::max();
  return static_cast<I>(x);
}

#ifdef WEFT_SIMD_SSE2
inline __m128i ToI(V128 v) {
  __m128i r;
  std::memcpy(&r, &v, 16);
  return r;
}
inline __m128 ToF(V128 v) {
  __m128 r;
  std::memcpy(&r, &v, 16);
  return r;
}
inline __m128d ToD(V128 v) {
  __m128d r;
  std::memcpy(&r, &v, 16);
  return r;
}
inline V128 FromI(__m128i m) {
  V128 r;
  std::memcpy(&r, &m, 16);
  return r;
}
inline V128 FromF(__m128 m) {
  V128 r;
  std::memcpy(&r, &m, 16);
  return r;
}
inline V128 FromD(__m128d m) {
  V128 r;
  std::memcpy(&r, &m, 16);
  return r;
}
#endif

}  // namespace detail

// ======================================================================================
// Bitwise
// ======================================================================================

inline V128 V128Not(V128 a) { return {~a.lo, ~a.hi}; }
inline V128 V128And(V128 a, V128 b) { return {a.lo & b.lo, a.hi & b.hi}; }
inline V128 V128Andnot(V128 a, V128 b) { return {a.lo & ~b.lo, a.hi & ~b.hi}; }
inline V128 V128Or(V128 a, V128 b) { return {a.lo | b.lo, a.hi | b.hi}; }
inline V128 V128Xor(V128 a, V128 b) { return {a.lo ^ b.lo, a.hi ^ b.hi}; }
/// Bits of a where c is 1, of b where c is 0.
inline V128 V128Bitselect(V128 a, V128 b, V128 c) {
  return {(a.lo & c.lo) | (b.lo & ~c.lo), (a.hi & c.hi) | (b.hi & ~c.hi)};
}
inline uint32_t V128AnyTrue(V128 a) { return (a.lo | a.hi) != 0 ? 1 : 0; }

// ======================================================================================
// Splat, extract_lane, replace_lane, shuffle, swizzle
// ======================================================================================

inline V128 I8x16Splat(uint32_t x) {
  uint64_t w = 0x0101010101010101ull * static_cast<uint8_t>(x);
  return {w, w};
}
inline V128 I16x8Splat(uint32_t x) {
  uint64_t w = 0x0001000100010001ull * static_cast<uint16_t>(x);
  return {w, w};
}
inline V128 I32x4Splat(uint32_t x) {
  uint64_t w = 0x0000000100000001ull * x;
  return {w, w};
}
inline V128 I64x2Splat(uint64_t x) { return {x, x}; }
inline V128 F32x4Splat(float x) { return I32x4Splat(std::bit_cast<uint32_t>(x)); }
inline V128 F64x2Splat(double x) { return I64x2Splat(std::bit_cast<uint64_t>(x)); }

inline uint32_t I8x16ExtractLaneS(V128 v, uint32_t lane) {
  return static_cast<uint32_t>(static_cast<int32_t>(detail::Extract<int8_t>(v, lane)));
}
inline uint32_t I8x16ExtractLaneU(V128 v, uint32_t lane) { return detail::Extract<uint8_t>(v, lane); }
inline uint32_t I16x8ExtractLaneS(V128 v, uint32_t lane) {
  return static_cast<uint32_t>(static_cast<int32_t>(detail::Extract<int16_t>(v, lane)));
}
inline uint32_t I16x8ExtractLaneU(V128 v, uint32_t lane) {
  return detail::Extract<uint16_t>(v, lane);
}
inline uint32_t I32x4ExtractLane(V128 v, uint32_t lane) { return detail::Extract<uint32_t>(v, lane); }
inline uint64_t I64x2ExtractLane(V128 v, uint32_t lane) { return detail::Extract<uint64_t>(v, lane); }
inline float F32x4ExtractLane(V128 v, uint32_t lane) { return detail::Extract<float>(v, lane); }
inline double F64x2ExtractLane(V128 v, uint32_t lane) { return detail::Extract<double>(v, lane); }

inline V128 I8x16ReplaceLane(V128 v, uint32_t lane, uint32_t x) {
  return detail::Replace<uint8_t>(v, lane, static_cast<uint8_t>(x));
}
inline V128 I16x8ReplaceLane(V128 v, uint32_t lane, uint32_t x) {
  return detail::Replace<uint16_t>(v, lane, static_cast<uint16_t>(x));
}
inline V128 I32x4ReplaceLane(V128 v, uint32_t lane, uint32_t x) {
  return detail::Replace<uint32_t>(v, lane, x);
}
inline V128 I64x2ReplaceLane(V128 v, uint32_t lane, uint64_t x) {
  return detail::Replace<uint64_t>(v, lane, x);
}
inline V128 F32x4ReplaceLane(V128 v, uint32_t lane, float x) {
  return detail::Replace<float>(v, lane, x);
}
inline V128 F64x2ReplaceLane(V128 v, uint32_t lane, double x) {
  return detail::Replace<double>(v, lane, x);
}

/// `lanes` points at the instruction's 16 immediates; each selects byte (l & 31) of a ++ b.
inline V128 I8x16Shuffle(V128 a, V128 b, const uint8_t* lanes) {
  uint8_t ab[32], r[16];
  std::memcpy(ab, &a, 16);
  std::memcpy(ab + 16, &b, 16);
  for (int i = 0; i < 16; ++i) r[i] = ab[lanes[i] & 31];
  V128 out;
  std::memcpy(&out, r, 16);
  return out;
}

/// Byte i of the result is a[b[i]], or 0 when b[i] >= 16.
inline V128 I8x16Swizzle(V128 a, V128 b) {
#ifdef WEFT_SIMD_SSSE3
  // pshufb zeroes a lane when bit 7 of its index is set; saturating 112 pushes indices >= 16
  // there while keeping the low four bits of indices < 16.
  __m128i idx = _mm_adds_epu8(detail::ToI(b), _mm_set1_epi8(0x70));
  return detail::FromI(_mm_shuffle_epi8(detail::ToI(a), idx));
#else
  uint8_t x[16], y[16], r[16];
  std::memcpy(x, &a, 16);
  std::memcpy(y, &b, 16);
  for (int i = 0; i < 16; ++i) r[i] = y[i] < 16 ? x[y[i]] : 0;
  V128 out;
  std::memcpy(&out, r, 16);
  return out;
#endif
}

// ======================================================================================
// Integer comparisons
// ======================================================================================

#define WEFT_SIMD_CMP(Name, T, op)                                                 \
  inline V128 Name(V128 a, V128 b) {                                               \
    return detail::Cmp<T>(a, b, [](T x, T y) { return x op y; });                  \
  }
WEFT_SIMD_CMP(I8x16Eq, uint8_t, ==)
WEFT_SIMD_CMP(I8x16Ne, uint8_t, !=)
WEFT_SIMD_CMP(I8x16LtS, int8_t, <)
WEFT_SIMD_CMP(I8x16LtU, uint8_t, <)
WEFT_SIMD_CMP(I8x16GtS, int8_t, >)
WEFT_SIMD_CMP(I8x16GtU, uint8_t, >)
WEFT_SIMD_CMP(I8x16LeS, int8_t, <=)
WEFT_SIMD_CMP(I8x16LeU, uint8_t, <=)
WEFT_SIMD_CMP(I8x16GeS, int8_t, >=)
WEFT_SIMD_CMP(I8x16GeU, uint8_t, >=)
WEFT_SIMD_CMP(I16x8Eq, uint16_t, ==)
WEFT_SIMD_CMP(I16x8Ne, uint16_t, !=)
WEFT_SIMD_CMP(I16x8LtS, int16_t, <)
WEFT_SIMD_CMP(I16x8LtU, uint16_t, <)
WEFT_SIMD_CMP(I16x8GtS, int16_t, >)
WEFT_SIMD_CMP(I16x8GtU, uint16_t, >)
WEFT_SIMD_CMP(I16x8LeS, int16_t, <=)
WEFT_SIMD_CMP(I16x8LeU, uint16_t, <=)
WEFT_SIMD_CMP(I16x8GeS, int16_t, >=)
WEFT_SIMD_CMP(I16x8GeU, uint16_t, >=)
WEFT_SIMD_CMP(I32x4Eq, uint32_t, ==)
WEFT_SIMD_CMP(I32x4Ne, uint32_t, !=)
WEFT_SIMD_CMP(I32x4LtS, int32_t, <)
WEFT_SIMD_CMP(I32x4LtU, uint32_t, <)
WEFT_SIMD_CMP(I32x4GtS, int32_t, >)
WEFT_SIMD_CMP(I32x4GtU, uint32_t, >)
WEFT_SIMD_CMP(I32x4LeS, int32_t, <=)
WEFT_SIMD_CMP(I32x4LeU, uint32_t, <=)
WEFT_SIMD_CMP(I32x4GeS, int32_t, >=)
WEFT_SIMD_CMP(I32x4GeU, uint32_t, >=)
WEFT_SIMD_CMP(I64x2Eq, uint64_t, ==)
WEFT_SIMD_CMP(I64x2Ne, uint64_t, !=)
WEFT_SIMD_CMP(I64x2LtS, int64_t, <)
WEFT_SIMD_CMP(I64x2GtS, int64_t, >)
WEFT_SIMD_CMP(I64x2LeS, int64_t, <=)
WEFT_SIMD_CMP(I64x2GeS, int64_t, >=)
// Float comparisons are false for NaN operands except ne, as in C++.
WEFT_SIMD_CMP(F32x4Eq, float, ==)
WEFT_SIMD_CMP(F32x4Ne, float, !=)
WEFT_SIMD_CMP(F32x4Lt, float, <)
WEFT_SIMD_CMP(F32x4Gt, float, >)
WEFT_SIMD_CMP(F32x4Le, float, <=)
WEFT_SIMD_CMP(F32x4Ge, float, >=)
WEFT_SIMD_CMP(F64x2Eq, double, ==)
WEFT_SIMD_CMP(F64x2Ne, double, !=)
WEFT_SIMD_CMP(F64x2Lt, double, <)
WEFT_SIMD_CMP(F64x2Gt, double, >)
WEFT_SIMD_CMP(F64x2Le, double, <=)
WEFT_SIMD_CMP(F64x2Ge, double, >=)
#undef WEFT_SIMD_CMP

// ======================================================================================
// Integer arithmetic
// ======================================================================================

// Unsigned lane types make wrap-around defined; products of 16-bit lanes go through uint32_t
// so that int promotion cannot overflow.
inline V128 I8x16Add(V128 a, V128 b) {
  return detail::Map2<uint8_t>(a, b, [](uint8_t x, uint8_t y) { return x + y; });
}
inline V128 I8x16Sub(V128 a, V128 b) {
  return detail::Map2<uint8_t>(a, b, [](uint8_t x, uint8_t y) { return x - y; });
}
inline V128 I16x8Add(V128 a, V128 b) {
  return detail::Map2<uint16_t>(a, b, [](uint16_t x, uint16_t y) { return x + y; });
}
inline V128 I16x8Sub(V128 a, V128 b) {
  return detail::Map2<uint16_t>(a, b, [](uint16_t x, uint16_t y) { return x - y; });
}
inline V128 I16x8Mul(V128 a, V128 b) {
  return detail::Map2<uint16_t>(
      a, b, [](uint16_t x, uint16_t y) { return static_cast<uint32_t>(x) * static_cast<uint32_t>(y); });
}
inline V128 I32x4Add(V128 a, V128 b) {
  return detail::Map2<uint32_t>(a, b, [](uint32_t x, uint32_t y) { return x + y; });
}
inline V128 I32x4Sub(V128 a, V128 b) {
  return detail::Map2<uint32_t>(a, b, [](uint32_t x, uint32_t y) { return x - y; });
}
inline V128 I32x4Mul(V128 a, V128 b) {
  return detail::Map2<uint32_t>(a, b, [](uint32_t x, uint32_t y) { return x * y; });
}
inline V128 I64x2Add(V128 a, V128 b) { return {a.lo + b.lo, a.hi + b.hi}; }
inline V128 I64x2Sub(V128 a, V128 b) { return {a.lo - b.lo, a.hi - b.hi}; }
inline V128 I64x2Mul(V128 a, V128 b) { return {a.lo * b.lo, a.hi * b.hi}; }

inline V128 I8x16Neg(V128 a) {
  return detail::Map1<uint8_t>(a, [](uint8_t x) { return 0u - x; });
}
inline V128 I16x8Neg(V128 a) {
  return detail::Map1<uint16_t>(a, [](uint16_t x) { return 0u - x; });
}
inline V128 I32x4Neg(V128 a) {
  return detail::Map1<uint32_t>(a, [](uint32_t x) { return 0u - x; });
}
inline V128 I64x2Neg(V128 a) { return {0 - a.lo, 0 - a.hi}; }

// abs(INT_MIN) wraps to INT_MIN.
inline V128 I8x16Abs(V128 a) {
  return detail::Map1<uint8_t>(a, [](uint8_t x) { return x & 0x80 ? 0u - x : x; });
}
inline V128 I16x8Abs(V128 a) {
  return detail::Map1<uint16_t>(a, [](uint16_t x) { return x & 0x8000 ? 0u - x : x; });
}
inline V128 I32x4Abs(V128 a) {
  return detail::Map1<uint32_t>(a, [](uint32_t x) { return x >> 31 ? 0u - x : x; });
}
inline V128 I64x2Abs(V128 a) {
  return detail::Map1<uint64_t>(a, [](uint64_t x) { return x >> 63 ? 0 - x : x; });
}

inline V128 I8x16Popcnt(V128 a) {
  return detail::Map1<uint8_t>(a, [](uint8_t x) { return std::popcount(x); });
}

#define WEFT_SIMD_MINMAX(Min, Max, T)                                     \
  inline V128 Min(V128 a, V128 b) {                                        \
    return detail::Map2<T>(a, b, [](T x, T y) { return x < y ? x : y; });  \
  }                                                                        \
  inline V128 Max(V128 a, V128 b) {                                        \
    return detail::Map2<T>(a, b, [](T x, T y) { return x > y ? x : y; });  \
  }
WEFT_SIMD_MINMAX(I8x16MinS, I8x16MaxS, int8_t)
WEFT_SIMD_MINMAX(I8x16MinU, I8x16MaxU, uint8_t)
WEFT_SIMD_MINMAX(I16x8MinS, I16x8MaxS, int16_t)
WEFT_SIMD_MINMAX(I16x8MinU, I16x8MaxU, uint16_t)
WEFT_SIMD_MINMAX(I32x4MinS, I32x4MaxS, int32_t)
WEFT_SIMD_MINMAX(I32x4MinU, I32x4MaxU, uint32_t)
#undef WEFT_SIMD_MINMAX

inline V128 I8x16AvgrU(V128 a, V128 b) {
  return detail::Map2<uint8_t>(a, b, [](uint8_t x, uint8_t y) { return (x + y + 1u) >> 1; });
}
inline V128 I16x8AvgrU(V128 a, V128 b) {
  return detail::Map2<uint16_t>(a, b, [](uint16_t x, uint16_t y) { return (x + y + 1u) >> 1; });
}

// Saturating add/sub.
#ifdef WEFT_SIMD_SSE2
inline V128 I8x16AddSatS(V128 a, V128 b) {
  return detail::FromI(_mm_adds_epi8(detail::ToI(a), detail::ToI(b)));
}
inline V128 I8x16AddSatU(V128 a, V128 b) {
  return detail::FromI(_mm_adds_epu8(detail::ToI(a), detail::ToI(b)));
}
inline V128 I8x16SubSatS(V128 a, V128 b) {
  return detail::FromI(_mm_subs_epi8(detail::ToI(a), detail::ToI(b)));
}
inline V128 I8x16SubSatU(V128 a, V128 b) {
  return detail::FromI(_mm_subs_epu8(detail::ToI(a), detail::ToI(b)));
}
inline V128 I16x8AddSatS(V128 a, V128 b) {
  return detail::FromI(_mm_adds_epi16(detail::ToI(a), detail::ToI(b)));
}
inline V128 I16x8AddSatU(V128 a, V128 b) {
  return detail::FromI(_mm_adds_epu16(detail::ToI(a), detail::ToI(b)));
}
inline V128 I16x8SubSatS(V128 a, V128 b) {
  return detail::FromI(_mm_subs_epi16(detail::ToI(a), detail::ToI(b)));
}
inline V128 I16x8SubSatU(V128 a, V128 b) {
  return detail::FromI(_mm_subs_epu16(detail::ToI(a), detail::ToI(b)));
}
#else
inline V128 I8x16AddSatS(V128 a, V128 b) {
  return detail::Map2<int8_t>(a, b, [](int8_t x, int8_t y) { return detail::Sat<int8_t>(x + y); });
}
inline V128 I8x16AddSatU(V128 a, V128 b) {
  return detail::Map2<uint8_t>(a, b, [](uint8_t x, uint8_t y) { return detail::Sat<uint8_t>(x + y); });
}
inline V128 I8x16SubSatS(V128 a, V128 b) {
  return detail::Map2<int8_t>(a, b, [](int8_t x, int8_t y) { return detail::Sat<int8_t>(x - y); });
}
inline V128 I8x16SubSatU(V128 a, V128 b) {
  return detail::Map2<uint8_t>(a, b, [](uint8_t x, uint8_t y) { return detail::Sat<uint8_t>(x - y); });
}
inline V128 I16x8AddSatS(V128 a, V128 b) {
  return detail::Map2<int16_t>(a, b,
                               [](int16_t x, int16_t y) { return detail::Sat<int16_t>(x + y); });
}
inline V128 I16x8AddSatU(V128 a, V128 b) {
  return detail::Map2<uint16_t>(
      a, b, [](uint16_t x, uint16_t y) { return detail::Sat<uint16_t>(int64_t{x} + y); });
}
inline V128 I16x8SubSatS(V128 a, V128 b) {
  return detail::Map2<int16_t>(a, b,
                               [](int16_t x, int16_t y) { return detail::Sat<int16_t>(x - y); });
}
inline V128 I16x8SubSatU(V128 a, V128 b) {
  return detail::Map2<uint16_t>(
      a, b, [](uint16_t x, uint16_t y) { return detail::Sat<uint16_t>(int64_t{x} - y); });
}
#endif

/// Rounding Q15 multiply: (a * b + 2^14) >> 15, saturated (only -32768 * -32768 overflows).
inline V128 I16x8Q15mulrSatS(V128 a, V128 b) {
  return detail::Map2<int16_t>(a, b, [](int16_t x, int16_t y) {
    return detail::Sat<int16_t>((int32_t{x} * int32_t{y} + 0x4000) >> 15);
  });
}

/// Sum of adjacent products of signed 16-bit lanes; the only overflowing case wraps.
inline V128 I32x4DotI16x8S(V128 a, V128 b) {
#ifdef WEFT_SIMD_SSE2
  return detail::FromI(_mm_madd_epi16(detail::ToI(a), detail::ToI(b)));
#else
  detail::Lanes<int16_t> x = detail::Get<int16_t>(a), y = detail::Get<int16_t>(b);
  detail::Lanes<uint32_t> r;
  for (int i = 0; i < 4; ++i) {
    int64_t s = int64_t{x.v[2 * i]} * y.v[2 * i] + int64_t{x.v[2 * i + 1]} * y.v[2 * i + 1];
    r.v[i] = static_cast<uint32_t>(s);
  }
  return detail::Put(r);
#endif
}

// Shifts: the count is taken modulo the lane width.
inline V128 I8x16Shl(V128 a, uint32_t n) {
  n &= 7;
  return detail::Map1<uint8_t>(a, [n](uint8_t x) { return x << n; });
}
inline V128 I8x16ShrS(V128 a, uint32_t n) {
  n &= 7;
  return detail::Map1<int8_t>(a, [n](int8_t x) { return x >> n; });
}
inline V128 I8x16ShrU(V128 a, uint32_t n) {
  n &= 7;
  return detail::Map1<uint8_t>(a, [n](uint8_t x) { return x >> n; });
}
inline V128 I16x8Shl(V128 a, uint32_t n) {
  n &= 15;
  return detail::Map1<uint16_t>(a, [n](uint16_t x) { return static_cast<uint32_t>(x) << n; });
}
inline V128 I16x8ShrS(V128 a, uint32_t n) {
  n &= 15;
  return detail::Map1<int16_t>(a, [n](int16_t x) { return x >> n; });
}
inline V128 I16x8ShrU(V128 a, uint32_t n) {
  n &= 15;
  return detail::Map1<uint16_t>(a, [n](uint16_t x) { return x >> n; });
}
inline V128 I32x4Shl(V128 a, uint32_t n) {
  n &= 31;
  return detail::Map1<uint32_t>(a, [n](uint32_t x) { return x << n; });
}
inline V128 I32x4ShrS(V128 a, uint32_t n) {
  n &= 31;
  return detail::Map1<int32_t>(a, [n](int32_t x) { return x >> n; });
}
inline V128 I32x4ShrU(V128 a, uint32_t n) {
  n &= 31;
  return detail::Map1<uint32_t>(a, [n](uint32_t x) { return x >> n; });
}
inline V128 I64x2Shl(V128 a, uint32_t n) {
  n &= 63;
  return {a.lo << n, a.hi << n};
}
inline V128 I64x2ShrS(V128 a, uint32_t n) {
  n &= 63;
  return {static_cast<uint64_t>(static_cast<int64_t>(a.lo) >> n),
          static_cast<uint64_t>(static_cast<int64_t>(a.hi) >> n)};
}
inline V128 I64x2ShrU(V128 a, uint32_t n) {
  n &= 63;
  return {a.lo >> n, a.hi >> n};
}

// all_true / bitmask
inline uint32_t I8x16AllTrue(V128 a) { return detail::AllTrue<uint8_t>(a); }
inline uint32_t I16x8AllTrue(V128 a) { return detail::AllTrue<uint16_t>(a); }
inline uint32_t I32x4AllTrue(V128 a) { return detail::AllTrue<uint32_t>(a); }
inline uint32_t I64x2AllTrue(V128 a) { return (a.lo != 0 && a.hi != 0) ? 1 : 0; }

#ifdef WEFT_SIMD_SSE2
inline uint32_t I8x16Bitmask(V128 a) {
  return static_cast<uint32_t>(_mm_movemask_epi8(detail::ToI(a)));
}
inline uint32_t I16x8Bitmask(V128 a) {
  __m128i x = detail::ToI(a);
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(x, x))) & 0xff;
}
inline uint32_t I32x4Bitmask(V128 a) {
  return static_cast<uint32_t>(_mm_movemask_ps(detail::ToF(a)));
}
inline uint32_t I64x2Bitmask(V128 a) {
  return static_cast<uint32_t>(_mm_movemask_pd(detail::ToD(a)));
}
#else
inline uint32_t I8x16Bitmask(V128 a) { return detail::Bitmask<uint8_t>(a); }
inline uint32_t I16x8Bitmask(V128 a) { return detail::Bitmask<uint16_t>(a); }
inline uint32_t I32x4Bitmask(V128 a) { return detail::Bitmask<uint32_t>(a); }
inline uint32_t I64x2Bitmask(V128 a) {
  return static_cast<uint32_t>((a.lo >> 63) | ((a.hi >> 63) << 1));
}
#endif

// Narrowing (inputs are signed, saturated into the signed or unsigned narrow range).
#ifdef WEFT_SIMD_SSE2
inline V128 I8x16NarrowI16x8S(V128 a, V128 b) {
  return detail::FromI(_mm_packs_epi16(detail::ToI(a), detail::ToI(b)));
}
inline V128 I8x16NarrowI16x8U(V128 a, V128 b) {
  return detail::FromI(_mm_packus_epi16(detail::ToI(a), detail::ToI(b)));
}
inline V128 I16x8NarrowI32x4S(V128 a, V128 b) {
  return detail::FromI(_mm_packs_epi32(detail::ToI(a), detail::ToI(b)));
}
#else
inline V128 I8x16NarrowI16x8S(V128 a, V128 b) { return detail::Narrow<int8_t, int16_t>(a, b); }
inline V128 I8x16NarrowI16x8U(V128 a, V128 b) { return detail::Narrow<uint8_t, int16_t>(a, b); }
inline V128 I16x8NarrowI32x4S(V128 a, V128 b) { return detail::Narrow<int16_t, int32_t>(a, b); }
#endif
#ifdef WEFT_SIMD_SSE41
inline V128 I16x8NarrowI32x4U(V128 a, V128 b) {
  return detail::FromI(_mm_packus_epi32(detail::ToI(a), detail::ToI(b)));
}
#else
inline V128 I16x8NarrowI32x4U(V128 a, V128 b) { return detail::Narrow<uint16_t, int32_t>(a, b); }
#endif

// Extension (low = lanes 0..n/2-1, high = lanes n/2..n-1).
inline V128 I16x8ExtendLowI8x16S(V128 a) { return detail::Extend<int16_t, int8_t>(a, 0); }
inline V128 I16x8ExtendHighI8x16S(V128 a) { return detail::Extend<int16_t, int8_t>(a, 8); }
inline V128 I16x8ExtendLowI8x16U(V128 a) { return detail::Extend<uint16_t, uint8_t>(a, 0); }
inline V128 I16x8ExtendHighI8x16U(V128 a) { return detail::Extend<uint16_t, uint8_t>(a, 8); }
inline V128 I32x4ExtendLowI16x8S(V128 a) { return detail::Extend<int32_t, int16_t>(a, 0); }
inline V128 I32x4ExtendHighI16x8S(V128 a) { return detail::Extend<int32_t, int16_t>(a, 4); }
inline V128 I32x4ExtendLowI16x8U(V128 a) { return detail::Extend<uint32_t, uint16_t>(a, 0); }
inline V128 I32x4ExtendHighI16x8U(V128 a) { return detail::Extend<uint32_t, uint16_t>(a, 4); }
inline V128 I64x2ExtendLowI32x4S(V128 a) { return detail::Extend<int64_t, int32_t>(a, 0); }
inline V128 I64x2ExtendHighI32x4S(V128 a) { return detail::Extend<int64_t, int32_t>(a, 2); }
inline V128 I64x2ExtendLowI32x4U(V128 a) { return detail::Extend<uint64_t, uint32_t>(a, 0); }
inline V128 I64x2ExtendHighI32x4U(V128 a) { return detail::Extend<uint64_t, uint32_t>(a, 2); }

// Extended multiplication.
inline V128 I16x8ExtmulLowI8x16S(V128 a, V128 b) { return detail::ExtMul<int16_t, int8_t>(a, b, 0); }
inline V128 I16x8ExtmulHighI8x16S(V128 a, V128 b) { return detail::ExtMul<int16_t, int8_t>(a, b, 8); }
inline V128 I16x8ExtmulLowI8x16U(V128 a, V128 b) { return detail::ExtMul<uint16_t, uint8_t>(a, b, 0); }
inline V128 I16x8ExtmulHighI8x16U(V128 a, V128 b) { return detail::ExtMul<uint16_t, uint8_t>(a, b, 8); }
inline V128 I32x4ExtmulLowI16x8S(V128 a, V128 b) { return detail::ExtMul<int32_t, int16_t>(a, b, 0); }
inline V128 I32x4ExtmulHighI16x8S(V128 a, V128 b) { return detail::ExtMul<int32_t, int16_t>(a, b, 4); }
inline V128 I32x4ExtmulLowI16x8U(V128 a, V128 b) { return detail::ExtMul<uint32_t, uint16_t>(a, b, 0); }
inline V128 I32x4ExtmulHighI16x8U(V128 a, V128 b) { return detail::ExtMul<uint32_t, uint16_t>(a, b, 4); }
inline V128 I64x2ExtmulLowI32x4S(V128 a, V128 b) { return detail::ExtMul<int64_t, int32_t>(a, b, 0); }
inline V128 I64x2ExtmulHighI32x4S(V128 a, V128 b) { return detail::ExtMul<int64_t, int32_t>(a, b, 2); }
inline V128 I64x2ExtmulLowI32x4U(V128 a, V128 b) { return detail::ExtMul<uint64_t, uint32_t>(a, b, 0); }
inline V128 I64x2ExtmulHighI32x4U(V128 a, V128 b) { return detail::ExtMul<uint64_t, uint32_t>(a, b, 2); }

// Pairwise extended addition.
inline V128 I16x8ExtaddPairwiseI8x16S(V128 a) { return detail::ExtAddPairwise<int16_t, int8_t>(a); }
inline V128 I16x8ExtaddPairwiseI8x16U(V128 a) { return detail::ExtAddPairwise<uint16_t, uint8_t>(a); }
inline V128 I32x4ExtaddPairwiseI16x8S(V128 a) { return detail::ExtAddPairwise<int32_t, int16_t>(a); }
inline V128 I32x4ExtaddPairwiseI16x8U(V128 a) { return detail::ExtAddPairwise<uint32_t, uint16_t>(a); }

// ======================================================================================
// Floating point
// ======================================================================================

// abs/neg are sign-bit operations: NaN payloads pass through unchanged.
inline V128 F32x4Abs(V128 a) {
  constexpr uint64_t m = 0x7fffffff7fffffffull;
  return {a.lo & m, a.hi & m};
}
inline V128 F32x4Neg(V128 a) {
  constexpr uint64_t m = 0x8000000080000000ull;
  return {a.lo ^ m, a.hi ^ m};
}
inline V128 F64x2Abs(V128 a) {
  constexpr uint64_t m = 0x7fffffffffffffffull;
  return {a.lo & m, a.hi & m};
}
inline V128 F64x2Neg(V128 a) {
  constexpr uint64_t m = 0x8000000000000000ull;
  return {a.lo ^ m, a.hi ^ m};
}

// add/sub/mul/div/sqrt: IEEE hardware arithmetic already yields a canonical NaN for invalid
// operations and a quieted input NaN otherwise, both allowed by the spec.
#ifdef WEFT_SIMD_SSE2
inline V128 F32x4Add(V128 a, V128 b) { return detail::FromF(_mm_add_ps(detail::ToF(a), detail::ToF(b))); }
inline V128 F32x4Sub(V128 a, V128 b) { return detail::FromF(_mm_sub_ps(detail::ToF(a), detail::ToF(b))); }
inline V128 F32x4Mul(V128 a, V128 b) { return detail::FromF(_mm_mul_ps(detail::ToF(a), detail::ToF(b))); }
inline V128 F32x4Div(V128 a, V128 b) { return detail::FromF(_mm_div_ps(detail::ToF(a), detail::ToF(b))); }
inline V128 F32x4Sqrt(V128 a) { return detail::FromF(_mm_sqrt_ps(detail::ToF(a))); }
inline V128 F64x2Add(V128 a, V128 b) { return detail::FromD(_mm_add_pd(detail::ToD(a), detail::ToD(b))); }
inline V128 F64x2Sub(V128 a, V128 b) { return detail::FromD(_mm_sub_pd(detail::ToD(a), detail::ToD(b))); }
inline V128 F64x2Mul(V128 a, V128 b) { return detail::FromD(_mm_mul_pd(detail::ToD(a), detail::ToD(b))); }
inline V128 F64x2Div(V128 a, V128 b) { return detail::FromD(_mm_div_pd(detail::ToD(a), detail::ToD(b))); }
inline V128 F64x2Sqrt(V128 a) { return detail::FromD(_mm_sqrt_pd(detail::ToD(a))); }
#else
inline V128 F32x4Add(V128 a, V128 b) { return detail::Map2<float>(a, b, [](float x, float y) { return x + y; }); }
inline V128 F32x4Sub(V128 a, V128 b) { return detail::Map2<float>(a, b, [](float x, float y) { return x - y; }); }
inline V128 F32x4Mul(V128 a, V128 b) { return detail::Map2<float>(a, b, [](float x, float y) { return x * y; }); }
inline V128 F32x4Div(V128 a, V128 b) { return detail::Map2<float>(a, b, [](float x, float y) { return x / y; }); }
inline V128 F32x4Sqrt(V128 a) { return detail::Map1<float>(a, [](float x) { return std::sqrt(x); }); }
inline V128 F64x2Add(V128 a, V128 b) { return detail::Map2<double>(a, b, [](double x, double y) { return x + y; }); }
inline V128 F64x2Sub(V128 a, V128 b) { return detail::Map2<double>(a, b, [](double x, double y) { return x - y; }); }
inline V128 F64x2Mul(V128 a, V128 b) { return detail::Map2<double>(a, b, [](double x, double y) { return x * y; }); }
inline V128 F64x2Div(V128 a, V128 b) { return detail::Map2<double>(a, b, [](double x, double y) { return x / y; }); }
inline V128 F64x2Sqrt(V128 a) { return detail::Map1<double>(a, [](double x) { return std::sqrt(x); }); }
#endif

inline V128 F32x4Min(V128 a, V128 b) { return detail::Map2<float>(a, b, detail::FMin<float>); }
inline V128 F32x4Max(V128 a, V128 b) { return detail::Map2<float>(a, b, detail::FMax<float>); }
inline V128 F64x2Min(V128 a, V128 b) { return detail::Map2<double>(a, b, detail::FMin<double>); }
inline V128 F64x2Max(V128 a, V128 b) { return detail::Map2<double>(a, b, detail::FMax<double>); }

// Pseudo-min/max: exactly `b < a ? b : a` and `a < b ? b : a`, NaN operands pass unchanged.
inline V128 F32x4Pmin(V128 a, V128 b) {
  return detail::Map2<float>(a, b, [](float x, float y) { return y < x ? y : x; });
}
inline V128 F32x4Pmax(V128 a, V128 b) {
  return detail::Map2<float>(a, b, [](float x, float y) { return x < y ? y : x; });
}
inline V128 F64x2Pmin(V128 a, V128 b) {
  return detail::Map2<double>(a, b, [](double x, double y) { return y < x ? y : x; });
}
inline V128 F64x2Pmax(V128 a, V128 b) {
  return detail::Map2<double>(a, b, [](double x, double y) { return x < y ? y : x; });
}

inline V128 F32x4Ceil(V128 a) { return detail::Map1<float>(a, detail::FCeil<float>); }
inline V128 F32x4Floor(V128 a) { return detail::Map1<float>(a, detail::FFloor<float>); }
inline V128 F32x4Trunc(V128 a) { return detail::Map1<float>(a, detail::FTrunc<float>); }
inline V128 F32x4Nearest(V128 a) { return detail::Map1<float>(a, detail::FNearest<float>); }
inline V128 F64x2Ceil(V128 a) { return detail::Map1<double>(a, detail::FCeil<double>); }
inline V128 F64x2Floor(V128 a) { return detail::Map1<double>(a, detail::FFloor<double>); }
inline V128 F64x2Trunc(V128 a) { return detail::Map1<double>(a, detail::FTrunc<double>); }
inline V128 F64x2Nearest(V128 a) { return detail::Map1<double>(a, detail::FNearest<double>); }

// ======================================================================================
// Conversions
// ======================================================================================

inline V128 I32x4TruncSatF32x4S(V128 a) {
  detail::Lanes<float> x = detail::Get<float>(a);
  detail::Lanes<int32_t> r;
  for (int i = 0; i < 4; ++i) r.v[i] = detail::TruncSat<int32_t>(x.v[i]);
  return detail::Put(r);
}
inline V128 I32x4TruncSatF32x4U(V128 a) {
  detail::Lanes<float> x = detail::Get<float>(a);
  detail::Lanes<uint32_t> r;
  for (int i = 0; i < 4; ++i) r.v[i] = detail::TruncSat<uint32_t>(x.v[i]);
  return detail::Put(r);
}
inline V128 I32x4TruncSatF64x2SZero(V128 a) {
  detail::Lanes<double> x = detail::Get<double>(a);
  detail::Lanes<int32_t> r = {{detail::TruncSat<int32_t>(x.v[0]), detail::TruncSat<int32_t>(x.v[1]), 0, 0}};
  return detail::Put(r);
}
inline V128 I32x4TruncSatF64x2UZero(V128 a) {
  detail::Lanes<double> x = detail::Get<double>(a);
  detail::Lanes<uint32_t> r = {
      {detail::TruncSat<uint32_t>(x.v[0]), detail::TruncSat<uint32_t>(x.v[1]), 0, 0}};
  return detail::Put(r);
}
inline V128 F32x4ConvertI32x4S(V128 a) {
  detail::Lanes<int32_t> x = detail::Get<int32_t>(a);
  detail::Lanes<float> r;
  for (int i = 0; i < 4; ++i) r.v[i] = static_cast<float>(x.v[i]);
  return detail::Put(r);
}
inline V128 F32x4ConvertI32x4U(V128 a) {
  detail::Lanes<uint32_t> x = detail::Get<uint32_t>(a);
  detail::Lanes<float> r;
  for (int i = 0; i < 4; ++i) r.v[i] = static_cast<float>(x.v[i]);
  return detail::Put(r);
}
inline V128 F64x2ConvertLowI32x4S(V128 a) {
  detail::Lanes<int32_t> x = detail::Get<int32_t>(a);
  detail::Lanes<double> r = {{static_cast<double>(x.v[0]), static_cast<double>(x.v[1])}};
  return detail::Put(r);
}
inline V128 F64x2ConvertLowI32x4U(V128 a) {
  detail::Lanes<uint32_t> x = detail::Get<uint32_t>(a);
  detail::Lanes<double> r = {{static_cast<double>(x.v[0]), static_cast<double>(x.v[1])}};
  return detail::Put(r);
}
/// Rounds to nearest even; NaNs come out quieted (arithmetic), as the spec allows.
inline V128 F32x4DemoteF64x2Zero(V128 a) {
  detail::Lanes<double> x = detail::Get<double>(a);
  detail::Lanes<float> r = {{static_cast<float>(x.v[0]), static_cast<float>(x.v[1]), 0.0f, 0.0f}};
  return detail::Put(r);
}
inline V128 F64x2PromoteLowF32x4(V128 a) {
  detail::Lanes<float> x = detail::Get<float>(a);
  detail::Lanes<double> r = {{static_cast<double>(x.v[0]), static_cast<double>(x.v[1])}};
  return detail::Put(r);
}

// ======================================================================================
// Memory: extending, splatting, zero-filling and lane loads; lane stores. `p` is the
// effective address, already bounds-checked by the caller for the access size.
// ======================================================================================

inline V128 V128Load8x8S(const uint8_t* p) { return detail::LoadExtend<int16_t, int8_t>(p); }
inline V128 V128Load8x8U(const uint8_t* p) { return detail::LoadExtend<uint16_t, uint8_t>(p); }
inline V128 V128Load16x4S(const uint8_t* p) { return detail::LoadExtend<int32_t, int16_t>(p); }
inline V128 V128Load16x4U(const uint8_t* p) { return detail::LoadExtend<uint32_t, uint16_t>(p); }
inline V128 V128Load32x2S(const uint8_t* p) { return detail::LoadExtend<int64_t, int32_t>(p); }
inline V128 V128Load32x2U(const uint8_t* p) { return detail::LoadExtend<uint64_t, uint32_t>(p); }

inline V128 V128Load8Splat(const uint8_t* p) { return I8x16Splat(p[0]); }
inline V128 V128Load16Splat(const uint8_t* p) { return I16x8Splat(detail::Load<uint16_t>(p)); }
inline V128 V128Load32Splat(const uint8_t* p) { return I32x4Splat(detail::Load<uint32_t>(p)); }
inline V128 V128Load64Splat(const uint8_t* p) { return I64x2Splat(detail::Load<uint64_t>(p)); }

inline V128 V128Load32Zero(const uint8_t* p) { return {detail::Load<uint32_t>(p), 0}; }
inline V128 V128Load64Zero(const uint8_t* p) { return {detail::Load<uint64_t>(p), 0}; }

inline V128 V128Load8Lane(V128 v, const uint8_t* p, uint32_t lane) {
  return detail::Replace<uint8_t>(v, lane, p[0]);
}
inline V128 V128Load16Lane(V128 v, const uint8_t* p, uint32_t lane) {
  return detail::Replace<uint16_t>(v, lane, detail::Load<uint16_t>(p));
}
inline V128 V128Load32Lane(V128 v, const uint8_t* p, uint32_t lane) {
  return detail::Replace<uint32_t>(v, lane, detail::Load<uint32_t>(p));
}
inline V128 V128Load64Lane(V128 v, const uint8_t* p, uint32_t lane) {
  return detail::Replace<uint64_t>(v, lane, detail::Load<uint64_t>(p));
}

inline void V128Store8Lane(uint8_t* p, V128 v, uint32_t lane) {
  p[0] = detail::Extract<uint8_t>(v, lane);
}
inline void V128Store16Lane(uint8_t* p, V128 v, uint32_t lane) {
  uint16_t x = detail::Extract<uint16_t>(v, lane);
  std::memcpy(p, &x, 2);
}
inline void V128Store32Lane(uint8_t* p, V128 v, uint32_t lane) {
  uint32_t x = detail::Extract<uint32_t>(v, lane);
  std::memcpy(p, &x, 4);
}
inline void V128Store64Lane(uint8_t* p, V128 v, uint32_t lane) {
  uint64_t x = detail::Extract<uint64_t>(v, lane);
  std::memcpy(p, &x, 8);
}

}  // namespace WEFT_SIMD_NS
}  // namespace weft::interp::simd

#endif  // WEFT_SIMD_BODY
