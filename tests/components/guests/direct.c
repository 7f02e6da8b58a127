// WASI 0.2 functions the preview1 adapter never calls, imported directly (@0.2.12) with
// hand-written canonical ABI declarations like sockets.c: wasi:random/random, insecure and
// insecure-seed; wasi:clocks/monotonic-clock (now, resolution, subscribe-duration,
// subscribe-instant) and wall-clock (now, resolution); wasi:io/poll.poll over several
// pollables and pollable.ready; wasi:cli/environment (get-environment, get-arguments,
// initial-cwd); wasi:cli/stdout and stdin used as raw streams (check-write, write, flush,
// subscribe, non-blocking read). Values that vary are printed as properties.
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define IMPORT(module, name) \
  __attribute__((import_module("wasi:" module "@0.2.12"), import_name(name)))
typedef int32_t Handle;

// list<u8> results: ptr @0, len @4 (allocated with cabi_realloc).
IMPORT("random/random", "get-random-bytes") void GetRandomBytes(uint64_t len, void* ret);
IMPORT("random/random", "get-random-u64") uint64_t GetRandomU64(void);
IMPORT("random/insecure", "get-insecure-random-bytes") void GetInsecureRandomBytes(uint64_t len, void* ret);
IMPORT("random/insecure", "get-insecure-random-u64") uint64_t GetInsecureRandomU64(void);
// tuple<u64, u64>: @0, @8.
IMPORT("random/insecure-seed", "insecure-seed") void InsecureSeed(void* ret);

IMPORT("clocks/monotonic-clock", "now") uint64_t MonotonicNow(void);
IMPORT("clocks/monotonic-clock", "resolution") uint64_t MonotonicResolution(void);
IMPORT("clocks/monotonic-clock", "subscribe-duration") Handle SubscribeDuration(uint64_t ns);
IMPORT("clocks/monotonic-clock", "subscribe-instant") Handle SubscribeInstant(uint64_t when);
// datetime { seconds: u64 @0, nanoseconds: u32 @8 }.
IMPORT("clocks/wall-clock", "now") void WallNow(void* ret);
IMPORT("clocks/wall-clock", "resolution") void WallResolution(void* ret);

// poll(list<borrow<pollable>>) -> list<u32>: (ptr, len, retptr); result ptr @0, len @4.
IMPORT("io/poll", "poll") void Poll(const Handle* pollables, uint32_t count, void* ret);
IMPORT("io/poll", "[method]pollable.ready") int32_t PollableReady(Handle self);
IMPORT("io/poll", "[method]pollable.block") void PollableBlock(Handle self);
IMPORT("io/poll", "[resource-drop]pollable") void PollableDrop(Handle self);

// list<tuple<string, string>>: ptr @0, len @4; each element 16 bytes (key ptr, len, value
// ptr, len). list<string>: elements of 8 bytes. option<string>: tag @0, ptr @4, len @8.
IMPORT("cli/environment", "get-environment") void GetEnvironment(void* ret);
IMPORT("cli/environment", "get-arguments") void GetArguments(void* ret);
IMPORT("cli/environment", "initial-cwd") void InitialCwd(void* ret);

IMPORT("cli/stdout", "get-stdout") Handle GetStdout(void);
IMPORT("cli/stdin", "get-stdin") Handle GetStdin(void);
// result<u64, stream-error>: tag @0, u64 @8 (error: variant tag @8, handle @12).
IMPORT("io/streams", "[method]output-stream.check-write") void OutputCheckWrite(Handle self, void* ret);
// result<_, stream-error>: tag @0, variant tag @4, handle @8.
IMPORT("io/streams", "[method]output-stream.write") void OutputWrite(Handle self, const void* p, uint32_t n, void* ret);
IMPORT("io/streams", "[method]output-stream.blocking-flush") void OutputBlockingFlush(Handle self, void* ret);
IMPORT("io/streams", "[method]output-stream.subscribe") Handle OutputSubscribe(Handle self);
IMPORT("io/streams", "[resource-drop]output-stream") void OutputDrop(Handle self);
// result<list<u8>, stream-error>: tag @0, ptr @4, len @8 (error: variant tag @4, handle @8).
IMPORT("io/streams", "[method]input-stream.read") void InputRead(Handle self, uint64_t len, void* ret);
IMPORT("io/streams", "[method]input-stream.subscribe") Handle InputSubscribe(Handle self);
IMPORT("io/streams", "[resource-drop]input-stream") void InputDrop(Handle self);
IMPORT("io/error", "[resource-drop]error") void ErrorDrop(Handle self);

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

typedef union {
  uint8_t b[32];
  uint64_t align;
} RetArea;
static uint32_t U32(const RetArea* r, int off) {
  uint32_t v;
  memcpy(&v, r->b + off, 4);
  return v;
}
static uint64_t U64(const RetArea* r, int off) {
  uint64_t v;
  memcpy(&v, r->b + off, 8);
  return v;
}
static void FreeList(void* p, uint32_t len) {
  if (len > 0) free(p);  // an empty list need not come from cabi_realloc
}

static void TestRandom(void) {
  RetArea r;
  GetRandomBytes(64, &r);
  uint8_t* bytes = (uint8_t*)(uintptr_t)U32(&r, 0);
  uint32_t n = U32(&r, 4);
  int nonzero = 0;
  for (uint32_t i = 0; i < n; ++i) nonzero |= bytes[i];
  printf("random: get-random-bytes(64) gave %u bytes, not all zero: %s\n", n, nonzero ? "yes" : "no");
  FreeList(bytes, n);
  GetRandomBytes(0, &r);
  printf("random: get-random-bytes(0) gave %u bytes\n", U32(&r, 4));
  FreeList((void*)(uintptr_t)U32(&r, 0), U32(&r, 4));
  uint64_t a = GetRandomU64(), b = GetRandomU64();
  printf("random: get-random-u64 varies: %s\n", a != b ? "yes" : "no");

  GetInsecureRandomBytes(32, &r);
  n = U32(&r, 4);
  printf("insecure: get-insecure-random-bytes(32) gave %u bytes\n", n);
  FreeList((void*)(uintptr_t)U32(&r, 0), n);
  a = GetInsecureRandomU64();
  b = GetInsecureRandomU64();
  printf("insecure: get-insecure-random-u64 varies: %s\n", a != b ? "yes" : "no");
  InsecureSeed(&r);
  printf("insecure-seed: not all zero: %s\n", (U64(&r, 0) | U64(&r, 8)) != 0 ? "yes" : "no");
}

static void TestClocks(void) {
  uint64_t res = MonotonicResolution();
  printf("monotonic-clock: resolution between 1 ns and 1 ms: %s\n", res >= 1 && res <= 1000000 ? "yes" : "no");
  uint64_t t0 = MonotonicNow();
  Handle p = SubscribeDuration(20 * 1000000ULL);
  PollableBlock(p);
  PollableDrop(p);
  uint64_t t1 = MonotonicNow();
  printf("monotonic-clock: subscribe-duration(20ms) blocked at least 20ms: %s\n", t1 - t0 >= 20000000ULL ? "yes" : "no");
  // Far enough ahead that a busy machine does not reach it between the two calls.
  const uint64_t ahead = 250 * 1000000ULL;
  p = SubscribeInstant(t1 + ahead);
  printf("monotonic-clock: instant 250ms ahead not ready at once: %s\n", PollableReady(p) ? "no" : "yes");
  PollableBlock(p);
  printf("monotonic-clock: ready after block, now past it: %s\n",
         PollableReady(p) && MonotonicNow() >= t1 + ahead ? "yes" : "no");
  PollableDrop(p);
  p = SubscribeInstant(0);  // in the past: ready immediately
  printf("monotonic-clock: past instant ready: %s\n", PollableReady(p) ? "yes" : "no");
  PollableDrop(p);

  // poll() returns the indices of the ready pollables: only the short timer here.
  Handle set[3] = {SubscribeDuration(3600ULL * 1000000000ULL), SubscribeDuration(5 * 1000000ULL),
                   SubscribeDuration(7200ULL * 1000000000ULL)};
  RetArea r;
  Poll(set, 3, &r);
  uint32_t* ready = (uint32_t*)(uintptr_t)U32(&r, 0);
  uint32_t n = U32(&r, 4);
  printf("poll: %u of 3 ready:", n);
  for (uint32_t i = 0; i < n; ++i) printf(" index %u", ready[i]);
  printf("\n");
  FreeList(ready, n);
  for (int i = 0; i < 3; ++i) PollableDrop(set[i]);

  WallNow(&r);
  printf("wall-clock: after 2020: %s, nanoseconds < 1e9: %s\n", U64(&r, 0) > 1577836800ULL ? "yes" : "no",
         U32(&r, 8) < 1000000000u ? "yes" : "no");
  WallResolution(&r);
  printf("wall-clock: resolution positive and at most 1 s: %s\n",
         (U64(&r, 0) > 0 || U32(&r, 8) > 0) && (U64(&r, 0) == 0 || (U64(&r, 0) == 1 && U32(&r, 8) == 0)) ? "yes" : "no");
}

static int CompareStrings(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static void TestEnvironment(void) {
  RetArea r;
  GetArguments(&r);
  uint32_t* args = (uint32_t*)(uintptr_t)U32(&r, 0);
  uint32_t argc = U32(&r, 4);
  printf("get-arguments: %u\n", argc);
  for (uint32_t i = 1; i < argc; ++i) printf("  [%.*s]\n", (int)args[2 * i + 1], (char*)(uintptr_t)args[2 * i]);
  for (uint32_t i = 0; i < argc; ++i) FreeList((void*)(uintptr_t)args[2 * i], args[2 * i + 1]);
  FreeList(args, argc);

  GetEnvironment(&r);
  uint32_t* env = (uint32_t*)(uintptr_t)U32(&r, 0);
  uint32_t count = U32(&r, 4);
  char** lines = malloc(sizeof(char*) * (count + 1));
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t klen = env[4 * i + 1], vlen = env[4 * i + 3];
    lines[i] = malloc(klen + vlen + 2);
    memcpy(lines[i], (char*)(uintptr_t)env[4 * i], klen);
    lines[i][klen] = '=';
    memcpy(lines[i] + klen + 1, (char*)(uintptr_t)env[4 * i + 2], vlen);
    lines[i][klen + 1 + vlen] = 0;
    FreeList((void*)(uintptr_t)env[4 * i], klen);
    FreeList((void*)(uintptr_t)env[4 * i + 2], vlen);
  }
  FreeList(env, count);
  qsort(lines, count, sizeof(char*), CompareStrings);
  printf("get-environment: %u\n", count);
  for (uint32_t i = 0; i < count; ++i) {
    printf("  %s\n", lines[i]);
    free(lines[i]);
  }
  free(lines);

  InitialCwd(&r);
  if (r.b[0] == 1) FreeList((void*)(uintptr_t)U32(&r, 4), U32(&r, 8));
  printf("initial-cwd: answered\n");  // none or a path: both are valid
}

static void TestStreams(void) {
  fflush(stdout);  // the direct writes below must come after stdio's
  Handle out = GetStdout();
  RetArea r;
  uint64_t permit = 0;
  for (;;) {
    OutputCheckWrite(out, &r);
    CHECK(r.b[0] == 0);
    if (r.b[0] != 0) return;
    permit = U64(&r, 8);
    if (permit > 0) break;
    Handle p = OutputSubscribe(out);
    PollableBlock(p);
    PollableDrop(p);
  }
  const char* text = "stdout: written with check-write, write and blocking-flush\n";
  uint32_t len = (uint32_t)strlen(text);
  CHECK(permit >= len);
  OutputWrite(out, text, len, &r);
  CHECK(r.b[0] == 0);
  OutputBlockingFlush(out, &r);
  CHECK(r.b[0] == 0);
  OutputDrop(out);

  // stdin (the driver feeds a short text): non-blocking reads, waiting on its pollable.
  Handle in = GetStdin();
  char buf[256];
  uint32_t got = 0;
  int closed = 0;
  while (!closed && got < sizeof buf) {
    InputRead(in, sizeof buf - got, &r);
    if (r.b[0] != 0) {
      closed = r.b[4] == 1;
      if (r.b[4] == 0) ErrorDrop((Handle)U32(&r, 8));
      break;
    }
    uint32_t n = U32(&r, 8);
    if (n == 0) {
      Handle p = InputSubscribe(in);
      PollableBlock(p);
      PollableDrop(p);
      continue;
    }
    memcpy(buf + got, (void*)(uintptr_t)U32(&r, 4), n);
    FreeList((void*)(uintptr_t)U32(&r, 4), n);
    got += n;
  }
  InputDrop(in);
  printf("stdin: read %u bytes until closed (%s): %.*s", got, closed ? "yes" : "no", (int)got, buf);
}

int main(void) {
  TestRandom();
  TestClocks();
  TestEnvironment();
  TestStreams();
  // Leave through exit(): with __wasm_call_ctors referenced (see above), returning from
  // main would skip the linker's destructor call that flushes stdio.
  printf("%s\n", check_failures ? "some checks FAILED" : "all checks passed");
  exit(check_failures ? 1 : 0);
}
