// Calls across the host/guest boundary: Func::Call (argument checks, slot conversion, trap to
// Error with backtrace), host functions (HostCallback <-> runtime::HostFunc) and Caller.
//
// Native stack safety: wasm-to-wasm calls never recurse natively (interp.h), so the only
// native recursion is host -> guest re-entry. Each Func::Call first checks that the current
// stack (thread or fiber) keeps kReentryStackBytes free, else it traps "call stack exhausted".
#include <algorithm>

#include "api/internal.h"
#include "interp/interp.h"
#include "platform/fiber.h"

namespace weft {
namespace api {

namespace {

// Headroom for one host -> guest re-entry: the interpreter's native frames plus a host
// function's own (WASI calls format paths and buffers on the stack).
constexpr size_t kReentryStackBytes = 96 * 1024;
constexpr uint32_t kInlineSlots = 16;
constexpr size_t kInlineVals = 8;

std::string FrameName(const runtime::Instance* inst, uint32_t func_index) {
  if (inst == nullptr || !inst->module) return "func[" + std::to_string(func_index) + "]";
  const wasm::Module& m = inst->module->module;
  std::string name = m.FuncName(func_index);
  if (!m.module_name.empty()) name = m.module_name + "!" + name;
  return name;
}

// Turns the interpreter's trap code into the call's Error (slow path).
Error TrapError(StoreBase& store, runtime::TrapCode code) {
  runtime::Store* s = store.raw();
  StoreBase::State* st = store.state();
  Error e;
  std::vector<std::string> inner;
  if ((code == runtime::TrapCode::kHost || code == runtime::TrapCode::kExit) &&
      !st->pending_error.ok()) {
    e = std::move(st->pending_error);
    st->pending_error = Error();
    if (e.code() != ErrorCode::kExit && e.code() != ErrorCode::kTrap) {
      e = Error::Make(ErrorCode::kTrap, e.message());
    }
    inner = e.backtrace();
  } else if (code == runtime::TrapCode::kExit) {
    e = Error::Exit(s->exit_code);
  } else if (code == runtime::TrapCode::kHost && !s->pending_trap.empty()) {
    e = Error::Make(ErrorCode::kTrap, s->pending_trap);
  } else {
    e = Error::Make(ErrorCode::kTrap, runtime::TrapMessage(code));
  }
  s->pending_trap.clear();
  if (e.code() == ErrorCode::kTrap) {
    for (const auto& [inst, index] : s->backtrace) inner.push_back(FrameName(inst, index));
    e.set_backtrace(std::move(inner));
  }
  s->backtrace.clear();
  return e;
}

}  // namespace

Error CheckArgs(StoreBase& store, runtime::FuncInst* f, std::span<const Val> args) {
  if (f == nullptr) return Error::Make(ErrorCode::kArgument, "cannot call a null function");
  if (f->store != store.raw()) {
    return Error::Make(ErrorCode::kArgument, "function belongs to a different store");
  }
  const wasm::FuncType& t = *f->type;
  if (args.size() != t.params.size()) {
    return Error::Make(ErrorCode::kArgument, "expected " + std::to_string(t.params.size()) +
                                                 " arguments, got " + std::to_string(args.size()));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    ValKind want = ToKind(t.params[i]);
    if (args[i].kind() != want) {
      return Error::Make(ErrorCode::kArgument, "argument " + std::to_string(i) + ": expected " +
                                                   std::string(ValKindName(want)) + ", got " +
                                                   std::string(ValKindName(args[i].kind())));
    }
    if (want == ValKind::kFuncRef && !args[i].is_null_ref() &&
        args[i].funcref().raw()->store != store.raw()) {
      return Error::Make(ErrorCode::kArgument,
                         "argument " + std::to_string(i) + ": function from a different store");
    }
  }
  return Error();
}

Error CallFunc(StoreBase& store, runtime::FuncInst* f, std::span<const Val> args,
               std::span<Val> results) {
  WEFT_TRY(CheckArgs(store, f, args));
  const wasm::FuncType& t = *f->type;
  if (results.size() < t.results.size()) {
    return Error::Make(ErrorCode::kArgument, "expected room for " +
                                                 std::to_string(t.results.size()) +
                                                 " results, got " + std::to_string(results.size()));
  }
  if (!platform::StackHasRoom(kReentryStackBytes)) {
    return Error::Make(ErrorCode::kTrap,
                       runtime::TrapMessage(runtime::TrapCode::kCallStackExhausted));
  }
  uint32_t nslots = std::max(runtime::SlotCount(t.params), runtime::SlotCount(t.results));
  uint64_t inline_slots[kInlineSlots];
  std::vector<uint64_t> heap_slots;
  uint64_t* slots = inline_slots;
  if (nslots > kInlineSlots) {
    heap_slots.resize(nslots);
    slots = heap_slots.data();
  }
  uint64_t* p = slots;
  for (const Val& v : args) {
    ValToSlots(v, p);
    p += v.kind() == ValKind::kV128 ? 2 : 1;
  }

  runtime::Store* s = store.raw();
  StoreBase::State* st = store.state();
  ++st->depth;
  runtime::TrapCode code = interp::Call(*s, f, slots);
  --st->depth;
  if (st->depth == 0 && st->restore_yield) {
    st->restore_yield = false;
    s->deadline_action = runtime::DeadlineAction::kYield;
    s->yield_epoch_delta = st->saved_yield_delta;
  }
  if (code != runtime::TrapCode::kNone) return TrapError(store, code);

  p = slots;
  for (size_t i = 0; i < t.results.size(); ++i) {
    ValKind k = ToKind(t.results[i]);
    results[i] = SlotsToVal(k, p);
    p += k == ValKind::kV128 ? 2 : 1;
  }
  return Error();
}

// ---------------------------------------------------------------------------------------------
// Host functions

namespace {

struct HostEnv {
  FuncType type;
  HostCallback callback;
};

runtime::HostStatus HostTrampoline(void* env, runtime::HostCallContext& ctx, uint64_t* slots) {
  auto* h = static_cast<HostEnv*>(env);
  const size_t np = h->type.params.size();
  const size_t nr = h->type.results.size();
  Val inline_vals[kInlineVals * 2];
  std::vector<Val> heap_vals;
  Val* vals = inline_vals;
  if (np + nr > kInlineVals * 2) {
    heap_vals.resize(np + nr);
    vals = heap_vals.data();
  }
  const uint64_t* p = slots;
  for (size_t i = 0; i < np; ++i) {
    ValKind k = h->type.params[i];
    vals[i] = SlotsToVal(k, p);
    p += k == ValKind::kV128 ? 2 : 1;
  }
  for (size_t i = 0; i < nr; ++i) vals[np + i] = Val::Zero(h->type.results[i]);
  CallerBase caller(&ctx);
  Error err = h->callback(caller, std::span<const Val>(vals, np), std::span<Val>(vals + np, nr));
  runtime::Store* s = ctx.store;
  if (err.ok()) {
    uint64_t* out = slots;
    for (size_t i = 0; i < nr; ++i) {
      const Val& v = vals[np + i];
      if (v.kind() != h->type.results[i]) {
        err = Error::Make(ErrorCode::kTrap,
                          "host function returned " + std::string(ValKindName(v.kind())) +
                              " for a " + std::string(ValKindName(h->type.results[i])) + " result");
        break;
      }
      ValToSlots(v, out);
      out += v.kind() == ValKind::kV128 ? 2 : 1;
    }
    if (err.ok()) return runtime::HostStatus::kOk;
  }
  s->pending_trap = err.message();
  if (err.code() == ErrorCode::kExit) s->exit_code = err.exit_status();
  StoreBase::FromRaw(s)->state()->pending_error = std::move(err);
  return runtime::HostStatus::kTrap;
}

void DestroyHostEnv(void* env) { delete static_cast<HostEnv*>(env); }

}  // namespace

std::shared_ptr<runtime::HostFunc> MakeHostFunc(const FuncType& type, HostCallback callback) {
  auto h = std::make_shared<runtime::HostFunc>();
  h->callback = &HostTrampoline;
  h->env = new HostEnv{type, std::move(callback)};
  h->destroy_env = &DestroyHostEnv;
  h->type = ToWasm(type);
  return h;
}

runtime::FuncInst* NewHostFuncInst(runtime::Store& store, uint32_t type_id,
                                   std::shared_ptr<runtime::HostFunc> host) {
  runtime::FuncInst& f = store.funcs.emplace_back();
  f.type = &host->type;
  f.type_id = type_id;
  f.store = &store;
  f.host = std::move(host);
  return &f;
}

runtime::FuncInst* NewInstanceHostFuncInst(runtime::Store& store, uint32_t type_id,
                                           const wasm::FuncType& wasm_type, const FuncType& type,
                                           HostCallback callback) {
  // One block for the HostFunc and its environment; HostFunc::type stays empty.
  struct Block {
    runtime::HostFunc func;
    HostEnv env;
  };
  auto b = std::make_shared<Block>();
  b->env.type = type;
  b->env.callback = std::move(callback);
  b->func.callback = &HostTrampoline;
  b->func.env = &b->env;
  runtime::FuncInst* f =
      NewHostFuncInst(store, type_id, std::shared_ptr<runtime::HostFunc>(b, &b->func));
  f->type = &wasm_type;
  return f;
}

}  // namespace api

// ---------------------------------------------------------------------------------------------

FuncType Func::type() const { return f_ ? api::ToApi(*f_->type) : FuncType(); }

Error Func::Call(StoreBase& store, std::span<const Val> args, std::span<Val> results) const {
  return api::CallFunc(store, f_, args, results);
}

Expected<std::vector<Val>> Func::Call(StoreBase& store, std::span<const Val> args) const {
  if (f_ == nullptr) return Error::Make(ErrorCode::kArgument, "cannot call a null function");
  std::vector<Val> results;
  results.reserve(f_->type->results.size());
  for (wasm::ValType t : f_->type->results) results.push_back(Val::Zero(api::ToKind(t)));
  WEFT_TRY(api::CallFunc(store, f_, args, results));
  return results;
}

Func NewHostFunc(StoreBase& store, const FuncType& type, HostCallback callback) {
  std::shared_ptr<runtime::HostFunc> host = api::MakeHostFunc(type, std::move(callback));
  uint32_t id = store.raw()->engine->InternType(host->type);
  return Func(api::NewHostFuncInst(*store.raw(), id, std::move(host)));
}

runtime::Store* HostCallStore(runtime::HostCallContext* ctx) { return ctx->store; }

StoreBase* CallerBase::store() const { return StoreBase::FromRaw(ctx_->store); }

std::optional<Extern> CallerBase::GetExport(std::string_view name) const {
  if (ctx_->caller == nullptr) return std::nullopt;
  return Instance(ctx_->caller).GetExport(name);
}

Memory CallerBase::memory() const {
  if (ctx_->caller == nullptr || ctx_->caller->memories.empty()) return Memory();
  return Memory(ctx_->caller->memories[0]);
}

}  // namespace weft
