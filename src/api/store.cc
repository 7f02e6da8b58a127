// StoreBase (limits, fuel, epoch deadlines) and the store-object handles: Memory, Table,
// Global, Instance, plus host-created memories, tables and globals.
#include <algorithm>

#include "api/internal.h"

namespace weft {

// The runtime store (and the host functions' environments) go before the API state: members
// are destroyed in reverse order.
struct StoreBase::Parts {
  explicit Parts(runtime::Engine* engine) : store(engine) {}
  State state;
  runtime::Store store;
};

StoreBase::StoreBase(Engine& engine)
    : engine_(&engine),
      parts_(std::make_unique<Parts>(engine.raw())),
      impl_(&parts_->store),
      state_(&parts_->state) {
  impl_->api = this;
  impl_->yield_hook = &api::YieldHook;
}

StoreBase::~StoreBase() = default;

StoreBase* StoreBase::FromRaw(runtime::Store* store) { return static_cast<StoreBase*>(store->api); }

void SetStoreUserData(runtime::Store* store, void* data) { store->user_data = data; }
void* GetStoreUserData(runtime::Store* store) { return store->user_data; }

void StoreBase::SetLimits(const StoreLimits& limits) {
  impl_->limits.max_memory_bytes = limits.max_memory_bytes;
  impl_->limits.max_table_elements = limits.max_table_elements;
  impl_->limits.max_instances = limits.max_instances;
}

Error StoreBase::SetFuel(uint64_t fuel) {
  if (!engine_->config().consume_fuel) {
    return Error::Make(ErrorCode::kArgument, "fuel is not enabled (Config::consume_fuel)");
  }
  impl_->fuel = fuel;
  return Error();
}

Expected<uint64_t> StoreBase::GetFuel() const {
  if (!engine_->config().consume_fuel) {
    return Error::Make(ErrorCode::kArgument, "fuel is not enabled (Config::consume_fuel)");
  }
  return impl_->fuel;
}

void StoreBase::SetEpochDeadline(uint64_t ticks_from_now) {
  uint64_t now = engine_->epoch();
  impl_->epoch_deadline = ticks_from_now > ~uint64_t{0} - now ? ~uint64_t{0} : now + ticks_from_now;
}

void StoreBase::SetDeadlineAction(DeadlineAction action, uint64_t ticks_after_yield) {
  impl_->deadline_action = action == DeadlineAction::kTrap ? runtime::DeadlineAction::kTrap
                                                           : runtime::DeadlineAction::kYield;
  impl_->yield_epoch_delta = ticks_after_yield == 0 ? 1 : ticks_after_yield;
  state_->restore_yield = false;
}

// ---------------------------------------------------------------------------------------------
// Memory

uint8_t* Memory::data() const { return m_->base; }
uint64_t Memory::size_bytes() const { return m_->size; }
uint64_t Memory::size_pages() const { return m_->pages(); }

Expected<uint64_t> Memory::Grow(uint64_t delta_pages) const {
  int64_t old = m_->Grow(delta_pages);
  if (old < 0) {
    return Error::Make(ErrorCode::kLimit, "memory cannot grow by " + std::to_string(delta_pages) +
                                              " pages (size " + std::to_string(m_->pages()) +
                                              ", maximum " + std::to_string(m_->max_pages) + ")");
  }
  return static_cast<uint64_t>(old);
}

MemoryType Memory::type() const { return MemoryType{Limits{m_->pages(), m_->type.limits.max}}; }

std::optional<std::span<uint8_t>> Memory::Slice(uint64_t offset, uint64_t len) const {
  if (offset > m_->size || len > m_->size - offset) return std::nullopt;
  return std::span<uint8_t>(m_->base + offset, len);
}

// ---------------------------------------------------------------------------------------------
// Table

uint64_t Table::size() const { return t_->elems.size(); }

std::optional<Val> Table::Get(uint64_t index) const {
  if (index >= t_->elems.size()) return std::nullopt;
  t_->Materialize();
  return Val::FromBits(api::ToKind(t_->type.elem), t_->elems[index]);
}

static Error CheckRef(const runtime::TableInst* t, const Val& v) {
  if (v.kind() != api::ToKind(t->type.elem)) {
    return Error::Make(ErrorCode::kArgument,
                       "table element type is " +
                           std::string(ValKindName(api::ToKind(t->type.elem))) + ", got " +
                           std::string(ValKindName(v.kind())));
  }
  if (v.kind() == ValKind::kFuncRef && !v.is_null_ref() && t->store != nullptr &&
      v.funcref().raw()->store != t->store) {
    return Error::Make(ErrorCode::kArgument, "function from a different store");
  }
  return Error();
}

Error Table::Set(uint64_t index, const Val& v) const {
  WEFT_TRY(CheckRef(t_, v));
  if (index >= t_->elems.size()) {
    return Error::Make(ErrorCode::kArgument,
                       "table index " + std::to_string(index) + " out of bounds");
  }
  t_->Materialize();
  t_->elems[index] = v.lo_bits();
  return Error();
}

Expected<uint64_t> Table::Grow(uint64_t delta, const Val& init) const {
  WEFT_TRY(CheckRef(t_, init));
  int64_t old = t_->Grow(delta, init.lo_bits());
  if (old < 0) {
    return Error::Make(ErrorCode::kLimit, "table cannot grow by " + std::to_string(delta) +
                                              " elements (size " +
                                              std::to_string(t_->elems.size()) + ", maximum " +
                                              std::to_string(t_->max) + ")");
  }
  return static_cast<uint64_t>(old);
}

TableType Table::type() const {
  return TableType{api::ToKind(t_->type.elem), Limits{t_->elems.size(), t_->type.limits.max}};
}

// ---------------------------------------------------------------------------------------------
// Global

Val Global::Get() const { return api::SlotsToVal(api::ToKind(g_->type.type), g_->value); }

Error Global::Set(const Val& v) const {
  if (!g_->type.mut) return Error::Make(ErrorCode::kArgument, "global is immutable");
  ValKind k = api::ToKind(g_->type.type);
  if (v.kind() != k) {
    return Error::Make(ErrorCode::kArgument, "global type is " + std::string(ValKindName(k)) +
                                                 ", got " + std::string(ValKindName(v.kind())));
  }
  api::ValToSlots(v, g_->value);
  return Error();
}

GlobalType Global::type() const { return GlobalType{api::ToKind(g_->type.type), g_->type.mut}; }

// ---------------------------------------------------------------------------------------------
// Host-created objects

Expected<Memory> NewMemory(StoreBase& store, const MemoryType& type) {
  runtime::Store* s = store.raw();
  if (type.limits.max && *type.limits.max < type.limits.min) {
    return Error::Make(ErrorCode::kArgument, "memory maximum is below its minimum");
  }
  runtime::MemoryInst& m = s->memories.emplace_back();
  m.store = s;
  WEFT_TRY(m.Init(wasm::MemoryType{api::ToWasm(type.limits)}, s->limits.max_memory_bytes));
  return Memory(&m);
}

Expected<Table> NewTable(StoreBase& store, const TableType& type, const Val& init) {
  runtime::Store* s = store.raw();
  if (type.elem != ValKind::kFuncRef && type.elem != ValKind::kExternRef) {
    return Error::Make(ErrorCode::kArgument, "table element type must be a reference type");
  }
  if (init.kind() != type.elem) {
    return Error::Make(ErrorCode::kArgument, "table initial value has the wrong type");
  }
  if (type.limits.max && *type.limits.max < type.limits.min) {
    return Error::Make(ErrorCode::kArgument, "table maximum is below its minimum");
  }
  runtime::TableInst& t = s->tables.emplace_back();
  t.store = s;
  WEFT_TRY(t.Init(wasm::TableType{api::ToValType(type.elem), api::ToWasm(type.limits)},
                  s->limits.max_table_elements, init.lo_bits()));
  return Table(&t);
}

Expected<Global> NewGlobal(StoreBase& store, const GlobalType& type, const Val& init) {
  if (init.kind() != type.type) {
    return Error::Make(ErrorCode::kArgument, "global initial value has the wrong type");
  }
  runtime::GlobalInst& g = store.raw()->globals.emplace_back();
  g.store = store.raw();
  g.type = wasm::GlobalType{api::ToValType(type.type), type.mut};
  api::ValToSlots(init, g.value);
  return Global(&g);
}

// ---------------------------------------------------------------------------------------------
// Instance

static Extern ExternAt(const runtime::Instance* inst, const wasm::Export& e) {
  switch (e.kind) {
    case wasm::ExternKind::kFunc:
      return Extern::Of(Func(inst->funcs[e.index]));
    case wasm::ExternKind::kTable:
      return Extern::Of(Table(inst->tables[e.index]));
    case wasm::ExternKind::kMemory:
      return Extern::Of(Memory(inst->memories[e.index]));
    case wasm::ExternKind::kGlobal:
      return Extern::Of(Global(inst->globals[e.index]));
  }
  return Extern();
}

std::optional<Extern> Instance::GetExport(std::string_view name) const {
  if (i_ == nullptr) return std::nullopt;
  for (const wasm::Export& e : i_->module->module.exports) {
    if (e.name == name) return ExternAt(i_, e);
  }
  return std::nullopt;
}

std::optional<Func> Instance::GetFunc(std::string_view name) const {
  auto e = GetExport(name);
  if (!e || e->kind != ExternKind::kFunc) return std::nullopt;
  return e->func;
}
std::optional<Memory> Instance::GetMemory(std::string_view name) const {
  auto e = GetExport(name);
  if (!e || e->kind != ExternKind::kMemory) return std::nullopt;
  return e->memory;
}
std::optional<Table> Instance::GetTable(std::string_view name) const {
  auto e = GetExport(name);
  if (!e || e->kind != ExternKind::kTable) return std::nullopt;
  return e->table;
}
std::optional<Global> Instance::GetGlobal(std::string_view name) const {
  auto e = GetExport(name);
  if (!e || e->kind != ExternKind::kGlobal) return std::nullopt;
  return e->global;
}

std::vector<std::pair<std::string, Extern>> Instance::Exports() const {
  std::vector<std::pair<std::string, Extern>> r;
  if (i_ == nullptr) return r;
  for (const wasm::Export& e : i_->module->module.exports) r.emplace_back(e.name, ExternAt(i_, e));
  return r;
}

}  // namespace weft
