// WasiHttpCtx, the serving side of wasi:http/incoming-handler (FindHandler, StartHandle,
// FinishHandle) and the small validators of request parts (wasi_http.h, ctx_impl.h).
// One request at a time per store: StartHandle refuses a second until FinishHandle.
#include <algorithm>
#include <cctype>

#include "wasi/http/ctx_impl.h"

namespace weft::wasi::http {

namespace {
constexpr const char* kMethodNames[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                        "CONNECT", "OPTIONS", "TRACE", "PATCH"};
}  // namespace

Method Method::FromString(const std::string& m) {
  for (size_t i = 0; i < std::size(kMethodNames); ++i) {
    if (m == kMethodNames[i]) return Method{static_cast<Kind>(i), {}};
  }
  return Method{kOther, m};
}

std::string Method::ToString() const {
  return kind == kOther ? other : kMethodNames[kind];
}

Scheme Scheme::FromString(const std::string& s) {
  if (s == "http") return Scheme{kHttp, {}};
  if (s == "https") return Scheme{kHttps, {}};
  return Scheme{kOther, s};
}

std::string Scheme::ToString() const {
  return kind == kHttp ? "http" : kind == kHttps ? "https" : other;
}

bool ValidStatus(uint16_t status) { return status >= 100 && status <= 599; }

bool ValidPathWithQuery(std::string_view p) {
  return std::all_of(p.begin(), p.end(), [](char c) { return c > 0x20 && c < 0x7f && c != '#'; });
}

bool ValidSchemeText(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

std::optional<Authority> ParseAuthority(std::string_view a) {
  Authority out;
  std::string_view rest;
  if (!a.empty() && a[0] == '[') {
    size_t close = a.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    out.host = std::string(a.substr(1, close - 1));
    for (char c : out.host) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return std::nullopt;
    }
    rest = a.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return std::nullopt;
  } else {
    size_t colon = a.find(':');
    out.host = std::string(a.substr(0, colon));
    if (colon != std::string_view::npos) rest = a.substr(colon);
    if (out.host.empty()) return std::nullopt;
    for (char c : out.host) {
      auto u = static_cast<unsigned char>(c);
      if (!(std::isalnum(u) || std::string_view("-._~!$&'()*+,;=%").find(c) !=
                                   std::string_view::npos)) {
        return std::nullopt;
      }
    }
  }
  if (!rest.empty()) {
    std::string_view digits = rest.substr(1);
    if (digits.empty() || digits.size() > 5) return std::nullopt;
    uint32_t port = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port > 65535) return std::nullopt;
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

WasiHttpCtx::Impl::~Impl() {
  // Outbound requests still in flight stop here (their callbacks hold weak references).
  for (const auto& weak : outbound) {
    if (auto f = weak.lock(); f && !f->ready && f->pending) f->pending->Cancel();
  }
}

WasiHttpCtx::WasiHttpCtx(boost::asio::io_context& io, WasiHttpConfig config)
    : impl_(std::make_unique<Impl>(io, std::move(config))) {}
WasiHttpCtx::~WasiHttpCtx() = default;
WasiHttpCtx::WasiHttpCtx(WasiHttpCtx&&) noexcept = default;
WasiHttpCtx& WasiHttpCtx::operator=(WasiHttpCtx&&) noexcept = default;

std::optional<std::string> FindHandlerExport(const component::Instance& instance) {
  for (const component::ExternDesc& e : instance.exports()) {
    if (e.sort == component::ExternSort::kInstance &&
        e.name.rfind("wasi:http/incoming-handler@0.2.", 0) == 0) {
      return e.name;
    }
  }
  return std::nullopt;
}

std::optional<component::Func> FindHandler(const component::Instance& instance) {
  std::optional<std::string> name = FindHandlerExport(instance);
  if (!name) return std::nullopt;
  return instance.GetFunc(*name, "handle");
}

Expected<std::unique_ptr<AsyncCall>> StartHandle(StoreBase& store, const component::Func& handle,
                                                 WasiHttpCtx& ctx, ::weft::http::Request request,
                                                 std::shared_ptr<::weft::http::ResponseSink> sink) {
  WasiHttpCtx::Impl& impl = ctx.impl();
  if (impl.serving) {
    return Error::Make(ErrorCode::kArgument,
                       "StartHandle: this store is already serving a request (wasi:http 0.2 "
                       "handlers are not re-entrant)");
  }
  if (!sink) return Error::Make(ErrorCode::kArgument, "StartHandle: no response sink");
  IncomingRequestObj req;
  req.method = Method::FromString(request.method);
  req.scheme = Scheme::FromString(request.scheme.empty() ? "http" : request.scheme);
  if (!request.authority.empty()) req.authority = std::move(request.authority);
  req.path_with_query = request.path_with_query.empty() ? "/" : std::move(request.path_with_query);
  req.headers = std::make_shared<const Headers>(WithoutForbidden(request.headers));
  if (request.body) req.body = std::make_shared<IncomingBodyState>(std::move(request.body));
  uint32_t req_rep = impl.incoming_requests.Add(std::move(req));
  uint64_t generation = impl.next_generation++;
  uint32_t out_rep = impl.outparams.Add(ResponseOutparamObj{generation});
  impl.serving = WasiHttpCtx::Impl::Serving{generation, std::move(sink), false, nullptr};

  std::vector<component::Val> params;
  params.push_back(component::Val::Own(
      {component::HostResourceType<IncomingRequestTag>(), req_rep}));
  params.push_back(component::Val::Own(
      {component::HostResourceType<ResponseOutparamTag>(), out_rep}));
  auto call = handle.CallAsync(store, std::move(params));
  if (!call.ok()) {
    impl.incoming_requests.Remove(req_rep);
    impl.outparams.Remove(out_rep);
    impl.serving.reset();
  }
  return call;
}

Error FinishHandle(StoreBase& store, const component::Func& handle, WasiHttpCtx& ctx,
                   AsyncCall* call) {
  WasiHttpCtx::Impl& impl = ctx.impl();
  if (!impl.serving) {
    return Error::Make(ErrorCode::kArgument, "FinishHandle without a request in flight");
  }
  WasiHttpCtx::Impl::Serving s = std::move(*impl.serving);
  impl.serving.reset();

  Error guest;
  if (call == nullptr) {
    guest = Error::Make(ErrorCode::kTrap, "the wasi:http handler was cancelled");
  } else if (call->state() != AsyncCall::State::kDone) {
    guest = Error::Make(ErrorCode::kArgument, "FinishHandle before the handler call is done");
  } else {
    std::vector<component::Val> results;
    guest = handle.FinishAsync(store, *call, results);
  }
  if (!guest.ok()) {
    if (!s.response_set) {
      s.sink->Fail(500, "the guest failed: " + guest.message() + "\n");
    } else if (s.body && !s.body->done()) {
      // Headers may be out already: the client sees the response cut short.
      s.body->Abort("the guest failed: " + guest.message());
      if (!s.body->attached()) s.sink->Fail(500, "the guest failed: " + guest.message() + "\n");
    }
    return guest;
  }
  if (!s.response_set) {
    s.sink->Fail(500, "the guest returned without setting the response\n");
    return Error::Make(ErrorCode::kTrap,
                       "the wasi:http handler returned without calling response-outparam.set");
  }
  // A 0.2 guest cannot run after `handle` returns. A body it neither finished nor dropped
  // ends here as if finished without trailers: wasmtime does the same when the store goes
  // (StarlingMonkey answers a thrown error that way). A wrong length still aborts it.
  if (s.body && !s.body->finished() && !s.body->aborted()) (void)s.body->Finish({});
  return Error();
}

}  // namespace weft::wasi::http
