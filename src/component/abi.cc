// The canonical ABI for wasm32 memories, transcribed from definitions.py (CanonicalABI.md):
// layout, flattening (with variant payload joins), load/store, flat lift/lower and the
// whole-call entry points. Invariants: every guest pointer is checked (alignment, bounds)
// before it is dereferenced, with the checks the spec makes as traps; the memory span is
// re-read after every Realloc (the guest may grow its memory there); host values are
// assumed well-formed for their types (CheckVal). Flat slots are uint64_t with i32/f32 in
// the low 32 bits, so the variant join coercions are identities when lowering and a wrap to
// 32 bits when lifting. Lowered NaNs are canonical (the spec's deterministic profile).
#include "component/abi.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <string>

namespace weft::component::abi {

static_assert(std::endian::native == std::endian::little, "the canonical ABI is little-endian");

namespace {

constexpr uint32_t kUtf16Tag = uint32_t{1} << 31;
constexpr uint64_t kMaxStringByteLength = (uint64_t{1} << 28) - 1;
constexpr uint64_t kMaxListByteLength = (uint64_t{1} << 28) - 1;
constexpr uint32_t kCanonicalNan32 = 0x7fc00000;
constexpr uint64_t kCanonicalNan64 = 0x7ff8000000000000;

Error Trap(std::string message) { return Error::Make(ErrorCode::kTrap, "canonical ABI: " + message); }

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

uint32_t Low32(uint64_t v) { return static_cast<uint32_t>(v); }

/// Canonical ABI alignments are powers of two (1, 2, 4, 8): a mask, not a division.
uint64_t AlignTo(uint64_t p, uint32_t a) { return (p + a - 1) & ~(uint64_t{a} - 1); }

uint32_t CanonNan32(uint32_t b) {
  return ((b & 0x7f800000) == 0x7f800000 && (b & 0x7fffff) != 0) ? kCanonicalNan32 : b;
}
uint64_t CanonNan64(uint64_t b) {
  return ((b & 0x7ff0000000000000) == 0x7ff0000000000000 && (b & 0xfffffffffffff) != 0)
             ? kCanonicalNan64
             : b;
}

// --- Cases of the despecialized variant forms (variant, enum, option, result).

size_t CaseCount(TypeRef t) {
  switch (t->kind) {
    case TypeKind::kVariant: return t->fields.size();
    case TypeKind::kEnum: return t->labels.size();
    default: return 2;  // option (none, some), result (ok, error)
  }
}

TypeRef CasePayload(TypeRef t, size_t i) {
  switch (t->kind) {
    case TypeKind::kVariant: return t->fields[i].type;
    case TypeKind::kEnum: return nullptr;
    case TypeKind::kOption: return i == 0 ? nullptr : t->elem;
    default: return i == 0 ? t->elem : t->err;  // result
  }
}

/// discriminant_type: u8 up to 256 cases, u16 up to 65536, else u32.
uint32_t DiscriminantSize(size_t n) { return n <= 256 ? 1 : n <= 65536 ? 2 : 4; }

uint32_t ComputeMaxCaseAlignment(TypeRef t) {
  uint32_t a = 1;
  for (size_t i = 0, n = CaseCount(t); i < n; ++i) {
    if (TypeRef p = CasePayload(t, i)) a = std::max(a, Alignment(p));
  }
  return a;
}

// --- Layout memo (Type::abi_layout): size | alignment | max case alignment | flat count.
// Computed once per node from its children's memos, so every query is O(1) after the first.

constexpr uint64_t kMemoValid = uint64_t{1} << 63;
constexpr uint32_t kMemoFlatMax = (1u << 15) - 1;  // saturates: only "> 16" matters beyond

uint32_t ComputeAlignment(TypeRef t);
uint32_t ComputeElemSize(TypeRef t);
uint32_t ComputeFlatCount(TypeRef t);

struct Layout {
  uint32_t size;
  uint8_t align;
  uint8_t case_align;
  uint32_t flat;
};

[[gnu::noinline]] Layout FillLayout(TypeRef t) {
  Layout l;
  l.size = ComputeElemSize(t);
  l.align = static_cast<uint8_t>(ComputeAlignment(t));
  switch (t->kind) {
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: l.case_align = static_cast<uint8_t>(ComputeMaxCaseAlignment(t)); break;
    default: l.case_align = 1;
  }
  l.flat = std::min(ComputeFlatCount(t), kMemoFlatMax);
  const uint64_t word = kMemoValid | uint64_t{l.size} | (uint64_t{l.align} << 32) |
                        (uint64_t{l.case_align} << 40) | (uint64_t{l.flat} << 48);
  t->abi_layout.word.store(word, std::memory_order_relaxed);
  return l;
}

inline Layout GetLayout(TypeRef t) {
  const uint64_t w = t->abi_layout.word.load(std::memory_order_relaxed);
  if (w & kMemoValid) [[likely]] {
    return Layout{static_cast<uint32_t>(w), static_cast<uint8_t>(w >> 32),
                  static_cast<uint8_t>(w >> 40), static_cast<uint32_t>((w >> 48) & kMemoFlatMax)};
  }
  return FillLayout(t);
}

uint32_t MaxCaseAlignment(TypeRef t) { return GetLayout(t).case_align; }
uint32_t FlatCount(TypeRef t) { return GetLayout(t).flat; }

uint32_t FlagsSize(size_t n) { return n <= 8 ? 1 : n <= 16 ? 2 : 4; }
uint32_t FlagsMask(size_t n) { return n >= 32 ? 0xffffffffu : (uint32_t{1} << n) - 1; }

uint32_t FlatCount(TypeRef t);

/// Number of flat core values of `t` (length of flatten_type), from the children's memos.
uint32_t ComputeFlatCount(TypeRef t) {
  switch (t->kind) {
    case TypeKind::kString:
    case TypeKind::kList: return 2;
    case TypeKind::kRecord:
    case TypeKind::kTuple: {
      uint32_t n = 0;
      for (const NamedType& f : t->fields) n += FlatCount(f.type);
      return n;
    }
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: {
      uint32_t m = 0;
      for (size_t i = 0, n = CaseCount(t); i < n; ++i) {
        if (TypeRef p = CasePayload(t, i)) m = std::max(m, FlatCount(p));
      }
      return 1 + m;
    }
    default: return 1;
  }
}

uint32_t FlatCountFields(const std::vector<NamedType>& fields) {
  uint32_t n = 0;
  for (const NamedType& f : fields) n += FlatCount(f.type);
  return n;
}

/// Layout of a tuple of `fields` (the spilled parameter area).
uint32_t FieldsAlignment(const std::vector<NamedType>& fields) {
  uint32_t a = 1;
  for (const NamedType& f : fields) a = std::max(a, Alignment(f.type));
  return a;
}
uint64_t FieldsSize(const std::vector<NamedType>& fields) {
  uint64_t s = 0;
  for (const NamedType& f : fields) s = AlignTo(s, Alignment(f.type)) + ElemSize(f.type);
  return AlignTo(s, FieldsAlignment(fields));
}

CoreValType Join(CoreValType a, CoreValType b) {
  if (a == b) return a;
  if ((a == CoreValType::kI32 && b == CoreValType::kF32) ||
      (a == CoreValType::kF32 && b == CoreValType::kI32)) {
    return CoreValType::kI32;
  }
  return CoreValType::kI64;
}

Error Unsupported(TypeKind k) {
  switch (k) {
    case TypeKind::kStream: return Trap("stream values are not supported yet");
    case TypeKind::kFuture: return Trap("future values are not supported yet");
    case TypeKind::kErrorContext: return Trap("error-context values are not supported yet");
    default:
      return Error::Make(ErrorCode::kInternal, "canonical ABI: type kind " +
                                                   std::to_string(static_cast<int>(k)) +
                                                   " is not a value type");
  }
}

// ---------------------------------------------------------------------------------------------
// Lifting/lowering context.

struct Cx {
  Env& env;
  StringEncoding enc;
  std::span<uint8_t> mem;

  Cx(Env& e, const Options& o) : env(e), enc(o.encoding), mem(e.Memory()) {}

  uint8_t* At(uint64_t p) { return mem.data() + p; }
  uint64_t Ld(uint64_t p, uint32_t n) {
    uint64_t v = 0;
    std::memcpy(&v, At(p), n);
    return v;
  }
  void St(uint64_t p, uint64_t v, uint32_t n) { std::memcpy(At(p), &v, n); }

  /// realloc followed by the spec's alignment and bounds traps on the result.
  Expected<uint32_t> Realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align,
                             uint32_t new_size, const char* what) {
    Expected<uint32_t> r = env.Realloc(old_ptr, old_size, align, new_size);
    mem = env.Memory();
    if (!r) return r;
    uint32_t p = *r;
    if ((p & (align - 1)) != 0) {
      return Trap(std::string("realloc returned ") + Hex(p) + " for " + what +
                  ", which is not aligned to " + std::to_string(align));
    }
    if (uint64_t{p} + new_size > mem.size()) {
      return Trap(std::string("realloc returned ") + Hex(p) + " for " + what + " of " +
                  std::to_string(new_size) + " bytes, out of bounds of memory (size " +
                  std::to_string(mem.size()) + ")");
    }
    return p;
  }

  Error CheckRange(uint64_t p, uint64_t size, uint32_t align, const char* what) {
    if ((p & (align - 1)) != 0) {
      return Trap(std::string(what) + " pointer " + Hex(p) + " is not aligned to " +
                  std::to_string(align));
    }
    if (p + size > mem.size()) {
      return Trap(std::string(what) + " [" + Hex(p) + ", +" + std::to_string(size) +
                  ") is out of bounds of memory (size " + std::to_string(mem.size()) + ")");
    }
    return Error::Ok();
  }
};

// ---------------------------------------------------------------------------------------------
// Strings: decoding guest memory to UTF-8.

/// Writes the UTF-8 encoding of scalar value `cp` at d; returns the end.
char* PutUtf8(char* d, uint32_t cp) {
  if (cp < 0x80) {
    *d++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *d++ = static_cast<char>(0xc0 | (cp >> 6));
    *d++ = static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *d++ = static_cast<char>(0xe0 | (cp >> 12));
    *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *d++ = static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *d++ = static_cast<char>(0xf0 | (cp >> 18));
    *d++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *d++ = static_cast<char>(0x80 | (cp & 0x3f));
  }
  return d;
}

Error DecodeUtf16(const uint8_t* p, uint64_t units, uint64_t ptr, std::string& out) {
  auto unit = [&](uint64_t i) { return static_cast<uint32_t>(p[2 * i] | (p[2 * i + 1] << 8)); };
  // Pass 1: validate and size, so the string is allocated once.
  uint64_t size = 0;
  for (uint64_t i = 0; i < units; ++i) {
    uint32_t u = unit(i);
    if (u < 0x80) {
      size += 1;
    } else if (u < 0x800) {
      size += 2;
    } else if (u >= 0xd800 && u <= 0xdbff) {
      if (i + 1 >= units || unit(i + 1) < 0xdc00 || unit(i + 1) > 0xdfff) {
        return Trap("string at " + Hex(ptr) + " is not valid UTF-16: unpaired surrogate " +
                    Hex(u) + " at code unit " + std::to_string(i));
      }
      size += 4;
      ++i;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      return Trap("string at " + Hex(ptr) + " is not valid UTF-16: unpaired surrogate " +
                  Hex(u) + " at code unit " + std::to_string(i));
    } else {
      size += 3;
    }
  }
  out.resize(size);
  char* d = out.data();
  for (uint64_t i = 0; i < units; ++i) {
    uint32_t u = unit(i);
    if (u < 0x80) {
      *d++ = static_cast<char>(u);
      continue;
    }
    if (u >= 0xd800 && u <= 0xdbff) {
      u = 0x10000 + ((u - 0xd800) << 10) + (unit(i + 1) - 0xdc00);
      ++i;
    }
    d = PutUtf8(d, u);
  }
  return Error::Ok();
}

void DecodeLatin1(const uint8_t* p, uint64_t n, std::string& out) {
  uint64_t high = 0;
  for (uint64_t i = 0; i < n; ++i) high += p[i] >> 7;
  out.resize(n + high);
  char* d = out.data();
  for (uint64_t i = 0; i < n; ++i) {
    if (p[i] < 0x80) {
      *d++ = static_cast<char>(p[i]);
    } else {
      *d++ = static_cast<char>(0xc0 | (p[i] >> 6));
      *d++ = static_cast<char>(0x80 | (p[i] & 0x3f));
    }
  }
}

/// load_string_from_range.
Error LoadStringFromRange(Cx& cx, uint32_t ptr, uint32_t tagged, std::string& out) {
  uint32_t align = 1;
  uint64_t byte_length = tagged;
  enum { kUtf8, kUtf16, kLatin1 } enc = kUtf8;
  switch (cx.enc) {
    case StringEncoding::kUtf8: break;
    case StringEncoding::kUtf16:
      align = 2;
      byte_length = 2 * uint64_t{tagged};
      enc = kUtf16;
      break;
    case StringEncoding::kLatin1Utf16:
      align = 2;
      if (tagged & kUtf16Tag) {
        byte_length = 2 * uint64_t{tagged ^ kUtf16Tag};
        enc = kUtf16;
      } else {
        enc = kLatin1;
      }
      break;
  }
  if (byte_length > kMaxStringByteLength) {
    return Trap("string at " + Hex(ptr) + " has byte length " + std::to_string(byte_length) +
                ", more than the maximum 2^28-1");
  }
  WEFT_TRY(cx.CheckRange(ptr, byte_length, align, "string"));
  const uint8_t* p = cx.At(ptr);
  switch (enc) {
    case kUtf8: {
      size_t ok = ValidUtf8Prefix(p, byte_length);
      if (ok != byte_length) {
        return Trap("string at " + Hex(ptr) + " is not valid UTF-8 (byte " + std::to_string(ok) +
                    ")");
      }
      out.assign(reinterpret_cast<const char*>(p), byte_length);
      return Error::Ok();
    }
    case kUtf16: return DecodeUtf16(p, byte_length / 2, ptr, out);
    case kLatin1: DecodeLatin1(p, byte_length, out); return Error::Ok();
  }
  return Error::Ok();
}

// ---------------------------------------------------------------------------------------------
// Strings: encoding a host UTF-8 string into guest memory, with the realloc call sequence of
// store_string_into_range for a utf8 source (src_code_units = UTF-8 byte length).

/// Decodes one code point from valid-or-not UTF-8 at s[i]; advances i. Returns ~0u on error.
uint32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  uint8_t c = p[i];
  if (c < 0x80) {
    ++i;
    return c;
  }
  if (ValidUtf8Prefix(p + i, std::min<size_t>(4, s.size() - i)) == 0) return ~0u;
  if (c < 0xe0) {
    uint32_t cp = ((c & 0x1fu) << 6) | (p[i + 1] & 0x3fu);
    i += 2;
    return cp;
  }
  if (c < 0xf0) {
    uint32_t cp = ((c & 0x0fu) << 12) | ((p[i + 1] & 0x3fu) << 6) | (p[i + 2] & 0x3fu);
    i += 3;
    return cp;
  }
  uint32_t cp = ((c & 0x07u) << 18) | ((p[i + 1] & 0x3fu) << 12) | ((p[i + 2] & 0x3fu) << 6) |
                (p[i + 3] & 0x3fu);
  i += 4;
  return cp;
}

Error BadHostString() {
  return Error::Make(ErrorCode::kArgument, "canonical ABI: host string is not valid UTF-8");
}

/// Writes the UTF-16LE encoding of s[from..] at dst; returns the number of code units.
Expected<uint64_t> EncodeUtf16(std::string_view s, size_t from, uint8_t* dst) {
  uint64_t units = 0;
  size_t i = from;
  while (i < s.size()) {
    uint32_t cp = NextCodePoint(s, i);
    if (cp == ~0u) return BadHostString();
    auto put = [&](uint32_t u) {
      dst[2 * units] = static_cast<uint8_t>(u);
      dst[2 * units + 1] = static_cast<uint8_t>(u >> 8);
      ++units;
    };
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xd800 + (cp >> 10));
      put(0xdc00 + (cp & 0x3ff));
    } else {
      put(cp);
    }
  }
  return units;
}

Error StoreStringIntoRange(Cx& cx, std::string_view s, uint32_t& out_ptr, uint32_t& out_units) {
  if (s.size() > kMaxStringByteLength) {
    return Trap("host string of " + std::to_string(s.size()) +
                " bytes is longer than the maximum 2^28-1");
  }
  const auto n = static_cast<uint32_t>(s.size());
  switch (cx.enc) {
    case StringEncoding::kUtf8: {  // store_string_copy
      WEFT_TRY_ASSIGN(uint32_t ptr, cx.Realloc(0, 0, 1, n, "a string"));
      if (n != 0) std::memcpy(cx.At(ptr), s.data(), n);
      out_ptr = ptr;
      out_units = n;
      return Error::Ok();
    }
    case StringEncoding::kUtf16: {  // store_utf8_to_utf16
      const uint32_t worst = 2 * n;
      WEFT_TRY_ASSIGN(uint32_t ptr, cx.Realloc(0, 0, 2, worst, "a string"));
      WEFT_TRY_ASSIGN(uint64_t units, EncodeUtf16(s, 0, cx.At(ptr)));
      const auto len = static_cast<uint32_t>(2 * units);
      if (len < worst) {
        WEFT_TRY_ASSIGN(ptr, cx.Realloc(ptr, worst, 2, len, "a string"));
      }
      out_ptr = ptr;
      out_units = static_cast<uint32_t>(units);
      return Error::Ok();
    }
    case StringEncoding::kLatin1Utf16: {  // store_string_to_latin1_or_utf16
      WEFT_TRY_ASSIGN(uint32_t ptr, cx.Realloc(0, 0, 2, n, "a string"));
      uint32_t dst = 0;
      size_t i = 0;
      while (i < s.size()) {
        size_t at = i;
        uint32_t cp = NextCodePoint(s, i);
        if (cp == ~0u) return BadHostString();
        if (cp < 0x100) {
          *cx.At(uint64_t{ptr} + dst) = static_cast<uint8_t>(cp);
          ++dst;
          continue;
        }
        const uint32_t worst = 2 * n;
        WEFT_TRY_ASSIGN(ptr, cx.Realloc(ptr, n, 2, worst, "a string"));
        uint8_t* m = cx.At(ptr);
        for (uint32_t j = dst; j-- > 0;) {
          m[2 * j] = m[j];
          m[2 * j + 1] = 0;
        }
        WEFT_TRY_ASSIGN(uint64_t rest, EncodeUtf16(s, at, m + 2 * uint64_t{dst}));
        const auto len = static_cast<uint32_t>(2 * (dst + rest));
        if (worst > len) {
          WEFT_TRY_ASSIGN(ptr, cx.Realloc(ptr, worst, 2, len, "a string"));
        }
        out_ptr = ptr;
        out_units = (len / 2) | kUtf16Tag;
        return Error::Ok();
      }
      if (dst < n) {
        WEFT_TRY_ASSIGN(ptr, cx.Realloc(ptr, n, 2, dst, "a string"));
      }
      out_ptr = ptr;
      out_units = dst;
      return Error::Ok();
    }
  }
  return Error::Ok();
}

// ---------------------------------------------------------------------------------------------
// Load / store. Preconditions: ptr is aligned for t and [ptr, ptr + ElemSize(t)) is in memory.

Error LoadAt(Cx& cx, TypeRef t, uint64_t ptr, Val& out);

bool TryLoadScalar(Cx& cx, TypeRef t, uint64_t ptr, Val& out);

Error LoadListFromRange(Cx& cx, TypeRef elem, uint32_t ptr, uint32_t length, Val& out) {
  const uint32_t size = ElemSize(elem);
  const uint64_t byte_length = uint64_t{length} * size;
  if (byte_length > kMaxListByteLength) {
    return Trap("list at " + Hex(ptr) + " has byte length " + std::to_string(byte_length) +
                ", more than the maximum 2^28-1");
  }
  WEFT_TRY(cx.CheckRange(ptr, byte_length, Alignment(elem), "list"));
  out.kind = TypeKind::kList;
  if (elem->kind == TypeKind::kU8) {  // packed bytes (component_types.h): one copy
    out.items.clear();
    if (length == 0) {
      out.str.clear();
    } else {
      out.str.assign(reinterpret_cast<const char*>(cx.At(ptr)), length);
    }
    return Error::Ok();
  }
  out.str.clear();
  out.items.resize(length);
  for (uint32_t i = 0; i < length; ++i) {
    const uint64_t at = uint64_t{ptr} + uint64_t{i} * size;
    if (!TryLoadScalar(cx, elem, at, out.items[i])) WEFT_TRY(LoadAt(cx, elem, at, out.items[i]));
  }
  return Error::Ok();
}

Error CheckCase(uint64_t index, size_t n, const char* where) {
  if (index >= n) {
    return Trap(std::string("discriminant ") + std::to_string(index) + " of " + where +
                " is out of range for " + std::to_string(n) + " cases");
  }
  return Error::Ok();
}

Error CheckChar(uint64_t c) {
  if (c >= 0x110000 || (c >= 0xd800 && c <= 0xdfff)) {
    return Trap("char " + Hex(c) + " is not a Unicode scalar value");
  }
  return Error::Ok();
}

const char* CaseWhere(TypeKind k) {
  switch (k) {
    case TypeKind::kEnum: return "an enum";
    case TypeKind::kOption: return "an option";
    case TypeKind::kResult: return "a result";
    default: return "a variant";
  }
}

/// Starts overwriting `out` with a value of kind k. Buffers are kept so that a reused Val
/// tree of the same shape is refilled without allocating: aggregate kinds resize `items`
/// themselves (each element is then overwritten in turn), other kinds drop them.
void Reset(Val& out, TypeKind k) {
  out.kind = k;
  out.bits = 0;
  out.resource = {};
  out.str.clear();
  switch (k) {
    case TypeKind::kList:
    case TypeKind::kRecord:
    case TypeKind::kTuple:
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: break;
    default: out.items.clear();
  }
}

/// LoadAt for the kinds that cannot trap (integers, bool, floats), without the Error
/// round trip of a call per element/field: false (and `out` untouched) for other kinds.
inline bool TryLoadScalar(Cx& cx, TypeRef t, uint64_t ptr, Val& out) {
  uint64_t bits;
  switch (t->kind) {
    case TypeKind::kBool: bits = cx.Ld(ptr, 1) != 0; break;
    case TypeKind::kU8: bits = cx.Ld(ptr, 1); break;
    case TypeKind::kU16: bits = cx.Ld(ptr, 2); break;
    case TypeKind::kU32: bits = cx.Ld(ptr, 4); break;
    case TypeKind::kU64:
    case TypeKind::kS64: bits = cx.Ld(ptr, 8); break;
    case TypeKind::kS8: bits = static_cast<uint64_t>(int64_t{static_cast<int8_t>(cx.Ld(ptr, 1))}); break;
    case TypeKind::kS16:
      bits = static_cast<uint64_t>(int64_t{static_cast<int16_t>(cx.Ld(ptr, 2))});
      break;
    case TypeKind::kS32:
      bits = static_cast<uint64_t>(int64_t{static_cast<int32_t>(cx.Ld(ptr, 4))});
      break;
    case TypeKind::kF32: bits = CanonNan32(static_cast<uint32_t>(cx.Ld(ptr, 4))); break;
    case TypeKind::kF64: bits = CanonNan64(cx.Ld(ptr, 8)); break;
    default: return false;
  }
  Reset(out, t->kind);
  out.bits = bits;
  return true;
}

Error LoadAt(Cx& cx, TypeRef t, uint64_t ptr, Val& out) {
  Reset(out, t->kind);
  switch (t->kind) {
    case TypeKind::kBool: out.bits = cx.Ld(ptr, 1) != 0; return Error::Ok();
    case TypeKind::kU8: out.bits = cx.Ld(ptr, 1); return Error::Ok();
    case TypeKind::kU16: out.bits = cx.Ld(ptr, 2); return Error::Ok();
    case TypeKind::kU32: out.bits = cx.Ld(ptr, 4); return Error::Ok();
    case TypeKind::kU64:
    case TypeKind::kS64: out.bits = cx.Ld(ptr, 8); return Error::Ok();
    case TypeKind::kS8:
      out.bits = static_cast<uint64_t>(int64_t{static_cast<int8_t>(cx.Ld(ptr, 1))});
      return Error::Ok();
    case TypeKind::kS16:
      out.bits = static_cast<uint64_t>(int64_t{static_cast<int16_t>(cx.Ld(ptr, 2))});
      return Error::Ok();
    case TypeKind::kS32:
      out.bits = static_cast<uint64_t>(int64_t{static_cast<int32_t>(cx.Ld(ptr, 4))});
      return Error::Ok();
    case TypeKind::kF32: out.bits = CanonNan32(static_cast<uint32_t>(cx.Ld(ptr, 4))); return Error::Ok();
    case TypeKind::kF64: out.bits = CanonNan64(cx.Ld(ptr, 8)); return Error::Ok();
    case TypeKind::kChar:
      out.bits = cx.Ld(ptr, 4);
      return CheckChar(out.bits);
    case TypeKind::kString:
      return LoadStringFromRange(cx, static_cast<uint32_t>(cx.Ld(ptr, 4)),
                                 static_cast<uint32_t>(cx.Ld(ptr + 4, 4)), out.str);
    case TypeKind::kList:
      return LoadListFromRange(cx, t->elem, static_cast<uint32_t>(cx.Ld(ptr, 4)),
                               static_cast<uint32_t>(cx.Ld(ptr + 4, 4)), out);
    case TypeKind::kRecord:
    case TypeKind::kTuple: {
      out.items.resize(t->fields.size());
      for (size_t i = 0; i < t->fields.size(); ++i) {
        TypeRef ft = t->fields[i].type;
        ptr = AlignTo(ptr, Alignment(ft));
        if (!TryLoadScalar(cx, ft, ptr, out.items[i])) WEFT_TRY(LoadAt(cx, ft, ptr, out.items[i]));
        ptr += ElemSize(ft);
      }
      return Error::Ok();
    }
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: {
      const size_t n = CaseCount(t);
      const uint32_t disc_size = DiscriminantSize(n);
      const uint64_t index = cx.Ld(ptr, disc_size);
      WEFT_TRY(CheckCase(index, n, CaseWhere(t->kind)));
      out.bits = index;
      TypeRef p = CasePayload(t, index);
      out.items.resize(p != nullptr ? 1 : 0);
      if (p != nullptr) return LoadAt(cx, p, AlignTo(ptr + disc_size, MaxCaseAlignment(t)), out.items[0]);
      return Error::Ok();
    }
    case TypeKind::kFlags:
      out.bits = cx.Ld(ptr, FlagsSize(t->labels.size())) & FlagsMask(t->labels.size());
      return Error::Ok();
    case TypeKind::kOwn: {
      WEFT_TRY_ASSIGN(out.resource, cx.env.LiftOwn(t->elem, static_cast<uint32_t>(cx.Ld(ptr, 4))));
      return Error::Ok();
    }
    case TypeKind::kBorrow: {
      WEFT_TRY_ASSIGN(out.resource,
                      cx.env.LiftBorrow(t->elem, static_cast<uint32_t>(cx.Ld(ptr, 4))));
      return Error::Ok();
    }
    default: return Unsupported(t->kind);
  }
}

Error StoreAt(Cx& cx, TypeRef t, const Val& v, uint64_t ptr);

/// Stores the elements of list `v` (either form for list<u8>) and sets out_ptr; the length
/// to store beside it is ListLength(v).
Error StoreListIntoRange(Cx& cx, TypeRef elem, const Val& v, uint32_t& out_ptr) {
  const uint32_t size = ElemSize(elem);
  const size_t length = ListLength(v);
  const uint64_t byte_length = uint64_t{size} * length;
  if (byte_length > 0xffffffffu) {
    return Trap("host list of " + std::to_string(length) +
                " elements does not fit in a 32-bit memory");
  }
  WEFT_TRY_ASSIGN(uint32_t ptr, cx.Realloc(0, 0, Alignment(elem),
                                           static_cast<uint32_t>(byte_length), "a list"));
  out_ptr = ptr;
  if (v.packed_bytes()) {  // well-formed values only pack list<u8> (CheckVal)
    std::memcpy(cx.At(ptr), v.str.data(), length);
    return Error::Ok();
  }
  const std::vector<Val>& items = v.items;
  if (elem->kind == TypeKind::kU8 && length != 0) {
    uint8_t* m = cx.At(ptr);
    for (size_t i = 0; i < length; ++i) m[i] = static_cast<uint8_t>(items[i].bits);
    return Error::Ok();
  }
  for (size_t i = 0; i < items.size(); ++i) {
    WEFT_TRY(StoreAt(cx, elem, items[i], uint64_t{ptr} + uint64_t{i} * size));
  }
  return Error::Ok();
}

Error StoreAt(Cx& cx, TypeRef t, const Val& v, uint64_t ptr) {
  switch (t->kind) {
    case TypeKind::kBool: cx.St(ptr, v.bits != 0, 1); return Error::Ok();
    case TypeKind::kU8:
    case TypeKind::kS8: cx.St(ptr, v.bits, 1); return Error::Ok();
    case TypeKind::kU16:
    case TypeKind::kS16: cx.St(ptr, v.bits, 2); return Error::Ok();
    case TypeKind::kU32:
    case TypeKind::kS32:
    case TypeKind::kChar: cx.St(ptr, v.bits, 4); return Error::Ok();
    case TypeKind::kU64:
    case TypeKind::kS64: cx.St(ptr, v.bits, 8); return Error::Ok();
    case TypeKind::kF32: cx.St(ptr, CanonNan32(static_cast<uint32_t>(v.bits)), 4); return Error::Ok();
    case TypeKind::kF64: cx.St(ptr, CanonNan64(v.bits), 8); return Error::Ok();
    case TypeKind::kString: {
      uint32_t begin = 0, units = 0;
      WEFT_TRY(StoreStringIntoRange(cx, v.str, begin, units));
      cx.St(ptr, begin, 4);
      cx.St(ptr + 4, units, 4);
      return Error::Ok();
    }
    case TypeKind::kList: {
      uint32_t begin = 0;
      WEFT_TRY(StoreListIntoRange(cx, t->elem, v, begin));
      cx.St(ptr, begin, 4);
      cx.St(ptr + 4, ListLength(v), 4);
      return Error::Ok();
    }
    case TypeKind::kRecord:
    case TypeKind::kTuple: {
      for (size_t i = 0; i < t->fields.size(); ++i) {
        TypeRef ft = t->fields[i].type;
        ptr = AlignTo(ptr, Alignment(ft));
        WEFT_TRY(StoreAt(cx, ft, v.items[i], ptr));
        ptr += ElemSize(ft);
      }
      return Error::Ok();
    }
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: {
      const size_t n = CaseCount(t);
      const uint32_t disc_size = DiscriminantSize(n);
      cx.St(ptr, v.bits, disc_size);
      if (TypeRef p = CasePayload(t, v.bits)) {
        return StoreAt(cx, p, v.items[0], AlignTo(ptr + disc_size, MaxCaseAlignment(t)));
      }
      return Error::Ok();
    }
    case TypeKind::kFlags:
      cx.St(ptr, v.bits & FlagsMask(t->labels.size()), FlagsSize(t->labels.size()));
      return Error::Ok();
    case TypeKind::kOwn: {
      WEFT_TRY_ASSIGN(uint32_t h, cx.env.LowerOwn(t->elem, v.resource));
      cx.St(ptr, h, 4);
      return Error::Ok();
    }
    case TypeKind::kBorrow: {
      WEFT_TRY_ASSIGN(uint32_t h, cx.env.LowerBorrow(t->elem, v.resource));
      cx.St(ptr, h, 4);
      return Error::Ok();
    }
    default: return Unsupported(t->kind);
  }
}

// ---------------------------------------------------------------------------------------------
// Flat lifting and lowering.

struct FlatIter {
  std::span<const uint64_t> values;
  size_t i = 0;
  uint64_t Next() { return values[i++]; }
};

Error LiftFlat(Cx& cx, FlatIter& vi, TypeRef t, Val& out) {
  Reset(out, t->kind);
  switch (t->kind) {
    case TypeKind::kBool: out.bits = Low32(vi.Next()) != 0; return Error::Ok();
    case TypeKind::kU8: out.bits = static_cast<uint8_t>(vi.Next()); return Error::Ok();
    case TypeKind::kU16: out.bits = static_cast<uint16_t>(vi.Next()); return Error::Ok();
    case TypeKind::kU32: out.bits = Low32(vi.Next()); return Error::Ok();
    case TypeKind::kU64:
    case TypeKind::kS64: out.bits = vi.Next(); return Error::Ok();
    case TypeKind::kS8:
      out.bits = static_cast<uint64_t>(int64_t{static_cast<int8_t>(vi.Next())});
      return Error::Ok();
    case TypeKind::kS16:
      out.bits = static_cast<uint64_t>(int64_t{static_cast<int16_t>(vi.Next())});
      return Error::Ok();
    case TypeKind::kS32:
      out.bits = static_cast<uint64_t>(int64_t{static_cast<int32_t>(vi.Next())});
      return Error::Ok();
    case TypeKind::kF32: out.bits = CanonNan32(Low32(vi.Next())); return Error::Ok();
    case TypeKind::kF64: out.bits = CanonNan64(vi.Next()); return Error::Ok();
    case TypeKind::kChar:
      out.bits = Low32(vi.Next());
      return CheckChar(out.bits);
    case TypeKind::kString: {
      uint32_t ptr = Low32(vi.Next());
      uint32_t units = Low32(vi.Next());
      return LoadStringFromRange(cx, ptr, units, out.str);
    }
    case TypeKind::kList: {
      uint32_t ptr = Low32(vi.Next());
      uint32_t length = Low32(vi.Next());
      return LoadListFromRange(cx, t->elem, ptr, length, out);
    }
    case TypeKind::kRecord:
    case TypeKind::kTuple:
      out.items.resize(t->fields.size());
      for (size_t i = 0; i < t->fields.size(); ++i) {
        WEFT_TRY(LiftFlat(cx, vi, t->fields[i].type, out.items[i]));
      }
      return Error::Ok();
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: {
      const size_t end = vi.i + FlatCount(t);
      const uint32_t index = Low32(vi.Next());
      WEFT_TRY(CheckCase(index, CaseCount(t), CaseWhere(t->kind)));
      out.bits = index;
      TypeRef p = CasePayload(t, index);
      out.items.resize(p != nullptr ? 1 : 0);
      if (p != nullptr) WEFT_TRY(LiftFlat(cx, vi, p, out.items[0]));
      vi.i = end;
      return Error::Ok();
    }
    case TypeKind::kFlags: out.bits = Low32(vi.Next()) & FlagsMask(t->labels.size()); return Error::Ok();
    case TypeKind::kOwn: {
      WEFT_TRY_ASSIGN(out.resource, cx.env.LiftOwn(t->elem, Low32(vi.Next())));
      return Error::Ok();
    }
    case TypeKind::kBorrow: {
      WEFT_TRY_ASSIGN(out.resource, cx.env.LiftBorrow(t->elem, Low32(vi.Next())));
      return Error::Ok();
    }
    default: return Unsupported(t->kind);
  }
}

Error LowerFlat(Cx& cx, TypeRef t, const Val& v, std::vector<uint64_t>& out) {
  switch (t->kind) {
    case TypeKind::kBool: out.push_back(v.bits != 0); return Error::Ok();
    case TypeKind::kU8:
    case TypeKind::kU16:
    case TypeKind::kU32:
    case TypeKind::kS8:
    case TypeKind::kS16:
    case TypeKind::kS32:
    case TypeKind::kChar: out.push_back(Low32(v.bits)); return Error::Ok();
    case TypeKind::kU64:
    case TypeKind::kS64: out.push_back(v.bits); return Error::Ok();
    case TypeKind::kF32: out.push_back(CanonNan32(Low32(v.bits))); return Error::Ok();
    case TypeKind::kF64: out.push_back(CanonNan64(v.bits)); return Error::Ok();
    case TypeKind::kString: {
      uint32_t begin = 0, units = 0;
      WEFT_TRY(StoreStringIntoRange(cx, v.str, begin, units));
      out.push_back(begin);
      out.push_back(units);
      return Error::Ok();
    }
    case TypeKind::kList: {
      uint32_t begin = 0;
      WEFT_TRY(StoreListIntoRange(cx, t->elem, v, begin));
      out.push_back(begin);
      out.push_back(ListLength(v));
      return Error::Ok();
    }
    case TypeKind::kRecord:
    case TypeKind::kTuple:
      for (size_t i = 0; i < t->fields.size(); ++i) {
        WEFT_TRY(LowerFlat(cx, t->fields[i].type, v.items[i], out));
      }
      return Error::Ok();
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: {
      const size_t end = out.size() + FlatCount(t);
      out.push_back(v.bits);
      if (TypeRef p = CasePayload(t, v.bits)) WEFT_TRY(LowerFlat(cx, p, v.items[0], out));
      out.resize(end, 0);
      return Error::Ok();
    }
    case TypeKind::kFlags: out.push_back(v.bits & FlagsMask(t->labels.size())); return Error::Ok();
    case TypeKind::kOwn: {
      WEFT_TRY_ASSIGN(uint32_t h, cx.env.LowerOwn(t->elem, v.resource));
      out.push_back(h);
      return Error::Ok();
    }
    case TypeKind::kBorrow: {
      WEFT_TRY_ASSIGN(uint32_t h, cx.env.LowerBorrow(t->elem, v.resource));
      out.push_back(h);
      return Error::Ok();
    }
    default: return Unsupported(t->kind);
  }
}

/// The caller passed a different number of values than the function type says: a bug in
/// the caller, not a guest trap.
Error CountMismatch(const char* what, size_t want, size_t got) {
  return Error::Make(ErrorCode::kInternal, std::string("canonical ABI: expected ") +
                                               std::to_string(want) + " " + what + ", got " +
                                               std::to_string(got));
}

}  // namespace

size_t ValidUtf8Prefix(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    auto cont = [&](size_t k) { return i + k < n && (p[i + k] & 0xc0) == 0x80; };
    if (c >= 0xc2 && c <= 0xdf) {
      if (!cont(1)) return i;
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      if (!cont(1) || !cont(2)) return i;
      uint8_t c1 = p[i + 1];
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f)) return i;
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      if (!cont(1) || !cont(2) || !cont(3)) return i;
      uint8_t c1 = p[i + 1];
      if ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f)) return i;
      i += 4;
    } else {
      return i;
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Layout.

namespace {

uint32_t ComputeAlignment(TypeRef t) {
  switch (t->kind) {
    case TypeKind::kBool:
    case TypeKind::kS8:
    case TypeKind::kU8: return 1;
    case TypeKind::kS16:
    case TypeKind::kU16: return 2;
    case TypeKind::kS64:
    case TypeKind::kU64:
    case TypeKind::kF64: return 8;
    case TypeKind::kRecord:
    case TypeKind::kTuple: return FieldsAlignment(t->fields);
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult:
      return std::max(DiscriminantSize(CaseCount(t)), ComputeMaxCaseAlignment(t));
    case TypeKind::kFlags: return FlagsSize(t->labels.size());
    default: return 4;  // 32-bit ints, f32, char, string, list, handles, error-context
  }
}

uint32_t ComputeElemSize(TypeRef t) {
  switch (t->kind) {
    case TypeKind::kBool:
    case TypeKind::kS8:
    case TypeKind::kU8: return 1;
    case TypeKind::kS16:
    case TypeKind::kU16: return 2;
    case TypeKind::kS64:
    case TypeKind::kU64:
    case TypeKind::kF64: return 8;
    case TypeKind::kString:
    case TypeKind::kList: return 8;
    case TypeKind::kRecord:
    case TypeKind::kTuple: return static_cast<uint32_t>(FieldsSize(t->fields));
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: {
      uint64_t s = AlignTo(DiscriminantSize(CaseCount(t)), ComputeMaxCaseAlignment(t));
      uint32_t cs = 0;
      for (size_t i = 0, n = CaseCount(t); i < n; ++i) {
        if (TypeRef p = CasePayload(t, i)) cs = std::max(cs, ElemSize(p));
      }
      return static_cast<uint32_t>(AlignTo(s + cs, ComputeAlignment(t)));
    }
    case TypeKind::kFlags: return FlagsSize(t->labels.size());
    default: return 4;
  }
}

}  // namespace

uint32_t Alignment(TypeRef t) { return GetLayout(t).align; }
uint32_t ElemSize(TypeRef t) { return GetLayout(t).size; }

// ---------------------------------------------------------------------------------------------
// Flattening.

void FlattenType(TypeRef t, std::vector<CoreValType>& out) {
  switch (t->kind) {
    case TypeKind::kS64:
    case TypeKind::kU64: out.push_back(CoreValType::kI64); return;
    case TypeKind::kF32: out.push_back(CoreValType::kF32); return;
    case TypeKind::kF64: out.push_back(CoreValType::kF64); return;
    case TypeKind::kString:
    case TypeKind::kList:
      out.push_back(CoreValType::kI32);
      out.push_back(CoreValType::kI32);
      return;
    case TypeKind::kRecord:
    case TypeKind::kTuple:
      for (const NamedType& f : t->fields) FlattenType(f.type, out);
      return;
    case TypeKind::kVariant:
    case TypeKind::kEnum:
    case TypeKind::kOption:
    case TypeKind::kResult: {
      out.push_back(CoreValType::kI32);
      const size_t base = out.size();
      std::vector<CoreValType> scratch;
      for (size_t i = 0, n = CaseCount(t); i < n; ++i) {
        TypeRef p = CasePayload(t, i);
        if (p == nullptr) continue;
        scratch.clear();
        FlattenType(p, scratch);
        for (size_t k = 0; k < scratch.size(); ++k) {
          if (base + k < out.size()) {
            out[base + k] = Join(out[base + k], scratch[k]);
          } else {
            out.push_back(scratch[k]);
          }
        }
      }
      return;
    }
    default: out.push_back(CoreValType::kI32); return;
  }
}

FlatFuncType FlattenFuncType(TypeRef func, bool lower) {
  FlatFuncType ft;
  for (const NamedType& p : func->fields) FlattenType(p.type, ft.params);
  if (func->result != nullptr) FlattenType(func->result, ft.results);
  if (ft.params.size() > kMaxFlatParams) {
    ft.params.assign(1, CoreValType::kI32);
    ft.params_indirect = true;
  }
  if (ft.results.size() > kMaxFlatResults) {
    ft.results_indirect = true;
    if (lower) {
      ft.params.push_back(CoreValType::kI32);
      ft.results.clear();
    } else {
      ft.results.assign(1, CoreValType::kI32);
    }
  }
  return ft;
}

// ---------------------------------------------------------------------------------------------
// Single values.

Expected<Val> Load(Env& env, const Options& opts, TypeRef t, uint32_t ptr) {
  Cx cx(env, opts);
  WEFT_TRY(cx.CheckRange(ptr, ElemSize(t), Alignment(t), "value"));
  Val v;
  WEFT_TRY(LoadAt(cx, t, ptr, v));
  return v;
}

Error Store(Env& env, const Options& opts, TypeRef t, const Val& v, uint32_t ptr) {
  Cx cx(env, opts);
  WEFT_TRY(cx.CheckRange(ptr, ElemSize(t), Alignment(t), "value"));
  return StoreAt(cx, t, v, ptr);
}

// ---------------------------------------------------------------------------------------------
// Whole calls.

Error LowerParams(Env& env, const Options& opts, TypeRef func, std::span<const Val> args,
                  std::vector<uint64_t>& flat) {
  flat.clear();
  const std::vector<NamedType>& params = func->fields;
  if (params.empty()) return Error::Ok();
  if (args.size() != params.size()) return CountMismatch("argument values", params.size(), args.size());
  Cx cx(env, opts);
  const uint32_t n = FlatCountFields(params);
  if (n <= kMaxFlatParams) {
    flat.reserve(n);
    for (size_t i = 0; i < params.size(); ++i) WEFT_TRY(LowerFlat(cx, params[i].type, args[i], flat));
    return Error::Ok();
  }
  WEFT_TRY_ASSIGN(uint32_t ptr, cx.Realloc(0, 0, FieldsAlignment(params),
                                           static_cast<uint32_t>(FieldsSize(params)),
                                           "the spilled parameters"));
  uint64_t p = ptr;
  for (size_t i = 0; i < params.size(); ++i) {
    TypeRef t = params[i].type;
    p = AlignTo(p, Alignment(t));
    WEFT_TRY(StoreAt(cx, t, args[i], p));
    p += ElemSize(t);
  }
  flat.push_back(ptr);
  return Error::Ok();
}

Error LiftResultsInto(Env& env, const Options& opts, TypeRef func, std::span<const uint64_t> flat,
                      std::vector<Val>& out) {
  TypeRef t = func->result;
  if (t == nullptr) {
    out.clear();
    return Error::Ok();
  }
  const uint32_t n = FlatCount(t);
  const size_t want = n <= kMaxFlatResults ? n : 1;
  if (flat.size() != want) return CountMismatch("flat results", want, flat.size());
  Cx cx(env, opts);
  out.resize(1);
  if (n <= kMaxFlatResults) {
    FlatIter vi{flat};
    return LiftFlat(cx, vi, t, out[0]);
  }
  const uint32_t ptr = Low32(flat[0]);
  WEFT_TRY(cx.CheckRange(ptr, ElemSize(t), Alignment(t), "return area"));
  return LoadAt(cx, t, ptr, out[0]);
}

Expected<std::vector<Val>> LiftResults(Env& env, const Options& opts, TypeRef func,
                                       std::span<const uint64_t> flat) {
  std::vector<Val> out;
  WEFT_TRY(LiftResultsInto(env, opts, func, flat, out));
  return out;
}

Error LiftParamsInto(Env& env, const Options& opts, TypeRef func,
                     std::span<const uint64_t> flat_args, std::vector<Val>& out) {
  const std::vector<NamedType>& params = func->fields;
  if (params.empty()) {
    out.clear();
    return Error::Ok();
  }
  const uint32_t n = FlatCountFields(params);
  const size_t want = n <= kMaxFlatParams ? n : 1;
  if (flat_args.size() < want) return CountMismatch("flat arguments", want, flat_args.size());
  Cx cx(env, opts);
  out.resize(params.size());
  if (n <= kMaxFlatParams) {
    FlatIter vi{flat_args};
    for (size_t i = 0; i < params.size(); ++i) WEFT_TRY(LiftFlat(cx, vi, params[i].type, out[i]));
    return Error::Ok();
  }
  const uint32_t ptr = Low32(flat_args[0]);
  WEFT_TRY(cx.CheckRange(ptr, FieldsSize(params), FieldsAlignment(params), "spilled parameters"));
  uint64_t p = ptr;
  for (size_t i = 0; i < params.size(); ++i) {
    TypeRef t = params[i].type;
    p = AlignTo(p, Alignment(t));
    WEFT_TRY(LoadAt(cx, t, p, out[i]));
    p += ElemSize(t);
  }
  return Error::Ok();
}

Expected<std::vector<Val>> LiftParams(Env& env, const Options& opts, TypeRef func,
                                      std::span<const uint64_t> flat_args) {
  std::vector<Val> out;
  WEFT_TRY(LiftParamsInto(env, opts, func, flat_args, out));
  return out;
}

Error LowerResults(Env& env, const Options& opts, TypeRef func, std::span<const Val> results,
                   std::span<const uint64_t> flat_args, std::vector<uint64_t>& flat_results) {
  flat_results.clear();
  TypeRef t = func->result;
  if (t == nullptr) return Error::Ok();
  if (results.size() != 1) return CountMismatch("result values", 1, results.size());
  Cx cx(env, opts);
  if (FlatCount(t) <= kMaxFlatResults) return LowerFlat(cx, t, results[0], flat_results);
  if (flat_args.empty()) return CountMismatch("return-area pointers", 1, 0);
  const uint32_t ptr = Low32(flat_args.back());
  WEFT_TRY(cx.CheckRange(ptr, ElemSize(t), Alignment(t), "return area"));
  return StoreAt(cx, t, results[0], ptr);
}

}  // namespace weft::component::abi
