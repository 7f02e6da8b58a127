// Externname parsing and the strongly-unique canonicalization (see names.h).
#include "component/names.h"

namespace weft::component {
namespace {

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// words ::= first-word ('-' word)*, all lowercase (package and namespace names).
bool IsWords(std::string_view s) {
  if (s.empty() || !IsLower(s[0])) return false;
  bool fragment_start = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '-') {
      if (fragment_start || i + 1 == s.size()) return false;
      fragment_start = true;
      continue;
    }
    if (!IsLower(c) && !IsDigit(c)) return false;
    fragment_start = false;
  }
  return true;
}

bool IsNumber(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return s.size() == 1 || s[0] != '0';
}

// A semver (major.minor.patch[-pre][+build]) or a canonversion ("1", "0.2", "0.0.3").
bool IsVersion(std::string_view v) {
  size_t plus = v.find('+');
  std::string_view core = v.substr(0, plus);
  if (plus != std::string_view::npos) {
    std::string_view build = v.substr(plus + 1);
    if (build.empty()) return false;
    for (char c : build) {
      if (!IsLower(c) && !IsUpper(c) && !IsDigit(c) && c != '.' && c != '-') return false;
    }
  }
  size_t dash = core.find('-');
  std::string_view nums = core.substr(0, dash);
  if (dash != std::string_view::npos) {
    std::string_view pre = core.substr(dash + 1);
    if (pre.empty()) return false;
    for (char c : pre) {
      if (!IsLower(c) && !IsUpper(c) && !IsDigit(c) && c != '.' && c != '-') return false;
    }
  }
  int parts = 0;
  while (true) {
    size_t dot = nums.find('.');
    if (!IsNumber(nums.substr(0, dot))) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    nums = nums.substr(dot + 1);
  }
  if (parts == 3) return true;
  // canonversion forms are only complete without pre-release/build parts.
  return parts < 3 && dash == std::string_view::npos && plus == std::string_view::npos;
}

}  // namespace

bool IsLabel(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  bool first = true;
  while (true) {
    size_t end = s.find('-', i);
    std::string_view frag = s.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (frag.empty()) return false;
    bool lower = IsLower(frag[0]) || (!first && IsDigit(frag[0]));
    bool upper = IsUpper(frag[0]) || (!first && IsDigit(frag[0]));
    if (first && !IsLower(frag[0]) && !IsUpper(frag[0])) return false;
    bool all_lower = true, all_upper = true;
    for (char c : frag) {
      if (!IsLower(c) && !IsDigit(c)) all_lower = false;
      if (!IsUpper(c) && !IsDigit(c)) all_upper = false;
    }
    if (!((lower && all_lower) || (upper && all_upper))) return false;
    first = false;
    if (end == std::string_view::npos) return true;
    i = end + 1;
  }
}

bool ParseExternName(std::string_view name, ParsedName* out, std::string* why) {
  *out = ParsedName{};
  auto fail = [&](const char* msg) {
    *why = std::string(msg) + " `" + std::string(name) + "`";
    return false;
  };
  auto starts = [&](std::string_view p) { return name.substr(0, p.size()) == p; };
  if (starts("[constructor]")) {
    out->kind = NameKind::kConstructor;
    out->resource = out->label = name.substr(13);
    if (!IsLabel(out->resource)) return fail("invalid resource name in");
    return true;
  }
  if (starts("[method]") || starts("[static]")) {
    out->kind = starts("[method]") ? NameKind::kMethod : NameKind::kStatic;
    std::string_view rest = name.substr(8);
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos) return fail("missing `.` in");
    out->resource = rest.substr(0, dot);
    out->label = rest.substr(dot + 1);
    if (!IsLabel(out->resource) || !IsLabel(out->label)) return fail("invalid label in");
    return true;
  }
  if (name.find(':') == std::string_view::npos) {
    if (!IsLabel(name)) return fail("invalid name (not a kebab-case label)");
    out->label = name;
    return true;
  }
  // Interface name: (words ':')+ words ('/' label)+ ('@' version)?
  out->kind = NameKind::kInterface;
  std::string_view rest = name;
  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    out->version = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!IsVersion(out->version)) return fail("invalid version in interface name");
  }
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return fail("missing `/interface` in");
  out->package = rest.substr(0, slash);
  std::string_view pkg = out->package;
  int colons = 0;
  while (true) {
    size_t colon = pkg.find(':');
    if (!IsWords(pkg.substr(0, colon))) return fail("invalid package name in");
    if (colon == std::string_view::npos) break;
    ++colons;
    pkg = pkg.substr(colon + 1);
  }
  if (colons == 0) return fail("missing namespace in");
  std::string_view projs = rest.substr(slash + 1);
  while (true) {
    size_t s = projs.find('/');
    std::string_view p = projs.substr(0, s);
    if (!IsLabel(p)) return fail("invalid interface name in");
    out->interface = p;
    if (s == std::string_view::npos) break;
    projs = projs.substr(s + 1);
  }
  return true;
}

std::string StronglyUniqueKey(std::string_view name) {
  std::string s(name);
  for (char& c : s) {
    if (IsUpper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  for (std::string_view prefix : {std::string_view("[method]"), std::string_view("[static]")}) {
    if (s.compare(0, prefix.size(), prefix) == 0) {
      std::string rest = s.substr(prefix.size());
      size_t dot = rest.find('.');
      if (dot != std::string::npos && rest.substr(0, dot) == rest.substr(dot + 1)) {
        return rest.substr(0, dot);
      }
      return rest;
    }
  }
  return s;
}

}  // namespace weft::component
