// Confined path resolution beneath a preopened directory (the WASI filesystem sandbox).
//
// Invariant: a path is resolved one component at a time with openat(O_NOFOLLOW); every
// symlink is read with readlinkat and its target spliced into the remaining components, so
// no host call ever follows a symlink or a `..` on its own. `..` above the root, absolute
// paths and absolute symlink targets fail with kNotCapable; more than kMaxSymlinks symlinks
// fail with kLoop. A concurrent host-side swap of a component can only make a later
// O_NOFOLLOW call fail, never escape.
#pragma once

#include <string>
#include <string_view>

#include "wasi/abi.h"

namespace weft::wasi {

inline constexpr int kMaxSymlinks = 40;

/// The parent directory of a resolved path and the final component to apply an *at()
/// call to. Owns dir_fd when it is not the root it was resolved from. Move-only.
class ResolvedPath {
 public:
  ResolvedPath() = default;
  ~ResolvedPath();
  ResolvedPath(ResolvedPath&& o) noexcept { *this = std::move(o); }
  ResolvedPath& operator=(ResolvedPath&& o) noexcept;
  ResolvedPath(const ResolvedPath&) = delete;
  ResolvedPath& operator=(const ResolvedPath&) = delete;

  int dir_fd() const { return dir_fd_; }
  /// The final component, never empty and never containing '/'; "." when the path names
  /// the directory dir_fd itself (e.g. "a/..", ".").
  const std::string& name() const { return name_; }
  /// The path ended in '/': the target must be a directory.
  bool must_be_dir() const { return must_be_dir_; }

 private:
  friend Errno ResolvePath(int, std::string_view, bool, ResolvedPath*);
  int dir_fd_ = -1;
  bool owned_ = false;
  std::string name_;
  bool must_be_dir_ = false;
};

/// Resolves `path` beneath the directory `root_fd` (not consumed). `follow_final`: a final
/// symlink is followed too (a trailing '/' implies it). Returns kSuccess and fills `out`, or
/// the WASI errno (kNoEnt for "", kNotCapable for escapes, kLoop, kNotDir, ...).
Errno ResolvePath(int root_fd, std::string_view path, bool follow_final, ResolvedPath* out);

/// Maps a host errno value to the WASI errno.
Errno ErrnoFromHost(int host_errno);

}  // namespace weft::wasi
