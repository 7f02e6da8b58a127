// Component binary decoder and validator (Binary.md grammar, Explainer.md validation rules).
// One pass: each section is decoded and validated as it is read, appending to the index spaces
// of the current scope (component, component type or instance type), and every type reference
// is resolved to a TypeRef in ComponentFile::arena.
// Hostile input: every length is checked against the remaining bytes before use, vectors grow
// one decoded element at a time (never sized from a count field), nesting of components and
// types is capped (kMaxNesting, kMaxTypeDepth), the size of every type tree is capped
// (kMaxTypeSize) so structural comparisons and printing stay bounded, and copies made by
// resource substitution are charged to a budget proportional to the input size.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "component/def.h"
#include "component/names.h"
#include "wasm/reader.h"

namespace weft::component {
namespace {

using wasm::Reader;

constexpr uint32_t kMaxNesting = 32;        // components and component/instance types
constexpr uint32_t kMaxTypeDepth = 100;     // nesting of one type tree
constexpr uint64_t kMaxTypeSize = 1'000'000;  // nodes of one type tree counted as a tree (as wasmparser)
constexpr size_t kMaxTypeNodes = 1'000'000;  // type nodes per file (each is ~300 bytes)
constexpr uint32_t kMaxFlatParams = 16;
constexpr uint32_t kMaxFlatResults = 1;

enum class ScopeKind : uint8_t { kComponent, kComponentType, kInstanceType };

// A core instance's exports are those of a kCoreModule node (the module's type, or a node
// built for inline exports); core_instances holds those nodes.
struct Scope {
  ScopeKind kind = ScopeKind::kComponent;
  Scope* parent = nullptr;
  ComponentDef* def = nullptr;  // kComponent only
  uint32_t id = 0;              // kComponent: ComponentFile::components index
  std::vector<TypeRef> types, core_types, funcs, components, instances, core_modules;
  std::vector<TypeRef> core_instances, core_funcs;  // core_funcs entries may be null (unknown)
  uint32_t core_tables = 0, core_memories = 0, core_globals = 0, core_tags = 0;
  std::vector<uint32_t> module_ids, component_ids;  // file-wide ids, UINT32_MAX if imported
  std::unordered_set<std::string> import_keys, export_keys;
  std::unordered_map<std::string, TypeRef> import_resources, export_resources;
  std::vector<ExternDesc> imports, exports;
  std::vector<TypeRef> declared;                 // fresh resources this scope introduces
  std::unordered_set<TypeRef> defined;           // kComponent: `(type (resource ...))` here
  std::unordered_set<TypeRef> visible;           // resources imported or exported here
};

struct TypeInfo {
  uint32_t depth = 1;
  uint64_t size = 1;
  bool borrow = false;    // transitively contains borrow<..>
  bool resource = false;  // transitively refers to a resource type
};

const char* SortName(ExternSort s) {
  switch (s) {
    case ExternSort::kCoreModule: return "core module";
    case ExternSort::kFunc: return "func";
    case ExternSort::kValue: return "value";
    case ExternSort::kType: return "type";
    case ExternSort::kComponent: return "component";
    case ExternSort::kInstance: return "instance";
  }
  return "?";
}

const char* CoreKindName(uint8_t k) {
  static const char* kNames[] = {"func", "table", "memory", "global", "tag"};
  return k < 5 ? kNames[k] : "?";
}

class Validator {
 public:
  explicit Validator(ComponentFile* file) : f_(file) {
    budget_ = 1'000'000 + 16 * static_cast<uint64_t>(file->bytes.size());
  }

  Error TakeError() { return std::move(err_); }

  // Decodes the component whose preamble starts at r's position and which extends to the end
  // of r. Appends it to f_->components and returns its id.
  bool Component(Reader& r, Scope* parent, uint32_t depth, uint32_t* id);

 private:
  // ---- errors
  bool Fail(ErrorCode code, uint64_t off, const std::string& msg) {
    if (err_.ok()) {
      std::string full = (code == ErrorCode::kMalformed ? "malformed component: " : "invalid component: ") +
                         msg + " at offset " + std::to_string(off);
      err_ = Error::Make(code, std::move(full), off);
    }
    return false;
  }
  bool Mal(uint64_t off, const std::string& msg) { return Fail(ErrorCode::kMalformed, off, msg); }
  bool Inv(uint64_t off, const std::string& msg) { return Fail(ErrorCode::kInvalid, off, msg); }
  // Validation work that is not proportional to the bytes just read (type comparisons,
  // flattening, copies per instantiation) is charged to one budget proportional to the input,
  // and the number of type nodes is capped, so no input makes decoding super-linear.
  bool Charge(uint64_t n, uint64_t off) {
    if (budget_ < n) return Inv(off, "component too complex (validation work limit exceeded)");
    budget_ -= n;
    return true;
  }
  bool CheckNodes(uint64_t off) {
    if (f_->arena.size() > kMaxTypeNodes) return Inv(off, "too many types (limit " + std::to_string(kMaxTypeNodes) + ")");
    return true;
  }
  bool ReaderFail(Reader& r) {
    if (!r.ok()) return Mal(r.error().offset(), r.error().message());
    return Mal(r.offset(), "unexpected end");
  }

  // ---- small readers (all report through ReaderFail)
  bool U8(Reader& r, uint8_t* v) { return r.ReadU8(v) || ReaderFail(r); }
  bool U32(Reader& r, uint32_t* v) { return r.ReadVarU32(v) || ReaderFail(r); }
  bool Name(Reader& r, std::string_view* v) { return r.ReadName(v) || ReaderFail(r); }
  bool Label(Reader& r, std::string* out) {
    uint64_t off = r.offset();
    std::string_view s;
    if (!Name(r, &s)) return false;
    if (!IsLabel(s)) return Inv(off, "`" + std::string(s) + "` is not a valid label");
    *out = std::string(s);
    return true;
  }
  // Reads a vector count; each element takes at least one byte, so a count larger than the
  // remaining bytes is malformed right away.
  bool Count(Reader& r, uint32_t* n) {
    uint64_t off = r.offset();
    if (!U32(r, n)) return false;
    if (*n > r.remaining()) return Mal(off, "vector length " + std::to_string(*n) + " exceeds the remaining bytes");
    return true;
  }

  // ---- type nodes
  Type* New(TypeKind kind) { return f_->arena.New(kind); }
  const TypeInfo& Info(TypeRef t) {
    static const TypeInfo kPrim;
    auto it = info_.find(t);
    return it == info_.end() ? kPrim : it->second;
  }
  // Computes t's TypeInfo from its children and enforces the depth and size limits.
  bool Finish(uint64_t off, Type* t);
  bool IsValueType(TypeRef t) { return t && IsValueKind(t->kind); }
  // A copy of value type `t` carrying `name` (WIT names of exported/imported types). Resources
  // are never copied: their identity is the node.
  TypeRef Named(TypeRef t, const std::string& name);

  // ---- substitution and subtyping
  TypeRef Apply(TypeRef t, const std::unordered_map<TypeRef, TypeRef>& map, uint64_t off, bool* ok);
  struct Matcher {
    std::unordered_map<TypeRef, TypeRef> bind;  // expected resource -> actual
    std::unordered_set<TypeRef> bindable;       // expected resources that may be bound
  };
  bool MatchVal(Matcher& m, TypeRef actual, TypeRef expected, uint32_t depth);
  bool MatchFunc(Matcher& m, TypeRef a, TypeRef e);
  bool MatchExtern(Matcher& m, ExternSort sort, TypeRef a, TypeRef e, std::string* why, uint32_t depth);
  bool MatchCoreModule(TypeRef a, TypeRef e, std::string* why);
  static bool CoreFuncEquals(TypeRef a, TypeRef b) {
    if (!a || !b) return true;  // unknown (built-ins decoded as kOther): checked at instantiation
    return a->core_params == b->core_params && a->core_results == b->core_results;
  }

  // ---- sections and productions
  bool Sections(Reader& r, Scope& s, uint32_t depth);
  void NameSection(Reader& r, ComponentNames* names);
  bool CoreModule(Reader& r, Scope& s, uint64_t off);
  bool ScanCoreModule(Reader& r, Type* mt);
  bool CoreInstance(Reader& r, Scope& s);
  bool CoreTypeDef(Reader& r, Scope& s, uint32_t depth, TypeRef* out);
  bool CoreFuncType(Reader& r, TypeRef* out);
  bool CoreValType(Reader& r, weft::component::CoreValType* out);
  bool CoreExternType(Reader& r, const std::vector<TypeRef>& core_types, CoreExternDesc* d);
  bool CoreModuleType(Reader& r, Scope& s, uint32_t depth, TypeRef* out);
  bool Instance(Reader& r, Scope& s);
  bool Alias(Reader& r, Scope& s, AliasDef* out);
  bool DefType(Reader& r, Scope& s, uint32_t depth, TypeRef* out);
  bool ValType(Reader& r, Scope& s, TypeRef* out);
  bool OptValType(Reader& r, Scope& s, TypeRef* out);
  bool DefValType(Reader& r, Scope& s, uint8_t opcode, uint64_t off, TypeRef* out);
  bool FuncType(Reader& r, Scope& s, bool async, uint64_t off, TypeRef* out);
  bool DeclScope(Reader& r, Scope& s, ScopeKind kind, uint32_t depth, TypeRef* out);
  bool ExternType(Reader& r, Scope& s, ExternSort* sort, TypeRef* type, bool* sub_resource);
  bool ExternName(Reader& r, std::string* name, uint64_t* off);
  bool AddImport(Scope& s, const std::string& name, ExternSort sort, TypeRef type, bool sub_resource,
                 uint64_t off, TypeRef* bound);
  bool AddExport(Scope& s, const std::string& name, ExternSort sort, TypeRef type, bool sub_resource,
                 uint64_t off, TypeRef* bound);
  bool CheckAnnotatedName(Scope& s, const std::string& name, ExternSort sort, TypeRef type, bool is_import,
                          uint64_t off);
  bool CheckExportResources(Scope& s, ExternSort sort, TypeRef type, uint64_t off);
  bool Canon(Reader& r, Scope& s, CanonDef* c);
  bool CanonOpts(Reader& r, Scope& s, CanonDef* c);
  bool Start(Reader& r, Scope& s, StartDef* st);
  bool ReadSortIdx(Reader& r, weft::component::SortIdx* out);
  bool ItemType(Scope& s, const weft::component::SortIdx& si, uint64_t off, ExternSort* sort, TypeRef* type);
  void AddToSpace(Scope& s, ExternSort sort, TypeRef type, uint32_t module_id = UINT32_MAX,
                  uint32_t component_id = UINT32_MAX);

  // Canonical ABI flattening (CanonicalABI.md "Flattening") for lift/lower signatures.
  bool Flatten(TypeRef t, std::vector<weft::component::CoreValType>* out, uint32_t depth);
  static bool NeedsMemory(TypeRef t, uint32_t depth);
  TypeRef CoreFunc(std::vector<weft::component::CoreValType> params,
                   std::vector<weft::component::CoreValType> results) {
    Type* t = New(TypeKind::kCoreFunc);
    t->core_params = std::move(params);
    t->core_results = std::move(results);
    return t;
  }

  // Name lookups in (immutable, finished) type nodes: linear for short lists, through a lazily
  // built index otherwise, so hostile inputs with many names stay linear overall.
  template <typename D, typename Key>
  const D* Find(const std::vector<D>& v, const std::string& name, Key key) {
    if (v.size() <= 8) {
      for (const D& d : v) {
        if (key(d) == name) return &d;
      }
      return nullptr;
    }
    auto [it, fresh] = index_.try_emplace(&v);
    if (fresh) {
      for (size_t i = v.size(); i-- > 0;) it->second[key(v[i])] = static_cast<uint32_t>(i);  // first wins
    }
    auto f = it->second.find(name);
    return f == it->second.end() ? nullptr : &v[f->second];
  }
  const ExternDesc* FindExtern(const std::vector<ExternDesc>& v, const std::string& name) {
    return Find(v, name, [](const ExternDesc& d) { return d.name; });
  }
  const CoreExternDesc* FindCore(const std::vector<CoreExternDesc>& v, const std::string& name) {
    return Find(v, name, [](const CoreExternDesc& d) { return d.name; });
  }
  const CoreExternDesc* FindCoreImport(const std::vector<CoreExternDesc>& v, const std::string& module,
                                       const std::string& name) {
    return Find(v, module + '\0' + name, [](const CoreExternDesc& d) { return d.module + '\0' + d.name; });
  }

  ComponentFile* f_;
  Error err_;
  std::unordered_map<const void*, std::unordered_map<std::string, uint32_t>> index_;
  std::unordered_map<TypeRef, TypeInfo> info_;
  std::unordered_map<TypeRef, std::vector<TypeRef>> declared_;  // instance/component type -> fresh resources
  uint64_t budget_;
};

#define WEFT_CHECK(expr) \
  do {                   \
    if (!(expr)) return false; \
  } while (0)

// ---------------------------------------------------------------------------------------------
// Type nodes.

bool Validator::Finish(uint64_t off, Type* t) {
  TypeInfo in;
  in.depth = 1;
  in.size = 1;
  auto add = [&](TypeRef c) {
    if (!c) return;
    const TypeInfo& ci = Info(c);
    in.depth = std::max(in.depth, ci.depth + 1);
    in.size += ci.size;
    in.borrow |= ci.borrow;
    in.resource |= ci.resource;
  };
  add(t->elem);
  add(t->err);
  add(t->result);
  for (const NamedType& f : t->fields) add(f.type);
  for (const ExternDesc& d : t->imports) add(d.type);
  for (const ExternDesc& d : t->exports) add(d.type);
  for (const CoreExternDesc& d : t->core_imports) add(d.func_type);
  for (const CoreExternDesc& d : t->core_exports) add(d.func_type);
  in.size += t->labels.size();
  if (t->kind == TypeKind::kBorrow) in.borrow = true;
  if (t->kind == TypeKind::kResource) in.resource = true;
  if (in.depth > kMaxTypeDepth) return Inv(off, "type nesting exceeds the limit of " + std::to_string(kMaxTypeDepth));
  if (in.size > kMaxTypeSize) return Inv(off, "effective type size exceeds the limit of " + std::to_string(kMaxTypeSize));
  info_[t] = in;
  return true;
}

TypeRef Validator::Named(TypeRef t, const std::string& name) {
  if (!IsValueType(t) || IsPrimitive(t->kind)) return t;
  if (t->name == name) return t;
  Type* c = New(t->kind);
  *c = *t;
  c->name = name;
  info_[c] = Info(t);
  return c;
}

// Copies `t` with the resources in `map` replaced; nodes without a replaced descendant are
// shared, not copied. Charged to budget_.
TypeRef Validator::Apply(TypeRef t, const std::unordered_map<TypeRef, TypeRef>& map, uint64_t off, bool* ok) {
  if (!t || map.empty()) return t;
  auto it = map.find(t);
  if (it != map.end()) return it->second;
  if (IsPrimitive(t->kind) || t->kind == TypeKind::kResource || !Info(t).resource) return t;
  if (budget_ < Info(t).size) {
    *ok = Inv(off, "type substitution exceeds the complexity limit");
    return t;
  }
  budget_ -= Info(t).size;
  bool changed = false;
  auto sub = [&](TypeRef c) {
    TypeRef n = Apply(c, map, off, ok);
    changed |= n != c;
    return n;
  };
  Type copy = *t;
  copy.elem = sub(t->elem);
  copy.err = sub(t->err);
  copy.result = sub(t->result);
  for (NamedType& f : copy.fields) f.type = sub(f.type);
  for (ExternDesc& d : copy.imports) d.type = sub(d.type);
  for (ExternDesc& d : copy.exports) d.type = sub(d.type);
  if (!changed) return t;
  Type* n = New(t->kind);
  *n = std::move(copy);
  info_[n] = Info(t);
  auto d = declared_.find(t);
  if (d != declared_.end()) {
    std::vector<TypeRef> decl;
    for (TypeRef r : d->second) {
      auto m = map.find(r);
      decl.push_back(m == map.end() ? r : m->second);
    }
    declared_[n] = std::move(decl);
  }
  return n;
}

bool Validator::MatchVal(Matcher& m, TypeRef a, TypeRef e, uint32_t depth) {
  if (a == e) return true;
  if (!a || !e || depth > kMaxTypeDepth + 2) return false;
  if (e->kind == TypeKind::kResource) {
    auto it = m.bind.find(e);
    return it != m.bind.end() && it->second == a;
  }
  if (a->kind != e->kind) return false;
  if (IsPrimitive(a->kind)) return true;
  if (!MatchVal(m, a->elem, e->elem, depth + 1) || !MatchVal(m, a->err, e->err, depth + 1)) return false;
  if ((a->elem == nullptr) != (e->elem == nullptr) || (a->err == nullptr) != (e->err == nullptr)) return false;
  if (a->fields.size() != e->fields.size() || a->labels != e->labels) return false;
  for (size_t i = 0; i < a->fields.size(); ++i) {
    if (a->fields[i].name != e->fields[i].name) return false;
    if ((a->fields[i].type == nullptr) != (e->fields[i].type == nullptr)) return false;
    if (!MatchVal(m, a->fields[i].type, e->fields[i].type, depth + 1)) return false;
  }
  return true;
}

bool Validator::MatchFunc(Matcher& m, TypeRef a, TypeRef e) {
  if (a->kind != TypeKind::kFunc || e->kind != TypeKind::kFunc) return false;
  if (a->async != e->async || a->fields.size() != e->fields.size()) return false;
  if ((a->result == nullptr) != (e->result == nullptr)) return false;
  for (size_t i = 0; i < a->fields.size(); ++i) {
    if (a->fields[i].name != e->fields[i].name) return false;
    if (!MatchVal(m, a->fields[i].type, e->fields[i].type, 0)) return false;
  }
  return !a->result || MatchVal(m, a->result, e->result, 0);
}

bool Validator::MatchCoreModule(TypeRef a, TypeRef e, std::string* why) {
  // a <: e: a imports nothing e does not, and exports everything e does, with equal types.
  for (const CoreExternDesc& ai : a->core_imports) {
    const CoreExternDesc* it = FindCoreImport(e->core_imports, ai.module, ai.name);
    if (!it || it->kind != ai.kind || !CoreFuncEquals(it->func_type, ai.func_type)) {
      *why = "core module import `" + ai.module + "::" + ai.name + "` not in the expected type";
      return false;
    }
  }
  for (const CoreExternDesc& ee : e->core_exports) {
    const CoreExternDesc* it = FindCore(a->core_exports, ee.name);
    if (!it || it->kind != ee.kind || !CoreFuncEquals(it->func_type, ee.func_type)) {
      *why = "core module export `" + ee.name + "` missing or of another type";
      return false;
    }
  }
  return true;
}

bool Validator::MatchExtern(Matcher& m, ExternSort sort, TypeRef a, TypeRef e, std::string* why, uint32_t depth) {
  if (depth > kMaxNesting * 2) {
    *why = "type nesting too deep";
    return false;
  }
  switch (sort) {
    case ExternSort::kType:
      if (e->kind == TypeKind::kResource && m.bindable.count(e) != 0 && m.bind.count(e) == 0) {
        if (a->kind != TypeKind::kResource) {
          *why = "expected a resource type";
          return false;
        }
        m.bind[e] = a;
        return true;
      }
      if (!MatchVal(m, a, e, 0)) {
        *why = "type mismatch";
        return false;
      }
      return true;
    case ExternSort::kFunc:
      if (!MatchFunc(m, a, e)) {
        *why = "function type mismatch";
        return false;
      }
      return true;
    case ExternSort::kCoreModule:
      return MatchCoreModule(a, e, why);
    case ExternSort::kValue:
      *why = "value imports are unsupported";
      return false;
    case ExternSort::kInstance: {
      if (a->kind != TypeKind::kInstance || e->kind != TypeKind::kInstance) {
        *why = "expected an instance";
        return false;
      }
      auto d = declared_.find(e);
      if (d != declared_.end()) m.bindable.insert(d->second.begin(), d->second.end());
      for (const ExternDesc& ee : e->exports) {
        const ExternDesc* it = FindExtern(a->exports, ee.name);
        if (!it) {
          *why = "missing export `" + ee.name + "`";
          return false;
        }
        if (it->sort != ee.sort) {
          *why = "export `" + ee.name + "` is a " + SortName(it->sort) + ", expected a " + SortName(ee.sort);
          return false;
        }
        if (!MatchExtern(m, ee.sort, it->type, ee.type, why, depth + 1)) {
          *why = "export `" + ee.name + "`: " + *why;
          return false;
        }
      }
      return true;
    }
    case ExternSort::kComponent: {
      if (a->kind != TypeKind::kComponent || e->kind != TypeKind::kComponent) {
        *why = "expected a component";
        return false;
      }
      // Imports are contravariant: every import of `a` must be satisfied by what `e` imports.
      Matcher rev;
      auto da = declared_.find(a);
      if (da != declared_.end()) rev.bindable.insert(da->second.begin(), da->second.end());
      for (const ExternDesc& ai : a->imports) {
        const ExternDesc* it = FindExtern(e->imports, ai.name);
        if (!it || it->sort != ai.sort ||
            !MatchExtern(rev, ai.sort, it->type, ai.type, why, depth + 1)) {
          *why = "import `" + ai.name + "` not provided by the expected component type";
          return false;
        }
      }
      auto de = declared_.find(e);
      if (de != declared_.end()) m.bindable.insert(de->second.begin(), de->second.end());
      for (const auto& [from, to] : rev.bind) m.bind[to] = from;
      for (const ExternDesc& ee : e->exports) {
        const ExternDesc* it = FindExtern(a->exports, ee.name);
        if (!it || it->sort != ee.sort ||
            !MatchExtern(m, ee.sort, it->type, ee.type, why, depth + 1)) {
          *why = "export `" + ee.name + "` missing or of another type";
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Component and sections.

bool Validator::Component(Reader& r, Scope* parent, uint32_t depth, uint32_t* id) {
  uint64_t start = r.offset();
  if (depth > kMaxNesting) return Inv(start, "components nested deeper than " + std::to_string(kMaxNesting));
  std::span<const uint8_t> pre;
  if (!r.ReadBytes(8, &pre)) return Mal(start, "unexpected end (component preamble)");
  static const uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6d};
  if (!std::equal(pre.begin(), pre.begin() + 4, kMagic)) return Mal(start, "magic header not detected");
  if (pre[6] != 0x01 || pre[7] != 0x00) {
    if (pre[6] == 0 && pre[7] == 0) return Mal(start, "expected a component, found a core module");
    return Mal(start + 6, "unknown layer");
  }
  if (pre[4] != 0x0d || pre[5] != 0x00) {
    return Mal(start + 4, "unsupported component version 0x" + std::to_string(pre[4] | (pre[5] << 8)) +
                              " (expected 0x0d)");
  }
  *id = static_cast<uint32_t>(f_->components.size());
  f_->components.push_back(std::make_unique<ComponentDef>());
  Scope s;
  s.kind = ScopeKind::kComponent;
  s.parent = parent;
  s.def = f_->components.back().get();
  s.id = *id;
  s.def->parent = parent ? parent->id : UINT32_MAX;
  WEFT_CHECK(Sections(r, s, depth));
  // The component's type.
  Type* ct = New(TypeKind::kComponent);
  ct->imports = s.imports;
  ct->exports = s.exports;
  WEFT_CHECK(Finish(start, ct));
  std::vector<TypeRef> decl = s.declared;
  for (const ExternDesc& e : s.exports) {
    if (e.sort == ExternSort::kType && e.type->kind == TypeKind::kResource &&
        std::find(decl.begin(), decl.end(), e.type) == decl.end()) {
      decl.push_back(e.type);
    }
  }
  declared_[ct] = std::move(decl);
  f_->components[*id]->type = ct;
  return true;
}

bool Validator::Sections(Reader& r, Scope& s, uint32_t depth) {
  ComponentDef& def = *s.def;
  while (!r.at_end()) {
    uint64_t sec_off = r.offset();
    uint8_t id;
    uint32_t size;
    WEFT_CHECK(U8(r, &id));
    WEFT_CHECK(U32(r, &size));
    if (size > r.remaining()) return Mal(sec_off, "section size " + std::to_string(size) + " out of bounds");
    std::span<const uint8_t> body;
    (void)r.ReadBytes(size, &body);
    uint64_t body_off = r.offset() - size;
    Reader sr(body, body_off);
    auto push = [&](Definition::Kind k, size_t index, uint64_t off) {
      def.defs.push_back(Definition{k, static_cast<uint32_t>(index), off});
    };
    switch (id) {
      case 0: {  // custom
        std::string_view name;
        WEFT_CHECK(Name(sr, &name));
        if (name == "component-name") NameSection(sr, &def.names);
        continue;  // contents are not validated (the name section is optional metadata)
      }
      case 1:
        WEFT_CHECK(CoreModule(sr, s, body_off));
        push(Definition::Kind::kCoreModule, def.core_modules.size() - 1, body_off);
        continue;
      case 4: {
        uint32_t cid;
        WEFT_CHECK(Component(sr, &s, depth + 1, &cid));
        def.components.push_back(cid);
        s.components.push_back(f_->components[cid]->type);
        s.component_ids.push_back(cid);
        push(Definition::Kind::kComponent, def.components.size() - 1, body_off);
        continue;
      }
      case 9: {
        StartDef st;
        WEFT_CHECK(Start(sr, s, &st));
        def.starts.push_back(std::move(st));
        push(Definition::Kind::kStart, def.starts.size() - 1, body_off);
        break;
      }
      case 12:
        return Inv(sec_off, "unsupported: value definitions (value section)");
      case 2: case 3: case 5: case 6: case 7: case 8: case 10: case 11: {
        uint32_t n;
        WEFT_CHECK(Count(sr, &n));
        for (uint32_t i = 0; i < n; ++i) {
          uint64_t off = sr.offset();
          WEFT_CHECK(CheckNodes(off));
          switch (id) {
            case 2:
              WEFT_CHECK(CoreInstance(sr, s));
              push(Definition::Kind::kCoreInstance, def.core_instances.size() - 1, off);
              break;
            case 3: {
              TypeRef t;
              WEFT_CHECK(CoreTypeDef(sr, s, depth, &t));
              s.core_types.push_back(t);
              def.types.push_back(TypeDefn{true, t});
              push(Definition::Kind::kCoreType, def.types.size() - 1, off);
              break;
            }
            case 5:
              WEFT_CHECK(Instance(sr, s));
              push(Definition::Kind::kInstance, def.instances.size() - 1, off);
              break;
            case 6: {
              AliasDef a;
              WEFT_CHECK(Alias(sr, s, &a));
              def.aliases.push_back(std::move(a));
              push(Definition::Kind::kAlias, def.aliases.size() - 1, off);
              break;
            }
            case 7: {
              TypeRef t;
              WEFT_CHECK(DefType(sr, s, depth, &t));
              s.types.push_back(t);
              def.types.push_back(TypeDefn{false, t});
              push(Definition::Kind::kType, def.types.size() - 1, off);
              break;
            }
            case 8: {
              CanonDef c;
              WEFT_CHECK(Canon(sr, s, &c));
              def.canons.push_back(std::move(c));
              push(Definition::Kind::kCanon, def.canons.size() - 1, off);
              break;
            }
            case 10: {
              std::string name;
              uint64_t noff;
              ExternSort sort;
              TypeRef type;
              bool sub;
              WEFT_CHECK(ExternName(sr, &name, &noff));
              WEFT_CHECK(ExternType(sr, s, &sort, &type, &sub));
              TypeRef bound;
              WEFT_CHECK(AddImport(s, name, sort, type, sub, noff, &bound));
              def.imports.push_back(ImportDef{ExternDesc{name, sort, bound}});
              push(Definition::Kind::kImport, def.imports.size() - 1, off);
              break;
            }
            case 11: {
              ExportDef e;
              uint64_t noff;
              WEFT_CHECK(ExternName(sr, &e.name, &noff));
              uint64_t ioff = sr.offset();
              WEFT_CHECK(ReadSortIdx(sr, &e.item));
              ExternSort sort;
              TypeRef type;
              WEFT_CHECK(ItemType(s, e.item, ioff, &sort, &type));
              uint8_t has;
              uint64_t aoff = sr.offset();
              WEFT_CHECK(U8(sr, &has));
              TypeRef final_type = type;
              if (has == 1) {
                ExternSort asort;
                TypeRef atype;
                bool sub;
                WEFT_CHECK(ExternType(sr, s, &asort, &atype, &sub));
                if (asort != sort) {
                  return Inv(aoff, std::string("export ascription is a ") + SortName(asort) + ", the item is a " +
                                       SortName(sort));
                }
                Matcher m;
                std::string why;
                WEFT_CHECK(Charge(Info(atype).size, aoff));
                if (sub) {
                  if (type->kind != TypeKind::kResource) return Inv(aoff, "ascribed `(sub resource)` for a non-resource");
                  m.bind[atype] = type;
                } else if (!MatchExtern(m, sort, type, atype, &why, 0)) {
                  return Inv(aoff, "export `" + e.name + "` does not match its ascribed type: " + why);
                }
                e.ascribed = atype;
                if (sort != ExternSort::kType) {
                  bool ok = true;
                  final_type = Apply(atype, m.bind, aoff, &ok);
                  WEFT_CHECK(ok);
                }
              } else if (has != 0) {
                return Mal(aoff, "invalid optional export type flag");
              }
              TypeRef bound;
              WEFT_CHECK(AddExport(s, e.name, sort, final_type, false, noff, &bound));
              e.type = bound;
              def.exports.push_back(std::move(e));
              push(Definition::Kind::kExport, def.exports.size() - 1, off);
              break;
            }
          }
        }
        break;
      }
      default:
        return Mal(sec_off, "unknown section id 0x" + std::string(1, "0123456789abcdef"[id >> 4]) +
                                std::string(1, "0123456789abcdef"[id & 15]));
    }
    if (!sr.at_end()) return Mal(sr.offset(), "section size mismatch (unconsumed bytes at the end of the section)");
  }
  return true;
}

// The `component-name` section: best effort, stops at the first malformed byte.
void Validator::NameSection(Reader& r, ComponentNames* names) {
  while (!r.at_end()) {
    uint8_t id;
    uint32_t size;
    std::span<const uint8_t> body;
    if (!r.ReadU8(&id) || !r.ReadVarU32(&size) || !r.ReadBytes(size, &body)) return;
    Reader sr(body, r.offset() - size);
    std::string_view nm;
    if (id == 0) {
      if (sr.ReadName(&nm)) names->component = std::string(nm);
      continue;
    }
    if (id != 1) continue;
    weft::component::SortIdx item;
    uint8_t b, cs = 0;
    uint32_t n;
    if (!sr.ReadU8(&b) || b > 5 || (b == 0 && !sr.ReadU8(&cs)) || !sr.ReadVarU32(&n)) return;
    item.sort = static_cast<Sort>(b);
    item.core_sort = static_cast<CoreSort>(cs);
    for (uint32_t i = 0; i < n && !sr.at_end(); ++i) {
      if (!sr.ReadVarU32(&item.index) || !sr.ReadName(&nm)) return;
      names->entries.push_back(ComponentNames::Entry{item, std::string(nm)});
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Core modules: framed, and their imports/exports scanned (types, imports, functions and
// exports sections only; the engine decodes and validates the whole module when it compiles).

bool Validator::CoreModule(Reader& r, Scope& s, uint64_t off) {
  Type* mt = New(TypeKind::kCoreModule);
  Reader mr(r.rest(), r.offset());
  WEFT_CHECK(ScanCoreModule(mr, mt));
  WEFT_CHECK(Finish(off, mt));
  uint32_t id = static_cast<uint32_t>(f_->modules.size());
  f_->modules.push_back(ComponentFile::ModuleRange{off, r.remaining()});
  (void)r.Skip(r.remaining());
  s.def->core_modules.push_back(CoreModuleDef{id, mt});
  s.core_modules.push_back(mt);
  s.module_ids.push_back(id);
  return true;
}

bool Validator::CoreValType(Reader& r, weft::component::CoreValType* out) {
  uint64_t off = r.offset();
  uint8_t b;
  WEFT_CHECK(U8(r, &b));
  switch (b) {
    case 0x7f: *out = CoreValType::kI32; return true;
    case 0x7e: *out = CoreValType::kI64; return true;
    case 0x7d: *out = CoreValType::kF32; return true;
    case 0x7c: *out = CoreValType::kF64; return true;
    case 0x7b: *out = CoreValType::kV128; return true;
    case 0x70: *out = CoreValType::kFuncRef; return true;
    case 0x6f: *out = CoreValType::kExternRef; return true;
    default: return Mal(off, "unsupported core value type 0x" + std::to_string(b));
  }
}

bool Validator::CoreFuncType(Reader& r, TypeRef* out) {
  std::vector<weft::component::CoreValType> p, q;
  for (auto* v : {&p, &q}) {
    uint32_t n;
    WEFT_CHECK(Count(r, &n));
    for (uint32_t i = 0; i < n; ++i) {
      weft::component::CoreValType t;
      WEFT_CHECK(CoreValType(r, &t));
      v->push_back(t);
    }
  }
  *out = CoreFunc(std::move(p), std::move(q));
  return true;
}

// core:externtype (importdesc): 0x00 typeidx | 0x01 tabletype | 0x02 memtype | 0x03 globaltype
// | 0x04 tag.
bool Validator::CoreExternType(Reader& r, const std::vector<TypeRef>& core_types, CoreExternDesc* d) {
  uint64_t off = r.offset();
  WEFT_CHECK(U8(r, &d->kind));
  auto limits = [&]() {
    uint64_t loff = r.offset();
    uint8_t flags;
    WEFT_CHECK(U8(r, &flags));
    if (flags > 7) return Mal(loff, "invalid limits flags");
    uint64_t v;
    for (int i = 0; i < ((flags & 1) ? 2 : 1); ++i) {
      if (!r.ReadVarU64(&v)) return ReaderFail(r);
    }
    return true;
  };
  switch (d->kind) {
    case 0x00:
    case 0x04: {
      if (d->kind == 0x04) {
        uint8_t attr;
        WEFT_CHECK(U8(r, &attr));
        if (attr != 0) return Mal(off, "invalid tag attribute");
      }
      uint32_t idx;
      WEFT_CHECK(U32(r, &idx));
      if (idx >= core_types.size() || core_types[idx]->kind != TypeKind::kCoreFunc) {
        return Inv(off, "core type index " + std::to_string(idx) + " is not a function type");
      }
      d->func_type = core_types[idx];
      return true;
    }
    case 0x01: {
      weft::component::CoreValType t;
      WEFT_CHECK(CoreValType(r, &t));
      return limits();
    }
    case 0x02:
      return limits();
    case 0x03: {
      weft::component::CoreValType t;
      WEFT_CHECK(CoreValType(r, &t));
      uint8_t mut;
      WEFT_CHECK(U8(r, &mut));
      if (mut > 1) return Mal(off, "malformed mutability");
      return true;
    }
    default:
      return Mal(off, "invalid core extern kind 0x" + std::to_string(d->kind));
  }
}

bool Validator::ScanCoreModule(Reader& r, Type* mt) {
  uint64_t start = r.offset();
  std::span<const uint8_t> pre;
  if (!r.ReadBytes(8, &pre)) return Mal(start, "unexpected end (core module preamble)");
  if (!IsCoreModule(pre)) return Mal(start, "core module: bad magic or version");
  std::vector<TypeRef> types;
  std::vector<TypeRef> funcs;  // function index space (imports, then definitions)
  std::unordered_set<std::string> export_names;
  uint32_t counts[5] = {0, 0, 0, 0, 0};
  while (!r.at_end()) {
    uint64_t sec_off = r.offset();
    uint8_t id;
    uint32_t size;
    WEFT_CHECK(U8(r, &id));
    WEFT_CHECK(U32(r, &size));
    if (size > r.remaining()) return Mal(sec_off, "core module: section size out of bounds");
    std::span<const uint8_t> body;
    (void)r.ReadBytes(size, &body);
    Reader sr(body, r.offset() - size);
    if (id != 1 && id != 2 && id != 3 && id != 4 && id != 5 && id != 6 && id != 7) continue;
    uint32_t n;
    WEFT_CHECK(Count(sr, &n));
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t off = sr.offset();
      switch (id) {
        case 1: {  // types
          uint8_t form;
          WEFT_CHECK(U8(sr, &form));
          if (form != 0x60) return Inv(off, "core module: unsupported type form (only function types)");
          TypeRef t;
          WEFT_CHECK(CoreFuncType(sr, &t));
          types.push_back(t);
          break;
        }
        case 2: {  // imports
          std::string_view m, nm;
          WEFT_CHECK(Name(sr, &m));
          WEFT_CHECK(Name(sr, &nm));
          CoreExternDesc d;
          d.module = std::string(m);
          d.name = std::string(nm);
          WEFT_CHECK(CoreExternType(sr, types, &d));
          if (d.kind == 0) funcs.push_back(d.func_type);
          if (d.kind < 5) ++counts[d.kind];
          mt->core_imports.push_back(std::move(d));
          break;
        }
        case 3: {  // functions
          uint32_t idx;
          WEFT_CHECK(U32(sr, &idx));
          if (idx >= types.size()) return Inv(off, "core module: type index out of bounds");
          funcs.push_back(types[idx]);
          break;
        }
        case 4: case 5: case 6:  // tables, memories, globals: counted; contents skipped
          counts[id - 3]++;
          (void)sr.Skip(sr.remaining());
          i = n;
          break;
        case 7: {  // exports
          std::string_view nm;
          WEFT_CHECK(Name(sr, &nm));
          CoreExternDesc d;
          d.name = std::string(nm);
          uint32_t idx;
          WEFT_CHECK(U8(sr, &d.kind));
          WEFT_CHECK(U32(sr, &idx));
          if (d.kind > 4) return Mal(off, "core module: invalid export kind");
          if (d.kind == 0) {
            if (idx >= funcs.size()) return Inv(off, "core module: exported function index out of bounds");
            d.func_type = funcs[idx];
          }
          if (!export_names.insert(d.name).second) return Inv(off, "core module: duplicate export name `" + d.name + "`");
          mt->core_exports.push_back(std::move(d));
          break;
        }
      }
    }
    if (id == 4 || id == 5 || id == 6) continue;
    if (!sr.at_end()) return Mal(sr.offset(), "core module: section size mismatch");
  }
  return true;
}

bool Validator::CoreTypeDef(Reader& r, Scope& s, uint32_t depth, TypeRef* out) {
  uint64_t off = r.offset();
  uint8_t form;
  WEFT_CHECK(U8(r, &form));
  if (form == 0x60) {
    WEFT_CHECK(CoreFuncType(r, out));
    return Finish(off, const_cast<Type*>(*out));
  }
  if (form == 0x50) return CoreModuleType(r, s, depth + 1, out);
  return Inv(off, "unsupported core type form 0x" + std::to_string(form) + " (GC types)");
}

bool Validator::CoreModuleType(Reader& r, Scope& s, uint32_t depth, TypeRef* out) {
  uint64_t off = r.offset();
  if (depth > kMaxNesting) return Inv(off, "types nested too deeply");
  Type* mt = New(TypeKind::kCoreModule);
  std::vector<TypeRef> types;  // the module type's own (initially empty) core type space
  std::unordered_set<std::string> export_names;
  uint32_t n;
  WEFT_CHECK(Count(r, &n));
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t doff = r.offset();
    uint8_t tag;
    WEFT_CHECK(U8(r, &tag));
    switch (tag) {
      case 0x00: {
        std::string_view m, nm;
        WEFT_CHECK(Name(r, &m));
        WEFT_CHECK(Name(r, &nm));
        CoreExternDesc d;
        d.module = std::string(m);
        d.name = std::string(nm);
        WEFT_CHECK(CoreExternType(r, types, &d));
        mt->core_imports.push_back(std::move(d));
        break;
      }
      case 0x01: {
        uint8_t form;
        WEFT_CHECK(U8(r, &form));
        if (form != 0x60) return Inv(doff, "module types may only declare function types");
        TypeRef t;
        WEFT_CHECK(CoreFuncType(r, &t));
        types.push_back(t);
        break;
      }
      case 0x02: {
        uint8_t sort, kind;
        uint32_t ct, idx;
        WEFT_CHECK(U8(r, &sort));
        WEFT_CHECK(U8(r, &kind));
        if (sort != 0x10 || kind != 0x01) return Mal(doff, "invalid core alias in module type");
        WEFT_CHECK(U32(r, &ct));
        WEFT_CHECK(U32(r, &idx));
        // ct counts scopes outward from the module type itself (0 = the module type).
        if (ct == 0) {
          if (idx >= types.size()) return Inv(doff, "core type index out of bounds");
          types.push_back(types[idx]);
          break;
        }
        Scope* t = &s;
        for (uint32_t k = 1; k < ct && t; ++k) t = t->parent;
        if (!t) return Inv(doff, "outer alias count " + std::to_string(ct) + " out of bounds");
        if (idx >= t->core_types.size()) return Inv(doff, "core type index out of bounds");
        if (t->core_types[idx]->kind != TypeKind::kCoreFunc) return Inv(doff, "module types may only alias function types");
        types.push_back(t->core_types[idx]);
        break;
      }
      case 0x03: {
        std::string_view nm;
        WEFT_CHECK(Name(r, &nm));
        CoreExternDesc d;
        d.name = std::string(nm);
        WEFT_CHECK(CoreExternType(r, types, &d));
        if (!export_names.insert(d.name).second) return Inv(doff, "duplicate export name `" + d.name + "` in module type");
        mt->core_exports.push_back(std::move(d));
        break;
      }
      default:
        return Mal(doff, "invalid module type declaration 0x" + std::to_string(tag));
    }
  }
  WEFT_CHECK(Finish(off, mt));
  *out = mt;
  return true;
}

bool Validator::CoreInstance(Reader& r, Scope& s) {
  uint64_t off = r.offset();
  uint8_t tag;
  WEFT_CHECK(U8(r, &tag));
  CoreInstanceDef d;
  if (tag == 0x00) {
    WEFT_CHECK(U32(r, &d.module));
    if (d.module >= s.core_modules.size()) return Inv(off, "core module index " + std::to_string(d.module) + " out of bounds");
    uint32_t n;
    WEFT_CHECK(Count(r, &n));
    std::unordered_map<std::string, size_t> arg_index;
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t aoff = r.offset();
      std::string_view nm;
      uint8_t sort;
      CoreInstanceDef::Arg a;
      WEFT_CHECK(Name(r, &nm));
      WEFT_CHECK(U8(r, &sort));
      WEFT_CHECK(U32(r, &a.instance));
      if (sort != 0x12) return Inv(aoff, "core instantiation arguments must be instances");
      if (a.instance >= s.core_instances.size()) return Inv(aoff, "core instance index " + std::to_string(a.instance) + " out of bounds");
      a.name = std::string(nm);
      if (!arg_index.emplace(a.name, d.args.size()).second) {
        return Inv(aoff, "duplicate core instantiation argument `" + a.name + "`");
      }
      d.args.push_back(std::move(a));
    }
    TypeRef mt = s.core_modules[d.module];
    for (const CoreExternDesc& imp : mt->core_imports) {
      auto arg = arg_index.find(imp.module);
      if (arg == arg_index.end()) return Inv(off, "missing core instantiation argument `" + imp.module + "`");
      TypeRef inst = s.core_instances[d.args[arg->second].instance];
      const CoreExternDesc* ex = FindCore(inst->core_exports, imp.name);
      if (!ex) {
        return Inv(off, "core instantiation argument `" + imp.module + "` has no export `" + imp.name + "`");
      }
      if (ex->kind != imp.kind) {
        return Inv(off, "core import `" + imp.module + "::" + imp.name + "` expects a " + CoreKindName(imp.kind) +
                            ", the argument exports a " + CoreKindName(ex->kind));
      }
      if (imp.kind == 0 && !CoreFuncEquals(ex->func_type, imp.func_type)) {
        return Inv(off, "core import `" + imp.module + "::" + imp.name + "`: function type mismatch");
      }
    }
    s.core_instances.push_back(mt);
    d.type = mt;
  } else if (tag == 0x01) {
    d.instantiate = false;
    Type* it = New(TypeKind::kCoreModule);
    uint32_t n;
    WEFT_CHECK(Count(r, &n));
    std::unordered_set<std::string> names;
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t eoff = r.offset();
      std::string_view nm;
      CoreInstanceDef::Export e;
      uint8_t sort;
      WEFT_CHECK(Name(r, &nm));
      WEFT_CHECK(U8(r, &sort));
      WEFT_CHECK(U32(r, &e.index));
      e.name = std::string(nm);
      e.sort = static_cast<CoreSort>(sort);
      CoreExternDesc x;
      x.name = e.name;
      x.kind = sort;
      uint32_t limit;
      switch (sort) {
        case 0: limit = static_cast<uint32_t>(s.core_funcs.size()); break;
        case 1: limit = s.core_tables; break;
        case 2: limit = s.core_memories; break;
        case 3: limit = s.core_globals; break;
        case 4: limit = s.core_tags; break;
        default: return Inv(eoff, "core inline exports may only export funcs, tables, memories, globals and tags");
      }
      if (e.index >= limit) return Inv(eoff, std::string("core ") + CoreKindName(sort) + " index " + std::to_string(e.index) + " out of bounds");
      if (sort == 0) x.func_type = s.core_funcs[e.index];
      if (!names.insert(x.name).second) return Inv(eoff, "duplicate core export name `" + x.name + "`");
      it->core_exports.push_back(std::move(x));
      d.exports.push_back(std::move(e));
    }
    WEFT_CHECK(Finish(off, it));
    s.core_instances.push_back(it);
    d.type = it;
  } else {
    return Mal(off, "invalid core instance expression 0x" + std::to_string(tag));
  }
  s.def->core_instances.push_back(std::move(d));
  return true;
}

// ---------------------------------------------------------------------------------------------
// Sort indices and index spaces.

bool Validator::ReadSortIdx(Reader& r, weft::component::SortIdx* out) {
  uint64_t off = r.offset();
  uint8_t b;
  WEFT_CHECK(U8(r, &b));
  if (b > 5) return Mal(off, "invalid sort 0x" + std::to_string(b));
  out->sort = static_cast<Sort>(b);
  if (b == 0) {
    uint8_t cs;
    WEFT_CHECK(U8(r, &cs));
    if (cs > 4 && (cs < 0x10 || cs > 0x12)) return Mal(off, "invalid core sort 0x" + std::to_string(cs));
    out->core_sort = static_cast<CoreSort>(cs);
  }
  return U32(r, &out->index);
}

bool Validator::ItemType(Scope& s, const weft::component::SortIdx& si, uint64_t off, ExternSort* sort, TypeRef* type) {
  auto get = [&](const std::vector<TypeRef>& v, const char* what) {
    if (si.index >= v.size()) return Inv(off, std::string(what) + " index " + std::to_string(si.index) + " out of bounds");
    *type = v[si.index];
    return true;
  };
  switch (si.sort) {
    case Sort::kCore:
      if (si.core_sort != CoreSort::kModule) return Inv(off, "only core modules may be exported or passed to components");
      *sort = ExternSort::kCoreModule;
      return get(s.core_modules, "core module");
    case Sort::kFunc: *sort = ExternSort::kFunc; return get(s.funcs, "func");
    case Sort::kValue: return Inv(off, "unsupported: values");
    case Sort::kType: *sort = ExternSort::kType; return get(s.types, "type");
    case Sort::kComponent: *sort = ExternSort::kComponent; return get(s.components, "component");
    case Sort::kInstance: *sort = ExternSort::kInstance; return get(s.instances, "instance");
  }
  return false;
}

void Validator::AddToSpace(Scope& s, ExternSort sort, TypeRef type, uint32_t module_id, uint32_t component_id) {
  switch (sort) {
    case ExternSort::kCoreModule:
      s.core_modules.push_back(type);
      s.module_ids.push_back(module_id);
      break;
    case ExternSort::kFunc: s.funcs.push_back(type); break;
    case ExternSort::kValue: break;
    case ExternSort::kType: s.types.push_back(type); break;
    case ExternSort::kComponent:
      s.components.push_back(type);
      s.component_ids.push_back(component_id);
      break;
    case ExternSort::kInstance: s.instances.push_back(type); break;
  }
}

// ---------------------------------------------------------------------------------------------
// Instances and aliases.

bool Validator::Instance(Reader& r, Scope& s) {
  uint64_t off = r.offset();
  uint8_t tag;
  WEFT_CHECK(U8(r, &tag));
  InstanceDef d;
  Type* it = New(TypeKind::kInstance);
  if (tag == 0x00) {
    WEFT_CHECK(U32(r, &d.component));
    if (d.component >= s.components.size()) return Inv(off, "component index " + std::to_string(d.component) + " out of bounds");
    uint32_t n;
    WEFT_CHECK(Count(r, &n));
    std::vector<std::pair<ExternSort, TypeRef>> arg_types;
    std::unordered_map<std::string, size_t> arg_index;
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t aoff = r.offset();
      std::string_view nm;
      InstanceDef::Arg a;
      WEFT_CHECK(Name(r, &nm));
      a.name = std::string(nm);
      uint64_t ioff = r.offset();
      WEFT_CHECK(ReadSortIdx(r, &a.item));
      ExternSort sort;
      TypeRef t;
      WEFT_CHECK(ItemType(s, a.item, ioff, &sort, &t));
      if (!arg_index.emplace(a.name, d.args.size()).second) {
        return Inv(aoff, "duplicate instantiation argument `" + a.name + "`");
      }
      d.args.push_back(std::move(a));
      arg_types.emplace_back(sort, t);
    }
    TypeRef ct = s.components[d.component];
    WEFT_CHECK(Charge(ct->imports.size() + ct->exports.size() + Info(ct).size, off));
    Matcher m;
    auto decl = declared_.find(ct);
    if (decl != declared_.end()) m.bindable.insert(decl->second.begin(), decl->second.end());
    for (const ExternDesc& imp : ct->imports) {
      auto found = arg_index.find(imp.name);
      size_t k = found == arg_index.end() ? d.args.size() : found->second;
      if (k == d.args.size()) return Inv(off, "missing instantiation argument `" + imp.name + "`");
      if (arg_types[k].first != imp.sort) {
        return Inv(off, "instantiation argument `" + imp.name + "` is a " + SortName(arg_types[k].first) +
                            ", the import is a " + SortName(imp.sort));
      }
      std::string why;
      if (!MatchExtern(m, imp.sort, arg_types[k].second, imp.type, &why, 0)) {
        return Inv(off, "instantiation argument `" + imp.name + "` does not match the import: " + why);
      }
    }
    // Resources the component defines or exports abstractly are fresh per instance.
    std::unordered_map<TypeRef, TypeRef> map = m.bind;
    if (decl != declared_.end()) {
      for (TypeRef res : decl->second) {
        if (map.count(res)) continue;
        Type* fresh = New(TypeKind::kResource);
        *fresh = *res;
        info_[fresh] = Info(res);
        map[res] = fresh;
      }
    }
    bool ok = true;
    for (const ExternDesc& e : ct->exports) it->exports.push_back(ExternDesc{e.name, e.sort, Apply(e.type, map, off, &ok)});
    WEFT_CHECK(ok);
    std::vector<TypeRef> fresh_decl;
    for (const auto& [from, to] : map) {
      if (!m.bind.count(from)) fresh_decl.push_back(to);
    }
    declared_[it] = std::move(fresh_decl);
  } else if (tag == 0x01) {
    d.instantiate = false;
    uint32_t n;
    WEFT_CHECK(Count(r, &n));
    std::unordered_set<std::string> keys;
    for (uint32_t i = 0; i < n; ++i) {
      InstanceDef::Arg e;
      uint64_t noff;
      WEFT_CHECK(ExternName(r, &e.name, &noff));
      uint64_t ioff = r.offset();
      WEFT_CHECK(ReadSortIdx(r, &e.item));
      ExternSort sort;
      TypeRef t;
      WEFT_CHECK(ItemType(s, e.item, ioff, &sort, &t));
      if (!keys.insert(StronglyUniqueKey(e.name)).second) return Inv(noff, "export name `" + e.name + "` conflicts with a previous name");
      it->exports.push_back(ExternDesc{e.name, sort, sort == ExternSort::kType ? Named(t, e.name) : t});
      d.exports.push_back(std::move(e));
    }
  } else {
    return Mal(off, "invalid instance expression 0x" + std::to_string(tag));
  }
  WEFT_CHECK(Finish(off, it));
  s.instances.push_back(it);
  d.type = it;
  s.def->instances.push_back(std::move(d));
  return true;
}

bool Validator::Alias(Reader& r, Scope& s, AliasDef* a) {
  uint64_t off = r.offset();
  uint8_t b;
  WEFT_CHECK(U8(r, &b));
  if (b > 5) return Mal(off, "invalid sort 0x" + std::to_string(b));
  a->sort.sort = static_cast<Sort>(b);
  if (b == 0) {
    uint8_t cs;
    WEFT_CHECK(U8(r, &cs));
    if (cs > 4 && (cs < 0x10 || cs > 0x12)) return Mal(off, "invalid core sort 0x" + std::to_string(cs));
    a->sort.core_sort = static_cast<CoreSort>(cs);
  }
  uint8_t kind;
  WEFT_CHECK(U8(r, &kind));
  bool in_type = s.kind != ScopeKind::kComponent;
  bool core = a->sort.sort == Sort::kCore;
  if (a->sort.sort == Sort::kValue) return Inv(off, "unsupported: values");
  if (kind == 0x00) {  // export of a component instance
    a->kind = AliasDef::Kind::kExport;
    std::string_view nm;
    WEFT_CHECK(U32(r, &a->instance));
    WEFT_CHECK(Name(r, &nm));
    a->name = std::string(nm);
    if (a->instance >= s.instances.size()) return Inv(off, "instance index " + std::to_string(a->instance) + " out of bounds");
    if (in_type && a->sort.sort != Sort::kType && a->sort.sort != Sort::kInstance) {
      return Inv(off, "export aliases in types may only alias types and instances");
    }
    TypeRef it = s.instances[a->instance];
    const ExternDesc* e = FindExtern(it->exports, a->name);
    if (!e) return Inv(off, "instance " + std::to_string(a->instance) + " has no export `" + a->name + "`");
    ExternSort want;
    switch (a->sort.sort) {
      case Sort::kCore:
        if (a->sort.core_sort != CoreSort::kModule) return Inv(off, "export alias of a core sort other than module");
        want = ExternSort::kCoreModule;
        break;
      case Sort::kFunc: want = ExternSort::kFunc; break;
      case Sort::kType: want = ExternSort::kType; break;
      case Sort::kComponent: want = ExternSort::kComponent; break;
      default: want = ExternSort::kInstance; break;
    }
    if (e->sort != want) {
      return Inv(off, "export `" + a->name + "` is a " + SortName(e->sort) + ", not a " + SortName(want));
    }
    a->type = e->type;
    AddToSpace(s, want, e->type);
    return true;
  }
  if (kind == 0x01) {  // export of a core instance
    a->kind = AliasDef::Kind::kCoreExport;
    std::string_view nm;
    WEFT_CHECK(U32(r, &a->instance));
    WEFT_CHECK(Name(r, &nm));
    a->name = std::string(nm);
    if (in_type) return Inv(off, "core export aliases are not allowed in types");
    if (!core || static_cast<uint8_t>(a->sort.core_sort) > 4) return Inv(off, "core export aliases must have a core func, table, memory, global or tag sort");
    if (a->instance >= s.core_instances.size()) return Inv(off, "core instance index " + std::to_string(a->instance) + " out of bounds");
    TypeRef it = s.core_instances[a->instance];
    const CoreExternDesc* e = FindCore(it->core_exports, a->name);
    if (!e) return Inv(off, "core instance " + std::to_string(a->instance) + " has no export `" + a->name + "`");
    uint8_t ks = static_cast<uint8_t>(a->sort.core_sort);
    if (e->kind != ks) return Inv(off, "core export `" + a->name + "` is a " + CoreKindName(e->kind) + ", not a " + CoreKindName(ks));
    switch (ks) {
      case 0:
        s.core_funcs.push_back(e->func_type);
        a->type = e->func_type;
        break;
      case 1: ++s.core_tables; break;
      case 2: ++s.core_memories; break;
      case 3: ++s.core_globals; break;
      default: ++s.core_tags; break;
    }
    return true;
  }
  if (kind == 0x02) {
    a->kind = AliasDef::Kind::kOuter;
    WEFT_CHECK(U32(r, &a->outer_count));
    WEFT_CHECK(U32(r, &a->outer_index));
    bool ok_sort = a->sort.sort == Sort::kType ||
                   (core && (a->sort.core_sort == CoreSort::kType || a->sort.core_sort == CoreSort::kModule)) ||
                   a->sort.sort == Sort::kComponent;
    if (!ok_sort) return Inv(off, "outer aliases may only alias types, core types, core modules and components");
    if (in_type && !(a->sort.sort == Sort::kType || (core && a->sort.core_sort == CoreSort::kType))) {
      return Inv(off, "outer aliases in types may only alias types and core types");
    }
    Scope* t = &s;
    bool crosses_component = false;
    for (uint32_t k = 0; k < a->outer_count; ++k) {
      if (t->kind == ScopeKind::kComponent) crosses_component = true;
      t = t->parent;
      if (!t) return Inv(off, "outer alias count " + std::to_string(a->outer_count) + " out of bounds");
    }
    uint32_t idx = a->outer_index;
    auto oob = [&](const char* what) { return Inv(off, std::string("outer ") + what + " index " + std::to_string(idx) + " out of bounds"); };
    if (a->sort.sort == Sort::kType) {
      if (idx >= t->types.size()) return oob("type");
      TypeRef ty = t->types[idx];
      if (crosses_component && Info(ty).resource) {
        return Inv(off, "outer alias of a type that refers to a resource crosses a component boundary");
      }
      a->type = ty;
      s.types.push_back(ty);
    } else if (core && a->sort.core_sort == CoreSort::kType) {
      if (idx >= t->core_types.size()) return oob("core type");
      a->type = t->core_types[idx];
      s.core_types.push_back(a->type);
    } else if (core) {
      if (idx >= t->core_modules.size()) return oob("core module");
      if (t->module_ids[idx] == UINT32_MAX) return Inv(off, "outer alias of an imported core module");
      a->outer_target = t->module_ids[idx];
      AddToSpace(s, ExternSort::kCoreModule, t->core_modules[idx], a->outer_target);
    } else {
      if (idx >= t->components.size()) return oob("component");
      if (t->component_ids[idx] == UINT32_MAX) return Inv(off, "outer alias of an imported component");
      a->outer_target = t->component_ids[idx];
      AddToSpace(s, ExternSort::kComponent, t->components[idx], UINT32_MAX, a->outer_target);
    }
    return true;
  }
  return Mal(off, "invalid alias kind 0x" + std::to_string(kind));
}

// ---------------------------------------------------------------------------------------------
// Component types.

bool Validator::ValType(Reader& r, Scope& s, TypeRef* out) {
  uint64_t off = r.offset();
  uint8_t b;
  if (!r.PeekU8(&b)) return Mal(off, "unexpected end");
  if (b >= 0x40 && b < 0x80) {
    (void)r.ReadU8(&b);
    if ((b >= 0x73 && b <= 0x7f) || b == 0x64) {
      static const TypeKind kPrim[] = {TypeKind::kString, TypeKind::kChar, TypeKind::kF64, TypeKind::kF32,
                                       TypeKind::kU64,    TypeKind::kS64,  TypeKind::kU32, TypeKind::kS32,
                                       TypeKind::kU16,    TypeKind::kS16,  TypeKind::kU8,  TypeKind::kS8,
                                       TypeKind::kBool};
      *out = PrimitiveType(b == 0x64 ? TypeKind::kErrorContext : kPrim[b - 0x73]);
      return true;
    }
    return Mal(off, "invalid value type 0x" + std::to_string(b));
  }
  uint32_t idx;
  WEFT_CHECK(U32(r, &idx));
  if (idx >= s.types.size()) return Inv(off, "type index " + std::to_string(idx) + " out of bounds");
  if (!IsValueType(s.types[idx])) return Inv(off, "type index " + std::to_string(idx) + " is not a value type");
  *out = s.types[idx];
  return true;
}

bool Validator::OptValType(Reader& r, Scope& s, TypeRef* out) {
  uint64_t off = r.offset();
  uint8_t b;
  WEFT_CHECK(U8(r, &b));
  *out = nullptr;
  if (b == 0) return true;
  if (b == 1) return ValType(r, s, out);
  return Mal(off, "invalid optional value type flag 0x" + std::to_string(b));
}

bool Validator::DefType(Reader& r, Scope& s, uint32_t depth, TypeRef* out) {
  uint64_t off = r.offset();
  uint8_t b;
  WEFT_CHECK(U8(r, &b));
  switch (b) {
    case 0x40:
    case 0x43:
      return FuncType(r, s, b == 0x43, off, out);
    case 0x41:
      return DeclScope(r, s, ScopeKind::kComponentType, depth + 1, out);
    case 0x42:
      return DeclScope(r, s, ScopeKind::kInstanceType, depth + 1, out);
    case 0x3f: {
      if (s.kind != ScopeKind::kComponent) return Inv(off, "resource types cannot be defined in component or instance types");
      uint8_t rep;
      WEFT_CHECK(U8(r, &rep));
      if (rep != 0x7f) return Inv(off, "resource representation must be i32");
      Type* t = New(TypeKind::kResource);
      t->resource_rep = CoreValType::kI32;
      uint8_t has;
      uint64_t doff = r.offset();
      WEFT_CHECK(U8(r, &has));
      if (has == 1) {
        uint32_t f;
        WEFT_CHECK(U32(r, &f));
        if (f >= s.core_funcs.size()) return Inv(doff, "core func index " + std::to_string(f) + " out of bounds");
        TypeRef ft = s.core_funcs[f];
        if (ft && (ft->core_params != std::vector<weft::component::CoreValType>{CoreValType::kI32} || !ft->core_results.empty())) {
          return Inv(doff, "resource destructor must have type [i32] -> []");
        }
        t->resource_dtor = f;
      } else if (has != 0) {
        return Mal(doff, "invalid optional destructor flag");
      }
      WEFT_CHECK(Finish(off, t));
      s.defined.insert(t);
      s.declared.push_back(t);
      *out = t;
      return true;
    }
    default:
      return DefValType(r, s, b, off, out);
  }
}

bool Validator::DefValType(Reader& r, Scope& s, uint8_t b, uint64_t off, TypeRef* out) {
  if ((b >= 0x73 && b <= 0x7f) || b == 0x64) {
    Reader one(std::span<const uint8_t>(&b, 1), off);
    return ValType(one, s, out);
  }
  auto labels_unique = [&](const std::vector<std::string>& names, const char* what) {
    std::unordered_set<std::string> keys;
    for (const std::string& n : names) {
      if (!keys.insert(StronglyUniqueKey(n)).second) return Inv(off, std::string("duplicate ") + what + " `" + n + "`");
    }
    return true;
  };
  Type* t = nullptr;
  switch (b) {
    case 0x72:    // record
    case 0x71: {  // variant
      t = New(b == 0x72 ? TypeKind::kRecord : TypeKind::kVariant);
      uint32_t n;
      WEFT_CHECK(Count(r, &n));
      if (n == 0) return Inv(off, b == 0x72 ? "record type must have at least one field" : "variant type must have at least one case");
      std::vector<std::string> names;
      for (uint32_t i = 0; i < n; ++i) {
        NamedType f;
        WEFT_CHECK(Label(r, &f.name));
        if (b == 0x72) {
          WEFT_CHECK(ValType(r, s, &f.type));
        } else {
          WEFT_CHECK(OptValType(r, s, &f.type));
          uint64_t zoff = r.offset();
          uint8_t z;
          WEFT_CHECK(U8(r, &z));
          if (z != 0) return Mal(zoff, "variant case refinement is not supported (expected 0x00)");
        }
        names.push_back(f.name);
        t->fields.push_back(std::move(f));
      }
      WEFT_CHECK(labels_unique(names, b == 0x72 ? "field name" : "case name"));
      break;
    }
    case 0x70:  // list
    case 0x6b:  // option
      t = New(b == 0x70 ? TypeKind::kList : TypeKind::kOption);
      WEFT_CHECK(ValType(r, s, &t->elem));
      break;
    case 0x67:
      return Inv(off, "unsupported: fixed-size lists");
    case 0x63:
      return Inv(off, "unsupported: map types");
    case 0x6f: {  // tuple
      t = New(TypeKind::kTuple);
      uint32_t n;
      WEFT_CHECK(Count(r, &n));
      if (n == 0) return Inv(off, "tuple type must have at least one element");
      for (uint32_t i = 0; i < n; ++i) {
        NamedType f;
        WEFT_CHECK(ValType(r, s, &f.type));
        t->fields.push_back(std::move(f));
      }
      break;
    }
    case 0x6e:    // flags
    case 0x6d: {  // enum
      t = New(b == 0x6e ? TypeKind::kFlags : TypeKind::kEnum);
      uint32_t n;
      WEFT_CHECK(Count(r, &n));
      if (n == 0) return Inv(off, b == 0x6e ? "flags type must have at least one flag" : "enum type must have at least one case");
      if (b == 0x6e && n > 32) return Inv(off, "flags type may have at most 32 flags, has " + std::to_string(n));
      for (uint32_t i = 0; i < n; ++i) {
        std::string l;
        WEFT_CHECK(Label(r, &l));
        t->labels.push_back(std::move(l));
      }
      WEFT_CHECK(labels_unique(t->labels, b == 0x6e ? "flag name" : "enum case"));
      break;
    }
    case 0x6a:  // result
      t = New(TypeKind::kResult);
      WEFT_CHECK(OptValType(r, s, &t->elem));
      WEFT_CHECK(OptValType(r, s, &t->err));
      break;
    case 0x69:    // own
    case 0x68: {  // borrow
      t = New(b == 0x69 ? TypeKind::kOwn : TypeKind::kBorrow);
      uint64_t ioff = r.offset();
      uint32_t idx;
      WEFT_CHECK(U32(r, &idx));
      if (idx >= s.types.size()) return Inv(ioff, "type index " + std::to_string(idx) + " out of bounds");
      if (s.types[idx]->kind != TypeKind::kResource) return Inv(ioff, "type index " + std::to_string(idx) + " is not a resource type");
      t->elem = s.types[idx];
      break;
    }
    case 0x66:    // stream
    case 0x65: {  // future
      t = New(b == 0x66 ? TypeKind::kStream : TypeKind::kFuture);
      WEFT_CHECK(OptValType(r, s, &t->elem));
      if (t->elem && Info(t->elem).borrow) return Inv(off, "stream and future element types cannot contain borrow");
      if (b == 0x66 && t->elem && t->elem->kind == TypeKind::kChar) return Inv(off, "stream<char> is not allowed");
      break;
    }
    default:
      return Mal(off, "invalid type form 0x" + std::to_string(b));
  }
  WEFT_CHECK(Finish(off, t));
  *out = t;
  return true;
}

bool Validator::FuncType(Reader& r, Scope& s, bool async, uint64_t off, TypeRef* out) {
  Type* t = New(TypeKind::kFunc);
  t->async = async;
  uint32_t n;
  WEFT_CHECK(Count(r, &n));
  std::unordered_set<std::string> keys;
  for (uint32_t i = 0; i < n; ++i) {
    NamedType p;
    uint64_t poff = r.offset();
    WEFT_CHECK(Label(r, &p.name));
    WEFT_CHECK(ValType(r, s, &p.type));
    if (!keys.insert(StronglyUniqueKey(p.name)).second) return Inv(poff, "duplicate parameter name `" + p.name + "`");
    t->fields.push_back(std::move(p));
  }
  uint64_t roff = r.offset();
  uint8_t tag;
  WEFT_CHECK(U8(r, &tag));
  if (tag == 0x00) {
    WEFT_CHECK(ValType(r, s, &t->result));
    if (Info(t->result).borrow) return Inv(roff, "function results cannot contain borrow handles");
  } else if (tag == 0x01) {
    uint8_t z;
    WEFT_CHECK(U8(r, &z));
    if (z != 0) return Inv(roff, "functions may have at most one result (named results are not supported)");
  } else {
    return Mal(roff, "invalid result list 0x" + std::to_string(tag));
  }
  WEFT_CHECK(Finish(off, t));
  *out = t;
  return true;
}

bool Validator::DeclScope(Reader& r, Scope& s, ScopeKind kind, uint32_t depth, TypeRef* out) {
  uint64_t off = r.offset();
  if (depth > kMaxNesting) return Inv(off, "types nested deeper than " + std::to_string(kMaxNesting));
  Scope ts;
  ts.kind = kind;
  ts.parent = &s;
  uint32_t n;
  WEFT_CHECK(Count(r, &n));
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t doff = r.offset();
    WEFT_CHECK(CheckNodes(doff));
    uint8_t tag;
    WEFT_CHECK(U8(r, &tag));
    switch (tag) {
      case 0x00: {
        TypeRef t;
        WEFT_CHECK(CoreTypeDef(r, ts, depth, &t));
        ts.core_types.push_back(t);
        break;
      }
      case 0x01: {
        TypeRef t;
        WEFT_CHECK(DefType(r, ts, depth, &t));
        ts.types.push_back(t);
        break;
      }
      case 0x02: {
        AliasDef a;  // aliases in types are declarators, not definitions: not recorded
        WEFT_CHECK(Alias(r, ts, &a));
        break;
      }
      case 0x03:
      case 0x04: {
        if (tag == 0x03 && kind != ScopeKind::kComponentType) return Inv(doff, "imports are not allowed in instance types");
        std::string name;
        uint64_t noff;
        ExternSort sort;
        TypeRef type;
        bool sub;
        WEFT_CHECK(ExternName(r, &name, &noff));
        WEFT_CHECK(ExternType(r, ts, &sort, &type, &sub));
        TypeRef bound;
        if (tag == 0x03) {
          WEFT_CHECK(AddImport(ts, name, sort, type, sub, noff, &bound));
        } else {
          WEFT_CHECK(AddExport(ts, name, sort, type, sub, noff, &bound));
        }
        break;
      }
      default:
        return Mal(doff, "invalid type declaration 0x" + std::to_string(tag));
    }
  }
  Type* t = New(kind == ScopeKind::kComponentType ? TypeKind::kComponent : TypeKind::kInstance);
  t->imports = std::move(ts.imports);
  t->exports = std::move(ts.exports);
  WEFT_CHECK(Finish(off, t));
  declared_[t] = std::move(ts.declared);
  *out = t;
  return true;
}

bool Validator::ExternName(Reader& r, std::string* name, uint64_t* off) {
  *off = r.offset();
  uint8_t tag;
  WEFT_CHECK(U8(r, &tag));
  if (tag > 2) return Mal(*off, "invalid name attributes 0x" + std::to_string(tag));
  std::string_view nm;
  uint64_t noff = r.offset();
  WEFT_CHECK(Name(r, &nm));
  *name = std::string(nm);
  ParsedName p;
  std::string why;
  if (!ParseExternName(nm, &p, &why)) return Inv(noff, why);
  if (tag == 2) {
    uint32_t n;
    WEFT_CHECK(Count(r, &n));
    uint8_t seen = 0;
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t aoff = r.offset();
      uint8_t kind;
      std::string_view v;
      WEFT_CHECK(U8(r, &kind));
      if (kind > 2) return Mal(aoff, "invalid attribute 0x" + std::to_string(kind));
      if (seen & (1u << kind)) return Inv(aoff, "duplicate attribute");
      seen |= 1u << kind;
      WEFT_CHECK(Name(r, &v));
    }
  }
  return true;
}

// externtype ::= 0x00 0x11 i | 0x01 i | 0x02 b | 0x03 b | 0x04 i | 0x05 i
bool Validator::ExternType(Reader& r, Scope& s, ExternSort* sort, TypeRef* type, bool* sub_resource) {
  uint64_t off = r.offset();
  uint8_t b;
  WEFT_CHECK(U8(r, &b));
  *sub_resource = false;
  uint32_t idx;
  auto want = [&](TypeKind k, const char* what) {
    WEFT_CHECK(U32(r, &idx));
    if (idx >= s.types.size()) return Inv(off, "type index " + std::to_string(idx) + " out of bounds");
    if (s.types[idx]->kind != k) return Inv(off, "type index " + std::to_string(idx) + " is not a " + what + " type");
    *type = s.types[idx];
    return true;
  };
  switch (b) {
    case 0x00: {
      uint8_t cs;
      WEFT_CHECK(U8(r, &cs));
      if (cs != 0x11) return Mal(off, "invalid core extern type (expected a core module)");
      WEFT_CHECK(U32(r, &idx));
      if (idx >= s.core_types.size() || s.core_types[idx]->kind != TypeKind::kCoreModule) {
        return Inv(off, "core type index " + std::to_string(idx) + " is not a module type");
      }
      *sort = ExternSort::kCoreModule;
      *type = s.core_types[idx];
      return true;
    }
    case 0x01: *sort = ExternSort::kFunc; return want(TypeKind::kFunc, "func");
    case 0x02: return Inv(off, "unsupported: value imports and exports");
    case 0x03: {
      *sort = ExternSort::kType;
      uint8_t bound;
      WEFT_CHECK(U8(r, &bound));
      if (bound == 0x00) {
        WEFT_CHECK(U32(r, &idx));
        if (idx >= s.types.size()) return Inv(off, "type index " + std::to_string(idx) + " out of bounds");
        *type = s.types[idx];
        return true;
      }
      if (bound == 0x01) {
        Type* t = New(TypeKind::kResource);
        t->abstract = true;
        WEFT_CHECK(Finish(off, t));
        *type = t;
        *sub_resource = true;
        return true;
      }
      return Mal(off, "invalid type bound 0x" + std::to_string(bound));
    }
    case 0x04: *sort = ExternSort::kComponent; return want(TypeKind::kComponent, "component");
    case 0x05: *sort = ExternSort::kInstance; return want(TypeKind::kInstance, "instance");
    default: return Mal(off, "invalid extern type 0x" + std::to_string(b));
  }
}

bool Validator::CheckAnnotatedName(Scope& s, const std::string& name, ExternSort sort, TypeRef type, bool is_import,
                                   uint64_t off) {
  ParsedName p;
  std::string why;
  if (!ParseExternName(name, &p, &why)) return Inv(off, why);
  if (p.kind == NameKind::kLabel || p.kind == NameKind::kInterface) return true;
  if (sort != ExternSort::kFunc) return Inv(off, "`" + name + "` names a " + SortName(sort) + ", annotated names are for functions");
  auto& res = is_import ? s.import_resources : s.export_resources;
  auto it = res.find(std::string(p.resource));
  if (it == res.end()) {
    return Inv(off, "`" + name + "` refers to resource `" + std::string(p.resource) + "`, which is not a preceding resource " +
                        (is_import ? "import" : "export"));
  }
  TypeRef r = it->second;
  auto is_own_r = [&](TypeRef t) { return t && t->kind == TypeKind::kOwn && t->elem == r; };
  if (p.kind == NameKind::kConstructor) {
    TypeRef res_t = type->result;
    bool ok = is_own_r(res_t) || (res_t && res_t->kind == TypeKind::kResult && is_own_r(res_t->elem));
    if (!ok) return Inv(off, "constructor `" + name + "` must return own<" + std::string(p.resource) + "> (or a result of it)");
  } else if (p.kind == NameKind::kMethod) {
    bool ok = !type->fields.empty() && type->fields[0].name == "self" && type->fields[0].type->kind == TypeKind::kBorrow &&
              type->fields[0].type->elem == r;
    if (!ok) return Inv(off, "method `" + name + "` must take `self: borrow<" + std::string(p.resource) + ">` first");
  }
  return true;
}

bool Validator::AddImport(Scope& s, const std::string& name, ExternSort sort, TypeRef type, bool sub_resource, uint64_t off,
                          TypeRef* bound) {
  if (!s.import_keys.insert(StronglyUniqueKey(name)).second) return Inv(off, "import name `" + name + "` conflicts with a previous import");
  WEFT_CHECK(CheckAnnotatedName(s, name, sort, type, true, off));
  *bound = type;
  if (sort == ExternSort::kType) {
    if (sub_resource) {
      const_cast<Type*>(type)->name = name;
      s.declared.push_back(type);
    }
    *bound = Named(type, name);
    if (type->kind == TypeKind::kResource) {
      s.import_resources[name] = type;
      s.visible.insert(type);
    }
  }
  s.imports.push_back(ExternDesc{name, sort, *bound});
  AddToSpace(s, sort, *bound);
  if (sort == ExternSort::kInstance) {
    for (const ExternDesc& e : type->exports) {
      if (e.sort == ExternSort::kType && e.type->kind == TypeKind::kResource) s.visible.insert(e.type);
    }
  }
  return true;
}

bool Validator::CheckExportResources(Scope& s, ExternSort sort, TypeRef type, uint64_t off) {
  if (s.kind != ScopeKind::kComponent) return true;
  // Resources used by an exported function or value type must have been imported or exported
  // (so that the export's type can name them).
  std::vector<TypeRef> stack{type};
  std::unordered_set<TypeRef> seen;
  std::unordered_set<TypeRef> local;  // resources an exported instance exports itself
  if (sort == ExternSort::kInstance) {
    for (const ExternDesc& e : type->exports) {
      if (e.sort == ExternSort::kType && e.type->kind == TypeKind::kResource) local.insert(e.type);
    }
  }
  if (sort == ExternSort::kComponent || sort == ExternSort::kCoreModule) return true;
  if (sort == ExternSort::kType && type->kind == TypeKind::kResource) return true;  // exports itself
  while (!stack.empty()) {
    TypeRef t = stack.back();
    stack.pop_back();
    if (!t || IsPrimitive(t->kind) || !Info(t).resource || !seen.insert(t).second) continue;
    if (t->kind == TypeKind::kResource) {
      if (!s.visible.count(t) && !local.count(t)) {
        std::string what = t->name.empty() ? "a resource type" : "resource `" + t->name + "`";
        return Inv(off, "export refers to " + what + " that is neither imported nor exported before it");
      }
      continue;
    }
    stack.push_back(t->elem);
    stack.push_back(t->err);
    stack.push_back(t->result);
    for (const NamedType& f : t->fields) stack.push_back(f.type);
    if (t->kind == TypeKind::kInstance) {
      for (const ExternDesc& e : t->exports) {
        if (e.sort == ExternSort::kFunc || e.sort == ExternSort::kType) stack.push_back(e.type);
      }
    }
  }
  return true;
}

bool Validator::AddExport(Scope& s, const std::string& name, ExternSort sort, TypeRef type, bool sub_resource, uint64_t off,
                          TypeRef* bound) {
  if (!s.export_keys.insert(StronglyUniqueKey(name)).second) return Inv(off, "export name `" + name + "` conflicts with a previous export");
  WEFT_CHECK(CheckAnnotatedName(s, name, sort, type, false, off));
  if (sort == ExternSort::kType && IsValueType(type) && Info(type).borrow) {
    return Inv(off, "exported type `" + name + "` contains a borrow handle");
  }
  WEFT_CHECK(Charge(Info(type).size, off));
  WEFT_CHECK(CheckExportResources(s, sort, type, off));
  *bound = type;
  if (sort == ExternSort::kType) {
    if (sub_resource) {
      const_cast<Type*>(type)->name = name;
      s.declared.push_back(type);
    } else if (type->kind == TypeKind::kResource && type->name.empty()) {
      const_cast<Type*>(type)->name = name;  // a defined resource takes its first export's name
    }
    *bound = Named(type, name);
    if (type->kind == TypeKind::kResource) {
      s.export_resources[name] = type;
      s.visible.insert(type);
    }
  }
  s.exports.push_back(ExternDesc{name, sort, *bound});
  AddToSpace(s, sort, *bound);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Canonical definitions.

bool Validator::NeedsMemory(TypeRef t, uint32_t depth) {
  if (!t || depth > kMaxTypeDepth + 2) return false;
  switch (t->kind) {
    case TypeKind::kString:
    case TypeKind::kList:
      return true;
    default:
      break;
  }
  if (NeedsMemory(t->elem, depth + 1) || NeedsMemory(t->err, depth + 1)) return true;
  if (t->kind == TypeKind::kOwn || t->kind == TypeKind::kBorrow || t->kind == TypeKind::kStream ||
      t->kind == TypeKind::kFuture) {
    return false;
  }
  for (const NamedType& f : t->fields) {
    if (NeedsMemory(f.type, depth + 1)) return true;
  }
  return false;
}

bool Validator::Flatten(TypeRef t, std::vector<weft::component::CoreValType>* out, uint32_t depth) {
  using CV = weft::component::CoreValType;
  if (depth > kMaxTypeDepth + 2 || out->size() > 64) return true;  // only "more than 16" matters
  switch (t->kind) {
    case TypeKind::kBool: case TypeKind::kS8: case TypeKind::kU8: case TypeKind::kS16: case TypeKind::kU16:
    case TypeKind::kS32: case TypeKind::kU32: case TypeKind::kChar: case TypeKind::kEnum: case TypeKind::kOwn:
    case TypeKind::kBorrow: case TypeKind::kStream: case TypeKind::kFuture: case TypeKind::kErrorContext:
    case TypeKind::kFlags:
      out->push_back(CV::kI32);
      return true;
    case TypeKind::kS64: case TypeKind::kU64: out->push_back(CV::kI64); return true;
    case TypeKind::kF32: out->push_back(CV::kF32); return true;
    case TypeKind::kF64: out->push_back(CV::kF64); return true;
    case TypeKind::kString: case TypeKind::kList:
      out->push_back(CV::kI32);
      out->push_back(CV::kI32);
      return true;
    case TypeKind::kRecord: case TypeKind::kTuple:
      for (const NamedType& f : t->fields) Flatten(f.type, out, depth + 1);
      return true;
    case TypeKind::kVariant: case TypeKind::kOption: case TypeKind::kResult: {
      std::vector<TypeRef> cases;
      if (t->kind == TypeKind::kVariant) {
        for (const NamedType& f : t->fields) cases.push_back(f.type);
      } else if (t->kind == TypeKind::kOption) {
        cases = {nullptr, t->elem};
      } else {
        cases = {t->elem, t->err};
      }
      std::vector<CV> joined;
      for (TypeRef c : cases) {
        if (!c) continue;
        std::vector<CV> f;
        Flatten(c, &f, depth + 1);
        for (size_t i = 0; i < f.size(); ++i) {
          if (i < joined.size()) {
            if (joined[i] != f[i]) {
              bool both32 = (joined[i] == CV::kI32 || joined[i] == CV::kF32) && (f[i] == CV::kI32 || f[i] == CV::kF32);
              joined[i] = both32 ? CV::kI32 : CV::kI64;
            }
          } else {
            joined.push_back(f[i]);
          }
        }
      }
      out->push_back(CV::kI32);
      out->insert(out->end(), joined.begin(), joined.end());
      return true;
    }
    default:
      return true;
  }
}

bool Validator::CanonOpts(Reader& r, Scope& s, CanonDef* c) {
  uint32_t n;
  WEFT_CHECK(Count(r, &n));
  bool have_encoding = false;
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t off = r.offset();
    uint8_t o;
    WEFT_CHECK(U8(r, &o));
    auto core_func = [&](int64_t* slot, const char* what) {
      uint32_t f;
      WEFT_CHECK(U32(r, &f));
      if (*slot >= 0) return Inv(off, std::string("duplicate ") + what + " option");
      if (f >= s.core_funcs.size()) return Inv(off, std::string(what) + ": core func index " + std::to_string(f) + " out of bounds");
      *slot = f;
      return true;
    };
    switch (o) {
      case 0x00: case 0x01: case 0x02:
        if (have_encoding) return Inv(off, "conflicting string encoding options");
        have_encoding = true;
        c->encoding = static_cast<CanonDef::StringEncoding>(o);
        break;
      case 0x03: {
        uint32_t m;
        WEFT_CHECK(U32(r, &m));
        if (c->memory >= 0) return Inv(off, "duplicate memory option");
        if (m >= s.core_memories) return Inv(off, "memory index " + std::to_string(m) + " out of bounds");
        c->memory = m;
        break;
      }
      case 0x04: WEFT_CHECK(core_func(&c->realloc, "realloc")); break;
      case 0x05: WEFT_CHECK(core_func(&c->post_return, "post-return")); break;
      case 0x06:
        if (c->async) return Inv(off, "duplicate async option");
        c->async = true;
        break;
      case 0x07: WEFT_CHECK(core_func(&c->callback, "callback")); break;
      default: return Mal(off, "invalid canonical option 0x" + std::to_string(o));
    }
  }
  return true;
}

bool Validator::Canon(Reader& r, Scope& s, CanonDef* c) {
  using CV = weft::component::CoreValType;
  uint64_t off = r.offset();
  uint8_t op;
  WEFT_CHECK(U8(r, &op));
  c->opcode = op;
  auto type_idx = [&](uint32_t* idx) {
    WEFT_CHECK(U32(r, idx));
    if (*idx >= s.types.size()) return Inv(off, "type index " + std::to_string(*idx) + " out of bounds");
    return true;
  };
  auto zero = [&]() {
    uint8_t z;
    WEFT_CHECK(U8(r, &z));
    return z == 0 || Mal(off, "invalid canonical function sort byte");
  };
  auto check_realloc = [&]() {
    if (c->realloc >= 0) {
      TypeRef ft = s.core_funcs[c->realloc];
      if (ft && !(ft->core_params == std::vector<CV>{CV::kI32, CV::kI32, CV::kI32, CV::kI32} &&
                  ft->core_results == std::vector<CV>{CV::kI32})) {
        return Inv(off, "realloc must have type [i32 i32 i32 i32] -> [i32]");
      }
    }
    return true;
  };
  switch (op) {
    case 0x00: {  // lift
      c->kind = CanonDef::Kind::kLift;
      WEFT_CHECK(zero());
      WEFT_CHECK(U32(r, &c->func));
      if (c->func >= s.core_funcs.size()) return Inv(off, "core func index " + std::to_string(c->func) + " out of bounds");
      WEFT_CHECK(CanonOpts(r, s, c));
      uint32_t t;
      WEFT_CHECK(type_idx(&t));
      TypeRef ft = s.types[t];
      if (ft->kind != TypeKind::kFunc) return Inv(off, "canon lift: type index " + std::to_string(t) + " is not a function type");
      WEFT_CHECK(Charge(Info(ft).size, off));
      c->type = ft;
      WEFT_CHECK(check_realloc());
      if (c->callback >= 0 && !c->async) return Inv(off, "callback requires async");
      if (!c->async) {
        std::vector<CV> params, results;
        for (const NamedType& p : ft->fields) Flatten(p.type, &params, 0);
        if (ft->result) Flatten(ft->result, &results, 0);
        bool mem_params = params.size() > kMaxFlatParams;
        bool mem_results = results.size() > kMaxFlatResults;
        if (mem_params) params = {CV::kI32};
        if (mem_results) results = {CV::kI32};
        bool need_mem = mem_params || mem_results;
        bool need_realloc = mem_params;
        for (const NamedType& p : ft->fields) {
          if (NeedsMemory(p.type, 0)) need_mem = need_realloc = true;
        }
        if (ft->result && NeedsMemory(ft->result, 0)) need_mem = true;
        if (need_mem && c->memory < 0) return Inv(off, "canon lift: this function type requires a memory option");
        if (need_realloc && c->realloc < 0) return Inv(off, "canon lift: this function type requires a realloc option");
        TypeRef core = s.core_funcs[c->func];
        if (core && (core->core_params != params || core->core_results != results)) {
          return Inv(off, "canon lift: core function type does not match the lifted type");
        }
        if (c->post_return >= 0) {
          TypeRef pr = s.core_funcs[c->post_return];
          if (pr && (pr->core_params != results || !pr->core_results.empty())) {
            return Inv(off, "canon lift: post-return function must take the core results and return nothing");
          }
        }
      } else if (c->post_return >= 0) {
        return Inv(off, "post-return is not allowed with async");
      }
      s.funcs.push_back(ft);
      return true;
    }
    case 0x01: {  // lower
      c->kind = CanonDef::Kind::kLower;
      WEFT_CHECK(zero());
      WEFT_CHECK(U32(r, &c->func));
      if (c->func >= s.funcs.size()) return Inv(off, "func index " + std::to_string(c->func) + " out of bounds");
      WEFT_CHECK(CanonOpts(r, s, c));
      if (c->post_return >= 0) return Inv(off, "canon lower: post-return is not allowed");
      if (c->callback >= 0) return Inv(off, "canon lower: callback is not allowed");
      WEFT_CHECK(check_realloc());
      TypeRef ft = s.funcs[c->func];
      c->type = ft;
      WEFT_CHECK(Charge(Info(ft).size, off));
      if (c->async) {
        s.core_funcs.push_back(nullptr);  // async lowering ABI: checked when supported
        return true;
      }
      std::vector<CV> params, results;
      for (const NamedType& p : ft->fields) Flatten(p.type, &params, 0);
      if (ft->result) Flatten(ft->result, &results, 0);
      bool need_mem = false, need_realloc = false;
      if (params.size() > kMaxFlatParams) {
        params = {CV::kI32};
        need_mem = true;
      }
      if (results.size() > kMaxFlatResults) {
        params.push_back(CV::kI32);
        results.clear();
        need_mem = true;
      }
      for (const NamedType& p : ft->fields) {
        if (NeedsMemory(p.type, 0)) need_mem = true;
      }
      if (ft->result && NeedsMemory(ft->result, 0)) need_mem = need_realloc = true;
      if (need_mem && c->memory < 0) return Inv(off, "canon lower: this function type requires a memory option");
      if (need_realloc && c->realloc < 0) return Inv(off, "canon lower: this function type requires a realloc option");
      s.core_funcs.push_back(CoreFunc(std::move(params), std::move(results)));
      return true;
    }
    case 0x02: case 0x03: case 0x04: {
      c->kind = op == 0x02 ? CanonDef::Kind::kResourceNew : op == 0x03 ? CanonDef::Kind::kResourceDrop
                                                                         : CanonDef::Kind::kResourceRep;
      uint32_t t;
      WEFT_CHECK(type_idx(&t));
      TypeRef rt = s.types[t];
      if (rt->kind != TypeKind::kResource) return Inv(off, "type index " + std::to_string(t) + " is not a resource type");
      if (op != 0x03 && !s.defined.count(rt)) {
        return Inv(off, std::string(op == 0x02 ? "resource.new" : "resource.rep") + " requires a resource defined in this component");
      }
      c->type = rt;
      if (op == 0x02) s.core_funcs.push_back(CoreFunc({CV::kI32}, {CV::kI32}));
      if (op == 0x03) s.core_funcs.push_back(CoreFunc({CV::kI32}, {}));
      if (op == 0x04) s.core_funcs.push_back(CoreFunc({CV::kI32}, {CV::kI32}));
      return true;
    }
    default:
      break;
  }
  // Other built-ins (async, streams, futures, error-context, threads): decoded, kept as kOther.
  c->kind = CanonDef::Kind::kOther;
  auto u8_flag = [&]() {
    uint8_t v;
    WEFT_CHECK(U8(r, &v));
    return v <= 1 || Mal(off, "invalid flag byte");
  };
  uint32_t idx;
  switch (op) {
    case 0x24: case 0x25: case 0x05: case 0x0d: case 0x1e: case 0x1f: case 0x22: case 0x23: case 0x26: case 0x28:
      break;
    case 0x09: {  // task.return
      uint64_t roff = r.offset();
      uint8_t tag;
      WEFT_CHECK(U8(r, &tag));
      if (tag == 0) {
        TypeRef t;
        WEFT_CHECK(ValType(r, s, &t));
      } else if (tag == 1) {
        uint8_t z;
        WEFT_CHECK(U8(r, &z));
        if (z != 0) return Mal(roff, "invalid result list");
      } else {
        return Mal(roff, "invalid result list");
      }
      WEFT_CHECK(CanonOpts(r, s, c));
      break;
    }
    case 0x0a: case 0x0b: {
      uint8_t t;
      WEFT_CHECK(U8(r, &t));
      if (t != 0x7f) return Inv(off, "context.get/set only supports i32");
      WEFT_CHECK(U32(r, &idx));
      break;
    }
    case 0x06: case 0x0c: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x42:
      WEFT_CHECK(u8_flag());
      break;
    case 0x0e: case 0x13: case 0x14: case 0x15: case 0x1a: case 0x1b:
      WEFT_CHECK(type_idx(&idx));
      break;
    case 0x0f: case 0x10: case 0x16: case 0x17:
      WEFT_CHECK(type_idx(&idx));
      WEFT_CHECK(CanonOpts(r, s, c));
      break;
    case 0x11: case 0x12: case 0x18: case 0x19:
      WEFT_CHECK(type_idx(&idx));
      WEFT_CHECK(u8_flag());
      break;
    case 0x1c: case 0x1d:
      WEFT_CHECK(CanonOpts(r, s, c));
      break;
    case 0x20: case 0x21:
      WEFT_CHECK(u8_flag());
      WEFT_CHECK(U32(r, &idx));
      if (idx >= s.core_memories) return Inv(off, "memory index out of bounds");
      break;
    case 0x27:
      WEFT_CHECK(U32(r, &idx));
      if (idx >= s.core_types.size()) return Inv(off, "core type index out of bounds");
      WEFT_CHECK(U32(r, &idx));
      if (idx >= s.core_tables) return Inv(off, "table index out of bounds");
      break;
    case 0x40:
      WEFT_CHECK(u8_flag());
      WEFT_CHECK(U32(r, &idx));
      if (idx >= s.core_types.size()) return Inv(off, "core type index out of bounds");
      break;
    case 0x41:
      WEFT_CHECK(u8_flag());
      WEFT_CHECK(U32(r, &idx));
      if (idx >= s.core_types.size()) return Inv(off, "core type index out of bounds");
      WEFT_CHECK(U32(r, &idx));
      if (idx >= s.core_tables) return Inv(off, "table index out of bounds");
      break;
    default:
      return Mal(off, "invalid canonical function opcode 0x" + std::to_string(op));
  }
  s.core_funcs.push_back(nullptr);  // type known only to the (future) implementation
  return true;
}

bool Validator::Start(Reader& r, Scope& s, StartDef* st) {
  uint64_t off = r.offset();
  WEFT_CHECK(U32(r, &st->func));
  uint32_t n;
  WEFT_CHECK(Count(r, &n));
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t v;
    WEFT_CHECK(U32(r, &v));
    st->args.push_back(v);
  }
  WEFT_CHECK(U32(r, &st->results));
  if (st->func >= s.funcs.size()) return Inv(off, "func index " + std::to_string(st->func) + " out of bounds");
  if (!st->args.empty() || st->results != 0) return Inv(off, "unsupported: start functions with values");
  TypeRef ft = s.funcs[st->func];
  if (!ft->fields.empty() || ft->result) return Inv(off, "start function type does not match (values are unsupported)");
  return true;
}

}  // namespace

bool IsComponent(std::span<const uint8_t> bytes) {
  static const uint8_t kPre[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
  return bytes.size() >= 8 && std::equal(bytes.begin(), bytes.begin() + 8, kPre);
}

bool IsCoreModule(std::span<const uint8_t> bytes) {
  static const uint8_t kPre[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  return bytes.size() >= 8 && std::equal(bytes.begin(), bytes.begin() + 8, kPre);
}

Expected<std::unique_ptr<ComponentFile>> DecodeComponent(std::span<const uint8_t> bytes) {
  auto file = std::make_unique<ComponentFile>();
  file->bytes.assign(bytes.begin(), bytes.end());
  Validator v(file.get());
  Reader r(file->bytes);
  uint32_t id;
  if (!v.Component(r, nullptr, 0, &id)) return v.TakeError();
  return file;
}

}  // namespace weft::component
