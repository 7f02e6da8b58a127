// `weft serve`: compiles a wasi:http component once, links WASI 0.2 + wasi:http once
// (InstancePre), then runs an HTTP/1.1 server (http/server.h) with one event loop per core,
// each with its own dispatcher (serve/dispatcher.h) whose workers are ComponentWorkers: one
// store + instance each, every request an async call of wasi:http/incoming-handler.handle.
// Guests never block a loop: a guest waiting on I/O suspends its fiber and is resumed by its
// waker; a busy guest yields to the loop at every epoch tick (DESIGN.md decision 4), which is
// also where a request timeout stops it.
#include "cli/serve.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli/log_writer.h"
#include "cli/run_internal.h"
#include "cli/run_options.h"
#include "http/client/client.h"
#include "http/message.h"
#include "http/server.h"
#include "serve/dispatcher.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/wasi_p2.h"
#include "weft/component.h"
#include "weft/weft.h"

namespace weft::cli {

namespace {

namespace cm = weft::component;
namespace p2 = weft::wasi::p2;
namespace wh = weft::wasi::http;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// The epoch tick: a busy guest runs at most this long before yielding to its loop, and a
// request timeout fires within this after it is due.
constexpr uint32_t kEpochTickMs = 5;

struct ServeState {
  p2::WasiP2State wasi;
  wh::WasiHttpCtx http;
};
p2::WasiP2State& GetWasi(ServeState& s) { return s.wasi; }
p2::WasiP2Ctx& GetIo(ServeState& s) { return s.wasi.io; }
wh::WasiHttpCtx& GetHttp(ServeState& s) { return s.http; }

// Process-wide counters behind --metrics-addr; every loop thread updates them.
struct Metrics {
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};
  std::atomic<uint64_t> requests{0};
  std::array<std::atomic<uint64_t>, 6> status_class{};  // [1..5]: 1xx..5xx
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> latency{};  // last: +Inf
  std::atomic<uint64_t> latency_sum_us{0};
  std::atomic<int64_t> instances_alive{0};
  std::atomic<uint64_t> instantiations{0};
  std::atomic<uint64_t> instantiation_failures{0};
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> traps{0};

  void Observe(uint16_t status, Clock::duration d) {
    if (status >= 100 && status < 600) status_class[status / 100].fetch_add(1);
    double s = std::chrono::duration<double>(d).count();
    size_t i = 0;
    while (i < kBuckets.size() && s > kBuckets[i]) ++i;
    latency[i].fetch_add(1);
    latency_sum_us.fetch_add(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
  }

  // Prometheus text exposition format 0.0.4.
  std::string Render() const {
    std::string out;
    auto counter = [&](const char* name, const char* help, uint64_t v) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" +
             name + " " + std::to_string(v) + "\n";
    };
    counter("weft_requests_total", "HTTP requests received.", requests.load());
    out += "# HELP weft_responses_total Responses by status class.\n"
           "# TYPE weft_responses_total counter\n";
    for (int c = 1; c <= 5; ++c) {
      out += "weft_responses_total{class=\"" + std::to_string(c) + "xx\"} " +
             std::to_string(status_class[static_cast<size_t>(c)].load()) + "\n";
    }
    out += "# HELP weft_request_duration_seconds Time from request to response head.\n"
           "# TYPE weft_request_duration_seconds histogram\n";
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= kBuckets.size(); ++i) {
      cumulative += latency[i].load();
      std::string le = i < kBuckets.size() ? FormatBucket(kBuckets[i]) : "+Inf";
      out += "weft_request_duration_seconds_bucket{le=\"" + le + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "weft_request_duration_seconds_sum " +
           std::to_string(static_cast<double>(latency_sum_us.load()) / 1e6) + "\n";
    out += "weft_request_duration_seconds_count " + std::to_string(cumulative) + "\n";
    out += "# HELP weft_instances_alive Guest instances alive.\n# TYPE weft_instances_alive "
           "gauge\nweft_instances_alive " +
           std::to_string(instances_alive.load()) + "\n";
    counter("weft_instantiations_total", "Guest instances created.", instantiations.load());
    counter("weft_instantiation_failures_total", "Instantiations that failed.",
            instantiation_failures.load());
    counter("weft_timeouts_total", "Requests stopped by --request-timeout.", timeouts.load());
    counter("weft_traps_total", "Requests whose guest trapped.", traps.load());
    return out;
  }
  static std::string FormatBucket(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }
};

// Everything the loop threads share: immutable after setup (metrics are atomics).
struct Shared {
  // Guest output, the access log and the dispatcher's lines, written by background threads
  // (log_writer.h) so a loop never blocks on a slow stdout/stderr. First members: they go
  // last, after everything that may still print.
  LogWriter out_log{STDOUT_FILENO};
  LogWriter err_log{STDERR_FILENO};
  const ServeOptions* options = nullptr;
  Engine* engine = nullptr;
  cm::InstancePre<ServeState> pre;
  /// wh::FindHandlerExport of the component, set by the startup probe's Init (one thread,
  /// before any loop runs); read-only after. Spares each instance a copy of its exports.
  std::string handler_export;
  p2::WasiP2Config wasi_config;  // each loop shares one copy among its instances' states
  p2::SocketsPolicy net;
  wh::WasiHttpConfig http_config;
  StoreLimits limits;
  bool has_limits = false;
  Metrics metrics;
};

// A guest's stdout/stderr as whole lines prefixed with its instance id, so the output of
// concurrent instances stays readable ("[instance 7] hello"). A partial last line is
// written when the stream goes away.
class PrefixedOutput final : public p2::OutputStream {
 public:
  PrefixedOutput(LogWriter& out, uint64_t instance) : out_(out), instance_(instance) {}
  ~PrefixedOutput() override {
    if (!line_.empty()) out_.Write(Prefix() + line_ + "\n");
  }
  p2::StreamStatus CheckWrite(uint64_t& permitted) override {
    permitted = 1 << 20;
    return p2::StreamStatus::Ok();
  }
  p2::StreamStatus Write(std::span<const uint8_t> bytes) override {
    std::string out;
    for (uint8_t b : bytes) {
      line_.push_back(static_cast<char>(b));
      if (b == '\n') {
        out += Prefix();
        out += line_;
        line_.clear();
      } else if (line_.size() >= kMaxLine) {
        out += Prefix() + line_ + "\n";
        line_.clear();
      }
    }
    if (!out.empty()) out_.Write(out);
    return p2::StreamStatus::Ok();
  }
  p2::StreamStatus Flush() override { return p2::StreamStatus::Ok(); }
  std::shared_ptr<p2::Pollable> Subscribe() override { return p2::ReadyPollable(); }

 private:
  static constexpr size_t kMaxLine = 16 * 1024;
  // Made on first output: most instances print nothing, and each request has two streams.
  const std::string& Prefix() {
    if (prefix_.empty()) prefix_ = "[instance " + std::to_string(instance_) + "] ";
    return prefix_;
  }
  LogWriter& out_;
  uint64_t instance_;
  std::string prefix_;
  std::string line_;
};

// Records each response's status and time to its head (the request's latency) for the
// metrics, before the client can see the response; forwards the rest.
class MeteredSink final : public http::ResponseSink {
 public:
  MeteredSink(std::shared_ptr<http::ResponseSink> inner, Metrics& metrics)
      : inner_(std::move(inner)), metrics_(metrics), start_(Clock::now()) {}
  ~MeteredSink() override {
    if (!observed_) Observe(500);  // dropped unanswered: the server answers 500
  }
  std::shared_ptr<http::BodyWriter> Start(http::ResponseHead head) override {
    if (!observed_) Observe(head.status);
    return inner_->Start(std::move(head));
  }
  void Fail(uint16_t status, std::string message) override {
    if (!observed_) Observe(status);
    inner_->Fail(status, std::move(message));
  }
  bool started() const override { return inner_->started(); }
  void SetInstanceId(uint64_t id) override { inner_->SetInstanceId(id); }

 private:
  void Observe(uint16_t status) {
    observed_ = true;
    metrics_.Observe(status, Clock::now() - start_);
  }
  std::shared_ptr<http::ResponseSink> inner_;
  Metrics& metrics_;
  Clock::time_point start_;
  bool observed_ = false;
};

// One store + one instance of the component, on one loop thread. Runs one task at a time
// (wasi:http 0.2 handlers are sync-lifted: an instance cannot be re-entered).
class ComponentWorker final : public serve::Worker {
 public:
  /// `wasi_config` is shared.wasi_config, shared by the loop's instances (not copied each).
  static Expected<std::unique_ptr<serve::Worker>> Create(
      Shared& shared, asio::io_context& io, std::shared_ptr<const p2::WasiP2Config> wasi_config,
      uint64_t id, serve::WorkerEvents& events) {
    auto w = std::unique_ptr<ComponentWorker>(new ComponentWorker(shared, io, id, events));
    w->wasi_config_ = std::move(wasi_config);
    if (Error e = w->Init(); !e.ok()) {
      shared.metrics.instantiation_failures.fetch_add(1);
      return e;
    }
    shared.metrics.instantiations.fetch_add(1);
    shared.metrics.instances_alive.fetch_add(1);
    w->counted_ = true;
    return std::unique_ptr<serve::Worker>(std::move(w));
  }

  ~ComponentWorker() override {
    *alive_ = false;
    if (store_) store_->data().wasi.io.SetWakeHandler({});
    if (running_) Abandon(503, "the instance serving the request was dropped\n");
    if (counted_) shared_.metrics.instances_alive.fetch_sub(1);
  }

  uint64_t id() const override { return id_; }
  bool concurrent() const override { return false; }
  bool AllWaiting() const override { return running_ && waiting_; }
  bool has_background_work() const override { return false; }
  bool healthy() const override { return healthy_; }

  void Start(serve::Task task) override {
    running_ = true;
    waiting_ = false;
    cancelled_ = false;
    task_id_ = task.id;
    sink_ = task.sink;
    sink_->SetInstanceId(id_);
    asio::post(io_, [this, alive = alive_, task = std::move(task)]() mutable {
      if (*alive) Begin(std::move(task));
    });
  }

  void Cancel(uint64_t task_id) override {
    if (!running_ || task_id != task_id_ || cancelled_) return;
    cancelled_ = true;
    healthy_ = false;  // its call is cut short: the instance's state is unknown
    shared_.metrics.timeouts.fetch_add(1);
    // A guest in a host wait is cancelled now; one between epoch yields is cancelled by its
    // pending resume (Resume checks cancelled_).
    asio::post(io_, [this, alive = alive_] {
      if (*alive && running_ && call_ && waiting_) CancelNow();
    });
  }

 private:
  ComponentWorker(Shared& shared, asio::io_context& io, uint64_t id, serve::WorkerEvents& events)
      : shared_(shared), io_(io), id_(id), events_(events) {}

  Error Init() {
    auto wasi = p2::WasiP2State::Create(io_, std::move(wasi_config_), shared_.net);
    if (!wasi.ok()) return std::move(wasi).error();
    store_ = std::make_unique<Store<ServeState>>(
        *shared_.engine,
        ServeState{std::move(wasi).value(), wh::WasiHttpCtx(io_, shared_.http_config)});
    if (shared_.has_limits) store_->SetLimits(shared_.limits);
    // Yield to the loop at every epoch tick: a busy guest never holds its thread for long.
    store_->SetEpochDeadline(1);
    store_->SetDeadlineAction(DeadlineAction::kYield, 1);
    p2::WasiP2Ctx& io = store_->data().wasi.io;
    io.SetStdout(std::make_shared<PrefixedOutput>(shared_.out_log, id_));
    io.SetStderr(std::make_shared<PrefixedOutput>(shared_.err_log, id_));
    io.SetWakeHandler([this, alive = alive_] {
      if (*alive && running_ && waiting_) PostResume();
    });
    auto instance = shared_.pre.Instantiate(*store_);
    if (!instance.ok()) return std::move(instance).error();
    if (shared_.handler_export.empty()) {  // the startup probe
      shared_.handler_export = wh::FindHandlerExport(*instance).value_or("");
    }
    std::optional<cm::Func> handle;
    if (!shared_.handler_export.empty()) {
      handle = instance->GetFunc(shared_.handler_export, "handle");
    }
    if (!handle) {
      return Error::Make(ErrorCode::kUnlinkable,
                         "the component does not export wasi:http/incoming-handler@0.2.x");
    }
    handle_ = *handle;
    return Error();
  }

  void Begin(serve::Task task) {
    auto call = wh::StartHandle(*store_, handle_, store_->data().http, std::move(task.request),
                                task.sink);
    if (!call.ok()) {
      if (!sink_->started()) sink_->Fail(500, "the guest could not be called\n");
      (void)wh::FinishHandle(*store_, handle_, store_->data().http, nullptr);
      End(serve::TaskEnd::kFailed, Error(), call.error());
      return;
    }
    call_ = std::move(call).value();
    AfterRun();
  }

  // The call just ran (started or resumed) and came back: done, waiting on I/O, or yielding.
  void AfterRun() {
    if (call_->state() == AsyncCall::State::kDone) {
      Error e = wh::FinishHandle(*store_, handle_, store_->data().http, call_.get());
      call_.reset();
      End(e.ok() ? serve::TaskEnd::kOk : serve::TaskEnd::kFailed, std::move(e), Error());
      return;
    }
    if (cancelled_) {
      CancelNow();
      return;
    }
    if (call_->reason() == AsyncCall::Reason::kEpochYield) {
      PostResume();  // let the loop serve others first
      return;
    }
    waiting_ = true;  // suspended in a host wait until its waker fires
    events_.OnStateChanged(*this);
  }

  void PostResume() {
    if (resume_posted_) return;
    resume_posted_ = true;
    asio::post(io_, [this, alive = alive_] {
      if (!*alive) return;
      resume_posted_ = false;
      if (!running_ || !call_ || call_->state() != AsyncCall::State::kSuspended) return;
      if (cancelled_) {
        CancelNow();
        return;
      }
      if (waiting_) {
        waiting_ = false;
        events_.OnStateChanged(*this);
      }
      call_->Resume();
      AfterRun();
    });
  }

  // Unwinds the guest of the running task and answers `status` if nothing was sent yet (a
  // started response is cut short).
  void Abandon(uint16_t status, const char* message) {
    call_.reset();
    if (!sink_->started()) sink_->Fail(status, message);
    // Settles the wasi:http side (a second Fail is ignored); the guest's state is dropped
    // with the instance, so its error says nothing new.
    (void)wh::FinishHandle(*store_, handle_, store_->data().http, nullptr);
  }

  // The request timed out: unwind the guest and answer 504 if nothing was sent yet.
  void CancelNow() {
    Abandon(504, "the request timed out\n");
    std::string what = "request timed out after " +
                       (shared_.options->request_timeout ? *shared_.options->request_timeout
                                                         : std::string("?"));
    Finish(serve::TaskEnd::kTimeout, std::move(what));
  }

  // Ends the running task: `result` from FinishHandle, `start_error` if the call never began.
  void End(serve::TaskEnd end, Error result, Error start_error) {
    const Error& e = !start_error.ok() ? start_error : result;
    std::string detail;
    if (!e.ok()) {
      detail = e.ToString();
      if (e.code() == ErrorCode::kTrap) {
        healthy_ = false;  // a trapped instance may not be entered again
        shared_.metrics.traps.fetch_add(1);
      }
      end = serve::TaskEnd::kFailed;
    }
    Finish(end, std::move(detail));
  }

  void Finish(serve::TaskEnd end, std::string detail) {
    running_ = false;
    waiting_ = false;
    sink_.reset();
    events_.OnTaskEnd(*this, task_id_, end, std::move(detail));
  }

  Shared& shared_;
  asio::io_context& io_;
  uint64_t id_;
  serve::WorkerEvents& events_;
  std::shared_ptr<const p2::WasiP2Config> wasi_config_;  // until Init hands it to the state
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<Store<ServeState>> store_;
  cm::Func handle_;
  std::unique_ptr<AsyncCall> call_;  // after store_: destroyed (unwound) first
  std::shared_ptr<http::ResponseSink> sink_;
  uint64_t task_id_ = 0;
  bool running_ = false;
  bool waiting_ = false;
  bool cancelled_ = false;
  bool resume_posted_ = false;
  bool healthy_ = true;
  bool counted_ = false;
};

std::optional<std::chrono::milliseconds> ParseMs(const std::string& flag, const std::string& text,
                                                 std::string* error) {
  auto d = ParseDuration(text);
  if (!d.ok()) {
    *error = flag + " `" + text + "`: " + d.error().message();
    return std::nullopt;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  return ms.count() == 0 ? std::chrono::milliseconds(1) : ms;
}

}  // namespace

int ServeMain(const ServeOptions& o) {
  Shared shared;
  shared.options = &o;
  std::string error;
  auto idle = ParseMs("--idle-instance-timeout", o.idle_instance_timeout, &error);
  if (!idle) return Fail(error);
  std::optional<std::chrono::milliseconds> request_timeout;
  if (o.request_timeout) {
    request_timeout = ParseMs("--request-timeout", *o.request_timeout, &error);
    if (!request_timeout) return Fail(error);
  }
  auto header_timeout = ParseMs("--header-read-timeout", o.header_read_timeout, &error);
  if (!header_timeout) return Fail(error);
  auto grace = ParseMs("--shutdown-grace", o.shutdown_grace, &error);
  if (!grace) return Fail(error);
  if (o.max_instance_reuse_count == 0 || o.max_instance_concurrent_reuse_count == 0) {
    return Fail("--max-instance-reuse-count and --max-instance-concurrent-reuse-count must be "
                "at least 1");
  }

  if (Error e = AddDirsAndEnv(o.dirs, o.envs, shared.wasi_config); !e.ok()) {
    return Fail(e.message());
  }
  shared.wasi_config.args.push_back(o.file);
  shared.wasi_config.stdin_fd = -1;  // requests are the input; stdin is closed
  shared.net.allow_tcp = shared.net.allow_udp = shared.net.allow_ip_name_lookup =
      o.inherit_network;
  shared.http_config.allow_outbound = o.allow_outbound;
  // Load the system trust store now (tens of ms) rather than in a guest's first https request.
  if (Error e = http::Client::PreloadTrustStore(); !e.ok()) {
    std::fprintf(stderr, "weft serve: warning: %s (https requests from guests will fail)\n",
                 e.message().c_str());
  }
  if (o.max_memory_size) {
    shared.limits.max_memory_bytes = *o.max_memory_size;
    shared.has_limits = true;
  }

  std::vector<uint8_t> bytes;
  if (Error e = ReadFile(o.file, &bytes); !e.ok()) return Fail(e.message());
  Config engine_config;
  engine_config.epoch_interruption = true;
  Engine engine(engine_config);
  shared.engine = &engine;
  if (cm::Component::IsCoreModuleBinary(bytes)) {
    return Fail("`" + o.file +
                "` is a core WebAssembly module; `weft serve` needs a component exporting "
                "wasi:http/incoming-handler@0.2.x (run a module with `weft run`)");
  }
  auto component = cm::Component::Compile(engine, bytes);
  if (!component.ok()) {
    return Fail("failed to compile `" + o.file + "`: " + component.error().ToString());
  }
  cm::Linker<ServeState> linker(engine);
  if (Error e = p2::AddAllToLinker<ServeState, &GetWasi>(linker); !e.ok()) return Fail(e.message());
  if (Error e = wh::AddToLinker(linker, &GetHttp, &GetIo); !e.ok()) return Fail(e.message());
  auto pre = linker.InstantiatePre(*component);
  if (!pre.ok()) return Fail("failed to link `" + o.file + "`: " + pre.error().ToString());
  shared.pre = std::move(pre).value();

  // Instantiate once before listening, so a component that cannot serve fails at startup
  // with its reason rather than on every request.
  {
    asio::io_context probe_io;
    struct NoEvents final : serve::WorkerEvents {
      void OnTaskEnd(serve::Worker&, uint64_t, serve::TaskEnd, std::string) override {}
      void OnStateChanged(serve::Worker&) override {}
    } no_events;
    auto probe = ComponentWorker::Create(
        shared, probe_io, std::make_shared<const p2::WasiP2Config>(shared.wasi_config), 0,
        no_events);
    if (!probe.ok()) {
      return Fail("cannot serve `" + o.file + "`: " + probe.error().ToString());
    }
  }
  shared.metrics.instantiations = 0;

  serve::DispatcherConfig dispatch;
  dispatch.max_instance_reuse_count = o.max_instance_reuse_count;
  dispatch.max_instance_concurrent_reuse_count = o.max_instance_concurrent_reuse_count;
  dispatch.idle_instance_timeout = *idle;
  dispatch.request_timeout = request_timeout;
  dispatch.log = [&shared](const std::string& line) {
    shared.err_log.Write("weft serve: " + line + "\n");
  };

  http::ServerConfig config;
  config.addr = o.addr;
  config.threads = o.threads;
  config.max_header_bytes = static_cast<uint32_t>(std::min<uint64_t>(o.max_header_size, UINT32_MAX));
  config.max_body_bytes = o.max_body_size;
  config.header_read_timeout = *header_timeout;
  config.max_concurrent_connections = o.max_concurrent_connections;
  config.max_concurrent_requests = o.max_concurrent_requests;
  config.shutdown_grace = *grace;
  if (!o.quiet) {
    config.access_log = [&shared](const std::string& line) {
      shared.err_log.Write(line + "\n");
    };
  }

  http::HandlerFactory factory = [&shared, dispatch](unsigned, asio::io_context& io) {
    // One copy per loop: its instances share it without touching other threads' counts.
    auto wasi_config = std::make_shared<const p2::WasiP2Config>(shared.wasi_config);
    auto dispatcher = std::make_shared<serve::Dispatcher>(
        io, dispatch, [&shared, &io, wasi_config](uint64_t id, serve::WorkerEvents& events) {
          return ComponentWorker::Create(shared, io, wasi_config, id, events);
        });
    return http::Handler([dispatcher, &shared](http::Request request,
                                              std::shared_ptr<http::ResponseSink> sink) {
      shared.metrics.requests.fetch_add(1);
      serve::Task task;
      task.id = request.id;
      task.sink = std::make_shared<MeteredSink>(std::move(sink), shared.metrics);
      task.request = std::move(request);
      dispatcher->Submit(std::move(task));
    });
  };
  auto server = http::Server::Create(config, std::move(factory));
  if (!server.ok()) return Fail(server.error().message());

  // --metrics-addr: a second, one-thread server answering GET /metrics.
  std::unique_ptr<http::Server> metrics_server;
  std::thread metrics_thread;
  if (o.metrics_addr) {
    http::ServerConfig mconfig;
    mconfig.addr = *o.metrics_addr;
    mconfig.threads = 1;
    auto m = http::Server::Create(mconfig, [&shared](unsigned, asio::io_context&) {
      return http::Handler([&shared](http::Request request,
                                     std::shared_ptr<http::ResponseSink> sink) {
        if (request.path_with_query != "/metrics") {
          sink->Fail(404, "metrics are at /metrics\n");
          return;
        }
        std::string text = shared.metrics.Render();
        http::ResponseHead head;
        head.headers = {{"content-type", "text/plain; version=0.0.4"},
                        {"content-length", std::to_string(text.size())}};
        auto body = sink->Start(std::move(head));
        body->Write({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
        body->Finish({});
      });
    });
    if (!m.ok()) return Fail("--metrics-addr: " + m.error().message());
    metrics_server = std::move(m).value();
    metrics_thread = std::thread([&] { (void)metrics_server->Run(false); });
  }

  engine.StartEpochTicker(kEpochTickMs);
  // The bound address (the port may have been 0: tests read it from this line).
  std::string host = o.addr.substr(0, o.addr.rfind(':'));
  std::fprintf(stderr, "Serving HTTP on http://%s:%u/\n", host.c_str(),
               static_cast<unsigned>((*server)->port()));
  std::fflush(stderr);
  Error e = (*server)->Run(/*handle_signals=*/true);
  engine.StopEpochTicker();
  if (metrics_server) {
    metrics_server->Shutdown();
    metrics_thread.join();
  }
  if (!e.ok()) return Fail("weft serve: " + e.message());
  return 0;
}

}  // namespace weft::cli
