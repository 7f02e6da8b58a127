// Test helpers: WebAssembly text to binary through wabt's wat2wasm (in a private temp dir),
// and compiling it into a Module with gtest expectations on the way.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "weft/weft.h"

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

/// Wat(wat) compiled by `engine`; a failure at either step is a test failure (and then the
/// result is unusable: callers' next expectations fail too).
inline Module MustCompile(Engine& engine, const std::string& wat) {
  auto bytes = Wat(wat);
  EXPECT_FALSE(bytes.empty()) << "wat2wasm failed";
  auto m = Module::Compile(engine, bytes);
  EXPECT_TRUE(m.ok()) << m.error().ToString();
  return std::move(m).value();
}

}  // namespace weft::testing
