// WasiCtx functions called directly on a plain byte buffer standing in for guest memory,
// with a temporary directory preopened: no engine needed.
#include "wasi/wasi.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace weft::wasi {
namespace {

class WasiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-wasi-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    WasiConfig config;
    config.args = {"prog", "one", "two"};
    config.env = {"A=1"};
    config.preopens = {{dir_, "."}};
    auto ctx = WasiCtx::Create(std::move(config));
    ASSERT_TRUE(ctx.ok()) << ctx.error().message();
    ctx_ = std::make_unique<WasiCtx>(std::move(ctx).value());
    mem_.assign(65536, 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  GuestMemory M() { return GuestMemory(mem_.data(), mem_.size()); }
  uint32_t U32(uint32_t at) {
    uint32_t v;
    std::memcpy(&v, &mem_[at], 4);
    return v;
  }
  uint64_t U64(uint32_t at) {
    uint64_t v;
    std::memcpy(&v, &mem_[at], 8);
    return v;
  }
  // Copies `s` to guest address `at` and returns its length.
  uint32_t Put(uint32_t at, const std::string& s) {
    std::memcpy(&mem_[at], s.data(), s.size());
    return static_cast<uint32_t>(s.size());
  }
  void Iovec(uint32_t at, uint32_t buf, uint32_t len) {
    std::memcpy(&mem_[at], &buf, 4);
    std::memcpy(&mem_[at + 4], &len, 4);
  }
  Errno Open(const std::string& path, uint32_t oflags, uint32_t* fd, uint32_t dirflags = 0) {
    uint32_t n = Put(1000, path);
    Errno e = ctx_->PathOpen(M(), 3, dirflags, 1000, n, oflags, kRightsAll, kRightsAll, 0, 2000);
    *fd = U32(2000);
    return e;
  }

  std::string dir_;
  std::unique_ptr<WasiCtx> ctx_;
  std::vector<uint8_t> mem_;
};

TEST_F(WasiTest, Args) {
  ASSERT_EQ(ctx_->ArgsSizesGet(M(), 0, 4), kSuccess);
  EXPECT_EQ(U32(0), 3u);
  EXPECT_EQ(U32(4), 13u);  // "prog\0one\0two\0"
  ASSERT_EQ(ctx_->ArgsGet(M(), 100, 200), kSuccess);
  EXPECT_EQ(U32(100), 200u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(&mem_[U32(104)])), "one");
  EXPECT_EQ(ctx_->ArgsGet(M(), 65534, 200), kFault);
  EXPECT_EQ(ctx_->ArgsGet(M(), 100, 65530), kFault);
  ASSERT_EQ(ctx_->EnvironSizesGet(M(), 0, 4), kSuccess);
  EXPECT_EQ(U32(0), 1u);
  EXPECT_EQ(U32(4), 4u);
}

TEST_F(WasiTest, FileRoundTrip) {
  uint32_t fd;
  ASSERT_EQ(Open("f.txt", kOflagCreat | kOflagTrunc, &fd), kSuccess);
  uint32_t n = Put(3000, "hello world");
  Iovec(100, 3000, n);
  ASSERT_EQ(ctx_->FdWrite(M(), fd, 100, 1, 200), kSuccess);
  EXPECT_EQ(U32(200), n);
  ASSERT_EQ(ctx_->FdSeek(M(), fd, 6, kWhenceSet, 208), kSuccess);
  EXPECT_EQ(U64(208), 6u);
  Iovec(100, 4000, 100);
  ASSERT_EQ(ctx_->FdRead(M(), fd, 100, 1, 200), kSuccess);
  EXPECT_EQ(U32(200), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(&mem_[4000]), 5), "world");
  ASSERT_EQ(ctx_->FdFilestatGet(M(), fd, 500), kSuccess);
  EXPECT_EQ(mem_[500 + 16], kFiletypeRegularFile);
  EXPECT_EQ(U64(500 + 32), 11u);
  // Out-of-bounds buffers fault without touching the file.
  Iovec(100, 65530, 100);
  EXPECT_EQ(ctx_->FdRead(M(), fd, 100, 1, 200), kFault);
  EXPECT_EQ(ctx_->FdWrite(M(), fd, 65535, 1, 200), kFault);
  EXPECT_EQ(ctx_->FdClose(M(), fd), kSuccess);
  EXPECT_EQ(ctx_->FdClose(M(), fd), kBadf);
  EXPECT_EQ(ctx_->FdWrite(M(), 99, 100, 1, 200), kBadf);
}

TEST_F(WasiTest, OpenErrorsAndEscapes) {
  uint32_t fd;
  EXPECT_EQ(Open("missing.txt", 0, &fd), kNoEnt);
  ASSERT_EQ(Open("x", kOflagCreat, &fd), kSuccess);
  EXPECT_EQ(Open("x", kOflagCreat | kOflagExcl, &fd), kExist);
  EXPECT_EQ(Open("../x", 0, &fd), kNotCapable);
  EXPECT_EQ(Open("/etc/passwd", 0, &fd), kNotCapable);
  uint32_t t = Put(1000, "/");
  uint32_t l = Put(1100, "abs");
  EXPECT_EQ(ctx_->PathSymlink(M(), 1000, t, 3, 1100, l), kNotCapable);
  t = Put(1000, "..");
  l = Put(1100, "up");
  ASSERT_EQ(ctx_->PathSymlink(M(), 1000, t, 3, 1100, l), kSuccess);
  EXPECT_EQ(Open("up/x", 0, &fd, kLookupSymlinkFollow), kNotCapable);
  EXPECT_EQ(Open("up", kOflagDirectory, &fd, kLookupSymlinkFollow), kNotCapable);
  EXPECT_EQ(Open("up", 0, &fd, 0), kLoop);  // O_NOFOLLOW on the link itself
  EXPECT_EQ(ctx_->PathOpen(M(), 3, 0, 65530, 100, 0, 0, 0, 0, 2000), kFault);
  EXPECT_EQ(ctx_->PathOpen(M(), 0, 0, 1000, 1, 0, 0, 0, 0, 2000), kNotCapable);  // stdin
}

TEST_F(WasiTest, DirectoriesAndReaddir) {
  uint32_t n = Put(1000, "sub");
  ASSERT_EQ(ctx_->PathCreateDirectory(M(), 3, 1000, n), kSuccess);
  EXPECT_EQ(ctx_->PathCreateDirectory(M(), 3, 1000, n), kExist);
  uint32_t fd;
  ASSERT_EQ(Open("sub/a", kOflagCreat, &fd), kSuccess);
  n = Put(1000, "sub");
  EXPECT_EQ(ctx_->PathRemoveDirectory(M(), 3, 1000, n), kNotEmpty);
  EXPECT_EQ(ctx_->PathUnlinkFile(M(), 3, 1000, n), kIsDir);
  uint32_t dfd;
  ASSERT_EQ(Open("sub", kOflagDirectory, &dfd), kSuccess);
  ASSERT_EQ(ctx_->FdReaddir(M(), dfd, 5000, 4096, 0, 200), kSuccess);
  uint32_t used = U32(200);
  std::vector<std::string> names;
  for (uint32_t at = 5000; at + kDirentSize <= 5000 + used;) {
    uint32_t namlen = U32(at + 16);
    names.emplace_back(reinterpret_cast<char*>(&mem_[at + kDirentSize]), namlen);
    at += kDirentSize + namlen;
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".", "..", "a"}));
  // A tiny buffer fills completely (truncated entry) so the guest knows to retry.
  ASSERT_EQ(ctx_->FdReaddir(M(), dfd, 5000, 10, 0, 200), kSuccess);
  EXPECT_EQ(U32(200), 10u);
  n = Put(1000, "sub/a");
  uint32_t m = Put(1100, "b");
  ASSERT_EQ(ctx_->PathRename(M(), 3, 1000, n, 3, 1100, m), kSuccess);
  ASSERT_EQ(ctx_->PathUnlinkFile(M(), 3, 1100, m), kSuccess);
  n = Put(1000, "sub");
  EXPECT_EQ(ctx_->PathRemoveDirectory(M(), 3, 1000, n), kSuccess);
}

TEST_F(WasiTest, PrestatAndRights) {
  ASSERT_EQ(ctx_->FdPrestatGet(M(), 3, 100), kSuccess);
  EXPECT_EQ(mem_[100], 0);
  EXPECT_EQ(U32(104), 1u);
  ASSERT_EQ(ctx_->FdPrestatDirName(M(), 3, 200, 1), kSuccess);
  EXPECT_EQ(mem_[200], '.');
  EXPECT_EQ(ctx_->FdPrestatGet(M(), 4, 100), kBadf);
  EXPECT_EQ(ctx_->FdPrestatGet(M(), 1, 100), kBadf);
  uint32_t fd;
  ASSERT_EQ(Open("r", kOflagCreat, &fd), kSuccess);
  ASSERT_EQ(ctx_->FdFdstatSetRights(M(), fd, kRightFdRead, 0), kSuccess);
  Iovec(100, 3000, 1);
  EXPECT_EQ(ctx_->FdWrite(M(), fd, 100, 1, 200), kNotCapable);
  EXPECT_EQ(ctx_->FdFdstatSetRights(M(), fd, kRightFdRead | kRightFdWrite, 0), kNotCapable);
  ASSERT_EQ(ctx_->FdRenumber(M(), fd, 3), kSuccess);  // replaces the preopen
  EXPECT_EQ(ctx_->FdPrestatGet(M(), 3, 100), kBadf);
  EXPECT_EQ(ctx_->FdRenumber(M(), fd, 3), kBadf);
}

TEST_F(WasiTest, ClocksRandomPoll) {
  ASSERT_EQ(ctx_->ClockTimeGet(M(), kClockMonotonic, 1, 100), kSuccess);
  uint64_t t0 = U64(100);
  EXPECT_EQ(ctx_->ClockTimeGet(M(), 9, 1, 100), kInval);
  EXPECT_EQ(ctx_->ClockTimeGet(M(), kClockRealtime, 1, 65532), kFault);
  ASSERT_EQ(ctx_->ClockResGet(M(), kClockRealtime, 100), kSuccess);
  EXPECT_GT(U64(100), 0u);
  ASSERT_EQ(ctx_->RandomGet(M(), 3000, 64), kSuccess);
  bool nonzero = false;
  for (int i = 0; i < 64; ++i) nonzero |= mem_[3000 + i] != 0;
  EXPECT_TRUE(nonzero);
  EXPECT_EQ(ctx_->RandomGet(M(), 65535, 2), kFault);
  // One relative clock subscription of 20 ms really sleeps.
  std::memset(&mem_[1000], 0, 48);
  uint64_t userdata = 42, timeout = 20'000'000;
  std::memcpy(&mem_[1000], &userdata, 8);
  mem_[1008] = kEventClock;
  uint32_t id = kClockMonotonic;
  std::memcpy(&mem_[1016], &id, 4);
  std::memcpy(&mem_[1024], &timeout, 8);
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(ctx_->PollOneoff(M(), 1000, 2000, 1, 2100), kSuccess);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(ms, 19);
  EXPECT_EQ(U32(2100), 1u);
  EXPECT_EQ(U64(2000), 42u);
  EXPECT_EQ(mem_[2010], kEventClock);
  ASSERT_EQ(ctx_->ClockTimeGet(M(), kClockMonotonic, 1, 100), kSuccess);
  EXPECT_GE(U64(100) - t0, 19'000'000u);
  EXPECT_EQ(ctx_->PollOneoff(M(), 1000, 2000, 0, 2100), kInval);
  EXPECT_EQ(ctx_->PollOneoff(M(), 65500, 2000, 1, 2100), kFault);
}

}  // namespace
}  // namespace weft::wasi

namespace weft::wasi {
namespace {

// Every function (but the sleeping and disk-allocating ones) called with random and boundary
// arguments on a small memory filled with random bytes: errors are fine, crashes (or sanitizer
// reports in the ASan build) are not, and nothing may leave the temporary directory.
TEST(WasiRobustnessTest, RandomArgumentsNeverCrash) {
  char tmpl[] = "/tmp/weft-wasi-fuzz-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  mkdir((dir + "/root").c_str(), 0755);
  int null_fd = open("/dev/null", O_RDWR);
  WasiConfig config;
  config.args = {"a", "bb"};
  config.env = {"X=1"};
  config.preopens = {{dir + "/root", "."}};
  config.stdin_fd = config.stdout_fd = config.stderr_fd = null_fd;
  auto fresh = [&config] {
    auto made = WasiCtx::Create(config);
    EXPECT_TRUE(made.ok());
    return std::move(made).value();
  };
  WasiCtx ctx = fresh();
  int successes[40] = {};
  std::vector<uint8_t> mem(4096);
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  // Arguments: mostly small (valid fds, in-bounds pointers), sometimes at or past the end.
  auto arg = [&]() -> uint32_t {
    switch (next() % 8) {
      case 0: return 0;
      case 1: return static_cast<uint32_t>(next() % 8);
      case 2: return 4096 - static_cast<uint32_t>(next() % 16);
      case 3: return 0xffffffffu - static_cast<uint32_t>(next() % 16);
      case 4: return static_cast<uint32_t>(next());
      default: return static_cast<uint32_t>(next() % 4096);
    }
  };
  auto arg64 = [&]() -> uint64_t { return next() % 2 ? arg() : next(); };
  // Path arguments: half the time the preopen and a plausible path at offset 100.
  auto dirfd = [&]() -> uint32_t { return next() % 2 ? 3 : arg(); };
  auto path = [&]() -> uint32_t { return next() % 2 ? 100 : arg(); };
  auto plen = [&]() -> uint32_t { return next() % 2 ? 1 + static_cast<uint32_t>(next() % 8) : arg() % 64; };
  for (int i = 0; i < 60000; ++i) {
    // A fresh context now and then: random fd_close/fd_renumber soon lose the preopen.
    if (i % 1000 == 0) ctx = fresh();
    if (i % 512 == 0) {
      for (auto& b : mem) b = static_cast<uint8_t>(next());
      // Keep paths short and inside the sandbox-friendly alphabet now and then.
      if (next() % 2) std::memcpy(&mem[100], "a/b/../c\0", 9);
    }
    GuestMemory m(mem.data(), mem.size());
    Errno r = kSuccess;
    uint64_t which = next() % 40;
    switch (which) {
      case 0: r = ctx.ArgsGet(m, arg(), arg()); break;
      case 1: r = ctx.ArgsSizesGet(m, arg(), arg()); break;
      case 2: r = ctx.EnvironGet(m, arg(), arg()); break;
      case 3: r = ctx.EnvironSizesGet(m, arg(), arg()); break;
      case 4: r = ctx.ClockResGet(m, arg(), arg()); break;
      case 5: r = ctx.ClockTimeGet(m, arg(), arg64(), arg()); break;
      case 6: r = ctx.FdAdvise(m, arg(), arg64(), arg64(), arg()); break;
      case 7: r = ctx.FdClose(m, arg() % 8 == 3 ? 0 : arg()); break;  // keep the preopen mostly
      case 8: r = ctx.FdDatasync(m, arg()); break;
      case 9: r = ctx.FdFdstatGet(m, arg(), arg()); break;
      case 10: r = ctx.FdFdstatSetFlags(m, arg(), arg()); break;
      case 11: r = ctx.FdFdstatSetRights(m, arg(), arg64(), arg64()); break;
      case 12: r = ctx.FdFilestatGet(m, arg(), arg()); break;
      case 13: r = ctx.FdFilestatSetSize(m, arg(), arg() % 100000); break;
      case 14: r = ctx.FdFilestatSetTimes(m, arg(), arg64(), arg64(), arg()); break;
      case 15: r = ctx.FdPread(m, arg(), arg(), arg() % 64, arg() % 100000, arg()); break;
      case 16: r = ctx.FdPrestatGet(m, arg(), arg()); break;
      case 17: r = ctx.FdPrestatDirName(m, arg(), arg(), arg()); break;
      case 18: r = ctx.FdPwrite(m, arg(), arg(), arg() % 64, arg() % 100000, arg()); break;
      case 19: r = ctx.FdRead(m, arg(), arg(), arg() % 64, arg()); break;
      case 20: r = ctx.FdReaddir(m, arg(), arg(), arg(), arg64(), arg()); break;
      case 21: r = ctx.FdRenumber(m, arg(), arg()); break;
      case 22: r = ctx.FdSeek(m, arg(), arg64(), arg(), arg()); break;
      case 23: r = ctx.FdSync(m, arg()); break;
      case 24: r = ctx.FdTell(m, arg(), arg()); break;
      case 25: r = ctx.FdWrite(m, arg(), arg(), arg() % 64, arg()); break;
      case 26: r = ctx.PathCreateDirectory(m, dirfd(), path(), plen()); break;
      case 27: r = ctx.PathFilestatGet(m, dirfd(), arg(), path(), plen(), arg()); break;
      case 28: r = ctx.PathFilestatSetTimes(m, dirfd(), arg(), path(), plen(), arg64(), arg64(), arg()); break;
      case 29: r = ctx.PathLink(m, dirfd(), arg(), path(), plen(), arg(), path(), plen()); break;
      case 30: r = ctx.PathOpen(m, dirfd(), arg(), path(), plen(), arg() % 16, arg64(), arg64(), arg() % 32, arg()); break;
      case 31: r = ctx.PathReadlink(m, dirfd(), path(), plen(), arg(), arg(), arg()); break;
      case 32: r = ctx.PathRemoveDirectory(m, dirfd(), path(), plen()); break;
      case 33: r = ctx.PathRename(m, dirfd(), path(), plen(), arg(), path(), plen()); break;
      case 34: r = ctx.PathSymlink(m, path(), plen(), dirfd(), path(), plen()); break;
      case 35: r = ctx.PathUnlinkFile(m, dirfd(), path(), plen()); break;
      case 36: r = ctx.RandomGet(m, arg(), arg()); break;
      case 37: r = ctx.SchedYield(m); break;
      case 38: r = ctx.SockSend(m, arg(), arg(), arg(), arg(), arg()); break;
      case 39: r = ctx.ProcRaise(m, arg()); break;
    }
    if (r == kSuccess) ++successes[which];
  }
  // The random calls do reach the host: directories get created, files opened.
  EXPECT_GT(successes[26], 0);
  EXPECT_GT(successes[30], 0);
  EXPECT_GT(successes[25], 0);
  // Nothing appeared next to the sandbox root.
  size_t outside = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) outside += e.path().filename() != "root";
  EXPECT_EQ(outside, 0u);
  close(null_fd);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace weft::wasi
