// The incremental HTTP/1.1 response parser (response_parser.h). Lines may end in CRLF or a
// bare LF (RFC 9112 2.2 lets recipients accept LF); framing follows RFC 9112 6.3 strictly:
// both transfer-encoding and content-length, differing content-lengths, or a coding other
// than plain `chunked` are refused rather than guessed at.
#include "http/client/response_parser.h"

#include <algorithm>
#include <charconv>

#include "http/client/text.h"

namespace weft::http {

using text::IsFieldValue;
using text::IsToken;
using text::ParseDecimal;
using text::ToLower;
using text::TrimOws;

void ResponseParser::Feed(std::string_view bytes) {
  fed_ += bytes.size();
  if (state_ == State::kDone || state_ == State::kFailed) return;
  // Keep the unparsed tail at the front so the buffer does not grow with the body.
  if (pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  } else if (pos_ > 16 * 1024) {
    in_.erase(0, pos_);
    pos_ = 0;
  }
  in_.append(bytes);
}

ResponseParser::Progress ResponseParser::Fail(std::string code, std::string detail) {
  state_ = State::kFailed;
  error_code_ = std::move(code);
  error_detail_ = std::move(detail);
  return Progress::kFailed;
}

bool ResponseParser::NextLine(std::string_view& line) {
  size_t nl = in_.find('\n', pos_);
  if (nl == std::string::npos) return false;
  line = std::string_view(in_).substr(pos_, nl - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos_ = nl + 1;
  return true;
}

void ResponseParser::TakeBody(std::vector<uint8_t>& body, size_t n, size_t& room) {
  body.insert(body.end(), in_.begin() + static_cast<ptrdiff_t>(pos_),
              in_.begin() + static_cast<ptrdiff_t>(pos_ + n));
  pos_ += n;
  body_bytes_ += n;
  room -= n;
}

bool ResponseParser::ParseField(std::string_view line, Headers& into) {
  if (line.front() == ' ' || line.front() == '\t') {
    Fail("HTTP-protocol-error", "obsolete line folding in a header field");
    return false;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    Fail("HTTP-protocol-error", "malformed header field '" + std::string(line.substr(0, 64)) + "'");
    return false;
  }
  std::string_view value = TrimOws(line.substr(colon + 1));
  if (!IsFieldValue(value)) {
    Fail("HTTP-protocol-error",
         "control character in header field '" + std::string(line.substr(0, colon)) + "'");
    return false;
  }
  into.emplace_back(ToLower(line.substr(0, colon)), std::string(value));
  return true;
}

ResponseParser::Progress ResponseParser::Parse(std::vector<uint8_t>& body, size_t room) {
  if (state_ == State::kFailed) return Progress::kFailed;
  return Loop(body, room);
}

ResponseParser::Progress ResponseParser::Eof() {
  switch (state_) {
    case State::kFailed:
      return Progress::kFailed;
    case State::kDone:
      return Progress::kDone;
    case State::kUntilClose:
      if (Available() > 0) return Progress::kBlocked;  // the caller must take the rest first
      state_ = State::kDone;
      return Progress::kDone;
    case State::kStatusLine:
    case State::kHeaders:
      if (fed_ == 0) return Fail("connection-terminated", "connection closed without a response");
      return Fail("HTTP-response-incomplete", "connection closed inside the response head");
    case State::kLength:
      return Fail("HTTP-response-incomplete", "connection closed after " +
                                                  std::to_string(body_bytes_) + " of " +
                                                  std::to_string(*content_length_) + " body bytes");
    default:
      return Fail("HTTP-response-incomplete", "connection closed inside the chunked body after " +
                                                  std::to_string(body_bytes_) + " bytes");
  }
}

ResponseParser::Progress ResponseParser::Loop(std::vector<uint8_t>& body, size_t& room) {
  std::string_view line;
  for (;;) {
    switch (state_) {
      case State::kStatusLine: {
        if (!NextLine(line)) {
          if (Available() > kMaxHeadBytes) {
            return Fail("HTTP-response-header-section-size",
                        "status line longer than " + std::to_string(kMaxHeadBytes) + " bytes");
          }
          return Progress::kNeedInput;
        }
        if (line.empty()) continue;  // stray CRLF before the status line (RFC 9112 2.2)
        head_bytes_ = line.size();
        // "HTTP/1.1 200 OK": version, status code, optional reason.
        if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' ||
            line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
          return Fail("HTTP-protocol-error",
                      "malformed status line '" + std::string(line.substr(0, 64)) + "'");
        }
        std::string_view code = line.substr(9, 3);
        if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            code[0] == '0') {
          return Fail("HTTP-protocol-error", "bad status code '" + std::string(code) + "'");
        }
        status_ = static_cast<uint16_t>(*ParseDecimal(code));
        headers_.clear();
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        if (!NextLine(line)) {
          if (head_bytes_ + Available() > kMaxHeadBytes) {
            return Fail("HTTP-response-header-section-size",
                        "response head larger than " + std::to_string(kMaxHeadBytes) + " bytes");
          }
          return Progress::kNeedInput;
        }
        head_bytes_ += line.size() + 2;
        if (head_bytes_ > kMaxHeadBytes) {
          return Fail("HTTP-response-header-section-size",
                      "response head larger than " + std::to_string(kMaxHeadBytes) + " bytes");
        }
        if (!line.empty()) {
          if (!ParseField(line, headers_)) return Progress::kFailed;
          break;
        }
        Progress p = HeadComplete();
        if (p != Progress::kNeedInput) return p;
        break;
      }
      case State::kLength: {
        uint64_t left = *content_length_ - body_bytes_;
        if (left == 0) {
          state_ = State::kDone;
          break;
        }
        size_t n = static_cast<size_t>(std::min<uint64_t>({left, Available(), room}));
        if (n == 0) return room == 0 ? Progress::kBlocked : Progress::kNeedInput;
        TakeBody(body, n, room);
        break;
      }
      case State::kChunkSize: {
        if (!NextLine(line)) {
          if (Available() > kMaxChunkLine) {
            return Fail("HTTP-protocol-error", "chunk size line too long");
          }
          return Progress::kNeedInput;
        }
        std::string_view digits = line.substr(0, line.find_first_of("; \t"));
        uint64_t size = 0;
        auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
        if (digits.empty() || digits.size() > 15 || ec != std::errc() ||
            ptr != digits.data() + digits.size()) {
          return Fail("HTTP-protocol-error",
                      "bad chunk size '" + std::string(line.substr(0, 32)) + "'");
        }
        if (size == 0) {
          state_ = State::kTrailers;
          trailer_bytes_ = 0;
        } else {
          chunk_left_ = size;
          state_ = State::kChunkData;
        }
        break;
      }
      case State::kChunkData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>({chunk_left_, Available(), room}));
        if (n == 0) return room == 0 ? Progress::kBlocked : Progress::kNeedInput;
        TakeBody(body, n, room);
        chunk_left_ -= n;
        if (chunk_left_ == 0) state_ = State::kChunkDataEnd;
        break;
      }
      case State::kChunkDataEnd: {
        if (!NextLine(line)) {
          if (Available() >= 2)
            return Fail("HTTP-protocol-error", "chunk data not followed by CRLF");
          return Progress::kNeedInput;
        }
        if (!line.empty()) return Fail("HTTP-protocol-error", "chunk data longer than its size");
        state_ = State::kChunkSize;
        break;
      }
      case State::kTrailers: {
        if (!NextLine(line)) {
          if (trailer_bytes_ + Available() > kMaxTrailerBytes) {
            return Fail("HTTP-response-trailer-section-size",
                        "trailers larger than " + std::to_string(kMaxTrailerBytes) + " bytes");
          }
          return Progress::kNeedInput;
        }
        trailer_bytes_ += line.size() + 2;
        if (trailer_bytes_ > kMaxTrailerBytes) {
          return Fail("HTTP-response-trailer-section-size",
                      "trailers larger than " + std::to_string(kMaxTrailerBytes) + " bytes");
        }
        if (line.empty()) {
          state_ = State::kDone;
          break;
        }
        if (!ParseField(line, trailers_)) return Progress::kFailed;
        break;
      }
      case State::kUntilClose: {
        size_t n = std::min(Available(), room);
        if (n == 0) return room == 0 ? Progress::kBlocked : Progress::kNeedInput;
        TakeBody(body, n, room);
        break;
      }
      case State::kDone:
        return Progress::kDone;
      case State::kFailed:
        return Progress::kFailed;
    }
  }
}

// The blank line after the header fields: decide the body's framing (RFC 9112 6.3).
// Returns kNeedInput to go on parsing (an interim 1xx response), else kHead or kFailed.
ResponseParser::Progress ResponseParser::HeadComplete() {
  if (status_ >= 100 && status_ < 200) {
    if (status_ == 101) {
      return Fail("HTTP-upgrade-failed",
                  "the server switched protocols, which this client does not do");
    }
    state_ = State::kStatusLine;  // 100 Continue, 103 Early Hints: the real one follows
    return Progress::kNeedInput;
  }
  std::vector<std::string> codings;
  std::optional<uint64_t> length;
  for (const auto& [name, value] : headers_) {
    if (name == "transfer-encoding") {
      std::string_view rest = value;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = TrimOws(rest.substr(0, comma));
        if (!item.empty()) codings.push_back(ToLower(item));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else if (name == "content-length") {
      // "5, 5" (a list of equal values) is the same as "5" (RFC 9110 8.6).
      std::string_view rest = value;
      for (;;) {
        size_t comma = rest.find(',');
        auto v = ParseDecimal(TrimOws(rest.substr(0, comma)));
        if (!v || (length && *length != *v)) {
          return Fail("HTTP-protocol-error", "invalid content-length '" + value + "'");
        }
        length = v;
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
    }
  }
  if (head_request_ || status_ == 204 || status_ == 304) {
    // No body whatever the fields say; a content-length still tells the size.
    content_length_ = length;
    state_ = State::kDone;
  } else if (!codings.empty()) {
    if (length) return Fail("HTTP-protocol-error", "both transfer-encoding and content-length");
    if (codings.size() != 1 || codings[0] != "chunked") {
      std::string list;
      for (const auto& c : codings) list += (list.empty() ? "" : ", ") + c;
      return Fail("HTTP-response-transfer-coding", "unsupported transfer-coding '" + list + "'");
    }
    state_ = State::kChunkSize;
  } else if (length) {
    content_length_ = length;
    state_ = State::kLength;
  } else {
    state_ = State::kUntilClose;
  }
  return Progress::kHead;
}

}  // namespace weft::http
