// The `make run` example: a wasi:http 0.2 handler answering every request with
// "Hello, WASI!\n" (200, text/plain, content-length 13) -- the workload of wasmtime's
// wasmtime-serve-rps.sh. Written with no libc and no bindings generator: each WASI function
// it calls is declared below with its canonical ABI core signature, so the module imports
// nothing but wasi:http/types and wasi:io/streams and becomes a component with `jco new`
// and no preview1 adapter (a few hundred bytes of code; instantiation is nearly free).
//
// Canonical ABI reminders used below (see the component model's CanonicalABI.md):
// resources cross as i32 handles; a string or list is (pointer, length); a function whose
// flattened results need more than one value writes them to a "return area" whose address
// is passed as the last argument; result<T, E> there is a tag byte at offset 0 (0 = ok) and
// the payload at the payload's alignment.
#include <stddef.h>
#include <stdint.h>

#define WASI_IMPORT(interface, name) \
  __attribute__((import_module("wasi:" interface "@0.2.12"), import_name(name)))

typedef int32_t Handle;  // an own<...> or borrow<...> resource handle

// fields.from-list(entries: list<tuple<field-name, field-value>>)
//     -> result<fields, header-error>: tag @0, fields handle or header-error @4.
// Each entry is 16 bytes: name pointer, name length, value pointer, value length.
WASI_IMPORT("http/types", "[static]fields.from-list")
void FieldsFromList(const void* entries, size_t count, void* ret);
// constructor(headers: fields): takes ownership of the fields; status defaults to 200.
WASI_IMPORT("http/types", "[constructor]outgoing-response")
Handle OutgoingResponseNew(Handle headers);
// body() -> result<outgoing-body>: tag @0, handle @4. Succeeds once per response.
WASI_IMPORT("http/types", "[method]outgoing-response.body")
void OutgoingResponseBody(Handle self, void* ret);
// set(param: response-outparam, response: result<outgoing-response, error-code>).
// Flattened, the result is a tag, the ok handle or error-code's discriminant, and
// error-code's payload (i64 at the 5th position because of its option<u64> cases): only
// the first three carry meaning for an ok response.
WASI_IMPORT("http/types", "[static]response-outparam.set")
void ResponseOutparamSet(Handle param, int32_t is_err, int32_t response_or_code, int32_t p0,
                         int64_t p1, int32_t p2, int32_t p3, int32_t p4, int32_t p5);
// write() -> result<output-stream>: tag @0, handle @4. The stream is a child of the body.
WASI_IMPORT("http/types", "[method]outgoing-body.write")
void OutgoingBodyWrite(Handle self, void* ret);
// finish(this: outgoing-body, trailers: option<trailers>) -> result<_, error-code>
// (40 bytes: tag @0, error-code @8).
WASI_IMPORT("http/types", "[static]outgoing-body.finish")
void OutgoingBodyFinish(Handle self, int32_t has_trailers, Handle trailers, void* ret);
WASI_IMPORT("http/types", "[resource-drop]incoming-request")
void IncomingRequestDrop(Handle self);

// blocking-write-and-flush(contents: list<u8>) -> result<_, stream-error>: 12 bytes, tag @0,
// stream-error tag @4 (0 last-operation-failed with an error handle @8, 1 closed).
// At most 4096 bytes per call.
WASI_IMPORT("io/streams", "[method]output-stream.blocking-write-and-flush")
void OutputStreamBlockingWriteAndFlush(Handle self, const void* data, size_t len, void* ret);
WASI_IMPORT("io/streams", "[resource-drop]output-stream")
void OutputStreamDrop(Handle self);

// Large enough and aligned for every return area above (outgoing-body.finish's is largest).
typedef union {
  uint8_t bytes[40];
  uint64_t align;
} RetArea;

static uint32_t LoadU32(const RetArea* r, int offset) {
  return (uint32_t)r->bytes[offset] | (uint32_t)r->bytes[offset + 1] << 8 |
         (uint32_t)r->bytes[offset + 2] << 16 | (uint32_t)r->bytes[offset + 3] << 24;
}

// A handler has no way to report a failure of these calls other than trapping, and the host
// turns a trap into a 500 for the client.
static Handle OkHandleOrTrap(const RetArea* r) {
  if (r->bytes[0] != 0) __builtin_trap();
  return (Handle)LoadU32(r, 4);
}

static const char kBody[] = "Hello, WASI!\n";
static const char kContentType[] = "content-type";
static const char kTextPlain[] = "text/plain";
static const char kContentLength[] = "content-length";
static const char kBodyLength[] = "13";
_Static_assert(sizeof kBody - 1 == 13, "kBodyLength must be the length of kBody");

typedef struct {
  const char* name;
  size_t name_len;
  const char* value;
  size_t value_len;
} HeaderEntry;

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void HandleRequest(Handle request, Handle response_out) {
  // The request is not looked at; dropping it at once frees it in the host.
  IncomingRequestDrop(request);

  static const HeaderEntry kHeaders[2] = {
      {kContentType, sizeof kContentType - 1, kTextPlain, sizeof kTextPlain - 1},
      {kContentLength, sizeof kContentLength - 1, kBodyLength, sizeof kBodyLength - 1},
  };
  RetArea r;
  FieldsFromList(kHeaders, 2, &r);
  Handle headers = OkHandleOrTrap(&r);
  Handle response = OutgoingResponseNew(headers);
  OutgoingResponseBody(response, &r);
  Handle body = OkHandleOrTrap(&r);

  // Hand the response to the host before writing: it can send the head while the body is
  // written, and a large body would otherwise fill the host's buffer with nobody reading.
  ResponseOutparamSet(response_out, 0, response, 0, 0, 0, 0, 0, 0);

  OutgoingBodyWrite(body, &r);
  Handle stream = OkHandleOrTrap(&r);
  OutputStreamBlockingWriteAndFlush(stream, kBody, sizeof kBody - 1, &r);
  if (r.bytes[0] != 0) __builtin_trap();  // the client went away: nothing left to do
  OutputStreamDrop(stream);  // a child of the body: dropped before the body is finished
  OutgoingBodyFinish(body, 0, 0, &r);
  if (r.bytes[0] != 0) __builtin_trap();
}

// The canonical ABI's allocator, through which a host copies strings and lists into guest
// memory. This handler receives none, so it is never called; it is a bump allocator over
// memory.grow in case a host calls it anyway (nothing is ever freed).
extern uint8_t __heap_base;
static uintptr_t heap_next = (uintptr_t)&__heap_base;

__attribute__((export_name("cabi_realloc")))
void* cabi_realloc(void* old, size_t old_size, size_t align, size_t new_size) {
  uintptr_t p = (heap_next + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t end = p + new_size;
  size_t have = __builtin_wasm_memory_size(0) * 65536;
  if (end > have) {
    size_t pages = (end - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) __builtin_trap();
  }
  heap_next = end;
  uint8_t* dst = (uint8_t*)p;
  const uint8_t* src = (const uint8_t*)old;
  for (size_t i = 0; i < old_size && i < new_size; ++i) dst[i] = src[i];
  return dst;
}
