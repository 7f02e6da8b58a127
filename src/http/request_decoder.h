// Request framing for the HTTP/1.1 server without sockets: a request head and then its body
// are decoded from whatever bytes have arrived (Beast's parser underneath), and every framing
// rule that guards against request smuggling is enforced here, so the fuzzer (request_fuzz.cc)
// exercises exactly what the server runs. Invariant: after kError the decoder must be Reset
// before reuse and the connection closed; a decoder never reads past the message it decodes
// (pipelined bytes stay with the caller).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace weft::http {

/// A validated request head.
struct RequestHead {
  std::string method;
  std::string target;     ///< origin-form path with query ("*" for OPTIONS *).
  std::string authority;  ///< Host header (or the authority of an absolute-form target).
  unsigned version = 11;  ///< 10 or 11.
  Headers headers;        ///< Arrival order, names lowercase.
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;        ///< Per version and Connection header.
  bool expect_continue = false;  ///< HTTP/1.1 with "Expect: 100-continue".
  bool has_body() const { return chunked || (content_length && *content_length > 0); }
};

/// Why a request was refused: the status to answer (400, 413, 431) and a message naming the
/// problem and the byte offset in the head when there is one.
struct DecodeError {
  uint16_t status = 400;
  std::string message;
};

class RequestDecoder {
 public:
  enum class Status : uint8_t {
    kNeedMore,  ///< Consumed what it could; call again with more bytes (or more room).
    kDone,      ///< The head (ParseHead) or the body (ParseBody) is complete.
    kError,     ///< Refused: error() says why. The connection must be closed.
  };

  /// `max_header_bytes`: request line + fields + the blank line; `max_body_bytes`: body
  /// bytes (declared or, for chunked bodies, summed chunk sizes).
  RequestDecoder(uint32_t max_header_bytes, uint64_t max_body_bytes);
  ~RequestDecoder();
  RequestDecoder(const RequestDecoder&) = delete;
  RequestDecoder& operator=(const RequestDecoder&) = delete;

  /// Forgets the previous message; the next call is ParseHead.
  void Reset();

  /// Decodes a head from the bytes `in` (the same starting point on every call for one
  /// head: the caller appends and passes the whole unconsumed input again). On kDone,
  /// `*consumed` bytes belong to the head and head() is valid. Never consumes on kNeedMore.
  Status ParseHead(std::string_view in, size_t* consumed);

  /// After ParseHead's kDone: decodes body bytes from `in` (the input after what was already
  /// consumed), appending at most `room` body bytes to `*out` (nullptr: discard them).
  /// `*consumed` is the input used (framing included). kDone once the body (and trailers)
  /// ended; kNeedMore when `in` or `room` ran out.
  Status ParseBody(std::string_view in, size_t* consumed, std::string* out, size_t room);

  RequestHead& head() { return head_; }
  Headers& trailers() { return trailers_; }
  const DecodeError& error() const { return error_; }
  /// Body bytes decoded so far.
  uint64_t body_bytes() const { return body_bytes_; }
  bool body_done() const { return body_done_; }

 private:
  struct Parser;
  friend struct Parser;
  Status Fail(uint16_t status, std::string message);
  Status Scan(std::string_view in, size_t* head_end);

  uint32_t max_header_bytes_;
  uint64_t max_body_bytes_;
  RequestHead head_;
  Headers trailers_;
  DecodeError error_;
  size_t skip_ = 0;        // leading empty lines ignored before the request line
  size_t scan_pos_ = 0;    // where the raw scan resumes
  size_t line_start_ = 0;  // start of the line being scanned
  bool head_done_ = false;
  bool body_done_ = false;
  bool seen_host_ = false;
  bool seen_te_ = false;
  bool failed_ = false;
  uint64_t body_bytes_ = 0;
  uint64_t chunk_total_ = 0;
  // Set around Parser::put so its body callbacks know where bytes go.
  std::string* out_ = nullptr;
  size_t room_ = 0;
  std::unique_ptr<Parser> parser_;
};

/// The reason phrase of a status code ("Not Found"; "" when unknown).
std::string_view ReasonPhrase(uint16_t status);

}  // namespace weft::http
