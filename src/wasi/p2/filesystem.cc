// wasi:filesystem host functions on POSIX file descriptors (see filesystem.h for the sandbox
// and error-code rules). Each check happens in the order wasmtime makes it (descriptor kind,
// then permissions, then flags, then the path), so a call that is wrong in several ways
// reports the same error code as wasmtime.
#include "wasi/p2/filesystem.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "wasi/abi.h"
#include "wasi/sandbox.h"

namespace weft::wasi::p2::fs {

namespace {

using component::Resource;

// wasmtime's MAX_READ_SIZE_ALLOC: the most one read allocates.
constexpr uint64_t kMaxReadSize = 64 * 1024;
// wasmtime's FILE_WRITE_CAPACITY: what check-write permits on a file stream.
constexpr uint64_t kFileWriteCapacity = 1024 * 1024;

// An owned host fd, shared by a descriptor and the streams made from it (a stream may outlive
// the descriptor's handle, as in wasmtime where both hold an Arc<File>).
struct Fd {
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int fd;
};

template <typename T>
FsResult<T> Err(ErrorCode c) {
  return FsResult<T>::Err(c);
}
template <typename T>
FsResult<T> ErrFromErrno() {
  return FsResult<T>::Err(ErrorCodeFromErrno(errno));
}
FsResult<void> OkOrErrno(bool ok) {
  return ok ? FsResult<void>::Ok() : ErrFromErrno<void>();
}

// The preview1 errno the sandbox reports → error-code. Escapes (kNotCapable) are cap-std's
// escape_attempt(): PermissionDenied without an OS code, which wasmtime maps to not-permitted.
ErrorCode FromWasiErrno(Errno e) {
  switch (e) {
    case kNotCapable: return ErrorCode::kNotPermitted;
    case kPipe: return ErrorCode::kPipe;
    case kPerm: return ErrorCode::kNotPermitted;
    case kNoEnt: return ErrorCode::kNoEntry;
    case kNoMem: return ErrorCode::kInsufficientMemory;
    case kIo: return ErrorCode::kIo;
    case kBadf: return ErrorCode::kBadDescriptor;
    case kBusy: return ErrorCode::kBusy;
    case kAcces: return ErrorCode::kAccess;
    case kNotDir: return ErrorCode::kNotDirectory;
    case kIsDir: return ErrorCode::kIsDirectory;
    case kInval: return ErrorCode::kInvalid;
    case kExist: return ErrorCode::kExist;
    case kFbig: return ErrorCode::kFileTooLarge;
    case kNoSpc: return ErrorCode::kInsufficientSpace;
    case kSpipe: return ErrorCode::kInvalidSeek;
    case kMlink: return ErrorCode::kTooManyLinks;
    case kNameTooLong: return ErrorCode::kNameTooLong;
    case kNotEmpty: return ErrorCode::kNotEmpty;
    case kLoop: return ErrorCode::kLoop;
    case kOverflow: return ErrorCode::kOverflow;
    case kIlseq: return ErrorCode::kIllegalByteSequence;
    case kNotSup: return ErrorCode::kUnsupported;
    case kAlready: return ErrorCode::kAlready;
    case kInProgress: return ErrorCode::kInProgress;
    case kIntr: return ErrorCode::kInterrupted;
    default: return ErrorCode::kIo;
  }
}

// The message of a failed stream operation: Rust's io::Error display form, which
// FilesystemErrorCode parses back.
std::string OsErrorMessage(int e) {
  return std::string(std::strerror(e)) + " (os error " + std::to_string(e) + ")";
}

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// wasmtime's DescriptorType from a file type: fifos and sockets are `unknown` there too.
DescriptorType TypeFromMode(mode_t m) {
  if (S_ISDIR(m)) return DescriptorType::kDirectory;
  if (S_ISLNK(m)) return DescriptorType::kSymbolicLink;
  if (S_ISREG(m)) return DescriptorType::kRegularFile;
  if (S_ISBLK(m)) return DescriptorType::kBlockDevice;
  if (S_ISCHR(m)) return DescriptorType::kCharacterDevice;
  return DescriptorType::kUnknown;
}

std::optional<Datetime> TimeFrom(const timespec& ts) {
  if (ts.tv_sec < 0) return std::nullopt;
  return Datetime{static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
}

DescriptorStat StatFrom(const struct stat& st) {
  DescriptorStat s;
  s.type = TypeFromMode(st.st_mode);
  s.link_count = st.st_nlink;
  s.size = static_cast<uint64_t>(st.st_size);
  s.data_access_timestamp = TimeFrom(st.st_atim);
  s.data_modification_timestamp = TimeFrom(st.st_mtim);
  s.status_change_timestamp = TimeFrom(st.st_ctim);
  return s;
}

uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// A hash of the file's identity (device, inode), as wasmtime's: only equality matters, and
// the upper half is the lower one xor a constant (the bits of pi) as there.
MetadataHashValue HashFrom(const struct stat& st) {
  uint64_t lower = Mix64(Mix64(static_cast<uint64_t>(st.st_dev)) ^ static_cast<uint64_t>(st.st_ino));
  return {lower, lower ^ 4614256656552045848ull};
}

// new-timestamp → timespec for utimensat; false when the time does not fit (overflow).
bool ToTimespec(const NewTimestamp& t, timespec* out) {
  switch (t.kind) {
    case NewTimestamp::kNoChange:
      out->tv_sec = 0;
      out->tv_nsec = UTIME_OMIT;
      return true;
    case NewTimestamp::kNow:
      out->tv_sec = 0;
      out->tv_nsec = UTIME_NOW;
      return true;
    case NewTimestamp::kTimestamp: {
      uint64_t carry = t.timestamp.nanoseconds / 1000000000u;
      uint64_t secs = t.timestamp.seconds;
      if (secs > static_cast<uint64_t>(INT64_MAX) - carry) return false;
      out->tv_sec = static_cast<time_t>(secs + carry);
      out->tv_nsec = static_cast<long>(t.timestamp.nanoseconds % 1000000000u);
      return true;
    }
  }
  return false;
}

// A pollable that is always ready: regular files never make a reader or writer wait.
class AlwaysReady final : public Pollable {
 public:
  bool Ready() override { return true; }
  void Wait(boost::asio::io_context& io, std::function<void()> wake) override {
    (void)io;
    wake();
  }
};

class FileInputStream final : public InputStream {
 public:
  FileInputStream(std::shared_ptr<Fd> fd, uint64_t position)
      : fd_(std::move(fd)), position_(position) {}

  StreamStatus Read(uint64_t max, std::vector<uint8_t>& out) override {
    if (closed_) return StreamStatus::Closed();
    if (max == 0) return StreamStatus::Ok();
    size_t n = static_cast<size_t>(std::min(max, kMaxReadSize));
    size_t old = out.size();
    out.resize(old + n);
    ssize_t r;
    do {
      r = pread(fd_->fd, out.data() + old, n, static_cast<off_t>(position_));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      int e = errno;
      out.resize(old);
      closed_ = true;
      return StreamStatus::Failed(OsErrorMessage(e));
    }
    out.resize(old + static_cast<size_t>(r));
    if (r == 0) {
      closed_ = true;
      return StreamStatus::Closed();
    }
    position_ += static_cast<uint64_t>(r);
    return StreamStatus::Ok();
  }
  std::shared_ptr<Pollable> Subscribe() override { return std::make_shared<AlwaysReady>(); }

 private:
  std::shared_ptr<Fd> fd_;
  uint64_t position_;
  bool closed_ = false;
};

class FileOutputStream final : public OutputStream {
 public:
  // `append`: every write goes to the end of the file, and `position` is unused.
  FileOutputStream(std::shared_ptr<Fd> fd, bool append, uint64_t position)
      : fd_(std::move(fd)), append_(append), position_(position) {}

  StreamStatus CheckWrite(uint64_t& permitted) override {
    permitted = 0;
    if (closed_) return StreamStatus::Closed();
    permitted = kFileWriteCapacity;
    return StreamStatus::Ok();
  }
  StreamStatus Write(std::span<const uint8_t> bytes) override {
    if (closed_) return StreamStatus::Closed();
    while (!bytes.empty()) {
      ssize_t r = append_ ? AppendOnce(bytes)
                          : pwrite(fd_->fd, bytes.data(), bytes.size(),
                                   static_cast<off_t>(position_));
      if (r < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        closed_ = true;
        return StreamStatus::Failed(OsErrorMessage(e));
      }
      if (!append_) position_ += static_cast<uint64_t>(r);
      bytes = bytes.subspan(static_cast<size_t>(r));
    }
    return StreamStatus::Ok();
  }
  StreamStatus Flush() override {
    return closed_ ? StreamStatus::Closed() : StreamStatus::Ok();
  }
  std::shared_ptr<Pollable> Subscribe() override { return std::make_shared<AlwaysReady>(); }

 private:
  // One append at the end without moving the descriptor's own offset: pwritev2(RWF_APPEND),
  // or, on kernels before 4.16, O_APPEND set around a write() (as wasmtime does).
  ssize_t AppendOnce(std::span<const uint8_t> bytes) {
#ifdef RWF_APPEND
    iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
    ssize_t r = pwritev2(fd_->fd, &iov, 1, 0, RWF_APPEND);
    if (r >= 0 || (errno != ENOSYS && errno != EOPNOTSUPP)) return r;
#endif
    int old = fcntl(fd_->fd, F_GETFL);
    if (old < 0) return -1;
    if (fcntl(fd_->fd, F_SETFL, old | O_APPEND) < 0) return -1;
    ssize_t w = write(fd_->fd, bytes.data(), bytes.size());
    int e = errno;
    (void)fcntl(fd_->fd, F_SETFL, old);
    errno = e;
    return w;
  }

  std::shared_ptr<Fd> fd_;
  bool append_;
  uint64_t position_;
  bool closed_ = false;
};

}  // namespace

const char* ErrorCodeName(ErrorCode c) {
  static const char* const kNames[kErrorCodeCount] = {
      "access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota",
      "exist", "file-too-large", "illegal-byte-sequence", "in-progress", "interrupted",
      "invalid", "io", "is-directory", "loop", "too-many-links", "message-size",
      "name-too-long", "no-device", "no-entry", "no-lock", "insufficient-memory",
      "insufficient-space", "not-directory", "not-empty", "not-recoverable", "unsupported",
      "no-tty", "no-such-device", "overflow", "not-permitted", "pipe", "read-only",
      "invalid-seek", "text-file-busy", "cross-device",
  };
  auto i = static_cast<size_t>(c);
  return i < kErrorCodeCount ? kNames[i] : "?";
}

ErrorCode ErrorCodeFromErrno(int e) {
  switch (e) {
    case EPIPE: return ErrorCode::kPipe;
    case EPERM: return ErrorCode::kNotPermitted;
    case ENOENT: return ErrorCode::kNoEntry;
    case ENOMEM: return ErrorCode::kInsufficientMemory;
    case EIO: return ErrorCode::kIo;
    case EBADF: return ErrorCode::kBadDescriptor;
    case EBUSY: return ErrorCode::kBusy;
    case EACCES: return ErrorCode::kAccess;
    case ENOTDIR: return ErrorCode::kNotDirectory;
    case EISDIR: return ErrorCode::kIsDirectory;
    case EINVAL: return ErrorCode::kInvalid;
    case EEXIST: return ErrorCode::kExist;
    case EFBIG: return ErrorCode::kFileTooLarge;
    case ENOSPC: return ErrorCode::kInsufficientSpace;
    case ESPIPE: return ErrorCode::kInvalidSeek;
    case EMLINK: return ErrorCode::kTooManyLinks;
    case ENAMETOOLONG: return ErrorCode::kNameTooLong;
    case ENOTEMPTY: return ErrorCode::kNotEmpty;
    case ELOOP: return ErrorCode::kLoop;
    case EOVERFLOW: return ErrorCode::kOverflow;
    case EILSEQ: return ErrorCode::kIllegalByteSequence;
    case ENOTSUP: return ErrorCode::kUnsupported;
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
    case EOPNOTSUPP: return ErrorCode::kUnsupported;
#endif
    case EALREADY: return ErrorCode::kAlready;
    case EINPROGRESS: return ErrorCode::kInProgress;
    case EINTR: return ErrorCode::kInterrupted;
    default: return ErrorCode::kIo;
  }
}

// ---------------------------------------------------------------------------------------------
// State

struct FilesystemCtx::Impl {
  struct Descriptor {
    std::shared_ptr<Fd> fd;
    bool is_dir = false;
    bool open_read = false;   // opened for reading (wasmtime OpenMode::READ)
    bool open_write = false;  // opened for writing, or a mutable directory (OpenMode::WRITE)
    bool writable = true;     // the preopen's permissions: false = FsPerms::ReadOnly
  };
  struct DirItem {
    bool ok = true;
    ErrorCode error = ErrorCode::kIo;
    DirectoryEntry entry;
  };
  struct DirStream {
    std::vector<DirItem> items;
    size_t next = 0;
  };
  struct OpenedPreopen {
    std::shared_ptr<Fd> fd;
    std::string guest_path;
    bool writable = true;
  };

  std::vector<OpenedPreopen> preopens;
  Table<Descriptor> descriptors;
  Table<DirStream> dir_streams;

  FsResult<Descriptor*> Any(uint32_t rep) {
    Descriptor* d = descriptors.Get(rep);
    if (d == nullptr) return Err<Descriptor*>(ErrorCode::kBadDescriptor);
    return FsResult<Descriptor*>::Ok(d);
  }
  // Descriptor::dir() in wasmtime: a file is not-directory.
  FsResult<Descriptor*> Dir(uint32_t rep) {
    Descriptor* d = descriptors.Get(rep);
    if (d == nullptr) return Err<Descriptor*>(ErrorCode::kBadDescriptor);
    if (!d->is_dir) return Err<Descriptor*>(ErrorCode::kNotDirectory);
    return FsResult<Descriptor*>::Ok(d);
  }
  // Descriptor::file() in wasmtime: a directory is bad-descriptor.
  FsResult<Descriptor*> File(uint32_t rep) {
    Descriptor* d = descriptors.Get(rep);
    if (d == nullptr || d->is_dir) return Err<Descriptor*>(ErrorCode::kBadDescriptor);
    return FsResult<Descriptor*>::Ok(d);
  }
};

namespace {

using Descriptor = FilesystemCtx::Impl::Descriptor;

// Resolves `path` beneath directory `d` (see sandbox.h); nullopt on success.
std::optional<ErrorCode> Resolve(const Descriptor& d, std::string_view path, bool follow,
                                 ResolvedPath* out) {
  // A NUL cannot cross into a C path: rustix reports EINVAL for it in wasmtime.
  if (path.find('\0') != std::string_view::npos) return ErrorCode::kInvalid;
  Errno e = ResolvePath(d.fd->fd, path, follow, out);
  if (e != kSuccess) return FromWasiErrno(e);
  return std::nullopt;
}

// A path ending in '/' names a directory: not-directory otherwise.
std::optional<ErrorCode> CheckMustBeDir(const ResolvedPath& r) {
  if (!r.must_be_dir()) return std::nullopt;
  struct stat st;
  if (fstatat(r.dir_fd(), r.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrorCodeFromErrno(errno);
  }
  if (!S_ISDIR(st.st_mode)) return ErrorCode::kNotDirectory;
  return std::nullopt;
}

#define WEFT_FS_TRY_DESC(var, expr, T) \
  auto var##_r = (expr);               \
  if (!var##_r.ok()) return Err<T>(var##_r.error()); \
  Descriptor* var = var##_r.value()

#define WEFT_FS_TRY_OPT(expr, T) \
  if (auto weft_fs_e = (expr)) return Err<T>(*weft_fs_e)

}  // namespace

FilesystemCtx::FilesystemCtx() : impl_(std::make_unique<Impl>()) {}
FilesystemCtx::~FilesystemCtx() = default;
FilesystemCtx::FilesystemCtx(FilesystemCtx&&) noexcept = default;
FilesystemCtx& FilesystemCtx::operator=(FilesystemCtx&&) noexcept = default;

Error FilesystemCtx::AddPreopen(const Preopen& p) {
  int fd = open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return Error::Make(e == ENOENT ? weft::ErrorCode::kArgument : weft::ErrorCode::kIo,
                       "cannot open directory '" + p.host_path + "' to preopen as '" +
                           p.guest_path + "': " + std::strerror(e));
  }
  impl_->preopens.push_back({std::make_shared<Fd>(fd), p.guest_path, p.writable});
  return Error();
}

size_t FilesystemCtx::preopen_count() const { return impl_->preopens.size(); }
size_t FilesystemCtx::live_descriptors() const { return impl_->descriptors.live(); }
size_t FilesystemCtx::live_dir_streams() const { return impl_->dir_streams.live(); }

std::vector<std::tuple<Resource<DescriptorTag>, std::string>> FilesystemCtx::GetDirectories() {
  std::vector<std::tuple<Resource<DescriptorTag>, std::string>> out;
  for (const auto& p : impl_->preopens) {
    Descriptor d;
    d.fd = p.fd;
    d.is_dir = true;
    d.open_read = true;
    d.open_write = p.writable;
    d.writable = p.writable;
    uint32_t rep = impl_->descriptors.Add(std::move(d));
    out.emplace_back(Resource<DescriptorTag>{rep}, p.guest_path);
  }
  return out;
}

void FilesystemCtx::DropDescriptor(uint32_t self) { impl_->descriptors.Remove(self); }

// ---------------------------------------------------------------------------------------------
// Streams

FsResult<Resource<InputStreamTag>> FilesystemCtx::ReadViaStream(WasiP2Ctx& io, uint32_t self,
                                                                uint64_t offset) {
  using R = Resource<InputStreamTag>;
  WEFT_FS_TRY_DESC(d, impl_->Any(self), R);
  // A directory is is-directory here, not bad-descriptor (POSIX EISDIR on read).
  if (d->is_dir) return Err<R>(ErrorCode::kIsDirectory);
  uint32_t rep = io.input_streams.Add(std::make_shared<FileInputStream>(d->fd, offset));
  return FsResult<R>::Ok(R{rep});
}

FsResult<Resource<OutputStreamTag>> FilesystemCtx::WriteViaStream(WasiP2Ctx& io, uint32_t self,
                                                                  uint64_t offset) {
  using R = Resource<OutputStreamTag>;
  WEFT_FS_TRY_DESC(d, impl_->File(self), R);
  if (!d->writable) return Err<R>(ErrorCode::kNotPermitted);
  uint32_t rep =
      io.output_streams.Add(std::make_shared<FileOutputStream>(d->fd, false, offset));
  return FsResult<R>::Ok(R{rep});
}

FsResult<Resource<OutputStreamTag>> FilesystemCtx::AppendViaStream(WasiP2Ctx& io,
                                                                   uint32_t self) {
  using R = Resource<OutputStreamTag>;
  WEFT_FS_TRY_DESC(d, impl_->File(self), R);
  if (!d->writable) return Err<R>(ErrorCode::kNotPermitted);
  uint32_t rep = io.output_streams.Add(std::make_shared<FileOutputStream>(d->fd, true, 0));
  return FsResult<R>::Ok(R{rep});
}

std::optional<ErrorCode> FilesystemCtx::FilesystemErrorCode(WasiP2Ctx& io, uint32_t error) {
  const std::string* msg = io.errors.Get(error);
  if (msg == nullptr) return std::nullopt;
  static constexpr std::string_view kTag = "(os error ";
  size_t at = msg->rfind(kTag);
  if (at == std::string::npos || msg->back() != ')') return std::nullopt;
  std::string_view digits(msg->data() + at + kTag.size(), msg->size() - at - kTag.size() - 1);
  if (digits.empty() || digits.size() > 6) return std::nullopt;
  int e = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    e = e * 10 + (c - '0');
  }
  return ErrorCodeFromErrno(e);
}

// ---------------------------------------------------------------------------------------------
// Descriptor operations

FsResult<void> FilesystemCtx::Advise(uint32_t self, uint64_t offset, uint64_t length,
                                     Advice advice) {
  WEFT_FS_TRY_DESC(d, impl_->File(self), void);
  int a = POSIX_FADV_NORMAL;
  switch (advice) {
    case Advice::kNormal: a = POSIX_FADV_NORMAL; break;
    case Advice::kSequential: a = POSIX_FADV_SEQUENTIAL; break;
    case Advice::kRandom: a = POSIX_FADV_RANDOM; break;
    case Advice::kWillNeed: a = POSIX_FADV_WILLNEED; break;
    case Advice::kDontNeed: a = POSIX_FADV_DONTNEED; break;
    case Advice::kNoReuse: a = POSIX_FADV_NOREUSE; break;
  }
  int r = posix_fadvise(d->fd->fd, static_cast<off_t>(offset), static_cast<off_t>(length), a);
  if (r != 0) return Err<void>(ErrorCodeFromErrno(r));
  return FsResult<void>::Ok();
}

FsResult<void> FilesystemCtx::SyncData(uint32_t self) {
  WEFT_FS_TRY_DESC(d, impl_->Any(self), void);
  return OkOrErrno(fdatasync(d->fd->fd) == 0);
}

FsResult<void> FilesystemCtx::Sync(uint32_t self) {
  WEFT_FS_TRY_DESC(d, impl_->Any(self), void);
  return OkOrErrno(fsync(d->fd->fd) == 0);
}

FsResult<DescriptorFlags> FilesystemCtx::GetFlags(uint32_t self) {
  WEFT_FS_TRY_DESC(d, impl_->Any(self), DescriptorFlags);
  int fl = fcntl(d->fd->fd, F_GETFL);
  if (fl < 0) return ErrFromErrno<DescriptorFlags>();
  DescriptorFlags f;
  // wasmtime's pairing of the O_*SYNC bits with the flags (unix.rs get_flags).
  if ((fl & O_DSYNC) == O_DSYNC) f.bits |= DescriptorFlags::kRequestedWriteSync;
  if ((fl & O_SYNC) == O_SYNC) f.bits |= DescriptorFlags::kFileIntegritySync;
  if ((fl & O_RSYNC) == O_RSYNC) f.bits |= DescriptorFlags::kDataIntegritySync;
  if (d->open_read) f.bits |= DescriptorFlags::kRead;
  if (d->open_write) {
    f.bits |= d->is_dir ? DescriptorFlags::kMutateDirectory : DescriptorFlags::kWrite;
  }
  return FsResult<DescriptorFlags>::Ok(f);
}

FsResult<DescriptorType> FilesystemCtx::GetType(uint32_t self) {
  WEFT_FS_TRY_DESC(d, impl_->Any(self), DescriptorType);
  if (d->is_dir) return FsResult<DescriptorType>::Ok(DescriptorType::kDirectory);
  struct stat st;
  if (fstat(d->fd->fd, &st) != 0) return ErrFromErrno<DescriptorType>();
  return FsResult<DescriptorType>::Ok(TypeFromMode(st.st_mode));
}

FsResult<void> FilesystemCtx::SetSize(uint32_t self, uint64_t size) {
  WEFT_FS_TRY_DESC(d, impl_->File(self), void);
  if (!d->writable) return Err<void>(ErrorCode::kNotPermitted);
  if (size > static_cast<uint64_t>(INT64_MAX)) return Err<void>(ErrorCode::kInvalid);
  return OkOrErrno(ftruncate(d->fd->fd, static_cast<off_t>(size)) == 0);
}

FsResult<void> FilesystemCtx::SetTimes(uint32_t self, NewTimestamp atime, NewTimestamp mtime) {
  WEFT_FS_TRY_DESC(d, impl_->Any(self), void);
  timespec ts[2];
  if (!ToTimespec(atime, &ts[0]) || !ToTimespec(mtime, &ts[1])) {
    return Err<void>(ErrorCode::kOverflow);
  }
  if (!d->writable) return Err<void>(ErrorCode::kNotPermitted);
  return OkOrErrno(futimens(d->fd->fd, ts) == 0);
}

FsResult<std::tuple<std::vector<uint8_t>, bool>> FilesystemCtx::Read(uint32_t self,
                                                                     uint64_t length,
                                                                     uint64_t offset) {
  using R = std::tuple<std::vector<uint8_t>, bool>;
  WEFT_FS_TRY_DESC(d, impl_->File(self), R);
  std::vector<uint8_t> buf(static_cast<size_t>(std::min(length, kMaxReadSize)));
  ssize_t r;
  do {
    r = pread(d->fd->fd, buf.data(), buf.size(), static_cast<off_t>(offset));
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrFromErrno<R>();
  buf.resize(static_cast<size_t>(r));
  return FsResult<R>::Ok(R{std::move(buf), r == 0});
}

FsResult<uint64_t> FilesystemCtx::Write(uint32_t self, const std::vector<uint8_t>& buffer,
                                        uint64_t offset) {
  WEFT_FS_TRY_DESC(d, impl_->File(self), uint64_t);
  if (!d->writable) return Err<uint64_t>(ErrorCode::kNotPermitted);
  ssize_t r;
  do {
    r = pwrite(d->fd->fd, buffer.data(), buffer.size(), static_cast<off_t>(offset));
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrFromErrno<uint64_t>();
  return FsResult<uint64_t>::Ok(static_cast<uint64_t>(r));
}

FsResult<Resource<DirectoryEntryStreamTag>> FilesystemCtx::ReadDirectory(uint32_t self) {
  using R = Resource<DirectoryEntryStreamTag>;
  WEFT_FS_TRY_DESC(d, impl_->Dir(self), R);
  // A fresh open of the directory, so every stream starts at the first entry and leaves the
  // descriptor's own offset alone.
  int fd = openat(d->fd->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrFromErrno<R>();
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int e = errno;
    close(fd);
    return Err<R>(ErrorCodeFromErrno(e));
  }
  Impl::DirStream stream;
  for (;;) {
    errno = 0;
    dirent* ent = readdir(dir);
    if (ent == nullptr) {
      if (errno != 0) {
        Impl::DirItem item;
        item.ok = false;
        item.error = ErrorCodeFromErrno(errno);
        stream.items.push_back(std::move(item));
      }
      break;
    }
    std::string_view name(ent->d_name);
    if (name == "." || name == "..") continue;
    Impl::DirItem item;
    if (!IsUtf8(name)) {
      item.ok = false;
      item.error = ErrorCode::kIllegalByteSequence;
      stream.items.push_back(std::move(item));
      continue;
    }
    item.entry.name = std::string(name);
    switch (ent->d_type) {
      case DT_DIR: item.entry.type = DescriptorType::kDirectory; break;
      case DT_LNK: item.entry.type = DescriptorType::kSymbolicLink; break;
      case DT_REG: item.entry.type = DescriptorType::kRegularFile; break;
      case DT_BLK: item.entry.type = DescriptorType::kBlockDevice; break;
      case DT_CHR: item.entry.type = DescriptorType::kCharacterDevice; break;
      case DT_UNKNOWN: {
        struct stat st;
        if (fstatat(dirfd(dir), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
          item.ok = false;
          item.error = ErrorCodeFromErrno(errno);
        } else {
          item.entry.type = TypeFromMode(st.st_mode);
        }
        break;
      }
      default: item.entry.type = DescriptorType::kUnknown; break;
    }
    stream.items.push_back(std::move(item));
  }
  closedir(dir);
  uint32_t rep = impl_->dir_streams.Add(std::move(stream));
  return FsResult<R>::Ok(R{rep});
}

FsResult<std::optional<DirectoryEntry>> FilesystemCtx::ReadDirectoryEntry(uint32_t stream) {
  using R = std::optional<DirectoryEntry>;
  Impl::DirStream* s = impl_->dir_streams.Get(stream);
  if (s == nullptr) return Err<R>(ErrorCode::kBadDescriptor);
  if (s->next >= s->items.size()) return FsResult<R>::Ok(std::nullopt);
  Impl::DirItem& item = s->items[s->next++];
  if (!item.ok) return Err<R>(item.error);
  return FsResult<R>::Ok(std::move(item.entry));
}

void FilesystemCtx::DropDirectoryEntryStream(uint32_t stream) {
  impl_->dir_streams.Remove(stream);
}

FsResult<DescriptorStat> FilesystemCtx::Stat(uint32_t self) {
  WEFT_FS_TRY_DESC(d, impl_->Any(self), DescriptorStat);
  struct stat st;
  if (fstat(d->fd->fd, &st) != 0) return ErrFromErrno<DescriptorStat>();
  return FsResult<DescriptorStat>::Ok(StatFrom(st));
}

FsResult<MetadataHashValue> FilesystemCtx::MetadataHash(uint32_t self) {
  WEFT_FS_TRY_DESC(d, impl_->Any(self), MetadataHashValue);
  struct stat st;
  if (fstat(d->fd->fd, &st) != 0) return ErrFromErrno<MetadataHashValue>();
  return FsResult<MetadataHashValue>::Ok(HashFrom(st));
}

bool FilesystemCtx::IsSameObject(uint32_t self, uint32_t other) {
  Descriptor* a = impl_->descriptors.Get(self);
  Descriptor* b = impl_->descriptors.Get(other);
  if (a == nullptr || b == nullptr) return false;
  struct stat sa, sb;
  if (fstat(a->fd->fd, &sa) != 0 || fstat(b->fd->fd, &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// ---------------------------------------------------------------------------------------------
// Path operations

FsResult<void> FilesystemCtx::CreateDirectoryAt(uint32_t self, std::string_view path) {
  WEFT_FS_TRY_DESC(d, impl_->Dir(self), void);
  if (!d->writable) return Err<void>(ErrorCode::kNotPermitted);
  ResolvedPath r;
  WEFT_FS_TRY_OPT(Resolve(*d, path, false, &r), void);
  return OkOrErrno(mkdirat(r.dir_fd(), r.name().c_str(), 0777) == 0);
}

FsResult<DescriptorStat> FilesystemCtx::StatAt(uint32_t self, PathFlags flags,
                                               std::string_view path) {
  WEFT_FS_TRY_DESC(d, impl_->Dir(self), DescriptorStat);
  ResolvedPath r;
  WEFT_FS_TRY_OPT(Resolve(*d, path, flags.bits & PathFlags::kSymlinkFollow, &r), DescriptorStat);
  struct stat st;
  if (fstatat(r.dir_fd(), r.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrFromErrno<DescriptorStat>();
  }
  if (r.must_be_dir() && !S_ISDIR(st.st_mode)) return Err<DescriptorStat>(ErrorCode::kNotDirectory);
  return FsResult<DescriptorStat>::Ok(StatFrom(st));
}

FsResult<MetadataHashValue> FilesystemCtx::MetadataHashAt(uint32_t self, PathFlags flags,
                                                          std::string_view path) {
  WEFT_FS_TRY_DESC(d, impl_->Dir(self), MetadataHashValue);
  ResolvedPath r;
  WEFT_FS_TRY_OPT(Resolve(*d, path, flags.bits & PathFlags::kSymlinkFollow, &r),
                  MetadataHashValue);
  struct stat st;
  if (fstatat(r.dir_fd(), r.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrFromErrno<MetadataHashValue>();
  }
  if (r.must_be_dir() && !S_ISDIR(st.st_mode)) {
    return Err<MetadataHashValue>(ErrorCode::kNotDirectory);
  }
  return FsResult<MetadataHashValue>::Ok(HashFrom(st));
}

FsResult<void> FilesystemCtx::SetTimesAt(uint32_t self, PathFlags flags, std::string_view path,
                                         NewTimestamp atime, NewTimestamp mtime) {
  WEFT_FS_TRY_DESC(d, impl_->Dir(self), void);
  timespec ts[2];
  if (!ToTimespec(atime, &ts[0]) || !ToTimespec(mtime, &ts[1])) {
    return Err<void>(ErrorCode::kOverflow);
  }
  if (!d->writable) return Err<void>(ErrorCode::kNotPermitted);
  ResolvedPath r;
  WEFT_FS_TRY_OPT(Resolve(*d, path, flags.bits & PathFlags::kSymlinkFollow, &r), void);
  WEFT_FS_TRY_OPT(CheckMustBeDir(r), void);
  return OkOrErrno(utimensat(r.dir_fd(), r.name().c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
}

FsResult<void> FilesystemCtx::LinkAt(uint32_t self, PathFlags old_flags,
                                     std::string_view old_path, uint32_t new_descriptor,
                                     std::string_view new_path) {
  WEFT_FS_TRY_DESC(from, impl_->Dir(self), void);
  WEFT_FS_TRY_DESC(to, impl_->Dir(new_descriptor), void);
  if (!from->writable || !to->writable) return Err<void>(ErrorCode::kNotPermitted);
  if (old_flags.bits & PathFlags::kSymlinkFollow) return Err<void>(ErrorCode::kInvalid);
  ResolvedPath a, b;
  WEFT_FS_TRY_OPT(Resolve(*from, old_path, false, &a), void);
  WEFT_FS_TRY_OPT(Resolve(*to, new_path, false, &b), void);
  return OkOrErrno(linkat(a.dir_fd(), a.name().c_str(), b.dir_fd(), b.name().c_str(), 0) == 0);
}

FsResult<Resource<DescriptorTag>> FilesystemCtx::OpenAt(uint32_t self, PathFlags path_flags,
                                                        std::string_view path,
                                                        OpenFlags open_flags,
                                                        DescriptorFlags flags) {
  using R = Resource<DescriptorTag>;
  WEFT_FS_TRY_DESC(d, impl_->Dir(self), R);
  bool create = open_flags.bits & OpenFlags::kCreate;
  bool exclusive = open_flags.bits & OpenFlags::kExclusive;
  bool truncate = open_flags.bits & OpenFlags::kTruncate;
  bool directory = open_flags.bits & OpenFlags::kDirectory;
  // The open mode as wasmtime computes it: create and truncate imply write; a descriptor
  // not opened for writing is opened for reading.
  bool want_write = create || truncate || (flags.bits & DescriptorFlags::kWrite);
  bool want_read = (flags.bits & DescriptorFlags::kRead) || !(flags.bits & DescriptorFlags::kWrite);
  if (flags.bits & (DescriptorFlags::kFileIntegritySync | DescriptorFlags::kDataIntegritySync |
                    DescriptorFlags::kRequestedWriteSync)) {
    return Err<R>(ErrorCode::kUnsupported);
  }
  if (directory && (create || exclusive || truncate)) return Err<R>(ErrorCode::kInvalid);
  if (!d->writable && want_write) return Err<R>(ErrorCode::kNotPermitted);

  ResolvedPath r;
  WEFT_FS_TRY_OPT(Resolve(*d, path, path_flags.bits & PathFlags::kSymlinkFollow, &r), R);
  // "x/" with create: Linux open(2) says EISDIR rather than creating a file named x.
  if (r.must_be_dir() && create) return Err<R>(ErrorCode::kIsDirectory);
  int oflags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
  if (create) oflags |= exclusive ? (O_CREAT | O_EXCL) : O_CREAT;
  if (truncate) oflags |= O_TRUNC;
  oflags |= want_write ? (want_read ? O_RDWR : O_WRONLY) : O_RDONLY;
  int fd;
  do {
    fd = openat(r.dir_fd(), r.name().c_str(), oflags, 0666);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrFromErrno<R>();
  auto owned = std::make_shared<Fd>(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrFromErrno<R>();
  bool is_dir = S_ISDIR(st.st_mode);
  if (!is_dir && (directory || r.must_be_dir())) return Err<R>(ErrorCode::kNotDirectory);
  Descriptor nd;
  nd.fd = std::move(owned);
  nd.is_dir = is_dir;
  nd.open_read = want_read;
  nd.open_write = want_write;
  nd.writable = d->writable;
  uint32_t rep = impl_->descriptors.Add(std::move(nd));
  return FsResult<R>::Ok(R{rep});
}

FsResult<std::string> FilesystemCtx::ReadlinkAt(uint32_t self, std::string_view path) {
  WEFT_FS_TRY_DESC(d, impl_->Dir(self), std::string);
  ResolvedPath r;
  WEFT_FS_TRY_OPT(Resolve(*d, path, false, &r), std::string);
  std::string target(256, '\0');
  for (;;) {
    ssize_t n = readlinkat(r.dir_fd(), r.name().c_str(), target.data(), target.size());
    if (n < 0) return ErrFromErrno<std::string>();
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      break;
    }
    target.resize(target.size() * 2);
  }
  // cap-std refuses to reveal an absolute target (it names a host path).
  if (!target.empty() && target.front() == '/') return Err<std::string>(ErrorCode::kNotPermitted);
  if (!IsUtf8(target)) return Err<std::string>(ErrorCode::kIllegalByteSequence);
  return FsResult<std::string>::Ok(std::move(target));
}

FsResult<void> FilesystemCtx::RemoveDirectoryAt(uint32_t self, std::string_view path) {
  WEFT_FS_TRY_DESC(d, impl_->Dir(self), void);
  if (!d->writable) return Err<void>(ErrorCode::kNotPermitted);
  ResolvedPath r;
  WEFT_FS_TRY_OPT(Resolve(*d, path, false, &r), void);
  return OkOrErrno(unlinkat(r.dir_fd(), r.name().c_str(), AT_REMOVEDIR) == 0);
}

FsResult<void> FilesystemCtx::RenameAt(uint32_t self, std::string_view old_path,
                                       uint32_t new_descriptor, std::string_view new_path) {
  WEFT_FS_TRY_DESC(from, impl_->Dir(self), void);
  WEFT_FS_TRY_DESC(to, impl_->Dir(new_descriptor), void);
  if (!from->writable || !to->writable) return Err<void>(ErrorCode::kNotPermitted);
  ResolvedPath a, b;
  WEFT_FS_TRY_OPT(Resolve(*from, old_path, false, &a), void);
  WEFT_FS_TRY_OPT(Resolve(*to, new_path, false, &b), void);
  if (a.must_be_dir() || b.must_be_dir()) {
    struct stat st;
    if (fstatat(a.dir_fd(), a.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrFromErrno<void>();
    }
    if (!S_ISDIR(st.st_mode)) return Err<void>(ErrorCode::kNotDirectory);
  }
  return OkOrErrno(renameat(a.dir_fd(), a.name().c_str(), b.dir_fd(), b.name().c_str()) == 0);
}

FsResult<void> FilesystemCtx::SymlinkAt(uint32_t self, std::string_view old_path,
                                        std::string_view new_path) {
  WEFT_FS_TRY_DESC(d, impl_->Dir(self), void);
  if (!d->writable) return Err<void>(ErrorCode::kNotPermitted);
  // An absolute target could only ever name a host path (cap-std refuses it as an escape).
  if (!old_path.empty() && old_path.front() == '/') return Err<void>(ErrorCode::kNotPermitted);
  if (old_path.find('\0') != std::string_view::npos) return Err<void>(ErrorCode::kInvalid);
  ResolvedPath r;
  WEFT_FS_TRY_OPT(Resolve(*d, new_path, false, &r), void);
  std::string target(old_path);
  return OkOrErrno(symlinkat(target.c_str(), r.dir_fd(), r.name().c_str()) == 0);
}

FsResult<void> FilesystemCtx::UnlinkFileAt(uint32_t self, std::string_view path) {
  WEFT_FS_TRY_DESC(d, impl_->Dir(self), void);
  if (!d->writable) return Err<void>(ErrorCode::kNotPermitted);
  ResolvedPath r;
  WEFT_FS_TRY_OPT(Resolve(*d, path, false, &r), void);
  if (r.must_be_dir()) {
    struct stat st;
    if (fstatat(r.dir_fd(), r.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrFromErrno<void>();
    }
    return Err<void>(S_ISDIR(st.st_mode) ? ErrorCode::kIsDirectory : ErrorCode::kNotDirectory);
  }
  return OkOrErrno(unlinkat(r.dir_fd(), r.name().c_str(), 0) == 0);
}

}  // namespace weft::wasi::p2::fs
