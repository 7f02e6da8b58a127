// Tests of the wasi:io / wasi:clocks glue through the component runtime: testdata/poll.wasm
// (from poll.wat, `jco parse`) imports wasi:io/poll and wasi:clocks/monotonic-clock @0.2.0,
// which must link to the host's @0.2.12 definitions, and exercises poll over borrowed
// pollables, pollable.ready/block and the empty-list trap, in plain and async calls.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "wasi/p2/io.h"
#include "wasi/p2/pollables.h"

namespace weft::wasi::p2 {
namespace {

namespace cm = weft::component;
using std::chrono::milliseconds;

std::string TestData(const std::string& name) {
  return std::string(WEFT_TEST_SRC_DIR) + "/testdata/" + name;
}

struct State {
  WasiP2Ctx wasi;
};

class IoLinkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = cm::Component::FromFile(engine_, TestData("poll.wasm"));
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    cm::Linker<State> linker(engine_);
    Error e = AddToLinker(linker, +[](State& s) -> WasiP2Ctx& { return s.wasi; });
    ASSERT_TRUE(e.ok()) << e.ToString();
    auto pre = linker.InstantiatePre(*c);
    ASSERT_TRUE(pre.ok()) << pre.error().ToString();
    auto inst = pre->Instantiate(store_);
    ASSERT_TRUE(inst.ok()) << inst.error().ToString();
    instance_ = *inst;
  }

  cm::Func Get(const char* name) {
    auto f = instance_.GetFunc(name);
    EXPECT_TRUE(f.has_value()) << name;
    return f ? *f : cm::Func();
  }

  // An async call driven like `weft run` drives it: run Asio until a waker fires, resume.
  Error CallDriven(const cm::Func& f, std::vector<cm::Val> params, std::vector<cm::Val>& out,
                   int* suspensions) {
    auto call = f.CallAsync(store_, std::move(params));
    if (!call.ok()) return std::move(call).error();
    while ((*call)->state() == AsyncCall::State::kSuspended) {
      ++*suspensions;
      while (!store_.data().wasi.TakeWake()) {
        if (io_.stopped()) io_.restart();
        if (io_.run_one() == 0) return Error::Make(ErrorCode::kInternal, "no wake");
      }
      (*call)->Resume();
    }
    if (!(*call)->error().ok()) return (*call)->error();
    return f.FinishAsync(store_, **call, out);
  }

  boost::asio::io_context io_;
  Engine engine_;
  Store<State> store_{engine_, State{WasiP2Ctx(io_)}};
  cm::Instance instance_;
};

uint64_t Ms(int64_t ms) { return static_cast<uint64_t>(ms) * 1000000u; }

TEST_F(IoLinkerTest, PollReturnsTheReadyIndices) {
  cm::Func f = Get("poll-two");
  std::vector<cm::Val> out;
  auto start = std::chrono::steady_clock::now();
  std::vector<cm::Val> args = {cm::Val::U64(Ms(5000)), cm::Val::U64(Ms(20))};
  Error e = f.Call(store_, args, out);
  ASSERT_TRUE(e.ok()) << e.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(20));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].items.size(), 1u);
  EXPECT_EQ(out[0].items[0].bits, 1u);  // the 20 ms one

  out.clear();
  args = {cm::Val::U64(0), cm::Val::U64(0)};
  e = f.Call(store_, args, out);
  ASSERT_TRUE(e.ok()) << e.ToString();
  ASSERT_EQ(out[0].items.size(), 2u);
  EXPECT_EQ(out[0].items[0].bits, 0u);
  EXPECT_EQ(out[0].items[1].bits, 1u);
  // Every pollable the guest made was dropped again.
  EXPECT_EQ(store_.data().wasi.pollables.live(), 0u);
}

TEST_F(IoLinkerTest, PollSuspendsAnAsyncCall) {
  cm::Func f = Get("poll-two");
  std::vector<cm::Val> out;
  int suspensions = 0;
  auto start = std::chrono::steady_clock::now();
  Error e = CallDriven(f, {cm::Val::U64(Ms(30)), cm::Val::U64(Ms(5000))}, out, &suspensions);
  ASSERT_TRUE(e.ok()) << e.ToString();
  EXPECT_GE(suspensions, 1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
  ASSERT_EQ(out[0].items.size(), 1u);
  EXPECT_EQ(out[0].items[0].bits, 0u);
}

TEST_F(IoLinkerTest, EmptyPollTraps) {
  std::vector<cm::Val> out;
  Error e = Get("poll-empty").Call(store_, {}, out);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.code(), ErrorCode::kTrap);
  EXPECT_NE(e.message().find("empty list"), std::string::npos) << e.message();
}

TEST_F(IoLinkerTest, ReadyThenBlock) {
  std::vector<cm::Val> out;
  int suspensions = 0;
  Error e = CallDriven(Get("ready-after"), {cm::Val::U64(Ms(20))}, out, &suspensions);
  ASSERT_TRUE(e.ok()) << e.ToString();
  ASSERT_EQ(out[0].items.size(), 2u);
  EXPECT_EQ(out[0].items[0].bits, 0u);  // not ready before block
  EXPECT_EQ(out[0].items[1].bits, 1u);  // ready after
  EXPECT_GE(suspensions, 1);
}

}  // namespace
}  // namespace weft::wasi::p2
