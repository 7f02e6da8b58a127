// Tests of instantiation with copy-on-write memory images and pooled memory slots, through
// the public API: instances of one module never see each other's writes (in one store, in
// other stores, and after a store's slots are reused), growth past the image, segments at
// odd and overlapping offsets, passive segments with memory.init, the copying fallback
// (global offsets, out-of-bounds segments) and a failed instantiation that must not show its
// data.
#include <gtest/gtest.h>

#include <string>

#include "api/test_util.h"
#include "weft/weft.h"

namespace weft {
namespace {

using testing::MustCompile;

// load8_u/store8 and grow exports over one memory with data at odd, overlapping offsets:
// "abc" at 16, "xyz" ending at the last byte of the first page, "HELLO" across the
// 4 KiB boundary, then "J" over the "H" (the later segment wins).
const char* kDataModule = R"((module
  (memory (export "mem") 1 4)
  (data (i32.const 16) "abc")
  (data (i32.const 65533) "xyz")
  (data (i32.const 4094) "HELLO")
  (data (i32.const 4094) "J")
  (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store8)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
)";

int32_t Load(Store<int>& store, const Instance& inst, int32_t addr) {
  Val args[] = {Val::I32(addr)};
  auto r = inst.GetFunc("load")->Call(store, args);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? (*r)[0].i32() : -1;
}

void StoreByte(Store<int>& store, const Instance& inst, int32_t addr, int32_t v) {
  Val args[] = {Val::I32(addr), Val::I32(v)};
  auto r = inst.GetFunc("store")->Call(store, args);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
}

int32_t Grow(Store<int>& store, const Instance& inst, int32_t pages) {
  Val args[] = {Val::I32(pages)};
  auto r = inst.GetFunc("grow")->Call(store, args);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? (*r)[0].i32() : -2;
}

std::string Bytes(const Instance& inst, uint64_t off, uint64_t n) {
  auto s = inst.GetMemory("mem")->Slice(off, n);
  if (!s) return "<out of bounds>";
  return std::string(s->begin(), s->end());
}

TEST(MemoryImage, SegmentsAtOddAndOverlappingOffsets) {
  Engine engine;
  Module m = MustCompile(engine, kDataModule);
  Store<int> store(engine, 0);
  Linker<int> linker(engine);
  auto inst = linker.Instantiate(store, m);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  EXPECT_EQ(Bytes(*inst, 16, 3), "abc");
  EXPECT_EQ(Bytes(*inst, 65533, 3), "xyz");
  EXPECT_EQ(Bytes(*inst, 4094, 5), "JELLO");
  EXPECT_EQ(Bytes(*inst, 0, 16), std::string(16, '\0'));
  EXPECT_EQ(Bytes(*inst, 19, 4094 - 19), std::string(4094 - 19, '\0'));
  EXPECT_EQ(Bytes(*inst, 4099, 65533 - 4099), std::string(65533 - 4099, '\0'));
}

TEST(MemoryImage, InstancesDoNotSeeEachOthersWrites) {
  Engine engine;
  Module m = MustCompile(engine, kDataModule);
  Linker<int> linker(engine);
  Store<int> store(engine, 0);
  auto a = linker.Instantiate(store, m);
  auto b = linker.Instantiate(store, m);
  ASSERT_TRUE(a.ok() && b.ok());
  StoreByte(store, *a, 16, 'Z');
  StoreByte(store, *a, 30000, 7);
  EXPECT_EQ(Load(store, *a, 16), 'Z');
  EXPECT_EQ(Load(store, *b, 16), 'a');
  EXPECT_EQ(Load(store, *b, 30000), 0);
  StoreByte(store, *b, 17, 'Q');
  EXPECT_EQ(Load(store, *a, 17), 'b');

  // Another store, and then stores that reuse the slots of dropped ones.
  for (int round = 0; round < 3; ++round) {
    Store<int> other(engine, 0);
    auto c = linker.Instantiate(other, m);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(Bytes(*c, 16, 3), "abc");
    EXPECT_EQ(Load(other, *c, 30000), 0);
    EXPECT_EQ(Bytes(*c, 4094, 5), "JELLO");
    StoreByte(other, *c, 16, 'X');
    StoreByte(other, *c, 30000, 9);
    // Grown memory goes back to the pool too; the next round must see zeros again.
    EXPECT_EQ(Grow(other, *c, 2), 1);
    StoreByte(other, *c, 65536 * 2 + 5, 3);
  }
  EXPECT_EQ(Load(store, *a, 16), 'Z');
  EXPECT_EQ(Load(store, *b, 16), 'a');
}

TEST(MemoryImage, GrowBeyondTheImage) {
  Engine engine;
  Module m = MustCompile(engine, kDataModule);
  Linker<int> linker(engine);
  for (int round = 0; round < 2; ++round) {
    Store<int> store(engine, 0);
    auto inst = linker.Instantiate(store, m);
    ASSERT_TRUE(inst.ok());
    EXPECT_EQ(inst->GetMemory("mem")->size_pages(), 1u);
    EXPECT_EQ(Grow(store, *inst, 2), 1);
    EXPECT_EQ(Bytes(*inst, 65533, 3), "xyz");  // the image stays below the new pages
    EXPECT_EQ(Bytes(*inst, 65536, 2 * 65536), std::string(2 * 65536, '\0'));
    StoreByte(store, *inst, 3 * 65536 - 1, 1);
    EXPECT_EQ(Load(store, *inst, 3 * 65536 - 1), 1);
    EXPECT_EQ(Grow(store, *inst, 2), -1);  // maximum 4 pages
    EXPECT_EQ(Grow(store, *inst, 1), 3);
    EXPECT_EQ(Load(store, *inst, 4 * 65536 - 1), 0);
    Val args[] = {Val::I32(4 * 65536)};
    auto r = inst->GetFunc("load")->Call(store, args);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("out of bounds memory access"), std::string::npos);
  }
}

TEST(MemoryImage, PassiveSegmentsAndMemoryInit) {
  Engine engine;
  Module m = MustCompile(engine, R"((module
    (memory (export "mem") 1)
    (data $active (i32.const 100) "active")
    (data $passive "passive")
    (func (export "init") (param i32 i32 i32) local.get 0 local.get 1 local.get 2
      memory.init $passive)
    (func (export "init_active") (param i32 i32 i32) local.get 0 local.get 1 local.get 2
      memory.init $active)
    (func (export "drop") data.drop $passive))
  )");
  Linker<int> linker(engine);
  for (int round = 0; round < 2; ++round) {
    Store<int> store(engine, 0);
    auto inst = linker.Instantiate(store, m);
    ASSERT_TRUE(inst.ok());
    EXPECT_EQ(Bytes(*inst, 100, 6), "active");
    EXPECT_EQ(Bytes(*inst, 200, 7), std::string(7, '\0'));  // passive: not written
    Val args[] = {Val::I32(201), Val::I32(1), Val::I32(6)};
    ASSERT_TRUE(inst->GetFunc("init")->Call(store, args).ok());
    EXPECT_EQ(Bytes(*inst, 200, 8), std::string("\0assive\0", 8));
    // An active segment is dropped once instantiated: only empty inits succeed.
    Val empty[] = {Val::I32(0), Val::I32(0), Val::I32(0)};
    EXPECT_TRUE(inst->GetFunc("init_active")->Call(store, empty).ok());
    Val one[] = {Val::I32(0), Val::I32(0), Val::I32(1)};
    EXPECT_FALSE(inst->GetFunc("init_active")->Call(store, one).ok());
    ASSERT_TRUE(inst->GetFunc("drop")->Call(store, {}).ok());
    EXPECT_FALSE(inst->GetFunc("init")->Call(store, args).ok());
  }
}

TEST(MemoryImage, CopyingFallbacks) {
  Engine engine;
  // A global offset is not known before instantiation: the segments are copied.
  Module m = MustCompile(engine, R"((module
    (import "env" "base" (global i32))
    (memory (export "mem") 1)
    (data (global.get 0) "from-global")
    (data (i32.const 8) "const"))
  )");
  Linker<int> linker(engine);
  Store<int> store(engine, 0);
  auto g = NewGlobal(store, GlobalType{ValKind::kI32, false}, Val::I32(1000));
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(linker.Define("env", "base", Extern::Of(*g)).ok());
  auto inst = linker.Instantiate(store, m);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  EXPECT_EQ(Bytes(*inst, 1000, 11), "from-global");
  EXPECT_EQ(Bytes(*inst, 8, 5), "const");

  // A segment past the initial size traps at its turn, after the earlier ones were written
  // into an imported memory (the module's own memory would be unreachable).
  Module oob = MustCompile(engine, R"((module
    (import "env" "mem" (memory 1))
    (data (i32.const 0) "first")
    (data (i32.const 65535) "xx"))
  )");
  auto mem = NewMemory(store, MemoryType{Limits{1, std::nullopt}});
  ASSERT_TRUE(mem.ok());
  ASSERT_TRUE(linker.Define("env", "mem", Extern::Of(*mem)).ok());
  auto bad = linker.Instantiate(store, oob);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("out of bounds memory access"), std::string::npos);
  EXPECT_EQ(std::string(mem->data(), mem->data() + 5), "first");
}

TEST(MemoryImage, FailedInstantiationDoesNotShowItsData) {
  // The second element segment traps, so the data segment's turn never comes; the function
  // the first segment put into the imported table still reads the module's own memory.
  Engine engine;
  Module m = MustCompile(engine, R"((module
    (import "env" "tab" (table 1 funcref))
    (memory 1)
    (func $read (result i32) i32.const 0 i32.load8_u)
    (elem (i32.const 0) $read)
    (elem (i32.const 1) $read)
    (data (i32.const 0) "Z"))
  )");
  Linker<int> linker(engine);
  for (int round = 0; round < 2; ++round) {
    Store<int> store(engine, 0);
    auto tab = NewTable(store, TableType{ValKind::kFuncRef, Limits{1, std::nullopt}},
                        Val::FuncRef(Func()));
    ASSERT_TRUE(tab.ok()) << tab.error().ToString();
    ASSERT_TRUE(linker.Define("env", "tab", Extern::Of(*tab)).ok());
    auto inst = linker.Instantiate(store, m);
    ASSERT_FALSE(inst.ok());
    EXPECT_NE(inst.error().message().find("out of bounds table access"), std::string::npos);
    std::optional<Val> f = tab->Get(0);
    ASSERT_TRUE(f.has_value());
    ASSERT_FALSE(f->is_null_ref());
    auto r = f->funcref().Call(store, {});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ((*r)[0].i32(), 0);
    linker = Linker<int>(engine);
  }
}

}  // namespace
}  // namespace weft
