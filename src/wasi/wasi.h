// WASI preview1 (`wasi_snapshot_preview1`) for core modules, built on the public API only.
//
// A WasiCtx is a plain C++ object (DESIGN.md decision 7) holding the guest's arguments,
// environment, file descriptor table (stdio + preopened directories + files it opened),
// and is reached from host functions through a getter from the store's data:
//
//   struct State { weft::wasi::WasiCtx wasi; };
//   weft::Linker<State> linker(engine);
//   weft::wasi::AddToLinker(linker, +[](State& s) -> weft::wasi::WasiCtx& { return s.wasi; });
//
// Every guest pointer is bounds-checked against the calling instance's memory (kFault when
// out of bounds, never a host access). Paths are confined beneath preopened directories
// (sandbox.h). proc_exit ends the call with weft::Error::Exit(status).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wasi/abi.h"
#include "weft/weft.h"

namespace weft::wasi {

/// A bounds-checked view of guest linear memory for the duration of one host call.
class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(uint8_t* base, uint64_t size) : base_(base), size_(size) {}
  explicit GuestMemory(std::span<uint8_t> s) : base_(s.data()), size_(s.size()) {}
  /// [ptr, ptr + len) or nullptr when any byte is out of bounds.
  uint8_t* Get(uint64_t ptr, uint64_t len) const {
    if (ptr > size_ || len > size_ - ptr) return nullptr;
    return base_ + ptr;
  }
  template <typename X>
  bool Load(uint64_t ptr, X* x) const;
  template <typename X>
  bool Store(uint64_t ptr, X x) const;

 private:
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

struct Preopen {
  std::string host_path;   ///< Directory on the host.
  std::string guest_path;  ///< Name the guest sees (fd_prestat_dir_name), e.g. "." or "/data".
};

/// What a WasiCtx starts with.
struct WasiConfig {
  std::vector<std::string> args;  ///< args[0] is the program name.
  std::vector<std::string> env;   ///< "NAME=VALUE" entries.
  std::vector<Preopen> preopens;  ///< Become fds 3, 4, ... in order.
  /// Host descriptors for guest fds 0-2 (not owned; -1 means closed).
  int stdin_fd = 0;
  int stdout_fd = 1;
  int stderr_fd = 2;
  /// Source of random_get bytes; default: the OS (getrandom).
  std::function<void(std::span<uint8_t>)> random;
};

/// The state behind one guest's WASI imports. Move-only; not thread-safe.
class WasiCtx {
 public:
  WasiCtx();
  ~WasiCtx();
  WasiCtx(WasiCtx&&) noexcept;
  WasiCtx& operator=(WasiCtx&&) noexcept;

  /// Opens the preopened directories; an error names the first one that cannot be opened.
  static Expected<WasiCtx> Create(WasiConfig config);

  // One method per preview1 function (same names and parameter order as witx, pointers
  // as u32 guest addresses). Each returns the WASI errno.
  Errno ArgsGet(GuestMemory m, uint32_t argv, uint32_t argv_buf);
  Errno ArgsSizesGet(GuestMemory m, uint32_t argc_out, uint32_t buf_size_out);
  Errno EnvironGet(GuestMemory m, uint32_t environ, uint32_t environ_buf);
  Errno EnvironSizesGet(GuestMemory m, uint32_t count_out, uint32_t buf_size_out);
  Errno ClockResGet(GuestMemory m, uint32_t id, uint32_t res_out);
  Errno ClockTimeGet(GuestMemory m, uint32_t id, uint64_t precision, uint32_t time_out);
  Errno FdAdvise(GuestMemory m, uint32_t fd, uint64_t offset, uint64_t len, uint32_t advice);
  Errno FdAllocate(GuestMemory m, uint32_t fd, uint64_t offset, uint64_t len);
  Errno FdClose(GuestMemory m, uint32_t fd);
  Errno FdDatasync(GuestMemory m, uint32_t fd);
  Errno FdFdstatGet(GuestMemory m, uint32_t fd, uint32_t out);
  Errno FdFdstatSetFlags(GuestMemory m, uint32_t fd, uint32_t flags);
  Errno FdFdstatSetRights(GuestMemory m, uint32_t fd, uint64_t base, uint64_t inheriting);
  Errno FdFilestatGet(GuestMemory m, uint32_t fd, uint32_t out);
  Errno FdFilestatSetSize(GuestMemory m, uint32_t fd, uint64_t size);
  Errno FdFilestatSetTimes(GuestMemory m, uint32_t fd, uint64_t atim, uint64_t mtim,
                           uint32_t fst_flags);
  Errno FdPread(GuestMemory m, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint64_t offset,
                uint32_t nread_out);
  Errno FdPrestatGet(GuestMemory m, uint32_t fd, uint32_t out);
  Errno FdPrestatDirName(GuestMemory m, uint32_t fd, uint32_t path, uint32_t path_len);
  Errno FdPwrite(GuestMemory m, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint64_t offset,
                 uint32_t nwritten_out);
  Errno FdRead(GuestMemory m, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nread_out);
  Errno FdReaddir(GuestMemory m, uint32_t fd, uint32_t buf, uint32_t buf_len, uint64_t cookie,
                  uint32_t bufused_out);
  Errno FdRenumber(GuestMemory m, uint32_t fd, uint32_t to);
  Errno FdSeek(GuestMemory m, uint32_t fd, uint64_t offset, uint32_t whence,
               uint32_t newoffset_out);
  Errno FdSync(GuestMemory m, uint32_t fd);
  Errno FdTell(GuestMemory m, uint32_t fd, uint32_t offset_out);
  Errno FdWrite(GuestMemory m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                uint32_t nwritten_out);
  Errno PathCreateDirectory(GuestMemory m, uint32_t fd, uint32_t path, uint32_t path_len);
  Errno PathFilestatGet(GuestMemory m, uint32_t fd, uint32_t flags, uint32_t path,
                        uint32_t path_len, uint32_t out);
  Errno PathFilestatSetTimes(GuestMemory m, uint32_t fd, uint32_t flags, uint32_t path,
                             uint32_t path_len, uint64_t atim, uint64_t mtim, uint32_t fst_flags);
  Errno PathLink(GuestMemory m, uint32_t old_fd, uint32_t old_flags, uint32_t old_path,
                 uint32_t old_path_len, uint32_t new_fd, uint32_t new_path,
                 uint32_t new_path_len);
  Errno PathOpen(GuestMemory m, uint32_t fd, uint32_t dirflags, uint32_t path,
                 uint32_t path_len, uint32_t oflags, uint64_t rights_base,
                 uint64_t rights_inheriting, uint32_t fdflags, uint32_t fd_out);
  Errno PathReadlink(GuestMemory m, uint32_t fd, uint32_t path, uint32_t path_len, uint32_t buf,
                     uint32_t buf_len, uint32_t bufused_out);
  Errno PathRemoveDirectory(GuestMemory m, uint32_t fd, uint32_t path, uint32_t path_len);
  Errno PathRename(GuestMemory m, uint32_t fd, uint32_t old_path, uint32_t old_path_len,
                   uint32_t new_fd, uint32_t new_path, uint32_t new_path_len);
  Errno PathSymlink(GuestMemory m, uint32_t old_path, uint32_t old_path_len, uint32_t fd,
                    uint32_t new_path, uint32_t new_path_len);
  Errno PathUnlinkFile(GuestMemory m, uint32_t fd, uint32_t path, uint32_t path_len);
  Errno PollOneoff(GuestMemory m, uint32_t in, uint32_t out, uint32_t nsubscriptions,
                   uint32_t nevents_out);
  Errno ProcRaise(GuestMemory m, uint32_t sig);
  Errno SchedYield(GuestMemory m);
  Errno RandomGet(GuestMemory m, uint32_t buf, uint32_t buf_len);
  Errno SockAccept(GuestMemory m, uint32_t fd, uint32_t flags, uint32_t fd_out);
  Errno SockRecv(GuestMemory m, uint32_t fd, uint32_t ri_data, uint32_t ri_data_len,
                 uint32_t ri_flags, uint32_t ro_datalen_out, uint32_t ro_flags_out);
  Errno SockSend(GuestMemory m, uint32_t fd, uint32_t si_data, uint32_t si_data_len,
                 uint32_t si_flags, uint32_t so_datalen_out);
  Errno SockShutdown(GuestMemory m, uint32_t fd, uint32_t how);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Returns the WasiCtx of the store that `caller` runs in.
using WasiGetter = std::function<WasiCtx&(CallerBase& caller)>;

/// Defines every `wasi_snapshot_preview1` function in `linker`.
Error AddToLinkerBase(LinkerBase& linker, WasiGetter get);

/// Defines every `wasi_snapshot_preview1` function in `linker`, reaching the WasiCtx
/// through `get` applied to the store's data.
template <typename T>
Error AddToLinker(Linker<T>& linker, WasiCtx& (*get)(T&)) {
  return AddToLinkerBase(linker, [get](CallerBase& caller) -> WasiCtx& {
    return get(*static_cast<T*>(GetStoreUserData(caller.store()->raw())));
  });
}

template <typename X>
bool GuestMemory::Load(uint64_t ptr, X* x) const {
  static_assert(std::endian::native == std::endian::little, "WASI layouts are little-endian");
  uint8_t* p = Get(ptr, sizeof(X));
  if (p == nullptr) return false;
  std::memcpy(x, p, sizeof(X));
  return true;
}
template <typename X>
bool GuestMemory::Store(uint64_t ptr, X x) const {
  static_assert(std::endian::native == std::endian::little, "WASI layouts are little-endian");
  uint8_t* p = Get(ptr, sizeof(X));
  if (p == nullptr) return false;
  std::memcpy(p, &x, sizeof(X));
  return true;
}

}  // namespace weft::wasi
