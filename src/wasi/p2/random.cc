// wasi:random @0.2.12 host: random and insecure draw from WasiP2Config::random when set
// (tests, deterministic runs) or the OS (getrandom); insecure-seed is one fixed value per
// process, as the WIT intends ("called once", for hash-map DoS protection).
#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <vector>

#include "wasi/p2/io.h"

namespace weft::wasi::p2 {

namespace {

using component::HostContext;

struct AnyData {};
using Inst = component::LinkerInstance<AnyData>;

Inst InstanceOf(component::LinkerBase& linker, std::string_view name) {
  component::LinkerInstanceBase b = linker.InstanceBase(name);
  return Inst(b.linker(), b.node());
}

// A guest can ask for any u64 length; lists that large cannot be lowered into a 32-bit
// memory anyway, so refuse before allocating.
constexpr uint64_t kMaxRandomBytes = uint64_t{1} << 30;

void OsRandom(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      WEFT_ASSERT(false && "getrandom failed");
    }
    done += static_cast<size_t>(n);
  }
}

void Fill(WasiP2Ctx& ctx, std::span<uint8_t> out) {
  if (ctx.config().random) {
    ctx.config().random(out);
  } else {
    OsRandom(out);
  }
}

Expected<std::vector<uint8_t>> Bytes(WasiP2Ctx& ctx, uint64_t len) {
  if (len > kMaxRandomBytes) {
    return Error::Make(ErrorCode::kTrap,
                       "wasi:random: " + std::to_string(len) + " random bytes requested (max " +
                           std::to_string(kMaxRandomBytes) + ")");
  }
  std::vector<uint8_t> out(static_cast<size_t>(len));
  Fill(ctx, out);
  return out;
}

uint64_t U64(WasiP2Ctx& ctx) {
  uint8_t b[8];
  Fill(ctx, b);
  uint64_t v;
  std::memcpy(&v, b, sizeof v);
  return v;
}

}  // namespace

Error AddRandomToLinkerBase(component::LinkerBase& linker, CtxGetter get) {
  {
    Inst inst = InstanceOf(linker, "wasi:random/random@0.2.12");
    WEFT_TRY(inst.FuncWrap("get-random-bytes",
                           [get](HostContext& cx, uint64_t len) -> Expected<std::vector<uint8_t>> {
                             return Bytes(get(cx.store()), len);
                           }));
    WEFT_TRY(inst.FuncWrap("get-random-u64",
                           [get](HostContext& cx) -> uint64_t { return U64(get(cx.store())); }));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:random/insecure@0.2.12");
    WEFT_TRY(inst.FuncWrap("get-insecure-random-bytes",
                           [get](HostContext& cx, uint64_t len) -> Expected<std::vector<uint8_t>> {
                             return Bytes(get(cx.store()), len);
                           }));
    WEFT_TRY(inst.FuncWrap("get-insecure-random-u64",
                           [get](HostContext& cx) -> uint64_t { return U64(get(cx.store())); }));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:random/insecure-seed@0.2.12");
    WEFT_TRY(inst.FuncWrap("insecure-seed", []() -> std::tuple<uint64_t, uint64_t> {
      static const std::tuple<uint64_t, uint64_t> seed = [] {
        uint64_t s[2];
        OsRandom(std::span<uint8_t>(reinterpret_cast<uint8_t*>(s), sizeof s));
        return std::tuple<uint64_t, uint64_t>(s[0], s[1]);
      }();
      return seed;
    }));
  }
  return Error();
}

}  // namespace weft::wasi::p2
