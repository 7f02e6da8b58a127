// Linker (definitions by module and name, import resolution with the spec's import matching)
// and instantiation (spec section 4.5.4 for WebAssembly 2.0).
#include <algorithm>
#include <cstring>
#include <map>

#include "api/internal.h"

namespace weft {

struct InstancePreBase::Def {
  ExternKind kind = ExternKind::kFunc;
  /// A store object (store != null), or null for a store-independent host function.
  Extern item;
  runtime::Store* store = nullptr;
  /// Store-independent host function: shared by the FuncInsts made in each store.
  std::shared_ptr<runtime::HostFunc> host;
  wasm::FuncType host_type;
  uint32_t host_type_id = 0;  ///< Interned once here, not per store.
};

struct LinkerBase::Impl {
  Engine* engine;
  bool allow_shadowing = false;
  std::map<std::string, std::shared_ptr<const InstancePreBase::Def>, std::less<>> defs;
};

namespace {

std::string Key(std::string_view module, std::string_view name) {
  std::string k;
  k.reserve(module.size() + name.size() + 1);
  k.append(module);
  k.push_back('\0');
  k.append(name);
  return k;
}

std::string Quote(std::string_view module, std::string_view name) {
  // Built with append: g++-12 reports a false -Wrestrict on chained operator+ here.
  std::string q;
  q.reserve(module.size() + name.size() + 5);
  q.append("\"").append(module).append("\" \"").append(name).append("\"");
  return q;
}

bool LimitsMatch(const Limits& actual, const Limits& wanted) {
  if (actual.min < wanted.min) return false;
  if (!wanted.max) return true;
  return actual.max && *actual.max <= *wanted.max;
}

}  // namespace

namespace api {

ExternType TypeOfExtern(const Extern& e) {
  ExternType t;
  t.kind = e.kind;
  switch (e.kind) {
    case ExternKind::kFunc:
      t.func = e.func.type();
      break;
    case ExternKind::kTable:
      t.table = e.table.type();
      break;
    case ExternKind::kMemory:
      t.memory = e.memory.type();
      break;
    case ExternKind::kGlobal:
      t.global = e.global.type();
      break;
  }
  return t;
}

bool ImportMatches(const ExternType& actual, const ExternType& wanted) {
  if (actual.kind != wanted.kind) return false;
  switch (wanted.kind) {
    case ExternKind::kFunc:
      return actual.func == wanted.func;
    case ExternKind::kTable:
      return actual.table.elem == wanted.table.elem &&
             LimitsMatch(actual.table.limits, wanted.table.limits);
    case ExternKind::kMemory:
      return LimitsMatch(actual.memory.limits, wanted.memory.limits);
    case ExternKind::kGlobal:
      return actual.global.type == wanted.global.type && actual.global.mut == wanted.global.mut;
  }
  return false;
}

namespace {

bool IsNull(const Extern& e) {
  switch (e.kind) {
    case ExternKind::kFunc:
      return e.func.is_null();
    case ExternKind::kTable:
      return e.table.is_null();
    case ExternKind::kMemory:
      return e.memory.is_null();
    case ExternKind::kGlobal:
      return e.global.is_null();
  }
  return true;
}

runtime::Store* StoreOf(const Extern& e) {
  switch (e.kind) {
    case ExternKind::kFunc:
      return e.func.raw()->store;
    case ExternKind::kTable:
      return e.table.raw()->store;
    case ExternKind::kMemory:
      return e.memory.raw()->store;
    case ExternKind::kGlobal:
      return e.global.raw()->store;
  }
  return nullptr;
}

// Evaluates a constant expression into two slots (spec 4.5.4 step: auxiliary frame with the
// imported globals and all functions of the new instance).
void EvalConst(const wasm::ConstExpr& e, const runtime::Instance& inst, uint64_t out[2]) {
  out[1] = 0;
  switch (e.kind) {
    case wasm::ConstExpr::Kind::kI32:
    case wasm::ConstExpr::Kind::kF32:
      out[0] = e.bits & 0xffffffffu;
      break;
    case wasm::ConstExpr::Kind::kI64:
    case wasm::ConstExpr::Kind::kF64:
      out[0] = e.bits;
      break;
    case wasm::ConstExpr::Kind::kV128:
      out[0] = e.bits;
      out[1] = e.bits_hi;
      break;
    case wasm::ConstExpr::Kind::kRefNull:
      out[0] = 0;
      break;
    case wasm::ConstExpr::Kind::kRefFunc:
      out[0] = reinterpret_cast<uintptr_t>(inst.funcs[e.index]);
      break;
    case wasm::ConstExpr::Kind::kGlobalGet: {
      const runtime::GlobalInst* g = inst.globals[e.index];
      out[0] = g->value[0];
      out[1] = g->value[1];
      break;
    }
  }
}

Error Trap(runtime::TrapCode code) {
  return Error::Make(ErrorCode::kTrap, runtime::TrapMessage(code));
}

}  // namespace

Expected<Instance> InstantiateModule(StoreBase& store, const Module& module,
                                     std::span<const Extern> imports) {
  runtime::Store* s = store.raw();
  const std::shared_ptr<const runtime::CompiledModule>& cm = module.raw();
  if (!cm) return Error::Make(ErrorCode::kArgument, "module is empty");
  const wasm::Module& m = cm->module;
  if (cm->engine != s->engine) {
    return Error::Make(ErrorCode::kArgument, "module and store belong to different engines");
  }
  if (imports.size() != m.imports.size()) {
    return Error::Make(ErrorCode::kUnlinkable, "expected " + std::to_string(m.imports.size()) +
                                                   " imports, got " +
                                                   std::to_string(imports.size()));
  }
  // Limits first, so that a refused instantiation leaves no trace in the store.
  if (s->instances.size() >= s->limits.max_instances) {
    return Error::Make(ErrorCode::kLimit,
                       "instance limit of " + std::to_string(s->limits.max_instances) + " reached");
  }
  for (const wasm::MemoryType& mt : m.memories) {
    if (mt.limits.min > s->limits.max_memory_bytes / 65536) {
      return Error::Make(ErrorCode::kLimit, "memory minimum of " + std::to_string(mt.limits.min) +
                                                " pages exceeds the store limit of " +
                                                std::to_string(s->limits.max_memory_bytes) +
                                                " bytes");
    }
  }
  for (const wasm::TableType& tt : m.tables) {
    if (tt.limits.min > s->limits.max_table_elements) {
      return Error::Make(ErrorCode::kLimit, "table minimum of " + std::to_string(tt.limits.min) +
                                                " elements exceeds the store limit of " +
                                                std::to_string(s->limits.max_table_elements));
    }
  }

  runtime::Instance& inst = s->instances.emplace_back();
  inst.store = s;
  inst.module = cm;
  inst.funcs.reserve(m.num_funcs());
  inst.tables.reserve(m.all_tables.size());
  inst.memories.reserve(m.all_memories.size());
  inst.globals.reserve(m.all_globals.size());
  for (size_t i = 0; i < imports.size(); ++i) {
    const Extern& e = imports[i];
    if (IsNull(e) || static_cast<wasm::ExternKind>(e.kind) != m.imports[i].kind ||
        StoreOf(e) != s) {
      return Error::Make(ErrorCode::kArgument,
                         "import " + Quote(m.imports[i].module, m.imports[i].name) +
                             " is null, of the wrong kind or from another store");
    }
  }
  for (size_t i = 0; i < imports.size(); ++i) {
    const Extern& e = imports[i];
    switch (m.imports[i].kind) {
      case wasm::ExternKind::kFunc:
        inst.funcs.push_back(e.func.raw());
        break;
      case wasm::ExternKind::kTable:
        inst.tables.push_back(e.table.raw());
        break;
      case wasm::ExternKind::kMemory:
        inst.memories.push_back(e.memory.raw());
        break;
      case wasm::ExternKind::kGlobal:
        inst.globals.push_back(e.global.raw());
        break;
    }
  }
  // One block for the module's functions (not a node per function in the store).
  // (12,000 iterations for a componentize-js module: the tables are read through local
  // pointers because the stores below could alias them for the compiler.)
  const uint32_t num_funcs = m.num_funcs();
  const uint32_t* type_index = m.func_type_indices.data();
  const uint32_t* type_ids = cm->type_ids.data();
  const wasm::FuncType* types = m.types.data();
  inst.defined_funcs.reserve(num_funcs - m.num_imported_funcs);
  for (uint32_t i = m.num_imported_funcs; i < num_funcs; ++i) {
    runtime::FuncInst& f = inst.defined_funcs.emplace_back();
    f.type = &types[type_index[i]];
    f.type_id = type_ids[type_index[i]];
    f.store = s;
    f.instance = &inst;
    f.func_index = i;
    inst.funcs.push_back(&f);
  }
  // Defined tables written by element segments are initialised lazily where the module
  // allows it (CompiledModule::TablePlans): an entry is resolved when call_indirect first
  // meets it, or all at once before any other access.
  const std::vector<std::vector<uint32_t>>& table_plans = cm->TablePlans();
  for (size_t k = 0; k < m.tables.size(); ++k) {
    runtime::TableInst& t = s->tables.emplace_back();
    t.store = s;
    WEFT_TRY(t.Init(m.tables[k], s->limits.max_table_elements, 0));
    if (!table_plans.empty() && !table_plans[k].empty()) {
      t.lazy_funcs = table_plans[k].data();
      t.lazy_count = static_cast<uint32_t>(table_plans[k].size());
      t.lazy_instance = &inst;
    }
    inst.tables.push_back(&t);
  }
  // Defined memories start from their module's copy-on-write image where it has one (built
  // on the module's first instantiation); their active segments are then not copied below.
  const std::vector<runtime::MemoryInitPlan>& plans = cm->MemoryPlans();
  for (size_t k = 0; k < m.memories.size(); ++k) {
    runtime::MemoryInst& mem = s->memories.emplace_back();
    mem.store = s;
    WEFT_TRY(mem.Init(m.memories[k], s->limits.max_memory_bytes, plans[k].image.get()));
    inst.memories.push_back(&mem);
  }
  auto in_image = [&](uint32_t memory_index) {
    return memory_index >= m.num_imported_memories &&
           plans[memory_index - m.num_imported_memories].segments_in_image;
  };
  for (const wasm::Global& g : m.globals) {
    runtime::GlobalInst& gi = s->globals.emplace_back();
    gi.store = s;
    gi.type = g.type;
    EvalConst(g.init, inst, gi.value);
    inst.globals.push_back(&gi);
  }
  // Passive segments keep their evaluated references for table.init; active ones are
  // evaluated straight into their table below (constant expressions have no effects, so
  // evaluating them later gives the same values) and declarative ones are dropped at once.
  inst.elems.resize(m.elems.size());
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const wasm::ElemSegment& seg = m.elems[i];
    if (seg.mode != wasm::ElemSegment::Mode::kPassive) continue;
    auto& refs = inst.elems[i];
    refs.reserve(seg.items.size());
    uint64_t v[2];
    for (const wasm::ConstExpr& item : seg.items) {
      EvalConst(item, inst, v);
      refs.push_back(v[0]);
    }
  }
  inst.datas.reserve(m.datas.size());
  for (const wasm::DataSegment& d : m.datas) {
    inst.datas.emplace_back(m.bytes.data() + d.data_offset, d.data_size);
  }

  // Active element segments: table.init then elem.drop, in order; declarative ones are
  // dropped. A failing segment traps but keeps the effects of the earlier ones.
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const wasm::ElemSegment& seg = m.elems[i];
    if (seg.mode == wasm::ElemSegment::Mode::kActive) {
      if (!table_plans.empty() && seg.table_index >= m.num_imported_tables) continue;  // lazy
      uint64_t off[2];
      EvalConst(seg.offset, inst, off);
      uint64_t offset = off[0] & 0xffffffffu;
      runtime::TableInst* t = inst.tables[seg.table_index];
      if (offset > t->elems.size() || seg.items.size() > t->elems.size() - offset) {
        // The data segments' turn never comes: memories must not show the images' bytes
        // (functions already placed in an imported table can still reach them).
        for (size_t k = 0; k < m.memories.size(); ++k) {
          if (!inst.memories[m.num_imported_memories + k]->DropImage()) {
            return Error::Make(ErrorCode::kLimit, "cannot reset a linear memory");
          }
        }
        return Trap(runtime::TrapCode::kOutOfBoundsTable);
      }
      uint64_t* out = t->elems.data() + offset;
      uint64_t v[2];
      for (const wasm::ConstExpr& item : seg.items) {
        EvalConst(item, inst, v);
        *out++ = v[0];
      }
    }
  }
  for (size_t i = 0; i < m.datas.size(); ++i) {
    const wasm::DataSegment& seg = m.datas[i];
    if (seg.mode != wasm::DataSegment::Mode::kActive) continue;
    if (in_image(seg.memory_index)) {
      inst.datas[i] = {};
      continue;
    }
    uint64_t off[2];
    EvalConst(seg.offset, inst, off);
    uint64_t offset = off[0] & 0xffffffffu;
    runtime::MemoryInst* mem = inst.memories[seg.memory_index];
    uint64_t n = seg.data_size;
    if (offset > mem->size || n > mem->size - offset) {
      return Trap(runtime::TrapCode::kOutOfBoundsMemory);
    }
    if (n != 0) std::memcpy(mem->base + offset, m.bytes.data() + seg.data_offset, n);
    inst.datas[i] = {};
  }
  if (m.start) {
    WEFT_TRY(CallFunc(store, inst.funcs[*m.start], {}, {}));
  }
  return Instance(&inst);
}

}  // namespace api

// ---------------------------------------------------------------------------------------------

LinkerBase::LinkerBase(Engine& engine) : impl_(std::make_unique<Impl>()) {
  impl_->engine = &engine;
}
LinkerBase::~LinkerBase() = default;
LinkerBase::LinkerBase(LinkerBase&&) noexcept = default;
LinkerBase& LinkerBase::operator=(LinkerBase&&) noexcept = default;

void LinkerBase::AllowShadowing(bool allow) { impl_->allow_shadowing = allow; }

// A template so that it may name LinkerBase's private types only through its arguments.
template <typename ImplT, typename DefPtr>
static Error AddDef(ImplT& impl, std::string_view module, std::string_view name, DefPtr def) {
  std::string key = Key(module, name);
  auto it = impl.defs.find(key);
  if (it != impl.defs.end()) {
    if (!impl.allow_shadowing) {
      return Error::Make(ErrorCode::kArgument, "duplicate definition of " + Quote(module, name));
    }
    it->second = std::move(def);
    return Error();
  }
  impl.defs.emplace(std::move(key), std::move(def));
  return Error();
}

Error LinkerBase::DefineFunc(std::string_view module, std::string_view name, const FuncType& type,
                             HostCallback callback) {
  auto def = std::make_shared<InstancePreBase::Def>();
  def->kind = ExternKind::kFunc;
  def->host = api::MakeHostFunc(type, std::move(callback));
  def->host_type = api::ToWasm(type);
  def->host_type_id = impl_->engine->raw()->InternType(def->host_type);
  return AddDef(*impl_, module, name, std::shared_ptr<const InstancePreBase::Def>(std::move(def)));
}

Error LinkerBase::Define(std::string_view module, std::string_view name, const Extern& item) {
  if (api::IsNull(item)) {
    return Error::Make(ErrorCode::kArgument, "cannot define " + Quote(module, name) + " as null");
  }
  auto def = std::make_shared<InstancePreBase::Def>();
  def->kind = item.kind;
  def->item = item;
  def->store = api::StoreOf(item);
  return AddDef(*impl_, module, name, std::shared_ptr<const InstancePreBase::Def>(std::move(def)));
}

Error LinkerBase::DefineInstance(std::string_view module, const Instance& instance) {
  for (auto& [name, ext] : instance.Exports()) WEFT_TRY(Define(module, name, ext));
  return Error();
}

Expected<InstancePreBase> LinkerBase::InstantiatePre(const Module& module) const {
  if (!module.raw()) return Error::Make(ErrorCode::kArgument, "module is empty");
  if (module.raw()->engine != impl_->engine->raw()) {
    return Error::Make(ErrorCode::kArgument, "module and linker belong to different engines");
  }
  const wasm::Module& m = module.raw()->module;
  InstancePreBase pre;
  pre.module_ = module;
  pre.imports_.reserve(m.imports.size());
  for (const wasm::Import& imp : m.imports) {
    auto it = impl_->defs.find(Key(imp.module, imp.name));
    if (it == impl_->defs.end()) {
      return Error::Make(ErrorCode::kUnlinkable, "unknown import: " + Quote(imp.module, imp.name));
    }
    const InstancePreBase::Def& def = *it->second;
    ExternType actual;
    if (def.host) {
      actual.kind = ExternKind::kFunc;
      actual.func = api::ToApi(def.host_type);
    } else {
      actual = api::TypeOfExtern(def.item);
    }
    if (!api::ImportMatches(actual, api::ImportTypeOf(m, imp))) {
      return Error::Make(ErrorCode::kUnlinkable, "incompatible import type for " +
                                                     Quote(imp.module, imp.name) + ": expected " +
                                                     api::ImportTypeOf(m, imp).ToString() +
                                                     ", got " + actual.ToString());
    }
    pre.imports_.push_back(it->second);
  }
  return pre;
}

Expected<Instance> LinkerBase::Instantiate(StoreBase& store, const Module& module) const {
  WEFT_TRY_ASSIGN(InstancePreBase pre, InstantiatePre(module));
  return pre.Instantiate(store);
}

Expected<Instance> InstancePreBase::Instantiate(StoreBase& store) const {
  runtime::Store* s = store.raw();
  StoreBase::State* st = store.state();
  std::vector<Extern> externs;
  externs.reserve(imports_.size());
  const wasm::Module& m = module_.raw()->module;
  for (size_t i = 0; i < imports_.size(); ++i) {
    const Def& def = *imports_[i];
    if (def.host) {
      auto [it, inserted] = st->linker_funcs.try_emplace(def.host.get(), nullptr);
      if (inserted)
        it->second = api::NewHostFuncInst(*s, def.host_type_id, def.host);
      externs.push_back(Extern::Of(Func(it->second)));
    } else {
      if (def.store != nullptr && def.store != s) {
        return Error::Make(ErrorCode::kArgument, "import " +
                                                     Quote(m.imports[i].module, m.imports[i].name) +
                                                     " is defined in a different store");
      }
      externs.push_back(def.item);
    }
  }
  return api::InstantiateModule(store, module_, externs);
}

}  // namespace weft
