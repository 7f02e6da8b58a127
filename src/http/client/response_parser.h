// Incremental HTTP/1.1 response parser for the outbound client (client.cc): bytes go in as
// they arrive from the socket, in any split; the head comes out once, then the decoded body
// (content-length, chunked with trailers, or until close) in pieces no larger than the room
// the caller has. No I/O, so it is unit-tested and fuzzed on its own (response_parser_fuzz.cc).
// Invariants: after kFailed nothing more is parsed and error_code() names a wasi:http
// error-code case; body bytes never exceed a declared content-length or a chunk's size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace weft::http {

class ResponseParser {
 public:
  enum class Progress : uint8_t {
    kNeedInput,  ///< Feed more bytes (or call Eof()).
    kBlocked,    ///< The room given is used up (maybe by this call) and more body waits.
    kHead,       ///< The head is complete: take it before parsing on.
    kDone,       ///< The response is complete (trailers available).
    kFailed,     ///< Malformed or too large: error_code() / error_detail().
  };

  /// `head_request`: the response answers HEAD, so it has no body whatever its fields say.
  explicit ResponseParser(bool head_request = false) : head_request_(head_request) {}

  /// Appends bytes received from the peer.
  void Feed(std::string_view bytes);
  /// Parses as far as the input goes, appending at most `room` decoded body bytes to `body`.
  /// Stops with kHead once, when the head completes (1xx interim responses are skipped);
  /// the next call goes on with the body.
  Progress Parse(std::vector<uint8_t>& body, size_t room);
  /// The peer closed the connection after everything fed so far: kDone for a body delimited
  /// by the close, else kFailed ("connection-terminated" before any byte,
  /// "HTTP-response-incomplete" after some).
  Progress Eof();

  bool in_head() const { return state_ == State::kStatusLine || state_ == State::kHeaders; }
  bool done() const { return state_ == State::kDone; }
  uint16_t status() const { return status_; }
  /// The header fields (names lowercase), once kHead was returned.
  Headers TakeHeaders() { return std::move(headers_); }
  const Headers& trailers() const { return trailers_; }
  std::optional<uint64_t> content_length() const { return content_length_; }
  uint64_t bytes_fed() const { return fed_; }
  uint64_t body_bytes() const { return body_bytes_; }
  const std::string& error_code() const { return error_code_; }
  const std::string& error_detail() const { return error_detail_; }

  static constexpr size_t kMaxHeadBytes = 64 * 1024;     ///< status line + header fields
  static constexpr size_t kMaxTrailerBytes = 64 * 1024;  ///< trailer section
  static constexpr size_t kMaxChunkLine = 4096;          ///< chunk size + extensions

 private:
  enum class State : uint8_t {
    kStatusLine,
    kHeaders,
    kLength,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kUntilClose,
    kDone,
    kFailed
  };

  Progress Loop(std::vector<uint8_t>& body, size_t& room);
  Progress HeadComplete();
  bool NextLine(std::string_view& line);
  size_t Available() const { return in_.size() - pos_; }
  void TakeBody(std::vector<uint8_t>& body, size_t n, size_t& room);
  bool ParseField(std::string_view line, Headers& into);
  Progress Fail(std::string code, std::string detail);

  bool head_request_;
  State state_ = State::kStatusLine;
  std::string in_;
  size_t pos_ = 0;
  uint64_t fed_ = 0;
  size_t head_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  uint64_t chunk_left_ = 0;
  uint64_t body_bytes_ = 0;
  uint16_t status_ = 0;
  Headers headers_;
  Headers trailers_;
  std::optional<uint64_t> content_length_;
  std::string error_code_;
  std::string error_detail_;
};

}  // namespace weft::http
