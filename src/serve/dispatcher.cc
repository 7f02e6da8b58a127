// The dispatcher of `weft serve` (dispatcher.h; rules in DESIGN.md section 5, explained in
// docs/dispatcher.md). Invariants, all on the loop thread:
// - Between two events the queue is empty: every task handed to Submit, and every task that
//   arrived re-entrantly while a dispatch pass ran, is given to an available worker or to a
//   new one before the pass returns (or fails with 500 if the factory fails). No task can
//   therefore be orphaned.
// - A worker is in avail_ iff it was available when last refreshed; every event that can
//   change availability (start, end, state change, timeout) refreshes it, and Pick re-checks.
// - A worker is never destroyed inside one of its own callbacks: retiring moves it to the
//   graveyard and a posted reaper destroys it.
// - Timer and reaper handlers hold a weak token of the Impl and (instance id, task id,
//   generation) keys, never raw pointers that may dangle.
#include "serve/dispatcher.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

namespace weft::serve {

namespace {

using Clock = boost::asio::steady_timer::clock_type;

// Instance ids are unique in the process (one dispatcher per thread), so log lines and the
// access log name one instance unambiguously.
std::atomic<uint64_t> g_next_instance_id{1};

struct TaskRec {
  uint64_t id = 0;
  std::unique_ptr<boost::asio::steady_timer> timer;  // Only with a request timeout.
  std::chrono::steady_clock::time_point started;       // 1x and 2x count from here.
  bool cancelled = false;                              // Cancel was called (1x passed).
};

}  // namespace

struct Dispatcher::Impl final : WorkerEvents {
  struct Slot {
    uint64_t id = 0;        // The id given to the factory: our key for timers and maps.
    uint64_t instance = 0;  // worker->id(), for logs (a worker may number itself).
    std::unique_ptr<Worker> worker;
    std::vector<TaskRec> tasks;  // In flight; small (at most the concurrent limit).
    uint32_t started = 0;        // Tasks started over the worker's life.
    bool draining = false;       // One of its tasks timed out.
    bool dead = false;           // Retired: in the graveyard, waiting for the reaper.
    size_t avail_index = SIZE_MAX;  // Position in avail_, or SIZE_MAX.
    // The "quiet" deadline runs while the worker has no task: the idle timeout, or (with a
    // request timeout) the limit on background work that outlives the worker's tasks. The
    // timer is lazy: disarming only clears quiet_kind, and a timer that fires before the
    // current deadline re-arms itself, so a busy worker never cancels or re-arms a timer
    // (each costs a timerfd system call when it is the loop's earliest).
    enum class Quiet : uint8_t { kNone, kIdle, kBackground };
    Quiet quiet_kind = Quiet::kNone;
    Clock::time_point quiet_deadline;
    boost::asio::steady_timer quiet_timer;
    bool quiet_wait_pending = false;
    Clock::time_point quiet_wait_expiry;
    uint64_t quiet_gen = 0;  // Of the async_wait whose handler counts.

    explicit Slot(boost::asio::io_context& io) : quiet_timer(io) {}
    TaskRec* Find(uint64_t task_id) {
      for (TaskRec& t : tasks) {
        if (t.id == task_id) return &t;
      }
      return nullptr;
    }
  };

  Impl(boost::asio::io_context& io, DispatcherConfig config, WorkerFactory factory)
      : io_(io), config_(std::move(config)), factory_(std::move(factory)) {
    if (config_.max_instance_reuse_count == 0) config_.max_instance_reuse_count = 1;
    if (config_.max_instance_concurrent_reuse_count == 0) {
      config_.max_instance_concurrent_reuse_count = 1;
    }
  }

  ~Impl() override {
    life_.reset();  // Pending timers and reapers become no-ops.
    shutting_down_ = true;
    for (Task& t : queue_) FailTask(t, 503, "server shutting down");
    queue_.clear();
    avail_.clear();
    // Worker destructors cancel their tasks and may settle responses; keep our maps intact
    // while they run (a destructor may not call back, but may reach Submit via the server).
    std::unordered_map<uint64_t, std::unique_ptr<Slot>> workers = std::move(workers_);
    std::vector<std::unique_ptr<Slot>> graveyard = std::move(graveyard_);
    by_ptr_.clear();
    workers.clear();
    graveyard.clear();
  }

  // --- Submission and placement ---

  void Submit(Task task) {
    if (shutting_down_) {
      FailTask(task, 503, "server shutting down");
      return;
    }
    if (pumping_) {  // Re-entrant (a worker's Start or a factory reached the server).
      queue_.push_back(std::move(task));
      return;
    }
    pumping_ = true;
    Place(std::move(task));  // No queue hop: straight to a worker.
    DrainQueue();
    pumping_ = false;
  }

  void Pump() {
    if (pumping_ || queue_.empty()) return;
    pumping_ = true;
    DrainQueue();
    pumping_ = false;
  }

  void DrainQueue() {
    while (!queue_.empty() && !shutting_down_) {
      Task task = std::move(queue_.front());
      queue_.pop_front();
      Place(std::move(task));
    }
  }

  // Gives `task` to an available worker, else to a new one; on factory failure the client
  // gets 500.
  void Place(Task task) {
    Slot* slot = PickAvailable();
    if (slot == nullptr) slot = Create(task);
    if (slot == nullptr) return;
    StartOn(*slot, std::move(task));
  }

  Slot* PickAvailable() {
    while (!avail_.empty()) {
      Slot* s = avail_.back();
      if (IsAvailable(*s)) return s;
      RemoveAvail(*s);  // Its state changed without an event reaching us yet.
    }
    return nullptr;
  }

  Slot* Create(Task& task) {
    uint64_t id = g_next_instance_id.fetch_add(1, std::memory_order_relaxed);
    Expected<std::unique_ptr<Worker>> made = factory_(id, *this);
    if (!made || made.value() == nullptr) {
      ++stats_.instantiation_failures;
      std::string why = made ? std::string("factory returned no worker")
                             : made.error().ToString();
      Log("request " + std::to_string(task.id) + ": instantiation failed: " + why);
      FailTask(task, 500, "instantiation failed");
      return nullptr;
    }
    ++stats_.instantiations;
    ++stats_.instances_alive;
    auto slot = std::make_unique<Slot>(io_);
    slot->id = id;
    slot->instance = made.value()->id();
    slot->worker = std::move(made.value());
    Slot* raw = slot.get();
    by_ptr_[raw->worker.get()] = raw;
    workers_[id] = std::move(slot);
    return raw;
  }

  void StartOn(Slot& s, Task task) {
    DisarmIdle(s);
    ++s.started;
    ++stats_.tasks_started;
    TaskRec rec;
    rec.id = task.id;
    s.tasks.push_back(std::move(rec));
    if (task.sink) task.sink->SetInstanceId(s.instance);
    s.worker->Start(std::move(task));
    if (config_.request_timeout) {
      // Armed once Start returned (it never calls back, so the record is still the last):
      // the task gets its full 1x from the moment the worker has it.
      TaskRec& started = s.tasks.back();
      started.timer = std::make_unique<boost::asio::steady_timer>(io_);
      started.started = std::chrono::steady_clock::now();
      ArmTaskTimer(s.id, started, started.started + *config_.request_timeout);
    }
    // Start never calls back, so `s` is still ours; it is busy (a new task counts as running).
    Refresh(s);
  }

  // --- Worker events ---

  void OnTaskEnd(Worker& worker, uint64_t task_id, TaskEnd end, std::string detail) override {
    Slot* s = SlotOf(worker);
    if (s == nullptr) return;
    auto it = std::find_if(s->tasks.begin(), s->tasks.end(),
                           [&](const TaskRec& t) { return t.id == task_id; });
    if (it == s->tasks.end()) return;  // Already ended (forced at 2x) or unknown.
    s->tasks.erase(it);  // Destroys its timer, cancelling it.
    switch (end) {
      case TaskEnd::kOk:
        ++stats_.tasks_ok;
        break;
      case TaskEnd::kFailed:
        ++stats_.tasks_failed;
        Log(TaskLine(task_id, s->instance, detail.empty() ? "failed" : detail));
        break;
      case TaskEnd::kTimeout:
        ++stats_.timeouts;
        s->draining = true;  // Also when the worker timed the task out on its own.
        Log(TaskLine(task_id, s->instance, detail.empty() ? "request timeout" : detail));
        break;
    }
    Refresh(*s);
    Pump();
  }

  void OnStateChanged(Worker& worker) override {
    Slot* s = SlotOf(worker);
    if (s == nullptr) return;
    Refresh(*s);
    Pump();
  }

  // --- Request timeout: Cancel at 1x; at 2x a worker that has not ended the task is dropped.

  void ArmTaskTimer(uint64_t instance_id, TaskRec& rec,
                    std::chrono::steady_clock::time_point at) {
    rec.timer->expires_at(at);
    rec.timer->async_wait([life = std::weak_ptr<int>(life_), this, instance_id,
                           task_id = rec.id](const boost::system::error_code& ec) {
      if (ec || life.expired()) return;
      OnTaskTimer(instance_id, task_id);
    });
  }

  void OnTaskTimer(uint64_t instance_id, uint64_t task_id) {
    auto wit = workers_.find(instance_id);
    if (wit == workers_.end()) return;
    Slot& s = *wit->second;
    TaskRec* rec = s.Find(task_id);
    if (rec == nullptr || s.dead) return;
    if (!rec->cancelled) {
      rec->cancelled = true;
      s.draining = true;  // Takes no more tasks; destroyed once its tasks end.
      // 2x counts from the start, not from this (possibly late) tick.
      ArmTaskTimer(s.id, *rec, rec->started + 2 * *config_.request_timeout);
      RemoveAvail(s);
      s.worker->Cancel(task_id);  // Never calls back inside.
      Refresh(s);
      Pump();
      return;
    }
    // 2x: the worker broke its contract (Cancel must end the task within a few ms). Keep
    // the 2x promise by dropping the instance; its destructor settles the responses.
    Log(TaskLine(task_id, s.instance, "not stopped within 2x the request timeout; instance dropped"));
    for (TaskRec& t : s.tasks) {
      ++stats_.timeouts;
      if (t.id != task_id) Log(TaskLine(t.id, s.instance, "cut: its instance was dropped"));
    }
    s.tasks.clear();
    Retire(s);
    Pump();
  }

  // --- Worker state ---

  uint32_t ConcurrentLimit(const Slot& s) const {
    return s.worker->concurrent() ? config_.max_instance_concurrent_reuse_count : 1;
  }

  bool ReuseExhausted(const Slot& s) const {
    return s.started >= config_.max_instance_reuse_count;
  }

  bool IsAvailable(const Slot& s) const {
    if (s.dead || s.draining || ReuseExhausted(s) || !s.worker->healthy()) return false;
    if (s.tasks.empty()) return true;
    return s.tasks.size() < ConcurrentLimit(s) && s.worker->AllWaiting();
  }

  // Re-derives what `s` should be doing now: retired, idle (timer armed), available or busy.
  void Refresh(Slot& s) {
    if (s.dead) return;
    if (s.tasks.empty()) {
      // A timed-out or broken instance is not worth its background work; a healthy one that
      // reached its reuse count finishes it first.
      bool bg = s.worker->has_background_work();
      if (s.draining || !s.worker->healthy() || (ReuseExhausted(s) && !bg)) {
        Retire(s);
        return;
      }
      if (!bg) {
        ArmQuiet(s, Slot::Quiet::kIdle, config_.idle_instance_timeout);
      } else if (config_.request_timeout) {
        ArmQuiet(s, Slot::Quiet::kBackground, *config_.request_timeout);
      } else {
        DisarmIdle(s);
      }
    } else {
      DisarmIdle(s);
    }
    if (IsAvailable(s)) {
      AddAvail(s);
    } else {
      RemoveAvail(s);
    }
  }

  // Starts the quiet deadline of `kind` unless it already runs (it measures from the moment
  // the worker entered that state, like wasmtime's worker expiration).
  void ArmQuiet(Slot& s, Slot::Quiet kind, std::chrono::milliseconds after) {
    if (s.quiet_kind == kind) return;
    s.quiet_kind = kind;
    s.quiet_deadline = Clock::now() + after;
    // A pending wait that expires no later is kept: its handler re-arms for the rest.
    if (s.quiet_wait_pending && s.quiet_wait_expiry <= s.quiet_deadline) return;
    WaitQuiet(s);
  }

  void WaitQuiet(Slot& s) {
    s.quiet_wait_pending = true;
    s.quiet_wait_expiry = s.quiet_deadline;
    uint64_t gen = ++s.quiet_gen;  // expires_at cancels an older wait: its handler is stale.
    s.quiet_timer.expires_at(s.quiet_deadline);
    s.quiet_timer.async_wait([life = std::weak_ptr<int>(life_), this, id = s.id,
                              gen](const boost::system::error_code&) {
      if (life.expired()) return;
      auto it = workers_.find(id);
      if (it == workers_.end()) return;
      Slot& slot = *it->second;
      if (slot.quiet_gen != gen) return;
      slot.quiet_wait_pending = false;
      if (slot.dead || slot.quiet_kind == Slot::Quiet::kNone) return;
      if (Clock::now() < slot.quiet_deadline) {
        WaitQuiet(slot);  // Disarmed and re-armed since: wait for the rest.
        return;
      }
      Slot::Quiet fired = slot.quiet_kind;
      slot.quiet_kind = Slot::Quiet::kNone;
      bool bg = slot.worker->has_background_work();
      if (!slot.tasks.empty() || (fired == Slot::Quiet::kIdle && bg) ||
          (fired == Slot::Quiet::kBackground && !bg)) {
        Refresh(slot);  // The state changed without an event: re-derive it.
        return;
      }
      if (fired == Slot::Quiet::kBackground) {
        Log("instance " + std::to_string(slot.instance) +
            ": background work still running after the request timeout; instance dropped");
      }
      Retire(slot);
    });
  }

  void DisarmIdle(Slot& s) { s.quiet_kind = Slot::Quiet::kNone; }

  void AddAvail(Slot& s) {
    if (s.avail_index != SIZE_MAX) return;
    s.avail_index = avail_.size();
    avail_.push_back(&s);
  }

  void RemoveAvail(Slot& s) {
    if (s.avail_index == SIZE_MAX) return;
    size_t i = s.avail_index;
    avail_[i] = avail_.back();
    avail_[i]->avail_index = i;
    avail_.pop_back();
    s.avail_index = SIZE_MAX;
  }

  // Takes `s` out of service now and destroys it from the loop, never inside its callback.
  void Retire(Slot& s) {
    if (s.dead) return;
    s.dead = true;
    RemoveAvail(s);
    DisarmIdle(s);
    s.tasks.clear();
    by_ptr_.erase(s.worker.get());
    auto it = workers_.find(s.id);
    graveyard_.push_back(std::move(it->second));
    workers_.erase(it);
    if (!reaper_posted_) {
      reaper_posted_ = true;
      boost::asio::post(io_, [life = std::weak_ptr<int>(life_), this] {
        if (life.expired()) return;
        reaper_posted_ = false;
        std::vector<std::unique_ptr<Slot>> dead = std::move(graveyard_);
        graveyard_.clear();
        stats_.instances_alive -= dead.size();
        dead.clear();
      });
    }
  }

  Slot* SlotOf(Worker& worker) {
    auto it = by_ptr_.find(&worker);
    return it == by_ptr_.end() ? nullptr : it->second;
  }

  // --- Helpers ---

  static std::string TaskLine(uint64_t task_id, uint64_t instance_id, const std::string& what) {
    return "request " + std::to_string(task_id) + " (instance " + std::to_string(instance_id) +
           "): " + what;
  }

  void Log(const std::string& line) {
    if (config_.log) config_.log(line);
  }

  static void FailTask(Task& task, uint16_t status, std::string message) {
    if (task.sink && !task.sink->started()) task.sink->Fail(status, std::move(message));
  }

  Stats stats() const {
    Stats s = stats_;
    s.queued = queue_.size();
    return s;
  }

  boost::asio::io_context& io_;
  DispatcherConfig config_;
  WorkerFactory factory_;
  std::shared_ptr<int> life_ = std::make_shared<int>(0);
  std::unordered_map<uint64_t, std::unique_ptr<Slot>> workers_;  // By instance id.
  std::unordered_map<const Worker*, Slot*> by_ptr_;
  std::vector<Slot*> avail_;
  std::vector<std::unique_ptr<Slot>> graveyard_;
  bool reaper_posted_ = false;
  std::deque<Task> queue_;
  bool pumping_ = false;
  bool shutting_down_ = false;
  Stats stats_;
};

Dispatcher::Dispatcher(boost::asio::io_context& io, DispatcherConfig config,
                       WorkerFactory factory)
    : impl_(std::make_unique<Impl>(io, std::move(config), std::move(factory))) {}

Dispatcher::~Dispatcher() = default;

void Dispatcher::Submit(Task task) { impl_->Submit(std::move(task)); }

Dispatcher::Stats Dispatcher::stats() const { return impl_->stats(); }

}  // namespace weft::serve
