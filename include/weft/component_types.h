// Component-model types and values: the vocabulary shared by the component decoder and
// validator (src/component), the canonical ABI, the component API (component.h), WASI 0.2
// and the CLI. Types are immutable trees owned by a TypeArena that the Component keeps
// alive; a TypeRef is a plain pointer into it (or to a static primitive). Val is the dynamic
// value of any component value type, used by generic callers (`weft run --invoke`, tests);
// typed C++ host functions convert to and from it at compile time (component.h).
#pragma once

#include <cstdint>
#include <memory>
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
};

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
  float f32() const;
  double f64() const;
  bool operator==(const Val&) const = default;
};

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
