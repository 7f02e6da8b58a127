// LogWriter (log_writer.h): one queue and one thread per descriptor. Writers append under
// the mutex and wake the thread only when it sleeps idle on an empty queue; after each
// write(2) the thread pauses kBatchDelay before taking the next batch, so under load one
// write carries many lines and the loops pay a mutex and an append per line (a wake-up and
// a write per line cost more than the direct write they replace).
#include "cli/log_writer.h"

#include <errno.h>
#include <unistd.h>

#include <chrono>

namespace weft::cli {

namespace {

constexpr auto kBatchDelay = std::chrono::milliseconds(5);

void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a closed or broken descriptor: the output is lost, the server goes on
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

LogWriter::LogWriter(int fd, size_t max_queued)
    : fd_(fd), max_queued_(max_queued), thread_([this] { Run(); }) {}

LogWriter::~LogWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void LogWriter::Write(std::string_view text) {
  if (text.empty()) return;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queued_.size() + text.size() > max_queued_) {
      dropped_ += text.size();
      unreported_ += text.size();
      return;
    }
    wake = idle_;
    idle_ = false;
    queued_.append(text);
  }
  if (wake) cv_.notify_one();
}

uint64_t LogWriter::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void LogWriter::Run() {
  std::string batch;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    idle_ = queued_.empty();
    cv_.wait(lock, [this] { return stop_ || !queued_.empty(); });
    idle_ = false;
    if (queued_.empty() && stop_) return;
    batch.clear();
    batch.swap(queued_);
    uint64_t lost = unreported_;
    unreported_ = 0;
    lock.unlock();
    WriteAll(fd_, batch);
    if (lost != 0) {
      WriteAll(fd_, "[weft] " + std::to_string(lost) +
                        " bytes of output dropped: the output could not keep up\n");
    }
    lock.lock();
    if (!stop_) cv_.wait_for(lock, kBatchDelay, [this] { return stop_; });
  }
}

}  // namespace weft::cli
