// Async guest calls: Func::CallAsync runs the call on a pooled fiber; Caller::Suspend and
// kYield epoch deadlines switch back to the resumer; AsyncCall::Resume switches in again.
//
// Each async call owns its interpreter state (runtime::Store::exec), swapped in while its
// fiber runs, so several suspended calls may share a store: their value stacks never mix.
// Cancellation (destroying an unfinished call) resumes it with `cancel_` set: Suspend()
// then fails (the host function should trap) and a yield turns into an "interrupt" trap, so
// the guest unwinds normally and its fiber finishes.
#include "api/internal.h"
#include "platform/fiber.h"

namespace weft {
namespace api {

class AsyncCallImpl final : public AsyncCall {
 public:
  AsyncCallImpl(StoreBase& store, Func f, std::vector<Val> args)
      : store_(&store), func_(f), args_(std::move(args)) {
    for (wasm::ValType t : f.raw()->type->results) results_.push_back(Val::Zero(ToKind(t)));
  }

  ~AsyncCallImpl() override {
    // Let the guest unwind: each resume fails its pending Suspend or yield. A call that keeps
    // suspending anyway is abandoned (its fiber frames are not unwound).
    cancel_ = true;
    for (int i = 0; i < 16 && state_ != State::kDone && fiber_; ++i) Run();
    runtime::Store* s = store_->raw();
    if (exec_ != nullptr && s->destroy_exec != nullptr) s->destroy_exec(exec_);
  }

  Error Start(size_t stack_bytes) {
    fiber_ = platform::Fiber::Create(stack_bytes, &Entry, this);
    if (!fiber_) return Error::Make(ErrorCode::kLimit, "cannot allocate a fiber stack");
    Run();
    return Error();
  }

  State state() const override { return state_; }
  Reason reason() const override { return reason_; }
  State Resume() override {
    if (state_ == State::kDone) return state_;
    return Run();
  }
  const Error& error() const override { return error_; }
  const std::vector<Val>& results() const override { return results_; }

  /// Called on the call's fiber: suspends it with `why`. Returns false if cancelled.
  bool SuspendSelf(Reason why) {
    if (cancel_) return false;
    reason_ = why;
    platform::Fiber::Suspend();
    return !cancel_;
  }
  bool on_own_fiber() const { return fiber_ && platform::Fiber::Current() == fiber_.get(); }

 private:
  static void Entry(void* arg) {
    auto* c = static_cast<AsyncCallImpl*>(arg);
    c->error_ = CallFunc(*c->store_, c->func_.raw(), c->args_, c->results_);
  }

  State Run() {
    runtime::Store* s = store_->raw();
    StoreBase::State* st = store_->state();
    AsyncCallImpl* prev_async = st->current_async;
    void* prev_exec = s->exec;
    uint32_t prev_depth = st->depth;
    st->current_async = this;
    s->exec = exec_;
    st->depth = depth_;
    reason_ = Reason::kNone;
    bool done = fiber_->Resume();
    depth_ = st->depth;
    exec_ = s->exec;
    s->exec = prev_exec;
    st->depth = prev_depth;
    st->current_async = prev_async;
    if (done) {
      state_ = State::kDone;
      reason_ = Reason::kNone;
      fiber_.reset();
    }
    return state_;
  }

  StoreBase* store_;
  Func func_;
  std::vector<Val> args_;
  std::vector<Val> results_;
  Error error_;
  State state_ = State::kSuspended;
  Reason reason_ = Reason::kNone;
  bool cancel_ = false;
  std::unique_ptr<platform::Fiber> fiber_;
  void* exec_ = nullptr;
  uint32_t depth_ = 0;
};

void YieldHook(runtime::Store& s) {
  StoreBase* sb = StoreBase::FromRaw(&s);
  StoreBase::State* st = sb->state();
  AsyncCallImpl* c = st->current_async;
  if (c != nullptr && c->on_own_fiber() && c->SuspendSelf(AsyncCall::Reason::kEpochYield)) {
    s.epoch_deadline = s.engine->epoch.load(std::memory_order_relaxed) + s.yield_epoch_delta;
    return;
  }
  // A synchronous call cannot yield (and a cancelled one must stop): trap at the next check.
  // The interpreter re-arms the deadline at epoch + yield_epoch_delta after this hook, so a
  // zero delta makes that next check fire at once. The outermost Func::Call restores both.
  if (!st->restore_yield) st->saved_yield_delta = s.yield_epoch_delta;
  s.deadline_action = runtime::DeadlineAction::kTrap;
  s.epoch_deadline = 0;
  s.yield_epoch_delta = 0;
  st->restore_yield = true;
}

}  // namespace api

Expected<std::unique_ptr<AsyncCall>> Func::CallAsync(StoreBase& store,
                                                     std::vector<Val> args) const {
  WEFT_TRY(api::CheckArgs(store, f_, args));
  auto call = std::make_unique<api::AsyncCallImpl>(store, *this, std::move(args));
  WEFT_TRY(call->Start(store.engine().config().fiber_stack_bytes));
  return std::unique_ptr<AsyncCall>(std::move(call));
}

Error CallerBase::Suspend() {
  StoreBase::State* st = store()->state();
  api::AsyncCallImpl* c = st->current_async;
  if (c == nullptr || !c->on_own_fiber()) {
    return Error::Make(ErrorCode::kArgument,
                       "Caller::Suspend needs an async call (Func::CallAsync)");
  }
  if (!c->SuspendSelf(AsyncCall::Reason::kHostSuspend)) {
    return Error::Make(ErrorCode::kTrap, "async call cancelled");
  }
  return Error();
}

}  // namespace weft
