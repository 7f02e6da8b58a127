// The linker glue of wasi:io/error, wasi:io/poll and wasi:io/streams @0.2.12 (io.h). Every
// function takes HostContext& and reaches the WasiP2Ctx through the type-erased getter, so one
// non-template body serves every store type. Reps handed to the guest index the context's
// tables; a rep the table does not know can only come from a runtime bug and traps.
#include <algorithm>

#include "wasi/p2/io.h"
#include "wasi/p2/pollables.h"

namespace weft::wasi::p2 {

using component::Borrow;
using component::HostContext;
using component::Resource;
template <typename T, typename E>
using Result = component::Result<T, E>;

namespace {

Error Trap(std::string message) { return Error::Make(ErrorCode::kTrap, std::move(message)); }

Error BadHandle(const char* what, uint32_t rep) {
  return Trap(std::string("invalid ") + what + " handle (rep " + std::to_string(rep) + ")");
}

}  // namespace

Error DefineIoResource(component::LinkerInstanceBase inst, std::string_view name, CtxGetter get) {
  using component::HostResourceType;
  if (name == "error") {
    return inst.DefineResource(name, HostResourceType<IoErrorTag>(),
                               [get](HostContext*, StoreBase& s, uint32_t rep) {
                                 get(s).errors.Remove(rep);
                               });
  }
  if (name == "pollable") {
    return inst.DefineResource(name, HostResourceType<PollableTag>(),
                               [get](HostContext*, StoreBase& s, uint32_t rep) {
                                 get(s).pollables.Remove(rep);
                               });
  }
  if (name == "input-stream") {
    return inst.DefineResource(name, HostResourceType<InputStreamTag>(),
                               [get](HostContext*, StoreBase& s, uint32_t rep) {
                                 get(s).input_streams.Remove(rep);
                               });
  }
  if (name == "output-stream") {
    return inst.DefineResource(name, HostResourceType<OutputStreamTag>(),
                               [get](HostContext*, StoreBase& s, uint32_t rep) {
                                 get(s).output_streams.Remove(rep);
                               });
  }
  return Error::Make(ErrorCode::kArgument, "not a wasi:io resource: " + std::string(name));
}

namespace {

// Store data type for LinkerInstance<>::FuncWrap: unused, every function takes HostContext&.
struct AnyData {};
using Inst = component::LinkerInstance<AnyData>;

Inst InstanceOf(component::LinkerBase& linker, std::string_view name) {
  component::LinkerInstanceBase b = linker.InstanceBase(name);
  return Inst(b.linker(), b.node());
}

using Bytes = std::vector<uint8_t>;
using ReadResult = Result<Bytes, StreamError>;
using CountResult = Result<uint64_t, StreamError>;
using UnitResult = Result<void, StreamError>;

// Non-blocking read of up to `len` bytes: ok(bytes, maybe empty) or the stream's error.
ReadResult ReadSome(WasiP2Ctx& ctx, InputStream& in, uint64_t len) {
  Bytes out;
  StreamStatus st = in.Read(len, out);
  // Bytes read before the stream closed are delivered; the close shows on the next read.
  if (st.kind != StreamStatus::kOk && out.empty()) {
    return ReadResult::Err(ToStreamError(ctx, std::move(st)));
  }
  return ReadResult::Ok(std::move(out));
}

Expected<ReadResult> BlockingRead(HostContext& cx, WasiP2Ctx& ctx, InputStream& in,
                                  uint64_t len) {
  for (;;) {
    ReadResult r = ReadSome(ctx, in, len);
    if (!r.ok() || !r.value().empty() || len == 0) return r;
    std::shared_ptr<Pollable> p = in.Subscribe();
    WEFT_TRY(ctx.BlockOn(cx, *p));
  }
}

// Writes `bytes` through check-write permits, waiting for readiness between chunks, then
// flushes and waits for the flush (blocking-write-and-flush's pseudo-code in the WIT).
Expected<UnitResult> BlockingWriteAndFlush(HostContext& cx, WasiP2Ctx& ctx, OutputStream& out,
                                           std::span<const uint8_t> bytes) {
  std::shared_ptr<Pollable> p = out.Subscribe();
  while (!bytes.empty()) {
    WEFT_TRY(ctx.BlockOn(cx, *p));
    uint64_t permitted = 0;
    StreamStatus st = out.CheckWrite(permitted);
    if (st.kind != StreamStatus::kOk) return UnitResult::Err(ToStreamError(ctx, std::move(st)));
    if (permitted == 0) {
      p = out.Subscribe();  // readiness changed under us: wait again
      continue;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(permitted, bytes.size()));
    st = out.Write(bytes.first(n));
    if (st.kind != StreamStatus::kOk) return UnitResult::Err(ToStreamError(ctx, std::move(st)));
    bytes = bytes.subspan(n);
  }
  StreamStatus st = out.Flush();
  if (st.kind != StreamStatus::kOk) return UnitResult::Err(ToStreamError(ctx, std::move(st)));
  p = out.Subscribe();
  WEFT_TRY(ctx.BlockOn(cx, *p));
  uint64_t permitted = 0;
  st = out.CheckWrite(permitted);
  if (st.kind != StreamStatus::kOk) return UnitResult::Err(ToStreamError(ctx, std::move(st)));
  return UnitResult::Ok();
}

// Non-blocking write honouring the check-write contract (exceeding the permit traps, as the
// WIT says and wasmtime does).
Expected<UnitResult> CheckedWrite(WasiP2Ctx& ctx, OutputStream& out,
                                  std::span<const uint8_t> bytes) {
  uint64_t permitted = 0;
  StreamStatus st = out.CheckWrite(permitted);
  if (st.kind != StreamStatus::kOk) return UnitResult::Err(ToStreamError(ctx, std::move(st)));
  if (bytes.size() > permitted) {
    return Trap("output-stream.write of " + std::to_string(bytes.size()) +
                " bytes exceeds the check-write permit of " + std::to_string(permitted));
  }
  st = out.Write(bytes);
  if (st.kind != StreamStatus::kOk) return UnitResult::Err(ToStreamError(ctx, std::move(st)));
  return UnitResult::Ok();
}

// splice: moves up to `len` bytes that are available now (or, blocking, at least one).
Expected<CountResult> Splice(HostContext& cx, WasiP2Ctx& ctx, OutputStream& out,
                             InputStream& in, uint64_t len, bool blocking) {
  uint64_t permitted = 0;
  if (blocking) {
    std::shared_ptr<Pollable> p = out.Subscribe();
    WEFT_TRY(ctx.BlockOn(cx, *p));
  }
  StreamStatus st = out.CheckWrite(permitted);
  if (st.kind != StreamStatus::kOk) return CountResult::Err(ToStreamError(ctx, std::move(st)));
  uint64_t want = std::min(len, permitted);
  ReadResult r = ReadResult::Ok();
  if (blocking) {
    WEFT_TRY_ASSIGN(r, BlockingRead(cx, ctx, in, want));
  } else {
    r = ReadSome(ctx, in, want);
  }
  if (!r.ok()) return CountResult::Err(std::move(r.error()));
  const Bytes& bytes = r.value();
  if (!bytes.empty()) {
    st = out.Write(bytes);
    if (st.kind != StreamStatus::kOk) return CountResult::Err(ToStreamError(ctx, std::move(st)));
  }
  return CountResult::Ok(bytes.size());
}

Error AddError(component::LinkerBase& linker, const CtxGetter& get) {
  Inst inst = InstanceOf(linker, "wasi:io/error@0.2.12");
  WEFT_TRY(DefineIoResource(inst, "error", get));
  return inst.FuncWrap("[method]error.to-debug-string",
                       [get](HostContext& cx, Borrow<IoErrorTag> self) -> Expected<std::string> {
                         std::string* m = get(cx.store()).errors.Get(self.rep);
                         if (m == nullptr) return BadHandle("error", self.rep);
                         return *m;
                       });
}

Error AddPoll(component::LinkerBase& linker, const CtxGetter& get) {
  Inst inst = InstanceOf(linker, "wasi:io/poll@0.2.12");
  WEFT_TRY(DefineIoResource(inst, "pollable", get));
  WEFT_TRY(inst.FuncWrap("[method]pollable.ready",
                         [get](HostContext& cx, Borrow<PollableTag> self) -> Expected<bool> {
                           auto* p = get(cx.store()).pollables.Get(self.rep);
                           if (p == nullptr) return BadHandle("pollable", self.rep);
                           return (*p)->Ready();
                         }));
  WEFT_TRY(inst.FuncWrap("[method]pollable.block",
                         [get](HostContext& cx, Borrow<PollableTag> self) -> Error {
                           WasiP2Ctx& ctx = get(cx.store());
                           auto* p = ctx.pollables.Get(self.rep);
                           if (p == nullptr) return BadHandle("pollable", self.rep);
                           std::shared_ptr<Pollable> keep = *p;  // the table may grow
                           return ctx.BlockOn(cx, *keep);
                         }));
  return inst.FuncWrap(
      "poll",
      [get](HostContext& cx,
            std::vector<Borrow<PollableTag>> in) -> Expected<std::vector<uint32_t>> {
        if (in.empty()) return Trap("wasi:io/poll.poll: empty list of pollables");
        if (in.size() > UINT32_MAX) return Trap("wasi:io/poll.poll: too many pollables");
        WasiP2Ctx& ctx = get(cx.store());
        std::vector<std::shared_ptr<Pollable>> ps;
        ps.reserve(in.size());
        for (const auto& b : in) {
          auto* p = ctx.pollables.Get(b.rep);
          if (p == nullptr) return BadHandle("pollable", b.rep);
          ps.push_back(*p);
        }
        for (;;) {
          std::vector<uint32_t> ready;
          for (size_t i = 0; i < ps.size(); ++i) {
            if (ps[i]->Ready()) ready.push_back(static_cast<uint32_t>(i));
          }
          if (!ready.empty()) return ready;
          std::shared_ptr<Pollable> any = ps.size() == 1 ? ps[0] : AnyPollable(ps);
          WEFT_TRY(ctx.BlockOn(cx, *any));
        }
      });
}

Error AddStreams(component::LinkerBase& linker, const CtxGetter& get) {
  Inst inst = InstanceOf(linker, "wasi:io/streams@0.2.12");
  WEFT_TRY(DefineIoResource(inst, "error", get));
  WEFT_TRY(DefineIoResource(inst, "pollable", get));
  WEFT_TRY(DefineIoResource(inst, "input-stream", get));
  WEFT_TRY(DefineIoResource(inst, "output-stream", get));

  // Each body gets the context and a strong reference to its stream (a host call may add
  // table entries, which moves the slots).
  struct In {
    WasiP2Ctx* ctx;
    std::shared_ptr<InputStream> s;
  };
  auto in_of = [get](HostContext& cx, uint32_t rep) -> Expected<In> {
    WasiP2Ctx& ctx = get(cx.store());
    auto* s = ctx.input_streams.Get(rep);
    if (s == nullptr) return BadHandle("input-stream", rep);
    return In{&ctx, *s};
  };
  struct Out {
    WasiP2Ctx* ctx;
    std::shared_ptr<OutputStream> s;
  };
  auto out_of = [get](HostContext& cx, uint32_t rep) -> Expected<Out> {
    WasiP2Ctx& ctx = get(cx.store());
    auto* s = ctx.output_streams.Get(rep);
    if (s == nullptr) return BadHandle("output-stream", rep);
    return Out{&ctx, *s};
  };

  // input-stream
  WEFT_TRY(inst.FuncWrap("[method]input-stream.read",
                         [in_of](HostContext& cx, Borrow<InputStreamTag> self,
                                 uint64_t len) -> Expected<ReadResult> {
                           WEFT_TRY_ASSIGN(In in, in_of(cx, self.rep));
                           return ReadSome(*in.ctx, *in.s, len);
                         }));
  WEFT_TRY(inst.FuncWrap("[method]input-stream.blocking-read",
                         [in_of](HostContext& cx, Borrow<InputStreamTag> self,
                                 uint64_t len) -> Expected<ReadResult> {
                           WEFT_TRY_ASSIGN(In in, in_of(cx, self.rep));
                           return BlockingRead(cx, *in.ctx, *in.s, len);
                         }));
  WEFT_TRY(inst.FuncWrap("[method]input-stream.skip",
                         [in_of](HostContext& cx, Borrow<InputStreamTag> self,
                                 uint64_t len) -> Expected<CountResult> {
                           WEFT_TRY_ASSIGN(In in, in_of(cx, self.rep));
                           ReadResult r = ReadSome(*in.ctx, *in.s, len);
                           if (!r.ok()) return CountResult::Err(std::move(r.error()));
                           return CountResult::Ok(r.value().size());
                         }));
  WEFT_TRY(inst.FuncWrap("[method]input-stream.blocking-skip",
                         [in_of](HostContext& cx, Borrow<InputStreamTag> self,
                                 uint64_t len) -> Expected<CountResult> {
                           WEFT_TRY_ASSIGN(In in, in_of(cx, self.rep));
                           WEFT_TRY_ASSIGN(ReadResult r, BlockingRead(cx, *in.ctx, *in.s, len));
                           if (!r.ok()) return CountResult::Err(std::move(r.error()));
                           return CountResult::Ok(r.value().size());
                         }));
  WEFT_TRY(inst.FuncWrap("[method]input-stream.subscribe",
                         [in_of](HostContext& cx,
                                 Borrow<InputStreamTag> self) -> Expected<Resource<PollableTag>> {
                           WEFT_TRY_ASSIGN(In in, in_of(cx, self.rep));
                           return Resource<PollableTag>{in.ctx->pollables.Add(in.s->Subscribe())};
                         }));

  // output-stream
  WEFT_TRY(inst.FuncWrap("[method]output-stream.check-write",
                         [out_of](HostContext& cx,
                                  Borrow<OutputStreamTag> self) -> Expected<CountResult> {
                           WEFT_TRY_ASSIGN(Out out, out_of(cx, self.rep));
                           uint64_t permitted = 0;
                           StreamStatus st = out.s->CheckWrite(permitted);
                           if (st.kind != StreamStatus::kOk) {
                             return CountResult::Err(ToStreamError(*out.ctx, std::move(st)));
                           }
                           return CountResult::Ok(permitted);
                         }));
  WEFT_TRY(inst.FuncWrap("[method]output-stream.write",
                         [out_of](HostContext& cx, Borrow<OutputStreamTag> self,
                                  Bytes contents) -> Expected<UnitResult> {
                           WEFT_TRY_ASSIGN(Out out, out_of(cx, self.rep));
                           return CheckedWrite(*out.ctx, *out.s, contents);
                         }));
  WEFT_TRY(inst.FuncWrap("[method]output-stream.blocking-write-and-flush",
                         [out_of](HostContext& cx, Borrow<OutputStreamTag> self,
                                  Bytes contents) -> Expected<UnitResult> {
                           WEFT_TRY_ASSIGN(Out out, out_of(cx, self.rep));
                           return BlockingWriteAndFlush(cx, *out.ctx, *out.s, contents);
                         }));
  WEFT_TRY(inst.FuncWrap("[method]output-stream.flush",
                         [out_of](HostContext& cx,
                                  Borrow<OutputStreamTag> self) -> Expected<UnitResult> {
                           WEFT_TRY_ASSIGN(Out out, out_of(cx, self.rep));
                           StreamStatus st = out.s->Flush();
                           if (st.kind != StreamStatus::kOk) {
                             return UnitResult::Err(ToStreamError(*out.ctx, std::move(st)));
                           }
                           return UnitResult::Ok();
                         }));
  WEFT_TRY(inst.FuncWrap("[method]output-stream.blocking-flush",
                         [out_of](HostContext& cx,
                                  Borrow<OutputStreamTag> self) -> Expected<UnitResult> {
                           WEFT_TRY_ASSIGN(Out out, out_of(cx, self.rep));
                           return BlockingWriteAndFlush(cx, *out.ctx, *out.s, {});
                         }));
  WEFT_TRY(inst.FuncWrap("[method]output-stream.subscribe",
                         [out_of](HostContext& cx, Borrow<OutputStreamTag> self)
                             -> Expected<Resource<PollableTag>> {
                           WEFT_TRY_ASSIGN(Out out, out_of(cx, self.rep));
                           return Resource<PollableTag>{
                               out.ctx->pollables.Add(out.s->Subscribe())};
                         }));
  WEFT_TRY(inst.FuncWrap("[method]output-stream.write-zeroes",
                         [out_of](HostContext& cx, Borrow<OutputStreamTag> self,
                                  uint64_t len) -> Expected<UnitResult> {
                           WEFT_TRY_ASSIGN(Out out, out_of(cx, self.rep));
                           uint64_t permitted = 0;
                           StreamStatus st = out.s->CheckWrite(permitted);
                           if (st.kind == StreamStatus::kOk && len > permitted) {
                             return Trap("output-stream.write-zeroes of " +
                                         std::to_string(len) +
                                         " bytes exceeds the check-write permit of " +
                                         std::to_string(permitted));
                           }
                           Bytes zeroes(st.kind == StreamStatus::kOk ? len : 0);
                           return CheckedWrite(*out.ctx, *out.s, zeroes);
                         }));
  WEFT_TRY(inst.FuncWrap("[method]output-stream.blocking-write-zeroes-and-flush",
                         [out_of](HostContext& cx, Borrow<OutputStreamTag> self,
                                  uint64_t len) -> Expected<UnitResult> {
                           WEFT_TRY_ASSIGN(Out out, out_of(cx, self.rep));
                           // In 64 KiB pieces: `len` is guest-chosen.
                           const Bytes zeroes(std::min<uint64_t>(len, 64 * 1024));
                           do {
                             uint64_t n = std::min<uint64_t>(len, zeroes.size());
                             WEFT_TRY_ASSIGN(UnitResult r,
                                             BlockingWriteAndFlush(
                                                 cx, *out.ctx, *out.s,
                                                 std::span<const uint8_t>(zeroes).first(n)));
                             if (!r.ok()) return r;
                             len -= n;
                           } while (len > 0);
                           return UnitResult::Ok();
                         }));
  WEFT_TRY(inst.FuncWrap("[method]output-stream.splice",
                         [out_of, in_of](HostContext& cx, Borrow<OutputStreamTag> self,
                                         Borrow<InputStreamTag> src,
                                         uint64_t len) -> Expected<CountResult> {
                           WEFT_TRY_ASSIGN(Out out, out_of(cx, self.rep));
                           WEFT_TRY_ASSIGN(In in, in_of(cx, src.rep));
                           return Splice(cx, *out.ctx, *out.s, *in.s, len, false);
                         }));
  return inst.FuncWrap("[method]output-stream.blocking-splice",
                       [out_of, in_of](HostContext& cx, Borrow<OutputStreamTag> self,
                                       Borrow<InputStreamTag> src,
                                       uint64_t len) -> Expected<CountResult> {
                         WEFT_TRY_ASSIGN(Out out, out_of(cx, self.rep));
                         WEFT_TRY_ASSIGN(In in, in_of(cx, src.rep));
                         return Splice(cx, *out.ctx, *out.s, *in.s, len, true);
                       });
}

}  // namespace

Error AddIoToLinkerBase(component::LinkerBase& linker, CtxGetter get) {
  WEFT_TRY(AddError(linker, get));
  WEFT_TRY(AddPoll(linker, get));
  return AddStreams(linker, get);
}

}  // namespace weft::wasi::p2
