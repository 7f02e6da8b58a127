// Fd-backed streams (see stdio.h).
#include "wasi/p2/stdio.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "wasi/p2/pollables.h"

namespace weft::wasi::p2 {

namespace {

class FdIn final : public InputStream {
 public:
  explicit FdIn(int fd) : fd_(fd), eof_(fd < 0) {}
  StreamStatus Read(uint64_t max, std::vector<uint8_t>& out) override {
    if (eof_) return StreamStatus::Closed();
    if (max == 0) return StreamStatus::Ok();
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, 0);
    if (r == 0) return StreamStatus::Ok();  // nothing yet
    // 64 KiB per call: the guest asks again; a huge `max` must not allocate huge buffers.
    size_t want = static_cast<size_t>(std::min<uint64_t>(max, 64 * 1024));
    size_t old = out.size();
    out.resize(old + want);
    ssize_t n;
    do {
      n = ::read(fd_, out.data() + old, want);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      out.resize(old);
      if (errno == EAGAIN || errno == EWOULDBLOCK) return StreamStatus::Ok();
      if (errno == EBADF) {
        // A closed std fd reads as end of input (as Rust's stdin does under wasmtime).
        eof_ = true;
        return StreamStatus::Closed();
      }
      return StreamStatus::Failed(std::string("read: ") + std::strerror(errno));
    }
    out.resize(old + static_cast<size_t>(n));
    if (n == 0) {
      eof_ = true;
      return StreamStatus::Closed();
    }
    return StreamStatus::Ok();
  }
  std::shared_ptr<Pollable> Subscribe() override {
    if (eof_) return ReadyPollable();
    return FdPollable(fd_, /*write=*/false);
  }

 private:
  int fd_;
  bool eof_;
};

class FdOut final : public OutputStream {
 public:
  explicit FdOut(int fd) : fd_(fd), closed_(fd < 0) {}
  StreamStatus CheckWrite(uint64_t& permitted) override {
    permitted = 0;
    if (closed_) return StreamStatus::Closed();
    permitted = kFdWriteBudget;
    return StreamStatus::Ok();
  }
  StreamStatus Write(std::span<const uint8_t> bytes) override {
    if (closed_) return StreamStatus::Closed();
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // A non-blocking fd (set so by someone else) that is full: wait for room.
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, -1);
        continue;
      }
      // A closed std fd swallows output (as Rust's stdout does under wasmtime).
      if (n < 0 && errno == EBADF) return StreamStatus::Ok();
      if (n < 0 && errno == EPIPE) {
        closed_ = true;
        return StreamStatus::Closed();
      }
      return StreamStatus::Failed(std::string("write: ") +
                                  (n < 0 ? std::strerror(errno) : "wrote nothing"));
    }
    return StreamStatus::Ok();
  }
  StreamStatus Flush() override {
    return closed_ ? StreamStatus::Closed() : StreamStatus::Ok();
  }
  std::shared_ptr<Pollable> Subscribe() override { return ReadyPollable(); }

 private:
  int fd_;
  bool closed_;
};

}  // namespace

std::shared_ptr<InputStream> FdInputStream(int fd) { return std::make_shared<FdIn>(fd); }
std::shared_ptr<OutputStream> FdOutputStream(int fd) { return std::make_shared<FdOut>(fd); }

}  // namespace weft::wasi::p2
