// Load-time body validation: the validator template with the no-op sink.
#include "wasm/code_validator.h"

#include "wasm/code_validator_impl.h"

namespace weft::wasm {

Error ValidateCode(const Module& module, uint32_t func_index) {
  NoopSink sink;
  CodeValidator<NoopSink> v(module, func_index, sink);
  return v.Run();
}

}  // namespace weft::wasm
