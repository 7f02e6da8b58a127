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
