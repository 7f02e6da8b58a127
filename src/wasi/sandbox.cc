// Component-by-component confined path resolution (see sandbox.h for the invariants).
#include "wasi/sandbox.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <vector>

namespace weft::wasi {

ResolvedPath::~ResolvedPath() {
  if (owned_ && dir_fd_ >= 0) close(dir_fd_);
}

ResolvedPath& ResolvedPath::operator=(ResolvedPath&& o) noexcept {
  if (this != &o) {
    if (owned_ && dir_fd_ >= 0) close(dir_fd_);
    dir_fd_ = o.dir_fd_;
    owned_ = o.owned_;
    name_ = std::move(o.name_);
    must_be_dir_ = o.must_be_dir_;
    o.dir_fd_ = -1;
    o.owned_ = false;
  }
  return *this;
}

namespace {

// Splits `path` into components (empty ones dropped), pushing them in front of `comps`.
// Returns whether the path ended with '/'.
bool SpliceComponents(std::string_view path, std::deque<std::string>& comps) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) comps.push_front(std::move(*it));
  return !path.empty() && path.back() == '/';
}

// Reads the symlink `name` in `dir`; false if it is not a symlink (or does not exist).
bool ReadLink(int dir, const std::string& name, std::string* target) {
  char buf[4096];
  ssize_t n = readlinkat(dir, name.c_str(), buf, sizeof buf);
  if (n < 0) return false;
  target->assign(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace

Errno ResolvePath(int root_fd, std::string_view path, bool follow_final, ResolvedPath* out) {
  if (path.empty()) return kNoEnt;
  if (path.find('\0') != std::string_view::npos) return kIlseq;
  if (path.front() == '/') return kNotCapable;
  std::deque<std::string> comps;
  bool must_be_dir = SpliceComponents(path, comps);
  if (must_be_dir) follow_final = true;
  // stack[0] is the root (not owned); the others are directories opened here.
  std::vector<int> stack{root_fd};
  auto cleanup = [&stack] {
    for (size_t i = 1; i < stack.size(); ++i) close(stack[i]);
  };
  int symlinks = 0;
  std::string final_name = ".";
  while (!comps.empty()) {
    std::string c = std::move(comps.front());
    comps.pop_front();
    bool last = comps.empty();
    if (c == ".") continue;
    if (c == "..") {
      if (stack.size() == 1) {
        cleanup();
        return kNotCapable;
      }
      close(stack.back());
      stack.pop_back();
      continue;
    }
    std::string target;
    if (last) {
      if (follow_final && ReadLink(stack.back(), c, &target)) {
        // Fall through to splice the target below.
      } else {
        final_name = std::move(c);
        break;
      }
    } else {
      int fd = openat(stack.back(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        stack.push_back(fd);
        continue;
      }
      int err = errno;
      if ((err != ELOOP && err != ENOTDIR && err != EMLINK) ||
          !ReadLink(stack.back(), c, &target)) {
        cleanup();
        return ErrnoFromHost(err);
      }
    }
    // `c` is a symlink with `target`: continue with its components, relative to the
    // directory that holds it.
    if (++symlinks > kMaxSymlinks) {
      cleanup();
      return kLoop;
    }
    if (target.empty()) {
      cleanup();
      return kNoEnt;
    }
    if (target.front() == '/') {
      cleanup();
      return kNotCapable;
    }
    if (SpliceComponents(target, comps) && last) must_be_dir = true;
    if (comps.empty()) comps.push_back(".");
  }
  *out = ResolvedPath();
  out->dir_fd_ = stack.back();
  out->owned_ = stack.size() > 1;
  for (size_t i = 1; i + 1 < stack.size(); ++i) close(stack[i]);
  out->name_ = std::move(final_name);
  out->must_be_dir_ = must_be_dir;
  return kSuccess;
}

Errno ErrnoFromHost(int e) {
  switch (e) {
    case 0: return kSuccess;
    case E2BIG: return k2Big;
    case EACCES: return kAcces;
    case EADDRINUSE: return kAddrInUse;
    case EADDRNOTAVAIL: return kAddrNotAvail;
    case EAFNOSUPPORT: return kAfNoSupport;
    case EAGAIN: return kAgain;
    case EALREADY: return kAlready;
    case EBADF: return kBadf;
    case EBADMSG: return kBadMsg;
    case EBUSY: return kBusy;
    case ECANCELED: return kCanceled;
    case ECHILD: return kChild;
    case ECONNABORTED: return kConnAborted;
    case ECONNREFUSED: return kConnRefused;
    case ECONNRESET: return kConnReset;
    case EDEADLK: return kDeadlk;
    case EDESTADDRREQ: return kDestAddrReq;
    case EDOM: return kDom;
    case EDQUOT: return kDquot;
    case EEXIST: return kExist;
    case EFAULT: return kFault;
    case EFBIG: return kFbig;
    case EHOSTUNREACH: return kHostUnreach;
    case EIDRM: return kIdrm;
    case EILSEQ: return kIlseq;
    case EINPROGRESS: return kInProgress;
    case EINTR: return kIntr;
    case EINVAL: return kInval;
    case EIO: return kIo;
    case EISCONN: return kIsConn;
    case EISDIR: return kIsDir;
    case ELOOP: return kLoop;
    case EMFILE: return kMfile;
    case EMLINK: return kMlink;
    case EMSGSIZE: return kMsgSize;
    case EMULTIHOP: return kMultihop;
    case ENAMETOOLONG: return kNameTooLong;
    case ENETDOWN: return kNetDown;
    case ENETRESET: return kNetReset;
    case ENETUNREACH: return kNetUnreach;
    case ENFILE: return kNfile;
    case ENOBUFS: return kNoBufs;
    case ENODEV: return kNoDev;
    case ENOENT: return kNoEnt;
    case ENOEXEC: return kNoExec;
    case ENOLCK: return kNoLck;
    case ENOLINK: return kNoLink;
    case ENOMEM: return kNoMem;
    case ENOMSG: return kNoMsg;
    case ENOPROTOOPT: return kNoProtoOpt;
    case ENOSPC: return kNoSpc;
    case ENOSYS: return kNoSys;
    case ENOTCONN: return kNotConn;
    case ENOTDIR: return kNotDir;
    case ENOTEMPTY: return kNotEmpty;
    case ENOTRECOVERABLE: return kNotRecoverable;
    case ENOTSOCK: return kNotSock;
#if defined(ENOTSUP) && (!defined(EOPNOTSUPP) || ENOTSUP != EOPNOTSUPP)
    case ENOTSUP: return kNotSup;
#endif
    case EOPNOTSUPP: return kNotSup;
    case ENOTTY: return kNotTy;
    case ENXIO: return kNxio;
    case EOVERFLOW: return kOverflow;
    case EOWNERDEAD: return kOwnerDead;
    case EPERM: return kPerm;
    case EPIPE: return kPipe;
    case EPROTO: return kProto;
    case EPROTONOSUPPORT: return kProtoNoSupport;
    case EPROTOTYPE: return kProtoType;
    case ERANGE: return kRange;
    case EROFS: return kRofs;
    case ESPIPE: return kSpipe;
    case ESRCH: return kSrch;
    case ESTALE: return kStale;
    case ETIMEDOUT: return kTimedOut;
    case ETXTBSY: return kTxtBsy;
    case EXDEV: return kXdev;
    default: return kIo;
  }
}

}  // namespace weft::wasi
