// wasi:sockets guest (not reachable through the preview1 adapter): imports wasi:sockets,
// wasi:io/streams and wasi:io/poll @0.2.12 directly, declared by hand as the canonical ABI
// lowers them (flattened params, results > 1 flat value through a return pointer; memory
// layouts in the comments). It is embedded with wit/sockets.wit and wrapped by
// `jco new --wasi-command`. TCP: bind 127.0.0.1:0, listen, connect to itself, accept, send
// both ways, shutdown, then the error codes of four misuses; UDP: two sockets exchange
// datagrams; ip-name-lookup of "localhost". Ports and addresses vary, so only properties
// are printed.
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define IMPORT(module, name) \
  __attribute__((import_module("wasi:" module "@0.2.12"), import_name(name)))

typedef int32_t Handle;

// --- wasi:io -----------------------------------------------------------------------------
IMPORT("io/poll", "[method]pollable.block") void PollableBlock(Handle self);
IMPORT("io/poll", "[resource-drop]pollable") void PollableDrop(Handle self);
// result<_, stream-error>: tag u8 @0; err: variant tag u8 @4 (0 last-operation-failed with
// own<error> @8, 1 closed). Size 12.
IMPORT("io/streams", "[method]output-stream.blocking-write-and-flush")
void OutputBlockingWriteAndFlush(Handle self, const void* ptr, uint32_t len, void* ret);
// result<list<u8>, stream-error>: tag @0; ok: ptr @4, len @8 (allocated with cabi_realloc).
IMPORT("io/streams", "[method]input-stream.blocking-read")
void InputBlockingRead(Handle self, uint64_t len, void* ret);
IMPORT("io/streams", "[resource-drop]input-stream") void InputDrop(Handle self);
IMPORT("io/streams", "[resource-drop]output-stream") void OutputDrop(Handle self);
IMPORT("io/error", "[resource-drop]error") void ErrorDrop(Handle self);

// --- wasi:sockets/network, instance-network -----------------------------------------------
IMPORT("sockets/instance-network", "instance-network") Handle InstanceNetwork(void);
IMPORT("sockets/network", "[resource-drop]network") void NetworkDrop(Handle self);

// ip-socket-address flattens to 12 i32: case, then the joined payload slots (ipv4: port,
// a, b, c, d; ipv6 would use 11).
#define SOCKADDR_PARAMS int32_t c, int32_t p0, int32_t p1, int32_t p2, int32_t p3, int32_t p4, \
    int32_t p5, int32_t p6, int32_t p7, int32_t p8, int32_t p9, int32_t p10
#define IPV4(port, a, b, c, d) 0, port, a, b, c, d, 0, 0, 0, 0, 0, 0

// --- wasi:sockets/tcp ---------------------------------------------------------------------
// result<own<tcp-socket>, error-code>: tag u8 @0, handle or error-code @4. Size 8.
IMPORT("sockets/tcp-create-socket", "create-tcp-socket") void CreateTcpSocket(int32_t family, void* ret);
// result<_, error-code>: tag u8 @0, error-code u8 @1. Size 2.
IMPORT("sockets/tcp", "[method]tcp-socket.start-bind")
void TcpStartBind(Handle self, Handle net, SOCKADDR_PARAMS, void* ret);
IMPORT("sockets/tcp", "[method]tcp-socket.finish-bind") void TcpFinishBind(Handle self, void* ret);
IMPORT("sockets/tcp", "[method]tcp-socket.start-listen") void TcpStartListen(Handle self, void* ret);
IMPORT("sockets/tcp", "[method]tcp-socket.finish-listen") void TcpFinishListen(Handle self, void* ret);
IMPORT("sockets/tcp", "[method]tcp-socket.start-connect")
void TcpStartConnect(Handle self, Handle net, SOCKADDR_PARAMS, void* ret);
// result<tuple<input-stream, output-stream>, error-code>: tag @0, in @4, out @8 (or code @4).
IMPORT("sockets/tcp", "[method]tcp-socket.finish-connect") void TcpFinishConnect(Handle self, void* ret);
// result<tuple<tcp-socket, input-stream, output-stream>, error-code>: tag @0, @4, @8, @12.
IMPORT("sockets/tcp", "[method]tcp-socket.accept") void TcpAccept(Handle self, void* ret);
// result<ip-socket-address, error-code>: tag @0; ok: variant tag @4, ipv4 port u16 @8,
// address u8[4] @10. Size 36.
IMPORT("sockets/tcp", "[method]tcp-socket.local-address") void TcpLocalAddress(Handle self, void* ret);
IMPORT("sockets/tcp", "[method]tcp-socket.remote-address") void TcpRemoteAddress(Handle self, void* ret);
IMPORT("sockets/tcp", "[method]tcp-socket.is-listening") int32_t TcpIsListening(Handle self);
IMPORT("sockets/tcp", "[method]tcp-socket.address-family") int32_t TcpAddressFamily(Handle self);
IMPORT("sockets/tcp", "[method]tcp-socket.subscribe") Handle TcpSubscribe(Handle self);
IMPORT("sockets/tcp", "[method]tcp-socket.shutdown") void TcpShutdown(Handle self, int32_t how, void* ret);
IMPORT("sockets/tcp", "[resource-drop]tcp-socket") void TcpDrop(Handle self);

// --- wasi:sockets/udp ---------------------------------------------------------------------
IMPORT("sockets/udp-create-socket", "create-udp-socket") void CreateUdpSocket(int32_t family, void* ret);
IMPORT("sockets/udp", "[method]udp-socket.start-bind")
void UdpStartBind(Handle self, Handle net, SOCKADDR_PARAMS, void* ret);
IMPORT("sockets/udp", "[method]udp-socket.finish-bind") void UdpFinishBind(Handle self, void* ret);
IMPORT("sockets/udp", "[method]udp-socket.local-address") void UdpLocalAddress(Handle self, void* ret);
// stream(option<ip-socket-address>): option tag, then the 12 flat slots of the address.
// result<tuple<incoming-datagram-stream, outgoing-datagram-stream>, error-code>: @0, @4, @8.
IMPORT("sockets/udp", "[method]udp-socket.stream")
void UdpStream(Handle self, int32_t is_some, SOCKADDR_PARAMS, void* ret);
IMPORT("sockets/udp", "[resource-drop]udp-socket") void UdpDrop(Handle self);
// result<u64, error-code>: tag @0, value u64 @8 (or code @8). Size 16.
IMPORT("sockets/udp", "[method]outgoing-datagram-stream.check-send") void UdpCheckSend(Handle self, void* ret);
IMPORT("sockets/udp", "[method]outgoing-datagram-stream.send")
void UdpSend(Handle self, const void* datagrams, uint32_t count, void* ret);
IMPORT("sockets/udp", "[method]outgoing-datagram-stream.subscribe") Handle UdpOutgoingSubscribe(Handle self);
// result<list<incoming-datagram>, error-code>: tag @0, ptr @4, len @8.
IMPORT("sockets/udp", "[method]incoming-datagram-stream.receive")
void UdpReceive(Handle self, uint64_t max_results, void* ret);
IMPORT("sockets/udp", "[method]incoming-datagram-stream.subscribe") Handle UdpIncomingSubscribe(Handle self);
IMPORT("sockets/udp", "[resource-drop]incoming-datagram-stream") void UdpIncomingDrop(Handle self);
IMPORT("sockets/udp", "[resource-drop]outgoing-datagram-stream") void UdpOutgoingDrop(Handle self);

// --- wasi:sockets/ip-name-lookup ------------------------------------------------------------
// result<own<resolve-address-stream>, error-code>: tag @0, handle or code @4.
IMPORT("sockets/ip-name-lookup", "resolve-addresses")
void ResolveAddresses(Handle net, const char* name, uint32_t len, void* ret);
// result<option<ip-address>, error-code>: tag @0; ok: option tag @2, variant tag @4, ipv4
// u8[4] @6 or ipv6 u16[8] @6; err: code @2. Size 22, align 2.
IMPORT("sockets/ip-name-lookup", "[method]resolve-address-stream.resolve-next-address")
void ResolveNextAddress(Handle self, void* ret);
IMPORT("sockets/ip-name-lookup", "[method]resolve-address-stream.subscribe") Handle ResolveSubscribe(Handle self);
IMPORT("sockets/ip-name-lookup", "[resource-drop]resolve-address-stream") void ResolveDrop(Handle self);

// The canonical ABI allocates returned lists with the module's cabi_realloc.
// A reference to __wasm_call_ctors stops wasm-ld from wrapping the exports of this command
// module in ctor/dtor calls: wrapped, every cabi_realloc call (the adapter makes one on its
// first call, for its state) would run the stdio exit handlers, which write: an import call
// inside realloc, which the canonical ABI forbids (weft traps; jco run loses the bytes).
extern void __wasm_call_ctors(void);
void (*volatile weft_keep_ctors_referenced)(void) = __wasm_call_ctors;

__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* old, size_t old_size,
                                                               size_t align, size_t new_size) {
  (void)old_size;
  (void)align;  // malloc's 16-byte alignment covers every canonical ABI type
  if (new_size == 0) return (void*)align;
  void* p = realloc(old, new_size);
  if (!p) abort();
  return p;
}

enum { kIpv4 = 0, kWouldBlock = 8 };
static const char* const kErrorNames[] = {
    "unknown", "access-denied", "not-supported", "invalid-argument", "out-of-memory",
    "timeout", "concurrency-conflict", "not-in-progress", "would-block", "invalid-state",
    "new-socket-limit", "address-not-bindable", "address-in-use", "remote-unreachable",
    "connection-refused", "connection-reset", "connection-aborted", "datagram-too-large",
    "name-unresolvable", "temporary-resolver-failure", "permanent-resolver-failure"};

static const char* ErrorName(unsigned code) {
  return code < sizeof kErrorNames / sizeof kErrorNames[0] ? kErrorNames[code] : "?";
}

// A return area big enough and aligned for every result above.
typedef union {
  uint8_t b[48];
  uint64_t align;
} RetArea;

static uint8_t U8(const RetArea* r, int off) { return r->b[off]; }
static uint16_t U16(const RetArea* r, int off) { return (uint16_t)(r->b[off] | r->b[off + 1] << 8); }
static int32_t I32(const RetArea* r, int off) {
  return (int32_t)((uint32_t)r->b[off] | (uint32_t)r->b[off + 1] << 8 |
                   (uint32_t)r->b[off + 2] << 16 | (uint32_t)r->b[off + 3] << 24);
}

// Reports a result<_, error-code> (error code at `code_off`); returns 1 on ok.
static int Ok(const char* what, const RetArea* r, int code_off) {
  if (U8(r, 0) == 0) return 1;
  printf("FAIL: %s: %s\n", what, ErrorName(U8(r, code_off)));
  check_failures++;
  return 0;
}

static void Block(Handle pollable) {
  PollableBlock(pollable);
  PollableDrop(pollable);
}

// Writes all of `text` to a TCP output stream.
static void Send(Handle out, const char* text) {
  RetArea r;
  OutputBlockingWriteAndFlush(out, text, (uint32_t)strlen(text), &r);
  if (U8(&r, 0) != 0) {
    printf("FAIL: write: stream error %u\n", U8(&r, 4));
    check_failures++;
    if (U8(&r, 4) == 0) ErrorDrop(I32(&r, 8));
  }
}

// Reads exactly `len` bytes (or until the stream ends) into buf; returns the count, or -1
// when the stream was closed before any byte.
static int Receive(Handle in, char* buf, int len) {
  int got = 0;
  while (got < len) {
    RetArea r;
    InputBlockingRead(in, (uint64_t)(len - got), &r);
    if (U8(&r, 0) != 0) {
      if (U8(&r, 4) == 0) ErrorDrop(I32(&r, 8));
      return got == 0 ? -1 : got;
    }
    uint8_t* data = (uint8_t*)(uintptr_t)I32(&r, 4);
    int n = I32(&r, 8);
    memcpy(buf + got, data, (size_t)n);
    if (n > 0) free(data);  // an empty list need not come from cabi_realloc
    got += n;
  }
  return got;
}

static void TestTcp(Handle net) {
  RetArea r;
  CreateTcpSocket(kIpv4, &r);
  if (!Ok("create-tcp-socket", &r, 4)) return;
  Handle listener = I32(&r, 4);
  printf("tcp: address family ipv4: %s\n", TcpAddressFamily(listener) == kIpv4 ? "yes" : "no");
  TcpStartBind(listener, net, IPV4(0, 127, 0, 0, 1), &r);
  if (!Ok("tcp start-bind", &r, 1)) return;
  TcpFinishBind(listener, &r);
  if (!Ok("tcp finish-bind", &r, 1)) return;
  TcpLocalAddress(listener, &r);
  if (!Ok("tcp local-address", &r, 4)) return;
  uint16_t port = U16(&r, 8);
  printf("tcp: bound to 127.0.0.1: %s, port chosen: %s\n",
         U8(&r, 4) == kIpv4 && U8(&r, 10) == 127 && U8(&r, 13) == 1 ? "yes" : "no",
         port != 0 ? "yes" : "no");
  TcpStartListen(listener, &r);
  if (!Ok("tcp start-listen", &r, 1)) return;
  for (;;) {
    TcpFinishListen(listener, &r);
    if (U8(&r, 0) == 0 || U8(&r, 1) != kWouldBlock) break;
    Block(TcpSubscribe(listener));
  }
  if (!Ok("tcp finish-listen", &r, 1)) return;
  printf("tcp: listening: %s\n", TcpIsListening(listener) ? "yes" : "no");

  CreateTcpSocket(kIpv4, &r);
  if (!Ok("create-tcp-socket (client)", &r, 4)) return;
  Handle client = I32(&r, 4);
  TcpStartConnect(client, net, IPV4(port, 127, 0, 0, 1), &r);
  if (!Ok("tcp start-connect", &r, 1)) return;

  // Single-threaded: accept while the connection is in progress, then finish connecting.
  Handle server = -1, server_in = -1, server_out = -1;
  for (;;) {
    TcpAccept(listener, &r);
    if (U8(&r, 0) == 0 || U8(&r, 4) != kWouldBlock) break;
    Block(TcpSubscribe(listener));
  }
  if (!Ok("tcp accept", &r, 4)) return;
  server = I32(&r, 4);
  server_in = I32(&r, 8);
  server_out = I32(&r, 12);
  for (;;) {
    TcpFinishConnect(client, &r);
    if (U8(&r, 0) == 0 || U8(&r, 4) != kWouldBlock) break;
    Block(TcpSubscribe(client));
  }
  if (!Ok("tcp finish-connect", &r, 4)) return;
  Handle client_in = I32(&r, 4), client_out = I32(&r, 8);
  printf("tcp: connected to itself\n");

  // The accepted socket's peer is the client's local address.
  RetArea a, b;
  TcpRemoteAddress(server, &a);
  TcpLocalAddress(client, &b);
  CHECK(U8(&a, 0) == 0 && U8(&b, 0) == 0);
  printf("tcp: accepted peer is the client: %s\n", memcmp(a.b + 4, b.b + 4, 10) == 0 ? "yes" : "no");

  char buf[64] = {0};
  const char* ping = "ping from the client";
  const char* pong = "pong from the server, a bit longer";
  Send(client_out, ping);
  int n = Receive(server_in, buf, (int)strlen(ping));
  printf("tcp: server received %d bytes: %.*s\n", n, n > 0 ? n : 0, buf);
  Send(server_out, pong);
  memset(buf, 0, sizeof buf);
  n = Receive(client_in, buf, (int)strlen(pong));
  printf("tcp: client received %d bytes: %.*s\n", n, n > 0 ? n : 0, buf);

  // Half-close: after the client shuts down sending, the server reads end of stream.
  OutputDrop(client_out);
  TcpShutdown(client, 1 /* send */, &r);
  Ok("tcp shutdown", &r, 1);
  printf("tcp: server sees end of stream after shutdown: %s\n",
         Receive(server_in, buf, 1) == -1 ? "yes" : "no");

  InputDrop(client_in);
  InputDrop(server_in);
  OutputDrop(server_out);
  TcpDrop(client);
  TcpDrop(server);
  TcpDrop(listener);
}

// Binds a UDP socket to 127.0.0.1:0 and returns it with its port, or -1.
static Handle UdpBound(Handle net, uint16_t* port) {
  RetArea r;
  CreateUdpSocket(kIpv4, &r);
  if (!Ok("create-udp-socket", &r, 4)) return -1;
  Handle s = I32(&r, 4);
  UdpStartBind(s, net, IPV4(0, 127, 0, 0, 1), &r);
  if (!Ok("udp start-bind", &r, 1)) return -1;
  UdpFinishBind(s, &r);
  if (!Ok("udp finish-bind", &r, 1)) return -1;
  UdpLocalAddress(s, &r);
  if (!Ok("udp local-address", &r, 4)) return -1;
  *port = U16(&r, 8);
  return s;
}

// outgoing-datagram: data list @0 (ptr, len), remote-address option @8 (tag @8, variant tag
// @12, ipv4 port u16 @16, address u8[4] @18). Size 44.
typedef struct {
  const void* data;
  uint32_t len;
  uint8_t has_remote;
  uint8_t pad0[3];
  uint8_t family;
  uint8_t pad1[3];
  uint16_t port;
  uint8_t addr[4];
  uint8_t rest[22];
} OutgoingDatagram;
_Static_assert(sizeof(OutgoingDatagram) == 44, "canonical ABI layout of outgoing-datagram");

// incoming-datagram: data list @0, remote-address @8 (variant tag @8, port @12, addr @14).
typedef struct {
  uint8_t* data;
  uint32_t len;
  uint8_t family;
  uint8_t pad[3];
  uint16_t port;
  uint8_t addr[4];
  uint8_t rest[22];
} IncomingDatagram;
_Static_assert(sizeof(IncomingDatagram) == 40, "canonical ABI layout of incoming-datagram");

static void UdpSendTo(Handle out, const char* text, uint16_t port) {
  RetArea r;
  for (;;) {
    UdpCheckSend(out, &r);
    if (!Ok("udp check-send", &r, 8)) return;
    uint64_t permits;
    memcpy(&permits, r.b + 8, 8);
    if (permits > 0) break;
    Block(UdpOutgoingSubscribe(out));
  }
  OutgoingDatagram d = {text, (uint32_t)strlen(text), 1, {0}, kIpv4, {0}, port, {127, 0, 0, 1}, {0}};
  UdpSend(out, &d, 1, &r);
  if (!Ok("udp send", &r, 8)) return;
  uint64_t sent;
  memcpy(&sent, r.b + 8, 8);
  CHECK(sent == 1);
}

// Receives one datagram and prints it with whether it came from `from_port`.
static void UdpReceiveOne(const char* who, Handle in, uint16_t from_port) {
  RetArea r;
  for (;;) {
    UdpReceive(in, 4, &r);
    if (!Ok("udp receive", &r, 4)) return;
    if (I32(&r, 8) > 0) break;
    Block(UdpIncomingSubscribe(in));
  }
  IncomingDatagram* list = (IncomingDatagram*)(uintptr_t)I32(&r, 4);
  int count = I32(&r, 8);
  for (int i = 0; i < count; ++i) {
    printf("udp: %s received \"%.*s\" from 127.0.0.1: %s, from the sender's port: %s\n", who,
           (int)list[i].len, list[i].data,
           list[i].family == kIpv4 && list[i].addr[0] == 127 && list[i].addr[3] == 1 ? "yes" : "no",
           list[i].port == from_port ? "yes" : "no");
    if (list[i].len > 0) free(list[i].data);
  }
  free(list);  // count > 0 here
}

static void TestUdp(Handle net) {
  uint16_t port_a = 0, port_b = 0;
  Handle a = UdpBound(net, &port_a), b = UdpBound(net, &port_b);
  if (a < 0 || b < 0) return;
  printf("udp: two sockets bound, ports differ: %s\n", port_a != port_b ? "yes" : "no");
  RetArea r;
  UdpStream(a, 0, IPV4(0, 0, 0, 0, 0), &r);  // unconnected: any peer
  if (!Ok("udp stream", &r, 4)) return;
  Handle a_in = I32(&r, 4), a_out = I32(&r, 8);
  UdpStream(b, 1, IPV4(port_a, 127, 0, 0, 1), &r);  // connected to a
  if (!Ok("udp stream (connected)", &r, 4)) return;
  Handle b_in = I32(&r, 4), b_out = I32(&r, 8);
  UdpSendTo(a_out, "datagram from a", port_b);
  UdpReceiveOne("b", b_in, port_a);
  UdpSendTo(b_out, "reply from b", port_a);
  UdpReceiveOne("a", a_in, port_b);
  UdpIncomingDrop(a_in);
  UdpOutgoingDrop(a_out);
  UdpIncomingDrop(b_in);
  UdpOutgoingDrop(b_out);
  UdpDrop(a);
  UdpDrop(b);
}

static void TestNameLookup(Handle net) {
  RetArea r;
  const char* name = "localhost";
  ResolveAddresses(net, name, (uint32_t)strlen(name), &r);
  if (!Ok("resolve-addresses", &r, 4)) return;
  Handle stream = I32(&r, 4);
  int count = 0, loopback = 0;
  for (;;) {
    ResolveNextAddress(stream, &r);
    if (U8(&r, 0) != 0) {
      if (U8(&r, 2) == kWouldBlock) {
        Block(ResolveSubscribe(stream));
        continue;
      }
      Ok("resolve-next-address", &r, 2);
      break;
    }
    if (U8(&r, 2) == 0) break;  // none: the end
    ++count;
    if (U8(&r, 4) == kIpv4) {
      loopback |= U8(&r, 6) == 127;
    } else {
      static const uint8_t kV6Loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
      loopback |= memcmp(r.b + 6, kV6Loopback, 16) == 0;  // ::1 as eight little-endian u16
    }
  }
  ResolveDrop(stream);
  printf("ip-name-lookup: localhost has addresses: %s, a loopback one among them: %s\n",
         count > 0 ? "yes" : "no", loopback ? "yes" : "no");
}

// Prints the error-code a result<_, error-code> carries (code at `code_off`), or "ok".
static const char* Outcome(const RetArea* r, int code_off) {
  return U8(r, 0) == 0 ? "ok" : ErrorName(U8(r, code_off));
}

// Error paths with well-defined codes: finish without start, binding twice, binding an
// address in use, connecting where nobody listens.
static void TestTcpErrors(Handle net) {
  RetArea r;
  CreateTcpSocket(kIpv4, &r);
  if (!Ok("create-tcp-socket", &r, 4)) return;
  Handle a = I32(&r, 4);
  TcpFinishBind(a, &r);
  printf("tcp errors: finish-bind before start-bind: %s\n", Outcome(&r, 1));
  TcpStartBind(a, net, IPV4(0, 127, 0, 0, 1), &r);
  if (!Ok("tcp start-bind", &r, 1)) return;
  TcpFinishBind(a, &r);
  if (!Ok("tcp finish-bind", &r, 1)) return;
  TcpStartBind(a, net, IPV4(0, 127, 0, 0, 1), &r);
  printf("tcp errors: binding a bound socket again: %s\n", Outcome(&r, 1));
  TcpStartListen(a, &r);
  if (!Ok("tcp start-listen", &r, 1)) return;
  for (;;) {
    TcpFinishListen(a, &r);
    if (U8(&r, 0) == 0 || U8(&r, 1) != kWouldBlock) break;
    Block(TcpSubscribe(a));
  }
  if (!Ok("tcp finish-listen", &r, 1)) return;
  TcpLocalAddress(a, &r);
  if (!Ok("tcp local-address", &r, 4)) return;
  uint16_t port = U16(&r, 8);

  CreateTcpSocket(kIpv4, &r);
  if (!Ok("create-tcp-socket", &r, 4)) return;
  Handle b = I32(&r, 4);
  TcpStartBind(b, net, IPV4(port, 127, 0, 0, 1), &r);
  if (U8(&r, 0) == 0) TcpFinishBind(b, &r);
  printf("tcp errors: binding the listener's address: %s\n", Outcome(&r, 1));
  TcpDrop(b);
  TcpDrop(a);  // nobody listens on `port` any more

  CreateTcpSocket(kIpv4, &r);
  if (!Ok("create-tcp-socket", &r, 4)) return;
  Handle c = I32(&r, 4);
  TcpStartConnect(c, net, IPV4(port, 127, 0, 0, 1), &r);
  if (U8(&r, 0) == 0) {
    for (;;) {
      TcpFinishConnect(c, &r);
      if (U8(&r, 0) == 0 || U8(&r, 4) != kWouldBlock) break;
      Block(TcpSubscribe(c));
    }
    if (U8(&r, 0) == 0) {  // connected after all: drop the streams before the socket
      InputDrop(I32(&r, 4));
      OutputDrop(I32(&r, 8));
    }
    printf("tcp errors: connecting to a closed port: %s\n", Outcome(&r, 4));
  } else {
    printf("tcp errors: connecting to a closed port: %s (at start)\n", Outcome(&r, 1));
  }
  TcpDrop(c);
}

int main(void) {
  Handle net = InstanceNetwork();
  TestTcp(net);
  TestTcpErrors(net);
  TestUdp(net);
  TestNameLookup(net);
  NetworkDrop(net);
  // Leave through exit(): with __wasm_call_ctors referenced (see above), returning from
  // main would skip the linker's destructor call that flushes stdio.
  printf("%s\n", check_failures ? "some checks FAILED" : "all checks passed");
  exit(check_failures ? 1 : 0);
}
