// Tests of the outbound HTTP client (client.h) against small scripted servers: each test
// starts its own server on 127.0.0.1 port 0 (a thread running blocking Asio calls, so the
// exact bytes, delays and misbehaviour are under the test's control) and stops it at the end.
// The client runs on the test thread's io_context.
#include "http/client/client.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <thread>

namespace weft::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

// --- server side ------------------------------------------------------------------------------

// A byte stream the scripts use: plain TCP or TLS over it.
class ServerStream {
 public:
  explicit ServerStream(tcp::socket& s) : socket_(s) {}
  ServerStream(tcp::socket& s, asio::ssl::stream<tcp::socket&>& tls) : socket_(s), tls_(&tls) {}

  bool Write(std::string_view bytes) {
    error_code ec;
    if (tls_) {
      asio::write(*tls_, asio::buffer(bytes.data(), bytes.size()), ec);
    } else {
      asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
    }
    return !ec;
  }
  // Some bytes into `buf`; false at EOF or error.
  bool ReadSome(std::string& buf) {
    char tmp[16384];
    error_code ec;
    size_t n =
        tls_ ? tls_->read_some(asio::buffer(tmp), ec) : socket_.read_some(asio::buffer(tmp), ec);
    if (ec && n == 0) return false;
    buf.append(tmp, n);
    return true;
  }
  // Reads until the request head is complete; returns it, leaving any body bytes in `rest_`.
  std::string ReadHead() {
    size_t end;
    while ((end = rest_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadSome(rest_)) return {};
    }
    std::string head = rest_.substr(0, end + 4);
    rest_.erase(0, end + 4);
    return head;
  }
  // Reads exactly n body bytes.
  std::string ReadExactly(size_t n) {
    while (rest_.size() < n) {
      if (!ReadSome(rest_)) break;
    }
    std::string out = rest_.substr(0, std::min(n, rest_.size()));
    rest_.erase(0, out.size());
    return out;
  }
  std::string ReadLine() {
    size_t nl;
    while ((nl = rest_.find("\r\n")) == std::string::npos) {
      if (!ReadSome(rest_)) return "<eof>";
    }
    std::string line = rest_.substr(0, nl);
    rest_.erase(0, nl + 2);
    return line;
  }
  // Decodes a chunked body; trailer lines go to `trailers`.
  std::string ReadChunked(std::vector<std::string>* trailers = nullptr) {
    std::string body;
    for (;;) {
      std::string line = ReadLine();
      if (line == "<eof>") return body + "<eof>";
      size_t size = std::stoul(line, nullptr, 16);
      if (size == 0) break;
      body += ReadExactly(size);
      if (ReadLine() != "") return body + "<bad chunk end>";
    }
    for (;;) {
      std::string line = ReadLine();
      if (line.empty() || line == "<eof>") break;
      if (trailers) trailers->push_back(line);
    }
    return body;
  }
  void NoDelay() {
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
  }
  void ShutdownSend() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }
  // Waits for the client to close (or anything to fail).
  void DrainUntilClosed() {
    std::string sink;
    while (ReadSome(sink)) sink.clear();
  }

 private:
  tcp::socket& socket_;
  asio::ssl::stream<tcp::socket&>* tls_ = nullptr;
  std::string rest_;
};

using Script = std::function<void(ServerStream&)>;

// Holds a server script until the test is done with the exchange (or 5 s passed). Declare an
// OpenOnExit after the server so the gate opens before the server's destructor joins.
struct Gate {
  std::atomic<bool> open{false};
  void Wait() {
    for (int i = 0; i < 5000 && !open; ++i) std::this_thread::sleep_for(1ms);
  }
};
struct OpenOnExit {
  Gate& gate;
  ~OpenOnExit() { gate.open = true; }
};

struct TlsIdentity {
  std::string cert_pem;
  std::string key_pem;
  int max_proto_version = 0;  // e.g. TLS1_1_VERSION for a server the client must refuse
};

// Accepts connections on 127.0.0.1:0 on its own thread and runs `script` on each, one at a
// time. The destructor unblocks the accept with a connection of its own and joins.
class ScriptServer {
 public:
  explicit ScriptServer(Script script, const TlsIdentity* tls = nullptr,
                        const char* address = "127.0.0.1")
      : acceptor_(io_), script_(std::move(script)), address_(address) {
    tcp::endpoint ep(asio::ip::make_address(address), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(16);
    port_ = acceptor_.local_endpoint().port();
    if (tls) {
      tls_ctx_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_ctx_->use_certificate_chain(asio::buffer(tls->cert_pem));
      tls_ctx_->use_private_key(asio::buffer(tls->key_pem), asio::ssl::context::pem);
      if (tls->max_proto_version) {
        SSL_CTX_set_security_level(tls_ctx_->native_handle(), 0);
        SSL_CTX_set_min_proto_version(tls_ctx_->native_handle(), TLS1_VERSION);
        SSL_CTX_set_max_proto_version(tls_ctx_->native_handle(), tls->max_proto_version);
      }
    }
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptServer() {
    stop_ = true;
    if (thread_.joinable()) {
      asio::io_context io;
      tcp::socket poke(io);
      error_code ec;
      poke.connect(tcp::endpoint(asio::ip::make_address(address_), port_), ec);
      thread_.join();
    }
  }
  uint16_t port() const { return port_; }
  std::string authority() const { return "127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }

 private:
  void Run() {
    while (!stop_) {
      tcp::socket socket(io_);
      error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      ++connections_;
      if (tls_ctx_) {
        asio::ssl::stream<tcp::socket&> tls(socket, *tls_ctx_);
        tls.handshake(asio::ssl::stream_base::server, ec);
        if (ec) continue;
        sni_ = SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name)
                   ? SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name)
                   : "";
        ServerStream s(socket, tls);
        script_(s);
        tls.shutdown(ec);
      } else {
        ServerStream s(socket);
        script_(s);
      }
      socket.close(ec);
    }
  }

 public:
  std::string sni_;  // set by the server thread before the script runs

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  Script script_;
  std::unique_ptr<asio::ssl::context> tls_ctx_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  const char* address_;
  uint16_t port_ = 0;
};

// --- client side ------------------------------------------------------------------------------

// Sends one request, writes `body` through the writer (with backpressure), reads the whole
// response body, and runs the loop until everything is done or 10 s passed.
struct Exchange : std::enable_shared_from_this<Exchange> {
  asio::io_context& io;
  std::shared_ptr<Client::Pending> pending;
  std::shared_ptr<BodyWriter> writer;
  std::string to_send;
  size_t sent = 0;
  Headers request_trailers;
  bool finish = true;
  int writer_waits = 0;
  std::optional<BodyStatus> writer_failure;

  bool in_send = false;
  bool responded = false;
  bool response_in_send = false;
  std::optional<ClientResponse> response;
  std::optional<ClientError> error;
  std::string body;
  std::optional<std::string> body_error;
  bool body_done = false;
  Headers trailers;
  size_t read_delay_every = 0;  // read slowly: yield to the loop after this many bytes
  std::chrono::milliseconds read_start_delay{0};  // wait this long before reading the body
  std::chrono::steady_clock::time_point read_started;
  std::unique_ptr<asio::steady_timer> timer;
  std::unique_ptr<asio::steady_timer> probe_timer;
  size_t sent_at_probe = 0;

  explicit Exchange(asio::io_context& io) : io(io) {}

  void Start(Client& client, ClientRequest request) {
    in_send = true;
    auto self = shared_from_this();
    pending = client.Send(
        std::move(request), [self](std::optional<ClientResponse> r, std::optional<ClientError> e) {
          self->response_in_send = self->in_send;
          self->responded = true;
          self->error = std::move(e);
          if (r) {
            self->response = std::move(r);
            if (self->read_start_delay.count() > 0) {
              self->timer = std::make_unique<asio::steady_timer>(self->io, self->read_start_delay);
              self->timer->async_wait([self](const error_code&) {
                self->read_started = std::chrono::steady_clock::now();
                self->ReadBody();
              });
            } else {
              self->read_started = std::chrono::steady_clock::now();
              self->ReadBody();
            }
          }
          self->MaybeStop();
        });
    in_send = false;
    writer = pending->body();
    WriteBody();
  }

  void WriteBody() {
    while (sent < to_send.size()) {
      size_t cap = writer->Capacity();
      if (cap == 0) {
        if (writer->failed()) {
          writer_failure = writer->Write({});
          if (writer_failure->kind != BodyStatus::kFailed)
            writer_failure = BodyStatus::Failed("failed() without a failed Write");
          MaybeStop();
          return;
        }
        ++writer_waits;
        writer->Wait([self = shared_from_this()] { self->WriteBody(); });
        return;
      }
      size_t n = std::min(cap, to_send.size() - sent);
      BodyStatus st = writer->Write(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(to_send.data()) + sent, n));
      if (st.kind == BodyStatus::kFailed) {
        writer_failure = st;
        MaybeStop();
        return;
      }
      sent += n;
    }
    if (finish) {
      BodyStatus st = writer->Finish(request_trailers);
      if (st.kind == BodyStatus::kFailed) writer_failure = st;
      finish = false;
    }
    MaybeStop();
  }

  void ReadBody() {
    auto& reader = response->body;
    for (;;) {
      std::vector<uint8_t> buf;
      BodyStatus st = reader->Read(65536, buf);
      body.append(buf.begin(), buf.end());
      if (st.kind == BodyStatus::kFailed) {
        body_error = st.message;
        body_done = true;
        MaybeStop();
        return;
      }
      if (st.kind == BodyStatus::kEnd) {
        trailers = reader->Trailers();
        body_done = true;
        MaybeStop();
        return;
      }
      if (buf.empty()) {
        reader->Wait([self = shared_from_this()] { self->ReadBody(); });
        return;
      }
      if (read_delay_every && body.size() % read_delay_every < buf.size()) {
        // Let the socket fill up: resume on a later turn of the loop.
        asio::post(io, [self = shared_from_this()] { self->ReadBody(); });
        return;
      }
    }
  }

  bool Done() const {
    bool writing = sent < to_send.size() && !writer_failure && !error;
    return responded && (!response || body_done) && !writing;
  }
  void MaybeStop() {
    if (Done()) io.stop();
  }
};

struct Fixture {
  asio::io_context io;
  Client client;
  explicit Fixture(std::vector<std::string> allowed = {})
      : client(io, OutboundPolicy(std::move(allowed))) {}

  std::shared_ptr<Exchange> Run(ClientRequest req, std::string body = {},
                                std::chrono::milliseconds limit = 10000ms,
                                std::function<void(Exchange&)> setup = nullptr) {
    auto ex = std::make_shared<Exchange>(io);
    ex->to_send = std::move(body);
    if (setup) setup(*ex);
    io.restart();
    ex->Start(client, std::move(req));
    io.run_for(limit);
    return ex;
  }
};

ClientRequest Get(const std::string& authority, std::string path = "/") {
  ClientRequest r;
  r.authority = authority;
  r.path_with_query = std::move(path);
  return r;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

// --- tests ------------------------------------------------------------------------------------

TEST(HttpClient, GetWithContentLength) {
  std::string seen_head;
  ScriptServer server([&](ServerStream& s) {
    seen_head = s.ReadHead();
    s.Write(
        "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Thing: a b \r\nx-thing: c\r\n\r\nhello world");
  });
  Fixture f;
  auto ex = f.Run(Get(server.authority(), "/path?q=1"));
  ASSERT_TRUE(ex->responded);
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_FALSE(ex->response_in_send);
  EXPECT_EQ(ex->response->status, 200);
  EXPECT_EQ(ex->body, "hello world");
  EXPECT_FALSE(ex->body_error);
  EXPECT_EQ(ex->response->body->content_length(), 11u);
  Headers expected = {{"content-length", "11"}, {"x-thing", "a b"}, {"x-thing", "c"}};
  EXPECT_EQ(ex->response->headers, expected);
  // A GET with no body carries no framing; host is added; the connection is not reused.
  std::string head = Lower(seen_head);
  EXPECT_EQ(head.rfind("get /path?q=1 http/1.1\r\n", 0), 0u) << seen_head;
  EXPECT_NE(head.find("host: " + server.authority() + "\r\n"), std::string::npos) << seen_head;
  EXPECT_NE(head.find("connection: close\r\n"), std::string::npos);
  EXPECT_EQ(head.find("content-length"), std::string::npos);
  EXPECT_EQ(head.find("transfer-encoding"), std::string::npos);
}

TEST(HttpClient, ChunkedResponseWithTrailers) {
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.Write("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n");
    s.Write("5;ext=1\r\nhello\r\n");
    std::this_thread::sleep_for(20ms);
    s.Write("1\r\n \r\n6\r\nworld!\r\n0\r\nX-Checksum: abc\r\nX-Other:  2\r\n\r\n");
  });
  Fixture f;
  auto ex = f.Run(Get(server.authority()));
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_EQ(ex->response->status, 201);
  EXPECT_EQ(ex->body, "hello world!");
  EXPECT_FALSE(ex->body_error);
  EXPECT_FALSE(ex->response->body->content_length());
  Headers expected = {{"x-checksum", "abc"}, {"x-other", "2"}};
  EXPECT_EQ(ex->trailers, expected);
}

// The parser must not depend on where reads split the input: every byte in its own write.
TEST(HttpClient, ResponseOneByteAtATime) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nx-a: 1\r\ntransfer-encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n10;x=y\r\n0123456789abcdef\r\n0\r\nx-t: 2\r\n\r\n";
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.NoDelay();
    for (char c : response) {
      s.Write(std::string_view(&c, 1));
      std::this_thread::sleep_for(200us);
    }
  });
  Fixture f;
  auto ex = f.Run(Get(server.authority()), {}, 5000ms);
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_EQ(ex->response->headers, (Headers{{"x-a", "1"}, {"transfer-encoding", "chunked"}}));
  EXPECT_EQ(ex->body, "abc0123456789abcdef");
  EXPECT_FALSE(ex->body_error);
  EXPECT_EQ(ex->trailers, (Headers{{"x-t", "2"}}));
}

TEST(HttpClient, BodyUntilCloseAndInformationalResponses) {
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.Write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
    s.Write("HTTP/1.0 200 OK\r\n\r\nuntil the end");
  });
  Fixture f;
  auto ex = f.Run(Get(server.authority()));
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_EQ(ex->response->status, 200);
  EXPECT_TRUE(ex->response->headers.empty());
  EXPECT_EQ(ex->body, "until the end");
  EXPECT_FALSE(ex->body_error);
}

TEST(HttpClient, HeadAnd204HaveNoBody) {
  ScriptServer server([&](ServerStream& s) {
    std::string head = s.ReadHead();
    if (head.rfind("HEAD", 0) == 0) {
      s.Write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    } else {
      s.Write("HTTP/1.1 204 No Content\r\n\r\n");
    }
    s.DrainUntilClosed();
  });
  Fixture f;
  ClientRequest head = Get(server.authority());
  head.method = "HEAD";
  auto ex = f.Run(head, {}, 3000ms);
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_TRUE(ex->body_done);
  EXPECT_EQ(ex->body, "");
  EXPECT_FALSE(ex->body_error);
  EXPECT_EQ(ex->response->body->content_length(), 1000u);
  auto ex2 = f.Run(Get(server.authority()), {}, 3000ms);
  ASSERT_FALSE(ex2->error) << ex2->error->code << ": " << ex2->error->detail;
  EXPECT_EQ(ex2->response->status, 204);
  EXPECT_TRUE(ex2->body_done);
  EXPECT_FALSE(ex2->body_error);
}

// 16 MiB up (chunked; the server does not read for 300 ms, so the writer must stop at what
// the kernel and the client's bounded buffer hold) and 4 MiB down (the client reading
// slowly).
TEST(HttpClient, StreamsLargeBodiesBothWays) {
  const std::string up = Pattern(16 << 20);
  const std::string down = Pattern(4 << 20).substr(7);
  std::string received;
  std::string seen_head;
  std::vector<std::string> seen_trailers;
  ScriptServer server([&](ServerStream& s) {
    seen_head = s.ReadHead();
    std::this_thread::sleep_for(300ms);  // the client's buffers fill meanwhile
    received = s.ReadChunked(&seen_trailers);
    s.Write("HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(down.size()) + "\r\n\r\n");
    for (size_t i = 0; i < down.size(); i += 100000)
      s.Write(std::string_view(down).substr(i, 100000));
  });
  Fixture f;
  ClientRequest req = Get(server.authority(), "/upload");
  req.method = "POST";
  req.headers = {{"content-type", "application/octet-stream"}};
  auto ex = f.Run(req, up, 10000ms, [](Exchange& e) {
    e.request_trailers = {{"x-sum", "42"}};
    e.read_delay_every = 256 * 1024;
    e.probe_timer = std::make_unique<asio::steady_timer>(e.io, 250ms);
    e.probe_timer->async_wait([&e](const error_code&) { e.sent_at_probe = e.sent; });
  });
  ASSERT_TRUE(ex->responded);
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_FALSE(ex->writer_failure) << ex->writer_failure->message;
  EXPECT_GT(ex->writer_waits, 0);
  // Backpressure: while the server was not reading, the client took only part of the body.
  EXPECT_GT(ex->sent_at_probe, 0u);
  EXPECT_LT(ex->sent_at_probe, up.size() / 2);
  EXPECT_EQ(received.size(), up.size());
  EXPECT_TRUE(received == up);
  EXPECT_NE(Lower(seen_head).find("transfer-encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(seen_trailers, std::vector<std::string>{"x-sum: 42"});
  EXPECT_EQ(ex->body.size(), down.size());
  EXPECT_TRUE(ex->body == down);
  EXPECT_FALSE(ex->body_error);
}

// The client buffers a bounded amount of response body: a server sending 16 MiB to a
// client that waits 300 ms before reading cannot finish its writes before the reads begin
// (the kernel's socket buffers hold a few MiB at most while nobody reads).
TEST(HttpClient, ResponseBodyBackpressure) {
  const size_t size = 16 << 20;
  std::atomic<int64_t> server_done_ns{0};
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.Write("HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(size) + "\r\n\r\n");
    std::string block(1 << 20, 'z');
    for (size_t i = 0; i < size; i += block.size()) s.Write(block);
    server_done_ns = std::chrono::steady_clock::now().time_since_epoch().count();
  });
  Fixture f;
  auto ex =
      f.Run(Get(server.authority()), {}, 10000ms, [](Exchange& e) { e.read_start_delay = 300ms; });
  ASSERT_FALSE(ex->error) << ex->error->code;
  EXPECT_EQ(ex->body.size(), size);
  EXPECT_FALSE(ex->body_error);
  EXPECT_GT(server_done_ns.load(), ex->read_started.time_since_epoch().count());
}

// A server that answers before reading the whole request body (413 and close): the
// response arrives intact; only the request body fails.
TEST(HttpClient, EarlyResponseWhileUploading) {
  Gate gate;
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.Write("HTTP/1.1 413 Payload Too Large\r\ncontent-length: 7\r\n\r\ntoo big");
    s.ShutdownSend();
    gate.Wait();  // reads no more of the request body
  });
  OpenOnExit open_on_exit{gate};
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.method = "POST";
  auto ex = f.Run(req, std::string(16 << 20, 'u'), 5000ms);
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_EQ(ex->response->status, 413);
  EXPECT_EQ(ex->body, "too big");
  EXPECT_FALSE(ex->body_error);
  ASSERT_TRUE(ex->writer_failure);
  EXPECT_LT(ex->sent, size_t{16 << 20});
}

// A server that stops reading the request body: the write stalls past the timeout.
TEST(HttpClient, WriteTimeout) {
  Gate gate;
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    gate.Wait();  // reads nothing more
  });
  OpenOnExit open_on_exit{gate};
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.method = "POST";
  req.between_bytes_timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  auto ex = f.Run(req, std::string(32 << 20, 'w'), 5000ms);
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "connection-write-timeout") << ex->error->detail;
  ASSERT_TRUE(ex->writer_failure);
  EXPECT_EQ(ClientErrorFromBodyMessage(ex->writer_failure->message).code,
            "connection-write-timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3000ms);
}

TEST(HttpClient, TrailersWithoutBodyUseChunkedFraming) {
  std::string seen_head, body;
  std::vector<std::string> trailers;
  ScriptServer server([&](ServerStream& s) {
    seen_head = s.ReadHead();
    body = s.ReadChunked(&trailers);
    s.Write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
  });
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.method = "POST";
  auto ex = f.Run(req, {}, 5000ms, [](Exchange& e) { e.request_trailers = {{"x-t", "1"}}; });
  ASSERT_FALSE(ex->error) << ex->error->code;
  EXPECT_NE(Lower(seen_head).find("transfer-encoding: chunked"), std::string::npos);
  EXPECT_EQ(body, "");
  EXPECT_EQ(trailers, std::vector<std::string>{"x-t: 1"});
}

TEST(HttpClient, DroppingTheUnfinishedBodyFailsTheRequest) {
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.DrainUntilClosed();
  });
  Fixture f;
  std::optional<ClientError> error;
  bool called = false;
  {
    ClientRequest req = Get(server.authority());
    req.method = "POST";
    req.headers = {{"content-length", "100"}};
    auto pending =
        f.client.Send(req, [&](std::optional<ClientResponse> r, std::optional<ClientError> e) {
          called = true;
          error = e;
        });
    uint8_t part[10] = {};
    EXPECT_EQ(pending->body()->Write(part).kind, BodyStatus::kOk);
  }  // pending and its writer gone without Finish
  f.io.run_for(1000ms);
  ASSERT_TRUE(called);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "internal-error");
  EXPECT_NE(error->detail.find("before Finish"), std::string::npos) << error->detail;
}

TEST(HttpClient, Ipv6Loopback) {
  std::string seen_head;
  std::unique_ptr<ScriptServer> server;
  {
    asio::io_context probe_io;
    tcp::acceptor probe(probe_io);
    error_code ec;
    probe.open(tcp::v6(), ec);
    if (!ec) probe.bind(tcp::endpoint(asio::ip::make_address("::1"), 0), ec);
    if (ec) GTEST_SKIP() << "no IPv6 loopback here: " << ec.message();
  }
  server = std::make_unique<ScriptServer>(
      [&](ServerStream& s) {
        seen_head = s.ReadHead();
        s.Write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nv6");
      },
      nullptr, "::1");
  std::string authority = "[::1]:" + std::to_string(server->port());
  Fixture f({authority});
  auto ex = f.Run(Get(authority), {}, 5000ms);
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_EQ(ex->body, "v6");
  EXPECT_NE(seen_head.find("host: " + authority + "\r\n"), std::string::npos) << seen_head;
}

TEST(HttpClient, ContentLengthRequestBody) {
  std::string received, seen_head;
  ScriptServer server([&](ServerStream& s) {
    seen_head = s.ReadHead();
    received = s.ReadExactly(200000);
    s.Write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
  });
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.method = "PUT";
  req.headers = {{"Content-Length", "200000"}};
  std::string body = Pattern(200000);
  auto ex = f.Run(req, body);
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_TRUE(received == body);
  EXPECT_EQ(ex->body, "ok");
  std::string head = Lower(seen_head);
  EXPECT_NE(head.find("content-length: 200000\r\n"), std::string::npos) << seen_head;
  EXPECT_EQ(head.find("transfer-encoding"), std::string::npos) << seen_head;
}

TEST(HttpClient, EmptyPostSaysContentLengthZero) {
  std::string seen_head;
  ScriptServer server([&](ServerStream& s) {
    seen_head = s.ReadHead();
    s.Write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
  });
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.method = "POST";
  auto ex = f.Run(req);
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_TRUE(ex->body_done);
  EXPECT_NE(Lower(seen_head).find("content-length: 0\r\n"), std::string::npos) << seen_head;
}

TEST(HttpClient, RequestBodyLongerThanContentLengthFails) {
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.DrainUntilClosed();
  });
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.method = "POST";
  req.headers = {{"content-length", "5"}};
  auto ex = f.Run(req, "123456");
  ASSERT_TRUE(ex->writer_failure);
  EXPECT_EQ(ex->writer_failure->message.rfind("HTTP-request-body-size: ", 0), 0u)
      << ex->writer_failure->message;
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "HTTP-request-body-size");
}

TEST(HttpClient, RequestBodyShorterThanContentLengthFails) {
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.DrainUntilClosed();
  });
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.method = "POST";
  req.headers = {{"content-length", "10"}};
  auto ex = f.Run(req, "1234");
  ASSERT_TRUE(ex->writer_failure);
  EXPECT_NE(ex->writer_failure->message.find("4 of 10"), std::string::npos)
      << ex->writer_failure->message;
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "HTTP-request-body-size");
}

TEST(HttpClient, ConnectionRefused) {
  uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed: nothing listens there now
  Fixture f;
  auto ex = f.Run(Get("127.0.0.1:" + std::to_string(port)));
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "connection-refused") << ex->error->detail;
  EXPECT_NE(ex->error->detail.find(std::to_string(port)), std::string::npos) << ex->error->detail;
}

// .invalid never resolves (RFC 6761). A machine whose DNS server is unreachable may take
// long to say so; the connect timeout then ends the lookup as DNS-timeout, also a DNS failure.
TEST(HttpClient, DnsError) {
  Fixture f;
  ClientRequest req = Get("no-such-host.invalid:80");
  req.connect_timeout = 4000ms;
  auto ex = f.Run(req, {}, 8000ms);
  ASSERT_TRUE(ex->error);
  EXPECT_TRUE(ex->error->code == "DNS-error" || ex->error->code == "DNS-timeout")
      << ex->error->code << ": " << ex->error->detail;
  EXPECT_NE(ex->error->detail.find("no-such-host.invalid"), std::string::npos);
  EXPECT_FALSE(ex->response_in_send);
}

// A listener whose accept queue is full drops new SYNs (Linux), so the connect hangs until
// the client's connect timeout: deterministic on loopback without any routing assumptions.
TEST(HttpClient, ConnectTimeout) {
  asio::io_context sio;
  tcp::acceptor acceptor(sio);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(ep.protocol());
  acceptor.bind(ep);
  acceptor.listen(0);
  uint16_t port = acceptor.local_endpoint().port();
  std::vector<std::unique_ptr<tcp::socket>> fillers;
  {
    // Fill the queue: the first connect completes (queued, never accepted); with backlog 0
    // that is all the queue holds.
    auto s = std::make_unique<tcp::socket>(sio);
    error_code ec;
    s->connect(tcp::endpoint(ep.address(), port), ec);
    ASSERT_FALSE(ec) << ec.message();
    fillers.push_back(std::move(s));
  }
  Fixture f;
  ClientRequest req = Get("127.0.0.1:" + std::to_string(port));
  req.connect_timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto ex = f.Run(req, {}, 5000ms);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "connection-timeout") << ex->error->detail;
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 2000ms);
}

TEST(HttpClient, FirstByteTimeout) {
  std::atomic<bool> got_request{false};
  ScriptServer server([&](ServerStream& s) {
    if (!s.ReadHead().empty()) got_request = true;
    s.DrainUntilClosed();  // never answers
  });
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.first_byte_timeout = 250ms;
  auto start = std::chrono::steady_clock::now();
  auto ex = f.Run(req, {}, 5000ms);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "connection-read-timeout") << ex->error->detail;
  EXPECT_GE(took, 240ms);
  EXPECT_LT(took, 2000ms);
}

// With a content-length body flushed before Finish, Finish sends nothing more; the
// first-byte timeout must still start there.
TEST(HttpClient, FirstByteTimeoutAfterLateFinish) {
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.DrainUntilClosed();
  });
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.method = "PUT";
  req.headers = {{"content-length", "5"}};
  req.first_byte_timeout = 200ms;
  std::optional<ClientError> error;
  auto pending =
      f.client.Send(req, [&](std::optional<ClientResponse>, std::optional<ClientError> e) {
        error = e;
        f.io.stop();
      });
  auto writer = pending->body();
  EXPECT_EQ(
      writer->Write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("12345"), 5)).kind,
      BodyStatus::kOk);
  asio::steady_timer later(f.io, 150ms);
  later.async_wait([&](const error_code&) { EXPECT_EQ(writer->Finish({}).kind, BodyStatus::kOk); });
  auto start = std::chrono::steady_clock::now();
  f.io.run_for(3000ms);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "connection-read-timeout") << error->detail;
  EXPECT_GE(std::chrono::steady_clock::now() - start, 340ms);
}

TEST(HttpClient, BetweenBytesTimeout) {
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.Write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
    s.DrainUntilClosed();
  });
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.between_bytes_timeout = 200ms;
  auto ex = f.Run(req, {}, 5000ms);
  ASSERT_FALSE(ex->error) << ex->error->code;
  EXPECT_EQ(ex->body, "abc");
  ASSERT_TRUE(ex->body_error);
  EXPECT_EQ(ClientErrorFromBodyMessage(*ex->body_error).code, "connection-read-timeout")
      << *ex->body_error;
}

TEST(HttpClient, ServerClosesMidBody) {
  ScriptServer server([&](ServerStream& s) {
    std::string head = s.ReadHead();
    if (head.find("/chunked") != std::string::npos) {
      s.Write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\na\r\n01234");
    } else {
      s.Write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789");
    }
  });
  Fixture f;
  auto ex = f.Run(Get(server.authority()), {}, 5000ms);
  ASSERT_FALSE(ex->error) << ex->error->code;
  EXPECT_EQ(ex->body, "0123456789");
  ASSERT_TRUE(ex->body_error);
  ClientError e = ClientErrorFromBodyMessage(*ex->body_error);
  EXPECT_EQ(e.code, "HTTP-response-incomplete") << *ex->body_error;
  EXPECT_NE(e.detail.find("10 of 100"), std::string::npos) << e.detail;

  auto ex2 = f.Run(Get(server.authority(), "/chunked"), {}, 5000ms);
  ASSERT_FALSE(ex2->error) << ex2->error->code;
  EXPECT_EQ(ex2->body, "01234");
  ASSERT_TRUE(ex2->body_error);
  EXPECT_EQ(ClientErrorFromBodyMessage(*ex2->body_error).code, "HTTP-response-incomplete");
}

TEST(HttpClient, ServerClosesWithoutResponse) {
  ScriptServer server([&](ServerStream& s) { s.ReadHead(); });
  Fixture f;
  auto ex = f.Run(Get(server.authority()), {}, 5000ms);
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "connection-terminated") << ex->error->detail;
}

TEST(HttpClient, MalformedResponses) {
  struct Case {
    std::string bytes;
    std::string code;
  };
  std::vector<Case> cases = {
      {"garbage\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 2x0 OK\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\nbad header\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\nx: 1\r\n folded\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello",
       "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n", "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n",
       "HTTP-protocol-error"},
      {"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n", "HTTP-response-transfer-coding"},
      {"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n", "HTTP-upgrade-failed"},
      {"HTTP/1.1 200 OK\r\nx: " + std::string(70000, 'a') + "\r\n\r\n",
       "HTTP-response-header-section-size"},
      {"HTTP/1.1 200 OK\r\ncontent-le", "HTTP-response-incomplete"},
  };
  std::atomic<size_t> index = 0;
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.Write(cases[index].bytes);
  });
  Fixture f;
  for (index = 0; index < cases.size(); ++index) {
    auto ex = f.Run(Get(server.authority()), {}, 5000ms);
    ASSERT_TRUE(ex->error) << "case " << index;
    EXPECT_EQ(ex->error->code, cases[index].code) << "case " << index << ": " << ex->error->detail;
    EXPECT_FALSE(ex->error->detail.empty());
  }
}

TEST(HttpClient, MalformedChunkedBody) {
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.Write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n");
  });
  Fixture f;
  auto ex = f.Run(Get(server.authority()), {}, 5000ms);
  ASSERT_FALSE(ex->error);
  ASSERT_TRUE(ex->body_error);
  EXPECT_EQ(ClientErrorFromBodyMessage(*ex->body_error).code, "HTTP-protocol-error")
      << *ex->body_error;
}

TEST(HttpClient, PolicyMatching) {
  OutboundPolicy all;
  EXPECT_TRUE(all.Allows("anything.example", 1234));
  OutboundPolicy p({"Example.com", "api.test:8443", "[::1]:8080", "10.0.0.1"});
  EXPECT_TRUE(p.Allows("example.com", 80));
  EXPECT_TRUE(p.Allows("EXAMPLE.COM", 443));
  EXPECT_FALSE(p.Allows("www.example.com", 80));
  EXPECT_TRUE(p.Allows("api.test", 8443));
  EXPECT_FALSE(p.Allows("api.test", 443));
  EXPECT_TRUE(p.Allows("::1", 8080));
  EXPECT_FALSE(p.Allows("::1", 8081));
  EXPECT_TRUE(p.Allows("10.0.0.1", 9));
  EXPECT_FALSE(p.Allows("10.0.0.2", 9));
  OutboundPolicy v6({"[fe80::1]", "::2"});
  EXPECT_TRUE(v6.Allows("fe80::1", 443));
  EXPECT_TRUE(v6.Allows("::2", 1));
  EXPECT_FALSE(v6.Allows("::1", 1));
}

TEST(HttpClient, PolicyDenialDoesNotTouchTheNetwork) {
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    s.Write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
  });
  Fixture f({"localhost", "127.0.0.1:1"});
  auto ex = f.Run(Get(server.authority()), {}, 2000ms);
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "HTTP-request-denied");
  EXPECT_FALSE(ex->response_in_send);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(server.connections(), 0);
  // The same client reaches an allowed authority.
  Fixture g({"127.0.0.1:" + std::to_string(server.port())});
  auto ok = g.Run(Get(server.authority()), {}, 5000ms);
  ASSERT_FALSE(ok->error) << ok->error->code;
  EXPECT_EQ(ok->response->status, 200);
}

TEST(HttpClient, InvalidRequests) {
  Fixture f;
  ClientRequest bad_method = Get("127.0.0.1:1");
  bad_method.method = "GE T";
  EXPECT_EQ(f.Run(bad_method, {}, 1000ms)->error->code, "HTTP-request-method-invalid");
  EXPECT_EQ(f.Run(Get("127.0.0.1:1", "/a b"), {}, 1000ms)->error->code, "HTTP-request-URI-invalid");
  EXPECT_EQ(f.Run(Get("127.0.0.1:99999"), {}, 1000ms)->error->code, "HTTP-request-URI-invalid");
  ClientRequest bad_header = Get("127.0.0.1:1");
  bad_header.headers = {{"x", "a\r\nInjected: 1"}};
  EXPECT_EQ(f.Run(bad_header, {}, 1000ms)->error->code, "HTTP-protocol-error");
  ClientRequest bad_scheme = Get("127.0.0.1:1");
  bad_scheme.scheme = "ftp";
  EXPECT_EQ(f.Run(bad_scheme, {}, 1000ms)->error->code, "HTTP-protocol-error");
}

TEST(HttpClient, CancelIsSilent) {
  ScriptServer server([&](ServerStream& s) {
    s.ReadHead();
    std::this_thread::sleep_for(100ms);
    s.Write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
  });
  Fixture f;
  bool called = false;
  auto pending = f.client.Send(
      Get(server.authority()),
      [&](std::optional<ClientResponse>, std::optional<ClientError>) { called = true; });
  EXPECT_EQ(pending->body()->Finish({}).kind, BodyStatus::kOk);
  asio::steady_timer t(f.io);
  t.expires_after(20ms);
  t.async_wait([&](const error_code&) { pending->Cancel(); });
  f.io.run_for(400ms);
  EXPECT_FALSE(called);
  EXPECT_TRUE(pending->body()->failed());
}

TEST(HttpClient, ErrorFromBodyMessage) {
  ClientError e = ClientErrorFromBodyMessage("HTTP-response-incomplete: closed early");
  EXPECT_EQ(e.code, "HTTP-response-incomplete");
  EXPECT_EQ(e.detail, "closed early");
  e = ClientErrorFromBodyMessage("something else: x");
  EXPECT_EQ(e.code, "internal-error");
  EXPECT_EQ(e.detail, "something else: x");
}

// --- TLS --------------------------------------------------------------------------------------

// A self-signed certificate (also its own CA) for `san` ("IP:127.0.0.1,DNS:localhost").
TlsIdentity MakeIdentity(const char* san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("weft test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  auto to_string = [](BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<size_t>(n));
    BIO_free(bio);
    return s;
  };
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, x);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  TlsIdentity id{to_string(cert_bio), to_string(key_bio)};
  X509_free(x);
  EVP_PKEY_free(key);
  return id;
}

Script HelloScript() {
  return [](ServerStream& s) {
    s.ReadHead();
    s.Write("HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\nhello, https");
  };
}

TEST(HttpClient, HttpsWithTrustedCertificate) {
  TlsIdentity id = MakeIdentity("IP:127.0.0.1,DNS:localhost");
  ScriptServer server(HelloScript(), &id);
  Fixture f;
  ASSERT_FALSE(f.client.TrustCertificate(id.cert_pem));
  ClientRequest req = Get(server.authority());
  req.scheme = "https";
  auto ex = f.Run(req, {}, 5000ms);
  ASSERT_FALSE(ex->error) << ex->error->code << ": " << ex->error->detail;
  EXPECT_EQ(ex->body, "hello, https");
  EXPECT_FALSE(ex->body_error);
  EXPECT_EQ(server.sni_, "");  // no SNI for an IP address

  req.authority = "localhost:" + std::to_string(server.port());
  auto ex2 = f.Run(req, {}, 5000ms);
  ASSERT_FALSE(ex2->error) << ex2->error->code << ": " << ex2->error->detail;
  EXPECT_EQ(ex2->body, "hello, https");
  EXPECT_EQ(server.sni_, "localhost");
}

TEST(HttpClient, HttpsUntrustedCertificate) {
  TlsIdentity id = MakeIdentity("IP:127.0.0.1,DNS:localhost");
  ScriptServer server(HelloScript(), &id);
  Fixture f;  // only the system trust store
  ClientRequest req = Get(server.authority());
  req.scheme = "https";
  auto ex = f.Run(req, {}, 5000ms);
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "TLS-certificate-error") << ex->error->detail;
  EXPECT_NE(ex->error->detail.find("self-signed"), std::string::npos) << ex->error->detail;
}

TEST(HttpClient, HttpsCertificateForAnotherHost) {
  TlsIdentity id = MakeIdentity("DNS:other.example");
  ScriptServer server(HelloScript(), &id);
  Fixture f;
  ASSERT_FALSE(f.client.TrustCertificate(id.cert_pem));
  ClientRequest req = Get(server.authority());
  req.scheme = "https";
  auto ex = f.Run(req, {}, 5000ms);
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "TLS-certificate-error") << ex->error->detail;
  EXPECT_NE(ex->error->detail.find("mismatch"), std::string::npos) << ex->error->detail;
}

TEST(HttpClient, HttpsAgainstPlainServerIsProtocolError) {
  ScriptServer server([](ServerStream& s) {
    std::string junk;
    s.ReadSome(junk);
    s.Write("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
  });
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.scheme = "https";
  auto ex = f.Run(req, {}, 5000ms);
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "TLS-protocol-error") << ex->error->detail;
}

// The connect timeout covers the TLS handshake: a server that accepts and stays silent.
TEST(HttpClient, TlsHandshakeTimeout) {
  ScriptServer server([](ServerStream& s) { s.DrainUntilClosed(); });
  Fixture f;
  ClientRequest req = Get(server.authority());
  req.scheme = "https";
  req.connect_timeout = 200ms;
  auto ex = f.Run(req, {}, 5000ms);
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "connection-timeout") << ex->error->detail;
}

// A server that only speaks TLS 1.1 (the client requires 1.2) answers with an alert.
TEST(HttpClient, TlsAlertReceived) {
  TlsIdentity id = MakeIdentity("IP:127.0.0.1");
  id.max_proto_version = TLS1_1_VERSION;
  ScriptServer server(HelloScript(), &id);
  Fixture f;
  ASSERT_FALSE(f.client.TrustCertificate(id.cert_pem));
  ClientRequest req = Get(server.authority());
  req.scheme = "https";
  auto ex = f.Run(req, {}, 5000ms);
  ASSERT_TRUE(ex->error);
  EXPECT_EQ(ex->error->code, "TLS-alert-received") << ex->error->detail;
  EXPECT_NE(ex->error->detail.find("alert 70"), std::string::npos) << ex->error->detail;
}

TEST(HttpClient, TrustCertificateRejectsGarbage) {
  EXPECT_FALSE(Client::PreloadTrustStore());
  asio::io_context io;
  Client client(io, OutboundPolicy());
  EXPECT_TRUE(client.TrustCertificate("not a certificate"));
}

}  // namespace
}  // namespace weft::http
