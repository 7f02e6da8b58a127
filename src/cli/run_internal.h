// Pieces `weft run` shares between its module path (run.cc) and its component path
// (run_component.cc): error printing, file reading, trap printing, and GuestLimits (what
// --timeout, --fuel and --max-memory-size do, and the exit code of a run's outcome).
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cli/run.h"
#include "wasi/p2/io.h"
#include "weft/error.h"
#include "weft/weft.h"

namespace weft::cli {

/// Prints "Error: message" to stderr; returns kExitError.
int Fail(const std::string& message);

/// Reads a whole file; errors name the file and the OS reason.
Error ReadFile(const std::string& path, std::vector<uint8_t>* out);

/// Prints a trap like wasmtime: context, the trap message and the guest backtrace.
void PrintTrap(const std::string& file, const Error& e);

/// `--dir` and `--env` values into a WASI 0.2 configuration (`weft run` for components and
/// `weft serve`); the error is the first bad value's.
Error AddDirsAndEnv(const std::vector<std::string>& dirs, const std::vector<std::string>& envs,
                    wasi::p2::WasiP2Config& config);

/// Runs a component (bytes already read; options already validated by RunMain).
int RunComponent(const RunOptions& o, std::span<const uint8_t> bytes,
                 std::optional<std::chrono::nanoseconds> timeout);

// The epoch deadline stops guest code, but not a guest blocked in a host call (a long
// poll_oneoff sleep, a read from a silent pipe). The watchdog ends the process shortly after
// the deadline in that case, with the same message and exit code.
class Watchdog {
 public:
  ~Watchdog() { Stop(); }
  void Start(std::chrono::nanoseconds timeout, std::string label) {
    thread_ = std::thread([this, timeout, label = std::move(label)] {
      std::unique_lock<std::mutex> lock(mu_);
      // The grace period lets the epoch trap win when the guest is computing.
      if (!cv_.wait_for(lock, timeout + std::chrono::milliseconds(200), [this] { return stop_; })) {
        std::fprintf(stderr, "timeout: guest exceeded %s\n", label.c_str());
        std::fflush(stderr);
        std::_Exit(kExitTimeout);
      }
    });
  }
  void Stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};


/// --timeout, --fuel and --max-memory-size for one run, and how its outcome becomes weft's exit
/// code: the same for modules and components.
class GuestLimits {
 public:
  GuestLimits(const RunOptions& o, std::optional<std::chrono::nanoseconds> timeout)
      : o_(o), timeout_(timeout) {}
  ~GuestLimits() { Stop(); }
  /// Engine settings the limits need (fuel, epoch interruption).
  void Configure(Config& config) const {
    config.consume_fuel = o_.fuel.has_value();
    config.epoch_interruption = timeout_.has_value();
  }
  /// Memory limit and fuel on a new store; the error message is for Fail().
  Error ApplyTo(StoreBase& store) const {
    if (o_.max_memory_size) {
      StoreLimits limits;
      limits.max_memory_bytes = *o_.max_memory_size;
      store.SetLimits(limits);
    }
    return o_.fuel ? store.SetFuel(*o_.fuel) : Error();
  }
  /// Arms the timeout: call just before guest code can first run (a start function may).
  void Arm(Engine& engine, StoreBase& store) {
    if (!timeout_) return;
    engine_ = &engine;
    watchdog_.Start(*timeout_, *o_.timeout);
    // ~100 ticks per timeout, 1-10 ms each: precise enough, cheap for the ticker thread.
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout_).count();
    uint32_t interval = static_cast<uint32_t>(std::clamp<int64_t>(ms / 100, 1, 10));
    store.SetEpochDeadline(static_cast<uint64_t>((ms + interval - 1) / interval));
    store.SetDeadlineAction(DeadlineAction::kTrap);
    engine.StartEpochTicker(interval);
  }
  void Stop() {
    if (engine_ != nullptr) engine_->StopEpochTicker();
    engine_ = nullptr;
    watchdog_.Stop();
  }
  /// The exit code for how the guest ended (ok, exit status, trap, timeout); other errors are
  /// printed after `context` ("failed to run main module `x.wasm`").
  int Finish(const Error& e, const std::string& context) {
    Stop();
    std::fflush(stdout);
    if (e.ok()) return 0;
    if (e.code() == ErrorCode::kExit) return e.exit_status();
    if (e.code() == ErrorCode::kTrap) {
      if (timeout_ && e.message().find("interrupt") != std::string::npos) {
        std::fprintf(stderr, "timeout: guest exceeded %s\n", o_.timeout->c_str());
        return kExitTimeout;
      }
      PrintTrap(o_.file, e);
      return kExitTrap;
    }
    return Fail(context + ": " + e.ToString());
  }
  /// Instantiation failed: a trap or exit (from a start function) is an outcome like any;
  /// anything else is reported as an instantiation error.
  int FinishInstantiate(const Error& e) {
    if (e.code() == ErrorCode::kTrap || e.code() == ErrorCode::kExit) {
      return Finish(e, "failed to instantiate `" + o_.file + "`");
    }
    Stop();
    return Fail("failed to instantiate `" + o_.file + "`: " + e.ToString());
  }

 private:
  const RunOptions& o_;
  std::optional<std::chrono::nanoseconds> timeout_;
  Engine* engine_ = nullptr;
  Watchdog watchdog_;
};

}  // namespace weft::cli
