// Component instantiation and calls. Instantiation replays a ComponentDef's definitions in
// binary order, appending to each index space (core modules/instances/funcs/memories/tables/
// globals, component funcs/instances/components/types) exactly as the binary does; core
// modules become ordinary core instances whose imports are other core instances' exports,
// `canon lower` and `canon resource.*` become core host functions, `canon lift` becomes a
// Func::Impl. Calls cross through dynamic Vals and the canonical ABI (abi.h) over a GuestEnv
// (the guest's memory, realloc and handle table). Invariants: every run-time object is owned
// by the store's ComponentStoreState; an instance's may_enter is false while one of its
// exports runs (re-entry traps); borrows lowered into a call are gone when it returns.
#include <algorithm>
#include <cstring>

#include "api/component_internal.h"
#include "api/internal.h"

namespace weft::component {
namespace api {

namespace {

Error Trap(std::string msg) { return Error::Make(ErrorCode::kTrap, std::move(msg)); }

ValKind CoreKind(CoreValType t) {
  switch (t) {
    case CoreValType::kI32: return ValKind::kI32;
    case CoreValType::kI64: return ValKind::kI64;
    case CoreValType::kF32: return ValKind::kF32;
    case CoreValType::kF64: return ValKind::kF64;
    case CoreValType::kV128: return ValKind::kV128;
    case CoreValType::kFuncRef: return ValKind::kFuncRef;
    case CoreValType::kExternRef: return ValKind::kExternRef;
  }
  return ValKind::kI32;
}

std::vector<ValKind> CoreKinds(const std::vector<CoreValType>& ts) {
  std::vector<ValKind> out;
  out.reserve(ts.size());
  for (CoreValType t : ts) out.push_back(CoreKind(t));
  return out;
}

weft::Val CoreVal(ValKind k, uint64_t bits) {
  if (k == ValKind::kI32 || k == ValKind::kF32) bits &= 0xffffffffu;
  return weft::Val::FromBits(k, bits);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Handle tables and resources

uint32_t HandleTable::Insert(const HandleEntry& e) {
  uint32_t h;
  if (!free.empty()) {
    h = free.back();
    free.pop_back();
  } else {
    // A table starts small every instantiation (a server makes one per request): skip the
    // 1 -> 2 -> 4 -> 8 regrowths that a handler's first few handles would cost.
    if (entries.size() == entries.capacity()) entries.reserve(std::max<size_t>(8, entries.size() * 2));
    h = static_cast<uint32_t>(entries.size());
    entries.emplace_back();
  }
  entries[h] = e;
  entries[h].live = true;
  return h;
}

Expected<HandleEntry*> HandleTable::Get(uint32_t handle) {
  if (handle == 0 || handle >= entries.size() || !entries[handle].live) {
    return Trap("unknown handle index " + std::to_string(handle));
  }
  return &entries[handle];
}

void HandleTable::Remove(uint32_t handle) {
  entries[handle] = HandleEntry{};
  if (free.capacity() == 0) free.reserve(8);
  free.push_back(handle);
}

ResourceType InstanceState::Resolve(TypeRef node) const {
  for (const InstanceState* s = this; s != nullptr; s = s->parent) {
    auto it = s->resources.find(node);
    if (it != s->resources.end()) return it->second;
  }
  return HostResourceOfNode(node);
}

struct LowerScratch {
  std::vector<uint64_t> flat, flat_results;
  std::vector<uint32_t> lends;
  std::vector<Val> params, results;
};

/// Borrows a T from a per-thread free list for as long as it lives, keeping up to kKeep
/// returned ones (cleared first if T has Clear()), so that a server making a store per
/// request reuses their buffers' capacity instead of regrowing them every time. Leases in
/// flight at once on a thread (nested, or suspended on fibers) each hold their own.
template <typename T, size_t kKeep>
class PoolLease {
 public:
  PoolLease() {
    std::vector<std::unique_ptr<T>>& pool = Pool();
    if (pool.empty()) {
      item_ = std::make_unique<T>();
    } else {
      item_ = std::move(pool.back());
      pool.pop_back();
    }
  }
  ~PoolLease() {
    if constexpr (requires(T& t) { t.Clear(); }) item_->Clear();
    std::vector<std::unique_ptr<T>>& pool = Pool();
    if (pool.size() < kKeep) pool.push_back(std::move(item_));
  }
  PoolLease(const PoolLease&) = delete;
  PoolLease& operator=(const PoolLease&) = delete;
  T& operator*() { return *item_; }

 private:
  // Not inlined: the pool's address must be looked up again on return (a fiber may, in
  // principle, resume on another thread; a start function may run meanwhile), not kept from
  // before.
  [[gnu::noinline]] static std::vector<std::unique_ptr<T>>& Pool() {
    thread_local std::vector<std::unique_ptr<T>> pool;
    return pool;
  }
  std::unique_ptr<T> item_;
};

/// One lowered call's buffers (its params, results and flat values).
using ScratchLease = PoolLease<LowerScratch, 16>;

/// Everything a lowered import's host function needs, in one object owned by the store's
/// ComponentStoreState (the host function's closure holds only its address, which fits the
/// std::function's inline buffer: no allocation per closure).
struct LoweredImport {
  InstanceState* inst = nullptr;
  Func::Impl* target = nullptr;
  TypeRef type = nullptr;
  weft::Memory memory;
  weft::Func realloc;
  abi::StringEncoding enc = abi::StringEncoding::kUtf8;
  /// The core result kinds: Component::Impl::lower_info's (the store keeps the component
  /// alive).
  const std::vector<ValKind>* result_kinds = nullptr;
};

ComponentStoreState::ComponentStoreState() = default;
ComponentStoreState::~ComponentStoreState() = default;

ComponentStoreState& ComponentState(StoreBase& store) {
  auto& slot = store.state()->component_state;
  if (!slot) slot = std::make_shared<ComponentStoreState>();
  return *static_cast<ComponentStoreState*>(slot.get());
}

namespace {

std::string ResName(TypeRef node) {
  return node != nullptr && !node->name.empty() ? node->name : std::string("resource");
}

/// The guest side of one lift/lower: memory, realloc, the handle table.
class GuestEnv final : public abi::Env {
 public:
  GuestEnv(StoreBase& store, InstanceState* inst, const weft::Memory& memory,
           const weft::Func& realloc, CallScope* scope, std::vector<uint32_t>* lends)
      : store_(store), inst_(inst), memory_(memory), realloc_(realloc), scope_(scope),
        lends_(lends) {}

  std::span<uint8_t> Memory() override {
    if (memory_.is_null()) return {};
    return std::span<uint8_t>(memory_.data(), memory_.size_bytes());
  }

  Expected<uint32_t> Realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align,
                             uint32_t new_size) override {
    if (realloc_.is_null()) return Trap("canonical options name no realloc");
    weft::Val args[4] = {weft::Val::I32(static_cast<int32_t>(old_ptr)),
                         weft::Val::I32(static_cast<int32_t>(old_size)),
                         weft::Val::I32(static_cast<int32_t>(align)),
                         weft::Val::I32(static_cast<int32_t>(new_size))};
    weft::Val out[1];
    bool saved = inst_->may_leave;
    inst_->may_leave = false;
    Error e = realloc_.Call(store_, args, out);
    inst_->may_leave = saved;
    if (!e.ok()) return e;
    return static_cast<uint32_t>(out[0].i32());
  }

  Expected<ResourceAny> LiftOwn(TypeRef resource, uint32_t handle) override {
    WEFT_TRY_ASSIGN(HandleEntry * e, Lookup(resource, handle));
    if (!e->own) return Trap("handle " + std::to_string(handle) + " is a borrow, not an own");
    if (e->num_lends != 0) {
      return Trap("own handle " + std::to_string(handle) + " is lent out (" +
                  std::to_string(e->num_lends) + " borrows outstanding)");
    }
    ResourceAny r = e->res;
    inst_->table.Remove(handle);
    return r;
  }

  Expected<ResourceAny> LiftBorrow(TypeRef resource, uint32_t handle) override {
    WEFT_TRY_ASSIGN(HandleEntry * e, Lookup(resource, handle));
    if (e->own && lends_ != nullptr) {
      ++e->num_lends;
      lends_->push_back(handle);
    }
    return e->res;
  }

  Expected<uint32_t> LowerOwn(TypeRef resource, const ResourceAny& r) override {
    WEFT_TRY(CheckType(resource, r));
    HandleEntry e;
    e.res = r;
    e.own = true;
    return inst_->table.Insert(e);
  }

  Expected<uint32_t> LowerBorrow(TypeRef resource, const ResourceAny& r) override {
    WEFT_TRY(CheckType(resource, r));
    RtResource* rt = ComponentState(store_).FindResource(r.type);
    if (rt != nullptr && rt->owner == inst_) return r.rep;  // a borrow of one's own resource
    HandleEntry e;
    e.res = r;
    e.own = false;
    e.scope = scope_;
    if (scope_ != nullptr) ++scope_->borrow_count;
    return inst_->table.Insert(e);
  }

 private:
  Expected<HandleEntry*> Lookup(TypeRef resource, uint32_t handle) {
    WEFT_TRY_ASSIGN(HandleEntry * e, inst_->table.Get(handle));
    ResourceType want = inst_->Resolve(resource);
    if (!want.is_null() && e->res.type != want) {
      return Trap("handle " + std::to_string(handle) + " is not a " + ResName(resource));
    }
    return e;
  }
  Error CheckType(TypeRef resource, const ResourceAny& r) {
    ResourceType want = inst_->Resolve(resource);
    if (!want.is_null() && r.type != want) {
      return Trap("resource passed as " + ResName(resource) + " is of another resource type");
    }
    return Error();
  }

  StoreBase& store_;
  InstanceState* inst_;
  const weft::Memory& memory_;
  const weft::Func& realloc_;
  CallScope* scope_;
  std::vector<uint32_t>* lends_;
};

void ReleaseLends(InstanceState* inst, const std::vector<uint32_t>& lends) {
  for (uint32_t h : lends) {
    if (h < inst->table.entries.size() && inst->table.entries[h].num_lends > 0) {
      --inst->table.entries[h].num_lends;
    }
  }
}

/// Drops a handle (canon resource.drop and host-side drops): runs the dtor of an own.
Error DropHandle(StoreBase& store, InstanceState* inst, ResourceType rt, uint32_t handle,
                 CallerBase* caller) {
  WEFT_TRY_ASSIGN(HandleEntry * e, inst->table.Get(handle));
  if (!rt.is_null() && e->res.type != rt) {
    return Trap("resource.drop: handle " + std::to_string(handle) + " is of another type");
  }
  if (!e->own) {
    if (e->scope != nullptr && e->scope->borrow_count > 0) --e->scope->borrow_count;
    inst->table.Remove(handle);
    return Error();
  }
  if (e->num_lends != 0) {
    return Trap("resource.drop: own handle " + std::to_string(handle) + " is lent out");
  }
  ResourceAny r = e->res;
  inst->table.Remove(handle);
  RtResource* res = ComponentState(store).FindResource(r.type);
  if (res == nullptr) return Error();
  if (res->owner != nullptr) {
    if (res->dtor.is_null()) return Error();
    // Another instance's dtor is a call into it (canon_resource_drop lowers a lifted dtor).
    if (res->owner != inst && !res->owner->may_enter) {
      return Trap("cannot enter component instance (resource dtor)");
    }
    weft::Val arg[1] = {weft::Val::I32(static_cast<int32_t>(r.rep))};
    bool other = res->owner != inst;
    if (other) res->owner->may_enter = false;
    Error e = res->dtor.Call(store, std::span<const weft::Val>(arg, 1), std::span<weft::Val>());
    if (other) res->owner->may_enter = true;
    return e;
  }
  if (res->host_dtor) {
    if (caller != nullptr) {
      HostContext cx(*caller);
      res->host_dtor(&cx, store, r.rep);
    } else {
      res->host_dtor(nullptr, store, r.rep);
    }
  }
  return Error();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Calls

namespace {

/// Ends a lifted call that failed: borrows lent into it are removed from the callee's table
/// (their scope is gone) and the instance is reopened.
void AbandonCall(InstanceState* inst, CallScope* scope) {
  if (scope != nullptr && scope->borrow_count != 0) {
    for (uint32_t h = 1; h < inst->table.entries.size(); ++h) {
      const HandleEntry& e = inst->table.entries[h];
      if (e.live && !e.own && e.scope == scope) inst->table.Remove(h);
    }
    scope->borrow_count = 0;
  }
  inst->may_enter = true;
}

/// Lowers `params` into the callee's core arguments and closes the instance to re-entry.
Error EnterLifted(StoreBase& store, Func::Impl* f, std::span<const Val> params, CallScope* scope,
                  std::vector<weft::Val>& core_args) {
  InstanceState* inst = f->inst;
  if (!inst->may_enter) return Trap("cannot enter component instance");
  GuestEnv env(store, inst, f->memory, f->realloc, scope, nullptr);
  abi::Options opts{f->encoding};
  std::vector<uint64_t>& flat = f->scratch_flat;
  flat.clear();
  if (Error e = abi::LowerParams(env, opts, f->type, params, flat)) {
    AbandonCall(inst, scope);
    return e;
  }
  if (flat.size() != f->core_params.size()) {
    return Error::Make(ErrorCode::kInternal, "lowered " + std::to_string(flat.size()) +
                                                 " core arguments for " +
                                                 std::to_string(f->core_params.size()) +
                                                 " parameters");
  }
  core_args.resize(flat.size());
  for (size_t i = 0; i < flat.size(); ++i) core_args[i] = CoreVal(f->core_params[i], flat[i]);
  inst->may_enter = false;
  return Error();
}

/// Lifts the core results, checks the borrow scope, runs post-return, reopens the instance.
Error ExitLifted(StoreBase& store, Func::Impl* f, std::span<const weft::Val> core_results,
                 CallScope* scope, std::vector<Val>& results) {
  InstanceState* inst = f->inst;
  GuestEnv env(store, inst, f->memory, f->realloc, scope, nullptr);
  abi::Options opts{f->encoding};
  uint64_t flat[abi::kMaxFlatResults + 1] = {};  // lifted functions have at most one result
  size_t n = std::min<size_t>(core_results.size(), abi::kMaxFlatResults + 1);
  for (size_t i = 0; i < n; ++i) flat[i] = core_results[i].lo_bits();
  // Straight into the caller's vector: its Vals' buffers are reused across calls.
  Error lifted = abi::LiftResultsInto(env, opts, f->type, std::span<const uint64_t>(flat, n), results);
  if (!lifted.ok()) {
    AbandonCall(inst, scope);
    return lifted;
  }
  if (scope->borrow_count != 0) {
    AbandonCall(inst, scope);
    return Trap("borrow handles still remain at the end of the call");
  }
  if (!f->post_return.is_null()) {
    inst->may_leave = false;
    Error e = f->post_return.Call(store, core_results, std::span<weft::Val>());
    inst->may_leave = true;
    if (!e.ok()) {
      AbandonCall(inst, scope);
      return e;
    }
  }
  inst->may_enter = true;
  return Error();
}

}  // namespace

Error CallComponentFunc(StoreBase& store, Func::Impl* f, std::span<const Val> params,
                        std::vector<Val>& results, CallerBase* caller) {
  if (f->host) {
    if (caller == nullptr) {
      return Error::Make(ErrorCode::kArgument, "function `" + f->name +
                                                   "` is a host function re-exported by the "
                                                   "component; call it directly");
    }
    // Emptied in place (not replaced by fresh Vals) so that the caller's reused buffers keep
    // their capacity; a host function that sets no result still fails the check below.
    results.resize(f->type->result != nullptr ? 1 : 0);
    for (Val& r : results) r.Reset(TypeKind::kBool);
    HostContext cx(*caller);
    WEFT_TRY(f->host->func(cx, params, results));
    if (f->type->result != nullptr) {
      if (results.size() != 1) {
        return Trap("host function `" + f->name + "` returned " + std::to_string(results.size()) +
                    " results, expected 1");
      }
      Error e = CheckVal(results[0], f->type->result);
      if (!e.ok()) return Trap("host function `" + f->name + "` returned a bad value: " + e.message());
    }
    return Error();
  }
  CallScope scope;
  std::vector<weft::Val>& core_args = f->scratch_args;
  WEFT_TRY(EnterLifted(store, f, params, &scope, core_args));
  weft::Val out[1];
  std::span<weft::Val> core_results(out, f->core_results.size());
  for (size_t i = 0; i < core_results.size(); ++i) out[i] = CoreVal(f->core_results[i], 0);
  Error e = f->core.Call(store, core_args, core_results);
  if (!e.ok()) {
    AbandonCall(f->inst, &scope);
    return e;
  }
  return ExitLifted(store, f, core_results, &scope, results);
}

// ---------------------------------------------------------------------------------------------
// Instantiation

namespace {

/// One core instance of a component's index space. Inline instances keep only their
/// definition: their exports are read from the index spaces when aliased or imported (the
/// spaces only grow, and the indices were checked when the instance was defined), so that
/// defining one copies no names.
struct CoreInst {
  weft::Instance inst;
  /// Real instances: their module's export index (Component::Impl::module_exports).
  const std::unordered_map<std::string_view, uint32_t>* export_index = nullptr;
  /// Inline instances: their definition (null for real ones).
  const CoreInstanceDef* inline_def = nullptr;
};

const char* CanonName(uint8_t op) {
  switch (op) {
    case 0x05: return "task.cancel";
    case 0x06: return "subtask.cancel";
    case 0x09: return "task.return";
    case 0x0a: return "context.get";
    case 0x0b: return "context.set";
    case 0x0c: return "thread.yield";
    case 0x0d: return "subtask.drop";
    case 0x0e: return "stream.new";
    case 0x0f: return "stream.read";
    case 0x10: return "stream.write";
    case 0x11: return "stream.cancel-read";
    case 0x12: return "stream.cancel-write";
    case 0x13: return "stream.drop-readable";
    case 0x14: return "stream.drop-writable";
    case 0x15: return "future.new";
    case 0x16: return "future.read";
    case 0x17: return "future.write";
    case 0x18: return "future.cancel-read";
    case 0x19: return "future.cancel-write";
    case 0x1a: return "future.drop-readable";
    case 0x1b: return "future.drop-writable";
    case 0x1c: return "error-context.new";
    case 0x1d: return "error-context.debug-message";
    case 0x1e: return "error-context.drop";
    case 0x1f: return "waitable-set.new";
    case 0x20: return "waitable-set.wait";
    case 0x21: return "waitable-set.poll";
    case 0x22: return "waitable-set.drop";
    case 0x23: return "waitable.join";
    case 0x24: return "backpressure.inc";
    case 0x25: return "backpressure.dec";
    case 0x26: return "thread.index";
    case 0x27: return "thread.new-indirect";
    case 0x40: return "thread.spawn-ref";
    case 0x41: return "thread.spawn-indirect";
    case 0x42: return "thread.available-parallelism";
    default: return "async/thread built-in";
  }
}

ExternSort SortOf(const SortIdx& s) {
  switch (s.sort) {
    case Sort::kFunc: return ExternSort::kFunc;
    case Sort::kValue: return ExternSort::kValue;
    case Sort::kType: return ExternSort::kType;
    case Sort::kComponent: return ExternSort::kComponent;
    case Sort::kInstance: return ExternSort::kInstance;
    case Sort::kCore: return ExternSort::kCoreModule;
  }
  return ExternSort::kFunc;
}


/// canon lower at run time: lift the guest's core arguments, call the target, lower back.
Error CallLowered(StoreBase& store, CallerBase& caller, InstanceState* inst, Func::Impl* target,
                  TypeRef type, const weft::Memory& memory, const weft::Func& realloc,
                  abi::StringEncoding enc, const std::vector<ValKind>& result_kinds,
                  std::span<const weft::Val> args, std::span<weft::Val> out, LowerScratch& sc) {
  sc.flat.resize(args.size());
  for (size_t i = 0; i < args.size(); ++i) sc.flat[i] = args[i].lo_bits();
  sc.lends.clear();
  GuestEnv env(store, inst, memory, realloc, nullptr, &sc.lends);
  abi::Options opts{enc};
  Error e = abi::LiftParamsInto(env, opts, type, sc.flat, sc.params);
  if (e.ok()) e = CallComponentFunc(store, target, sc.params, sc.results, &caller);
  ReleaseLends(inst, sc.lends);
  if (!e.ok()) return e;
  // Big values are not worth keeping alive between calls (str holds strings and packed
  // list<u8> bytes, so its capacity covers both).
  auto trim = [](std::vector<Val>& vs) {
    for (const Val& v : vs) {
      if (v.items.size() > 64 || v.str.capacity() > 4096) {
        std::vector<Val>().swap(vs);
        return;
      }
    }
  };
  trim(sc.params);
  sc.flat_results.clear();
  WEFT_TRY(abi::LowerResults(env, opts, type, sc.results, sc.flat, sc.flat_results));
  for (size_t i = 0; i < out.size() && i < sc.flat_results.size(); ++i) {
    out[i] = CoreVal(result_kinds[i], sc.flat_results[i]);
  }
  trim(sc.results);
  return Error();
}

/// Sets argument `name` (a later argument of the same name replaces the earlier one, so that
/// names stay unique).
void SetArg(std::vector<InstantiateArg>& args, std::string_view name, const CItem& item) {
  for (InstantiateArg& a : args) {
    if (a.name == name) {
      a.item = item;
      return;
    }
  }
  args.push_back(InstantiateArg{name, item});
}

/// The argument named `name`, or null; `hint` is where it usually is (arguments tend to come
/// in import order), tried first.
const InstantiateArg* FindArg(std::span<const InstantiateArg> args, std::string_view name,
                              size_t hint) {
  if (hint < args.size() && args[hint].name == name) return &args[hint];
  for (const InstantiateArg& a : args) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

/// The index spaces of one component instantiation (plus scratch for its core imports).
struct Spaces {
  std::vector<uint32_t> core_modules;
  std::vector<CoreInst> core_instances;
  std::vector<weft::Func> core_funcs;
  std::vector<weft::Memory> core_memories;
  std::vector<weft::Table> core_tables;
  std::vector<weft::Global> core_globals;
  std::vector<Func::Impl*> funcs;
  std::vector<Instance::Impl*> instances;
  std::vector<uint32_t> components;
  std::vector<CItem> types;
  std::vector<weft::Extern> externs;  ///< scratch: one core instantiation's imports
  std::vector<InstantiateArg> inner_args;  ///< scratch: one nested instantiation's arguments
  void Clear() {
    core_modules.clear();
    core_instances.clear();
    core_funcs.clear();
    core_memories.clear();
    core_tables.clear();
    core_globals.clear();
    funcs.clear();
    instances.clear();
    components.clear();
    types.clear();
    externs.clear();
    inner_args.clear();
  }

  /// An export of core instance `ci` of these spaces, or nullopt.
  std::optional<weft::Extern> CoreExport(const CoreInst& ci, std::string_view name) const {
    if (ci.inline_def == nullptr) {
      auto it = ci.export_index->find(name);
      if (it == ci.export_index->end()) return std::nullopt;
      const runtime::Instance* ri = ci.inst.raw();
      const wasm::Export& e = ri->module->module.exports[it->second];
      switch (e.kind) {
        case wasm::ExternKind::kFunc: return weft::Extern::Of(weft::Func(ri->funcs[e.index]));
        case wasm::ExternKind::kTable: return weft::Extern::Of(weft::Table(ri->tables[e.index]));
        case wasm::ExternKind::kMemory:
          return weft::Extern::Of(weft::Memory(ri->memories[e.index]));
        case wasm::ExternKind::kGlobal:
          return weft::Extern::Of(weft::Global(ri->globals[e.index]));
      }
      return std::nullopt;
    }
    for (const CoreInstanceDef::Export& e : ci.inline_def->exports) {
      if (e.name != name) continue;
      switch (e.sort) {
        case CoreSort::kFunc: return weft::Extern::Of(core_funcs[e.index]);
        case CoreSort::kTable: return weft::Extern::Of(core_tables[e.index]);
        case CoreSort::kMemory: return weft::Extern::Of(core_memories[e.index]);
        case CoreSort::kGlobal: return weft::Extern::Of(core_globals[e.index]);
        default: return std::nullopt;  // refused when the instance was defined
      }
    }
    return std::nullopt;
  }
};

/// One component instantiation's index spaces, cleared on return (nested instantiations
/// each hold their own).
using SpacesLease = PoolLease<Spaces, 8>;

class Instantiator {
 public:
  Instantiator(StoreBase& store, const Component::Impl& comp)
      : store_(store), comp_(comp), file_(*comp.file), state_(ComponentState(store)) {}

  Func::Impl* NewFunc() {
    state_.funcs.push_back(std::make_unique<Func::Impl>());
    return state_.funcs.back().get();
  }
  Instance::Impl* NewInstance() {
    state_.cinstances.push_back(std::make_unique<Instance::Impl>());
    return state_.cinstances.back().get();
  }

  Expected<Instance::Impl*> Run(uint32_t comp_id, std::span<const InstantiateArg> args,
                                InstanceState* parent);

 private:
  static Error Bad(uint64_t off, const std::string& msg) {
    return Error::Make(ErrorCode::kInvalid, "component instantiation: " + msg, off);
  }

  Expected<CItem> ItemAt(const Spaces& sp, const SortIdx& s, uint64_t off) {
    CItem it;
    it.sort = SortOf(s);
    switch (s.sort) {
      case Sort::kFunc:
        if (s.index >= sp.funcs.size()) break;
        it.func = sp.funcs[s.index];
        it.type = it.func->type;
        return it;
      case Sort::kInstance:
        if (s.index >= sp.instances.size()) break;
        it.instance = sp.instances[s.index];
        return it;
      case Sort::kType:
        if (s.index >= sp.types.size()) break;
        return sp.types[s.index];
      case Sort::kComponent:
        if (s.index >= sp.components.size()) break;
        it.component = sp.components[s.index];
        return it;
      case Sort::kCore:
        if (s.core_sort == CoreSort::kModule && s.index < sp.core_modules.size()) {
          it.module = sp.core_modules[s.index];
          return it;
        }
        return Bad(off, "core items other than modules cannot be component-level items");
      case Sort::kValue:
        return Bad(off, "value definitions are not supported");
    }
    return Bad(off, "index " + std::to_string(s.index) + " out of range");
  }

  void PushItem(Spaces& sp, const CItem& it) {
    switch (it.sort) {
      case ExternSort::kFunc: sp.funcs.push_back(it.func); break;
      case ExternSort::kInstance: sp.instances.push_back(it.instance); break;
      case ExternSort::kType: sp.types.push_back(it); break;
      case ExternSort::kComponent: sp.components.push_back(it.component); break;
      case ExternSort::kCoreModule: sp.core_modules.push_back(it.module); break;
      case ExternSort::kValue: break;
    }
  }

  Error CoreInstance(Spaces& sp, const CoreInstanceDef& d, uint64_t off);
  Error Canon(Spaces& sp, InstanceState* inst, const CanonDef& c, uint64_t off);
  Expected<weft::Func> LowerFunc(InstanceState* inst, Func::Impl* target, const CanonDef& c,
                                 const Spaces& sp);

  StoreBase& store_;
  const Component::Impl& comp_;
  const ComponentFile& file_;
  ComponentStoreState& state_;
  uint32_t depth_ = 0;
};

namespace {
/// True if `have` (a store function's runtime type) is `want` (an import's), without the
/// public types' vectors that ImportMatches(TypeOfExtern(...)) would allocate.
bool SameFuncType(const wasm::FuncType& have, const wasm::FuncType& want) {
  return have.params == want.params && have.results == want.results;
}
bool SameKinds(const std::vector<wasm::ValType>& have, const std::vector<ValKind>& want) {
  if (have.size() != want.size()) return false;
  for (size_t i = 0; i < have.size(); ++i) {
    if (weft::api::ToKind(have[i]) != want[i]) return false;
  }
  return true;
}
}  // namespace

Error Instantiator::CoreInstance(Spaces& sp, const CoreInstanceDef& d, uint64_t off) {
  CoreInst ci;
  if (!d.instantiate) {
    for (const auto& e : d.exports) {
      switch (e.sort) {
        case CoreSort::kFunc:
          if (e.index >= sp.core_funcs.size()) return Bad(off, "core func index out of range");
          break;
        case CoreSort::kTable:
          if (e.index >= sp.core_tables.size()) return Bad(off, "core table index out of range");
          break;
        case CoreSort::kMemory:
          if (e.index >= sp.core_memories.size()) return Bad(off, "core memory index out of range");
          break;
        case CoreSort::kGlobal:
          if (e.index >= sp.core_globals.size()) return Bad(off, "core global index out of range");
          break;
        default:
          return Bad(off, "unsupported core export sort in an inline core instance");
      }
    }
    ci.inline_def = &d;
    sp.core_instances.push_back(ci);
    return Error();
  }
  if (d.module >= sp.core_modules.size()) return Bad(off, "core module index out of range");
  uint32_t mod = sp.core_modules[d.module];
  const std::vector<ImportType>& imports = comp_.module_imports[mod];
  const wasm::Module& wm = comp_.modules[mod].raw()->module;
  std::vector<weft::Extern>& externs = sp.externs;
  externs.clear();
  externs.reserve(imports.size());
  for (size_t i = 0; i < imports.size(); ++i) {
    const ImportType& imp = imports[i];
    const CoreInst* src = nullptr;
    for (const auto& a : d.args) {
      if (a.name == imp.module) {
        if (a.instance >= sp.core_instances.size()) return Bad(off, "core instance out of range");
        src = &sp.core_instances[a.instance];
        break;
      }
    }
    if (src == nullptr) {
      return Error::Make(ErrorCode::kUnlinkable,
                         "core module " + std::to_string(mod) + " imports `" + imp.module +
                             "`, which its instantiation does not supply",
                         off);
    }
    std::optional<weft::Extern> x = sp.CoreExport(*src, imp.name);
    if (!x) {
      return Error::Make(ErrorCode::kUnlinkable,
                         "core module " + std::to_string(mod) + " imports `" + imp.module +
                             "::" + imp.name + "`, which the argument instance does not export",
                         off);
    }
    // Functions (nearly every import) compare their runtime types directly; the rest, and
    // any mismatch (for its message), go through the public types.
    bool fast_match = x->kind == ExternKind::kFunc && imp.type.kind == ExternKind::kFunc &&
                      !x->func.is_null() && wm.imports[i].kind == wasm::ExternKind::kFunc &&
                      SameFuncType(*x->func.raw()->type, wm.types[wm.imports[i].type_index]);
    if (!fast_match && !weft::api::ImportMatches(weft::api::TypeOfExtern(*x), imp.type)) {
      return Error::Make(ErrorCode::kUnlinkable,
                         "core module " + std::to_string(mod) + " import `" + imp.module + "::" +
                             imp.name + "`: incompatible import type (expected " +
                             imp.type.ToString() + ", got " +
                             weft::api::TypeOfExtern(*x).ToString() + ")",
                         off);
    }
    externs.push_back(*x);
  }
  auto inst = weft::api::InstantiateModule(store_, comp_.modules[mod], externs);
  if (!inst.ok()) return std::move(inst).error();
  ci.inst = *inst;
  ci.export_index = &comp_.module_exports[mod];
  sp.core_instances.push_back(ci);
  return Error();
}

Expected<weft::Func> Instantiator::LowerFunc(InstanceState* inst, Func::Impl* target,
                                             const CanonDef& c, const Spaces& sp) {
  auto li = std::make_unique<LoweredImport>();
  li->inst = inst;
  li->target = target;
  li->type = c.type;
  li->enc = c.encoding;
  // Every validated `canon lower` has its type resolved, and its core type was computed
  // once per component (PrepareComponent).
  auto info = comp_.lower_info.find(&c);
  if (info == comp_.lower_info.end()) {
    return Error::Make(ErrorCode::kInvalid, "canon lower: the lowered function's type is unresolved");
  }
  const Component::Impl::CoreFuncInfo& lower = info->second;
  li->result_kinds = &lower.core_type.results;
  if (c.memory >= 0) {
    if (static_cast<size_t>(c.memory) >= sp.core_memories.size()) {
      return Error::Make(ErrorCode::kInvalid, "canon lower: memory index out of range");
    }
    li->memory = sp.core_memories[c.memory];
  }
  if (c.realloc >= 0) {
    if (static_cast<size_t>(c.realloc) >= sp.core_funcs.size()) {
      return Error::Make(ErrorCode::kInvalid, "canon lower: realloc index out of range");
    }
    li->realloc = sp.core_funcs[c.realloc];
  }
  LoweredImport* l = li.get();
  state_.lowered.push_back(std::move(li));
  HostCallback cb = [l](CallerBase& caller, std::span<const weft::Val> args,
                        std::span<weft::Val> out) -> Error {
    if (!l->inst->may_leave) return Trap("cannot leave component instance");
    ScratchLease sc;
    return CallLowered(*caller.store(), caller, l->inst, l->target, l->type, l->memory,
                       l->realloc, l->enc, *l->result_kinds, args, out, *sc);
  };
  return weft::Func(weft::api::NewInstanceHostFuncInst(*store_.raw(), lower.type_id,
                                                       lower.wasm_type, lower.core_type,
                                                       std::move(cb)));
}

Error Instantiator::Canon(Spaces& sp, InstanceState* inst, const CanonDef& c, uint64_t off) {
  auto core_func = [&](int64_t i, const char* what) -> Expected<weft::Func> {
    if (i < 0) return weft::Func();
    if (static_cast<size_t>(i) >= sp.core_funcs.size()) {
      return Bad(off, std::string(what) + " index out of range");
    }
    return sp.core_funcs[i];
  };
  if (c.async || c.callback >= 0) {
    return Error::Make(ErrorCode::kUnlinkable,
                       std::string("unsupported canonical option `async` on canon ") +
                           (c.kind == CanonDef::Kind::kLift ? "lift" : "lower"),
                       off);
  }
  switch (c.kind) {
    case CanonDef::Kind::kLift: {
      Func::Impl* f = NewFunc();
      f->type = c.type;
      f->inst = inst;
      WEFT_TRY_ASSIGN(f->core, core_func(c.func, "canon lift core func"));
      if (f->core.is_null()) return Bad(off, "canon lift without a core function");
      if (c.memory >= 0) {
        if (static_cast<size_t>(c.memory) >= sp.core_memories.size()) {
          return Bad(off, "canon lift memory index out of range");
        }
        f->memory = sp.core_memories[c.memory];
      }
      WEFT_TRY_ASSIGN(f->realloc, core_func(c.realloc, "realloc"));
      WEFT_TRY_ASSIGN(f->post_return, core_func(c.post_return, "post-return"));
      f->encoding = c.encoding;
      abi::FlatFuncType ft = abi::FlattenFuncType(c.type, /*lower=*/false);
      f->core_params = CoreKinds(ft.params);
      f->core_results = CoreKinds(ft.results);
      if (!SameKinds(f->core.raw()->type->params, f->core_params) ||
          !SameKinds(f->core.raw()->type->results, f->core_results)) {
        return Bad(off, "canon lift: core function type " + f->core.type().ToString() +
                            " does not match the lifted type " + TypeToString(c.type));
      }
      sp.funcs.push_back(f);
      return Error();
    }
    case CanonDef::Kind::kLower: {
      if (c.func >= sp.funcs.size()) return Bad(off, "canon lower func index out of range");
      WEFT_TRY_ASSIGN(weft::Func f, LowerFunc(inst, sp.funcs[c.func], c, sp));
      sp.core_funcs.push_back(f);
      return Error();
    }
    case CanonDef::Kind::kResourceNew:
    case CanonDef::Kind::kResourceDrop:
    case CanonDef::Kind::kResourceRep: {
      ResourceType rt = inst->Resolve(c.type);
      if (rt.is_null()) return Bad(off, "canon resource.*: unknown resource type");
      HostCallback cb;
      if (c.kind == CanonDef::Kind::kResourceNew) {
        cb = [inst, rt](CallerBase&, std::span<const weft::Val> a,
                        std::span<weft::Val> r) -> Error {
          if (!inst->may_leave) return Trap("cannot leave component instance");
          HandleEntry e;
          e.res = ResourceAny{rt, static_cast<uint32_t>(a[0].i32())};
          e.own = true;
          r[0] = weft::Val::I32(static_cast<int32_t>(inst->table.Insert(e)));
          return Error();
        };
      } else if (c.kind == CanonDef::Kind::kResourceDrop) {
        cb = [inst, rt](CallerBase& caller, std::span<const weft::Val> a,
                        std::span<weft::Val>) -> Error {
          if (!inst->may_leave) return Trap("cannot leave component instance");
          return DropHandle(*caller.store(), inst, rt, static_cast<uint32_t>(a[0].i32()), &caller);
        };
      } else {
        cb = [inst, rt](CallerBase&, std::span<const weft::Val> a,
                        std::span<weft::Val> r) -> Error {
          if (!inst->may_leave) return Trap("cannot leave component instance");
          uint32_t h = static_cast<uint32_t>(a[0].i32());
          WEFT_TRY_ASSIGN(HandleEntry * e, inst->table.Get(h));
          if (e->res.type != rt) {
            return Trap("resource.rep: handle " + std::to_string(h) + " is of another type");
          }
          r[0] = weft::Val::I32(static_cast<int32_t>(e->res.rep));
          return Error();
        };
      }
      // Types made at compile time: no engine lock per instantiation.
      const Component::Impl::CoreFuncInfo& sig =
          c.kind == CanonDef::Kind::kResourceDrop ? comp_.i32_to_none : comp_.i32_to_i32;
      sp.core_funcs.push_back(weft::Func(weft::api::NewInstanceHostFuncInst(
          *store_.raw(), sig.type_id, sig.wasm_type, sig.core_type, std::move(cb))));
      return Error();
    }
    case CanonDef::Kind::kOther:
      return Error::Make(ErrorCode::kUnlinkable,
                         std::string("unsupported canonical built-in `") + CanonName(c.opcode) + "`",
                         off);
  }
  return Error();
}

}  // namespace

void PrepareComponent(Engine& engine, Component::Impl& impl) {
  auto info = [&engine](weft::FuncType type) {
    Component::Impl::CoreFuncInfo i;
    i.core_type = std::move(type);
    i.wasm_type = weft::api::ToWasm(i.core_type);
    i.type_id = engine.raw()->InternType(i.wasm_type);
    return i;
  };
  impl.i32_to_i32 = info(weft::FuncType{{ValKind::kI32}, {ValKind::kI32}});
  impl.i32_to_none = info(weft::FuncType{{ValKind::kI32}, {}});
  impl.module_exports.resize(impl.modules.size());
  for (size_t m = 0; m < impl.modules.size(); ++m) {
    const wasm::Module& mod = impl.modules[m].raw()->module;
    auto& index = impl.module_exports[m];
    index.reserve(mod.exports.size());
    for (uint32_t i = 0; i < mod.exports.size(); ++i) index.emplace(mod.exports[i].name, i);
  }
  Component::Impl::Counts& n = impl.counts;
  n.instances = n.cinstances = 1;  // the root
  for (const auto& cd : impl.file->components) {
    for (const CanonDef& c : cd->canons) {
      n.lowered += c.kind == CanonDef::Kind::kLower;
      n.funcs += c.kind == CanonDef::Kind::kLift;
      if (c.kind != CanonDef::Kind::kLower || c.type == nullptr) continue;
      abi::FlatFuncType ft = abi::FlattenFuncType(c.type, /*lower=*/true);
      impl.lower_info.emplace(&c, info(weft::FuncType{CoreKinds(ft.params), CoreKinds(ft.results)}));
    }
    for (const InstanceDef& d : cd->instances) {
      n.instances += d.instantiate;
      ++n.cinstances;
    }
  }
}

namespace {

Expected<Instance::Impl*> Instantiator::Run(uint32_t comp_id,
                                            std::span<const InstantiateArg> args,
                                            InstanceState* parent) {
  if (++depth_ > 100) return Error::Make(ErrorCode::kLimit, "components nested too deeply");
  const ComponentDef& cd = *file_.components[comp_id];
  state_.instances.push_back(std::make_unique<InstanceState>());
  InstanceState* inst = state_.instances.back().get();
  inst->parent = parent;
  Instance::Impl* self = NewInstance();
  self->state = inst;
  self->exports.reserve(cd.exports.size());
  self->descs.reserve(cd.exports.size());
  SpacesLease lease;
  Spaces& sp = *lease;

  for (const Definition& def : cd.defs) {
    uint64_t off = def.offset;
    switch (def.kind) {
      case Definition::Kind::kCoreModule:
        sp.core_modules.push_back(cd.core_modules[def.index].module);
        break;
      case Definition::Kind::kCoreInstance:
        WEFT_TRY(CoreInstance(sp, cd.core_instances[def.index], off));
        break;
      case Definition::Kind::kCoreType:
        break;  // core types only matter to validation
      case Definition::Kind::kComponent:
        sp.components.push_back(cd.components[def.index]);
        break;
      case Definition::Kind::kInstance: {
        const InstanceDef& d = cd.instances[def.index];
        if (d.instantiate) {
          if (d.component >= sp.components.size()) return Bad(off, "component index out of range");
          std::vector<InstantiateArg>& inner = sp.inner_args;
          inner.clear();
          inner.reserve(d.args.size());
          for (const auto& a : d.args) {
            WEFT_TRY_ASSIGN(CItem it, ItemAt(sp, a.item, off));
            SetArg(inner, a.name, it);
          }
          WEFT_TRY_ASSIGN(Instance::Impl * ci, Run(sp.components[d.component], inner, inst));
          sp.instances.push_back(ci);
        } else {
          Instance::Impl* ci = NewInstance();
          ci->exports.reserve(d.exports.size());
          ci->descs.reserve(d.exports.size());
          for (const auto& e : d.exports) {
            WEFT_TRY_ASSIGN(CItem it, ItemAt(sp, e.item, off));
            ci->exports.emplace_back(e.name, it);
            ci->descs.push_back(ExternDesc{e.name, it.sort, it.type});
          }
          sp.instances.push_back(ci);
        }
        break;
      }
      case Definition::Kind::kAlias: {
        const AliasDef& a = cd.aliases[def.index];
        if (a.kind == AliasDef::Kind::kCoreExport) {
          if (a.instance >= sp.core_instances.size()) return Bad(off, "core instance out of range");
          std::optional<weft::Extern> x = sp.CoreExport(sp.core_instances[a.instance], a.name);
          if (!x) return Bad(off, "core instance has no export `" + a.name + "`");
          switch (a.sort.core_sort) {
            case CoreSort::kFunc: sp.core_funcs.push_back(x->func); break;
            case CoreSort::kTable: sp.core_tables.push_back(x->table); break;
            case CoreSort::kMemory: sp.core_memories.push_back(x->memory); break;
            case CoreSort::kGlobal: sp.core_globals.push_back(x->global); break;
            default: return Bad(off, "unsupported core alias sort");
          }
        } else if (a.kind == AliasDef::Kind::kExport) {
          if (a.instance >= sp.instances.size()) return Bad(off, "instance index out of range");
          const CItem* it = sp.instances[a.instance]->Find(a.name);
          if (it == nullptr) return Bad(off, "instance has no export `" + a.name + "`");
          CItem copy = *it;
          if (copy.sort == ExternSort::kType) {
            // An `(eq t)` export carries no run-time type of its own: t's binding is it.
            if (copy.rt.is_null() && copy.type != nullptr) copy.rt = inst->Resolve(copy.type);
            if (copy.rt.is_null() && a.type != nullptr) copy.rt = inst->Resolve(a.type);
            if (a.type != nullptr && !copy.rt.is_null()) inst->resources[a.type] = copy.rt;
            if (a.type != nullptr) copy.type = a.type;
          }
          PushItem(sp, copy);
        } else {  // outer
          if (a.sort.sort == Sort::kType) {
            CItem it;
            it.sort = ExternSort::kType;
            it.type = a.type;
            if (a.type != nullptr) it.rt = inst->Resolve(a.type);
            sp.types.push_back(it);
          } else if (a.sort.sort == Sort::kComponent) {
            sp.components.push_back(a.outer_target);
          } else if (a.sort.sort == Sort::kCore && a.sort.core_sort == CoreSort::kModule) {
            sp.core_modules.push_back(a.outer_target);
          }
          // Outer aliases of core types only matter to validation.
        }
        break;
      }
      case Definition::Kind::kType: {
        const TypeDefn& t = cd.types[def.index];
        if (t.core) break;
        CItem it;
        it.sort = ExternSort::kType;
        it.type = t.type;
        if (t.type != nullptr && t.type->kind == TypeKind::kResource && !t.type->abstract) {
          auto rt = std::make_unique<RtResource>();
          rt->type = ResourceType{rt.get()};
          rt->owner = inst;
          rt->name = t.type->name;
          if (t.type->resource_dtor >= 0) {
            if (static_cast<size_t>(t.type->resource_dtor) >= sp.core_funcs.size()) {
              return Bad(off, "resource dtor index out of range");
            }
            rt->dtor = sp.core_funcs[t.type->resource_dtor];
          }
          it.rt = rt->type;
          inst->resources[t.type] = it.rt;
          state_.resources[rt.get()] = std::move(rt);
        }
        sp.types.push_back(it);
        break;
      }
      case Definition::Kind::kCanon:
        WEFT_TRY(Canon(sp, inst, cd.canons[def.index], off));
        break;
      case Definition::Kind::kStart:
        return Bad(off, "component start functions (value definitions) are not supported");
      case Definition::Kind::kImport: {
        const ImportDef& d = cd.imports[def.index];
        const InstantiateArg* found = FindArg(args, d.desc.name, def.index);
        if (found == nullptr) return Bad(off, "missing argument for import `" + d.desc.name + "`");
        CItem it = found->item;
        if (d.desc.sort == ExternSort::kType) {
          if (d.desc.type != nullptr && d.desc.type->kind == TypeKind::kResource &&
              !it.rt.is_null()) {
            inst->resources[d.desc.type] = it.rt;
          }
          if (it.rt.is_null() && d.desc.type != nullptr) it.rt = inst->Resolve(d.desc.type);
          it.type = d.desc.type;
        } else if (d.desc.sort == ExternSort::kInstance && it.instance != nullptr &&
                   d.desc.type != nullptr) {
          for (const ExternDesc& e : d.desc.type->exports) {
            if (e.sort != ExternSort::kType || e.type == nullptr ||
                e.type->kind != TypeKind::kResource) {
              continue;
            }
            const CItem* x = it.instance->Find(e.name);
            if (x == nullptr) continue;
            ResourceType rt = x->rt;
            if (rt.is_null() && x->type != nullptr && x->instance == nullptr) {
              // (eq t) exports of a host instance: t was bound by an earlier import.
              rt = inst->Resolve(x->type);
            }
            if (!rt.is_null()) inst->resources[e.type] = rt;
          }
        }
        if (it.sort != d.desc.sort) {
          return Bad(off, "argument for import `" + d.desc.name + "` is of the wrong sort");
        }
        PushItem(sp, it);
        break;
      }
      case Definition::Kind::kExport: {
        const ExportDef& e = cd.exports[def.index];
        WEFT_TRY_ASSIGN(CItem it, ItemAt(sp, e.item, off));
        if (it.sort == ExternSort::kType) {
          if (e.type != nullptr && !it.rt.is_null()) inst->resources[e.type] = it.rt;
          if (e.ascribed != nullptr && !it.rt.is_null()) inst->resources[e.ascribed] = it.rt;
        }
        self->exports.emplace_back(e.name, it);
        self->descs.push_back(
            ExternDesc{e.name, it.sort, e.ascribed != nullptr ? e.ascribed : e.type});
        if (it.sort == ExternSort::kType && e.type != nullptr) it.type = e.type;
        PushItem(sp, it);
        break;
      }
    }
  }
  --depth_;
  return self;
}

}  // namespace
}  // namespace api

// ---------------------------------------------------------------------------------------------
// InstancePre::Instantiate, Func::Call / CallAsync / FinishAsync

namespace api {

namespace {
/// Adds host resource type `r` to `types` (the first definition of an id names it; the last
/// one with a dtor supplies the dtor).
void AddHostResource(std::unordered_map<const void*, std::unique_ptr<RtResource>>& types,
                     const std::shared_ptr<const HostResourceDef>& r) {
  auto& slot = types[r->type.id];
  if (!slot) {
    slot = std::make_unique<RtResource>();
    slot->type = r->type;
    slot->name = r->name;
    slot->keep = r;
  }
  if (r->dtor) slot->host_dtor = r->dtor;
}
}  // namespace

Error PrepareImports(InstancePreBase::Impl& pre) {
  auto p = std::make_shared<PreparedImports>();
  const ComponentDef& root = pre.component.impl()->file->root();
  auto new_func = [&]() {
    p->funcs.push_back(std::make_unique<Func::Impl>());
    return p->funcs.back().get();
  };
  for (size_t i = 0; i < root.imports.size(); ++i) {
    const ExternDesc& d = root.imports[i].desc;
    const ResolvedImport& r = pre.imports[i];
    CItem it;
    it.sort = d.sort;
    it.type = d.type;
    switch (d.sort) {
      case ExternSort::kFunc: {
        Func::Impl* f = new_func();
        f->type = d.type;
        f->host = r.func;
        f->name = d.name;
        it.func = f;
        break;
      }
      case ExternSort::kType:
        if (r.resource) {
          p->resources.push_back(r.resource);
          it.rt = r.resource->type;
        }
        break;
      case ExternSort::kInstance: {
        p->instances.push_back(std::make_unique<Instance::Impl>());
        Instance::Impl* ci = p->instances.back().get();
        ci->index.reserve(d.type->exports.size());
        for (const ExternDesc& e : d.type->exports) {
          CItem x;
          x.sort = e.sort;
          x.type = e.type;
          if (e.sort == ExternSort::kFunc) {
            auto f_it = r.funcs.find(e.name);
            if (f_it == r.funcs.end()) continue;
            Func::Impl* f = new_func();
            f->type = e.type;
            f->host = f_it->second;
            f->name = d.name + "#" + e.name;
            x.func = f;
          } else if (e.sort == ExternSort::kType) {
            auto r_it = r.resources.find(e.name);
            if (r_it != r.resources.end()) {
              p->resources.push_back(r_it->second);
              x.rt = r_it->second->type;
            }
          }
          ci->exports.emplace_back(e.name, x);
          ci->descs.push_back(e);
          // Keys view the type's names (the component outlives this); the first of equal
          // names wins, as in the linear search.
          ci->index.try_emplace(std::string_view(e.name),
                                static_cast<uint32_t>(ci->exports.size() - 1));
        }
        it.instance = ci;
        break;
      }
      default:
        return Error::Make(ErrorCode::kUnlinkable, "unsupported import `" + d.name + "`");
    }
    SetArg(p->args, d.name, it);
  }
  // As RegisterHostResources would register them in a store, once.
  for (const auto& r : p->resources) AddHostResource(p->host_resources, r);
  pre.prepared = std::move(p);
  return Error();
}

/// Registers `prepared`'s host resource types in the store (a store of several InstancePres).
void RegisterHostResources(ComponentStoreState& state, const PreparedImports& prepared) {
  for (const auto& r : prepared.resources) AddHostResource(state.resources, r);
}

}  // namespace api

Expected<Instance> InstancePreBase::Instantiate(StoreBase& store) const {
  if (!impl_) return Error::Make(ErrorCode::kArgument, "empty InstancePre");
  const Component::Impl& comp = *impl_->component.impl();
  api::ComponentStoreState& state = api::ComponentState(store);
  bool retained = false;
  for (const auto& c : state.components) retained |= c.get() == &comp;
  if (!retained) state.components.push_back(impl_->component.impl());
  const api::PreparedImports& prepared = *impl_->prepared;
  retained = false;
  for (const auto& p : state.prepared) retained |= p.get() == &prepared;
  if (!retained) {
    // The store's first InstancePre's host resource types stay shared (FindResource looks
    // in it); a second one makes the store register every host type itself, the first's
    // included, so that the last InstancePre with a dtor for a type supplies it.
    if (state.prepared.size() == 1) api::RegisterHostResources(state, *state.prepared[0]);
    state.prepared.push_back(impl_->prepared);
  }
  if (state.prepared.size() > 1) api::RegisterHostResources(state, prepared);
  auto reserve = [](auto& v, size_t n) {
    if (v.capacity() < v.size() + n) v.reserve(std::max(v.size() + n, 2 * v.capacity()));
  };
  reserve(state.lowered, comp.counts.lowered);
  reserve(state.funcs, comp.counts.funcs);
  reserve(state.instances, comp.counts.instances);
  reserve(state.cinstances, comp.counts.cinstances);
  api::Instantiator in(store, comp);
  auto inst = in.Run(0, prepared.args, nullptr);
  if (!inst.ok()) return std::move(inst).error();
  return Instance(*inst);
}

Error ResourceDrop(StoreBase& store, const ResourceAny& resource) {
  api::RtResource* res = api::ComponentState(store).FindResource(resource.type);
  if (res == nullptr) {
    return Error::Make(ErrorCode::kArgument, "ResourceDrop: resource type unknown to this store");
  }
  if (res->owner != nullptr) {
    if (res->dtor.is_null()) return Error();
    if (!res->owner->may_enter) return api::Trap("cannot enter component instance (resource dtor)");
    weft::Val arg[1] = {weft::Val::I32(static_cast<int32_t>(resource.rep))};
    res->owner->may_enter = false;
    Error e = res->dtor.Call(store, std::span<const weft::Val>(arg, 1), std::span<weft::Val>());
    res->owner->may_enter = true;
    return e;
  }
  if (res->host_dtor) res->host_dtor(nullptr, store, resource.rep);
  return Error();
}

namespace {
/// The host's arguments to a component function: arity and each value against its type.
Error CheckParams(TypeRef func, std::span<const Val> params) {
  if (params.size() != func->fields.size()) {
    return Error::Make(ErrorCode::kArgument, "expected " + std::to_string(func->fields.size()) +
                                                 " arguments, got " +
                                                 std::to_string(params.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    Error e = CheckVal(params[i], func->fields[i].type);
    if (!e.ok()) {
      return Error::Make(ErrorCode::kArgument,
                         "argument `" + func->fields[i].name + "`: " + e.message());
    }
  }
  return Error();
}
}  // namespace

Error Func::Call(StoreBase& store, std::span<const Val> params, std::vector<Val>& results) const {
  if (impl_ == nullptr) return Error::Make(ErrorCode::kArgument, "null component function");
  WEFT_TRY(CheckParams(impl_->type, params));
  return api::CallComponentFunc(store, impl_, params, results, nullptr);
}

Expected<std::unique_ptr<AsyncCall>> Func::CallAsync(StoreBase& store,
                                                     std::vector<Val> params) const {
  if (impl_ == nullptr) return Error::Make(ErrorCode::kArgument, "null component function");
  if (impl_->host) {
    return Error::Make(ErrorCode::kArgument, "CallAsync of a re-exported host function");
  }
  WEFT_TRY(CheckParams(impl_->type, params));
  auto scope = std::make_unique<api::CallScope>();
  std::vector<weft::Val> core_args;
  WEFT_TRY(api::EnterLifted(store, impl_, params, scope.get(), core_args));
  impl_->async_scope = std::move(scope);
  auto call = impl_->core.CallAsync(store, std::move(core_args));
  if (!call.ok()) {
    api::AbandonCall(impl_->inst, impl_->async_scope.get());
    impl_->async_scope.reset();
  }
  return call;
}

Error Func::FinishAsync(StoreBase& store, AsyncCall& call, std::vector<Val>& results) const {
  if (impl_ == nullptr || impl_->host) {
    return Error::Make(ErrorCode::kArgument, "FinishAsync on a function that was not started");
  }
  if (call.state() != AsyncCall::State::kDone) {
    return Error::Make(ErrorCode::kArgument, "FinishAsync before the call is done");
  }
  if (!impl_->async_scope) {
    return Error::Make(ErrorCode::kArgument, "FinishAsync without a CallAsync in flight");
  }
  Error e;
  if (!call.error().ok()) {
    api::AbandonCall(impl_->inst, impl_->async_scope.get());
    e = call.error();
  } else {
    e = api::ExitLifted(store, impl_, call.results(), impl_->async_scope.get(), results);
  }
  impl_->async_scope.reset();
  return e;
}

}  // namespace weft::component
