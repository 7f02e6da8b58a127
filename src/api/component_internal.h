// Internals shared by the component API files (src/api/component*.cc): structural type
// matching with resource identities supplied by the caller, the linker's definitions, and the
// run-time objects of component instances in a store (functions, instances, resource types,
// handle tables). Everything run-time is owned by the store's ComponentStoreState and lives
// as long as the store; raw pointers between these objects are therefore stable.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "component/abi.h"
#include "component/def.h"
#include "wasm/module.h"
#include "weft/component.h"

namespace weft::component {

/// Decides whether two kResource nodes denote the same resource type in context (for
/// example a host node from HostResourceNode and an abstract import the linker bound).
using SameResourceFn = std::function<bool(TypeRef want, TypeRef have)>;

namespace api {

using SameResource = SameResourceFn;

/// Structural equality of value/func types: parameter names ignored, record field, case,
/// enum and flag labels compared, resources through `same_resource` (identity if empty).
/// On mismatch returns false and, when `why` is set, a short reason.
bool TypesMatch(TypeRef want, TypeRef have, const SameResource& same_resource,
                std::string* why = nullptr);

/// A host function defined in a linker (shared by every InstancePre made from it).
struct HostFuncDef {
  std::string name;
  TypeRef type = nullptr;  ///< declared kFunc type (FuncNewTyped / FuncWrap), null if dynamic
  HostFunc func;
};
/// A host resource type defined in a linker.
struct HostResourceDef {
  std::string name;
  ResourceType type;
  HostDtor dtor;
};

/// Splits "ns:pkg/iface@1.2.3" into base and version ("" when unversioned).
void SplitVersion(std::string_view name, std::string_view* base, std::string_view* version);
/// True if a definition at version `have` satisfies an import at `want` (same major for >=1,
/// same major.minor for 0.x, identical pre-release tags); both non-empty.
bool VersionCompatible(std::string_view want, std::string_view have);
/// Compares versions (for "highest compatible wins"): <0, 0, >0.
int CompareVersions(std::string_view a, std::string_view b);

}  // namespace api

// ---------------------------------------------------------------------------------------------
// Compiled component and linker

struct Component::Impl {
  std::unique_ptr<ComponentFile> file;
  std::vector<weft::Module> modules;                   ///< per ComponentFile::modules
  std::vector<std::vector<ImportType>> module_imports;  ///< cached Module::imports()
  /// Per module: export name -> index in its wasm::Module::exports (the views point into
  /// `modules`), so instantiation resolves aliases and imports without scanning.
  std::vector<std::unordered_map<std::string_view, uint32_t>> module_exports;
  /// The core type of a host function every instantiation makes (`canon lower`,
  /// `canon resource.*`), computed once at compile time.
  struct CoreFuncInfo {
    weft::FuncType core_type;  ///< the flattened core signature
    wasm::FuncType wasm_type;  ///< the same as the runtime's type (the host FuncInsts' type)
    uint32_t type_id = 0;      ///< its engine type id
  };
  std::unordered_map<const CanonDef*, CoreFuncInfo> lower_info;
  /// Run-time objects one instantiation makes when each nested component is instantiated
  /// once (capacity reserved in the store up front).
  struct Counts {
    uint32_t lowered = 0, funcs = 0, instances = 0, cinstances = 0;
  } counts;
  /// The types of canon resource.new/rep ((i32) -> (i32)) and resource.drop ((i32) -> ()).
  CoreFuncInfo i32_to_i32, i32_to_none;
};

namespace api {
/// Fills the compile-time caches of `impl` (module_exports, lower_info) once its file and
/// modules are set.
void PrepareComponent(Engine& engine, Component::Impl& impl);
}  // namespace api

struct LinkerInstanceBase::Node {
  std::string name;  ///< "" for the root
  std::map<std::string, std::shared_ptr<const api::HostFuncDef>, std::less<>> funcs;
  std::map<std::string, std::shared_ptr<const api::HostResourceDef>, std::less<>> resources;
};

struct LinkerBase::Impl {
  Engine* engine = nullptr;
  LinkerInstanceBase::Node root;
  std::vector<std::unique_ptr<LinkerInstanceBase::Node>> instances;
  bool trap_unknown = false;
  bool allow_shadowing = false;
};

namespace api {

/// What a root import resolved to at InstantiatePre.
struct ResolvedImport {
  ExternSort sort = ExternSort::kFunc;
  std::shared_ptr<const HostFuncDef> func;          ///< kFunc
  std::shared_ptr<const HostResourceDef> resource;  ///< kType (resource)
  /// kInstance: by export name.
  std::map<std::string, std::shared_ptr<const HostFuncDef>, std::less<>> funcs;
  std::map<std::string, std::shared_ptr<const HostResourceDef>, std::less<>> resources;
};

}  // namespace api

namespace api {
struct PreparedImports;
}  // namespace api

struct InstancePreBase::Impl {
  Component component;
  std::vector<api::ResolvedImport> imports;  ///< per root ImportDef, in order
  /// The root's import arguments, built once from `imports` (api::PrepareImports).
  std::shared_ptr<const api::PreparedImports> prepared;
};

// ---------------------------------------------------------------------------------------------
// Run-time objects

namespace api {

struct InstanceState;

/// A run-time resource type: host (id = the host tag) or guest-defined (id = this object).
struct RtResource {
  ResourceType type;
  InstanceState* owner = nullptr;  ///< defining instance (guest-defined only)
  weft::Func dtor;                 ///< guest dtor (may be null)
  HostDtor host_dtor;              ///< host dtor (may be empty)
  std::string name;
  std::shared_ptr<const void> keep;  ///< keeps a linker definition used as identity alive
};

/// The borrow scope of one lifted call: borrows lowered into the callee during it.
struct CallScope {
  uint32_t borrow_count = 0;
};

/// One slot of a handle table (CanonicalABI.md "Handle State").
struct HandleEntry {
  ResourceAny res;
  bool own = false;
  bool live = false;
  uint32_t num_lends = 0;
  CallScope* scope = nullptr;  ///< borrows: the call they were lent for
};

struct HandleTable {
  std::vector<HandleEntry> entries{1};  ///< handle 0 is never valid
  std::vector<uint32_t> free;
  uint32_t Insert(const HandleEntry& e);
  Expected<HandleEntry*> Get(uint32_t handle);
  void Remove(uint32_t handle);
};

}  // namespace api

/// A component function: lifted from a core function of an instance, or a host function.
struct Func::Impl {
  TypeRef type = nullptr;
  api::InstanceState* inst = nullptr;  ///< lifted: the instance whose core func is lifted
  weft::Func core;
  weft::Memory memory;
  weft::Func realloc;
  weft::Func post_return;
  abi::StringEncoding encoding = abi::StringEncoding::kUtf8;
  std::vector<ValKind> core_params, core_results;  ///< lifted: the core signature
  std::shared_ptr<const api::HostFuncDef> host;  ///< host function (inst is null)
  std::string name;
  /// Per-function scratch for lowering (safe: the instance cannot be re-entered meanwhile).
  std::vector<uint64_t> scratch_flat;
  std::vector<weft::Val> scratch_args;
  /// Async call in flight (CallAsync → FinishAsync).
  std::unique_ptr<api::CallScope> async_scope;
};

/// One item of a component instance's exports (or a value in an index space).
struct CItem {
  ExternSort sort = ExternSort::kFunc;
  Func::Impl* func = nullptr;
  Instance::Impl* instance = nullptr;
  TypeRef type = nullptr;  ///< kType: the type; for other sorts the item's type if known
  ResourceType rt;         ///< kType of a resource
  uint32_t component = 0;  ///< kComponent: ComponentFile::components id
  uint32_t module = 0;     ///< kCoreModule: ComponentFile::modules id
};

struct Instance::Impl {
  std::vector<std::pair<std::string, CItem>> exports;  ///< in definition order
  std::vector<ExternDesc> descs;
  api::InstanceState* state = nullptr;  ///< the component instance (null for host/inline)
  /// Export name -> position in `exports`, for the host instances of an InstancePre (made
  /// once, searched by every instantiation's aliases); empty for the others.
  std::unordered_map<std::string_view, uint32_t> index;
  const CItem* Find(std::string_view name) const {
    if (!index.empty()) {
      auto it = index.find(name);
      return it == index.end() ? nullptr : &exports[it->second].second;
    }
    for (const auto& [n, item] : exports) {
      if (n == name) return &item;
    }
    return nullptr;
  }
};

namespace api {

/// One named argument of a component instantiation (`name` outlives the instantiation).
struct InstantiateArg {
  std::string_view name;
  CItem item;
};

/// The arguments of a root instantiation, made once per InstancePre and shared by every
/// store instantiated from it (a store keeps it alive): host functions and host instances
/// are store-independent and only read when called or aliased, so nothing here is written
/// after PrepareImports. Saves a Func::Impl, a name and an export entry per imported
/// function per instantiation.
struct PreparedImports {
  std::vector<std::unique_ptr<Func::Impl>> funcs;
  std::vector<std::unique_ptr<Instance::Impl>> instances;
  /// By root import name, unique, in import order (names point into the component's file).
  std::vector<InstantiateArg> args;
  /// Host resource types to register in each store, in import order.
  std::vector<std::shared_ptr<const HostResourceDef>> resources;
  /// The same as run-time types, by id, made once and shared (read-only) by the stores
  /// that instantiate only this InstancePre (ComponentStoreState::FindResource).
  std::unordered_map<const void*, std::unique_ptr<RtResource>> host_resources;
  RtResource* FindHostResource(const void* id) const {
    auto it = host_resources.find(id);
    return it == host_resources.end() ? nullptr : it->second.get();
  }
};

/// Builds `pre.prepared` from `pre.imports`; kUnlinkable for an import of an unsupported sort.
Error PrepareImports(InstancePreBase::Impl& pre);

/// A component instance: its handle table, reentrance flags and resource bindings.
struct InstanceState {
  InstanceState* parent = nullptr;
  HandleTable table;
  bool may_enter = true;
  bool may_leave = true;
  /// Static kResource nodes of this component → their run-time types.
  std::unordered_map<TypeRef, ResourceType> resources;
  ResourceType Resolve(TypeRef node) const;
};

/// The run-time state of one `canon lower` in one instance (defined in
/// component_instance.cc).
struct LoweredImport;

/// Per-store component state (StoreBase::State::component_state).
struct ComponentStoreState {
  ComponentStoreState();
  ~ComponentStoreState();  // out of line: LoweredImport is complete there
  /// One per lowered import instantiated in the store (their host functions point here).
  std::vector<std::unique_ptr<LoweredImport>> lowered;
  /// Components instantiated in the store: their type arenas back every TypeRef here.
  std::vector<std::shared_ptr<const Component::Impl>> components;
  /// The prepared imports of the InstancePres instantiated here (their functions are used).
  std::vector<std::shared_ptr<const PreparedImports>> prepared;
  std::vector<std::unique_ptr<InstanceState>> instances;
  std::vector<std::unique_ptr<Func::Impl>> funcs;
  std::vector<std::unique_ptr<Instance::Impl>> cinstances;
  std::unordered_map<const void*, std::unique_ptr<RtResource>> resources;
  RtResource* FindResource(ResourceType t) {
    // A store of one InstancePre finds host resource types in it; with more, every host
    // type is registered in `resources` (InstancePreBase::Instantiate).
    if (prepared.size() == 1) {
      if (RtResource* r = prepared[0]->FindHostResource(t.id)) return r;
    }
    auto it = resources.find(t.id);
    return it == resources.end() ? nullptr : it->second.get();
  }
};

ComponentStoreState& ComponentState(StoreBase& store);

/// Calls a component function with dynamic values (lowering into / lifting out of the callee
/// instance). `caller` is the calling guest's host-call context when there is one (needed to
/// call host functions).
Error CallComponentFunc(StoreBase& store, Func::Impl* f, std::span<const Val> params,
                        std::vector<Val>& results, CallerBase* caller);

}  // namespace api
}  // namespace weft::component
