// Tests of the wasi:sockets linker glue (sockets_linker.cc) without a guest: the host
// functions AddSocketsToLinker defines are looked up in the linker and called with the Vals a
// guest's lowered arguments would lift to, checking the WIT result shapes, that pollables and
// streams land in the WasiP2Ctx tables, and that malformed arguments trap instead of crashing.
// Servers are on 127.0.0.1 port 0, made and closed by the test; waits are bounded.
#include <gtest/gtest.h>

#include <chrono>

#include <boost/asio/io_context.hpp>

#include "api/component_internal.h"
#include "runtime/objects.h"
#include "wasi/p2/sockets.h"

namespace weft::wasi::p2 {
namespace {

using component::HostResourceType;
using component::ResourceAny;
using component::TypeKind;
using component::Val;

struct GlueState {
  WasiP2Ctx* io;
  SocketsCtx* sockets;
};

template <typename Tag>
Val Borrow(uint32_t rep) {
  return Val::Borrow(ResourceAny{HostResourceType<Tag>(), rep});
}

Val Ipv4SockAddr(uint16_t port, std::array<uint8_t, 4> a) {
  std::vector<Val> parts;
  for (uint8_t b : a) parts.push_back(Val::U8(b));
  Val rec = Val::Aggregate(TypeKind::kRecord,
                           {Val::U16(port), Val::Aggregate(TypeKind::kTuple, std::move(parts))});
  return Val::Aggregate(TypeKind::kVariant, {std::move(rec)}, 0);
}

class Glue {
 public:
  Glue()
      : wasi_(io_), sockets_(io_), store_(engine_, GlueState{&wasi_, &sockets_}),
        linker_(engine_) {
    Error e = AddSocketsToLinker<GlueState>(
        linker_, [](GlueState& s) -> SocketsCtx& { return *s.sockets; },
        [](GlueState& s) -> WasiP2Ctx& { return *s.io; });
    EXPECT_TRUE(e.ok()) << e.message();
    hctx_.store = store_.raw();
    hctx_.caller = nullptr;
  }

  /// Calls wasi:sockets/<iface>@0.2.12 `func`; the result Val or the trap.
  Expected<Val> Call(std::string_view iface, std::string_view func, std::vector<Val> params) {
    std::string name = "wasi:sockets/" + std::string(iface) + "@0.2.12";
    for (const auto& node : linker_.impl()->instances) {
      if (node->name != name) continue;
      auto it = node->funcs.find(func);
      if (it == node->funcs.end()) break;
      CallerBase caller(&hctx_);
      component::HostContext cx(caller);
      std::vector<Val> results(1);
      Error e = it->second->func(cx, params, results);
      if (!e.ok()) return e;
      return results[0];
    }
    return Error::Make(ErrorCode::kInternal, "no " + name + " " + std::string(func));
  }

  bool HasResource(std::string_view iface, std::string_view resource) {
    std::string name = "wasi:sockets/" + std::string(iface) + "@0.2.12";
    for (const auto& node : linker_.impl()->instances) {
      if (node->name == name) return node->resources.count(std::string(resource)) != 0;
    }
    return false;
  }

  /// Waits (bounded) for the pollable with this rep in the io tables.
  bool Wait(uint32_t pollable_rep) {
    auto* slot = wasi_.pollables.Get(pollable_rep);
    if (!slot) return false;
    std::shared_ptr<Pollable> p = *slot;  // a copy: slots move when the table grows
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!p->Ready()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      auto woke = std::make_shared<bool>(false);
      p->Wait(io_, [woke] { *woke = true; });
      while (!*woke && std::chrono::steady_clock::now() < deadline) {
        io_.restart();
        io_.run_one_for(std::chrono::milliseconds(50));
      }
    }
    return true;
  }

  boost::asio::io_context io_;
  WasiP2Ctx wasi_;
  SocketsCtx sockets_;
  Engine engine_;
  Store<GlueState> store_;
  component::Linker<GlueState> linker_;
  runtime::HostCallContext hctx_{};
};

/// ok payload of a result Val (or a failure naming the error code).
Val OkOf(const Expected<Val>& r) {
  Val kNone;
  EXPECT_TRUE(r.ok()) << r.error().message();
  if (!r.ok()) return kNone;
  EXPECT_EQ(r.value().kind, TypeKind::kResult);
  EXPECT_EQ(r.value().bits, 0u) << "err(" << (r.value().items.empty() ? 0 : r.value().items[0].bits)
                                << ")";
  if (r.value().bits != 0 || r.value().items.empty()) return kNone;
  return r.value().items[0];
}

uint64_t ErrOf(const Expected<Val>& r) {
  EXPECT_TRUE(r.ok());
  if (!r.ok()) return ~0ull;
  EXPECT_EQ(r.value().bits, 1u);
  if (r.value().items.empty()) return ~0ull;
  EXPECT_EQ(r.value().items[0].kind, TypeKind::kEnum);
  return r.value().items[0].bits;
}

TEST(SocketsLinkerTest, TcpThroughTheGlue) {
  Glue g;
  EXPECT_TRUE(g.HasResource("tcp", "tcp-socket"));
  EXPECT_TRUE(g.HasResource("tcp", "network"));
  EXPECT_TRUE(g.HasResource("tcp", "input-stream"));
  EXPECT_TRUE(g.HasResource("ip-name-lookup", "resolve-address-stream"));

  auto net = g.Call("instance-network", "instance-network", {});
  ASSERT_TRUE(net.ok());
  ASSERT_EQ(net.value().kind, TypeKind::kOwn);
  uint32_t net_rep = net.value().resource.rep;

  Val family_v4 = Val::Make(TypeKind::kEnum, 0);
  auto lsock = g.Call("tcp-create-socket", "create-tcp-socket", {family_v4});
  uint32_t l = OkOf(lsock).resource.rep;
  ASSERT_NE(l, 0u);
  EXPECT_EQ(OkOf(lsock).resource.type, HostResourceType<TcpSocketTag>());

  // finish-bind before start-bind: err(not-in-progress = 7).
  EXPECT_EQ(ErrOf(g.Call("tcp", "[method]tcp-socket.finish-bind", {Borrow<TcpSocketTag>(l)})),
            7u);
  OkOf(g.Call("tcp", "[method]tcp-socket.start-bind",
              {Borrow<TcpSocketTag>(l), Borrow<NetworkTag>(net_rep),
               Ipv4SockAddr(0, {127, 0, 0, 1})}));
  OkOf(g.Call("tcp", "[method]tcp-socket.finish-bind", {Borrow<TcpSocketTag>(l)}));
  OkOf(g.Call("tcp", "[method]tcp-socket.start-listen", {Borrow<TcpSocketTag>(l)}));
  OkOf(g.Call("tcp", "[method]tcp-socket.finish-listen", {Borrow<TcpSocketTag>(l)}));
  auto listening = g.Call("tcp", "[method]tcp-socket.is-listening", {Borrow<TcpSocketTag>(l)});
  ASSERT_TRUE(listening.ok());
  EXPECT_EQ(listening.value().kind, TypeKind::kBool);
  EXPECT_EQ(listening.value().bits, 1u);

  // local-address: ipv4(record{port, (127, 0, 0, 1)}).
  auto local = g.Call("tcp", "[method]tcp-socket.local-address", {Borrow<TcpSocketTag>(l)});
  const Val& addr = OkOf(local);
  ASSERT_EQ(addr.kind, TypeKind::kVariant);
  ASSERT_EQ(addr.bits, 0u);
  ASSERT_EQ(addr.items.size(), 1u);
  const Val& rec = addr.items[0];
  ASSERT_EQ(rec.kind, TypeKind::kRecord);
  ASSERT_EQ(rec.items.size(), 2u);
  uint16_t port = static_cast<uint16_t>(rec.items[0].bits);
  EXPECT_NE(port, 0);
  ASSERT_EQ(rec.items[1].items.size(), 4u);
  EXPECT_EQ(rec.items[1].items[0].bits, 127u);
  EXPECT_EQ(rec.items[1].items[3].bits, 1u);

  // Client: connect, wait on its pollable (in the io table), finish → (input, output).
  uint32_t c = OkOf(g.Call("tcp-create-socket", "create-tcp-socket", {family_v4})).resource.rep;
  OkOf(g.Call("tcp", "[method]tcp-socket.start-connect",
              {Borrow<TcpSocketTag>(c), Borrow<NetworkTag>(net_rep), addr}));
  auto sub = g.Call("tcp", "[method]tcp-socket.subscribe", {Borrow<TcpSocketTag>(c)});
  ASSERT_TRUE(sub.ok());
  ASSERT_EQ(sub.value().resource.type, HostResourceType<PollableTag>());
  ASSERT_TRUE(g.Wait(sub.value().resource.rep));
  const Val& streams = OkOf(g.Call("tcp", "[method]tcp-socket.finish-connect",
                                   {Borrow<TcpSocketTag>(c)}));
  ASSERT_EQ(streams.kind, TypeKind::kTuple);
  ASSERT_EQ(streams.items.size(), 2u);
  EXPECT_EQ(streams.items[0].resource.type, HostResourceType<InputStreamTag>());
  EXPECT_EQ(streams.items[1].resource.type, HostResourceType<OutputStreamTag>());
  // Copies: table slots move when the tables grow.
  auto* out_slot = g.wasi_.output_streams.Get(streams.items[1].resource.rep);
  ASSERT_TRUE(out_slot && *out_slot);
  std::shared_ptr<OutputStream> out = *out_slot;

  auto lsub = g.Call("tcp", "[method]tcp-socket.subscribe", {Borrow<TcpSocketTag>(l)});
  ASSERT_TRUE(lsub.ok());
  ASSERT_TRUE(g.Wait(lsub.value().resource.rep));
  const Val& acc = OkOf(g.Call("tcp", "[method]tcp-socket.accept", {Borrow<TcpSocketTag>(l)}));
  ASSERT_EQ(acc.items.size(), 3u);
  EXPECT_EQ(acc.items[0].resource.type, HostResourceType<TcpSocketTag>());
  auto* in_slot = g.wasi_.input_streams.Get(acc.items[1].resource.rep);
  ASSERT_TRUE(in_slot && *in_slot);
  std::shared_ptr<InputStream> in = *in_slot;

  // Bytes written on the client's output stream arrive on the accepted input stream.
  uint64_t permitted = 0;
  ASSERT_EQ(out->CheckWrite(permitted).kind, StreamStatus::kOk);
  ASSERT_GE(permitted, 3u);
  const uint8_t msg[] = {'a', 'b', 'c'};
  ASSERT_EQ(out->Write(msg).kind, StreamStatus::kOk);
  auto rsub = in->Subscribe();
  uint32_t rsub_rep = g.wasi_.pollables.Add(rsub);
  ASSERT_TRUE(g.Wait(rsub_rep));
  std::vector<uint8_t> got;
  ASSERT_EQ(in->Read(10, got).kind, StreamStatus::kOk);
  EXPECT_EQ(got, std::vector<uint8_t>(msg, msg + 3));

  // shutdown(both) on the accepted socket, then invalid enum → trap.
  OkOf(g.Call("tcp", "[method]tcp-socket.shutdown",
              {Borrow<TcpSocketTag>(acc.items[0].resource.rep), Val::Make(TypeKind::kEnum, 2)}));
  EXPECT_FALSE(g.Call("tcp", "[method]tcp-socket.shutdown",
                      {Borrow<TcpSocketTag>(c), Val::Make(TypeKind::kEnum, 3)})
                   .ok());
}

TEST(SocketsLinkerTest, MalformedArgumentsTrap) {
  Glue g;
  uint32_t net = g.Call("instance-network", "instance-network", {}).value().resource.rep;
  uint32_t s = OkOf(g.Call("tcp-create-socket", "create-tcp-socket",
                           {Val::Make(TypeKind::kEnum, 0)}))
                   .resource.rep;
  // Wrong resource type for self, unknown rep, missing and mistyped arguments.
  auto wrong_type = g.Call("tcp", "[method]tcp-socket.finish-bind", {Borrow<NetworkTag>(s)});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.error().message().find("tcp-socket.finish-bind"), std::string::npos);
  EXPECT_FALSE(g.Call("tcp", "[method]tcp-socket.finish-bind", {Borrow<TcpSocketTag>(999)}).ok());
  EXPECT_FALSE(g.Call("tcp", "[method]tcp-socket.start-bind", {Borrow<TcpSocketTag>(s)}).ok());
  EXPECT_FALSE(g.Call("tcp", "[method]tcp-socket.start-bind",
                      {Borrow<TcpSocketTag>(s), Borrow<NetworkTag>(net), Val::String("x")})
                   .ok());
  EXPECT_FALSE(g.Call("tcp-create-socket", "create-tcp-socket", {Val::Make(TypeKind::kEnum, 2)})
                   .ok());
  EXPECT_FALSE(g.Call("ip-name-lookup", "resolve-addresses",
                      {Borrow<NetworkTag>(net), Val::U32(1)})
                   .ok());
  // An ipv6 address on an ipv4 socket is an error code, not a trap: invalid-argument (3).
  std::vector<Val> groups;
  for (int i = 0; i < 8; ++i) groups.push_back(Val::U16(i == 7 ? 1 : 0));
  Val v6 = Val::Aggregate(
      TypeKind::kVariant,
      {Val::Aggregate(TypeKind::kRecord, {Val::U16(0), Val::U32(0),
                                          Val::Aggregate(TypeKind::kTuple, std::move(groups)),
                                          Val::U32(0)})},
      1);
  EXPECT_EQ(ErrOf(g.Call("tcp", "[method]tcp-socket.start-bind",
                         {Borrow<TcpSocketTag>(s), Borrow<NetworkTag>(net), v6})),
            3u);
}

TEST(SocketsLinkerTest, UdpAndNameLookupThroughTheGlue) {
  Glue g;
  uint32_t net = g.Call("instance-network", "instance-network", {}).value().resource.rep;
  Val v4 = Val::Make(TypeKind::kEnum, 0);
  uint32_t a = OkOf(g.Call("udp-create-socket", "create-udp-socket", {v4})).resource.rep;
  uint32_t b = OkOf(g.Call("udp-create-socket", "create-udp-socket", {v4})).resource.rep;
  for (uint32_t u : {a, b}) {
    OkOf(g.Call("udp", "[method]udp-socket.start-bind",
                {Borrow<UdpSocketTag>(u), Borrow<NetworkTag>(net), Ipv4SockAddr(0, {127, 0, 0, 1})}));
    OkOf(g.Call("udp", "[method]udp-socket.finish-bind", {Borrow<UdpSocketTag>(u)}));
  }
  Val a_addr = OkOf(g.Call("udp", "[method]udp-socket.local-address", {Borrow<UdpSocketTag>(a)}));
  Val none = Val::Aggregate(TypeKind::kOption, {}, 0);
  const Val& as = OkOf(g.Call("udp", "[method]udp-socket.stream", {Borrow<UdpSocketTag>(a), none}));
  uint32_t a_in = as.items.at(0).resource.rep;
  const Val& bs = OkOf(g.Call("udp", "[method]udp-socket.stream", {Borrow<UdpSocketTag>(b), none}));
  uint32_t b_out = bs.items.at(1).resource.rep;

  auto permit = g.Call("udp", "[method]outgoing-datagram-stream.check-send",
                       {Borrow<OutgoingDatagramStreamTag>(b_out)});
  EXPECT_EQ(OkOf(permit).bits, kMaxDatagramsPerCall);
  Val data = Val::Aggregate(TypeKind::kList, {Val::U8('h'), Val::U8('i')});
  Val dgram = Val::Aggregate(TypeKind::kRecord,
                             {data, Val::Aggregate(TypeKind::kOption, {a_addr}, 1)});
  auto sent = g.Call("udp", "[method]outgoing-datagram-stream.send",
                     {Borrow<OutgoingDatagramStreamTag>(b_out),
                      Val::Aggregate(TypeKind::kList, {dgram})});
  EXPECT_EQ(OkOf(sent).bits, 1u);

  auto sub = g.Call("udp", "[method]incoming-datagram-stream.subscribe",
                    {Borrow<IncomingDatagramStreamTag>(a_in)});
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(g.Wait(sub.value().resource.rep));
  auto recv = g.Call("udp", "[method]incoming-datagram-stream.receive",
                     {Borrow<IncomingDatagramStreamTag>(a_in), Val::U64(8)});
  const Val& list = OkOf(recv);
  ASSERT_EQ(list.kind, TypeKind::kList);
  ASSERT_EQ(list.items.size(), 1u);
  const Val& d = list.items[0];
  ASSERT_EQ(d.items.size(), 2u);
  ASSERT_EQ(ListLength(d.items[0]), 2u);
  EXPECT_EQ(ListByte(d.items[0], 0), uint8_t{'h'});
  EXPECT_EQ(d.items[1].kind, TypeKind::kVariant);

  // ip-name-lookup of a numeric address: some(ipv4((127, 0, 0, 1))), then none.
  auto rs = g.Call("ip-name-lookup", "resolve-addresses",
                   {Borrow<NetworkTag>(net), Val::String("127.0.0.1")});
  uint32_t stream = OkOf(rs).resource.rep;
  auto next = g.Call("ip-name-lookup", "[method]resolve-address-stream.resolve-next-address",
                     {Borrow<ResolveAddressStreamTag>(stream)});
  const Val& opt = OkOf(next);
  ASSERT_EQ(opt.kind, TypeKind::kOption);
  ASSERT_EQ(opt.bits, 1u);
  ASSERT_EQ(opt.items[0].kind, TypeKind::kVariant);
  EXPECT_EQ(opt.items[0].bits, 0u);
  EXPECT_EQ(opt.items[0].items[0].items[0].bits, 127u);
  auto end = g.Call("ip-name-lookup", "[method]resolve-address-stream.resolve-next-address",
                    {Borrow<ResolveAddressStreamTag>(stream)});
  EXPECT_EQ(OkOf(end).bits, 0u);
  // An invalid name is err(invalid-argument = 3).
  EXPECT_EQ(ErrOf(g.Call("ip-name-lookup", "resolve-addresses",
                         {Borrow<NetworkTag>(net), Val::String("no spaces allowed")})),
            3u);

  // network-error-code on a stream error made by a socket.
  uint32_t err = g.wasi_.errors.Add("connection-reset: Connection reset by peer");
  auto code = g.Call("network", "network-error-code",
                     {Val::Borrow(ResourceAny{HostResourceType<IoErrorTag>(), err})});
  ASSERT_TRUE(code.ok());
  ASSERT_EQ(code.value().bits, 1u);
  EXPECT_EQ(code.value().items[0].bits, static_cast<uint64_t>(NetErrorCode::kConnectionReset));
}

}  // namespace
}  // namespace weft::wasi::p2
