// WAVE text <-> Val, directed by the component type (the WAVE README of wasm-wave is the
// reference: keywords true/false/inf/nan/some/none/ok/err, `%`-escaped labels, `//` comments,
// flat `some`/`ok` payloads, `{:}` for a record whose option fields are all omitted,
// multiline `"""` strings). Parsing never crashes on bad input: every failure is a
// kArgument Error "column N: ..." (1-based, in code points; "line L, column N" past line 1).
// Printing produces text that ParseWave reads back to the same value (resources excepted).
#include <algorithm>
#include <bit>
#include <cstdio>
#include <charconv>
#include <limits>
#include <cstring>
#include <string>

#include "component/abi.h"
#include "weft/component_wave.h"
#include "weft/component_types.h"

namespace weft::component {
namespace {

constexpr uint32_t kNan32 = 0x7fc00000;
constexpr uint64_t kNan64 = 0x7ff8000000000000;
constexpr uint32_t kInf32 = 0x7f800000;
constexpr uint64_t kInf64 = 0x7ff0000000000000;

bool IsKeyword(std::string_view w) {
  return w == "true" || w == "false" || w == "inf" || w == "nan" || w == "some" || w == "none" ||
         w == "ok" || w == "err";
}

bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// ---------------------------------------------------------------------------------------------
// Printing.

void AppendUtf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xc0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xe0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    s += static_cast<char>(0xf0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

/// Appends code point `cp` inside a quoted char ('\'') or string ('"') literal.
void AppendQuoted(std::string& out, uint32_t cp, char quote) {
  switch (cp) {
    case '\\': out += "\\\\"; return;
    case '\n': out += "\\n"; return;
    case '\t': out += "\\t"; return;
    case '\r': out += "\\r"; return;
    default: break;
  }
  if (cp == static_cast<uint32_t>(quote)) {
    out += '\\';
    out += quote;
    return;
  }
  if (cp < 0x20 || cp == 0x7f) {
    char buf[16];
    snprintf(buf, sizeof buf, "\\u{%x}", cp);
    out += buf;
    return;
  }
  AppendUtf8(out, cp);
}

void AppendLabel(std::string& out, const std::string& label) {
  if (IsKeyword(label)) out += '%';
  out += label;
}

template <typename F>
void AppendFloat(std::string& out, F f) {
  if (f != f) {
    out += "nan";
  } else if (f == std::numeric_limits<F>::infinity()) {
    out += "inf";
  } else if (f == -std::numeric_limits<F>::infinity()) {
    out += "-inf";
  } else {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, f);
    out.append(buf, r.ptr);
  }
}

void Print(std::string& out, const Val& v, TypeRef t) {
  switch (t->kind) {
    case TypeKind::kBool: out += v.bits ? "true" : "false"; return;
    case TypeKind::kU8:
    case TypeKind::kU16:
    case TypeKind::kU32:
    case TypeKind::kU64: out += std::to_string(v.bits); return;
    case TypeKind::kS8:
    case TypeKind::kS16:
    case TypeKind::kS32:
    case TypeKind::kS64: out += std::to_string(static_cast<int64_t>(v.bits)); return;
    case TypeKind::kF32: AppendFloat(out, v.f32()); return;
    case TypeKind::kF64: AppendFloat(out, v.f64()); return;
    case TypeKind::kChar:
      out += '\'';
      AppendQuoted(out, static_cast<uint32_t>(v.bits), '\'');
      out += '\'';
      return;
    case TypeKind::kString: {
      out += '"';
      const auto* p = reinterpret_cast<const uint8_t*>(v.str.data());
      for (size_t i = 0; i < v.str.size();) {
        uint8_t c = p[i];
        if (c < 0x80) {
          AppendQuoted(out, c, '"');
          ++i;
          continue;
        }
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;  // host strings are valid UTF-8
        len = std::min(len, v.str.size() - i);
        out.append(v.str, i, len);
        i += len;
      }
      out += '"';
      return;
    }
    case TypeKind::kList:
    case TypeKind::kTuple: {
      const bool list = t->kind == TypeKind::kList;
      out += list ? '[' : '(';
      if (v.packed_bytes()) {  // list<u8> as packed bytes (component_types.h)
        for (size_t i = 0; i < v.str.size(); ++i) {
          if (i) out += ", ";
          out += std::to_string(static_cast<uint8_t>(v.str[i]));
        }
      }
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        Print(out, v.items[i], list ? t->elem : t->fields[i].type);
      }
      out += list ? ']' : ')';
      return;
    }
    case TypeKind::kRecord:
      out += '{';
      for (size_t i = 0; i < t->fields.size() && i < v.items.size(); ++i) {
        if (i) out += ", ";
        out += t->fields[i].name;
        out += ": ";
        Print(out, v.items[i], t->fields[i].type);
      }
      out += '}';
      return;
    case TypeKind::kVariant: {
      if (v.bits >= t->fields.size()) break;
      const NamedType& c = t->fields[v.bits];
      AppendLabel(out, c.name);
      if (c.type != nullptr && !v.items.empty()) {
        out += '(';
        Print(out, v.items[0], c.type);
        out += ')';
      }
      return;
    }
    case TypeKind::kEnum:
      if (v.bits >= t->labels.size()) break;
      AppendLabel(out, t->labels[v.bits]);
      return;
    case TypeKind::kOption:
    case TypeKind::kResult: {
      const bool opt = t->kind == TypeKind::kOption;
      TypeRef payload = opt ? (v.bits ? t->elem : nullptr) : (v.bits ? t->err : t->elem);
      out += opt ? (v.bits ? "some" : "none") : (v.bits ? "err" : "ok");
      if (payload != nullptr && !v.items.empty()) {
        out += '(';
        Print(out, v.items[0], payload);
        out += ')';
      }
      return;
    }
    case TypeKind::kFlags: {
      out += '{';
      bool first = true;
      for (size_t i = 0; i < t->labels.size() && i < 64; ++i) {
        if (!((v.bits >> i) & 1)) continue;
        if (!first) out += ", ";
        first = false;
        out += t->labels[i];
      }
      out += '}';
      return;
    }
    case TypeKind::kOwn:
    case TypeKind::kBorrow:
      // WAVE has no resource syntax yet; this form is for display only.
      out += t->kind == TypeKind::kOwn ? "<own " : "<borrow ";
      out += (t->elem != nullptr && !t->elem->name.empty()) ? t->elem->name : "resource";
      out += " #" + std::to_string(v.resource.rep) + ">";
      return;
    default: break;
  }
  out += "<?>";
}

// ---------------------------------------------------------------------------------------------
// Parsing.

/// Short description of a type for messages (the WIT printer lives elsewhere).
std::string Describe(TypeRef t) {
  switch (t->kind) {
    case TypeKind::kS8: return "s8";
    case TypeKind::kU8: return "u8";
    case TypeKind::kS16: return "s16";
    case TypeKind::kU16: return "u16";
    case TypeKind::kS32: return "s32";
    case TypeKind::kU32: return "u32";
    case TypeKind::kS64: return "s64";
    case TypeKind::kU64: return "u64";
    case TypeKind::kRecord: return "the record";
    case TypeKind::kFlags: return "the flags";
    case TypeKind::kEnum: return "the enum";
    default: return "the variant";
  }
}

class Parser {
 public:
  /// `offset`: columns to add on the first line (the text sits after that many columns of a
  /// larger single-line text, e.g. the arguments of `name(args)`).
  explicit Parser(std::string_view text, size_t offset = 0) : s_(text), offset_(offset) {}

  Error Fail(size_t at, const std::string& message) const {
    // Column in code points, so multi-byte characters count once.
    size_t abs = std::min(at, s_.size());
    size_t line = 1, col = 1 + offset_;
    for (size_t i = 0; i < abs; ++i) {
      const auto c = static_cast<uint8_t>(s_[i]);
      if (c == '\n') {
        ++line;
        col = 1;
      } else if ((c & 0xc0) != 0x80) {
        ++col;
      }
    }
    std::string where = line > 1 ? "line " + std::to_string(line) + ", column " + std::to_string(col)
                                 : "column " + std::to_string(col);
    return Error::Make(ErrorCode::kArgument, where + ": " + message);
  }

  /// Whitespace and `//` comments.
  void Skip() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '/') {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }
  bool AtEnd() {
    Skip();
    return pos_ >= s_.size();
  }
  bool Peek(char c) {
    Skip();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  std::string Found() {
    Skip();
    if (pos_ >= s_.size()) return "the end of the input";
    size_t n = 1;
    while (pos_ + n < s_.size() && (static_cast<uint8_t>(s_[pos_ + n]) & 0xc0) == 0x80) ++n;
    // Built by appends: g++-12 -Wrestrict misfires on `"`" + std::string(...)`.
    std::string r(1, '`');
    r.append(s_.data() + pos_, n);
    r += '`';
    return r;
  }
  Error Expect(char c) {
    if (Eat(c)) return Error::Ok();
    return Fail(pos_, std::string("expected `") + c + "`, found " + Found());
  }
  size_t pos() const { return pos_; }

  /// A label or keyword: optional `%`, then [A-Za-z0-9-]+. Empty if none here.
  std::string_view Word(bool* percent) {
    Skip();
    size_t p = pos_;
    *percent = p < s_.size() && s_[p] == '%';
    if (*percent) ++p;
    size_t start = p;
    while (p < s_.size() && IsLabelChar(s_[p])) ++p;
    if (p == start) return {};
    pos_ = p;
    return s_.substr(start, p - start);
  }
  /// Is the next token the bare keyword `kw` (not `%kw`, not a longer label)?
  bool PeekKeyword(std::string_view kw) {
    Skip();
    if (s_.substr(pos_, kw.size()) != kw) return false;
    size_t end = pos_ + kw.size();
    return end >= s_.size() || !IsLabelChar(s_[end]);
  }

  Error Value(TypeRef t, Val& out);

 private:
  Error Integer(TypeRef t, Val& out);
  Error Float(TypeRef t, Val& out);
  Error CharLit(Val& out);
  Error StringLit(std::string& out);
  Error MultilineString(std::string& out);
  Error Unescape(size_t begin, size_t end, std::string& out);
  Error Record(TypeRef t, Val& out);
  Error Cases(TypeRef t, Val& out);
  Error Flags(TypeRef t, Val& out);
  Error Payload(TypeRef payload, const std::string& name, Val& out);

  std::string_view s_;
  size_t pos_ = 0;
  size_t offset_;
};

const char* KindWord(TypeKind k) {
  switch (k) {
    case TypeKind::kOwn: return "own";
    case TypeKind::kBorrow: return "borrow";
    case TypeKind::kStream: return "stream";
    case TypeKind::kFuture: return "future";
    case TypeKind::kErrorContext: return "error-context";
    default: return "this";
  }
}

Error Parser::Value(TypeRef t, Val& out) {
  Skip();
  out.kind = t->kind;
  switch (t->kind) {
    case TypeKind::kBool: {
      size_t at = pos_;
      bool pct;
      std::string_view w = Word(&pct);
      if (!pct && (w == "true" || w == "false")) {
        out.bits = w == "true";
        return Error::Ok();
      }
      pos_ = at;
      return Fail(at, "expected `true` or `false`, found " + Found());
    }
    case TypeKind::kS8:
    case TypeKind::kU8:
    case TypeKind::kS16:
    case TypeKind::kU16:
    case TypeKind::kS32:
    case TypeKind::kU32:
    case TypeKind::kS64:
    case TypeKind::kU64: return Integer(t, out);
    case TypeKind::kF32:
    case TypeKind::kF64: return Float(t, out);
    case TypeKind::kChar: return CharLit(out);
    case TypeKind::kString: return StringLit(out.str);
    case TypeKind::kList: {
      WEFT_TRY(Expect('['));
      while (!Eat(']')) {
        out.items.emplace_back();
        WEFT_TRY(Value(t->elem, out.items.back()));
        if (!Eat(',') && !Peek(']')) return Fail(pos_, "expected `,` or `]`, found " + Found());
      }
      if (t->elem->kind == TypeKind::kU8) PackBytes(out);  // the packed form (component_types.h)
      return Error::Ok();
    }
    case TypeKind::kTuple: {
      WEFT_TRY(Expect('('));
      out.items.resize(t->fields.size());
      for (size_t i = 0; i < t->fields.size(); ++i) {
        if (Peek(')')) {
          return Fail(pos_, "tuple has " + std::to_string(t->fields.size()) + " elements, found " +
                                std::to_string(i));
        }
        WEFT_TRY(Value(t->fields[i].type, out.items[i]));
        if (!Eat(',') && !Peek(')')) return Fail(pos_, "expected `,` or `)`, found " + Found());
      }
      if (!Eat(')')) {
        return Fail(pos_, "expected `)` after " + std::to_string(t->fields.size()) +
                              " tuple elements, found " + Found());
      }
      return Error::Ok();
    }
    case TypeKind::kRecord: return Record(t, out);
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: return Cases(t, out);
    case TypeKind::kFlags: return Flags(t, out);
    default:
      return Fail(pos_, std::string(KindWord(t->kind)) + " values cannot be written in WAVE");
  }
}

Error Parser::Integer(TypeRef t, Val& out) {
  const size_t at = pos_;
  size_t p = pos_;
  bool neg = p < s_.size() && s_[p] == '-';
  if (neg) ++p;
  size_t digits = p;
  while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') ++p;
  if (p == digits || (p < s_.size() && (IsLabelChar(s_[p]) || s_[p] == '.'))) {
    return Fail(at, "expected an integer, found " + Found());
  }
  const char* b = s_.data() + digits;
  const char* e = s_.data() + p;
  std::string_view tok = s_.substr(at, p - at);
  uint64_t mag = 0;
  auto r = std::from_chars(b, e, mag);
  struct Range {
    int64_t lo;
    uint64_t hi;
  };
  Range range{};
  switch (t->kind) {
    case TypeKind::kS8: range = {INT8_MIN, INT8_MAX}; break;
    case TypeKind::kU8: range = {0, UINT8_MAX}; break;
    case TypeKind::kS16: range = {INT16_MIN, INT16_MAX}; break;
    case TypeKind::kU16: range = {0, UINT16_MAX}; break;
    case TypeKind::kS32: range = {INT32_MIN, INT32_MAX}; break;
    case TypeKind::kU32: range = {0, UINT32_MAX}; break;
    case TypeKind::kS64: range = {INT64_MIN, INT64_MAX}; break;
    default: range = {0, UINT64_MAX}; break;
  }
  const uint64_t neg_limit = range.lo == 0 ? 0 : uint64_t{0} - static_cast<uint64_t>(range.lo);
  const bool out_of_range = r.ec != std::errc() || (neg ? (mag > neg_limit) : (mag > range.hi));
  if (out_of_range && !(neg && mag == 0)) {
    return Fail(at, "integer " + std::string(tok) + " is out of range for " + Describe(t));
  }
  pos_ = p;
  out.bits = neg ? uint64_t{0} - mag : mag;
  return Error::Ok();
}

Error Parser::Float(TypeRef t, Val& out) {
  const size_t at = pos_;
  const bool f32 = t->kind == TypeKind::kF32;
  size_t p = pos_;
  bool neg = p < s_.size() && s_[p] == '-';
  if (neg) ++p;
  auto word_at = [&](size_t q, std::string_view w) {
    return s_.substr(q, w.size()) == w && (q + w.size() >= s_.size() || !IsLabelChar(s_[q + w.size()]));
  };
  if (word_at(p, "inf")) {
    pos_ = p + 3;
    out.bits = f32 ? (kInf32 | (neg ? 0x80000000u : 0)) : (kInf64 | (neg ? 0x8000000000000000u : 0));
    return Error::Ok();
  }
  if (!neg && word_at(p, "nan")) {
    pos_ = p + 3;
    out.bits = f32 ? kNan32 : kNan64;
    return Error::Ok();
  }
  // JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  auto digits = [&]() {
    size_t start = p;
    while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') ++p;
    return p - start;
  };
  size_t int_start = p;
  size_t nint = digits();
  bool ok = nint > 0 && !(nint > 1 && s_[int_start] == '0');
  if (ok && p < s_.size() && s_[p] == '.') {
    ++p;
    ok = digits() > 0;
  }
  if (ok && p < s_.size() && (s_[p] == 'e' || s_[p] == 'E')) {
    ++p;
    if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) ++p;
    ok = digits() > 0;
  }
  if (ok && p < s_.size() && (IsLabelChar(s_[p]) || s_[p] == '.')) ok = false;
  if (!ok) return Fail(at, "expected a number, `nan`, `inf` or `-inf`, found " + Found());
  const char* b = s_.data() + at;
  const char* e = s_.data() + p;
  if (f32) {
    float f = 0;
    auto r = std::from_chars(b, e, f);
    if (r.ec != std::errc() || r.ptr != e) {
      return Fail(at, "number " + std::string(b, e) + " is out of range for f32");
    }
    out.bits = std::bit_cast<uint32_t>(f);
  } else {
    double d = 0;
    auto r = std::from_chars(b, e, d);
    if (r.ec != std::errc() || r.ptr != e) {
      return Fail(at, "number " + std::string(b, e) + " is out of range for f64");
    }
    out.bits = std::bit_cast<uint64_t>(d);
  }
  pos_ = p;
  return Error::Ok();
}

/// Decodes the body of a quoted literal, s_[begin, end), resolving escapes.
Error Parser::Unescape(size_t begin, size_t end, std::string& out) {
  size_t p = begin;
  while (p < end) {
    char c = s_[p];
    if (c != '\\') {
      out += c;
      ++p;
      continue;
    }
    const size_t at = p;
    if (p + 1 >= end) return Fail(at, "unfinished escape");
    char e = s_[p + 1];
    p += 2;
    switch (e) {
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'u': {
        if (p >= end || s_[p] != '{') return Fail(at, "expected `{` after `\\u`");
        size_t close = s_.find('}', p);
        if (close == std::string_view::npos || close >= end || close == p + 1 || close - p - 1 > 6) {
          return Fail(at, "expected 1 to 6 hex digits in `\\u{...}`");
        }
        uint32_t cp = 0;
        auto r = std::from_chars(s_.data() + p + 1, s_.data() + close, cp, 16);
        if (r.ec != std::errc() || r.ptr != s_.data() + close) {
          return Fail(at, "expected 1 to 6 hex digits in `\\u{...}`");
        }
        if (cp >= 0x110000 || (cp >= 0xd800 && cp <= 0xdfff)) {
          return Fail(at, "`\\u{" + std::string(s_.substr(p + 1, close - p - 1)) +
                              "}` is not a Unicode scalar value");
        }
        AppendUtf8(out, cp);
        p = close + 1;
        break;
      }
      default: return Fail(at, std::string("unknown escape `\\") + e + "`");
    }
  }
  return Error::Ok();
}

Error Parser::CharLit(Val& out) {
  const size_t at = pos_;
  if (!Eat('\'')) return Fail(at, "expected a char ('x'), found " + Found());
  size_t p = pos_;
  while (p < s_.size() && s_[p] != '\'' && s_[p] != '\n') p += (s_[p] == '\\' && p + 1 < s_.size()) ? 2 : 1;
  if (p >= s_.size() || s_[p] != '\'') return Fail(at, "unterminated char literal");
  std::string decoded;
  WEFT_TRY(Unescape(pos_, p, decoded));
  // Exactly one code point.
  const auto* d = reinterpret_cast<const uint8_t*>(decoded.data());
  size_t len = decoded.empty() ? 0 : d[0] < 0x80 ? 1 : d[0] >= 0xf0 ? 4 : d[0] >= 0xe0 ? 3 : 2;
  if (decoded.empty() || len != decoded.size()) return Fail(at, "a char literal holds exactly one character");
  uint32_t cp = len == 1 ? d[0]
                : len == 2 ? ((d[0] & 0x1fu) << 6) | (d[1] & 0x3fu)
                : len == 3 ? ((d[0] & 0x0fu) << 12) | ((d[1] & 0x3fu) << 6) | (d[2] & 0x3fu)
                           : ((d[0] & 0x07u) << 18) | ((d[1] & 0x3fu) << 12) | ((d[2] & 0x3fu) << 6) |
                                 (d[3] & 0x3fu);
  out.bits = cp;
  pos_ = p + 1;
  return Error::Ok();
}

Error Parser::StringLit(std::string& out) {
  const size_t at = pos_;
  if (s_.substr(pos_, 3) == "\"\"\"") return MultilineString(out);
  if (!Eat('"')) return Fail(at, "expected a string (\"...\"), found " + Found());
  size_t p = pos_;
  while (p < s_.size() && s_[p] != '"') {
    if (s_[p] == '\n') return Fail(p, "newline in a string (write it as `\\n`)");
    p += (s_[p] == '\\' && p + 1 < s_.size()) ? 2 : 1;
  }
  if (p >= s_.size()) return Fail(at, "unterminated string");
  WEFT_TRY(Unescape(pos_, p, out));
  pos_ = p + 1;
  return Error::Ok();
}

Error Parser::MultilineString(std::string& out) {
  const size_t at = pos_;
  size_t p = pos_ + 3;
  if (s_.substr(p, 1) == "\n") {
    p += 1;
  } else if (s_.substr(p, 2) == "\r\n") {
    p += 2;
  } else {
    return Fail(p, "a multiline string starts with `\"\"\"` and a line break");
  }
  struct Line {
    size_t begin, end;
  };
  std::vector<Line> lines;
  size_t indent = 0;
  for (;;) {
    size_t spaces = p;
    while (spaces < s_.size() && s_[spaces] == ' ') ++spaces;
    if (s_.substr(spaces, 3) == "\"\"\"") {
      indent = spaces - p;
      pos_ = spaces + 3;
      break;
    }
    size_t eol = s_.find('\n', p);
    if (eol == std::string_view::npos) return Fail(at, "unterminated multiline string");
    size_t end = (eol > p && s_[eol - 1] == '\r') ? eol - 1 : eol;
    if (s_.substr(p, end - p).find("\"\"\"") != std::string_view::npos) {
      return Fail(p + s_.substr(p, end - p).find("\"\"\""), "`\"\"\"` inside a multiline string (escape a quote)");
    }
    lines.push_back({p, end});
    p = eol + 1;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    Line l = lines[i];
    size_t lead = 0;
    while (l.begin + lead < l.end && lead < indent && s_[l.begin + lead] == ' ') ++lead;
    if (lead < indent && l.begin + lead < l.end) {
      return Fail(l.begin + lead, "line is indented less than the closing `\"\"\"`");
    }
    WEFT_TRY(Unescape(l.begin + lead, l.end, out));
  }
  return Error::Ok();
}

Error Parser::Record(TypeRef t, Val& out) {
  const size_t at = pos_;
  WEFT_TRY(Expect('{'));
  const size_t n = t->fields.size();
  out.items.resize(n);
  std::vector<bool> seen(n, false);
  if (Eat(':')) {
    WEFT_TRY(Expect('}'));
  } else {
    while (!Eat('}')) {
      const size_t label_at = pos_;
      bool pct;
      std::string_view label = Word(&pct);
      if (label.empty()) return Fail(pos_, "expected a field name or `}`, found " + Found());
      size_t i = 0;
      while (i < n && t->fields[i].name != label) ++i;
      if (i == n) return Fail(label_at, "no field `" + std::string(label) + "` in " + Describe(t));
      if (seen[i]) return Fail(label_at, "duplicate field `" + std::string(label) + "`");
      seen[i] = true;
      WEFT_TRY(Expect(':'));
      WEFT_TRY(Value(t->fields[i].type, out.items[i]));
      if (!Eat(',') && !Peek('}')) return Fail(pos_, "expected `,` or `}`, found " + Found());
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (seen[i]) continue;
    if (t->fields[i].type->kind != TypeKind::kOption) {
      return Fail(at, "missing field `" + t->fields[i].name + "`");
    }
    out.items[i] = Val::Make(TypeKind::kOption, 0);
  }
  return Error::Ok();
}

Error Parser::Payload(TypeRef payload, const std::string& name, Val& out) {
  if (payload == nullptr) {
    if (Peek('(')) return Fail(pos_, "case `" + name + "` has no payload");
    return Error::Ok();
  }
  if (!Eat('(')) return Fail(pos_, "case `" + name + "` needs a payload: `" + name + "(...)`");
  out.items.resize(1);
  WEFT_TRY(Value(payload, out.items[0]));
  return Expect(')');
}

bool FlatAllowed(TypeRef payload) {
  return payload != nullptr && payload->kind != TypeKind::kOption && payload->kind != TypeKind::kResult;
}

Error Parser::Cases(TypeRef t, Val& out) {
  const size_t at = pos_;
  if (t->kind == TypeKind::kOption || t->kind == TypeKind::kResult) {
    const bool opt = t->kind == TypeKind::kOption;
    const char* first = opt ? "none" : "ok";
    const char* second = opt ? "some" : "err";
    TypeRef p0 = opt ? nullptr : t->elem;
    TypeRef p1 = opt ? t->elem : t->err;
    bool pct;
    if (PeekKeyword(first)) {
      Word(&pct);
      out.bits = 0;
      return Payload(p0, first, out);
    }
    if (PeekKeyword(second)) {
      Word(&pct);
      out.bits = 1;
      return Payload(p1, second, out);
    }
    // The flat form: `some`/`ok` payload written alone.
    TypeRef flat = opt ? p1 : p0;
    if (!FlatAllowed(flat)) {
      return Fail(at, std::string("expected `") + first + "` or `" + second + "`, found " + Found());
    }
    out.bits = opt ? 1 : 0;
    out.items.resize(1);
    return Value(flat, out.items[0]);
  }
  bool pct;
  std::string_view label = Word(&pct);
  if (label.empty()) return Fail(at, "expected a case name, found " + Found());
  if (t->kind == TypeKind::kEnum) {
    for (size_t i = 0; i < t->labels.size(); ++i) {
      if (t->labels[i] == label) {
        out.bits = i;
        if (Peek('(')) return Fail(pos_, "enum case `" + std::string(label) + "` has no payload");
        return Error::Ok();
      }
    }
  } else {
    for (size_t i = 0; i < t->fields.size(); ++i) {
      if (t->fields[i].name == label) {
        out.bits = i;
        return Payload(t->fields[i].type, t->fields[i].name, out);
      }
    }
  }
  return Fail(at, "no case `" + std::string(label) + "` in " + Describe(t));
}

Error Parser::Flags(TypeRef t, Val& out) {
  WEFT_TRY(Expect('{'));
  while (!Eat('}')) {
    const size_t at = pos_;
    bool pct;
    std::string_view label = Word(&pct);
    if (label.empty()) return Fail(pos_, "expected a flag name or `}`, found " + Found());
    size_t i = 0;
    while (i < t->labels.size() && t->labels[i] != label) ++i;
    if (i == t->labels.size() || i >= 64) {
      return Fail(at, "no flag `" + std::string(label) + "` in " + Describe(t));
    }
    if ((out.bits >> i) & 1) return Fail(at, "duplicate flag `" + std::string(label) + "`");
    out.bits |= uint64_t{1} << i;
    if (!Eat(',') && !Peek('}')) return Fail(pos_, "expected `,` or `}`, found " + Found());
  }
  return Error::Ok();
}

Error CheckText(std::string_view text, size_t offset) {
  size_t ok = abi::ValidUtf8Prefix(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  if (ok != text.size()) return Parser(text.substr(0, ok), offset).Fail(ok, "not valid UTF-8");
  return Error::Ok();
}

}  // namespace

std::string ValToWave(const Val& v, TypeRef t) {
  std::string out;
  Print(out, v, t);
  return out;
}

Expected<Val> ParseWave(std::string_view text, TypeRef t) {
  WEFT_TRY(CheckText(text, 0));
  Parser p(text);
  Val v;
  WEFT_TRY(p.Value(t, v));
  if (!p.AtEnd()) return p.Fail(p.pos(), "unexpected " + p.Found() + " after the value");
  return v;
}

Expected<WaveCall> SplitWaveCall(std::string_view text) {
  WEFT_TRY(CheckText(text, 0));
  Parser err(text);
  size_t open = text.find('(');
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    return s;
  };
  WaveCall call;
  std::string_view name = trim(text.substr(0, open));
  if (name.empty()) return err.Fail(0, "expected a function name before `(`");
  call.name = std::string(name);
  if (open == std::string_view::npos) return call;
  size_t close = text.find_last_not_of(" \t\r\n");
  if (close == std::string_view::npos || text[close] != ')' || close <= open) {
    return err.Fail(close == std::string_view::npos ? text.size() : close + 1,
                    "expected the call to end with `)`");
  }
  call.args = text.substr(open + 1, close - open - 1);
  call.args_offset = open + 1;
  return call;
}

Expected<std::vector<Val>> ParseWaveArgs(std::string_view args, TypeRef func, size_t offset) {
  WEFT_TRY(CheckText(args, offset));
  std::vector<Val> out;
  const std::vector<NamedType>& params = func->fields;
  out.reserve(params.size());
  Parser p(args, offset);
  size_t i = 0;
  for (; i < params.size(); ++i) {
    if (p.AtEnd()) break;
    out.emplace_back();
    WEFT_TRY(p.Value(params[i].type, out.back()));
    if (!p.Eat(',') && !p.AtEnd()) {
      return p.Fail(p.pos(), "expected `,` between arguments, found " + p.Found());
    }
  }
  if (!p.AtEnd()) {
    return p.Fail(p.pos(), "too many arguments: the function takes " + std::to_string(params.size()));
  }
  for (; i < params.size(); ++i) {
    if (params[i].type->kind != TypeKind::kOption) {
      return p.Fail(args.size(), "missing argument `" + params[i].name + "` (" +
                                     std::to_string(params.size()) + " expected, " +
                                     std::to_string(out.size()) + " given)");
    }
    out.push_back(Val::Make(TypeKind::kOption, 0));
  }
  return out;
}

std::string ResultsToWave(std::span<const Val> results, TypeRef func) {
  if (func->result == nullptr || results.empty()) return "";
  return ValToWave(results[0], func->result);
}

}  // namespace weft::component
