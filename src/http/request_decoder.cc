// RequestDecoder: a raw scan of the head (bare LF, bare CR, obs-fold, size) before Beast's
// basic_parser sees it, then Beast for the grammar, then our framing rules in its callbacks
// (Content-Length, Transfer-Encoding, Host, Expect). Beast accepts things we must refuse
// (obs-fold, "Transfer-Encoding: gzip" silently meaning "no body", several equal
// Content-Length values); each of those is refused here. See docs/http-server.md.
#include "http/request_decoder.h"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstring>
#include <limits>
#include <optional>

namespace weft::http {
namespace {

namespace bhttp = boost::beast::http;
using boost::beast::string_view;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string Lower(string_view s) {
  std::string out(s.data(), s.size());
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 9110 5.6.1 trims OWS; Beast already trimmed both ends of field values.
bool ParseDecimal(std::string_view s, uint64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t r = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (r > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    r = r * 10 + d;
  }
  *v = r;
  return true;
}

// uri-host / port characters (RFC 3986): unreserved, pct-encoded, sub-delims, ":" and the
// brackets of an IP literal. Anything else in Host is an invalid field value (RFC 9112 3.2).
bool ValidHost(std::string_view h) {
  for (char c : h) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (c == '\0' || std::strchr("-._~%!$&'()*+,;=:[]", c) == nullptr)) return false;
  }
  return true;
}

}  // namespace

// Beast's parser cannot be reset, so a fresh one is emplaced per message (no allocation:
// the optional lives in this holder, made once per decoder).
struct RequestDecoder::Parser {
  class Impl final : public bhttp::basic_parser<true> {
   public:
    explicit Impl(RequestDecoder* d) : d_(d) {}

   private:
    void on_request_impl(bhttp::verb, string_view method, string_view target, int version,
                         boost::system::error_code& ec) override {
      RequestHead& h = d_->head_;
      h.method.assign(method.data(), method.size());
      h.target.assign(target.data(), target.size());
      h.version = static_cast<unsigned>(version);
      (void)ec;
    }
    void on_response_impl(int, string_view, int, boost::system::error_code& ec) override {
      ec = bhttp::error::bad_version;
    }
    void on_field_impl(bhttp::field f, string_view name, string_view value,
                       boost::system::error_code& ec) override {
      if (d_->head_done_) {
        // Trailers never carry framing; refuse the ones that would (RFC 9110 6.5.1).
        if (f == bhttp::field::content_length || f == bhttp::field::transfer_encoding ||
            f == bhttp::field::host) {
          Refuse(ec, 400, "trailer field '" + std::string(name) + "' is not allowed");
          return;
        }
        d_->trailers_.emplace_back(Lower(name), std::string(value.data(), value.size()));
        return;
      }
      RequestHead& h = d_->head_;
      std::string_view v(value.data(), value.size());
      switch (f) {
        case bhttp::field::content_length: {
          if (h.content_length) {
            Refuse(ec, 400, "several Content-Length fields");
            return;
          }
          uint64_t n = 0;
          if (!ParseDecimal(v, &n)) {
            Refuse(ec, 400, "invalid Content-Length '" + std::string(v) + "'");
            return;
          }
          h.content_length = n;
          break;
        }
        case bhttp::field::transfer_encoding:
          if (d_->seen_te_) {
            Refuse(ec, 400, "several Transfer-Encoding fields");
            return;
          }
          d_->seen_te_ = true;
          if (!IEquals(v, "chunked")) {
            Refuse(ec, 400,
                   "unsupported Transfer-Encoding '" + std::string(v) +
                       "' (only a single 'chunked' is accepted)");
            return;
          }
          h.chunked = true;
          break;
        case bhttp::field::host:
          if (d_->seen_host_) {
            Refuse(ec, 400, "several Host fields");
            return;
          }
          d_->seen_host_ = true;
          if (!ValidHost(v)) {
            Refuse(ec, 400, "invalid Host '" + std::string(v) + "'");
            return;
          }
          h.authority.assign(v);
          break;
        case bhttp::field::expect:
          if (IEquals(v, "100-continue")) h.expect_continue = true;
          break;
        default:
          break;
      }
      h.headers.emplace_back(Lower(name), std::string(v));
    }
    void on_header_impl(boost::system::error_code& ec) override {
      RequestHead& h = d_->head_;
      if (h.content_length && d_->seen_te_) {
        return Refuse(ec, 400, "both Content-Length and Transfer-Encoding");
      }
      if (h.version == 10 && d_->seen_te_) {
        return Refuse(ec, 400, "Transfer-Encoding in an HTTP/1.0 request");
      }
      if (h.version == 11 && !d_->seen_host_) {
        return Refuse(ec, 400, "missing Host field in an HTTP/1.1 request");
      }
      if (h.content_length && *h.content_length > d_->max_body_bytes_) {
        return Refuse(ec, 413,
                      "Content-Length " + std::to_string(*h.content_length) +
                          " exceeds the limit of " + std::to_string(d_->max_body_bytes_) +
                          " bytes");
      }
      if (h.version == 10) h.expect_continue = false;  // RFC 9110 10.1.1
      h.keep_alive = keep_alive();
      // Target forms (RFC 9112 3.2): origin, absolute (its authority replaces Host), and
      // asterisk for OPTIONS. Authority-form is CONNECT's, which a server does not proxy.
      std::string& t = h.target;
      if (!t.empty() && t[0] == '/') return;
      if (t == "*" && h.method == "OPTIONS") return;
      size_t scheme_end = t.find("://");
      if (scheme_end != std::string::npos &&
          (IEquals(std::string_view(t).substr(0, scheme_end), "http") ||
           IEquals(std::string_view(t).substr(0, scheme_end), "https"))) {
        size_t auth_start = scheme_end + 3;
        size_t path_start = t.find_first_of("/?", auth_start);
        std::string authority =
            t.substr(auth_start,
                     path_start == std::string::npos ? std::string::npos : path_start - auth_start);
        if (!ValidHost(authority) || authority.empty()) {
          return Refuse(ec, 400, "invalid authority in request target '" + t + "'");
        }
        std::string path = path_start == std::string::npos ? "/" : t.substr(path_start);
        if (path[0] == '?') path.insert(path.begin(), '/');
        h.authority = std::move(authority);
        t = std::move(path);
        return;
      }
      return Refuse(ec, 400, "request target '" + t + "' is not in origin form");
    }
    void on_body_init_impl(const boost::optional<std::uint64_t>&,
                           boost::system::error_code&) override {}
    size_t on_body_impl(string_view body, boost::system::error_code& ec) override {
      return Take(body, ec);
    }
    void on_chunk_header_impl(std::uint64_t size, string_view,
                              boost::system::error_code& ec) override {
      uint64_t limit = d_->max_body_bytes_;
      if (size > limit || d_->chunk_total_ > limit - size) {
        return Refuse(ec, 413,
                      "chunked body exceeds the limit of " + std::to_string(limit) + " bytes");
      }
      d_->chunk_total_ += size;
    }
    size_t on_chunk_body_impl(std::uint64_t, string_view body,
                              boost::system::error_code& ec) override {
      return Take(body, ec);
    }
    void on_finish_impl(boost::system::error_code&) override { d_->body_done_ = true; }

    size_t Take(string_view body, boost::system::error_code& ec) {
      size_t n = body.size();
      if (n > d_->room_) {
        n = d_->room_;
        ec = bhttp::error::need_buffer;
      }
      if (d_->out_ != nullptr) d_->out_->append(body.data(), n);
      d_->room_ -= n;
      d_->body_bytes_ += n;
      return n;
    }
    void Refuse(boost::system::error_code& ec, uint16_t status, std::string message) {
      d_->error_.status = status;
      d_->error_.message = std::move(message);
      d_->failed_ = true;
      ec = bhttp::error::bad_value;
    }

    RequestDecoder* d_;
  };
  std::optional<Impl> impl;
};

RequestDecoder::RequestDecoder(uint32_t max_header_bytes, uint64_t max_body_bytes)
    : max_header_bytes_(max_header_bytes),
      max_body_bytes_(max_body_bytes),
      parser_(std::make_unique<Parser>()) {
  Reset();
}

RequestDecoder::~RequestDecoder() = default;

void RequestDecoder::Reset() {
  head_.method.clear();
  head_.target.clear();
  head_.authority.clear();
  head_.version = 11;
  head_.headers.clear();
  head_.content_length.reset();
  head_.chunked = false;
  head_.keep_alive = true;
  head_.expect_continue = false;
  trailers_.clear();
  error_ = {};
  skip_ = scan_pos_ = line_start_ = 0;
  head_done_ = body_done_ = seen_host_ = seen_te_ = failed_ = false;
  body_bytes_ = chunk_total_ = 0;
  out_ = nullptr;
  room_ = 0;
  parser_->impl.emplace(this);
  // Ours (max_body_bytes_) is checked in the callbacks. Not boost::none: Beast compares
  // "len > body_limit_" and an empty optional compares below every length.
  parser_->impl->body_limit(std::numeric_limits<uint64_t>::max());
}

RequestDecoder::Status RequestDecoder::Fail(uint16_t status, std::string message) {
  failed_ = true;
  error_.status = status;
  error_.message = std::move(message);
  return Status::kError;
}

// Finds the end of the head (the blank line) while refusing what Beast would let through.
RequestDecoder::Status RequestDecoder::Scan(std::string_view in, size_t* head_end) {
  // RFC 9112 2.2: ignore at least one empty line before the request line (8 here). Until a
  // byte of the request line is seen, each call may find more of them.
  if (scan_pos_ == skip_) {
    while (skip_ < 16 && in.size() >= skip_ + 2 && in[skip_] == '\r' && in[skip_ + 1] == '\n') {
      skip_ += 2;
    }
    if (in.size() == skip_ + 1 && in[skip_] == '\r') {
      scan_pos_ = line_start_ = skip_;
      return Status::kNeedMore;
    }
    scan_pos_ = line_start_ = skip_;
  }
  for (size_t i = scan_pos_; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\n') {
      if (i == 0 || in[i - 1] != '\r') {
        return Fail(400, "bare LF in the request head at byte " + std::to_string(i));
      }
      if (i - line_start_ == 1) {
        if (line_start_ == skip_) return Fail(400, "empty request line");
        *head_end = i + 1;
        return Status::kDone;
      }
      if (i + 1 == in.size()) {  // the next line's first byte decides obs-fold
        scan_pos_ = i;
        return Status::kNeedMore;
      }
      if (in[i + 1] == ' ' || in[i + 1] == '\t') {
        return Fail(400,
                    "obsolete line folding in the request head at byte " + std::to_string(i + 1));
      }
      line_start_ = i + 1;
    } else if (c == '\r') {
      if (i + 1 < in.size() && in[i + 1] != '\n') {
        return Fail(400, "bare CR in the request head at byte " + std::to_string(i));
      }
    } else if (c == '\0') {
      return Fail(400, "NUL in the request head at byte " + std::to_string(i));
    }
    if (i - skip_ >= max_header_bytes_) {
      return Fail(431, "request head exceeds " + std::to_string(max_header_bytes_) + " bytes");
    }
  }
  scan_pos_ = in.size();
  return Status::kNeedMore;
}

RequestDecoder::Status RequestDecoder::ParseHead(std::string_view in, size_t* consumed) {
  *consumed = 0;
  if (failed_) return Status::kError;
  size_t head_end = 0;
  Status s = Scan(in, &head_end);
  if (s != Status::kDone) return s;
  size_t len = head_end - skip_;
  if (len > max_header_bytes_) {
    return Fail(431, "request head exceeds " + std::to_string(max_header_bytes_) + " bytes");
  }
  Parser::Impl& p = *parser_->impl;
  p.header_limit(static_cast<uint32_t>(len + 1));
  boost::system::error_code ec;
  size_t used = p.put(boost::asio::const_buffer(in.data() + skip_, len), ec);
  if (failed_) return Status::kError;
  if (ec == bhttp::error::header_limit) {
    return Fail(431, "request head exceeds " + std::to_string(max_header_bytes_) + " bytes");
  }
  if (ec || !p.is_header_done() || used != len) {
    return Fail(400, "malformed request head: " + (ec ? ec.message() : std::string("incomplete")));
  }
  head_done_ = true;
  body_done_ = !head_.has_body();
  p.eager(true);
  *consumed = head_end;
  return Status::kDone;
}

RequestDecoder::Status RequestDecoder::ParseBody(std::string_view in, size_t* consumed,
                                                 std::string* out, size_t room) {
  *consumed = 0;
  if (failed_ || !head_done_) return Status::kError;
  if (body_done_) return Status::kDone;
  if (in.empty() || (room == 0 && out != nullptr)) return Status::kNeedMore;
  out_ = out;
  room_ = out == nullptr ? std::numeric_limits<size_t>::max() : room;
  Parser::Impl& p = *parser_->impl;
  boost::system::error_code ec;
  *consumed = p.put(boost::asio::const_buffer(in.data(), in.size()), ec);
  out_ = nullptr;
  if (failed_) return Status::kError;
  if (ec && ec != bhttp::error::need_more && ec != bhttp::error::need_buffer) {
    return Fail(400, "malformed request body: " + ec.message() + " (after " +
                         std::to_string(body_bytes_) + " body bytes)");
  }
  if (p.is_done()) body_done_ = true;
  return body_done_ ? Status::kDone : Status::kNeedMore;
}

std::string_view ReasonPhrase(uint16_t status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

}  // namespace weft::http
