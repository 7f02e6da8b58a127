// End to end through a real componentize-js wasi:http handler
// (tests/components/js-http/handler.js, built by the component_js_http target): WASI 0.2 plus
// AddToLinker, one instance, StartHandle with a fake request body and a recording sink, the
// call driven on the io_context as `weft serve` drives it (wakes through WasiP2Ctx), then
// FinishHandle. Expected statuses, headers and bodies are the handler's own (checked against
// `jco serve` by tests/components' handler.js authors: same routes).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "wasi/http/ctx_impl.h"
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

class JsHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto bytes = ReadFile(WEFT_JS_HTTP_COMPONENT);
    if (bytes.empty()) return;
    engine_ = new Engine();
    auto c = cm::Component::Compile(*engine_, bytes);
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    component_ = new cm::Component(std::move(c).value());
  }
  static void TearDownTestSuite() {
    delete component_;
    component_ = nullptr;
    delete engine_;
    engine_ = nullptr;
  }

  void SetUp() override {
    if (component_ == nullptr) GTEST_SKIP() << WEFT_JS_HTTP_COMPONENT << " not built";
    cm::Linker<State> linker(*engine_);
    ASSERT_TRUE((p2::AddAllToLinker<State, &GetWasi>(linker)).ok());
    Error e = AddToLinker(
        linker, +[](State& s) -> WasiHttpCtx& { return s.http; },
        +[](State& s) -> p2::WasiP2Ctx& { return s.wasi.io; });
    ASSERT_TRUE(e.ok()) << e.ToString();
    auto pre = linker.InstantiatePre(*component_);
    ASSERT_TRUE(pre.ok()) << pre.error().ToString();
    auto w = p2::WasiP2State::Create(io_, p2::WasiP2Config{});
    ASSERT_TRUE(w.ok());
    store_ = std::make_unique<Store<State>>(
        *engine_, State{std::move(w).value(), WasiHttpCtx(io_, WasiHttpConfig{})});
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
  };

  // Serves one request; `feed` (optional) pushes the body from the event loop.
  Outcome Serve(std::string method, std::string path, ::weft::http::Headers headers,
                std::shared_ptr<FakeReader> body) {
    ::weft::http::Request req;
    req.id = ++ids_;
    req.method = std::move(method);
    req.scheme = "http";
    req.authority = "localhost:8080";
    req.path_with_query = std::move(path);
    req.headers = std::move(headers);
    req.body = body;
    auto sink = std::make_shared<FakeSink>();
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

  static Engine* engine_;
  static cm::Component* component_;
  boost::asio::io_context io_;
  std::unique_ptr<Store<State>> store_;
  cm::Instance instance_;
  cm::Func handle_;
  uint64_t ids_ = 0;
};

Engine* JsHttp::engine_ = nullptr;
cm::Component* JsHttp::component_ = nullptr;

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
  auto& impl = store_->data().http.impl();
  EXPECT_FALSE(impl.serving.has_value());
  EXPECT_EQ(impl.outparams.live(), 0u);
  EXPECT_EQ(impl.outgoing_responses.live(), 0u);
  EXPECT_EQ(impl.outgoing_bodies.live(), 0u);
  Outcome second = Serve("GET", "/", {}, EmptyBody());
  EXPECT_FALSE(second.error.ok());
  EXPECT_NE(second.error.message().find("without calling response-outparam.set"),
            std::string::npos)
      << second.error.message();
  EXPECT_EQ(second.sink->fail_status, 500);
  EXPECT_FALSE(second.sink->head.has_value());
}

}  // namespace
}  // namespace weft::wasi::http
