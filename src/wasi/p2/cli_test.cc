// Tests of the wasi:cli, wasi:clocks/wall-clock and wasi:random glue through the component
// runtime: testdata/cli.wasm (from cli.wat) imports them at 0.2.0 and returns each result to
// the test unchanged, so what the host produced is checked value by value.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "wasi/p2/io.h"

namespace weft::wasi::p2 {
namespace {

namespace cm = weft::component;

std::string TestData(const std::string& name) {
  return std::string(WEFT_TEST_SRC_DIR) + "/testdata/" + name;
}

struct State {
  WasiP2Ctx wasi;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    pipe_r_ = fds[0];
    pipe_w_ = fds[1];
    WasiP2Config config;
    config.args = {"prog.wasm", "two words", ""};
    config.env = {{"K", "V"}, {"EMPTY", ""}, {"EQ", "a=b"}};
    config.stdout_fd = pipe_w_;  // not a tty: no terminal handle
    config.random = [](std::span<uint8_t> out) {
      for (uint8_t& b : out) b = 0xab;
    };
    store_ = std::make_unique<Store<State>>(engine_, State{WasiP2Ctx(io_, std::move(config))});
    auto c = cm::Component::FromFile(engine_, TestData("cli.wasm"));
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    cm::Linker<State> linker(engine_);
    Error e = AddToLinker(linker, +[](State& s) -> WasiP2Ctx& { return s.wasi; });
    ASSERT_TRUE(e.ok()) << e.ToString();
    auto pre = linker.InstantiatePre(*c);
    ASSERT_TRUE(pre.ok()) << pre.error().ToString();
    auto inst = pre->Instantiate(*store_);
    ASSERT_TRUE(inst.ok()) << inst.error().ToString();
    instance_ = *inst;
  }
  void TearDown() override {
    ::close(pipe_r_);
    ::close(pipe_w_);
  }

  // Calls export `name`; returns its result (or the Error through `err`).
  cm::Val Call(const char* name, std::vector<cm::Val> args, Error* err = nullptr) {
    auto f = instance_.GetFunc(name);
    EXPECT_TRUE(f.has_value()) << name;
    if (!f) return {};
    std::vector<cm::Val> out;
    Error e = f->Call(*store_, args, out);
    if (err != nullptr) {
      *err = std::move(e);
    } else {
      EXPECT_TRUE(e.ok()) << name << ": " << e.ToString();
    }
    return out.empty() ? cm::Val() : out[0];
  }

  boost::asio::io_context io_;
  Engine engine_;
  std::unique_ptr<Store<State>> store_;
  cm::Instance instance_;
  int pipe_r_ = -1, pipe_w_ = -1;
};

TEST_F(CliTest, Environment) {
  cm::Val args = Call("args", {});
  ASSERT_EQ(args.items.size(), 3u);
  EXPECT_EQ(args.items[0].str, "prog.wasm");
  EXPECT_EQ(args.items[1].str, "two words");
  EXPECT_EQ(args.items[2].str, "");
  cm::Val env = Call("env", {});
  ASSERT_EQ(env.items.size(), 3u);
  EXPECT_EQ(env.items[0].items[0].str, "K");
  EXPECT_EQ(env.items[0].items[1].str, "V");
  EXPECT_EQ(env.items[1].items[0].str, "EMPTY");
  EXPECT_EQ(env.items[1].items[1].str, "");
  EXPECT_EQ(env.items[2].items[1].str, "a=b");
  EXPECT_EQ(Call("cwd", {}).bits, 0u);  // none
}

TEST_F(CliTest, ExitStatuses) {
  Error e;
  Call("exit-err", {}, &e);
  EXPECT_EQ(e.code(), ErrorCode::kExit);
  EXPECT_EQ(e.exit_status(), 1);
  Call("exit-code", {cm::Val::U8(42)}, &e);
  EXPECT_EQ(e.code(), ErrorCode::kExit);
  EXPECT_EQ(e.exit_status(), 42);
}

TEST_F(CliTest, WallClockIsNow) {
  cm::Val now = Call("wall", {});
  ASSERT_EQ(now.items.size(), 2u);
  int64_t host = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  EXPECT_LE(std::llabs(static_cast<int64_t>(now.items[0].bits) - host), 5);
  EXPECT_LT(now.items[1].bits, 1000000000u);
}

TEST_F(CliTest, RandomUsesTheConfiguredSource) {
  cm::Val bytes = Call("rand", {cm::Val::U64(5)});
  ASSERT_EQ(cm::ListLength(bytes), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(cm::ListByte(bytes, i), 0xabu);
  EXPECT_EQ(cm::ListLength(Call("rand", {cm::Val::U64(0)})), 0u);
  EXPECT_EQ(Call("rand-u64", {}).bits, 0xababababababababu);
  // insecure-seed: one value, every call.
  cm::Val a = Call("seed", {});
  cm::Val b = Call("seed", {});
  ASSERT_EQ(a.items.size(), 2u);
  EXPECT_EQ(a, b);
  // A length no memory can hold traps before allocating.
  Error e;
  Call("rand", {cm::Val::U64(uint64_t{1} << 40)}, &e);
  EXPECT_EQ(e.code(), ErrorCode::kTrap);
}

TEST_F(CliTest, NoTerminalForAPipe) {
  EXPECT_EQ(Call("has-terminal-stdout", {}).bits, 0u);
}

}  // namespace
}  // namespace weft::wasi::p2
