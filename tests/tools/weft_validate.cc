// weft-validate FILE.wasm...: decodes and validates modules; for each prints "ok" or the error
// with its class and byte offset, "malformed: ..." / "invalid: ...". With several files each
// line is prefixed "FILE<TAB>". Exit status 0 when all are valid, 1 otherwise, 2 on usage/IO.
// Used by check-spec-modules.sh and for triage; it does not instantiate or run anything.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace {

// Returns "ok" or "<class>: <error>".
std::string Check(const std::vector<uint8_t>& bytes) {
  auto module = weft::wasm::Decode(bytes);
  weft::Error err = module.ok() ? weft::wasm::Validate(*module) : module.take_error();
  if (err.ok()) return "ok";
  const char* kind = err.code() == weft::ErrorCode::kMalformed ? "malformed"
                     : err.code() == weft::ErrorCode::kInvalid ? "invalid"
                                                                : "error";
  return std::string(kind) + ": " + err.ToString();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: weft-validate FILE.wasm...\n");
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "weft-validate: cannot open %s\n", argv[i]);
      return 2;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string result = Check(bytes);
    if (result != "ok") status = 1;
    if (argc > 2) {
      std::printf("%s\t%s\n", argv[i], result.c_str());
    } else {
      std::printf("%s\n", result.c_str());
    }
  }
  return status;
}
