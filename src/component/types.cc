// Shared type helpers: the static primitive type nodes and Val's float accessors. (TypeToString,
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

Val Val::F32(float v) { return Make(TypeKind::kF32, std::bit_cast<uint32_t>(v)); }
Val Val::F64(double v) { return Make(TypeKind::kF64, std::bit_cast<uint64_t>(v)); }
float Val::f32() const { return std::bit_cast<float>(static_cast<uint32_t>(bits)); }
double Val::f64() const { return std::bit_cast<double>(bits); }

}  // namespace weft::component
