// Hand-written canonical-ABI bindings (WASI 0.2.12) for the C test handlers of tests/serve:
// the core signature of every wasi:http, io, clocks, cli and filesystem function they call,
// with the layout of each return area, and small helpers over them. Sizes and offsets were
// worked out with the component model's definitions.py (flatten_type, elem_size) and are
// checked by `jco new`, which refuses a module whose import signature does not match.
//
// Conventions: resources are i32 handles; string/list = (pointer, length); a function whose
// flattened results need more than one value takes a return-area pointer as its last
// argument; result<T, E> in memory is a tag byte at 0 (0 = ok) and the payload at its
// alignment. Lists the host returns are allocated with the guest's cabi_realloc (malloc).
#ifndef WEFT_TESTS_SERVE_GUESTS_HTTP_BINDINGS_H_
#define WEFT_TESTS_SERVE_GUESTS_HTTP_BINDINGS_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define WASI_IMPORT(interface, name) \
  __attribute__((import_module("wasi:" interface "@0.2.12"), import_name(name)))

typedef int32_t Handle;

// Aligned and large enough for every return area below (future-incoming-response.get's
// is the largest: 56 bytes).
typedef union {
  uint8_t b[64];
  uint64_t align;
} RetArea;

static inline uint32_t RetU32(const RetArea* r, int offset) {
  uint32_t v;
  memcpy(&v, r->b + offset, 4);
  return v;
}
static inline uint64_t RetU64(const RetArea* r, int offset) {
  uint64_t v;
  memcpy(&v, r->b + offset, 8);
  return v;
}
static inline void* RetPtr(const RetArea* r, int offset) { return (void*)(uintptr_t)RetU32(r, offset); }

// ---- wasi:http/types ----
// fields: from-list -> result<fields, header-error> (handle or error @4); append -> result<_,
// header-error> (error @1); entries -> list<tuple<string, list<u8>>> (ptr @0, len @4; 16-byte
// elements: name ptr, name len, value ptr, value len); get -> list<list<u8>> (8-byte elements).
WASI_IMPORT("http/types", "[constructor]fields") Handle FieldsNew(void);
WASI_IMPORT("http/types", "[static]fields.from-list") void FieldsFromList(const void* entries, size_t n, RetArea* ret);
WASI_IMPORT("http/types", "[method]fields.append")
void FieldsAppend(Handle self, const char* name, size_t name_len, const void* value, size_t value_len, RetArea* ret);
WASI_IMPORT("http/types", "[method]fields.entries") void FieldsEntries(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[method]fields.get") void FieldsGet(Handle self, const char* name, size_t len, RetArea* ret);
WASI_IMPORT("http/types", "[resource-drop]fields") void FieldsDrop(Handle self);

// method -> variant: tag @0 (get, head, post, put, delete, connect, options, trace, patch,
// other), other's string ptr @4, len @8. path-with-query, authority -> option<string>: tag @0,
// ptr @4, len @8. scheme -> option<scheme>: tag @0, scheme tag @4 (HTTP, HTTPS, other),
// other's string @8, @12. headers -> a child fields handle (immutable; drop it before the
// request). consume -> result<incoming-body> (handle @4), once.
WASI_IMPORT("http/types", "[method]incoming-request.method") void IncomingRequestMethod(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[method]incoming-request.path-with-query") void IncomingRequestPathWithQuery(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[method]incoming-request.scheme") void IncomingRequestScheme(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[method]incoming-request.authority") void IncomingRequestAuthority(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[method]incoming-request.headers") Handle IncomingRequestHeaders(Handle self);
WASI_IMPORT("http/types", "[method]incoming-request.consume") void IncomingRequestConsume(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[resource-drop]incoming-request") void IncomingRequestDrop(Handle self);

// stream -> result<input-stream> (handle @4; a child of the body); finish -> future-trailers.
WASI_IMPORT("http/types", "[method]incoming-body.stream") void IncomingBodyStream(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[static]incoming-body.finish") Handle IncomingBodyFinish(Handle self);
WASI_IMPORT("http/types", "[resource-drop]future-trailers") void FutureTrailersDrop(Handle self);

// constructor takes the fields; set-status-code -> result (the tag, returned directly);
// body -> result<outgoing-body> (handle @4), once.
WASI_IMPORT("http/types", "[constructor]outgoing-response") Handle OutgoingResponseNew(Handle headers);
WASI_IMPORT("http/types", "[method]outgoing-response.set-status-code") int32_t OutgoingResponseSetStatusCode(Handle self, int32_t code);
WASI_IMPORT("http/types", "[method]outgoing-response.body") void OutgoingResponseBody(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[resource-drop]outgoing-response") void OutgoingResponseDrop(Handle self);

// write -> result<output-stream> (handle @4; a child of the body, drop it before finish);
// finish(this, option<trailers>) -> result<_, error-code> (tag @0, error-code @8).
WASI_IMPORT("http/types", "[method]outgoing-body.write") void OutgoingBodyWrite(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[static]outgoing-body.finish")
void OutgoingBodyFinish(Handle self, int32_t has_trailers, Handle trailers, RetArea* ret);

// set(param, result<outgoing-response, error-code>): the result flattens to a tag, the handle
// or error-code's discriminant, and error-code's 6-value payload joined over its cases
// (i64 second because of the option<u64> cases).
WASI_IMPORT("http/types", "[static]response-outparam.set")
void ResponseOutparamSet(Handle param, int32_t is_err, int32_t response_or_code, int32_t p0, int64_t p1,
                         int32_t p2, int32_t p3, int32_t p4, int32_t p5);
WASI_IMPORT("http/types", "[resource-drop]response-outparam") void ResponseOutparamDrop(Handle self);

// outgoing-request: constructor takes the fields (method GET by default); the setters take
// an option (tag, then the value flattened) and return the result tag directly. scheme:
// tag 0 HTTP, 1 HTTPS, 2 other(string).
WASI_IMPORT("http/types", "[constructor]outgoing-request") Handle OutgoingRequestNew(Handle headers);
WASI_IMPORT("http/types", "[method]outgoing-request.set-scheme")
int32_t OutgoingRequestSetScheme(Handle self, int32_t is_some, int32_t scheme, const char* other, size_t other_len);
WASI_IMPORT("http/types", "[method]outgoing-request.set-authority")
int32_t OutgoingRequestSetAuthority(Handle self, int32_t is_some, const char* p, size_t n);
WASI_IMPORT("http/types", "[method]outgoing-request.set-path-with-query")
int32_t OutgoingRequestSetPathWithQuery(Handle self, int32_t is_some, const char* p, size_t n);
// get -> option<result<result<incoming-response, error-code>>>: some-tag @0, outer result
// tag @8 (err: the response was already taken), inner result tag @16, then the response
// handle or error-code's discriminant @24 (error-code payload @32).
WASI_IMPORT("http/types", "[resource-drop]outgoing-request") void OutgoingRequestDrop(Handle self);
WASI_IMPORT("http/types", "[method]future-incoming-response.subscribe") Handle FutureIncomingResponseSubscribe(Handle self);
WASI_IMPORT("http/types", "[method]future-incoming-response.get") void FutureIncomingResponseGet(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[resource-drop]future-incoming-response") void FutureIncomingResponseDrop(Handle self);
WASI_IMPORT("http/types", "[method]incoming-response.status") int32_t IncomingResponseStatus(Handle self);
WASI_IMPORT("http/types", "[method]incoming-response.consume") void IncomingResponseConsume(Handle self, RetArea* ret);
WASI_IMPORT("http/types", "[resource-drop]incoming-response") void IncomingResponseDrop(Handle self);
// handle(request, option<request-options>) -> result<future-incoming-response, error-code>:
// tag @0, then the handle or error-code's discriminant @8.
__attribute__((import_module("wasi:http/outgoing-handler@0.2.12"), import_name("handle")))
void OutgoingHandlerHandle(Handle request, int32_t has_options, Handle options, RetArea* ret);

// error-code's cases in order (the discriminant indexes this).
static const char* const kErrorCodeNames[] = {
    "DNS-timeout", "DNS-error", "destination-not-found", "destination-unavailable",
    "destination-IP-prohibited", "destination-IP-unroutable", "connection-refused",
    "connection-terminated", "connection-timeout", "connection-read-timeout",
    "connection-write-timeout", "connection-limit-reached", "TLS-protocol-error",
    "TLS-certificate-error", "TLS-alert-received", "HTTP-request-denied",
    "HTTP-request-length-required", "HTTP-request-body-size", "HTTP-request-method-invalid",
    "HTTP-request-URI-invalid", "HTTP-request-URI-too-long", "HTTP-request-header-section-size",
    "HTTP-request-header-size", "HTTP-request-trailer-section-size", "HTTP-request-trailer-size",
    "HTTP-response-incomplete", "HTTP-response-header-section-size", "HTTP-response-header-size",
    "HTTP-response-body-size", "HTTP-response-trailer-section-size", "HTTP-response-trailer-size",
    "HTTP-response-transfer-coding", "HTTP-response-content-coding", "HTTP-response-timeout",
    "HTTP-upgrade-failed", "HTTP-protocol-error", "loop-detected", "configuration-error",
    "internal-error"};

// ---- wasi:io ----
// Stream results: result<list<u8>, stream-error> / result<_, stream-error> are 12 bytes:
// tag @0, ok list ptr @4 len @8, or stream-error tag @4 (0 last-operation-failed with an
// error handle @8, 1 closed). result<u64, stream-error>: tag @0, u64 @8, error tag @8, handle @12.
enum { kStreamOk = 0, kStreamFailed = 1, kStreamClosed = 2 };
WASI_IMPORT("io/streams", "[method]input-stream.blocking-read") void InputStreamBlockingRead(Handle self, uint64_t len, RetArea* ret);
WASI_IMPORT("io/streams", "[resource-drop]input-stream") void InputStreamDrop(Handle self);
WASI_IMPORT("io/streams", "[method]output-stream.check-write") void OutputStreamCheckWrite(Handle self, RetArea* ret);
WASI_IMPORT("io/streams", "[method]output-stream.write") void OutputStreamWrite(Handle self, const void* p, size_t n, RetArea* ret);
WASI_IMPORT("io/streams", "[method]output-stream.blocking-write-and-flush")
void OutputStreamBlockingWriteAndFlush(Handle self, const void* p, size_t n, RetArea* ret);
WASI_IMPORT("io/streams", "[method]output-stream.blocking-flush") void OutputStreamBlockingFlush(Handle self, RetArea* ret);
WASI_IMPORT("io/streams", "[method]output-stream.subscribe") Handle OutputStreamSubscribe(Handle self);
WASI_IMPORT("io/streams", "[resource-drop]output-stream") void OutputStreamDrop(Handle self);
WASI_IMPORT("io/error", "[resource-drop]error") void IoErrorDrop(Handle self);
// poll(list<borrow<pollable>>) -> list<u32> (ptr @0, len @4).
WASI_IMPORT("io/poll", "poll") void Poll(const Handle* pollables, size_t n, RetArea* ret);
WASI_IMPORT("io/poll", "[method]pollable.block") void PollableBlock(Handle self);
WASI_IMPORT("io/poll", "[resource-drop]pollable") void PollableDrop(Handle self);

// ---- wasi:clocks, wasi:cli ----
WASI_IMPORT("clocks/monotonic-clock", "now") uint64_t MonotonicNow(void);
WASI_IMPORT("clocks/monotonic-clock", "subscribe-duration") Handle MonotonicSubscribeDuration(uint64_t ns);
WASI_IMPORT("cli/stdout", "get-stdout") Handle GetStdout(void);
WASI_IMPORT("cli/stderr", "get-stderr") Handle GetStderr(void);
// list<tuple<string, string>>: ptr @0, len @4; 16-byte elements (key ptr, len, value ptr, len).
WASI_IMPORT("cli/environment", "get-environment") void GetEnvironment(RetArea* ret);

// ---- wasi:filesystem ----
// get-directories -> list<tuple<descriptor, string>>: 12-byte elements (handle, ptr, len).
// open-at(self, path-flags, path, open-flags, descriptor-flags) and read-via-stream(offset)
// -> result<own, error-code>: tag @0, handle or error-code (an enum byte) @4.
WASI_IMPORT("filesystem/preopens", "get-directories") void GetDirectories(RetArea* ret);
WASI_IMPORT("filesystem/types", "[method]descriptor.open-at")
void DescriptorOpenAt(Handle self, int32_t path_flags, const char* path, size_t len, int32_t open_flags,
                      int32_t descriptor_flags, RetArea* ret);
WASI_IMPORT("filesystem/types", "[method]descriptor.read-via-stream")
void DescriptorReadViaStream(Handle self, uint64_t offset, RetArea* ret);
WASI_IMPORT("filesystem/types", "[resource-drop]descriptor") void DescriptorDrop(Handle self);
enum { kPathFlagSymlinkFollow = 1, kDescriptorFlagRead = 1 };

#endif  // WEFT_TESTS_SERVE_GUESTS_HTTP_BINDINGS_H_
