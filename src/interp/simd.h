// Semantics of the WebAssembly 2.0 SIMD instructions (0xFD prefix, 128-bit vectors), one inline
// function per instruction, called by the interpreter's handlers (names, signatures and notes:
// docs/simd.md). Invariants: results are exactly those of the spec (sections 4.3 and 4.4.3),
// with NaN results canonical or arithmetic where the spec allows a choice. Every function has a
// portable lane-by-lane form; GCC/Clang vector extensions and x86 SSE2 (SSSE3, SSE4.1 when the
// compiler targets them) replace it where they are known to be exact. Defining
// WEFT_SIMD_PORTABLE before including forces the portable forms. Lane and shuffle immediates
// are masked to their range, so even unvalidated immediates cannot overrun.
// Including this header a second time with WEFT_SIMD_PORTABLE defined adds the portable variant
// in its own inline namespace (the tests compare both variants).
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
#undef WEFT_SIMD_VEC
#undef WEFT_SIMD_SSE2
#undef WEFT_SIMD_SSSE3
#undef WEFT_SIMD_SSE41
#undef WEFT_SIMD_NS
#if !defined(WEFT_SIMD_PORTABLE) && defined(__GNUC__)
#define WEFT_SIMD_VEC 1
#endif
#if !defined(WEFT_SIMD_PORTABLE) && !defined(WEFT_SIMD_NO_INTRINSICS) && defined(__SSE2__)
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
#elif defined(WEFT_SIMD_VEC)
#define WEFT_SIMD_NS vec
#ifndef WEFT_INTERP_SIMD_H_VEC
#define WEFT_INTERP_SIMD_H_VEC
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

// Internal helpers (a distinctive name: users bring simd:: in with a using-directive).
namespace simd_impl {

// ---- Lane-by-lane forms (always available). memcpy keeps them free of aliasing issues. ----

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
inline V128 Loop1(V128 a, F f) {
  Lanes<T> x = Get<T>(a), r;
  for (int i = 0; i < Lanes<T>::kN; ++i) r.v[i] = static_cast<T>(f(x.v[i]));
  return Put(r);
}

template <typename T, typename F>
inline V128 Loop2(V128 a, V128 b, F f) {
  Lanes<T> x = Get<T>(a), y = Get<T>(b), r;
  for (int i = 0; i < Lanes<T>::kN; ++i) r.v[i] = static_cast<T>(f(x.v[i], y.v[i]));
  return Put(r);
}

// Same-width unsigned integer type for mask lanes.
template <typename T>
using MaskOf = std::conditional_t<sizeof(T) == 1, uint8_t,
                                  std::conditional_t<sizeof(T) == 2, uint16_t,
                                                     std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;

#ifdef WEFT_SIMD_VEC
// ---- Whole-vector forms with GCC/Clang vector extensions. The lambdas passed to Map1, Map2
// and Cmp are generic, so the same text serves the vector form and the lane loop. ----
template <typename T>
struct VecOf;
#define WEFT_SIMD_VECTYPE(T)                                  \
  template <>                                                 \
  struct VecOf<T> {                                           \
    typedef T type __attribute__((vector_size(16), aligned(16))); \
  };
WEFT_SIMD_VECTYPE(int8_t)
WEFT_SIMD_VECTYPE(uint8_t)
WEFT_SIMD_VECTYPE(int16_t)
WEFT_SIMD_VECTYPE(uint16_t)
WEFT_SIMD_VECTYPE(int32_t)
WEFT_SIMD_VECTYPE(uint32_t)
WEFT_SIMD_VECTYPE(int64_t)
WEFT_SIMD_VECTYPE(uint64_t)
WEFT_SIMD_VECTYPE(float)
WEFT_SIMD_VECTYPE(double)
#undef WEFT_SIMD_VECTYPE

template <typename T>
inline typename VecOf<T>::type VGet(V128 x) {
  typename VecOf<T>::type r;
  std::memcpy(&r, &x, 16);
  return r;
}

template <typename X>
inline V128 VPut(const X& x) {
  static_assert(sizeof(X) == 16);
  V128 r;
  std::memcpy(&r, &x, 16);
  return r;
}

template <typename T, typename F>
inline V128 Map1(V128 a, F f) {
  return VPut(f(VGet<T>(a)));
}
template <typename T, typename F>
inline V128 Map2(V128 a, V128 b, F f) {
  return VPut(f(VGet<T>(a), VGet<T>(b)));
}
// Vector comparisons already produce all-ones / all-zeros lanes.
template <typename T, typename F>
inline V128 Cmp(V128 a, V128 b, F f) {
  return VPut(f(VGet<T>(a), VGet<T>(b)));
}
#else
template <typename T, typename F>
inline V128 Map1(V128 a, F f) {
  return Loop1<T>(a, f);
}
template <typename T, typename F>
inline V128 Map2(V128 a, V128 b, F f) {
  return Loop2<T>(a, b, f);
}
template <typename T, typename F>
inline V128 Cmp(V128 a, V128 b, F f) {
  using U = MaskOf<T>;
  Lanes<T> x = Get<T>(a), y = Get<T>(b);
  Lanes<U> r;
  for (int i = 0; i < Lanes<T>::kN; ++i) r.v[i] = f(x.v[i], y.v[i]) ? static_cast<U>(~U{0}) : U{0};
  return Put(r);
}
#endif

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
inline T Load(const uint8_t* p) {
  T r;
  std::memcpy(&r, p, sizeof(T));
  return r;
}

// Loads kN lanes of `From` and widens them to `To`.
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

// fmin: NaN if either is NaN (a canonical NaN is always an allowed result), -0 < +0.
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

// Overloads so that the float algorithms below are written once for f32x4 and f64x2.
inline __m128 Add(__m128 a, __m128 b) { return _mm_add_ps(a, b); }
inline __m128d Add(__m128d a, __m128d b) { return _mm_add_pd(a, b); }
inline __m128 Sub(__m128 a, __m128 b) { return _mm_sub_ps(a, b); }
inline __m128d Sub(__m128d a, __m128d b) { return _mm_sub_pd(a, b); }
inline __m128 And(__m128 a, __m128 b) { return _mm_and_ps(a, b); }
inline __m128d And(__m128d a, __m128d b) { return _mm_and_pd(a, b); }
inline __m128 AndNot(__m128 a, __m128 b) { return _mm_andnot_ps(a, b); }
inline __m128d AndNot(__m128d a, __m128d b) { return _mm_andnot_pd(a, b); }
inline __m128 Or(__m128 a, __m128 b) { return _mm_or_ps(a, b); }
inline __m128d Or(__m128d a, __m128d b) { return _mm_or_pd(a, b); }
inline __m128 Xor(__m128 a, __m128 b) { return _mm_xor_ps(a, b); }
inline __m128d Xor(__m128d a, __m128d b) { return _mm_xor_pd(a, b); }
inline __m128 Lt(__m128 a, __m128 b) { return _mm_cmplt_ps(a, b); }
inline __m128d Lt(__m128d a, __m128d b) { return _mm_cmplt_pd(a, b); }
inline __m128 Unord(__m128 a, __m128 b) { return _mm_cmpunord_ps(a, b); }
inline __m128d Unord(__m128d a, __m128d b) { return _mm_cmpunord_pd(a, b); }
inline __m128 Min(__m128 a, __m128 b) { return _mm_min_ps(a, b); }
inline __m128d Min(__m128d a, __m128d b) { return _mm_min_pd(a, b); }
inline __m128 Max(__m128 a, __m128 b) { return _mm_max_ps(a, b); }
inline __m128d Max(__m128d a, __m128d b) { return _mm_max_pd(a, b); }
inline __m128 Splat(__m128, double x) { return _mm_set1_ps(static_cast<float>(x)); }
inline __m128d Splat(__m128d, double x) { return _mm_set1_pd(x); }
inline __m128 TwoPowMant(__m128 x) { return Splat(x, FBits<float>::kTwoPowMant); }
inline __m128d TwoPowMant(__m128d x) { return Splat(x, FBits<double>::kTwoPowMant); }
// Clears, in the all-ones lanes of `nan`, the payload bits below the quiet bit of `s`.
inline __m128 CanonicalizeNaN(__m128 nan, __m128 s) {
  return _mm_andnot_ps(_mm_castsi128_ps(_mm_srli_epi32(_mm_castps_si128(nan), 10)), s);
}
inline __m128d CanonicalizeNaN(__m128d nan, __m128d s) {
  return _mm_andnot_pd(_mm_castsi128_pd(_mm_srli_epi64(_mm_castpd_si128(nan), 13)), s);
}

// The templates below take the vector type only by deduction (GCC warns when __m128 is
// spelled as a template argument).

// min/max with wasm semantics from minps/maxps, which return their second operand when
// either is NaN or both are zero: evaluate both operand orders and merge (the sequence V8 and
// others use). NaN lanes end as the canonical NaN (sign unspecified).
template <typename M>
inline M WasmMin(M a, M b) {
  M t1 = Min(b, a), t2 = Min(a, b);
  M s = Or(t1, t2);          // merges -0/+0 and propagates NaN
  M nan = Unord(t2, s);      // lanes that are NaN
  s = Or(s, nan);            // NaN lanes: all ones
  return CanonicalizeNaN(nan, s);
}
template <typename M>
inline M WasmMax(M a, M b) {
  M t1 = Max(b, a), t2 = Max(a, b);
  M d = Xor(t1, t2);         // differs only for NaNs and -0/+0 pairs
  M s = Or(t1, d);           // NaN stays NaN; -0/+0 becomes -0
  s = Sub(s, d);             // -0/+0: -0 - (-0 ^ +0) = +0; NaN stays NaN
  return CanonicalizeNaN(Unord(d, s), s);
}

// Rounding to an integral value, branch-free, by the same 2^mantissa trick as FNearest.
// kind: 0 nearest, 1 ceil, 2 floor, 3 trunc.
template <int kind, typename M>
inline M Round(M x) {
  M sign = Splat(x, -0.0), one = Splat(x, 1.0), big = TwoPowMant(x);
  M sign_bits = And(sign, x);
  M ax = AndNot(sign, x);
  M small = Lt(ax, big);  // false for NaN and infinities
  M r = Sub(Add(ax, big), big);  // nearest(|x|)
  if constexpr (kind == 3) {
    r = Sub(r, And(Lt(ax, r), one));
  } else {
    r = Or(r, sign_bits);
    if constexpr (kind == 1) r = Add(r, And(Lt(r, x), one));
    if constexpr (kind == 2) r = Sub(r, And(Lt(x, r), one));
  }
  r = Or(r, sign_bits);  // results in (-1, 0] keep the sign of x
  // Large, infinite and NaN lanes: x + 0 keeps integral values and quiets NaNs.
  M other = Add(x, Splat(x, 0.0));
  return Or(And(small, r), AndNot(small, other));
}
#endif

}  // namespace simd_impl

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
  return static_cast<uint32_t>(static_cast<int32_t>(simd_impl::Extract<int8_t>(v, lane)));
}
inline uint32_t I8x16ExtractLaneU(V128 v, uint32_t lane) { return simd_impl::Extract<uint8_t>(v, lane); }
inline uint32_t I16x8ExtractLaneS(V128 v, uint32_t lane) {
  return static_cast<uint32_t>(static_cast<int32_t>(simd_impl::Extract<int16_t>(v, lane)));
}
inline uint32_t I16x8ExtractLaneU(V128 v, uint32_t lane) {
  return simd_impl::Extract<uint16_t>(v, lane);
}
inline uint32_t I32x4ExtractLane(V128 v, uint32_t lane) { return simd_impl::Extract<uint32_t>(v, lane); }
inline uint64_t I64x2ExtractLane(V128 v, uint32_t lane) { return simd_impl::Extract<uint64_t>(v, lane); }
inline float F32x4ExtractLane(V128 v, uint32_t lane) { return simd_impl::Extract<float>(v, lane); }
inline double F64x2ExtractLane(V128 v, uint32_t lane) { return simd_impl::Extract<double>(v, lane); }

inline V128 I8x16ReplaceLane(V128 v, uint32_t lane, uint32_t x) {
  return simd_impl::Replace<uint8_t>(v, lane, static_cast<uint8_t>(x));
}
inline V128 I16x8ReplaceLane(V128 v, uint32_t lane, uint32_t x) {
  return simd_impl::Replace<uint16_t>(v, lane, static_cast<uint16_t>(x));
}
inline V128 I32x4ReplaceLane(V128 v, uint32_t lane, uint32_t x) {
  return simd_impl::Replace<uint32_t>(v, lane, x);
}
inline V128 I64x2ReplaceLane(V128 v, uint32_t lane, uint64_t x) {
  return simd_impl::Replace<uint64_t>(v, lane, x);
}
inline V128 F32x4ReplaceLane(V128 v, uint32_t lane, float x) {
  return simd_impl::Replace<float>(v, lane, x);
}
inline V128 F64x2ReplaceLane(V128 v, uint32_t lane, double x) {
  return simd_impl::Replace<double>(v, lane, x);
}

/// `lanes` points at the instruction's 16 immediates; each selects byte (l & 31) of a ++ b.
inline V128 I8x16Shuffle(V128 a, V128 b, const uint8_t* lanes) {
#ifdef WEFT_SIMD_SSSE3
  // pshufb uses the low four bits of each index and zeroes lanes whose index has bit 7 set:
  // select from a for indices 0-15 and from b for 16-31.
  __m128i idx;
  std::memcpy(&idx, lanes, 16);
  idx = _mm_and_si128(idx, _mm_set1_epi8(31));
  __m128i from_b = _mm_cmpgt_epi8(idx, _mm_set1_epi8(15));
  __m128i ia = _mm_or_si128(idx, from_b);                       // b lanes: 0xff -> zero
  __m128i ib = _mm_or_si128(idx, _mm_andnot_si128(from_b, _mm_set1_epi8(-128)));  // a lanes
  return simd_impl::FromI(_mm_or_si128(_mm_shuffle_epi8(simd_impl::ToI(a), ia),
                                       _mm_shuffle_epi8(simd_impl::ToI(b), ib)));
#else
  uint8_t ab[32], r[16];
  std::memcpy(ab, &a, 16);
  std::memcpy(ab + 16, &b, 16);
  for (int i = 0; i < 16; ++i) r[i] = ab[lanes[i] & 31];
  V128 out;
  std::memcpy(&out, r, 16);
  return out;
#endif
}

/// Byte i of the result is a[b[i]], or 0 when b[i] >= 16.
inline V128 I8x16Swizzle(V128 a, V128 b) {
#ifdef WEFT_SIMD_SSSE3
  // pshufb zeroes a lane when bit 7 of its index is set; saturating +112 pushes indices >= 16
  // there while keeping the low four bits of indices < 16.
  __m128i idx = _mm_adds_epu8(simd_impl::ToI(b), _mm_set1_epi8(0x70));
  return simd_impl::FromI(_mm_shuffle_epi8(simd_impl::ToI(a), idx));
#else
  // Index 16 of the table is zero: out-of-range indices select it without a branch.
  uint8_t x[17], y[16], r[16];
  std::memcpy(x, &a, 16);
  x[16] = 0;
  std::memcpy(y, &b, 16);
  for (int i = 0; i < 16; ++i) r[i] = x[y[i] < 16 ? y[i] : 16];
  V128 out;
  std::memcpy(&out, r, 16);
  return out;
#endif
}

// ======================================================================================
// Comparisons (masks of all-ones / all-zeros lanes). Float comparisons are false for NaN
// operands except ne, as in C++.
// ======================================================================================

#define WEFT_SIMD_CMP(Name, T, op)                                                \
  inline V128 Name(V128 a, V128 b) {                                              \
    return simd_impl::Cmp<T>(a, b, [](auto x, auto y) { return x op y; });        \
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
// Integer arithmetic. Unsigned lane types make wrap-around defined; in the lane loop the
// result of each lambda is converted back to the lane type (modulo 2^N).
// ======================================================================================

#define WEFT_SIMD_BIN(Name, T, expr)                                           \
  inline V128 Name(V128 a, V128 b) {                                           \
    return simd_impl::Map2<T>(a, b, [](auto x, auto y) { return expr; });     \
  }
#define WEFT_SIMD_UN(Name, T, expr)                                            \
  inline V128 Name(V128 a) {                                                   \
    return simd_impl::Map1<T>(a, [](auto x) { return expr; });                 \
  }
WEFT_SIMD_BIN(I8x16Add, uint8_t, x + y)
WEFT_SIMD_BIN(I8x16Sub, uint8_t, x - y)
WEFT_SIMD_BIN(I16x8Add, uint16_t, x + y)
WEFT_SIMD_BIN(I16x8Sub, uint16_t, x - y)
WEFT_SIMD_BIN(I32x4Add, uint32_t, x + y)
WEFT_SIMD_BIN(I32x4Sub, uint32_t, x - y)
WEFT_SIMD_BIN(I32x4Mul, uint32_t, x * y)
WEFT_SIMD_BIN(I64x2Add, uint64_t, x + y)
WEFT_SIMD_BIN(I64x2Sub, uint64_t, x - y)
WEFT_SIMD_BIN(I64x2Mul, uint64_t, x * y)
// decltype(x){} is a zero scalar or a zero vector.
WEFT_SIMD_UN(I8x16Neg, uint8_t, decltype(x){} - x)
WEFT_SIMD_UN(I16x8Neg, uint16_t, decltype(x){} - x)
WEFT_SIMD_UN(I32x4Neg, uint32_t, decltype(x){} - x)
WEFT_SIMD_UN(I64x2Neg, uint64_t, decltype(x){} - x)
// abs on unsigned lanes: negative means above the largest positive value, and unsigned
// negation makes abs(INT_MIN) wrap to INT_MIN without overflow.
#define WEFT_SIMD_ABS(Name, T)                                                                  \
  inline V128 Name(V128 a) {                                                                    \
    const T max_pos = std::numeric_limits<T>::max() >> 1;                                       \
    return simd_impl::Map1<T>(a, [=](auto x) { return x > max_pos ? decltype(x){} - x : x; });  \
  }
WEFT_SIMD_ABS(I8x16Abs, uint8_t)
WEFT_SIMD_ABS(I16x8Abs, uint16_t)
WEFT_SIMD_ABS(I32x4Abs, uint32_t)
WEFT_SIMD_ABS(I64x2Abs, uint64_t)
#undef WEFT_SIMD_ABS
WEFT_SIMD_BIN(I8x16MinS, int8_t, x < y ? x : y)
WEFT_SIMD_BIN(I8x16MinU, uint8_t, x < y ? x : y)
WEFT_SIMD_BIN(I8x16MaxS, int8_t, x > y ? x : y)
WEFT_SIMD_BIN(I8x16MaxU, uint8_t, x > y ? x : y)
WEFT_SIMD_BIN(I16x8MinS, int16_t, x < y ? x : y)
WEFT_SIMD_BIN(I16x8MinU, uint16_t, x < y ? x : y)
WEFT_SIMD_BIN(I16x8MaxS, int16_t, x > y ? x : y)
WEFT_SIMD_BIN(I16x8MaxU, uint16_t, x > y ? x : y)
WEFT_SIMD_BIN(I32x4MinS, int32_t, x < y ? x : y)
WEFT_SIMD_BIN(I32x4MinU, uint32_t, x < y ? x : y)
WEFT_SIMD_BIN(I32x4MaxS, int32_t, x > y ? x : y)
WEFT_SIMD_BIN(I32x4MaxU, uint32_t, x > y ? x : y)
#undef WEFT_SIMD_BIN
#undef WEFT_SIMD_UN

// Scalar int promotion could overflow a 16x16-bit product, so the lane loop widens first.
inline V128 I16x8Mul(V128 a, V128 b) {
#ifdef WEFT_SIMD_VEC
  return simd_impl::Map2<uint16_t>(a, b, [](auto x, auto y) { return x * y; });
#else
  return simd_impl::Loop2<uint16_t>(
      a, b, [](uint16_t x, uint16_t y) { return static_cast<uint32_t>(x) * static_cast<uint32_t>(y); });
#endif
}

inline V128 I8x16Popcnt(V128 a) {
  // The classic bit-slice count, exact per byte both lane-wise and as a vector.
  const uint8_t k55 = 0x55, k33 = 0x33, k0f = 0x0f, one = 1, two = 2, four = 4;
  return simd_impl::Map1<uint8_t>(a, [=](auto x) {
    x = x - ((x >> one) & k55);
    x = (x & k33) + ((x >> two) & k33);
    return (x + (x >> four)) & k0f;
  });
}

// avgr_u = (a + b + 1) >> 1 without overflow: (a | b) - ((a ^ b) >> 1).
inline V128 I8x16AvgrU(V128 a, V128 b) {
#ifdef WEFT_SIMD_SSE2
  return simd_impl::FromI(_mm_avg_epu8(simd_impl::ToI(a), simd_impl::ToI(b)));
#else
  const uint8_t one = 1;
  return simd_impl::Map2<uint8_t>(a, b, [=](auto x, auto y) { return (x | y) - ((x ^ y) >> one); });
#endif
}
inline V128 I16x8AvgrU(V128 a, V128 b) {
#ifdef WEFT_SIMD_SSE2
  return simd_impl::FromI(_mm_avg_epu16(simd_impl::ToI(a), simd_impl::ToI(b)));
#else
  const uint16_t one = 1;
  return simd_impl::Map2<uint16_t>(a, b, [=](auto x, auto y) { return (x | y) - ((x ^ y) >> one); });
#endif
}

// Saturating add/sub.
#ifdef WEFT_SIMD_SSE2
#define WEFT_SIMD_SSE_BIN(Name, intrinsic)                                          \
  inline V128 Name(V128 a, V128 b) {                                                \
    return simd_impl::FromI(intrinsic(simd_impl::ToI(a), simd_impl::ToI(b)));       \
  }
WEFT_SIMD_SSE_BIN(I8x16AddSatS, _mm_adds_epi8)
WEFT_SIMD_SSE_BIN(I8x16AddSatU, _mm_adds_epu8)
WEFT_SIMD_SSE_BIN(I8x16SubSatS, _mm_subs_epi8)
WEFT_SIMD_SSE_BIN(I8x16SubSatU, _mm_subs_epu8)
WEFT_SIMD_SSE_BIN(I16x8AddSatS, _mm_adds_epi16)
WEFT_SIMD_SSE_BIN(I16x8AddSatU, _mm_adds_epu16)
WEFT_SIMD_SSE_BIN(I16x8SubSatS, _mm_subs_epi16)
WEFT_SIMD_SSE_BIN(I16x8SubSatU, _mm_subs_epu16)
#else
#define WEFT_SIMD_SAT(Name, T, op)                                                           \
  inline V128 Name(V128 a, V128 b) {                                                         \
    return simd_impl::Loop2<T>(                                                              \
        a, b, [](T x, T y) { return simd_impl::Sat<T>(int64_t{x} op int64_t{y}); });         \
  }
WEFT_SIMD_SAT(I8x16AddSatS, int8_t, +)
WEFT_SIMD_SAT(I8x16AddSatU, uint8_t, +)
WEFT_SIMD_SAT(I8x16SubSatS, int8_t, -)
WEFT_SIMD_SAT(I8x16SubSatU, uint8_t, -)
WEFT_SIMD_SAT(I16x8AddSatS, int16_t, +)
WEFT_SIMD_SAT(I16x8AddSatU, uint16_t, +)
WEFT_SIMD_SAT(I16x8SubSatS, int16_t, -)
WEFT_SIMD_SAT(I16x8SubSatU, uint16_t, -)
#undef WEFT_SIMD_SAT
#endif

/// Rounding Q15 multiply: (a * b + 2^14) >> 15, saturated (only -32768 * -32768 overflows).
inline V128 I16x8Q15mulrSatS(V128 a, V128 b) {
#ifdef WEFT_SIMD_SSE2
  // Full 32-bit products from the low and high halves, rounded and shifted, then packed with
  // signed saturation.
  __m128i x = simd_impl::ToI(a), y = simd_impl::ToI(b);
  __m128i lo = _mm_mullo_epi16(x, y), hi = _mm_mulhi_epi16(x, y);
  __m128i round = _mm_set1_epi32(0x4000);
  __m128i p0 = _mm_srai_epi32(_mm_add_epi32(_mm_unpacklo_epi16(lo, hi), round), 15);
  __m128i p1 = _mm_srai_epi32(_mm_add_epi32(_mm_unpackhi_epi16(lo, hi), round), 15);
  return simd_impl::FromI(_mm_packs_epi32(p0, p1));
#else
  return simd_impl::Loop2<int16_t>(a, b, [](int16_t x, int16_t y) {
    return simd_impl::Sat<int16_t>((int32_t{x} * int32_t{y} + 0x4000) >> 15);
  });
#endif
}

/// Sum of adjacent products of signed 16-bit lanes; the only overflowing case wraps.
inline V128 I32x4DotI16x8S(V128 a, V128 b) {
#ifdef WEFT_SIMD_SSE2
  return simd_impl::FromI(_mm_madd_epi16(simd_impl::ToI(a), simd_impl::ToI(b)));
#else
  simd_impl::Lanes<int16_t> x = simd_impl::Get<int16_t>(a), y = simd_impl::Get<int16_t>(b);
  simd_impl::Lanes<uint32_t> r;
  for (int i = 0; i < 4; ++i) {
    int64_t s = int64_t{x.v[2 * i]} * y.v[2 * i] + int64_t{x.v[2 * i + 1]} * y.v[2 * i + 1];
    r.v[i] = static_cast<uint32_t>(s);
  }
  return simd_impl::Put(r);
#endif
}

// Shifts: the count is taken modulo the lane width. The count is converted to the lane type
// so that vector-by-scalar shifts are well-formed.
#define WEFT_SIMD_SHIFT(Name, T, bits, op)                                   \
  inline V128 Name(V128 a, uint32_t n) {                                     \
    const T s = static_cast<T>(n & ((bits) - 1));                            \
    return simd_impl::Map1<T>(a, [=](auto x) { return x op s; });            \
  }
WEFT_SIMD_SHIFT(I8x16Shl, uint8_t, 8, <<)
WEFT_SIMD_SHIFT(I8x16ShrS, int8_t, 8, >>)
WEFT_SIMD_SHIFT(I8x16ShrU, uint8_t, 8, >>)
WEFT_SIMD_SHIFT(I16x8Shl, uint16_t, 16, <<)
WEFT_SIMD_SHIFT(I16x8ShrS, int16_t, 16, >>)
WEFT_SIMD_SHIFT(I16x8ShrU, uint16_t, 16, >>)
WEFT_SIMD_SHIFT(I32x4Shl, uint32_t, 32, <<)
WEFT_SIMD_SHIFT(I32x4ShrS, int32_t, 32, >>)
WEFT_SIMD_SHIFT(I32x4ShrU, uint32_t, 32, >>)
#undef WEFT_SIMD_SHIFT
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
#ifdef WEFT_SIMD_SSE2
inline uint32_t I8x16AllTrue(V128 a) {
  return _mm_movemask_epi8(_mm_cmpeq_epi8(simd_impl::ToI(a), _mm_setzero_si128())) == 0 ? 1 : 0;
}
inline uint32_t I16x8AllTrue(V128 a) {
  return _mm_movemask_epi8(_mm_cmpeq_epi16(simd_impl::ToI(a), _mm_setzero_si128())) == 0 ? 1 : 0;
}
inline uint32_t I32x4AllTrue(V128 a) {
  return _mm_movemask_epi8(_mm_cmpeq_epi32(simd_impl::ToI(a), _mm_setzero_si128())) == 0 ? 1 : 0;
}
inline uint32_t I8x16Bitmask(V128 a) {
  return static_cast<uint32_t>(_mm_movemask_epi8(simd_impl::ToI(a)));
}
inline uint32_t I16x8Bitmask(V128 a) {
  __m128i x = simd_impl::ToI(a);
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(x, x))) & 0xff;
}
inline uint32_t I32x4Bitmask(V128 a) {
  return static_cast<uint32_t>(_mm_movemask_ps(simd_impl::ToF(a)));
}
#else
inline uint32_t I8x16AllTrue(V128 a) { return simd_impl::AllTrue<uint8_t>(a); }
inline uint32_t I16x8AllTrue(V128 a) { return simd_impl::AllTrue<uint16_t>(a); }
inline uint32_t I32x4AllTrue(V128 a) { return simd_impl::AllTrue<uint32_t>(a); }
inline uint32_t I8x16Bitmask(V128 a) { return simd_impl::Bitmask<uint8_t>(a); }
inline uint32_t I16x8Bitmask(V128 a) { return simd_impl::Bitmask<uint16_t>(a); }
inline uint32_t I32x4Bitmask(V128 a) { return simd_impl::Bitmask<uint32_t>(a); }
#endif
inline uint32_t I64x2AllTrue(V128 a) { return (a.lo != 0 && a.hi != 0) ? 1 : 0; }
inline uint32_t I64x2Bitmask(V128 a) {
  return static_cast<uint32_t>((a.lo >> 63) | ((a.hi >> 63) << 1));
}

// Narrowing (inputs are signed, saturated into the signed or unsigned narrow range).
#ifdef WEFT_SIMD_SSE2
WEFT_SIMD_SSE_BIN(I8x16NarrowI16x8S, _mm_packs_epi16)
WEFT_SIMD_SSE_BIN(I8x16NarrowI16x8U, _mm_packus_epi16)
WEFT_SIMD_SSE_BIN(I16x8NarrowI32x4S, _mm_packs_epi32)
#ifdef WEFT_SIMD_SSE41
WEFT_SIMD_SSE_BIN(I16x8NarrowI32x4U, _mm_packus_epi32)
#else
inline V128 I16x8NarrowI32x4U(V128 a, V128 b) {
  // SSE2 has only the signed 32->16 pack: clamp negatives to 0, bias by -32768 into the signed
  // range (no wrap once non-negative), pack with signed saturation, and unbias.
  auto bias = [](__m128i x) {
    x = _mm_andnot_si128(_mm_srai_epi32(x, 31), x);
    return _mm_sub_epi32(x, _mm_set1_epi32(32768));
  };
  __m128i r = _mm_packs_epi32(bias(simd_impl::ToI(a)), bias(simd_impl::ToI(b)));
  return simd_impl::FromI(_mm_xor_si128(r, _mm_set1_epi16(-32768)));
}
#endif
#else
inline V128 I8x16NarrowI16x8S(V128 a, V128 b) { return simd_impl::Narrow<int8_t, int16_t>(a, b); }
inline V128 I8x16NarrowI16x8U(V128 a, V128 b) { return simd_impl::Narrow<uint8_t, int16_t>(a, b); }
inline V128 I16x8NarrowI32x4S(V128 a, V128 b) { return simd_impl::Narrow<int16_t, int32_t>(a, b); }
inline V128 I16x8NarrowI32x4U(V128 a, V128 b) { return simd_impl::Narrow<uint16_t, int32_t>(a, b); }
#endif

// Extension (low = lanes 0..n/2-1, high = lanes n/2..n-1).
#ifdef WEFT_SIMD_SSE2
namespace simd_impl {
// Interleaving a vector with itself and shifting arithmetically sign-extends; interleaving
// with zero zero-extends.
inline __m128i ExtLo8S(__m128i x) { return _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8); }
inline __m128i ExtHi8S(__m128i x) { return _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8); }
inline __m128i ExtLo8U(__m128i x) { return _mm_unpacklo_epi8(x, _mm_setzero_si128()); }
inline __m128i ExtHi8U(__m128i x) { return _mm_unpackhi_epi8(x, _mm_setzero_si128()); }
inline __m128i ExtLo16S(__m128i x) { return _mm_srai_epi32(_mm_unpacklo_epi16(x, x), 16); }
inline __m128i ExtHi16S(__m128i x) { return _mm_srai_epi32(_mm_unpackhi_epi16(x, x), 16); }
inline __m128i ExtLo16U(__m128i x) { return _mm_unpacklo_epi16(x, _mm_setzero_si128()); }
inline __m128i ExtHi16U(__m128i x) { return _mm_unpackhi_epi16(x, _mm_setzero_si128()); }
inline __m128i ExtLo32S(__m128i x) { return _mm_unpacklo_epi32(x, _mm_srai_epi32(x, 31)); }
inline __m128i ExtHi32S(__m128i x) { return _mm_unpackhi_epi32(x, _mm_srai_epi32(x, 31)); }
inline __m128i ExtLo32U(__m128i x) { return _mm_unpacklo_epi32(x, _mm_setzero_si128()); }
inline __m128i ExtHi32U(__m128i x) { return _mm_unpackhi_epi32(x, _mm_setzero_si128()); }
}  // namespace simd_impl
#define WEFT_SIMD_EXT(Name, fn) \
  inline V128 Name(V128 a) { return simd_impl::FromI(simd_impl::fn(simd_impl::ToI(a))); }
WEFT_SIMD_EXT(I16x8ExtendLowI8x16S, ExtLo8S)
WEFT_SIMD_EXT(I16x8ExtendHighI8x16S, ExtHi8S)
WEFT_SIMD_EXT(I16x8ExtendLowI8x16U, ExtLo8U)
WEFT_SIMD_EXT(I16x8ExtendHighI8x16U, ExtHi8U)
WEFT_SIMD_EXT(I32x4ExtendLowI16x8S, ExtLo16S)
WEFT_SIMD_EXT(I32x4ExtendHighI16x8S, ExtHi16S)
WEFT_SIMD_EXT(I32x4ExtendLowI16x8U, ExtLo16U)
WEFT_SIMD_EXT(I32x4ExtendHighI16x8U, ExtHi16U)
WEFT_SIMD_EXT(I64x2ExtendLowI32x4S, ExtLo32S)
WEFT_SIMD_EXT(I64x2ExtendHighI32x4S, ExtHi32S)
WEFT_SIMD_EXT(I64x2ExtendLowI32x4U, ExtLo32U)
WEFT_SIMD_EXT(I64x2ExtendHighI32x4U, ExtHi32U)
#undef WEFT_SIMD_EXT
#else
inline V128 I16x8ExtendLowI8x16S(V128 a) { return simd_impl::Extend<int16_t, int8_t>(a, 0); }
inline V128 I16x8ExtendHighI8x16S(V128 a) { return simd_impl::Extend<int16_t, int8_t>(a, 8); }
inline V128 I16x8ExtendLowI8x16U(V128 a) { return simd_impl::Extend<uint16_t, uint8_t>(a, 0); }
inline V128 I16x8ExtendHighI8x16U(V128 a) { return simd_impl::Extend<uint16_t, uint8_t>(a, 8); }
inline V128 I32x4ExtendLowI16x8S(V128 a) { return simd_impl::Extend<int32_t, int16_t>(a, 0); }
inline V128 I32x4ExtendHighI16x8S(V128 a) { return simd_impl::Extend<int32_t, int16_t>(a, 4); }
inline V128 I32x4ExtendLowI16x8U(V128 a) { return simd_impl::Extend<uint32_t, uint16_t>(a, 0); }
inline V128 I32x4ExtendHighI16x8U(V128 a) { return simd_impl::Extend<uint32_t, uint16_t>(a, 4); }
inline V128 I64x2ExtendLowI32x4S(V128 a) { return simd_impl::Extend<int64_t, int32_t>(a, 0); }
inline V128 I64x2ExtendHighI32x4S(V128 a) { return simd_impl::Extend<int64_t, int32_t>(a, 2); }
inline V128 I64x2ExtendLowI32x4U(V128 a) { return simd_impl::Extend<uint64_t, uint32_t>(a, 0); }
inline V128 I64x2ExtendHighI32x4U(V128 a) { return simd_impl::Extend<uint64_t, uint32_t>(a, 2); }
#endif

// Extended multiplication.
#ifdef WEFT_SIMD_SSE2
#define WEFT_SIMD_EXTMUL8(Name, ext)                                                   \
  inline V128 Name(V128 a, V128 b) {                                                   \
    return simd_impl::FromI(_mm_mullo_epi16(simd_impl::ext(simd_impl::ToI(a)),         \
                                            simd_impl::ext(simd_impl::ToI(b))));       \
  }
WEFT_SIMD_EXTMUL8(I16x8ExtmulLowI8x16S, ExtLo8S)
WEFT_SIMD_EXTMUL8(I16x8ExtmulHighI8x16S, ExtHi8S)
WEFT_SIMD_EXTMUL8(I16x8ExtmulLowI8x16U, ExtLo8U)
WEFT_SIMD_EXTMUL8(I16x8ExtmulHighI8x16U, ExtHi8U)
#undef WEFT_SIMD_EXTMUL8
// 16x16 -> 32: the low and high product halves, interleaved.
#define WEFT_SIMD_EXTMUL16(Name, mulhi, unpack)                                         \
  inline V128 Name(V128 a, V128 b) {                                                    \
    __m128i x = simd_impl::ToI(a), y = simd_impl::ToI(b);                               \
    return simd_impl::FromI(unpack(_mm_mullo_epi16(x, y), mulhi(x, y)));                \
  }
WEFT_SIMD_EXTMUL16(I32x4ExtmulLowI16x8S, _mm_mulhi_epi16, _mm_unpacklo_epi16)
WEFT_SIMD_EXTMUL16(I32x4ExtmulHighI16x8S, _mm_mulhi_epi16, _mm_unpackhi_epi16)
WEFT_SIMD_EXTMUL16(I32x4ExtmulLowI16x8U, _mm_mulhi_epu16, _mm_unpacklo_epi16)
WEFT_SIMD_EXTMUL16(I32x4ExtmulHighI16x8U, _mm_mulhi_epu16, _mm_unpackhi_epi16)
#undef WEFT_SIMD_EXTMUL16
// 32x32 -> 64: pmuludq (pmuldq with SSE4.1) multiplies lanes 0 and 2.
inline V128 I64x2ExtmulLowI32x4U(V128 a, V128 b) {
  return simd_impl::FromI(_mm_mul_epu32(_mm_shuffle_epi32(simd_impl::ToI(a), 0x50),
                                        _mm_shuffle_epi32(simd_impl::ToI(b), 0x50)));
}
inline V128 I64x2ExtmulHighI32x4U(V128 a, V128 b) {
  return simd_impl::FromI(_mm_mul_epu32(_mm_shuffle_epi32(simd_impl::ToI(a), 0xfa),
                                        _mm_shuffle_epi32(simd_impl::ToI(b), 0xfa)));
}
#ifdef WEFT_SIMD_SSE41
inline V128 I64x2ExtmulLowI32x4S(V128 a, V128 b) {
  return simd_impl::FromI(_mm_mul_epi32(_mm_shuffle_epi32(simd_impl::ToI(a), 0x50),
                                        _mm_shuffle_epi32(simd_impl::ToI(b), 0x50)));
}
inline V128 I64x2ExtmulHighI32x4S(V128 a, V128 b) {
  return simd_impl::FromI(_mm_mul_epi32(_mm_shuffle_epi32(simd_impl::ToI(a), 0xfa),
                                        _mm_shuffle_epi32(simd_impl::ToI(b), 0xfa)));
}
#else
inline V128 I64x2ExtmulLowI32x4S(V128 a, V128 b) { return simd_impl::ExtMul<int64_t, int32_t>(a, b, 0); }
inline V128 I64x2ExtmulHighI32x4S(V128 a, V128 b) { return simd_impl::ExtMul<int64_t, int32_t>(a, b, 2); }
#endif
#else
inline V128 I16x8ExtmulLowI8x16S(V128 a, V128 b) { return simd_impl::ExtMul<int16_t, int8_t>(a, b, 0); }
inline V128 I16x8ExtmulHighI8x16S(V128 a, V128 b) { return simd_impl::ExtMul<int16_t, int8_t>(a, b, 8); }
inline V128 I16x8ExtmulLowI8x16U(V128 a, V128 b) { return simd_impl::ExtMul<uint16_t, uint8_t>(a, b, 0); }
inline V128 I16x8ExtmulHighI8x16U(V128 a, V128 b) { return simd_impl::ExtMul<uint16_t, uint8_t>(a, b, 8); }
inline V128 I32x4ExtmulLowI16x8S(V128 a, V128 b) { return simd_impl::ExtMul<int32_t, int16_t>(a, b, 0); }
inline V128 I32x4ExtmulHighI16x8S(V128 a, V128 b) { return simd_impl::ExtMul<int32_t, int16_t>(a, b, 4); }
inline V128 I32x4ExtmulLowI16x8U(V128 a, V128 b) { return simd_impl::ExtMul<uint32_t, uint16_t>(a, b, 0); }
inline V128 I32x4ExtmulHighI16x8U(V128 a, V128 b) { return simd_impl::ExtMul<uint32_t, uint16_t>(a, b, 4); }
inline V128 I64x2ExtmulLowI32x4S(V128 a, V128 b) { return simd_impl::ExtMul<int64_t, int32_t>(a, b, 0); }
inline V128 I64x2ExtmulHighI32x4S(V128 a, V128 b) { return simd_impl::ExtMul<int64_t, int32_t>(a, b, 2); }
inline V128 I64x2ExtmulLowI32x4U(V128 a, V128 b) { return simd_impl::ExtMul<uint64_t, uint32_t>(a, b, 0); }
inline V128 I64x2ExtmulHighI32x4U(V128 a, V128 b) { return simd_impl::ExtMul<uint64_t, uint32_t>(a, b, 2); }
#endif

// Pairwise extended addition.
#ifdef WEFT_SIMD_SSE2
inline V128 I16x8ExtaddPairwiseI8x16S(V128 a) {
  __m128i x = simd_impl::ToI(a);
  return simd_impl::FromI(
      _mm_add_epi16(_mm_srai_epi16(_mm_slli_epi16(x, 8), 8), _mm_srai_epi16(x, 8)));
}
inline V128 I16x8ExtaddPairwiseI8x16U(V128 a) {
  __m128i x = simd_impl::ToI(a);
  return simd_impl::FromI(_mm_add_epi16(_mm_and_si128(x, _mm_set1_epi16(0xff)), _mm_srli_epi16(x, 8)));
}
inline V128 I32x4ExtaddPairwiseI16x8S(V128 a) {
  return simd_impl::FromI(_mm_madd_epi16(simd_impl::ToI(a), _mm_set1_epi16(1)));
}
inline V128 I32x4ExtaddPairwiseI16x8U(V128 a) {
  __m128i x = simd_impl::ToI(a);
  return simd_impl::FromI(
      _mm_add_epi32(_mm_and_si128(x, _mm_set1_epi32(0xffff)), _mm_srli_epi32(x, 16)));
}
#else
inline V128 I16x8ExtaddPairwiseI8x16S(V128 a) { return simd_impl::ExtAddPairwise<int16_t, int8_t>(a); }
inline V128 I16x8ExtaddPairwiseI8x16U(V128 a) { return simd_impl::ExtAddPairwise<uint16_t, uint8_t>(a); }
inline V128 I32x4ExtaddPairwiseI16x8S(V128 a) { return simd_impl::ExtAddPairwise<int32_t, int16_t>(a); }
inline V128 I32x4ExtaddPairwiseI16x8U(V128 a) { return simd_impl::ExtAddPairwise<uint32_t, uint16_t>(a); }
#endif

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

// add/sub/mul/div: IEEE hardware arithmetic yields the canonical NaN for invalid operations
// and a quieted input NaN otherwise, both allowed by the spec.
#define WEFT_SIMD_FBIN(Name, T, op)                                                   \
  inline V128 Name(V128 a, V128 b) {                                                  \
    return simd_impl::Map2<T>(a, b, [](auto x, auto y) { return x op y; });           \
  }
WEFT_SIMD_FBIN(F32x4Add, float, +)
WEFT_SIMD_FBIN(F32x4Sub, float, -)
WEFT_SIMD_FBIN(F32x4Mul, float, *)
WEFT_SIMD_FBIN(F32x4Div, float, /)
WEFT_SIMD_FBIN(F64x2Add, double, +)
WEFT_SIMD_FBIN(F64x2Sub, double, -)
WEFT_SIMD_FBIN(F64x2Mul, double, *)
WEFT_SIMD_FBIN(F64x2Div, double, /)
#undef WEFT_SIMD_FBIN

#ifdef WEFT_SIMD_SSE2
inline V128 F32x4Sqrt(V128 a) { return simd_impl::FromF(_mm_sqrt_ps(simd_impl::ToF(a))); }
inline V128 F64x2Sqrt(V128 a) { return simd_impl::FromD(_mm_sqrt_pd(simd_impl::ToD(a))); }
inline V128 F32x4Min(V128 a, V128 b) {
  return simd_impl::FromF(simd_impl::WasmMin(simd_impl::ToF(a), simd_impl::ToF(b)));
}
inline V128 F32x4Max(V128 a, V128 b) {
  return simd_impl::FromF(simd_impl::WasmMax(simd_impl::ToF(a), simd_impl::ToF(b)));
}
inline V128 F64x2Min(V128 a, V128 b) {
  return simd_impl::FromD(simd_impl::WasmMin(simd_impl::ToD(a), simd_impl::ToD(b)));
}
inline V128 F64x2Max(V128 a, V128 b) {
  return simd_impl::FromD(simd_impl::WasmMax(simd_impl::ToD(a), simd_impl::ToD(b)));
}
// minps(b, a) is exactly `b < a ? b : a` (second operand on NaN), likewise maxps.
inline V128 F32x4Pmin(V128 a, V128 b) { return simd_impl::FromF(_mm_min_ps(simd_impl::ToF(b), simd_impl::ToF(a))); }
inline V128 F32x4Pmax(V128 a, V128 b) { return simd_impl::FromF(_mm_max_ps(simd_impl::ToF(b), simd_impl::ToF(a))); }
inline V128 F64x2Pmin(V128 a, V128 b) { return simd_impl::FromD(_mm_min_pd(simd_impl::ToD(b), simd_impl::ToD(a))); }
inline V128 F64x2Pmax(V128 a, V128 b) { return simd_impl::FromD(_mm_max_pd(simd_impl::ToD(b), simd_impl::ToD(a))); }
#else
inline V128 F32x4Sqrt(V128 a) { return simd_impl::Loop1<float>(a, [](float x) { return std::sqrt(x); }); }
inline V128 F64x2Sqrt(V128 a) { return simd_impl::Loop1<double>(a, [](double x) { return std::sqrt(x); }); }
inline V128 F32x4Min(V128 a, V128 b) { return simd_impl::Loop2<float>(a, b, simd_impl::FMin<float>); }
inline V128 F32x4Max(V128 a, V128 b) { return simd_impl::Loop2<float>(a, b, simd_impl::FMax<float>); }
inline V128 F64x2Min(V128 a, V128 b) { return simd_impl::Loop2<double>(a, b, simd_impl::FMin<double>); }
inline V128 F64x2Max(V128 a, V128 b) { return simd_impl::Loop2<double>(a, b, simd_impl::FMax<double>); }
// Pseudo-min/max: exactly `b < a ? b : a` and `a < b ? b : a`, NaN operands pass unchanged.
inline V128 F32x4Pmin(V128 a, V128 b) {
  return simd_impl::Map2<float>(a, b, [](auto x, auto y) { return y < x ? y : x; });
}
inline V128 F32x4Pmax(V128 a, V128 b) {
  return simd_impl::Map2<float>(a, b, [](auto x, auto y) { return x < y ? y : x; });
}
inline V128 F64x2Pmin(V128 a, V128 b) {
  return simd_impl::Map2<double>(a, b, [](auto x, auto y) { return y < x ? y : x; });
}
inline V128 F64x2Pmax(V128 a, V128 b) {
  return simd_impl::Map2<double>(a, b, [](auto x, auto y) { return x < y ? y : x; });
}
#endif

// Rounding to integral values. NaN lanes come out quieted.
#if defined(WEFT_SIMD_SSE41)
#define WEFT_SIMD_ROUND(Name, mode)                                                                   \
  inline V128 Name##F32(V128 a) { return simd_impl::FromF(_mm_round_ps(simd_impl::ToF(a), mode)); }  \
  inline V128 Name##F64(V128 a) { return simd_impl::FromD(_mm_round_pd(simd_impl::ToD(a), mode)); }
#elif defined(WEFT_SIMD_SSE2)
#define WEFT_SIMD_ROUND(Name, kind)                                                         \
  inline V128 Name##F32(V128 a) {                                                           \
    return simd_impl::FromF(simd_impl::Round<kind>(simd_impl::ToF(a)));                   \
  }                                                                                         \
  inline V128 Name##F64(V128 a) {                                                           \
    return simd_impl::FromD(simd_impl::Round<kind>(simd_impl::ToD(a)));                   \
  }
#endif
#ifdef WEFT_SIMD_ROUND
namespace simd_impl {
#ifdef WEFT_SIMD_SSE41
WEFT_SIMD_ROUND(Nearest, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
WEFT_SIMD_ROUND(Ceil, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC)
WEFT_SIMD_ROUND(Floor, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)
WEFT_SIMD_ROUND(Trunc, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC)
#else
WEFT_SIMD_ROUND(Nearest, 0)
WEFT_SIMD_ROUND(Ceil, 1)
WEFT_SIMD_ROUND(Floor, 2)
WEFT_SIMD_ROUND(Trunc, 3)
#endif
}  // namespace simd_impl
#undef WEFT_SIMD_ROUND
inline V128 F32x4Ceil(V128 a) { return simd_impl::CeilF32(a); }
inline V128 F32x4Floor(V128 a) { return simd_impl::FloorF32(a); }
inline V128 F32x4Trunc(V128 a) { return simd_impl::TruncF32(a); }
inline V128 F32x4Nearest(V128 a) { return simd_impl::NearestF32(a); }
inline V128 F64x2Ceil(V128 a) { return simd_impl::CeilF64(a); }
inline V128 F64x2Floor(V128 a) { return simd_impl::FloorF64(a); }
inline V128 F64x2Trunc(V128 a) { return simd_impl::TruncF64(a); }
inline V128 F64x2Nearest(V128 a) { return simd_impl::NearestF64(a); }
#else
inline V128 F32x4Ceil(V128 a) { return simd_impl::Loop1<float>(a, simd_impl::FCeil<float>); }
inline V128 F32x4Floor(V128 a) { return simd_impl::Loop1<float>(a, simd_impl::FFloor<float>); }
inline V128 F32x4Trunc(V128 a) { return simd_impl::Loop1<float>(a, simd_impl::FTrunc<float>); }
inline V128 F32x4Nearest(V128 a) { return simd_impl::Loop1<float>(a, simd_impl::FNearest<float>); }
inline V128 F64x2Ceil(V128 a) { return simd_impl::Loop1<double>(a, simd_impl::FCeil<double>); }
inline V128 F64x2Floor(V128 a) { return simd_impl::Loop1<double>(a, simd_impl::FFloor<double>); }
inline V128 F64x2Trunc(V128 a) { return simd_impl::Loop1<double>(a, simd_impl::FTrunc<double>); }
inline V128 F64x2Nearest(V128 a) { return simd_impl::Loop1<double>(a, simd_impl::FNearest<double>); }
#endif

// ======================================================================================
// Conversions
// ======================================================================================

inline V128 I32x4TruncSatF32x4S(V128 a) {
#ifdef WEFT_SIMD_SSE2
  // cvttps2dq yields 0x80000000 for NaN and out-of-range lanes: zero the NaNs first, then turn
  // 0x80000000 into 0x7fffffff where the input was positive.
  __m128 x = simd_impl::ToF(a);
  __m128 ordered = _mm_cmpeq_ps(x, x);
  x = _mm_and_ps(x, ordered);
  __m128i r = _mm_cvttps_epi32(x);
  __m128i positive_overflow =
      _mm_and_si128(_mm_castps_si128(_mm_xor_ps(ordered, x)), r);  // sign: x >= 0 and r < 0
  return simd_impl::FromI(_mm_xor_si128(r, _mm_srai_epi32(positive_overflow, 31)));
#else
  simd_impl::Lanes<float> x = simd_impl::Get<float>(a);
  simd_impl::Lanes<int32_t> r;
  for (int i = 0; i < 4; ++i) r.v[i] = simd_impl::TruncSat<int32_t>(x.v[i]);
  return simd_impl::Put(r);
#endif
}
inline V128 I32x4TruncSatF32x4U(V128 a) {
#ifdef WEFT_SIMD_SSE2
  // maxps(x, 0) maps NaN and negatives to 0. Lanes >= 2^31 are converted after subtracting
  // 2^31 (exact there) and get the top bit back; lanes >= 2^32 saturate to all ones.
  __m128 x = _mm_max_ps(simd_impl::ToF(a), _mm_setzero_ps());
  __m128 two31 = _mm_set1_ps(2147483648.0f);
  __m128i low = _mm_cvttps_epi32(x);
  __m128 xh = _mm_sub_ps(x, two31);
  __m128i high = _mm_or_si128(_mm_cvttps_epi32(xh), _mm_set1_epi32(INT32_MIN));
  high = _mm_or_si128(high, _mm_castps_si128(_mm_cmple_ps(two31, xh)));
  __m128i is_high = _mm_castps_si128(_mm_cmple_ps(two31, x));
  return simd_impl::FromI(_mm_or_si128(_mm_and_si128(is_high, high), _mm_andnot_si128(is_high, low)));
#else
  simd_impl::Lanes<float> x = simd_impl::Get<float>(a);
  simd_impl::Lanes<uint32_t> r;
  for (int i = 0; i < 4; ++i) r.v[i] = simd_impl::TruncSat<uint32_t>(x.v[i]);
  return simd_impl::Put(r);
#endif
}
inline V128 I32x4TruncSatF64x2SZero(V128 a) {
#ifdef WEFT_SIMD_SSE2
  // Zero NaNs, clamp into the int32 range (bounds exact in f64), then truncate.
  __m128d x = simd_impl::ToD(a);
  x = _mm_and_pd(x, _mm_cmpeq_pd(x, x));
  x = _mm_min_pd(_mm_max_pd(x, _mm_set1_pd(-2147483648.0)), _mm_set1_pd(2147483647.0));
  return simd_impl::FromI(_mm_cvttpd_epi32(x));
#else
  simd_impl::Lanes<double> x = simd_impl::Get<double>(a);
  simd_impl::Lanes<int32_t> r = {{simd_impl::TruncSat<int32_t>(x.v[0]), simd_impl::TruncSat<int32_t>(x.v[1]), 0, 0}};
  return simd_impl::Put(r);
#endif
}
inline V128 I32x4TruncSatF64x2UZero(V128 a) {
#ifdef WEFT_SIMD_SSE2
  // Zero NaNs and clamp into [0, 2^32 - 1]; truncate with the 2^52 trick (round, then step
  // down if that went up); the integer then sits in the low 32 bits of t + 2^52.
  __m128d x = simd_impl::ToD(a);
  x = _mm_and_pd(x, _mm_cmpeq_pd(x, x));
  x = _mm_min_pd(_mm_max_pd(x, _mm_setzero_pd()), _mm_set1_pd(4294967295.0));
  __m128d big = _mm_set1_pd(simd_impl::FBits<double>::kTwoPowMant);
  __m128d t = _mm_sub_pd(_mm_add_pd(x, big), big);
  t = _mm_sub_pd(t, _mm_and_pd(_mm_cmpgt_pd(t, x), _mm_set1_pd(1.0)));
  __m128i bits = _mm_castpd_si128(_mm_add_pd(t, big));
  return simd_impl::FromI(_mm_move_epi64(_mm_shuffle_epi32(bits, 0x08)));
#else
  simd_impl::Lanes<double> x = simd_impl::Get<double>(a);
  simd_impl::Lanes<uint32_t> r = {
      {simd_impl::TruncSat<uint32_t>(x.v[0]), simd_impl::TruncSat<uint32_t>(x.v[1]), 0, 0}};
  return simd_impl::Put(r);
#endif
}
inline V128 F32x4ConvertI32x4S(V128 a) {
#ifdef WEFT_SIMD_SSE2
  return simd_impl::FromF(_mm_cvtepi32_ps(simd_impl::ToI(a)));
#else
  simd_impl::Lanes<int32_t> x = simd_impl::Get<int32_t>(a);
  simd_impl::Lanes<float> r;
  for (int i = 0; i < 4; ++i) r.v[i] = static_cast<float>(x.v[i]);
  return simd_impl::Put(r);
#endif
}
inline V128 F32x4ConvertI32x4U(V128 a) {
#ifdef WEFT_SIMD_SSE2
  // hi * 2^16 and lo are exact in f32; their sum is rounded once, so the result is correctly
  // rounded.
  __m128i x = simd_impl::ToI(a);
  __m128 hi = _mm_cvtepi32_ps(_mm_srli_epi32(x, 16));
  __m128 lo = _mm_cvtepi32_ps(_mm_and_si128(x, _mm_set1_epi32(0xffff)));
  return simd_impl::FromF(_mm_add_ps(_mm_mul_ps(hi, _mm_set1_ps(65536.0f)), lo));
#else
  simd_impl::Lanes<uint32_t> x = simd_impl::Get<uint32_t>(a);
  simd_impl::Lanes<float> r;
  for (int i = 0; i < 4; ++i) r.v[i] = static_cast<float>(x.v[i]);
  return simd_impl::Put(r);
#endif
}
inline V128 F64x2ConvertLowI32x4S(V128 a) {
#ifdef WEFT_SIMD_SSE2
  return simd_impl::FromD(_mm_cvtepi32_pd(simd_impl::ToI(a)));
#else
  simd_impl::Lanes<int32_t> x = simd_impl::Get<int32_t>(a);
  simd_impl::Lanes<double> r = {{static_cast<double>(x.v[0]), static_cast<double>(x.v[1])}};
  return simd_impl::Put(r);
#endif
}
inline V128 F64x2ConvertLowI32x4U(V128 a) {
#ifdef WEFT_SIMD_SSE2
  // Flip the top bit, convert as signed, add 2^31 back: all exact in f64.
  __m128i x = _mm_xor_si128(simd_impl::ToI(a), _mm_set1_epi32(INT32_MIN));
  return simd_impl::FromD(_mm_add_pd(_mm_cvtepi32_pd(x), _mm_set1_pd(2147483648.0)));
#else
  simd_impl::Lanes<uint32_t> x = simd_impl::Get<uint32_t>(a);
  simd_impl::Lanes<double> r = {{static_cast<double>(x.v[0]), static_cast<double>(x.v[1])}};
  return simd_impl::Put(r);
#endif
}
/// Rounds to nearest even; NaNs come out quieted (arithmetic), as the spec allows.
inline V128 F32x4DemoteF64x2Zero(V128 a) {
#ifdef WEFT_SIMD_SSE2
  return simd_impl::FromF(_mm_cvtpd_ps(simd_impl::ToD(a)));
#else
  simd_impl::Lanes<double> x = simd_impl::Get<double>(a);
  simd_impl::Lanes<float> r = {{static_cast<float>(x.v[0]), static_cast<float>(x.v[1]), 0.0f, 0.0f}};
  return simd_impl::Put(r);
#endif
}
inline V128 F64x2PromoteLowF32x4(V128 a) {
#ifdef WEFT_SIMD_SSE2
  return simd_impl::FromD(_mm_cvtps_pd(simd_impl::ToF(a)));
#else
  simd_impl::Lanes<float> x = simd_impl::Get<float>(a);
  simd_impl::Lanes<double> r = {{static_cast<double>(x.v[0]), static_cast<double>(x.v[1])}};
  return simd_impl::Put(r);
#endif
}

#ifdef WEFT_SIMD_SSE_BIN
#undef WEFT_SIMD_SSE_BIN
#endif

// ======================================================================================
// Memory: extending, splatting, zero-filling and lane loads; lane stores. `p` is the
// effective address, already bounds-checked by the caller for the access size (8 bytes for
// the extending loads, the lane size for the others). Unaligned access is fine.
// ======================================================================================

#ifdef WEFT_SIMD_SSE2
#define WEFT_SIMD_LOADEXT(Name, ext)                                                            \
  inline V128 Name(const uint8_t* p) {                                                          \
    return simd_impl::FromI(simd_impl::ext(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)))); \
  }
WEFT_SIMD_LOADEXT(V128Load8x8S, ExtLo8S)
WEFT_SIMD_LOADEXT(V128Load8x8U, ExtLo8U)
WEFT_SIMD_LOADEXT(V128Load16x4S, ExtLo16S)
WEFT_SIMD_LOADEXT(V128Load16x4U, ExtLo16U)
WEFT_SIMD_LOADEXT(V128Load32x2S, ExtLo32S)
WEFT_SIMD_LOADEXT(V128Load32x2U, ExtLo32U)
#undef WEFT_SIMD_LOADEXT
#else
inline V128 V128Load8x8S(const uint8_t* p) { return simd_impl::LoadExtend<int16_t, int8_t>(p); }
inline V128 V128Load8x8U(const uint8_t* p) { return simd_impl::LoadExtend<uint16_t, uint8_t>(p); }
inline V128 V128Load16x4S(const uint8_t* p) { return simd_impl::LoadExtend<int32_t, int16_t>(p); }
inline V128 V128Load16x4U(const uint8_t* p) { return simd_impl::LoadExtend<uint32_t, uint16_t>(p); }
inline V128 V128Load32x2S(const uint8_t* p) { return simd_impl::LoadExtend<int64_t, int32_t>(p); }
inline V128 V128Load32x2U(const uint8_t* p) { return simd_impl::LoadExtend<uint64_t, uint32_t>(p); }
#endif

inline V128 V128Load8Splat(const uint8_t* p) { return I8x16Splat(p[0]); }
inline V128 V128Load16Splat(const uint8_t* p) { return I16x8Splat(simd_impl::Load<uint16_t>(p)); }
inline V128 V128Load32Splat(const uint8_t* p) { return I32x4Splat(simd_impl::Load<uint32_t>(p)); }
inline V128 V128Load64Splat(const uint8_t* p) { return I64x2Splat(simd_impl::Load<uint64_t>(p)); }

inline V128 V128Load32Zero(const uint8_t* p) { return {simd_impl::Load<uint32_t>(p), 0}; }
inline V128 V128Load64Zero(const uint8_t* p) { return {simd_impl::Load<uint64_t>(p), 0}; }

inline V128 V128Load8Lane(V128 v, const uint8_t* p, uint32_t lane) {
  return simd_impl::Replace<uint8_t>(v, lane, p[0]);
}
inline V128 V128Load16Lane(V128 v, const uint8_t* p, uint32_t lane) {
  return simd_impl::Replace<uint16_t>(v, lane, simd_impl::Load<uint16_t>(p));
}
inline V128 V128Load32Lane(V128 v, const uint8_t* p, uint32_t lane) {
  return simd_impl::Replace<uint32_t>(v, lane, simd_impl::Load<uint32_t>(p));
}
inline V128 V128Load64Lane(V128 v, const uint8_t* p, uint32_t lane) {
  return simd_impl::Replace<uint64_t>(v, lane, simd_impl::Load<uint64_t>(p));
}

inline void V128Store8Lane(uint8_t* p, V128 v, uint32_t lane) {
  p[0] = simd_impl::Extract<uint8_t>(v, lane);
}
inline void V128Store16Lane(uint8_t* p, V128 v, uint32_t lane) {
  uint16_t x = simd_impl::Extract<uint16_t>(v, lane);
  std::memcpy(p, &x, 2);
}
inline void V128Store32Lane(uint8_t* p, V128 v, uint32_t lane) {
  uint32_t x = simd_impl::Extract<uint32_t>(v, lane);
  std::memcpy(p, &x, 4);
}
inline void V128Store64Lane(uint8_t* p, V128 v, uint32_t lane) {
  uint64_t x = simd_impl::Extract<uint64_t>(v, lane);
  std::memcpy(p, &x, 8);
}

}  // namespace WEFT_SIMD_NS
}  // namespace weft::interp::simd

#endif  // WEFT_SIMD_BODY
