// Tests of the WASI 0.2 host core without components: the handle table, timer/fd/any
// pollables on a real io_context, BlockOn's sync path and its async path (a core guest calling
// a host function that blocks, driven by a TakeWake loop), and the fd streams (ordering and
// completeness of interleaved and large writes, EOF, EPIPE).
#include "wasi/p2/io.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <numeric>
#include <thread>

#include "wasi/p2/pollables.h"
#include "wasi/p2/stdio.h"

namespace weft::wasi::p2 {
namespace {

using std::chrono::milliseconds;

uint64_t Ms(int64_t ms) { return static_cast<uint64_t>(ms) * 1000000u; }

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  void CloseRead() {
    if (r >= 0) ::close(r);
    r = -1;
  }
  void CloseWrite() {
    if (w >= 0) ::close(w);
    w = -1;
  }
};

TEST(Table, RepsAreNonZeroAndReused) {
  Table<std::string> t;
  uint32_t a = t.Add("a");
  uint32_t b = t.Add("b");
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(t.Get(0), nullptr);
  EXPECT_EQ(*t.Get(a), "a");
  EXPECT_TRUE(t.Remove(a));
  EXPECT_FALSE(t.Remove(a));
  EXPECT_EQ(t.Get(a), nullptr);
  EXPECT_EQ(t.live(), 1u);
  uint32_t c = t.Add("c");
  EXPECT_EQ(c, a);  // reused
  EXPECT_EQ(*t.Get(c), "c");
  EXPECT_EQ(*t.Get(b), "b");
  EXPECT_EQ(t.Get(99), nullptr);
}

TEST(Table, FreedRepsAreReusedNewestFirstAndMovesLeaveItEmpty) {
  Table<std::shared_ptr<int>> t;
  std::vector<uint32_t> reps;
  for (int i = 0; i < 6; ++i) reps.push_back(t.Add(std::make_shared<int>(i)));
  EXPECT_EQ(reps, (std::vector<uint32_t>{1, 2, 3, 4, 5, 6}));
  std::weak_ptr<int> gone = *t.Get(2);
  EXPECT_TRUE(t.Remove(2));
  EXPECT_TRUE(gone.expired());  // Remove drops the object at once
  EXPECT_TRUE(t.Remove(5));
  EXPECT_TRUE(t.Remove(3));
  EXPECT_EQ(t.live(), 3u);
  EXPECT_EQ(t.Get(3), nullptr);
  EXPECT_EQ(t.Add(std::make_shared<int>(30)), 3u);
  EXPECT_EQ(t.Add(std::make_shared<int>(50)), 5u);
  EXPECT_EQ(t.Add(std::make_shared<int>(20)), 2u);
  EXPECT_EQ(t.Add(std::make_shared<int>(7)), 7u);  // free list used up: a new rep
  EXPECT_EQ(t.live(), 7u);
  EXPECT_EQ(**t.Get(2), 20);
  EXPECT_EQ(**t.Get(4), 3);
  EXPECT_TRUE(t.Remove(4));
  Table<std::shared_ptr<int>> u(std::move(t));
  EXPECT_EQ(u.live(), 6u);
  EXPECT_EQ(u.Add(std::make_shared<int>(40)), 4u);
  EXPECT_EQ(t.live(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(t.Get(1), nullptr);
  EXPECT_EQ(t.Add(std::make_shared<int>(1)), 1u);
}

TEST(Pollables, DeadlineBlocksUntilDue) {
  boost::asio::io_context io;
  WasiP2Ctx ctx(io);
  auto start = std::chrono::steady_clock::now();
  auto p = DeadlinePollable(MonotonicNow() + Ms(30));
  EXPECT_FALSE(p->Ready());
  ASSERT_TRUE(ctx.BlockOnSync(*p).ok());
  EXPECT_TRUE(p->Ready());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
  // A past deadline is ready at once.
  EXPECT_TRUE(DeadlinePollable(MonotonicNow() - 1)->Ready());
  EXPECT_TRUE(DeadlinePollable(0)->Ready());
}

TEST(Pollables, AnyWakesOnTheEarliest) {
  boost::asio::io_context io;
  WasiP2Ctx ctx(io);
  auto late = DeadlinePollable(MonotonicNow() + Ms(5000));
  auto early = DeadlinePollable(MonotonicNow() + Ms(20));
  auto any = AnyPollable({late, early});
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(ctx.BlockOnSync(*any).ok());
  EXPECT_TRUE(early->Ready());
  EXPECT_FALSE(late->Ready());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
}

TEST(Pollables, DroppedWhileWaitingIsHarmless) {
  boost::asio::io_context io;
  int wakes = 0;
  {
    auto p = DeadlinePollable(MonotonicNow() + Ms(10000));
    p->Wait(io, [&wakes] { ++wakes; });
  }  // the timer is cancelled; its handler still runs (a spurious wake)
  io.run();
  EXPECT_EQ(wakes, 1);
}

class NeverReady final : public Pollable {
 public:
  bool Ready() override { return false; }
  void Wait(boost::asio::io_context&, std::function<void()>) override {}
};

TEST(Pollables, BlockOnSyncReportsDeadlock) {
  boost::asio::io_context io;
  WasiP2Ctx ctx(io);
  NeverReady p;
  Error e = ctx.BlockOnSync(p);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.code(), ErrorCode::kTrap);
  EXPECT_NE(e.message().find("deadlock"), std::string::npos) << e.message();
}

TEST(Pollables, FdBecomesReadable) {
  boost::asio::io_context io;
  WasiP2Ctx ctx(io);
  Pipe pipe;
  auto p = FdPollable(pipe.r, false);
  EXPECT_FALSE(p->Ready());
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(30));
    ASSERT_EQ(::write(pipe.w, "x", 1), 1);
  });
  ASSERT_TRUE(ctx.BlockOnSync(*p).ok());
  writer.join();
  EXPECT_TRUE(p->Ready());
  // A write end with room is writable.
  EXPECT_TRUE(FdPollable(pipe.w, true)->Ready());
}

TEST(Pollables, RegularFileIsAlwaysReady) {
  boost::asio::io_context io;
  WasiP2Ctx ctx(io);
  int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto p = FdPollable(fd, false);
  EXPECT_TRUE(p->Ready());
  EXPECT_TRUE(ctx.BlockOnSync(*p).ok());
  ::close(fd);
}

TEST(Streams, FdInputReadsAvailableThenCloses) {
  Pipe pipe;
  auto in = FdInputStream(pipe.r);
  std::vector<uint8_t> out;
  StreamStatus st = in->Read(100, out);
  EXPECT_EQ(st.kind, StreamStatus::kOk);
  EXPECT_TRUE(out.empty());  // nothing yet, and no blocking
  ASSERT_EQ(::write(pipe.w, "hello", 5), 5);
  EXPECT_TRUE(in->Subscribe()->Ready());
  st = in->Read(3, out);
  EXPECT_EQ(st.kind, StreamStatus::kOk);
  EXPECT_EQ(std::string(out.begin(), out.end()), "hel");
  out.clear();
  st = in->Read(0, out);
  EXPECT_EQ(st.kind, StreamStatus::kOk);
  EXPECT_TRUE(out.empty());
  pipe.CloseWrite();
  st = in->Read(100, out);
  EXPECT_EQ(st.kind, StreamStatus::kOk);
  EXPECT_EQ(std::string(out.begin(), out.end()), "lo");
  out.clear();
  st = in->Read(100, out);
  EXPECT_EQ(st.kind, StreamStatus::kClosed);
  EXPECT_EQ(in->Read(100, out).kind, StreamStatus::kClosed);
  EXPECT_TRUE(in->Subscribe()->Ready());
  EXPECT_EQ(FdInputStream(-1)->Read(1, out).kind, StreamStatus::kClosed);
}

// Two handles on one fd (two get-stdout calls) interleaving small writes with a write far
// larger than the pipe buffer: the reader sees every byte, in program order.
TEST(Streams, FdOutputPreservesOrderAndLosesNothing) {
  Pipe pipe;
  std::vector<uint8_t> got;
  std::thread reader([&] {
    uint8_t buf[65536];
    for (;;) {
      ssize_t n = ::read(pipe.r, buf, sizeof buf);
      if (n <= 0) break;
      got.insert(got.end(), buf, buf + n);
      // A slow reader keeps the pipe full, so writes stall and resume.
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  auto a = FdOutputStream(pipe.w);
  auto b = FdOutputStream(pipe.w);
  std::vector<uint8_t> want;
  std::vector<uint8_t> big(3 << 20);
  std::iota(big.begin(), big.end(), uint8_t{7});
  for (int i = 0; i < 200; ++i) {
    std::string s = "a" + std::to_string(i) + ";";
    std::string t = "b" + std::to_string(i) + ";";
    uint64_t permitted = 0;
    ASSERT_EQ(a->CheckWrite(permitted).kind, StreamStatus::kOk);
    ASSERT_GE(permitted, s.size());
    ASSERT_EQ(a->Write(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size())).kind,
              StreamStatus::kOk);
    ASSERT_EQ(b->Write(std::span(reinterpret_cast<const uint8_t*>(t.data()), t.size())).kind,
              StreamStatus::kOk);
    want.insert(want.end(), s.begin(), s.end());
    want.insert(want.end(), t.begin(), t.end());
    if (i == 100) {
      ASSERT_EQ(a->Write(big).kind, StreamStatus::kOk);
      want.insert(want.end(), big.begin(), big.end());
    }
  }
  ASSERT_EQ(a->Flush().kind, StreamStatus::kOk);
  EXPECT_TRUE(a->Subscribe()->Ready());
  pipe.CloseWrite();
  reader.join();
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want);
}

TEST(Streams, ClosedDescriptorsBehaveLikeWasmtimeStdio) {
  Pipe pipe;
  int fd = pipe.r;
  pipe.CloseRead();  // `fd` is now a closed descriptor (EBADF), as `weft run <&-` gives
  std::vector<uint8_t> out;
  EXPECT_EQ(FdInputStream(fd)->Read(10, out).kind, StreamStatus::kClosed);
  uint8_t byte = 1;
  EXPECT_EQ(FdOutputStream(fd)->Write(std::span(&byte, 1)).kind, StreamStatus::kOk);
}

TEST(Streams, FdOutputToClosedPipeIsClosed) {
  std::signal(SIGPIPE, SIG_IGN);
  Pipe pipe;
  pipe.CloseRead();
  auto out = FdOutputStream(pipe.w);
  uint8_t byte = 1;
  EXPECT_EQ(out->Write(std::span(&byte, 1)).kind, StreamStatus::kClosed);
  uint64_t permitted = 99;
  EXPECT_EQ(out->CheckWrite(permitted).kind, StreamStatus::kClosed);
  EXPECT_EQ(permitted, 0u);
  EXPECT_EQ(FdOutputStream(-1)->Write(std::span(&byte, 1)).kind, StreamStatus::kClosed);
}

// BlockOn through a real guest call: (module (import "h" "wait" (func)) (func (export "run")
// call 0)). The host function blocks on a 30 ms deadline.
const uint8_t kWaitModule[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                          // header
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                                      // type () -> ()
    0x02, 0x0a, 0x01, 0x01, 'h', 0x04, 'w', 'a', 'i', 't', 0x00, 0x00,      // import h.wait
    0x03, 0x02, 0x01, 0x00,                                                  // func 1: type 0
    0x07, 0x07, 0x01, 0x03, 'r', 'u', 'n', 0x00, 0x01,                       // export run
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0b,                          // call 0
};

struct WaitState {
  WasiP2Ctx* ctx = nullptr;
  std::shared_ptr<Pollable> p;
  int calls = 0;
  ErrorCode last = ErrorCode::kOk;
};

struct BlockOnFixture {
  boost::asio::io_context io;
  WasiP2Ctx ctx{io};
  Engine engine;
  Store<WaitState> store{engine, WaitState{}};
  std::optional<Func> run;

  void SetUp() {
    store.data().ctx = &ctx;
    Linker<WaitState> linker(engine);
    Error e = linker.DefineFunc(
        "h", "wait", FuncType{}, [](CallerBase& caller, std::span<const Val>, std::span<Val>) {
          auto& s = static_cast<Store<WaitState>*>(caller.store())->data();
          ++s.calls;
          component::HostContext cx(caller);
          Error e = s.ctx->BlockOn(cx, *s.p);
          s.last = e.code();
          return e;
        });
    ASSERT_TRUE(e.ok()) << e.message();
    auto module = Module::Compile(engine, kWaitModule);
    ASSERT_TRUE(module.ok()) << module.error().message();
    auto inst = linker.Instantiate(store, *module);
    ASSERT_TRUE(inst.ok()) << inst.error().message();
    run = inst->GetFunc("run");
    ASSERT_TRUE(run.has_value());
  }
};

TEST(BlockOn, SyncCallRunsTheLoopHere) {
  BlockOnFixture f;
  f.SetUp();
  f.store.data().p = DeadlinePollable(MonotonicNow() + Ms(30));
  auto start = std::chrono::steady_clock::now();
  Error e = f.run->Call(f.store, {}, {});
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
  EXPECT_EQ(f.store.data().calls, 1);
}

TEST(BlockOn, AsyncCallSuspendsUntilWoken) {
  BlockOnFixture f;
  f.SetUp();
  f.store.data().p = DeadlinePollable(MonotonicNow() + Ms(200));
  auto start = std::chrono::steady_clock::now();
  auto call = f.run->CallAsync(f.store, {});
  ASSERT_TRUE(call.ok()) << call.error().message();
  // Suspended, not blocked: control is back here before the deadline.
  ASSERT_EQ((*call)->state(), AsyncCall::State::kSuspended);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(200));
  int resumes = 0;
  while ((*call)->state() == AsyncCall::State::kSuspended) {
    while (!f.ctx.TakeWake()) {
      if (f.io.stopped()) f.io.restart();
      ASSERT_NE(f.io.run_one(), 0u);
    }
    (*call)->Resume();
    ++resumes;
  }
  EXPECT_TRUE((*call)->error().ok()) << (*call)->error().message();
  EXPECT_GE(resumes, 1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
}

TEST(BlockOn, CancelledAsyncCallTraps) {
  BlockOnFixture f;
  f.SetUp();
  f.store.data().p = DeadlinePollable(MonotonicNow() + Ms(60000));
  auto call = f.run->CallAsync(f.store, {});
  ASSERT_TRUE(call.ok());
  ASSERT_EQ((*call)->state(), AsyncCall::State::kSuspended);
  call->reset();  // cancels: BlockOn returns the trap and the guest unwinds
  EXPECT_EQ(f.store.data().calls, 1);
  EXPECT_EQ(f.store.data().last, ErrorCode::kTrap);
}

}  // namespace
}  // namespace weft::wasi::p2
