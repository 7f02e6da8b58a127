// Micro-benchmarks of the embedding API's fixed costs (Google Benchmark): a host -> guest call
// of an empty function, guest -> host calls, and the fiber switch of an async call (one
// Caller::Suspend + AsyncCall::Resume round trip). Uses only include/weft/weft.h; the guest
// is micro.wat, compiled at build time to the path in WEFT_MICRO_WASM.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "weft/weft.h"

namespace {

struct HostState {
  bool keep_suspending = true;
};

// One engine, store and instance shared by all benchmarks (built on first use).
struct Fixture {
  weft::Engine engine;
  weft::Store<HostState> store{engine};
  weft::Instance instance;

  Fixture() {
    auto module = weft::Module::FromFile(engine, WEFT_MICRO_WASM);
    if (!module.ok()) Die("compile", module.error());
    weft::Linker<HostState> linker(engine);
    Check(linker.FuncWrap("host", "nop", [] {}));
    Check(linker.FuncWrap("host", "suspend", [](weft::Caller<HostState>& caller) -> int32_t {
      if (!caller.data().keep_suspending) return 0;
      if (weft::Error e = caller.Suspend(); !e.ok()) return 0;
      return 1;
    }));
    auto inst = linker.Instantiate(store, *module);
    if (!inst.ok()) Die("instantiate", inst.error());
    instance = *inst;
  }
  weft::Func Get(const char* name) {
    std::optional<weft::Func> f = instance.GetFunc(name);
    if (!f) {
      std::fprintf(stderr, "micro.wasm lacks export %s\n", name);
      std::exit(1);
    }
    return *f;
  }
  static void Check(weft::Error e) {
    if (!e.ok()) Die("link", e);
  }
  [[noreturn]] static void Die(const char* what, const weft::Error& e) {
    std::fprintf(stderr, "%s: %s\n", what, e.ToString().c_str());
    std::exit(1);
  }
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_HostToGuestEmpty(benchmark::State& state) {
  weft::Func f = F().Get("empty");
  for (auto _ : state) {
    weft::Error e = f.Call(F().store, {}, {});
    benchmark::DoNotOptimize(e.ok());
  }
}
BENCHMARK(BM_HostToGuestEmpty);

void BM_HostToGuestTypedAdd(benchmark::State& state) {
  auto add = weft::TypedFunc<std::tuple<int32_t, int32_t>, int32_t>::Make(F().Get("add"));
  if (!add.ok()) return state.SkipWithError("add has the wrong type");
  int32_t x = 0;
  for (auto _ : state) {
    auto r = add->Call(F().store, x, 1);
    x = r.ok() ? *r : 0;
  }
  benchmark::DoNotOptimize(x);
}
BENCHMARK(BM_HostToGuestTypedAdd);

// Runs export `name`, a guest loop of n iterations each making one call, and reports the
// cost per call.
void CallLoop(benchmark::State& state, const char* name) {
  weft::Func f = F().Get(name);
  const int32_t n = 1000;
  weft::Val arg = weft::Val::I32(n);
  for (auto _ : state) {
    weft::Error e = f.Call(F().store, {&arg, 1}, {});
    benchmark::DoNotOptimize(e.ok());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["ns_per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * n,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Per iteration: one guest -> host call (plus one loop iteration of the guest).
void BM_GuestToHost(benchmark::State& state) { CallLoop(state, "call_host"); }
BENCHMARK(BM_GuestToHost);

// Baseline for BM_GuestToHost: the same loop calling an empty wasm function.
void BM_GuestToGuest(benchmark::State& state) { CallLoop(state, "call_guest"); }
BENCHMARK(BM_GuestToGuest);

// Per iteration: Resume() into the guest, which returns from the host's Suspend(), loops,
// calls the host again and suspends back: two fiber switches and one host call.
void BM_FiberSwitchRoundTrip(benchmark::State& state) {
  F().store.data().keep_suspending = true;
  auto call = F().Get("suspend_loop").CallAsync(F().store, {});
  if (!call.ok() || (*call)->state() != weft::AsyncCall::State::kSuspended) {
    return state.SkipWithError("CallAsync did not suspend");
  }
  weft::AsyncCall& c = **call;
  for (auto _ : state) {
    benchmark::DoNotOptimize(c.Resume());
  }
  F().store.data().keep_suspending = false;
  c.Resume();
  if (c.state() != weft::AsyncCall::State::kDone || !c.error().ok()) {
    state.SkipWithError("async call did not finish cleanly");
  }
}
BENCHMARK(BM_FiberSwitchRoundTrip);

// Per iteration: a whole CallAsync of an empty function (fiber from the pool, run, return).
void BM_CallAsyncEmpty(benchmark::State& state) {
  weft::Func f = F().Get("empty");
  for (auto _ : state) {
    auto call = f.CallAsync(F().store, {});
    benchmark::DoNotOptimize(call.ok());
  }
}
BENCHMARK(BM_CallAsyncEmpty);

}  // namespace

BENCHMARK_MAIN();
