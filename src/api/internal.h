// Internals shared by the api/ implementation files: conversions between the public types
// (weft.h) and the runtime/wasm ones, the per-store API state, and the call core.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/objects.h"
#include "wasm/module.h"
#include "weft/weft.h"

namespace weft {

namespace api {
class AsyncCallImpl;
}

/// Per-store state of the API layer (StoreBase::state()).
struct StoreBase::State {
  /// The Error a host function returned, kept until the call that ran it turns the trap into
  /// its result (so codes like kExit and nested backtraces survive the interpreter).
  Error pending_error;
  /// The async call whose fiber is running in this store (null in synchronous calls).
  api::AsyncCallImpl* current_async = nullptr;
  /// Set when a synchronous call hit a kYield deadline: the deadline was turned into a trap
  /// and the action must be restored when the outermost call returns.
  bool restore_yield = false;
  uint64_t saved_yield_delta = 1;
  /// Nesting depth of Func::Call in this store (host -> guest re-entry).
  uint32_t depth = 0;
  /// Linker host functions instantiated in this store, by their shared HostFunc.
  std::unordered_map<const runtime::HostFunc*, runtime::FuncInst*> linker_funcs;
  /// The component model's per-store state (component instances, handle tables), created
  /// on first component instantiation; type-erased so this header needs no component types.
  std::shared_ptr<void> component_state;
};

namespace api {

ValKind ToKind(wasm::ValType t);
wasm::ValType ToValType(ValKind k);
FuncType ToApi(const wasm::FuncType& t);
wasm::FuncType ToWasm(const FuncType& t);
Limits ToApi(const wasm::Limits& l);
wasm::Limits ToWasm(const Limits& l);

/// Converts a value to slots (1 or 2) and back.
inline void ValToSlots(const Val& v, uint64_t* slots) {
  slots[0] = v.lo_bits();
  if (v.kind() == ValKind::kV128) slots[1] = v.hi_bits();
}
inline Val SlotsToVal(ValKind k, const uint64_t* slots) {
  switch (k) {
    case ValKind::kI32:
    case ValKind::kF32:
      return Val::FromBits(k, slots[0] & 0xffffffffu);
    case ValKind::kV128:
      return Val::FromBits(k, slots[0], slots[1]);
    default:
      return Val::FromBits(k, slots[0]);
  }
}

/// Calls `f` synchronously on the current stack (the core of Func::Call).
Error CallFunc(StoreBase& store, runtime::FuncInst* f, std::span<const Val> args,
               std::span<Val> results);
/// Checks `args` against `f`'s parameters (kArgument error naming the expected type).
Error CheckArgs(StoreBase& store, runtime::FuncInst* f, std::span<const Val> args);

/// Creates a FuncInst in `store` for a host function (of type host->type, whose engine id
/// is `type_id`).
runtime::FuncInst* NewHostFuncInst(runtime::Store& store, uint32_t type_id,
                                   std::shared_ptr<runtime::HostFunc> host);
/// Wraps a HostCallback as a runtime::HostFunc (shareable between stores).
std::shared_ptr<runtime::HostFunc> MakeHostFunc(const FuncType& type, HostCallback callback);
/// NewHostFuncInst(MakeHostFunc(type, callback)) for a host function made at every
/// instantiation (component `canon lower` / `canon resource.*`): one allocation for the
/// HostFunc and its environment, and the FuncInst's runtime type is `wasm_type` (equal to
/// `type`; it must outlive the store's functions) instead of a converted copy.
runtime::FuncInst* NewInstanceHostFuncInst(runtime::Store& store, uint32_t type_id,
                                           const wasm::FuncType& wasm_type, const FuncType& type,
                                           HostCallback callback);

/// The interpreter's yield hook (installed in every store).
void YieldHook(runtime::Store& store);

/// The spec's external type of a store object, for import matching.
ExternType TypeOfExtern(const Extern& e);
/// True if an object of type `actual` may satisfy an import of type `wanted` (spec 4.5.2).
bool ImportMatches(const ExternType& actual, const ExternType& wanted);
ExternType ImportTypeOf(const wasm::Module& m, const wasm::Import& imp);

/// Instantiates `module` in `store` with `imports` in import order, already type-checked
/// (spec 4.5.4): allocation, constant expressions, segments, start function.
Expected<Instance> InstantiateModule(StoreBase& store, const Module& module,
                                     std::span<const Extern> imports);

}  // namespace api
}  // namespace weft
