// Tests of the wasi:io/streams glue through the component runtime: testdata/streams.wasm
// (from streams.wat) reads the stdin stream and writes/splices to the stdout stream, which
// the test points at pipes, and reports each stream-error as a status (0 ok, 1 closed,
// 2 last-operation-failed).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>

#include "wasi/p2/io.h"

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

class StreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);
    int in[2], out[2];
    ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    in_r_ = in[0], in_w_ = in[1], out_r_ = out[0], out_w_ = out[1];
    WasiP2Config config;
    config.stdin_fd = in_r_;
    config.stdout_fd = out_w_;
    store_ = std::make_unique<Store<State>>(engine_, State{WasiP2Ctx(io_, std::move(config))});
    auto c = cm::Component::FromFile(engine_, TestData("streams.wasm"));
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
    for (int fd : {in_r_, in_w_, out_r_, out_w_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  // Calls export `name` as `weft run` does (async, resumed from the io_context loop).
  Error Call(const char* name, std::vector<cm::Val> args, cm::Val* result) {
    auto f = instance_.GetFunc(name);
    if (!f) return Error::Make(ErrorCode::kArgument, "no export");
    auto call = f->CallAsync(*store_, std::move(args));
    if (!call.ok()) return std::move(call).error();
    while ((*call)->state() == AsyncCall::State::kSuspended) {
      ++suspensions_;
      while (!store_->data().wasi.TakeWake()) {
        if (io_.stopped()) io_.restart();
        if (io_.run_one() == 0) return Error::Make(ErrorCode::kInternal, "no wake");
      }
      (*call)->Resume();
    }
    if (!(*call)->error().ok()) return (*call)->error();
    std::vector<cm::Val> out;
    WEFT_TRY(f->FinishAsync(*store_, **call, out));
    if (result != nullptr && !out.empty()) *result = out[0];
    return Error();
  }

  static std::string Bytes(const cm::Val& list) { return cm::ListBytes(list); }
  std::string Drain() {
    std::string s;
    char buf[4096];
    int flags = ::fcntl(out_r_, F_GETFL);
    ::fcntl(out_r_, F_SETFL, flags | O_NONBLOCK);
    for (;;) {
      ssize_t n = ::read(out_r_, buf, sizeof buf);
      if (n <= 0) break;
      s.append(buf, static_cast<size_t>(n));
    }
    ::fcntl(out_r_, F_SETFL, flags);
    return s;
  }

  boost::asio::io_context io_;
  Engine engine_;
  std::unique_ptr<Store<State>> store_;
  cm::Instance instance_;
  int in_r_ = -1, in_w_ = -1, out_r_ = -1, out_w_ = -1;
  int suspensions_ = 0;
};

TEST_F(StreamsTest, ReadIsNonBlockingAndReportsClose) {
  cm::Val r;
  ASSERT_TRUE(Call("read", {cm::Val::U64(10), cm::Val::Bool(false)}, &r).ok());
  EXPECT_EQ(r.items[0].bits, 0u);
  EXPECT_EQ(Bytes(r.items[1]), "");  // nothing yet: an empty ok, no waiting
  EXPECT_EQ(suspensions_, 0);
  ASSERT_EQ(::write(in_w_, "abcdef", 6), 6);
  ASSERT_TRUE(Call("read", {cm::Val::U64(3), cm::Val::Bool(false)}, &r).ok());
  EXPECT_EQ(r.items[0].bits, 0u);
  EXPECT_EQ(Bytes(r.items[1]), "abc");
  ::close(in_w_);
  in_w_ = -1;
  ASSERT_TRUE(Call("read", {cm::Val::U64(10), cm::Val::Bool(false)}, &r).ok());
  EXPECT_EQ(Bytes(r.items[1]), "def");  // data before the close comes first
  ASSERT_TRUE(Call("read", {cm::Val::U64(10), cm::Val::Bool(true)}, &r).ok());
  EXPECT_EQ(r.items[0].bits, 1u);  // closed
}

TEST_F(StreamsTest, BlockingReadSuspendsUntilDataArrives) {
  std::thread writer([this] {
    std::this_thread::sleep_for(milliseconds(30));
    ASSERT_EQ(::write(in_w_, "late", 4), 4);
  });
  auto start = std::chrono::steady_clock::now();
  cm::Val r;
  Error e = Call("read", {cm::Val::U64(100), cm::Val::Bool(true)}, &r);
  writer.join();
  ASSERT_TRUE(e.ok()) << e.ToString();
  EXPECT_EQ(r.items[0].bits, 0u);
  EXPECT_EQ(Bytes(r.items[1]), "late");
  EXPECT_GE(suspensions_, 1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(25));
}

TEST_F(StreamsTest, WriteReachesTheFd) {
  cm::Val r;
  std::vector<cm::Val> bytes;
  for (char c : std::string("hello\n")) bytes.push_back(cm::Val::U8(static_cast<uint8_t>(c)));
  ASSERT_TRUE(Call("write", {cm::Val::Aggregate(cm::TypeKind::kList, bytes)}, &r).ok());
  EXPECT_EQ(r.bits, 0u);
  EXPECT_EQ(Drain(), "hello\n");
}

TEST_F(StreamsTest, WriteBeyondThePermitTraps) {
  Error e = Call("write-over-permit", {}, nullptr);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.code(), ErrorCode::kTrap);
  EXPECT_NE(e.message().find("exceeds the check-write permit"), std::string::npos)
      << e.message();
  EXPECT_EQ(Drain(), "");  // nothing was written
}

TEST_F(StreamsTest, WriteToAClosedPipeIsClosed) {
  ::close(out_r_);
  out_r_ = -1;
  cm::Val r;
  ASSERT_TRUE(Call("write", {cm::Val::Aggregate(cm::TypeKind::kList, {cm::Val::U8(1)})}, &r).ok());
  EXPECT_EQ(r.bits, 1u);
}

TEST_F(StreamsTest, SpliceMovesAvailableBytes) {
  ASSERT_EQ(::write(in_w_, "xyz", 3), 3);
  cm::Val r;
  ASSERT_TRUE(Call("splice", {cm::Val::U64(100)}, &r).ok());
  EXPECT_EQ(r.items[0].bits, 0u);
  EXPECT_EQ(r.items[1].bits, 3u);
  EXPECT_EQ(Drain(), "xyz");
  ASSERT_TRUE(Call("splice", {cm::Val::U64(100)}, &r).ok());
  EXPECT_EQ(r.items[1].bits, 0u);  // nothing available: 0, no waiting
}

}  // namespace
}  // namespace weft::wasi::p2
