// Tests of the runtime objects: type interning (also across threads), memories (reserved
// maximum, stable base, limits), tables, trap messages and slot counts.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "runtime/objects.h"
#include "runtime/trap.h"

namespace weft::runtime {
namespace {

using wasm::ValType;

TEST(Engine, InternTypeIsCanonical) {
  Engine engine{EngineConfig{}};
  wasm::FuncType a{{ValType::kI32, ValType::kI64}, {ValType::kF32}};
  wasm::FuncType b{{ValType::kI32}, {ValType::kI64, ValType::kF32}};
  wasm::FuncType c{{}, {}};
  uint32_t ia = engine.InternType(a);
  uint32_t ib = engine.InternType(b);
  uint32_t ic = engine.InternType(c);
  EXPECT_NE(ia, ib);  // Same value types, split differently between params and results.
  EXPECT_NE(ia, ic);
  EXPECT_EQ(engine.InternType(wasm::FuncType{{ValType::kI32, ValType::kI64}, {ValType::kF32}}), ia);
  EXPECT_EQ(engine.InternType(c), ic);
}

TEST(Engine, InternTypeFromManyThreads) {
  Engine engine{EngineConfig{}};
  std::vector<std::vector<uint32_t>> ids(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        wasm::FuncType ft;
        for (int k = 0; k < i % 7; ++k) ft.params.push_back(ValType::kI32);
        for (int k = 0; k < i % 5; ++k) ft.results.push_back(ValType::kF64);
        ids[t].push_back(engine.InternType(ft));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(ids[t], ids[0]);
}

TEST(Memory, ReservedMaximumAndStableBase) {
  MemoryInst m;
  ASSERT_TRUE(m.Init(wasm::MemoryType{{1, 3}}, uint64_t{1} << 32).ok());
  EXPECT_EQ(m.pages(), 1u);
  EXPECT_EQ(m.max_pages, 3u);
  uint8_t* base = m.base;
  std::memset(base, 1, 65536);
  EXPECT_EQ(m.Grow(2), 1);
  EXPECT_EQ(m.base, base);
  EXPECT_EQ(base[65536 * 3 - 1], 0);  // New pages are zero and writable.
  base[65536 * 3 - 1] = 7;
  EXPECT_EQ(m.Grow(1), -1);
  EXPECT_EQ(m.Grow(0), 3);
  EXPECT_EQ(m.type.limits.min, 3u);
}

TEST(Memory, StoreLimitClampsTheMaximum) {
  MemoryInst m;
  ASSERT_TRUE(m.Init(wasm::MemoryType{{0, std::nullopt}}, 2 * 65536).ok());
  EXPECT_EQ(m.max_pages, 2u);
  EXPECT_EQ(m.Grow(3), -1);
  EXPECT_EQ(m.Grow(2), 0);
  MemoryInst big;
  Error e = big.Init(wasm::MemoryType{{3, std::nullopt}}, 2 * 65536);
  EXPECT_EQ(e.code(), ErrorCode::kLimit);
  MemoryInst huge;  // No maximum: 4 GiB of address space, nothing committed beyond min.
  ASSERT_TRUE(huge.Init(wasm::MemoryType{{0, std::nullopt}}, uint64_t{1} << 40).ok());
  EXPECT_EQ(huge.max_pages, 65536u);
  EXPECT_EQ(huge.Grow(65537), -1);
}

TEST(Table, GrowWithinMaximum) {
  TableInst t;
  ASSERT_TRUE(t.Init(wasm::TableType{ValType::kFuncRef, {2, 5}}, 1000, 0).ok());
  EXPECT_EQ(t.Grow(3, 9), 2);
  EXPECT_EQ(t.elems.size(), 5u);
  EXPECT_EQ(t.elems[4], 9u);
  EXPECT_EQ(t.Grow(1, 0), -1);
  TableInst limited;
  ASSERT_TRUE(limited.Init(wasm::TableType{ValType::kExternRef, {0, std::nullopt}}, 10, 0).ok());
  EXPECT_EQ(limited.Grow(11, 0), -1);
  EXPECT_EQ(limited.Grow(10, 0), 0);
}

TEST(Trap, SpecMessages) {
  EXPECT_STREQ(TrapMessage(TrapCode::kUnreachable), "unreachable");
  EXPECT_STREQ(TrapMessage(TrapCode::kIntegerDivideByZero), "integer divide by zero");
  EXPECT_STREQ(TrapMessage(TrapCode::kIntegerOverflow), "integer overflow");
  EXPECT_STREQ(TrapMessage(TrapCode::kInvalidConversion), "invalid conversion to integer");
  EXPECT_STREQ(TrapMessage(TrapCode::kOutOfBoundsMemory), "out of bounds memory access");
  EXPECT_STREQ(TrapMessage(TrapCode::kOutOfBoundsTable), "out of bounds table access");
  EXPECT_STREQ(TrapMessage(TrapCode::kUndefinedElement), "undefined element");
  EXPECT_STREQ(TrapMessage(TrapCode::kUninitializedElement), "uninitialized element");
  EXPECT_STREQ(TrapMessage(TrapCode::kIndirectCallTypeMismatch), "indirect call type mismatch");
  EXPECT_STREQ(TrapMessage(TrapCode::kCallStackExhausted), "call stack exhausted");
  EXPECT_STREQ(TrapMessage(TrapCode::kOutOfFuel), "all fuel consumed");
  EXPECT_STREQ(TrapMessage(TrapCode::kDeadline), "interrupt");
}

TEST(Slots, Count) {
  EXPECT_EQ(SlotCount(ValType::kV128), 2u);
  EXPECT_EQ(SlotCount(ValType::kFuncRef), 1u);
  EXPECT_EQ(SlotCount(std::vector<ValType>{ValType::kI32, ValType::kV128, ValType::kF64}), 4u);
}

TEST(Store, OwnsItsObjects) {
  Engine engine{EngineConfig{}};
  auto store = std::make_unique<Store>(&engine);
  MemoryInst& m = store->memories.emplace_back();
  ASSERT_TRUE(m.Init(wasm::MemoryType{{1, 1}}, uint64_t{1} << 32).ok());
  store->tables.emplace_back();
  store.reset();  // Releases the reservation (checked under ASan/LSan).
}

}  // namespace
}  // namespace weft::runtime
