// Trap codes shared by the interpreter, the runtime and the API. A trap is a value: the
// interpreter returns a TrapCode (no allocation); the runtime turns it into a weft::Trap with
// a message and a backtrace on the slow path.
#pragma once

#include <cstdint>

namespace weft::runtime {

enum class TrapCode : uint8_t {
  kNone = 0,
  kUnreachable,                ///< "unreachable"
  kIntegerDivideByZero,        ///< "integer divide by zero"
  kIntegerOverflow,            ///< "integer overflow"
  kInvalidConversion,          ///< "invalid conversion to integer"
  kOutOfBoundsMemory,          ///< "out of bounds memory access"
  kOutOfBoundsTable,           ///< "out of bounds table access"
  kUndefinedElement,           ///< "undefined element"
  kUninitializedElement,       ///< "uninitialized element"
  kIndirectCallTypeMismatch,   ///< "indirect call type mismatch"
  kCallStackExhausted,         ///< "call stack exhausted"
  kOutOfFuel,                  ///< "all fuel consumed"
  kDeadline,                   ///< "interrupt: epoch deadline reached"
  kHost,                       ///< A host function failed; Store::pending_trap has the details.
  kExit,                       ///< WASI proc_exit; Store::exit_code has the status.
};

/// The specification's message for a trap code (the text `assert_trap` expects).
const char* TrapMessage(TrapCode code);

}  // namespace weft::runtime
