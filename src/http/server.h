// The HTTP/1.1 server behind `weft serve`: one event loop thread per core, each with its
// own listening socket (SO_REUSEPORT) and its own handler (so each thread has its own
// dispatcher and instance pool, DESIGN.md decision 6). Parsing is Boost.Beast's; framing
// rules that Beast leaves to us (request smuggling, limits, Expect) are enforced here.
// Connections: keep-alive, pipelining (responses in order), chunked bodies both ways,
// Expect: 100-continue, HEAD. Malformed requests get 400 and the connection is closed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/message.h"
#include "weft/error.h"

namespace weft::http {

struct ServerConfig {
  /// "HOST:PORT" to listen on; port 0 picks a free port (see Server::port()).
  std::string addr = "127.0.0.1:8080";
  /// Event loop threads (0: one per core).
  unsigned threads = 0;
  /// Request line + headers; larger gets 431 and the connection is closed.
  uint32_t max_header_bytes = 64 * 1024;
  /// Request body; larger gets 413 (before reading it when Content-Length says so).
  uint64_t max_body_bytes = 64ull << 20;
  /// A client must send a complete request head within this (slowloris); else the
  /// connection is closed (408 if nothing of a response is pending).
  std::chrono::milliseconds header_read_timeout{10'000};
  /// Keep-alive connections idle this long are closed.
  std::chrono::milliseconds idle_connection_timeout{60'000};
  /// Across all threads; 0 = unlimited. Connections beyond are accepted and closed at once.
  uint32_t max_concurrent_connections = 0;
  /// Requests being handled at once across all threads; 0 = unlimited. Beyond: 503.
  uint32_t max_concurrent_requests = 0;
  /// After SIGINT/SIGTERM (or Shutdown()): stop accepting, let in-flight requests finish
  /// within this, then close everything.
  std::chrono::milliseconds shutdown_grace{10'000};
  /// One access log line per finished request (nullptr: none). Called on loop threads.
  std::function<void(const std::string& line)> access_log;
};

/// Makes the handler of one loop thread (called once per thread, on that thread, before it
/// accepts). `thread_index` is 0-based.
using HandlerFactory = std::function<Handler(unsigned thread_index, boost::asio::io_context& io)>;

class Server {
 public:
  /// Binds the listening sockets (an error names the address: "cannot listen on
  /// 127.0.0.1:80: Permission denied") but serves nothing yet.
  static Expected<std::unique_ptr<Server>> Create(ServerConfig config, HandlerFactory factory);
  ~Server();
  /// The bound port (useful with port 0).
  uint16_t port() const;
  /// Serves until Shutdown() or, with `handle_signals`, SIGINT/SIGTERM; then drains
  /// gracefully. Returns once every thread has stopped. Error only if serving failed.
  Error Run(bool handle_signals);
  /// Starts a graceful shutdown (any thread; idempotent).
  void Shutdown();
  /// Counters for metrics (any thread).
  struct Stats {
    uint64_t connections_open = 0;
    uint64_t requests_total = 0;
    uint64_t requests_in_flight = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::http
