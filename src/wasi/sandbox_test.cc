// Escape attempts and ordinary lookups against a real temporary directory tree.
#include "wasi/sandbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace weft::wasi {
namespace {

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-sandbox-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    // base_/outside.txt lies outside the sandbox root base_/root.
    Write(base_ + "/outside.txt");
    root_ = base_ + "/root";
    mkdir(root_.c_str(), 0755);
    mkdir((root_ + "/a").c_str(), 0755);
    mkdir((root_ + "/a/b").c_str(), 0755);
    Write(root_ + "/a/b/file.txt");
    symlink("..", (root_ + "/up").c_str());
    symlink("/", (root_ + "/abs").c_str());
    symlink("l2", (root_ + "/l1").c_str());
    symlink("l1", (root_ + "/l2").c_str());
    symlink("a/b", (root_ + "/inner").c_str());
    symlink("../../outside.txt", (root_ + "/a/sneaky").c_str());
    symlink("../b/file.txt", (root_ + "/a/b/rel").c_str());
    fd_ = open(root_.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    close(fd_);
    std::filesystem::remove_all(base_);
  }
  static void Write(const std::string& path) {
    int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  Errno Resolve(const char* path, bool follow, ResolvedPath* out = nullptr) {
    ResolvedPath tmp;
    return ResolvePath(fd_, path, follow, out ? out : &tmp);
  }
  // The resolved object exists (fstatat without following).
  bool Exists(const ResolvedPath& r) {
    struct stat st;
    return fstatat(r.dir_fd(), r.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  }

  std::string base_, root_;
  int fd_ = -1;
};

TEST_F(SandboxTest, OrdinaryPaths) {
  ResolvedPath r;
  ASSERT_EQ(Resolve("a/b/file.txt", false, &r), kSuccess);
  EXPECT_EQ(r.name(), "file.txt");
  EXPECT_TRUE(Exists(r));
  ASSERT_EQ(Resolve("a//b/./file.txt", false, &r), kSuccess);
  EXPECT_TRUE(Exists(r));
  ASSERT_EQ(Resolve("a/b/../b/file.txt", false, &r), kSuccess);
  EXPECT_TRUE(Exists(r));
  ASSERT_EQ(Resolve("a/..", false, &r), kSuccess);
  EXPECT_EQ(r.name(), ".");
  EXPECT_EQ(r.dir_fd(), fd_);
  ASSERT_EQ(Resolve(".", false, &r), kSuccess);
  EXPECT_EQ(r.name(), ".");
  ASSERT_EQ(Resolve("a/", false, &r), kSuccess);
  EXPECT_TRUE(r.must_be_dir());
  EXPECT_EQ(r.name(), "a");
  ASSERT_EQ(Resolve("new-file", false, &r), kSuccess);
  EXPECT_FALSE(Exists(r));
}

TEST_F(SandboxTest, SymlinksInside) {
  ResolvedPath r;
  ASSERT_EQ(Resolve("inner/file.txt", false, &r), kSuccess);
  EXPECT_TRUE(Exists(r));
  ASSERT_EQ(Resolve("a/b/rel", true, &r), kSuccess);
  EXPECT_EQ(r.name(), "file.txt");
  ASSERT_EQ(Resolve("a/b/rel", false, &r), kSuccess);
  EXPECT_EQ(r.name(), "rel");
  // Not following the final symlink names the link itself, wherever it points.
  ASSERT_EQ(Resolve("abs", false, &r), kSuccess);
  EXPECT_EQ(r.name(), "abs");
  ASSERT_EQ(Resolve("l1", false, &r), kSuccess);
}

TEST_F(SandboxTest, EscapesAreRefused) {
  EXPECT_EQ(Resolve("..", false), kNotCapable);
  EXPECT_EQ(Resolve("../outside.txt", false), kNotCapable);
  EXPECT_EQ(Resolve("a/../../outside.txt", false), kNotCapable);
  EXPECT_EQ(Resolve("a/b/../../..", false), kNotCapable);
  EXPECT_EQ(Resolve("/etc/passwd", false), kNotCapable);
  EXPECT_EQ(Resolve("/", true), kNotCapable);
  EXPECT_EQ(Resolve("up/outside.txt", false), kNotCapable);
  EXPECT_EQ(Resolve("up", true), kNotCapable);
  EXPECT_EQ(Resolve("abs/etc/passwd", false), kNotCapable);
  EXPECT_EQ(Resolve("abs", true), kNotCapable);
  EXPECT_EQ(Resolve("abs/", false), kNotCapable);
  EXPECT_EQ(Resolve("a/sneaky", true), kNotCapable);
  EXPECT_EQ(Resolve("inner/../../up/x", false), kNotCapable);
}

TEST_F(SandboxTest, LoopsAndErrors) {
  EXPECT_EQ(Resolve("l1", true), kLoop);
  EXPECT_EQ(Resolve("l1/x", false), kLoop);
  EXPECT_EQ(Resolve("", false), kNoEnt);
  EXPECT_EQ(Resolve("missing/x", false), kNoEnt);
  EXPECT_EQ(Resolve("a/b/file.txt/x", false), kNotDir);
  EXPECT_EQ(Resolve(std::string("a\0b", 3).c_str(), false), kSuccess);  // C string stops at NUL
  ResolvedPath r;
  EXPECT_EQ(ResolvePath(fd_, std::string_view("a\0b", 3), false, &r), kIlseq);
}

TEST(ErrnoTest, Maps) {
  EXPECT_EQ(ErrnoFromHost(ENOENT), kNoEnt);
  EXPECT_EQ(ErrnoFromHost(EEXIST), kExist);
  EXPECT_EQ(ErrnoFromHost(ENOTEMPTY), kNotEmpty);
  EXPECT_EQ(ErrnoFromHost(ELOOP), kLoop);
  EXPECT_EQ(kNotCapable, 76);
  EXPECT_EQ(kNoEnt, 44);
  EXPECT_EQ(kFault, 21);
}

}  // namespace
}  // namespace weft::wasi
