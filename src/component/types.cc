// Shared type helpers: the static primitive type nodes, kind names and Val's float accessors. (TypeToString,
// TypeEquals and CheckVal live beside the code that owns their rules: wit.cc and val.cc.)
#include <bit>

#include "weft/component_types.h"

namespace weft::component {

TypeRef PrimitiveType(TypeKind kind) {
  static const auto* kNodes = [] {
    auto* nodes = new Type[static_cast<size_t>(TypeKind::kErrorContext) + 1];
    for (size_t i = 0; i <= static_cast<size_t>(TypeKind::kErrorContext); ++i) {
      nodes[i].kind = static_cast<TypeKind>(i);
    }
    return nodes;
  }();
  return IsPrimitive(kind) ? &kNodes[static_cast<size_t>(kind)] : nullptr;
}

const char* TypeKindName(TypeKind k) {
  switch (k) {
    case TypeKind::kBool: return "bool";
    case TypeKind::kS8: return "s8";
    case TypeKind::kU8: return "u8";
    case TypeKind::kS16: return "s16";
    case TypeKind::kU16: return "u16";
    case TypeKind::kS32: return "s32";
    case TypeKind::kU32: return "u32";
    case TypeKind::kS64: return "s64";
    case TypeKind::kU64: return "u64";
    case TypeKind::kF32: return "f32";
    case TypeKind::kF64: return "f64";
    case TypeKind::kChar: return "char";
    case TypeKind::kString: return "string";
    case TypeKind::kErrorContext: return "error-context";
    case TypeKind::kList: return "list";
    case TypeKind::kRecord: return "record";
    case TypeKind::kTuple: return "tuple";
    case TypeKind::kVariant: return "variant";
    case TypeKind::kEnum: return "enum";
    case TypeKind::kOption: return "option";
    case TypeKind::kResult: return "result";
    case TypeKind::kFlags: return "flags";
    case TypeKind::kOwn: return "own";
    case TypeKind::kBorrow: return "borrow";
    case TypeKind::kStream: return "stream";
    case TypeKind::kFuture: return "future";
    default: return "non-value type";
  }
}

Val Val::F32(float v) { return Make(TypeKind::kF32, std::bit_cast<uint32_t>(v)); }
Val Val::F64(double v) { return Make(TypeKind::kF64, std::bit_cast<uint64_t>(v)); }
float Val::f32() const { return std::bit_cast<float>(static_cast<uint32_t>(bits)); }
double Val::f64() const { return std::bit_cast<double>(bits); }

}  // namespace weft::component
