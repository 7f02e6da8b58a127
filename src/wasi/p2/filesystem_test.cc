// Tests of the wasi:filesystem host class called directly (no guest): each test gets a fresh
// temporary directory preopened as "/sandbox" and checks results and error codes against
// what wasmtime returns for the same call (crates/wasi/src/filesystem.rs, cap-std).
#include "wasi/p2/filesystem.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace weft::wasi::p2::fs {
namespace {

namespace stdfs = std::filesystem;

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }
std::string Str(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

constexpr DescriptorFlags kRead{DescriptorFlags::kRead};
constexpr DescriptorFlags kReadWrite{DescriptorFlags::kRead | DescriptorFlags::kWrite};
constexpr PathFlags kNoFollow{0};
constexpr PathFlags kFollow{PathFlags::kSymlinkFollow};
constexpr OpenFlags kNone{0};
constexpr OpenFlags kCreate{OpenFlags::kCreate};

class FilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-fs-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    outer_ = tmpl;
    // The preopen is a subdirectory, so escapes have somewhere to land (and we can check
    // that nothing did).
    root_path_ = outer_ / "root";
    stdfs::create_directory(root_path_);
    ASSERT_TRUE(fs_.AddPreopen({root_path_.string(), "/sandbox", true}).ok());
    auto dirs = fs_.GetDirectories();
    ASSERT_EQ(dirs.size(), 1u);
    root_ = std::get<0>(dirs[0]).rep;
    EXPECT_EQ(std::get<1>(dirs[0]), "/sandbox");
  }
  void TearDown() override {
    std::error_code ec;
    stdfs::remove_all(outer_, ec);
  }

  void WriteHostFile(const std::string& rel, const std::string& contents) {
    std::ofstream(root_path_ / rel, std::ios::binary) << contents;
  }
  std::string ReadHostFile(const stdfs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Opens `path` beneath the root; fails the test on error.
  uint32_t Open(std::string_view path, OpenFlags of = kNone, DescriptorFlags df = kRead,
                PathFlags pf = kNoFollow) {
    auto r = fs_.OpenAt(root_, pf, path, of, df);
    EXPECT_TRUE(r.ok()) << path << ": " << ErrorCodeName(r.error());
    return r.ok() ? r.value().rep : 0;
  }
  ErrorCode OpenError(std::string_view path, OpenFlags of = kNone, DescriptorFlags df = kRead,
                      PathFlags pf = kNoFollow) {
    auto r = fs_.OpenAt(root_, pf, path, of, df);
    EXPECT_FALSE(r.ok()) << path << " opened";
    return r.ok() ? ErrorCode::kIo : r.error();
  }
  boost::asio::io_context ioc_;
  WasiP2Ctx io_{ioc_};
  FilesystemCtx fs_;
  stdfs::path outer_, root_path_;
  uint32_t root_ = 0;
};

#define EXPECT_ERR(expr, code)                                             \
  do {                                                                     \
    auto r_ = (expr);                                                      \
    ASSERT_FALSE(r_.ok()) << #expr << " succeeded";                        \
    EXPECT_EQ(r_.error(), ErrorCode::code)                                 \
        << #expr << " gave " << ErrorCodeName(r_.error()) << ", expected " \
        << ErrorCodeName(ErrorCode::code);                                 \
  } while (0)
#define EXPECT_OK(expr)                                                                   \
  do {                                                                                    \
    auto r_ = (expr);                                                                     \
    EXPECT_TRUE(r_.ok()) << #expr << " failed: " << (r_.ok() ? "" : ErrorCodeName(r_.error())); \
  } while (0)

TEST_F(FilesystemTest, CreateWriteReadStat) {
  uint32_t f = Open("hello.txt", kCreate, kReadWrite);
  auto w = fs_.Write(f, Bytes("hello world"), 0);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value(), 11u);
  auto r = fs_.Read(f, 5, 6);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Str(std::get<0>(r.value())), "world");
  EXPECT_FALSE(std::get<1>(r.value()));
  // At the end: no bytes and end-of-stream.
  r = fs_.Read(f, 100, 11);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::get<0>(r.value()).empty());
  EXPECT_TRUE(std::get<1>(r.value()));
  // Reads are capped at 64 KiB.
  std::vector<uint8_t> big(100000, 'x');
  ASSERT_TRUE(fs_.Write(f, big, 0).ok());
  r = fs_.Read(f, 1 << 20, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<0>(r.value()).size(), 65536u);

  auto st = fs_.Stat(f);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st.value().type, DescriptorType::kRegularFile);
  EXPECT_EQ(st.value().size, 100000u);
  EXPECT_EQ(st.value().link_count, 1u);
  EXPECT_TRUE(st.value().data_modification_timestamp.has_value());
  EXPECT_TRUE(st.value().status_change_timestamp.has_value());
  EXPECT_EQ(fs_.GetType(f).value(), DescriptorType::kRegularFile);
  EXPECT_EQ(fs_.GetType(root_).value(), DescriptorType::kDirectory);
  EXPECT_EQ(ReadHostFile(root_path_ / "hello.txt").size(), 100000u);

  auto sa = fs_.StatAt(root_, kNoFollow, "hello.txt");
  ASSERT_TRUE(sa.ok());
  EXPECT_EQ(sa.value().size, 100000u);
  EXPECT_EQ(fs_.Stat(root_).value().type, DescriptorType::kDirectory);
}

TEST_F(FilesystemTest, OpenFlagsAndModes) {
  WriteHostFile("f", "0123456789");
  // exclusive on an existing file
  EXPECT_EQ(OpenError("f", OpenFlags{OpenFlags::kCreate | OpenFlags::kExclusive}, kReadWrite),
            ErrorCode::kExist);
  // exclusive without create is ignored (cap-std's create_new needs create)
  uint32_t f = Open("f", OpenFlags{OpenFlags::kExclusive});
  fs_.DropDescriptor(f);
  // truncate empties it
  f = Open("f", OpenFlags{OpenFlags::kTruncate}, kReadWrite);
  EXPECT_EQ(fs_.Stat(f).value().size, 0u);
  EXPECT_EQ(OpenError("missing"), ErrorCode::kNoEntry);
  EXPECT_EQ(OpenError(""), ErrorCode::kNoEntry);
  // directory flag on a file, and the flags it may not be combined with
  EXPECT_EQ(OpenError("f", OpenFlags{OpenFlags::kDirectory}), ErrorCode::kNotDirectory);
  EXPECT_EQ(OpenError("d", OpenFlags{OpenFlags::kDirectory | OpenFlags::kCreate}),
            ErrorCode::kInvalid);
  EXPECT_EQ(OpenError("f", OpenFlags{OpenFlags::kDirectory | OpenFlags::kTruncate}),
            ErrorCode::kInvalid);
  // sync flags are unsupported (as in wasmtime)
  EXPECT_EQ(OpenError("f", kNone, DescriptorFlags{DescriptorFlags::kRead |
                                                  DescriptorFlags::kFileIntegritySync}),
            ErrorCode::kUnsupported);
  // a directory cannot be opened for writing
  stdfs::create_directory(root_path_ / "d");
  EXPECT_EQ(OpenError("d", kNone, kReadWrite), ErrorCode::kIsDirectory);
  uint32_t d = Open("d", OpenFlags{OpenFlags::kDirectory});
  EXPECT_EQ(fs_.GetType(d).value(), DescriptorType::kDirectory);
  // trailing slashes
  EXPECT_EQ(OpenError("f/"), ErrorCode::kNotDirectory);
  EXPECT_EQ(OpenError("new/", kCreate, kReadWrite), ErrorCode::kIsDirectory);
  EXPECT_FALSE(stdfs::exists(root_path_ / "new"));
  Open("d/");
  // paths through a subdirectory, and `..` that stays inside
  WriteHostFile("d/inner", "in");
  uint32_t in = Open("d/../d/./inner");
  EXPECT_EQ(Str(std::get<0>(fs_.Read(in, 10, 0).value())), "in");
  // relative to an opened subdirectory
  uint32_t in2 = fs_.OpenAt(d, kNoFollow, "inner", kNone, kRead).value().rep;
  EXPECT_TRUE(fs_.IsSameObject(in, in2));
  // NUL in a path
  EXPECT_EQ(OpenError(std::string_view("f\0x", 3)), ErrorCode::kInvalid);
}

TEST_F(FilesystemTest, GetFlags) {
  EXPECT_EQ(fs_.GetFlags(root_).value().bits,
            DescriptorFlags::kRead | DescriptorFlags::kMutateDirectory);
  uint32_t rw = Open("a", kCreate, kReadWrite);
  EXPECT_EQ(fs_.GetFlags(rw).value().bits, DescriptorFlags::kRead | DescriptorFlags::kWrite);
  uint32_t w = Open("a", kNone, DescriptorFlags{DescriptorFlags::kWrite});
  EXPECT_EQ(fs_.GetFlags(w).value().bits, DescriptorFlags::kWrite);
  uint32_t r = Open("a");
  EXPECT_EQ(fs_.GetFlags(r).value().bits, DescriptorFlags::kRead);
  // A write-only descriptor cannot read; a read-only one cannot write (the OS says EBADF).
  EXPECT_ERR(fs_.Read(w, 1, 0), kBadDescriptor);
  EXPECT_ERR(fs_.Write(r, Bytes("x"), 0), kBadDescriptor);
}

TEST_F(FilesystemTest, Streams) {
  uint32_t f = Open("s.txt", kCreate, kReadWrite);
  auto ws = fs_.WriteViaStream(io_, f, 0);
  ASSERT_TRUE(ws.ok());
  OutputStream& out = **io_.output_streams.Get(ws.value().rep);
  uint64_t permitted = 0;
  EXPECT_EQ(out.CheckWrite(permitted).kind, StreamStatus::kOk);
  EXPECT_EQ(permitted, 1024u * 1024u);
  EXPECT_EQ(out.Write(Bytes("hello")).kind, StreamStatus::kOk);
  EXPECT_EQ(out.Write(Bytes(" there")).kind, StreamStatus::kOk);
  EXPECT_EQ(out.Flush().kind, StreamStatus::kOk);
  EXPECT_TRUE(out.Subscribe()->Ready());
  EXPECT_EQ(ReadHostFile(root_path_ / "s.txt"), "hello there");

  // A stream at an offset overwrites in place.
  auto ws2 = fs_.WriteViaStream(io_, f, 6);
  ASSERT_TRUE(ws2.ok());
  EXPECT_EQ((*io_.output_streams.Get(ws2.value().rep))->Write(Bytes("THERE")).kind,
            StreamStatus::kOk);
  EXPECT_EQ(ReadHostFile(root_path_ / "s.txt"), "hello THERE");

  auto as = fs_.AppendViaStream(io_, f);
  ASSERT_TRUE(as.ok());
  OutputStream& app = **io_.output_streams.Get(as.value().rep);
  EXPECT_EQ(app.Write(Bytes("!")).kind, StreamStatus::kOk);
  // Appends go to the end even after the file grew behind the stream's back.
  ASSERT_TRUE(fs_.Write(f, Bytes("?"), 12).ok());
  EXPECT_EQ(app.Write(Bytes("$")).kind, StreamStatus::kOk);
  EXPECT_EQ(ReadHostFile(root_path_ / "s.txt"), "hello THERE!?$");

  auto rs = fs_.ReadViaStream(io_, f, 6);
  ASSERT_TRUE(rs.ok());
  InputStream& in = **io_.input_streams.Get(rs.value().rep);
  EXPECT_TRUE(in.Subscribe()->Ready());
  std::vector<uint8_t> got;
  EXPECT_EQ(in.Read(0, got).kind, StreamStatus::kOk);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(in.Read(3, got).kind, StreamStatus::kOk);
  EXPECT_EQ(Str(got), "THE");
  EXPECT_EQ(in.Read(100, got).kind, StreamStatus::kOk);
  EXPECT_EQ(Str(got), "THERE!?$");
  EXPECT_EQ(in.Read(100, got).kind, StreamStatus::kClosed);
  EXPECT_EQ(in.Read(100, got).kind, StreamStatus::kClosed);

  // Streams keep the file open after the descriptor is dropped.
  auto rs2 = fs_.ReadViaStream(io_, f, 0);
  ASSERT_TRUE(rs2.ok());
  fs_.DropDescriptor(f);
  got.clear();
  EXPECT_EQ((*io_.input_streams.Get(rs2.value().rep))->Read(5, got).kind, StreamStatus::kOk);
  EXPECT_EQ(Str(got), "hello");

  // Directories: reading is is-directory, writing bad-descriptor (as wasmtime).
  EXPECT_ERR(fs_.ReadViaStream(io_, root_, 0), kIsDirectory);
  EXPECT_ERR(fs_.WriteViaStream(io_, root_, 0), kBadDescriptor);
  EXPECT_ERR(fs_.AppendViaStream(io_, root_), kBadDescriptor);
}

TEST_F(FilesystemTest, StreamErrorsCarryAnErrorCode) {
  WriteHostFile("ro", "data");
  uint32_t f = Open("ro");  // read-only descriptor
  auto ws = fs_.WriteViaStream(io_, f, 0);
  ASSERT_TRUE(ws.ok());
  OutputStream& out = **io_.output_streams.Get(ws.value().rep);
  StreamStatus st = out.Write(Bytes("x"));
  ASSERT_EQ(st.kind, StreamStatus::kFailed);
  EXPECT_NE(st.message.find("(os error 9)"), std::string::npos) << st.message;
  uint32_t err = io_.errors.Add(st.message);
  EXPECT_EQ(FilesystemCtx::FilesystemErrorCode(io_, err), ErrorCode::kBadDescriptor);
  // After a failure the stream is closed.
  uint64_t permitted;
  EXPECT_EQ(out.CheckWrite(permitted).kind, StreamStatus::kClosed);
  // Errors that did not come from a file: none.
  EXPECT_EQ(FilesystemCtx::FilesystemErrorCode(io_, io_.errors.Add("connection reset")),
            std::nullopt);
  EXPECT_EQ(FilesystemCtx::FilesystemErrorCode(io_, io_.errors.Add("x (os error 2)")),
            ErrorCode::kNoEntry);
  EXPECT_EQ(FilesystemCtx::FilesystemErrorCode(io_, 999), std::nullopt);
}

TEST_F(FilesystemTest, ReadDirectory) {
  WriteHostFile("a", "1");
  WriteHostFile("b", "22");
  stdfs::create_directory(root_path_ / "c");
  ASSERT_EQ(symlink("a", (root_path_ / "l").c_str()), 0);
  ASSERT_EQ(mkfifo((root_path_ / "p").c_str(), 0600), 0);

  auto collect = [&](uint32_t dir) {
    std::map<std::string, DescriptorType> m;
    auto s = fs_.ReadDirectory(dir);
    EXPECT_TRUE(s.ok());
    for (;;) {
      auto e = fs_.ReadDirectoryEntry(s.value().rep);
      EXPECT_TRUE(e.ok());
      if (!e.ok() || !e.value()) break;
      m[e.value()->name] = e.value()->type;
    }
    // Stays at the end.
    EXPECT_FALSE(fs_.ReadDirectoryEntry(s.value().rep).value().has_value());
    fs_.DropDirectoryEntryStream(s.value().rep);
    return m;
  };
  std::map<std::string, DescriptorType> want = {
      {"a", DescriptorType::kRegularFile},  {"b", DescriptorType::kRegularFile},
      {"c", DescriptorType::kDirectory},    {"l", DescriptorType::kSymbolicLink},
      {"p", DescriptorType::kUnknown},  // fifo: wasmtime reports unknown
  };
  EXPECT_EQ(collect(root_), want);
  // A second stream starts over.
  EXPECT_EQ(collect(root_), want);
  EXPECT_EQ(fs_.live_dir_streams(), 0u);
  uint32_t c = Open("c", OpenFlags{OpenFlags::kDirectory});
  EXPECT_TRUE(collect(c).empty());

  uint32_t f = Open("a");
  EXPECT_ERR(fs_.ReadDirectory(f), kNotDirectory);
  EXPECT_ERR(fs_.ReadDirectoryEntry(12345), kBadDescriptor);
}

TEST_F(FilesystemTest, MkdirRmdirUnlinkRename) {
  EXPECT_OK(fs_.CreateDirectoryAt(root_, "d"));
  EXPECT_TRUE(stdfs::is_directory(root_path_ / "d"));
  EXPECT_ERR(fs_.CreateDirectoryAt(root_, "d"), kExist);
  EXPECT_ERR(fs_.CreateDirectoryAt(root_, "missing/d"), kNoEntry);
  EXPECT_OK(fs_.CreateDirectoryAt(root_, "d/e/"));
  WriteHostFile("d/e/f", "x");
  EXPECT_ERR(fs_.RemoveDirectoryAt(root_, "d"), kNotEmpty);
  EXPECT_ERR(fs_.RemoveDirectoryAt(root_, "d/e/f"), kNotDirectory);
  EXPECT_ERR(fs_.UnlinkFileAt(root_, "d/e"), kIsDirectory);
  EXPECT_ERR(fs_.UnlinkFileAt(root_, "d/e/"), kIsDirectory);
  EXPECT_ERR(fs_.UnlinkFileAt(root_, "d/e/f/"), kNotDirectory);
  EXPECT_ERR(fs_.UnlinkFileAt(root_, "nothing"), kNoEntry);

  EXPECT_OK(fs_.RenameAt(root_, "d/e/f", root_, "g"));
  EXPECT_EQ(ReadHostFile(root_path_ / "g"), "x");
  EXPECT_FALSE(stdfs::exists(root_path_ / "d/e/f"));
  // Across two descriptors.
  uint32_t d = Open("d", OpenFlags{OpenFlags::kDirectory});
  EXPECT_OK(fs_.RenameAt(root_, "g", d, "h"));
  EXPECT_EQ(ReadHostFile(root_path_ / "d/h"), "x");
  EXPECT_ERR(fs_.RenameAt(root_, "absent", root_, "z"), kNoEntry);
  EXPECT_ERR(fs_.RenameAt(d, "h", root_, "q/"), kNotDirectory);
  EXPECT_ERR(fs_.RenameAt(root_, "d", root_, "d/e/inside"), kInvalid);

  EXPECT_OK(fs_.UnlinkFileAt(d, "h"));
  EXPECT_OK(fs_.RemoveDirectoryAt(root_, "d/e"));
  EXPECT_OK(fs_.RemoveDirectoryAt(root_, "d"));
  EXPECT_FALSE(stdfs::exists(root_path_ / "d"));

  // Path operations need a directory descriptor.
  WriteHostFile("file", "");
  uint32_t f = Open("file");
  EXPECT_ERR(fs_.CreateDirectoryAt(f, "x"), kNotDirectory);
  EXPECT_ERR(fs_.StatAt(f, kNoFollow, "x"), kNotDirectory);
  EXPECT_ERR(fs_.OpenAt(f, kNoFollow, "x", kNone, kRead), kNotDirectory);
}

TEST_F(FilesystemTest, LinkAt) {
  WriteHostFile("a", "A");
  EXPECT_OK(fs_.LinkAt(root_, kNoFollow, "a", root_, "b"));
  EXPECT_EQ(fs_.StatAt(root_, kNoFollow, "a").value().link_count, 2u);
  uint32_t a = Open("a"), b = Open("b");
  EXPECT_TRUE(fs_.IsSameObject(a, b));
  EXPECT_EQ(fs_.MetadataHash(a).value(), fs_.MetadataHash(b).value());
  EXPECT_ERR(fs_.LinkAt(root_, kNoFollow, "a", root_, "b"), kExist);
  // symlink-follow is refused (wasmtime)
  EXPECT_ERR(fs_.LinkAt(root_, kFollow, "a", root_, "c"), kInvalid);
}

TEST_F(FilesystemTest, SymlinksAndReadlink) {
  WriteHostFile("target", "T");
  EXPECT_OK(fs_.SymlinkAt(root_, "target", "l"));
  auto rl = fs_.ReadlinkAt(root_, "l");
  ASSERT_TRUE(rl.ok());
  EXPECT_EQ(rl.value(), "target");
  EXPECT_ERR(fs_.ReadlinkAt(root_, "target"), kInvalid);  // not a link: EINVAL
  EXPECT_EQ(fs_.StatAt(root_, kNoFollow, "l").value().type, DescriptorType::kSymbolicLink);
  EXPECT_EQ(fs_.StatAt(root_, kNoFollow, "l").value().size, 6u);
  EXPECT_EQ(fs_.StatAt(root_, kFollow, "l").value().type, DescriptorType::kRegularFile);
  EXPECT_EQ(fs_.StatAt(root_, kFollow, "l").value().size, 1u);
  EXPECT_NE(fs_.MetadataHashAt(root_, kNoFollow, "l").value(),
            fs_.MetadataHashAt(root_, kFollow, "l").value());
  EXPECT_EQ(fs_.MetadataHashAt(root_, kFollow, "l").value(),
            fs_.MetadataHashAt(root_, kNoFollow, "target").value());
  // Opening a link without following it: ELOOP from O_NOFOLLOW.
  EXPECT_EQ(OpenError("l"), ErrorCode::kLoop);
  uint32_t f = Open("l", kNone, kRead, kFollow);
  EXPECT_EQ(Str(std::get<0>(fs_.Read(f, 10, 0).value())), "T");
  // A link in the middle of a path is always followed.
  stdfs::create_directory(root_path_ / "dir");
  WriteHostFile("dir/x", "X");
  EXPECT_OK(fs_.SymlinkAt(root_, "dir", "dl"));
  Open("dl/x");
  // Dangling, and relative links that stay inside through `..`.
  EXPECT_OK(fs_.SymlinkAt(root_, "nowhere", "dangling"));
  EXPECT_EQ(OpenError("dangling", kNone, kRead, kFollow), ErrorCode::kNoEntry);
  EXPECT_OK(fs_.SymlinkAt(root_, "../target", "dir/up"));
  Open("dir/up", kNone, kRead, kFollow);
  // A loop.
  EXPECT_OK(fs_.SymlinkAt(root_, "loop2", "loop1"));
  EXPECT_OK(fs_.SymlinkAt(root_, "loop1", "loop2"));
  EXPECT_EQ(OpenError("loop1", kNone, kRead, kFollow), ErrorCode::kLoop);
  EXPECT_ERR(fs_.SymlinkAt(root_, "x", "target"), kExist);
  // Unlinking a link removes the link only.
  EXPECT_OK(fs_.UnlinkFileAt(root_, "l"));
  EXPECT_TRUE(stdfs::exists(root_path_ / "target"));
}

TEST_F(FilesystemTest, EscapesAreRefused) {
  // Host-planted links pointing out, absolute and relative.
  ASSERT_EQ(symlink("/etc", (root_path_ / "abs").c_str()), 0);
  ASSERT_EQ(symlink("..", (root_path_ / "up").c_str()), 0);
  ASSERT_EQ(symlink("../../..", (root_path_ / "up3").c_str()), 0);
  stdfs::create_directory(root_path_ / "sub");
  std::ofstream(outer_ / "secret") << "s";

  for (const char* p : {"..", "../secret", "/etc/passwd", "/", "sub/../../secret",
                        "sub/../..", "./../root/x", "up/secret", "abs/passwd", "up3/etc"}) {
    SCOPED_TRACE(p);
    EXPECT_EQ(OpenError(p), ErrorCode::kNotPermitted);
    EXPECT_EQ(OpenError(p, kNone, kRead, kFollow), ErrorCode::kNotPermitted);
    EXPECT_EQ(OpenError(p, kCreate, kReadWrite), ErrorCode::kNotPermitted);
    EXPECT_ERR(fs_.StatAt(root_, kNoFollow, p), kNotPermitted);
    EXPECT_ERR(fs_.StatAt(root_, kFollow, p), kNotPermitted);
    EXPECT_ERR(fs_.MetadataHashAt(root_, kFollow, p), kNotPermitted);
    EXPECT_ERR(fs_.CreateDirectoryAt(root_, p), kNotPermitted);
    EXPECT_ERR(fs_.RemoveDirectoryAt(root_, p), kNotPermitted);
    EXPECT_ERR(fs_.UnlinkFileAt(root_, p), kNotPermitted);
    EXPECT_ERR(fs_.RenameAt(root_, p, root_, "x"), kNotPermitted);
    EXPECT_ERR(fs_.RenameAt(root_, "sub", root_, p), kNotPermitted);
    EXPECT_ERR(fs_.LinkAt(root_, kNoFollow, p, root_, "x"), kNotPermitted);
    EXPECT_ERR(fs_.SymlinkAt(root_, "x", p), kNotPermitted);
    EXPECT_ERR(fs_.ReadlinkAt(root_, p), kNotPermitted);
    EXPECT_ERR(fs_.SetTimesAt(root_, kFollow, p, {}, {}), kNotPermitted);
  }
  // Following a final link that leads out; not following it is fine (it is inside).
  for (const char* p : {"abs", "up", "up3"}) {
    SCOPED_TRACE(p);
    EXPECT_EQ(OpenError(p, kNone, kRead, kFollow), ErrorCode::kNotPermitted);
    EXPECT_ERR(fs_.StatAt(root_, kFollow, p), kNotPermitted);
    EXPECT_EQ(fs_.StatAt(root_, kNoFollow, p).value().type, DescriptorType::kSymbolicLink);
  }
  // readlink does not reveal absolute targets; relative ones are just strings.
  EXPECT_ERR(fs_.ReadlinkAt(root_, "abs"), kNotPermitted);
  EXPECT_EQ(fs_.ReadlinkAt(root_, "up").value(), "..");
  // Creating a link to an absolute target is refused; a relative one pointing out may be
  // created (as cap-std does) but never followed.
  EXPECT_ERR(fs_.SymlinkAt(root_, "/etc/passwd", "evil"), kNotPermitted);
  EXPECT_FALSE(stdfs::is_symlink(root_path_ / "evil"));
  EXPECT_OK(fs_.SymlinkAt(root_, "../secret", "evil2"));
  EXPECT_EQ(OpenError("evil2", kNone, kRead, kFollow), ErrorCode::kNotPermitted);
  // Escapes relative to an opened subdirectory still stop at the preopen, not at it.
  uint32_t sub = Open("sub", OpenFlags{OpenFlags::kDirectory});
  auto inside = fs_.OpenAt(sub, kNoFollow, "../sub", kNone, kRead);
  EXPECT_FALSE(inside.ok());  // `..` above the descriptor it is relative to
  EXPECT_EQ(inside.error(), ErrorCode::kNotPermitted);

  std::vector<std::string> names;
  for (const auto& e : stdfs::directory_iterator(outer_)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"root", "secret"}));
  EXPECT_EQ(ReadHostFile(outer_ / "secret"), "s");
}

TEST_F(FilesystemTest, SetSizeAndTimes) {
  uint32_t f = Open("t", kCreate, kReadWrite);
  EXPECT_OK(fs_.SetSize(f, 1000));
  EXPECT_EQ(fs_.Stat(f).value().size, 1000u);
  EXPECT_OK(fs_.SetSize(f, 3));
  EXPECT_EQ(stdfs::file_size(root_path_ / "t"), 3u);
  EXPECT_ERR(fs_.SetSize(root_, 3), kBadDescriptor);
  EXPECT_ERR(fs_.SetSize(f, uint64_t{1} << 63), kInvalid);

  NewTimestamp at{NewTimestamp::kTimestamp, {1000000000, 5}};
  NewTimestamp mt{NewTimestamp::kTimestamp, {1234567890, 123456789}};
  EXPECT_OK(fs_.SetTimes(f, at, mt));
  DescriptorStat st = fs_.Stat(f).value();
  EXPECT_EQ(st.data_access_timestamp, (Datetime{1000000000, 5}));
  EXPECT_EQ(st.data_modification_timestamp, (Datetime{1234567890, 123456789}));
  // no-change keeps, now moves forward
  EXPECT_OK(fs_.SetTimes(f, {}, {NewTimestamp::kNow, {}}));
  st = fs_.Stat(f).value();
  EXPECT_EQ(st.data_access_timestamp, (Datetime{1000000000, 5}));
  EXPECT_GT(st.data_modification_timestamp->seconds, 1600000000u);
  // set-times-at, with nanoseconds carrying into seconds
  EXPECT_OK(fs_.SetTimesAt(root_, kNoFollow, "t", {NewTimestamp::kTimestamp, {10, 2000000001}},
                           {}));
  EXPECT_EQ(fs_.StatAt(root_, kNoFollow, "t").value().data_access_timestamp,
            (Datetime{12, 1}));
  EXPECT_ERR(fs_.SetTimes(f, {NewTimestamp::kTimestamp, {~uint64_t{0}, 0}}, {}), kOverflow);
  EXPECT_ERR(fs_.SetTimesAt(root_, kNoFollow, "missing", {NewTimestamp::kNow, {}}, {}), kNoEntry);
  // Directories too.
  EXPECT_OK(fs_.SetTimes(root_, at, at));
  EXPECT_EQ(fs_.Stat(root_).value().data_modification_timestamp, (Datetime{1000000000, 5}));

  // Advise and sync on files; advise on a directory is bad-descriptor.
  EXPECT_OK(fs_.Advise(f, 0, 0, Advice::kSequential));
  EXPECT_OK(fs_.Advise(f, 0, 100, Advice::kDontNeed));
  EXPECT_ERR(fs_.Advise(root_, 0, 0, Advice::kNormal), kBadDescriptor);
  EXPECT_OK(fs_.SyncData(f));
  EXPECT_OK(fs_.Sync(f));
  EXPECT_OK(fs_.Sync(root_));
  EXPECT_OK(fs_.SyncData(root_));
}

TEST_F(FilesystemTest, ReadOnlyPreopen) {
  stdfs::create_directory(outer_ / "ro");
  std::ofstream(outer_ / "ro" / "file") << "content";
  FilesystemCtx ro;
  ASSERT_TRUE(ro.AddPreopen({(outer_ / "ro").string(), "ro", false}).ok());
  uint32_t dir = std::get<0>(ro.GetDirectories()[0]).rep;
  EXPECT_EQ(ro.GetFlags(dir).value().bits, DescriptorFlags::kRead);
  // Reading works.
  auto f = ro.OpenAt(dir, kNoFollow, "file", kNone, kRead);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Str(std::get<0>(ro.Read(f.value().rep, 100, 0).value())), "content");
  auto rs = ro.ReadViaStream(io_, f.value().rep, 0);
  EXPECT_TRUE(rs.ok());
  EXPECT_TRUE(ro.StatAt(dir, kNoFollow, "file").ok());
  // Every mutation is not-permitted, before the OS is asked.
  EXPECT_ERR(ro.OpenAt(dir, kNoFollow, "file", kNone, kReadWrite), kNotPermitted);
  EXPECT_ERR(ro.OpenAt(dir, kNoFollow, "new", kCreate, kRead), kNotPermitted);
  EXPECT_ERR(ro.OpenAt(dir, kNoFollow, "file", OpenFlags{OpenFlags::kTruncate}, kRead),
             kNotPermitted);
  EXPECT_ERR(ro.Write(f.value().rep, Bytes("x"), 0), kNotPermitted);
  EXPECT_ERR(ro.WriteViaStream(io_, f.value().rep, 0), kNotPermitted);
  EXPECT_ERR(ro.AppendViaStream(io_, f.value().rep), kNotPermitted);
  EXPECT_ERR(ro.SetSize(f.value().rep, 0), kNotPermitted);
  EXPECT_ERR(ro.SetTimes(f.value().rep, {}, {}), kNotPermitted);
  EXPECT_ERR(ro.CreateDirectoryAt(dir, "d"), kNotPermitted);
  EXPECT_ERR(ro.RemoveDirectoryAt(dir, "d"), kNotPermitted);
  EXPECT_ERR(ro.UnlinkFileAt(dir, "file"), kNotPermitted);
  EXPECT_ERR(ro.RenameAt(dir, "file", dir, "x"), kNotPermitted);
  EXPECT_ERR(ro.LinkAt(dir, kNoFollow, "file", dir, "x"), kNotPermitted);
  EXPECT_ERR(ro.SymlinkAt(dir, "file", "x"), kNotPermitted);
  EXPECT_ERR(ro.SetTimesAt(dir, kNoFollow, "file", {}, {}), kNotPermitted);
  EXPECT_EQ(ReadHostFile(outer_ / "ro" / "file"), "content");
  EXPECT_EQ(stdfs::directory_iterator(outer_ / "ro")->path().filename(), "file");
}

TEST_F(FilesystemTest, DescriptorLifetimes) {
  EXPECT_EQ(fs_.live_descriptors(), 1u);
  // Each get-directories call hands out fresh handles.
  auto again = fs_.GetDirectories();
  uint32_t root2 = std::get<0>(again[0]).rep;
  EXPECT_NE(root2, root_);
  EXPECT_TRUE(fs_.IsSameObject(root_, root2));
  EXPECT_EQ(fs_.MetadataHash(root_).value(), fs_.MetadataHash(root2).value());
  uint32_t f = Open("x", kCreate, kReadWrite);
  EXPECT_FALSE(fs_.IsSameObject(root_, f));
  EXPECT_NE(fs_.MetadataHash(root_).value(), fs_.MetadataHash(f).value());
  EXPECT_EQ(fs_.live_descriptors(), 3u);
  fs_.DropDescriptor(f);
  fs_.DropDescriptor(root2);
  EXPECT_EQ(fs_.live_descriptors(), 1u);
  EXPECT_ERR(fs_.Stat(f), kBadDescriptor);
  EXPECT_FALSE(fs_.IsSameObject(f, root_));
  // The original preopen handle still works after another handle to it was dropped.
  EXPECT_TRUE(fs_.Stat(root_).ok());

  FilesystemCtx bad;
  Error e = bad.AddPreopen({(outer_ / "nope").string(), "nope", true});
  EXPECT_FALSE(e.ok());
  EXPECT_NE(e.message().find("nope"), std::string::npos) << e.message();
}

TEST_F(FilesystemTest, NamesThatAreNotUtf8) {
  // Host names need not be UTF-8; WIT strings must be: such entries and link targets are
  // illegal-byte-sequence, and the other entries still come through.
  WriteHostFile("ok", "");
  WriteHostFile("bad\xff", "");
  ASSERT_EQ(symlink("t\xc3(", (root_path_ / "badlink").c_str()), 0);
  auto s = fs_.ReadDirectory(root_);
  ASSERT_TRUE(s.ok());
  int ok = 0, bad = 0;
  for (int i = 0; i < 10; ++i) {
    auto e = fs_.ReadDirectoryEntry(s.value().rep);
    if (!e.ok()) {
      EXPECT_EQ(e.error(), ErrorCode::kIllegalByteSequence);
      ++bad;
      continue;
    }
    if (!e.value()) break;
    ++ok;
  }
  EXPECT_EQ(ok, 2);  // "ok" and "badlink"
  EXPECT_EQ(bad, 1);
  EXPECT_ERR(fs_.ReadlinkAt(root_, "badlink"), kIllegalByteSequence);
  // Overlong and surrogate encodings are not UTF-8 either; four-byte forms are.
  ASSERT_EQ(symlink("\xc0\xaf", (root_path_ / "overlong").c_str()), 0);
  ASSERT_EQ(symlink("\xed\xa0\x80", (root_path_ / "surrogate").c_str()), 0);
  ASSERT_EQ(symlink("\xf0\x9f\x98\x80 \xc3\xa9", (root_path_ / "emoji").c_str()), 0);
  EXPECT_ERR(fs_.ReadlinkAt(root_, "overlong"), kIllegalByteSequence);
  EXPECT_ERR(fs_.ReadlinkAt(root_, "surrogate"), kIllegalByteSequence);
  EXPECT_EQ(fs_.ReadlinkAt(root_, "emoji").value(), "\xf0\x9f\x98\x80 \xc3\xa9");
}

TEST_F(FilesystemTest, SeveralPreopens) {
  stdfs::create_directory(outer_ / "second");
  std::ofstream(outer_ / "second" / "two") << "2";
  FilesystemCtx ctx;
  ASSERT_TRUE(ctx.AddPreopen({root_path_.string(), "first", true}).ok());
  ASSERT_TRUE(ctx.AddPreopen({(outer_ / "second").string(), "/abs/second", false}).ok());
  EXPECT_EQ(ctx.preopen_count(), 2u);
  auto dirs = ctx.GetDirectories();
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_EQ(std::get<1>(dirs[0]), "first");
  EXPECT_EQ(std::get<1>(dirs[1]), "/abs/second");
  uint32_t second = std::get<0>(dirs[1]).rep;
  EXPECT_TRUE(ctx.StatAt(second, kNoFollow, "two").ok());
  EXPECT_ERR(ctx.StatAt(std::get<0>(dirs[0]).rep, kNoFollow, "two"), kNoEntry);
  // Renames and links between preopens with different permissions are not-permitted.
  EXPECT_ERR(ctx.RenameAt(second, "two", std::get<0>(dirs[0]).rep, "moved"), kNotPermitted);
  // A FilesystemCtx moves (weft run moves its state into the store) with its descriptors.
  FilesystemCtx moved = std::move(ctx);
  EXPECT_TRUE(moved.StatAt(second, kNoFollow, "two").ok());
}

TEST(FilesystemErrno, WasmtimeTable) {
  struct Case {
    int host;
    ErrorCode want;
  };
  const Case cases[] = {
      {EPIPE, ErrorCode::kPipe},
      {EPERM, ErrorCode::kNotPermitted},
      {ENOENT, ErrorCode::kNoEntry},
      {ENOMEM, ErrorCode::kInsufficientMemory},
      {EIO, ErrorCode::kIo},
      {EBADF, ErrorCode::kBadDescriptor},
      {EBUSY, ErrorCode::kBusy},
      {EACCES, ErrorCode::kAccess},
      {ENOTDIR, ErrorCode::kNotDirectory},
      {EISDIR, ErrorCode::kIsDirectory},
      {EINVAL, ErrorCode::kInvalid},
      {EEXIST, ErrorCode::kExist},
      {EFBIG, ErrorCode::kFileTooLarge},
      {ENOSPC, ErrorCode::kInsufficientSpace},
      {ESPIPE, ErrorCode::kInvalidSeek},
      {EMLINK, ErrorCode::kTooManyLinks},
      {ENAMETOOLONG, ErrorCode::kNameTooLong},
      {ENOTEMPTY, ErrorCode::kNotEmpty},
      {ELOOP, ErrorCode::kLoop},
      {EOVERFLOW, ErrorCode::kOverflow},
      {EILSEQ, ErrorCode::kIllegalByteSequence},
      {ENOTSUP, ErrorCode::kUnsupported},
      {EOPNOTSUPP, ErrorCode::kUnsupported},
      {EALREADY, ErrorCode::kAlready},
      {EINPROGRESS, ErrorCode::kInProgress},
      {EINTR, ErrorCode::kInterrupted},
      // Not in wasmtime's table: io (even where WIT has a closer code).
      {EROFS, ErrorCode::kIo},
      {EXDEV, ErrorCode::kIo},
      {ENOSYS, ErrorCode::kIo},
      {EDQUOT, ErrorCode::kIo},
      {ETXTBSY, ErrorCode::kIo},
      {EAGAIN, ErrorCode::kIo},
      {EMFILE, ErrorCode::kIo},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorCodeFromErrno(c.host), c.want) << "errno " << c.host;
  }
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kAccess), "access");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kNotPermitted), "not-permitted");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kCrossDevice), "cross-device");
}

}  // namespace
}  // namespace weft::wasi::p2::fs

namespace weft::wasi::p2::fs {
namespace {

struct LinkState {
  boost::asio::io_context ioc;
  WasiP2Ctx io{ioc};
  FilesystemCtx fs;
};

// The typed bindings compile against the component API and define every function once;
// defining them twice is an error from the linker.
TEST(FilesystemLinker, DefinesInterfaces) {
  Engine engine;
  component::Linker<LinkState> linker(engine);
  auto get = +[](LinkState& s) -> FilesystemCtx& { return s.fs; };
  auto io = +[](LinkState& s) -> WasiP2Ctx& { return s.io; };
  Error e = AddFilesystemToLinker(linker, get, io);
  EXPECT_TRUE(e.ok()) << e.message();
  EXPECT_FALSE(AddFilesystemToLinker(linker, get, io).ok());
}

std::vector<uint8_t> ReadTestComponent(const char* name) {
  std::ifstream in(std::string(WEFT_TEST_SRC_DIR) + "/../../component/testdata/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A jco-made command component (src/component/testdata/hello.cm.wasm, `jco new` with the
// preview1 adapter) imports wasi:filesystem/types and preopens @0.2.12: every function type
// it declares must match the typed bindings, which InstantiatePre checks. The other WASI
// interfaces are stubbed (their resources defined, their functions trapping).
TEST(FilesystemLinker, TypesMatchTheAdaptersImports) {
  std::vector<uint8_t> bytes = ReadTestComponent("hello.cm.wasm");
  ASSERT_FALSE(bytes.empty());
  Engine engine;
  auto component = component::Component::Compile(engine, bytes);
  ASSERT_TRUE(component.ok()) << component.error().message();
  bool imports_fs = false;
  for (const auto& imp : component.value().imports()) {
    imports_fs |= imp.name == "wasi:filesystem/types@0.2.12";
  }
  ASSERT_TRUE(imports_fs);

  component::Linker<LinkState> linker(engine);
  {
    // Without the filesystem the import is named as missing.
    auto pre = linker.InstantiatePre(component.value());
    ASSERT_FALSE(pre.ok());
  }
  linker.TrapUnknownImports(true);
  auto streams = linker.Instance("wasi:io/streams@0.2.12");
  ASSERT_TRUE(streams.DefineResource<InputStreamTag>("input-stream").ok());
  ASSERT_TRUE(streams.DefineResource<OutputStreamTag>("output-stream").ok());
  ASSERT_TRUE(linker.Instance("wasi:io/error@0.2.12").DefineResource<IoErrorTag>("error").ok());
  Error e = AddFilesystemToLinker(
      linker, +[](LinkState& s) -> FilesystemCtx& { return s.fs; },
      +[](LinkState& s) -> WasiP2Ctx& { return s.io; });
  ASSERT_TRUE(e.ok()) << e.message();
  auto pre = linker.InstantiatePre(component.value());
  EXPECT_TRUE(pre.ok()) << pre.error().message();
}

}  // namespace
}  // namespace weft::wasi::p2::fs
