// The component API's static side: Component (decode + validate + compile core modules),
// LinkerBase / LinkerInstanceBase (host definitions by name), InstantiatePre (every import
// resolved once, with semver-compatible instance names and typed-function checks), and the
// lookups on Instance / Func. Instantiation and calls are in component_instance.cc.
#include <charconv>
#include <fstream>
#include <iterator>

#include "api/component_internal.h"
#include "api/internal.h"

namespace weft::component {

// ---------------------------------------------------------------------------------------------
// Component

Expected<Component> Component::Compile(Engine& engine, std::span<const uint8_t> bytes) {
  auto file = DecodeComponent(bytes);
  if (!file.ok()) return std::move(file).error();
  auto impl = std::make_shared<Impl>();
  impl->file = std::move(file).value();
  const ComponentFile& f = *impl->file;
  impl->modules.reserve(f.modules.size());
  for (uint32_t m = 0; m < f.modules.size(); ++m) {
    auto mod = weft::Module::Compile(engine, f.ModuleBytes(m));
    if (!mod.ok()) {
      Error e = std::move(mod).error();
      // Core offsets are relative to the module; make them file offsets.
      uint64_t off = e.offset() == kNoOffset ? f.modules[m].offset : f.modules[m].offset + e.offset();
      return Error::Make(e.code(), "core module " + std::to_string(m) + ": " + e.message(), off,
                         e.func_index());
    }
    impl->module_imports.push_back(mod->imports());
    impl->modules.push_back(std::move(mod).value());
  }
  api::PrepareComponent(engine, *impl);
  Component c;
  c.impl_ = std::move(impl);
  return c;
}

Expected<Component> Component::FromFile(Engine& engine, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Make(ErrorCode::kIo, "cannot open `" + path + "`");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Compile(engine, bytes);
}

bool Component::IsComponentBinary(std::span<const uint8_t> bytes) { return IsComponent(bytes); }
bool Component::IsCoreModuleBinary(std::span<const uint8_t> bytes) { return IsCoreModule(bytes); }

std::vector<ExternDesc> Component::imports() const {
  if (!impl_) return {};
  std::vector<ExternDesc> out;
  for (const ImportDef& i : impl_->file->root().imports) out.push_back(i.desc);
  return out;
}

std::vector<ExternDesc> Component::exports() const {
  if (!impl_) return {};
  std::vector<ExternDesc> out;
  for (const ExportDef& e : impl_->file->root().exports) {
    ExternDesc d;
    d.name = e.name;
    switch (e.item.sort) {
      case Sort::kFunc: d.sort = ExternSort::kFunc; break;
      case Sort::kValue: d.sort = ExternSort::kValue; break;
      case Sort::kType: d.sort = ExternSort::kType; break;
      case Sort::kComponent: d.sort = ExternSort::kComponent; break;
      case Sort::kInstance: d.sort = ExternSort::kInstance; break;
      case Sort::kCore: d.sort = ExternSort::kCoreModule; break;
    }
    d.type = e.ascribed != nullptr ? e.ascribed : e.type;
    out.push_back(std::move(d));
  }
  return out;
}

std::string Component::ToWit(bool verbose) const {
  return impl_ ? ComponentToWit(*impl_->file, verbose) : std::string();
}

// ---------------------------------------------------------------------------------------------
// Versions

namespace api {

void SplitVersion(std::string_view name, std::string_view* base, std::string_view* version) {
  size_t at = name.find('@');
  if (at == std::string_view::npos) {
    *base = name;
    *version = {};
  } else {
    *base = name.substr(0, at);
    *version = name.substr(at + 1);
  }
}

namespace {
struct SemVer {
  uint64_t major = 0, minor = 0, patch = 0;
  std::string_view pre;  ///< pre-release and build suffix ("-rc1"), compared exactly
  bool ok = false;
};
SemVer ParseSemVer(std::string_view v) {
  SemVer s;
  size_t suffix = v.find_first_of("-+");
  if (suffix != std::string_view::npos) {
    s.pre = v.substr(suffix);
    v = v.substr(0, suffix);
  }
  uint64_t* parts[3] = {&s.major, &s.minor, &s.patch};
  for (int i = 0; i < 3; ++i) {
    size_t dot = v.find('.');
    std::string_view p = v.substr(0, dot);
    auto r = std::from_chars(p.data(), p.data() + p.size(), *parts[i]);
    if (r.ec != std::errc() || r.ptr != p.data() + p.size() || p.empty()) return s;
    if (i < 2 && dot == std::string_view::npos) return s;
    v = dot == std::string_view::npos ? std::string_view() : v.substr(dot + 1);
  }
  s.ok = v.empty();
  return s;
}
}  // namespace

bool VersionCompatible(std::string_view want, std::string_view have) {
  if (want == have) return true;
  SemVer w = ParseSemVer(want), h = ParseSemVer(have);
  if (!w.ok || !h.ok) return false;
  if (!w.pre.empty() || !h.pre.empty()) return false;  // pre-releases only match exactly
  if (w.major != h.major) return false;
  if (w.major == 0 && w.minor != h.minor) return false;
  return true;
}

int CompareVersions(std::string_view a, std::string_view b) {
  SemVer x = ParseSemVer(a), y = ParseSemVer(b);
  auto cmp = [](uint64_t p, uint64_t q) { return p < q ? -1 : (p > q ? 1 : 0); };
  if (int c = cmp(x.major, y.major)) return c;
  if (int c = cmp(x.minor, y.minor)) return c;
  return cmp(x.patch, y.patch);
}

}  // namespace api

// ---------------------------------------------------------------------------------------------
// Linker

Error LinkerInstanceBase::FuncNew(std::string_view name, HostFunc f) {
  return FuncNewTyped(name, nullptr, std::move(f));
}

Error LinkerInstanceBase::FuncNewTyped(std::string_view name, TypeRef func_type, HostFunc f) {
  if (func_type != nullptr && func_type->kind != TypeKind::kFunc) {
    return Error::Make(ErrorCode::kArgument, "FuncNewTyped(`" + std::string(name) +
                                                 "`): the type is not a function type");
  }
  auto it = node_->funcs.find(name);
  if (it != node_->funcs.end() && !linker_->impl()->allow_shadowing) {
    return Error::Make(ErrorCode::kArgument,
                       "function `" + std::string(name) + "` is already defined" +
                           (node_->name.empty() ? "" : " in `" + node_->name + "`"));
  }
  auto def = std::make_shared<api::HostFuncDef>();
  def->name = std::string(name);
  def->type = func_type;
  def->func = std::move(f);
  node_->funcs[std::string(name)] = std::move(def);
  return Error();
}

Error LinkerInstanceBase::DefineResource(std::string_view name, ResourceType type, HostDtor dtor) {
  if (type.is_null()) {
    return Error::Make(ErrorCode::kArgument,
                       "resource `" + std::string(name) + "`: null resource type");
  }
  auto it = node_->resources.find(name);
  if (it != node_->resources.end() && !linker_->impl()->allow_shadowing) {
    return Error::Make(ErrorCode::kArgument,
                       "resource `" + std::string(name) + "` is already defined" +
                           (node_->name.empty() ? "" : " in `" + node_->name + "`"));
  }
  auto def = std::make_shared<api::HostResourceDef>();
  def->name = std::string(name);
  def->type = type;
  def->dtor = std::move(dtor);
  node_->resources[std::string(name)] = std::move(def);
  return Error();
}

LinkerBase::LinkerBase(Engine& engine) : impl_(std::make_unique<Impl>()) { impl_->engine = &engine; }
LinkerBase::~LinkerBase() = default;
LinkerBase::LinkerBase(LinkerBase&&) noexcept = default;
LinkerBase& LinkerBase::operator=(LinkerBase&&) noexcept = default;
Engine& LinkerBase::engine() const { return *impl_->engine; }

LinkerInstanceBase LinkerBase::InstanceBase(std::string_view name) {
  for (auto& n : impl_->instances) {
    if (n->name == name) return LinkerInstanceBase(this, n.get());
  }
  impl_->instances.push_back(std::make_unique<LinkerInstanceBase::Node>());
  impl_->instances.back()->name = std::string(name);
  return LinkerInstanceBase(this, impl_->instances.back().get());
}

LinkerInstanceBase LinkerBase::RootBase() { return LinkerInstanceBase(this, &impl_->root); }
void LinkerBase::TrapUnknownImports(bool trap) { impl_->trap_unknown = trap; }
void LinkerBase::AllowShadowing(bool allow) { impl_->allow_shadowing = allow; }

namespace {

using api::HostFuncDef;
using api::HostResourceDef;
using Node = LinkerInstanceBase::Node;

/// The linker instance an import name resolves to: exact name for unversioned imports,
/// otherwise the highest semver-compatible definition of the same base name.
const Node* FindInstance(const LinkerBase::Impl& l, std::string_view name) {
  std::string_view base, ver;
  api::SplitVersion(name, &base, &ver);
  const Node* best = nullptr;
  std::string_view best_ver;
  for (const auto& n : l.instances) {
    std::string_view nb, nv;
    api::SplitVersion(n->name, &nb, &nv);
    if (nb != base) continue;
    if (ver.empty() || nv.empty()) {
      if (n->name == name) return n.get();
      continue;
    }
    if (!api::VersionCompatible(ver, nv)) continue;
    if (best == nullptr || api::CompareVersions(nv, best_ver) > 0) {
      best = n.get();
      best_ver = nv;
    }
  }
  return best;
}

std::shared_ptr<const HostFuncDef> TrapFunc(std::string what) {
  auto def = std::make_shared<HostFuncDef>();
  def->name = what;
  def->func = [what](HostContext&, std::span<const Val>, std::span<Val>) -> Error {
    return Error::Make(ErrorCode::kTrap, "unknown import " + what + " called");
  };
  return def;
}

std::shared_ptr<const HostResourceDef> UnknownResource(const std::string& name) {
  // A distinct identity per unknown resource: the definition's own address (stores that
  // instantiate with it keep the definition alive, so the identity is never reused meanwhile).
  auto def = std::make_shared<HostResourceDef>();
  def->name = name;
  def->type = ResourceType{def.get()};
  return def;
}

std::string Missing(std::string_view import, std::string_view what) {
  return "component imports `" + std::string(import) + "`" + std::string(what) +
         ", which the linker does not define";
}

class Resolver {
 public:
  explicit Resolver(const LinkerBase::Impl& l) : l_(l) {}

  Error Func(std::string_view import, const ExternDesc& d, const Node* node, bool in_instance,
             std::shared_ptr<const HostFuncDef>* out) {
    auto it = node != nullptr ? node->funcs.find(d.name) : decltype(node->funcs.end()){};
    if (node == nullptr || it == node->funcs.end()) {
      if (l_.trap_unknown) {
        *out = TrapFunc("`" + std::string(import) + (in_instance ? "#" + d.name : "") + "`");
        return Error();
      }
      return Error::Make(ErrorCode::kUnlinkable,
                         in_instance ? Missing(import, " (function `" + d.name + "`)")
                                     : Missing(import, ""));
    }
    const HostFuncDef& def = *it->second;
    if (def.type != nullptr) {
      std::string why;
      auto same = [this](TypeRef want, TypeRef have) {
        ResourceType h = HostResourceOfNode(want);
        auto b = bound_.find(have);
        return !h.is_null() && b != bound_.end() && b->second == h;
      };
      if (!api::TypesMatch(def.type, d.type, same, &why)) {
        return Error::Make(ErrorCode::kUnlinkable,
                           "component imports `" + std::string(import) + "`" +
                               (in_instance ? " (function `" + d.name + "`)" : "") +
                               " with type " + TypeToString(d.type) +
                               ", but the linker defines it as " + TypeToString(def.type) + ": " +
                               why);
      }
    }
    *out = it->second;
    return Error();
  }

  Error Resource(std::string_view import, const ExternDesc& d, const Node* node,
                 bool in_instance, std::shared_ptr<const HostResourceDef>* out) {
    auto it = node != nullptr ? node->resources.find(d.name)
                              : decltype(node->resources.end()){};
    if (node == nullptr || it == node->resources.end()) {
      if (!l_.trap_unknown) {
        return Error::Make(ErrorCode::kUnlinkable,
                           in_instance ? Missing(import, " (resource `" + d.name + "`)")
                                       : Missing(import, ""));
      }
      *out = UnknownResource(d.name);
    } else {
      *out = it->second;
    }
    bound_[d.type] = (*out)->type;
    return Error();
  }

  Expected<api::ResolvedImport> Import(const ExternDesc& d) {
    api::ResolvedImport r;
    r.sort = d.sort;
    switch (d.sort) {
      case ExternSort::kFunc:
        WEFT_TRY(Func(d.name, d, &l_.root, false, &r.func));
        return r;
      case ExternSort::kType:
        if (d.type == nullptr || d.type->kind != TypeKind::kResource) return r;  // plain types
        if (bound_.count(d.type) != 0) return r;  // (eq t) of an already bound resource
        WEFT_TRY(Resource(d.name, d, &l_.root, false, &r.resource));
        return r;
      case ExternSort::kInstance: {
        const Node* node = FindInstance(l_, d.name);
        if (node == nullptr && !l_.trap_unknown) {
          return Error::Make(ErrorCode::kUnlinkable, Missing(d.name, ""));
        }
        // Resources first: function types refer to them.
        for (const ExternDesc& e : d.type->exports) {
          if (e.sort != ExternSort::kType || e.type == nullptr ||
              e.type->kind != TypeKind::kResource || bound_.count(e.type) != 0) {
            continue;
          }
          std::shared_ptr<const HostResourceDef> res;
          WEFT_TRY(Resource(d.name, e, node, true, &res));
          r.resources[e.name] = std::move(res);
        }
        for (const ExternDesc& e : d.type->exports) {
          if (e.sort == ExternSort::kFunc) {
            std::shared_ptr<const HostFuncDef> f;
            WEFT_TRY(Func(d.name, e, node, true, &f));
            r.funcs[e.name] = std::move(f);
          } else if (e.sort != ExternSort::kType) {
            return Error::Make(ErrorCode::kUnlinkable,
                               "component imports `" + d.name + "` with export `" + e.name +
                                   "` of a kind host instances cannot provide");
          }
        }
        return r;
      }
      default:
        return Error::Make(ErrorCode::kUnlinkable,
                           "component imports `" + d.name +
                               "`: only functions, instances and resource types can be "
                               "imported from the host");
    }
  }

 private:
  const LinkerBase::Impl& l_;
  std::unordered_map<TypeRef, ResourceType> bound_;
};

}  // namespace

Expected<InstancePreBase> LinkerBase::InstantiatePreBase(const Component& component) const {
  if (!component.impl()) return Error::Make(ErrorCode::kArgument, "empty component");
  auto pre = std::make_shared<InstancePreBase::Impl>();
  pre->component = component;
  Resolver resolver(*impl_);
  for (const ImportDef& imp : component.impl()->file->root().imports) {
    auto r = resolver.Import(imp.desc);
    if (!r.ok()) return std::move(r).error();
    pre->imports.push_back(std::move(r).value());
  }
  WEFT_TRY(api::PrepareImports(*pre));
  return InstancePreBase(std::move(pre));
}

const Component& InstancePreBase::component() const { return impl_->component; }

// ---------------------------------------------------------------------------------------------
// Instance and Func lookups

namespace {
const CItem* FindInstanceExport(const Instance::Impl& inst, std::string_view name) {
  if (const CItem* it = inst.Find(name)) return it;
  std::string_view base, ver;
  api::SplitVersion(name, &base, &ver);
  if (ver.empty()) return nullptr;
  const CItem* best = nullptr;
  std::string_view best_ver;
  for (const auto& [n, item] : inst.exports) {
    std::string_view nb, nv;
    api::SplitVersion(n, &nb, &nv);
    if (nb != base || nv.empty() || !api::VersionCompatible(ver, nv)) continue;
    if (best == nullptr || api::CompareVersions(nv, best_ver) > 0) {
      best = &item;
      best_ver = nv;
    }
  }
  return best;
}
}  // namespace

std::optional<Func> Instance::GetFunc(std::string_view name) const {
  if (impl_ == nullptr) return std::nullopt;
  const CItem* it = impl_->Find(name);
  if (it == nullptr || it->sort != ExternSort::kFunc) return std::nullopt;
  return Func(it->func);
}

std::optional<Func> Instance::GetFunc(std::string_view instance, std::string_view name) const {
  if (impl_ == nullptr) return std::nullopt;
  const CItem* it = FindInstanceExport(*impl_, instance);
  if (it == nullptr || it->sort != ExternSort::kInstance || it->instance == nullptr) {
    return std::nullopt;
  }
  return Instance(it->instance).GetFunc(name);
}

std::vector<ExternDesc> Instance::exports() const {
  return impl_ == nullptr ? std::vector<ExternDesc>() : impl_->descs;
}

TypeRef Func::type() const { return impl_ == nullptr ? nullptr : impl_->type; }

namespace detail {
Error CheckFuncType(const Func& f, TypeRef want) {
  const Func::Impl* impl = f.impl();
  auto same = [impl](TypeRef w, TypeRef have) {
    ResourceType h = HostResourceOfNode(w);
    if (h.is_null()) return w == have;
    return impl->inst != nullptr && impl->inst->Resolve(have) == h;
  };
  std::string why;
  if (!api::TypesMatch(want, f.type(), same, &why)) {
    return Error::Make(ErrorCode::kArgument, "function type mismatch: expected " +
                                                 TypeToString(want) + ", got " +
                                                 TypeToString(f.type()) + ": " + why);
  }
  return Error();
}
}  // namespace detail

}  // namespace weft::component
