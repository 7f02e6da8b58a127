// wasi:sockets@0.2.12 host: network, instance-network, ip-name-lookup, tcp, tcp-create-socket,
// udp, udp-create-socket. Host classes (TcpSocket, UdpSocket, the datagram streams,
// ResolveAddressStream) are usable without a guest; AddSocketsToLinker binds them to WIT.
// Invariants: every socket is a non-blocking descriptor registered with the context's
// Boost.Asio io_context; no call here ever blocks the thread (an operation that cannot finish
// returns would-block, and readiness is a Pollable a guest waits on through wasi:io/poll).
// Policy (SocketsPolicy) is consulted before every bind, connect, listen, accept, send,
// receive and name lookup; the default allows everything.
// Not thread-safe: one SocketsCtx per store, used on the store's thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "wasi/p2/io.h"
#include "weft/component.h"

namespace weft::wasi::p2 {

/// wasi:sockets/network.error-code, in WIT order (the enum's case index).
enum class NetErrorCode : uint8_t {
  kUnknown,
  kAccessDenied,
  kNotSupported,
  kInvalidArgument,
  kOutOfMemory,
  kTimeout,
  kConcurrencyConflict,
  kNotInProgress,
  kWouldBlock,
  kInvalidState,
  kNewSocketLimit,
  kAddressNotBindable,
  kAddressInUse,
  kRemoteUnreachable,
  kConnectionRefused,
  kConnectionReset,
  kConnectionAborted,
  kDatagramTooLarge,
  kNameUnresolvable,
  kTemporaryResolverFailure,
  kPermanentResolverFailure,
};
inline constexpr uint32_t kNetErrorCodeCount = 21;

/// The WIT label ("would-block").
std::string_view NetErrorCodeName(NetErrorCode code);
/// The error code for an errno from a socket call (wasmtime's mapping; unknown otherwise).
NetErrorCode NetErrorFromErrno(int err);
/// Stream errors from sockets carry "<error-code label>: <detail>" as their wasi:io/error
/// debug string; this recovers the code (network-error-code), or nullopt for other errors.
std::optional<NetErrorCode> NetErrorCodeFromMessage(std::string_view message);

template <typename T>
using NetResult = component::Result<T, NetErrorCode>;
/// `return NetFail{NetErrorCode::kInvalidState};` from any NetResult<T> function.
struct NetFail {
  NetErrorCode code;
  template <typename T>
  operator NetResult<T>() const {  // NOLINT(google-explicit-constructor)
    return NetResult<T>::Err(code);
  }
};
inline NetResult<void> NetOk() { return NetResult<void>::Ok(); }

enum class IpAddressFamily : uint8_t { kIpv4, kIpv6 };

/// wasi:sockets/network.ip-address: ipv4 (4 octets) or ipv6 (8 16-bit groups, host order).
struct IpAddress {
  IpAddressFamily family = IpAddressFamily::kIpv4;
  std::array<uint8_t, 4> v4{};
  std::array<uint16_t, 8> v6{};
  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    IpAddress x;
    x.v4 = {a, b, c, d};
    return x;
  }
  static IpAddress V6(std::array<uint16_t, 8> groups) {
    IpAddress x;
    x.family = IpAddressFamily::kIpv6;
    x.v6 = groups;
    return x;
  }
  /// Parses a numeric address ("127.0.0.1", "::1"); nullopt if it is not one.
  static std::optional<IpAddress> Parse(std::string_view text);
  std::string ToString() const;
  bool operator==(const IpAddress& o) const {
    return family == o.family &&
           (family == IpAddressFamily::kIpv4 ? v4 == o.v4 : v6 == o.v6);
  }
};

/// wasi:sockets/network.ip-socket-address (flow-info and scope-id are ipv6 only).
struct IpSocketAddress {
  IpAddress address;
  uint16_t port = 0;
  uint32_t flow_info = 0;
  uint32_t scope_id = 0;
  std::string ToString() const;  ///< "127.0.0.1:80", "[::1]:80"
};

/// What an address is about to be used for (the policy hook's second argument).
enum class SocketAddrUse : uint8_t {
  kTcpBind,      ///< explicit bind (the unspecified address for an implicit one)
  kTcpConnect,   ///< the remote address of start-connect
  kTcpListen,    ///< the local address a listener is bound to
  kTcpAccept,    ///< the remote address of an incoming connection (refused: reset, skipped)
  kUdpBind,
  kUdpConnect,   ///< the remote address given to udp-socket.stream
  kUdpSend,      ///< the destination of an outgoing datagram
  kUdpReceive,   ///< the source of an incoming datagram (refused: dropped)
};

/// Which network uses a guest may make. The default allows everything; `weft run` (or any
/// embedder) may restrict it before instantiation. `check`, if set, is asked before each
/// address use and refusal is access-denied (accept and receive silently drop instead, as
/// wasmtime does). A disabled protocol fails socket creation with access-denied; disabled
/// name lookup fails resolve-addresses with permanent-resolver-failure.
struct SocketsPolicy {
  bool allow_tcp = true;
  bool allow_udp = true;
  bool allow_ip_name_lookup = true;
  std::function<bool(const IpSocketAddress& addr, SocketAddrUse use)> check;
};

class TcpSocket;
class UdpSocket;
class IncomingDatagramStream;
class OutgoingDatagramStream;
class ResolveAddressStream;

/// Resource tags of wasi:sockets (component::HostResourceType<Tag>()).
struct NetworkTag {};
struct TcpSocketTag {};
struct UdpSocketTag {};
struct IncomingDatagramStreamTag {};
struct OutgoingDatagramStreamTag {};
struct ResolveAddressStreamTag {};

/// Per-store sockets state: the policy and the guest-visible objects. `io` must be the
/// io_context of the store's WasiP2Ctx (streams and pollables made here land in its tables).
class SocketsCtx {
 public:
  explicit SocketsCtx(boost::asio::io_context& io, SocketsPolicy policy = {})
      : io_(&io), policy_(std::move(policy)) {}
  boost::asio::io_context& io() const { return *io_; }
  const SocketsPolicy& policy() const { return policy_; }
  SocketsPolicy& policy() { return policy_; }
  /// True if the policy allows using `addr` for `use`.
  bool Allowed(const IpSocketAddress& addr, SocketAddrUse use) const {
    return !policy_.check || policy_.check(addr, use);
  }

  Table<uint8_t> networks;  ///< network resources carry no state: any rep is the capability
  Table<std::shared_ptr<TcpSocket>> tcp_sockets;
  Table<std::shared_ptr<UdpSocket>> udp_sockets;
  Table<std::shared_ptr<IncomingDatagramStream>> incoming_datagram_streams;
  Table<std::shared_ptr<OutgoingDatagramStream>> outgoing_datagram_streams;
  Table<std::shared_ptr<ResolveAddressStream>> resolve_streams;

 private:
  boost::asio::io_context* io_;
  SocketsPolicy policy_;
};

struct SocketFd;
struct TcpConn;

enum class ShutdownType : uint8_t { kReceive, kSend, kBoth };

/// wasi:sockets/tcp.tcp-socket. States: default (unbound or bound) → connecting → connected,
/// or default (bound) → listening; failed connects end in closed(error). start-* of an
/// operation that has not been finished is concurrency-conflict; finish-* without start is
/// not-in-progress (both per the WIT docs and wasmtime). The socket must outlive nothing:
/// streams and accepted sockets share the descriptor and keep it open.
class TcpSocket : public std::enable_shared_from_this<TcpSocket> {
 public:
  /// tcp-create-socket.create-tcp-socket.
  static NetResult<std::shared_ptr<TcpSocket>> Create(SocketsCtx& ctx, IpAddressFamily family);
  ~TcpSocket();

  NetResult<void> StartBind(const IpSocketAddress& local);
  NetResult<void> FinishBind();
  /// Begins a non-blocking connect; connection errors (refused, unreachable) surface from
  /// FinishConnect, which returns would-block until the attempt has completed.
  NetResult<void> StartConnect(const IpSocketAddress& remote);
  using Streams = std::pair<std::shared_ptr<InputStream>, std::shared_ptr<OutputStream>>;
  NetResult<Streams> FinishConnect();
  /// 0.2 requires an explicit bind first (invalid-state otherwise).
  NetResult<void> StartListen();
  NetResult<void> FinishListen();
  struct Accepted {
    std::shared_ptr<TcpSocket> socket;
    std::shared_ptr<InputStream> input;
    std::shared_ptr<OutputStream> output;
  };
  /// would-block when no connection is pending.
  NetResult<Accepted> Accept();

  NetResult<IpSocketAddress> LocalAddress();
  NetResult<IpSocketAddress> RemoteAddress();
  bool IsListening() const;
  IpAddressFamily address_family() const { return family_; }
  NetResult<void> SetListenBacklogSize(uint64_t value);
  NetResult<bool> KeepAliveEnabled();
  NetResult<void> SetKeepAliveEnabled(bool value);
  /// Durations in nanoseconds (wasi:clocks duration); set rounds to whole seconds, clamped
  /// to [1 s, 32767 s]; 0 is invalid-argument.
  NetResult<uint64_t> KeepAliveIdleTime();
  NetResult<void> SetKeepAliveIdleTime(uint64_t ns);
  NetResult<uint64_t> KeepAliveInterval();
  NetResult<void> SetKeepAliveInterval(uint64_t ns);
  NetResult<uint32_t> KeepAliveCount();
  NetResult<void> SetKeepAliveCount(uint32_t value);
  NetResult<uint8_t> HopLimit();
  NetResult<void> SetHopLimit(uint8_t value);
  /// Linux doubles SO_RCVBUF/SO_SNDBUF; the getters halve it back (as wasmtime does).
  NetResult<uint64_t> ReceiveBufferSize();
  NetResult<void> SetReceiveBufferSize(uint64_t value);
  NetResult<uint64_t> SendBufferSize();
  NetResult<void> SetSendBufferSize(uint64_t value);
  /// Ready when a connect has completed (finish-connect will not would-block), when a
  /// listener has a connection to accept, and always in other states (judged when polled,
  /// so a pollable taken before start-connect/start-listen follows the socket).
  std::shared_ptr<Pollable> Subscribe();
  /// Needs a connected socket (invalid-state otherwise). Receive: reads report closed;
  /// send: pending bytes are still delivered, then the write side is shut.
  NetResult<void> Shutdown(ShutdownType how);

  struct Private;  // construction key

  TcpSocket(const Private&, SocketsCtx& ctx, IpAddressFamily family,
            std::shared_ptr<SocketFd> fd);

 private:
  enum class State : uint8_t { kDefault, kConnecting, kConnected, kListening, kClosed };
  enum class Op : uint8_t { kNone, kBind, kConnect, kListen };
  NetResult<int> Fd() const;  // the descriptor for options, or the state's error
  bool IsBound();
  Streams MakeStreams();
  friend class TcpSocketPollable;

  SocketsCtx* ctx_;
  IpAddressFamily family_;
  std::shared_ptr<SocketFd> fd_;
  std::shared_ptr<TcpConn> conn_;  // connected only
  State state_ = State::kDefault;
  Op op_ = Op::kNone;
  NetErrorCode closed_error_ = NetErrorCode::kUnknown;
  bool connect_done_ = false;  // the connect attempt finished during start-connect
  int connect_errno_ = 0;
  bool bound_ = false;
  uint32_t backlog_ = 128;
};

/// wasi:sockets/udp.incoming-datagram / outgoing-datagram.
struct IncomingDatagram {
  std::vector<uint8_t> data;
  IpSocketAddress remote_address;
};
struct OutgoingDatagram {
  std::vector<uint8_t> data;
  std::optional<IpSocketAddress> remote_address;
};

/// wasi:sockets/udp.udp-socket.
class UdpSocket {
 public:
  static NetResult<std::shared_ptr<UdpSocket>> Create(SocketsCtx& ctx, IpAddressFamily family);
  ~UdpSocket();

  NetResult<void> StartBind(const IpSocketAddress& local);
  NetResult<void> FinishBind();
  using Streams =
      std::pair<std::shared_ptr<IncomingDatagramStream>, std::shared_ptr<OutgoingDatagramStream>>;
  /// udp-socket.stream: (re)connects to `remote` (or disconnects when none) and returns a
  /// fresh stream pair. Requires a bound socket (invalid-state). The WIT makes calling it
  /// while the previous pair is alive a trap: that is the Error.
  Expected<NetResult<Streams>> Stream(const std::optional<IpSocketAddress>& remote);
  NetResult<IpSocketAddress> LocalAddress();
  NetResult<IpSocketAddress> RemoteAddress();
  IpAddressFamily address_family() const { return family_; }
  NetResult<uint8_t> UnicastHopLimit();
  NetResult<void> SetUnicastHopLimit(uint8_t value);
  NetResult<uint64_t> ReceiveBufferSize();
  NetResult<void> SetReceiveBufferSize(uint64_t value);
  NetResult<uint64_t> SendBufferSize();
  NetResult<void> SetSendBufferSize(uint64_t value);
  /// Always ready (no udp-socket operation waits).
  std::shared_ptr<Pollable> Subscribe();

  struct Private;
  UdpSocket(const Private&, SocketsCtx& ctx, IpAddressFamily family,
            std::shared_ptr<SocketFd> fd);

 private:
  bool IsBound();

  SocketsCtx* ctx_;
  IpAddressFamily family_;
  std::shared_ptr<SocketFd> fd_;
  bool bind_in_progress_ = false;
  bool bound_ = false;
  std::optional<IpSocketAddress> remote_;
  std::weak_ptr<IncomingDatagramStream> incoming_;
  std::weak_ptr<OutgoingDatagramStream> outgoing_;
};

/// At most this many datagrams per receive / check-send (wasmtime's figure).
inline constexpr uint64_t kMaxDatagramsPerCall = 16;

class IncomingDatagramStream {
 public:
  IncomingDatagramStream(SocketsCtx& ctx, std::shared_ptr<SocketFd> fd)
      : ctx_(&ctx), fd_(std::move(fd)) {}
  /// Up to min(max_results, 16) datagrams now (possibly none). An error is returned only
  /// when nothing was received.
  NetResult<std::vector<IncomingDatagram>> Receive(uint64_t max_results);
  std::shared_ptr<Pollable> Subscribe();

 private:
  SocketsCtx* ctx_;
  std::shared_ptr<SocketFd> fd_;
};

class OutgoingDatagramStream {
 public:
  OutgoingDatagramStream(SocketsCtx& ctx, std::shared_ptr<SocketFd> fd, IpAddressFamily family,
                         std::optional<IpSocketAddress> remote)
      : ctx_(&ctx), fd_(std::move(fd)), family_(family), remote_(std::move(remote)) {}
  /// How many datagrams the next Send may carry (0 until Subscribe() is ready).
  NetResult<uint64_t> CheckSend();
  /// Sends in order and stops at the first that would block; returns how many were sent. An
  /// error is returned only if the first fails. More datagrams than the last CheckSend
  /// permitted is a trap (the Error).
  Expected<NetResult<uint64_t>> Send(const std::vector<OutgoingDatagram>& datagrams);
  std::shared_ptr<Pollable> Subscribe();

 private:
  SocketsCtx* ctx_;
  std::shared_ptr<SocketFd> fd_;
  IpAddressFamily family_;
  std::optional<IpSocketAddress> remote_;
  uint64_t permit_ = 0;
};

/// wasi:sockets/ip-name-lookup.resolve-address-stream.
class ResolveAddressStream {
 public:
  struct State;
  explicit ResolveAddressStream(std::shared_ptr<State> state) : state_(std::move(state)) {}
  /// The next address (ipv4-mapped ipv6 addresses come back as ipv4, duplicates removed),
  /// none when exhausted, would-block while the lookup runs, or the lookup's error (once;
  /// none after it).
  NetResult<std::optional<IpAddress>> ResolveNextAddress();
  std::shared_ptr<Pollable> Subscribe();

 private:
  std::shared_ptr<State> state_;
};

/// ip-name-lookup.resolve-addresses. Numeric addresses ("127.0.0.1", "::1", "[::1]") resolve
/// at once; other names go to getaddrinfo through Asio's asynchronous resolver (which runs it
/// on Asio's private resolver thread and completes on `ctx.io()`). Names that are not
/// syntactically host names (empty, or containing any of " #%/:<>?@[\\]^|", or non-ASCII,
/// for which IDNA is not implemented) are invalid-argument.
NetResult<std::shared_ptr<ResolveAddressStream>> ResolveAddresses(SocketsCtx& ctx,
                                                                  std::string_view name);

// ---------------------------------------------------------------------------------------------
// Linker glue

/// Reach the SocketsCtx / WasiP2Ctx of the store a host function runs in (the latter is the
/// same type as io.h's CtxGetter).
using SocketsGetter = std::function<SocketsCtx&(StoreBase& store)>;
using SocketsIoGetter = std::function<WasiP2Ctx&(StoreBase& store)>;

/// The non-template adder behind AddSocketsToLinker (sockets_linker.cc).
Error AddSocketsToLinkerBase(component::LinkerBase& linker, SocketsGetter sockets,
                             SocketsIoGetter io);

/// Adds wasi:sockets/{network, instance-network, ip-name-lookup, tcp, tcp-create-socket, udp,
/// udp-create-socket}@0.2.12 (0.2.x imports link to them by semver). `get` reaches the
/// SocketsCtx and `io` the WasiP2Ctx whose tables receive the pollables, streams and errors
/// sockets hand out (the wasi:io interfaces themselves come from AddIoToLinker). Functions
/// are dynamic (FuncNew): arguments are checked as they are read, and an argument of the
/// wrong shape or a handle of the wrong resource type traps the guest.
template <typename T>
Error AddSocketsToLinker(component::Linker<T>& linker, SocketsCtx& (*get)(T&),
                         WasiP2Ctx& (*io)(T&)) {
  SocketsGetter g = [get](StoreBase& store) -> SocketsCtx& {
    return get(static_cast<Store<T>&>(store).data());
  };
  SocketsIoGetter i = [io](StoreBase& store) -> WasiP2Ctx& {
    return io(static_cast<Store<T>&>(store).data());
  };
  return AddSocketsToLinkerBase(linker, std::move(g), std::move(i));
}

}  // namespace weft::wasi::p2
