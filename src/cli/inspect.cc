// `weft inspect FILE`: what a binary needs and provides. A component prints as a WIT world
// (ComponentToWit; --verbose adds each interface's functions and types); a core module prints
// its imports and exports one per line with their types. Unreadable, malformed or invalid input
// exits 1 with the reason (and byte offset) on stderr.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "component/def.h"
#include "weft/weft.h"

namespace weft::cli {

int InspectMain(const std::string& file, bool verbose) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "weft inspect: cannot read %s\n", file.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    std::fprintf(stderr, "weft inspect: cannot read %s\n", file.c_str());
    return 1;
  }
  if (component::IsComponent(bytes)) {
    auto decoded = component::DecodeComponent(bytes);
    if (!decoded.ok()) {
      std::fprintf(stderr, "weft inspect: %s: %s\n", file.c_str(), decoded.error().message().c_str());
      return 1;
    }
    std::fputs(component::ComponentToWit(**decoded, verbose).c_str(), stdout);
    return 0;
  }
  Engine engine;
  auto module = Module::Compile(engine, bytes);
  if (!module.ok()) {
    std::fprintf(stderr, "weft inspect: %s: %s\n", file.c_str(), module.error().ToString().c_str());
    return 1;
  }
  for (const ImportType& i : module->imports()) {
    std::printf("import \"%s\" \"%s\": %s\n", i.module.c_str(), i.name.c_str(), i.type.ToString().c_str());
  }
  for (const ExportType& e : module->exports()) {
    std::printf("export \"%s\": %s\n", e.name.c_str(), e.type.ToString().c_str());
  }
  return 0;
}

}  // namespace weft::cli
