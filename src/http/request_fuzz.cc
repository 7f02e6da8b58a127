// libFuzzer target: arbitrary bytes as the stream a client sends on one connection, fed to
// RequestDecoder the way the server's connection feeds it (heads, bodies with bounded room,
// pipelined requests, input arriving in pieces). The first two bytes choose the piece size
// and the body room. Properties checked: no crash or sanitizer report; the decoder never
// consumes more than it was given; a decoded head obeys the framing rules (never both
// Content-Length and chunked, Host present on HTTP/1.1, origin-form or "*" target); body
// bytes never exceed the limit; an error carries a status of 400, 413 or 431.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/request_decoder.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using weft::http::RequestDecoder;
  using Status = RequestDecoder::Status;
  if (size < 2) return 0;
  const size_t piece = 1 + data[0] % 64;
  const size_t room = 1 + data[1] % 200;
  std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);
  constexpr uint32_t kMaxHeader = 512;
  constexpr uint64_t kMaxBody = 4096;
  RequestDecoder d(kMaxHeader, kMaxBody);

  std::string in;  // arrived, unconsumed
  size_t fed = 0;
  auto feed = [&]() -> bool {
    if (fed == stream.size()) return false;
    size_t n = std::min(piece, stream.size() - fed);
    in.append(stream.substr(fed, n));
    fed += n;
    return true;
  };
  feed();
  for (int messages = 0; messages < 64; ++messages) {
    size_t consumed = 0;
    Status s;
    while ((s = d.ParseHead(in, &consumed)) == Status::kNeedMore) {
      Check(consumed == 0);
      if (!feed()) return 0;
    }
    if (s == Status::kError) {
      uint16_t st = d.error().status;
      Check((st == 400 || st == 431 || st == 413) && !d.error().message.empty());
      return 0;
    }
    Check(consumed <= in.size());
    const auto& h = d.head();
    Check(!(h.chunked && h.content_length));
    Check(h.version == 10 || h.version == 11);
    Check(!h.target.empty() && (h.target[0] == '/' || h.target == "*"));
    Check(!h.content_length || *h.content_length <= kMaxBody);
    in.erase(0, consumed);
    std::string body;
    for (;;) {
      s = d.ParseBody(in, &consumed, &body, room);
      Check(consumed <= in.size());
      in.erase(0, consumed);
      if (s != Status::kNeedMore) break;
      if (body.size() >= room) body.clear();  // the handler read it
      if (consumed == 0 && !feed()) return 0;
    }
    if (s == Status::kError) {
      uint16_t st = d.error().status;
      Check((st == 400 || st == 413) && !d.error().message.empty());
      return 0;
    }
    Check(d.body_bytes() <= kMaxBody);
    if (h.content_length) Check(d.body_bytes() == *h.content_length);
    d.Reset();
  }
  return 0;
}
