// The wasi:http host objects (host.h): error-code values and text, fields validation, and the
// incoming/outgoing body states with their wasi:io adapters.
#include "wasi/http/host.h"

#include <algorithm>
#include <cctype>
#include <tuple>
#include <type_traits>

#include "http/client/client.h"

namespace weft::wasi::http {

using component::TypeKind;
using component::TypeRef;
using component::Val;

// ---------------------------------------------------------------------------------------------
// error-code

namespace {

// The case names are the client's (it reports failures by them); the variant's order is theirs.
const auto& kErrorLabels = ::weft::http::kErrorCodeNames;
static_assert(std::tuple_size_v<std::remove_cvref_t<decltype(::weft::http::kErrorCodeNames)>> ==
              kHttpErrorCaseCount);

TypeRef Option(TypeRef elem) {
  auto* n = component::NewStaticType(TypeKind::kOption);
  n->elem = elem;
  return n;
}

TypeRef Record(std::vector<component::NamedType> fields) {
  auto* n = component::NewStaticType(TypeKind::kRecord);
  n->fields = std::move(fields);
  return n;
}

TypeRef Prim(TypeKind k) { return component::PrimitiveType(k); }

struct PayloadTypes {
  TypeRef dns, tls, field_size, opt_field_size, opt_u64, opt_u32, opt_string;
};

const PayloadTypes& Payloads() {
  static const PayloadTypes p = [] {
    PayloadTypes t;
    t.opt_string = Option(Prim(TypeKind::kString));
    t.opt_u64 = Option(Prim(TypeKind::kU64));
    t.opt_u32 = Option(Prim(TypeKind::kU32));
    t.dns = Record({{"rcode", t.opt_string}, {"info-code", Option(Prim(TypeKind::kU16))}});
    t.tls = Record({{"alert-id", Option(Prim(TypeKind::kU8))}, {"alert-message", t.opt_string}});
    t.field_size = Record({{"field-name", t.opt_string}, {"field-size", t.opt_u32}});
    t.opt_field_size = Option(t.field_size);
    return t;
  }();
  return p;
}

TypeRef PayloadType(HttpErrorCase c) {
  const PayloadTypes& p = Payloads();
  switch (c) {
    case HttpErrorCase::kDnsError:
      return p.dns;
    case HttpErrorCase::kTlsAlertReceived:
      return p.tls;
    case HttpErrorCase::kHttpRequestBodySize:
    case HttpErrorCase::kHttpResponseBodySize:
      return p.opt_u64;
    case HttpErrorCase::kHttpRequestHeaderSectionSize:
    case HttpErrorCase::kHttpRequestTrailerSectionSize:
    case HttpErrorCase::kHttpResponseHeaderSectionSize:
    case HttpErrorCase::kHttpResponseTrailerSectionSize:
      return p.opt_u32;
    case HttpErrorCase::kHttpRequestHeaderSize:
      return p.opt_field_size;
    case HttpErrorCase::kHttpRequestTrailerSize:
    case HttpErrorCase::kHttpResponseHeaderSize:
    case HttpErrorCase::kHttpResponseTrailerSize:
      return p.field_size;
    case HttpErrorCase::kHttpResponseTransferCoding:
    case HttpErrorCase::kHttpResponseContentCoding:
    case HttpErrorCase::kInternalError:
      return p.opt_string;
    default:
      return nullptr;
  }
}

Val None() { return Val::Aggregate(TypeKind::kOption, {}, 0); }
Val Some(Val v) { return Val::Aggregate(TypeKind::kOption, {std::move(v)}, 1); }

// The "empty" value of a payload type: none, or a record of nones.
Val EmptyPayload(TypeRef t) {
  if (t->kind == TypeKind::kOption) return None();
  std::vector<Val> items(t->fields.size(), None());
  return Val::Aggregate(TypeKind::kRecord, std::move(items));
}

}  // namespace

const char* HttpErrorLabel(HttpErrorCase c) {
  auto i = static_cast<uint32_t>(c);
  return i < kHttpErrorCaseCount ? kErrorLabels[i] : "internal-error";
}

TypeRef HttpErrorCodeType() {
  static const TypeRef t = [] {
    auto* n = component::NewStaticType(TypeKind::kVariant);
    for (uint32_t i = 0; i < kHttpErrorCaseCount; ++i) {
      n->fields.push_back({kErrorLabels[i], PayloadType(static_cast<HttpErrorCase>(i))});
    }
    return n;
  }();
  return t;
}

HttpErrorCode HttpErrorCode::Internal(std::string message) {
  HttpErrorCode e = Of(HttpErrorCase::kInternalError);
  if (!message.empty()) e.payload = Some(Val::String(std::move(message)));
  return e;
}

HttpErrorCode HttpErrorCode::BodySize(bool request, uint64_t n) {
  HttpErrorCode e = Of(request ? HttpErrorCase::kHttpRequestBodySize
                               : HttpErrorCase::kHttpResponseBodySize);
  e.payload = Some(Val::U64(n));
  return e;
}

std::optional<HttpErrorCode> HttpErrorCode::FromLabel(std::string_view label) {
  for (uint32_t i = 0; i < kHttpErrorCaseCount; ++i) {
    if (label == kErrorLabels[i]) return Of(static_cast<HttpErrorCase>(i));
  }
  return std::nullopt;
}

Val HttpErrorCode::PayloadVal() const {
  if (payload) return *payload;
  TypeRef t = PayloadType(which);
  return t == nullptr ? Val() : EmptyPayload(t);
}

std::string HttpErrorCode::ToString() const {
  std::vector<Val> items;
  if (PayloadType(which) != nullptr) items.push_back(PayloadVal());
  Val v = Val::Aggregate(TypeKind::kVariant, std::move(items), static_cast<uint32_t>(which));
  return component::ValToWave(v, HttpErrorCodeType());
}

std::optional<HttpErrorCode> HttpErrorCode::Parse(std::string_view text) {
  auto parsed = component::ParseWave(text, HttpErrorCodeType());
  // "<error-code>: detail": the detail starts after one of the ": " (a string payload may
  // contain some too).
  for (size_t at = text.find(": "); !parsed.ok() && at != std::string_view::npos;
       at = text.find(": ", at + 1)) {
    parsed = component::ParseWave(text.substr(0, at), HttpErrorCodeType());
  }
  if (!parsed.ok()) return std::nullopt;
  const Val& v = parsed.value();
  if (v.bits >= kHttpErrorCaseCount) return std::nullopt;
  HttpErrorCode e = Of(static_cast<HttpErrorCase>(v.bits));
  if (!v.items.empty()) e.payload = v.items[0];
  return e;
}

HttpErrorCode ErrorFromBodyFailure(const std::string& message) {
  if (auto e = HttpErrorCode::Parse(message)) return *e;
  // http::Client's "<case>: detail" also names cases with a payload, bare.
  if (auto e = HttpErrorCode::FromLabel(std::string_view(message).substr(0, message.find(": ")))) {
    return *e;
  }
  return HttpErrorCode::Internal(message);
}

p2::StreamStatus StreamFailure(const HttpErrorCode& code, const std::string& detail) {
  std::string m = code.ToString();
  if (!detail.empty()) m += ": " + detail;
  return p2::StreamStatus::Failed(std::move(m));
}

// ---------------------------------------------------------------------------------------------
// fields

namespace {

bool TokenChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Accounting per entry, after wasmtime's FieldMap (a HeaderName and a HeaderValue are each
// a few machine words besides their bytes): an empty value still costs something.
constexpr size_t kNameOverhead = 32;
constexpr size_t kValueOverhead = 40;
size_t EntrySize(const std::string& name, size_t value_size) {
  return name.size() + kNameOverhead + value_size + kValueOverhead;
}

std::string_view AsText(std::span<const uint8_t> b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

bool ValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > 65535) return false;
  for (char c : name) {
    if (!TokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool ValidFieldValue(std::string_view lowercase_name, std::string_view value) {
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  if (lowercase_name == "content-length") {
    if (value.empty()) return false;
    for (char c : value) {
      if (c < '0' || c > '9') return false;
    }
  }
  return true;
}

bool ForbiddenFieldName(std::string_view n) {
  return n == "connection" || n == "keep-alive" || n == "proxy-authenticate" ||
         n == "proxy-authorization" || n == "proxy-connection" || n == "transfer-encoding" ||
         n == "upgrade" || n == "host" || n == "http2-settings";
}

Headers WithoutForbidden(const Headers& headers) {
  Headers out;
  out.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    std::string n = Lower(name);
    if (!ForbiddenFieldName(n)) out.emplace_back(std::move(n), value);
  }
  return out;
}

std::optional<uint64_t> ContentLength(const Headers& headers, bool& ok) {
  ok = true;
  std::optional<uint64_t> length;
  for (const auto& [name, value] : headers) {
    if (name != "content-length") continue;
    if (value.empty() || value.size() > 19 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      ok = false;
      return std::nullopt;
    }
    uint64_t v = std::stoull(value);
    if (length && *length != v) {
      ok = false;
      return std::nullopt;
    }
    length = v;
  }
  return length;
}

Fields Fields::Immutable(std::shared_ptr<const Headers> list) {
  Fields f;
  // Never written through while immutable (every mutation checks immutable_ first).
  f.list_ = std::const_pointer_cast<Headers>(std::move(list));
  f.immutable_ = true;
  return f;
}

std::vector<std::vector<uint8_t>> Fields::Get(std::string_view name) const {
  std::vector<std::vector<uint8_t>> out;
  if (!ValidFieldName(name)) return out;
  std::string n = Lower(name);
  for (const auto& [k, v] : *list_) {
    if (k == n) out.emplace_back(v.begin(), v.end());
  }
  return out;
}

bool Fields::Has(std::string_view name) const {
  if (!ValidFieldName(name)) return false;
  std::string n = Lower(name);
  return std::any_of(list_->begin(), list_->end(), [&](const auto& e) { return e.first == n; });
}

FieldsStatus Fields::Set(std::string_view name, const std::vector<std::vector<uint8_t>>& values) {
  if (!ValidFieldName(name)) return FieldsStatus::Err(HeaderError::kInvalidSyntax);
  std::string n = Lower(name);
  if (ForbiddenFieldName(n)) return FieldsStatus::Err(HeaderError::kForbidden);
  if (immutable_) return FieldsStatus::Err(HeaderError::kImmutable);
  for (const auto& v : values) {
    if (!ValidFieldValue(n, AsText(v))) return FieldsStatus::Err(HeaderError::kInvalidSyntax);
  }
  size_t removed = 0, added = 0;
  size_t first = list_->size();
  for (size_t i = 0; i < list_->size(); ++i) {
    if ((*list_)[i].first == n) {
      first = std::min(first, i);
      removed += EntrySize(n, (*list_)[i].second.size());
    }
  }
  for (const auto& v : values) added += EntrySize(n, v.size());
  if (size_ - removed + added > limit_) return FieldsStatus::TooBig();
  // The new values take the place of the first old one (order of other names is kept).
  Headers next;
  next.reserve(list_->size() + values.size());
  for (size_t i = 0; i < list_->size(); ++i) {
    if (i == first) {
      for (const auto& v : values) next.emplace_back(n, std::string(AsText(v)));
    }
    if ((*list_)[i].first != n) next.push_back(std::move((*list_)[i]));
  }
  if (first == list_->size()) {
    for (const auto& v : values) next.emplace_back(n, std::string(AsText(v)));
  }
  *list_ = std::move(next);
  size_ = size_ - removed + added;
  return FieldsStatus::Ok();
}

FieldsStatus Fields::Delete(std::string_view name) {
  if (!ValidFieldName(name)) return FieldsStatus::Err(HeaderError::kInvalidSyntax);
  std::string n = Lower(name);
  if (ForbiddenFieldName(n)) return FieldsStatus::Err(HeaderError::kForbidden);
  if (immutable_) return FieldsStatus::Err(HeaderError::kImmutable);
  std::erase_if(*list_, [&](const auto& e) {
    if (e.first != n) return false;
    size_ -= EntrySize(n, e.second.size());
    return true;
  });
  return FieldsStatus::Ok();
}

FieldsStatus Fields::Append(std::string_view name, std::span<const uint8_t> value) {
  if (!ValidFieldName(name)) return FieldsStatus::Err(HeaderError::kInvalidSyntax);
  std::string n = Lower(name);
  if (ForbiddenFieldName(n)) return FieldsStatus::Err(HeaderError::kForbidden);
  if (!ValidFieldValue(n, AsText(value))) return FieldsStatus::Err(HeaderError::kInvalidSyntax);
  if (immutable_) return FieldsStatus::Err(HeaderError::kImmutable);
  size_t add = EntrySize(n, value.size());
  if (size_ + add > limit_) return FieldsStatus::TooBig();
  list_->emplace_back(std::move(n), std::string(AsText(value)));
  size_ += add;
  return FieldsStatus::Ok();
}

Fields Fields::Clone() const {
  Fields f;
  *f.list_ = *list_;
  f.limit_ = limit_;
  for (const auto& [k, v] : *list_) f.size_ += EntrySize(k, v.size());
  return f;
}

std::shared_ptr<const Headers> Fields::Freeze() {
  immutable_ = true;
  return list_;
}

// ---------------------------------------------------------------------------------------------
// Bodies

void Waiters::WakeAll() {
  std::vector<std::function<void()>> w;
  w.swap(waiters_);
  for (auto& f : w) f();
}

void IncomingBodyState::Absorb(BodyStatus st) {
  if (st.kind == BodyStatus::kEnd) {
    phase_ = kEnded;
    trailers_ = reader_->Trailers();
  } else if (st.kind == BodyStatus::kFailed) {
    phase_ = kFailed;
    failure_ = std::move(st.message);
  }
}

void IncomingBodyState::Fill() {
  if (phase_ != kOpen || buf_head_ < buf_.size()) return;
  buf_.clear();
  buf_head_ = 0;
  Absorb(reader_->Read(64 * 1024, buf_));
}

p2::StreamStatus IncomingBodyState::Read(uint64_t max, std::vector<uint8_t>& out) {
  if (max == 0) return p2::StreamStatus::Ok();
  if (buf_head_ < buf_.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(max, buf_.size() - buf_head_));
    out.insert(out.end(), buf_.begin() + buf_head_, buf_.begin() + buf_head_ + n);
    buf_head_ += n;
    return p2::StreamStatus::Ok();
  }
  if (phase_ == kOpen) {
    size_t before = out.size();
    Absorb(reader_->Read(static_cast<size_t>(std::min<uint64_t>(max, 1 << 20)), out));
    if (out.size() > before) return p2::StreamStatus::Ok();
  }
  if (phase_ == kEnded) return p2::StreamStatus::Closed();
  if (phase_ == kFailed) {
    return StreamFailure(ErrorFromBodyFailure(failure_), failure_);
  }
  return p2::StreamStatus::Ok();
}

bool IncomingBodyState::ReadReady() {
  Fill();
  return buf_head_ < buf_.size() || phase_ != kOpen;
}

bool IncomingBodyState::DrainReady() {
  // Bounded by what has arrived: each Read returns only bytes already received.
  while (phase_ == kOpen) {
    buf_.clear();
    buf_head_ = 0;
    Absorb(reader_->Read(64 * 1024, buf_));
    if (phase_ == kOpen && buf_.empty()) break;
  }
  buf_.clear();
  buf_head_ = 0;
  return phase_ != kOpen;
}

void IncomingBodyState::Wait(std::function<void()> wake) {
  waiters_.Add(std::move(wake));
  std::weak_ptr<IncomingBodyState> weak = weak_from_this();
  reader_->Wait([weak] {
    if (auto self = weak.lock()) self->waiters_.WakeAll();
  });
}

void OutgoingBodyState::Fail(std::string message) {
  stream_failed_ = true;
  failure_ = std::move(message);
}

p2::StreamStatus OutgoingBodyState::CheckWrite(uint64_t& permitted) {
  permitted = 0;
  Pump();
  if (phase_ != kOpen || closed_) return p2::StreamStatus::Closed();
  if (stream_failed_) {
    return StreamFailure(HttpErrorCode::BodySize(request_, written_), failure_);
  }
  size_t limit = writer_ ? kMaxPending : kMaxPendingUnattached;
  size_t have = pending();
  permitted = have >= limit ? 0 : limit - have;
  return p2::StreamStatus::Ok();
}

p2::StreamStatus OutgoingBodyState::Write(std::span<const uint8_t> bytes) {
  if (phase_ != kOpen || closed_) return p2::StreamStatus::Closed();
  if (stream_failed_) {
    return StreamFailure(HttpErrorCode::BodySize(request_, written_), failure_);
  }
  if (expected_ && written_ + bytes.size() > *expected_) {
    written_ += bytes.size();
    Fail("wrote " + std::to_string(written_) + " bytes of a body declared as " +
         std::to_string(*expected_));
    return StreamFailure(HttpErrorCode::BodySize(request_, written_), failure_);
  }
  written_ += bytes.size();
  if (writer_ && pending() == 0) {
    size_t cap = writer_->Capacity();
    size_t n = std::min(cap, bytes.size());
    if (n > 0) {
      BodyStatus st = writer_->Write(bytes.first(n));
      if (st.kind == BodyStatus::kFailed) {
        closed_ = true;
        return p2::StreamStatus::Closed();
      }
      bytes = bytes.subspan(n);
    }
  }
  if (!bytes.empty()) {
    if (pending_head_ > 0 && pending_head_ >= pending_.size() / 2) {
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(pending_head_));
      pending_head_ = 0;
    }
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  }
  Pump();
  return p2::StreamStatus::Ok();
}

p2::StreamStatus OutgoingBodyState::Flush() {
  Pump();
  if (phase_ != kOpen || closed_) return p2::StreamStatus::Closed();
  return p2::StreamStatus::Ok();
}

bool OutgoingBodyState::WriteReady() {
  uint64_t permitted = 0;
  p2::StreamStatus st = CheckWrite(permitted);
  return st.kind != p2::StreamStatus::kOk || permitted > 0;
}

void OutgoingBodyState::Wait(std::function<void()> wake) {
  waiters_.Add(std::move(wake));
  Pump();  // registers with the writer while bytes are pending
}

void OutgoingBodyState::Pump() {
  if (!writer_ || phase_ == kDone || phase_ == kAborted) return;
  bool progressed = false;
  if (writer_->failed()) {
    closed_ = true;
    pending_.clear();
    pending_head_ = 0;
  }
  while (pending() > 0) {
    size_t cap = writer_->Capacity();
    if (cap == 0) break;
    size_t n = std::min(cap, pending());
    BodyStatus st = writer_->Write(std::span<const uint8_t>(pending_).subspan(pending_head_, n));
    if (st.kind == BodyStatus::kFailed) {
      closed_ = true;
      pending_.clear();
      pending_head_ = 0;
      break;
    }
    pending_head_ += n;
    progressed = true;
  }
  if (pending() == 0) {
    pending_.clear();
    pending_head_ = 0;
  }
  if (phase_ == kFinishing && pending() == 0) {
    phase_ = kDone;
    if (closed_) {
      writer_->Abort("the peer went away");
    } else {
      (void)writer_->Finish(std::move(trailers_));
    }
    progressed = true;
  }
  if (pending() > 0 && !writer_waiting_) {
    writer_waiting_ = true;
    // A strong reference: once the guest has finished (or dropped) the body, nothing else
    // keeps the buffered bytes alive until they are delivered. The writer drops the callback
    // when it fires or dies, so this cycle ends.
    std::shared_ptr<OutgoingBodyState> self_ref = shared_from_this();
    writer_->Wait([self = std::move(self_ref)] {
      self->writer_waiting_ = false;
      self->Pump();
      self->waiters_.WakeAll();
    });
  }
  if ((progressed || closed_) && !waiters_.empty()) waiters_.WakeAll();
}

std::optional<HttpErrorCode> OutgoingBodyState::Finish(Headers trailers) {
  if (phase_ != kOpen) return HttpErrorCode::Internal("outgoing-body finished twice");
  if (stream_failed_ || (expected_ && written_ != *expected_)) {
    Abort("the body's length differs from its content-length");
    return HttpErrorCode::BodySize(request_, written_);
  }
  phase_ = kFinishing;
  trailers_ = std::move(trailers);
  Pump();
  return std::nullopt;
}

void OutgoingBodyState::Abort(std::string reason) {
  if (phase_ == kDone || phase_ == kAborted) return;
  phase_ = kAborted;
  pending_.clear();
  pending_head_ = 0;
  abort_reason_ = std::move(reason);
  if (writer_) writer_->Abort(abort_reason_);
  waiters_.WakeAll();
}

void OutgoingBodyState::Attach(std::shared_ptr<BodyWriter> writer) {
  writer_ = std::move(writer);
  if (phase_ == kAborted) {
    writer_->Abort(abort_reason_);
    return;
  }
  Pump();
  waiters_.WakeAll();
}

namespace {

class BodyPollable final : public p2::Pollable {
 public:
  enum Kind : uint8_t { kRead, kWrite, kTrailers };
  BodyPollable(std::shared_ptr<IncomingBodyState> in, Kind kind) : in_(std::move(in)), kind_(kind) {}
  explicit BodyPollable(std::shared_ptr<OutgoingBodyState> out)
      : out_(std::move(out)), kind_(kWrite) {}
  bool Ready() override {
    switch (kind_) {
      case kRead:
        return in_->ReadReady();
      case kTrailers:
        return in_->DrainReady();
      case kWrite:
        return out_->WriteReady();
    }
    return true;
  }
  void Wait(boost::asio::io_context&, std::function<void()> wake) override {
    if (in_) {
      in_->Wait(std::move(wake));
    } else {
      out_->Wait(std::move(wake));
    }
  }

 private:
  std::shared_ptr<IncomingBodyState> in_;
  std::shared_ptr<OutgoingBodyState> out_;
  Kind kind_;
};

class BodyInputStream final : public p2::InputStream {
 public:
  explicit BodyInputStream(std::shared_ptr<IncomingBodyState> body) : body_(std::move(body)) {
    body_->stream_alive = true;
  }
  ~BodyInputStream() override { body_->stream_alive = false; }
  p2::StreamStatus Read(uint64_t max, std::vector<uint8_t>& out) override {
    return body_->Read(max, out);
  }
  std::shared_ptr<p2::Pollable> Subscribe() override {
    return std::make_shared<BodyPollable>(body_, BodyPollable::kRead);
  }

 private:
  std::shared_ptr<IncomingBodyState> body_;
};

class BodyOutputStream final : public p2::OutputStream {
 public:
  explicit BodyOutputStream(std::shared_ptr<OutgoingBodyState> body) : body_(std::move(body)) {
    body_->stream_alive = true;
  }
  ~BodyOutputStream() override { body_->stream_alive = false; }
  p2::StreamStatus CheckWrite(uint64_t& permitted) override { return body_->CheckWrite(permitted); }
  p2::StreamStatus Write(std::span<const uint8_t> bytes) override { return body_->Write(bytes); }
  p2::StreamStatus Flush() override { return body_->Flush(); }
  std::shared_ptr<p2::Pollable> Subscribe() override {
    return std::make_shared<BodyPollable>(body_);
  }

 private:
  std::shared_ptr<OutgoingBodyState> body_;
};

}  // namespace

std::shared_ptr<p2::InputStream> NewBodyInputStream(std::shared_ptr<IncomingBodyState> body) {
  return std::make_shared<BodyInputStream>(std::move(body));
}
std::shared_ptr<p2::OutputStream> NewBodyOutputStream(std::shared_ptr<OutgoingBodyState> body) {
  return std::make_shared<BodyOutputStream>(std::move(body));
}
std::shared_ptr<p2::Pollable> NewTrailersPollable(std::shared_ptr<IncomingBodyState> body) {
  return std::make_shared<BodyPollable>(std::move(body), BodyPollable::kTrailers);
}

}  // namespace weft::wasi::http
