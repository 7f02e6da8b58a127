// Prints wasm values the way binaryen 108's interpreter does in `wasm-opt --fuzz-exec-before`
// traces, so weft-fuzz-exec's lines can be compared with binaryen's byte for byte.
//
// Floats follow binaryen's Literal::printFloat/printDouble: NaN as "nan"/"-nan" with
// ":0x<payload>" when the fraction is not zero, "-0", "inf"/"-inf", otherwise the shorter of a
// fixed and an exponent rendering that reads back exactly (trailing zeros trimmed, integral
// values ending in 3+ zeros written "12e3", a leading "." completed to "0."). f32 values are
// printed as the double they widen to. This is a behavioural re-implementation written here.
#pragma once

#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace weft::fuzz {

namespace detail {

inline bool IsIntegral(double x) { return std::trunc(x) == x && !std::isinf(x); }

inline bool FitsUint64(double x) {
  return !std::signbit(x) && IsIntegral(x) &&
         x <= static_cast<double>(std::numeric_limits<uint64_t>::max());
}

inline uint64_t ToUint64Saturated(double x) {
  if (std::signbit(x)) return 0;
  if (x < static_cast<double>(std::numeric_limits<uint64_t>::max())) return static_cast<uint64_t>(x);
  return std::numeric_limits<uint64_t>::max();
}

// Erases s[i].
inline void EraseAt(std::string& s, size_t i) { s.erase(i, 1); }

// One candidate rendering: fixed (exponent == false) or scientific; returns the text and sets
// `error` to |parsed - d|.
inline std::string Render(double d, bool integral, bool exponent, double& error) {
  char buf[512];
  double back = 0;
  if (!integral) {
    for (int digits = 0; digits <= 18; digits++) {
      std::snprintf(buf, sizeof buf, exponent ? "%.*e" : "%.*f", digits, d);
      back = std::strtod(buf, nullptr);
      if (back == d) break;
    }
  } else if (FitsUint64(d)) {
    std::snprintf(buf, sizeof buf, "%" PRIu64, ToUint64Saturated(d));
    back = std::strtod(buf, nullptr);
  } else {
    std::snprintf(buf, sizeof buf, exponent ? "%e" : "%.0f", d);
    back = std::strtod(buf, nullptr);
  }
  error = std::fabs(back - d);
  std::string s = buf;
  size_t dot = s.find('.');
  if (dot != std::string::npos) {
    // Trim zeros at the end of the fraction digits (not of an exponent), then leading zeros.
    size_t end = dot + 1;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') end++;
    size_t i = end - 1;
    while (s[i] == '0') {
      EraseAt(s, i);
      i--;
    }
    while (!s.empty() && s[0] == '0') EraseAt(s, 0);
  } else if (!integral || !exponent) {
    // "12345000" -> "12345e3"; past 24 digits any digit is dropped.
    if (s.empty()) return s;
    size_t end = s.size() - 1;
    size_t test = end;
    while ((s[test] == '0' || test > 24) && test > 0) test--;
    size_t zeros = end - test;
    if (zeros >= 3) {
      s.resize(test + 1);
      s += 'e';
      s += std::to_string(zeros);
    }
  }
  return s;
}

}  // namespace detail

/// binaryen's rendering of a finite, non-zero-or-positive-zero double (no sign handling of NaN).
inline std::string NumToString(double d) {
  bool negative = d < 0;
  if (negative) d = -d;
  bool integral = detail::IsIntegral(d);
  double err_f = 0, err_e = 0;
  std::string f = detail::Render(d, integral, false, err_f);
  std::string e = detail::Render(d, integral, true, err_e);
  std::string r;
  if (err_e == err_f) {
    r = e.size() < f.size() ? e : f;
  } else {
    r = err_e < err_f ? e : f;
  }
  return negative ? "-" + r : r;
}

inline std::string PrintF64(double d) {
  if (d == 0 && std::signbit(d)) return "-0";
  if (std::isnan(d)) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    std::string s = std::signbit(d) ? "-nan" : "nan";
    uint64_t payload = bits & ~0xfff0000000000000ull;
    if (payload) {
      char buf[32];
      std::snprintf(buf, sizeof buf, ":0x%" PRIx64, payload);
      s += buf;
    }
    return s;
  }
  if (std::isinf(d)) return std::signbit(d) ? "-inf" : "inf";
  std::string t = NumToString(d);
  if (t[0] == '.') return "0" + t;
  if (t[0] == '-' && t.size() > 1 && t[1] == '.') return "-0" + t.substr(1);
  return t;
}

inline std::string PrintF32(float f) {
  if (std::isnan(f)) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    std::string s = std::signbit(f) ? "-nan" : "nan";
    uint32_t payload = bits & ~0xff800000u;
    if (payload) {
      char buf[16];
      std::snprintf(buf, sizeof buf, ":0x%" PRIx32, payload);
      s += buf;
    }
    return s;
  }
  return PrintF64(static_cast<double>(f));
}

/// "i32x4 0x%08x 0x%08x 0x%08x 0x%08x" over the little-endian 32-bit lanes.
inline std::string PrintV128(uint64_t lo, uint64_t hi) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "i32x4 0x%08x 0x%08x 0x%08x 0x%08x", static_cast<uint32_t>(lo),
                static_cast<uint32_t>(lo >> 32), static_cast<uint32_t>(hi),
                static_cast<uint32_t>(hi >> 32));
  return buf;
}

}  // namespace weft::fuzz
