// Fibers: functions running on their own native stack that can suspend back to whoever
// resumed them, built on Boost.Context's fcontext (a switch saves callee-saved registers and
// swaps the stack pointer: no syscall, no allocation). Stacks are mmap'd with a PROT_NONE
// guard page below them (an overflow faults instead of corrupting memory) and pooled per
// thread, so creating a fiber is normally a pool pop.
//
// Invariants: a fiber is resumed only from outside itself; Suspend() is called only on the
// running fiber; fibers nest (a fiber may resume another). Not thread-safe: a fiber is used by
// one thread at a time, and its stack returns to the pool of the thread that destroys it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace weft::platform {

class Fiber {
 public:
  using Entry = void (*)(void* arg);

  /// Creates a suspended fiber that will run `entry(arg)` on a stack of at least
  /// `stack_bytes` (rounded up to pages). Returns null if the stack cannot be allocated.
  static std::unique_ptr<Fiber> Create(size_t stack_bytes, Entry entry, void* arg);

  /// Returns the stack to the pool. If the fiber has not finished, its frames are abandoned
  /// without running destructors: callers must first let it finish (e.g. by cancelling).
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  /// Runs the fiber until its entry returns or it calls Suspend(). Returns true once the
  /// entry has returned. Requires !done() and that the fiber is not running.
  bool Resume();
  bool done() const { return done_; }

  /// Suspends the running fiber, returning control to its resumer. Requires Current().
  static void Suspend();
  /// The fiber running on this thread (innermost), or null on a thread's own stack.
  static Fiber* Current();

 private:
  Fiber() = default;
  friend struct FiberAccess;

  void* ctx_ = nullptr;     // fcontext_t of the suspended fiber.
  void* caller_ = nullptr;  // fcontext_t of the resumer while running.
  Entry entry_ = nullptr;
  void* arg_ = nullptr;
  bool done_ = false;
  bool running_ = false;
  Fiber* prev_current_ = nullptr;
  uintptr_t prev_stack_limit_ = 0;
  // The stack: [mapping, mapping + guard) is the guard, [bottom, bottom + size) usable.
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  uint8_t* bottom_ = nullptr;
  size_t size_ = 0;
  // AddressSanitizer bookkeeping for stack switches (unused otherwise).
  const void* resumer_bottom_ = nullptr;
  size_t resumer_size_ = 0;
};

/// The lowest address the current native stack (thread stack or fiber stack) can use.
uintptr_t StackLimit();

/// True if the current native stack has at least `bytes` left below the caller's frame.
/// Used to refuse host -> guest re-entry before it could overflow the native stack.
inline bool StackHasRoom(size_t bytes) {
  uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  uintptr_t limit = StackLimit();
  return sp > limit && sp - limit >= bytes;
}

}  // namespace weft::platform
