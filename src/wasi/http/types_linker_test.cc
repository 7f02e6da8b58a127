// Tests of the wasi:http linker glue (types_linker.cc) without a guest: the host functions
// AddToLinker defines are looked up in the linker and called with the Vals a guest's
// arguments would lift to, checking result shapes (result/option/variant case indices as in
// the WIT), ownership (constructors consume their fields), immutability of fields obtained
// from requests and responses, once-only accessors, the traps the WIT asks for (finishing a
// body whose stream is alive) and outgoing-handler's refusals.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "api/component_internal.h"
#include "runtime/objects.h"
#include "wasi/http/ctx_impl.h"
#include "wasi/http/testing.h"

namespace weft::wasi::http {
namespace {

using component::HostResourceType;
using component::ResourceAny;
using component::TypeKind;
using component::Val;

struct GlueState {
  p2::WasiP2Ctx* io;
  WasiHttpCtx* http;
};

template <typename Tag>
Val Own(uint32_t rep) {
  return Val::Own(ResourceAny{HostResourceType<Tag>(), rep});
}
template <typename Tag>
Val Borrow(uint32_t rep) {
  return Val::Borrow(ResourceAny{HostResourceType<Tag>(), rep});
}
Val Str(std::string s) { return Val::String(std::move(s)); }
Val Bytes(std::string s) { return Val::Bytes(std::move(s)); }
Val None() { return Val::Aggregate(TypeKind::kOption, {}, 0); }
Val Some(Val v) { return Val::Aggregate(TypeKind::kOption, {std::move(v)}, 1); }
Val Case(uint64_t i, std::vector<Val> payload = {}) {
  return Val::Aggregate(TypeKind::kVariant, std::move(payload), i);
}

class Glue : public ::testing::Test {
 protected:
  Glue()
      : wasi_(io_), http_(io_, WasiHttpConfig{}), store_(engine_, GlueState{&wasi_, &http_}),
        linker_(engine_) {
    Error e = AddToLinker<GlueState>(
        linker_, [](GlueState& s) -> WasiHttpCtx& { return *s.http; },
        [](GlueState& s) -> p2::WasiP2Ctx& { return *s.io; });
    EXPECT_TRUE(e.ok()) << e.message();
    hctx_.store = store_.raw();
    hctx_.caller = nullptr;
  }

  /// Calls `func` of wasi:http/<iface>@0.2.12; the result Val (or an empty one) or the trap.
  Expected<Val> Call(std::string_view func, std::vector<Val> params,
                     std::string_view iface = "types") {
    std::string name = "wasi:http/" + std::string(iface) + "@0.2.12";
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
  Val Ok(std::string_view func, std::vector<Val> params, std::string_view iface = "types") {
    auto r = Call(func, std::move(params), iface);
    EXPECT_TRUE(r.ok()) << func << ": " << r.error().message();
    return r.ok() ? r.value() : Val();
  }
  // Drops a resource the way a guest's resource.drop would.
  void Drop(std::string_view iface, std::string_view resource, uint32_t rep) {
    std::string name = "wasi:" + std::string(iface);
    for (const auto& node : linker_.impl()->instances) {
      if (node->name != name) continue;
      auto it = node->resources.find(std::string(resource));
      ASSERT_NE(it, node->resources.end()) << resource;
      it->second->dtor(nullptr, store_, rep);
      return;
    }
    FAIL() << "no instance " << name;
  }

  uint32_t NewFields(Headers entries = {}) {
    uint32_t rep = Ok("[constructor]fields", {}).resource.rep;
    for (const auto& [k, v] : entries) {
      EXPECT_EQ(Ok("[method]fields.append", {Borrow<FieldsTag>(rep), Str(k), Bytes(v)}).bits, 0u);
    }
    return rep;
  }
  // An incoming-request as StartHandle makes it, with a body fed by the returned reader.
  uint32_t NewIncomingRequest(std::shared_ptr<testing::FakeReader> reader) {
    IncomingRequestObj r;
    r.method = Method::FromString("POST");
    r.path_with_query = "/x";
    r.headers = std::make_shared<const Headers>(Headers{{"x-a", "1"}});
    r.body = std::make_shared<IncomingBodyState>(std::move(reader));
    return impl().incoming_requests.Add(std::move(r));
  }
  WasiHttpCtx::Impl& impl() { return http_.impl(); }

  boost::asio::io_context io_;
  p2::WasiP2Ctx wasi_;
  WasiHttpCtx http_;
  Engine engine_;
  Store<GlueState> store_;
  component::Linker<GlueState> linker_;
  runtime::HostCallContext hctx_{};
};

TEST_F(Glue, FieldsResults) {
  uint32_t f = NewFields({{"X-A", "1"}, {"x-b", "2"}});
  Val r = Ok("[method]fields.append", {Borrow<FieldsTag>(f), Str("host"), Bytes("h")});
  EXPECT_EQ(r.bits, 1u);  // err
  EXPECT_EQ(r.items.at(0).bits, 1u);  // header-error.forbidden
  r = Ok("[method]fields.set", {Borrow<FieldsTag>(f), Str("bad name"),
                                Val::Aggregate(TypeKind::kList, {Bytes("v")})});
  EXPECT_EQ(r.bits, 1u);
  EXPECT_EQ(r.items.at(0).bits, 0u);  // invalid-syntax
  Val entries = Ok("[method]fields.entries", {Borrow<FieldsTag>(f)});
  ASSERT_EQ(entries.items.size(), 2u);
  EXPECT_EQ(entries.items[0].items[0].str, "x-a");
  EXPECT_EQ(component::ListBytes(entries.items[0].items[1]), "1");
  Val got = Ok("[method]fields.get", {Borrow<FieldsTag>(f), Str("X-B")});
  ASSERT_EQ(got.items.size(), 1u);
  EXPECT_EQ(component::ListBytes(got.items[0]), "2");
  EXPECT_EQ(Ok("[method]fields.has", {Borrow<FieldsTag>(f), Str("x-c")}).bits, 0u);
  // from-list stops at the first bad entry.
  Val list = Val::Aggregate(
      TypeKind::kList,
      {Val::Aggregate(TypeKind::kTuple, {Str("ok"), Bytes("1")}),
       Val::Aggregate(TypeKind::kTuple, {Str("transfer-encoding"), Bytes("chunked")})});
  r = Ok("[static]fields.from-list", {list});
  EXPECT_EQ(r.bits, 1u);
  EXPECT_EQ(r.items.at(0).bits, 1u);  // forbidden
  // clone is mutable and separate.
  uint32_t c = Ok("[method]fields.clone", {Borrow<FieldsTag>(f)}).resource.rep;
  EXPECT_EQ(Ok("[method]fields.delete", {Borrow<FieldsTag>(c), Str("x-a")}).bits, 0u);
  EXPECT_EQ(Ok("[method]fields.has", {Borrow<FieldsTag>(f), Str("x-a")}).bits, 1u);
  // Too much in one fields traps (wasmtime's limit behaviour).
  auto big = Call("[method]fields.append",
                  {Borrow<FieldsTag>(c), Str("x-big"), Bytes(std::string(200 * 1024, 'v'))});
  EXPECT_FALSE(big.ok());
  EXPECT_EQ(big.error().code(), ErrorCode::kTrap);
  EXPECT_FALSE(Call("[method]fields.get", {Borrow<FieldsTag>(999), Str("x")}).ok());
}

TEST_F(Glue, FieldsOfRequestsAndResponsesAreImmutable) {
  uint32_t req = NewIncomingRequest(std::make_shared<testing::FakeReader>());
  uint32_t h = Ok("[method]incoming-request.headers", {Borrow<IncomingRequestTag>(req)}).resource.rep;
  Val r = Ok("[method]fields.append", {Borrow<FieldsTag>(h), Str("x-new"), Bytes("1")});
  EXPECT_EQ(r.bits, 1u);
  EXPECT_EQ(r.items.at(0).bits, 2u);  // immutable
  EXPECT_EQ(Ok("[method]fields.delete", {Borrow<FieldsTag>(h), Str("x-a")}).items.at(0).bits, 2u);
  // A clone of immutable fields is mutable.
  uint32_t c = Ok("[method]fields.clone", {Borrow<FieldsTag>(h)}).resource.rep;
  EXPECT_EQ(Ok("[method]fields.append", {Borrow<FieldsTag>(c), Str("x-new"), Bytes("1")}).bits,
            0u);

  // The response constructor consumes its fields; its headers() are immutable.
  size_t before = impl().fields.live();
  uint32_t f = NewFields({{"content-type", "text/plain"}});
  uint32_t resp =
      Ok("[constructor]outgoing-response", {Own<FieldsTag>(f)}).resource.rep;
  EXPECT_EQ(impl().fields.live(), before);
  uint32_t rh =
      Ok("[method]outgoing-response.headers", {Borrow<OutgoingResponseTag>(resp)}).resource.rep;
  EXPECT_EQ(Ok("[method]fields.set", {Borrow<FieldsTag>(rh), Str("x"),
                                      Val::Aggregate(TypeKind::kList, {})})
                .items.at(0)
                .bits,
            2u);
  // Same for outgoing-request.
  uint32_t f2 = NewFields();
  uint32_t oreq = Ok("[constructor]outgoing-request", {Own<FieldsTag>(f2)}).resource.rep;
  uint32_t qh =
      Ok("[method]outgoing-request.headers", {Borrow<OutgoingRequestTag>(oreq)}).resource.rep;
  EXPECT_EQ(Ok("[method]fields.append", {Borrow<FieldsTag>(qh), Str("x"), Bytes("1")})
                .items.at(0)
                .bits,
            2u);
}

TEST_F(Glue, IncomingRequestAndBody) {
  auto reader = std::make_shared<testing::FakeReader>();
  uint32_t req = NewIncomingRequest(reader);
  Val m = Ok("[method]incoming-request.method", {Borrow<IncomingRequestTag>(req)});
  EXPECT_EQ(m.bits, 2u);  // post
  Val p = Ok("[method]incoming-request.path-with-query", {Borrow<IncomingRequestTag>(req)});
  EXPECT_EQ(p.items.at(0).str, "/x");
  Val body = Ok("[method]incoming-request.consume", {Borrow<IncomingRequestTag>(req)});
  ASSERT_EQ(body.bits, 0u);
  uint32_t b = body.items.at(0).resource.rep;
  EXPECT_EQ(Ok("[method]incoming-request.consume", {Borrow<IncomingRequestTag>(req)}).bits, 1u);
  Val s = Ok("[method]incoming-body.stream", {Borrow<IncomingBodyTag>(b)});
  ASSERT_EQ(s.bits, 0u);
  uint32_t stream = s.items.at(0).resource.rep;
  EXPECT_EQ(Ok("[method]incoming-body.stream", {Borrow<IncomingBodyTag>(b)}).bits, 1u);
  // finish while the stream lives traps (the WIT's rule).
  auto early = Call("[static]incoming-body.finish", {Own<IncomingBodyTag>(b)});
  EXPECT_FALSE(early.ok());
  Drop("http/types@0.2.12", "input-stream", stream);  // defined there too
  uint32_t ft = Ok("[static]incoming-body.finish", {Own<IncomingBodyTag>(b)}).resource.rep;
  EXPECT_EQ(impl().incoming_bodies.live(), 0u);
  // Not yet: none; then some(ok(ok(some(trailers)))) without forbidden names; then some(err).
  EXPECT_EQ(Ok("[method]future-trailers.get", {Borrow<FutureTrailersTag>(ft)}).bits, 0u);
  uint32_t pollable =
      Ok("[method]future-trailers.subscribe", {Borrow<FutureTrailersTag>(ft)}).resource.rep;
  ASSERT_NE(wasi_.pollables.Get(pollable), nullptr);
  EXPECT_FALSE((*wasi_.pollables.Get(pollable))->Ready());
  reader->Push("unread bytes are discarded");
  reader->End({{"x-sum", "abc"}, {"connection", "close"}});
  EXPECT_TRUE((*wasi_.pollables.Get(pollable))->Ready());
  Val got = Ok("[method]future-trailers.get", {Borrow<FutureTrailersTag>(ft)});
  ASSERT_EQ(got.bits, 1u);                       // some
  ASSERT_EQ(got.items.at(0).bits, 0u);           // ok
  ASSERT_EQ(got.items[0].items.at(0).bits, 0u);  // ok
  const Val& opt = got.items[0].items[0].items.at(0);
  ASSERT_EQ(opt.bits, 1u);  // some(trailers)
  uint32_t t = opt.items.at(0).resource.rep;
  Val entries = Ok("[method]fields.entries", {Borrow<FieldsTag>(t)});
  ASSERT_EQ(entries.items.size(), 1u);
  EXPECT_EQ(entries.items[0].items[0].str, "x-sum");
  EXPECT_EQ(Ok("[method]fields.append", {Borrow<FieldsTag>(t), Str("x"), Bytes("1")})
                .items.at(0)
                .bits,
            2u);  // immutable
  Val again = Ok("[method]future-trailers.get", {Borrow<FutureTrailersTag>(ft)});
  EXPECT_EQ(again.bits, 1u);
  EXPECT_EQ(again.items.at(0).bits, 1u);  // some(err): already taken
}

TEST_F(Glue, OutgoingResponseAndBody) {
  uint32_t resp = Ok("[constructor]outgoing-response", {Own<FieldsTag>(NewFields())}).resource.rep;
  EXPECT_EQ(Ok("[method]outgoing-response.status-code", {Borrow<OutgoingResponseTag>(resp)}).bits,
            200u);
  for (uint16_t bad : {0, 99, 600, 1000}) {
    EXPECT_EQ(Ok("[method]outgoing-response.set-status-code",
                 {Borrow<OutgoingResponseTag>(resp), Val::U16(bad)})
                  .bits,
              1u)
        << bad;
  }
  EXPECT_EQ(Ok("[method]outgoing-response.set-status-code",
               {Borrow<OutgoingResponseTag>(resp), Val::U16(201)})
                .bits,
            0u);
  EXPECT_EQ(Ok("[method]outgoing-response.status-code", {Borrow<OutgoingResponseTag>(resp)}).bits,
            201u);
  Val body = Ok("[method]outgoing-response.body", {Borrow<OutgoingResponseTag>(resp)});
  ASSERT_EQ(body.bits, 0u);
  uint32_t b = body.items.at(0).resource.rep;
  EXPECT_EQ(Ok("[method]outgoing-response.body", {Borrow<OutgoingResponseTag>(resp)}).bits, 1u);
  Val w = Ok("[method]outgoing-body.write", {Borrow<OutgoingBodyTag>(b)});
  ASSERT_EQ(w.bits, 0u);
  uint32_t stream = w.items.at(0).resource.rep;
  EXPECT_EQ(Ok("[method]outgoing-body.write", {Borrow<OutgoingBodyTag>(b)}).bits, 1u);
  EXPECT_FALSE(Call("[static]outgoing-body.finish", {Own<OutgoingBodyTag>(b), None()}).ok());
  Drop("http/types@0.2.12", "output-stream", stream);
  // Trailers are consumed by finish.
  uint32_t trailers = NewFields({{"x-checksum", "1"}});
  Val fin = Ok("[static]outgoing-body.finish",
               {Own<OutgoingBodyTag>(b), Some(Own<FieldsTag>(trailers))});
  EXPECT_EQ(fin.bits, 0u);
  EXPECT_EQ(impl().fields.Get(trailers), nullptr);

  // Two different content-lengths: no body (fields refuse a malformed one already).
  uint32_t f = NewFields({{"content-length", "5"}, {"content-length", "6"}});
  uint32_t r2 = Ok("[constructor]outgoing-response", {Own<FieldsTag>(f)}).resource.rep;
  EXPECT_EQ(Ok("[method]outgoing-response.body", {Borrow<OutgoingResponseTag>(r2)}).bits, 1u);
  // Finishing short of the declared length is HTTP-response-body-size(some(n)).
  uint32_t r3 = Ok("[constructor]outgoing-response",
                   {Own<FieldsTag>(NewFields({{"content-length", "10"}}))})
                    .resource.rep;
  uint32_t b3 =
      Ok("[method]outgoing-response.body", {Borrow<OutgoingResponseTag>(r3)}).items.at(0).resource.rep;
  Val short_fin = Ok("[static]outgoing-body.finish", {Own<OutgoingBodyTag>(b3), None()});
  ASSERT_EQ(short_fin.bits, 1u);
  EXPECT_EQ(short_fin.items.at(0).bits, static_cast<uint64_t>(HttpErrorCase::kHttpResponseBodySize));
  EXPECT_EQ(short_fin.items[0].items.at(0).items.at(0).bits, 0u);  // some(0)
}

TEST_F(Glue, ResponseOutparamOutsideARequestTraps) {
  uint32_t out = impl().outparams.Add(ResponseOutparamObj{12345});
  uint32_t resp = Ok("[constructor]outgoing-response", {Own<FieldsTag>(NewFields())}).resource.rep;
  auto r = Call("[static]response-outparam.set",
                {Own<ResponseOutparamTag>(out),
                 Val::Aggregate(TypeKind::kResult, {Own<OutgoingResponseTag>(resp)}, 0)});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTrap);
}

TEST_F(Glue, HttpErrorCodeOfStreamErrors) {
  uint32_t e = wasi_.NewError(HttpErrorCode::BodySize(false, 3).ToString() + ": too long");
  Val r = Ok("http-error-code", {Borrow<p2::IoErrorTag>(e)});
  ASSERT_EQ(r.bits, 1u);
  EXPECT_EQ(r.items.at(0).bits, static_cast<uint64_t>(HttpErrorCase::kHttpResponseBodySize));
  uint32_t other = wasi_.NewError("read: Broken pipe (os error 32)");
  EXPECT_EQ(Ok("http-error-code", {Borrow<p2::IoErrorTag>(other)}).bits, 0u);  // none
}

TEST_F(Glue, OutgoingRequestSettersValidate) {
  uint32_t q = Ok("[constructor]outgoing-request", {Own<FieldsTag>(NewFields())}).resource.rep;
  auto set = [&](const char* f, Val v) {
    return Ok(f, {Borrow<OutgoingRequestTag>(q), std::move(v)}).bits;
  };
  EXPECT_EQ(Ok("[method]outgoing-request.method", {Borrow<OutgoingRequestTag>(q)}).bits, 0u);
  EXPECT_EQ(set("[method]outgoing-request.set-method", Case(9, {Str("bad method")})), 1u);
  EXPECT_EQ(set("[method]outgoing-request.set-method", Case(9, {Str("PURGE")})), 0u);
  EXPECT_EQ(set("[method]outgoing-request.set-path-with-query", Some(Str("/a b"))), 1u);
  EXPECT_EQ(set("[method]outgoing-request.set-path-with-query", Some(Str("/a?b=1"))), 0u);
  EXPECT_EQ(set("[method]outgoing-request.set-authority", Some(Str("host:x"))), 1u);
  EXPECT_EQ(set("[method]outgoing-request.set-authority", Some(Str("example.com:8080"))), 0u);
  EXPECT_EQ(set("[method]outgoing-request.set-scheme", Some(Case(2, {Str("not a scheme")}))), 1u);
  EXPECT_EQ(set("[method]outgoing-request.set-scheme", Some(Case(1))), 0u);
  Val a = Ok("[method]outgoing-request.authority", {Borrow<OutgoingRequestTag>(q)});
  EXPECT_EQ(a.items.at(0).str, "example.com:8080");
  Val s = Ok("[method]outgoing-request.scheme", {Borrow<OutgoingRequestTag>(q)});
  EXPECT_EQ(s.items.at(0).bits, 1u);  // HTTPS
  EXPECT_EQ(Ok("[method]outgoing-request.body", {Borrow<OutgoingRequestTag>(q)}).bits, 0u);
  EXPECT_EQ(Ok("[method]outgoing-request.body", {Borrow<OutgoingRequestTag>(q)}).bits, 1u);

  uint32_t o = Ok("[constructor]request-options", {}).resource.rep;
  EXPECT_EQ(Ok("[method]request-options.connect-timeout", {Borrow<RequestOptionsTag>(o)}).bits, 0u);
  EXPECT_EQ(Ok("[method]request-options.set-first-byte-timeout",
               {Borrow<RequestOptionsTag>(o), Some(Val::U64(5000000))})
                .bits,
            0u);
  Val t = Ok("[method]request-options.first-byte-timeout", {Borrow<RequestOptionsTag>(o)});
  ASSERT_EQ(t.bits, 1u);
  EXPECT_EQ(t.items.at(0).bits, 5000000u);
}

TEST_F(Glue, OutgoingHandlerRefusals) {
  // No authority: HTTP-request-URI-invalid (wasmtime builds no URI without one).
  uint32_t q = Ok("[constructor]outgoing-request", {Own<FieldsTag>(NewFields())}).resource.rep;
  Val r = Ok("handle", {Own<OutgoingRequestTag>(q), None()}, "outgoing-handler");
  ASSERT_EQ(r.bits, 1u);
  EXPECT_EQ(r.items.at(0).bits, static_cast<uint64_t>(HttpErrorCase::kHttpRequestUriInvalid));
  EXPECT_EQ(impl().outgoing_requests.live(), 0u);  // consumed either way
  // A scheme other than http/https: HTTP-protocol-error.
  q = Ok("[constructor]outgoing-request", {Own<FieldsTag>(NewFields())}).resource.rep;
  Ok("[method]outgoing-request.set-scheme", {Borrow<OutgoingRequestTag>(q), Some(Case(2, {Str("ftp")}))});
  Ok("[method]outgoing-request.set-authority",
     {Borrow<OutgoingRequestTag>(q), Some(Str("127.0.0.1:1"))});
  uint32_t o = Ok("[constructor]request-options", {}).resource.rep;
  r = Ok("handle", {Own<OutgoingRequestTag>(q), Some(Own<RequestOptionsTag>(o))},
         "outgoing-handler");
  ASSERT_EQ(r.bits, 1u);
  EXPECT_EQ(r.items.at(0).bits, static_cast<uint64_t>(HttpErrorCase::kHttpProtocolError));
  EXPECT_EQ(impl().request_options.live(), 0u);
}

}  // namespace
}  // namespace weft::wasi::http
