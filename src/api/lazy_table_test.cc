// Tests of lazy table initialisation (CompiledModule::TablePlans): a defined table written by
// active element segments is filled on first use, and must behave exactly as an eagerly
// initialised one: call_indirect reaches the functions the segments put there (the later
// segment winning where they overlap), null entries trap, a write (table.set, table.fill,
// table.copy, table.grow, the host API) is never undone by a later lazy resolution, each
// instance has its own table, and a table exported to another module works through its
// importer. Modules whose segments could fail keep the eager, in-order semantics.
#include <gtest/gtest.h>

#include <string>

#include "api/test_util.h"
#include "weft/weft.h"

namespace weft {
namespace {

using testing::MustCompile;

// Table of 8: [f10, f20, null, f30, f40->f50 (overlap), null, null, null].
const char* kModule = R"((module
  (type $t (func (result i32)))
  (table $tab (export "tab") 8 funcref)
  (func $f10 (result i32) i32.const 10)
  (func $f20 (result i32) i32.const 20)
  (func $f30 (result i32) i32.const 30)
  (func $f40 (result i32) i32.const 40)
  (func $f50 (result i32) i32.const 50)
  (elem (i32.const 0) $f10 $f20)
  (elem (i32.const 3) $f30 $f40)
  (elem (i32.const 4) $f50)
  (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $t))
  (func (export "set_null") (param i32) local.get 0 ref.null func table.set $tab)
  (func (export "copy") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 table.copy $tab $tab)
  (func (export "fill_null") (param i32 i32) local.get 0 ref.null func local.get 1 table.fill $tab)
  (func (export "is_null") (param i32) (result i32) local.get 0 table.get $tab ref.is_null)
  (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow $tab))
)";

struct Fixture {
  Engine engine;
  Store<int> store{engine, 0};
  Module module = MustCompile(engine, kModule);
  Instance inst = New();

  Instance New() {
    Linker<int> linker(engine);
    auto i = linker.Instantiate(store, module);
    EXPECT_TRUE(i.ok()) << i.error().ToString();
    return std::move(i).value();
  }
  // Export `name` called with i32 arguments.
  Expected<std::vector<Val>> Invoke(const Instance& in, const char* name,
                                    std::initializer_list<int32_t> a) {
    std::vector<Val> args;
    for (int32_t v : a) args.push_back(Val::I32(v));
    return in.GetFunc(name)->Call(store, args);
  }
  // The result of call_indirect at `i`, or -1 for a trap with `trap_text` in its message.
  int32_t Call(const Instance& in, int32_t i, std::string* trap_text = nullptr) {
    auto r = Invoke(in, "call", {i});
    if (!r.ok()) {
      if (trap_text) *trap_text = r.error().message();
      return -1;
    }
    return (*r)[0].i32();
  }
  void Run(const Instance& in, const char* name, std::initializer_list<int32_t> a) {
    auto r = Invoke(in, name, a);
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().ToString();
  }
  int32_t Get(const Instance& in, const char* name, std::initializer_list<int32_t> a) {
    auto r = Invoke(in, name, a);
    EXPECT_TRUE(r.ok()) << name << ": " << r.error().ToString();
    return r.ok() ? (*r)[0].i32() : -2;
  }
};

TEST(LazyTable, CallIndirectSeesTheSegmentsInOrder) {
  Fixture f;
  EXPECT_EQ(f.Call(f.inst, 0), 10);
  EXPECT_EQ(f.Call(f.inst, 1), 20);
  EXPECT_EQ(f.Call(f.inst, 3), 30);
  EXPECT_EQ(f.Call(f.inst, 4), 50);  // the later segment wins
  std::string why;
  EXPECT_EQ(f.Call(f.inst, 2, &why), -1);
  EXPECT_NE(why.find("uninitialized element"), std::string::npos) << why;
  EXPECT_EQ(f.Call(f.inst, 8, &why), -1);  // out of bounds
  EXPECT_EQ(f.Call(f.inst, 1), 20);        // resolved entries stay
}

TEST(LazyTable, WritesAreNeverUndone) {
  Fixture f;
  // table.set of null over an entry no call has resolved yet: it must stay null.
  f.Run(f.inst, "set_null", {1});
  EXPECT_EQ(f.Call(f.inst, 1), -1);
  EXPECT_EQ(f.Get(f.inst, "is_null", {1}), 1);
  EXPECT_EQ(f.Get(f.inst, "is_null", {0}), 0);
  EXPECT_EQ(f.Call(f.inst, 0), 10);

  Fixture g;
  g.Run(g.inst, "fill_null", {3, 2});
  EXPECT_EQ(g.Call(g.inst, 3), -1);
  EXPECT_EQ(g.Call(g.inst, 4), -1);
  EXPECT_EQ(g.Call(g.inst, 0), 10);

  Fixture h;
  h.Run(h.inst, "copy", {5, 0, 2});  // [5..7) = [f10, f20]; nothing resolved before
  EXPECT_EQ(h.Call(h.inst, 5), 10);
  EXPECT_EQ(h.Call(h.inst, 6), 20);
  h.Run(h.inst, "copy", {0, 2, 1});  // a null copied over f10
  EXPECT_EQ(h.Call(h.inst, 0), -1);

  Fixture k;
  EXPECT_EQ(k.Get(k.inst, "grow", {4}), 8);
  EXPECT_EQ(k.Call(k.inst, 3), 30);
  EXPECT_EQ(k.Call(k.inst, 9), -1);
}

TEST(LazyTable, HostApiSeesAndWritesTheTable) {
  Fixture f;
  std::optional<Table> tab = f.inst.GetTable("tab");
  ASSERT_TRUE(tab.has_value());
  std::optional<Val> v = tab->Get(0);
  ASSERT_TRUE(v.has_value());
  ASSERT_FALSE(v->is_null_ref());
  auto r = v->funcref().Call(f.store, {});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)[0].i32(), 10);
  EXPECT_TRUE(tab->Get(2)->is_null_ref());

  Fixture g;
  std::optional<Table> tab2 = g.inst.GetTable("tab");
  ASSERT_TRUE(tab2->Set(3, Val::Null(ValKind::kFuncRef)).ok());
  EXPECT_EQ(g.Call(g.inst, 3), -1);
  EXPECT_EQ(g.Call(g.inst, 4), 50);
}

TEST(LazyTable, InstancesAreIndependent) {
  Fixture f;
  Instance second = f.New();
  f.Run(f.inst, "set_null", {0});
  EXPECT_EQ(f.Call(f.inst, 0), -1);
  EXPECT_EQ(f.Call(second, 0), 10);
  EXPECT_EQ(f.Call(second, 1), 20);
  f.Run(second, "set_null", {1});
  EXPECT_EQ(f.Call(f.inst, 1), 20);
}

// Another module imports the lazy table and calls through it; the importer's own active
// segment is applied eagerly (imported tables never are lazy) and its writes stay.
TEST(LazyTable, ExportedTableWorksThroughAnImporter) {
  Fixture f;
  Module user = MustCompile(f.engine, R"((module
    (type $t (func (result i32)))
    (import "m" "tab" (table 8 funcref))
    (func $f99 (result i32) i32.const 99)
    (elem (i32.const 6) $f99)
    (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $t)))
  )");
  Linker<int> linker(f.engine);
  ASSERT_TRUE(linker.Define("m", "tab", Extern::Of(*f.inst.GetTable("tab"))).ok());
  auto u = linker.Instantiate(f.store, user);
  ASSERT_TRUE(u.ok()) << u.error().ToString();
  EXPECT_EQ(f.Call(*u, 3), 30);   // resolved through the importer
  EXPECT_EQ(f.Call(*u, 6), 99);   // the importer's segment
  EXPECT_EQ(f.Call(f.inst, 6), 99);
  EXPECT_EQ(f.Call(f.inst, 4), 50);
}

// A module whose segments could fail is initialised eagerly and in order: the first
// segment's write to the imported table stays although the second traps.
TEST(LazyTable, FailingSegmentsKeepEagerSemantics) {
  Fixture f;
  Module bad = MustCompile(f.engine, R"((module
    (import "m" "tab" (table 8 funcref))
    (table $own 2 funcref)
    (func $f7 (result i32) i32.const 7)
    (elem (table 0) (i32.const 7) func $f7)
    (elem (table $own) (i32.const 1) func $f7 $f7))
  )");
  Linker<int> linker(f.engine);
  ASSERT_TRUE(linker.Define("m", "tab", Extern::Of(*f.inst.GetTable("tab"))).ok());
  auto u = linker.Instantiate(f.store, bad);
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message().find("out of bounds table"), std::string::npos)
      << u.error().message();
  EXPECT_EQ(f.Call(f.inst, 7), 7);
}

}  // namespace
}  // namespace weft
