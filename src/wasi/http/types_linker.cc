// The linker glue of wasi:http/types@0.2.12 and wasi:http/outgoing-handler@0.2.12: ValTraits
// for method, scheme, header-error and error-code, and one FuncWrap per WIT function over the
// tables of WasiHttpCtx::Impl. Streams and pollables go into the store's WasiP2Ctx tables
// (wasi:io serves them); a stream failure carries its error-code text in the wasi:io error,
// which http-error-code parses back. A rep the tables do not know can only come from a
// runtime bug and traps; misuse the WIT calls a trap (finishing a body whose stream is still
// alive) traps too.
#include "wasi/http/ctx_impl.h"

namespace wh = weft::wasi::http;

template <>
struct weft::component::ValTraits<wh::HttpErrorCode> {
  static TypeRef Type() { return wh::HttpErrorCodeType(); }
  static Val ToVal(const wh::HttpErrorCode& e) {
    auto i = static_cast<uint32_t>(e.which);
    std::vector<Val> items;
    if (Type()->fields[i].type != nullptr) items.push_back(e.PayloadVal());
    return Val::Aggregate(TypeKind::kVariant, std::move(items), i);
  }
  static wh::HttpErrorCode FromVal(const Val& v) {
    wh::HttpErrorCode e =
        wh::HttpErrorCode::Of(static_cast<wh::HttpErrorCase>(v.bits < wh::kHttpErrorCaseCount
                                                                 ? v.bits
                                                                 : wh::kHttpErrorCaseCount - 1));
    if (!v.items.empty()) e.payload = v.items[0];
    return e;
  }
};

template <>
struct weft::component::ValTraits<wh::HeaderError> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kVariant);
      n->fields = {{"invalid-syntax", nullptr}, {"forbidden", nullptr}, {"immutable", nullptr}};
      return n;
    }();
    return t;
  }
  static Val ToVal(wh::HeaderError e) {
    return Val::Aggregate(TypeKind::kVariant, {}, static_cast<uint64_t>(e));
  }
  static wh::HeaderError FromVal(const Val& v) { return static_cast<wh::HeaderError>(v.bits); }
};

template <>
struct weft::component::ValTraits<wh::Method> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kVariant);
      for (const char* l : {"get", "head", "post", "put", "delete", "connect", "options", "trace",
                            "patch"}) {
        n->fields.push_back({l, nullptr});
      }
      n->fields.push_back({"other", PrimitiveType(TypeKind::kString)});
      return n;
    }();
    return t;
  }
  static Val ToVal(const wh::Method& m) {
    std::vector<Val> items;
    if (m.kind == wh::Method::kOther) items.push_back(Val::String(m.other));
    return Val::Aggregate(TypeKind::kVariant, std::move(items), m.kind);
  }
  static wh::Method FromVal(const Val& v) {
    wh::Method m;
    m.kind = static_cast<wh::Method::Kind>(v.bits);
    if (m.kind == wh::Method::kOther && !v.items.empty()) m.other = v.items[0].str;
    return m;
  }
};

template <>
struct weft::component::ValTraits<wh::Scheme> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kVariant);
      n->fields = {{"HTTP", nullptr}, {"HTTPS", nullptr}, {"other", PrimitiveType(TypeKind::kString)}};
      return n;
    }();
    return t;
  }
  static Val ToVal(const wh::Scheme& s) {
    std::vector<Val> items;
    if (s.kind == wh::Scheme::kOther) items.push_back(Val::String(s.other));
    return Val::Aggregate(TypeKind::kVariant, std::move(items), s.kind);
  }
  static wh::Scheme FromVal(const Val& v) {
    wh::Scheme s;
    s.kind = static_cast<wh::Scheme::Kind>(v.bits);
    if (s.kind == wh::Scheme::kOther && !v.items.empty()) s.other = v.items[0].str;
    return s;
  }
};

namespace weft::wasi::http {
/// A value of T's component type built by hand: component::Result<X, void>::Err() needs a
/// default-constructible X, which a nested Result is not.
template <typename T>
struct Raw {
  component::Val v;
};
}  // namespace weft::wasi::http

template <typename T>
struct weft::component::ValTraits<wh::Raw<T>> {
  static TypeRef Type() { return ValTraits<T>::Type(); }
  static Val ToVal(const wh::Raw<T>& r) { return r.v; }
  static wh::Raw<T> FromVal(const Val& v) { return wh::Raw<T>{v}; }
};

namespace weft::wasi::http {

using component::Borrow;
using component::HostContext;
using component::HostResourceType;
using component::Resource;
template <typename T, typename E>
using Result = component::Result<T, E>;
using Bytes = std::vector<uint8_t>;

namespace {

Error Trap(std::string message) { return Error::Make(ErrorCode::kTrap, std::move(message)); }

Error BadHandle(const char* what, uint32_t rep) {
  return Trap(std::string("invalid wasi:http ") + what + " handle (rep " + std::to_string(rep) +
              ")");
}

template <typename X>
Expected<X*> Lookup(p2::Table<X>& table, uint32_t rep, const char* what) {
  X* x = table.Get(rep);
  if (x == nullptr) return BadHandle(what, rep);
  return x;
}

// Moves an object out of its table (an own handle the guest passed in).
template <typename X>
Expected<X> Take(p2::Table<X>& table, uint32_t rep, const char* what) {
  X* x = table.Get(rep);
  if (x == nullptr) return BadHandle(what, rep);
  X out = std::move(*x);
  table.Remove(rep);
  return out;
}

struct AnyData {};
using Inst = component::LinkerInstance<AnyData>;

Inst InstanceOf(component::LinkerBase& linker, std::string_view name) {
  component::LinkerInstanceBase b = linker.InstanceBase(name);
  return Inst(b.linker(), b.node());
}

using HeaderResult = Result<void, HeaderError>;

// option<result<X>> values of the futures' get: none, some(err), some(ok(x)).
component::Val NoneVal() { return component::Val::Aggregate(component::TypeKind::kOption, {}, 0); }
component::Val SomeOuterErr() {
  return component::Val::Aggregate(
      component::TypeKind::kOption,
      {component::Val::Aggregate(component::TypeKind::kResult, {}, 1)}, 1);
}
template <typename Inner>
component::Val SomeOuterOk(const Inner& inner) {
  return component::Val::Aggregate(
      component::TypeKind::kOption,
      {component::Val::Aggregate(component::TypeKind::kResult,
                                 {component::ValTraits<Inner>::ToVal(inner)}, 0)},
      1);
}

Expected<HeaderResult> FromStatus(FieldsStatus st, const char* what) {
  switch (st.kind) {
    case FieldsStatus::kOk:
      return HeaderResult::Ok();
    case FieldsStatus::kHeaderError:
      return HeaderResult::Err(st.error);
    case FieldsStatus::kTooBig:
      break;
  }
  return Trap(std::string("wasi:http ") + what + ": the fields exceed their size limit of " +
              std::to_string(Fields::kDefaultSizeLimit) + " bytes");
}

template <typename Tag, typename X>
Error DefineTable(Inst& inst, std::string_view name, HttpGetter get,
                  p2::Table<X> WasiHttpCtx::Impl::*table) {
  return inst.DefineResource(name, HostResourceType<Tag>(),
                             [get, table](HostContext*, StoreBase& s, uint32_t rep) {
                               (get(s).impl().*table).Remove(rep);
                             });
}

Error AddTypes(component::LinkerBase& linker, const HttpGetter& get, const p2::CtxGetter& io) {
  using Impl = WasiHttpCtx::Impl;
  Inst inst = InstanceOf(linker, "wasi:http/types@0.2.12");
  auto I = [get](HostContext& cx) -> Impl& { return get(cx.store()).impl(); };

  // Resources `use`d from wasi:io, with wasi:io's identities and destructors.
  WEFT_TRY(p2::DefineIoResource(inst, "input-stream", io));
  WEFT_TRY(p2::DefineIoResource(inst, "output-stream", io));
  WEFT_TRY(p2::DefineIoResource(inst, "pollable", io));
  WEFT_TRY(inst.DefineResource("io-error", HostResourceType<p2::IoErrorTag>(),
                               [io](HostContext*, StoreBase& s, uint32_t rep) {
                                 io(s).errors.Remove(rep);
                               }));

  WEFT_TRY(DefineTable<FieldsTag>(inst, "fields", get, &Impl::fields));
  WEFT_TRY(DefineTable<IncomingRequestTag>(inst, "incoming-request", get, &Impl::incoming_requests));
  WEFT_TRY(DefineTable<OutgoingRequestTag>(inst, "outgoing-request", get, &Impl::outgoing_requests));
  WEFT_TRY(DefineTable<RequestOptionsTag>(inst, "request-options", get, &Impl::request_options));
  WEFT_TRY(DefineTable<ResponseOutparamTag>(inst, "response-outparam", get, &Impl::outparams));
  WEFT_TRY(DefineTable<IncomingResponseTag>(inst, "incoming-response", get,
                                            &Impl::incoming_responses));
  WEFT_TRY(DefineTable<IncomingBodyTag>(inst, "incoming-body", get, &Impl::incoming_bodies));
  WEFT_TRY(DefineTable<FutureTrailersTag>(inst, "future-trailers", get, &Impl::future_trailers));
  WEFT_TRY(DefineTable<OutgoingResponseTag>(inst, "outgoing-response", get,
                                            &Impl::outgoing_responses));
  // Dropping an unfinished outgoing-body aborts it (the peer sees a broken message).
  WEFT_TRY(inst.DefineResource(
      "outgoing-body", HostResourceType<OutgoingBodyTag>(),
      [get](HostContext*, StoreBase& s, uint32_t rep) {
        Impl& impl = get(s).impl();
        if (OutgoingBodyObj* b = impl.outgoing_bodies.Get(rep)) {
          std::shared_ptr<OutgoingBodyState> body = b->body;
          impl.outgoing_bodies.Remove(rep);
          if (!body->finished()) body->Abort("the guest dropped the outgoing-body unfinished");
        }
      }));
  WEFT_TRY(inst.DefineResource(
      "future-incoming-response", HostResourceType<FutureIncomingResponseTag>(),
      [get](HostContext*, StoreBase& s, uint32_t rep) {
        Impl& impl = get(s).impl();
        if (FutureIncomingResponseObj* f = impl.future_responses.Get(rep)) {
          std::shared_ptr<ResponseFuture> fut = f->future;
          impl.future_responses.Remove(rep);
          if (!fut->ready && fut->pending) fut->pending->Cancel();
        }
      }));

  // http-error-code: the error-code a wasi:http stream failure carries in its text.
  WEFT_TRY(inst.FuncWrap("http-error-code",
                         [io](HostContext& cx, Borrow<p2::IoErrorTag> err)
                             -> Expected<std::optional<HttpErrorCode>> {
                           std::string* m = io(cx.store()).errors.Get(err.rep);
                           if (m == nullptr) return BadHandle("io-error", err.rep);
                           return HttpErrorCode::Parse(*m);
                         }));

  // --- fields ---------------------------------------------------------------------------------
  using FieldsB = Borrow<FieldsTag>;
  using FieldsR = Resource<FieldsTag>;
  WEFT_TRY(inst.FuncWrap("[constructor]fields", [I](HostContext& cx) -> FieldsR {
    return FieldsR{I(cx).fields.Add(Fields())};
  }));
  WEFT_TRY(inst.FuncWrap(
      "[static]fields.from-list",
      [I](HostContext& cx, std::vector<std::tuple<std::string, Bytes>> entries)
          -> Expected<Result<FieldsR, HeaderError>> {
        Fields f;
        for (const auto& [name, value] : entries) {
          FieldsStatus st = f.Append(name, value);
          if (st.kind == FieldsStatus::kHeaderError) {
            return Result<FieldsR, HeaderError>::Err(st.error);
          }
          if (st.kind == FieldsStatus::kTooBig) return FromStatus(st, "fields.from-list").error();
        }
        return Result<FieldsR, HeaderError>::Ok(FieldsR{I(cx).fields.Add(std::move(f))});
      }));
  WEFT_TRY(inst.FuncWrap("[method]fields.get",
                         [I](HostContext& cx, FieldsB self,
                             std::string name) -> Expected<std::vector<Bytes>> {
                           WEFT_TRY_ASSIGN(Fields * f, Lookup(I(cx).fields, self.rep, "fields"));
                           return f->Get(name);
                         }));
  WEFT_TRY(inst.FuncWrap("[method]fields.has",
                         [I](HostContext& cx, FieldsB self, std::string name) -> Expected<bool> {
                           WEFT_TRY_ASSIGN(Fields * f, Lookup(I(cx).fields, self.rep, "fields"));
                           return f->Has(name);
                         }));
  WEFT_TRY(inst.FuncWrap("[method]fields.set",
                         [I](HostContext& cx, FieldsB self, std::string name,
                             std::vector<Bytes> values) -> Expected<HeaderResult> {
                           WEFT_TRY_ASSIGN(Fields * f, Lookup(I(cx).fields, self.rep, "fields"));
                           return FromStatus(f->Set(name, values), "fields.set");
                         }));
  WEFT_TRY(inst.FuncWrap("[method]fields.delete",
                         [I](HostContext& cx, FieldsB self,
                             std::string name) -> Expected<HeaderResult> {
                           WEFT_TRY_ASSIGN(Fields * f, Lookup(I(cx).fields, self.rep, "fields"));
                           return FromStatus(f->Delete(name), "fields.delete");
                         }));
  WEFT_TRY(inst.FuncWrap("[method]fields.append",
                         [I](HostContext& cx, FieldsB self, std::string name,
                             Bytes value) -> Expected<HeaderResult> {
                           WEFT_TRY_ASSIGN(Fields * f, Lookup(I(cx).fields, self.rep, "fields"));
                           return FromStatus(f->Append(name, value), "fields.append");
                         }));
  WEFT_TRY(inst.FuncWrap(
      "[method]fields.entries",
      [I](HostContext& cx, FieldsB self) -> Expected<std::vector<std::tuple<std::string, Bytes>>> {
        WEFT_TRY_ASSIGN(Fields * f, Lookup(I(cx).fields, self.rep, "fields"));
        std::vector<std::tuple<std::string, Bytes>> out;
        out.reserve(f->entries().size());
        for (const auto& [k, v] : f->entries()) out.emplace_back(k, Bytes(v.begin(), v.end()));
        return out;
      }));
  WEFT_TRY(inst.FuncWrap("[method]fields.clone",
                         [I](HostContext& cx, FieldsB self) -> Expected<FieldsR> {
                           Impl& impl = I(cx);
                           WEFT_TRY_ASSIGN(Fields * f, Lookup(impl.fields, self.rep, "fields"));
                           Fields copy = f->Clone();
                           return FieldsR{impl.fields.Add(std::move(copy))};
                         }));

  // --- incoming-request -----------------------------------------------------------------------
  using InReqB = Borrow<IncomingRequestTag>;
  WEFT_TRY(inst.FuncWrap("[method]incoming-request.method",
                         [I](HostContext& cx, InReqB self) -> Expected<Method> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).incoming_requests, self.rep,
                                                           "incoming-request"));
                           return r->method;
                         }));
  WEFT_TRY(inst.FuncWrap("[method]incoming-request.path-with-query",
                         [I](HostContext& cx, InReqB self) -> Expected<std::optional<std::string>> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).incoming_requests, self.rep,
                                                           "incoming-request"));
                           return r->path_with_query;
                         }));
  WEFT_TRY(inst.FuncWrap("[method]incoming-request.scheme",
                         [I](HostContext& cx, InReqB self) -> Expected<std::optional<Scheme>> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).incoming_requests, self.rep,
                                                           "incoming-request"));
                           return std::optional<Scheme>(r->scheme);
                         }));
  WEFT_TRY(inst.FuncWrap("[method]incoming-request.authority",
                         [I](HostContext& cx, InReqB self) -> Expected<std::optional<std::string>> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).incoming_requests, self.rep,
                                                           "incoming-request"));
                           return r->authority;
                         }));
  WEFT_TRY(inst.FuncWrap("[method]incoming-request.headers",
                         [I](HostContext& cx, InReqB self) -> Expected<FieldsR> {
                           Impl& impl = I(cx);
                           WEFT_TRY_ASSIGN(auto* r, Lookup(impl.incoming_requests, self.rep,
                                                           "incoming-request"));
                           Fields f = Fields::Immutable(r->headers);
                           return FieldsR{impl.fields.Add(std::move(f))};
                         }));
  WEFT_TRY(inst.FuncWrap(
      "[method]incoming-request.consume",
      [I](HostContext& cx, InReqB self) -> Expected<Result<Resource<IncomingBodyTag>, void>> {
        Impl& impl = I(cx);
        WEFT_TRY_ASSIGN(auto* r, Lookup(impl.incoming_requests, self.rep, "incoming-request"));
        if (!r->body) return Result<Resource<IncomingBodyTag>, void>::Err();
        IncomingBodyObj b{std::move(r->body), false};
        r->body = nullptr;
        return Result<Resource<IncomingBodyTag>, void>::Ok(
            Resource<IncomingBodyTag>{impl.incoming_bodies.Add(std::move(b))});
      }));

  // --- outgoing-request -----------------------------------------------------------------------
  using OutReqB = Borrow<OutgoingRequestTag>;
  using Unit = Result<void, void>;
  WEFT_TRY(inst.FuncWrap("[constructor]outgoing-request",
                         [I](HostContext& cx, FieldsR headers)
                             -> Expected<Resource<OutgoingRequestTag>> {
                           Impl& impl = I(cx);
                           WEFT_TRY_ASSIGN(Fields f, Take(impl.fields, headers.rep, "fields"));
                           OutgoingRequestObj r;
                           r.headers = f.Freeze();
                           return Resource<OutgoingRequestTag>{
                               impl.outgoing_requests.Add(std::move(r))};
                         }));
  WEFT_TRY(inst.FuncWrap(
      "[method]outgoing-request.body",
      [I](HostContext& cx, OutReqB self) -> Expected<Result<Resource<OutgoingBodyTag>, void>> {
        Impl& impl = I(cx);
        WEFT_TRY_ASSIGN(auto* r, Lookup(impl.outgoing_requests, self.rep, "outgoing-request"));
        bool ok = true;
        std::optional<uint64_t> length = ContentLength(*r->headers, ok);
        if (r->body || !ok) return Result<Resource<OutgoingBodyTag>, void>::Err();
        r->body = std::make_shared<OutgoingBodyState>(true, length);
        OutgoingBodyObj b{r->body, false};
        return Result<Resource<OutgoingBodyTag>, void>::Ok(
            Resource<OutgoingBodyTag>{impl.outgoing_bodies.Add(std::move(b))});
      }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-request.method",
                         [I](HostContext& cx, OutReqB self) -> Expected<Method> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).outgoing_requests, self.rep,
                                                           "outgoing-request"));
                           return r->method;
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-request.set-method",
                         [I](HostContext& cx, OutReqB self, Method m) -> Expected<Unit> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).outgoing_requests, self.rep,
                                                           "outgoing-request"));
                           // http::Method::from_str: a non-empty token.
                           if (m.kind == Method::kOther && !ValidFieldName(m.other)) {
                             return Unit::Err();
                           }
                           r->method = std::move(m);
                           return Unit::Ok();
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-request.path-with-query",
                         [I](HostContext& cx, OutReqB self) -> Expected<std::optional<std::string>> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).outgoing_requests, self.rep,
                                                           "outgoing-request"));
                           return r->path_with_query;
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-request.set-path-with-query",
                         [I](HostContext& cx, OutReqB self,
                             std::optional<std::string> p) -> Expected<Unit> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).outgoing_requests, self.rep,
                                                           "outgoing-request"));
                           if (p && !ValidPathWithQuery(*p)) return Unit::Err();
                           r->path_with_query = std::move(p);
                           return Unit::Ok();
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-request.scheme",
                         [I](HostContext& cx, OutReqB self) -> Expected<std::optional<Scheme>> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).outgoing_requests, self.rep,
                                                           "outgoing-request"));
                           return r->scheme;
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-request.set-scheme",
                         [I](HostContext& cx, OutReqB self,
                             std::optional<Scheme> s) -> Expected<Unit> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).outgoing_requests, self.rep,
                                                           "outgoing-request"));
                           if (s && s->kind == Scheme::kOther && !ValidSchemeText(s->other)) {
                             return Unit::Err();
                           }
                           r->scheme = std::move(s);
                           return Unit::Ok();
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-request.authority",
                         [I](HostContext& cx, OutReqB self) -> Expected<std::optional<std::string>> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).outgoing_requests, self.rep,
                                                           "outgoing-request"));
                           return r->authority;
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-request.set-authority",
                         [I](HostContext& cx, OutReqB self,
                             std::optional<std::string> a) -> Expected<Unit> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).outgoing_requests, self.rep,
                                                           "outgoing-request"));
                           if (a && !ParseAuthority(*a)) return Unit::Err();
                           r->authority = std::move(a);
                           return Unit::Ok();
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-request.headers",
                         [I](HostContext& cx, OutReqB self) -> Expected<FieldsR> {
                           Impl& impl = I(cx);
                           WEFT_TRY_ASSIGN(auto* r, Lookup(impl.outgoing_requests, self.rep,
                                                           "outgoing-request"));
                           Fields f = Fields::Immutable(r->headers);
                           return FieldsR{impl.fields.Add(std::move(f))};
                         }));

  // --- request-options ------------------------------------------------------------------------
  using OptB = Borrow<RequestOptionsTag>;
  using Duration = std::optional<uint64_t>;
  WEFT_TRY(inst.FuncWrap("[constructor]request-options",
                         [I](HostContext& cx) -> Resource<RequestOptionsTag> {
                           return Resource<RequestOptionsTag>{
                               I(cx).request_options.Add(RequestOptionsObj{})};
                         }));
  struct TimeoutField {
    const char* getter;
    const char* setter;
    Duration RequestOptionsObj::*field;
  };
  for (const TimeoutField& t :
       {TimeoutField{"[method]request-options.connect-timeout",
                     "[method]request-options.set-connect-timeout",
                     &RequestOptionsObj::connect_timeout},
        TimeoutField{"[method]request-options.first-byte-timeout",
                     "[method]request-options.set-first-byte-timeout",
                     &RequestOptionsObj::first_byte_timeout},
        TimeoutField{"[method]request-options.between-bytes-timeout",
                     "[method]request-options.set-between-bytes-timeout",
                     &RequestOptionsObj::between_bytes_timeout}}) {
    auto field = t.field;
    WEFT_TRY(inst.FuncWrap(t.getter, [I, field](HostContext& cx, OptB self) -> Expected<Duration> {
      WEFT_TRY_ASSIGN(auto* o, Lookup(I(cx).request_options, self.rep, "request-options"));
      return o->*field;
    }));
    WEFT_TRY(inst.FuncWrap(t.setter,
                           [I, field](HostContext& cx, OptB self, Duration d) -> Expected<Unit> {
                             WEFT_TRY_ASSIGN(auto* o, Lookup(I(cx).request_options, self.rep,
                                                             "request-options"));
                             o->*field = d;
                             return Unit::Ok();
                           }));
  }

  // --- response-outparam ----------------------------------------------------------------------
  WEFT_TRY(inst.FuncWrap(
      "[static]response-outparam.set",
      [I](HostContext& cx, Resource<ResponseOutparamTag> param,
          Result<Resource<OutgoingResponseTag>, HttpErrorCode> response) -> Error {
        Impl& impl = I(cx);
        WEFT_TRY_ASSIGN(ResponseOutparamObj p, Take(impl.outparams, param.rep, "response-outparam"));
        std::optional<OutgoingResponseObj> resp;
        if (response.ok()) {
          WEFT_TRY_ASSIGN(resp, Take(impl.outgoing_responses, response.value().rep,
                                     "outgoing-response"));
        }
        if (!impl.serving || impl.serving->generation != p.generation ||
            impl.serving->response_set) {
          return Trap("response-outparam.set: the request it belongs to is over");
        }
        Impl::Serving& s = *impl.serving;
        s.response_set = true;
        if (!resp) {
          s.sink->Fail(500, "the guest answered with error-code " + response.error().ToString() +
                                "\n");
          return Error();
        }
        if (resp->body && resp->body->aborted()) {
          s.sink->Fail(500, "the guest dropped the response body before sending the response\n");
          return Error();
        }
        ::weft::http::ResponseHead head;
        head.status = resp->status;
        head.headers = *resp->headers;
        std::shared_ptr<BodyWriter> writer = s.sink->Start(std::move(head));
        s.body = resp->body;
        if (!writer) {
          if (resp->body) resp->body->Abort("the response could not be started");
          return Error();
        }
        if (resp->body) {
          resp->body->Attach(std::move(writer));
        } else {
          (void)writer->Finish({});
        }
        return Error();
      }));
  WEFT_TRY(inst.FuncWrap("[method]response-outparam.send-informational",
                         [](Borrow<ResponseOutparamTag>, uint16_t,
                            FieldsB) -> Expected<Result<void, HttpErrorCode>> {
                           // @unstable(feature = informational-outbound-responses); wasmtime
                           // traps the same way.
                           return Trap("response-outparam.send-informational is not implemented");
                         }));

  // --- incoming-response ----------------------------------------------------------------------
  using InRespB = Borrow<IncomingResponseTag>;
  WEFT_TRY(inst.FuncWrap("[method]incoming-response.status",
                         [I](HostContext& cx, InRespB self) -> Expected<uint16_t> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).incoming_responses, self.rep,
                                                           "incoming-response"));
                           return r->status;
                         }));
  WEFT_TRY(inst.FuncWrap("[method]incoming-response.headers",
                         [I](HostContext& cx, InRespB self) -> Expected<FieldsR> {
                           Impl& impl = I(cx);
                           WEFT_TRY_ASSIGN(auto* r, Lookup(impl.incoming_responses, self.rep,
                                                           "incoming-response"));
                           Fields f = Fields::Immutable(r->headers);
                           return FieldsR{impl.fields.Add(std::move(f))};
                         }));
  WEFT_TRY(inst.FuncWrap(
      "[method]incoming-response.consume",
      [I](HostContext& cx, InRespB self) -> Expected<Result<Resource<IncomingBodyTag>, void>> {
        Impl& impl = I(cx);
        WEFT_TRY_ASSIGN(auto* r, Lookup(impl.incoming_responses, self.rep, "incoming-response"));
        if (!r->body) return Result<Resource<IncomingBodyTag>, void>::Err();
        IncomingBodyObj b{std::move(r->body), false};
        r->body = nullptr;
        return Result<Resource<IncomingBodyTag>, void>::Ok(
            Resource<IncomingBodyTag>{impl.incoming_bodies.Add(std::move(b))});
      }));

  // --- incoming-body / future-trailers ---------------------------------------------------------
  WEFT_TRY(inst.FuncWrap(
      "[method]incoming-body.stream",
      [I, io](HostContext& cx,
              Borrow<IncomingBodyTag> self) -> Expected<Result<Resource<p2::InputStreamTag>, void>> {
        WEFT_TRY_ASSIGN(auto* b, Lookup(I(cx).incoming_bodies, self.rep, "incoming-body"));
        if (b->stream_taken) return Result<Resource<p2::InputStreamTag>, void>::Err();
        b->stream_taken = true;
        std::shared_ptr<p2::InputStream> s = NewBodyInputStream(b->body);
        return Result<Resource<p2::InputStreamTag>, void>::Ok(
            Resource<p2::InputStreamTag>{io(cx.store()).input_streams.Add(std::move(s))});
      }));
  WEFT_TRY(inst.FuncWrap(
      "[static]incoming-body.finish",
      [I](HostContext& cx, Resource<IncomingBodyTag> self) -> Expected<Resource<FutureTrailersTag>> {
        Impl& impl = I(cx);
        WEFT_TRY_ASSIGN(auto* b, Lookup(impl.incoming_bodies, self.rep, "incoming-body"));
        if (b->body->stream_alive) {
          return Trap("incoming-body.finish: its input-stream is still alive (drop it first)");
        }
        FutureTrailersObj t{b->body, false};
        impl.incoming_bodies.Remove(self.rep);
        return Resource<FutureTrailersTag>{impl.future_trailers.Add(std::move(t))};
      }));
  WEFT_TRY(inst.FuncWrap("[method]future-trailers.subscribe",
                         [I, io](HostContext& cx, Borrow<FutureTrailersTag> self)
                             -> Expected<Resource<p2::PollableTag>> {
                           WEFT_TRY_ASSIGN(auto* t, Lookup(I(cx).future_trailers, self.rep,
                                                           "future-trailers"));
                           std::shared_ptr<p2::Pollable> p = NewTrailersPollable(t->body);
                           return Resource<p2::PollableTag>{
                               io(cx.store()).pollables.Add(std::move(p))};
                         }));
  using TrailersGet =
      Raw<std::optional<Result<Result<std::optional<FieldsR>, HttpErrorCode>, void>>>;
  WEFT_TRY(inst.FuncWrap(
      "[method]future-trailers.get",
      [I](HostContext& cx, Borrow<FutureTrailersTag> self) -> Expected<TrailersGet> {
        using Inner = Result<std::optional<FieldsR>, HttpErrorCode>;
        Impl& impl = I(cx);
        WEFT_TRY_ASSIGN(auto* t, Lookup(impl.future_trailers, self.rep, "future-trailers"));
        if (t->consumed) return TrailersGet{SomeOuterErr()};
        std::shared_ptr<IncomingBodyState> body = t->body;
        if (!body->DrainReady()) return TrailersGet{NoneVal()};
        t->consumed = true;
        if (body->failed()) {
          return TrailersGet{SomeOuterOk(Inner::Err(ErrorFromBodyFailure(body->failure())))};
        }
        if (body->trailers().empty()) return TrailersGet{SomeOuterOk(Inner::Ok(std::nullopt))};
        Fields f = Fields::Immutable(
            std::make_shared<const Headers>(WithoutForbidden(body->trailers())));
        return TrailersGet{SomeOuterOk(Inner::Ok(FieldsR{impl.fields.Add(std::move(f))}))};
      }));

  // --- outgoing-response ----------------------------------------------------------------------
  using OutRespB = Borrow<OutgoingResponseTag>;
  WEFT_TRY(inst.FuncWrap("[constructor]outgoing-response",
                         [I](HostContext& cx, FieldsR headers)
                             -> Expected<Resource<OutgoingResponseTag>> {
                           Impl& impl = I(cx);
                           WEFT_TRY_ASSIGN(Fields f, Take(impl.fields, headers.rep, "fields"));
                           OutgoingResponseObj r;
                           r.headers = f.Freeze();
                           return Resource<OutgoingResponseTag>{
                               impl.outgoing_responses.Add(std::move(r))};
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-response.status-code",
                         [I](HostContext& cx, OutRespB self) -> Expected<uint16_t> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).outgoing_responses, self.rep,
                                                           "outgoing-response"));
                           return r->status;
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-response.set-status-code",
                         [I](HostContext& cx, OutRespB self, uint16_t status) -> Expected<Unit> {
                           WEFT_TRY_ASSIGN(auto* r, Lookup(I(cx).outgoing_responses, self.rep,
                                                           "outgoing-response"));
                           // http::StatusCode::from_u16: 100..=999; HTTP/1.1 can only send
                           // three digits with a first digit 1-5 meaningfully (RFC 9110 15).
                           if (!ValidStatus(status)) return Unit::Err();
                           r->status = status;
                           return Unit::Ok();
                         }));
  WEFT_TRY(inst.FuncWrap("[method]outgoing-response.headers",
                         [I](HostContext& cx, OutRespB self) -> Expected<FieldsR> {
                           Impl& impl = I(cx);
                           WEFT_TRY_ASSIGN(auto* r, Lookup(impl.outgoing_responses, self.rep,
                                                           "outgoing-response"));
                           Fields f = Fields::Immutable(r->headers);
                           return FieldsR{impl.fields.Add(std::move(f))};
                         }));
  WEFT_TRY(inst.FuncWrap(
      "[method]outgoing-response.body",
      [I](HostContext& cx, OutRespB self) -> Expected<Result<Resource<OutgoingBodyTag>, void>> {
        Impl& impl = I(cx);
        WEFT_TRY_ASSIGN(auto* r, Lookup(impl.outgoing_responses, self.rep, "outgoing-response"));
        bool ok = true;
        std::optional<uint64_t> length = ContentLength(*r->headers, ok);
        if (r->body || !ok) return Result<Resource<OutgoingBodyTag>, void>::Err();
        r->body = std::make_shared<OutgoingBodyState>(false, length);
        OutgoingBodyObj b{r->body, false};
        return Result<Resource<OutgoingBodyTag>, void>::Ok(
            Resource<OutgoingBodyTag>{impl.outgoing_bodies.Add(std::move(b))});
      }));

  // --- outgoing-body --------------------------------------------------------------------------
  WEFT_TRY(inst.FuncWrap(
      "[method]outgoing-body.write",
      [I, io](HostContext& cx, Borrow<OutgoingBodyTag> self)
          -> Expected<Result<Resource<p2::OutputStreamTag>, void>> {
        WEFT_TRY_ASSIGN(auto* b, Lookup(I(cx).outgoing_bodies, self.rep, "outgoing-body"));
        if (b->stream_taken) return Result<Resource<p2::OutputStreamTag>, void>::Err();
        b->stream_taken = true;
        std::shared_ptr<p2::OutputStream> s = NewBodyOutputStream(b->body);
        return Result<Resource<p2::OutputStreamTag>, void>::Ok(
            Resource<p2::OutputStreamTag>{io(cx.store()).output_streams.Add(std::move(s))});
      }));
  WEFT_TRY(inst.FuncWrap(
      "[static]outgoing-body.finish",
      [I](HostContext& cx, Resource<OutgoingBodyTag> self,
          std::optional<FieldsR> trailers) -> Expected<Result<void, HttpErrorCode>> {
        Impl& impl = I(cx);
        WEFT_TRY_ASSIGN(auto* b, Lookup(impl.outgoing_bodies, self.rep, "outgoing-body"));
        if (b->body->stream_alive) {
          return Trap("outgoing-body.finish: its output-stream is still alive (drop it first)");
        }
        std::shared_ptr<OutgoingBodyState> body = b->body;
        impl.outgoing_bodies.Remove(self.rep);
        Headers t;
        if (trailers) {
          WEFT_TRY_ASSIGN(Fields f, Take(impl.fields, trailers->rep, "fields"));
          t = f.entries();
        }
        if (auto err = body->Finish(std::move(t))) return Result<void, HttpErrorCode>::Err(*err);
        return Result<void, HttpErrorCode>::Ok();
      }));

  // --- future-incoming-response ---------------------------------------------------------------
  using FutB = Borrow<FutureIncomingResponseTag>;
  WEFT_TRY(inst.FuncWrap("[method]future-incoming-response.subscribe",
                         [I, io](HostContext& cx, FutB self) -> Expected<Resource<p2::PollableTag>> {
                           WEFT_TRY_ASSIGN(auto* f, Lookup(I(cx).future_responses, self.rep,
                                                           "future-incoming-response"));
                           std::shared_ptr<p2::Pollable> p = NewResponseFuturePollable(f->future);
                           return Resource<p2::PollableTag>{
                               io(cx.store()).pollables.Add(std::move(p))};
                         }));
  using RespGet =
      Raw<std::optional<Result<Result<Resource<IncomingResponseTag>, HttpErrorCode>, void>>>;
  WEFT_TRY(inst.FuncWrap(
      "[method]future-incoming-response.get",
      [I](HostContext& cx, FutB self) -> Expected<RespGet> {
        using Inner = Result<Resource<IncomingResponseTag>, HttpErrorCode>;
        Impl& impl = I(cx);
        WEFT_TRY_ASSIGN(auto* f, Lookup(impl.future_responses, self.rep, "future-incoming-response"));
        if (f->consumed) return RespGet{SomeOuterErr()};
        std::shared_ptr<ResponseFuture> fut = f->future;
        if (!fut->ready) return RespGet{NoneVal()};
        f->consumed = true;
        if (!fut->response) {
          return RespGet{SomeOuterOk(
              Inner::Err(fut->error ? *fut->error : HttpErrorCode::Internal("no response")))};
        }
        ::weft::http::ClientResponse cr = std::move(*fut->response);
        fut->response.reset();
        IncomingResponseObj r;
        r.status = cr.status;
        r.headers = std::make_shared<const Headers>(WithoutForbidden(cr.headers));
        r.body = std::make_shared<IncomingBodyState>(std::move(cr.body));
        r.body->keepalive = fut->pending;  // the connection may belong to the request
        return RespGet{SomeOuterOk(
            Inner::Ok(Resource<IncomingResponseTag>{impl.incoming_responses.Add(std::move(r))}))};
      }));
  return Error();
}

Error AddOutgoingHandler(component::LinkerBase& linker, const HttpGetter& get) {
  Inst inst = InstanceOf(linker, "wasi:http/outgoing-handler@0.2.12");
  WEFT_TRY(DefineTable<OutgoingRequestTag>(inst, "outgoing-request", get,
                                           &WasiHttpCtx::Impl::outgoing_requests));
  WEFT_TRY(DefineTable<RequestOptionsTag>(inst, "request-options", get,
                                          &WasiHttpCtx::Impl::request_options));
  WEFT_TRY(inst.DefineResource(
      "future-incoming-response", HostResourceType<FutureIncomingResponseTag>(),
      [get](HostContext*, StoreBase& s, uint32_t rep) {
        WasiHttpCtx::Impl& impl = get(s).impl();
        if (FutureIncomingResponseObj* f = impl.future_responses.Get(rep)) {
          std::shared_ptr<ResponseFuture> fut = f->future;
          impl.future_responses.Remove(rep);
          if (!fut->ready && fut->pending) fut->pending->Cancel();
        }
      }));
  return inst.FuncWrap(
      "handle",
      [get](HostContext& cx, Resource<OutgoingRequestTag> request,
            std::optional<Resource<RequestOptionsTag>> options)
          -> Expected<Result<Resource<FutureIncomingResponseTag>, HttpErrorCode>> {
        WasiHttpCtx::Impl& impl = get(cx.store()).impl();
        std::optional<RequestOptionsObj> opts;
        if (options) {
          WEFT_TRY_ASSIGN(RequestOptionsObj o,
                          Take(impl.request_options, options->rep, "request-options"));
          opts = o;
        }
        WEFT_TRY_ASSIGN(OutgoingRequestObj r,
                        Take(impl.outgoing_requests, request.rep, "outgoing-request"));
        return SendOutgoing(impl, std::move(r), std::move(opts));
      });
}

}  // namespace

Error AddToLinkerBase(component::LinkerBase& linker, HttpGetter get, p2::CtxGetter io) {
  WEFT_TRY(AddTypes(linker, get, io));
  return AddOutgoingHandler(linker, get);
}

}  // namespace weft::wasi::http
