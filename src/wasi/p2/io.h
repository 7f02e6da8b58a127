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
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wasi/wasi.h"
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
/// Reps are never 0 (so a zero rep is always invalid) and are reused after Remove, the most
/// recently removed first. One vector holds the objects, their in-use flags and the free
/// list (threaded through the free entries): a store's tables cost one allocation each on
/// first use and none on Remove (per-request stores in `weft serve` fill and drop them all).
template <typename X>
class Table {
 public:
  Table() = default;
  // A moved-from table is empty (no dangling free list), as it was with separate vectors.
  Table(Table&& o) noexcept
      : slots_(std::move(o.slots_)),
        free_head_(std::exchange(o.free_head_, 0)),
        free_count_(std::exchange(o.free_count_, 0)) {
    o.slots_.clear();
  }
  Table& operator=(Table&& o) noexcept {
    slots_ = std::move(o.slots_);
    o.slots_.clear();
    free_head_ = std::exchange(o.free_head_, 0);
    free_count_ = std::exchange(o.free_count_, 0);
    return *this;
  }

  uint32_t Add(X x) {
    if (free_head_ != 0) {
      uint32_t rep = free_head_;
      Entry& e = slots_[rep - 1];
      free_head_ = e.next_free;
      --free_count_;
      e.value = std::move(x);
      e.used = true;
      return rep;
    }
    if (slots_.empty()) slots_.reserve(kFirstCapacity);
    slots_.push_back(Entry{std::move(x), 0, true});
    return static_cast<uint32_t>(slots_.size());
  }
  X* Get(uint32_t rep) {
    if (rep == 0 || rep > slots_.size() || !slots_[rep - 1].used) return nullptr;
    return &slots_[rep - 1].value;
  }
  bool Remove(uint32_t rep) {
    if (Get(rep) == nullptr) return false;
    Entry& e = slots_[rep - 1];
    e.value = X();  // the object goes now, not when the slot is reused
    e.used = false;
    e.next_free = free_head_;
    free_head_ = rep;
    ++free_count_;
    return true;
  }
  size_t live() const { return slots_.size() - free_count_; }

 private:
  // Most tables of a request hold a handful of objects: no regrowth for the first few.
  static constexpr size_t kFirstCapacity = 4;
  struct Entry {
    X value;
    uint32_t next_free;  ///< while free: the rep freed before this one (0: none)
    bool used;
  };
  std::vector<Entry> slots_;
  uint32_t free_head_ = 0;  ///< the most recently removed rep (0: none free)
  uint32_t free_count_ = 0;
};

/// Resource tags of wasi:io (component::HostResourceType<Tag>()).
struct PollableTag {};
struct InputStreamTag {};
struct OutputStreamTag {};
struct IoErrorTag {};

/// What a WASI 0.2 guest starts with (the 0.2 counterpart of wasi::WasiConfig). Every
/// interface reads it through WasiP2Ctx::config(): cli (args, env, cwd, stdio fds), random
/// (source), filesystem (preopens: AddFilesystemToLinker opens them).
struct WasiP2Config {
  std::vector<std::string> args;  ///< args[0] is the program name.
  std::vector<std::pair<std::string, std::string>> env;  ///< (name, value) in order.
  std::vector<::weft::wasi::Preopen> preopens;  ///< --dir mappings, in command-line order.
  std::optional<std::string> initial_cwd;  ///< wasi:cli/environment.initial-cwd
  /// Host descriptors behind get-stdin/get-stdout/get-stderr (not owned; -1 = closed stream).
  int stdin_fd = 0;
  int stdout_fd = 1;
  int stderr_fd = 2;
  /// Source of wasi:random bytes; default: the OS (getrandom).
  std::function<void(std::span<uint8_t>)> random;
};

/// Per-store state shared by every 0.2 interface. Interfaces add their own state beside it
/// (see cli.h, filesystem.h, sockets.h) and reach it through getters from the store data.
class WasiP2Ctx {
 public:
  /// A context with the default WasiP2Config.
  explicit WasiP2Ctx(boost::asio::io_context& io);
  WasiP2Ctx(boost::asio::io_context& io, WasiP2Config config)
      : io_(&io), config_(std::make_shared<const WasiP2Config>(std::move(config))) {}
  /// Shares `config` (not null) instead of copying it: a server making a context per
  /// request builds its configuration once.
  WasiP2Ctx(boost::asio::io_context& io, std::shared_ptr<const WasiP2Config> config)
      : io_(&io), config_(std::move(config)) {}
  boost::asio::io_context& io() const { return *io_; }
  /// Immutable once the context exists (it may be shared with other contexts).
  const WasiP2Config& config() const { return *config_; }

  Table<std::shared_ptr<Pollable>> pollables;
  Table<std::shared_ptr<InputStream>> input_streams;
  Table<std::shared_ptr<OutputStream>> output_streams;
  Table<std::string> errors;  ///< wasi:io/error.error objects: their debug strings

  /// Waits until `p` is ready: suspends the guest (async call) or runs the io_context here.
  /// Errors if the call was cancelled, or (sync path) if nothing pending on the io_context
  /// can ever make `p` ready; the host function should return it (trap).
  Error BlockOn(component::HostContext& cx, Pollable& p);
  /// The sync path alone (no guest to suspend): runs the io_context until `p` is ready.
  Error BlockOnSync(Pollable& p);
  /// Adds a wasi:io/error.error with this debug string; returns its rep.
  uint32_t NewError(std::string message) { return errors.Add(std::move(message)); }

  /// The std streams (created on first use; every get-stdout shares one object).
  std::shared_ptr<InputStream> StdinStream();
  std::shared_ptr<OutputStream> StdoutStream();
  std::shared_ptr<OutputStream> StderrStream();
  /// Replaces the std streams (before the guest first asks for them): `weft serve` gives
  /// each instance line-prefixing stdout/stderr.
  void SetStdout(std::shared_ptr<OutputStream> s) { stdout_ = std::move(s); }
  void SetStderr(std::shared_ptr<OutputStream> s) { stderr_ = std::move(s); }
  void SetStdin(std::shared_ptr<InputStream> s) { stdin_ = std::move(s); }
  /// The driver: true (once) if a waker fired since the last call, i.e. the suspended guest
  /// should be resumed.
  bool TakeWake() {
    bool w = wake_->woken;
    wake_->woken = false;
    return w;
  }
  /// Also called (on the io_context's thread) each time a waker fires, for drivers that run
  /// many guests on one loop and resume each when woken instead of polling TakeWake. The
  /// handler may run after the context is gone (a cancelled wait completing late): capture
  /// only what outlives it, or clear it with SetWakeHandler({}) first.
  void SetWakeHandler(std::function<void()> on_wake) { wake_->on_wake = std::move(on_wake); }

 private:
  struct WakeState {
    bool woken = false;
    std::function<void()> on_wake;
  };
  boost::asio::io_context* io_;
  std::shared_ptr<const WasiP2Config> config_;
  // Shared with pending wakers, which may outlive the context (cancelled Asio operations
  // still complete later).
  std::shared_ptr<WakeState> wake_ = std::make_shared<WakeState>();
  std::shared_ptr<InputStream> stdin_;
  std::shared_ptr<OutputStream> stdout_, stderr_;
};

/// wasi:io/streams.stream-error: `closed`, or last-operation-failed(error) with an own handle
/// to a wasi:io/error (a rep in WasiP2Ctx::errors).
struct StreamError {
  bool closed = false;
  component::Resource<IoErrorTag> error;
};

/// The stream-error for a non-ok status (adds the error object for kFailed).
StreamError ToStreamError(WasiP2Ctx& ctx, StreamStatus status);

/// Reaches the WasiP2Ctx of the store a host function runs in (type-erased getter).
using CtxGetter = std::function<WasiP2Ctx&(StoreBase& store)>;

/// Wraps a typed getter from the store data.
template <typename T>
CtxGetter MakeCtxGetter(WasiP2Ctx& (*get)(T&)) {
  return [get](StoreBase& store) -> WasiP2Ctx& { return get(static_cast<Store<T>&>(store).data()); };
}

/// Defines the wasi:io resource `name` ("error", "pollable", "input-stream" or
/// "output-stream") in `inst`, with the destructor that frees its table entry. Interfaces that
/// `use` one of these types (wasi:cli/stdout, wasi:clocks/monotonic-clock, filesystem,
/// sockets) call it so the type is known in their instance too.
Error DefineIoResource(component::LinkerInstanceBase inst, std::string_view name, CtxGetter get);

/// The non-template adders behind the templates below (io.cc, cli.cc, clocks.cc, random.cc).
Error AddIoToLinkerBase(component::LinkerBase& linker, CtxGetter get);
Error AddCliToLinkerBase(component::LinkerBase& linker, CtxGetter get);
Error AddClocksToLinkerBase(component::LinkerBase& linker, CtxGetter get);
Error AddRandomToLinkerBase(component::LinkerBase& linker, CtxGetter get);

/// Adds wasi:io/error, wasi:io/poll and wasi:io/streams (defined as @0.2.12, the newest 0.2
/// release we implement: imports of any 0.2.x link to them) to the linker; `get` reaches
/// the context.
template <typename T>
Error AddIoToLinker(component::Linker<T>& linker, WasiP2Ctx& (*get)(T&)) {
  return AddIoToLinkerBase(linker, MakeCtxGetter(get));
}

/// Adds wasi:io, wasi:cli, wasi:clocks and wasi:random. wasi:filesystem (filesystem.h) and
/// wasi:sockets (sockets.h) have their own state and adders; wasi_p2.h's WasiP2State and
/// AddAllToLinker bundle all of them.
template <typename T>
Error AddToLinker(component::Linker<T>& linker, WasiP2Ctx& (*get)(T&)) {
  CtxGetter g = MakeCtxGetter(get);
  WEFT_TRY(AddIoToLinkerBase(linker, g));
  WEFT_TRY(AddCliToLinkerBase(linker, g));
  WEFT_TRY(AddClocksToLinkerBase(linker, g));
  return AddRandomToLinkerBase(linker, g);
}

}  // namespace weft::wasi::p2

template <>
struct weft::component::ValTraits<weft::wasi::p2::StreamError> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      auto* n = NewStaticType(TypeKind::kVariant);
      n->fields.push_back(NamedType{
          "last-operation-failed",
          ValTraits<Resource<weft::wasi::p2::IoErrorTag>>::Type()});
      n->fields.push_back(NamedType{"closed", nullptr});
      return n;
    }();
    return t;
  }
  static Val ToVal(const weft::wasi::p2::StreamError& e) {
    if (e.closed) return Val::Aggregate(TypeKind::kVariant, {}, 1);
    return Val::Aggregate(TypeKind::kVariant,
                          {ValTraits<Resource<weft::wasi::p2::IoErrorTag>>::ToVal(e.error)}, 0);
  }
  static weft::wasi::p2::StreamError FromVal(const Val& v) {
    weft::wasi::p2::StreamError e;
    e.closed = v.bits == 1;
    if (!e.closed && !v.items.empty()) e.error.rep = v.items[0].resource.rep;
    return e;
  }
};
