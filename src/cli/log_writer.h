// LogWriter: text for one file descriptor (weft serve's access log on stderr, its guests'
// prefixed stdout/stderr lines) handed to a background thread, so a loop thread never
// blocks on a slow terminal or a full pipe. Writes keep their order; each Write's text is
// written whole by one write(2) or a batch of them (lines from several loops never
// interleave mid-line); text reaches the descriptor within a few milliseconds. Bounded: while more than `max_queued` bytes wait, new text is
// dropped and counted, and a "[weft] N bytes of output dropped" line is written once there
// is room again. The destructor writes what is queued and joins the thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace weft::cli {

class LogWriter {
 public:
  /// Starts the thread writing to `fd` (not owned, not closed).
  explicit LogWriter(int fd, size_t max_queued = size_t{4} << 20);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  /// Queues `text` (normally whole lines). Thread-safe; never blocks on the descriptor.
  void Write(std::string_view text);
  /// Bytes dropped so far because the queue was full.
  uint64_t dropped() const;

 private:
  void Run();

  const int fd_;
  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string queued_;      // guarded by mu_
  uint64_t dropped_ = 0;    // guarded by mu_: total
  uint64_t unreported_ = 0; // guarded by mu_: dropped since the last report line
  bool stop_ = false;       // guarded by mu_
  bool idle_ = false;       // guarded by mu_: the thread waits for text (Write wakes it)
  std::thread thread_;
};

}  // namespace weft::cli
