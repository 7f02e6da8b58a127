// wasi:http/outgoing-handler.handle on http::Client: the outgoing-request becomes a
// ClientRequest (scheme default https and authority required, as wasmtime; request-options
// timeouts as the client's), the allow-list of WasiHttpConfig becomes the client's
// OutboundPolicy, the request body (if the guest took one) streams through the client's
// BodyWriter, and the response arrives in a future-incoming-response.
#include <algorithm>
#include <chrono>
#include <cstdint>

#include "wasi/http/ctx_impl.h"

namespace weft::wasi::http {

namespace {

using Out = component::Result<component::Resource<FutureIncomingResponseTag>, HttpErrorCode>;

HttpErrorCode FromClientError(const ::weft::http::ClientError& e) {
  if (e.code == "internal-error") return HttpErrorCode::Internal(e.detail);
  if (auto c = HttpErrorCode::FromLabel(e.code)) return *c;
  return HttpErrorCode::Internal(e.code + (e.detail.empty() ? "" : ": " + e.detail));
}

std::optional<std::chrono::nanoseconds> Nanos(std::optional<uint64_t> ns) {
  if (!ns) return std::nullopt;
  // Durations beyond what nanoseconds holds are "no timeout" in practice.
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  return std::chrono::nanoseconds(static_cast<int64_t>(std::min(*ns, kMax)));
}

class FuturePollable final : public p2::Pollable {
 public:
  explicit FuturePollable(std::shared_ptr<ResponseFuture> f) : f_(std::move(f)) {}
  bool Ready() override { return f_->ready; }
  void Wait(boost::asio::io_context&, std::function<void()> wake) override {
    f_->waiters.Add(std::move(wake));
  }

 private:
  std::shared_ptr<ResponseFuture> f_;
};

}  // namespace

std::shared_ptr<p2::Pollable> NewResponseFuturePollable(std::shared_ptr<ResponseFuture> f) {
  return std::make_shared<FuturePollable>(std::move(f));
}

Out SendOutgoing(WasiHttpCtx::Impl& impl, OutgoingRequestObj r,
                 std::optional<RequestOptionsObj> options) {
  ::weft::http::ClientRequest cr;
  cr.method = r.method.ToString();
  // wasmtime's default hooks: https when the guest names no scheme; only http and https.
  Scheme scheme = r.scheme ? *r.scheme : Scheme{Scheme::kHttps, {}};
  if (scheme.kind == Scheme::kOther) {
    if (scheme.other == "http") {
      scheme.kind = Scheme::kHttp;
    } else if (scheme.other == "https") {
      scheme.kind = Scheme::kHttps;
    } else {
      return Out::Err(HttpErrorCode::Of(HttpErrorCase::kHttpProtocolError));
    }
  }
  cr.scheme = scheme.kind == Scheme::kHttp ? "http" : "https";
  // No authority: the URI cannot be built (wasmtime: HTTP-request-URI-invalid).
  if (!r.authority || r.authority->empty() || !ParseAuthority(*r.authority)) {
    return Out::Err(HttpErrorCode::Of(HttpErrorCase::kHttpRequestUriInvalid));
  }
  cr.authority = *r.authority;
  cr.path_with_query = r.path_with_query && !r.path_with_query->empty() ? *r.path_with_query : "/";
  cr.headers = *r.headers;
  if (options) {
    cr.connect_timeout = Nanos(options->connect_timeout);
    cr.first_byte_timeout = Nanos(options->first_byte_timeout);
    cr.between_bytes_timeout = Nanos(options->between_bytes_timeout);
  }
  if (!impl.client) {
    impl.client = std::make_unique<::weft::http::Client>(
        *impl.io, ::weft::http::OutboundPolicy(impl.config.allow_outbound));
  }
  auto future = std::make_shared<ResponseFuture>();
  std::weak_ptr<ResponseFuture> weak = future;
  future->pending = impl.client->Send(
      std::move(cr), [weak](std::optional<::weft::http::ClientResponse> response,
                            std::optional<::weft::http::ClientError> error) {
        auto f = weak.lock();
        if (!f) return;
        f->ready = true;
        if (response) {
          f->response = std::move(response);
        } else {
          f->error = error ? FromClientError(*error)
                           : HttpErrorCode::Internal("the client gave neither a response nor an error");
        }
        f->waiters.WakeAll();
      });
  std::shared_ptr<BodyWriter> writer = future->pending ? future->pending->body() : nullptr;
  if (writer) {
    if (r.body) {
      r.body->Attach(std::move(writer));
    } else {
      (void)writer->Finish({});
    }
  } else if (r.body) {
    r.body->Abort("the request could not be sent");
  }
  std::erase_if(impl.outbound, [](const auto& w) { return w.expired(); });
  impl.outbound.push_back(future);
  FutureIncomingResponseObj obj{std::move(future), false};
  return Out::Ok(component::Resource<FutureIncomingResponseTag>{
      impl.future_responses.Add(std::move(obj))});
}

}  // namespace weft::wasi::http
