// Linux implementation of clock.h.
#include "platform/clock.h"

#include <time.h>

namespace weft::platform {

static uint64_t Read(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t MonotonicNanos() { return Read(CLOCK_MONOTONIC); }
uint64_t RealtimeNanos() { return Read(CLOCK_REALTIME); }

}  // namespace weft::platform
