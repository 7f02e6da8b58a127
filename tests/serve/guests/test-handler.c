// The routed wasi:http handler of the serve tests (tests/serve): one component whose paths
// make it a fast, slow, I/O-bound, spinning, trapping, streaming or misbehaving handler, for
// the dispatcher rules and server tests. Routes (query parameters parsed by hand):
//   /hello            200 "hello\n"
//   /sleep?ms=N       waits N ms on a monotonic-clock pollable (wasi:io/poll.poll), "slept N\n"
//   /spin             loops forever (CPU-bound: only an epoch interruption stops it)
//   /spin?ms=N        busy-loops reading the monotonic clock for N ms, "spun N\n"
//   /trap             traps (unreachable); with ?partial=1 after sending the head and
//                     "partial\n" of a chunked body
//   /count            "N\n": requests this instance has handled, this one included
//   /echo             streams the request body back, with the request's content-type
//   /length           reads the request body to its end, "N\n" (its length in bytes)
//   /drip?n=N&ms=M    a chunked body of N lines "drip i\n", one every M ms (a slow stream)
//   /after?ms=N       answers "after\n" (finished body), then waits N ms before returning
//   /big?bytes=N      N bytes of "abc...z" repeated, written in 64 KiB check-write/write
//                     steps (no content-length: chunked)
//   /headers          the request's headers, "name: value" lines sorted
//   /info             method, path-with-query, scheme and authority, one per line
//   /status?code=N    status N, body "status N\n" (none for 1xx, 204, 304)
//   /noresponse       returns without setting the response-outparam (and without dropping
//                     it; with ?drop=1 it is dropped)
//   /stdout           "to stdout\n" on stdout, "to stderr\n" on stderr, "ok\n"
//   /env?name=X       the value of environment variable X and "\n", or 404
//   /file?path=P      the file P under a preopened directory, or 404 "error N\n"
//   /fetch?url=U      GETs http(s)://authority/path U with wasi:http/outgoing-handler:
//                     200 "status S\n" and the body, or 502 "error N <error-code case>\n"
//   anything else     404 "not found\n"
// Every response is text/plain unless said otherwise; fixed bodies carry content-length.
// libc is linked for malloc/qsort only (no start files, no preview1 imports: jco new runs
// with no adapter).
#include <stdbool.h>
#include <stdlib.h>

#include "http_bindings.h"

// ---- helpers ----

typedef struct {
  const char* p;
  size_t n;
} Str;

static bool StrEq(Str s, const char* lit) { return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0; }

static void FreeList(void* p, size_t n) {
  if (n > 0) free(p);  // an empty list need not come from cabi_realloc
}

// Writes v in decimal into buf (at least 21 bytes); returns the length.
static size_t FormatU64(uint64_t v, char* buf) {
  char tmp[21];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
  return n;
}

// The value of query parameter `name` in `query` (the text after '?'), if present.
static bool QueryParam(Str query, const char* name, Str* value) {
  size_t name_len = strlen(name);
  size_t i = 0;
  while (i < query.n) {
    size_t end = i;
    while (end < query.n && query.p[end] != '&') ++end;
    if (end - i > name_len && memcmp(query.p + i, name, name_len) == 0 && query.p[i + name_len] == '=') {
      value->p = query.p + i + name_len + 1;
      value->n = end - i - name_len - 1;
      return true;
    }
    i = end + 1;
  }
  return false;
}

static bool QueryU64(Str query, const char* name, uint64_t* out) {
  Str v;
  if (!QueryParam(query, name, &v) || v.n == 0 || v.n > 18) return false;
  uint64_t x = 0;
  for (size_t i = 0; i < v.n; ++i) {
    if (v.p[i] < '0' || v.p[i] > '9') return false;
    x = x * 10 + (uint64_t)(v.p[i] - '0');
  }
  *out = x;
  return true;
}

// A growable byte buffer for response bodies built in memory.
typedef struct {
  char* p;
  size_t n, cap;
} Buf;

static void BufAppend(Buf* b, const void* data, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
    if (!b->p) __builtin_trap();
  }
  memcpy(b->p + b->n, data, n);
  b->n += n;
}
static void BufAppendStr(Buf* b, const char* s) { BufAppend(b, s, strlen(s)); }
static void BufAppendU64(Buf* b, uint64_t v) {
  char tmp[21];
  BufAppend(b, tmp, FormatU64(v, tmp));
}

static void DropStreamError(const RetArea* r) {
  if (r->b[4] == 0) IoErrorDrop((Handle)RetU32(r, 8));
}

// blocking-write-and-flush takes at most 4096 bytes per call. Returns false once the stream
// fails or closes (the client went away): the caller stops writing.
static bool WriteAll(Handle stream, const void* data, size_t n) {
  const char* p = data;
  while (n > 0) {
    size_t chunk = n < 4096 ? n : 4096;
    RetArea r;
    OutputStreamBlockingWriteAndFlush(stream, p, chunk, &r);
    if (r.b[0] != 0) {
      DropStreamError(&r);
      return false;
    }
    p += chunk;
    n -= chunk;
  }
  return true;
}

// A response in progress: the outparam has been set, the body is open for writing.
typedef struct {
  Handle body;
  Handle stream;
} Out;

typedef struct {
  const char* name;
  size_t name_len;
  const void* value;
  size_t value_len;
} Entry;

// Sets the outparam to a response with `status` and headers content-type (text/plain unless
// given) and, when content_length >= 0, content-length; opens its body.
static Out StartResponse(Handle outparam, int status, Str content_type, int64_t content_length) {
  char len_text[21];
  Entry entries[2];
  size_t n = 0;
  if (content_type.n == 0) content_type = (Str){"text/plain", 10};
  entries[n++] = (Entry){"content-type", 12, content_type.p, content_type.n};
  if (content_length >= 0) {
    entries[n++] = (Entry){"content-length", 14, len_text, FormatU64((uint64_t)content_length, len_text)};
  }
  RetArea r;
  FieldsFromList(entries, n, &r);
  if (r.b[0] != 0) __builtin_trap();
  Handle response = OutgoingResponseNew((Handle)RetU32(&r, 4));
  if (status != 200 && OutgoingResponseSetStatusCode(response, status) != 0) __builtin_trap();
  OutgoingResponseBody(response, &r);
  if (r.b[0] != 0) __builtin_trap();
  Out out = {(Handle)RetU32(&r, 4), 0};
  // Set before writing: the host can send the head at once, and a body larger than its
  // buffer would otherwise block with nobody reading it.
  ResponseOutparamSet(outparam, 0, response, 0, 0, 0, 0, 0, 0);
  OutgoingBodyWrite(out.body, &r);
  if (r.b[0] != 0) __builtin_trap();
  out.stream = (Handle)RetU32(&r, 4);
  return out;
}

static void FinishResponse(Out out) {
  OutputStreamDrop(out.stream);  // a child of the body
  RetArea r;
  OutgoingBodyFinish(out.body, 0, 0, &r);
  // An error here means the body was cut short (client gone): nothing left to report to.
}

static void Respond(Handle outparam, int status, const char* body, size_t n) {
  Out out = StartResponse(outparam, status, (Str){0, 0}, (int64_t)n);
  WriteAll(out.stream, body, n);
  FinishResponse(out);
}
static void RespondText(Handle outparam, int status, const char* text) { Respond(outparam, status, text, strlen(text)); }
static void RespondBuf(Handle outparam, int status, Buf* b) {
  Respond(outparam, status, b->p, b->n);
  free(b->p);
}

// Reads an option<string> result (tag @0, ptr @4, len @8) into a Buf line "label value\n".
static void AppendOptionString(Buf* b, const char* label, const RetArea* r, int offset) {
  BufAppendStr(b, label);
  if (r->b[offset] == 1) {
    BufAppend(b, RetPtr(r, offset + 4), RetU32(r, offset + 8));
    FreeList(RetPtr(r, offset + 4), RetU32(r, offset + 8));
  } else {
    BufAppendStr(b, "(none)");
  }
  BufAppendStr(b, "\n");
}

// ---- routes ----

static uint64_t requests_handled;  // per instance: shows whether instances are reused

static void Sleep(Handle outparam, Str query) {
  uint64_t ms = 0;
  QueryU64(query, "ms", &ms);
  Handle timer = MonotonicSubscribeDuration(ms * 1000000ULL);
  RetArea r;
  Poll(&timer, 1, &r);  // returns once the only pollable is ready: its index, 0
  FreeList(RetPtr(&r, 0), RetU32(&r, 4));
  PollableDrop(timer);
  Buf b = {0};
  BufAppendStr(&b, "slept ");
  BufAppendU64(&b, ms);
  BufAppendStr(&b, "\n");
  RespondBuf(outparam, 200, &b);
}

static void Spin(Handle outparam, Str query) {
  uint64_t ms;
  if (!QueryU64(query, "ms", &ms)) {
    volatile uint64_t spins = 0;
    for (;;) spins = spins + 1;
  }
  uint64_t end = MonotonicNow() + ms * 1000000ULL;
  while (MonotonicNow() < end) {
  }
  Buf b = {0};
  BufAppendStr(&b, "spun ");
  BufAppendU64(&b, ms);
  BufAppendStr(&b, "\n");
  RespondBuf(outparam, 200, &b);
}

// The first value of request header `name` (lower case), as a malloc'd Str (p null if absent).
static Str RequestHeader(Handle request, const char* name) {
  Handle headers = IncomingRequestHeaders(request);
  RetArea r;
  FieldsGet(headers, name, strlen(name), &r);
  FieldsDrop(headers);
  uint32_t* values = RetPtr(&r, 0);
  uint32_t count = RetU32(&r, 4);
  Str result = {0, 0};
  if (count > 0 && values[1] > 0) {
    char* copy = malloc(values[1]);
    memcpy(copy, (void*)(uintptr_t)values[0], values[1]);
    result = (Str){copy, values[1]};
  }
  for (uint32_t i = 0; i < count; ++i) FreeList((void*)(uintptr_t)values[2 * i], values[2 * i + 1]);
  FreeList(values, count);
  return result;
}

// Copies everything from `in` to the response stream; drops `in`.
static void Pump(Handle in, Handle out) {
  bool writing = true;
  for (;;) {
    RetArea r;
    InputStreamBlockingRead(in, 65536, &r);
    if (r.b[0] != 0) {
      DropStreamError(&r);  // closed: the end of the body
      break;
    }
    void* data = RetPtr(&r, 4);
    uint32_t n = RetU32(&r, 8);
    if (writing) writing = WriteAll(out, data, n);  // on failure, still drain the input
    FreeList(data, n);
  }
  InputStreamDrop(in);
}

// Reads the request body to its end without keeping it.
static void Length(Handle request, Handle outparam) {
  RetArea r;
  IncomingRequestConsume(request, &r);
  if (r.b[0] != 0) __builtin_trap();
  Handle body = (Handle)RetU32(&r, 4);
  IncomingBodyStream(body, &r);
  if (r.b[0] != 0) __builtin_trap();
  Handle in = (Handle)RetU32(&r, 4);
  uint64_t total = 0;
  for (;;) {
    InputStreamBlockingRead(in, 65536, &r);
    if (r.b[0] != 0) {
      DropStreamError(&r);
      break;
    }
    total += RetU32(&r, 8);
    FreeList(RetPtr(&r, 4), RetU32(&r, 8));
  }
  InputStreamDrop(in);
  FutureTrailersDrop(IncomingBodyFinish(body));
  Buf b = {0};
  BufAppendU64(&b, total);
  BufAppendStr(&b, "\n");
  RespondBuf(outparam, 200, &b);
}

static void SleepMs(uint64_t ms) {
  Handle timer = MonotonicSubscribeDuration(ms * 1000000ULL);
  PollableBlock(timer);
  PollableDrop(timer);
}

static void Drip(Handle outparam, Str query) {
  uint64_t n = 3, ms = 100;
  QueryU64(query, "n", &n);
  QueryU64(query, "ms", &ms);
  Out out = StartResponse(outparam, 200, (Str){0, 0}, -1);
  for (uint64_t i = 0; i < n; ++i) {
    if (i > 0) SleepMs(ms);
    Buf b = {0};
    BufAppendStr(&b, "drip ");
    BufAppendU64(&b, i);
    BufAppendStr(&b, "\n");
    bool ok = WriteAll(out.stream, b.p, b.n);
    free(b.p);
    if (!ok) break;
  }
  FinishResponse(out);
}

static void After(Handle outparam, Str query) {
  uint64_t ms = 0;
  QueryU64(query, "ms", &ms);
  RespondText(outparam, 200, "after\n");
  SleepMs(ms);
}

static void Trap(Handle outparam, Str query) {
  Str partial;
  if (QueryParam(query, "partial", &partial) && StrEq(partial, "1")) {
    Out out = StartResponse(outparam, 200, (Str){0, 0}, -1);
    WriteAll(out.stream, "partial\n", 8);
  }
  __builtin_trap();
}

static void Echo(Handle request, Handle outparam) {
  Str content_type = RequestHeader(request, "content-type");
  RetArea r;
  IncomingRequestConsume(request, &r);
  if (r.b[0] != 0) __builtin_trap();
  Handle body = (Handle)RetU32(&r, 4);
  IncomingBodyStream(body, &r);
  if (r.b[0] != 0) __builtin_trap();
  Handle in = (Handle)RetU32(&r, 4);
  Out out = StartResponse(outparam, 200, content_type, -1);
  free((void*)content_type.p);
  Pump(in, out.stream);  // the stream is a child of the body: dropped before finish
  FutureTrailersDrop(IncomingBodyFinish(body));
  FinishResponse(out);
}

// The pattern /big writes: byte i of the body is 'a' + i % 26.
static void Big(Handle outparam, Str query) {
  uint64_t total = 0;
  QueryU64(query, "bytes", &total);
  enum { kChunk = 65536 };
  static char pattern[kChunk + 26];
  for (size_t i = 0; i < sizeof pattern; ++i) pattern[i] = (char)('a' + i % 26);
  Out out = StartResponse(outparam, 200, (Str){0, 0}, -1);
  uint64_t sent = 0;
  bool ok = true;
  while (ok && sent < total) {
    // One 64 KiB write as the host lets it in: check-write for the permit, wait on the
    // stream's pollable while it is zero.
    uint64_t chunk_end = sent + (total - sent < kChunk ? total - sent : kChunk);
    while (ok && sent < chunk_end) {
      RetArea r;
      OutputStreamCheckWrite(out.stream, &r);
      if (r.b[0] != 0) {
        if (r.b[8] == 0) IoErrorDrop((Handle)RetU32(&r, 12));
        ok = false;
        break;
      }
      uint64_t permit = RetU64(&r, 8);
      if (permit == 0) {
        Handle p = OutputStreamSubscribe(out.stream);
        PollableBlock(p);
        PollableDrop(p);
        continue;
      }
      uint64_t n = chunk_end - sent < permit ? chunk_end - sent : permit;
      OutputStreamWrite(out.stream, pattern + sent % 26, (size_t)n, &r);
      if (r.b[0] != 0) {
        DropStreamError(&r);
        ok = false;
        break;
      }
      sent += n;
    }
  }
  if (ok) {
    RetArea r;
    OutputStreamBlockingFlush(out.stream, &r);
    if (r.b[0] != 0) DropStreamError(&r);
  }
  FinishResponse(out);
}

static int CompareLines(const void* a, const void* b) {
  const Str* x = a;
  const Str* y = b;
  size_t n = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->p, y->p, n);
  return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

static void Headers(Handle request, Handle outparam) {
  Handle headers = IncomingRequestHeaders(request);
  RetArea r;
  FieldsEntries(headers, &r);
  FieldsDrop(headers);
  uint32_t* e = RetPtr(&r, 0);
  uint32_t count = RetU32(&r, 4);
  Str* lines = malloc(sizeof(Str) * (count + 1));
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t name_len = e[4 * i + 1], value_len = e[4 * i + 3];
    char* line = malloc(name_len + value_len + 3);
    memcpy(line, (void*)(uintptr_t)e[4 * i], name_len);
    memcpy(line + name_len, ": ", 2);
    memcpy(line + name_len + 2, (void*)(uintptr_t)e[4 * i + 2], value_len);
    line[name_len + 2 + value_len] = '\n';
    lines[i] = (Str){line, name_len + value_len + 3};
    FreeList((void*)(uintptr_t)e[4 * i], name_len);
    FreeList((void*)(uintptr_t)e[4 * i + 2], value_len);
  }
  FreeList(e, count);
  qsort(lines, count, sizeof(Str), CompareLines);
  Buf b = {0};
  for (uint32_t i = 0; i < count; ++i) {
    BufAppend(&b, lines[i].p, lines[i].n);
    free((void*)lines[i].p);
  }
  free(lines);
  RespondBuf(outparam, 200, &b);
}

static void Info(Handle request, Handle outparam) {
  static const char* const kMethods[] = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                         "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  Buf b = {0};
  RetArea r;
  IncomingRequestMethod(request, &r);
  BufAppendStr(&b, "method ");
  if (r.b[0] < 9) {
    BufAppendStr(&b, kMethods[r.b[0]]);
  } else {
    BufAppend(&b, RetPtr(&r, 4), RetU32(&r, 8));
    FreeList(RetPtr(&r, 4), RetU32(&r, 8));
  }
  BufAppendStr(&b, "\n");
  IncomingRequestPathWithQuery(request, &r);
  AppendOptionString(&b, "path ", &r, 0);
  IncomingRequestScheme(request, &r);
  BufAppendStr(&b, "scheme ");
  if (r.b[0] == 0) {
    BufAppendStr(&b, "(none)");
  } else if (r.b[4] == 0) {
    BufAppendStr(&b, "http");
  } else if (r.b[4] == 1) {
    BufAppendStr(&b, "https");
  } else {
    BufAppend(&b, RetPtr(&r, 8), RetU32(&r, 12));
    FreeList(RetPtr(&r, 8), RetU32(&r, 12));
  }
  BufAppendStr(&b, "\n");
  IncomingRequestAuthority(request, &r);
  AppendOptionString(&b, "authority ", &r, 0);
  RespondBuf(outparam, 200, &b);
}

static void Status(Handle outparam, Str query) {
  uint64_t code = 0;
  if (!QueryU64(query, "code", &code) || code > 999) {
    RespondText(outparam, 400, "status needs ?code=N\n");
    return;
  }
  Buf b = {0};
  bool no_body = code < 200 || code == 204 || code == 304;
  if (!no_body) {
    BufAppendStr(&b, "status ");
    BufAppendU64(&b, code);
    BufAppendStr(&b, "\n");
  }
  // Build the response by hand: StartResponse traps when the host refuses the code, and
  // here a refusal is an answer (500 with a message).
  char len_text[21];
  Entry entries[2] = {{"content-type", 12, "text/plain", 10},
                      {"content-length", 14, len_text, FormatU64(b.n, len_text)}};
  RetArea r;
  FieldsFromList(entries, no_body ? 1 : 2, &r);
  if (r.b[0] != 0) __builtin_trap();
  Handle response = OutgoingResponseNew((Handle)RetU32(&r, 4));
  if (OutgoingResponseSetStatusCode(response, (int32_t)code) != 0) {
    OutgoingResponseDrop(response);
    free(b.p);
    RespondText(outparam, 500, "status code refused by the host\n");
    return;
  }
  OutgoingResponseBody(response, &r);
  if (r.b[0] != 0) __builtin_trap();
  Out out = {(Handle)RetU32(&r, 4), 0};
  ResponseOutparamSet(outparam, 0, response, 0, 0, 0, 0, 0, 0);
  OutgoingBodyWrite(out.body, &r);
  if (r.b[0] != 0) __builtin_trap();
  out.stream = (Handle)RetU32(&r, 4);
  WriteAll(out.stream, b.p, b.n);
  free(b.p);
  FinishResponse(out);
}

static void Stdio(Handle outparam) {
  Handle out = GetStdout();
  WriteAll(out, "to stdout\n", 10);
  OutputStreamDrop(out);
  Handle err = GetStderr();
  WriteAll(err, "to stderr\n", 10);
  OutputStreamDrop(err);
  RespondText(outparam, 200, "ok\n");
}

static void Env(Handle outparam, Str query) {
  Str name = {0, 0};
  QueryParam(query, "name", &name);
  RetArea r;
  GetEnvironment(&r);
  uint32_t* e = RetPtr(&r, 0);
  uint32_t count = RetU32(&r, 4);
  Buf b = {0};
  bool found = false;
  for (uint32_t i = 0; i < count; ++i) {
    Str key = {(const char*)(uintptr_t)e[4 * i], e[4 * i + 1]};
    if (!found && name.n > 0 && key.n == name.n && memcmp(key.p, name.p, name.n) == 0) {
      BufAppend(&b, (void*)(uintptr_t)e[4 * i + 2], e[4 * i + 3]);
      BufAppendStr(&b, "\n");
      found = true;
    }
    FreeList((void*)(uintptr_t)e[4 * i], e[4 * i + 1]);
    FreeList((void*)(uintptr_t)e[4 * i + 2], e[4 * i + 3]);
  }
  FreeList(e, count);
  if (found) {
    RespondBuf(outparam, 200, &b);
  } else {
    RespondText(outparam, 404, "not set\n");
  }
}

// P is looked up under the preopen whose name is its longest directory prefix; a relative P
// (or one matching none) under "." or "/" if preopened.
static void File(Handle outparam, Str query) {
  Str path = {0, 0};
  QueryParam(query, "path", &path);
  RetArea r;
  GetDirectories(&r);
  uint32_t* dirs = RetPtr(&r, 0);
  uint32_t count = RetU32(&r, 4);
  Handle dir = -1;
  Str rest = path;
  size_t best = 0;
  for (uint32_t i = 0; i < count; ++i) {
    Str name = {(const char*)(uintptr_t)dirs[3 * i + 1], dirs[3 * i + 2]};
    while (name.n > 1 && name.p[name.n - 1] == '/') --name.n;
    bool is_root = StrEq(name, "/"), is_dot = StrEq(name, ".");
    if (is_root || is_dot) {
      if (best == 0 && dir < 0 && (is_dot ? path.n > 0 && path.p[0] != '/' : path.n > 0 && path.p[0] == '/')) {
        dir = (Handle)dirs[3 * i];
        rest = is_root ? (Str){path.p + 1, path.n - 1} : path;
      }
    } else if (path.n > name.n && memcmp(path.p, name.p, name.n) == 0 && path.p[name.n] == '/' &&
               name.n > best) {
      best = name.n;
      dir = (Handle)dirs[3 * i];
      rest = (Str){path.p + name.n + 1, path.n - name.n - 1};
    }
  }
  int error = -1;
  Handle file = -1;
  if (dir >= 0) {
    DescriptorOpenAt(dir, kPathFlagSymlinkFollow, rest.p, rest.n, 0, kDescriptorFlagRead, &r);
    if (r.b[0] != 0) {
      error = r.b[4];
    } else {
      file = (Handle)RetU32(&r, 4);
    }
  }
  for (uint32_t i = 0; i < count; ++i) {
    DescriptorDrop((Handle)dirs[3 * i]);
    FreeList((void*)(uintptr_t)dirs[3 * i + 1], dirs[3 * i + 2]);
  }
  FreeList(dirs, count);
  if (file < 0) {
    Buf b = {0};
    BufAppendStr(&b, dir < 0 ? "no preopen for the path" : "error ");
    if (dir >= 0) BufAppendU64(&b, (uint64_t)error);
    BufAppendStr(&b, "\n");
    RespondBuf(outparam, 404, &b);
    return;
  }
  DescriptorReadViaStream(file, 0, &r);
  if (r.b[0] != 0) {
    DescriptorDrop(file);
    RespondText(outparam, 500, "read-via-stream failed\n");
    return;
  }
  Handle in = (Handle)RetU32(&r, 4);
  Out out = StartResponse(outparam, 200, (Str){"application/octet-stream", 24}, -1);
  Pump(in, out.stream);
  DescriptorDrop(file);  // after its child stream
  FinishResponse(out);
}

static void RespondErrorCode(Handle outparam, uint8_t code) {
  Buf b = {0};
  BufAppendStr(&b, "error ");
  BufAppendU64(&b, code);
  BufAppendStr(&b, " ");
  BufAppendStr(&b, code < sizeof kErrorCodeNames / sizeof kErrorCodeNames[0] ? kErrorCodeNames[code] : "?");
  BufAppendStr(&b, "\n");
  RespondBuf(outparam, 502, &b);
}

static void Fetch(Handle outparam, Str query) {
  Str url = {0, 0};
  QueryParam(query, "url", &url);
  int scheme;
  size_t skip;
  if (url.n > 7 && memcmp(url.p, "http://", 7) == 0) {
    scheme = 0;
    skip = 7;
  } else if (url.n > 8 && memcmp(url.p, "https://", 8) == 0) {
    scheme = 1;
    skip = 8;
  } else {
    RespondText(outparam, 400, "fetch needs ?url=http://authority/path\n");
    return;
  }
  Str authority = {url.p + skip, url.n - skip};
  Str path = {"/", 1};
  for (size_t i = 0; i < authority.n; ++i) {
    if (authority.p[i] == '/') {
      path = (Str){authority.p + i, authority.n - i};
      authority.n = i;
      break;
    }
  }
  Handle request = OutgoingRequestNew(FieldsNew());
  if (OutgoingRequestSetScheme(request, 1, scheme, 0, 0) != 0 ||
      OutgoingRequestSetAuthority(request, 1, authority.p, authority.n) != 0 ||
      OutgoingRequestSetPathWithQuery(request, 1, path.p, path.n) != 0) {
    OutgoingRequestDrop(request);
    RespondText(outparam, 400, "the host refused the URL\n");
    return;
  }
  RetArea r;
  OutgoingHandlerHandle(request, 0, 0, &r);  // consumes the request
  if (r.b[0] != 0) {
    RespondErrorCode(outparam, r.b[8]);
    return;
  }
  Handle future = (Handle)RetU32(&r, 8);
  for (;;) {
    FutureIncomingResponseGet(future, &r);
    if (r.b[0] == 1) break;
    Handle p = FutureIncomingResponseSubscribe(future);
    PollableBlock(p);
    PollableDrop(p);
  }
  FutureIncomingResponseDrop(future);
  if (r.b[8] != 0) __builtin_trap();  // "already taken": cannot happen on the first get
  if (r.b[16] != 0) {
    RespondErrorCode(outparam, r.b[24]);
    return;
  }
  Handle response = (Handle)RetU32(&r, 24);
  Buf b = {0};
  BufAppendStr(&b, "status ");
  BufAppendU64(&b, (uint64_t)IncomingResponseStatus(response));
  BufAppendStr(&b, "\n");
  IncomingResponseConsume(response, &r);
  if (r.b[0] != 0) __builtin_trap();
  Handle body = (Handle)RetU32(&r, 4);
  IncomingBodyStream(body, &r);
  if (r.b[0] != 0) __builtin_trap();
  Handle in = (Handle)RetU32(&r, 4);
  for (;;) {
    InputStreamBlockingRead(in, 65536, &r);
    if (r.b[0] != 0) {
      DropStreamError(&r);
      break;
    }
    BufAppend(&b, RetPtr(&r, 4), RetU32(&r, 8));
    FreeList(RetPtr(&r, 4), RetU32(&r, 8));
  }
  InputStreamDrop(in);
  FutureTrailersDrop(IncomingBodyFinish(body));
  IncomingResponseDrop(response);
  RespondBuf(outparam, 200, &b);
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void HandleRequest(Handle request, Handle outparam) {
  ++requests_handled;
  RetArea r;
  IncomingRequestPathWithQuery(request, &r);
  Str target = {"/", 1};
  void* target_mem = 0;
  if (r.b[0] == 1) {
    target = (Str){RetPtr(&r, 4), RetU32(&r, 8)};
    if (target.n > 0) target_mem = (void*)target.p;
  }
  Str path = target, query = {"", 0};
  for (size_t i = 0; i < target.n; ++i) {
    if (target.p[i] == '?') {
      path.n = i;
      query = (Str){target.p + i + 1, target.n - i - 1};
      break;
    }
  }

  if (StrEq(path, "/hello")) {
    RespondText(outparam, 200, "hello\n");
  } else if (StrEq(path, "/sleep")) {
    Sleep(outparam, query);
  } else if (StrEq(path, "/spin")) {
    Spin(outparam, query);
  } else if (StrEq(path, "/trap")) {
    Trap(outparam, query);
  } else if (StrEq(path, "/count")) {
    Buf b = {0};
    BufAppendU64(&b, requests_handled);
    BufAppendStr(&b, "\n");
    RespondBuf(outparam, 200, &b);
  } else if (StrEq(path, "/echo")) {
    Echo(request, outparam);
  } else if (StrEq(path, "/length")) {
    Length(request, outparam);
  } else if (StrEq(path, "/drip")) {
    Drip(outparam, query);
  } else if (StrEq(path, "/after")) {
    After(outparam, query);
  } else if (StrEq(path, "/big")) {
    Big(outparam, query);
  } else if (StrEq(path, "/headers")) {
    Headers(request, outparam);
  } else if (StrEq(path, "/info")) {
    Info(request, outparam);
  } else if (StrEq(path, "/status")) {
    Status(outparam, query);
  } else if (StrEq(path, "/noresponse")) {
    Str drop;
    if (QueryParam(query, "drop", &drop) && StrEq(drop, "1")) ResponseOutparamDrop(outparam);
  } else if (StrEq(path, "/stdout")) {
    Stdio(outparam);
  } else if (StrEq(path, "/env")) {
    Env(outparam, query);
  } else if (StrEq(path, "/file")) {
    File(outparam, query);
  } else if (StrEq(path, "/fetch")) {
    Fetch(outparam, query);
  } else {
    RespondText(outparam, 404, "not found\n");
  }
  free(target_mem);
  IncomingRequestDrop(request);  // last: headers and body were its children
}

// The canonical ABI allocator: the host copies strings and lists into guest memory with it.
__attribute__((export_name("cabi_realloc")))
void* cabi_realloc(void* old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  (void)align;  // malloc's 16-byte alignment covers every canonical ABI type
  if (new_size == 0) return (void*)align;
  void* p = realloc(old, new_size);
  if (!p) __builtin_trap();
  return p;
}
