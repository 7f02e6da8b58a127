// Non-template support for component_traits.h: the process-wide arena of static type nodes
// (never freed, so TypeRefs handed out stay valid for the process), the host-resource nodes
// keyed by ResourceType, and structural type matching (TypesMatch).
#include <map>
#include <mutex>

#include "api/component_internal.h"
#include "weft/component.h"

namespace weft::component {

namespace {
std::mutex& StaticMutex() {
  static auto* m = new std::mutex;
  return *m;
}
TypeArena& StaticArena() {
  static auto* arena = new TypeArena;
  return *arena;
}
std::map<const void*, TypeRef>& HostNodes() {
  static auto* nodes = new std::map<const void*, TypeRef>;
  return *nodes;
}
std::map<TypeRef, ResourceType>& HostNodeIds() {
  static auto* ids = new std::map<TypeRef, ResourceType>;
  return *ids;
}
}  // namespace

Type* NewStaticType(TypeKind kind) {
  std::lock_guard<std::mutex> lock(StaticMutex());
  return StaticArena().New(kind);
}

TypeRef HostResourceNode(ResourceType type) {
  std::lock_guard<std::mutex> lock(StaticMutex());
  auto it = HostNodes().find(type.id);
  if (it != HostNodes().end()) return it->second;
  Type* n = StaticArena().New(TypeKind::kResource);
  n->abstract = true;
  n->name = "host-resource";
  HostNodes().emplace(type.id, n);
  HostNodeIds().emplace(n, type);
  return n;
}

ResourceType HostResourceOfNode(TypeRef node) {
  std::lock_guard<std::mutex> lock(StaticMutex());
  auto it = HostNodeIds().find(node);
  return it == HostNodeIds().end() ? ResourceType{} : it->second;
}

namespace api {
namespace {

bool Fail(std::string* why, std::string msg) {
  if (why != nullptr && why->empty()) *why = std::move(msg);
  return false;
}

// Kind names for mismatch messages (TypeToString lives in the component library; this file
// keeps to what the static arena needs).
std::string KindName(TypeRef t) {
  static const char* const kNames[] = {
      "bool",   "s8",     "u8",      "s16",    "u16",      "s32",   "u32",  "s64",
      "u64",    "f32",    "f64",     "char",   "string",   "error-context", "list",
      "record", "tuple",  "variant", "enum",   "option",   "result", "flags", "own",
      "borrow", "stream", "future",  "resource", "func",   "instance", "component",
      "core module", "core func"};
  size_t k = static_cast<size_t>(t->kind);
  return k < sizeof(kNames) / sizeof(kNames[0]) ? kNames[k] : "type";
}

bool SameLabels(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a == b;
}

bool Match(TypeRef want, TypeRef have, const SameResource& same, std::string* why) {
  if (want == have) return true;
  if (want == nullptr || have == nullptr) return Fail(why, "one side has no type");
  if (want->kind != have->kind) {
    return Fail(why, "expected " + KindName(want) + ", found " + KindName(have));
  }
  switch (want->kind) {
    case TypeKind::kList:
    case TypeKind::kOption:
    case TypeKind::kStream:
    case TypeKind::kFuture:
      if ((want->elem == nullptr) != (have->elem == nullptr)) return Fail(why, "element differs");
      return want->elem == nullptr || Match(want->elem, have->elem, same, why);
    case TypeKind::kResult:
      if ((want->elem == nullptr) != (have->elem == nullptr) ||
          (want->err == nullptr) != (have->err == nullptr)) {
        return Fail(why, "expected " + KindName(want) + ", found " + KindName(have));
      }
      return (want->elem == nullptr || Match(want->elem, have->elem, same, why)) &&
             (want->err == nullptr || Match(want->err, have->err, same, why));
    case TypeKind::kRecord:
    case TypeKind::kVariant:
    case TypeKind::kTuple:
      if (want->fields.size() != have->fields.size()) {
        return Fail(why, "expected " + KindName(want) + ", found " + KindName(have));
      }
      for (size_t i = 0; i < want->fields.size(); ++i) {
        const NamedType& a = want->fields[i];
        const NamedType& b = have->fields[i];
        if (want->kind != TypeKind::kTuple && a.name != b.name) {
          return Fail(why, "field/case `" + a.name + "` vs `" + b.name + "`");
        }
        if ((a.type == nullptr) != (b.type == nullptr)) {
          return Fail(why, "case `" + a.name + "` payload differs");
        }
        if (a.type != nullptr && !Match(a.type, b.type, same, why)) return false;
      }
      return true;
    case TypeKind::kEnum:
    case TypeKind::kFlags:
      if (!SameLabels(want->labels, have->labels)) {
        return Fail(why, "expected " + KindName(want) + ", found " + KindName(have));
      }
      return true;
    case TypeKind::kOwn:
    case TypeKind::kBorrow:
      return Match(want->elem, have->elem, same, why);
    case TypeKind::kResource:
      if (same ? same(want, have) : want == have) return true;
      return Fail(why, "resource types differ (" + want->name + " vs " + have->name + ")");
    case TypeKind::kFunc:
      if (want->fields.size() != have->fields.size()) {
        return Fail(why, "expected " + std::to_string(want->fields.size()) + " parameters, found " +
                             std::to_string(have->fields.size()));
      }
      for (size_t i = 0; i < want->fields.size(); ++i) {
        if (!Match(want->fields[i].type, have->fields[i].type, same, why)) return false;
      }
      if ((want->result == nullptr) != (have->result == nullptr)) {
        return Fail(why, want->result == nullptr ? "expected no result" : "expected a result");
      }
      return want->result == nullptr || Match(want->result, have->result, same, why);
    default:
      // Primitives (same kind suffices) and kinds compared by identity only.
      return IsPrimitive(want->kind);
  }
}

}  // namespace

bool TypesMatch(TypeRef want, TypeRef have, const SameResource& same_resource, std::string* why) {
  return Match(want, have, same_resource, why);
}

}  // namespace api
}  // namespace weft::component
