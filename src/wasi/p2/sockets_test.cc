// Tests of the wasi:sockets host classes driven directly (no guest) on a private io_context:
// TCP over 127.0.0.1 (listen, connect, accept, data both ways, shutdown, the state machine's
// error codes, options), UDP datagrams over loopback, and name lookup. Every server is made by
// the test on 127.0.0.1 port 0 and closed by it; every wait is bounded (5 s).
#include "wasi/p2/sockets.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <boost/asio/io_context.hpp>

namespace weft::wasi::p2 {
namespace {

using std::chrono::milliseconds;

constexpr auto kLimit = std::chrono::seconds(5);

/// Runs the io_context until `p` is ready (the way BlockOn's sync path does); false on timeout.
bool WaitReady(boost::asio::io_context& io, Pollable& p) {
  auto deadline = std::chrono::steady_clock::now() + kLimit;
  while (!p.Ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    auto woke = std::make_shared<bool>(false);
    p.Wait(io, [woke] { *woke = true; });
    while (!*woke && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_one_for(milliseconds(50));
    }
  }
  return true;
}

IpSocketAddress Loopback(uint16_t port) {
  IpSocketAddress a;
  a.address = IpAddress::V4(127, 0, 0, 1);
  a.port = port;
  return a;
}

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

/// Reads until `n` bytes arrived or the stream ended.
std::string ReadN(boost::asio::io_context& io, InputStream& in, size_t n) {
  std::vector<uint8_t> buf;
  while (buf.size() < n) {
    StreamStatus st = in.Read(n - buf.size(), buf);
    if (st.kind != StreamStatus::kOk) break;
    if (buf.size() < n) {
      auto p = in.Subscribe();
      if (!WaitReady(io, *p)) break;
    }
  }
  return std::string(buf.begin(), buf.end());
}

/// Writes all of `data` the way blocking-write-and-flush does (check-write, write, wait).
bool WriteAll(boost::asio::io_context& io, OutputStream& out, std::span<const uint8_t> data) {
  while (!data.empty()) {
    uint64_t permitted = 0;
    if (out.CheckWrite(permitted).kind != StreamStatus::kOk) return false;
    if (permitted == 0) {
      auto p = out.Subscribe();
      if (!WaitReady(io, *p)) return false;
      continue;
    }
    size_t n = std::min<size_t>(data.size(), permitted);
    if (out.Write(data.subspan(0, n)).kind != StreamStatus::kOk) return false;
    data = data.subspan(n);
  }
  if (out.Flush().kind != StreamStatus::kOk) return false;
  auto p = out.Subscribe();
  return WaitReady(io, *p);
}

std::shared_ptr<TcpSocket> NewTcp(SocketsCtx& ctx) {
  auto s = TcpSocket::Create(ctx, IpAddressFamily::kIpv4);
  EXPECT_TRUE(s.ok());
  return s.value();
}

/// A listener on 127.0.0.1:<ephemeral>.
std::shared_ptr<TcpSocket> Listen(SocketsCtx& ctx) {
  auto l = NewTcp(ctx);
  EXPECT_TRUE(l->StartBind(Loopback(0)).ok());
  EXPECT_TRUE(l->FinishBind().ok());
  EXPECT_TRUE(l->StartListen().ok());
  EXPECT_TRUE(l->FinishListen().ok());
  EXPECT_TRUE(l->IsListening());
  return l;
}

struct Pair {
  std::shared_ptr<TcpSocket> client, server;
  TcpSocket::Streams c, s;
};

Pair ConnectPair(boost::asio::io_context& io, SocketsCtx& ctx, TcpSocket& listener) {
  Pair p;
  auto addr = listener.LocalAddress();
  EXPECT_TRUE(addr.ok());
  p.client = NewTcp(ctx);
  EXPECT_TRUE(p.client->StartConnect(addr.value()).ok());
  auto cp = p.client->Subscribe();
  EXPECT_TRUE(WaitReady(io, *cp));
  auto fc = p.client->FinishConnect();
  EXPECT_TRUE(fc.ok()) << NetErrorCodeName(fc.error());
  if (fc.ok()) p.c = fc.value();
  auto lp = listener.Subscribe();
  EXPECT_TRUE(WaitReady(io, *lp));
  auto acc = listener.Accept();
  EXPECT_TRUE(acc.ok()) << NetErrorCodeName(acc.error());
  if (acc.ok()) {
    p.server = acc.value().socket;
    p.s = {acc.value().input, acc.value().output};
  }
  return p;
}

TEST(SocketsTest, TcpConnectAcceptAndDataBothWays) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  auto listener = Listen(ctx);
  auto laddr = listener->LocalAddress();
  ASSERT_TRUE(laddr.ok());
  EXPECT_NE(laddr.value().port, 0);
  EXPECT_EQ(laddr.value().address, IpAddress::V4(127, 0, 0, 1));

  // Nothing pending yet: accept would block.
  auto early = listener->Accept();
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error(), NetErrorCode::kWouldBlock);

  Pair p = ConnectPair(io, ctx, *listener);
  ASSERT_TRUE(p.c.first && p.s.first);

  // The two ends see each other's addresses.
  auto client_local = p.client->LocalAddress();
  auto server_remote = p.server->RemoteAddress();
  ASSERT_TRUE(client_local.ok() && server_remote.ok());
  EXPECT_EQ(client_local.value().port, server_remote.value().port);
  auto client_remote = p.client->RemoteAddress();
  ASSERT_TRUE(client_remote.ok());
  EXPECT_EQ(client_remote.value().port, laddr.value().port);
  EXPECT_FALSE(p.server->IsListening());
  EXPECT_EQ(p.server->address_family(), IpAddressFamily::kIpv4);

  ASSERT_TRUE(WriteAll(io, *p.c.second, Bytes("hello")));
  EXPECT_EQ(ReadN(io, *p.s.first, 5), "hello");
  ASSERT_TRUE(WriteAll(io, *p.s.second, Bytes("world!")));
  EXPECT_EQ(ReadN(io, *p.c.first, 6), "world!");

  // Shutting the client's send side ends the server's input stream.
  ASSERT_TRUE(p.client->Shutdown(ShutdownType::kSend).ok());
  uint64_t permitted = 0;
  EXPECT_EQ(p.c.second->CheckWrite(permitted).kind, StreamStatus::kClosed);
  std::vector<uint8_t> buf;
  StreamStatus st;
  for (int i = 0; i < 100; ++i) {
    st = p.s.first->Read(100, buf);
    if (st.kind != StreamStatus::kOk) break;
    auto sub = p.s.first->Subscribe();
    ASSERT_TRUE(WaitReady(io, *sub));
  }
  EXPECT_EQ(st.kind, StreamStatus::kClosed);
  EXPECT_TRUE(buf.empty());
  // The other direction still works.
  ASSERT_TRUE(WriteAll(io, *p.s.second, Bytes("late")));
  EXPECT_EQ(ReadN(io, *p.c.first, 4), "late");
  // Shutting the receive side makes reads report closed.
  ASSERT_TRUE(p.client->Shutdown(ShutdownType::kReceive).ok());
  EXPECT_EQ(p.c.first->Read(10, buf).kind, StreamStatus::kClosed);
}

TEST(SocketsTest, TcpOverIpv6Loopback) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  IpSocketAddress any6;
  any6.address = IpAddress::V6({0, 0, 0, 0, 0, 0, 0, 1});
  auto made = TcpSocket::Create(ctx, IpAddressFamily::kIpv6);
  if (!made.ok() && made.error() == NetErrorCode::kNotSupported) GTEST_SKIP() << "no IPv6";
  ASSERT_TRUE(made.ok());
  auto l = made.value();
  EXPECT_EQ(l->address_family(), IpAddressFamily::kIpv6);
  // An ipv4 address, or an ipv4-mapped one, on an ipv6 socket is invalid-argument.
  EXPECT_EQ(l->StartBind(Loopback(0)).error(), NetErrorCode::kInvalidArgument);
  IpSocketAddress mapped;
  mapped.address = IpAddress::V6({0, 0, 0, 0, 0, 0xffff, 0x7f00, 1});
  EXPECT_EQ(l->StartBind(mapped).error(), NetErrorCode::kInvalidArgument);
  auto bound = l->StartBind(any6);
  if (!bound.ok() && bound.error() == NetErrorCode::kAddressNotBindable) {
    GTEST_SKIP() << "no ::1 on this host";
  }
  ASSERT_TRUE(bound.ok());
  ASSERT_TRUE(l->FinishBind().ok());
  ASSERT_TRUE(l->StartListen().ok());
  ASSERT_TRUE(l->FinishListen().ok());
  auto addr = l->LocalAddress();
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(addr.value().address, any6.address);
  EXPECT_NE(addr.value().port, 0);
  EXPECT_EQ(addr.value().ToString(), "[::1]:" + std::to_string(addr.value().port));

  auto c = TcpSocket::Create(ctx, IpAddressFamily::kIpv6).value();
  ASSERT_TRUE(c->StartConnect(addr.value()).ok());
  auto cp = c->Subscribe();
  ASSERT_TRUE(WaitReady(io, *cp));
  auto streams = c->FinishConnect();
  ASSERT_TRUE(streams.ok()) << NetErrorCodeName(streams.error());
  auto lp = l->Subscribe();
  ASSERT_TRUE(WaitReady(io, *lp));
  auto acc = l->Accept();
  ASSERT_TRUE(acc.ok());
  EXPECT_EQ(acc.value().socket->address_family(), IpAddressFamily::kIpv6);
  EXPECT_EQ(acc.value().socket->RemoteAddress().value().port,
            c->LocalAddress().value().port);
  ASSERT_TRUE(WriteAll(io, *streams.value().second, Bytes("six")));
  EXPECT_EQ(ReadN(io, *acc.value().input, 3), "six");
  ASSERT_TRUE(c->SetHopLimit(9).ok());
  EXPECT_EQ(c->HopLimit().value(), 9);
}

TEST(SocketsTest, TcpLargeTransferWithBackpressure) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  auto listener = Listen(ctx);
  Pair p = ConnectPair(io, ctx, *listener);
  ASSERT_TRUE(p.c.second && p.s.first);
  // A small send buffer so the writer really has to wait for the reader (the receive window
  // stays large: a tiny one makes delayed ACKs throttle loopback to a crawl).
  ASSERT_TRUE(p.client->SetSendBufferSize(8192).ok());

  std::vector<uint8_t> data(4 << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + (i >> 9));
  size_t written = 0;
  std::vector<uint8_t> got;
  // Phase 1: nobody reads, so the kernel buffers fill and check-write must reach 0 (with
  // the output pollable not ready) well before 4 MiB.
  bool blocked = false;
  while (written < data.size()) {
    uint64_t permitted = 0;
    ASSERT_EQ(p.c.second->CheckWrite(permitted).kind, StreamStatus::kOk);
    if (permitted == 0) {
      blocked = true;
      break;
    }
    size_t n = std::min<size_t>(permitted, data.size() - written);
    ASSERT_EQ(p.c.second->Write(std::span(data).subspan(written, n)).kind, StreamStatus::kOk);
    written += n;
  }
  ASSERT_TRUE(blocked) << "check-write never returned 0";
  EXPECT_FALSE(p.c.second->Subscribe()->Ready());
  // Phase 2: read and write in turns until everything arrived.
  auto deadline = std::chrono::steady_clock::now() + kLimit;
  while (got.size() < data.size() && std::chrono::steady_clock::now() < deadline) {
    if (written < data.size()) {
      uint64_t permitted = 0;
      ASSERT_EQ(p.c.second->CheckWrite(permitted).kind, StreamStatus::kOk);
      size_t n = std::min<size_t>(permitted, data.size() - written);
      if (n > 0) {
        ASSERT_EQ(p.c.second->Write(std::span(data).subspan(written, n)).kind, StreamStatus::kOk);
        written += n;
      }
    }
    ASSERT_EQ(p.s.first->Read(1 << 16, got).kind, StreamStatus::kOk);
    io.restart();
    io.poll();
  }
  ASSERT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

TEST(SocketsTest, TcpDroppedOutputStreamDeliversPendingBytesThenEof) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  auto listener = Listen(ctx);
  Pair p = ConnectPair(io, ctx, *listener);
  ASSERT_TRUE(p.c.second);
  ASSERT_TRUE(WriteAll(io, *p.c.second, Bytes("bye")));
  p.c.second.reset();  // drop: write side shut after delivery
  std::vector<uint8_t> buf;
  StreamStatus st;
  auto deadline = std::chrono::steady_clock::now() + kLimit;
  do {
    st = p.s.first->Read(100, buf);
    io.restart();
    io.poll();
  } while (st.kind == StreamStatus::kOk && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(std::string(buf.begin(), buf.end()), "bye");
  EXPECT_EQ(st.kind, StreamStatus::kClosed);
}

TEST(SocketsTest, TcpStateMachineErrors) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  auto s = NewTcp(ctx);
  // Listen before bind; finish without start; unbound/unconnected queries.
  EXPECT_EQ(s->StartListen().error(), NetErrorCode::kInvalidState);
  EXPECT_EQ(s->FinishBind().error(), NetErrorCode::kNotInProgress);
  EXPECT_EQ(s->FinishConnect().error(), NetErrorCode::kNotInProgress);
  EXPECT_EQ(s->FinishListen().error(), NetErrorCode::kNotInProgress);
  EXPECT_EQ(s->Accept().error(), NetErrorCode::kInvalidState);
  EXPECT_EQ(s->LocalAddress().error(), NetErrorCode::kInvalidState);
  EXPECT_EQ(s->RemoteAddress().error(), NetErrorCode::kInvalidState);
  EXPECT_EQ(s->Shutdown(ShutdownType::kBoth).error(), NetErrorCode::kInvalidState);
  EXPECT_FALSE(s->IsListening());

  // Address validation: wrong family, multicast, unspecified or port-0 remotes.
  IpSocketAddress v6;
  v6.address = IpAddress::V6({0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(s->StartBind(v6).error(), NetErrorCode::kInvalidArgument);
  IpSocketAddress mcast = Loopback(0);
  mcast.address = IpAddress::V4(224, 0, 0, 1);
  EXPECT_EQ(s->StartBind(mcast).error(), NetErrorCode::kInvalidArgument);
  EXPECT_EQ(s->StartConnect(Loopback(0)).error(), NetErrorCode::kInvalidArgument);
  IpSocketAddress any = Loopback(80);
  any.address = IpAddress::V4(0, 0, 0, 0);
  EXPECT_EQ(s->StartConnect(any).error(), NetErrorCode::kInvalidArgument);

  // Bind: a second start before finish conflicts; binding twice is invalid-state.
  ASSERT_TRUE(s->StartBind(Loopback(0)).ok());
  EXPECT_EQ(s->StartBind(Loopback(0)).error(), NetErrorCode::kConcurrencyConflict);
  EXPECT_EQ(s->StartListen().error(), NetErrorCode::kConcurrencyConflict);
  ASSERT_TRUE(s->FinishBind().ok());
  EXPECT_EQ(s->FinishBind().error(), NetErrorCode::kNotInProgress);
  EXPECT_EQ(s->StartBind(Loopback(0)).error(), NetErrorCode::kInvalidState);
  EXPECT_EQ(s->SetListenBacklogSize(0).error(), NetErrorCode::kInvalidArgument);
  EXPECT_TRUE(s->SetListenBacklogSize(16).ok());

  // Connect twice: concurrency-conflict while in progress, invalid-state once connected.
  auto listener = Listen(ctx);
  auto addr = listener->LocalAddress();
  ASSERT_TRUE(addr.ok());
  auto c = NewTcp(ctx);
  ASSERT_TRUE(c->StartConnect(addr.value()).ok());
  EXPECT_EQ(c->StartConnect(addr.value()).error(), NetErrorCode::kConcurrencyConflict);
  EXPECT_EQ(c->StartBind(Loopback(0)).error(), NetErrorCode::kConcurrencyConflict);
  EXPECT_EQ(c->KeepAliveEnabled().error(), NetErrorCode::kInvalidState);
  auto sub = c->Subscribe();
  ASSERT_TRUE(WaitReady(io, *sub));
  auto streams = c->FinishConnect();
  ASSERT_TRUE(streams.ok());
  EXPECT_EQ(c->StartConnect(addr.value()).error(), NetErrorCode::kInvalidState);
  EXPECT_EQ(c->StartListen().error(), NetErrorCode::kInvalidState);
  EXPECT_EQ(c->FinishConnect().error(), NetErrorCode::kNotInProgress);
  EXPECT_EQ(c->Accept().error(), NetErrorCode::kInvalidState);
  // A listener cannot connect or listen again.
  EXPECT_EQ(listener->StartConnect(addr.value()).error(), NetErrorCode::kInvalidState);
  EXPECT_EQ(listener->StartListen().error(), NetErrorCode::kInvalidState);
}

TEST(SocketsTest, TcpPollableTakenBeforeConnectFollowsTheSocket) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  auto listener = NewTcp(ctx);
  auto early_listener_pollable = listener->Subscribe();
  EXPECT_TRUE(early_listener_pollable->Ready());  // default state: nothing to wait for
  ASSERT_TRUE(listener->StartBind(Loopback(0)).ok());
  ASSERT_TRUE(listener->FinishBind().ok());
  ASSERT_TRUE(listener->StartListen().ok());
  ASSERT_TRUE(listener->FinishListen().ok());
  // Listening with no pending connection: not ready any more.
  EXPECT_FALSE(early_listener_pollable->Ready());

  auto c = NewTcp(ctx);
  auto early = c->Subscribe();
  ASSERT_TRUE(c->StartConnect(listener->LocalAddress().value()).ok());
  ASSERT_TRUE(WaitReady(io, *early));
  EXPECT_TRUE(c->FinishConnect().ok());
  ASSERT_TRUE(WaitReady(io, *early_listener_pollable));
  EXPECT_TRUE(listener->Accept().ok());
  // A pollable outliving its socket reports ready rather than dangling.
  c.reset();
  EXPECT_TRUE(early->Ready());
}

TEST(SocketsTest, TcpConnectRefused) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  // A bound socket that never listens: connecting to its port is refused.
  auto holder = NewTcp(ctx);
  ASSERT_TRUE(holder->StartBind(Loopback(0)).ok());
  ASSERT_TRUE(holder->FinishBind().ok());
  auto addr = holder->LocalAddress();
  ASSERT_TRUE(addr.ok());
  auto c = NewTcp(ctx);
  ASSERT_TRUE(c->StartConnect(addr.value()).ok());
  auto sub = c->Subscribe();
  ASSERT_TRUE(WaitReady(io, *sub));
  auto r = c->FinishConnect();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), NetErrorCode::kConnectionRefused);
  // The socket is now closed with that error.
  EXPECT_EQ(c->RemoteAddress().error(), NetErrorCode::kConnectionRefused);
  EXPECT_EQ(c->StartConnect(addr.value()).error(), NetErrorCode::kInvalidState);
}

TEST(SocketsTest, TcpBindAddressInUse) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  auto listener = Listen(ctx);
  auto addr = listener->LocalAddress();
  ASSERT_TRUE(addr.ok());
  auto s = NewTcp(ctx);
  EXPECT_EQ(s->StartBind(addr.value()).error(), NetErrorCode::kAddressInUse);
}

TEST(SocketsTest, TcpOptions) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  auto s = NewTcp(ctx);
  ASSERT_TRUE(s->SetKeepAliveEnabled(true).ok());
  EXPECT_TRUE(s->KeepAliveEnabled().value());
  ASSERT_TRUE(s->SetKeepAliveEnabled(false).ok());
  EXPECT_FALSE(s->KeepAliveEnabled().value());
  ASSERT_TRUE(s->SetKeepAliveIdleTime(10 * 1000000000ull).ok());
  EXPECT_EQ(s->KeepAliveIdleTime().value(), 10 * 1000000000ull);
  // Below a second rounds up to the 1 s minimum; 0 is invalid.
  ASSERT_TRUE(s->SetKeepAliveInterval(1000).ok());
  EXPECT_EQ(s->KeepAliveInterval().value(), 1000000000ull);
  EXPECT_EQ(s->SetKeepAliveInterval(0).error(), NetErrorCode::kInvalidArgument);
  ASSERT_TRUE(s->SetKeepAliveCount(5).ok());
  EXPECT_EQ(s->KeepAliveCount().value(), 5u);
  EXPECT_EQ(s->SetKeepAliveCount(0).error(), NetErrorCode::kInvalidArgument);
  ASSERT_TRUE(s->SetHopLimit(42).ok());
  EXPECT_EQ(s->HopLimit().value(), 42);
  EXPECT_EQ(s->SetHopLimit(0).error(), NetErrorCode::kInvalidArgument);
  ASSERT_TRUE(s->SetReceiveBufferSize(65536).ok());
  EXPECT_EQ(s->ReceiveBufferSize().value(), 65536u);
  ASSERT_TRUE(s->SetSendBufferSize(65536).ok());
  EXPECT_EQ(s->SendBufferSize().value(), 65536u);
  EXPECT_EQ(s->SetSendBufferSize(0).error(), NetErrorCode::kInvalidArgument);
}

TEST(SocketsTest, PolicyRefusesConnectAndCreation) {
  boost::asio::io_context io;
  SocketsPolicy policy;
  policy.check = [](const IpSocketAddress& a, SocketAddrUse use) {
    return !(use == SocketAddrUse::kTcpConnect && a.port == 9);
  };
  policy.allow_udp = false;
  SocketsCtx ctx(io, policy);
  auto s = NewTcp(ctx);
  EXPECT_EQ(s->StartConnect(Loopback(9)).error(), NetErrorCode::kAccessDenied);
  EXPECT_EQ(UdpSocket::Create(ctx, IpAddressFamily::kIpv4).error(), NetErrorCode::kAccessDenied);
}

TEST(SocketsTest, UdpSendAndReceiveOnLoopback) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  auto a = UdpSocket::Create(ctx, IpAddressFamily::kIpv4).value();
  auto b = UdpSocket::Create(ctx, IpAddressFamily::kIpv4).value();
  EXPECT_EQ(a->LocalAddress().error(), NetErrorCode::kInvalidState);
  // stream before bind: invalid-state (0.2 needs an explicit bind).
  auto unbound = a->Stream(std::nullopt);
  ASSERT_TRUE(unbound.ok());
  EXPECT_EQ(unbound.value().error(), NetErrorCode::kInvalidState);
  EXPECT_EQ(a->FinishBind().error(), NetErrorCode::kNotInProgress);
  ASSERT_TRUE(a->StartBind(Loopback(0)).ok());
  EXPECT_EQ(a->StartBind(Loopback(0)).error(), NetErrorCode::kConcurrencyConflict);
  ASSERT_TRUE(a->FinishBind().ok());
  EXPECT_EQ(a->StartBind(Loopback(0)).error(), NetErrorCode::kInvalidState);
  ASSERT_TRUE(b->StartBind(Loopback(0)).ok());
  ASSERT_TRUE(b->FinishBind().ok());
  IpSocketAddress a_addr = a->LocalAddress().value();
  IpSocketAddress b_addr = b->LocalAddress().value();
  EXPECT_NE(a_addr.port, 0);

  // a unconnected, b connected to a.
  auto as = a->Stream(std::nullopt);
  ASSERT_TRUE(as.ok() && as.value().ok());
  auto bs = b->Stream(a_addr);
  ASSERT_TRUE(bs.ok() && bs.value().ok());
  EXPECT_EQ(b->RemoteAddress().value().port, a_addr.port);
  EXPECT_EQ(a->RemoteAddress().error(), NetErrorCode::kInvalidState);
  // Moved out: the stream objects must have no other owners for the drop test below.
  auto [a_in, a_out] = std::move(as.value().value());
  auto [b_in, b_out] = std::move(bs.value().value());

  // A second stream() while the pair is alive traps.
  EXPECT_FALSE(b->Stream(a_addr).ok());

  // Nothing to receive yet.
  auto none = a_in->Receive(4);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty());

  // Sending without a permit traps; with one, b → a.
  EXPECT_FALSE(b_out->Send({OutgoingDatagram{Bytes("x"), std::nullopt}}).ok());
  auto wp = b_out->Subscribe();
  ASSERT_TRUE(WaitReady(io, *wp));
  ASSERT_EQ(b_out->CheckSend().value(), kMaxDatagramsPerCall);
  auto sent = b_out->Send({OutgoingDatagram{Bytes("ping"), std::nullopt},
                           OutgoingDatagram{Bytes("ping2"), a_addr}});
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(sent.value().ok());
  EXPECT_EQ(sent.value().value(), 2u);
  // A connected stream refuses another destination.
  ASSERT_EQ(b_out->CheckSend().value(), kMaxDatagramsPerCall);
  auto wrong = b_out->Send({OutgoingDatagram{Bytes("no"), Loopback(9)}});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong.value().error(), NetErrorCode::kInvalidArgument);

  auto rp = a_in->Subscribe();
  ASSERT_TRUE(WaitReady(io, *rp));
  std::vector<IncomingDatagram> got;
  auto deadline = std::chrono::steady_clock::now() + kLimit;
  while (got.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto r = a_in->Receive(16);
    ASSERT_TRUE(r.ok());
    for (auto& d : r.value()) got.push_back(std::move(d));
    if (got.size() < 2) {
      ASSERT_TRUE(WaitReady(io, *rp));
    }
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(std::string(got[0].data.begin(), got[0].data.end()), "ping");
  EXPECT_EQ(std::string(got[1].data.begin(), got[1].data.end()), "ping2");
  EXPECT_EQ(got[0].remote_address.port, b_addr.port);

  // a → b needs an address (a is unconnected).
  ASSERT_EQ(a_out->CheckSend().value(), kMaxDatagramsPerCall);
  auto noaddr = a_out->Send({OutgoingDatagram{Bytes("?"), std::nullopt}});
  ASSERT_TRUE(noaddr.ok());
  EXPECT_EQ(noaddr.value().error(), NetErrorCode::kInvalidArgument);
  ASSERT_EQ(a_out->CheckSend().value(), kMaxDatagramsPerCall);
  OutgoingDatagram too_big{std::vector<uint8_t>(70000), b_addr};
  auto big = a_out->Send({too_big});
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big.value().error(), NetErrorCode::kDatagramTooLarge);
  ASSERT_EQ(a_out->CheckSend().value(), kMaxDatagramsPerCall);
  auto pong = a_out->Send({OutgoingDatagram{Bytes("pong"), b_addr}});
  ASSERT_TRUE(pong.ok() && pong.value().ok());
  EXPECT_EQ(pong.value().value(), 1u);
  auto bp = b_in->Subscribe();
  ASSERT_TRUE(WaitReady(io, *bp));
  auto br = b_in->Receive(1);
  ASSERT_TRUE(br.ok());
  ASSERT_EQ(br.value().size(), 1u);
  EXPECT_EQ(std::string(br.value()[0].data.begin(), br.value()[0].data.end()), "pong");
  EXPECT_EQ(br.value()[0].remote_address.port, a_addr.port);

  // After dropping the pair, stream() works again and can disconnect.
  b_in.reset();
  b_out.reset();
  auto again = b->Stream(std::nullopt);
  ASSERT_TRUE(again.ok()) << again.error().message();
  ASSERT_TRUE(again.value().ok()) << NetErrorCodeName(again.value().error());
  EXPECT_EQ(b->RemoteAddress().error(), NetErrorCode::kInvalidState);
}

TEST(SocketsTest, UdpOptions) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  auto u = UdpSocket::Create(ctx, IpAddressFamily::kIpv4).value();
  ASSERT_TRUE(u->SetUnicastHopLimit(7).ok());
  EXPECT_EQ(u->UnicastHopLimit().value(), 7);
  EXPECT_EQ(u->SetUnicastHopLimit(0).error(), NetErrorCode::kInvalidArgument);
  ASSERT_TRUE(u->SetReceiveBufferSize(32768).ok());
  EXPECT_EQ(u->ReceiveBufferSize().value(), 32768u);
  EXPECT_TRUE(u->Subscribe()->Ready());
}

std::vector<std::string> ResolveAll(boost::asio::io_context& io, SocketsCtx& ctx,
                                    std::string_view name, NetErrorCode* error = nullptr) {
  std::vector<std::string> out;
  auto s = ResolveAddresses(ctx, name);
  if (!s.ok()) {
    if (error) *error = s.error();
    return out;
  }
  auto p = s.value()->Subscribe();
  EXPECT_TRUE(WaitReady(io, *p));
  for (int i = 0; i < 64; ++i) {
    auto r = s.value()->ResolveNextAddress();
    if (!r.ok()) {
      if (error) *error = r.error();
      break;
    }
    if (!r.value()) break;
    out.push_back(r.value()->ToString());
  }
  return out;
}

TEST(SocketsTest, NameLookup) {
  boost::asio::io_context io;
  SocketsCtx ctx(io);
  EXPECT_EQ(ResolveAll(io, ctx, "127.0.0.1"), std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(ResolveAll(io, ctx, "::1"), std::vector<std::string>{"::1"});
  EXPECT_EQ(ResolveAll(io, ctx, "[::1]"), std::vector<std::string>{"::1"});
  // ipv4-mapped ipv6 comes back as ipv4.
  EXPECT_EQ(ResolveAll(io, ctx, "::ffff:10.1.2.3"), std::vector<std::string>{"10.1.2.3"});
  auto local = ResolveAll(io, ctx, "localhost");
  EXPECT_NE(std::find(local.begin(), local.end(), "127.0.0.1"), local.end())
      << "localhost resolved to " << local.size() << " addresses";
  auto upper = ResolveAll(io, ctx, "LocalHost");
  EXPECT_NE(std::find(upper.begin(), upper.end(), "127.0.0.1"), upper.end());

  for (std::string_view bad : {"", "a b", "x/y", "[127.0.0.1]", "ex\xc3\xa4mple.com"}) {
    NetErrorCode e = NetErrorCode::kUnknown;
    EXPECT_TRUE(ResolveAll(io, ctx, bad, &e).empty()) << bad;
    EXPECT_EQ(e, NetErrorCode::kInvalidArgument) << bad;
  }

  SocketsPolicy no_dns;
  no_dns.allow_ip_name_lookup = false;
  SocketsCtx denied(io, no_dns);
  NetErrorCode e = NetErrorCode::kUnknown;
  EXPECT_TRUE(ResolveAll(io, denied, "localhost", &e).empty());
  EXPECT_EQ(e, NetErrorCode::kPermanentResolverFailure);
}

TEST(SocketsTest, ErrorCodesAndMessages) {
  EXPECT_EQ(NetErrorCodeName(NetErrorCode::kWouldBlock), "would-block");
  EXPECT_EQ(NetErrorCodeName(NetErrorCode::kPermanentResolverFailure),
            "permanent-resolver-failure");
  EXPECT_EQ(NetErrorFromErrno(ECONNREFUSED), NetErrorCode::kConnectionRefused);
  EXPECT_EQ(NetErrorFromErrno(EADDRINUSE), NetErrorCode::kAddressInUse);
  EXPECT_EQ(NetErrorCodeFromMessage("connection-reset: Connection reset by peer"),
            NetErrorCode::kConnectionReset);
  EXPECT_EQ(NetErrorCodeFromMessage("disk full"), std::nullopt);
  EXPECT_EQ(Loopback(80).ToString(), "127.0.0.1:80");
  IpSocketAddress v6;
  v6.address = IpAddress::V6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
  v6.port = 443;
  EXPECT_EQ(v6.ToString(), "[2001:db8::1]:443");
  EXPECT_EQ(IpAddress::Parse("2001:db8::1").value(), v6.address);
  EXPECT_FALSE(IpAddress::Parse("localhost").has_value());
}

}  // namespace
}  // namespace weft::wasi::p2
