// Unit tests of the wasi:http host objects (host.h) without a guest: fields validation,
// forbidden names and immutability (cases and check order from wasmtime's FieldMap),
// error-code text, and the body adapters against fake readers and writers: reads in
// pieces, end and trailers, failures as error-codes, write backpressure, content-length
// checks, finish with trailers, abort, a peer that goes away, writes before the writer is
// attached.
#include "wasi/http/host.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wasi/http/ctx_impl.h"
#include "wasi/http/testing.h"

namespace weft::wasi::http {
namespace {

using testing::FakeReader;
using testing::FakeWriter;

std::vector<uint8_t> B(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }
std::string S(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

bool IsErr(FieldsStatus st, HeaderError e) {
  return st.kind == FieldsStatus::kHeaderError && st.error == e;
}

TEST(Fields, NamesAndValues) {
  EXPECT_TRUE(ValidFieldName("content-type"));
  EXPECT_TRUE(ValidFieldName("X-Custom_1.2!#$%&'*+^`|~"));
  EXPECT_FALSE(ValidFieldName(""));
  EXPECT_FALSE(ValidFieldName("bad name"));
  EXPECT_FALSE(ValidFieldName("colon:"));
  EXPECT_FALSE(ValidFieldName("a\nb"));
  EXPECT_FALSE(ValidFieldName("caf\xc3\xa9"));
  EXPECT_FALSE(ValidFieldName("(paren)"));
  EXPECT_TRUE(ValidFieldValue("x", ""));
  EXPECT_TRUE(ValidFieldValue("x", "a b\tc \x80\xff"));
  EXPECT_FALSE(ValidFieldValue("x", "a\r\nb"));
  EXPECT_FALSE(ValidFieldValue("x", std::string_view("a\0b", 3)));
  EXPECT_FALSE(ValidFieldValue("x", "\x7f"));
  // content-length is 1*DIGIT (wasmtime rejects what u64::from_str would accept).
  EXPECT_TRUE(ValidFieldValue("content-length", "0"));
  EXPECT_TRUE(ValidFieldValue("content-length", "1234"));
  EXPECT_FALSE(ValidFieldValue("content-length", "+5"));
  EXPECT_FALSE(ValidFieldValue("content-length", "-5"));
  EXPECT_FALSE(ValidFieldValue("content-length", " 5"));
  EXPECT_FALSE(ValidFieldValue("content-length", ""));
}

TEST(Fields, ForbiddenNames) {
  for (const char* n : {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "proxy-connection", "transfer-encoding", "upgrade", "host",
                        "http2-settings"}) {
    EXPECT_TRUE(ForbiddenFieldName(n)) << n;
    Fields f;
    EXPECT_TRUE(IsErr(f.Append(n, B("x")), HeaderError::kForbidden)) << n;
    EXPECT_TRUE(IsErr(f.Set(n, {B("x")}), HeaderError::kForbidden)) << n;
    EXPECT_TRUE(IsErr(f.Delete(n), HeaderError::kForbidden)) << n;
  }
  Fields f;
  EXPECT_TRUE(IsErr(f.Append("Host", B("x")), HeaderError::kForbidden));  // any case
  EXPECT_FALSE(ForbiddenFieldName("content-length"));
  EXPECT_FALSE(ForbiddenFieldName("te"));
  EXPECT_EQ(WithoutForbidden({{"Host", "a"}, {"x-a", "1"}, {"connection", "close"}}),
            (Headers{{"x-a", "1"}}));
}

TEST(Fields, MutationsAndOrder) {
  Fields f;
  EXPECT_EQ(f.Append("X-A", B("1")).kind, FieldsStatus::kOk);
  EXPECT_EQ(f.Append("x-b", B("2")).kind, FieldsStatus::kOk);
  EXPECT_EQ(f.Append("x-a", B("3")).kind, FieldsStatus::kOk);
  EXPECT_EQ(f.entries(), (Headers{{"x-a", "1"}, {"x-b", "2"}, {"x-a", "3"}}));
  EXPECT_TRUE(f.Has("X-a"));
  EXPECT_FALSE(f.Has("x-c"));
  EXPECT_FALSE(f.Has("bad name"));
  ASSERT_EQ(f.Get("x-A").size(), 2u);
  EXPECT_EQ(S(f.Get("x-a")[0]), "1");
  EXPECT_EQ(S(f.Get("x-a")[1]), "3");
  EXPECT_TRUE(f.Get("bad name").empty());
  // set replaces every value, at the place of the first.
  EXPECT_EQ(f.Set("x-a", {B("9"), B("8")}).kind, FieldsStatus::kOk);
  EXPECT_EQ(f.entries(), (Headers{{"x-a", "9"}, {"x-a", "8"}, {"x-b", "2"}}));
  // set with no values deletes.
  EXPECT_EQ(f.Set("x-a", {}).kind, FieldsStatus::kOk);
  EXPECT_EQ(f.entries(), (Headers{{"x-b", "2"}}));
  EXPECT_EQ(f.Set("x-new", {B("n")}).kind, FieldsStatus::kOk);
  EXPECT_EQ(f.entries(), (Headers{{"x-b", "2"}, {"x-new", "n"}}));
  EXPECT_EQ(f.Delete("X-B").kind, FieldsStatus::kOk);
  EXPECT_EQ(f.Delete("absent").kind, FieldsStatus::kOk);
  EXPECT_EQ(f.entries(), (Headers{{"x-new", "n"}}));
  EXPECT_TRUE(IsErr(f.Append("bad name", B("x")), HeaderError::kInvalidSyntax));
  EXPECT_TRUE(IsErr(f.Append("x-a", B("bad\n")), HeaderError::kInvalidSyntax));
  EXPECT_TRUE(IsErr(f.Set("x-a", {B("ok"), B("bad\r")}), HeaderError::kInvalidSyntax));
  EXPECT_TRUE(IsErr(f.Append("content-length", B("+1")), HeaderError::kInvalidSyntax));
  EXPECT_TRUE(IsErr(f.Delete("bad name"), HeaderError::kInvalidSyntax));
  EXPECT_EQ(f.entries(), (Headers{{"x-new", "n"}}));  // failed calls changed nothing
}

TEST(Fields, ImmutabilityAndCheckOrder) {
  auto list = std::make_shared<const Headers>(Headers{{"x-a", "1"}});
  Fields f = Fields::Immutable(list);
  EXPECT_TRUE(f.immutable());
  EXPECT_TRUE(IsErr(f.Append("x-b", B("2")), HeaderError::kImmutable));
  EXPECT_TRUE(IsErr(f.Set("x-a", {B("2")}), HeaderError::kImmutable));
  EXPECT_TRUE(IsErr(f.Delete("x-a"), HeaderError::kImmutable));
  // wasmtime's order: name syntax and forbidden come before mutability; for append the
  // value's syntax too; for set the values are checked after mutability.
  EXPECT_TRUE(IsErr(f.Append("bad name", B("2")), HeaderError::kInvalidSyntax));
  EXPECT_TRUE(IsErr(f.Append("host", B("2")), HeaderError::kForbidden));
  EXPECT_TRUE(IsErr(f.Append("x-b", B("\n")), HeaderError::kInvalidSyntax));
  EXPECT_TRUE(IsErr(f.Set("x-b", {B("\n")}), HeaderError::kImmutable));
  EXPECT_TRUE(IsErr(f.Delete("upgrade"), HeaderError::kForbidden));
  EXPECT_EQ(*list, (Headers{{"x-a", "1"}}));
  // A clone is mutable and independent.
  Fields c = f.Clone();
  EXPECT_FALSE(c.immutable());
  EXPECT_EQ(c.Append("x-b", B("2")).kind, FieldsStatus::kOk);
  EXPECT_EQ(f.entries().size(), 1u);
  EXPECT_EQ(c.entries().size(), 2u);
  // Freezing (a request/response takes its headers) makes the fields immutable.
  std::shared_ptr<const Headers> frozen = c.Freeze();
  EXPECT_TRUE(c.immutable());
  EXPECT_TRUE(IsErr(c.Append("x-c", B("3")), HeaderError::kImmutable));
  EXPECT_EQ(frozen->size(), 2u);
}

TEST(Fields, SizeLimit) {
  Fields f;
  f.set_size_limit(300);
  int appended = 0;
  FieldsStatus st;
  while ((st = f.Append("foo", B("bar"))).kind == FieldsStatus::kOk) ++appended;
  EXPECT_EQ(st.kind, FieldsStatus::kTooBig);
  EXPECT_GT(appended, 0);
  EXPECT_LE(f.size(), 300u);
  size_t size = f.size();
  EXPECT_EQ(f.Delete("foo").kind, FieldsStatus::kOk);
  EXPECT_EQ(f.size(), 0u);
  EXPECT_GT(size, 0u);
  EXPECT_EQ(f.Set("foo", {B("bar")}).kind, FieldsStatus::kOk);
  EXPECT_GT(f.size(), 0u);
  EXPECT_EQ(f.Set("foo", {}).kind, FieldsStatus::kOk);
  EXPECT_EQ(f.size(), 0u);
}

TEST(Fields, ContentLength) {
  bool ok = false;
  EXPECT_EQ(ContentLength({{"x", "1"}}, ok), std::nullopt);
  EXPECT_TRUE(ok);
  EXPECT_EQ(ContentLength({{"content-length", "42"}}, ok), 42u);
  EXPECT_TRUE(ok);
  EXPECT_EQ(ContentLength({{"content-length", "42"}, {"content-length", "42"}}, ok), 42u);
  EXPECT_TRUE(ok);
  ContentLength({{"content-length", "42"}, {"content-length", "43"}}, ok);
  EXPECT_FALSE(ok);
  ContentLength({{"content-length", "4a"}}, ok);
  EXPECT_FALSE(ok);
}

TEST(ErrorCodeText, RoundTrips) {
  std::vector<HttpErrorCode> codes = {
      HttpErrorCode::Of(HttpErrorCase::kConnectionRefused),
      HttpErrorCode::Of(HttpErrorCase::kDnsTimeout),
      HttpErrorCode::Of(HttpErrorCase::kHttpRequestDenied),
      HttpErrorCode::Internal("boom: really"),
      HttpErrorCode::Internal(""),
      HttpErrorCode::BodySize(true, 5),
      HttpErrorCode::BodySize(false, 123456789),
      HttpErrorCode::Of(HttpErrorCase::kDnsError),
      HttpErrorCode::Of(HttpErrorCase::kHttpResponseHeaderSize),
      HttpErrorCode::Of(HttpErrorCase::kTlsAlertReceived),
  };
  for (const HttpErrorCode& c : codes) {
    std::string text = c.ToString();
    auto back = HttpErrorCode::Parse(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(back->which, c.which) << text;
    EXPECT_EQ(back->PayloadVal(), c.PayloadVal()) << text;
    // With a detail after it, as stream failures carry it.
    auto detailed = HttpErrorCode::Parse(text + ": more words");
    ASSERT_TRUE(detailed.has_value()) << text;
    EXPECT_EQ(detailed->which, c.which);
  }
  EXPECT_EQ(HttpErrorCode::Of(HttpErrorCase::kConnectionRefused).ToString(), "connection-refused");
  EXPECT_EQ(HttpErrorCode::Of(HttpErrorCase::kDnsTimeout).ToString(), "DNS-timeout");
  EXPECT_EQ(HttpErrorCode::BodySize(false, 7).ToString(), "HTTP-response-body-size(some(7))");
  EXPECT_EQ(HttpErrorCode::Internal("x").ToString(), "internal-error(some(\"x\"))");
  EXPECT_FALSE(HttpErrorCode::Parse("not an error code").has_value());
  EXPECT_FALSE(HttpErrorCode::Parse("").has_value());
  EXPECT_EQ(ErrorFromBodyFailure("connection-terminated: peer reset").which,
            HttpErrorCase::kConnectionTerminated);
  EXPECT_EQ(ErrorFromBodyFailure("something else").which, HttpErrorCase::kInternalError);
  EXPECT_EQ(ErrorFromBodyFailure("HTTP-response-body-size: 10 bytes past the length").which,
            HttpErrorCase::kHttpResponseBodySize);
  EXPECT_EQ(ErrorFromBodyFailure("connection closed").PayloadVal(),
            HttpErrorCode::Internal("connection closed").PayloadVal());
  EXPECT_EQ(HttpErrorCodeType()->fields.size(), kHttpErrorCaseCount);
  EXPECT_STREQ(HttpErrorLabel(HttpErrorCase::kInternalError), "internal-error");
  EXPECT_STREQ(HttpErrorLabel(HttpErrorCase::kHttpRequestUriInvalid), "HTTP-request-URI-invalid");
  auto from = HttpErrorCode::FromLabel("HTTP-response-timeout");
  ASSERT_TRUE(from.has_value());
  EXPECT_EQ(from->which, HttpErrorCase::kHttpResponseTimeout);
  EXPECT_FALSE(HttpErrorCode::FromLabel("nope").has_value());
}

TEST(IncomingBody, ReadsPiecesThenEndAndTrailers) {
  auto reader = std::make_shared<FakeReader>();
  auto body = std::make_shared<IncomingBodyState>(reader);
  auto stream = NewBodyInputStream(body);
  EXPECT_TRUE(body->stream_alive);
  std::vector<uint8_t> out;
  EXPECT_EQ(stream->Read(100, out).kind, p2::StreamStatus::kOk);
  EXPECT_TRUE(out.empty());
  auto pollable = stream->Subscribe();
  EXPECT_FALSE(pollable->Ready());
  boost::asio::io_context io;
  int woken = 0;
  pollable->Wait(io, [&] { ++woken; });
  reader->Push("hello ");
  EXPECT_EQ(woken, 1);
  EXPECT_TRUE(pollable->Ready());
  EXPECT_EQ(stream->Read(3, out).kind, p2::StreamStatus::kOk);
  EXPECT_EQ(S(out), "hel");
  EXPECT_EQ(stream->Read(100, out).kind, p2::StreamStatus::kOk);
  EXPECT_EQ(S(out), "hello ");
  reader->Push("world");
  reader->End({{"x-trailer", "t"}, {"host", "dropped"}});
  EXPECT_EQ(stream->Read(100, out).kind, p2::StreamStatus::kOk);
  EXPECT_EQ(S(out), "hello world");
  EXPECT_EQ(stream->Read(100, out).kind, p2::StreamStatus::kClosed);
  EXPECT_EQ(stream->Read(100, out).kind, p2::StreamStatus::kClosed);
  EXPECT_TRUE(body->ended());
  EXPECT_EQ(body->trailers().size(), 2u);
  stream.reset();
  EXPECT_FALSE(body->stream_alive);
  EXPECT_TRUE(NewTrailersPollable(body)->Ready());
}

TEST(IncomingBody, TrailersFutureDrainsUnreadBytes) {
  auto reader = std::make_shared<FakeReader>();
  auto body = std::make_shared<IncomingBodyState>(reader);
  auto trailers = NewTrailersPollable(body);
  reader->Push(std::string(200000, 'a'));
  EXPECT_FALSE(trailers->Ready());  // everything that arrived is discarded, no end yet
  boost::asio::io_context io;
  int woken = 0;
  trailers->Wait(io, [&] { ++woken; });
  reader->End({{"x-t", "1"}});
  EXPECT_EQ(woken, 1);
  EXPECT_TRUE(trailers->Ready());
  EXPECT_EQ(body->trailers(), (Headers{{"x-t", "1"}}));
}

TEST(IncomingBody, FailureIsAnErrorCode) {
  auto reader = std::make_shared<FakeReader>();
  auto body = std::make_shared<IncomingBodyState>(reader);
  auto stream = NewBodyInputStream(body);
  reader->Push("ab");
  reader->FailWith("connection-terminated: reset by peer");
  std::vector<uint8_t> out;
  EXPECT_EQ(stream->Read(100, out).kind, p2::StreamStatus::kOk);  // bytes first
  EXPECT_EQ(S(out), "ab");
  p2::StreamStatus st = stream->Read(100, out);
  ASSERT_EQ(st.kind, p2::StreamStatus::kFailed);
  auto code = HttpErrorCode::Parse(st.message);
  ASSERT_TRUE(code.has_value()) << st.message;
  EXPECT_EQ(code->which, HttpErrorCase::kConnectionTerminated);
  EXPECT_TRUE(body->failed());
}

TEST(IncomingBody, SeveralWaitersAllWake) {
  auto reader = std::make_shared<FakeReader>();
  auto body = std::make_shared<IncomingBodyState>(reader);
  auto stream = NewBodyInputStream(body);
  boost::asio::io_context io;
  int a = 0, b = 0;
  stream->Subscribe()->Wait(io, [&] { ++a; });
  NewTrailersPollable(body)->Wait(io, [&] { ++b; });
  reader->Push("x");
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
}

TEST(OutgoingBody, BackpressureFollowsTheWriter) {
  auto body = std::make_shared<OutgoingBodyState>(false, std::nullopt);
  auto stream = NewBodyOutputStream(body);
  auto writer = std::make_shared<FakeWriter>();
  writer->capacity = 10;
  writer->drains = false;
  body->Attach(writer);
  uint64_t permitted = 0;
  ASSERT_EQ(stream->CheckWrite(permitted).kind, p2::StreamStatus::kOk);
  EXPECT_EQ(permitted, OutgoingBodyState::kMaxPending);
  std::string chunk(OutgoingBodyState::kMaxPending, 'z');
  ASSERT_EQ(stream->Write(B(chunk)).kind, p2::StreamStatus::kOk);
  // 10 bytes went to the writer, the rest is buffered: the guest must wait.
  EXPECT_EQ(writer->body.size(), 10u);
  EXPECT_EQ(body->pending(), chunk.size() - 10);
  ASSERT_EQ(stream->CheckWrite(permitted).kind, p2::StreamStatus::kOk);
  EXPECT_EQ(permitted, 10u);  // the buffer's room
  auto pollable = stream->Subscribe();
  EXPECT_TRUE(pollable->Ready());
  ASSERT_EQ(stream->Write(B(std::string(10, 'z'))).kind, p2::StreamStatus::kOk);
  ASSERT_EQ(stream->CheckWrite(permitted).kind, p2::StreamStatus::kOk);
  EXPECT_EQ(permitted, 0u);
  EXPECT_FALSE(pollable->Ready());
  boost::asio::io_context io;
  int woken = 0;
  pollable->Wait(io, [&] { ++woken; });
  EXPECT_TRUE(writer->waiting());
  writer->SetCapacity(1 << 20);  // the peer drained its buffer
  EXPECT_GE(woken, 1);
  EXPECT_EQ(writer->body.size(), chunk.size() + 10);
  EXPECT_EQ(body->pending(), 0u);
  EXPECT_TRUE(pollable->Ready());
  stream.reset();
  EXPECT_EQ(body->Finish({{"x-t", "1"}}), std::nullopt);
  EXPECT_TRUE(writer->finished);
  EXPECT_EQ(writer->trailers, (Headers{{"x-t", "1"}}));
}

TEST(OutgoingBody, FinishWaitsForBufferedBytes) {
  auto body = std::make_shared<OutgoingBodyState>(false, std::nullopt);
  auto writer = std::make_shared<FakeWriter>();
  writer->capacity = 0;
  writer->drains = false;
  body->Attach(writer);
  ASSERT_EQ(body->Write(B("abc")).kind, p2::StreamStatus::kOk);
  EXPECT_EQ(body->Finish({}), std::nullopt);
  EXPECT_FALSE(writer->finished);  // the bytes are still queued
  EXPECT_TRUE(body->finished());
  EXPECT_FALSE(body->done());
  // The guest's handles are gone (it returned): the queued bytes still go out.
  std::weak_ptr<OutgoingBodyState> weak = body;
  body.reset();
  EXPECT_FALSE(weak.expired());
  writer->SetCapacity(2);
  EXPECT_EQ(writer->body, "ab");
  EXPECT_FALSE(writer->finished);
  writer->SetCapacity(2);
  EXPECT_EQ(writer->body, "abc");
  EXPECT_TRUE(writer->finished);
  EXPECT_TRUE(weak.expired());  // delivered: nothing holds it any more
}

TEST(OutgoingBody, PeerGoneWhileDeliveringReleasesTheBody) {
  auto body = std::make_shared<OutgoingBodyState>(false, std::nullopt);
  auto writer = std::make_shared<FakeWriter>();
  writer->capacity = 0;
  writer->drains = false;
  body->Attach(writer);
  ASSERT_EQ(body->Write(B("never delivered")).kind, p2::StreamStatus::kOk);
  EXPECT_EQ(body->Finish({}), std::nullopt);
  std::weak_ptr<OutgoingBodyState> weak = body;
  body.reset();
  EXPECT_FALSE(weak.expired());  // waiting for the peer
  writer->GoAway();
  EXPECT_TRUE(weak.expired());  // no cycle is left behind
  EXPECT_TRUE(writer->aborted.has_value());
  EXPECT_FALSE(writer->finished);
}

TEST(OutgoingBody, WritesBeforeAttachAreKept) {
  auto body = std::make_shared<OutgoingBodyState>(false, std::nullopt);
  uint64_t permitted = 0;
  ASSERT_EQ(body->CheckWrite(permitted).kind, p2::StreamStatus::kOk);
  EXPECT_EQ(permitted, OutgoingBodyState::kMaxPendingUnattached);
  ASSERT_EQ(body->Write(B("early ")).kind, p2::StreamStatus::kOk);
  ASSERT_EQ(body->Write(B("bytes")).kind, p2::StreamStatus::kOk);
  EXPECT_EQ(body->Finish({}), std::nullopt);
  auto writer = std::make_shared<FakeWriter>();
  body->Attach(writer);
  EXPECT_EQ(writer->body, "early bytes");
  EXPECT_TRUE(writer->finished);
}

TEST(OutgoingBody, ContentLengthIsEnforced) {
  {
    auto body = std::make_shared<OutgoingBodyState>(false, 5);
    auto writer = std::make_shared<FakeWriter>();
    body->Attach(writer);
    ASSERT_EQ(body->Write(B("abc")).kind, p2::StreamStatus::kOk);
    p2::StreamStatus st = body->Write(B("def"));
    ASSERT_EQ(st.kind, p2::StreamStatus::kFailed);
    auto code = HttpErrorCode::Parse(st.message);
    ASSERT_TRUE(code.has_value()) << st.message;
    EXPECT_EQ(code->which, HttpErrorCase::kHttpResponseBodySize);
    EXPECT_EQ(code->PayloadVal().items[0].bits, 6u);
    EXPECT_EQ(writer->body, "abc");  // the excess never reached the peer
    auto err = body->Finish({});
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->which, HttpErrorCase::kHttpResponseBodySize);
    EXPECT_TRUE(writer->aborted.has_value());
    EXPECT_FALSE(writer->finished);
  }
  {
    auto body = std::make_shared<OutgoingBodyState>(true, 5);  // a client request body
    auto writer = std::make_shared<FakeWriter>();
    body->Attach(writer);
    ASSERT_EQ(body->Write(B("abc")).kind, p2::StreamStatus::kOk);
    auto err = body->Finish({});
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->which, HttpErrorCase::kHttpRequestBodySize);
    EXPECT_EQ(err->PayloadVal().items[0].bits, 3u);
    EXPECT_TRUE(writer->aborted.has_value());
  }
  {
    auto body = std::make_shared<OutgoingBodyState>(false, 3);
    auto writer = std::make_shared<FakeWriter>();
    body->Attach(writer);
    ASSERT_EQ(body->Write(B("abc")).kind, p2::StreamStatus::kOk);
    EXPECT_EQ(body->Finish({}), std::nullopt);
    EXPECT_TRUE(writer->finished);
    EXPECT_EQ(writer->body, "abc");
  }
}

TEST(OutgoingBody, AbortAndPeerGone) {
  {
    auto body = std::make_shared<OutgoingBodyState>(false, std::nullopt);
    auto writer = std::make_shared<FakeWriter>();
    body->Attach(writer);
    ASSERT_EQ(body->Write(B("partial")).kind, p2::StreamStatus::kOk);
    body->Abort("dropped");
    EXPECT_EQ(writer->aborted, "dropped");
    EXPECT_FALSE(writer->finished);
    EXPECT_EQ(body->Write(B("more")).kind, p2::StreamStatus::kClosed);
  }
  {
    // Aborted before a writer exists: the writer is aborted as soon as it is attached.
    auto body = std::make_shared<OutgoingBodyState>(false, std::nullopt);
    body->Abort("dropped early");
    auto writer = std::make_shared<FakeWriter>();
    body->Attach(writer);
    EXPECT_EQ(writer->aborted, "dropped early");
  }
  {
    auto body = std::make_shared<OutgoingBodyState>(false, std::nullopt);
    auto stream = NewBodyOutputStream(body);
    auto writer = std::make_shared<FakeWriter>();
    writer->capacity = 0;
    writer->drains = false;
    body->Attach(writer);
    ASSERT_EQ(stream->Write(B("queued")).kind, p2::StreamStatus::kOk);
    auto pollable = stream->Subscribe();
    boost::asio::io_context io;
    int woken = 0;
    pollable->Wait(io, [&] { ++woken; });
    writer->GoAway();
    EXPECT_GE(woken, 1);
    uint64_t permitted = 0;
    EXPECT_EQ(stream->CheckWrite(permitted).kind, p2::StreamStatus::kClosed);
    EXPECT_TRUE(pollable->Ready());
  }
}

TEST(RequestParts, Validators) {
  EXPECT_TRUE(ValidStatus(100));
  EXPECT_TRUE(ValidStatus(599));
  EXPECT_FALSE(ValidStatus(99));
  EXPECT_FALSE(ValidStatus(600));
  EXPECT_FALSE(ValidStatus(0));
  EXPECT_TRUE(ValidPathWithQuery("/a/b?x=1&y=%20"));
  EXPECT_TRUE(ValidPathWithQuery(""));
  EXPECT_FALSE(ValidPathWithQuery("/a b"));
  EXPECT_FALSE(ValidPathWithQuery("/a#frag"));
  EXPECT_FALSE(ValidPathWithQuery("/a\n"));
  EXPECT_TRUE(ValidSchemeText("ws"));
  EXPECT_TRUE(ValidSchemeText("coap+tcp"));
  EXPECT_FALSE(ValidSchemeText(""));
  EXPECT_FALSE(ValidSchemeText("1x"));
  EXPECT_FALSE(ValidSchemeText("a b"));
  auto a = ParseAuthority("example.com:8080");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "example.com");
  EXPECT_EQ(a->port, 8080);
  a = ParseAuthority("[::1]:80");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 80);
  a = ParseAuthority("localhost");
  ASSERT_TRUE(a.has_value());
  EXPECT_FALSE(a->port.has_value());
  EXPECT_FALSE(ParseAuthority("").has_value());
  EXPECT_FALSE(ParseAuthority("host:").has_value());
  EXPECT_FALSE(ParseAuthority("host:http").has_value());
  EXPECT_FALSE(ParseAuthority("host:65536").has_value());
  EXPECT_FALSE(ParseAuthority(":80").has_value());
  EXPECT_FALSE(ParseAuthority("a b").has_value());
  EXPECT_FALSE(ParseAuthority("[::1").has_value());
  EXPECT_EQ(Method::FromString("PATCH").kind, Method::kPatch);
  EXPECT_EQ(Method::FromString("get").kind, Method::kOther);  // methods are case-sensitive
  EXPECT_EQ(Method::FromString("PURGE").ToString(), "PURGE");
  EXPECT_EQ(Scheme::FromString("https").kind, Scheme::kHttps);
  EXPECT_EQ(Scheme::FromString("ftp").ToString(), "ftp");
}

}  // namespace
}  // namespace weft::wasi::http
