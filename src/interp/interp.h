// The interpreter's entry points used by the runtime and the API.
#pragma once

#include <cstdint>

#include "runtime/objects.h"
#include "weft/error.h"

namespace weft::interp {

/// Validates and lowers defined function `func_index` of `module` if not yet done
/// (thread-safe; the first finisher wins). Errors only for invalid code.
Error Compile(const runtime::CompiledModule& module, uint32_t func_index);

/// Calls `func` (wasm or host) in `store`. Arguments are read from `slots` and results written
/// to `slots` (slot convention in runtime/objects.h; room for max(params, results) slots).
/// Returns TrapCode::kNone on success. On a trap, store.backtrace holds the guest frames.
/// Re-entrant: host functions may call back into wasm. Never recurses natively for
/// wasm-to-wasm calls, so native stack use is bounded per host re-entry.
/// Frees lowered code; give it to runtime::CompiledModule's constructor.
void DestroyCompiledFunc(runtime::CompiledFunc* code);

runtime::TrapCode Call(runtime::Store& store, runtime::FuncInst* func, uint64_t* slots);

}  // namespace weft::interp
