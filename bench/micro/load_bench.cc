// weft-bench-load: measures Module::Compile (decode + validate + lazy setup) of a module
// already in memory, best and median over runs, and then one instantiation. Used with the
// 12 MB module from bench/gen_big_module.py (target: compile under 100 ms).
//   weft-bench-load FILE.wasm [--runs N] [--eager]
// --eager sets Config::lazy_compile = false (everything lowered at load) for comparison.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "weft/weft.h"

namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = nullptr;
  int runs = 5;
  bool eager = false;
  for (int i = 1; i < argc; i++) {
    std::string_view a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--eager") {
      eager = true;
    } else if (!path && !a.starts_with("-")) {
      path = argv[i];
    } else {
      std::fprintf(stderr, "usage: weft-bench-load FILE.wasm [--runs N] [--eager]\n");
      return 2;
    }
  }
  if (!path) {
    std::fprintf(stderr, "usage: weft-bench-load FILE.wasm [--runs N] [--eager]\n");
    return 2;
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) {
    std::fprintf(stderr, "cannot read %s\n", path);
    return 1;
  }
  weft::Config config;
  config.lazy_compile = !eager;
  weft::Engine engine(config);
  std::vector<double> times;
  std::optional<weft::Module> module;
  for (int r = 0; r < runs; r++) {
    auto t0 = std::chrono::steady_clock::now();
    auto m = weft::Module::Compile(engine, bytes);
    double ms = MsSince(t0);
    if (!m.ok()) {
      std::fprintf(stderr, "compile failed: %s\n", m.error().ToString().c_str());
      return 1;
    }
    times.push_back(ms);
    module = std::move(*m);
  }
  std::sort(times.begin(), times.end());
  std::printf("module: %s, %.1f MB, %zu exports\n", path, bytes.size() / 1e6,
              module->exports().size());
  std::printf("compile (%s): best %.1f ms, median %.1f ms over %d runs\n", eager ? "eager" : "lazy",
              times.front(), times[times.size() / 2], runs);

  weft::Store<int> store(engine);
  weft::Linker<int> linker(engine);
  auto t0 = std::chrono::steady_clock::now();
  auto inst = linker.Instantiate(store, *module);
  double inst_ms = MsSince(t0);
  if (!inst.ok()) {
    std::fprintf(stderr, "instantiate failed: %s\n", inst.error().ToString().c_str());
    return 1;
  }
  std::printf("instantiate: %.2f ms\n", inst_ms);
  if (auto f = inst->GetFunc("f0")) {
    t0 = std::chrono::steady_clock::now();
    std::vector<weft::Val> args;
    for (weft::ValKind k : f->type().params) args.push_back(weft::Val::Zero(k));
    auto r = f->Call(store, args);
    std::printf("first call of f0 (lazy lowering + run): %.2f ms (%s)\n", MsSince(t0),
                r.ok() ? "ok" : r.error().message().c_str());
  }
  return 0;
}
