// WASI 0.2 host core (see io.h): waiting (BlockOn), the ready pollable, the std streams and
// stream-error conversion. The linker glue is in io_linker.cc.
#include "wasi/p2/io.h"

#include "wasi/p2/stdio.h"

namespace weft::wasi::p2 {

namespace {

class AlwaysReady final : public Pollable {
 public:
  bool Ready() override { return true; }
  void Wait(boost::asio::io_context& io, std::function<void()> wake) override { wake(); }
};

Error Trap(std::string message) { return Error::Make(ErrorCode::kTrap, std::move(message)); }

}  // namespace

WasiP2Ctx::WasiP2Ctx(boost::asio::io_context& io)
    : io_(&io), config_(std::make_shared<const WasiP2Config>()) {}

std::shared_ptr<Pollable> ReadyPollable() {
  static const std::shared_ptr<Pollable> ready = std::make_shared<AlwaysReady>();
  return ready;
}

Error WasiP2Ctx::BlockOn(component::HostContext& cx, Pollable& p) {
  while (!p.Ready()) {
    std::shared_ptr<WakeState> wake = wake_;
    p.Wait(*io_, [wake] {
      wake->woken = true;
      if (auto on_wake = wake->on_wake) on_wake();  // a copy: the handler may replace itself
    });
    Error e = cx.Suspend();
    // kArgument: not inside an async call (Func::Call); wait here instead. The waker just
    // registered may set `woken` later: a spurious wake, which drivers tolerate.
    if (e.code() == ErrorCode::kArgument) return BlockOnSync(p);
    if (!e.ok()) return e;  // cancelled
  }
  return Error();
}

Error WasiP2Ctx::BlockOnSync(Pollable& p) {
  while (!p.Ready()) {
    auto fired = std::make_shared<bool>(false);
    p.Wait(*io_, [fired] { *fired = true; });
    while (!*fired) {
      if (io_->stopped()) io_->restart();
      // run_one returns 0 only when the io_context has no work left: nothing can wake us.
      if (io_->run_one() == 0) {
        return Trap("wasi:io: waiting on a pollable that nothing can make ready (deadlock)");
      }
    }
  }
  return Error();
}

std::shared_ptr<InputStream> WasiP2Ctx::StdinStream() {
  if (!stdin_) stdin_ = FdInputStream(config_->stdin_fd);
  return stdin_;
}
std::shared_ptr<OutputStream> WasiP2Ctx::StdoutStream() {
  if (!stdout_) stdout_ = FdOutputStream(config_->stdout_fd);
  return stdout_;
}
std::shared_ptr<OutputStream> WasiP2Ctx::StderrStream() {
  if (!stderr_) stderr_ = FdOutputStream(config_->stderr_fd);
  return stderr_;
}

StreamError ToStreamError(WasiP2Ctx& ctx, StreamStatus status) {
  StreamError e;
  if (status.kind == StreamStatus::kFailed) {
    e.error.rep = ctx.NewError(std::move(status.message));
  } else {
    e.closed = true;
  }
  return e;
}

}  // namespace weft::wasi::p2
