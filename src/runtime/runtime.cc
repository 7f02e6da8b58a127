// Engine-wide type interning, trap messages and slot counting (runtime/objects.h, trap.h).
#include <string>

#include "runtime/objects.h"
#include "runtime/trap.h"

namespace weft::runtime {

uint32_t SlotCount(const std::vector<wasm::ValType>& types) {
  uint32_t n = 0;
  for (wasm::ValType t : types) n += SlotCount(t);
  return n;
}

uint32_t Engine::InternType(const wasm::FuncType& type) {
  // 0x40 never encodes a value type, so it separates params from results unambiguously.
  std::string key;
  key.reserve(type.params.size() + type.results.size() + 1);
  for (wasm::ValType t : type.params) key.push_back(static_cast<char>(t));
  key.push_back(0x40);
  for (wasm::ValType t : type.results) key.push_back(static_cast<char>(t));
  std::lock_guard<std::mutex> lock(types_mu_);
  auto [it, inserted] = type_ids_.try_emplace(std::move(key), static_cast<uint32_t>(types_.size()));
  if (inserted) types_.push_back(type);
  return it->second;
}

const char* TrapMessage(TrapCode code) {
  switch (code) {
    case TrapCode::kNone:
      return "no trap";
    case TrapCode::kUnreachable:
      return "unreachable";
    case TrapCode::kIntegerDivideByZero:
      return "integer divide by zero";
    case TrapCode::kIntegerOverflow:
      return "integer overflow";
    case TrapCode::kInvalidConversion:
      return "invalid conversion to integer";
    case TrapCode::kOutOfBoundsMemory:
      return "out of bounds memory access";
    case TrapCode::kOutOfBoundsTable:
      return "out of bounds table access";
    case TrapCode::kUndefinedElement:
      return "undefined element";
    case TrapCode::kUninitializedElement:
      return "uninitialized element";
    case TrapCode::kIndirectCallTypeMismatch:
      return "indirect call type mismatch";
    case TrapCode::kCallStackExhausted:
      return "call stack exhausted";
    case TrapCode::kOutOfFuel:
      return "all fuel consumed";
    case TrapCode::kDeadline:
      return "interrupt";
    case TrapCode::kHost:
      return "host function failed";
    case TrapCode::kExit:
      return "exit";
  }
  return "unknown trap";
}

}  // namespace weft::runtime
