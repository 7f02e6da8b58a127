// Host-side HTTP messages, shared by the server (server.h), the outbound client
// (client/client.h) and the wasi:http host (wasi/http/wasi_http.h). Bodies are non-blocking
// objects: Read/Write never block, and a caller with nothing to do registers a one-shot
// wake callback (Wait), which runs later on the loop thread that owns the body. This is the
// shape of wasi:io streams and pollables, so the wasi:http host maps them one to one.
// Not thread-safe: a message and its bodies live on one event loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace weft::http {

/// Header fields in order, duplicates kept. Names are lowercase (HTTP/1.1 names are
/// case-insensitive; wasi:http and HTTP/2 use lowercase); values are raw bytes.
using Headers = std::vector<std::pair<std::string, std::string>>;

/// Outcome of a body operation.
struct BodyStatus {
  enum Kind : uint8_t {
    kOk,      ///< Progress (possibly zero bytes: Wait for more).
    kEnd,     ///< The body is complete (reads: all bytes delivered; trailers available).
    kFailed,  ///< The peer went away, framing broke, a limit was hit, a timeout fired.
  } kind = kOk;
  std::string message;  ///< For kFailed: what happened ("connection reset by peer").
  static BodyStatus Ok() { return {}; }
  static BodyStatus End() { return {kEnd, {}}; }
  static BodyStatus Failed(std::string m) { return {kFailed, std::move(m)}; }
};

/// A body arriving from a peer (a request body at the server, a response body at the client).
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  /// Appends up to `max` bytes that have arrived to `out`. kOk with nothing appended: nothing
  /// yet, Wait. kEnd once every byte has been returned (then, and only then, Trailers()).
  virtual BodyStatus Read(size_t max, std::vector<uint8_t>& out) = 0;
  /// Arranges for `wake` to be called once, on the loop thread, when Read may make progress
  /// (data, end or failure). Spurious wakes are allowed; a new Wait replaces an older one.
  virtual void Wait(std::function<void()> wake) = 0;
  /// The trailer fields, once Read returned kEnd (empty if none were sent).
  virtual Headers Trailers() = 0;
  /// The declared length (Content-Length), if any.
  virtual std::optional<uint64_t> content_length() const = 0;
};

/// A body going to a peer (a response body at the server, a request body at the client).
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  /// Bytes Write accepts now without unbounded buffering; 0: Wait. kFailed when the peer is
  /// gone (then Capacity stays 0 and Write fails).
  virtual size_t Capacity() = 0;
  /// Queues `bytes` (at most Capacity()). Fails when the peer is gone or the bytes exceed a
  /// declared Content-Length.
  virtual BodyStatus Write(std::span<const uint8_t> bytes) = 0;
  /// Arranges for `wake` to be called once, on the loop thread, when Capacity() may be > 0
  /// or the writer failed. A new Wait replaces an older one.
  virtual void Wait(std::function<void()> wake) = 0;
  /// Ends the body, with trailers (sent only with chunked framing). Fails if fewer bytes
  /// than a declared Content-Length were written (the peer then sees a broken message).
  virtual BodyStatus Finish(Headers trailers) = 0;
  /// Ends the body abnormally: the peer sees a broken message (connection closed).
  virtual void Abort(std::string reason) = 0;
  /// True once the peer went away or the writer failed (no point producing more).
  virtual bool failed() const = 0;
};

/// An incoming request as the server hands it to its handler.
struct Request {
  uint64_t id = 0;            ///< Unique per server process, for logs ("request 42").
  std::string method;         ///< As sent ("GET", "PATCH", "X-CUSTOM").
  std::string scheme;         ///< "http" (or "https" behind TLS).
  std::string authority;      ///< The Host header ("example.com:8080"); may be empty.
  std::string path_with_query;  ///< The request target in origin form ("/a/b?x=1").
  Headers headers;            ///< In arrival order, names lowercase.
  std::shared_ptr<BodyReader> body;  ///< Never null; an empty body is at kEnd at once.
  std::string remote;         ///< The peer ("127.0.0.1:50312"), for logs.
};

/// Status line and headers of a response.
struct ResponseHead {
  uint16_t status = 200;
  Headers headers;  ///< Names lowercase. A content-length here fixes the body's framing.
};

/// The server's end of one response. The handler calls Start exactly once, or Fail.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  /// Sends (or queues, behind earlier pipelined responses) the status line and headers and
  /// returns the body writer. Framing: the head's content-length if present, else chunked;
  /// hop-by-hop headers from the handler (connection, transfer-encoding, keep-alive…) are
  /// dropped. For HEAD the body is discarded but its length still counted.
  virtual std::shared_ptr<BodyWriter> Start(ResponseHead head) = 0;
  /// Before Start: answers `status` with `message` as a text/plain body. After Start:
  /// aborts the response (the connection is closed; the client sees it truncated).
  virtual void Fail(uint16_t status, std::string message) = 0;
  virtual bool started() const = 0;
  /// Names the guest instance serving the request, for the access log line.
  virtual void SetInstanceId(uint64_t id) = 0;
};

/// Called on the connection's loop thread for every request (pipelined requests are handed
/// over one at a time, in order, as the previous response finishes).
using Handler = std::function<void(Request request, std::shared_ptr<ResponseSink> sink)>;

}  // namespace weft::http
