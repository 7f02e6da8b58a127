// End to end through a real componentize-js wasi:http handler
// (tests/components/js-http/handler.js, built by the component_js_http target): WASI 0.2 plus
// AddToLinker, one instance, StartHandle with a fake request body and a recording sink, the
// call driven on the io_context as `weft serve` drives it (wakes through WasiP2Ctx), then
// FinishHandle. Expected statuses, headers and bodies are the handler's own (checked against
// `jco serve` by tests/components' handler.js authors: same routes).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <thread>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wasi/http/ctx_impl.h"
#include "weft/error.h"
#include "wasi/http/testing.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/wasi_p2.h"
#include "weft/component.h"

namespace weft::wasi::http {
namespace {

namespace cm = weft::component;
namespace p2 = weft::wasi::p2;
using testing::FakeReader;
using testing::FakeSink;

struct State {
  p2::WasiP2State wasi;
  WasiHttpCtx http;
};
p2::WasiP2State& GetWasi(State& s) { return s.wasi; }

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// Runs the call until done: host suspensions wait for a waker on the io_context.
Error Drive(p2::WasiP2Ctx& ctx, boost::asio::io_context& io, AsyncCall& call) {
  while (call.state() == AsyncCall::State::kSuspended) {
    if (call.reason() == AsyncCall::Reason::kHostSuspend) {
      while (!ctx.TakeWake()) {
        if (io.stopped()) io.restart();
        if (io.run_one() == 0) return Error::Make(ErrorCode::kTrap, "deadlock");
      }
    }
    call.Resume();
  }
  return Error();
}

// One compiled component per file, shared by every test of the binary.
const cm::Component* Compiled(Engine& engine, const std::string& path) {
  static std::map<std::string, std::unique_ptr<cm::Component>>* cache =
      new std::map<std::string, std::unique_ptr<cm::Component>>();
  auto it = cache->find(path);
  if (it != cache->end()) return it->second.get();
  auto bytes = ReadFile(path);
  std::unique_ptr<cm::Component> c;
  if (!bytes.empty()) {
    auto compiled = cm::Component::Compile(engine, bytes);
    EXPECT_TRUE(compiled.ok()) << compiled.error().ToString();
    if (compiled.ok()) c = std::make_unique<cm::Component>(std::move(compiled).value());
  }
  return cache->emplace(path, std::move(c)).first->second.get();
}

Engine& SharedEngine() {
  static Engine* engine = new Engine();
  return *engine;
}

// A store with WASI 0.2 and wasi:http, one instance of a handler component, and Serve().
class Harness : public ::testing::Test {
 protected:
  void Load(const std::string& path, WasiHttpConfig config = {}) {
    const cm::Component* component = Compiled(SharedEngine(), path);
    if (component == nullptr) GTEST_SKIP() << path << " not built";
    cm::Linker<State> linker(SharedEngine());
    ASSERT_TRUE((p2::AddAllToLinker<State, &GetWasi>(linker)).ok());
    Error e = AddToLinker(
        linker, +[](State& s) -> WasiHttpCtx& { return s.http; },
        +[](State& s) -> p2::WasiP2Ctx& { return s.wasi.io; });
    ASSERT_TRUE(e.ok()) << e.ToString();
    auto pre = linker.InstantiatePre(*component);
    ASSERT_TRUE(pre.ok()) << pre.error().ToString();
    auto w = p2::WasiP2State::Create(io_, p2::WasiP2Config{});
    ASSERT_TRUE(w.ok());
    store_ = std::make_unique<Store<State>>(
        SharedEngine(), State{std::move(w).value(), WasiHttpCtx(io_, std::move(config))});
    auto inst = pre.value().Instantiate(*store_);
    ASSERT_TRUE(inst.ok()) << inst.error().ToString();
    instance_ = inst.value();
    auto h = FindHandler(instance_);
    ASSERT_TRUE(h.has_value());
    handle_ = *h;
  }

  struct Outcome {
    std::shared_ptr<FakeSink> sink;
    Error error;
    std::string body() const { return sink->writer->body; }
    uint16_t status() const { return sink->head ? sink->head->status : 0; }
  };

  // Serves one request on the instance; the body (if any) may be fed from the event loop.
  Outcome Serve(std::string method, std::string path, ::weft::http::Headers headers = {},
                std::shared_ptr<FakeReader> body = nullptr,
                std::shared_ptr<FakeSink> sink = nullptr) {
    ::weft::http::Request req;
    req.id = ++ids_;
    req.method = std::move(method);
    req.scheme = "http";
    req.authority = "localhost:8080";
    req.path_with_query = std::move(path);
    req.headers = std::move(headers);
    req.body = body ? body : EmptyBody();
    if (!sink) sink = std::make_shared<FakeSink>();
    State& st = store_->data();
    auto call = StartHandle(*store_, handle_, st.http, std::move(req), sink);
    EXPECT_TRUE(call.ok()) << call.error().ToString();
    if (!call.ok()) return {sink, call.error()};
    Error d = Drive(st.wasi.io, io_, **call);
    EXPECT_TRUE(d.ok()) << d.ToString();
    Error f = FinishHandle(*store_, handle_, st.http, call.value().get());
    // Let background body pumping finish.
    io_.restart();
    io_.poll();
    return {sink, std::move(f)};
  }

  static std::shared_ptr<FakeReader> EmptyBody() {
    auto r = std::make_shared<FakeReader>();
    r->End();
    return r;
  }

  WasiHttpCtx::Impl& impl() { return store_->data().http.impl(); }

  boost::asio::io_context io_;
  std::unique_ptr<Store<State>> store_;
  cm::Instance instance_;
  cm::Func handle_;
  uint64_t ids_ = 0;
};

class JsHttp : public Harness {
 protected:
  void SetUp() override { Load(WEFT_JS_HTTP_COMPONENT); }
};

TEST_F(JsHttp, GetRoot) {
  Outcome o = Serve("GET", "/", {}, EmptyBody());
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  ASSERT_TRUE(o.sink->head.has_value());
  EXPECT_EQ(o.sink->head->status, 200);
  EXPECT_EQ(o.sink->Header("content-type"), "text/plain");
  EXPECT_EQ(o.sink->Header("x-weft-test"), "js-http");
  EXPECT_EQ(o.sink->writer->body, "hello from js-http\n");
  EXPECT_TRUE(o.sink->writer->finished);
  EXPECT_FALSE(o.sink->writer->aborted.has_value());
  EXPECT_EQ(o.sink->fails, 0);
}

TEST_F(JsHttp, RequestHeadersReachTheGuest) {
  Outcome o = Serve("GET", "/headers",
                    {{"x-b", "2"}, {"x-a", "1"}, {"accept", "*/*"}, {"host", "localhost"}},
                    EmptyBody());
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  ASSERT_TRUE(o.sink->head.has_value());
  EXPECT_EQ(o.sink->head->status, 200);
  EXPECT_EQ(o.sink->writer->body, "x-a: 1\nx-b: 2\n");
}

TEST_F(JsHttp, EchoBodyDeliveredInPieces) {
  auto body = std::make_shared<FakeReader>();
  // The body arrives in three pieces, 5 ms apart, while the guest waits for it.
  boost::asio::steady_timer t1(io_, std::chrono::milliseconds(5));
  boost::asio::steady_timer t2(io_, std::chrono::milliseconds(10));
  boost::asio::steady_timer t3(io_, std::chrono::milliseconds(15));
  t1.async_wait([body](auto) { body->Push("hello, "); });
  t2.async_wait([body](auto) { body->Push(std::string(70000, 'x')); });
  t3.async_wait([body](auto) {
    body->Push(" world");
    body->End();
  });
  Outcome o = Serve("POST", "/echo", {{"content-type", "application/x-test"}}, body);
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  ASSERT_TRUE(o.sink->head.has_value());
  EXPECT_EQ(o.sink->head->status, 200);
  std::string expected = "hello, " + std::string(70000, 'x') + " world";
  EXPECT_EQ(o.sink->writer->body.size(), expected.size());
  EXPECT_EQ(o.sink->writer->body, expected);
  EXPECT_EQ(o.sink->Header("x-body-length"), std::to_string(expected.size()));
  EXPECT_EQ(o.sink->Header("content-type"), "application/x-test");
  EXPECT_TRUE(o.sink->writer->finished);
}

TEST_F(JsHttp, EchoRefusesGet) {
  Outcome o = Serve("GET", "/echo", {}, EmptyBody());
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  ASSERT_TRUE(o.sink->head.has_value());
  EXPECT_EQ(o.sink->head->status, 405);
  EXPECT_EQ(o.sink->Header("allow"), "POST");
  EXPECT_EQ(o.sink->writer->body, "use POST\n");
}

TEST_F(JsHttp, CustomStatus) {
  Outcome o = Serve("GET", "/status/418", {}, EmptyBody());
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  ASSERT_TRUE(o.sink->head.has_value());
  EXPECT_EQ(o.sink->head->status, 418);
  EXPECT_EQ(o.sink->writer->body, "status 418\n");
}

TEST_F(JsHttp, NotFound) {
  Outcome o = Serve("GET", "/nope?x=1", {}, EmptyBody());
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  ASSERT_TRUE(o.sink->head.has_value());
  EXPECT_EQ(o.sink->head->status, 404);
  EXPECT_EQ(o.sink->writer->body, "not found: /nope\n");
}

TEST_F(JsHttp, ThrowingRouteGives500) {
  Outcome o = Serve("GET", "/throw", {}, EmptyBody());
  // StarlingMonkey logs the exception and answers 500 itself (an empty body).
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  ASSERT_TRUE(o.sink->head.has_value());
  EXPECT_EQ(o.sink->head->status, 500);
  EXPECT_TRUE(o.sink->writer->finished) << o.sink->writer->aborted.value_or("not aborted")
                                        << " body: " << o.sink->writer->body;
  EXPECT_EQ(o.sink->fails, 0);
}

// StarlingMonkey keeps its FetchEvent across calls: a second request on the same instance
// ends without a response (respondWith twice), which is why componentize-js components get
// a fresh instance per request (--max-instance-reuse-count 1). The host side stays sound: a
// 500 from FinishHandle, and the first request's outparam, response and bodies are gone (the
// guest keeps its incoming-request handle).
TEST_F(JsHttp, SecondRequestOnOneInstanceGets500) {
  Outcome first = Serve("GET", "/", {}, EmptyBody());
  ASSERT_TRUE(first.error.ok()) << first.error.ToString();
  EXPECT_EQ(first.sink->writer->body, "hello from js-http\n");
  EXPECT_FALSE(impl().serving.has_value());
  EXPECT_EQ(impl().outparams.live(), 0u);
  EXPECT_EQ(impl().outgoing_responses.live(), 0u);
  EXPECT_EQ(impl().outgoing_bodies.live(), 0u);
  Outcome second = Serve("GET", "/", {}, EmptyBody());
  EXPECT_FALSE(second.error.ok());
  EXPECT_NE(second.error.message().find("without calling response-outparam.set"),
            std::string::npos)
      << second.error.message();
  EXPECT_EQ(second.sink->fail_status, 500);
  EXPECT_FALSE(second.sink->head.has_value());
}

// The routed C handler of tests/serve (test-handler.c): a plain guest whose instance can be
// reused, traps on demand, streams, and answers from request parts.
class CHandler : public Harness {
 protected:
  void SetUp() override { Load(WEFT_TEST_HANDLER_COMPONENT); }
};

TEST_F(CHandler, OneInstanceServesRequestsInSequence) {
  for (int i = 1; i <= 4; ++i) {
    Outcome o = Serve("GET", "/count");
    ASSERT_TRUE(o.error.ok()) << o.error.ToString();
    EXPECT_EQ(o.status(), 200);
    EXPECT_EQ(o.body(), std::to_string(i) + "\n");  // the same instance, request i
    EXPECT_TRUE(o.sink->writer->finished);
  }
  Outcome o = Serve("GET", "/hello");
  EXPECT_EQ(o.body(), "hello\n");
  EXPECT_EQ(o.sink->Header("content-length"), "6");
  // Every per-request host object is gone: the guest dropped what it was given.
  EXPECT_FALSE(impl().serving.has_value());
  EXPECT_EQ(impl().incoming_requests.live(), 0u);
  EXPECT_EQ(impl().outparams.live(), 0u);
  EXPECT_EQ(impl().outgoing_responses.live(), 0u);
  EXPECT_EQ(impl().outgoing_bodies.live(), 0u);
  EXPECT_EQ(impl().fields.live(), 0u);
  EXPECT_EQ(store_->data().wasi.io.output_streams.live(), 0u);
}

TEST_F(CHandler, RequestParts) {
  Outcome o = Serve("PATCH", "/info?a=1&b=two");
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  EXPECT_EQ(o.body(),
            "method PATCH\npath /info?a=1&b=two\nscheme http\nauthority localhost:8080\n");
  o = Serve("PURGE", "/info");
  EXPECT_EQ(o.body(), "method PURGE\npath /info\nscheme http\nauthority localhost:8080\n");
  // Forbidden fields never reach the guest; the others arrive in order, names lowercase.
  o = Serve("GET", "/headers",
            {{"host", "localhost:8080"}, {"connection", "keep-alive"}, {"x-b", "2"},
             {"accept", "*/*"}, {"x-a", "1"}});
  EXPECT_EQ(o.body(), "accept: */*\nx-a: 1\nx-b: 2\n");
}

TEST_F(CHandler, StatusCodesAreValidated) {
  Outcome o = Serve("GET", "/status?code=418");
  EXPECT_EQ(o.status(), 418);
  EXPECT_EQ(o.body(), "status 418\n");
  o = Serve("GET", "/status?code=599");
  EXPECT_EQ(o.status(), 599);
  for (const char* bad : {"600", "99", "0", "999"}) {
    o = Serve("GET", std::string("/status?code=") + bad);
    EXPECT_EQ(o.status(), 500) << bad;  // set-status-code refused it
    EXPECT_EQ(o.body(), "status code refused by the host\n") << bad;
  }
}

TEST_F(CHandler, EchoStreamsTheBodyBack) {
  auto body = std::make_shared<FakeReader>();
  std::string expected;
  // 20 pieces 1 ms apart, of growing sizes (up to 100 KB), while the guest pumps.
  auto timers = std::make_shared<std::vector<std::unique_ptr<boost::asio::steady_timer>>>();
  for (int i = 0; i < 20; ++i) {
    std::string piece(static_cast<size_t>(i) * 5000 + 1, static_cast<char>('a' + i));
    expected += piece;
    auto t = std::make_unique<boost::asio::steady_timer>(io_, std::chrono::milliseconds(i + 1));
    t->async_wait([body, piece, i](auto) {
      body->Push(piece);
      if (i == 19) body->End();
    });
    timers->push_back(std::move(t));
  }
  Outcome o = Serve("POST", "/echo", {{"content-type", "application/x-echo"}}, body);
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  EXPECT_EQ(o.status(), 200);
  EXPECT_EQ(o.sink->Header("content-type"), "application/x-echo");
  EXPECT_EQ(o.body().size(), expected.size());
  EXPECT_EQ(o.body(), expected);
  EXPECT_GT(body->reads, 20);  // read as it arrived, not in one go
  EXPECT_TRUE(o.sink->writer->finished);
}

TEST_F(CHandler, RequestBodyFailureReachesTheGuest) {
  auto body = std::make_shared<FakeReader>();
  body->Push("some bytes");
  body->FailWith("connection-terminated: the client went away");
  Outcome o = Serve("POST", "/length", {}, body);
  // /length reads to the first error and answers its byte count.
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  EXPECT_EQ(o.body(), "10\n");
}

TEST_F(CHandler, SlowPeerHoldsTheGuestBack) {
  auto sink = std::make_shared<FakeSink>();
  sink->writer->drains = false;
  sink->writer->capacity = 0;
  // The peer takes 16 KiB every millisecond.
  boost::asio::steady_timer tick(io_);
  std::function<void()> drain = [&] {
    tick.expires_after(std::chrono::milliseconds(1));
    tick.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      sink->writer->SetCapacity(16 * 1024);
      if (!sink->writer->finished) drain();
    });
  };
  drain();
  constexpr size_t kBytes = 1000000;
  Outcome o = Serve("GET", "/big?bytes=" + std::to_string(kBytes), {}, nullptr, sink);
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  // The guest has finished; up to 64 KiB were still buffered in the host, delivered as the
  // peer drains.
  EXPECT_LE(kBytes - o.body().size(), OutgoingBodyState::kMaxPending);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!sink->writer->finished && std::chrono::steady_clock::now() < give_up) {
    io_.run_one();
  }
  tick.cancel();
  ASSERT_EQ(o.body().size(), kBytes);
  for (size_t i = 0; i < kBytes; i += 9973) {
    ASSERT_EQ(o.body()[i], static_cast<char>('a' + i % 26)) << i;
  }
  // At most 16 KiB per write: the guest's 64 KiB writes were paced by the peer.
  EXPECT_GE(sink->writer->writes, static_cast<int>(kBytes / (16 * 1024)));
  EXPECT_TRUE(sink->writer->finished);
}

TEST_F(CHandler, StreamedResponseArrivesAsWritten) {
  auto sink = std::make_shared<FakeSink>();
  std::vector<std::string> seen_at_ticks;
  boost::asio::steady_timer probe(io_, std::chrono::milliseconds(12));
  probe.async_wait([&](auto) { seen_at_ticks.push_back(sink->writer->body); });
  Outcome o = Serve("GET", "/drip?n=3&ms=20", {}, nullptr, sink);
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  EXPECT_EQ(o.body(), "drip 0\ndrip 1\ndrip 2\n");
  // 12 ms in, the first line was already with the peer while the guest slept.
  ASSERT_EQ(seen_at_ticks.size(), 1u);
  EXPECT_EQ(seen_at_ticks[0], "drip 0\n");
  EXPECT_EQ(sink->starts, 1);
}

TEST_F(CHandler, TrapBeforeTheResponseGives500) {
  Outcome o = Serve("GET", "/trap");
  EXPECT_FALSE(o.error.ok());
  EXPECT_EQ(o.error.code(), ErrorCode::kTrap);
  EXPECT_EQ(o.sink->starts, 0);
  EXPECT_EQ(o.sink->fails, 1);
  EXPECT_EQ(o.sink->fail_status, 500);
  // The instance may be called again (the dispatcher would drop it; the host allows it).
  Outcome again = Serve("GET", "/hello");
  EXPECT_EQ(again.body(), "hello\n");
}

TEST_F(CHandler, TrapAfterTheHeadAbortsTheResponse) {
  Outcome o = Serve("GET", "/trap?partial=1");
  EXPECT_FALSE(o.error.ok());
  EXPECT_EQ(o.status(), 200);
  EXPECT_EQ(o.body(), "partial\n");
  EXPECT_FALSE(o.sink->writer->finished);
  EXPECT_TRUE(o.sink->writer->aborted.has_value());
}

TEST_F(CHandler, NoResponseGives500) {
  for (const char* path : {"/noresponse", "/noresponse?drop=1"}) {
    Outcome o = Serve("GET", path);
    EXPECT_FALSE(o.error.ok()) << path;
    EXPECT_NE(o.error.message().find("response-outparam.set"), std::string::npos);
    EXPECT_EQ(o.sink->fail_status, 500) << path;
    EXPECT_EQ(o.sink->starts, 0) << path;
  }
}

TEST_F(CHandler, ResponseFinishedBeforeTheHandlerReturns) {
  auto sink = std::make_shared<FakeSink>();
  bool finished_while_running = false;
  boost::asio::steady_timer probe(io_, std::chrono::milliseconds(10));
  probe.async_wait([&](auto) { finished_while_running = sink->writer->finished; });
  Outcome o = Serve("GET", "/after?ms=30", {}, nullptr, sink);
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  EXPECT_EQ(o.body(), "after\n");
  EXPECT_TRUE(finished_while_running);
}

TEST_F(CHandler, StartHandleRefusesASecondRequest) {
  ::weft::http::Request req;
  req.method = "GET";
  req.path_with_query = "/sleep?ms=5";
  req.body = EmptyBody();
  auto sink = std::make_shared<FakeSink>();
  State& st = store_->data();
  auto call = StartHandle(*store_, handle_, st.http, req, sink);
  ASSERT_TRUE(call.ok()) << call.error().ToString();
  ::weft::http::Request second;
  second.method = "GET";
  second.path_with_query = "/hello";
  second.body = EmptyBody();
  auto refused = StartHandle(*store_, handle_, st.http, second, std::make_shared<FakeSink>());
  EXPECT_FALSE(refused.ok());
  ASSERT_TRUE(Drive(st.wasi.io, io_, **call).ok());
  EXPECT_TRUE(FinishHandle(*store_, handle_, st.http, call.value().get()).ok());
  EXPECT_EQ(sink->writer->body, "slept 5\n");
}

// A loopback HTTP/1.1 origin on its own thread: answers each of `connections` connections
// with one response ("origin: METHOD TARGET body=N x-forward=V", x-origin-* headers,
// connection: close) after reading the request head and its body (content-length or
// chunked). Records what it saw.
class Origin {
 public:
  explicit Origin(int connections) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 8);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        Answer(c);
        close(c);
      }
    });
  }
  ~Origin() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<std::string> heads;  // request heads seen (after join)
  std::vector<std::string> bodies;

 private:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  void Answer(int c) {
    std::string data;
    char buf[65536];
    size_t head_end;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) return;
      data.append(buf, static_cast<size_t>(n));
    }
    std::string head = data.substr(0, head_end);
    std::string rest = data.substr(head_end + 4);
    std::string lower = Lower(head);
    std::string body;
    auto more = [&]() -> bool {
      ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) return false;
      rest.append(buf, static_cast<size_t>(n));
      return true;
    };
    size_t cl = lower.find("\r\ncontent-length:");
    if (cl != std::string::npos) {
      size_t want = std::stoul(head.substr(cl + 17));
      while (rest.size() < want && more()) {
      }
      body = rest.substr(0, want);
    } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      for (;;) {
        size_t eol;
        while ((eol = rest.find("\r\n")) == std::string::npos && more()) {
        }
        if (eol == std::string::npos) break;
        size_t size = std::stoul(rest.substr(0, eol), nullptr, 16);
        while (rest.size() < eol + 2 + size + 2 && more()) {
        }
        body += rest.substr(eol + 2, size);
        rest.erase(0, eol + 2 + size + 2);
        if (size == 0) break;
      }
    }
    std::string forward;
    size_t xf = lower.find("\r\nx-forward:");
    if (xf != std::string::npos) {
      size_t end = head.find("\r\n", xf + 2);
      forward = head.substr(xf + 12, end - xf - 12);
      while (!forward.empty() && forward[0] == ' ') forward.erase(0, 1);
    }
    std::string line = head.substr(0, head.find("\r\n"));
    std::string method = line.substr(0, line.find(' '));
    std::string target = line.substr(line.find(' ') + 1);
    target = target.substr(0, target.find(' '));
    heads.push_back(head);
    bodies.push_back(body);
    std::string out = "origin: " + method + " " + target + " body=" +
                      std::to_string(body.size()) + " x-forward=" + forward + "\n";
    std::string resp = "HTTP/1.1 203 Non-Authoritative Information\r\ncontent-type: text/x-origin\r\n"
                       "x-origin-test: yes\r\nconnection: close\r\ncontent-length: " +
                       std::to_string(out.size()) + "\r\n\r\n" + out;
    (void)!write(c, resp.data(), resp.size());
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

class JsServe : public Harness {
 protected:
  void SetUp() override { Load(WEFT_JS_SERVE_COMPONENT); }
};

TEST_F(JsServe, OutgoingGetThroughTheClient) {
  Origin origin(1);
  Outcome o = Serve("GET", "/proxy?url=" + origin.Url("/some/path?q=1"), {{"x-forward", "fwd"}});
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  EXPECT_EQ(o.status(), 203) << o.body();
  EXPECT_EQ(o.body(), "origin: GET /some/path?q=1 body=0 x-forward=fwd\n");
  EXPECT_EQ(o.sink->Header("x-upstream-status"), "203");
  EXPECT_EQ(o.sink->Header("x-origin-test"), "yes");
  EXPECT_EQ(o.sink->Header("content-type"), "text/x-origin");
}

TEST_F(JsServe, OutgoingPostStreamsTheBody) {
  Origin origin(1);
  auto body = std::make_shared<FakeReader>();
  std::string sent(300000, 'q');
  body->Push(sent.substr(0, 100000));
  boost::asio::steady_timer t(io_, std::chrono::milliseconds(5));
  t.async_wait([&](auto) {
    body->Push(sent.substr(100000));
    body->End();
  });
  Outcome o = Serve("POST", "/proxy?url=" + origin.Url("/upload"), {}, body);
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  EXPECT_EQ(o.status(), 203) << o.body();
  EXPECT_EQ(o.body(), "origin: POST /upload body=300000 x-forward=\n");
}

TEST_F(JsServe, OutgoingToARefusedPortFails) {
  uint16_t port;
  {
    Origin closed(0);  // bound, then closed: nothing listens there any more
    port = closed.port();
  }
  Outcome o = Serve("GET", "/proxy?url=http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  EXPECT_EQ(o.status(), 502);
  EXPECT_EQ(o.body().rfind("fetch failed", 0), 0u) << o.body();
}

class JsServeDenied : public Harness {
 protected:
  void SetUp() override {
    WasiHttpConfig config;
    config.allow_outbound = {"example.com"};
    Load(WEFT_JS_SERVE_COMPONENT, config);
  }
};

TEST_F(JsServeDenied, AuthorityOutsideTheAllowListIsRefused) {
  Origin origin(1);
  Outcome o = Serve("GET", "/proxy?url=" + origin.Url("/"));
  ASSERT_TRUE(o.error.ok()) << o.error.ToString();
  EXPECT_EQ(o.status(), 502);
  EXPECT_EQ(o.body().rfind("fetch failed", 0), 0u) << o.body();
  // The origin was never contacted: connect once ourselves so its thread can end.
  int c = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(origin.port());
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const char kProbe[] = "GET /probe HTTP/1.1\r\n\r\n";
  (void)!write(c, kProbe, sizeof kProbe - 1);
  char buf[512];
  while (read(c, buf, sizeof buf) > 0) {
  }
  close(c);
}

}  // namespace
}  // namespace weft::wasi::http
