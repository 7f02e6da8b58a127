// The outbound HTTP/1.1 client behind wasi:http/outgoing-handler: one request per call on a
// new connection (HTTPS through OpenSSL, peer verified against the system trust store),
// request and response bodies streamed both ways as BodyWriter/BodyReader (message.h),
// connect / first-byte / between-bytes timeouts. Failures are reported as the wasi:http
// error-code case names so the wasi:http host maps them without guessing.
// Not thread-safe: a Client and its requests live on one io_context thread.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "weft/error.h"

namespace weft::http {

/// The case names of wasi:http/types.error-code, in WIT order (a case's index is its variant
/// discriminant): the vocabulary of ClientError::code, shared with the wasi:http host.
extern const std::array<const char*, 39> kErrorCodeNames;

/// Why an outbound request failed: a wasi:http/types.error-code case (its WIT name, e.g.
/// "DNS-error", "connection-refused", "connection-timeout", "HTTP-response-timeout",
/// "TLS-certificate-error", "HTTP-protocol-error", "HTTP-request-denied") and a detail.
struct ClientError {
  std::string code;
  std::string detail;
};

/// Failures of a response body (BodyReader::Read) and of a request body (BodyWriter) carry
/// BodyStatus::message "<error-code case>: <detail>" ("HTTP-response-incomplete: ...");
/// this splits such a message back into a ClientError. A message without a known case name
/// gives "internal-error" with the whole message as detail.
ClientError ClientErrorFromBodyMessage(std::string_view message);

struct ClientRequest {
  std::string method = "GET";
  std::string scheme = "http";  ///< "http" or "https".
  std::string authority;        ///< "host[:port]" (default port by scheme).
  std::string path_with_query = "/";
  Headers headers;  ///< Sent as given (a host header is added if missing).
  std::optional<std::chrono::nanoseconds> connect_timeout;
  std::optional<std::chrono::nanoseconds> first_byte_timeout;
  std::optional<std::chrono::nanoseconds> between_bytes_timeout;
};

struct ClientResponse {
  uint16_t status = 0;
  Headers headers;                   ///< Names lowercase.
  std::shared_ptr<BodyReader> body;  ///< Never null.
};

/// Which authorities outbound requests may reach (`--allow-outbound HOST[:PORT]`).
class OutboundPolicy {
 public:
  /// Empty: everything is allowed.
  explicit OutboundPolicy(std::vector<std::string> allowed = {});
  /// `host` without brackets for IPv6; `port` the effective port (80/443 by default).
  bool Allows(const std::string& host, uint16_t port) const;

 private:
  std::vector<std::string> allowed_;  ///< "host" (any port) or "host:port", lowercase.
};

class Client {
 public:
  Client(boost::asio::io_context& io, OutboundPolicy policy);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// A request in flight: write its body through body() (Finish it, even when empty),
  /// while the response head arrives through the callback.
  class Pending {
   public:
    virtual ~Pending() = default;
    /// The request body (framed with the request's content-length header if present, else
    /// chunked when anything is written; an empty Finish sends no body).
    virtual std::shared_ptr<BodyWriter> body() = 0;
    /// Stops the request (the callback is not called afterwards).
    virtual void Cancel() = 0;
  };

  /// Starts `request`. `on_response` is called once, on the io_context's thread, never from
  /// inside Send: with the response head (its body streams on), or with the error. A denied
  /// authority fails with "HTTP-request-denied" without touching the network.
  std::shared_ptr<Pending> Send(
      ClientRequest request,
      std::function<void(std::optional<ClientResponse>, std::optional<ClientError>)> on_response);

  /// Loads the process-wide system trust store now rather than on the first https request
  /// (it takes tens of milliseconds; every Client without TrustCertificate shares it).
  static Error PreloadTrustStore();

  /// Also trusts the PEM certificate(s) in `pem` as certificate authorities for https peers,
  /// beside the system trust store (tests, private CAs). Applies to requests sent afterwards.
  Error TrustCertificate(std::string_view pem);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::http
