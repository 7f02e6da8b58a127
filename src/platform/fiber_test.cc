// Tests for fibers, stacks and memory reservations, plus a switch-cost measurement.
#include "platform/fiber.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "platform/clock.h"
#include "platform/memory.h"

namespace weft::platform {
namespace {

struct Counter {
  int steps = 0;
  std::vector<int>* log = nullptr;
  int id = 0;
};

void CountThree(void* arg) {
  auto* c = static_cast<Counter*>(arg);
  for (int i = 0; i < 3; ++i) {
    ++c->steps;
    if (c->log) c->log->push_back(c->id * 10 + i);
    Fiber::Suspend();
  }
}

TEST(Fiber, SuspendAndResume) {
  Counter c;
  auto f = Fiber::Create(64 * 1024, &CountThree, &c);
  ASSERT_TRUE(f);
  EXPECT_EQ(Fiber::Current(), nullptr);
  EXPECT_FALSE(f->Resume());
  EXPECT_EQ(c.steps, 1);
  EXPECT_FALSE(f->Resume());
  EXPECT_FALSE(f->Resume());
  EXPECT_EQ(c.steps, 3);
  EXPECT_TRUE(f->Resume());
  EXPECT_TRUE(f->done());
}

TEST(Fiber, Interleave) {
  std::vector<int> log;
  Counter a{0, &log, 1}, b{0, &log, 2};
  auto fa = Fiber::Create(64 * 1024, &CountThree, &a);
  auto fb = Fiber::Create(64 * 1024, &CountThree, &b);
  while (!fa->done() || !fb->done()) {
    if (!fa->done()) fa->Resume();
    if (!fb->done()) fb->Resume();
  }
  EXPECT_EQ(log, (std::vector<int>{10, 20, 11, 21, 12, 22}));
}

struct Nest {
  std::unique_ptr<Fiber> inner;
  int inner_steps = 0;
  Fiber* seen_current = nullptr;
};

void Inner(void* arg) {
  auto* n = static_cast<Nest*>(arg);
  n->seen_current = Fiber::Current();
  ++n->inner_steps;
  Fiber::Suspend();
  ++n->inner_steps;
}

void Outer(void* arg) {
  auto* n = static_cast<Nest*>(arg);
  Fiber* self = Fiber::Current();
  n->inner = Fiber::Create(64 * 1024, &Inner, n);
  n->inner->Resume();  // Inner suspends back here, not to the test.
  EXPECT_EQ(Fiber::Current(), self);
  Fiber::Suspend();
  n->inner->Resume();
}

TEST(Fiber, Nested) {
  Nest n;
  auto outer = Fiber::Create(64 * 1024, &Outer, &n);
  EXPECT_FALSE(outer->Resume());
  EXPECT_EQ(n.inner_steps, 1);
  EXPECT_EQ(n.seen_current, n.inner.get());
  EXPECT_TRUE(outer->Resume());
  EXPECT_EQ(n.inner_steps, 2);
  EXPECT_TRUE(n.inner->done());
}

void CheckStack(void* arg) {
  // Inside a 64 KiB fiber, there is room for 32 KiB but not for 1 MiB.
  auto* ok = static_cast<bool*>(arg);
  *ok = StackHasRoom(32 * 1024) && !StackHasRoom(1 << 20);
}

TEST(Fiber, StackLimitFollowsFiber) {
  bool ok = false;
  uintptr_t before = StackLimit();
  auto f = Fiber::Create(64 * 1024, &CheckStack, &ok);
  EXPECT_TRUE(f->Resume());
  EXPECT_TRUE(ok);
  EXPECT_EQ(StackLimit(), before);
  EXPECT_TRUE(StackHasRoom(64 * 1024));
}

void Pingpong(void* arg) {
  auto* n = static_cast<int*>(arg);
  for (int i = 0; i < *n; ++i) Fiber::Suspend();
}

TEST(Fiber, SwitchCost) {
  int n = 1'000'000;
  auto f = Fiber::Create(64 * 1024, &Pingpong, &n);
  uint64_t t0 = MonotonicNanos();
  while (!f->Resume()) {
  }
  uint64_t t1 = MonotonicNanos();
  // Two switches per round trip.
  double ns = static_cast<double>(t1 - t0) / (2.0 * n);
  std::printf("fiber switch: %.1f ns\n", ns);
  EXPECT_LT(ns, 1000.0);
}

TEST(Fiber, CreateFromPoolIsCheap) {
  int n = 0;
  uint64_t t0 = MonotonicNanos();
  for (int i = 0; i < 10000; ++i) {
    auto f = Fiber::Create(1 << 20, &Pingpong, &n);
    f->Resume();
  }
  uint64_t t1 = MonotonicNanos();
  std::printf("fiber create+run+destroy: %.1f ns\n", static_cast<double>(t1 - t0) / 10000);
}

TEST(Memory, ReserveCommitRelease) {
  size_t page = PageSize();
  size_t bytes = size_t{1} << 32;
  auto* p = static_cast<uint8_t*>(Reserve(bytes));
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(Commit(p, 16 * page));
  std::memset(p, 0xab, 16 * page);
  EXPECT_EQ(p[16 * page - 1], 0xab);
  ASSERT_TRUE(Commit(p + 16 * page, 16 * page));
  EXPECT_EQ(p[16 * page], 0);
  EXPECT_TRUE(Decommit(p, 32 * page));
  Release(p, bytes);
}

}  // namespace
}  // namespace weft::platform
