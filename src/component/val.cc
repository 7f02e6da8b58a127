// CheckVal: whether a dynamic Val is a well-formed value of a component type, so that the
// canonical ABI (which assumes well-formed values) can be fed host-made values safely.
// Errors name the path to the offending part ("field `name`: element 2: expected string,
// got u32"); the path is only built on failure, so a successful check allocates nothing.
// Also Val equality and the list<u8> helpers (either form: packed bytes or u8 items).
#include <bit>
#include <string>

#include "component/abi.h"
#include "weft/component_types.h"

namespace weft::component {
namespace {

Error Bad(std::string message) { return Error::Make(ErrorCode::kArgument, std::move(message)); }

/// Prefixes a child's error with the path segment that led to it.
Error In(const std::string& segment, Error e) {
  return Bad(segment + ": " + e.message());
}

Error CheckRange(const Val& v, int64_t lo, int64_t hi, bool is_signed) {
  if (is_signed) {
    const auto x = static_cast<int64_t>(v.bits);
    if (x < lo || x > hi) {
      return Bad(std::string("value ") + std::to_string(x) + " is out of range for " + TypeKindName(v.kind));
    }
  } else if (v.bits > static_cast<uint64_t>(hi)) {
    return Bad(std::string("value ") + std::to_string(v.bits) + " is out of range for " + TypeKindName(v.kind));
  }
  return Error::Ok();
}

Error Check(const Val& v, TypeRef t) {
  if (t == nullptr) return Bad("no type");
  if (!IsValueKind(t->kind)) return Bad(std::string("not a value type: ") + TypeKindName(t->kind));
  if (v.kind != t->kind) {
    return Bad(std::string("expected ") + TypeKindName(t->kind) + ", got " + TypeKindName(v.kind));
  }
  switch (t->kind) {
    case TypeKind::kBool: return CheckRange(v, 0, 1, false);
    case TypeKind::kU8: return CheckRange(v, 0, UINT8_MAX, false);
    case TypeKind::kU16: return CheckRange(v, 0, UINT16_MAX, false);
    case TypeKind::kU32:
    case TypeKind::kF32: return CheckRange(v, 0, UINT32_MAX, false);
    case TypeKind::kS8: return CheckRange(v, INT8_MIN, INT8_MAX, true);
    case TypeKind::kS16: return CheckRange(v, INT16_MIN, INT16_MAX, true);
    case TypeKind::kS32: return CheckRange(v, INT32_MIN, INT32_MAX, true);
    case TypeKind::kChar:
      if (v.bits >= 0x110000 || (v.bits >= 0xd800 && v.bits <= 0xdfff)) {
        return Bad("char " + std::to_string(v.bits) + " is not a Unicode scalar value");
      }
      return Error::Ok();
    case TypeKind::kString: {
      const size_t ok = abi::ValidUtf8Prefix(reinterpret_cast<const uint8_t*>(v.str.data()), v.str.size());
      if (ok != v.str.size()) return Bad("string is not valid UTF-8 at byte " + std::to_string(ok));
      return Error::Ok();
    }
    case TypeKind::kList:
      if (v.packed_bytes()) {
        if (t->elem->kind != TypeKind::kU8) {
          return Bad(std::string("packed bytes are a list<u8>, not a list<") + TypeKindName(t->elem->kind) + ">");
        }
        return Error::Ok();
      }
      if (!v.str.empty()) return Bad("list has both packed bytes and elements");
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (Error e = Check(v.items[i], t->elem)) return In("element " + std::to_string(i), std::move(e));
      }
      return Error::Ok();
    case TypeKind::kRecord:
    case TypeKind::kTuple: {
      if (v.items.size() != t->fields.size()) {
        return Bad(std::string(TypeKindName(t->kind)) + " has " + std::to_string(t->fields.size()) +
                   (t->kind == TypeKind::kRecord ? " fields" : " elements") + ", value has " +
                   std::to_string(v.items.size()));
      }
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (Error e = Check(v.items[i], t->fields[i].type)) {
          return In(t->kind == TypeKind::kRecord ? "field `" + t->fields[i].name + "`"
                                                 : "element " + std::to_string(i),
                    std::move(e));
        }
      }
      return Error::Ok();
    }
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: {
      size_t n = t->kind == TypeKind::kVariant ? t->fields.size()
                 : t->kind == TypeKind::kEnum  ? t->labels.size()
                                               : 2;
      if (v.bits >= n) {
        return Bad("case index " + std::to_string(v.bits) + " is out of range for " + std::to_string(n) +
                   " cases");
      }
      TypeRef payload = nullptr;
      switch (t->kind) {
        case TypeKind::kVariant: payload = t->fields[v.bits].type; break;
        case TypeKind::kOption: payload = v.bits == 1 ? t->elem : nullptr; break;
        case TypeKind::kResult: payload = v.bits == 0 ? t->elem : t->err; break;
        default: break;
      }
      if (payload == nullptr) {
        if (!v.items.empty()) return Bad("case " + std::to_string(v.bits) + " has no payload, value has one");
        return Error::Ok();
      }
      // The case's name, for errors only (not built on the success path).
      auto name = [&]() -> std::string {
        if (t->kind == TypeKind::kVariant) return "case `" + t->fields[v.bits].name + "`";
        if (t->kind == TypeKind::kOption) return "some";
        return v.bits == 0 ? "ok" : "err";
      };
      if (v.items.size() != 1) return Bad(name() + ": payload missing");
      if (Error e = Check(v.items[0], payload)) return In(name(), std::move(e));
      return Error::Ok();
    }
    case TypeKind::kFlags: {
      const size_t n = t->labels.size();
      if (n < 64 && (v.bits >> n) != 0) {
        return Bad("flags value sets bit " + std::to_string(63 - std::countl_zero(v.bits)) + " but there are " +
                   std::to_string(n) + " flags");
      }
      return Error::Ok();
    }
    default: return Error::Ok();  // own, borrow (checked by the handle table), stream, future
  }
}

}  // namespace

Error CheckVal(const Val& v, TypeRef t) { return Check(v, t); }

bool Val::operator==(const Val& o) const {
  if (kind != o.kind || bits != o.bits || !(resource == o.resource)) return false;
  if (kind == TypeKind::kList && (packed_bytes() || o.packed_bytes())) {
    if (packed_bytes() && o.packed_bytes()) return str == o.str;
    const Val& packed = packed_bytes() ? *this : o;
    const Val& other = packed_bytes() ? o : *this;
    if (!other.str.empty() || other.items.size() != packed.str.size()) return false;
    for (size_t i = 0; i < packed.str.size(); ++i) {
      if (!(other.items[i] == Val::U8(static_cast<uint8_t>(packed.str[i])))) return false;
    }
    return true;
  }
  return str == o.str && items == o.items;
}

void AppendListBytes(const Val& v, std::vector<uint8_t>& out) {
  if (v.packed_bytes()) {
    const auto* p = reinterpret_cast<const uint8_t*>(v.str.data());
    out.insert(out.end(), p, p + v.str.size());
    return;
  }
  out.reserve(out.size() + v.items.size());
  for (const Val& b : v.items) out.push_back(static_cast<uint8_t>(b.bits));
}

void AppendListBytes(const Val& v, std::string& out) {
  if (v.packed_bytes()) {
    out += v.str;
    return;
  }
  out.reserve(out.size() + v.items.size());
  for (const Val& b : v.items) out.push_back(static_cast<char>(static_cast<uint8_t>(b.bits)));
}

std::string ListBytes(const Val& v) {
  if (v.packed_bytes()) return v.str;
  std::string out;
  AppendListBytes(v, out);
  return out;
}

void PackBytes(Val& v) {
  if (v.kind != TypeKind::kList || v.items.empty()) return;
  std::string bytes;
  AppendListBytes(v, bytes);
  v.items.clear();
  v.str = std::move(bytes);
}

}  // namespace weft::component
