// The linker glue of wasi:sockets@0.2.12 (sockets.h): dynamic host functions (FuncNew) that
// read their arguments out of Vals, call the host classes, and build the WIT results. Every
// argument is checked as it is read: a value of the wrong shape or a handle of another
// resource type traps the guest with the function's name (never a crash). Resource reps index
// SocketsCtx's tables; pollables, streams and errors go to the WasiP2Ctx's tables, where
// wasi:io (AddIoToLinker) serves them. As elsewhere in the 0.2 host, each interface also
// defines the resource types it `use`s (same run-time identity and destructor).
#include <limits>

#include "wasi/p2/sockets.h"

namespace weft::wasi::p2 {

using component::HostContext;
using component::HostResourceType;
using component::ResourceAny;
using component::ResourceType;
using component::TypeKind;
using component::Val;

namespace {

constexpr std::string_view kVersion = "@0.2.12";

Error Trap(std::string message) { return Error::Make(ErrorCode::kTrap, std::move(message)); }

std::string Iface(std::string_view name) {
  return "wasi:sockets/" + std::string(name) + std::string(kVersion);
}

// --- Values out ------------------------------------------------------------------------------

Val Enum(uint32_t index) { return Val::Make(TypeKind::kEnum, index); }
Val ErrVal(NetErrorCode c) { return Enum(static_cast<uint32_t>(c)); }

Val Ok(std::optional<Val> v = std::nullopt) {
  std::vector<Val> items;
  if (v) items.push_back(std::move(*v));
  return Val::Aggregate(TypeKind::kResult, std::move(items), 0);
}
Val Err(NetErrorCode c) { return Val::Aggregate(TypeKind::kResult, {ErrVal(c)}, 1); }

Val Tuple(std::vector<Val> items) { return Val::Aggregate(TypeKind::kTuple, std::move(items)); }

Val AddressVal(const IpAddress& a) {
  std::vector<Val> parts;
  if (a.family == IpAddressFamily::kIpv4) {
    for (uint8_t b : a.v4) parts.push_back(Val::U8(b));
    return Val::Aggregate(TypeKind::kVariant, {Tuple(std::move(parts))}, 0);
  }
  for (uint16_t g : a.v6) parts.push_back(Val::U16(g));
  return Val::Aggregate(TypeKind::kVariant, {Tuple(std::move(parts))}, 1);
}

Val SocketAddressVal(const IpSocketAddress& a) {
  Val addr = AddressVal(a.address);
  Val inner = std::move(addr.items[0]);  // the ipv4-address / ipv6-address tuple
  if (a.address.family == IpAddressFamily::kIpv4) {
    Val rec = Val::Aggregate(TypeKind::kRecord, {Val::U16(a.port), std::move(inner)});
    return Val::Aggregate(TypeKind::kVariant, {std::move(rec)}, 0);
  }
  Val rec = Val::Aggregate(TypeKind::kRecord, {Val::U16(a.port), Val::U32(a.flow_info),
                                               std::move(inner), Val::U32(a.scope_id)});
  return Val::Aggregate(TypeKind::kVariant, {std::move(rec)}, 1);
}

/// list<u8> in the packed form (component_types.h).
Val BytesVal(const std::vector<uint8_t>& bytes) { return Val::Bytes(std::span<const uint8_t>(bytes)); }

template <typename Tag>
Val Own(uint32_t rep) {
  return Val::Own(ResourceAny{HostResourceType<Tag>(), rep});
}

// --- Values in -------------------------------------------------------------------------------

bool IsInt(const Val& v) { return v.kind >= TypeKind::kBool && v.kind <= TypeKind::kU64; }

std::optional<IpAddress> AddressFrom(const Val& tuple, bool v6) {
  size_t n = v6 ? 8 : 4;
  if (tuple.kind != TypeKind::kTuple || tuple.items.size() != n) return std::nullopt;
  IpAddress a;
  a.family = v6 ? IpAddressFamily::kIpv6 : IpAddressFamily::kIpv4;
  for (size_t i = 0; i < n; ++i) {
    if (!IsInt(tuple.items[i])) return std::nullopt;
    if (v6) {
      a.v6[i] = static_cast<uint16_t>(tuple.items[i].bits);
    } else {
      a.v4[i] = static_cast<uint8_t>(tuple.items[i].bits);
    }
  }
  return a;
}

std::optional<IpSocketAddress> SocketAddressFrom(const Val& v) {
  if (v.kind != TypeKind::kVariant || v.items.size() != 1 || v.bits > 1) return std::nullopt;
  const Val& rec = v.items[0];
  if (rec.kind != TypeKind::kRecord) return std::nullopt;
  IpSocketAddress a;
  if (v.bits == 0) {
    if (rec.items.size() != 2 || !IsInt(rec.items[0])) return std::nullopt;
    auto addr = AddressFrom(rec.items[1], false);
    if (!addr) return std::nullopt;
    a.address = *addr;
    a.port = static_cast<uint16_t>(rec.items[0].bits);
    return a;
  }
  if (rec.items.size() != 4 || !IsInt(rec.items[0]) || !IsInt(rec.items[1]) ||
      !IsInt(rec.items[3])) {
    return std::nullopt;
  }
  auto addr = AddressFrom(rec.items[2], true);
  if (!addr) return std::nullopt;
  a.address = *addr;
  a.port = static_cast<uint16_t>(rec.items[0].bits);
  a.flow_info = static_cast<uint32_t>(rec.items[1].bits);
  a.scope_id = static_cast<uint32_t>(rec.items[3].bits);
  return a;
}

std::optional<std::vector<uint8_t>> BytesFrom(const Val& v) {
  if (v.kind != TypeKind::kList) return std::nullopt;
  for (const Val& b : v.items) {  // the element form; the packed form has no items
    if (!IsInt(b)) return std::nullopt;
  }
  std::vector<uint8_t> out;
  AppendListBytes(v, out);
  return out;
}

/// The arguments of one call, read with checks; the first failure is kept for the trap.
class Args {
 public:
  Args(std::string_view func, std::span<const Val> params) : func_(func), params_(params) {}

  template <typename Tag>
  uint32_t Handle(size_t i) {
    const Val* v = At(i);
    if (!v) return 0;
    if ((v->kind != TypeKind::kBorrow && v->kind != TypeKind::kOwn) ||
        v->resource.type != HostResourceType<Tag>()) {
      Bad(i, "a handle of the expected resource type");
      return 0;
    }
    return v->resource.rep;
  }
  uint64_t UInt(size_t i) {
    const Val* v = At(i);
    if (!v) return 0;
    if (!IsInt(*v)) Bad(i, "an integer");
    return v->bits;
  }
  uint32_t EnumCase(size_t i, uint32_t cases) {
    const Val* v = At(i);
    if (!v) return 0;
    if (v->kind != TypeKind::kEnum || v->bits >= cases) Bad(i, "an enum case in range");
    return static_cast<uint32_t>(v->bits);
  }
  std::string String(size_t i) {
    const Val* v = At(i);
    if (!v) return {};
    if (v->kind != TypeKind::kString) Bad(i, "a string");
    return v->str;
  }
  IpSocketAddress SocketAddress(size_t i) {
    const Val* v = At(i);
    if (!v) return {};
    auto a = SocketAddressFrom(*v);
    if (!a) {
      Bad(i, "an ip-socket-address");
      return {};
    }
    return *a;
  }
  std::optional<IpSocketAddress> OptSocketAddress(const Val& v, size_t i) {
    if (v.kind != TypeKind::kOption) {
      Bad(i, "an option<ip-socket-address>");
      return std::nullopt;
    }
    if (v.bits == 0) return std::nullopt;
    auto a = v.items.size() == 1 ? SocketAddressFrom(v.items[0]) : std::nullopt;
    if (!a) Bad(i, "an option<ip-socket-address>");
    return a;
  }
  std::optional<IpSocketAddress> OptSocketAddress(size_t i) {
    const Val* v = At(i);
    if (!v) return std::nullopt;
    return OptSocketAddress(*v, i);
  }
  std::vector<OutgoingDatagram> Datagrams(size_t i) {
    const Val* v = At(i);
    std::vector<OutgoingDatagram> out;
    if (!v) return out;
    if (v->kind != TypeKind::kList) {
      Bad(i, "a list<outgoing-datagram>");
      return out;
    }
    for (const Val& d : v->items) {
      if (d.kind != TypeKind::kRecord || d.items.size() != 2) {
        Bad(i, "a list<outgoing-datagram>");
        return {};
      }
      auto data = BytesFrom(d.items[0]);
      if (!data) {
        Bad(i, "a list<outgoing-datagram>");
        return {};
      }
      OutgoingDatagram g;
      g.data = std::move(*data);
      g.remote_address = OptSocketAddress(d.items[1], i);
      out.push_back(std::move(g));
    }
    return out;
  }

  /// The trap for the first bad argument, or ok.
  Error Check() const { return error_.empty() ? Error() : Trap(error_); }

 private:
  const Val* At(size_t i) {
    if (i >= params_.size()) {
      if (error_.empty()) {
        error_ = std::string(func_) + ": expected at least " + std::to_string(i + 1) +
                 " arguments, got " + std::to_string(params_.size());
      }
      return nullptr;
    }
    return &params_[i];
  }
  void Bad(size_t i, const char* what) {
    if (error_.empty()) {
      error_ = std::string(func_) + ": argument " + std::to_string(i + 1) + " is not " + what;
    }
  }
  std::string_view func_;
  std::span<const Val> params_;
  std::string error_;
};

void SetResult(std::span<Val> results, Val v) {
  if (!results.empty()) results[0] = std::move(v);
}

/// NetResult<T> → result<T', error-code> with `conv` mapping the ok value.
template <typename T, typename F>
Val ResultVal(NetResult<T>& r, F conv) {
  if (!r.ok()) return Err(r.error());
  return Ok(conv(r.value()));
}
Val UnitVal(const NetResult<void>& r) { return r.ok() ? Ok() : Err(r.error()); }

// --- Host function plumbing --------------------------------------------------------------------

struct Getters {
  SocketsGetter sockets;
  SocketsIoGetter io;
};

/// Body of a host function: (HostContext, args, sockets ctx, io ctx) → result value or trap.
using Body = std::function<Expected<Val>(Args&, SocketsCtx&, WasiP2Ctx&)>;

Error Define(component::LinkerInstanceBase inst, std::string func, const Getters& g, Body body) {
  std::string name = func;
  return inst.FuncNew(name, [g, func = std::move(func), body = std::move(body)](
                                HostContext& cx, std::span<const Val> params,
                                std::span<Val> results) -> Error {
    Args args(func, params);
    SocketsCtx& sockets = g.sockets(cx.store());
    WasiP2Ctx& io = g.io(cx.store());
    Expected<Val> r = body(args, sockets, io);
    WEFT_TRY(args.Check());
    if (!r.ok()) return std::move(r).error();
    SetResult(results, std::move(r).value());
    return Error();
  });
}

template <typename X>
Expected<std::shared_ptr<X>*> Lookup(Table<std::shared_ptr<X>>& table, uint32_t rep,
                                     const char* what) {
  auto* p = table.Get(rep);
  if (!p || !*p) return Trap(std::string("invalid ") + what + " handle (rep " +
                             std::to_string(rep) + ")");
  return p;
}

// Resource definitions (own interfaces and `use`d ones).

template <typename Tag, typename X>
Error DefineTableResource(component::LinkerInstanceBase inst, std::string_view name,
                          std::function<Table<X>&(StoreBase&)> table) {
  return inst.DefineResource(name, HostResourceType<Tag>(),
                             [table](HostContext*, StoreBase& s, uint32_t rep) {
                               table(s).Remove(rep);
                             });
}

Error DefineUsed(component::LinkerInstanceBase inst, std::string_view name, const Getters& g) {
  auto sk = g.sockets;
  auto io = g.io;
  if (name == "network") {
    return DefineTableResource<NetworkTag, uint8_t>(
        inst, name, [sk](StoreBase& s) -> Table<uint8_t>& { return sk(s).networks; });
  }
  if (name == "pollable") {
    return DefineTableResource<PollableTag, std::shared_ptr<Pollable>>(
        inst, name,
        [io](StoreBase& s) -> Table<std::shared_ptr<Pollable>>& { return io(s).pollables; });
  }
  if (name == "input-stream") {
    return DefineTableResource<InputStreamTag, std::shared_ptr<InputStream>>(
        inst, name, [io](StoreBase& s) -> Table<std::shared_ptr<InputStream>>& {
          return io(s).input_streams;
        });
  }
  if (name == "output-stream") {
    return DefineTableResource<OutputStreamTag, std::shared_ptr<OutputStream>>(
        inst, name, [io](StoreBase& s) -> Table<std::shared_ptr<OutputStream>>& {
          return io(s).output_streams;
        });
  }
  if (name == "error") {
    return DefineTableResource<IoErrorTag, std::string>(
        inst, name, [io](StoreBase& s) -> Table<std::string>& { return io(s).errors; });
  }
  if (name == "tcp-socket") {
    return DefineTableResource<TcpSocketTag, std::shared_ptr<TcpSocket>>(
        inst, name, [sk](StoreBase& s) -> Table<std::shared_ptr<TcpSocket>>& {
          return sk(s).tcp_sockets;
        });
  }
  if (name == "udp-socket") {
    return DefineTableResource<UdpSocketTag, std::shared_ptr<UdpSocket>>(
        inst, name, [sk](StoreBase& s) -> Table<std::shared_ptr<UdpSocket>>& {
          return sk(s).udp_sockets;
        });
  }
  if (name == "incoming-datagram-stream") {
    return DefineTableResource<IncomingDatagramStreamTag,
                               std::shared_ptr<IncomingDatagramStream>>(
        inst, name, [sk](StoreBase& s) -> Table<std::shared_ptr<IncomingDatagramStream>>& {
          return sk(s).incoming_datagram_streams;
        });
  }
  if (name == "outgoing-datagram-stream") {
    return DefineTableResource<OutgoingDatagramStreamTag,
                               std::shared_ptr<OutgoingDatagramStream>>(
        inst, name, [sk](StoreBase& s) -> Table<std::shared_ptr<OutgoingDatagramStream>>& {
          return sk(s).outgoing_datagram_streams;
        });
  }
  if (name == "resolve-address-stream") {
    return DefineTableResource<ResolveAddressStreamTag, std::shared_ptr<ResolveAddressStream>>(
        inst, name, [sk](StoreBase& s) -> Table<std::shared_ptr<ResolveAddressStream>>& {
          return sk(s).resolve_streams;
        });
  }
  return Error::Make(ErrorCode::kInternal, "not a wasi:sockets resource: " + std::string(name));
}

Val PollableVal(WasiP2Ctx& io, std::shared_ptr<Pollable> p) {
  return Own<PollableTag>(io.pollables.Add(std::move(p)));
}

// --- Interfaces ------------------------------------------------------------------------------

Error AddNetwork(component::LinkerBase& linker, const Getters& g) {
  auto inst = linker.InstanceBase(Iface("network"));
  WEFT_TRY(DefineUsed(inst, "network", g));
  WEFT_TRY(DefineUsed(inst, "error", g));
  // @unstable(feature = network-error-code): the code of a stream error made by a socket.
  return Define(inst, "network-error-code", g,
                [](Args& a, SocketsCtx&, WasiP2Ctx& io) -> Expected<Val> {
                  uint32_t rep = a.Handle<IoErrorTag>(0);
                  WEFT_TRY(a.Check());
                  std::string* msg = io.errors.Get(rep);
                  if (!msg) return Trap("network-error-code: invalid error handle");
                  auto code = NetErrorCodeFromMessage(*msg);
                  if (!code) return Val::Aggregate(TypeKind::kOption, {}, 0);
                  return Val::Aggregate(TypeKind::kOption, {ErrVal(*code)}, 1);
                });
}

Error AddInstanceNetwork(component::LinkerBase& linker, const Getters& g) {
  auto inst = linker.InstanceBase(Iface("instance-network"));
  WEFT_TRY(DefineUsed(inst, "network", g));
  return Define(inst, "instance-network", g, [](Args&, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
    return Own<NetworkTag>(s.networks.Add(1));
  });
}

Error AddIpNameLookup(component::LinkerBase& linker, const Getters& g) {
  auto inst = linker.InstanceBase(Iface("ip-name-lookup"));
  for (const char* r : {"pollable", "network", "resolve-address-stream"}) {
    WEFT_TRY(DefineUsed(inst, r, g));
  }
  WEFT_TRY(Define(inst, "resolve-addresses", g,
                  [](Args& a, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                    uint32_t net = a.Handle<NetworkTag>(0);
                    std::string name = a.String(1);
                    WEFT_TRY(a.Check());
                    if (!s.networks.Get(net)) return Trap("resolve-addresses: invalid network");
                    auto r = ResolveAddresses(s, name);
                    return ResultVal(r, [&](std::shared_ptr<ResolveAddressStream>& st) {
                      return Own<ResolveAddressStreamTag>(s.resolve_streams.Add(st));
                    });
                  }));
  WEFT_TRY(Define(inst, "[method]resolve-address-stream.resolve-next-address", g,
                  [](Args& a, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                    uint32_t rep = a.Handle<ResolveAddressStreamTag>(0);
                    WEFT_TRY(a.Check());
                    WEFT_TRY_ASSIGN(auto* st, Lookup(s.resolve_streams, rep,
                                                     "resolve-address-stream"));
                    auto r = (*st)->ResolveNextAddress();
                    return ResultVal(r, [](std::optional<IpAddress>& addr) {
                      if (!addr) return Val::Aggregate(TypeKind::kOption, {}, 0);
                      return Val::Aggregate(TypeKind::kOption, {AddressVal(*addr)}, 1);
                    });
                  }));
  return Define(inst, "[method]resolve-address-stream.subscribe", g,
                [](Args& a, SocketsCtx& s, WasiP2Ctx& io) -> Expected<Val> {
                  uint32_t rep = a.Handle<ResolveAddressStreamTag>(0);
                  WEFT_TRY(a.Check());
                  WEFT_TRY_ASSIGN(auto* st,
                                  Lookup(s.resolve_streams, rep, "resolve-address-stream"));
                  return PollableVal(io, (*st)->Subscribe());
                });
}

Val FamilyVal(IpAddressFamily f) { return Enum(f == IpAddressFamily::kIpv4 ? 0 : 1); }

// tcp-socket methods share this shape: look the socket up, call `f` on it.
using TcpFn = std::function<Expected<Val>(Args&, TcpSocket&, SocketsCtx&, WasiP2Ctx&)>;

Error TcpMethod(component::LinkerInstanceBase inst, std::string_view method, const Getters& g,
                TcpFn f) {
  std::string name = "[method]tcp-socket." + std::string(method);
  return Define(inst, name, g,
                [f = std::move(f)](Args& a, SocketsCtx& s, WasiP2Ctx& io) -> Expected<Val> {
                  uint32_t rep = a.Handle<TcpSocketTag>(0);
                  WEFT_TRY(a.Check());
                  WEFT_TRY_ASSIGN(auto* sock, Lookup(s.tcp_sockets, rep, "tcp-socket"));
                  std::shared_ptr<TcpSocket> keep = *sock;  // f may grow the table
                  return f(a, *keep, s, io);
                });
}

Val StreamsVal(WasiP2Ctx& io, TcpSocket::Streams& st) {
  return Tuple({Own<InputStreamTag>(io.input_streams.Add(st.first)),
                Own<OutputStreamTag>(io.output_streams.Add(st.second))});
}

template <typename T>
Val NumResult(NetResult<T>& r, Val (*make)(T)) {
  return ResultVal(r, [make](T& v) { return make(v); });
}

Error AddTcp(component::LinkerBase& linker, const Getters& g) {
  auto inst = linker.InstanceBase(Iface("tcp"));
  for (const char* r : {"input-stream", "output-stream", "pollable", "network", "tcp-socket"}) {
    WEFT_TRY(DefineUsed(inst, r, g));
  }
  auto net_check = [](Args& a, SocketsCtx& s) -> Error {
    uint32_t net = a.Handle<NetworkTag>(1);
    WEFT_TRY(a.Check());
    if (!s.networks.Get(net)) return Trap("tcp-socket: invalid network handle");
    return Error();
  };
  WEFT_TRY(TcpMethod(inst, "start-bind", g,
                     [net_check](Args& a, TcpSocket& t, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                       WEFT_TRY(net_check(a, s));
                       IpSocketAddress addr = a.SocketAddress(2);
                       WEFT_TRY(a.Check());
                       return UnitVal(t.StartBind(addr));
                     }));
  WEFT_TRY(TcpMethod(inst, "finish-bind", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       return UnitVal(t.FinishBind());
                     }));
  WEFT_TRY(TcpMethod(inst, "start-connect", g,
                     [net_check](Args& a, TcpSocket& t, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                       WEFT_TRY(net_check(a, s));
                       IpSocketAddress addr = a.SocketAddress(2);
                       WEFT_TRY(a.Check());
                       return UnitVal(t.StartConnect(addr));
                     }));
  WEFT_TRY(TcpMethod(inst, "finish-connect", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx& io) -> Expected<Val> {
                       auto r = t.FinishConnect();
                       return ResultVal(r, [&](TcpSocket::Streams& st) { return StreamsVal(io, st); });
                     }));
  WEFT_TRY(TcpMethod(inst, "start-listen", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       return UnitVal(t.StartListen());
                     }));
  WEFT_TRY(TcpMethod(inst, "finish-listen", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       return UnitVal(t.FinishListen());
                     }));
  WEFT_TRY(TcpMethod(inst, "accept", g,
                     [](Args&, TcpSocket& t, SocketsCtx& s, WasiP2Ctx& io) -> Expected<Val> {
                       auto r = t.Accept();
                       return ResultVal(r, [&](TcpSocket::Accepted& acc) {
                         return Tuple({Own<TcpSocketTag>(s.tcp_sockets.Add(acc.socket)),
                                       Own<InputStreamTag>(io.input_streams.Add(acc.input)),
                                       Own<OutputStreamTag>(io.output_streams.Add(acc.output))});
                       });
                     }));
  WEFT_TRY(TcpMethod(inst, "local-address", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       auto r = t.LocalAddress();
                       return ResultVal(r, [](IpSocketAddress& a) { return SocketAddressVal(a); });
                     }));
  WEFT_TRY(TcpMethod(inst, "remote-address", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       auto r = t.RemoteAddress();
                       return ResultVal(r, [](IpSocketAddress& a) { return SocketAddressVal(a); });
                     }));
  WEFT_TRY(TcpMethod(inst, "is-listening", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       return Val::Bool(t.IsListening());
                     }));
  WEFT_TRY(TcpMethod(inst, "address-family", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       return FamilyVal(t.address_family());
                     }));
  WEFT_TRY(TcpMethod(inst, "set-listen-backlog-size", g,
                     [](Args& a, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       uint64_t v = a.UInt(1);
                       WEFT_TRY(a.Check());
                       return UnitVal(t.SetListenBacklogSize(v));
                     }));
  WEFT_TRY(TcpMethod(inst, "keep-alive-enabled", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       auto r = t.KeepAliveEnabled();
                       return NumResult<bool>(r, [](bool v) { return Val::Bool(v); });
                     }));
  WEFT_TRY(TcpMethod(inst, "set-keep-alive-enabled", g,
                     [](Args& a, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       uint64_t v = a.UInt(1);
                       WEFT_TRY(a.Check());
                       return UnitVal(t.SetKeepAliveEnabled(v != 0));
                     }));
  // u64 getters/setters (durations in ns, buffer sizes).
  struct U64Opt {
    const char* get;
    const char* set;
    NetResult<uint64_t> (TcpSocket::*getter)();
    NetResult<void> (TcpSocket::*setter)(uint64_t);
  };
  for (const U64Opt& o : {U64Opt{"keep-alive-idle-time", "set-keep-alive-idle-time",
                                 &TcpSocket::KeepAliveIdleTime, &TcpSocket::SetKeepAliveIdleTime},
                          U64Opt{"keep-alive-interval", "set-keep-alive-interval",
                                 &TcpSocket::KeepAliveInterval, &TcpSocket::SetKeepAliveInterval},
                          U64Opt{"receive-buffer-size", "set-receive-buffer-size",
                                 &TcpSocket::ReceiveBufferSize, &TcpSocket::SetReceiveBufferSize},
                          U64Opt{"send-buffer-size", "set-send-buffer-size",
                                 &TcpSocket::SendBufferSize, &TcpSocket::SetSendBufferSize}}) {
    WEFT_TRY(TcpMethod(inst, o.get, g,
                       [getter = o.getter](Args&, TcpSocket& t, SocketsCtx&,
                                           WasiP2Ctx&) -> Expected<Val> {
                         auto r = (t.*getter)();
                         return NumResult<uint64_t>(r, [](uint64_t v) { return Val::U64(v); });
                       }));
    WEFT_TRY(TcpMethod(inst, o.set, g,
                       [setter = o.setter](Args& a, TcpSocket& t, SocketsCtx&,
                                           WasiP2Ctx&) -> Expected<Val> {
                         uint64_t v = a.UInt(1);
                         WEFT_TRY(a.Check());
                         return UnitVal((t.*setter)(v));
                       }));
  }
  WEFT_TRY(TcpMethod(inst, "keep-alive-count", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       auto r = t.KeepAliveCount();
                       return NumResult<uint32_t>(r, [](uint32_t v) { return Val::U32(v); });
                     }));
  WEFT_TRY(TcpMethod(inst, "set-keep-alive-count", g,
                     [](Args& a, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       uint64_t v = a.UInt(1);
                       WEFT_TRY(a.Check());
                       return UnitVal(t.SetKeepAliveCount(static_cast<uint32_t>(v)));
                     }));
  WEFT_TRY(TcpMethod(inst, "hop-limit", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       auto r = t.HopLimit();
                       return NumResult<uint8_t>(r, [](uint8_t v) { return Val::U8(v); });
                     }));
  WEFT_TRY(TcpMethod(inst, "set-hop-limit", g,
                     [](Args& a, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       uint64_t v = a.UInt(1);
                       WEFT_TRY(a.Check());
                       return UnitVal(t.SetHopLimit(static_cast<uint8_t>(v)));
                     }));
  WEFT_TRY(TcpMethod(inst, "subscribe", g,
                     [](Args&, TcpSocket& t, SocketsCtx&, WasiP2Ctx& io) -> Expected<Val> {
                       return PollableVal(io, t.Subscribe());
                     }));
  return TcpMethod(inst, "shutdown", g,
                   [](Args& a, TcpSocket& t, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                     uint32_t how = a.EnumCase(1, 3);
                     WEFT_TRY(a.Check());
                     return UnitVal(t.Shutdown(static_cast<ShutdownType>(how)));
                   });
}

Expected<IpAddressFamily> FamilyArg(Args& a, size_t i) {
  uint32_t f = a.EnumCase(i, 2);
  WEFT_TRY(a.Check());
  return f == 0 ? IpAddressFamily::kIpv4 : IpAddressFamily::kIpv6;
}

Error AddTcpCreateSocket(component::LinkerBase& linker, const Getters& g) {
  auto inst = linker.InstanceBase(Iface("tcp-create-socket"));
  WEFT_TRY(DefineUsed(inst, "network", g));
  WEFT_TRY(DefineUsed(inst, "tcp-socket", g));
  return Define(inst, "create-tcp-socket", g,
                [](Args& a, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                  WEFT_TRY_ASSIGN(IpAddressFamily f, FamilyArg(a, 0));
                  auto r = TcpSocket::Create(s, f);
                  return ResultVal(r, [&](std::shared_ptr<TcpSocket>& t) {
                    return Own<TcpSocketTag>(s.tcp_sockets.Add(t));
                  });
                });
}

using UdpFn = std::function<Expected<Val>(Args&, UdpSocket&, SocketsCtx&, WasiP2Ctx&)>;

Error UdpMethod(component::LinkerInstanceBase inst, std::string_view method, const Getters& g,
                UdpFn f) {
  std::string name = "[method]udp-socket." + std::string(method);
  return Define(inst, name, g,
                [f = std::move(f)](Args& a, SocketsCtx& s, WasiP2Ctx& io) -> Expected<Val> {
                  uint32_t rep = a.Handle<UdpSocketTag>(0);
                  WEFT_TRY(a.Check());
                  WEFT_TRY_ASSIGN(auto* sock, Lookup(s.udp_sockets, rep, "udp-socket"));
                  std::shared_ptr<UdpSocket> keep = *sock;
                  return f(a, *keep, s, io);
                });
}

Error AddUdp(component::LinkerBase& linker, const Getters& g) {
  auto inst = linker.InstanceBase(Iface("udp"));
  for (const char* r : {"pollable", "network", "udp-socket", "incoming-datagram-stream",
                        "outgoing-datagram-stream"}) {
    WEFT_TRY(DefineUsed(inst, r, g));
  }
  WEFT_TRY(UdpMethod(inst, "start-bind", g,
                     [](Args& a, UdpSocket& u, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                       uint32_t net = a.Handle<NetworkTag>(1);
                       IpSocketAddress addr = a.SocketAddress(2);
                       WEFT_TRY(a.Check());
                       if (!s.networks.Get(net)) return Trap("udp-socket: invalid network handle");
                       return UnitVal(u.StartBind(addr));
                     }));
  WEFT_TRY(UdpMethod(inst, "finish-bind", g,
                     [](Args&, UdpSocket& u, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       return UnitVal(u.FinishBind());
                     }));
  WEFT_TRY(UdpMethod(inst, "stream", g,
                     [](Args& a, UdpSocket& u, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                       std::optional<IpSocketAddress> remote = a.OptSocketAddress(1);
                       WEFT_TRY(a.Check());
                       WEFT_TRY_ASSIGN(auto r, u.Stream(remote));
                       return ResultVal(r, [&](UdpSocket::Streams& st) {
                         return Tuple(
                             {Own<IncomingDatagramStreamTag>(
                                  s.incoming_datagram_streams.Add(st.first)),
                              Own<OutgoingDatagramStreamTag>(
                                  s.outgoing_datagram_streams.Add(st.second))});
                       });
                     }));
  WEFT_TRY(UdpMethod(inst, "local-address", g,
                     [](Args&, UdpSocket& u, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       auto r = u.LocalAddress();
                       return ResultVal(r, [](IpSocketAddress& a) { return SocketAddressVal(a); });
                     }));
  WEFT_TRY(UdpMethod(inst, "remote-address", g,
                     [](Args&, UdpSocket& u, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       auto r = u.RemoteAddress();
                       return ResultVal(r, [](IpSocketAddress& a) { return SocketAddressVal(a); });
                     }));
  WEFT_TRY(UdpMethod(inst, "address-family", g,
                     [](Args&, UdpSocket& u, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       return FamilyVal(u.address_family());
                     }));
  WEFT_TRY(UdpMethod(inst, "unicast-hop-limit", g,
                     [](Args&, UdpSocket& u, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       auto r = u.UnicastHopLimit();
                       return NumResult<uint8_t>(r, [](uint8_t v) { return Val::U8(v); });
                     }));
  WEFT_TRY(UdpMethod(inst, "set-unicast-hop-limit", g,
                     [](Args& a, UdpSocket& u, SocketsCtx&, WasiP2Ctx&) -> Expected<Val> {
                       uint64_t v = a.UInt(1);
                       WEFT_TRY(a.Check());
                       return UnitVal(u.SetUnicastHopLimit(static_cast<uint8_t>(v)));
                     }));
  struct U64Opt {
    const char* get;
    const char* set;
    NetResult<uint64_t> (UdpSocket::*getter)();
    NetResult<void> (UdpSocket::*setter)(uint64_t);
  };
  for (const U64Opt& o :
       {U64Opt{"receive-buffer-size", "set-receive-buffer-size", &UdpSocket::ReceiveBufferSize,
               &UdpSocket::SetReceiveBufferSize},
        U64Opt{"send-buffer-size", "set-send-buffer-size", &UdpSocket::SendBufferSize,
               &UdpSocket::SetSendBufferSize}}) {
    WEFT_TRY(UdpMethod(inst, o.get, g,
                       [getter = o.getter](Args&, UdpSocket& u, SocketsCtx&,
                                           WasiP2Ctx&) -> Expected<Val> {
                         auto r = (u.*getter)();
                         return NumResult<uint64_t>(r, [](uint64_t v) { return Val::U64(v); });
                       }));
    WEFT_TRY(UdpMethod(inst, o.set, g,
                       [setter = o.setter](Args& a, UdpSocket& u, SocketsCtx&,
                                           WasiP2Ctx&) -> Expected<Val> {
                         uint64_t v = a.UInt(1);
                         WEFT_TRY(a.Check());
                         return UnitVal((u.*setter)(v));
                       }));
  }
  WEFT_TRY(UdpMethod(inst, "subscribe", g,
                     [](Args&, UdpSocket& u, SocketsCtx&, WasiP2Ctx& io) -> Expected<Val> {
                       return PollableVal(io, u.Subscribe());
                     }));

  WEFT_TRY(Define(inst, "[method]incoming-datagram-stream.receive", g,
                  [](Args& a, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                    uint32_t rep = a.Handle<IncomingDatagramStreamTag>(0);
                    uint64_t max = a.UInt(1);
                    WEFT_TRY(a.Check());
                    WEFT_TRY_ASSIGN(auto* st, Lookup(s.incoming_datagram_streams, rep,
                                                     "incoming-datagram-stream"));
                    auto r = (*st)->Receive(max);
                    return ResultVal(r, [](std::vector<IncomingDatagram>& ds) {
                      std::vector<Val> items;
                      for (const IncomingDatagram& d : ds) {
                        items.push_back(Val::Aggregate(
                            TypeKind::kRecord,
                            {BytesVal(d.data), SocketAddressVal(d.remote_address)}));
                      }
                      return Val::Aggregate(TypeKind::kList, std::move(items));
                    });
                  }));
  WEFT_TRY(Define(inst, "[method]incoming-datagram-stream.subscribe", g,
                  [](Args& a, SocketsCtx& s, WasiP2Ctx& io) -> Expected<Val> {
                    uint32_t rep = a.Handle<IncomingDatagramStreamTag>(0);
                    WEFT_TRY(a.Check());
                    WEFT_TRY_ASSIGN(auto* st, Lookup(s.incoming_datagram_streams, rep,
                                                     "incoming-datagram-stream"));
                    return PollableVal(io, (*st)->Subscribe());
                  }));
  WEFT_TRY(Define(inst, "[method]outgoing-datagram-stream.check-send", g,
                  [](Args& a, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                    uint32_t rep = a.Handle<OutgoingDatagramStreamTag>(0);
                    WEFT_TRY(a.Check());
                    WEFT_TRY_ASSIGN(auto* st, Lookup(s.outgoing_datagram_streams, rep,
                                                     "outgoing-datagram-stream"));
                    auto r = (*st)->CheckSend();
                    return NumResult<uint64_t>(r, [](uint64_t v) { return Val::U64(v); });
                  }));
  WEFT_TRY(Define(inst, "[method]outgoing-datagram-stream.send", g,
                  [](Args& a, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                    uint32_t rep = a.Handle<OutgoingDatagramStreamTag>(0);
                    std::vector<OutgoingDatagram> ds = a.Datagrams(1);
                    WEFT_TRY(a.Check());
                    WEFT_TRY_ASSIGN(auto* st, Lookup(s.outgoing_datagram_streams, rep,
                                                     "outgoing-datagram-stream"));
                    WEFT_TRY_ASSIGN(auto r, (*st)->Send(ds));
                    return NumResult<uint64_t>(r, [](uint64_t v) { return Val::U64(v); });
                  }));
  return Define(inst, "[method]outgoing-datagram-stream.subscribe", g,
                [](Args& a, SocketsCtx& s, WasiP2Ctx& io) -> Expected<Val> {
                  uint32_t rep = a.Handle<OutgoingDatagramStreamTag>(0);
                  WEFT_TRY(a.Check());
                  WEFT_TRY_ASSIGN(auto* st, Lookup(s.outgoing_datagram_streams, rep,
                                                   "outgoing-datagram-stream"));
                  return PollableVal(io, (*st)->Subscribe());
                });
}

Error AddUdpCreateSocket(component::LinkerBase& linker, const Getters& g) {
  auto inst = linker.InstanceBase(Iface("udp-create-socket"));
  WEFT_TRY(DefineUsed(inst, "network", g));
  WEFT_TRY(DefineUsed(inst, "udp-socket", g));
  return Define(inst, "create-udp-socket", g,
                [](Args& a, SocketsCtx& s, WasiP2Ctx&) -> Expected<Val> {
                  WEFT_TRY_ASSIGN(IpAddressFamily f, FamilyArg(a, 0));
                  auto r = UdpSocket::Create(s, f);
                  return ResultVal(r, [&](std::shared_ptr<UdpSocket>& u) {
                    return Own<UdpSocketTag>(s.udp_sockets.Add(u));
                  });
                });
}

}  // namespace

Error AddSocketsToLinkerBase(component::LinkerBase& linker, SocketsGetter sockets,
                             SocketsIoGetter io) {
  Getters g{std::move(sockets), std::move(io)};
  WEFT_TRY(AddNetwork(linker, g));
  WEFT_TRY(AddInstanceNetwork(linker, g));
  WEFT_TRY(AddIpNameLookup(linker, g));
  WEFT_TRY(AddTcp(linker, g));
  WEFT_TRY(AddTcpCreateSocket(linker, g));
  WEFT_TRY(AddUdp(linker, g));
  return AddUdpCreateSocket(linker, g);
}

}  // namespace weft::wasi::p2
