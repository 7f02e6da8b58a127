// Unit tests of ResponseParser (response_parser.h) without sockets: results must not depend
// on how the input is split or how little body room the reader gives, every truncation must
// be reported as the right error-code case, and framing edge cases follow RFC 9112.
#include "http/client/response_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weft::http {
namespace {

using Progress = ResponseParser::Progress;

struct Outcome {
  Progress end = Progress::kNeedInput;  // kDone or kFailed
  std::string error;
  uint16_t status = 0;
  Headers headers;
  std::string body;
  Headers trailers;
  bool operator==(const Outcome&) const = default;
};

// Feeds `input` in pieces of `piece` bytes with `room` bytes of body room (drained whenever
// the parser blocks), then closes the connection if the response is not complete.
Outcome ParseAll(std::string_view input, size_t piece, size_t room_limit, bool head = false) {
  ResponseParser parser(head);
  Outcome out;
  std::vector<uint8_t> buffered;
  auto drain = [&] {
    out.body.append(buffered.begin(), buffered.end());
    buffered.clear();
  };
  auto run = [&]() -> Progress {
    for (;;) {
      size_t room = buffered.size() >= room_limit ? 0 : room_limit - buffered.size();
      Progress p = parser.Parse(buffered, room);
      if (p == Progress::kHead) {
        out.status = parser.status();
        out.headers = parser.TakeHeaders();
        continue;
      }
      if (p == Progress::kBlocked) {
        drain();
        continue;
      }
      return p;
    }
  };
  Progress p = Progress::kNeedInput;
  for (size_t i = 0; i < input.size() && p == Progress::kNeedInput; i += piece) {
    parser.Feed(input.substr(i, piece));
    p = run();
  }
  while (p == Progress::kNeedInput || p == Progress::kBlocked) {
    p = parser.Eof();
    if (p == Progress::kBlocked) p = run();
  }
  drain();
  out.end = p;
  if (p == Progress::kFailed) out.error = parser.error_code();
  if (p == Progress::kDone) out.trailers = parser.trailers();
  return out;
}

const std::vector<std::string> kValid = {
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b \r\n\r\nhello",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    "5;name=value\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nX-T: 1\r\nx-u: 2\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.0 200 OK\r\n\r\nuntil close, with\r\nlines",
    "HTTP/1.1 200 OK\ncontent-length: 3\n\nabc",  // bare LF lines
    "\r\nHTTP/1.1 204 No Content\r\ncontent-length: 9\r\n\r\n",
    "HTTP/1.1 200\r\nContent-Length: 2, 2\r\n\r\nok",  // no reason phrase; a list of equal lengths
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
};

TEST(ResponseParser, SplitsAndRoomDoNotMatter) {
  for (const auto& input : kValid) {
    Outcome whole = ParseAll(input, input.size(), 1 << 20);
    ASSERT_EQ(whole.end, Progress::kDone) << input << " -> " << whole.error;
    for (size_t piece : {1, 2, 3, 7, 64}) {
      for (size_t room : {1, 4, 1000}) {
        EXPECT_EQ(ParseAll(input, piece, room), whole)
            << input << " piece " << piece << " room " << room;
      }
    }
  }
}

TEST(ResponseParser, DecodesWhatWasSent) {
  Outcome a = ParseAll(kValid[0], 1000, 1000);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.headers, (Headers{{"content-length", "5"}, {"x-a", "b"}}));
  EXPECT_EQ(a.body, "hello");
  Outcome b = ParseAll(kValid[1], 1000, 1000);
  EXPECT_EQ(b.body, "hello world!");
  EXPECT_EQ(b.trailers, (Headers{{"x-t", "1"}, {"x-u", "2"}}));
  Outcome c = ParseAll(kValid[2], 1000, 1000);
  EXPECT_EQ(c.status, 404);
  EXPECT_EQ(ParseAll(kValid[3], 1000, 1000).body, "until close, with\r\nlines");
  EXPECT_EQ(ParseAll(kValid[4], 1000, 1000).body, "abc");
  Outcome no_content = ParseAll(kValid[5], 1000, 1000);
  EXPECT_EQ(no_content.status, 204);
  EXPECT_EQ(no_content.body, "");
  EXPECT_EQ(ParseAll(kValid[7], 1000, 1000).body, "0123456789");
}

TEST(ResponseParser, HeadResponseHasNoBody) {
  std::string input = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n";
  Outcome out = ParseAll(input, 1000, 1000, /*head=*/true);
  EXPECT_EQ(out.end, Progress::kDone);
  EXPECT_EQ(out.body, "");
  ResponseParser parser(true);
  parser.Feed(input);
  std::vector<uint8_t> body;
  EXPECT_EQ(parser.Parse(body, 100), Progress::kHead);
  EXPECT_EQ(parser.Parse(body, 100), Progress::kDone);
  EXPECT_EQ(parser.content_length(), 100u);
}

// Every proper prefix of a framed response is an incomplete response when the peer closes.
TEST(ResponseParser, EveryTruncationIsReported) {
  for (size_t v : {0, 1, 2, 4, 5, 6, 7}) {
    const std::string& input = kValid[v];
    for (size_t len = 0; len < input.size(); ++len) {
      Outcome out = ParseAll(input.substr(0, len), 3, 4);
      std::string where = "valid[" + std::to_string(v) + "] cut at " + std::to_string(len);
      if (len == 0) {
        EXPECT_EQ(out.error, "connection-terminated") << where;
      } else if (v == 5 && input.substr(0, len).find("\r\n\r\n", 2) != std::string::npos) {
        EXPECT_EQ(out.end, Progress::kDone) << where;  // 204: complete once the head is
      } else {
        EXPECT_EQ(out.error, "HTTP-response-incomplete") << where;
      }
    }
  }
  // A close-delimited body is complete at any cut after the head.
  const std::string& until_close = kValid[3];
  size_t body_start = until_close.find("\r\n\r\n") + 4;
  for (size_t len = body_start; len <= until_close.size(); ++len) {
    Outcome out = ParseAll(until_close.substr(0, len), 5, 3);
    EXPECT_EQ(out.end, Progress::kDone) << len;
    EXPECT_EQ(out.body, until_close.substr(body_start, len - body_start));
  }
}

TEST(ResponseParser, MalformedInput) {
  struct Case {
    std::string input;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"HTTP/2 200 OK\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 20 OK\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 099 Low\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200OK\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\nbad name: 1\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\nx: a\rb\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ncontent-length: 1x\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ncontent-length: 99999999999999999999\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 1\r\n\r\n",
       "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n",
       "HTTP-response-transfer-coding"},
      {"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1000000000000000\r\n",
       "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabc\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
       "HTTP-protocol-error"},
      {"HTTP/1.1 101 Switching Protocols\r\n\r\n", "HTTP-upgrade-failed"},
      {"HTTP/1.1 200 OK\r\nx: " + std::string(70000, 'a'), "HTTP-response-header-section-size"},
      {"HTTP/1.1 200 OK\r\n" + std::string(70000, 'a'), "HTTP-response-header-section-size"},
      {"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\nx: " + std::string(70000, 'a'),
       "HTTP-response-trailer-section-size"},
  };
  for (const auto& c : cases) {
    for (size_t piece : {size_t{1}, size_t{100000}}) {
      if (piece == 1 && c.input.size() > 1000) continue;
      Outcome out = ParseAll(c.input, piece, 10);
      EXPECT_EQ(out.end, Progress::kFailed) << c.input.substr(0, 80);
      EXPECT_EQ(out.error, c.error) << c.input.substr(0, 80);
    }
  }
}

// Bytes after a complete response are not body (the connection is closed by the client).
TEST(ResponseParser, StopsAtTheEndOfTheResponse) {
  ResponseParser parser;
  parser.Feed("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA");
  std::vector<uint8_t> body;
  EXPECT_EQ(parser.Parse(body, 100), Progress::kHead);
  EXPECT_EQ(parser.Parse(body, 100), Progress::kDone);
  EXPECT_EQ(std::string(body.begin(), body.end()), "ok");
  EXPECT_EQ(parser.body_bytes(), 2u);
}

}  // namespace
}  // namespace weft::http
