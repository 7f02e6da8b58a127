// Runtime objects of the WebAssembly abstract machine (spec section 4.2): function, table,
// memory and global instances, module instances, and the store that owns them.
// The interpreter (interp/) reads and writes these directly; the public API (api/) wraps them.
//
// Values travel in 64-bit slots: i32/f32 in the low 32 bits (zero-extended), i64/f64 in one
// slot, v128 in two consecutive slots (low half first), funcref as a FuncInst* (0 = null),
// externref as an opaque uintptr_t (0 = null). Parameters occupy consecutive slots in order;
// results are written back to the same array starting at slot 0.
//
// Threading: a Store and everything it owns is used by one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "platform/memory_slot.h"
#include "runtime/object_list.h"
#include "runtime/trap.h"
#include "weft/error.h"
#include "wasm/module.h"

namespace weft::runtime {

struct Store;
struct Instance;
struct FuncInst;
struct CompiledFunc;  // The interpreter's lowered code for one function (defined in interp/).

/// Number of slots a value of type `t` takes (2 for v128, else 1).
inline uint32_t SlotCount(wasm::ValType t) { return t == wasm::ValType::kV128 ? 2 : 1; }
uint32_t SlotCount(const std::vector<wasm::ValType>& types);

/// Interruption and resource settings fixed when the engine is created.
struct EngineConfig {
  bool lazy_compile = true;        ///< Lower each function on first call (else at load).
  bool consume_fuel = false;       ///< Count fuel at function entries and loop back-edges.
  bool epoch_interruption = false; ///< Check the epoch at function entries and loop back-edges.
  uint32_t max_call_depth = 10000; ///< Guest frames before "call stack exhausted".
  uint64_t value_stack_bytes = 8u << 20;  ///< Interpreter value stack per store.
  uint64_t fiber_stack_bytes = 1u << 20;  ///< Native stack per guest fiber.
};

/// Engine-wide, thread-safe shared state.
struct Engine {
  explicit Engine(EngineConfig config) : config(config) {}
  EngineConfig config;
  std::atomic<uint64_t> epoch{0};

  /// Canonical id for a function type (equal types get equal ids); used by call_indirect.
  uint32_t InternType(const wasm::FuncType& type);

 private:
  std::mutex types_mu_;
  std::vector<wasm::FuncType> types_;
  std::unordered_map<std::string, uint32_t> type_ids_;  ///< Encoded type -> id.
};

/// How instantiation initialises one defined memory of a module (CompiledModule::MemoryPlans).
struct MemoryInitPlan {
  /// The initial contents, mapped copy-on-write into each new memory; null when there is no
  /// image (no data, or the segments must be copied).
  std::unique_ptr<platform::MemoryImage> image;
  /// Every active data segment of this memory is already in `image` (or there is none):
  /// instantiation copies nothing. False when some segment's offset is not a constant or a
  /// segment does not fit the initial size (it must trap at its turn, after the others).
  bool segments_in_image = false;
};

/// A module after decoding and validation, shared (immutable) by all its instances,
/// plus the lazily filled cache of lowered function code.
struct CompiledModule {
  /// `destroy_code` frees one entry of `code`; it is the interpreter's, passed in by whoever
  /// compiles the module, so that the runtime does not depend on the interpreter.
  CompiledModule(Engine* engine, wasm::Module module, void (*destroy_code)(CompiledFunc*));
  ~CompiledModule();
  Engine* engine;
  wasm::Module module;
  std::vector<uint32_t> type_ids;  ///< Engine::InternType of each module type.
  /// One entry per defined function; null until lowered. Written once (CAS) by the interpreter.
  std::unique_ptr<std::atomic<CompiledFunc*>[]> code;
  void (*destroy_code)(CompiledFunc*);

  /// One plan per defined memory, built on the first call (thread-safe, once per module).
  const std::vector<MemoryInitPlan>& MemoryPlans() const;
  /// Lazy table initialisation, built on the first call (thread-safe, once per module):
  /// empty when some active element segment could fail or reads a global (then every
  /// segment is applied eagerly, in order, as the spec says); otherwise one entry per
  /// defined table: the function index + 1 (0: null) of each of its first `min` elements
  /// after all active segments, or empty when no segment writes the table.
  const std::vector<std::vector<uint32_t>>& TablePlans() const;

 private:
  mutable std::once_flag plans_once_;
  mutable std::vector<MemoryInitPlan> plans_;
  mutable std::once_flag tables_once_;
  mutable std::vector<std::vector<uint32_t>> table_plans_;
};

/// Result of a host function call.
enum class HostStatus : uint8_t { kOk, kTrap };

/// Context given to host functions: the calling store and instance (for the caller's memory).
struct HostCallContext {
  Store* store;
  Instance* caller;  ///< Instance whose code made the call (null when called from the host).
};

/// A host function: `callback(env, ctx, slots)` reads its arguments from `slots` and writes
/// its results to `slots` (see the slot convention above). On kTrap it must have set
/// `ctx.store->pending_trap` (or `exit_code` with TrapCode::kExit).
struct HostFunc {
  using Callback = HostStatus (*)(void* env, HostCallContext& ctx, uint64_t* slots);
  Callback callback = nullptr;
  void* env = nullptr;
  void (*destroy_env)(void*) = nullptr;
  /// The function's type, shared by every FuncInst made of it (in any store).
  wasm::FuncType type;
  ~HostFunc() {
    if (destroy_env) destroy_env(env);
  }
};

/// 56 bytes, written once per function per instantiation (12,000 times for a
/// componentize-js module): keep it small and free of owned containers.
struct FuncInst {
  const wasm::FuncType* type = nullptr;  ///< Points into the module or to HostFunc::type.
  Store* store = nullptr;
  Instance* instance = nullptr;  ///< Defining instance; null for host functions.
  std::shared_ptr<HostFunc> host;  ///< Non-null for host functions.
  CompiledFunc* compiled = nullptr;  ///< Interpreter's cache of the lowered code (wasm functions).
  uint32_t type_id = 0;              ///< Engine::InternType(*type).
  uint32_t func_index = 0;           ///< Index in the instance's module (wasm functions).
};

struct MemoryInst {
  Store* store = nullptr;   ///< Owning store (set by whoever creates the memory).
  uint8_t* base = nullptr;  ///< Stable for the memory's life: the maximum size is reserved.
  uint64_t size = 0;        ///< In bytes, a multiple of 64 KiB.
  uint64_t max_pages = 0;   ///< Declared maximum, clamped to 65536 and to the store limit.
  uint64_t reserved = 0;    ///< Bytes of address space reserved at `base`.
  wasm::MemoryType type;
  /// The address range, from the thread's slot pool; returned to the destroying thread's
  /// pool by the destructor.
  platform::MemorySlot* slot = nullptr;
  MemoryInst() = default;
  MemoryInst(const MemoryInst&) = delete;
  MemoryInst& operator=(const MemoryInst&) = delete;
  ~MemoryInst();
  /// Takes a slot of at least min(declared max, `limit_bytes`, 4 GiB) plus a guard region
  /// of address space with the initial pages accessible, holding `image` (if not null; at
  /// most the initial size) and zeros elsewhere. Errors (kLimit) if the minimum exceeds the
  /// limit or the address space is exhausted.
  Error Init(const wasm::MemoryType& type, uint64_t limit_bytes,
             const platform::MemoryImage* image = nullptr);
  /// Replaces the image's pages with zeros (an instantiation that failed before its data
  /// segments' turn must not show their bytes). False if the OS refuses.
  bool DropImage();
  /// memory.grow: returns the old size in pages, or -1 if it cannot grow.
  int64_t Grow(uint64_t delta_pages);
  uint64_t pages() const { return size >> 16; }
};

struct TableInst {
  Store* store = nullptr;  ///< Owning store.
  wasm::TableType type;
  std::vector<uint64_t> elems;  ///< Reference values (see the slot convention).
  uint64_t max = 0;             ///< Declared maximum, clamped to the store limit.
  /// Lazy initialisation (CompiledModule::TablePlans): while `lazy_funcs` is set, a null
  /// entry i < lazy_count stands for function `lazy_funcs[i] - 1` of `lazy_instance`
  /// (0: really null). Only call_indirect reads entries this way (ResolveLazy on a null
  /// entry); every other access calls Materialize() first, so no write is ever undone.
  const uint32_t* lazy_funcs = nullptr;
  uint32_t lazy_count = 0;
  Instance* lazy_instance = nullptr;
  /// Sets the type and `min` elements of `init`. Errors (kLimit) if min exceeds `limit`.
  Error Init(const wasm::TableType& type, uint64_t limit, uint64_t init);
  /// table.grow: returns the old size, or -1.
  int64_t Grow(uint64_t delta, uint64_t init);
  /// The function entry `i` (in bounds, currently null) stands for, stored; null if none.
  FuncInst* ResolveLazy(uint64_t i);
  /// Resolves every lazy entry and ends laziness.
  void Materialize() {
    if (lazy_funcs != nullptr) MaterializeSlow();
  }

 private:
  void MaterializeSlow();
};

struct GlobalInst {
  Store* store = nullptr;  ///< Owning store.
  wasm::GlobalType type;
  alignas(16) uint64_t value[2] = {0, 0};
};

/// An instantiated module. Index spaces are resolved to object pointers (imports first).
struct Instance {
  Store* store = nullptr;
  std::shared_ptr<const CompiledModule> module;
  /// The module's own functions, in one block: reserved once, so their addresses are stable.
  std::vector<FuncInst> defined_funcs;
  std::vector<FuncInst*> funcs;
  std::vector<TableInst*> tables;
  std::vector<MemoryInst*> memories;
  std::vector<GlobalInst*> globals;
  /// Element segments as evaluated references; a dropped segment is emptied.
  std::vector<std::vector<uint64_t>> elems;
  /// Data segments' bytes; a dropped segment has size 0.
  std::vector<std::span<const uint8_t>> datas;
};

/// Resource limits of one store.
struct StoreLimits {
  uint64_t max_memory_bytes = uint64_t{1} << 32;  ///< Per linear memory.
  uint64_t max_table_elements = 10'000'000;       ///< Per table.
  uint64_t max_instances = 10'000;
};

/// What happens when a store's epoch deadline is reached.
enum class DeadlineAction : uint8_t { kTrap, kYield };

/// Owns every runtime object created in it. Not thread-safe.
struct Store {
  explicit Store(Engine* engine) : engine(engine) {}
  ~Store();
  Engine* engine;
  void* user_data = nullptr;
  void* api = nullptr;  ///< The public-API object owning this store (weft::StoreBase).
  StoreLimits limits;

  // Address-stable, and inline up to the sizes a small component needs (object_list.h): a
  // store for one request of `weft serve` is one allocation, not ten.
  ObjectList<FuncInst, 32> funcs;
  ObjectList<MemoryInst, 2> memories;
  ObjectList<TableInst, 2> tables;
  ObjectList<GlobalInst, 4> globals;
  ObjectList<Instance, 4> instances;

  // Interruption (see docs/interpreter.md): checked at function entries and loop back-edges.
  uint64_t epoch_deadline = ~uint64_t{0};
  DeadlineAction deadline_action = DeadlineAction::kTrap;
  uint64_t yield_epoch_delta = 1;  ///< After a yield, the deadline moves this far ahead.
  /// Called by the interpreter on kYield deadlines: suspends the running fiber (set by api/).
  void (*yield_hook)(Store&) = nullptr;
  uint64_t fuel = ~uint64_t{0};

  // Trap details for the slow path.
  std::string pending_trap;               ///< Message of a host trap (TrapCode::kHost).
  int32_t exit_code = 0;                  ///< For TrapCode::kExit.
  std::vector<std::pair<const Instance*, uint32_t>> backtrace;  ///< (instance, func index), innermost first.

  /// The interpreter's per-store execution state (value stack, frames); owned by interp/.
  void* exec = nullptr;
  void (*destroy_exec)(void*) = nullptr;
};

}  // namespace weft::runtime
