// Reusable wasi:io pollables over the WasiP2Ctx's io_context: a host fd becoming readable or
// writable, a monotonic deadline (steady_timer), and "any of these". Each Wait() registers
// at most one Asio operation per pollable at a time; further Wait()s only queue their wakers,
// and every waiter is woken when that operation completes (or is cancelled because the
// pollable died: spurious wakes are allowed by the Pollable contract).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "wasi/p2/io.h"

namespace weft::wasi::p2 {

/// wasi:clocks/monotonic-clock's clock: nanoseconds of std::chrono::steady_clock
/// (CLOCK_MONOTONIC), the clock Asio's steady_timer uses, so instants and timers agree.
uint64_t MonotonicNow();

/// Ready once MonotonicNow() >= `instant_ns`.
std::shared_ptr<Pollable> DeadlinePollable(uint64_t instant_ns);

/// Ready when `fd` is readable (`write` false) or writable (`write` true), or has hung up
/// or failed: a read/write would then not block. Fds epoll cannot watch (regular files,
/// /dev/null) are always ready. `fd` is not owned (it is dup()ed for the watch).
std::shared_ptr<Pollable> FdPollable(int fd, bool write);

/// Ready when any of `members` is; Wait waits on every member that is not ready.
std::shared_ptr<Pollable> AnyPollable(std::vector<std::shared_ptr<Pollable>> members);

}  // namespace weft::wasi::p2
