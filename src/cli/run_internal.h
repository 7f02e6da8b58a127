// Pieces `weft run` shares between its module path (run.cc) and its component path
// (run_component.cc): error printing, file reading, trap printing and the timeout watchdog.
#pragma once

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
#include "weft/error.h"

namespace weft::cli {

/// Prints "Error: message" to stderr; returns kExitError.
int Fail(const std::string& message);

/// Reads a whole file; errors name the file and the OS reason.
Error ReadFile(const std::string& path, std::vector<uint8_t>* out);

/// Prints a trap like wasmtime: context, the trap message and the guest backtrace.
void PrintTrap(const std::string& file, const Error& e);

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


}  // namespace weft::cli
