// weft-bench-instantiate: how long a fresh instance of a component takes, the cost `weft serve`
// pays per request with --max-instance-reuse-count 1 (docs/performance.md "Instantiation").
// Each iteration creates a store with a whole WASI 0.2 state, instantiates one InstancePre
// (made once, as the server does), and drops the store; the three phases are timed separately
// and reported as p50/p99/mean over the iterations, after a warm-up (pools and caches filled).
//   weft-bench-instantiate [--iterations N] [--warmup N] [--threads N] [name=path.wasm ...]
// --threads N runs N such loops at once (one per thread, sharing the InstancePre) and pools
// their samples: per-thread pools and no shared locks should keep the numbers flat.
// Without paths: the hello-http example (minimal wasi:http handler), the componentize-js
// handler and the C hello command component, those of them that are built. Imports the
// WASI 0.2 linker lacks (wasi:http) are satisfied by trapping stubs (TrapUnknownImports).
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "wasi/p2/wasi_p2.h"
#include "weft/component.h"

namespace {

namespace cm = weft::component;
namespace p2 = weft::wasi::p2;
using Clock = std::chrono::steady_clock;

struct State {
  p2::WasiP2State wasi;
};
p2::WasiP2State& GetWasi(State& s) { return s.wasi; }

[[noreturn]] void Die(const std::string& what, const weft::Error& e) {
  std::fprintf(stderr, "weft-bench-instantiate: %s: %s\n", what.c_str(), e.ToString().c_str());
  std::exit(1);
}

bool ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

struct Stats {
  double p50, p99, mean;
};

Stats Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  return Stats{at(0.5), at(0.99), sum / v.size()};
}

double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

void Run(const std::string& name, const std::string& path, int iterations, int warmup,
         int threads) {
  weft::Engine engine;
  std::vector<uint8_t> bytes;
  if (!ReadFile(path, &bytes)) {
    std::printf("%-12s (not built: %s)\n", name.c_str(), path.c_str());
    return;
  }
  auto t_compile = Clock::now();
  auto component = cm::Component::Compile(engine, bytes);
  if (!component.ok()) Die("compile " + path, component.error());
  double compile_ms = Us(Clock::now() - t_compile) / 1000;
  cm::Linker<State> linker(engine);
  if (weft::Error e = p2::AddAllToLinker<State, &GetWasi>(linker); !e.ok()) Die("linker", e);
  linker.TrapUnknownImports(true);
  auto pre = linker.InstantiatePre(component.value());
  if (!pre.ok()) Die("link " + path, pre.error());

  struct Samples {
    std::vector<double> create, inst, drop, total;
  };
  // One loop per thread, each with its own io_context and stores (as `weft serve` runs one
  // event loop per core); the InstancePre is shared.
  auto loop = [&](Samples* out) {
    boost::asio::io_context io;
    for (int i = 0; i < warmup + iterations; ++i) {
      Clock::time_point t0 = Clock::now();
      auto wasi = p2::WasiP2State::Create(io, p2::WasiP2Config{});
      if (!wasi.ok()) Die("wasi state", wasi.error());
      auto* store = new weft::Store<State>(engine, State{std::move(wasi).value()});
      Clock::time_point t1 = Clock::now();
      auto instance = pre.value().Instantiate(*store);
      if (!instance.ok()) Die("instantiate " + path, instance.error());
      Clock::time_point t2 = Clock::now();
      delete store;
      Clock::time_point t3 = Clock::now();
      if (i < warmup) continue;
      out->create.push_back(Us(t1 - t0));
      out->inst.push_back(Us(t2 - t1));
      out->drop.push_back(Us(t3 - t2));
      out->total.push_back(Us(t3 - t0));
    }
  };
  std::vector<Samples> per_thread(threads);
  if (threads == 1) {
    loop(&per_thread[0]);
  } else {
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) ts.emplace_back(loop, &per_thread[t]);
    for (auto& t : ts) t.join();
  }
  Samples all;
  for (const Samples& p : per_thread) {
    all.create.insert(all.create.end(), p.create.begin(), p.create.end());
    all.inst.insert(all.inst.end(), p.inst.begin(), p.inst.end());
    all.drop.insert(all.drop.end(), p.drop.begin(), p.drop.end());
    all.total.insert(all.total.end(), p.total.begin(), p.total.end());
  }
  const std::vector<double>&create = all.create, &inst = all.inst, &drop = all.drop,
                                 &total = all.total;
  std::printf("%s: %s (%zu bytes, compile %.1f ms), %d iterations after %d warm-up, %d thread%s\n",
              name.c_str(), path.c_str(), bytes.size(), compile_ms, iterations, warmup, threads,
              threads == 1 ? "" : "s (iterations each)");
  auto row = [](const char* what, const std::vector<double>& v) {
    Stats s = Summarize(v);
    std::printf("  %-28s p50 %9.2f us   p99 %9.2f us   mean %9.2f us\n", what, s.p50, s.p99,
                s.mean);
  };
  row("store + WASI state", create);
  row("instantiate", inst);
  row("drop store", drop);
  row("total (create+inst+drop)", total);
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 2000;
  int warmup = 100;
  int threads = 1;
  std::vector<std::pair<std::string, std::string>> targets;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--warmup" && i + 1 < argc) {
      warmup = std::max(0, std::atoi(argv[++i]));
    } else if (a.find('=') != std::string::npos && a[0] != '-') {
      size_t eq = a.find('=');
      targets.emplace_back(a.substr(0, eq), a.substr(eq + 1));
    } else if (a[0] != '-') {
      targets.emplace_back(a, a);
    } else {
      std::fprintf(stderr,
                   "usage: weft-bench-instantiate [--iterations N] [--warmup N] [--threads N] "
                   "[name=path ...]\n");
      return 2;
    }
  }
  if (targets.empty()) {
    targets = {{"hello-http", WEFT_HELLO_HTTP_COMPONENT},
               {"js-http", WEFT_JS_HTTP_COMPONENT},
               {"hello-cmd", WEFT_HELLO_COMPONENT}};
  }
  for (const auto& [name, path] : targets) Run(name, path, iterations, warmup, threads);
  return 0;
}
