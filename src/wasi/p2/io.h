// WASI 0.2 host core: the context every 0.2 interface hangs off (WasiP2Ctx), its table of
// host objects, and the `wasi:io` model (pollables, input/output streams, errors) that cli,
// filesystem and sockets all produce. Built on the public API only (include/weft/).
//
// Waiting: a guest that blocks (wasi:io/poll.poll, blocking-read, blocking-write-and-flush,
// …) goes through BlockOn(), which, inside an async call, registers a waker on the context's
// Boost.Asio io_context and suspends the guest fiber; the driver (weft run, weft serve)
// runs the io_context and resumes the call when TakeWake() says so. Outside an async call
// BlockOn runs the io_context on the calling thread until the pollable is ready.
// Not thread-safe: one WasiP2Ctx per store, used on the store's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "weft/component.h"

namespace weft::wasi::p2 {

/// Something a guest can wait on (wasi:io/poll.pollable).
class Pollable {
 public:
  virtual ~Pollable() = default;
  /// Non-blocking readiness check.
  virtual bool Ready() = 0;
  /// Called only when !Ready(): arrange for `wake` to be called once, on the io_context's
  /// thread, when Ready() may have become true (spurious wakes are allowed).
  virtual void Wait(boost::asio::io_context& io, std::function<void()> wake) = 0;
};

/// A pollable that is always ready.
std::shared_ptr<Pollable> ReadyPollable();

/// Outcome of a stream operation (wasi:io/streams.stream-error): ok, closed, or failed with
/// an error object (wasi:io/error.error, whose to-debug-string is `message`).
struct StreamStatus {
  enum Kind : uint8_t { kOk, kClosed, kFailed } kind = kOk;
  std::string message;
  static StreamStatus Ok() { return {}; }
  static StreamStatus Closed() { return {kClosed, {}}; }
  static StreamStatus Failed(std::string m) { return {kFailed, std::move(m)}; }
};

class InputStream {
 public:
  virtual ~InputStream() = default;
  /// Non-blocking read of up to `max` bytes appended to `out` (0 bytes is fine when nothing
  /// is available yet).
  virtual StreamStatus Read(uint64_t max, std::vector<uint8_t>& out) = 0;
  /// Ready when a Read would return data, closed or failed.
  virtual std::shared_ptr<Pollable> Subscribe() = 0;
};

class OutputStream {
 public:
  virtual ~OutputStream() = default;
  /// How many bytes may be written now without blocking (0 = wait for Subscribe()).
  virtual StreamStatus CheckWrite(uint64_t& permitted) = 0;
  /// Writes all of `bytes` (the guest respected CheckWrite; a stream may buffer).
  virtual StreamStatus Write(std::span<const uint8_t> bytes) = 0;
  virtual StreamStatus Flush() = 0;
  /// Ready when CheckWrite would permit > 0 bytes, or the stream closed/failed.
  virtual std::shared_ptr<Pollable> Subscribe() = 0;
};

/// A slab of host objects addressed by rep (the u32 inside Resource<R>/Borrow<R>).
/// Reps are never 0 (so a zero rep is always invalid) and are reused after Remove.
template <typename X>
class Table {
 public:
  uint32_t Add(X x) {
    if (!free_.empty()) {
      uint32_t rep = free_.back();
      free_.pop_back();
      slots_[rep - 1] = std::move(x);
      used_[rep - 1] = true;
      return rep;
    }
    slots_.push_back(std::move(x));
    used_.push_back(true);
    return static_cast<uint32_t>(slots_.size());
  }
  X* Get(uint32_t rep) {
    if (rep == 0 || rep > slots_.size() || !used_[rep - 1]) return nullptr;
    return &slots_[rep - 1];
  }
  bool Remove(uint32_t rep) {
    if (Get(rep) == nullptr) return false;
    slots_[rep - 1] = X();
    used_[rep - 1] = false;
    free_.push_back(rep);
    return true;
  }
  size_t live() const { return slots_.size() - free_.size(); }

 private:
  std::vector<X> slots_;
  std::vector<bool> used_;
  std::vector<uint32_t> free_;
};

/// Resource tags of wasi:io (component::HostResourceType<Tag>()).
struct PollableTag {};
struct InputStreamTag {};
struct OutputStreamTag {};
struct IoErrorTag {};

/// Per-store state shared by every 0.2 interface. Interfaces add their own state beside it
/// (see cli.h, filesystem.h, sockets.h) and reach it through getters from the store data.
class WasiP2Ctx {
 public:
  explicit WasiP2Ctx(boost::asio::io_context& io) : io_(&io) {}
  boost::asio::io_context& io() const { return *io_; }

  Table<std::shared_ptr<Pollable>> pollables;
  Table<std::shared_ptr<InputStream>> input_streams;
  Table<std::shared_ptr<OutputStream>> output_streams;
  Table<std::string> errors;  ///< wasi:io/error.error objects: their debug strings

  /// Waits until `p` is ready: suspends the guest (async call) or runs the io_context here.
  /// Errors if the call was cancelled; the host function should return it (trap).
  Error BlockOn(component::HostContext& cx, Pollable& p);
  /// The driver: true (once) if a waker fired since the last call, i.e. the suspended guest
  /// should be resumed.
  bool TakeWake() {
    bool w = woken_;
    woken_ = false;
    return w;
  }

 private:
  boost::asio::io_context* io_;
  bool woken_ = false;
};

/// Adds wasi:io/error, wasi:io/poll and wasi:io/streams (defined as @0.2.12, the newest 0.2
/// release we implement: imports of any 0.2.x link to them) to the linker; `get` reaches
/// the context.
template <typename T>
Error AddIoToLinker(component::Linker<T>& linker, WasiP2Ctx& (*get)(T&));

}  // namespace weft::wasi::p2
