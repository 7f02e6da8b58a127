// Binary decoder for WebAssembly 2.0 modules (spec section 5). Checks the binary format
// (magic, version, section order and sizes, LEB128 ranges including padded encodings,
// UTF-8 names, counts) and builds a wasm::Module. Function bodies are not decoded here,
// only delimited; the validator checks them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "wasm/module.h"
#include "weft/error.h"

namespace weft::wasm {

/// Decodes `bytes` (copied into Module::bytes). Errors have code kMalformed and the byte
/// offset of the problem, with the specification's wording where it has one
/// ("magic header not detected", "unexpected end", "integer too large", ...).
Expected<Module> Decode(std::span<const uint8_t> bytes);

/// As above, taking ownership of the buffer instead of copying it (saves a copy of the whole
/// binary for large modules).
Expected<Module> Decode(std::vector<uint8_t>&& bytes);

}  // namespace weft::wasm
