// Tests of async guest calls: two guests interleaving on one thread while a host function
// waits on an event-loop timer, and epoch deadlines that yield back to the host.
#include <gtest/gtest.h>

#include <chrono>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "api/test_util.h"
#include "weft/weft.h"

namespace weft {
namespace {

using testing::Wat;
using Clock = std::chrono::steady_clock;

// A minimal event loop: timers ordered by deadline; firing one resumes the call waiting on it.
// Deadlines are computed from the loop's own time (the deadline of the timer being fired), so
// the interleaving does not depend on how fast this machine runs; the loop still really waits.
struct Loop {
  Clock::time_point now = Clock::now();
  struct Timer {
    Clock::time_point when;
    AsyncCall** call;
    bool operator>(const Timer& o) const { return when > o.when; }
  };
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  std::vector<std::string> log;
};

struct GuestData {
  Loop* loop = nullptr;
  AsyncCall** self = nullptr;  // Where the current guest's AsyncCall will be stored.
  std::string name;
};

TEST(Async, TwoGuestsInterleaveOnTimers) {
  Engine engine;
  Loop loop;
  auto bytes = Wat(R"((module
    (import "host" "sleep" (func $sleep (param i32)))
    (import "host" "log" (func $log (param i32)))
    ;; Sums 1..n, sleeping `ms` between steps; returns the sum.
    (func (export "run") (param $n i32) (param $ms i32) (result i32)
      (local $i i32) (local $sum i32)
      (loop $l
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $sum (i32.add (local.get $sum) (local.get $i)))
        (call $log (local.get $i))
        (call $sleep (local.get $ms))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
      (local.get $sum)))
  )");
  ASSERT_FALSE(bytes.empty());
  auto module = Module::Compile(engine, bytes);
  ASSERT_TRUE(module.ok()) << module.error().ToString();

  Linker<GuestData> linker(engine);
  ASSERT_TRUE(
      linker
          .FuncWrap("host", "sleep",
                    [](Caller<GuestData>& c, int32_t ms) -> Error {
                      GuestData& d = c.data();
                      d.loop->timers.push({d.loop->now + std::chrono::milliseconds(ms), d.self});
                      return c.Suspend();
                    })
          .ok());
  ASSERT_TRUE(linker
                  .FuncWrap("host", "log",
                            [](Caller<GuestData>& c, int32_t i) {
                              c.data().loop->log.push_back(c.data().name + std::to_string(i));
                            })
                  .ok());
  auto pre = linker.InstantiatePre(*module);
  ASSERT_TRUE(pre.ok());

  // Two stores (one per guest), each with its AsyncCall slot known before the call starts.
  AsyncCall* call_a = nullptr;
  AsyncCall* call_b = nullptr;
  Store<GuestData> a(engine, GuestData{&loop, &call_a, "a"});
  Store<GuestData> b(engine, GuestData{&loop, &call_b, "b"});
  auto ia = pre->Instantiate(a);
  auto ib = pre->Instantiate(b);
  ASSERT_TRUE(ia.ok() && ib.ok());

  // The first suspension happens inside CallAsync, before it returns the AsyncCall: timers
  // therefore name the slot where the call will be, read when they fire.
  auto ca = ia->GetFunc("run")->CallAsync(a, {Val::I32(4), Val::I32(40)});
  ASSERT_TRUE(ca.ok());
  call_a = ca->get();
  auto cb = ib->GetFunc("run")->CallAsync(b, {Val::I32(3), Val::I32(100)});
  ASSERT_TRUE(cb.ok());
  call_b = cb->get();
  EXPECT_EQ((*ca)->state(), AsyncCall::State::kSuspended);
  EXPECT_EQ((*ca)->reason(), AsyncCall::Reason::kHostSuspend);

  int resumes = 0;
  while (!loop.timers.empty()) {
    Loop::Timer t = loop.timers.top();
    loop.timers.pop();
    std::this_thread::sleep_until(t.when);
    loop.now = t.when;
    (*t.call)->Resume();
    ++resumes;
  }
  ASSERT_EQ((*ca)->state(), AsyncCall::State::kDone);
  ASSERT_EQ((*cb)->state(), AsyncCall::State::kDone);
  ASSERT_TRUE((*ca)->error().ok()) << (*ca)->error().ToString();
  ASSERT_TRUE((*cb)->error().ok()) << (*cb)->error().ToString();
  EXPECT_EQ((*ca)->results()[0].i32(), 1 + 2 + 3 + 4);
  EXPECT_EQ((*cb)->results()[0].i32(), 1 + 2 + 3);
  EXPECT_EQ(resumes, 7);
  // a logs at 0, 40, 80, 120 ms and b at 0, 100, 200 ms: the logs interleave.
  std::vector<std::string> want = {"a1", "b1", "a2", "a3", "b2", "a4", "b3"};
  EXPECT_EQ(loop.log, want);
}

TEST(Async, TwoCallsShareOneStore) {
  Engine engine;
  auto bytes = Wat(R"((module
    (import "host" "pause" (func $pause (param i32) (result i32)))
    (func (export "f") (param i32) (result i32)
      (i32.add (call $pause (local.get 0)) (call $pause (i32.const 100)))))
  )");
  auto module = Module::Compile(engine, bytes);
  ASSERT_TRUE(module.ok());
  Store<int> store(engine, 0);
  Linker<int> linker(engine);
  ASSERT_TRUE(linker
                  .FuncWrap("host", "pause",
                            [](Caller<int>& c, int32_t x) -> Expected<int32_t> {
                              WEFT_TRY(c.Suspend());
                              return x + 1;
                            })
                  .ok());
  auto inst = linker.Instantiate(store, *module);
  ASSERT_TRUE(inst.ok());
  Func f = *inst->GetFunc("f");
  auto c1 = f.CallAsync(store, {Val::I32(1)});
  auto c2 = f.CallAsync(store, {Val::I32(2)});
  ASSERT_TRUE(c1.ok() && c2.ok());
  // Resume in an order that is not LIFO.
  (*c1)->Resume();
  (*c2)->Resume();
  EXPECT_EQ((*c1)->Resume(), AsyncCall::State::kDone);
  EXPECT_EQ((*c2)->Resume(), AsyncCall::State::kDone);
  EXPECT_EQ((*c1)->results()[0].i32(), 2 + 101);
  EXPECT_EQ((*c2)->results()[0].i32(), 3 + 101);
  // Synchronous calls cannot suspend.
  Val one[] = {Val::I32(1)};
  auto r = f.Call(store, one);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
}

TEST(Async, YieldingEndlessLoopReturnsControlRepeatedly) {
  Config config;
  config.epoch_interruption = true;
  Engine engine(config);
  auto bytes = Wat(R"((module
    (global $n (export "n") (mut i32) (i32.const 0))
    (func (export "spin") (loop (global.set $n (i32.add (global.get $n) (i32.const 1))) (br 0))))
  )");
  auto module = Module::Compile(engine, bytes);
  ASSERT_TRUE(module.ok());
  Store<int> store(engine, 0);
  auto inst = Linker<int>(engine).Instantiate(store, *module);
  ASSERT_TRUE(inst.ok());
  // The ticker moves the epoch every millisecond: each yield returns to the host, each
  // resume runs the guest until the next tick.
  engine.StartEpochTicker(1);
  store.SetDeadlineAction(DeadlineAction::kYield, 1);
  store.SetEpochDeadline(1);
  auto call = inst->GetFunc("spin")->CallAsync(store, {});
  ASSERT_TRUE(call.ok());
  EXPECT_EQ((*call)->state(), AsyncCall::State::kSuspended);
  EXPECT_EQ((*call)->reason(), AsyncCall::Reason::kEpochYield);
  Global n = *inst->GetGlobal("n");
  int yields = 1;
  int32_t last = n.Get().i32();
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ((*call)->Resume(), AsyncCall::State::kSuspended);
    EXPECT_EQ((*call)->reason(), AsyncCall::Reason::kEpochYield);
    ++yields;
    EXPECT_GT(n.Get().i32(), last);  // The guest made progress between yields.
    last = n.Get().i32();
  }
  EXPECT_EQ(yields, 5);
  // Stop it: switch to trapping, then resume.
  store.SetDeadlineAction(DeadlineAction::kTrap);
  store.SetEpochDeadline(0);
  EXPECT_EQ((*call)->Resume(), AsyncCall::State::kDone);
  EXPECT_EQ((*call)->error().code(), ErrorCode::kTrap);
  EXPECT_EQ((*call)->error().message(), "interrupt");
  engine.StopEpochTicker();
}

TEST(Async, YieldWithTickerAndCancel) {
  Config config;
  config.epoch_interruption = true;
  Engine engine(config);
  engine.StartEpochTicker(1);
  auto bytes = Wat("(module (func (export \"spin\") (loop (br 0))))");
  auto module = Module::Compile(engine, bytes);
  ASSERT_TRUE(module.ok());
  Store<int> store(engine, 0);
  auto inst = Linker<int>(engine).Instantiate(store, *module);
  ASSERT_TRUE(inst.ok());
  store.SetDeadlineAction(DeadlineAction::kYield, 1);
  store.SetEpochDeadline(1);
  auto call = inst->GetFunc("spin")->CallAsync(store, {});
  ASSERT_TRUE(call.ok());
  EXPECT_EQ((*call)->state(), AsyncCall::State::kSuspended);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*call)->Resume(), AsyncCall::State::kSuspended);
  call->reset();  // Cancelling unwinds the guest.
  // The store keeps working, and a synchronous call past a yield deadline traps.
  store.SetEpochDeadline(1);
  auto r = inst->GetFunc("spin")->Call(store, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "interrupt");
  engine.StopEpochTicker();
}

}  // namespace
}  // namespace weft
