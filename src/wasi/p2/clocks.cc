// wasi:clocks @0.2.12 host: monotonic-clock over std::chrono::steady_clock (CLOCK_MONOTONIC;
// its pollables are steady_timer deadlines on the context's io_context, see pollables.h) and
// wall-clock over CLOCK_REALTIME. Deadlines saturate instead of wrapping.
#include <time.h>

#include <cstdint>
#include <limits>

#include "wasi/p2/io.h"
#include "wasi/p2/pollables.h"

namespace weft::wasi::p2::clocks_detail {
/// wasi:clocks/wall-clock.datetime.
struct WallTime {
  uint64_t seconds = 0;
  uint32_t nanoseconds = 0;
};
}  // namespace weft::wasi::p2::clocks_detail

WEFT_COMPONENT_RECORD(weft::wasi::p2::clocks_detail::WallTime, seconds, nanoseconds);

namespace weft::wasi::p2 {

namespace {

using clocks_detail::WallTime;
using component::HostContext;
using component::Resource;

struct AnyData {};
using Inst = component::LinkerInstance<AnyData>;

Inst InstanceOf(component::LinkerBase& linker, std::string_view name) {
  component::LinkerInstanceBase b = linker.InstanceBase(name);
  return Inst(b.linker(), b.node());
}

uint64_t ResolutionNs(clockid_t id) {
  timespec ts{};
  if (clock_getres(id, &ts) != 0) return 1;
  uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
  return ns == 0 ? 1 : ns;
}

}  // namespace

Error AddClocksToLinkerBase(component::LinkerBase& linker, CtxGetter get) {
  {
    Inst inst = InstanceOf(linker, "wasi:clocks/monotonic-clock@0.2.12");
    WEFT_TRY(DefineIoResource(inst, "pollable", get));
    WEFT_TRY(inst.FuncWrap("now", []() -> uint64_t { return MonotonicNow(); }));
    WEFT_TRY(inst.FuncWrap("resolution", []() -> uint64_t { return ResolutionNs(CLOCK_MONOTONIC); }));
    WEFT_TRY(inst.FuncWrap("subscribe-instant",
                           [get](HostContext& cx, uint64_t when) -> Resource<PollableTag> {
                             return Resource<PollableTag>{
                                 get(cx.store()).pollables.Add(DeadlinePollable(when))};
                           }));
    WEFT_TRY(inst.FuncWrap("subscribe-duration",
                           [get](HostContext& cx, uint64_t duration) -> Resource<PollableTag> {
                             uint64_t now = MonotonicNow();
                             uint64_t when = duration > std::numeric_limits<uint64_t>::max() - now
                                                 ? std::numeric_limits<uint64_t>::max()
                                                 : now + duration;
                             return Resource<PollableTag>{
                                 get(cx.store()).pollables.Add(DeadlinePollable(when))};
                           }));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:clocks/wall-clock@0.2.12");
    WEFT_TRY(inst.FuncWrap("now", []() -> WallTime {
      timespec ts{};
      clock_gettime(CLOCK_REALTIME, &ts);
      // Before 1970 cannot be expressed (seconds is unsigned): report the epoch.
      if (ts.tv_sec < 0) return WallTime{};
      return WallTime{static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
    }));
    WEFT_TRY(inst.FuncWrap("resolution", []() -> WallTime {
      uint64_t ns = ResolutionNs(CLOCK_REALTIME);
      return WallTime{ns / 1000000000u, static_cast<uint32_t>(ns % 1000000000u)};
    }));
  }
  return Error();
}

}  // namespace weft::wasi::p2
