// Validator for WebAssembly 2.0 modules (spec section 3): module-level rules (types, limits,
// imports and exports, constant expressions, segments, start) and every function body
// (through code_validator.h).
#pragma once

#include "wasm/module.h"
#include "weft/error.h"

namespace weft::wasm {

struct ValidateOptions {
  /// When false only module-level rules are checked and function bodies are left to be
  /// validated later (e.g. when lowered on first call); `declared_funcs` etc. are still usable.
  bool function_bodies = true;
};

/// Validates a decoded module. Errors have code kInvalid (or kMalformed for the few
/// binary-format rules only checkable while reading code), the byte offset and, for code,
/// the function index, with the specification's wording ("type mismatch", "unknown local").
/// Thread-safe for distinct or const modules (reads only).
Error Validate(const Module& module, const ValidateOptions& options = {});

}  // namespace weft::wasm
