// Pollables over Asio (see pollables.h). Completion handlers hold the waiter list by
// shared_ptr, never the pollable: a pollable dropped while its timer or fd watch is pending
// cancels the operation, and the handler then runs harmlessly later.
#include "wasi/p2/pollables.h"

#include <poll.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <utility>

namespace weft::wasi::p2 {

namespace {

// Wakers queued on one pending Asio operation.
struct Waiters {
  std::vector<std::function<void()>> wakes;
  bool pending = false;

  // The completion handler: wakes everyone queued so far.
  static void Fire(const std::shared_ptr<Waiters>& w) {
    w->pending = false;
    std::vector<std::function<void()>> wakes = std::move(w->wakes);
    w->wakes.clear();
    for (auto& wake : wakes) wake();
  }
};

class Deadline final : public Pollable {
 public:
  explicit Deadline(uint64_t instant_ns) : instant_ns_(instant_ns) {}
  bool Ready() override { return MonotonicNow() >= instant_ns_; }
  void Wait(boost::asio::io_context& io, std::function<void()> wake) override {
    waiters_->wakes.push_back(std::move(wake));
    if (waiters_->pending) return;
    if (!timer_) {
      // steady_clock's epoch is MonotonicNow()'s; clamp what int64 nanoseconds cannot hold.
      constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
      auto at = std::chrono::steady_clock::time_point(
          std::chrono::nanoseconds(static_cast<int64_t>(std::min(instant_ns_, kMax))));
      timer_.emplace(io, at);
    }
    waiters_->pending = true;
    timer_->async_wait([w = waiters_](const boost::system::error_code&) { Waiters::Fire(w); });
  }

 private:
  uint64_t instant_ns_;
  std::shared_ptr<Waiters> waiters_ = std::make_shared<Waiters>();
  std::optional<boost::asio::steady_timer> timer_;
};

class FdWatch final : public Pollable {
 public:
  FdWatch(int fd, bool write) : fd_(fd), write_(write) {}
  bool Ready() override {
    if (fd_ < 0) return true;
    pollfd p{fd_, static_cast<short>(write_ ? POLLOUT : POLLIN), 0};
    int r = ::poll(&p, 1, 0);
    // An error or POLLHUP/POLLERR/POLLNVAL: the next operation fails or sees EOF at once.
    return r != 0;
  }
  void Wait(boost::asio::io_context& io, std::function<void()> wake) override {
    if (!desc_ && !unwatchable_) {
      int d = ::dup(fd_);
      boost::system::error_code ec;
      if (d >= 0) {
        desc_.emplace(io);
        desc_->assign(d, ec);  // epoll refuses regular files and /dev/null (EPERM)
        if (ec) {
          desc_.reset();
          ::close(d);
        }
      }
      if (!desc_) unwatchable_ = true;
    }
    if (unwatchable_) {
      // Never blocks anyway (poll() said otherwise only for an instant): wake on the loop.
      boost::asio::post(io, std::move(wake));
      return;
    }
    waiters_->wakes.push_back(std::move(wake));
    if (waiters_->pending) return;
    waiters_->pending = true;
    using D = boost::asio::posix::descriptor_base;
    desc_->async_wait(write_ ? D::wait_write : D::wait_read,
                      [w = waiters_](const boost::system::error_code&) { Waiters::Fire(w); });
  }

 private:
  int fd_;
  bool write_;
  bool unwatchable_ = false;
  std::shared_ptr<Waiters> waiters_ = std::make_shared<Waiters>();
  std::optional<boost::asio::posix::stream_descriptor> desc_;  // owns the dup()ed fd
};

class Any final : public Pollable {
 public:
  explicit Any(std::vector<std::shared_ptr<Pollable>> members) : members_(std::move(members)) {}
  bool Ready() override {
    for (auto& m : members_) {
      if (m->Ready()) return true;
    }
    return false;
  }
  void Wait(boost::asio::io_context& io, std::function<void()> wake) override {
    for (auto& m : members_) {
      if (m->Ready()) {
        boost::asio::post(io, std::move(wake));
        return;
      }
    }
    for (auto& m : members_) m->Wait(io, wake);
  }

 private:
  std::vector<std::shared_ptr<Pollable>> members_;
};

}  // namespace

uint64_t MonotonicNow() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
  return static_cast<uint64_t>(ns.count());
}

std::shared_ptr<Pollable> DeadlinePollable(uint64_t instant_ns) {
  return std::make_shared<Deadline>(instant_ns);
}

std::shared_ptr<Pollable> FdPollable(int fd, bool write) {
  return std::make_shared<FdWatch>(fd, write);
}

std::shared_ptr<Pollable> AnyPollable(std::vector<std::shared_ptr<Pollable>> members) {
  return std::make_shared<Any>(std::move(members));
}

}  // namespace weft::wasi::p2
