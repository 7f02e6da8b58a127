// weft-bench-component: canonical ABI call costs and component instantiation, through the
// public component API (docs/performance.md "Components").
//   Host -> guest: typed calls of exports taking nothing, a 23-byte string, and a list of
//   four records {a: u32, b: string} (lowered into guest memory with its realloc).
//   Guest -> host: a guest loop calling host imports of the same three shapes 1,000 times
//   per iteration (time per call = reported time / 1000; items_per_second counts host calls).
//   Instantiate: InstancePre::Instantiate of a command component (WEFT_HELLO_COMPONENT: the C
//   hello world made by `jco new`) with the WASI 0.2 linker, into a fresh store each time.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "wasi/p2/filesystem.h"
#include "wasi/p2/io.h"
#include "weft/component.h"

namespace {

namespace cm = weft::component;

struct Rec {
  uint32_t a;
  std::string b;
};

}  // namespace

WEFT_COMPONENT_RECORD(Rec, a, b);

namespace {

std::vector<uint8_t> ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct State {
  uint64_t calls = 0;
};

struct Fixture {
  weft::Engine engine;
  cm::Component component;
  weft::Store<State> store{engine};
  cm::Instance instance;

  Fixture() {
    auto c = cm::Component::FromFile(engine, WEFT_CALLS_COMPONENT);
    if (!c.ok()) Die("compile", c.error());
    component = std::move(c).value();
    cm::Linker<State> linker(engine);
    auto host = linker.Instance("host");
    Check(host.FuncWrap("empty", [](State& s) { s.calls++; }));
    Check(host.FuncWrap("take-string", [](State& s, std::string v) { s.calls += v.size(); }));
    Check(host.FuncWrap("take-records",
                        [](State& s, std::vector<Rec> v) { s.calls += v.size(); }));
    auto pre = linker.InstantiatePre(component);
    if (!pre.ok()) Die("link", pre.error());
    auto inst = pre.value().Instantiate(store);
    if (!inst.ok()) Die("instantiate", inst.error());
    instance = inst.value();
  }
  template <typename P, typename R>
  cm::TypedFunc<P, R> Get(const char* name) {
    auto f = instance.GetFunc(name);
    if (!f) Die(name, weft::Error::Make(weft::ErrorCode::kArgument, "no such export"));
    auto t = cm::TypedFunc<P, R>::Make(*f);
    if (!t.ok()) Die(name, t.error());
    return t.value();
  }
  static void Check(const weft::Error& e) {
    if (!e.ok()) Die("define", e);
  }
  [[noreturn]] static void Die(const char* what, const weft::Error& e) {
    std::fprintf(stderr, "%s: %s\n", what, e.ToString().c_str());
    std::exit(1);
  }
};

Fixture& F() {
  static Fixture f;
  return f;
}

void HostToGuestEmpty(benchmark::State& st) {
  auto f = F().Get<std::tuple<>, void>("empty");
  for (auto _ : st) benchmark::DoNotOptimize(f.Call(F().store));
}
BENCHMARK(HostToGuestEmpty);

void HostToGuestString(benchmark::State& st) {
  auto f = F().Get<std::tuple<std::string>, void>("take-string");
  const std::string s = "hello, component model!";
  for (auto _ : st) benchmark::DoNotOptimize(f.Call(F().store, s));
}
BENCHMARK(HostToGuestString);

void HostToGuestRecords(benchmark::State& st) {
  auto f = F().Get<std::tuple<std::vector<Rec>>, void>("take-records");
  const std::vector<Rec> l = {{1, "hello"}, {2, "hello, co"}, {3, "hello, compo"},
                              {4, "hello, component model!"}};
  for (auto _ : st) benchmark::DoNotOptimize(f.Call(F().store, l));
}
BENCHMARK(HostToGuestRecords);

constexpr uint32_t kLoop = 1000;

void GuestToHost(benchmark::State& st, const char* loop) {
  auto f = F().Get<std::tuple<uint32_t>, void>(loop);
  for (auto _ : st) benchmark::DoNotOptimize(f.Call(F().store, kLoop));
  // items_per_second = host calls per second of CPU time.
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * kLoop);
}
BENCHMARK_CAPTURE(GuestToHost, empty, "loop-empty");
BENCHMARK_CAPTURE(GuestToHost, string, "loop-string");
BENCHMARK_CAPTURE(GuestToHost, records, "loop-records");

namespace p2 = weft::wasi::p2;

struct WasiState {
  p2::WasiP2Ctx wasi;
  p2::FilesystemCtx fs;
};

void InstantiateHello(benchmark::State& st) {
  static weft::Engine engine;
  auto bytes = ReadFile(WEFT_HELLO_COMPONENT);
  auto c = cm::Component::Compile(engine, bytes);
  if (!c.ok()) Fixture::Die("compile hello", c.error());
  boost::asio::io_context io;
  cm::Linker<WasiState> linker(engine);
  auto get_io = +[](WasiState& s) -> p2::WasiP2Ctx& { return s.wasi; };
  Fixture::Check(p2::AddToLinker(linker, get_io));
  Fixture::Check(p2::AddFilesystemToLinker(
      linker, +[](WasiState& s) -> p2::FilesystemCtx& { return s.fs; }, get_io));
  auto pre = linker.InstantiatePre(c.value());
  if (!pre.ok()) Fixture::Die("link hello", pre.error());
  for (auto _ : st) {
    weft::Store<WasiState> store(engine, WasiState{p2::WasiP2Ctx(io), p2::FilesystemCtx()});
    auto inst = pre.value().Instantiate(store);
    if (!inst.ok()) Fixture::Die("instantiate hello", inst.error());
    benchmark::DoNotOptimize(inst.value());
  }
}
BENCHMARK(InstantiateHello)->Repetitions(5)->ReportAggregatesOnly(false)->ComputeStatistics(
    "p50", [](const std::vector<double>& v) {
      std::vector<double> s = v;
      std::sort(s.begin(), s.end());
      return s[s.size() / 2];
    });

}  // namespace

BENCHMARK_MAIN();
