// libFuzzer target: arbitrary bytes as what a server sends back on one connection, fed to
// ResponseParser the way the client's connection feeds it (pieces of a chosen size, a
// bounded body room that the reader drains only when the parser reports kBlocked), then the
// connection closes. The first two bytes choose the piece size, the room, and whether the
// request was HEAD. Properties checked: no crash or sanitizer report; the head comes at most
// once, with a status of 200-999 (interim 1xx skipped); body bytes never exceed the room
// given nor a declared content-length; a failure names a wasi:http error-code case; after
// kDone or kFailed the outcome never changes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/client/client.h"
#include "http/client/response_parser.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using weft::http::ResponseParser;
  using Progress = ResponseParser::Progress;
  if (size < 2) return 0;
  const size_t piece = 1 + data[0] % 64;
  const bool head_request = (data[0] & 0x80) != 0;
  const size_t room_limit = 1 + data[1] % 200;
  std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  ResponseParser parser(head_request);
  std::vector<uint8_t> buffered;  // decoded, not yet "read" by the guest
  uint64_t body_total = 0;
  bool got_head = false;
  Progress last = Progress::kNeedInput;

  auto run = [&]() {
    for (;;) {
      size_t before = buffered.size();
      size_t room = buffered.size() >= room_limit ? 0 : room_limit - buffered.size();
      Progress p = parser.Parse(buffered, room);
      Check(buffered.size() - before <= room);
      body_total += buffered.size() - before;
      if (p == Progress::kHead) {
        Check(!got_head);
        got_head = true;
        Check(parser.status() >= 200 && parser.status() <= 999);
        continue;
      }
      if (p == Progress::kBlocked) {
        Check(buffered.size() - before == room);  // the room is used up
        buffered.clear();                         // the reader takes everything
        continue;
      }
      if (p == Progress::kDone) Check(got_head);
      if (got_head && parser.content_length()) Check(body_total <= *parser.content_length());
      if (!got_head) Check(body_total == 0);
      last = p;
      return;
    }
  };

  for (size_t fed = 0; fed < stream.size() && last == Progress::kNeedInput; fed += piece) {
    parser.Feed(stream.substr(fed, piece));
    run();
  }
  if (last == Progress::kNeedInput) {
    for (;;) {
      Progress p = parser.Eof();
      if (p == Progress::kBlocked) {  // a close-delimited body still buffered
        run();
        continue;
      }
      last = p;
      break;
    }
    Check(last == Progress::kDone || last == Progress::kFailed);
  }
  if (last == Progress::kFailed) {
    Check(weft::http::ClientErrorFromBodyMessage(parser.error_code() + ": x").code ==
              parser.error_code() ||
          parser.error_code() == "internal-error");
    Check(!parser.error_detail().empty());
  }
  if (last == Progress::kDone) {
    Check(parser.done());
    if (parser.content_length() && !head_request) {
      Check(body_total == *parser.content_length() || body_total == 0);
    }
  }
  return 0;
}
