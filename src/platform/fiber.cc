// Fibers on Boost.Context fcontext with pooled, guard-paged stacks (see fiber.h).
#include "platform/fiber.h"

#include <pthread.h>

#include <boost/context/detail/fcontext.hpp>
#include <vector>

#include "platform/memory.h"
#include "weft/assert.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN_FIBERS 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN_FIBERS 1
#endif

#ifdef WEFT_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

namespace weft::platform {

namespace ctx = boost::context::detail;

namespace {

thread_local Fiber* t_current = nullptr;
thread_local uintptr_t t_stack_limit = 0;

// A pooled stack mapping. Stacks of one size are reused; the pool is capped so a burst of
// fibers does not pin memory forever (16 x 1 MiB by default).
struct PooledStack {
  void* mapping;
  size_t mapping_size;
};
constexpr size_t kMaxPooledStacks = 16;

struct StackPool {
  std::vector<PooledStack> free;
  ~StackPool() {
    for (auto& s : free) Release(s.mapping, s.mapping_size);
  }
};
thread_local StackPool t_pool;

inline void StartSwitch(void** fake_save, const void* bottom, size_t size) {
#ifdef WEFT_ASAN_FIBERS
  __sanitizer_start_switch_fiber(fake_save, bottom, size);
#else
  (void)fake_save, (void)bottom, (void)size;
#endif
}
inline void FinishSwitch(void* fake_save, const void** old_bottom, size_t* old_size) {
#ifdef WEFT_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(fake_save, old_bottom, old_size);
#else
  (void)fake_save, (void)old_bottom, (void)old_size;
#endif
}

uintptr_t ThreadStackLimit() {
  pthread_attr_t attr;
  void* addr = nullptr;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
  }
  // The main thread's reported size follows RLIMIT_STACK; keep one guard page of slack.
  return reinterpret_cast<uintptr_t>(addr) + PageSize();
}

}  // namespace

struct FiberAccess {
  static void Entry(ctx::transfer_t t) {
    Fiber* f = static_cast<Fiber*>(t.data);
    f->caller_ = t.fctx;
    FinishSwitch(nullptr, &f->resumer_bottom_, &f->resumer_size_);
    f->entry_(f->arg_);
    f->done_ = true;
    // Null fake-stack pointer: this stack's frames are finished for good.
    StartSwitch(nullptr, f->resumer_bottom_, f->resumer_size_);
    ctx::jump_fcontext(static_cast<ctx::fcontext_t>(f->caller_), nullptr);
    WEFT_UNREACHABLE();
  }
};

std::unique_ptr<Fiber> Fiber::Create(size_t stack_bytes, Entry entry, void* arg) {
  size_t page = PageSize();
  size_t size = (stack_bytes + page - 1) & ~(page - 1);
  if (size < 16 * page) size = 16 * page;
  size_t mapping_size = size + page;  // One guard page below the stack.
  void* mapping = nullptr;
  auto& pool = t_pool.free;
  for (size_t i = 0; i < pool.size(); ++i) {
    if (pool[i].mapping_size == mapping_size) {
      mapping = pool[i].mapping;
      pool[i] = pool.back();
      pool.pop_back();
      break;
    }
  }
  if (mapping == nullptr) {
    mapping = Reserve(mapping_size);
    if (mapping == nullptr) return nullptr;
    if (!Commit(static_cast<uint8_t*>(mapping) + page, size)) {
      Release(mapping, mapping_size);
      return nullptr;
    }
  }
  std::unique_ptr<Fiber> f(new Fiber());
  f->entry_ = entry;
  f->arg_ = arg;
  f->mapping_ = mapping;
  f->mapping_size_ = mapping_size;
  f->bottom_ = static_cast<uint8_t*>(mapping) + page;
  f->size_ = size;
  f->ctx_ = ctx::make_fcontext(f->bottom_ + size, size, &FiberAccess::Entry);
  return f;
}

Fiber::~Fiber() {
  WEFT_ASSERT(!running_);
  if (mapping_ == nullptr) return;
  auto& pool = t_pool.free;
  if (pool.size() < kMaxPooledStacks) {
    pool.push_back({mapping_, mapping_size_});
  } else {
    Release(mapping_, mapping_size_);
  }
}

bool Fiber::Resume() {
  WEFT_ASSERT(!done_ && !running_);
  running_ = true;
  prev_current_ = t_current;
  prev_stack_limit_ = StackLimit();
  t_current = this;
  t_stack_limit = reinterpret_cast<uintptr_t>(bottom_);
  void* fake = nullptr;
  StartSwitch(&fake, bottom_, size_);
  ctx::transfer_t t = ctx::jump_fcontext(static_cast<ctx::fcontext_t>(ctx_), this);
  FinishSwitch(fake, nullptr, nullptr);
  ctx_ = t.fctx;
  t_current = prev_current_;
  t_stack_limit = prev_stack_limit_;
  running_ = false;
  return done_;
}

void Fiber::Suspend() {
  Fiber* f = t_current;
  WEFT_ASSERT(f != nullptr && f->running_);
  void* fake = nullptr;
  StartSwitch(&fake, f->resumer_bottom_, f->resumer_size_);
  ctx::transfer_t t = ctx::jump_fcontext(static_cast<ctx::fcontext_t>(f->caller_), nullptr);
  FinishSwitch(fake, &f->resumer_bottom_, &f->resumer_size_);
  f->caller_ = t.fctx;
}

Fiber* Fiber::Current() { return t_current; }

uintptr_t StackLimit() {
  if (t_stack_limit == 0) t_stack_limit = ThreadStackLimit();
  return t_stack_limit;
}

}  // namespace weft::platform
