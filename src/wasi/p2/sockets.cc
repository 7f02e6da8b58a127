// wasi:sockets host classes (sockets.h): POSIX non-blocking sockets whose readiness comes from
// Boost.Asio (posix::stream_descriptor::async_wait), plus name lookup through Asio's resolver.
// Semantics follow the WIT docs and wasmtime's crates/wasi/src/{sockets,p2}/ (state machine,
// validation order, errno mapping, option clamping). Invariant: no call blocks; a would-block
// condition is reported as would-block / zero bytes and waited for through a Pollable.
#include "wasi/p2/sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace weft::wasi::p2 {

namespace {

constexpr size_t kReadChunk = 64 * 1024;   // largest single stream read
constexpr uint64_t kWritePermit = 64 * 1024;
constexpr size_t kMaxDatagramSize = 65535;
constexpr uint64_t kNanosPerSec = 1000000000ull;

const char* const kErrorNames[kNetErrorCodeCount] = {
    "unknown",
    "access-denied",
    "not-supported",
    "invalid-argument",
    "out-of-memory",
    "timeout",
    "concurrency-conflict",
    "not-in-progress",
    "would-block",
    "invalid-state",
    "new-socket-limit",
    "address-not-bindable",
    "address-in-use",
    "remote-unreachable",
    "connection-refused",
    "connection-reset",
    "connection-aborted",
    "datagram-too-large",
    "name-unresolvable",
    "temporary-resolver-failure",
    "permanent-resolver-failure",
};

NetFail Errno(int err) { return NetFail{NetErrorFromErrno(err)}; }
NetFail Fail(NetErrorCode c) { return NetFail{c}; }

/// "<label>: <strerror>": the wasi:io/error debug string of a failed socket stream.
std::string StreamErrorMessage(int err) {
  return std::string(NetErrorCodeName(NetErrorFromErrno(err))) + ": " + std::strerror(err);
}

short PollNow(int fd, short events) {
  pollfd p{fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, 0);
  } while (r < 0 && errno == EINTR);
  return r > 0 ? p.revents : 0;
}

int Family(IpAddressFamily f) { return f == IpAddressFamily::kIpv4 ? AF_INET : AF_INET6; }

socklen_t ToSockaddr(const IpSocketAddress& a, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (a.address.family == IpAddressFamily::kIpv4) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(a.port);
    std::memcpy(&s->sin_addr, a.address.v4.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(a.port);
  s->sin6_flowinfo = htonl(a.flow_info);
  s->sin6_scope_id = a.scope_id;
  for (int i = 0; i < 8; ++i) {
    s->sin6_addr.s6_addr[2 * i] = static_cast<uint8_t>(a.address.v6[i] >> 8);
    s->sin6_addr.s6_addr[2 * i + 1] = static_cast<uint8_t>(a.address.v6[i]);
  }
  return sizeof(sockaddr_in6);
}

IpAddress FromIn6(const in6_addr& in) {
  std::array<uint16_t, 8> g{};
  for (int i = 0; i < 8; ++i) {
    g[i] = static_cast<uint16_t>((in.s6_addr[2 * i] << 8) | in.s6_addr[2 * i + 1]);
  }
  return IpAddress::V6(g);
}

IpSocketAddress FromSockaddr(const sockaddr_storage& ss) {
  IpSocketAddress a;
  if (ss.ss_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
    std::memcpy(a.address.v4.data(), &s->sin_addr, 4);
    a.port = ntohs(s->sin_port);
  } else {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
    a.address = FromIn6(s->sin6_addr);
    a.port = ntohs(s->sin6_port);
    a.flow_info = ntohl(s->sin6_flowinfo);
    a.scope_id = s->sin6_scope_id;
  }
  return a;
}

bool IsV4Mapped(const IpAddress& a) {
  return a.family == IpAddressFamily::kIpv6 && a.v6[0] == 0 && a.v6[1] == 0 && a.v6[2] == 0 &&
         a.v6[3] == 0 && a.v6[4] == 0 && a.v6[5] == 0xffff;
}

/// ipv4-mapped ipv6 → ipv4 (Rust's IpAddr::to_canonical).
IpAddress Canonical(const IpAddress& a) {
  if (!IsV4Mapped(a)) return a;
  return IpAddress::V4(static_cast<uint8_t>(a.v6[6] >> 8), static_cast<uint8_t>(a.v6[6]),
                       static_cast<uint8_t>(a.v6[7] >> 8), static_cast<uint8_t>(a.v6[7]));
}

bool IsUnspecified(const IpAddress& a) {
  if (a.family == IpAddressFamily::kIpv4) return a.v4 == std::array<uint8_t, 4>{};
  return a.v6 == std::array<uint16_t, 8>{};
}

bool IsValidUnicast(const IpAddress& raw) {
  IpAddress a = Canonical(raw);
  if (a.family == IpAddressFamily::kIpv4) {
    bool multicast = (a.v4[0] & 0xf0) == 0xe0;
    bool broadcast = a.v4 == std::array<uint8_t, 4>{255, 255, 255, 255};
    return !multicast && !broadcast;
  }
  return (a.v6[0] & 0xff00) != 0xff00;
}

bool IsValidRemote(const IpSocketAddress& a) {
  return !IsUnspecified(Canonical(a.address)) && a.port != 0;
}

/// ipv4 addresses on ipv4 sockets; ipv6 sockets refuse ipv4-mapped and the deprecated
/// ipv4-compatible forms (the socket is v6-only).
bool IsValidFamily(const IpAddress& a, IpAddressFamily family) {
  if (a.family != family) return false;
  if (family == IpAddressFamily::kIpv4) return true;
  bool compat = a.v6[0] == 0 && a.v6[1] == 0 && a.v6[2] == 0 && a.v6[3] == 0 && a.v6[4] == 0 &&
                a.v6[5] == 0;
  bool loopback_or_unspec = compat && a.v6[6] == 0 && a.v6[7] <= 1;
  if (compat && !loopback_or_unspec) return false;
  return !IsV4Mapped(a);
}

IpSocketAddress UnspecifiedSocketAddress(IpAddressFamily family) {
  IpSocketAddress a;
  a.address.family = family;
  return a;
}

NetResult<IpSocketAddress> SockName(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int r = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
               : ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r != 0) return Errno(errno);
  return NetResult<IpSocketAddress>::Ok(FromSockaddr(ss));
}

/// Bound means "has a local address other than the unspecified one with port 0".
bool HasLocalAddress(int fd) {
  auto r = SockName(fd, false);
  if (!r.ok()) return false;
  return !(IsUnspecified(r.value().address) && r.value().port == 0);
}

NetResult<int> GetIntOpt(int fd, int level, int name) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, level, name, &v, &len) != 0) return Errno(errno);
  return NetResult<int>::Ok(v);
}

NetResult<void> SetIntOpt(int fd, int level, int name, int v) {
  if (::setsockopt(fd, level, name, &v, sizeof v) != 0) return Errno(errno);
  return NetOk();
}

NetResult<uint8_t> GetHopLimit(int fd, IpAddressFamily family) {
  auto r = family == IpAddressFamily::kIpv4 ? GetIntOpt(fd, IPPROTO_IP, IP_TTL)
                                            : GetIntOpt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
  if (!r.ok()) return Fail(r.error());
  if (r.value() < 0 || r.value() > 255) return Fail(NetErrorCode::kNotSupported);
  return NetResult<uint8_t>::Ok(static_cast<uint8_t>(r.value()));
}

NetResult<void> SetHopLimit(int fd, IpAddressFamily family, uint8_t value) {
  // Validated here because OSes disagree (Linux even between its v4 and v6 paths).
  if (value == 0) return Fail(NetErrorCode::kInvalidArgument);
  return family == IpAddressFamily::kIpv4 ? SetIntOpt(fd, IPPROTO_IP, IP_TTL, value)
                                          : SetIntOpt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, value);
}

NetResult<uint64_t> GetBufferSize(int fd, int name) {
  auto r = GetIntOpt(fd, SOL_SOCKET, name);
  if (!r.ok()) return Fail(r.error());
  // Linux reports twice what was set (bookkeeping overhead); halve it back.
  return NetResult<uint64_t>::Ok(static_cast<uint64_t>(r.value()) / 2);
}

NetResult<void> SetBufferSize(int fd, int name, uint64_t value) {
  if (value == 0) return Fail(NetErrorCode::kInvalidArgument);
  int v = static_cast<int>(std::min<uint64_t>(value, INT_MAX));
  // A hint, not a requirement: ENOBUFS (BSDs refusing large values) is not an error.
  if (::setsockopt(fd, SOL_SOCKET, name, &v, sizeof v) != 0 && errno != ENOBUFS) {
    return Errno(errno);
  }
  return NetOk();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Error codes and addresses

std::string_view NetErrorCodeName(NetErrorCode code) {
  auto i = static_cast<uint32_t>(code);
  return i < kNetErrorCodeCount ? kErrorNames[i] : "unknown";
}

NetErrorCode NetErrorFromErrno(int err) {
  switch (err) {
    case EWOULDBLOCK:
#if EAGAIN != EWOULDBLOCK
    case EAGAIN:
#endif
    case EINTR:
      return NetErrorCode::kWouldBlock;
    case EPERM:
    case EACCES:
      return NetErrorCode::kAccessDenied;
    case EADDRINUSE:
      return NetErrorCode::kAddressInUse;
    case EADDRNOTAVAIL:
      return NetErrorCode::kAddressNotBindable;
    case EALREADY:
      return NetErrorCode::kConcurrencyConflict;
    case ETIMEDOUT:
      return NetErrorCode::kTimeout;
    case ECONNREFUSED:
      return NetErrorCode::kConnectionRefused;
    case ECONNRESET:
    case EPIPE:
      return NetErrorCode::kConnectionReset;
    case ECONNABORTED:
      return NetErrorCode::kConnectionAborted;
    case EINVAL:
      return NetErrorCode::kInvalidArgument;
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case ENETUNREACH:
#ifdef ENONET
    case ENONET:
#endif
      return NetErrorCode::kRemoteUnreachable;
    case EISCONN:
    case ENOTCONN:
    case EDESTADDRREQ:
      return NetErrorCode::kInvalidState;
    case ENFILE:
    case EMFILE:
      return NetErrorCode::kNewSocketLimit;
    case EMSGSIZE:
      return NetErrorCode::kDatagramTooLarge;
    case ENOMEM:
    case ENOBUFS:
      return NetErrorCode::kOutOfMemory;
    case EOPNOTSUPP:
    case ENOPROTOOPT:
    case EPFNOSUPPORT:
    case EPROTONOSUPPORT:
    case EPROTOTYPE:
    case ESOCKTNOSUPPORT:
    case EAFNOSUPPORT:
      return NetErrorCode::kNotSupported;
    default:
      return NetErrorCode::kUnknown;
  }
}

std::optional<NetErrorCode> NetErrorCodeFromMessage(std::string_view message) {
  size_t colon = message.find(": ");
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view label = message.substr(0, colon);
  for (uint32_t i = 0; i < kNetErrorCodeCount; ++i) {
    if (label == kErrorNames[i]) return static_cast<NetErrorCode>(i);
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  std::string s(text);
  in_addr a4{};
  if (::inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    IpAddress a;
    std::memcpy(a.v4.data(), &a4, 4);
    return a;
  }
  in6_addr a6{};
  if (::inet_pton(AF_INET6, s.c_str(), &a6) == 1) return FromIn6(a6);
  return std::nullopt;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == IpAddressFamily::kIpv4) {
    ::inet_ntop(AF_INET, v4.data(), buf, sizeof buf);
  } else {
    sockaddr_storage ss;
    IpSocketAddress sa;
    sa.address = *this;
    ToSockaddr(sa, ss);
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

std::string IpSocketAddress::ToString() const {
  if (address.family == IpAddressFamily::kIpv4) {
    return address.ToString() + ":" + std::to_string(port);
  }
  return "[" + address.ToString() + "]:" + std::to_string(port);
}

// ---------------------------------------------------------------------------------------------
// Descriptors and pollables

/// An owned socket descriptor registered with the io_context. Shared by a socket, its
/// streams and its pollables; closed when the last of them goes.
struct SocketFd {
  explicit SocketFd(boost::asio::io_context& io) : desc(io) {}
  int fd() { return desc.native_handle(); }
  boost::asio::posix::stream_descriptor desc;
};

namespace {

NetResult<std::shared_ptr<SocketFd>> NewSocket(SocketsCtx& ctx, IpAddressFamily family,
                                               int type) {
  int fd = ::socket(Family(family), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno(errno);
  if (family == IpAddressFamily::kIpv6) {
    // WIT: "On IPv6 sockets, IPV6_V6ONLY is enabled by default and can't be configured".
    int one = 1;
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
      int e = errno;
      ::close(fd);
      return Errno(e);
    }
  }
  auto s = std::make_shared<SocketFd>(ctx.io());
  boost::system::error_code ec;
  s->desc.assign(fd, ec);
  if (ec) {
    ::close(fd);
    return Errno(ec.value());
  }
  return NetResult<std::shared_ptr<SocketFd>>::Ok(std::move(s));
}

/// Readiness from a predicate; waiting is an Asio wait for the descriptor to become
/// readable or writable (the predicate may then still be false: a spurious wake).
class SockPollable final : public Pollable {
 public:
  SockPollable(std::shared_ptr<SocketFd> fd, bool write, std::function<bool()> ready)
      : fd_(std::move(fd)), write_(write), ready_(std::move(ready)) {}
  bool Ready() override { return ready_(); }
  void Wait(boost::asio::io_context& io, std::function<void()> wake) override {
    // Asio registers descriptors edge-triggered: readiness that arose before this wait was
    // queued may never be reported again, so re-check first.
    if (ready_()) {
      boost::asio::post(io, std::move(wake));
      return;
    }
    auto kind = write_ ? boost::asio::posix::stream_descriptor::wait_write
                       : boost::asio::posix::stream_descriptor::wait_read;
    fd_->desc.async_wait(kind,
                         [wake = std::move(wake)](const boost::system::error_code&) { wake(); });
  }

 private:
  std::shared_ptr<SocketFd> fd_;
  bool write_;
  std::function<bool()> ready_;
};

class AlwaysReady final : public Pollable {
 public:
  bool Ready() override { return true; }
  void Wait(boost::asio::io_context& io, std::function<void()> wake) override {
    boost::asio::post(io, std::move(wake));
  }
};

std::shared_ptr<Pollable> Readable(const std::shared_ptr<SocketFd>& fd) {
  return std::make_shared<SockPollable>(fd, false, [f = fd.get()] {
    return PollNow(f->fd(), POLLIN) != 0;
  });
}

std::shared_ptr<Pollable> Writable(const std::shared_ptr<SocketFd>& fd) {
  return std::make_shared<SockPollable>(fd, true, [f = fd.get()] {
    return PollNow(f->fd(), POLLOUT) != 0;
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TCP streams

/// The connected state shared by a TCP socket and its two streams.
struct TcpConn {
  std::shared_ptr<SocketFd> fd;
  bool recv_closed = false;
  bool send_closed = false;
  std::string send_failure;  // reported once by the next output-stream call
  std::vector<uint8_t> pending;  // accepted by Write, not yet taken by the kernel
  size_t pending_off = 0;
  bool shut_after_drain = false;  // shutdown(SHUT_WR) once `pending` is delivered
  bool drain_queued = false;      // a DrainInBackground wait is outstanding
};

namespace {

void ShutWrite(TcpConn& c) { ::shutdown(c.fd->fd(), SHUT_WR); }

/// Hands pending bytes to the kernel until it would block. Errors close the send side.
void TryDrain(TcpConn& c) {
  while (c.pending_off < c.pending.size()) {
    ssize_t n = ::send(c.fd->fd(), c.pending.data() + c.pending_off,
                       c.pending.size() - c.pending_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      c.pending_off += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    // EPIPE: the peer is gone or we shut down; the stream just ends.
    if (errno != EPIPE) c.send_failure = StreamErrorMessage(errno);
    c.send_closed = true;
    c.pending.clear();
    c.pending_off = 0;
    return;
  }
  c.pending.clear();
  c.pending_off = 0;
  if (c.shut_after_drain) {
    c.shut_after_drain = false;
    ShutWrite(c);
  }
}

/// Delivers pending bytes as the kernel takes them, whether or not the guest polls again
/// (a guest may write, skip the flush, and wait for the reply), and after the guest let go
/// of the stream. At most one wait is queued per connection.
void DrainInBackground(std::shared_ptr<TcpConn> c) {
  TryDrain(*c);
  if (c->pending.empty() || c->drain_queued) return;
  c->drain_queued = true;
  auto* fd = c->fd.get();
  fd->desc.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                      [c = std::move(c)](const boost::system::error_code& ec) {
                        c->drain_queued = false;
                        if (!ec) DrainInBackground(c);
                      });
}

/// Ends the send side: no more writes; bytes already accepted are still delivered.
void CloseSend(const std::shared_ptr<TcpConn>& c) {
  if (c->send_closed) return;
  c->send_closed = true;
  c->shut_after_drain = true;
  DrainInBackground(c);
}

class TcpInputStream final : public InputStream {
 public:
  explicit TcpInputStream(std::shared_ptr<TcpConn> c) : c_(std::move(c)) {}
  ~TcpInputStream() override {
    if (!c_->recv_closed) {
      c_->recv_closed = true;
      ::shutdown(c_->fd->fd(), SHUT_RD);
    }
  }
  StreamStatus Read(uint64_t max, std::vector<uint8_t>& out) override {
    if (c_->recv_closed) return StreamStatus::Closed();
    if (max == 0) return StreamStatus::Ok();
    size_t want = static_cast<size_t>(std::min<uint64_t>(max, kReadChunk));
    size_t old = out.size();
    out.resize(old + want);
    ssize_t n;
    do {
      n = ::recv(c_->fd->fd(), out.data() + old, want, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      out.resize(old + static_cast<size_t>(n));
      return StreamStatus::Ok();
    }
    out.resize(old);
    if (n == 0) {
      c_->recv_closed = true;
      return StreamStatus::Closed();
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return StreamStatus::Ok();
    c_->recv_closed = true;
    return StreamStatus::Failed(StreamErrorMessage(errno));
  }
  std::shared_ptr<Pollable> Subscribe() override {
    return std::make_shared<SockPollable>(c_->fd, false, [c = c_] {
      return c->recv_closed || PollNow(c->fd->fd(), POLLIN) != 0;
    });
  }

 private:
  std::shared_ptr<TcpConn> c_;
};

class TcpOutputStream final : public OutputStream {
 public:
  explicit TcpOutputStream(std::shared_ptr<TcpConn> c) : c_(std::move(c)) {}
  ~TcpOutputStream() override { CloseSend(c_); }
  StreamStatus CheckWrite(uint64_t& permitted) override {
    permitted = 0;
    TryDrain(*c_);
    if (auto s = Status(); s.kind != StreamStatus::kOk) return s;
    if (c_->pending.empty() && PollNow(c_->fd->fd(), POLLOUT) != 0) permitted = kWritePermit;
    return StreamStatus::Ok();
  }
  StreamStatus Write(std::span<const uint8_t> bytes) override {
    if (auto s = Status(); s.kind != StreamStatus::kOk) return s;
    if (bytes.empty()) return StreamStatus::Ok();
    size_t done = 0;
    if (c_->pending.empty()) {
      while (done < bytes.size()) {
        ssize_t n = ::send(c_->fd->fd(), bytes.data() + done, bytes.size() - done,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
          done += static_cast<size_t>(n);
          continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EPIPE) {
          c_->send_closed = true;
          return StreamStatus::Closed();
        }
        c_->send_closed = true;
        return StreamStatus::Failed(StreamErrorMessage(errno));
      }
    }
    if (done < bytes.size()) {
      c_->pending.insert(c_->pending.end(), bytes.begin() + static_cast<ptrdiff_t>(done),
                         bytes.end());
      DrainInBackground(c_);
    }
    return StreamStatus::Ok();
  }
  StreamStatus Flush() override {
    // Bytes go to the kernel as soon as it takes them; Subscribe() is ready once they have.
    TryDrain(*c_);
    return Status();
  }
  std::shared_ptr<Pollable> Subscribe() override {
    return std::make_shared<SockPollable>(c_->fd, true, [c = c_] {
      TryDrain(*c);
      return c->send_closed || (c->pending.empty() && PollNow(c->fd->fd(), POLLOUT) != 0);
    });
  }

 private:
  StreamStatus Status() {
    if (!c_->send_failure.empty()) {
      std::string m = std::move(c_->send_failure);
      c_->send_failure.clear();
      return StreamStatus::Failed(std::move(m));
    }
    if (c_->send_closed) return StreamStatus::Closed();
    return StreamStatus::Ok();
  }
  std::shared_ptr<TcpConn> c_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// TcpSocket

struct TcpSocket::Private {};

TcpSocket::TcpSocket(const Private&, SocketsCtx& ctx, IpAddressFamily family,
                     std::shared_ptr<SocketFd> fd)
    : ctx_(&ctx), family_(family), fd_(std::move(fd)) {}

TcpSocket::~TcpSocket() = default;

NetResult<std::shared_ptr<TcpSocket>> TcpSocket::Create(SocketsCtx& ctx,
                                                        IpAddressFamily family) {
  if (!ctx.policy().allow_tcp) return Fail(NetErrorCode::kAccessDenied);
  auto fd = NewSocket(ctx, family, SOCK_STREAM);
  if (!fd.ok()) return Fail(fd.error());
  return NetResult<std::shared_ptr<TcpSocket>>::Ok(
      std::make_shared<TcpSocket>(Private{}, ctx, family, std::move(fd.value())));
}

bool TcpSocket::IsBound() {
  if (!bound_) bound_ = state_ != State::kDefault || HasLocalAddress(fd_->fd());
  return bound_;
}

NetResult<int> TcpSocket::Fd() const {
  if (state_ == State::kConnecting) return Fail(NetErrorCode::kInvalidState);
  if (state_ == State::kClosed) return Fail(closed_error_);
  return NetResult<int>::Ok(fd_->fd());
}

TcpSocket::Streams TcpSocket::MakeStreams() {
  conn_ = std::make_shared<TcpConn>();
  conn_->fd = fd_;
  return {std::make_shared<TcpInputStream>(conn_), std::make_shared<TcpOutputStream>(conn_)};
}

NetResult<void> TcpSocket::StartBind(const IpSocketAddress& local) {
  if (op_ != Op::kNone) return Fail(NetErrorCode::kConcurrencyConflict);
  if (state_ != State::kDefault || IsBound()) return Fail(NetErrorCode::kInvalidState);
  if (!IsValidUnicast(local.address) || !IsValidFamily(local.address, family_)) {
    return Fail(NetErrorCode::kInvalidArgument);
  }
  if (!ctx_->Allowed(local, SocketAddrUse::kTcpBind)) return Fail(NetErrorCode::kAccessDenied);
  // WIT: binding must not be affected by TIME_WAIT of a recently closed socket.
  int one = 1;
  ::setsockopt(fd_->fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(local, ss);
  if (::bind(fd_->fd(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno == EAFNOSUPPORT) return Fail(NetErrorCode::kInvalidArgument);
    return Errno(errno);
  }
  bound_ = true;
  op_ = Op::kBind;
  return NetOk();
}

NetResult<void> TcpSocket::FinishBind() {
  if (op_ != Op::kBind) return Fail(NetErrorCode::kNotInProgress);
  op_ = Op::kNone;
  return NetOk();
}

NetResult<void> TcpSocket::StartConnect(const IpSocketAddress& remote) {
  if (op_ != Op::kNone) return Fail(NetErrorCode::kConcurrencyConflict);
  if (state_ != State::kDefault) return Fail(NetErrorCode::kInvalidState);
  if (!IsValidUnicast(remote.address) || !IsValidRemote(remote) ||
      !IsValidFamily(remote.address, family_)) {
    return Fail(NetErrorCode::kInvalidArgument);
  }
  // An unbound socket is bound implicitly by connect: that needs bind permission too.
  if (!IsBound() && !ctx_->Allowed(UnspecifiedSocketAddress(family_), SocketAddrUse::kTcpBind)) {
    return Fail(NetErrorCode::kAccessDenied);
  }
  if (!ctx_->Allowed(remote, SocketAddrUse::kTcpConnect)) {
    return Fail(NetErrorCode::kAccessDenied);
  }
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(remote, ss);
  int r = ::connect(fd_->fd(), reinterpret_cast<sockaddr*>(&ss), len);
  if (r == 0) {
    connect_done_ = true;
    connect_errno_ = 0;
  } else if (errno == EINPROGRESS || errno == EINTR) {
    connect_done_ = false;
  } else {
    // Reported by finish-connect, as for an asynchronous failure.
    connect_done_ = true;
    connect_errno_ = errno;
  }
  state_ = State::kConnecting;
  op_ = Op::kConnect;
  return NetOk();
}

NetResult<TcpSocket::Streams> TcpSocket::FinishConnect() {
  if (op_ != Op::kConnect) return Fail(NetErrorCode::kNotInProgress);
  int err = connect_errno_;
  if (!connect_done_) {
    if (PollNow(fd_->fd(), POLLOUT) == 0) return Fail(NetErrorCode::kWouldBlock);
    auto so = GetIntOpt(fd_->fd(), SOL_SOCKET, SO_ERROR);
    err = so.ok() ? so.value() : EINVAL;
  }
  op_ = Op::kNone;
  if (err != 0) {
    state_ = State::kClosed;
    closed_error_ = NetErrorFromErrno(err);
    return Fail(closed_error_);
  }
  state_ = State::kConnected;
  bound_ = true;
  return NetResult<Streams>::Ok(MakeStreams());
}

NetResult<void> TcpSocket::StartListen() {
  if (op_ != Op::kNone) return Fail(NetErrorCode::kConcurrencyConflict);
  if (state_ != State::kDefault) return Fail(NetErrorCode::kInvalidState);
  // WASI 0.2: sockets must be bound explicitly before listening.
  if (!IsBound()) return Fail(NetErrorCode::kInvalidState);
  auto local = SockName(fd_->fd(), false);
  if (!local.ok()) return Fail(local.error());
  if (!ctx_->Allowed(local.value(), SocketAddrUse::kTcpListen)) {
    return Fail(NetErrorCode::kAccessDenied);
  }
  if (::listen(fd_->fd(), static_cast<int>(backlog_)) != 0) return Errno(errno);
  state_ = State::kListening;
  op_ = Op::kListen;
  return NetOk();
}

NetResult<void> TcpSocket::FinishListen() {
  if (op_ != Op::kListen) return Fail(NetErrorCode::kNotInProgress);
  op_ = Op::kNone;
  return NetOk();
}

NetResult<TcpSocket::Accepted> TcpSocket::Accept() {
  if (state_ != State::kListening) return Fail(NetErrorCode::kInvalidState);
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int nfd = ::accept4(fd_->fd(), reinterpret_cast<sockaddr*>(&ss), &len,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (nfd < 0) {
      switch (errno) {
        case EINTR:
          continue;
        // Linux passes already-pending network errors of the new connection to accept();
        // other systems report them on the connection. Normalise (as wasmtime does).
        case ECONNRESET:
        case ENETRESET:
        case EHOSTUNREACH:
        case EHOSTDOWN:
        case ENETDOWN:
        case ENETUNREACH:
        case EPROTO:
        case ENOPROTOOPT:
#ifdef ENONET
        case ENONET:
#endif
        case EOPNOTSUPP:
          return Fail(NetErrorCode::kConnectionAborted);
        default:
          return Errno(errno);
      }
    }
    if (!ctx_->Allowed(FromSockaddr(ss), SocketAddrUse::kTcpAccept)) {
      linger l{1, 0};  // refuse with a reset, then keep accepting
      ::setsockopt(nfd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      ::close(nfd);
      continue;
    }
    auto sfd = std::make_shared<SocketFd>(ctx_->io());
    boost::system::error_code ec;
    sfd->desc.assign(nfd, ec);
    if (ec) {
      ::close(nfd);
      return Errno(ec.value());
    }
    auto s = std::make_shared<TcpSocket>(Private{}, *ctx_, family_, std::move(sfd));
    s->state_ = State::kConnected;
    s->bound_ = true;
    Streams st = s->MakeStreams();
    Accepted a{std::move(s), std::move(st.first), std::move(st.second)};
    return NetResult<Accepted>::Ok(std::move(a));
  }
}

NetResult<IpSocketAddress> TcpSocket::LocalAddress() {
  if (!IsBound()) return Fail(NetErrorCode::kInvalidState);
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  return SockName(fd.value(), false);
}

NetResult<IpSocketAddress> TcpSocket::RemoteAddress() {
  if (state_ == State::kClosed) return Fail(closed_error_);
  if (state_ != State::kConnected) return Fail(NetErrorCode::kInvalidState);
  return SockName(fd_->fd(), true);
}

bool TcpSocket::IsListening() const { return state_ == State::kListening; }

NetResult<void> TcpSocket::SetListenBacklogSize(uint64_t value) {
  if (value == 0) return Fail(NetErrorCode::kInvalidArgument);
  // Clamped silently, as operating systems do.
  auto v = static_cast<uint32_t>(std::min<uint64_t>(value, INT_MAX));
  switch (state_) {
    case State::kDefault:
      backlog_ = v;
      return NetOk();
    case State::kListening:
      // Linux accepts a second listen() to change the backlog; elsewhere not-supported.
      if (::listen(fd_->fd(), static_cast<int>(v)) != 0) return Fail(NetErrorCode::kNotSupported);
      backlog_ = v;
      return NetOk();
    case State::kClosed:
      return Fail(closed_error_);
    default:
      return Fail(NetErrorCode::kInvalidState);
  }
}

NetResult<bool> TcpSocket::KeepAliveEnabled() {
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  auto r = GetIntOpt(fd.value(), SOL_SOCKET, SO_KEEPALIVE);
  if (!r.ok()) return Fail(r.error());
  return NetResult<bool>::Ok(r.value() != 0);
}

NetResult<void> TcpSocket::SetKeepAliveEnabled(bool value) {
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  return SetIntOpt(fd.value(), SOL_SOCKET, SO_KEEPALIVE, value ? 1 : 0);
}

namespace {

NetResult<uint64_t> GetSeconds(NetResult<int> fd, int name) {
  if (!fd.ok()) return Fail(fd.error());
  auto r = GetIntOpt(fd.value(), IPPROTO_TCP, name);
  if (!r.ok()) return Fail(r.error());
  return NetResult<uint64_t>::Ok(static_cast<uint64_t>(r.value()) * kNanosPerSec);
}

NetResult<void> SetSeconds(NetResult<int> fd, int name, uint64_t ns) {
  // WIT: 0 is invalid-argument. Clamped so the syscall never sees 0 s, and to Linux' maximum.
  if (ns == 0) return Fail(NetErrorCode::kInvalidArgument);
  if (!fd.ok()) return Fail(fd.error());
  uint64_t secs = std::clamp<uint64_t>(ns, kNanosPerSec, 32767 * kNanosPerSec) / kNanosPerSec;
  return SetIntOpt(fd.value(), IPPROTO_TCP, name, static_cast<int>(secs));
}

}  // namespace

NetResult<uint64_t> TcpSocket::KeepAliveIdleTime() { return GetSeconds(Fd(), TCP_KEEPIDLE); }
NetResult<void> TcpSocket::SetKeepAliveIdleTime(uint64_t ns) {
  return SetSeconds(Fd(), TCP_KEEPIDLE, ns);
}
NetResult<uint64_t> TcpSocket::KeepAliveInterval() { return GetSeconds(Fd(), TCP_KEEPINTVL); }
NetResult<void> TcpSocket::SetKeepAliveInterval(uint64_t ns) {
  return SetSeconds(Fd(), TCP_KEEPINTVL, ns);
}

NetResult<uint32_t> TcpSocket::KeepAliveCount() {
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  auto r = GetIntOpt(fd.value(), IPPROTO_TCP, TCP_KEEPCNT);
  if (!r.ok()) return Fail(r.error());
  return NetResult<uint32_t>::Ok(static_cast<uint32_t>(r.value()));
}

NetResult<void> TcpSocket::SetKeepAliveCount(uint32_t value) {
  if (value == 0) return Fail(NetErrorCode::kInvalidArgument);
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  return SetIntOpt(fd.value(), IPPROTO_TCP, TCP_KEEPCNT,
                   static_cast<int>(std::clamp<uint32_t>(value, 1, 127)));
}

NetResult<uint8_t> TcpSocket::HopLimit() {
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  return GetHopLimit(fd.value(), family_);
}

NetResult<void> TcpSocket::SetHopLimit(uint8_t value) {
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  return p2::SetHopLimit(fd.value(), family_, value);
}

NetResult<uint64_t> TcpSocket::ReceiveBufferSize() {
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  return GetBufferSize(fd.value(), SO_RCVBUF);
}
NetResult<void> TcpSocket::SetReceiveBufferSize(uint64_t value) {
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  return SetBufferSize(fd.value(), SO_RCVBUF, value);
}
NetResult<uint64_t> TcpSocket::SendBufferSize() {
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  return GetBufferSize(fd.value(), SO_SNDBUF);
}
NetResult<void> TcpSocket::SetSendBufferSize(uint64_t value) {
  auto fd = Fd();
  if (!fd.ok()) return Fail(fd.error());
  return SetBufferSize(fd.value(), SO_SNDBUF, value);
}

/// tcp-socket.subscribe: readiness follows the socket's state at the time of each check.
class TcpSocketPollable final : public Pollable {
 public:
  explicit TcpSocketPollable(std::weak_ptr<TcpSocket> s) : s_(std::move(s)) {}
  bool Ready() override {
    auto s = s_.lock();
    if (!s) return true;
    if (Connecting(*s)) return PollNow(s->fd_->fd(), POLLOUT) != 0;
    if (s->state_ == TcpSocket::State::kListening) return PollNow(s->fd_->fd(), POLLIN) != 0;
    return true;
  }
  void Wait(boost::asio::io_context& io, std::function<void()> wake) override {
    auto s = s_.lock();
    if (!s || Ready()) {
      boost::asio::post(io, std::move(wake));
      return;
    }
    auto kind = Connecting(*s) ? boost::asio::posix::stream_descriptor::wait_write
                               : boost::asio::posix::stream_descriptor::wait_read;
    s->fd_->desc.async_wait(kind,
                            [wake = std::move(wake)](const boost::system::error_code&) { wake(); });
  }

 private:
  static bool Connecting(const TcpSocket& s) {
    return s.state_ == TcpSocket::State::kConnecting && !s.connect_done_;
  }
  std::weak_ptr<TcpSocket> s_;
};

std::shared_ptr<Pollable> TcpSocket::Subscribe() {
  return std::make_shared<TcpSocketPollable>(weak_from_this());
}

NetResult<void> TcpSocket::Shutdown(ShutdownType how) {
  if (state_ == State::kClosed) return Fail(closed_error_);
  if (state_ != State::kConnected || !conn_) return Fail(NetErrorCode::kInvalidState);
  if (how != ShutdownType::kSend && !conn_->recv_closed) {
    conn_->recv_closed = true;
    ::shutdown(fd_->fd(), SHUT_RD);
  }
  if (how != ShutdownType::kReceive) CloseSend(conn_);
  return NetOk();
}

// ---------------------------------------------------------------------------------------------
// UDP

struct UdpSocket::Private {};

UdpSocket::UdpSocket(const Private&, SocketsCtx& ctx, IpAddressFamily family,
                     std::shared_ptr<SocketFd> fd)
    : ctx_(&ctx), family_(family), fd_(std::move(fd)) {}

UdpSocket::~UdpSocket() = default;

NetResult<std::shared_ptr<UdpSocket>> UdpSocket::Create(SocketsCtx& ctx,
                                                        IpAddressFamily family) {
  if (!ctx.policy().allow_udp) return Fail(NetErrorCode::kAccessDenied);
  auto fd = NewSocket(ctx, family, SOCK_DGRAM);
  if (!fd.ok()) return Fail(fd.error());
  return NetResult<std::shared_ptr<UdpSocket>>::Ok(
      std::make_shared<UdpSocket>(Private{}, ctx, family, std::move(fd.value())));
}

bool UdpSocket::IsBound() {
  if (!bound_) bound_ = HasLocalAddress(fd_->fd());
  return bound_;
}

NetResult<void> UdpSocket::StartBind(const IpSocketAddress& local) {
  if (bind_in_progress_) return Fail(NetErrorCode::kConcurrencyConflict);
  if (IsBound()) return Fail(NetErrorCode::kInvalidState);
  if (!IsValidFamily(local.address, family_)) return Fail(NetErrorCode::kInvalidArgument);
  if (!ctx_->Allowed(local, SocketAddrUse::kUdpBind)) return Fail(NetErrorCode::kAccessDenied);
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(local, ss);
  if (::bind(fd_->fd(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno == EAFNOSUPPORT) return Fail(NetErrorCode::kInvalidArgument);
    return Errno(errno);
  }
  bound_ = true;
  bind_in_progress_ = true;
  return NetOk();
}

NetResult<void> UdpSocket::FinishBind() {
  if (!bind_in_progress_) return Fail(NetErrorCode::kNotInProgress);
  bind_in_progress_ = false;
  return NetOk();
}

namespace {

int Disconnect(int fd) {
  sockaddr_storage ss{};
  ss.ss_family = AF_UNSPEC;
  return ::connect(fd, reinterpret_cast<sockaddr*>(&ss), sizeof(sockaddr_in6));
}

}  // namespace

Expected<NetResult<UdpSocket::Streams>> UdpSocket::Stream(
    const std::optional<IpSocketAddress>& remote) {
  if (!incoming_.expired() || !outgoing_.expired()) {
    return Error::Make(weft::ErrorCode::kTrap,
                       "udp-socket.stream: the previous datagram streams have not been dropped");
  }
  if (!IsBound()) return NetResult<Streams>(Fail(NetErrorCode::kInvalidState));
  if (remote) {
    if (!IsValidFamily(remote->address, family_) || !IsValidRemote(*remote)) {
      return NetResult<Streams>(Fail(NetErrorCode::kInvalidArgument));
    }
    if (!ctx_->Allowed(*remote, SocketAddrUse::kUdpConnect)) {
      return NetResult<Streams>(Fail(NetErrorCode::kAccessDenied));
    }
    sockaddr_storage ss;
    socklen_t len = ToSockaddr(*remote, ss);
    int r = ::connect(fd_->fd(), reinterpret_cast<sockaddr*>(&ss), len);
    if (r != 0 && errno == EINVAL) {
      // Linux refuses some reconnects with EINVAL; disconnecting first helps.
      Disconnect(fd_->fd());
      r = ::connect(fd_->fd(), reinterpret_cast<sockaddr*>(&ss), len);
    }
    int err = r != 0 ? errno : 0;
    auto peer = SockName(fd_->fd(), true);
    remote_ = peer.ok() ? std::optional<IpSocketAddress>(peer.value()) : std::nullopt;
    if (err != 0) {
      if (err == EAFNOSUPPORT) err = EINVAL;
      return NetResult<Streams>(Errno(err));
    }
  } else if (remote_) {
    if (Disconnect(fd_->fd()) != 0 && errno != EAFNOSUPPORT) {
      return NetResult<Streams>(Errno(errno));
    }
    remote_.reset();
  }
  auto in = std::make_shared<IncomingDatagramStream>(*ctx_, fd_);
  auto out = std::make_shared<OutgoingDatagramStream>(*ctx_, fd_, family_, remote_);
  incoming_ = in;
  outgoing_ = out;
  return NetResult<Streams>::Ok(Streams{std::move(in), std::move(out)});
}

NetResult<IpSocketAddress> UdpSocket::LocalAddress() {
  if (!IsBound()) return Fail(NetErrorCode::kInvalidState);
  return SockName(fd_->fd(), false);
}

NetResult<IpSocketAddress> UdpSocket::RemoteAddress() {
  if (!remote_) return Fail(NetErrorCode::kInvalidState);
  return NetResult<IpSocketAddress>::Ok(*remote_);
}

NetResult<uint8_t> UdpSocket::UnicastHopLimit() { return GetHopLimit(fd_->fd(), family_); }
NetResult<void> UdpSocket::SetUnicastHopLimit(uint8_t value) {
  return p2::SetHopLimit(fd_->fd(), family_, value);
}
NetResult<uint64_t> UdpSocket::ReceiveBufferSize() { return GetBufferSize(fd_->fd(), SO_RCVBUF); }
NetResult<void> UdpSocket::SetReceiveBufferSize(uint64_t value) {
  return SetBufferSize(fd_->fd(), SO_RCVBUF, value);
}
NetResult<uint64_t> UdpSocket::SendBufferSize() { return GetBufferSize(fd_->fd(), SO_SNDBUF); }
NetResult<void> UdpSocket::SetSendBufferSize(uint64_t value) {
  return SetBufferSize(fd_->fd(), SO_SNDBUF, value);
}

std::shared_ptr<Pollable> UdpSocket::Subscribe() { return std::make_shared<AlwaysReady>(); }

NetResult<std::vector<IncomingDatagram>> IncomingDatagramStream::Receive(uint64_t max_results) {
  std::vector<IncomingDatagram> out;
  uint64_t max = std::min(max_results, kMaxDatagramsPerCall);
  std::vector<uint8_t> buf(kMaxDatagramSize);
  while (out.size() < max) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ssize_t n = ::recvfrom(fd_->fd(), buf.data(), buf.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (!out.empty()) break;  // WIT: no error once something was received
      return Errno(errno);
    }
    IpSocketAddress from = FromSockaddr(ss);
    if (!ctx_->Allowed(from, SocketAddrUse::kUdpReceive)) continue;
    IncomingDatagram d;
    d.data.assign(buf.begin(), buf.begin() + n);
    d.remote_address = from;
    out.push_back(std::move(d));
  }
  return NetResult<std::vector<IncomingDatagram>>::Ok(std::move(out));
}

std::shared_ptr<Pollable> IncomingDatagramStream::Subscribe() { return Readable(fd_); }

NetResult<uint64_t> OutgoingDatagramStream::CheckSend() {
  // The kernel's send buffer takes whole datagrams; any room is enough for the first.
  permit_ = PollNow(fd_->fd(), POLLOUT) != 0 ? kMaxDatagramsPerCall : 0;
  return NetResult<uint64_t>::Ok(permit_);
}

Expected<NetResult<uint64_t>> OutgoingDatagramStream::Send(
    const std::vector<OutgoingDatagram>& datagrams) {
  if (datagrams.empty()) return NetResult<uint64_t>::Ok(0);
  if (datagrams.size() > permit_) {
    return Error::Make(weft::ErrorCode::kTrap,
                       "outgoing-datagram-stream.send: " + std::to_string(datagrams.size()) +
                           " datagrams exceed the " + std::to_string(permit_) +
                           " permitted by check-send");
  }
  // WIT: each send must be permitted by a preceding check-send.
  permit_ = 0;
  uint64_t count = 0;
  for (const OutgoingDatagram& d : datagrams) {
    NetErrorCode err = NetErrorCode::kUnknown;
    bool failed = true;
    bool blocked = false;
    if (d.data.size() > kMaxDatagramSize) {
      err = NetErrorCode::kDatagramTooLarge;
    } else if (d.remote_address && (!IsValidRemote(*d.remote_address) ||
                                    !IsValidFamily(d.remote_address->address, family_))) {
      err = NetErrorCode::kInvalidArgument;
    } else if (d.remote_address && remote_ &&
               (!(d.remote_address->address == remote_->address) ||
                d.remote_address->port != remote_->port)) {
      err = NetErrorCode::kInvalidArgument;
    } else if (!d.remote_address && !remote_) {
      err = NetErrorCode::kInvalidArgument;
    } else if (!ctx_->Allowed(d.remote_address ? *d.remote_address : *remote_,
                              SocketAddrUse::kUdpSend)) {
      err = NetErrorCode::kAccessDenied;
    } else {
      ssize_t n;
      do {
        if (remote_) {
          n = ::send(fd_->fd(), d.data.data(), d.data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        } else {
          sockaddr_storage ss;
          socklen_t len = ToSockaddr(*d.remote_address, ss);
          n = ::sendto(fd_->fd(), d.data.data(), d.data.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                       reinterpret_cast<sockaddr*>(&ss), len);
        }
      } while (n < 0 && errno == EINTR);
      if (n >= 0) {
        failed = false;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        blocked = true;
      } else {
        err = NetErrorFromErrno(errno);
      }
    }
    if (blocked) break;
    if (failed) {
      // WIT: once at least one datagram was sent, send never returns an error.
      if (count > 0) break;
      return NetResult<uint64_t>(NetFail{err});
    }
    ++count;
  }
  return NetResult<uint64_t>::Ok(count);
}

std::shared_ptr<Pollable> OutgoingDatagramStream::Subscribe() { return Writable(fd_); }

// ---------------------------------------------------------------------------------------------
// Name lookup

struct ResolveAddressStream::State {
  bool done = false;
  std::vector<IpAddress> addresses;
  size_t next = 0;
  std::optional<NetErrorCode> error;
  std::vector<std::function<void()>> waiters;
  std::unique_ptr<boost::asio::ip::udp::resolver> resolver;

  void Finish() {
    done = true;
    auto w = std::move(waiters);
    waiters.clear();
    for (auto& f : w) f();
  }
  void Add(IpAddress a) {
    a = Canonical(a);
    if (std::find(addresses.begin(), addresses.end(), a) == addresses.end()) {
      addresses.push_back(a);
    }
  }
};

namespace {

class ResolvePollable final : public Pollable {
 public:
  explicit ResolvePollable(std::shared_ptr<ResolveAddressStream::State> s) : s_(std::move(s)) {}
  bool Ready() override { return s_->done; }
  void Wait(boost::asio::io_context& io, std::function<void()> wake) override {
    if (s_->done) {
      boost::asio::post(io, std::move(wake));
      return;
    }
    s_->waiters.push_back(std::move(wake));
  }

 private:
  std::shared_ptr<ResolveAddressStream::State> s_;
};

NetErrorCode ResolverError(const boost::system::error_code& ec) {
  namespace e = boost::asio::error;
  if (ec == e::host_not_found || ec == e::no_data) return NetErrorCode::kNameUnresolvable;
  if (ec == e::host_not_found_try_again) return NetErrorCode::kTemporaryResolverFailure;
  return NetErrorCode::kPermanentResolverFailure;
}

/// A syntactically acceptable DNS name (the checks url::Host::parse makes that matter here).
bool IsValidHostName(std::string_view name) {
  if (name.empty() || name.size() > 253 + 1) return false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view(" #%/:<>?@[\\]^|").find(ch) != std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

NetResult<std::optional<IpAddress>> ResolveAddressStream::ResolveNextAddress() {
  if (!state_->done) return Fail(NetErrorCode::kWouldBlock);
  if (state_->error) {
    NetErrorCode e = *state_->error;
    state_->error.reset();
    return Fail(e);
  }
  if (state_->next >= state_->addresses.size()) {
    return NetResult<std::optional<IpAddress>>::Ok(std::nullopt);
  }
  return NetResult<std::optional<IpAddress>>::Ok(state_->addresses[state_->next++]);
}

std::shared_ptr<Pollable> ResolveAddressStream::Subscribe() {
  return std::make_shared<ResolvePollable>(state_);
}

NetResult<std::shared_ptr<ResolveAddressStream>> ResolveAddresses(SocketsCtx& ctx,
                                                                  std::string_view name) {
  using R = NetResult<std::shared_ptr<ResolveAddressStream>>;
  if (!ctx.policy().allow_ip_name_lookup) return Fail(NetErrorCode::kPermanentResolverFailure);
  auto state = std::make_shared<ResolveAddressStream::State>();
  std::optional<IpAddress> numeric;
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    numeric = IpAddress::Parse(name.substr(1, name.size() - 2));
    if (!numeric || numeric->family != IpAddressFamily::kIpv6) {
      return Fail(NetErrorCode::kInvalidArgument);
    }
  } else {
    numeric = IpAddress::Parse(name);
  }
  if (numeric) {
    state->Add(*numeric);
    state->done = true;
    return R::Ok(std::make_shared<ResolveAddressStream>(std::move(state)));
  }
  if (!IsValidHostName(name)) return Fail(NetErrorCode::kInvalidArgument);
  std::string host(name);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  state->resolver = std::make_unique<boost::asio::ip::udp::resolver>(ctx.io());
  // No AI_ADDRCONFIG: "localhost" yields ::1 even on hosts without a routable IPv6 address.
  state->resolver->async_resolve(
      host, "", boost::asio::ip::resolver_base::flags(),
      [state](const boost::system::error_code& ec,
              const boost::asio::ip::udp::resolver::results_type& results) {
        if (ec) {
          if (ec == boost::asio::error::operation_aborted) return;
          state->error = ResolverError(ec);
        } else {
          for (const auto& entry : results) {
            boost::asio::ip::address a = entry.endpoint().address();
            if (a.is_v4()) {
              auto b = a.to_v4().to_bytes();
              state->Add(IpAddress::V4(b[0], b[1], b[2], b[3]));
            } else {
              auto b = a.to_v6().to_bytes();
              std::array<uint16_t, 8> g{};
              for (int i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>((b[2 * i] << 8) | b[2 * i + 1]);
              state->Add(IpAddress::V6(g));
            }
          }
        }
        state->Finish();
        // The resolver is not needed any more; dropping it here breaks the state→handler
        // ownership cycle once the lookup has completed.
        boost::asio::post(state->resolver->get_executor(), [state] { state->resolver.reset(); });
      });
  return R::Ok(std::make_shared<ResolveAddressStream>(std::move(state)));
}

}  // namespace weft::wasi::p2
