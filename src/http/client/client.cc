// The outbound HTTP/1.1 client (client.h): one Conn per request on a fresh connection that
// says `connection: close`. Boost.Asio does name resolution, connect, TLS (asio::ssl over
// OpenSSL) and timers; the request head and body framing are written here, and the response
// is parsed here by a small incremental parser, so that bodies stream both ways through
// bounded buffers (64 KiB each way) with backpressure.
// Invariants: everything runs on the io_context thread; user callbacks (on_response, body
// wakes) are only ever called from Asio handlers or posted, never from inside a user's call;
// once closed_ is set no socket operation is started again; every failure message has the
// form "<wasi:http error-code case>: <detail>".
#include "http/client/client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>

#include "http/client/response_parser.h"
#include "http/client/text.h"

namespace weft::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr size_t kWriteBufferLimit = 64 * 1024;  // request bytes queued ahead of the socket
constexpr size_t kBodyBufferLimit = 64 * 1024;   // response bytes decoded ahead of the reader
constexpr size_t kReadChunk = 64 * 1024;
// wasmtime's defaults for request-options it is not given.
constexpr std::chrono::nanoseconds kDefaultTimeout = std::chrono::seconds(600);
// Longer durations (a guest may pass u64 nanoseconds) are clamped so now() + d cannot overflow.
constexpr std::chrono::nanoseconds kMaxTimeout = std::chrono::hours(24 * 365);



using text::IsFieldValue;
using text::IsToken;
using text::ParseDecimal;
using text::ToLower;
using text::TrimOws;

std::optional<uint16_t> ParsePort(std::string_view s) {
  auto v = ParseDecimal(s);
  if (!v || *v == 0 || *v > 65535) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

// "host", "host:port", "[v6]" or "[v6]:port". `host` comes back without brackets.
bool SplitHostPort(std::string_view s, std::string& host, std::optional<uint16_t>& port,
                   bool allow_bare_ipv6) {
  port.reset();
  std::string_view rest;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    host = std::string(s.substr(1, close - 1));
    rest = s.substr(close + 1);
  } else {
    size_t colon = s.find(':');
    if (colon != std::string_view::npos && s.find(':', colon + 1) != std::string_view::npos) {
      if (!allow_bare_ipv6) return false;
      host = std::string(s);  // a bare IPv6 address: no port
      return true;
    }
    host = std::string(s.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
  }
  if (host.empty()) return false;
  if (!rest.empty()) {
    if (rest.front() != ':') return false;
    port = ParsePort(rest.substr(1));
    if (!port) return false;
  }
  return true;
}

std::string Millis(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

std::chrono::nanoseconds Clamp(std::optional<std::chrono::nanoseconds> d) {
  if (!d) return kDefaultTimeout;
  if (*d < std::chrono::nanoseconds::zero()) return std::chrono::nanoseconds::zero();
  return std::min(*d, kMaxTimeout);
}

// Hop-by-hop fields: this client frames the message and owns the connection itself.
bool IsHopByHop(const std::string& name) {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade" || name == "te";
}

}  // namespace

const std::array<const char*, 39> kErrorCodeNames = {
    "DNS-timeout",
    "DNS-error",
    "destination-not-found",
    "destination-unavailable",
    "destination-IP-prohibited",
    "destination-IP-unroutable",
    "connection-refused",
    "connection-terminated",
    "connection-timeout",
    "connection-read-timeout",
    "connection-write-timeout",
    "connection-limit-reached",
    "TLS-protocol-error",
    "TLS-certificate-error",
    "TLS-alert-received",
    "HTTP-request-denied",
    "HTTP-request-length-required",
    "HTTP-request-body-size",
    "HTTP-request-method-invalid",
    "HTTP-request-URI-invalid",
    "HTTP-request-URI-too-long",
    "HTTP-request-header-section-size",
    "HTTP-request-header-size",
    "HTTP-request-trailer-section-size",
    "HTTP-request-trailer-size",
    "HTTP-response-incomplete",
    "HTTP-response-header-section-size",
    "HTTP-response-header-size",
    "HTTP-response-body-size",
    "HTTP-response-trailer-section-size",
    "HTTP-response-trailer-size",
    "HTTP-response-transfer-coding",
    "HTTP-response-content-coding",
    "HTTP-response-timeout",
    "HTTP-upgrade-failed",
    "HTTP-protocol-error",
    "loop-detected",
    "configuration-error",
    "internal-error",
};

ClientError ClientErrorFromBodyMessage(std::string_view message) {
  size_t colon = message.find(": ");
  if (colon != std::string_view::npos) {
    std::string_view code = message.substr(0, colon);
    for (const char* known : kErrorCodeNames) {
      if (code == known) {
        return ClientError{std::string(code), std::string(message.substr(colon + 2))};
      }
    }
  }
  return ClientError{"internal-error", std::string(message)};
}

// ---------------------------------------------------------------------------------------------
// OutboundPolicy

OutboundPolicy::OutboundPolicy(std::vector<std::string> allowed) {
  for (auto& a : allowed) allowed_.push_back(ToLower(a));
}

bool OutboundPolicy::Allows(const std::string& host, uint16_t port) const {
  if (allowed_.empty()) return true;
  std::string want = ToLower(host);
  for (const auto& entry : allowed_) {
    std::string eh;
    std::optional<uint16_t> ep;
    if (!SplitHostPort(entry, eh, ep, /*allow_bare_ipv6=*/true)) continue;
    if (eh == want && (!ep || *ep == port)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Conn: one request on one connection.

namespace {

using Callback = std::function<void(std::optional<ClientResponse>, std::optional<ClientError>)>;

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls_ctx, Callback cb)
      : io_(io),
        tls_ctx_(std::move(tls_ctx)),
        on_response_(std::move(cb)),
        resolver_(io),
        socket_(io),
        conn_timer_(io),
        read_timer_(io),
        write_timer_(io) {}

  void SetTls(std::shared_ptr<asio::ssl::context> ctx) { tls_ctx_ = std::move(ctx); }

  // Everything Send validated: the connection target and the request head without its
  // framing lines and final CRLF.
  void Prepare(const ClientRequest& req, std::string host, uint16_t port, std::string head,
               std::optional<uint64_t> declared_length, bool empty_body_needs_length) {
    host_ = std::move(host);
    port_ = port;
    https_ = req.scheme == "https";
    parser_ = ResponseParser(/*head_request=*/req.method == "HEAD");
    connect_timeout_ = Clamp(req.connect_timeout);
    first_byte_timeout_ = Clamp(req.first_byte_timeout);
    between_bytes_timeout_ = Clamp(req.between_bytes_timeout);
    head_ = std::move(head);
    empty_body_needs_length_ = empty_body_needs_length;
    if (declared_length) {
      framing_ = Framing::kLength;
      declared_ = *declared_length;
      out_pending_ = std::move(head_);
      out_pending_ += "\r\n";
    }
  }

  void Start() {
    phase_ = Phase::kResolving;
    ArmTimer(conn_timer_, conn_gen_, connect_timeout_, [](Conn& c) { c.OnConnectTimeout(); });
    error_code not_ip;
    asio::ip::address address = asio::ip::make_address(host_, not_ip);
    if (!not_ip) {
      // An address literal needs no lookup (nor a trip through the resolver's thread).
      auto results = tcp::resolver::results_type::create(tcp::endpoint(address, port_), host_,
                                                         std::to_string(port_));
      OnResolved(error_code(), std::move(results));
      return;
    }
    resolver_.async_resolve(
        host_, std::to_string(port_), tcp::resolver::numeric_service,
        [self = shared_from_this()](const error_code& ec, tcp::resolver::results_type results) {
          self->OnResolved(ec, std::move(results));
        });
  }

  // Fails the request: the callback (posted) if the head was not delivered, else the
  // response body; the request body in any case.
  void Fail(const std::string& code, const std::string& detail) {
    if (cancelled_) return;
    CloseSocket();
    std::string message = code + ": " + detail;
    if (!writer_error_) {
      writer_error_ = message;
      WakeWriter();
    }
    if (!head_delivered_) {
      if (on_response_) {
        Callback cb = std::move(on_response_);
        on_response_ = nullptr;
        head_delivered_ = true;  // nothing more goes to the callback
        asio::post(io_, [self = shared_from_this(), cb = std::move(cb),
                         err = ClientError{code, detail}]() mutable {
          if (!self->cancelled_) cb(std::nullopt, std::move(err));
        });
      }
    } else if (!body_end_ && !body_error_) {
      body_error_ = message;
      WakeReader();
    }
  }

  void Cancel() {
    cancelled_ = true;
    on_response_ = nullptr;
    reader_wake_ = nullptr;
    writer_wake_ = nullptr;
    if (!writer_error_) writer_error_ = "internal-error: request cancelled";
    if (!body_end_ && !body_error_) body_error_ = "internal-error: request cancelled";
    CloseSocket();
  }

  // --- request body (BodyWriter) ---

  size_t WriterCapacity() const {
    if (writer_error_ || req_finished_) return 0;
    size_t used = out_pending_.size() + out_inflight_.size();
    return used >= kWriteBufferLimit ? 0 : kWriteBufferLimit - used;
  }

  BodyStatus WriterWrite(std::span<const uint8_t> bytes) {
    if (writer_error_) return BodyStatus::Failed(*writer_error_);
    if (req_finished_) return BodyStatus::Failed("internal-error: write after Finish");
    if (bytes.empty()) return BodyStatus::Ok();
    if (framing_ == Framing::kUndecided) {
      framing_ = Framing::kChunked;
      out_pending_ += head_;
      out_pending_ += "transfer-encoding: chunked\r\n\r\n";
      head_.clear();
    }
    if (framing_ == Framing::kLength) {
      if (written_ + bytes.size() > declared_) {
        std::string detail =
            "request body exceeds its content-length of " + std::to_string(declared_) + " bytes";
        Fail("HTTP-request-body-size", detail);
        return BodyStatus::Failed("HTTP-request-body-size: " + detail);
      }
      out_pending_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    } else {
      char size[24];
      auto res = std::to_chars(size, size + sizeof size, bytes.size(), 16);
      out_pending_.append(size, res.ptr);
      out_pending_ += "\r\n";
      out_pending_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      out_pending_ += "\r\n";
    }
    written_ += bytes.size();
    Flush();
    return BodyStatus::Ok();
  }

  void WriterWait(std::function<void()> wake) {
    if (cancelled_) return;
    if (writer_error_ || WriterCapacity() > 0) {
      asio::post(io_, std::move(wake));
      return;
    }
    writer_wake_ = std::move(wake);
  }

  BodyStatus WriterFinish(Headers trailers) {
    if (writer_error_) return BodyStatus::Failed(*writer_error_);
    if (req_finished_) return BodyStatus::Failed("internal-error: Finish called twice");
    req_finished_ = true;
    if (framing_ == Framing::kUndecided && !trailers.empty()) {
      // Trailers need chunked framing, even around an empty body.
      framing_ = Framing::kChunked;
      out_pending_ += head_;
      out_pending_ += "transfer-encoding: chunked\r\n\r\n";
      head_.clear();
    }
    if (framing_ == Framing::kUndecided) {
      framing_ = Framing::kNone;
      out_pending_ += head_;
      if (empty_body_needs_length_) out_pending_ += "content-length: 0\r\n";
      out_pending_ += "\r\n";
      head_.clear();
    } else if (framing_ == Framing::kLength) {
      if (written_ != declared_) {
        std::string detail = "request body ended after " + std::to_string(written_) + " of " +
                             std::to_string(declared_) + " declared bytes";
        Fail("HTTP-request-body-size", detail);
        return BodyStatus::Failed("HTTP-request-body-size: " + detail);
      }
    } else if (framing_ == Framing::kChunked) {
      out_pending_ += "0\r\n";
      for (const auto& [name, value] : trailers) {
        if (!IsToken(name) || !IsFieldValue(value) || IsHopByHop(ToLower(name))) {
          std::string detail = "invalid request trailer '" + name + "'";
          Fail("HTTP-protocol-error", detail);
          return BodyStatus::Failed("HTTP-protocol-error: " + detail);
        }
        out_pending_ += name + ": " + value + "\r\n";
      }
      out_pending_ += "\r\n";
    }
    Flush();
    // Nothing left to send (a content-length body already flushed): the request is out.
    if (phase_ == Phase::kConnected && !writing_ && out_pending_.empty()) RequestSent();
    return BodyStatus::Ok();
  }

  void WriterAbort(const std::string& reason) {
    if (writer_error_ || (req_finished_ && !writing_ && out_pending_.empty())) return;
    Fail("internal-error", "request body aborted: " + reason);
  }

  bool WriterFailed() const { return writer_error_.has_value(); }

  void WriterDropped() {
    if (!req_finished_ && !writer_error_ && !cancelled_) {
      Fail("internal-error", "request body dropped before Finish");
    }
  }

  // --- response body (BodyReader) ---

  BodyStatus ReaderRead(size_t max, std::vector<uint8_t>& out) {
    if (cancelled_) return BodyStatus::Failed("internal-error: request cancelled");
    size_t avail = body_.size() - body_pos_;
    if (avail > 0) {
      size_t n = std::min(max, avail);
      out.insert(out.end(), body_.begin() + static_cast<ptrdiff_t>(body_pos_),
                 body_.begin() + static_cast<ptrdiff_t>(body_pos_ + n));
      body_pos_ += n;
      if (body_pos_ == body_.size()) {
        body_.clear();
        body_pos_ = 0;
      } else if (body_pos_ >= kBodyBufferLimit) {
        body_.erase(body_.begin(), body_.begin() + static_cast<ptrdiff_t>(body_pos_));
        body_pos_ = 0;
      }
      if (blocked_) Pump();  // room again: decode more, maybe read the socket again
      return BodyStatus::Ok();
    }
    if (body_error_) return BodyStatus::Failed(*body_error_);
    if (body_end_) return BodyStatus::End();
    return BodyStatus::Ok();
  }

  void ReaderWait(std::function<void()> wake) {
    if (cancelled_) return;
    if (body_.size() > body_pos_ || body_end_ || body_error_) {
      asio::post(io_, std::move(wake));
      return;
    }
    reader_wake_ = std::move(wake);
  }

  Headers ReaderTrailers() const { return body_end_ ? parser_.trailers() : Headers{}; }
  std::optional<uint64_t> content_length() const { return parser_.content_length(); }

  void ReaderDropped() {
    // Nobody wants the rest of the response, nor the rest of the request.
    if (body_end_ || closed_) return;
    CloseSocket();
    if (!writer_error_) {
      writer_error_ = "connection-terminated: the response was dropped";
      WakeWriter();
    }
  }

 private:
  enum class Phase : uint8_t { kIdle, kResolving, kConnecting, kHandshaking, kConnected };
  enum class Framing : uint8_t { kUndecided, kLength, kChunked, kNone };
  using Progress = ResponseParser::Progress;

  template <typename OnExpiry>
  void ArmTimer(asio::steady_timer& timer, uint64_t& gen, std::chrono::nanoseconds d,
                OnExpiry on_expiry) {
    uint64_t g = ++gen;
    timer.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(d));
    timer.async_wait([self = shared_from_this(), &gen, g, on_expiry](const error_code& ec) {
      if (ec || g != gen || self->closed_) return;
      on_expiry(*self);
    });
  }

  static void Disarm(asio::steady_timer& timer, uint64_t& gen) {
    ++gen;
    timer.cancel();
  }

  void CloseSocket() {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    resolver_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    Disarm(conn_timer_, conn_gen_);
    Disarm(read_timer_, read_gen_);
    Disarm(write_timer_, write_gen_);
  }

  void WakeWriter() {
    if (writer_wake_) {
      asio::post(io_, std::move(writer_wake_));
      writer_wake_ = nullptr;
    }
  }

  void WakeReader() {
    if (reader_wake_) {
      asio::post(io_, std::move(reader_wake_));
      reader_wake_ = nullptr;
    }
  }

  std::string Target() const {
    bool v6 = host_.find(':') != std::string::npos;
    return (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
  }

  // --- connection setup ---

  void OnConnectTimeout() {
    if (phase_ == Phase::kResolving) {
      Fail("DNS-timeout", "resolving '" + host_ + "' took longer than " + Millis(connect_timeout_));
    } else {
      Fail("connection-timeout",
           "connecting to " + Target() + " took longer than " + Millis(connect_timeout_));
    }
  }

  void OnResolved(const error_code& ec, tcp::resolver::results_type results) {
    if (closed_) return;
    if (ec) {
      Fail("DNS-error", "cannot resolve '" + host_ + "': " + ec.message());
      return;
    }
    if (results.empty()) {
      Fail("destination-not-found", "'" + host_ + "' has no addresses");
      return;
    }
    phase_ = Phase::kConnecting;
    asio::async_connect(socket_, results,
                        [self = shared_from_this()](const error_code& ec, const tcp::endpoint&) {
                          self->OnConnected(ec);
                        });
  }

  void OnConnected(const error_code& ec) {
    if (closed_) return;
    if (ec) {
      std::string detail = "cannot connect to " + Target() + ": " + ec.message();
      if (ec == asio::error::connection_refused) {
        Fail("connection-refused", detail);
      } else if (ec == asio::error::timed_out) {
        Fail("connection-timeout", detail);
      } else if (ec == asio::error::network_unreachable) {
        Fail("destination-IP-unroutable", detail);
      } else {
        Fail("destination-unavailable", detail);
      }
      return;
    }
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    if (!https_) {
      OnReady();
      return;
    }
    phase_ = Phase::kHandshaking;
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *tls_ctx_);
    SSL* ssl = tls_->native_handle();
    error_code addr_ec;
    asio::ip::make_address(host_, addr_ec);
    bool is_ip = !addr_ec;
    // SNI is for names only (RFC 6066); the certificate must match the name or the address.
    if (!is_ip) SSL_set_tlsext_host_name(ssl, host_.c_str());
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host_.c_str())
                   : SSL_set1_host(ssl, host_.c_str());
    if (ok != 1) {
      Fail("internal-error", "cannot set up certificate host check for '" + host_ + "'");
      return;
    }
    tls_->set_verify_mode(asio::ssl::verify_peer, ignored);
    tls_->async_handshake(
        asio::ssl::stream_base::client,
        [self = shared_from_this()](const error_code& ec) { self->OnHandshake(ec); });
  }

  void OnHandshake(const error_code& ec) {
    if (closed_) return;
    if (ec) {
      long verify = SSL_get_verify_result(tls_->native_handle());
      if (verify != X509_V_OK) {
        Fail("TLS-certificate-error", "certificate of " + Target() + " not accepted: " +
                                          X509_verify_cert_error_string(verify));
      } else {
        FailTls(ec, "TLS handshake with " + Target() + " failed: ");
      }
      return;
    }
    OnReady();
  }

  // An OpenSSL failure: an alert from the peer, or anything else in the TLS layer.
  void FailTls(const error_code& ec, const std::string& what) {
    int reason = ec.category() == asio::error::get_ssl_category()
                     ? ERR_GET_REASON(static_cast<unsigned long>(ec.value()))
                     : 0;
    if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
      Fail("TLS-alert-received", what + "alert " + std::to_string(reason - SSL_AD_REASON_OFFSET) +
                                     " (" + ec.message() + ")");
    } else {
      Fail("TLS-protocol-error", what + ec.message());
    }
  }

  void OnReady() {
    Disarm(conn_timer_, conn_gen_);
    phase_ = Phase::kConnected;
    Flush();
    need_input_ = true;
    MaybeRead();
  }

  // --- writing ---

  void Flush() {
    if (closed_ || phase_ != Phase::kConnected || writing_) return;
    if (out_pending_.empty()) return;
    writing_ = true;
    out_inflight_.swap(out_pending_);
    out_pending_.clear();
    ArmTimer(write_timer_, write_gen_, between_bytes_timeout_, [](Conn& c) {
      c.Fail("connection-write-timeout",
             "the server took in no request bytes for " + Millis(c.between_bytes_timeout_));
    });
    auto handler = [self = shared_from_this()](const error_code& ec, size_t) {
      self->OnWritten(ec);
    };
    if (tls_) {
      asio::async_write(*tls_, asio::buffer(out_inflight_), std::move(handler));
    } else {
      asio::async_write(socket_, asio::buffer(out_inflight_), std::move(handler));
    }
  }

  void OnWritten(const error_code& ec) {
    writing_ = false;
    if (closed_) return;
    Disarm(write_timer_, write_gen_);
    out_inflight_.clear();
    if (ec) {
      // The server may have answered already (e.g. 413 and close): the read side decides
      // what the response looks like; only the request body fails here.
      if (!writer_error_)
        writer_error_ = "connection-terminated: sending the request failed: " + ec.message();
      out_pending_.clear();
      WakeWriter();
      RequestSent();
      return;
    }
    WakeWriter();
    if (!out_pending_.empty()) {
      Flush();
    } else if (req_finished_) {
      RequestSent();
    }
  }

  void RequestSent() {
    if (request_sent_) return;
    request_sent_ = true;
    if (parser_.in_head()) {
      ArmTimer(read_timer_, read_gen_, first_byte_timeout_, [](Conn& c) {
        c.Fail("connection-read-timeout", "no response from " + c.Target() + " within " +
                                              Millis(c.first_byte_timeout_) +
                                              " of sending the request");
      });
    }
  }

  // --- reading ---

  bool InHead() const { return parser_.in_head(); }

  void MaybeRead() {
    if (closed_ || phase_ != Phase::kConnected || reading_ || !need_input_ || eof_) return;
    reading_ = true;
    if (!InHead()) {
      ArmTimer(read_timer_, read_gen_, between_bytes_timeout_, [](Conn& c) {
        c.Fail("connection-read-timeout", "no response body bytes from " + c.Target() + " for " +
                                              Millis(c.between_bytes_timeout_));
      });
    }
    auto handler = [self = shared_from_this()](const error_code& ec, size_t n) {
      self->OnRead(ec, n);
    };
    if (tls_) {
      tls_->async_read_some(asio::buffer(read_buf_), std::move(handler));
    } else {
      socket_.async_read_some(asio::buffer(read_buf_), std::move(handler));
    }
  }

  void OnRead(const error_code& ec, size_t n) {
    reading_ = false;
    if (closed_) return;
    if (!InHead()) Disarm(read_timer_, read_gen_);
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      // A close without TLS close_notify only matters for close-delimited bodies, which
      // HTTP/1.1 servers rarely send; accept it like curl does.
      eof_ = true;
    } else if (ec) {
      if (ec.category() == asio::error::get_ssl_category()) {
        FailTls(ec, "reading from " + Target() + ": ");
      } else {
        Fail("connection-terminated", "reading from " + Target() + ": " + ec.message());
      }
      return;
    }
    parser_.Feed(std::string_view(read_buf_.data(), n));
    Pump();
  }

  size_t Room() const {
    size_t buffered = body_.size() - body_pos_;
    return buffered >= kBodyBufferLimit ? 0 : kBodyBufferLimit - buffered;
  }

  // Runs the parser over the input, delivers the head, wakes the reader, reads more.
  void Pump() {
    if (closed_ && !parser_.done()) return;
    size_t before = body_.size() - body_pos_;
    Progress p = parser_.Parse(body_, Room());
    if (p == Progress::kHead) {
      DeliverHead();
      if (cancelled_ || closed_) return;  // cancelled, or the reader was dropped at once
      before = body_.size() - body_pos_;
      p = parser_.Parse(body_, Room());
    }
    if (p == Progress::kNeedInput && eof_) p = parser_.Eof();
    if (p == Progress::kFailed) {
      Fail(parser_.error_code(), "response from " + Target() + ": " + parser_.error_detail());
      return;
    }
    if (p == Progress::kDone && !body_end_) {
      body_end_ = true;
      // A finished request body whose last bytes are still in flight was read by the
      // server already (it answered); an unfinished one can go nowhere now.
      if (!req_finished_ && !writer_error_) {
        writer_error_ = "connection-terminated: the response ended before the request body";
        WakeWriter();
      }
      CloseSocket();
      WakeReader();
      return;
    }
    if (body_.size() - body_pos_ != before) WakeReader();
    blocked_ = p == Progress::kBlocked;
    need_input_ = p == Progress::kNeedInput;
    MaybeRead();
  }

  void DeliverHead() {
    head_delivered_ = true;
    Disarm(read_timer_, read_gen_);
    if (!on_response_) return;
    Callback cb = std::move(on_response_);
    on_response_ = nullptr;
    ClientResponse response;
    response.status = parser_.status();
    response.headers = parser_.TakeHeaders();
    response.body = MakeReader();
    cb(std::move(response), std::nullopt);
  }

  std::shared_ptr<BodyReader> MakeReader();

  asio::io_context& io_;
  std::shared_ptr<asio::ssl::context> tls_ctx_;
  Callback on_response_;
  std::string host_;
  uint16_t port_ = 0;
  bool https_ = false;
  std::chrono::nanoseconds connect_timeout_{};
  std::chrono::nanoseconds first_byte_timeout_{};
  std::chrono::nanoseconds between_bytes_timeout_{};

  tcp::resolver resolver_;
  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;  // after socket_: destroyed first
  asio::steady_timer conn_timer_, read_timer_, write_timer_;
  uint64_t conn_gen_ = 0, read_gen_ = 0, write_gen_ = 0;
  Phase phase_ = Phase::kIdle;
  bool closed_ = false;
  bool cancelled_ = false;

  // Request side.
  std::string head_;  // request head without framing lines, until the framing is decided
  bool empty_body_needs_length_ = false;
  Framing framing_ = Framing::kUndecided;
  uint64_t declared_ = 0;
  uint64_t written_ = 0;
  bool req_finished_ = false;
  bool request_sent_ = false;
  bool writing_ = false;
  std::string out_pending_, out_inflight_;
  std::optional<std::string> writer_error_;
  std::function<void()> writer_wake_;

  // Response side.
  std::array<char, kReadChunk> read_buf_;
  bool reading_ = false;
  bool need_input_ = false;
  bool blocked_ = false;
  bool eof_ = false;
  ResponseParser parser_;
  bool head_delivered_ = false;
  std::vector<uint8_t> body_;
  size_t body_pos_ = 0;
  bool body_end_ = false;
  std::optional<std::string> body_error_;
  std::function<void()> reader_wake_;
};

class ReaderImpl final : public BodyReader {
 public:
  explicit ReaderImpl(std::shared_ptr<Conn> conn) : conn_(std::move(conn)) {}
  ~ReaderImpl() override { conn_->ReaderDropped(); }
  BodyStatus Read(size_t max, std::vector<uint8_t>& out) override {
    return conn_->ReaderRead(max, out);
  }
  void Wait(std::function<void()> wake) override { conn_->ReaderWait(std::move(wake)); }
  Headers Trailers() override { return conn_->ReaderTrailers(); }
  std::optional<uint64_t> content_length() const override { return conn_->content_length(); }

 private:
  std::shared_ptr<Conn> conn_;
};

std::shared_ptr<BodyReader> Conn::MakeReader() {
  return std::make_shared<ReaderImpl>(shared_from_this());
}

class WriterImpl final : public BodyWriter {
 public:
  explicit WriterImpl(std::shared_ptr<Conn> conn) : conn_(std::move(conn)) {}
  ~WriterImpl() override { conn_->WriterDropped(); }
  size_t Capacity() override { return conn_->WriterCapacity(); }
  BodyStatus Write(std::span<const uint8_t> bytes) override { return conn_->WriterWrite(bytes); }
  void Wait(std::function<void()> wake) override { conn_->WriterWait(std::move(wake)); }
  BodyStatus Finish(Headers trailers) override { return conn_->WriterFinish(std::move(trailers)); }
  void Abort(std::string reason) override { conn_->WriterAbort(reason); }
  bool failed() const override { return conn_->WriterFailed(); }

 private:
  std::shared_ptr<Conn> conn_;
};

class PendingImpl final : public Client::Pending {
 public:
  explicit PendingImpl(std::shared_ptr<Conn> conn)
      : conn_(conn), writer_(std::make_shared<WriterImpl>(std::move(conn))) {}
  std::shared_ptr<BodyWriter> body() override { return writer_; }
  void Cancel() override { conn_->Cancel(); }

 private:
  std::shared_ptr<Conn> conn_;
  std::shared_ptr<WriterImpl> writer_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Client

namespace {

// A client TLS context verifying peers against the system trust store.
Expected<std::shared_ptr<asio::ssl::context>> NewTlsContext() {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  error_code ec;
  ctx->set_default_verify_paths(ec);
  if (ec) {
    return Error::Make(ErrorCode::kIo, "cannot load the system trust store: " + ec.message());
  }
  ctx->set_verify_mode(asio::ssl::verify_peer, ec);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  return ctx;
}

// Loading the system trust store takes tens of milliseconds, and `weft serve` may make a
// Client per guest instance, so every Client without extra CAs shares one context, made once
// per process. OpenSSL allows SSL objects on many threads to share a context that is no
// longer modified.
Expected<std::shared_ptr<asio::ssl::context>> SharedTlsContext() {
  struct Shared {
    std::shared_ptr<asio::ssl::context> ctx;
    Error error;
  };
  static const Shared shared = [] {
    auto made = NewTlsContext();
    if (!made) return Shared{nullptr, made.take_error()};
    return Shared{std::move(*made), Error()};
  }();
  if (shared.ctx) return shared.ctx;
  return shared.error;
}

}  // namespace

struct Client::Impl {
  asio::io_context& io;
  OutboundPolicy policy;
  std::shared_ptr<asio::ssl::context> own_tls;  // only with TrustCertificate's extra CAs

  Expected<std::shared_ptr<asio::ssl::context>> Tls() {
    if (own_tls) return own_tls;
    return SharedTlsContext();
  }
};

Client::Client(asio::io_context& io, OutboundPolicy policy)
    : impl_(std::make_unique<Impl>(Impl{io, std::move(policy), nullptr})) {}

Client::~Client() = default;

Error Client::PreloadTrustStore() {
  auto shared = SharedTlsContext();
  return shared ? Error::Ok() : shared.take_error();
}

Error Client::TrustCertificate(std::string_view pem) {
  if (!impl_->own_tls) {
    auto ctx = NewTlsContext();
    if (!ctx) return ctx.error();
    impl_->own_tls = std::move(*ctx);
  }
  error_code ec;
  impl_->own_tls->add_certificate_authority(asio::buffer(pem.data(), pem.size()), ec);
  if (ec) return Error::Make(ErrorCode::kArgument, "bad CA certificate: " + ec.message());
  return Error::Ok();
}

std::shared_ptr<Client::Pending> Client::Send(ClientRequest request, Callback on_response) {
  auto conn = std::make_shared<Conn>(impl_->io, nullptr, std::move(on_response));
  auto pending = std::make_shared<PendingImpl>(conn);
  auto fail = [&](const char* code, std::string detail) {
    conn->Fail(code, detail);
    return pending;
  };

  std::string scheme = ToLower(request.scheme);
  if (scheme != "http" && scheme != "https") {
    return fail("HTTP-protocol-error", "unsupported scheme '" + request.scheme + "'");
  }
  request.scheme = scheme;
  std::string host;
  std::optional<uint16_t> port;
  if (!SplitHostPort(request.authority, host, port, /*allow_bare_ipv6=*/false) ||
      !IsFieldValue(request.authority) ||
      request.authority.find_first_of(" /?#@") != std::string::npos) {
    return fail("HTTP-request-URI-invalid", "invalid authority '" + request.authority + "'");
  }
  uint16_t effective_port = port ? *port : (scheme == "https" ? 443 : 80);
  if (!IsToken(request.method)) {
    return fail("HTTP-request-method-invalid", "invalid method '" + request.method + "'");
  }
  std::string target = request.path_with_query.empty() ? "/" : request.path_with_query;
  bool target_ok =
      (target[0] == '/' || target == "*") && std::all_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
      });
  if (!target_ok) {
    return fail("HTTP-request-URI-invalid", "invalid path '" + request.path_with_query + "'");
  }

  std::string head = request.method + " " + target + " HTTP/1.1\r\n";
  bool has_host = false;
  std::optional<uint64_t> declared;
  std::string fields;
  for (const auto& [raw_name, value] : request.headers) {
    std::string name = ToLower(raw_name);
    if (!IsToken(name) || !IsFieldValue(value)) {
      return fail("HTTP-protocol-error", "invalid request header '" + raw_name + "'");
    }
    if (IsHopByHop(name)) continue;
    if (name == "host") has_host = true;
    if (name == "content-length") {
      auto v = ParseDecimal(TrimOws(value));
      if (!v || (declared && *declared != *v)) {
        return fail("HTTP-protocol-error", "invalid content-length '" + value + "'");
      }
      if (declared) continue;  // send one copy
      declared = v;
    }
    fields += name + ": " + value + "\r\n";
  }
  if (!has_host) head += "host: " + request.authority + "\r\n";
  head += fields;
  head += "connection: close\r\n";

  if (!impl_->policy.Allows(host, effective_port)) {
    return fail("HTTP-request-denied",
                "outbound requests to " + request.authority + " are not allowed");
  }
  if (scheme == "https") {
    auto tls = impl_->Tls();
    if (!tls) return fail("internal-error", tls.error().message());
    conn->SetTls(std::move(*tls));
  }
  // A body-less POST/PUT/PATCH still says content-length: 0 (RFC 9110 8.6).
  bool needs_length =
      request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
  conn->Prepare(request, std::move(host), effective_port, std::move(head), declared, needs_length);
  conn->Start();
  return pending;
}

}  // namespace weft::http
