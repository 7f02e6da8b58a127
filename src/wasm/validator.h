// Validator for WebAssembly 2.0 modules (spec section 3): module-level rules (types, limits,
// imports and exports, constant expressions, segments, start) and every function body
// (through code_validator.h).
#pragma once

#include "wasm/module.h"
#include "weft/error.h"

namespace weft::wasm {

/// Validates a decoded module. Errors have code kInvalid (or kMalformed for the few
/// binary-format rules only checkable while reading code), the byte offset and, for code,
/// the function index, with the specification's wording ("type mismatch", "unknown local").
Error Validate(const Module& module);

}  // namespace weft::wasm
