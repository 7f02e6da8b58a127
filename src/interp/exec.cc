// The interpreter loop (docs/interpreter.md): direct-threaded code executed by one function
// whose handlers are labels (computed goto, supported by clang and g++); each handler decodes
// its own operands and jumps to the next handler. wasm-to-wasm calls push a Frame on the
// store's frame stack and switch `fp`/`ip` in place: no native recursion.
// Invariants: `fp` points at slot 0 of the running function's frame; `ftop[-1]` describes the
// running function; `mem`/`mem_size` mirror memory 0 of `inst` and are reloaded after every
// call, return and memory.grow (host code may grow memory).
#include <algorithm>
#include <cstring>
#include <memory>
#if defined(WEFT_INTERP_PROFILE)
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>
#endif

#include "interp/code.h"
#include "interp/interp.h"
#include "interp/ops.h"

namespace weft::interp {
namespace {

using runtime::FuncInst;
using runtime::Instance;
using runtime::TrapCode;
using simd::V128;
using u32 = uint32_t;
using u64 = uint64_t;

struct Frame {
  const uint32_t* ret_ip;  ///< Caller's next instruction; null for an entry frame.
  uint64_t* ret_fp;        ///< Caller's frame.
  Instance* ret_inst;      ///< Caller's instance and memory 0 (saves reloads on return).
  runtime::MemoryInst* ret_memi;
  FuncInst* func;          ///< The function this frame runs.
};

/// Per-store execution state (Store::exec).
struct ExecState {
  std::unique_ptr<uint64_t[]> stack;
  uint64_t* stack_end = nullptr;
  uint64_t* sp = nullptr;  ///< First free slot (where a new entry frame starts).
  std::unique_ptr<Frame[]> frames;
  Frame* frames_end = nullptr;
  Frame* ftop = nullptr;  ///< First free frame.
  uint32_t depth = 0;     ///< Native nesting of Call (host re-entry).
  size_t slots = 0;       ///< Sizes, to match a cached state to an engine's config.
  size_t nframes = 0;
};

// Host -> wasm re-entries per store before "call stack exhausted" (each costs native stack).
constexpr uint32_t kMaxReentry = 200;

// A few released states per thread, reused by the next stores: a store that lives for one
// request (weft serve's default) would otherwise allocate and free the value stack (8 MiB
// of address space by default) and the frame array every time, which glibc serves from the
// heap top with a consolidation each time (measured: ~1.2 us of ~30 per request).
class ExecCache {
 public:
  ~ExecCache() {
    for (ExecState* ex : free_) delete ex;
  }
  ExecState* Take(size_t slots, size_t nframes) {
    for (size_t i = 0; i < free_.size(); ++i) {
      ExecState* ex = free_[i];
      if (ex->slots == slots && ex->nframes == nframes) {
        free_[i] = free_.back();
        free_.pop_back();
        return ex;
      }
    }
    return nullptr;
  }
  void Give(ExecState* ex) {
    if (free_.size() >= kMax) {
      delete ex;
      return;
    }
    ex->sp = ex->stack.get();
    ex->ftop = ex->frames.get();
    ex->depth = 0;
    free_.push_back(ex);
  }

 private:
  static constexpr size_t kMax = 4;
  std::vector<ExecState*> free_;
};
thread_local ExecCache exec_cache;

void DestroyExec(void* p) { exec_cache.Give(static_cast<ExecState*>(p)); }

ExecState* GetExec(runtime::Store& store) {
  if (store.exec) return static_cast<ExecState*>(store.exec);
  const runtime::EngineConfig& cfg = store.engine->config;
  size_t slots = std::max<uint64_t>(cfg.value_stack_bytes / 8, 1024);
  size_t nframes = std::max<uint32_t>(cfg.max_call_depth, 1) + 1;
  ExecState* ex = exec_cache.Take(slots, nframes);
  if (ex == nullptr) {
    ex = new ExecState;
    ex->slots = slots;
    ex->nframes = nframes;
    ex->stack.reset(new uint64_t[slots]);
    ex->stack_end = ex->stack.get() + slots;
    ex->sp = ex->stack.get();
    ex->frames.reset(new Frame[nframes]);
    ex->frames_end = ex->frames.get() + nframes;
    ex->ftop = ex->frames.get();
  }
  store.exec = ex;
  store.destroy_exec = &DestroyExec;
  return ex;
}

// Typed slot access (runtime/objects.h slot convention).
template <typename T>
inline T Rd(const uint64_t* p);
template <>
inline u32 Rd<u32>(const uint64_t* p) {
  return static_cast<u32>(*p);
}
template <>
inline u64 Rd<u64>(const uint64_t* p) {
  return *p;
}
template <>
inline float Rd<float>(const uint64_t* p) {
  return std::bit_cast<float>(static_cast<u32>(*p));
}
template <>
inline double Rd<double>(const uint64_t* p) {
  return std::bit_cast<double>(*p);
}
template <>
inline V128 Rd<V128>(const uint64_t* p) {
  return V128{p[0], p[1]};
}
inline void Wr(uint64_t* p, u32 v) { *p = v; }
inline void Wr(uint64_t* p, u64 v) { *p = v; }
inline void Wr(uint64_t* p, float v) { *p = std::bit_cast<u32>(v); }
inline void Wr(uint64_t* p, double v) { *p = std::bit_cast<u64>(v); }
inline void Wr(uint64_t* p, V128 v) {
  p[0] = v.lo;
  p[1] = v.hi;
}

// The accumulator registers: integers in a general register, floats in vector registers, so
// neither kind pays a register-file crossing.
template <typename T>
inline T GetAcc(uint64_t i, float f, double d);
template <>
inline u32 GetAcc<u32>(uint64_t i, float, double) {
  return static_cast<u32>(i);
}
template <>
inline u64 GetAcc<u64>(uint64_t i, float, double) {
  return i;
}
template <>
inline float GetAcc<float>(uint64_t, float f, double) {
  return f;
}
template <>
inline double GetAcc<double>(uint64_t, float, double d) {
  return d;
}
inline void PutAcc(uint64_t& i, float&, double&, u32 v) { i = v; }
inline void PutAcc(uint64_t& i, float&, double&, u64 v) { i = v; }
inline void PutAcc(uint64_t&, float& f, double&, float v) { f = v; }
inline void PutAcc(uint64_t&, float&, double& d, double v) { d = v; }

runtime::CompiledFunc* GetCompiledSlow(FuncInst* f) {
  const runtime::CompiledModule& cm = *f->instance->module;
  std::atomic<runtime::CompiledFunc*>& slot =
      cm.code[f->func_index - cm.module.num_imported_funcs];
  runtime::CompiledFunc* cf = slot.load(std::memory_order_acquire);
  if (WEFT_LIKELY(cf != nullptr)) return cf;
  if (!Compile(cm, f->func_index).ok()) return nullptr;
  return slot.load(std::memory_order_acquire);
}

inline runtime::CompiledFunc* GetCompiled(FuncInst* f) {
  if (WEFT_LIKELY(f->compiled != nullptr)) return f->compiled;
  f->compiled = GetCompiledSlow(f);
  return f->compiled;
}

const void* const* g_handlers = nullptr;
const void* const (*g_variants)[kNumVariants] = nullptr;
std::span<const FusedPair> g_fused;

// Label addresses are only meaningful in the one copy of this function that runs: GCC must
// not clone it (e.g. constant-propagate the table-publishing call) or inline it.
#if defined(__clang__)
#define WEFT_NO_CLONE __attribute__((noinline))
#else
#define WEFT_NO_CLONE __attribute__((noipa))
#endif

// Hides a value from the optimiser (keeps small copy loops from becoming library calls).
#define WEFT_OPAQUE(v) __asm__("" : "+r"(v))

#if defined(WEFT_INTERP_PROFILE)
// Profiling build (-DWEFT_INTERP_PROFILE): counts executed handlers and handler pairs and
// prints the top ones to stderr at exit. For choosing super-instructions, never shipped.
struct Profile {
  std::unordered_map<const void*, std::string> names;
  std::unordered_map<const void*, uint64_t> hits;
  std::map<std::pair<const void*, const void*>, uint64_t> pairs;
  const void* prev = nullptr;
  ~Profile() {
    auto name = [&](const void* h) {
      auto it = names.find(h);
      return it == names.end() ? std::string("?") : it->second;
    };
    uint64_t total = 0;
    std::vector<std::pair<uint64_t, const void*>> v;
    for (auto& [h, n] : hits) { v.push_back({n, h}); total += n; }
    std::sort(v.rbegin(), v.rend());
    std::fprintf(stderr, "dispatches %llu\n", static_cast<unsigned long long>(total));
    for (size_t i = 0; i < v.size() && i < 40; ++i)
      std::fprintf(stderr, "  %6.2f%% %s\n", 100.0 * v[i].first / total, name(v[i].second).c_str());
    std::vector<std::pair<uint64_t, std::pair<const void*, const void*>>> w;
    for (auto& [k, n] : pairs) w.push_back({n, k});
    std::sort(w.rbegin(), w.rend());
    for (size_t i = 0; i < w.size() && i < 40; ++i)
      std::fprintf(stderr, "  %6.2f%% %s -> %s\n", 100.0 * w[i].first / total,
                   name(w[i].second.first).c_str(), name(w[i].second.second).c_str());
  }
};
Profile g_profile;
void ProfileInit(const void* const* table, const void* const (*variants)[kNumVariants]) {
  static const char* const kExtra[] = {
#define WEFT_IOP_NAME(n) #n,
      WEFT_IOPS(WEFT_IOP_NAME)
#undef WEFT_IOP_NAME
  };
  for (size_t i = 0; i < static_cast<size_t>(IOp::kCount); ++i) {
    const char* t = i < static_cast<size_t>(IOp::kOpCount)
                        ? wasm::GetOpInfo(static_cast<wasm::Op>(i)).text
                        : kExtra[i - static_cast<size_t>(IOp::kOpCount) - 1];
    std::string n = t ? t : "?";
    g_profile.names.emplace(table[i], n);
    if (i < static_cast<size_t>(IOp::kOpCount))
      for (int k = 1; k < kNumVariants; ++k)
        if (variants[i][k]) g_profile.names.emplace(variants[i][k], n + "/" + std::to_string(k));
  }
}
#define WEFT_PROFILE_HIT(h)                                  \
  do {                                                       \
    ++g_profile.hits[h];                                     \
    ++g_profile.pairs[{g_profile.prev, h}];                  \
    g_profile.prev = h;                                      \
  } while (0)
#define WEFT_PROFILE_INIT(t, v) ProfileInit(t, v)
#else
#define WEFT_PROFILE_HIT(h) (void)0
#define WEFT_PROFILE_INIT(t, v) (void)0
#endif

// Pair fusions: (name, X handler, X body, X length in words, Y handler); the fused handlers
// are at the end of exec_handlers.inc. Y may itself be a fused handler (listed before): the
// lowering then fuses a chain of three (lower.cc FusePairs).
#define WEFT_FUSE_PAIRS(X)                                                  \
  X(FA_Add, L_I32Add, XB_ADD, 5, L_I32Add)                                  \
  X(FA_Sub, L_I32Add, XB_ADD, 5, L_I32Sub)                                  \
  X(FA_JNe, L_I32Add, XB_ADD, 5, LX_JumpIfI32Ne)                            \
  X(FA_JLtU, L_I32Add, XB_ADD, 5, LX_JumpIfI32LtU)                          \
  X(FA_JLtS, L_I32Add, XB_ADD, 5, LX_JumpIfI32LtS)                          \
  X(FA_JIf, L_I32Add, XB_ADD, 5, LX_JumpIf)                                 \
  X(FA_I64Add, L_I32Add, XB_ADD, 5, L_I64Add)                               \
  X(FA_AndV3, L_I32Add, XB_ADD, 5, L_I32And_V3)                             \
  X(FA_Ret, L_I32Add, XB_ADD, 5, LX_Ret)                                    \
  X(FA_Ld8uA4, L_I32Add, XB_ADD, 5, L_I32Load8U_A4)                         \
  X(FA_Ld8uV3, L_I32Add, XB_ADD, 5, L_I32Load8U_V3)                         \
  X(FA_LdF64V3, L_I32Add, XB_ADD, 5, L_F64Load_V3)                          \
  X(FA_LdF64A4, L_I32Add, XB_ADD, 5, L_F64Load_A4)                          \
  X(FS_JGtU, L_I32Sub, XB_SUB, 5, LX_JumpIfI32GtU)                          \
  X(FS_Call, L_I32Sub, XB_SUB, 5, LX_CallOp)                                \
  X(FS_JIf, L_I32Sub, XB_SUB, 5, LX_JumpIf)                                 \
  X(FS_ShlV3, L_I32Sub, XB_SUB, 5, L_I32Shl_V3)                             \
  X(FA1_Add, L_I32Add_V1, XB_ADD_V1, 5, L_I32Add)                           \
  X(FA1_Ld, L_I32Add_V1, XB_ADD_V1, 5, L_I32Load)                           \
  X(FLd3_AddV5, L_F64Load_V3, XB_F64LOAD_V3, 5, L_F64Add_V5)                \
  X(FLd3_MulV2, L_F64Load_V3, XB_F64LOAD_V3, 5, L_F64Mul_V2)                \
  X(FSt2_Add, L_F64Store_V2, XB_F64STORE_V2, 5, L_I32Add)                   \
  X(FMul2_LdV3, L_F64Mul_V2, XB_F64MUL_V2, 5, L_F64Load_V3)                 \
  X(FAdd5_St2, L_F64Add_V5, XB_F64ADD_V5, 5, L_F64Store_V2)                 \
  X(FShl_Add, L_I32Shl, XB_SHL, 5, L_I32Add)                                \
  X(FShl3_Add5, L_I32Shl_V3, XB_SHL_V3, 5, L_I32Add_V5)                     \
  X(FShl3_Add2, L_I32Shl_V3, XB_SHL_V3, 5, L_I32Add_V2)                     \
  X(FSt32_Add, L_I32Store_V2, XB_I32STORE_V2, 5, L_I32Add)                  \
  X(FLd8u3_JT, L_I32Load8U_V3, XB_LD8U_V3, 5, LX_JumpTableAcc)              \
  X(FA_MulV3, L_I32Add, XB_ADD, 5, L_F64Mul_V3)                             \
  X(FMul3_Mul1, L_F64Mul_V3, XB_F64MUL_V3, 5, L_F64Mul_V1)                  \
  X(FMul1_Ld3, L_F64Mul_V1, XB_F64MUL_V1, 5, L_F64Load_V3)                  \
  X(FSub5_St2, L_F64Sub_V5, XB_F64SUB_V5, 5, L_F64Store_V2)                 \
  X(FAnd3_Sel, L_I32And_V3, XB_AND_V3, 5, LX_Select1Acc)                    \
  X(FXor3_Add1, L_I32Xor_V3, XB_XOR_V3, 5, L_I32Add_V1)                     \
  X(FSel_Xor3, LX_Select1Acc, XB_SELECT1ACC, 6, L_I32Xor_V3)                \
  X(FSt8_Add, L_I32Store8, XB_STORE8, 5, L_I32Add)                          \
  X(FSt8V2_Add, L_I32Store8_V2, XB_STORE8_V2, 5, L_I32Add)                  \
  X(FI64Add_LtU3, L_I64Add, XB_I64ADD, 5, L_I64LtU_V3)                      \
  X(FLtU3_JIfR, L_I64LtU_V3, XB_I64LTU_V3, 5, LX_JumpIfR)                   \
  X(FA_J, L_I32Add, XB_ADD, 5, LX_Jump)                                     \
  X(FSt2_J, L_I32Store_V2, XB_I32STORE_V2, 5, LX_Jump)                      \
  X(FSt2_AJ, L_I32Store_V2, XB_I32STORE_V2, 5, FA_J)


// Dispatch: with clang, every handler is its own function and ends in a guaranteed tail call
// ([[clang::musttail]]) of the next one, with the hot state (ip, fp, mem, mem_size, the
// accumulators and a pointer to the cold state) in argument registers; each handler gets its
// own register allocation. Elsewhere (g++, or -DWEFT_INTERP_GOTO) the same handler source
// (exec_handlers.inc) is expanded as labels of one function with computed goto.
#if defined(__clang__) && defined(__has_cpp_attribute) && !defined(WEFT_INTERP_GOTO)
#if __has_cpp_attribute(clang::musttail)
#define WEFT_INTERP_MUSTTAIL 1
#endif
#endif

// State that only calls, returns, traps and instance accesses need. It lives in memory (Run's
// stack frame): the registers are left to the hot state.
struct ColdState {
  runtime::Store* store;
  ExecState* ex;
  Frame* entry;
  Frame* ftop;
  Instance* inst;
  runtime::MemoryInst* memi;
  FuncInst* callee;
  uint32_t arg;
  Frame* frames_end;  ///< ex->frames_end and ex->stack_end, one load closer for calls.
  uint64_t* stack_end;
};

// The one exit for traps: records the backtrace (the running function, then its callers down
// to this Run's entry frame) and returns the trap.
[[gnu::noinline, gnu::cold]] TrapCode TrapExit(ColdState* cs, TrapCode code) {
  cs->store->backtrace.clear();
  for (Frame* f = cs->ftop; f-- > cs->entry;) {
    cs->store->backtrace.emplace_back(f->func->instance, f->func->func_index);
  }
  return code;
}

// Copies a small frame's initial image (code.h CompiledFunc::init, a multiple of 4 slots) in
// unrolled groups of four. The values are hidden from the optimiser so this stays a few moves,
// not a memcpy call (which would also give every call handler a stack frame).
inline void CopyInitImage(uint64_t* d, const uint64_t* img, size_t n) {
  for (size_t i = 0; i < n; i += 4) {
    uint64_t v0 = img[i], v1 = img[i + 1], v2 = img[i + 2], v3 = img[i + 3];
    WEFT_OPAQUE(v0);
    WEFT_OPAQUE(v1);
    WEFT_OPAQUE(v2);
    WEFT_OPAQUE(v3);
    d[i] = v0;
    d[i + 1] = v1;
    d[i + 2] = v2;
    d[i + 3] = v3;
  }
}

// select: both operands are loaded first and the choice is a conditional move. Left alone,
// clang turns `c ? *p : *q` into `*(c ? p : q)`, which puts two dependent loads (operand word,
// then slot) after the condition instead of none (loops: -35%).
inline uint64_t SelectValue(bool c, uint64_t a, uint64_t b) {
  WEFT_OPAQUE(a);
  WEFT_OPAQUE(b);
  return c ? a : b;
}

#define WEFT_T_I u32
#define WEFT_T_L u64
#define WEFT_T_F float
#define WEFT_T_D double
#define WEFT_T_V V128
#define TRAP(code) return TrapExit(cs, (code))
#define WEFT_H_INVALID(N) \
  HANDLER(L_##N) { JUMP(LX_Invalid); }
#define NEXT(n)  \
  do {           \
    ip += (n);   \
    DISPATCH();  \
  } while (0)
#define ACC_GET(T) GetAcc<T>(acc, acc_f, acc_d)
#define ACC_PUT(v) PutAcc(acc, acc_f, acc_d, v)

// After an instance switch: find its memory 0. After anything that may grow it: refresh.
#define SWITCH_MEM()                                                \
  do {                                                              \
    cs->memi = cs->inst->memories.empty() ? nullptr : cs->inst->memories[0];    \
    RELOAD_MEM();                                                   \
  } while (0)
#define RELOAD_MEM()          \
  do {                        \
    if (cs->memi) {               \
      mem = cs->memi->base;       \
      mem_size = cs->memi->size;  \
    }                         \
  } while (0)
#define S(k) (fp + ip[2 + (k)])
#define CHECK_TRAP(N, ...)                                                  \
  do {                                                                      \
    TrapCode tc_ = ops::Check<wasm::Op::k##N>(__VA_ARGS__);                 \
    if (WEFT_UNLIKELY(tc_ != TrapCode::kNone)) TRAP(tc_);                   \
  } while (0)
#define MEM_ADDR(addr_slot, off_word, size) \
  MEM_ADDR_OF(Rd<u32>(fp + ip[2 + (addr_slot)]), off_word, size)
#define MEM_ADDR_OF(addr, off_word, size)                                  \
  u64 ea_ = static_cast<u64>(addr) + ip[2 + (off_word)];                    \
  if (WEFT_UNLIKELY(ea_ + (size) > mem_size)) TRAP(TrapCode::kOutOfBoundsMemory);  \
  uint8_t* p_ = mem + ea_;

#if WEFT_INTERP_MUSTTAIL
// The handler signature: six integer and two floating-point arguments, all in registers on
// x86-64 and AArch64, so a tail call is a plain jump.
#define WEFT_HPARAMS                                                                        \
  [[maybe_unused]] const uint32_t *ip, [[maybe_unused]] uint64_t *fp,                       \
      [[maybe_unused]] uint8_t *mem, [[maybe_unused]] uint64_t mem_size,                    \
      [[maybe_unused]] uint64_t acc, [[maybe_unused]] ColdState *cs,                        \
      [[maybe_unused]] float acc_f, [[maybe_unused]] double acc_d
#define WEFT_HARGS ip, fp, mem, mem_size, acc, cs, acc_f, acc_d
using HandlerFn = TrapCode (*)(const uint32_t*, uint64_t*, uint8_t*, uint64_t, uint64_t,
                               ColdState*, float, double);
#define HANDLER(name) static TrapCode name(WEFT_HPARAMS)
#define JUMP(name) [[clang::musttail]] return name(WEFT_HARGS)
#define DISPATCH()                                         \
  do {                                                     \
    HandlerFn h_;                                          \
    std::memcpy(&h_, ip, sizeof h_);                       \
    WEFT_PROFILE_HIT(reinterpret_cast<const void*>(h_));   \
    [[clang::musttail]] return h_(WEFT_HARGS);             \
  } while (0)
#define DISPATCH_TO(h)                                     \
  do {                                                     \
    HandlerFn hf_;                                         \
    std::memcpy(&hf_, &(h), sizeof hf_);                   \
    WEFT_PROFILE_HIT(reinterpret_cast<const void*>(hf_));  \
    [[clang::musttail]] return hf_(WEFT_HARGS);            \
  } while (0)
#define HADDR(name) reinterpret_cast<const void*>(&Handlers::name)

// All handlers as static members: a class body lets each refer to any other (fused handlers
// jump forward) without a list of declarations.
struct Handlers {
#include "interp/exec_handlers.inc"
};
#else
#define HANDLER(name) name:
#define JUMP(name) goto name
#define DISPATCH()                   \
  do {                               \
    const void* h_;                  \
    std::memcpy(&h_, ip, sizeof h_); \
    WEFT_PROFILE_HIT(h_);            \
    goto* h_;                        \
  } while (0)
#define DISPATCH_TO(h)    \
  do {                    \
    WEFT_PROFILE_HIT(h);  \
    goto*(h);             \
  } while (0)
#define HADDR(name) &&name
#endif

// Runs until the entry frame (already pushed at ex->ftop[-1]) returns. Called with a null
// store once, to publish the handler table.
WEFT_NO_CLONE TrapCode Run(runtime::Store* store, ExecState* ex, Frame* entry, uint64_t* fp) {
  // `entry` is null on the call that only publishes the handler table. The empty asm makes
  // the cold state's address escape, so the optimiser keeps it in memory.
  ColdState cold{store, ex, entry, entry == nullptr ? nullptr : entry + 1,
                 nullptr, nullptr, nullptr, 0,
                 ex == nullptr ? nullptr : ex->frames_end, ex == nullptr ? nullptr : ex->stack_end};
  ColdState* const cs = &cold;
  __asm__ volatile("" : : "r"(cs) : "memory");
#define WEFT_T_I u32
#define WEFT_T_L u64
#define WEFT_T_F float
#define WEFT_T_D double
#define WEFT_T_V V128

  static const void* const kTable[] = {
#define WEFT_OP(prefix, code, name, text, imm, sig) HADDR(L_##name),
#include "wasm/opcodes.def"
      HADDR(LX_Invalid),
#define WEFT_IOP_LABEL(n) HADDR(LX_##n),
      WEFT_IOPS(WEFT_IOP_LABEL)
#undef WEFT_IOP_LABEL
  };
  static_assert(sizeof(kTable) / sizeof(kTable[0]) == static_cast<size_t>(IOp::kCount));

  // Accumulator variants per wasm op: [0] plain, [1] a from acc, [2] b from acc, [3] result
  // to acc, [4] a from acc and result to acc, [5] b from acc and result to acc.
#define WEFT_ROW0(N) {HADDR(L_##N), nullptr, nullptr, nullptr, nullptr, nullptr}
#define WEFT_ROW1(N) {HADDR(L_##N), HADDR(L_##N##_V1), nullptr, HADDR(L_##N##_V3), HADDR(L_##N##_V4), nullptr}
#define WEFT_ROW2(N) \
  {HADDR(L_##N), HADDR(L_##N##_V1), HADDR(L_##N##_V2), HADDR(L_##N##_V3), HADDR(L_##N##_V4), HADDR(L_##N##_V5)}
#define WEFT_ROWST(N) \
  {HADDR(L_##N), HADDR(L_##N##_V1), HADDR(L_##N##_V2), nullptr, nullptr, nullptr, HADDR(L_##N##_A1), nullptr}
#define WEFT_ROWLD(N) \
  {HADDR(L_##N), HADDR(L_##N##_V1), nullptr, HADDR(L_##N##_V3), HADDR(L_##N##_V4), nullptr, HADDR(L_##N##_A1), HADDR(L_##N##_A4)}
#define WEFT_SK_I_I 1
#define WEFT_VR_1(N) WEFT_ROW1(N)
#define WEFT_VR_2(N) WEFT_ROW2(N)
#define WEFT_VR_0(N) WEFT_ROW0(N)
#define WEFT_VRS_I_I(N) WEFT_ROW1(N)
#define WEFT_VRS_I_L(N) WEFT_ROW1(N)
#define WEFT_VRS_I_F(N) WEFT_ROW1(N)
#define WEFT_VRS_I_D(N) WEFT_ROW1(N)
#define WEFT_VRS_L_I(N) WEFT_ROW1(N)
#define WEFT_VRS_L_L(N) WEFT_ROW1(N)
#define WEFT_VRS_L_F(N) WEFT_ROW1(N)
#define WEFT_VRS_L_D(N) WEFT_ROW1(N)
#define WEFT_VRS_F_I(N) WEFT_ROW1(N)
#define WEFT_VRS_F_L(N) WEFT_ROW1(N)
#define WEFT_VRS_F_F(N) WEFT_ROW1(N)
#define WEFT_VRS_F_D(N) WEFT_ROW1(N)
#define WEFT_VRS_D_I(N) WEFT_ROW1(N)
#define WEFT_VRS_D_L(N) WEFT_ROW1(N)
#define WEFT_VRS_D_F(N) WEFT_ROW1(N)
#define WEFT_VRS_D_D(N) WEFT_ROW1(N)
#define WEFT_VRS_I_II(N) WEFT_ROW2(N)
#define WEFT_VRS_I_LL(N) WEFT_ROW2(N)
#define WEFT_VRS_I_FF(N) WEFT_ROW2(N)
#define WEFT_VRS_I_DD(N) WEFT_ROW2(N)
#define WEFT_VRS_L_LL(N) WEFT_ROW2(N)
#define WEFT_VRS_F_FF(N) WEFT_ROW2(N)
#define WEFT_VRS_D_DD(N) WEFT_ROW2(N)
#define WEFT_VRS_Special(N) WEFT_ROW0(N)
#define WEFT_VRS_I_V(N) WEFT_ROW0(N)
#define WEFT_VRS_L_V(N) WEFT_ROW0(N)
#define WEFT_VRS_F_V(N) WEFT_ROW0(N)
#define WEFT_VRS_D_V(N) WEFT_ROW0(N)
#define WEFT_VRS_V_I(N) WEFT_ROW0(N)
#define WEFT_VRS_V_L(N) WEFT_ROW0(N)
#define WEFT_VRS_V_F(N) WEFT_ROW0(N)
#define WEFT_VRS_V_D(N) WEFT_ROW0(N)
#define WEFT_VRS_V_V(N) WEFT_ROW0(N)
#define WEFT_VRS_V_VV(N) WEFT_ROW0(N)
#define WEFT_VRS_V_VI(N) WEFT_ROW0(N)
#define WEFT_VRS_V_VL(N) WEFT_ROW0(N)
#define WEFT_VRS_V_VF(N) WEFT_ROW0(N)
#define WEFT_VRS_V_VD(N) WEFT_ROW0(N)
#define WEFT_VRS_V_VVV(N) WEFT_ROW0(N)
#define WEFT_VRM_I_I(N) WEFT_ROWLD(N)
#define WEFT_VRM_L_I(N) WEFT_ROWLD(N)
#define WEFT_VRM_F_I(N) WEFT_ROWLD(N)
#define WEFT_VRM_D_I(N) WEFT_ROWLD(N)
#define WEFT_VRM_V_I(N) WEFT_ROW0(N)
#define WEFT_VRM_x_II(N) WEFT_ROWST(N)
#define WEFT_VRM_x_IL(N) WEFT_ROWST(N)
#define WEFT_VRM_x_IF(N) WEFT_ROWST(N)
#define WEFT_VRM_x_ID(N) WEFT_ROWST(N)
#define WEFT_VRM_x_IV(N) WEFT_ROW0(N)
#define WEFT_VROW_None(N, s) WEFT_VRS_##s(N),
#define WEFT_VROW_Mem0(N, s) WEFT_VRM_##s(N),
#define WEFT_VROW_Mem1(N, s) WEFT_VRM_##s(N),
#define WEFT_VROW_Mem2(N, s) WEFT_VRM_##s(N),
#define WEFT_VROW_Mem3(N, s) WEFT_VRM_##s(N),
#define WEFT_VROW_Mem4(N, s) WEFT_VRM_##s(N),
#define WEFT_VROW_BlockType(N, s) WEFT_ROW0(N),
#define WEFT_VROW_Label(N, s) WEFT_ROW0(N),
#define WEFT_VROW_BrTable(N, s) WEFT_ROW0(N),
#define WEFT_VROW_Func(N, s) WEFT_ROW0(N),
#define WEFT_VROW_CallIndirect(N, s) WEFT_ROW0(N),
#define WEFT_VROW_Local(N, s) WEFT_ROW0(N),
#define WEFT_VROW_Global(N, s) WEFT_ROW0(N),
#define WEFT_VROW_Table(N, s) WEFT_ROW0(N),
#define WEFT_VROW_MemIdx(N, s) WEFT_ROW0(N),
#define WEFT_VROW_I32(N, s) WEFT_ROW0(N),
#define WEFT_VROW_I64(N, s) WEFT_ROW0(N),
#define WEFT_VROW_F32(N, s) WEFT_ROW0(N),
#define WEFT_VROW_F64(N, s) WEFT_ROW0(N),
#define WEFT_VROW_V128(N, s) WEFT_ROW0(N),
#define WEFT_VROW_RefType(N, s) WEFT_ROW0(N),
#define WEFT_VROW_SelectT(N, s) WEFT_ROW0(N),
#define WEFT_VROW_MemInit(N, s) WEFT_ROW0(N),
#define WEFT_VROW_DataIdx(N, s) WEFT_ROW0(N),
#define WEFT_VROW_MemCopy(N, s) WEFT_ROW0(N),
#define WEFT_VROW_TableInit(N, s) WEFT_ROW0(N),
#define WEFT_VROW_ElemIdx(N, s) WEFT_ROW0(N),
#define WEFT_VROW_TableCopy(N, s) WEFT_ROW0(N),
#define WEFT_VROW_Lane16(N, s) WEFT_ROW0(N),
#define WEFT_VROW_Lane8(N, s) WEFT_ROW0(N),
#define WEFT_VROW_Lane4(N, s) WEFT_ROW0(N),
#define WEFT_VROW_Lane2(N, s) WEFT_ROW0(N),
#define WEFT_VROW_MemLane0(N, s) WEFT_ROW0(N),
#define WEFT_VROW_MemLane1(N, s) WEFT_ROW0(N),
#define WEFT_VROW_MemLane2(N, s) WEFT_ROW0(N),
#define WEFT_VROW_MemLane3(N, s) WEFT_ROW0(N),
#define WEFT_VROW_Shuffle(N, s) WEFT_ROW0(N),
  static const void* const kVariants[][kNumVariants] = {
#define WEFT_OP(prefix, code, name, text, imm, sig) WEFT_VROW_##imm(name, sig)
#include "wasm/opcodes.def"
  };
  static_assert(sizeof(kVariants) / sizeof(kVariants[0]) == static_cast<size_t>(IOp::kOpCount));
  static const FusedPair kFused[] = {
#define WEFT_FUSE_ENTRY(F, X, XB, XLEN, Y) {HADDR(X), HADDR(Y), HADDR(F)},
      WEFT_FUSE_PAIRS(WEFT_FUSE_ENTRY)
#undef WEFT_FUSE_ENTRY
  };
  if (cs->store == nullptr) {
    g_handlers = kTable;
    g_variants = kVariants;
    g_fused = std::span<const FusedPair>(kFused);
    WEFT_PROFILE_INIT(kTable, kVariants);
    return TrapCode::kNone;
  }

  const uint32_t* ip;
  uint8_t* mem = nullptr;
  uint64_t mem_size = 0;
  // Accumulators: a result passed straight to the next instruction.
  uint64_t acc = 0;
  float acc_f = 0;
  double acc_d = 0;
  cs->callee = cs->ftop[-1].func;
  cs->inst = cs->callee->instance;
  SWITCH_MEM();
  ip = GetCompiled(cs->callee)->code.data();
#if WEFT_INTERP_MUSTTAIL
  HandlerFn first;
  std::memcpy(&first, ip, sizeof first);
  WEFT_PROFILE_HIT(reinterpret_cast<const void*>(first));
  return first(WEFT_HARGS);
#else
  DISPATCH();
#include "interp/exec_handlers.inc"
#endif
}

}  // namespace

const void* const* HandlerTable() {
  static const bool init = [] {
    Run(nullptr, nullptr, nullptr, nullptr);
    return true;
  }();
  (void)init;
  return g_handlers;
}

const void* const (*VariantTable())[kNumVariants] {
  HandlerTable();
  return g_variants;
}

std::span<const FusedPair> FusedPairs() {
  HandlerTable();
  return g_fused;
}

TrapCode Call(runtime::Store& store, FuncInst* func, uint64_t* slots) {
  if (func->host) {
    runtime::HostCallContext ctx{&store, nullptr};
    return func->host->callback(func->host->env, ctx, slots) == runtime::HostStatus::kOk
               ? TrapCode::kNone
               : TrapCode::kHost;
  }
  HandlerTable();
  ExecState* ex = GetExec(store);
  if (ex->depth >= kMaxReentry) return TrapCode::kCallStackExhausted;
  runtime::CompiledFunc* cf = GetCompiled(func);
  if (cf == nullptr) {
    store.pending_trap = "function failed to compile";
    return TrapCode::kHost;
  }
  Frame* entry = ex->ftop;
  uint64_t* base = ex->sp;
  uint32_t io_slots = std::max(cf->param_slots, cf->result_slots);
  if (entry == ex->frames_end || base + std::max(io_slots, cf->frame_slots) > ex->stack_end) {
    return TrapCode::kCallStackExhausted;
  }
  std::memcpy(base, slots, cf->param_slots * sizeof(uint64_t));
  std::memset(base + cf->param_slots, 0, cf->local_slots * sizeof(uint64_t));
  if (!cf->consts.empty()) {
    std::memcpy(base + cf->const_base, cf->consts.data(), cf->consts.size() * sizeof(uint64_t));
  }
  entry->ret_ip = nullptr;
  entry->ret_fp = nullptr;
  entry->ret_inst = nullptr;
  entry->ret_memi = nullptr;
  entry->func = func;
  ex->ftop = entry + 1;
  ++ex->depth;
  TrapCode t = Run(&store, ex, entry, base);
  --ex->depth;
  ex->ftop = entry;
  ex->sp = base;
  if (t == TrapCode::kNone) std::memcpy(slots, base, cf->result_slots * sizeof(uint64_t));
  return t;
}

}  // namespace weft::interp
