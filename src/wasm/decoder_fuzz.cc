// libFuzzer target: arbitrary bytes through Decode and Validate (including every function
// body through the code validator). The property checked is "no crash, no sanitizer report,
// no assertion": any input must end in a module or an Error.
#include <cstddef>
#include <cstdint>
#include <span>

#include "wasm/decoder.h"
#include "wasm/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto module = weft::wasm::Decode(std::span<const uint8_t>(data, size));
  if (!module.ok()) return 0;
  weft::Error err = weft::wasm::Validate(*module);
  (void)err.ToString();
  return 0;
}
