// Server: N event loops (one thread each), each with its own SO_REUSEPORT acceptor, handler
// and connections. A Connection lives on one loop thread (no strands, no locks); only the
// Server-wide counters are atomics. Per connection: one input buffer and one decoder reused
// across requests, two output buffers (one being written, one filling), one timer. Requests
// are handed to the handler one at a time; the next pipelined head is parsed once the
// previous response finished. Handler-facing objects (body reader, sink, body writer) hold
// the connection plus the sequence number of their request, so stale ones fail cleanly.
// Wake callbacks are always posted, never run inside a call from the handler.
#include "http/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <csignal>
#include <cstring>
#include <ctime>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "http/request_decoder.h"

namespace weft::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// Request body bytes decoded ahead of the handler's reads; the socket is not read while
// this much is queued (backpressure).
constexpr size_t kBodyReadAhead = 64 * 1024;
// Response bytes queued (not yet handed to the socket) before BodyWriter::Capacity is 0 and
// before pipelined heads stop being parsed.
constexpr size_t kOutHigh = 64 * 1024;
// Free space asked of the input buffer for each read.
constexpr size_t kReadChunk = 16 * 1024;
// Unread request body discarded after the response before giving up on keep-alive.
constexpr uint64_t kMaxDiscard = 1 << 20;
// Lingering close (like nginx): after the last response, read and drop what the client
// still sends for this long, so unread input does not turn our close into an RST that
// destroys the response at the client.
constexpr auto kLinger = std::chrono::milliseconds(2000);
constexpr size_t kMaxLingerBytes = 1 << 20;
// After a loop stops, how long its ready handlers may run before the handler is dropped.
constexpr auto kShutdownPollBudget = std::chrono::milliseconds(100);

std::atomic<uint64_t> g_next_request_id{1};

void AppendNumber(std::string& s, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

void AppendHex(std::string& s, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  s.append(buf, r.ptr);
}

bool IsTokenChar(unsigned char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool ValidFieldName(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool ValidFieldValue(std::string_view v) {
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

bool LowerEquals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

bool IsHopByHop(std::string_view n) {
  return LowerEquals(n, "connection") || LowerEquals(n, "transfer-encoding") ||
         LowerEquals(n, "keep-alive") || LowerEquals(n, "proxy-connection") ||
         LowerEquals(n, "upgrade") || LowerEquals(n, "te");
}

std::string FormatEndpoint(const tcp::endpoint& ep) {
  error_code ec;
  std::string a = ep.address().to_string(ec);
  if (ep.address().is_v6()) a = "[" + a + "]";
  a += ':';
  AppendNumber(a, ep.port());
  return a;
}

}  // namespace

class Connection;

// One event loop thread: its acceptor, handler and live connections.
struct Loop {
  Loop(Server::Impl& s, unsigned i) : server(s), index(i) {}
  void Accept();
  void OnAccept(const error_code& ec, tcp::socket socket);
  void BeginShutdown();
  void CloseAll();
  void Add(Connection* c);
  void Remove(Connection* c);
  const std::string& Date();

  Server::Impl& server;
  unsigned index;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer grace_timer{io};
  asio::steady_timer accept_retry{io};
  std::optional<asio::signal_set> signals;
  Handler handler;
  std::vector<Connection*> connections;  // unordered; Connection knows its slot
  bool shutting_down = false;
  time_t date_sec = 0;
  std::string date;
};

struct Server::Impl {
  ServerConfig config;
  HandlerFactory factory;
  std::vector<std::unique_ptr<Loop>> loops;
  uint16_t port = 0;
  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> requests_total{0};
  std::atomic<uint64_t> requests_in_flight{0};
  std::atomic<bool> shutdown{false};
  std::atomic<bool> running{false};
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Loop& loop, tcp::socket socket, std::string remote)
      : loop_(loop),
        server_(loop.server),
        cfg_(loop.server.config),
        sock_(std::move(socket)),
        timer_(loop.io),
        remote_(std::move(remote)),
        decoder_(cfg_.max_header_bytes, cfg_.max_body_bytes) {}

  ~Connection() {
    if (!closed_) {
      loop_.Remove(this);
      server_.connections_open.fetch_sub(1, std::memory_order_relaxed);
      if (in_flight_counted_) server_.requests_in_flight.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  size_t slot_ = 0;  // index in Loop::connections

  void Start() {
    SetDeadline(Clock::now() + cfg_.header_read_timeout);
    StartRead();
  }

  void OnShutdown() {
    if (closed_) return;
    if (phase_ == Phase::kHead) {
      if (InView().empty() && (writing_ || !out_pending_.empty())) {
        phase_ = Phase::kClosing;
        MaybeFinishDrain();
      } else {
        Close();
      }
    } else if (phase_ == Phase::kRequest) {
      close_after_ = true;
    }
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    phase_ = Phase::kClosed;
    ++timer_gen_;
    timer_.cancel();
    error_code ec;
    sock_.close(ec);
    if (request_active_) {
      if (!body_done_ && !body_failed_) {
        body_failed_ = true;
        body_error_ = conn_error_.empty() ? "connection closed" : conn_error_;
      }
      EndRequest();
    }
    WakeReader();
    WakeWriter();
    reader_wake_ = nullptr;
    writer_wake_ = nullptr;
    server_.connections_open.fetch_sub(1, std::memory_order_relaxed);
    loop_.Remove(this);  // last: may stop the loop
  }

  // ---- request body (BodyReader) ----
  BodyStatus BodyRead(uint64_t seq, size_t max, std::vector<uint8_t>& out) {
    if (seq != seq_) return BodyStatus::Failed("the request is over");
    MaybeSend100();
    size_t avail = body_q_.size() - body_q_off_;
    if (avail > 0 && max > 0) {
      size_t n = std::min(max, avail);
      const auto* p = reinterpret_cast<const uint8_t*>(body_q_.data() + body_q_off_);
      out.insert(out.end(), p, p + n);
      body_q_off_ += n;
      if (body_q_off_ == body_q_.size()) {
        body_q_.clear();
        body_q_off_ = 0;
      }
      if (!body_done_ && !closed_) ScheduleTurn();  // room again: pump more
      return BodyStatus::Ok();
    }
    if (avail > 0) return BodyStatus::Ok();
    if (body_failed_) return BodyStatus::Failed(body_error_);
    if (body_done_) return BodyStatus::End();
    if (closed_) return BodyStatus::Failed("connection closed");
    return BodyStatus::Ok();
  }

  void BodyWait(uint64_t seq, std::function<void()> wake) {
    if (seq == seq_) MaybeSend100();
    if (seq != seq_ || closed_ || body_q_.size() > body_q_off_ || body_done_ || body_failed_) {
      asio::post(loop_.io, std::move(wake));
      return;
    }
    reader_wake_ = std::move(wake);
  }

  Headers BodyTrailers(uint64_t seq) {
    if (seq != seq_ || !body_done_) return {};
    return decoder_.trailers();
  }

  // ---- response (ResponseSink / BodyWriter) ----
  bool SinkStart(uint64_t seq, ResponseHead head);
  void SinkFail(uint64_t seq, uint16_t status, std::string message) {
    if (seq != seq_ || closed_) return;
    if (resp_state_ == RespState::kNone) {
      if (expect_pending_ && !body_done_) close_after_ = true;  // the body may never come
      expect_pending_ = false;
      SimpleResponse(status, message, {});
      resp_state_ = RespState::kDone;
      EndRequest();
      ScheduleTurn();
    } else if (resp_state_ == RespState::kStarted) {
      conn_error_ = "response aborted: " + message;
      Close();
    }
  }
  bool SinkStarted(uint64_t seq) const { return seq != seq_ || resp_state_ != RespState::kNone; }
  void SinkDropped(uint64_t seq) {
    if (seq == seq_ && !closed_ && resp_state_ == RespState::kNone) {
      SinkFail(seq, 500, "the handler dropped the response without answering");
    }
  }
  void SetInstance(uint64_t seq, uint64_t id) {
    if (seq == seq_) {
      instance_id_ = id;
      has_instance_ = true;
    }
  }

  bool WriterLive(uint64_t seq) const {
    return seq == seq_ && !closed_ && resp_state_ == RespState::kStarted;
  }
  size_t WriterCapacity(uint64_t seq) const {
    if (!WriterLive(seq)) return 0;
    return out_pending_.size() < kOutHigh ? kOutHigh - out_pending_.size() : 0;
  }
  BodyStatus WriterWrite(uint64_t seq, std::span<const uint8_t> bytes) {
    if (!WriterLive(seq)) return BodyStatus::Failed(WriterGoneMessage(seq));
    size_t n = bytes.size();
    if (framing_ == Framing::kLength && n > declared_len_ - resp_written_) {
      conn_error_ = "response body exceeds its content-length " + std::to_string(declared_len_);
      std::string m = conn_error_;
      Close();
      return BodyStatus::Failed(std::move(m));
    }
    resp_written_ += n;
    if (n == 0 || is_head_ || framing_ == Framing::kNone) return BodyStatus::Ok();
    const char* p = reinterpret_cast<const char*>(bytes.data());
    if (framing_ == Framing::kChunked) {
      AppendHex(out_pending_, n);
      out_pending_.append("\r\n");
      out_pending_.append(p, n);
      out_pending_.append("\r\n");
    } else {
      out_pending_.append(p, n);
    }
    ScheduleTurn();
    return BodyStatus::Ok();
  }
  void WriterWait(uint64_t seq, std::function<void()> wake) {
    if (WriterCapacity(seq) > 0 || !WriterLive(seq)) {
      asio::post(loop_.io, std::move(wake));
      return;
    }
    writer_wake_ = std::move(wake);
  }
  BodyStatus WriterFinish(uint64_t seq, Headers trailers) {
    if (!WriterLive(seq)) return BodyStatus::Failed(WriterGoneMessage(seq));
    if (framing_ == Framing::kLength && resp_written_ < declared_len_) {
      conn_error_ = "response body ended after " + std::to_string(resp_written_) +
                    " of its content-length " + std::to_string(declared_len_) + " bytes";
      std::string m = conn_error_;
      Close();
      return BodyStatus::Failed(std::move(m));
    }
    if (framing_ == Framing::kChunked && !is_head_) {
      out_pending_.append("0\r\n");
      for (auto& [name, value] : trailers) {
        if (!ValidFieldName(name) || !ValidFieldValue(value)) continue;
        out_pending_.append(name).append(": ").append(value).append("\r\n");
      }
      out_pending_.append("\r\n");
    }
    resp_state_ = RespState::kDone;
    writer_wake_ = nullptr;
    EndRequest();
    ScheduleTurn();
    return BodyStatus::Ok();
  }
  void WriterAbort(uint64_t seq, const std::string& reason) {
    if (!WriterLive(seq)) return;
    conn_error_ = "response aborted: " + reason;
    Close();
  }

 private:
  enum class Phase : uint8_t { kHead, kRequest, kClosing, kLinger, kClosed };
  enum class RespState : uint8_t { kNone, kStarted, kDone };
  enum class Framing : uint8_t { kLength, kChunked, kClose, kNone };

  std::string WriterGoneMessage(uint64_t seq) const {
    if (seq != seq_ || resp_state_ == RespState::kDone) return "the response is already finished";
    return conn_error_.empty() ? std::string("connection closed") : conn_error_;
  }

  std::string_view InView() const {
    return std::string_view(in_.data() + in_begin_, in_end_ - in_begin_);
  }

  // ---- timer: one async_wait outstanding at most; moving the deadline later costs nothing
  // (the wait re-arms when it fires early), moving it earlier re-arms.
  void SetDeadline(Clock::time_point t) {
    deadline_ = t;
    if (closed_ || t == Clock::time_point::max()) return;
    if (timer_armed_ && timer_expiry_ <= t) return;
    timer_armed_ = true;
    timer_expiry_ = t;
    uint64_t gen = ++timer_gen_;
    timer_.expires_at(t);
    timer_.async_wait([self = shared_from_this(), gen](const error_code&) { self->OnTimer(gen); });
  }

  // While a request is in progress the timer serves two clocks: the client's body bytes
  // (body_deadline_) and the response's output (write_progress_ + the idle timeout).
  void ArmRequestTimer() {
    if (phase_ != Phase::kRequest) return;
    Clock::time_point t = body_deadline_;
    if (writing_) t = std::min(t, write_progress_ + cfg_.idle_connection_timeout);
    SetDeadline(t);
  }

  void OnTimer(uint64_t gen) {
    if (gen != timer_gen_ || closed_) return;
    timer_armed_ = false;
    if (deadline_ == Clock::time_point::max()) return;
    if (Clock::now() < deadline_) {
      SetDeadline(deadline_);
      return;
    }
    switch (phase_) {
      case Phase::kHead:
        if (head_started_) {
          RespondAndClose(408, "request head not received within " +
                                   std::to_string(cfg_.header_read_timeout.count()) + " ms");
        } else {
          Close();
        }
        break;
      case Phase::kClosing:
      case Phase::kLinger:
        Close();
        break;
      case Phase::kRequest: {
        Clock::time_point now = Clock::now();
        if (writing_ && now - write_progress_ >= cfg_.idle_connection_timeout) {
          // The client stopped taking the response: cut it, so the handler's writer fails
          // (and its instance is freed) instead of waiting on the socket forever.
          conn_error_ = "response stalled: the client took none of it for " +
                        std::to_string(cfg_.idle_connection_timeout.count()) + " ms";
          Close();
          break;
        }
        if (reading_ && !body_done_ && !body_failed_ && now >= body_deadline_) {
          FailBody(408, "request body stalled for " +
                            std::to_string(cfg_.idle_connection_timeout.count()) + " ms");
          ProcessInput();
          break;
        }
        ArmRequestTimer();
        break;
      }
      default:
        break;
    }
  }

  // ---- input ----
  // False when the buffer is full of unconsumed input (nothing to read into).
  bool StartRead() {
    if (reading_ || closed_) return true;
    if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
    if (in_.size() - in_end_ < kReadChunk && in_begin_ > 0) {
      std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    if (in_.size() - in_end_ < kReadChunk) {
      size_t cap = std::max<size_t>(size_t{cfg_.max_header_bytes} + kReadChunk, 64 * 1024);
      size_t want = std::min(cap, std::max(in_.size() * 2, in_end_ + kReadChunk));
      if (want > in_.size()) in_.resize(want);
    }
    if (in_end_ == in_.size()) return false;
    reading_ = true;
    sock_.async_read_some(
        asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
        [self = shared_from_this()](const error_code& ec, size_t n) { self->OnRead(ec, n); });
    return true;
  }

  void OnRead(const error_code& ec, size_t n) {
    reading_ = false;
    if (closed_) return;
    if (phase_ == Phase::kClosing) {
      if (ec && ec != asio::error::eof) Close();  // else: the queued output still goes out
      return;
    }
    if (phase_ == Phase::kLinger) {
      linger_bytes_ += n;
      if (ec || linger_bytes_ > kMaxLingerBytes) {
        Close();
      } else {
        in_begin_ = in_end_ = 0;
        StartRead();
      }
      return;
    }
    if (ec) {
      conn_error_ = ec == asio::error::eof ? "connection closed by the client" : ec.message();
      if (phase_ == Phase::kRequest) {
        close_after_ = true;
        if (!body_done_ && !body_failed_) {
          body_failed_ = true;
          body_error_ = ec == asio::error::eof ? "connection closed before the request body ended"
                                               : "connection error: " + ec.message();
          WakeReader();
        }
        ProcessInput();
      } else if (phase_ == Phase::kHead && InView().empty() && ec == asio::error::eof &&
                 (writing_ || !out_pending_.empty() || turn_posted_)) {
        phase_ = Phase::kClosing;  // half-closed client: deliver what is queued, then close
        MaybeFinishDrain();
      } else {
        Close();
      }
      return;
    }
    in_end_ += n;
    ProcessInput();
  }

  void ProcessInput() {
    if (processing_) {
      reprocess_ = true;
      return;
    }
    processing_ = true;
    do {
      reprocess_ = false;
      Step();
    } while (reprocess_ && !closed_);
    processing_ = false;
  }

  void Step() {
    if (closed_) return;
    if (phase_ == Phase::kHead) {
      if (out_pending_.size() >= kOutHigh) {
        paused_for_output_ = true;  // resumed by OnWrite
        return;
      }
      paused_for_output_ = false;
      std::string_view in = InView();
      size_t consumed = 0;
      auto s = decoder_.ParseHead(in, &consumed);
      if (s == RequestDecoder::Status::kNeedMore) {
        if (!in.empty() && !head_started_) {
          head_started_ = true;
          // A new connection's clock started at accept; a kept-alive one's at its first byte.
          if (seq_ != 0) SetDeadline(Clock::now() + cfg_.header_read_timeout);
        }
        StartRead();
        return;
      }
      if (s == RequestDecoder::Status::kError) {
        RespondAndClose(decoder_.error().status, decoder_.error().message);
        return;
      }
      in_begin_ += consumed;
      Dispatch();
      reprocess_ = true;
      return;
    }
    if (phase_ == Phase::kRequest) {
      PumpBody();
      if (closed_) return;
      if (resp_state_ == RespState::kDone && (body_done_ || body_failed_ || close_after_)) {
        EndExchange();
      }
    }
  }

  void PumpBody() {
    if (body_done_ || body_failed_) return;
    bool discard = resp_state_ == RespState::kDone;
    size_t queued = body_q_.size() - body_q_off_;
    size_t room = discard ? std::numeric_limits<size_t>::max()
                          : (queued < kBodyReadAhead ? kBodyReadAhead - queued : 0);
    std::string_view in = InView();
    if (!in.empty() && room > 0) {
      if (body_q_off_ > 0) {
        body_q_.erase(0, body_q_off_);
        body_q_off_ = 0;
      }
      size_t consumed = 0;
      uint64_t before = decoder_.body_bytes();
      auto s = decoder_.ParseBody(in, &consumed, discard ? nullptr : &body_q_, room);
      in_begin_ += consumed;
      if (s == RequestDecoder::Status::kError) {
        // 413 when the limit was crossed while streaming, 400 for broken chunked framing;
        // the sink's Start then fails.
        FailBody(decoder_.error().status, decoder_.error().message);
        return;
      }
      if (s == RequestDecoder::Status::kDone) {
        body_done_ = true;
        body_deadline_ = Clock::time_point::max();
        ArmRequestTimer();
        WakeReader();
        return;
      }
      if (decoder_.body_bytes() != before && !discard) WakeReader();
      if (discard) {
        discarded_ += decoder_.body_bytes() - before;
        if (discarded_ > kMaxDiscard) {
          close_after_ = true;
          return;
        }
      }
    }
    // The decoder stopped for want of input (not of room): a chunk line or the CRLF after
    // chunk data may be split, so unconsumed bytes do not mean it can go on.
    bool starved = discard || body_q_.size() - body_q_off_ < kBodyReadAhead;
    if (!starved) return;
    bool was_reading = reading_;
    if (!StartRead() && !reading_) {
      FailBody(400, "chunk line longer than the input buffer");
    } else if (!was_reading && reading_) {
      // Waiting on the client for body bytes: it gets the idle timeout between them (a
      // client trickling a body must not hold a connection and a handler forever).
      body_deadline_ = Clock::now() + cfg_.idle_connection_timeout;
      ArmRequestTimer();
    }
  }

  // The request body cannot complete: the reader fails, the server answers `status` if the
  // handler has not started a response, and the connection closes after the response.
  void FailBody(uint16_t status, const std::string& message) {
    body_failed_ = true;
    body_error_ = message;
    close_after_ = true;
    if (resp_state_ == RespState::kNone) {
      SimpleResponse(status, message, {});
      resp_state_ = RespState::kDone;
      EndRequest();
    } else if (resp_state_ == RespState::kStarted) {
      // The request is invalid (too large, broken framing, stalled): a response already
      // under way is cut, so the client cannot take it for a complete answer to a request
      // the handler saw only part of. Close() fails the reader and wakes it.
      conn_error_ = "request body failed: " + message;
      Close();
      return;
    }
    WakeReader();
  }

  void Dispatch() {
    RequestHead& h = decoder_.head();
    ++seq_;
    phase_ = Phase::kRequest;
    head_started_ = false;
    body_deadline_ = Clock::time_point::max();
    SetDeadline(Clock::time_point::max());
    request_active_ = true;
    resp_state_ = RespState::kNone;
    resp_status_ = 0;
    resp_written_ = 0;
    has_instance_ = false;
    discarded_ = 0;
    body_done_ = !h.has_body();
    body_failed_ = false;
    body_error_.clear();
    body_q_.clear();
    body_q_off_ = 0;
    close_after_ = !h.keep_alive || loop_.shutting_down;
    is_head_ = h.method == "HEAD";
    http10_ = h.version == 10;
    expect_pending_ = h.expect_continue && !body_done_;
    req_id_ = g_next_request_id.fetch_add(1, std::memory_order_relaxed);
    start_ = Clock::now();
    if (cfg_.access_log) {
      log_method_ = h.method;
      log_path_ = h.target;
    }
    server_.requests_total.fetch_add(1, std::memory_order_relaxed);
    uint64_t in_flight = server_.requests_in_flight.fetch_add(1, std::memory_order_relaxed) + 1;
    in_flight_counted_ = true;
    if (cfg_.max_concurrent_requests != 0 && in_flight > cfg_.max_concurrent_requests) {
      SimpleResponse(503, "too many concurrent requests", "retry-after: 1\r\n");
      resp_state_ = RespState::kDone;
      expect_pending_ = false;
      if (h.expect_continue && !body_done_) close_after_ = true;  // the body may never come
      EndRequest();
      return;
    }
    PumpBody();  // a body that already arrived is readable at once
    if (closed_ || resp_state_ != RespState::kNone) return;
    auto self = shared_from_this();
    Request req;
    req.id = req_id_;
    req.method = std::move(h.method);
    req.scheme = "http";
    req.authority = std::move(h.authority);
    if (req.authority.empty()) {
      // HTTP/1.0 may omit Host (1.1 requests without one were refused as 400): name the
      // address the client reached, as the request's authority must be known to handlers
      // (wasi:http guests such as componentize-js's trap without one).
      error_code ec;
      tcp::endpoint local = sock_.local_endpoint(ec);
      if (!ec) req.authority = FormatEndpoint(local);
    }
    req.path_with_query = std::move(h.target);
    req.headers = std::move(h.headers);
    req.remote = remote_;
    req.body = std::make_shared<Reader>(self, seq_, h.content_length);
    auto sink = std::make_shared<Sink>(self, seq_);
    if (!loop_.handler) {
      SinkFail(seq_, 500, "no handler");
      return;
    }
    loop_.handler(std::move(req), std::move(sink));
  }

  void EndExchange() {
    request_active_ = false;
    reader_wake_ = nullptr;
    writer_wake_ = nullptr;
    body_q_.clear();
    body_q_off_ = 0;
    if (close_after_ || loop_.shutting_down) {
      phase_ = Phase::kClosing;
      SetDeadline(Clock::now() + cfg_.idle_connection_timeout);
      MaybeFinishDrain();
      return;
    }
    decoder_.Reset();
    phase_ = Phase::kHead;
    head_started_ = !InView().empty();
    SetDeadline(Clock::now() +
                (head_started_ ? cfg_.header_read_timeout : cfg_.idle_connection_timeout));
    reprocess_ = true;
  }

  // Accounting and the access log line, once per dispatched request.
  void EndRequest() {
    if (!request_active_ || logged_seq_ == seq_) return;
    logged_seq_ = seq_;
    if (in_flight_counted_) {
      in_flight_counted_ = false;
      server_.requests_in_flight.fetch_sub(1, std::memory_order_relaxed);
    }
    if (!cfg_.access_log) return;
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
    char dur[32];
    std::snprintf(dur, sizeof dur, "%.3f", ms);
    std::string line;
    line.reserve(96 + log_path_.size());
    line.append(remote_).append(" \"").append(log_method_).append(" ").append(log_path_);
    line.append("\" ");
    AppendNumber(line, resp_status_);
    line += ' ';
    AppendNumber(line, resp_written_);
    line.append(" ").append(dur).append("ms req=");
    AppendNumber(line, req_id_);
    line.append(" instance=");
    if (has_instance_) {
      AppendNumber(line, instance_id_);
    } else {
      line += '-';
    }
    cfg_.access_log(line);
  }

  void MaybeSend100() {
    if (!expect_pending_ || closed_ || resp_state_ != RespState::kNone) return;
    expect_pending_ = false;
    if (body_done_ || decoder_.body_bytes() > 0) return;  // the client did not wait
    out_pending_.append("HTTP/1.1 100 Continue\r\n\r\n");
    ScheduleTurn();
  }

  void AppendCommonHeaders(bool has_date) {
    if (close_after_) {
      out_pending_.append("connection: close\r\n");
    } else if (http10_) {
      out_pending_.append("connection: keep-alive\r\n");
    }
    if (!has_date) out_pending_.append("date: ").append(loop_.Date()).append("\r\n");
  }

  void AppendStatusLine(uint16_t status) {
    out_pending_.append("HTTP/1.1 ");
    AppendNumber(out_pending_, status);
    out_pending_ += ' ';
    out_pending_.append(ReasonPhrase(status));
    out_pending_.append("\r\n");
  }

  // A text/plain response made by the server (errors, 503, a handler's Fail).
  void SimpleResponse(uint16_t status, const std::string& message, std::string_view extra) {
    resp_status_ = status;
    framing_ = Framing::kLength;
    std::string body = message;
    if (body.empty() || body.back() != '\n') body += '\n';
    resp_written_ = body.size();
    AppendStatusLine(status);
    out_pending_.append("content-type: text/plain; charset=utf-8\r\ncontent-length: ");
    AppendNumber(out_pending_, body.size());
    out_pending_.append("\r\n").append(extra);
    AppendCommonHeaders(false);
    out_pending_.append("\r\n");
    if (!is_head_) out_pending_.append(body);
    ScheduleTurn();
  }

  // For a head that was refused (no request was dispatched).
  void RespondAndClose(uint16_t status, const std::string& message) {
    close_after_ = true;
    is_head_ = false;
    http10_ = false;
    SimpleResponse(status, message, {});
    phase_ = Phase::kClosing;
    SetDeadline(Clock::now() + cfg_.idle_connection_timeout);
    ScheduleTurn();
  }

  // ---- output ----
  // Everything the handler does in one loop turn (Start, Write, Finish) is written with one
  // write: the flush runs from a posted turn, which also parses the next pipelined request.
  void ScheduleTurn() {
    if (turn_posted_ || closed_) return;
    turn_posted_ = true;
    asio::post(loop_.io, [self = shared_from_this()] {
      self->turn_posted_ = false;
      self->ProcessInput();
      self->Flush();
    });
  }

  void Flush() {
    if (closed_) return;
    if (writing_ || out_pending_.empty()) {
      MaybeFinishDrain();
      return;
    }
    out_writing_.swap(out_pending_);
    writing_ = true;
    write_progress_ = Clock::now();
    // The completion condition runs after each partial write: progress restarts the stall
    // clock, so a slow but steady reader is not cut, a reader that stopped is.
    asio::async_write(
        sock_, asio::buffer(out_writing_),
        [this, total = out_writing_.size()](const error_code& ec, size_t done) -> size_t {
          if (ec || done >= total) return 0;
          if (done > 0) write_progress_ = Clock::now();
          return total - done;
        },
        [self = shared_from_this()](const error_code& ec, size_t) { self->OnWrite(ec); });
    if (phase_ == Phase::kRequest) ArmRequestTimer();
    if (writer_wake_ && WriterCapacity(seq_) > 0) WakeWriter();
  }

  void OnWrite(const error_code& ec) {
    writing_ = false;
    out_writing_.clear();
    if (closed_) return;
    if (ec) {
      conn_error_ = "connection lost while writing the response: " + ec.message();
      Close();
      return;
    }
    if (!out_pending_.empty()) Flush();
    if (writer_wake_ && WriterCapacity(seq_) > 0) WakeWriter();
    if (paused_for_output_ && phase_ == Phase::kHead) ProcessInput();
    MaybeFinishDrain();
  }

  void MaybeFinishDrain() {
    if (phase_ != Phase::kClosing || writing_ || !out_pending_.empty() || turn_posted_) return;
    phase_ = Phase::kLinger;
    error_code ec;
    sock_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      Close();
      return;
    }
    // Shutting down, with nothing unread that could turn the close into an RST: no linger.
    if (loop_.shutting_down && sock_.available(ec) == 0 && !ec) {
      Close();
      return;
    }
    SetDeadline(Clock::now() + kLinger);
    in_begin_ = in_end_ = 0;
    StartRead();
  }

  void WakeReader() {
    if (!reader_wake_) return;
    asio::post(loop_.io, std::move(reader_wake_));
    reader_wake_ = nullptr;
  }
  void WakeWriter() {
    if (!writer_wake_) return;
    asio::post(loop_.io, std::move(writer_wake_));
    writer_wake_ = nullptr;
  }

  // Handler-facing objects. Each keeps the connection alive and knows its request.
  class Reader final : public BodyReader {
   public:
    Reader(std::shared_ptr<Connection> c, uint64_t seq, std::optional<uint64_t> len)
        : c_(std::move(c)), seq_(seq), len_(len) {}
    BodyStatus Read(size_t max, std::vector<uint8_t>& out) override {
      if (ended_) return BodyStatus::End();
      BodyStatus s = c_->BodyRead(seq_, max, out);
      if (s.kind == BodyStatus::kEnd) {
        ended_ = true;
        trailers_ = c_->BodyTrailers(seq_);
      }
      return s;
    }
    void Wait(std::function<void()> wake) override {
      if (ended_) {
        asio::post(c_->loop_.io, std::move(wake));
        return;
      }
      c_->BodyWait(seq_, std::move(wake));
    }
    Headers Trailers() override { return trailers_; }
    std::optional<uint64_t> content_length() const override { return len_; }

   private:
    std::shared_ptr<Connection> c_;
    uint64_t seq_;
    std::optional<uint64_t> len_;
    bool ended_ = false;
    Headers trailers_;
  };

  class Writer final : public BodyWriter {
   public:
    Writer(std::shared_ptr<Connection> c, uint64_t seq) : c_(std::move(c)), seq_(seq) {}
    ~Writer() override {
      if (!done_ && c_->WriterLive(seq_)) c_->WriterAbort(seq_, "the response body was dropped");
    }
    size_t Capacity() override { return done_ ? 0 : c_->WriterCapacity(seq_); }
    BodyStatus Write(std::span<const uint8_t> bytes) override {
      if (done_) return BodyStatus::Failed("the response body is finished");
      BodyStatus s = c_->WriterWrite(seq_, bytes);
      if (s.kind == BodyStatus::kFailed) done_ = failed_ = true;
      return s;
    }
    void MarkFailed() { done_ = failed_ = true; }
    void Wait(std::function<void()> wake) override {
      if (done_) {
        asio::post(c_->loop_.io, std::move(wake));
        return;
      }
      c_->WriterWait(seq_, std::move(wake));
    }
    BodyStatus Finish(Headers trailers) override {
      if (done_) return BodyStatus::Failed("the response body is finished");
      done_ = true;
      BodyStatus s = c_->WriterFinish(seq_, std::move(trailers));
      if (s.kind == BodyStatus::kFailed) failed_ = true;
      return s;
    }
    void Abort(std::string reason) override {
      if (done_) return;
      done_ = true;
      c_->WriterAbort(seq_, reason);
    }
    bool failed() const override { return failed_ || (!done_ && !c_->WriterLive(seq_)); }

   private:
    std::shared_ptr<Connection> c_;
    uint64_t seq_;
    bool done_ = false;
    bool failed_ = false;
  };

  class Sink final : public ResponseSink {
   public:
    Sink(std::shared_ptr<Connection> c, uint64_t seq) : c_(std::move(c)), seq_(seq) {}
    ~Sink() override {
      if (!answered_) c_->SinkDropped(seq_);
    }
    std::shared_ptr<BodyWriter> Start(ResponseHead head) override {
      answered_ = true;
      auto w = std::make_shared<Writer>(c_, seq_);
      if (!c_->SinkStart(seq_, std::move(head))) w->MarkFailed();
      return w;
    }
    void Fail(uint16_t status, std::string message) override {
      answered_ = true;
      c_->SinkFail(seq_, status, std::move(message));
    }
    bool started() const override { return c_->SinkStarted(seq_); }
    void SetInstanceId(uint64_t id) override { c_->SetInstance(seq_, id); }

   private:
    std::shared_ptr<Connection> c_;
    uint64_t seq_;
    bool answered_ = false;
  };

  Loop& loop_;
  Server::Impl& server_;
  const ServerConfig& cfg_;
  tcp::socket sock_;
  asio::steady_timer timer_;
  std::string remote_;
  RequestDecoder decoder_;

  // Input: [in_begin_, in_end_) of in_ is received and not yet consumed.
  std::vector<char> in_;
  size_t in_begin_ = 0, in_end_ = 0;
  bool reading_ = false;
  size_t linger_bytes_ = 0;

  // Output: out_writing_ is with the socket, out_pending_ fills meanwhile.
  std::string out_pending_, out_writing_;
  bool writing_ = false;
  bool turn_posted_ = false;
  bool paused_for_output_ = false;

  Phase phase_ = Phase::kHead;
  bool closed_ = false;
  bool processing_ = false, reprocess_ = false;
  bool head_started_ = false;
  std::string conn_error_;

  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point body_deadline_ = Clock::time_point::max();  // kRequest: body bytes due
  Clock::time_point write_progress_;  // last progress of the write in flight
  Clock::time_point timer_expiry_{};
  bool timer_armed_ = false;
  uint64_t timer_gen_ = 0;

  // The current request (seq_ numbers the requests of this connection).
  uint64_t seq_ = 0;
  uint64_t logged_seq_ = 0;
  bool request_active_ = false;
  bool in_flight_counted_ = false;
  uint64_t req_id_ = 0;
  Clock::time_point start_{};
  std::string log_method_, log_path_;
  bool is_head_ = false, http10_ = false, close_after_ = false, expect_pending_ = false;
  bool body_done_ = true, body_failed_ = false;
  std::string body_error_;
  std::string body_q_;
  size_t body_q_off_ = 0;
  uint64_t discarded_ = 0;
  std::function<void()> reader_wake_, writer_wake_;
  RespState resp_state_ = RespState::kNone;
  Framing framing_ = Framing::kChunked;
  uint16_t resp_status_ = 0;
  uint64_t declared_len_ = 0, resp_written_ = 0;
  uint64_t instance_id_ = 0;
  bool has_instance_ = false;
};

bool Connection::SinkStart(uint64_t seq, ResponseHead head) {
  if (seq != seq_ || closed_ || resp_state_ != RespState::kNone) return false;
  resp_state_ = RespState::kStarted;
  uint16_t status = head.status;
  if (status < 200 || status > 999) status = 500;  // interim or invalid codes are not final
  resp_status_ = status;
  resp_written_ = 0;
  if (expect_pending_ && !body_done_) close_after_ = true;  // the client may hold its body
  expect_pending_ = false;
  AppendStatusLine(status);
  std::optional<uint64_t> declared;
  bool has_date = false;
  bool no_body = status == 204 || status == 304;
  for (auto& [name, value] : head.headers) {
    if (!ValidFieldName(name) || !ValidFieldValue(value) || IsHopByHop(name)) continue;
    if (LowerEquals(name, "content-length")) {
      uint64_t v = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), v);
      if (declared || value.empty() || r.ec != std::errc() ||
          r.ptr != value.data() + value.size() || status == 204) {
        continue;
      }
      declared = v;
    } else if (LowerEquals(name, "date")) {
      has_date = true;
    }
    out_pending_.append(name).append(": ").append(value).append("\r\n");
  }
  if (no_body) {
    framing_ = Framing::kNone;
  } else if (declared) {
    framing_ = Framing::kLength;
    declared_len_ = *declared;
  } else if (http10_) {
    framing_ = Framing::kClose;  // HTTP/1.0 has no chunked: the close ends the body
    close_after_ = true;
  } else {
    framing_ = Framing::kChunked;
    if (!is_head_) out_pending_.append("transfer-encoding: chunked\r\n");
  }
  if (framing_ != Framing::kLength) declared_len_ = std::numeric_limits<uint64_t>::max();
  AppendCommonHeaders(has_date);
  out_pending_.append("\r\n");
  ScheduleTurn();
  return true;
}

// ---- Loop ----

void Loop::Add(Connection* c) {
  c->slot_ = connections.size();
  connections.push_back(c);
}

void Loop::Remove(Connection* c) {
  size_t i = c->slot_;
  if (i >= connections.size() || connections[i] != c) return;
  connections[i] = connections.back();
  connections[i]->slot_ = i;
  connections.pop_back();
  if (shutting_down && connections.empty()) {
    grace_timer.cancel();
    io.stop();
  }
}

const std::string& Loop::Date() {
  time_t now = std::time(nullptr);
  if (now != date_sec) {
    date_sec = now;
    struct tm tm;
    gmtime_r(&now, &tm);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    date.assign(buf, n);
  }
  return date;
}

void Loop::Accept() {
  acceptor.async_accept(
      io, [this](const error_code& ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void Loop::OnAccept(const error_code& ec, tcp::socket socket) {
  if (shutting_down) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    // EMFILE and friends: back off instead of spinning on a full descriptor table.
    accept_retry.expires_after(std::chrono::milliseconds(50));
    accept_retry.async_wait([this](const error_code& e) {
      if (!e && !shutting_down) Accept();
    });
    return;
  }
  Accept();
  uint32_t max = server.config.max_concurrent_connections;
  uint64_t open = server.connections_open.fetch_add(1, std::memory_order_relaxed) + 1;
  if (max != 0 && open > max) {
    server.connections_open.fetch_sub(1, std::memory_order_relaxed);
    error_code ignored;
    socket.close(ignored);
    return;
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::string remote = FormatEndpoint(socket.remote_endpoint(ignored));
  auto c = std::make_shared<Connection>(*this, std::move(socket), std::move(remote));
  Add(c.get());
  c->Start();
}

void Loop::BeginShutdown() {
  if (shutting_down) return;
  shutting_down = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  if (signals) signals->cancel(ignored);
  std::vector<std::shared_ptr<Connection>> live;
  live.reserve(connections.size());
  for (Connection* c : connections) live.push_back(c->shared_from_this());
  for (auto& c : live) c->OnShutdown();
  if (connections.empty()) {
    io.stop();
    return;
  }
  grace_timer.expires_after(server.config.shutdown_grace);
  grace_timer.async_wait([this](const error_code& e) {
    if (e) return;
    CloseAll();
    io.stop();
  });
}

void Loop::CloseAll() {
  std::vector<std::shared_ptr<Connection>> live;
  live.reserve(connections.size());
  for (Connection* c : connections) live.push_back(c->shared_from_this());
  for (auto& c : live) c->Close();
}

// ---- Server ----

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  for (auto& l : impl_->loops) {
    l->handler = nullptr;
  }
}

uint16_t Server::port() const { return impl_->port; }

Expected<std::unique_ptr<Server>> Server::Create(ServerConfig config, HandlerFactory factory) {
  const std::string addr = config.addr;
  auto fail = [&](const std::string& why) {
    return Error::Make(ErrorCode::kIo, "cannot listen on " + addr + ": " + why);
  };
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return fail("expected HOST:PORT");
  std::string host = addr.substr(0, colon);
  std::string port_text = addr.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  unsigned port = 0;
  auto pr = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || pr.ec != std::errc() || pr.ptr != port_text.data() + port_text.size() ||
      port > 65535) {
    return fail("invalid port '" + port_text + "'");
  }
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return fail("invalid address '" + host + "'");

  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->factory = std::move(factory);
  unsigned threads = impl->config.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  tcp::endpoint ep(address, static_cast<uint16_t>(port));
  {
    // SO_REUSEPORT would let a second server (say, `weft serve` started twice) share the
    // port silently and split the traffic. A probe bound without it fails if anything
    // listens there, and with port 0 it picks the port the loops then share.
    asio::io_context probe_io;
    tcp::acceptor probe(probe_io);
    if (probe.open(ep.protocol(), ec)) return fail(ec.message());
    if (probe.set_option(tcp::acceptor::reuse_address(true), ec)) return fail(ec.message());
    if (probe.bind(ep, ec)) return fail(ec.message());
    auto local = probe.local_endpoint(ec);
    if (ec) return fail(ec.message());
    ep.port(local.port());
  }
  for (unsigned i = 0; i < threads; ++i) {
    auto loop = std::make_unique<Loop>(*impl, i);
    tcp::acceptor& a = loop->acceptor;
    if (a.open(ep.protocol(), ec)) return fail(ec.message());
    if (a.set_option(tcp::acceptor::reuse_address(true), ec)) return fail(ec.message());
    int one = 1;
    if (::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      return fail(std::string("SO_REUSEPORT: ") + std::strerror(errno));
    }
    if (a.bind(ep, ec)) return fail(ec.message());
    if (a.listen(asio::socket_base::max_listen_connections, ec)) return fail(ec.message());
    impl->loops.push_back(std::move(loop));
  }
  impl->port = ep.port();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Error Server::Run(bool handle_signals) {
  Impl& s = *impl_;
  if (s.running.exchange(true)) return Error::Make(ErrorCode::kArgument, "server already ran");
  auto run_loop = [&s, handle_signals](unsigned i) {
    Loop& loop = *s.loops[i];
    if (s.factory) loop.handler = s.factory(i, loop.io);
    if (i == 0 && handle_signals) {
      loop.signals.emplace(loop.io, SIGINT, SIGTERM);
      loop.signals->async_wait([&s](const error_code& ec, int) {
        if (ec) return;
        for (auto& l : s.loops) {
          Loop* lp = l.get();
          asio::post(lp->io, [lp] { lp->BeginShutdown(); });
        }
        s.shutdown.store(true);
      });
    }
    loop.Accept();
    loop.io.run();
    // Drained or cut at the grace period: close what is left, let the aborted operations
    // complete (they hold the connections), then drop the handler on its own thread.
    loop.io.restart();
    loop.shutting_down = true;
    error_code ignored;
    loop.acceptor.close(ignored);
    if (loop.signals) loop.signals->cancel(ignored);
    loop.CloseAll();
    loop.io.restart();
    // Bounded: a handler may keep posting work to its loop (a busy guest yielding at every
    // epoch tick re-posts its resume), and poll() runs what is posted meanwhile too, so an
    // unbounded poll here never returned. Dropping the handler stops such work.
    for (auto until = Clock::now() + kShutdownPollBudget; Clock::now() < until;) {
      if (loop.io.poll_one() == 0) break;
    }
    loop.handler = nullptr;
    loop.io.restart();
    loop.io.poll();
  };
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < s.loops.size(); ++i) threads.emplace_back(run_loop, i);
  run_loop(0);
  for (auto& t : threads) t.join();
  return Error::Ok();
}

void Server::Shutdown() {
  Impl& s = *impl_;
  if (s.shutdown.exchange(true)) return;
  for (auto& l : s.loops) {
    Loop* lp = l.get();
    asio::post(lp->io, [lp] { lp->BeginShutdown(); });
  }
}

Server::Stats Server::stats() const {
  Stats st;
  st.connections_open = impl_->connections_open.load(std::memory_order_relaxed);
  st.requests_total = impl_->requests_total.load(std::memory_order_relaxed);
  st.requests_in_flight = impl_->requests_in_flight.load(std::memory_order_relaxed);
  return st;
}

}  // namespace weft::http
