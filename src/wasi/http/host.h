// The host objects behind the wasi:http/types resources, independent of the linker glue so
// unit tests can drive them directly: fields (validation, forbidden names, immutability,
// size limit), the error-code variant (HttpErrorCode, also carried in wasi:io error strings),
// and the body adapters — an incoming body read through wasi:io streams from an
// http::BodyReader, an outgoing body written through wasi:io streams onto an
// http::BodyWriter with bounded buffering (backpressure), finished with trailers or aborted.
// Invariants: header names are stored lowercase; an immutable Fields never changes (it may
// share its list with other immutable views); reader wakers hold weak references to body
// states, while an outgoing body with bytes still buffered is held by its writer's wake
// callback until they are delivered (the guest may have finished and returned already).
// Not thread-safe: everything runs on the store's event-loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "wasi/p2/io.h"
#include "weft/component.h"

namespace weft::wasi::http {

using ::weft::http::BodyReader;
using ::weft::http::BodyStatus;
using ::weft::http::BodyWriter;
using ::weft::http::Headers;

// ---------------------------------------------------------------------------------------------
// error-code

/// The cases of wasi:http/types.error-code, in WIT order (the variant's case indices).
enum class HttpErrorCase : uint32_t {
  kDnsTimeout,
  kDnsError,  // (DNS-error-payload)
  kDestinationNotFound,
  kDestinationUnavailable,
  kDestinationIpProhibited,
  kDestinationIpUnroutable,
  kConnectionRefused,
  kConnectionTerminated,
  kConnectionTimeout,
  kConnectionReadTimeout,
  kConnectionWriteTimeout,
  kConnectionLimitReached,
  kTlsProtocolError,
  kTlsCertificateError,
  kTlsAlertReceived,  // (TLS-alert-received-payload)
  kHttpRequestDenied,
  kHttpRequestLengthRequired,
  kHttpRequestBodySize,  // (option<u64>)
  kHttpRequestMethodInvalid,
  kHttpRequestUriInvalid,
  kHttpRequestUriTooLong,
  kHttpRequestHeaderSectionSize,   // (option<u32>)
  kHttpRequestHeaderSize,          // (option<field-size-payload>)
  kHttpRequestTrailerSectionSize,  // (option<u32>)
  kHttpRequestTrailerSize,         // (field-size-payload)
  kHttpResponseIncomplete,
  kHttpResponseHeaderSectionSize,   // (option<u32>)
  kHttpResponseHeaderSize,          // (field-size-payload)
  kHttpResponseBodySize,            // (option<u64>)
  kHttpResponseTrailerSectionSize,  // (option<u32>)
  kHttpResponseTrailerSize,         // (field-size-payload)
  kHttpResponseTransferCoding,      // (option<string>)
  kHttpResponseContentCoding,       // (option<string>)
  kHttpResponseTimeout,
  kHttpUpgradeFailed,
  kHttpProtocolError,
  kLoopDetected,
  kConfigurationError,
  kInternalError,  // (option<string>)
};
inline constexpr uint32_t kHttpErrorCaseCount = 39;

/// The WIT label of a case ("DNS-timeout", "HTTP-request-denied").
const char* HttpErrorLabel(HttpErrorCase c);

/// A value of wasi:http/types.error-code: the case and, for cases with one, its payload as a
/// component value of the case's type (absent: the payload's "empty" value — none for
/// options, a record of nones for the payload records).
struct HttpErrorCode {
  HttpErrorCase which = HttpErrorCase::kInternalError;
  std::optional<component::Val> payload;

  static HttpErrorCode Of(HttpErrorCase c) { return HttpErrorCode{c, std::nullopt}; }
  /// internal-error(some(message)) (or none when empty).
  static HttpErrorCode Internal(std::string message);
  /// HTTP-request-body-size(some(n)) / HTTP-response-body-size(some(n)).
  static HttpErrorCode BodySize(bool request, uint64_t n);
  /// The case named `label` with an empty payload; nullopt for an unknown label.
  static std::optional<HttpErrorCode> FromLabel(std::string_view label);
  /// WAVE text of the value: `connection-refused`, `internal-error(some("x"))`,
  /// `HTTP-response-body-size(some(5))`. Stream failures carry it at the start of their wasi:io
  /// error's debug string, which is how http-error-code recovers it.
  std::string ToString() const;
  /// Parses ToString()'s form at the start of `text` (up to the first ": " if the whole
  /// text does not parse); nullopt if it is not an error-code.
  static std::optional<HttpErrorCode> Parse(std::string_view text);
  /// The payload, filled in when absent (what ToVal sends); a default Val for cases
  /// without one.
  component::Val PayloadVal() const;
};

/// The component type of error-code (a static variant node).
component::TypeRef HttpErrorCodeType();

/// The error-code for a failed body (BodyStatus message): the message parsed as an
/// error-code if it starts with one (ToString's form, or http::Client's "<case label>:
/// detail" with an empty payload), else internal-error(message).
HttpErrorCode ErrorFromBodyFailure(const std::string& message);

/// The wasi:io stream failure for an error-code: its text, then ": detail" if any.
p2::StreamStatus StreamFailure(const HttpErrorCode& code, const std::string& detail = {});

// ---------------------------------------------------------------------------------------------
// fields

/// wasi:http/types.header-error (variant cases in WIT order).
enum class HeaderError : uint8_t { kInvalidSyntax, kForbidden, kImmutable };

/// Outcome of a fields mutation: ok, a header-error, or over the size limit (a trap, as in
/// wasmtime).
struct FieldsStatus {
  enum Kind : uint8_t { kOk, kHeaderError, kTooBig } kind = kOk;
  HeaderError error = HeaderError::kInvalidSyntax;
  static FieldsStatus Ok() { return {}; }
  static FieldsStatus Err(HeaderError e) { return {kHeaderError, e}; }
  static FieldsStatus TooBig() { return {kTooBig, HeaderError::kInvalidSyntax}; }
};

/// True for a valid field name (an RFC 9110 token of at most 65535 bytes), any case.
bool ValidFieldName(std::string_view name);
/// True for a valid field value: no control bytes except tab (0x00-0x08, 0x0a-0x1f, 0x7f).
/// A content-length value must also be 1*DIGIT.
bool ValidFieldValue(std::string_view lowercase_name, std::string_view value);
/// wasmtime's DEFAULT_FORBIDDEN_HEADERS: connection, keep-alive, proxy-authenticate,
/// proxy-authorization, proxy-connection, transfer-encoding, upgrade, host, http2-settings.
bool ForbiddenFieldName(std::string_view lowercase_name);
/// `headers` without the forbidden names (what a guest may see of a peer's fields).
Headers WithoutForbidden(const Headers& headers);
/// The content-length of `headers`: nullopt if absent, false in `ok` if present but not
/// 1*DIGIT (or several values that differ).
std::optional<uint64_t> ContentLength(const Headers& headers, bool& ok);

/// A wasi:http fields resource.
class Fields {
 public:
  /// Default limit on the bytes a mutable fields may hold (names and values plus a per-entry
  /// overhead, as wasmtime counts): 128 KiB.
  static constexpr size_t kDefaultSizeLimit = 128 * 1024;

  /// An empty mutable fields.
  Fields() : list_(std::make_shared<Headers>()) {}
  /// An immutable view of `list` (shared, never modified).
  static Fields Immutable(std::shared_ptr<const Headers> list);

  bool immutable() const { return immutable_; }
  /// Values of `name` (any case) in order; empty for an invalid or absent name.
  std::vector<std::vector<uint8_t>> Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  /// wasmtime's check order: name syntax, forbidden, mutability, values, size.
  FieldsStatus Set(std::string_view name, const std::vector<std::vector<uint8_t>>& values);
  FieldsStatus Delete(std::string_view name);
  /// Name syntax, forbidden, value syntax, mutability, size.
  FieldsStatus Append(std::string_view name, std::span<const uint8_t> value);
  const Headers& entries() const { return *list_; }
  /// A mutable deep copy.
  Fields Clone() const;
  /// The list, frozen: this fields becomes immutable and shares it.
  std::shared_ptr<const Headers> Freeze();
  size_t size() const { return size_; }
  void set_size_limit(size_t limit) { limit_ = limit; }

 private:
  std::shared_ptr<Headers> list_;  // not shared while mutable
  bool immutable_ = false;
  size_t size_ = 0;
  size_t limit_ = kDefaultSizeLimit;
};

// ---------------------------------------------------------------------------------------------
// Bodies

/// Fans one body's single wake slot (BodyReader/BodyWriter::Wait keeps only the newest
/// callback) out to every waiter: a guest may poll a stream and a future on the same body.
class Waiters {
 public:
  void Add(std::function<void()> wake) { waiters_.push_back(std::move(wake)); }
  void WakeAll();
  bool empty() const { return waiters_.empty(); }

 private:
  std::vector<std::function<void()>> waiters_;
};

/// An incoming body (server request body, client response body) read by the guest as a
/// wasi:io input-stream, then its trailers through a future-trailers.
class IncomingBodyState : public std::enable_shared_from_this<IncomingBodyState> {
 public:
  explicit IncomingBodyState(std::shared_ptr<BodyReader> reader) : reader_(std::move(reader)) {}
  /// Non-blocking read of up to `max` bytes. Closed once every byte was read; Failed with
  /// the error-code text when the body broke.
  p2::StreamStatus Read(uint64_t max, std::vector<uint8_t>& out);
  /// True when Read would return bytes, closed or failed.
  bool ReadReady();
  /// Discards what has arrived; true once the body has ended or failed (future-trailers).
  bool DrainReady();
  /// Calls `wake` once when the reader may make progress.
  void Wait(std::function<void()> wake);
  bool ended() const { return phase_ == kEnded; }
  bool failed() const { return phase_ == kFailed; }
  const Headers& trailers() const { return trailers_; }
  const std::string& failure() const { return failure_; }
  /// The input-stream handed out for this body is alive (finish then traps, as the WIT says).
  bool stream_alive = false;
  /// Whatever must live as long as the body (the client's request in flight).
  std::shared_ptr<void> keepalive;

 private:
  void Fill();  // one Read into buf_ when it is empty and the body is open
  void Absorb(BodyStatus st);
  std::shared_ptr<BodyReader> reader_;
  enum Phase : uint8_t { kOpen, kEnded, kFailed } phase_ = kOpen;
  std::vector<uint8_t> buf_;
  size_t buf_head_ = 0;
  Headers trailers_;
  std::string failure_;
  Waiters waiters_;
};

/// An outgoing body (server response body, client request body) written by the guest as a
/// wasi:io output-stream. Bytes go straight to the attached BodyWriter while it has
/// capacity, the rest waits in a bounded buffer (64 KiB; 1 MiB before a writer is attached,
/// i.e. before response-outparam.set or outgoing-handler.handle), which the state pumps on
/// the writer's wakes, also after the guest finished. check-write permits what the buffer
/// has room for, so a slow peer holds the guest back.
class OutgoingBodyState : public std::enable_shared_from_this<OutgoingBodyState> {
 public:
  static constexpr size_t kMaxPending = 64 * 1024;
  static constexpr size_t kMaxPendingUnattached = 1024 * 1024;

  /// `request`: a client request body (error-codes say HTTP-request-…); `expected`: the
  /// declared content-length.
  OutgoingBodyState(bool request, std::optional<uint64_t> expected)
      : request_(request), expected_(expected) {}

  // The output-stream side.
  p2::StreamStatus CheckWrite(uint64_t& permitted);
  p2::StreamStatus Write(std::span<const uint8_t> bytes);
  p2::StreamStatus Flush();
  bool WriteReady();
  void Wait(std::function<void()> wake);

  /// outgoing-body.finish: fails (and aborts the body) if the bytes written differ from the
  /// declared content-length; otherwise the body ends, with `trailers`, once the buffer is
  /// delivered.
  std::optional<HttpErrorCode> Finish(Headers trailers);
  /// Ends the body abnormally (dropped unfinished): the peer sees a broken message.
  void Abort(std::string reason);
  /// Connects the body to its peer; buffered bytes start flowing, an earlier finish or abort
  /// is carried out.
  void Attach(std::shared_ptr<BodyWriter> writer);

  bool attached() const { return writer_ != nullptr; }
  bool finished() const { return phase_ == kFinishing || phase_ == kDone; }
  bool aborted() const { return phase_ == kAborted; }
  /// The writer's Finish was called (everything delivered).
  bool done() const { return phase_ == kDone; }
  uint64_t written() const { return written_; }
  size_t pending() const { return pending_.size() - pending_head_; }
  /// The output-stream handed out for this body is alive.
  bool stream_alive = false;

 private:
  void Pump();
  void Fail(std::string message);
  std::shared_ptr<BodyWriter> writer_;
  bool request_;
  std::optional<uint64_t> expected_;
  uint64_t written_ = 0;
  enum Phase : uint8_t { kOpen, kFinishing, kDone, kAborted } phase_ = kOpen;
  bool closed_ = false;        // the peer is gone: writes report closed
  bool stream_failed_ = false;  // a write broke the content-length: writes fail
  std::string failure_;
  std::vector<uint8_t> pending_;
  size_t pending_head_ = 0;
  Headers trailers_;
  std::string abort_reason_;
  bool writer_waiting_ = false;
  Waiters waiters_;
};

/// wasi:io adapters over the body states (what the input-stream / output-stream resources
/// hold). Their destructors clear the body's stream_alive.
std::shared_ptr<p2::InputStream> NewBodyInputStream(std::shared_ptr<IncomingBodyState> body);
std::shared_ptr<p2::OutputStream> NewBodyOutputStream(std::shared_ptr<OutgoingBodyState> body);
/// Ready once the body has ended or failed (future-trailers.subscribe).
std::shared_ptr<p2::Pollable> NewTrailersPollable(std::shared_ptr<IncomingBodyState> body);

}  // namespace weft::wasi::http
