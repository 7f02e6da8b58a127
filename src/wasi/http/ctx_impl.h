// WasiHttpCtx::Impl: the per-store tables of wasi:http host objects (one Table per resource
// type, reps as handed to the guest), the outbound client, and the request being served.
// Shared by the linker glue (types_linker.cc), the outgoing handler (outgoing.cc) and
// StartHandle/FinishHandle (wasi_http.cc). Table slots move when a table grows: code keeps
// shared_ptrs or copies across Add(), never X* pointers.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "http/client/client.h"
#include "wasi/http/host.h"
#include "wasi/http/wasi_http.h"

namespace weft::wasi::http {

/// Resource tags (component::HostResourceType<Tag>()).
struct FieldsTag {};
struct IncomingRequestTag {};
struct OutgoingRequestTag {};
struct RequestOptionsTag {};
struct ResponseOutparamTag {};
struct IncomingResponseTag {};
struct IncomingBodyTag {};
struct FutureTrailersTag {};
struct OutgoingResponseTag {};
struct OutgoingBodyTag {};
struct FutureIncomingResponseTag {};

/// wasi:http/types.method: the case index (WIT order: get … patch, other) and, for other,
/// the method text.
struct Method {
  enum Kind : uint8_t { kGet, kHead, kPost, kPut, kDelete, kConnect, kOptions, kTrace, kPatch,
                        kOther } kind = kGet;
  std::string other;
  static Method FromString(const std::string& m);
  std::string ToString() const;
};

/// wasi:http/types.scheme.
struct Scheme {
  enum Kind : uint8_t { kHttp, kHttps, kOther } kind = kHttp;
  std::string other;
  static Scheme FromString(const std::string& s);
  std::string ToString() const;
};

struct IncomingRequestObj {
  Method method;
  Scheme scheme;
  std::optional<std::string> authority;
  std::optional<std::string> path_with_query;
  std::shared_ptr<const Headers> headers;
  std::shared_ptr<IncomingBodyState> body;  ///< null once consumed
};

struct OutgoingRequestObj {
  Method method;
  std::optional<Scheme> scheme;
  std::optional<std::string> authority;
  std::optional<std::string> path_with_query;
  std::shared_ptr<const Headers> headers;
  std::shared_ptr<OutgoingBodyState> body;  ///< set by body()
};

struct RequestOptionsObj {
  std::optional<uint64_t> connect_timeout, first_byte_timeout, between_bytes_timeout;
};

struct ResponseOutparamObj {
  uint64_t generation = 0;  ///< the Serving it belongs to
};

struct IncomingResponseObj {
  uint16_t status = 0;
  std::shared_ptr<const Headers> headers;
  std::shared_ptr<IncomingBodyState> body;  ///< null once consumed
};

struct IncomingBodyObj {
  std::shared_ptr<IncomingBodyState> body;
  bool stream_taken = false;
};

struct FutureTrailersObj {
  std::shared_ptr<IncomingBodyState> body;
  bool consumed = false;
};

struct OutgoingResponseObj {
  uint16_t status = 200;
  std::shared_ptr<const Headers> headers;
  std::shared_ptr<OutgoingBodyState> body;  ///< set by body()
};

struct OutgoingBodyObj {
  std::shared_ptr<OutgoingBodyState> body;
  bool stream_taken = false;
};

/// The shared state of an outbound request: filled by the client's callback.
struct ResponseFuture {
  std::shared_ptr<::weft::http::Client::Pending> pending;
  bool ready = false;
  std::optional<::weft::http::ClientResponse> response;
  std::optional<HttpErrorCode> error;
  Waiters waiters;
};

struct FutureIncomingResponseObj {
  std::shared_ptr<ResponseFuture> future;
  bool consumed = false;
};

struct WasiHttpCtx::Impl {
  Impl(boost::asio::io_context& io_context, WasiHttpConfig c) : io(&io_context), config(std::move(c)) {}
  ~Impl();

  boost::asio::io_context* io;
  WasiHttpConfig config;
  std::unique_ptr<::weft::http::Client> client;  ///< created on the first outbound request

  p2::Table<Fields> fields;
  p2::Table<IncomingRequestObj> incoming_requests;
  p2::Table<OutgoingRequestObj> outgoing_requests;
  p2::Table<RequestOptionsObj> request_options;
  p2::Table<ResponseOutparamObj> outparams;
  p2::Table<IncomingResponseObj> incoming_responses;
  p2::Table<IncomingBodyObj> incoming_bodies;
  p2::Table<FutureTrailersObj> future_trailers;
  p2::Table<OutgoingResponseObj> outgoing_responses;
  p2::Table<OutgoingBodyObj> outgoing_bodies;
  p2::Table<FutureIncomingResponseObj> future_responses;

  /// The request StartHandle delivered, until FinishHandle.
  struct Serving {
    uint64_t generation = 0;
    std::shared_ptr<::weft::http::ResponseSink> sink;
    bool response_set = false;
    std::shared_ptr<OutgoingBodyState> body;  ///< the response body, once set
  };
  std::optional<Serving> serving;
  /// Every outbound request sent (expired entries pruned as new ones are added).
  std::vector<std::weak_ptr<ResponseFuture>> outbound;
  uint64_t next_generation = 1;
};

/// outgoing-response.set-status-code: 100..599.
bool ValidStatus(uint16_t status);
/// outgoing-request.set-path-with-query: visible ASCII without '#' (what http::uri accepts
/// for an origin-form target, minus the fragment).
bool ValidPathWithQuery(std::string_view p);
/// outgoing-request.set-scheme(other): ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), ≤ 64 bytes.
bool ValidSchemeText(std::string_view s);
/// host[:port] or [v6]:port; the port, if present, 1-5 digits ≤ 65535 (wasmtime's
/// parse_authority refuses empty and non-numeric ports too).
struct Authority {
  std::string host;  ///< without brackets
  std::optional<uint16_t> port;
};
std::optional<Authority> ParseAuthority(std::string_view authority);
/// Ready once the outbound response (or its error) arrived.
std::shared_ptr<p2::Pollable> NewResponseFuturePollable(std::shared_ptr<ResponseFuture> f);

/// outgoing-handler.handle (outgoing.cc).
component::Result<component::Resource<FutureIncomingResponseTag>, HttpErrorCode> SendOutgoing(
    WasiHttpCtx::Impl& impl, OutgoingRequestObj request, std::optional<RequestOptionsObj> options);

}  // namespace weft::wasi::http
