// Test helper: WebAssembly text to binary through wabt's wat2wasm (in a private temp dir).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace weft::testing {

/// Converts `wat` with wat2wasm (plus `flags`); returns an empty vector on failure.
inline std::vector<uint8_t> Wat(const std::string& wat,
                                const std::string& flags = "--debug-names") {
  char dir[] = "/tmp/weft-api-test-XXXXXX";
  if (mkdtemp(dir) == nullptr) return {};
  std::string d = dir;
  {
    std::ofstream out(d + "/m.wat");
    out << wat;
  }
  std::string cmd = "wat2wasm " + flags + " " + d + "/m.wat -o " + d + "/m.wasm";
  std::vector<uint8_t> bytes;
  if (std::system(cmd.c_str()) == 0) {
    std::ifstream in(d + "/m.wasm", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::system(("rm -rf " + d).c_str());
  return bytes;
}

}  // namespace weft::testing
