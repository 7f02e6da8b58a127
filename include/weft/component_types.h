// Component-model types and values: the vocabulary shared by the component decoder and
// validator (src/component), the canonical ABI, the component API (component.h), WASI 0.2
// and the CLI. Types are immutable trees owned by a TypeArena that the Component keeps
// alive; a TypeRef is a plain pointer into it (or to a static primitive). Val is the dynamic
// value of any component value type, used by generic callers (`weft run --invoke`, tests);
// typed C++ host functions convert to and from it at compile time (component.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/error.h"

namespace weft::component {

enum class TypeKind : uint8_t {
  // Primitive value types (Binary.md primvaltype).
  kBool,
  kS8,
  kU8,
  kS16,
  kU16,
  kS32,
  kU32,
  kS64,
  kU64,
  kF32,
  kF64,
  kChar,
  kString,
  kErrorContext,
  // Defined value types (defvaltype).
  kList,
  kRecord,
  kTuple,
  kVariant,
  kEnum,
  kOption,
  kResult,
  kFlags,
  kOwn,
  kBorrow,
  kStream,
  kFuture,
  // Non-value types.
  kResource,    ///< a resource type (imported/exported abstract, or defined with rep+dtor)
  kFunc,        ///< component function type
  kInstance,    ///< component instance type
  kComponent,   ///< component type
  kCoreModule,  ///< core module type (imports/exports as core extern types; see core_*)
  kCoreFunc,    ///< core function type (core type section); params/results in core_*
};

/// True for the value kinds kBool..kFuture.
constexpr bool IsValueKind(TypeKind k) { return k <= TypeKind::kFuture; }
/// True for kBool..kErrorContext.
constexpr bool IsPrimitive(TypeKind k) { return k <= TypeKind::kErrorContext; }

struct Type;
/// Immutable, owned by a TypeArena (or static for primitives: see PrimitiveType()).
using TypeRef = const Type*;

/// A labelled type: record field, function parameter, variant case (type may be null).
struct NamedType {
  std::string name;
  TypeRef type = nullptr;
};

/// The sort of an import/export (Binary.md externtype).
enum class ExternSort : uint8_t { kCoreModule, kFunc, kValue, kType, kComponent, kInstance };

/// An import or export declaration in a component or instance type (or of a component).
/// For kType the `type` is the bound type (for `(sub resource)` a fresh kResource type).
struct ExternDesc {
  std::string name;  ///< the extern name, e.g. "wasi:io/streams@0.2.0" or "get-stdout"
  ExternSort sort = ExternSort::kFunc;
  TypeRef type = nullptr;
};

/// Core value types as they appear in core function/module types.
enum class CoreValType : uint8_t { kI32, kI64, kF32, kF64, kV128, kFuncRef, kExternRef };

/// A core import/export in a core module type (kCoreModule).
struct CoreExternDesc {
  std::string module;  ///< imports only
  std::string name;
  uint8_t kind = 0;  ///< 0 func, 1 table, 2 memory, 3 global, 4 tag
  TypeRef func_type = nullptr;  ///< kCoreFunc, for kind 0
};

/// A memo of a value type's canonical-ABI layout (size, alignment, flat count), filled by
/// src/component/abi.cc on first use. Types are immutable once built and shared between
/// threads; the layout is a pure function of the node, so racing first uses store the same
/// word (relaxed atomics suffice). Copies start empty.
struct AbiLayoutMemo {
  mutable std::atomic<uint64_t> word{0};  ///< 0 = not computed yet
  AbiLayoutMemo() = default;
  AbiLayoutMemo(const AbiLayoutMemo&) {}
  AbiLayoutMemo& operator=(const AbiLayoutMemo&) {
    word.store(0, std::memory_order_relaxed);
    return *this;
  }
};

/// One node of the type tree. Which fields are meaningful depends on `kind`:
/// - kList, kOption: `elem`. kOwn, kBorrow: `elem` is the kResource type.
/// - kStream, kFuture: `elem` (may be null).
/// - kResult: `elem` = ok type (may be null), `err` (may be null).
/// - kRecord: `fields`. kTuple: `fields` with empty names. kVariant: `fields` = cases
///   (case type may be null).
/// - kEnum, kFlags: `labels`.
/// - kFunc: `fields` = params, `result` (may be null), `async`.
/// - kInstance: `exports`. kComponent: `imports`, `exports`.
/// - kResource: `resource_rep` (core rep type, i32 for defined resources), `resource_dtor`
///   (core func index in the defining component, -1 if none, or if abstract), `abstract`
///   (true for `(sub resource)` imports/exports), `name` (the name it was declared under,
///   for messages and WIT printing; may be empty).
/// - kCoreModule: `core_imports`, `core_exports`. kCoreFunc: `core_params`, `core_results`.
/// Identity: two kResource nodes are the same resource type iff they are the same node
/// (after the validator resolves aliases and `(eq i)` bounds to the node they refer to).
struct Type {
  TypeKind kind = TypeKind::kBool;
  TypeRef elem = nullptr;
  TypeRef err = nullptr;
  TypeRef result = nullptr;
  bool async = false;
  bool abstract = false;
  CoreValType resource_rep = CoreValType::kI32;
  int64_t resource_dtor = -1;
  std::string name;
  std::vector<NamedType> fields;
  std::vector<std::string> labels;
  std::vector<ExternDesc> imports;
  std::vector<ExternDesc> exports;
  std::vector<CoreExternDesc> core_imports;
  std::vector<CoreExternDesc> core_exports;
  std::vector<CoreValType> core_params;
  std::vector<CoreValType> core_results;
  /// Canonical ABI layout memo (value types only; not part of the type's meaning). Mutating
  /// a node after its layout was used is not allowed (nodes are immutable once published).
  AbiLayoutMemo abi_layout;
};

/// The WIT keyword of a value kind ("u32", "string", "list", "own"); "non-value type" for
/// the others.
const char* TypeKindName(TypeKind kind);

/// The shared static node for a primitive kind (kBool..kErrorContext).
TypeRef PrimitiveType(TypeKind kind);

/// Owns type nodes. Append-only; nodes never move (TypeRef stays valid while the arena lives).
class TypeArena {
 public:
  Type* New(TypeKind kind) {
    nodes_.push_back(std::make_unique<Type>());
    nodes_.back()->kind = kind;
    return nodes_.back().get();
  }
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<std::unique_ptr<Type>> nodes_;
};

/// WIT spelling of a value or function type: "list<tuple<string, u32>>",
/// "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, stream-error>".
/// Resources print by their `name` (or "resource" when unnamed).
std::string TypeToString(TypeRef t);

/// Structural equality of value/func types, resources by identity.
bool TypeEquals(TypeRef a, TypeRef b);

// ---------------------------------------------------------------------------------------------
// Runtime resource identity and handles.

/// Identifies a resource type at run time: one per host-defined resource (a static tag) or
/// per instantiation of a guest-defined `(type (resource ...))`. Compared by `id`.
struct ResourceType {
  const void* id = nullptr;
  bool operator==(const ResourceType&) const = default;
  bool is_null() const { return id == nullptr; }
};

/// A resource value crossing the boundary: its run-time type and representation. For host
/// resources `rep` is whatever the host chose (usually an index into its own table); for
/// guest-defined ones it is the guest's i32 rep.
struct ResourceAny {
  ResourceType type;
  uint32_t rep = 0;
  bool operator==(const ResourceAny&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Dynamic values.

/// A value of any component value type. `kind` says which fields are used:
/// - kBool: bits (0/1). Integers: bits (signed kinds sign-extended to 64 bits). kChar: bits =
///   Unicode scalar value. kF32/kF64: bits = IEEE bit pattern (f32 in the low 32 bits).
/// - kString: str (UTF-8).
/// - kList, kTuple, kRecord (fields in declaration order): items.
/// - Packed bytes: a value of type list<u8> may instead be *packed*: kind kList, the bytes in
///   `str` (one char per element), `items` empty (Val::Bytes). Everything in weft that makes
///   list<u8> values makes the packed form (the canonical ABI's lift/load, ValTraits of
///   std::vector<uint8_t>, ParseWave, the WASI glue), because a Val per byte costs ~88 bytes
///   of memory and a trip through the allocator; everything that reads list<u8> accepts both
///   forms, so host code may still build the element form. Read a list<u8> through
///   ListLength / ListBytes / AppendListBytes, never through `items` alone. An empty list is
///   the same in both forms (str and items empty). The packed form is only valid for
///   list<u8> (CheckVal rejects it for other element types). operator== compares list<u8>
///   by content, so the packed and element forms of the same bytes are equal.
/// - kVariant: bits = case index, items = payload (0 or 1 element).
/// - kEnum: bits = case index. kFlags: bits = bit i set iff label i is present.
/// - kOption: bits = 0 none / 1 some, items = payload. kResult: bits = 0 ok / 1 error,
///   items = payload (0 or 1).
/// - kOwn, kBorrow: resource.
/// Values carry no type: the type is given beside them (function types, Linker signatures).
struct Val {
  TypeKind kind = TypeKind::kBool;
  uint64_t bits = 0;
  std::string str;
  std::vector<Val> items;
  ResourceAny resource;

  static Val Bool(bool b) { return Make(TypeKind::kBool, b ? 1 : 0); }
  static Val S8(int8_t v) { return Make(TypeKind::kS8, static_cast<uint64_t>(int64_t{v})); }
  static Val U8(uint8_t v) { return Make(TypeKind::kU8, v); }
  static Val S16(int16_t v) { return Make(TypeKind::kS16, static_cast<uint64_t>(int64_t{v})); }
  static Val U16(uint16_t v) { return Make(TypeKind::kU16, v); }
  static Val S32(int32_t v) { return Make(TypeKind::kS32, static_cast<uint64_t>(int64_t{v})); }
  static Val U32(uint32_t v) { return Make(TypeKind::kU32, v); }
  static Val S64(int64_t v) { return Make(TypeKind::kS64, static_cast<uint64_t>(v)); }
  static Val U64(uint64_t v) { return Make(TypeKind::kU64, v); }
  static Val F32(float v);
  static Val F64(double v);
  static Val Char(char32_t c) { return Make(TypeKind::kChar, c); }
  static Val String(std::string s) {
    Val v = Make(TypeKind::kString, 0);
    v.str = std::move(s);
    return v;
  }
  /// A packed list<u8> (see above) holding `bytes`.
  static Val Bytes(std::string bytes) {
    Val v = Make(TypeKind::kList, 0);
    v.str = std::move(bytes);
    return v;
  }
  static Val Bytes(std::span<const uint8_t> bytes) {
    return Bytes(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  static Val Aggregate(TypeKind kind, std::vector<Val> items, uint64_t bits = 0) {
    Val v = Make(kind, bits);
    v.items = std::move(items);
    return v;
  }
  static Val Own(ResourceAny r) {
    Val v = Make(TypeKind::kOwn, 0);
    v.resource = r;
    return v;
  }
  static Val Borrow(ResourceAny r) {
    Val v = Make(TypeKind::kBorrow, 0);
    v.resource = r;
    return v;
  }
  static Val Make(TypeKind kind, uint64_t bits) {
    Val v;
    v.kind = kind;
    v.bits = bits;
    return v;
  }
  /// Makes this Make(kind, bits) in place with `n_items` items, keeping the capacity of its
  /// string and items (for Vals reused across calls). Items kept from before hold their old
  /// contents and buffers: the caller overwrites them.
  void Reset(TypeKind k, uint64_t b = 0, size_t n_items = 0) {
    kind = k;
    bits = b;
    str.clear();
    items.resize(n_items);
    resource = {};
  }
  float f32() const;
  double f64() const;
  /// Whether this is a non-empty list<u8> in the packed form.
  bool packed_bytes() const { return kind == TypeKind::kList && items.empty() && !str.empty(); }
  /// Structural equality, except that lists compare by elements whichever form they are in:
  /// a packed list equals a list whose items are u8 Vals of the same bytes.
  bool operator==(const Val& o) const;
};

/// Number of elements of a list value in either form.
inline size_t ListLength(const Val& v) { return v.packed_bytes() ? v.str.size() : v.items.size(); }
/// Element i (< ListLength) of a list<u8> value in either form.
inline uint8_t ListByte(const Val& v, size_t i) {
  return v.packed_bytes() ? static_cast<uint8_t>(v.str[i]) : static_cast<uint8_t>(v.items[i].bits);
}
/// Appends the bytes of a list<u8> value in either form (one copy for the packed form).
void AppendListBytes(const Val& v, std::vector<uint8_t>& out);
void AppendListBytes(const Val& v, std::string& out);
/// The bytes of a list<u8> value in either form.
std::string ListBytes(const Val& v);
/// Converts a list<u8> value in the element form to the packed form in place (no-op if it
/// is packed or empty already).
void PackBytes(Val& v);

/// Checks that `v` is a well-formed value of type `t` (kinds match recursively, case
/// indices and flag bits in range, chars are scalar values). Error names the path.
Error CheckVal(const Val& v, TypeRef t);

/// WAVE text of a value of type `t` ("\"hi\"", "[1, 2]", "{a: 1, b: \"x\"}", "some(3)",
/// "ok(\"x\")", "err(e)", "{read, write}" for flags, "red" for enums/cases without payload,
/// "circle(2.5)" for cases with one).
std::string ValToWave(const Val& v, TypeRef t);
/// Parses WAVE text as a value of type `t` (whole string; error with the column on failure).
Expected<Val> ParseWave(std::string_view text, TypeRef t);

}  // namespace weft::component
