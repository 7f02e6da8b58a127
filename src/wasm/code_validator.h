// Validation of one function body (spec section 3.3: instructions), usable on its own (fast
// check at load) and as the front half of the interpreter's single-pass lowering.
#pragma once

#include <cstdint>

#include "wasm/module.h"
#include "weft/error.h"

namespace weft::wasm {

/// Validates the body of defined function `func_index` (index space counts imports).
Error ValidateCode(const Module& module, uint32_t func_index);

}  // namespace weft::wasm
