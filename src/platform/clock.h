// Clocks used by the runtime (epoch ticker, tests, benchmarks).
#pragma once

#include <cstdint>

namespace weft::platform {

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC); only differences are meaningful.
uint64_t MonotonicNanos();

/// Wall-clock time in nanoseconds since the Unix epoch (CLOCK_REALTIME).
uint64_t RealtimeNanos();

}  // namespace weft::platform
