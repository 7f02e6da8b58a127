// libFuzzer target: arbitrary bytes through DecodeComponent, and every decoded component through
// the WIT printer and type printing/equality. The property checked is "no crash, no sanitizer
// report, no assertion": any input ends in a ComponentFile or an Error.
#include <cstddef>
#include <cstdint>
#include <span>

#include "component/def.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace weft::component;
  auto file = DecodeComponent(std::span<const uint8_t>(data, size));
  if (!file.ok()) {
    (void)file.error().ToString();
    return 0;
  }
  (void)ComponentToWit(**file, true);
  for (const auto& c : (*file)->components) {
    for (const TypeDefn& t : c->types) {
      (void)TypeToString(t.type);
      (void)TypeEquals(t.type, c->types.front().type);
    }
    for (const ExportDef& e : c->exports) (void)TypeToString(e.type);
  }
  return 0;
}
