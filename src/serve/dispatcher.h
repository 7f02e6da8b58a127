// The dispatcher of `weft serve` (DESIGN.md section 5): hands each request (a task) to a
// worker (one store + one guest instance) following the section's rules: request timeouts
// (a task runs at least 1x and at most 2x the timeout), graceful drain of an instance
// whose task timed out, concurrent reuse only while every task of a worker waits on I/O,
// no queue hop when a new worker is needed, no orphaned queued task, idle workers retired.
// One Dispatcher per event loop thread; everything runs on that thread. Workers are
// abstract here so the rules are tested with scripted workers as well as real guests.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/message.h"
#include "weft/error.h"

namespace weft::serve {

struct DispatcherConfig {
  /// Tasks an instance runs in its lifetime (1: a fresh instance per request; 0 counts as 1).
  uint32_t max_instance_reuse_count = 1;
  /// Tasks an instance runs at once (only for workers with concurrent() == true; 0 counts
  /// as 1).
  uint32_t max_instance_concurrent_reuse_count = 1;
  /// A worker with no task and no background work for this long is retired.
  std::chrono::milliseconds idle_instance_timeout{1000};
  /// A task's time limit from the moment a worker starts it; none by default. It also
  /// bounds background work that outlives a worker's tasks (then the worker is dropped).
  std::optional<std::chrono::milliseconds> request_timeout;
  /// Error lines ("request 42 (instance 3): wasm trap: unreachable"); nullptr: none.
  std::function<void(const std::string& line)> log;
};

/// One request to serve.
struct Task {
  uint64_t id = 0;  ///< The request id (http::Request::id).
  ::weft::http::Request request;
  std::shared_ptr<::weft::http::ResponseSink> sink;
};

/// How a task ended.
enum class TaskEnd : uint8_t {
  kOk,       ///< The guest produced its response.
  kFailed,   ///< Trap, missing response, or other guest failure (the client got a 5xx).
  kTimeout,  ///< Cancelled by the request timeout (the client got a 5xx or a cut response).
};

class Worker;

/// What a worker tells its dispatcher. Never called from inside Worker::Start or Cancel
/// (workers post to the loop), so the dispatcher may destroy the worker in a callback's
/// aftermath, but not inside the callback itself.
class WorkerEvents {
 public:
  virtual ~WorkerEvents() = default;
  /// `task_id` ended (its response is settled: finished, failed or aborted).
  virtual void OnTaskEnd(Worker& worker, uint64_t task_id, TaskEnd end, std::string detail) = 0;
  /// AllWaiting(), has_background_work() or healthy() may have changed. The dispatcher only
  /// re-reads them on events: a worker must report at least when AllWaiting() becomes true
  /// (else it gets no concurrent task), when has_background_work() becomes false (else it
  /// is never retired), and when healthy() becomes false other than with an OnTaskEnd.
  virtual void OnStateChanged(Worker& worker) = 0;
};

/// One store and instance. Lives on the dispatcher's thread.
class Worker {
 public:
  /// Cancels the tasks still in flight and settles their responses (Fail: a 5xx, or an
  /// abort if started) without reporting anything. Never called inside the worker's own
  /// callbacks: the dispatcher posts destructions.
  virtual ~Worker() = default;
  virtual uint64_t id() const = 0;  ///< The instance id, for logs.
  /// True if the instance can run tasks concurrently (an async-lifted handler); wasi:http
  /// 0.2 handlers cannot.
  virtual bool concurrent() const = 0;
  /// Starts `task`. The worker owns its response from here: it answers the client itself
  /// (5xx on failure) and reports OnTaskEnd exactly once.
  virtual void Start(Task task) = 0;
  /// The request timeout of `task_id` passed: stop it (a suspended guest is cancelled at
  /// once, a running one at its next epoch check) and report OnTaskEnd(kTimeout). A task
  /// that already ended, its OnTaskEnd still on the way, is left alone (Cancel may race
  /// the report, which comes from the loop).
  virtual void Cancel(uint64_t task_id) = 0;
  /// True if the worker has tasks and every one of them is suspended waiting on I/O (a task
  /// just started counts as running until its guest first waits).
  virtual bool AllWaiting() const = 0;
  /// Work that continues without a task (e.g. a response body still being flushed).
  virtual bool has_background_work() const = 0;
  /// False once the instance can no longer be used (it trapped): it takes no more tasks.
  virtual bool healthy() const = 0;
};

/// Creates a worker (instantiates). Called on the dispatcher's thread, with an instance id
/// unique in the process. Must not call `events` before returning.
using WorkerFactory =
    std::function<Expected<std::unique_ptr<Worker>>(uint64_t instance_id, WorkerEvents& events)>;

class Dispatcher {
 public:
  /// `io` must outlive the dispatcher (its timers live on it). Use the dispatcher, and
  /// destroy it, on the thread running `io` (or once `io` no longer runs).
  Dispatcher(boost::asio::io_context& io, DispatcherConfig config, WorkerFactory factory);
  /// Destroys every worker (their tasks are cancelled); a task submitted meanwhile (e.g. by
  /// a worker's destructor reaching the server) is answered 503.
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Takes a request. If the factory fails, the client gets 500 and the error is logged
  /// with the request id.
  void Submit(Task task);

  struct Stats {
    uint64_t instances_alive = 0;
    uint64_t instantiations = 0;
    uint64_t instantiation_failures = 0;
    uint64_t tasks_started = 0;
    uint64_t tasks_ok = 0;
    uint64_t tasks_failed = 0;  ///< Traps and other guest failures.
    uint64_t timeouts = 0;
    uint64_t queued = 0;        ///< Tasks waiting for a worker now.
  };
  Stats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::serve
