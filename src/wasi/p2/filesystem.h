// wasi:filesystem@0.2.12 (types, preopens) for the WASI 0.2 host: the C++ mirror of the WIT
// types, the host class FilesystemCtx that implements every function on host file
// descriptors, and AddFilesystemToLinker, which binds them to a component::Linker<T>.
//
// Sandbox (as preview1, src/wasi/sandbox.h): every path goes through ResolvePath beneath the
// descriptor it is relative to; absolute paths, `..` above a preopen, and symlinks leading
// out are refused with error-code `not-permitted` (what wasmtime/cap-std return for an
// escape), readlink-at of an absolute target and symlink-at with an absolute target too.
// Error codes come from errno through ErrorCodeFromErrno, the table wasmtime uses on unix.
// Not thread-safe: one FilesystemCtx per store, used on the store's thread. File I/O is
// synchronous on the calling thread (regular files are always "ready").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "wasi/p2/io.h"
#include "weft/component.h"
#include "weft/error.h"

namespace weft::wasi::p2::fs {

// ---------------------------------------------------------------------------------------------
// WIT types of wasi:filesystem/types@0.2.12 (enums and flags in WIT declaration order).

enum class ErrorCode : uint8_t {
  kAccess, kWouldBlock, kAlready, kBadDescriptor, kBusy, kDeadlock, kQuota, kExist,
  kFileTooLarge, kIllegalByteSequence, kInProgress, kInterrupted, kInvalid, kIo, kIsDirectory,
  kLoop, kTooManyLinks, kMessageSize, kNameTooLong, kNoDevice, kNoEntry, kNoLock,
  kInsufficientMemory, kInsufficientSpace, kNotDirectory, kNotEmpty, kNotRecoverable,
  kUnsupported, kNoTty, kNoSuchDevice, kOverflow, kNotPermitted, kPipe, kReadOnly,
  kInvalidSeek, kTextFileBusy, kCrossDevice,
};
inline constexpr int kErrorCodeCount = 37;
/// The WIT label ("no-entry") of an error code.
const char* ErrorCodeName(ErrorCode c);

/// Host errno → error-code, exactly wasmtime's unix table (crates/wasi/src/filesystem.rs,
/// from_raw_os_error); errno values it does not list (EROFS, EXDEV, ENOSYS, …) become `io`.
ErrorCode ErrorCodeFromErrno(int host_errno);

enum class DescriptorType : uint8_t {
  kUnknown, kBlockDevice, kCharacterDevice, kDirectory, kFifo, kSymbolicLink, kRegularFile,
  kSocket,
};

enum class Advice : uint8_t { kNormal, kSequential, kRandom, kWillNeed, kDontNeed, kNoReuse };

/// flags descriptor-flags.
struct DescriptorFlags {
  static constexpr uint32_t kRead = 1, kWrite = 2, kFileIntegritySync = 4,
                            kDataIntegritySync = 8, kRequestedWriteSync = 16,
                            kMutateDirectory = 32;
  uint32_t bits = 0;
  bool operator==(const DescriptorFlags&) const = default;
};
/// flags path-flags.
struct PathFlags {
  static constexpr uint32_t kSymlinkFollow = 1;
  uint32_t bits = 0;
  bool operator==(const PathFlags&) const = default;
};
/// flags open-flags.
struct OpenFlags {
  static constexpr uint32_t kCreate = 1, kDirectory = 2, kExclusive = 4, kTruncate = 8;
  uint32_t bits = 0;
  bool operator==(const OpenFlags&) const = default;
};

/// wasi:clocks/wall-clock.datetime (seconds since the Unix epoch, nanoseconds < 1e9).
struct Datetime {
  uint64_t seconds = 0;
  uint32_t nanoseconds = 0;
  bool operator==(const Datetime&) const = default;
};

/// variant new-timestamp { no-change, now, timestamp(datetime) }.
struct NewTimestamp {
  enum Kind : uint8_t { kNoChange, kNow, kTimestamp } kind = kNoChange;
  Datetime timestamp;  ///< kTimestamp only
};

struct DescriptorStat {
  DescriptorType type = DescriptorType::kUnknown;
  uint64_t link_count = 0;
  uint64_t size = 0;
  /// None when the host time is before the epoch (datetime is unsigned).
  std::optional<Datetime> data_access_timestamp;
  std::optional<Datetime> data_modification_timestamp;
  /// The inode change time (st_ctim), as the WIT describes it.
  std::optional<Datetime> status_change_timestamp;
};

struct DirectoryEntry {
  DescriptorType type = DescriptorType::kUnknown;
  std::string name;
};

struct MetadataHashValue {
  uint64_t lower = 0;
  uint64_t upper = 0;
  bool operator==(const MetadataHashValue&) const = default;
};

/// Resource tags (component::HostResourceType<Tag>()).
struct DescriptorTag {};
struct DirectoryEntryStreamTag {};

template <typename T>
using FsResult = component::Result<T, ErrorCode>;

// ---------------------------------------------------------------------------------------------
// Host state.

/// A directory offered to the guest (wasi:filesystem/preopens.get-directories).
struct Preopen {
  std::string host_path;
  std::string guest_path;
  /// false: every mutation (create, write, truncate, rename, unlink, set-times, …) fails with
  /// `not-permitted`, as wasmtime's FsPerms::ReadOnly.
  bool writable = true;
};

/// The wasi:filesystem host: preopened directories and the tables of descriptors and
/// directory-entry streams whose reps the guest holds. Functions taking a `uint32_t self`
/// take the rep of a descriptor (the rep inside Borrow<DescriptorTag>); an unknown rep gives
/// `bad-descriptor` (the canonical ABI never passes one). Streams go into `io`'s tables.
class FilesystemCtx {
 public:
  FilesystemCtx();
  ~FilesystemCtx();
  FilesystemCtx(FilesystemCtx&&) noexcept;
  FilesystemCtx& operator=(FilesystemCtx&&) noexcept;

  /// Opens `p.host_path` (a directory) now, so a bad --dir fails before the guest runs.
  /// Errors: kNotFound/kIo naming the path and the host error.
  Error AddPreopen(const Preopen& p);
  size_t preopen_count() const;

  // preopens
  /// A new descriptor for every preopen (each call creates fresh handles), in AddPreopen order.
  std::vector<std::tuple<component::Resource<DescriptorTag>, std::string>> GetDirectories();

  // descriptor
  FsResult<component::Resource<InputStreamTag>> ReadViaStream(WasiP2Ctx& io, uint32_t self,
                                                               uint64_t offset);
  FsResult<component::Resource<OutputStreamTag>> WriteViaStream(WasiP2Ctx& io, uint32_t self,
                                                                 uint64_t offset);
  FsResult<component::Resource<OutputStreamTag>> AppendViaStream(WasiP2Ctx& io, uint32_t self);
  FsResult<void> Advise(uint32_t self, uint64_t offset, uint64_t length, Advice advice);
  FsResult<void> SyncData(uint32_t self);
  FsResult<DescriptorFlags> GetFlags(uint32_t self);
  FsResult<DescriptorType> GetType(uint32_t self);
  FsResult<void> SetSize(uint32_t self, uint64_t size);
  FsResult<void> SetTimes(uint32_t self, NewTimestamp atime, NewTimestamp mtime);
  /// Up to min(length, 64 KiB) bytes at `offset`; the bool is true (end of stream) iff none.
  FsResult<std::tuple<std::vector<uint8_t>, bool>> Read(uint32_t self, uint64_t length,
                                                        uint64_t offset);
  FsResult<uint64_t> Write(uint32_t self, const std::vector<uint8_t>& buffer, uint64_t offset);
  /// Entries are read eagerly (without "." and ".."), each typed as lstat sees it.
  FsResult<component::Resource<DirectoryEntryStreamTag>> ReadDirectory(uint32_t self);
  FsResult<void> Sync(uint32_t self);
  FsResult<void> CreateDirectoryAt(uint32_t self, std::string_view path);
  FsResult<DescriptorStat> Stat(uint32_t self);
  FsResult<DescriptorStat> StatAt(uint32_t self, PathFlags flags, std::string_view path);
  FsResult<void> SetTimesAt(uint32_t self, PathFlags flags, std::string_view path,
                            NewTimestamp atime, NewTimestamp mtime);
  FsResult<void> LinkAt(uint32_t self, PathFlags old_flags, std::string_view old_path,
                        uint32_t new_descriptor, std::string_view new_path);
  FsResult<component::Resource<DescriptorTag>> OpenAt(uint32_t self, PathFlags path_flags,
                                                      std::string_view path,
                                                      OpenFlags open_flags,
                                                      DescriptorFlags flags);
  FsResult<std::string> ReadlinkAt(uint32_t self, std::string_view path);
  FsResult<void> RemoveDirectoryAt(uint32_t self, std::string_view path);
  FsResult<void> RenameAt(uint32_t self, std::string_view old_path, uint32_t new_descriptor,
                          std::string_view new_path);
  FsResult<void> SymlinkAt(uint32_t self, std::string_view old_path, std::string_view new_path);
  FsResult<void> UnlinkFileAt(uint32_t self, std::string_view path);
  bool IsSameObject(uint32_t self, uint32_t other);
  FsResult<MetadataHashValue> MetadataHash(uint32_t self);
  FsResult<MetadataHashValue> MetadataHashAt(uint32_t self, PathFlags flags,
                                             std::string_view path);
  /// resource.drop of a descriptor (the host fd closes once no stream uses it).
  void DropDescriptor(uint32_t self);

  // directory-entry-stream
  FsResult<std::optional<DirectoryEntry>> ReadDirectoryEntry(uint32_t stream);
  void DropDirectoryEntryStream(uint32_t stream);

  /// filesystem-error-code: the error-code of a wasi:io/error (rep in io.errors) that a file
  /// stream produced, or none. File streams end their error messages with "(os error N)"
  /// (the form of Rust's io::Error, which wasmtime reports); that errno is mapped.
  static std::optional<ErrorCode> FilesystemErrorCode(WasiP2Ctx& io, uint32_t error);

  /// Live descriptors and directory-entry streams (for tests and leak checks).
  size_t live_descriptors() const;
  size_t live_dir_streams() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Adds wasi:filesystem/types@0.2.12 and wasi:filesystem/preopens@0.2.12 (imports of any
/// 0.2.x link to them) to `linker`: the descriptor and directory-entry-stream resources and
/// every function. `get` reaches the FilesystemCtx and `io` the WasiP2Ctx whose tables hold
/// the streams and errors (wasi:io must be added too, AddIoToLinker). Errors: duplicate
/// definitions (from the linker).
template <typename T>
Error AddFilesystemToLinker(component::Linker<T>& linker, FilesystemCtx& (*get)(T&),
                            WasiP2Ctx& (*io)(T&));

}  // namespace weft::wasi::p2::fs

namespace weft::wasi::p2 {
using fs::AddFilesystemToLinker;
using fs::FilesystemCtx;
using fs::Preopen;
}  // namespace weft::wasi::p2

#include "wasi/p2/filesystem_linker.h"
