// wasi_snapshot_preview1 on POSIX: the fd table, the functions, and their linker bindings.
//
// Conventions: every function validates its fd (kBadf) and rights (kNotCapable) first, then
// checks every guest pointer range it will touch (kFault) before any side effect that could
// not be undone (e.g. path_open checks fd_out before opening). Host errno values go through
// ErrnoFromHost. Paths are resolved by sandbox.h, final components are used with the *at()
// calls and never followed by the host.
#include "wasi/wasi.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>

#include "wasi/sandbox.h"

namespace weft::wasi {

namespace {

struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  uint8_t type = kFiletypeUnknown;
};

struct FdEntry {
  int host_fd = -1;
  bool owned = false;
  uint8_t filetype = kFiletypeUnknown;
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
  bool is_preopen = false;
  std::string preopen_name;
  std::vector<DirEntry> dir_cache;  // fd_readdir snapshot, refreshed at cookie 0

  FdEntry() = default;
  FdEntry(const FdEntry&) = delete;
  FdEntry& operator=(const FdEntry&) = delete;
  ~FdEntry() {
    if (owned && host_fd >= 0) close(host_fd);
  }
};

uint8_t FiletypeFromMode(mode_t mode) {
  if (S_ISREG(mode)) return kFiletypeRegularFile;
  if (S_ISDIR(mode)) return kFiletypeDirectory;
  if (S_ISCHR(mode)) return kFiletypeCharacterDevice;
  if (S_ISBLK(mode)) return kFiletypeBlockDevice;
  if (S_ISLNK(mode)) return kFiletypeSymbolicLink;
  if (S_ISSOCK(mode)) return kFiletypeSocketStream;
  return kFiletypeUnknown;
}

uint8_t FiletypeFromDirent(unsigned char t) {
  switch (t) {
    case DT_REG: return kFiletypeRegularFile;
    case DT_DIR: return kFiletypeDirectory;
    case DT_CHR: return kFiletypeCharacterDevice;
    case DT_BLK: return kFiletypeBlockDevice;
    case DT_LNK: return kFiletypeSymbolicLink;
    case DT_SOCK: return kFiletypeSocketStream;
    default: return kFiletypeUnknown;
  }
}

uint64_t Nanos(const timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

timespec FromNanos(uint64_t ns) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000u);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000u);
  return ts;
}

Errno LastErrno() { return ErrnoFromHost(errno); }

// kSuccess if the host call succeeded, else its errno.
Errno OkOr(bool ok) {
  if (ok) return kSuccess;
  return LastErrno();
}

bool StoreFilestat(GuestMemory m, uint32_t out, const struct stat& st) {
  uint8_t* p = m.Get(out, kFilestatSize);
  if (p == nullptr) return false;
  std::memset(p, 0, kFilestatSize);
  uint64_t v;
  v = static_cast<uint64_t>(st.st_dev), std::memcpy(p + 0, &v, 8);
  v = static_cast<uint64_t>(st.st_ino), std::memcpy(p + 8, &v, 8);
  p[16] = FiletypeFromMode(st.st_mode);
  v = static_cast<uint64_t>(st.st_nlink), std::memcpy(p + 24, &v, 8);
  v = static_cast<uint64_t>(st.st_size), std::memcpy(p + 32, &v, 8);
  v = Nanos(st.st_atim), std::memcpy(p + 40, &v, 8);
  v = Nanos(st.st_mtim), std::memcpy(p + 48, &v, 8);
  v = Nanos(st.st_ctim), std::memcpy(p + 56, &v, 8);
  return true;
}

// Builds the utimensat/futimens pair from WASI fstflags; false if the flags conflict.
bool TimesFromFlags(uint64_t atim, uint64_t mtim, uint32_t fst, timespec ts[2]) {
  if ((fst & kFstAtim) && (fst & kFstAtimNow)) return false;
  if ((fst & kFstMtim) && (fst & kFstMtimNow)) return false;
  if (fst & ~uint32_t{kFstAtim | kFstAtimNow | kFstMtim | kFstMtimNow}) return false;
  ts[0].tv_sec = 0;
  ts[1].tv_sec = 0;
  ts[0].tv_nsec = UTIME_OMIT;
  ts[1].tv_nsec = UTIME_OMIT;
  if (fst & kFstAtimNow) ts[0].tv_nsec = UTIME_NOW;
  if (fst & kFstAtim) ts[0] = FromNanos(atim);
  if (fst & kFstMtimNow) ts[1].tv_nsec = UTIME_NOW;
  if (fst & kFstMtim) ts[1] = FromNanos(mtim);
  return true;
}

clockid_t HostClock(uint32_t id, bool* ok) {
  *ok = true;
  switch (id) {
    case kClockRealtime: return CLOCK_REALTIME;
    case kClockMonotonic: return CLOCK_MONOTONIC;
    case kClockProcessCputime: return CLOCK_PROCESS_CPUTIME_ID;
    case kClockThreadCputime: return CLOCK_THREAD_CPUTIME_ID;
    default: *ok = false; return CLOCK_MONOTONIC;
  }
}

uint64_t NowNanos(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return Nanos(ts);
}

// Host iovecs for a guest iovec array; kFault if the array or any buffer is out of bounds.
Errno GatherIovecs(GuestMemory m, uint32_t iovs, uint32_t iovs_len, std::vector<iovec>* out) {
  if (m.Get(iovs, uint64_t{iovs_len} * kIovecSize) == nullptr) return kFault;
  // More than IOV_MAX buffers is a valid short transfer of the first IOV_MAX.
  uint32_t n = std::min<uint32_t>(iovs_len, IOV_MAX);
  out->clear();
  out->reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t buf = 0, len = 0;
    (void)m.Load(iovs + uint64_t{i} * kIovecSize, &buf);
    (void)m.Load(iovs + uint64_t{i} * kIovecSize + 4, &len);
    uint8_t* p = m.Get(buf, len);
    if (p == nullptr) return kFault;
    out->push_back(iovec{p, len});
  }
  return kSuccess;
}

void OsRandom(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

struct WasiCtx::Impl {
  WasiConfig config;
  std::vector<std::unique_ptr<FdEntry>> fds;

  FdEntry* Find(uint32_t fd) {
    return fd < fds.size() ? fds[fd].get() : nullptr;
  }
  // The entry for `fd` if it holds all of `rights`.
  Errno Get(uint32_t fd, uint64_t rights, FdEntry** out) {
    FdEntry* e = Find(fd);
    if (e == nullptr) return kBadf;
    if ((e->rights_base & rights) != rights) {
      // Reading or writing a directory is a bad descriptor for that use, like wasmtime.
      constexpr uint64_t kFileOnly = kRightFdRead | kRightFdWrite | kRightFdSeek |
                                     kRightFdTell | kRightFdAllocate | kRightFdFilestatSetSize;
      if (e->filetype == kFiletypeDirectory && (rights & kFileOnly)) return kBadf;
      return kNotCapable;
    }
    *out = e;
    return kSuccess;
  }
  uint32_t Insert(std::unique_ptr<FdEntry> e) {
    for (uint32_t i = 0; i < fds.size(); ++i) {
      if (!fds[i]) {
        fds[i] = std::move(e);
        return i;
      }
    }
    fds.push_back(std::move(e));
    return static_cast<uint32_t>(fds.size() - 1);
  }
  // Resolves a guest path beneath directory fd `fd`, which must hold `rights`.
  Errno Resolve(GuestMemory m, uint32_t fd, uint64_t rights, uint32_t path, uint32_t path_len,
                bool follow, ResolvedPath* out) {
    FdEntry* e;
    if (Errno err = Get(fd, rights, &e)) return err;
    if (e->filetype != kFiletypeDirectory) return kNotDir;
    uint8_t* p = m.Get(path, path_len);
    if (p == nullptr) return kFault;
    std::string_view s(reinterpret_cast<const char*>(p), path_len);
    return ResolvePath(e->host_fd, s, follow, out);
  }
  Errno AddStdio(int host_fd) {
    auto e = std::make_unique<FdEntry>();
    e->host_fd = host_fd;
    e->rights_base = kFileRights;
    struct stat st;
    if (host_fd >= 0 && fstat(host_fd, &st) == 0) e->filetype = FiletypeFromMode(st.st_mode);
    // wasi-libc's isatty() is "character device without seek/tell rights".
    if (host_fd >= 0 && isatty(host_fd)) {
      e->filetype = kFiletypeCharacterDevice;
      e->rights_base &= ~(kRightFdSeek | kRightFdTell);
    }
    fds.push_back(host_fd >= 0 ? std::move(e) : nullptr);
    return kSuccess;
  }
  Errno ReadStrings(GuestMemory m, const std::vector<std::string>& v, uint32_t ptrs,
                    uint32_t buf) {
    uint64_t total = 0;
    for (auto& s : v) total += s.size() + 1;
    if (m.Get(ptrs, uint64_t{4} * v.size()) == nullptr || m.Get(buf, total) == nullptr) {
      return kFault;
    }
    uint32_t at = buf;
    for (size_t i = 0; i < v.size(); ++i) {
      (void)m.Store<uint32_t>(ptrs + 4 * i, at);
      std::memcpy(m.Get(at, v[i].size() + 1), v[i].c_str(), v[i].size() + 1);
      at += static_cast<uint32_t>(v[i].size() + 1);
    }
    return kSuccess;
  }
  Errno Sizes(GuestMemory m, const std::vector<std::string>& v, uint32_t count_out,
              uint32_t size_out) {
    uint64_t total = 0;
    for (auto& s : v) total += s.size() + 1;
    if (m.Get(count_out, 4) == nullptr || m.Get(size_out, 4) == nullptr) return kFault;
    (void)m.Store<uint32_t>(count_out, static_cast<uint32_t>(v.size()));
    (void)m.Store<uint32_t>(size_out, static_cast<uint32_t>(total));
    return kSuccess;
  }
};

WasiCtx::WasiCtx() : impl_(std::make_unique<Impl>()) {}
WasiCtx::~WasiCtx() = default;
WasiCtx::WasiCtx(WasiCtx&&) noexcept = default;
WasiCtx& WasiCtx::operator=(WasiCtx&&) noexcept = default;

Expected<WasiCtx> WasiCtx::Create(WasiConfig config) {
  WasiCtx ctx;
  Impl& I = *ctx.impl_;
  (void)I.AddStdio(config.stdin_fd);
  (void)I.AddStdio(config.stdout_fd);
  (void)I.AddStdio(config.stderr_fd);
  for (const Preopen& p : config.preopens) {
    int fd = open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return Error::Make(ErrorCode::kIo, "cannot open directory `" + p.host_path +
                                             "` to preopen: " + std::strerror(errno));
    }
    auto e = std::make_unique<FdEntry>();
    e->host_fd = fd;
    e->owned = true;
    e->filetype = kFiletypeDirectory;
    e->rights_base = kDirRights;
    e->rights_inheriting = kDirRights | kFileRights;
    e->is_preopen = true;
    e->preopen_name = p.guest_path;
    I.fds.push_back(std::move(e));
  }
  if (!config.random) config.random = OsRandom;
  I.config = std::move(config);
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// args, environ, clocks, random, sched, proc

Errno WasiCtx::ArgsGet(GuestMemory m, uint32_t argv, uint32_t argv_buf) {
  return impl_->ReadStrings(m, impl_->config.args, argv, argv_buf);
}
Errno WasiCtx::ArgsSizesGet(GuestMemory m, uint32_t argc_out, uint32_t buf_size_out) {
  return impl_->Sizes(m, impl_->config.args, argc_out, buf_size_out);
}
Errno WasiCtx::EnvironGet(GuestMemory m, uint32_t environ, uint32_t environ_buf) {
  return impl_->ReadStrings(m, impl_->config.env, environ, environ_buf);
}
Errno WasiCtx::EnvironSizesGet(GuestMemory m, uint32_t count_out, uint32_t buf_size_out) {
  return impl_->Sizes(m, impl_->config.env, count_out, buf_size_out);
}

Errno WasiCtx::ClockResGet(GuestMemory m, uint32_t id, uint32_t res_out) {
  bool ok;
  clockid_t c = HostClock(id, &ok);
  if (!ok) return kInval;
  timespec ts;
  if (clock_getres(c, &ts) != 0) return LastErrno();
  return m.Store<uint64_t>(res_out, std::max<uint64_t>(Nanos(ts), 1)) ? kSuccess : kFault;
}

Errno WasiCtx::ClockTimeGet(GuestMemory m, uint32_t id, uint64_t precision, uint32_t time_out) {
  bool ok;
  clockid_t c = HostClock(id, &ok);
  if (!ok) return kInval;
  timespec ts;
  if (clock_gettime(c, &ts) != 0) return LastErrno();
  return m.Store<uint64_t>(time_out, Nanos(ts)) ? kSuccess : kFault;
}

Errno WasiCtx::RandomGet(GuestMemory m, uint32_t buf, uint32_t buf_len) {
  uint8_t* p = m.Get(buf, buf_len);
  if (p == nullptr) return kFault;
  impl_->config.random(std::span<uint8_t>(p, buf_len));
  return kSuccess;
}

Errno WasiCtx::SchedYield(GuestMemory) {
  sched_yield();
  return kSuccess;
}

Errno WasiCtx::ProcRaise(GuestMemory, uint32_t) { return kNoSys; }

// ---------------------------------------------------------------------------------------------
// fd_*

Errno WasiCtx::FdAdvise(GuestMemory, uint32_t fd, uint64_t offset, uint64_t len,
                        uint32_t advice) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdAdvise, &e)) return err;
  static constexpr int kAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                    POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                    POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  if (advice > 5) return kInval;
  if (static_cast<int64_t>(offset) < 0 || static_cast<int64_t>(len) < 0) return kInval;
  if (e->filetype != kFiletypeRegularFile) return kSuccess;  // advice only; no-op elsewhere
  int r = posix_fadvise(e->host_fd, static_cast<off_t>(offset), static_cast<off_t>(len),
                        kAdvice[advice]);
  return ErrnoFromHost(r);
}

Errno WasiCtx::FdAllocate(GuestMemory, uint32_t fd, uint64_t offset, uint64_t len) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdAllocate, &e)) return err;
  if (static_cast<int64_t>(offset) < 0 || static_cast<int64_t>(len) <= 0 ||
      offset + len > static_cast<uint64_t>(INT64_MAX)) {
    return kInval;
  }
  int r = posix_fallocate(e->host_fd, static_cast<off_t>(offset), static_cast<off_t>(len));
  return ErrnoFromHost(r);
}

Errno WasiCtx::FdClose(GuestMemory, uint32_t fd) {
  if (impl_->Find(fd) == nullptr) return kBadf;
  impl_->fds[fd].reset();
  return kSuccess;
}

Errno WasiCtx::FdDatasync(GuestMemory, uint32_t fd) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdDatasync, &e)) return err;
  return OkOr(fdatasync(e->host_fd) == 0);
}

Errno WasiCtx::FdSync(GuestMemory, uint32_t fd) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdSync, &e)) return err;
  return OkOr(fsync(e->host_fd) == 0);
}

Errno WasiCtx::FdFdstatGet(GuestMemory m, uint32_t fd, uint32_t out) {
  FdEntry* e = impl_->Find(fd);
  if (e == nullptr) return kBadf;
  uint8_t* p = m.Get(out, kFdstatSize);
  if (p == nullptr) return kFault;
  uint16_t flags = 0;
  int fl = fcntl(e->host_fd, F_GETFL);
  if (fl >= 0) {
    if (fl & O_APPEND) flags |= kFdflagAppend;
    if (fl & O_NONBLOCK) flags |= kFdflagNonblock;
#if defined(O_DSYNC) && O_DSYNC != O_SYNC
    if ((fl & O_DSYNC) == O_DSYNC) flags |= kFdflagDsync;
#endif
    if ((fl & O_SYNC) == O_SYNC) flags |= kFdflagSync;
  }
  std::memset(p, 0, kFdstatSize);
  p[0] = e->filetype;
  std::memcpy(p + 2, &flags, 2);
  std::memcpy(p + 8, &e->rights_base, 8);
  std::memcpy(p + 16, &e->rights_inheriting, 8);
  return kSuccess;
}

Errno WasiCtx::FdFdstatSetFlags(GuestMemory, uint32_t fd, uint32_t flags) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdFdstatSetFlags, &e)) return err;
  if (flags & ~uint32_t{kFdflagAppend | kFdflagNonblock}) {
    // Changing sync modes of an open file is not portable (wasmtime refuses it too).
    return (flags & ~uint32_t{0x1f}) ? kInval : kNotSup;
  }
  int fl = fcntl(e->host_fd, F_GETFL);
  if (fl < 0) return LastErrno();
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (flags & kFdflagAppend) fl |= O_APPEND;
  if (flags & kFdflagNonblock) fl |= O_NONBLOCK;
  return OkOr(fcntl(e->host_fd, F_SETFL, fl) == 0);
}

Errno WasiCtx::FdFdstatSetRights(GuestMemory, uint32_t fd, uint64_t base, uint64_t inheriting) {
  FdEntry* e = impl_->Find(fd);
  if (e == nullptr) return kBadf;
  // Rights can only be dropped.
  if ((base & ~e->rights_base) || (inheriting & ~e->rights_inheriting)) return kNotCapable;
  e->rights_base = base;
  e->rights_inheriting = inheriting;
  return kSuccess;
}

Errno WasiCtx::FdFilestatGet(GuestMemory m, uint32_t fd, uint32_t out) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdFilestatGet, &e)) return err;
  if (m.Get(out, kFilestatSize) == nullptr) return kFault;
  struct stat st;
  if (fstat(e->host_fd, &st) != 0) return LastErrno();
  (void)StoreFilestat(m, out, st);
  // A stdio stream reports the type the guest was told in fdstat.
  m.Get(out, kFilestatSize)[16] = e->filetype;
  return kSuccess;
}

Errno WasiCtx::FdFilestatSetSize(GuestMemory, uint32_t fd, uint64_t size) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdFilestatSetSize, &e)) return err;
  if (static_cast<int64_t>(size) < 0) return kInval;
  return OkOr(ftruncate(e->host_fd, static_cast<off_t>(size)) == 0);
}

Errno WasiCtx::FdFilestatSetTimes(GuestMemory, uint32_t fd, uint64_t atim, uint64_t mtim,
                                  uint32_t fst_flags) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdFilestatSetTimes, &e)) return err;
  timespec ts[2];
  if (!TimesFromFlags(atim, mtim, fst_flags, ts)) return kInval;
  return OkOr(futimens(e->host_fd, ts) == 0);
}

Errno WasiCtx::FdRead(GuestMemory m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                      uint32_t nread_out) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdRead, &e)) return err;
  std::vector<iovec> v;
  if (Errno err = GatherIovecs(m, iovs, iovs_len, &v)) return err;
  if (m.Get(nread_out, 4) == nullptr) return kFault;
  ssize_t n;
  do {
    n = readv(e->host_fd, v.data(), static_cast<int>(v.size()));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return LastErrno();
  (void)m.Store<uint32_t>(nread_out, static_cast<uint32_t>(n));
  return kSuccess;
}

Errno WasiCtx::FdWrite(GuestMemory m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                       uint32_t nwritten_out) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdWrite, &e)) return err;
  std::vector<iovec> v;
  if (Errno err = GatherIovecs(m, iovs, iovs_len, &v)) return err;
  if (m.Get(nwritten_out, 4) == nullptr) return kFault;
  // Write everything (stdio may be a pipe that takes partial writes); report what went out.
  size_t total = 0;
  size_t i = 0;
  while (i < v.size()) {
    if (v[i].iov_len == 0) {
      ++i;
      continue;
    }
    ssize_t n = writev(e->host_fd, v.data() + i, static_cast<int>(v.size() - i));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (total > 0) break;
      return LastErrno();
    }
    if (n == 0) break;  // no progress: report the short write rather than spin
    total += static_cast<size_t>(n);
    size_t left = static_cast<size_t>(n);
    while (i < v.size() && left >= v[i].iov_len) left -= v[i++].iov_len;
    if (left > 0) {
      v[i].iov_base = static_cast<uint8_t*>(v[i].iov_base) + left;
      v[i].iov_len -= left;
    }
  }
  (void)m.Store<uint32_t>(nwritten_out, static_cast<uint32_t>(total));
  return kSuccess;
}

Errno WasiCtx::FdPread(GuestMemory m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                       uint64_t offset, uint32_t nread_out) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdRead | kRightFdSeek, &e)) return err;
  if (static_cast<int64_t>(offset) < 0) return kInval;
  std::vector<iovec> v;
  if (Errno err = GatherIovecs(m, iovs, iovs_len, &v)) return err;
  if (m.Get(nread_out, 4) == nullptr) return kFault;
  ssize_t n = preadv(e->host_fd, v.data(), static_cast<int>(v.size()), static_cast<off_t>(offset));
  if (n < 0) return LastErrno();
  (void)m.Store<uint32_t>(nread_out, static_cast<uint32_t>(n));
  return kSuccess;
}

Errno WasiCtx::FdPwrite(GuestMemory m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                        uint64_t offset, uint32_t nwritten_out) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdWrite | kRightFdSeek, &e)) return err;
  if (static_cast<int64_t>(offset) < 0) return kInval;
  std::vector<iovec> v;
  if (Errno err = GatherIovecs(m, iovs, iovs_len, &v)) return err;
  if (m.Get(nwritten_out, 4) == nullptr) return kFault;
  ssize_t n = pwritev(e->host_fd, v.data(), static_cast<int>(v.size()), static_cast<off_t>(offset));
  if (n < 0) return LastErrno();
  (void)m.Store<uint32_t>(nwritten_out, static_cast<uint32_t>(n));
  return kSuccess;
}

Errno WasiCtx::FdPrestatGet(GuestMemory m, uint32_t fd, uint32_t out) {
  FdEntry* e = impl_->Find(fd);
  if (e == nullptr || !e->is_preopen) return kBadf;
  uint8_t* p = m.Get(out, kPrestatSize);
  if (p == nullptr) return kFault;
  std::memset(p, 0, kPrestatSize);
  p[0] = kPreopenDir;
  uint32_t len = static_cast<uint32_t>(e->preopen_name.size());
  std::memcpy(p + 4, &len, 4);
  return kSuccess;
}

Errno WasiCtx::FdPrestatDirName(GuestMemory m, uint32_t fd, uint32_t path, uint32_t path_len) {
  FdEntry* e = impl_->Find(fd);
  if (e == nullptr || !e->is_preopen) return kBadf;
  if (path_len < e->preopen_name.size()) return kNameTooLong;
  uint8_t* p = m.Get(path, e->preopen_name.size());
  if (p == nullptr) return kFault;
  std::memcpy(p, e->preopen_name.data(), e->preopen_name.size());
  return kSuccess;
}

Errno WasiCtx::FdReaddir(GuestMemory m, uint32_t fd, uint32_t buf, uint32_t buf_len,
                         uint64_t cookie, uint32_t bufused_out) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdReaddir, &e)) return err;
  if (e->filetype != kFiletypeDirectory) return kNotDir;
  uint8_t* out = m.Get(buf, buf_len);
  if (out == nullptr || m.Get(bufused_out, 4) == nullptr) return kFault;
  if (cookie == 0 || e->dir_cache.empty()) {
    // Snapshot the directory; cookies are indices into it (stable across calls).
    int dup_fd = openat(e->host_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup_fd < 0) return LastErrno();
    DIR* d = fdopendir(dup_fd);
    if (d == nullptr) {
      close(dup_fd);
      return LastErrno();
    }
    e->dir_cache.clear();
    while (struct dirent* de = readdir(d)) {
      DirEntry entry{de->d_name, static_cast<uint64_t>(de->d_ino), FiletypeFromDirent(de->d_type)};
      if (de->d_type == DT_UNKNOWN) {
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
          entry.type = FiletypeFromMode(st.st_mode);
        }
      }
      e->dir_cache.push_back(std::move(entry));
    }
    closedir(d);
  }
  uint32_t used = 0;
  for (uint64_t i = cookie; i < e->dir_cache.size() && used < buf_len; ++i) {
    const DirEntry& de = e->dir_cache[i];
    uint8_t header[kDirentSize] = {};
    uint64_t next = i + 1;
    uint32_t namlen = static_cast<uint32_t>(de.name.size());
    std::memcpy(header + 0, &next, 8);
    std::memcpy(header + 8, &de.ino, 8);
    std::memcpy(header + 16, &namlen, 4);
    header[20] = de.type;
    // The last entry may be truncated: bufused == buf_len tells the guest to ask again.
    uint32_t n = std::min<uint32_t>(kDirentSize, buf_len - used);
    std::memcpy(out + used, header, n);
    used += n;
    n = std::min<uint32_t>(namlen, buf_len - used);
    std::memcpy(out + used, de.name.data(), n);
    used += n;
  }
  (void)m.Store<uint32_t>(bufused_out, used);
  return kSuccess;
}

Errno WasiCtx::FdRenumber(GuestMemory, uint32_t fd, uint32_t to) {
  if (impl_->Find(fd) == nullptr || impl_->Find(to) == nullptr) return kBadf;
  if (fd == to) return kSuccess;
  impl_->fds[to] = std::move(impl_->fds[fd]);
  return kSuccess;
}

Errno WasiCtx::FdSeek(GuestMemory m, uint32_t fd, uint64_t offset, uint32_t whence,
                      uint32_t newoffset_out) {
  uint64_t right = (whence == kWhenceCur && offset == 0) ? kRightFdTell : kRightFdSeek;
  FdEntry* e = nullptr;
  if (Errno err = impl_->Get(fd, right, &e)) {
    // A terminal has no seek right (that is how wasi-libc's isatty works): say so the POSIX way.
    FdEntry* f = impl_->Find(fd);
    if (err == kNotCapable && f->filetype == kFiletypeCharacterDevice) return kSpipe;
    return err;
  }
  int w;
  switch (whence) {
    case kWhenceSet: w = SEEK_SET; break;
    case kWhenceCur: w = SEEK_CUR; break;
    case kWhenceEnd: w = SEEK_END; break;
    default: return kInval;
  }
  if (m.Get(newoffset_out, 8) == nullptr) return kFault;
  off_t r = lseek(e->host_fd, static_cast<off_t>(offset), w);
  if (r < 0) return LastErrno();
  (void)m.Store<uint64_t>(newoffset_out, static_cast<uint64_t>(r));
  return kSuccess;
}

Errno WasiCtx::FdTell(GuestMemory m, uint32_t fd, uint32_t offset_out) {
  FdEntry* e;
  if (Errno err = impl_->Get(fd, kRightFdTell, &e)) return err;
  if (m.Get(offset_out, 8) == nullptr) return kFault;
  off_t r = lseek(e->host_fd, 0, SEEK_CUR);
  if (r < 0) return LastErrno();
  (void)m.Store<uint64_t>(offset_out, static_cast<uint64_t>(r));
  return kSuccess;
}

// ---------------------------------------------------------------------------------------------
// path_*

Errno WasiCtx::PathCreateDirectory(GuestMemory m, uint32_t fd, uint32_t path, uint32_t path_len) {
  ResolvedPath r;
  if (Errno err = impl_->Resolve(m, fd, kRightPathCreateDirectory, path, path_len, false, &r)) {
    return err;
  }
  return OkOr(mkdirat(r.dir_fd(), r.name().c_str(), 0777) == 0);
}

Errno WasiCtx::PathFilestatGet(GuestMemory m, uint32_t fd, uint32_t flags, uint32_t path,
                               uint32_t path_len, uint32_t out) {
  ResolvedPath r;
  if (Errno err = impl_->Resolve(m, fd, kRightPathFilestatGet, path, path_len,
                                 flags & kLookupSymlinkFollow, &r)) {
    return err;
  }
  if (m.Get(out, kFilestatSize) == nullptr) return kFault;
  struct stat st;
  if (fstatat(r.dir_fd(), r.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return LastErrno();
  if (r.must_be_dir() && !S_ISDIR(st.st_mode)) return kNotDir;
  (void)StoreFilestat(m, out, st);
  return kSuccess;
}

Errno WasiCtx::PathFilestatSetTimes(GuestMemory m, uint32_t fd, uint32_t flags, uint32_t path,
                                    uint32_t path_len, uint64_t atim, uint64_t mtim,
                                    uint32_t fst_flags) {
  ResolvedPath r;
  if (Errno err = impl_->Resolve(m, fd, kRightPathFilestatSetTimes, path, path_len,
                                 flags & kLookupSymlinkFollow, &r)) {
    return err;
  }
  timespec ts[2];
  if (!TimesFromFlags(atim, mtim, fst_flags, ts)) return kInval;
  return OkOr(utimensat(r.dir_fd(), r.name().c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
}

Errno WasiCtx::PathLink(GuestMemory m, uint32_t old_fd, uint32_t old_flags, uint32_t old_path,
                        uint32_t old_path_len, uint32_t new_fd, uint32_t new_path,
                        uint32_t new_path_len) {
  ResolvedPath from, to;
  if (Errno err = impl_->Resolve(m, old_fd, kRightPathLinkSource, old_path, old_path_len,
                                 old_flags & kLookupSymlinkFollow, &from)) {
    return err;
  }
  if (Errno err =
          impl_->Resolve(m, new_fd, kRightPathLinkTarget, new_path, new_path_len, false, &to)) {
    return err;
  }
  return OkOr(linkat(from.dir_fd(), from.name().c_str(), to.dir_fd(), to.name().c_str(), 0) == 0);
}

Errno WasiCtx::PathOpen(GuestMemory m, uint32_t fd, uint32_t dirflags, uint32_t path,
                        uint32_t path_len, uint32_t oflags, uint64_t rights_base,
                        uint64_t rights_inheriting, uint32_t fdflags, uint32_t fd_out) {
  uint64_t needed = kRightPathOpen;
  if (oflags & kOflagCreat) needed |= kRightPathCreateFile;
  if (oflags & kOflagTrunc) needed |= kRightPathFilestatSetSize;
  ResolvedPath r;
  if (Errno err = impl_->Resolve(m, fd, needed, path, path_len, dirflags & kLookupSymlinkFollow,
                                 &r)) {
    return err;
  }
  if (m.Get(fd_out, 4) == nullptr) return kFault;
  if (oflags & ~uint32_t{kOflagCreat | kOflagDirectory | kOflagExcl | kOflagTrunc}) return kInval;
  const FdEntry* parent = impl_->Find(fd);
  // Rights beyond what the directory passes on are silently dropped (as wasmtime does).
  rights_base &= parent->rights_inheriting;
  rights_inheriting &= parent->rights_inheriting;

  int flags = O_CLOEXEC | O_NOFOLLOW;
  if (oflags & kOflagCreat) flags |= O_CREAT;
  if (oflags & kOflagExcl) flags |= O_EXCL;
  if (oflags & kOflagTrunc) flags |= O_TRUNC;
  if ((oflags & kOflagDirectory) || r.must_be_dir()) flags |= O_DIRECTORY;
  if (fdflags & kFdflagAppend) flags |= O_APPEND;
  if (fdflags & kFdflagNonblock) flags |= O_NONBLOCK;
  if (fdflags & kFdflagDsync) flags |= O_DSYNC;
  if (fdflags & kFdflagSync) flags |= O_SYNC;
  if (fdflags & kFdflagRsync) flags |= O_RSYNC;
  bool want_read = rights_base & (kRightFdRead | kRightFdReaddir);
  bool want_write = (rights_base & (kRightFdWrite | kRightFdAllocate | kRightFdFilestatSetSize)) ||
                    (oflags & kOflagTrunc);
  if (flags & O_DIRECTORY) {
    flags |= O_RDONLY;
  } else if (want_write) {
    flags |= want_read ? O_RDWR : O_WRONLY;
  } else {
    flags |= O_RDONLY;
  }
  int host_fd;
  do {
    host_fd = openat(r.dir_fd(), r.name().c_str(), flags, 0666);
  } while (host_fd < 0 && errno == EINTR);
  if (host_fd < 0) return LastErrno();
  struct stat st;
  if (fstat(host_fd, &st) != 0) {
    int err = errno;
    close(host_fd);
    return ErrnoFromHost(err);
  }
  auto e = std::make_unique<FdEntry>();
  e->host_fd = host_fd;
  e->owned = true;
  e->filetype = FiletypeFromMode(st.st_mode);
  if (e->filetype == kFiletypeDirectory) {
    e->rights_base = rights_base & kDirRights;
    e->rights_inheriting = rights_inheriting;
  } else {
    e->rights_base = rights_base & kFileRights;
    e->rights_inheriting = 0;
  }
  uint32_t new_fd = impl_->Insert(std::move(e));
  (void)m.Store<uint32_t>(fd_out, new_fd);
  return kSuccess;
}

Errno WasiCtx::PathReadlink(GuestMemory m, uint32_t fd, uint32_t path, uint32_t path_len,
                            uint32_t buf, uint32_t buf_len, uint32_t bufused_out) {
  ResolvedPath r;
  if (Errno err = impl_->Resolve(m, fd, kRightPathReadlink, path, path_len, false, &r)) {
    return err;
  }
  uint8_t* out = m.Get(buf, buf_len);
  if (out == nullptr || m.Get(bufused_out, 4) == nullptr) return kFault;
  char tmp[PATH_MAX];
  ssize_t n = readlinkat(r.dir_fd(), r.name().c_str(), tmp, sizeof tmp);
  if (n < 0) return LastErrno();
  uint32_t used = std::min<uint32_t>(static_cast<uint32_t>(n), buf_len);
  std::memcpy(out, tmp, used);
  (void)m.Store<uint32_t>(bufused_out, used);
  return kSuccess;
}

Errno WasiCtx::PathRemoveDirectory(GuestMemory m, uint32_t fd, uint32_t path, uint32_t path_len) {
  ResolvedPath r;
  if (Errno err = impl_->Resolve(m, fd, kRightPathRemoveDirectory, path, path_len, false, &r)) {
    return err;
  }
  return OkOr(unlinkat(r.dir_fd(), r.name().c_str(), AT_REMOVEDIR) == 0);
}

Errno WasiCtx::PathRename(GuestMemory m, uint32_t fd, uint32_t old_path, uint32_t old_path_len,
                          uint32_t new_fd, uint32_t new_path, uint32_t new_path_len) {
  ResolvedPath from, to;
  if (Errno err =
          impl_->Resolve(m, fd, kRightPathRenameSource, old_path, old_path_len, false, &from)) {
    return err;
  }
  if (Errno err =
          impl_->Resolve(m, new_fd, kRightPathRenameTarget, new_path, new_path_len, false, &to)) {
    return err;
  }
  if (from.must_be_dir() || to.must_be_dir()) {
    struct stat st;
    if (fstatat(from.dir_fd(), from.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return LastErrno();
    }
    if (!S_ISDIR(st.st_mode)) return kNotDir;
  }
  return OkOr(renameat(from.dir_fd(), from.name().c_str(), to.dir_fd(), to.name().c_str()) == 0);
}

Errno WasiCtx::PathSymlink(GuestMemory m, uint32_t old_path, uint32_t old_path_len, uint32_t fd,
                           uint32_t new_path, uint32_t new_path_len) {
  ResolvedPath r;
  if (Errno err = impl_->Resolve(m, fd, kRightPathSymlink, new_path, new_path_len, false, &r)) {
    return err;
  }
  uint8_t* p = m.Get(old_path, old_path_len);
  if (p == nullptr) return kFault;
  std::string target(reinterpret_cast<const char*>(p), old_path_len);
  if (target.find('\0') != std::string::npos) return kIlseq;
  // An absolute target could never be followed inside the sandbox (as in wasmtime).
  if (!target.empty() && target.front() == '/') return kNotCapable;
  return OkOr(symlinkat(target.c_str(), r.dir_fd(), r.name().c_str()) == 0);
}

Errno WasiCtx::PathUnlinkFile(GuestMemory m, uint32_t fd, uint32_t path, uint32_t path_len) {
  ResolvedPath r;
  if (Errno err = impl_->Resolve(m, fd, kRightPathUnlinkFile, path, path_len, false, &r)) {
    return err;
  }
  if (r.must_be_dir()) {
    struct stat st;
    if (fstatat(r.dir_fd(), r.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return LastErrno();
    return S_ISDIR(st.st_mode) ? kIsDir : kNotDir;
  }
  if (unlinkat(r.dir_fd(), r.name().c_str(), 0) == 0) return kSuccess;
  int err = errno;
  // POSIX allows EPERM for unlinking a directory; WASI (and Linux) say EISDIR.
  if (err == EPERM) {
    struct stat st;
    if (fstatat(r.dir_fd(), r.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode)) {
      return kIsDir;
    }
  }
  return ErrnoFromHost(err);
}

// ---------------------------------------------------------------------------------------------
// poll_oneoff

Errno WasiCtx::PollOneoff(GuestMemory m, uint32_t in, uint32_t out, uint32_t nsubscriptions,
                          uint32_t nevents_out) {
  if (nsubscriptions == 0) return kInval;
  uint8_t* subs = m.Get(in, uint64_t{nsubscriptions} * kSubscriptionSize);
  uint8_t* events = m.Get(out, uint64_t{nsubscriptions} * kEventSize);
  if (subs == nullptr || events == nullptr || m.Get(nevents_out, 4) == nullptr) return kFault;

  struct Event {
    uint64_t userdata;
    Errno error;
    uint8_t type;
    uint64_t nbytes;
    uint16_t flags;
  };
  struct ClockSub {
    uint64_t userdata;
    uint64_t deadline;  // CLOCK_MONOTONIC nanoseconds
  };
  struct FdSub {
    uint64_t userdata;
    uint8_t type;
  };
  std::vector<Event> ready;
  std::vector<ClockSub> clocks;
  std::vector<pollfd> pfds;
  std::vector<FdSub> fd_subs;
  uint64_t now = NowNanos(CLOCK_MONOTONIC);
  for (uint32_t i = 0; i < nsubscriptions; ++i) {
    const uint8_t* s = subs + uint64_t{i} * kSubscriptionSize;
    uint64_t userdata;
    std::memcpy(&userdata, s, 8);
    uint8_t tag = s[8];
    if (tag == kEventClock) {
      uint32_t id;
      uint64_t timeout;
      uint16_t flags;
      std::memcpy(&id, s + 16, 4);
      std::memcpy(&timeout, s + 24, 8);
      std::memcpy(&flags, s + 40, 2);
      bool ok;
      clockid_t c = HostClock(id, &ok);
      if (!ok) {
        ready.push_back({userdata, kInval, kEventClock, 0, 0});
        continue;
      }
      uint64_t deadline;
      if (flags & kSubclockAbstime) {
        // Convert an absolute time on clock `c` to a monotonic deadline.
        uint64_t c_now = NowNanos(c);
        deadline = timeout > c_now ? now + (timeout - c_now) : now;
      } else {
        deadline = timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout;
      }
      clocks.push_back({userdata, deadline});
    } else if (tag == kEventFdRead || tag == kEventFdWrite) {
      uint32_t fd;
      std::memcpy(&fd, s + 16, 4);
      FdEntry* e;
      if (Errno err = impl_->Get(fd, kRightPollFdReadwrite, &e)) {
        ready.push_back({userdata, err, tag, 0, 0});
        continue;
      }
      if (e->filetype == kFiletypeRegularFile) {
        // Regular files are always ready; report the bytes left to read.
        uint64_t nbytes = 0;
        if (tag == kEventFdRead) {
          struct stat st;
          off_t pos = lseek(e->host_fd, 0, SEEK_CUR);
          if (fstat(e->host_fd, &st) == 0 && pos >= 0 && st.st_size > pos) {
            nbytes = static_cast<uint64_t>(st.st_size - pos);
          }
        }
        ready.push_back({userdata, kSuccess, tag, nbytes, 0});
        continue;
      }
      pfds.push_back(pollfd{e->host_fd, static_cast<short>(tag == kEventFdRead ? POLLIN : POLLOUT), 0});
      fd_subs.push_back({userdata, tag});
    } else {
      return kInval;
    }
  }

  while (ready.empty()) {
    uint64_t earliest = UINT64_MAX;
    for (auto& c : clocks) earliest = std::min(earliest, c.deadline);
    now = NowNanos(CLOCK_MONOTONIC);
    if (pfds.empty()) {
      if (earliest == UINT64_MAX) return kInval;  // nothing could ever fire
      if (earliest > now) {
        timespec ts = FromNanos(earliest);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
        }
      }
    } else {
      int timeout_ms = -1;
      if (earliest != UINT64_MAX) {
        uint64_t wait = earliest > now ? earliest - now : 0;
        timeout_ms = static_cast<int>(std::min<uint64_t>((wait + 999'999) / 1'000'000, INT_MAX));
      }
      int n = poll(pfds.data(), pfds.size(), timeout_ms);
      if (n < 0 && errno != EINTR) return LastErrno();
      for (size_t i = 0; n > 0 && i < pfds.size(); ++i) {
        short rev = pfds[i].revents;
        if (rev == 0) continue;
        Event ev{fd_subs[i].userdata, kSuccess, fd_subs[i].type, 0, 0};
        if (rev & POLLNVAL) {
          ev.error = kBadf;
        } else if (rev & POLLERR) {
          ev.error = kIo;
        } else {
          if (rev & POLLHUP) ev.flags |= kEventFdReadwriteHangup;
          if (ev.type == kEventFdRead) {
            int avail = 0;
            if (ioctl(pfds[i].fd, FIONREAD, &avail) == 0 && avail > 0) {
              ev.nbytes = static_cast<uint64_t>(avail);
            }
          }
        }
        ready.push_back(ev);
      }
    }
    if (ready.empty()) {
      now = NowNanos(CLOCK_MONOTONIC);
      for (auto& c : clocks) {
        if (c.deadline <= now) ready.push_back({c.userdata, kSuccess, kEventClock, 0, 0});
      }
    }
  }
  for (size_t i = 0; i < ready.size(); ++i) {
    uint8_t* p = events + i * kEventSize;
    std::memset(p, 0, kEventSize);
    std::memcpy(p, &ready[i].userdata, 8);
    std::memcpy(p + 8, &ready[i].error, 2);
    p[10] = ready[i].type;
    std::memcpy(p + 16, &ready[i].nbytes, 8);
    std::memcpy(p + 24, &ready[i].flags, 2);
  }
  (void)m.Store<uint32_t>(nevents_out, static_cast<uint32_t>(ready.size()));
  return kSuccess;
}

// ---------------------------------------------------------------------------------------------
// sockets: preview1 can only use sockets it was given, and Weft gives none.

Errno WasiCtx::SockAccept(GuestMemory, uint32_t fd, uint32_t, uint32_t) {
  return impl_->Find(fd) ? kNotSock : kBadf;
}
Errno WasiCtx::SockRecv(GuestMemory, uint32_t fd, uint32_t, uint32_t, uint32_t, uint32_t,
                        uint32_t) {
  return impl_->Find(fd) ? kNotSock : kBadf;
}
Errno WasiCtx::SockSend(GuestMemory, uint32_t fd, uint32_t, uint32_t, uint32_t, uint32_t) {
  return impl_->Find(fd) ? kNotSock : kBadf;
}
Errno WasiCtx::SockShutdown(GuestMemory, uint32_t fd, uint32_t) {
  return impl_->Find(fd) ? kNotSock : kBadf;
}

// ---------------------------------------------------------------------------------------------
// Linker bindings

namespace {

template <typename A>
constexpr ValKind KindOf() {
  return sizeof(A) == 8 ? ValKind::kI64 : ValKind::kI32;
}
template <typename A>
A ArgOf(const Val& v) {
  if constexpr (sizeof(A) == 8) {
    return static_cast<A>(v.i64());
  } else {
    return static_cast<A>(static_cast<uint32_t>(v.i32()));
  }
}

GuestMemory MemoryOf(CallerBase& caller) {
  Memory mem;
  if (auto ext = caller.GetExport("memory"); ext && ext->kind == ExternKind::kMemory) {
    mem = ext->memory;
  } else {
    mem = caller.memory();
  }
  if (mem.is_null()) return GuestMemory();
  // Memory cannot grow during a host call, so the base and size hold for the whole call.
  return GuestMemory(mem.data(), mem.size_bytes());
}

template <auto M>
struct Binder;
template <typename... A, Errno (WasiCtx::*M)(GuestMemory, A...)>
struct Binder<M> {
  static FuncType Type() { return FuncType{{KindOf<A>()...}, {ValKind::kI32}}; }
  static HostCallback Make(std::shared_ptr<const WasiGetter> get) {
    return [get](CallerBase& caller, std::span<const Val> args, std::span<Val> results) -> Error {
      WasiCtx& ctx = (*get)(caller);
      results[0] = Val::I32(Invoke(ctx, MemoryOf(caller), args, std::index_sequence_for<A...>()));
      return Error();
    };
  }
  template <size_t... I>
  static int32_t Invoke(WasiCtx& ctx, GuestMemory m, std::span<const Val> args,
                        std::index_sequence<I...>) {
    (void)args;  // unused for functions without parameters (sched_yield)
    return static_cast<int32_t>((ctx.*M)(m, ArgOf<A>(args[I])...));
  }
};

template <auto M>
Error Define(LinkerBase& linker, std::string_view name,
             const std::shared_ptr<const WasiGetter>& get) {
  return linker.DefineFunc("wasi_snapshot_preview1", name, Binder<M>::Type(), Binder<M>::Make(get));
}

}  // namespace

Error AddToLinkerBase(LinkerBase& linker, WasiGetter get) {
  auto g = std::make_shared<const WasiGetter>(std::move(get));
  WEFT_TRY(Define<&WasiCtx::ArgsGet>(linker, "args_get", g));
  WEFT_TRY(Define<&WasiCtx::ArgsSizesGet>(linker, "args_sizes_get", g));
  WEFT_TRY(Define<&WasiCtx::EnvironGet>(linker, "environ_get", g));
  WEFT_TRY(Define<&WasiCtx::EnvironSizesGet>(linker, "environ_sizes_get", g));
  WEFT_TRY(Define<&WasiCtx::ClockResGet>(linker, "clock_res_get", g));
  WEFT_TRY(Define<&WasiCtx::ClockTimeGet>(linker, "clock_time_get", g));
  WEFT_TRY(Define<&WasiCtx::FdAdvise>(linker, "fd_advise", g));
  WEFT_TRY(Define<&WasiCtx::FdAllocate>(linker, "fd_allocate", g));
  WEFT_TRY(Define<&WasiCtx::FdClose>(linker, "fd_close", g));
  WEFT_TRY(Define<&WasiCtx::FdDatasync>(linker, "fd_datasync", g));
  WEFT_TRY(Define<&WasiCtx::FdFdstatGet>(linker, "fd_fdstat_get", g));
  WEFT_TRY(Define<&WasiCtx::FdFdstatSetFlags>(linker, "fd_fdstat_set_flags", g));
  WEFT_TRY(Define<&WasiCtx::FdFdstatSetRights>(linker, "fd_fdstat_set_rights", g));
  WEFT_TRY(Define<&WasiCtx::FdFilestatGet>(linker, "fd_filestat_get", g));
  WEFT_TRY(Define<&WasiCtx::FdFilestatSetSize>(linker, "fd_filestat_set_size", g));
  WEFT_TRY(Define<&WasiCtx::FdFilestatSetTimes>(linker, "fd_filestat_set_times", g));
  WEFT_TRY(Define<&WasiCtx::FdPread>(linker, "fd_pread", g));
  WEFT_TRY(Define<&WasiCtx::FdPrestatGet>(linker, "fd_prestat_get", g));
  WEFT_TRY(Define<&WasiCtx::FdPrestatDirName>(linker, "fd_prestat_dir_name", g));
  WEFT_TRY(Define<&WasiCtx::FdPwrite>(linker, "fd_pwrite", g));
  WEFT_TRY(Define<&WasiCtx::FdRead>(linker, "fd_read", g));
  WEFT_TRY(Define<&WasiCtx::FdReaddir>(linker, "fd_readdir", g));
  WEFT_TRY(Define<&WasiCtx::FdRenumber>(linker, "fd_renumber", g));
  WEFT_TRY(Define<&WasiCtx::FdSeek>(linker, "fd_seek", g));
  WEFT_TRY(Define<&WasiCtx::FdSync>(linker, "fd_sync", g));
  WEFT_TRY(Define<&WasiCtx::FdTell>(linker, "fd_tell", g));
  WEFT_TRY(Define<&WasiCtx::FdWrite>(linker, "fd_write", g));
  WEFT_TRY(Define<&WasiCtx::PathCreateDirectory>(linker, "path_create_directory", g));
  WEFT_TRY(Define<&WasiCtx::PathFilestatGet>(linker, "path_filestat_get", g));
  WEFT_TRY(Define<&WasiCtx::PathFilestatSetTimes>(linker, "path_filestat_set_times", g));
  WEFT_TRY(Define<&WasiCtx::PathLink>(linker, "path_link", g));
  WEFT_TRY(Define<&WasiCtx::PathOpen>(linker, "path_open", g));
  WEFT_TRY(Define<&WasiCtx::PathReadlink>(linker, "path_readlink", g));
  WEFT_TRY(Define<&WasiCtx::PathRemoveDirectory>(linker, "path_remove_directory", g));
  WEFT_TRY(Define<&WasiCtx::PathRename>(linker, "path_rename", g));
  WEFT_TRY(Define<&WasiCtx::PathSymlink>(linker, "path_symlink", g));
  WEFT_TRY(Define<&WasiCtx::PathUnlinkFile>(linker, "path_unlink_file", g));
  WEFT_TRY(Define<&WasiCtx::PollOneoff>(linker, "poll_oneoff", g));
  WEFT_TRY(Define<&WasiCtx::ProcRaise>(linker, "proc_raise", g));
  WEFT_TRY(Define<&WasiCtx::SchedYield>(linker, "sched_yield", g));
  WEFT_TRY(Define<&WasiCtx::RandomGet>(linker, "random_get", g));
  WEFT_TRY(Define<&WasiCtx::SockAccept>(linker, "sock_accept", g));
  WEFT_TRY(Define<&WasiCtx::SockRecv>(linker, "sock_recv", g));
  WEFT_TRY(Define<&WasiCtx::SockSend>(linker, "sock_send", g));
  WEFT_TRY(Define<&WasiCtx::SockShutdown>(linker, "sock_shutdown", g));
  // proc_exit does not return to the guest: the call ends with Error::Exit.
  return linker.DefineFunc(
      "wasi_snapshot_preview1", "proc_exit", FuncType{{ValKind::kI32}, {}},
      [](CallerBase&, std::span<const Val> args, std::span<Val>) -> Error {
        return Error::Exit(args[0].i32());
      });
}

}  // namespace weft::wasi
