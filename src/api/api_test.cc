// Tests of the embedding API: compile, link, instantiate, call, traps, host functions,
// linking errors and store limits. Modules come from wat2wasm (test_util.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "api/test_util.h"
#include "weft/weft.h"

namespace weft {
namespace {

using testing::MustCompile;
using testing::Wat;

TEST(Api, CompileAndCall) {
  Engine engine;
  Module m = MustCompile(engine, R"((module
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "swap") (param i64 f64) (result f64 i64) local.get 1 local.get 0))
  )");
  Store<int> store(engine, 0);
  Linker<int> linker(engine);
  auto inst = linker.Instantiate(store, m);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  Func add = *inst->GetFunc("add");
  EXPECT_EQ(add.type().ToString(), "(i32, i32) -> (i32)");
  Val args[] = {Val::I32(40), Val::I32(2)};
  auto r = add.Call(store, args);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].i32(), 42);
  EXPECT_EQ((*r)[0].ToString(), "i32:42");

  auto swap = TypedFunc<std::tuple<int64_t, double>, std::tuple<double, int64_t>>::Make(
      *inst->GetFunc("swap"));
  ASSERT_TRUE(swap.ok());
  auto s = swap->Call(store, 7, 2.5);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(std::get<0>(*s), 2.5);
  EXPECT_EQ(std::get<1>(*s), 7);

  // Argument checks name the expected type.
  Val bad[] = {Val::I32(1), Val::F32(1)};
  auto e = add.Call(store, bad);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), ErrorCode::kArgument);
  EXPECT_NE(e.error().message().find("expected i32, got f32"), std::string::npos);
  EXPECT_FALSE((TypedFunc<std::tuple<int32_t>, int32_t>::Make(add).ok()));
}

TEST(Api, ImportsAndExports) {
  Engine engine;
  Module m = MustCompile(engine, R"((module
    (import "env" "f" (func (param i32)))
    (import "env" "mem" (memory 1 2))
    (import "env" "g" (global (mut i64)))
    (table (export "t") 3 funcref)
    (func (export "h") (result i32) i32.const 1))
  )");
  auto imps = m.imports();
  ASSERT_EQ(imps.size(), 3u);
  EXPECT_EQ(imps[0].module, "env");
  EXPECT_EQ(imps[0].type.ToString(), "func (i32) -> ()");
  EXPECT_EQ(imps[1].type.ToString(), "memory 1 2");
  EXPECT_EQ(imps[2].type.ToString(), "global (mut i64)");
  auto exps = m.exports();
  ASSERT_EQ(exps.size(), 2u);
  EXPECT_EQ(exps[0].name, "t");
  EXPECT_EQ(exps[0].type.ToString(), "table 3 funcref");
  EXPECT_EQ(exps[1].type.ToString(), "func () -> (i32)");
}

TEST(Api, MalformedAndInvalid) {
  Engine engine;
  uint8_t garbage[] = {0, 'a', 's', 'x', 1, 0, 0, 0};
  auto m = Module::Compile(engine, garbage);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), ErrorCode::kMalformed);
  auto bytes = Wat("(module (func (result i32) i64.const 0))", "--no-check");
  ASSERT_FALSE(bytes.empty());
  auto m2 = Module::Compile(engine, bytes);
  ASSERT_FALSE(m2.ok());
  EXPECT_EQ(m2.error().code(), ErrorCode::kInvalid);
}

TEST(Api, HostFunctionsTrapsAndExit) {
  Engine engine;
  Module m = MustCompile(engine, R"((module
    (import "host" "twice" (func $twice (param i32) (result i32)))
    (import "host" "fail" (func $fail))
    (import "host" "exit" (func $exit (param i32)))
    (func (export "call_twice") (param i32) (result i32) local.get 0 call $twice)
    (func $inner (call $fail))
    (func (export "call_fail") (call $inner))
    (func (export "call_exit") (call $exit (i32.const 7)) unreachable))
  )");
  struct Data {
    int calls = 0;
  };
  Store<Data> store(engine);
  Linker<Data> linker(engine);
  ASSERT_TRUE(linker
                  .FuncWrap("host", "twice",
                            [](Caller<Data>& c, int32_t x) -> int32_t {
                              c.data().calls++;
                              return 2 * x;
                            })
                  .ok());
  ASSERT_TRUE(linker
                  .FuncWrap("host", "fail",
                            []() -> Error { return Error::Make(ErrorCode::kTrap, "host says no"); })
                  .ok());
  ASSERT_TRUE(
      linker.FuncWrap("host", "exit", [](int32_t code) -> Error { return Error::Exit(code); })
          .ok());
  auto inst = linker.Instantiate(store, m);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();

  Val args[] = {Val::I32(21)};
  auto r = inst->GetFunc("call_twice")->Call(store, args);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].i32(), 42);
  EXPECT_EQ(store.data().calls, 1);

  auto f = inst->GetFunc("call_fail")->Call(store, {});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code(), ErrorCode::kTrap);
  EXPECT_EQ(f.error().message(), "host says no");
  const auto& bt = f.error().backtrace();
  ASSERT_GE(bt.size(), 2u);
  EXPECT_EQ(bt[0], "inner");
  EXPECT_EQ(bt[1], "call_fail");

  auto x = inst->GetFunc("call_exit")->Call(store, {});
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(x.error().code(), ErrorCode::kExit);
  EXPECT_EQ(x.error().exit_status(), 7);

  // The store still works after traps.
  auto again = inst->GetFunc("call_twice")->Call(store, args);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].i32(), 42);
}

TEST(Api, GuestTrapsWithBacktrace) {
  Engine engine;
  Module m = MustCompile(engine, R"((module $mod
    (func $div (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
    (func (export "run") (param i32) (result i32) i32.const 1 local.get 0 call $div)
    (func $boom unreachable)
    (func (export "boom") call $boom))
  )");
  Store<int> store(engine);
  auto inst = Linker<int>(engine).Instantiate(store, m);
  ASSERT_TRUE(inst.ok());
  Val zero[] = {Val::I32(0)};
  auto r = inst->GetFunc("run")->Call(store, zero);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
  EXPECT_EQ(r.error().message(), "integer divide by zero");
  ASSERT_EQ(r.error().backtrace().size(), 2u);
  EXPECT_EQ(r.error().backtrace()[0], "mod!div");
  EXPECT_EQ(r.error().backtrace()[1], "mod!run");
  auto b = inst->GetFunc("boom")->Call(store, {});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message(), "unreachable");
}

TEST(Api, LinkingErrors) {
  Engine engine;
  Module m = MustCompile(engine, R"((module (import "env" "f" (func (param i32)))))");
  Store<int> store(engine);
  Linker<int> linker(engine);
  auto r = linker.Instantiate(store, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnlinkable);
  EXPECT_EQ(r.error().message(), "unknown import: \"env\" \"f\"");

  ASSERT_TRUE(linker.FuncWrap("env", "f", [](int64_t) {}).ok());
  auto r2 = linker.Instantiate(store, m);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code(), ErrorCode::kUnlinkable);
  EXPECT_EQ(r2.error().message().rfind("incompatible import type for \"env\" \"f\"", 0), 0u);

  // Duplicates are refused unless shadowing is allowed.
  Error dup = linker.FuncWrap("env", "f", [](int32_t) {});
  EXPECT_FALSE(dup.ok());
  linker.AllowShadowing(true);
  ASSERT_TRUE(linker.FuncWrap("env", "f", [](int32_t) {}).ok());
  EXPECT_TRUE(linker.Instantiate(store, m).ok());

  // Memory limits: the import's max must be respected by the provided memory.
  Module mm = MustCompile(engine, R"((module (import "env" "mem" (memory 2 4))))");
  Linker<int> l2(engine);
  auto small = NewMemory(store, MemoryType{{1, 4}});
  ASSERT_TRUE(small.ok());
  ASSERT_TRUE(l2.Define("env", "mem", Extern::Of(*small)).ok());
  EXPECT_EQ(l2.Instantiate(store, mm).error().code(), ErrorCode::kUnlinkable);
  ASSERT_TRUE(small->Grow(1).ok());  // Current size counts: now 2 pages, max 4.
  EXPECT_TRUE(l2.Instantiate(store, mm).ok());
  Linker<int> l3(engine);
  auto unbounded = NewMemory(store, MemoryType{{2, std::nullopt}});
  ASSERT_TRUE(l3.Define("env", "mem", Extern::Of(*unbounded)).ok());
  EXPECT_EQ(l3.Instantiate(store, mm).error().code(), ErrorCode::kUnlinkable);

  // Globals: type and mutability must be equal.
  Module mg = MustCompile(engine, R"((module (import "env" "g" (global (mut i32)))))");
  Linker<int> l4(engine);
  auto g = NewGlobal(store, GlobalType{ValKind::kI32, false}, Val::I32(1));
  ASSERT_TRUE(l4.Define("env", "g", Extern::Of(*g)).ok());
  EXPECT_EQ(l4.Instantiate(store, mg).error().code(), ErrorCode::kUnlinkable);
}

TEST(Api, InstantiationSegmentsAndPartialEffects) {
  Engine engine;
  Store<int> store(engine);
  auto mem = NewMemory(store, MemoryType{{1, std::nullopt}});
  auto tab = NewTable(store, TableType{ValKind::kFuncRef, {10, std::nullopt}},
                      Val::Null(ValKind::kFuncRef));
  ASSERT_TRUE(mem.ok() && tab.ok());
  Linker<int> linker(engine);
  ASSERT_TRUE(linker.Define("env", "mem", Extern::Of(*mem)).ok());
  ASSERT_TRUE(linker.Define("env", "tab", Extern::Of(*tab)).ok());
  // The element segment applies, then the second data segment is out of bounds: the first
  // data segment's write to the imported memory stays (spec linking.wast).
  Module m = MustCompile(engine, R"((module
    (import "env" "mem" (memory 1))
    (import "env" "tab" (table 10 funcref))
    (func $f (result i32) i32.const 5)
    (elem (i32.const 2) $f)
    (data (i32.const 100) "hi")
    (data (i32.const 65535) "xx"))
  )");
  auto r = linker.Instantiate(store, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
  EXPECT_EQ(r.error().message(), "out of bounds memory access");
  EXPECT_EQ(mem->data()[100], 'h');
  EXPECT_EQ(mem->data()[101], 'i');
  auto e = tab->Get(2);
  ASSERT_TRUE(e.has_value());
  ASSERT_FALSE(e->is_null_ref());
  auto five = e->funcref().Call(store, {});
  ASSERT_TRUE(five.ok());
  EXPECT_EQ((*five)[0].i32(), 5);

  Module t = MustCompile(engine, R"((module
    (import "env" "tab" (table 10 funcref))
    (func $f) (elem (i32.const 10) $f)))");
  auto rt = linker.Instantiate(store, t);
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.error().message(), "out of bounds table access");

  // Globals initialised from imported globals, start function run.
  auto g = NewGlobal(store, GlobalType{ValKind::kI32, false}, Val::I32(41));
  ASSERT_TRUE(linker.Define("env", "g", Extern::Of(*g)).ok());
  Module s = MustCompile(engine, R"((module
    (import "env" "g" (global $g i32))
    (global $h (export "h") (mut i32) (global.get $g))
    (func $start (global.set $h (i32.add (global.get $h) (i32.const 1))))
    (start $start)))");
  auto rs = linker.Instantiate(store, s);
  ASSERT_TRUE(rs.ok()) << rs.error().ToString();
  EXPECT_EQ(rs->GetGlobal("h")->Get().i32(), 42);
}

TEST(Api, MemoryLimits) {
  Engine engine;
  Store<int> store(engine);
  StoreLimits limits;
  limits.max_memory_bytes = 4 * 65536;
  store.SetLimits(limits);
  Module m = MustCompile(engine, R"((module
    (memory (export "mem") 1)
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
  )");
  auto inst = Linker<int>(engine).Instantiate(store, m);
  ASSERT_TRUE(inst.ok());
  Func grow = *inst->GetFunc("grow");
  Val two[] = {Val::I32(2)};
  auto r = grow.Call(store, two);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), 1);
  r = grow.Call(store, two);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), -1);  // 5 pages > 4-page limit.
  Memory mem = *inst->GetMemory("mem");
  EXPECT_EQ(mem.size_pages(), 3u);
  uint8_t* base = mem.data();
  EXPECT_TRUE(mem.Grow(1).ok());
  EXPECT_EQ(mem.data(), base);  // Never moves.
  EXPECT_FALSE(mem.Grow(1).ok());
  EXPECT_FALSE(mem.Slice(4 * 65536 - 1, 2).has_value());
  EXPECT_TRUE(mem.Slice(4 * 65536 - 1, 1).has_value());

  Module big = MustCompile(engine, "(module (memory 5))");
  auto rb = Linker<int>(engine).Instantiate(store, big);
  ASSERT_FALSE(rb.ok());
  EXPECT_EQ(rb.error().code(), ErrorCode::kLimit);
}

TEST(Api, InstanceLimit) {
  Engine engine;
  Store<int> store(engine);
  StoreLimits limits;
  limits.max_instances = 3;
  store.SetLimits(limits);
  Module m = MustCompile(engine, "(module)");
  Linker<int> linker(engine);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(linker.Instantiate(store, m).ok());
  auto r = linker.Instantiate(store, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimit);
}

TEST(Api, FuelExhaustion) {
  Config config;
  config.consume_fuel = true;
  Engine engine(config);
  Store<int> store(engine);
  ASSERT_TRUE(store.SetFuel(10'000).ok());
  Module m = MustCompile(engine, R"((module
    (func (export "spin") (loop br 0))
    (func (export "nop")))
  )");
  auto inst = Linker<int>(engine).Instantiate(store, m);
  ASSERT_TRUE(inst.ok());
  auto r = inst->GetFunc("spin")->Call(store, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
  EXPECT_EQ(r.error().message(), "all fuel consumed");
  EXPECT_EQ(*store.GetFuel(), 0u);
  ASSERT_TRUE(store.SetFuel(100).ok());
  EXPECT_TRUE(inst->GetFunc("nop")->Call(store, {}).ok());

  Engine no_fuel;
  Store<int> s2(no_fuel);
  EXPECT_FALSE(s2.SetFuel(1).ok());
}

TEST(Api, EpochDeadlineStopsEndlessLoop) {
  Config config;
  config.epoch_interruption = true;
  Engine engine(config);
  engine.StartEpochTicker(5);
  Store<int> store(engine);
  Module m = MustCompile(engine, R"((module (func (export "spin") (loop br 0))))");
  auto inst = Linker<int>(engine).Instantiate(store, m);
  ASSERT_TRUE(inst.ok());
  store.SetEpochDeadline(4);  // ~20 ms.
  auto r = inst->GetFunc("spin")->Call(store, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
  EXPECT_EQ(r.error().message(), "interrupt");
  engine.StopEpochTicker();
}

TEST(Api, HostReentryCannotOverflowTheNativeStack) {
  Engine engine;
  Store<int> store(engine);
  Linker<int> linker(engine);
  Func* self = new Func();
  ASSERT_TRUE(linker
                  .FuncWrap("env", "again",
                            [self](Caller<int>& c, int32_t n) -> Expected<int32_t> {
                              Val args[] = {Val::I32(n + 1)};
                              auto r = self->Call(*c.store(), args);
                              if (!r.ok()) return std::move(r).error();
                              return (*r)[0].i32();
                            })
                  .ok());
  Module m = MustCompile(engine, R"((module
    (import "env" "again" (func $again (param i32) (result i32)))
    (func (export "rec") (param i32) (result i32) local.get 0 call $again))
  )");
  auto inst = linker.Instantiate(store, m);
  ASSERT_TRUE(inst.ok());
  *self = *inst->GetFunc("rec");
  Val zero[] = {Val::I32(0)};
  auto r = self->Call(store, zero);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
  EXPECT_EQ(r.error().message(), "call stack exhausted");
  delete self;
}

TEST(Api, TableLimitAndHostObjects) {
  Engine engine;
  Store<int> store(engine);
  StoreLimits limits;
  limits.max_table_elements = 100;
  store.SetLimits(limits);
  auto t =
      NewTable(store, TableType{ValKind::kExternRef, {10, std::nullopt}}, Val::MakeExternRef({7}));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Get(9)->externref().value, 7u);
  EXPECT_FALSE(t->Get(10).has_value());
  EXPECT_TRUE(t->Grow(90, Val::Null(ValKind::kExternRef)).ok());
  EXPECT_FALSE(t->Grow(1, Val::Null(ValKind::kExternRef)).ok());
  EXPECT_FALSE(t->Set(0, Val::I32(1)).ok());
  EXPECT_FALSE(NewTable(store, TableType{ValKind::kFuncRef, {101, std::nullopt}},
                        Val::Null(ValKind::kFuncRef))
                   .ok());
  Module m = MustCompile(engine, "(module (table 200 funcref))");
  auto r = Linker<int>(engine).Instantiate(store, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimit);

  auto g = NewGlobal(store, GlobalType{ValKind::kF64, true}, Val::F64(1.5));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->Get().f64(), 1.5);
  EXPECT_TRUE(g->Set(Val::F64(2.5)).ok());
  EXPECT_FALSE(g->Set(Val::I32(2)).ok());
  auto c = NewGlobal(store, GlobalType{ValKind::kI32, false}, Val::I32(1));
  EXPECT_FALSE(c->Set(Val::I32(2)).ok());
}

TEST(Api, InstancePreAcrossStoresAndDefineInstance) {
  Engine engine;
  Linker<int> linker(engine);
  ASSERT_TRUE(
      linker.FuncWrap("env", "get", [](Caller<int>& c) -> int32_t { return c.data(); }).ok());
  Module m = MustCompile(engine, R"((module
    (import "env" "get" (func $get (result i32)))
    (memory (export "memory") 1)
    (func (export "f") (result i32) call $get))
  )");
  auto pre = linker.InstantiatePre(m);
  ASSERT_TRUE(pre.ok());
  Store<int> s1(engine, 1), s2(engine, 2);
  auto i1 = pre->Instantiate(s1);
  auto i2 = pre->Instantiate(s2);
  ASSERT_TRUE(i1.ok() && i2.ok());
  EXPECT_EQ((*i1->GetFunc("f")->Call(s1, {}))[0].i32(), 1);
  EXPECT_EQ((*i2->GetFunc("f")->Call(s2, {}))[0].i32(), 2);
  // A function of one store cannot be called in another.
  auto cross = i1->GetFunc("f")->Call(s2, {});
  ASSERT_FALSE(cross.ok());
  EXPECT_EQ(cross.error().code(), ErrorCode::kArgument);

  // Re-export an instance under a module name; a store-bound definition stays in its store.
  Linker<int> l2(engine);
  ASSERT_TRUE(l2.DefineInstance("first", *i1).ok());
  Module user = MustCompile(engine, R"((module
    (import "first" "f" (func $f (result i32)))
    (import "first" "memory" (memory 1))
    (func (export "g") (result i32) (i32.store (i32.const 0) (i32.const 99)) (i32.add (call $f) (i32.const 10))))
  )");
  auto u = l2.Instantiate(s1, user);
  ASSERT_TRUE(u.ok()) << u.error().ToString();
  EXPECT_EQ((*u->GetFunc("g")->Call(s1, {}))[0].i32(), 11);
  EXPECT_EQ(i1->GetMemory("memory")->data()[0], 99);
  auto other = l2.Instantiate(s2, user);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code(), ErrorCode::kArgument);
  Module mem_user = MustCompile(engine, R"((module (import "first" "memory" (memory 1))))");
  auto mem_other = l2.Instantiate(s2, mem_user);
  ASSERT_FALSE(mem_other.ok());
  EXPECT_EQ(mem_other.error().code(), ErrorCode::kArgument);
  // Tables reject functions of another store.
  auto tab =
      NewTable(s2, TableType{ValKind::kFuncRef, {1, std::nullopt}}, Val::Null(ValKind::kFuncRef));
  ASSERT_TRUE(tab.ok());
  EXPECT_FALSE(tab->Set(0, Val::FuncRef(*i1->GetFunc("f"))).ok());
  EXPECT_TRUE(tab->Set(0, Val::FuncRef(*i2->GetFunc("f"))).ok());
}

TEST(Api, CallerSeesTheCallingInstance) {
  Engine engine;
  Store<int> store(engine);
  Linker<int> linker(engine);
  ASSERT_TRUE(linker
                  .FuncWrap("env", "peek",
                            [](CallerBase& c, int32_t addr) -> Expected<int32_t> {
                              auto bytes = c.memory().Slice(static_cast<uint32_t>(addr), 1);
                              if (!bytes)
                                return Error::Make(ErrorCode::kTrap, "peek out of bounds");
                              auto exp = c.GetExport("memory");
                              if (!exp || exp->kind != ExternKind::kMemory)
                                return Error::Make(ErrorCode::kTrap, "no memory export");
                              return (*bytes)[0];
                            })
                  .ok());
  Module m = MustCompile(engine, R"((module
    (import "env" "peek" (func $peek (param i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 5) "\2a")
    (func (export "f") (param i32) (result i32) local.get 0 call $peek))
  )");
  auto inst = linker.Instantiate(store, m);
  ASSERT_TRUE(inst.ok());
  Val five[] = {Val::I32(5)};
  EXPECT_EQ((*inst->GetFunc("f")->Call(store, five))[0].i32(), 42);
  Val far[] = {Val::I32(1 << 20)};
  auto r = inst->GetFunc("f")->Call(store, far);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "peek out of bounds");
}

TEST(Api, FuncRefsAndWrapFunc) {
  Engine engine;
  Store<int> store(engine);
  Func twice = WrapFunc<int>(store, [](int64_t x) { return x * 2; });
  EXPECT_EQ(twice.type().ToString(), "(i64) -> (i64)");
  Module m = MustCompile(engine, R"((module
    (type $t (func (param i64) (result i64)))
    (table $tab 1 funcref)
    (func (export "apply") (param funcref i64) (result i64)
      (table.set $tab (i32.const 0) (local.get 0))
      (call_indirect $tab (type $t) (local.get 1) (i32.const 0))))
  )");
  auto inst = Linker<int>(engine).Instantiate(store, m);
  ASSERT_TRUE(inst.ok());
  Val args[] = {Val::FuncRef(twice), Val::I64(21)};
  auto r = inst->GetFunc("apply")->Call(store, args);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].i64(), 42);
}

// A module of `n` functions of type () -> (), each `pad` nops long; the functions in `bad`
// leave an i32 on the stack (invalid: "type mismatch").
std::vector<uint8_t> BigModule(uint32_t n, uint32_t pad, const std::vector<uint32_t>& bad) {
  auto leb = [](std::vector<uint8_t>& out, uint32_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      out.push_back(static_cast<uint8_t>(b | (v ? 0x80 : 0)));
    } while (v);
  };
  auto section = [&](std::vector<uint8_t>& out, uint8_t id, const std::vector<uint8_t>& body) {
    out.push_back(id);
    leb(out, static_cast<uint32_t>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
  };
  std::vector<uint8_t> mod = {0, 'a', 's', 'm', 1, 0, 0, 0};
  section(mod, 1, {1, 0x60, 0, 0});
  std::vector<uint8_t> funcs;
  leb(funcs, n);
  for (uint32_t i = 0; i < n; ++i) funcs.push_back(0);
  section(mod, 3, funcs);
  std::vector<uint8_t> code;
  leb(code, n);
  for (uint32_t i = 0; i < n; ++i) {
    bool is_bad = std::find(bad.begin(), bad.end(), i) != bad.end();
    std::vector<uint8_t> body = {0};
    if (is_bad) body.insert(body.end(), {0x41, 0});
    body.insert(body.end(), pad, 0x01);
    body.push_back(0x0b);
    leb(code, static_cast<uint32_t>(body.size()));
    code.insert(code.end(), body.begin(), body.end());
  }
  section(mod, 10, code);
  return mod;
}

TEST(Api, ParallelValidationReportsTheFirstInvalidFunction) {
  Engine engine;
  // ~1.2 MB of code: validated on several threads.
  auto ok = Module::Compile(engine, BigModule(4000, 300, {}));
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  for (int round = 0; round < 3; ++round) {
    auto bad = Module::Compile(engine, BigModule(4000, 300, {3999, 2100, 777}));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code(), ErrorCode::kInvalid);
    EXPECT_EQ(bad.error().func_index(), 777u) << bad.error().ToString();
  }
  Error v = Module::Validate(BigModule(4000, 300, {5, 6}));
  EXPECT_EQ(v.func_index(), 5u) << v.ToString();
}

// Not a pass/fail test: prints the costs of host -> guest and guest -> host calls.
TEST(Api, CallCosts) {
  Engine engine;
  Store<int> store(engine);
  Linker<int> linker(engine);
  ASSERT_TRUE(linker.FuncWrap("env", "h", [](int32_t x) { return x + 1; }).ok());
  Module m = MustCompile(engine, R"((module
    (import "env" "h" (func $h (param i32) (result i32)))
    (func (export "id") (param i32) (result i32) local.get 0)
    (func (export "loop") (param $n i32) (result i32) (local $acc i32)
      (loop $l
        (local.set $acc (call $h (local.get $acc)))
        (br_if $l (i32.lt_u (local.get $acc) (local.get $n))))
      (local.get $acc)))
  )");
  auto inst = linker.Instantiate(store, m);
  ASSERT_TRUE(inst.ok());
  auto id = TypedFunc<std::tuple<int32_t>, int32_t>::Make(*inst->GetFunc("id"));
  const int n = 200000;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) ASSERT_TRUE(id->Call(store, i).ok());
  auto t1 = std::chrono::steady_clock::now();
  Val arg[] = {Val::I32(n)};
  auto r = inst->GetFunc("loop")->Call(store, arg);
  auto t2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), n);
  auto ns = [](auto a, auto b) { return std::chrono::duration<double, std::nano>(b - a).count(); };
  std::printf("host->guest TypedFunc call: %.0f ns; guest->host call: %.0f ns\n", ns(t0, t1) / n,
              ns(t1, t2) / n);
  const int na = 2000;
  Func idf = *inst->GetFunc("id");
  auto t3 = std::chrono::steady_clock::now();
  for (int i = 0; i < na; ++i) {
    auto c = idf.CallAsync(store, {Val::I32(i)});
    ASSERT_TRUE(c.ok());
    ASSERT_EQ((*c)->results()[0].i32(), i);
  }
  auto t4 = std::chrono::steady_clock::now();
  std::printf("async call (fiber + interpreter stack, start to finish): %.0f ns\n",
              ns(t3, t4) / na);
}

}  // namespace
}  // namespace weft
