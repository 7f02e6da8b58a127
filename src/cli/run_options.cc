// Parsing helpers for `weft run` (see run_options.h).
#include "cli/run_options.h"

#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace weft::cli {

namespace {
Error Bad(std::string message) { return Error::Make(ErrorCode::kArgument, std::move(message)); }
}  // namespace

Expected<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string number(text.substr(0, i));
  std::string_view unit = text.substr(i);
  double scale;  // nanoseconds per unit
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "us") scale = 1e3;
  else if (unit == "ns") scale = 1;
  else if (unit == "m" || unit == "min") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else return Bad("invalid duration `" + std::string(text) + "`: unknown unit (use ns, us, ms, s, m or h)");
  char* end = nullptr;
  double value = number.empty() ? -1 : std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !(value >= 0)) {
    return Bad("invalid duration `" + std::string(text) + "`: expected e.g. 1s, 500ms, 2m");
  }
  double ns = value * scale;
  if (ns < 1 || ns > 1e18) return Bad("invalid duration `" + std::string(text) + "`: out of range");
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

Expected<DirMapping> ParseDir(std::string_view text) {
  DirMapping d;
  size_t sep = text.find("::");
  if (sep == std::string_view::npos) {
    d.host = std::string(text);
    d.guest = d.host;
  } else {
    d.host = std::string(text.substr(0, sep));
    d.guest = std::string(text.substr(sep + 2));
  }
  if (d.host.empty() || d.guest.empty()) {
    return Bad("invalid --dir `" + std::string(text) + "`: expected HOST or HOST::GUEST");
  }
  return d;
}

Expected<std::optional<std::string>> ParseEnv(std::string_view text) {
  size_t eq = text.find('=');
  std::string name(text.substr(0, eq));
  if (name.empty()) return Bad("invalid --env `" + std::string(text) + "`: expected NAME=VALUE or NAME");
  if (eq != std::string_view::npos) return std::optional<std::string>(std::string(text));
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::optional<std::string>();
  return std::optional<std::string>(name + "=" + value);
}

namespace {

template <typename U>
bool ParseUnsigned(std::string_view s, U* out) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// Integers of `bits` width: signed or unsigned spelling, two's complement bits out.
bool ParseInt(std::string_view s, int bits, uint64_t* out) {
  bool neg = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  uint64_t mag;
  if (!ParseUnsigned(s, &mag)) return false;
  uint64_t umax = bits == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
  if (neg) {
    if (mag > (uint64_t{1} << (bits - 1))) return false;
    *out = (~mag + 1) & umax;
  } else {
    if (mag > umax) return false;
    *out = mag;
  }
  return true;
}

bool ParseFloat(std::string_view s, double* out) {
  std::string t(s);
  if (t == "nan" || t == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (t.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size();
}

}  // namespace

Expected<Val> ParseInvokeArg(std::string_view text, ValKind kind) {
  auto bad = [&] {
    std::string message = "`";
    message.append(text).append("` is not a valid ").append(ValKindName(kind));
    return Bad(std::move(message));
  };
  switch (kind) {
    case ValKind::kI32: {
      uint64_t v;
      if (!ParseInt(text, 32, &v)) return bad();
      return Val::I32(static_cast<int32_t>(static_cast<uint32_t>(v)));
    }
    case ValKind::kI64: {
      uint64_t v;
      if (!ParseInt(text, 64, &v)) return bad();
      return Val::I64(static_cast<int64_t>(v));
    }
    case ValKind::kF32: {
      double d;
      if (!ParseFloat(text, &d)) return bad();
      return Val::F32(static_cast<float>(d));
    }
    case ValKind::kF64: {
      double d;
      if (!ParseFloat(text, &d)) return bad();
      return Val::F64(d);
    }
    default:
      return Bad("cannot pass a " + std::string(ValKindName(kind)) + " argument from the command line");
  }
}

namespace {
template <typename F>
std::string FormatFloat(F f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, f);
  return std::string(buf, p);
}
}  // namespace

std::string FormatResult(const Val& v) {
  switch (v.kind()) {
    case ValKind::kI32: return std::to_string(v.i32());
    case ValKind::kI64: return std::to_string(v.i64());
    case ValKind::kF32: return FormatFloat(v.f32());
    case ValKind::kF64: return FormatFloat(v.f64());
    case ValKind::kV128: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "0x%016llx%016llx", static_cast<unsigned long long>(v.v128().hi),
                    static_cast<unsigned long long>(v.v128().lo));
      return buf;
    }
    case ValKind::kFuncRef:
    case ValKind::kExternRef:
      return v.is_null_ref() ? "null" : "<ref>";
  }
  return "?";
}

}  // namespace weft::cli
