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
};

// Host -> wasm re-entries per store before "call stack exhausted" (each costs native stack).
constexpr uint32_t kMaxReentry = 200;

void DestroyExec(void* p) { delete static_cast<ExecState*>(p); }

ExecState* GetExec(runtime::Store& store) {
  if (store.exec) return static_cast<ExecState*>(store.exec);
  auto* ex = new ExecState;
  const runtime::EngineConfig& cfg = store.engine->config;
  size_t slots = std::max<uint64_t>(cfg.value_stack_bytes / 8, 1024);
  ex->stack.reset(new uint64_t[slots]);
  ex->stack_end = ex->stack.get() + slots;
  ex->sp = ex->stack.get();
  size_t nframes = std::max<uint32_t>(cfg.max_call_depth, 1) + 1;
  ex->frames.reset(new Frame[nframes]);
  ex->frames_end = ex->frames.get() + nframes;
  ex->ftop = ex->frames.get();
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

// Pair fusions: (name, X label, X body, X length in words, Y label); handlers after the
// interpreter instructions in Run.
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
  X(FLtU3_JIfR, L_I64LtU_V3, XB_I64LTU_V3, 5, LX_JumpIfR)

// Runs until the entry frame (already pushed at ex->ftop[-1]) returns. Called with a null
// store once, to publish the handler table.
WEFT_NO_CLONE TrapCode Run(runtime::Store* store, ExecState* ex, Frame* entry, uint64_t* fp) {
  // State that only calls, returns, traps and instance accesses need lives in memory (the
  // empty asm makes its address escape, so the optimiser cannot promote it to registers):
  // the loop's registers are left to the hot state (ip, fp, mem, mem_size, accumulators),
  // which otherwise gets shuffled between registers and the stack at handler boundaries.
  struct ColdState {
    runtime::Store* store;
    ExecState* ex;
    Frame* entry;
    Frame* ftop;
    Instance* inst;
    runtime::MemoryInst* memi;
    FuncInst* callee;
    uint32_t arg;
    TrapCode trap;
  };
  // `entry` is null on the call that only publishes the handler table.
  ColdState cs{store, ex, entry, entry == nullptr ? nullptr : entry + 1,
               nullptr, nullptr, nullptr, 0, TrapCode::kNone};
  __asm__ volatile("" : : "r"(&cs) : "memory");
#define WEFT_H_INVALID(N) \
  L_##N:                  \
  goto LX_Invalid;
#define WEFT_T_I u32
#define WEFT_T_L u64
#define WEFT_T_F float
#define WEFT_T_D double
#define WEFT_T_V V128

  static const void* const kTable[] = {
#define WEFT_OP(prefix, code, name, text, imm, sig) &&L_##name,
#include "wasm/opcodes.def"
      &&LX_Invalid,
#define WEFT_IOP_LABEL(n) &&LX_##n,
      WEFT_IOPS(WEFT_IOP_LABEL)
#undef WEFT_IOP_LABEL
  };
  static_assert(sizeof(kTable) / sizeof(kTable[0]) == static_cast<size_t>(IOp::kCount));

  // Accumulator variants per wasm op: [0] plain, [1] a from acc, [2] b from acc, [3] result
  // to acc, [4] a from acc and result to acc, [5] b from acc and result to acc.
#define WEFT_ROW0(N) {&&L_##N, nullptr, nullptr, nullptr, nullptr, nullptr}
#define WEFT_ROW1(N) {&&L_##N, &&L_##N##_V1, nullptr, &&L_##N##_V3, &&L_##N##_V4, nullptr}
#define WEFT_ROW2(N) \
  {&&L_##N, &&L_##N##_V1, &&L_##N##_V2, &&L_##N##_V3, &&L_##N##_V4, &&L_##N##_V5}
#define WEFT_ROWST(N) \
  {&&L_##N, &&L_##N##_V1, &&L_##N##_V2, nullptr, nullptr, nullptr, &&L_##N##_A1, nullptr}
#define WEFT_ROWLD(N) \
  {&&L_##N, &&L_##N##_V1, nullptr, &&L_##N##_V3, &&L_##N##_V4, nullptr, &&L_##N##_A1, &&L_##N##_A4}
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
#define WEFT_FUSE_ENTRY(F, X, XB, XLEN, Y) {&&X, &&Y, &&F},
      WEFT_FUSE_PAIRS(WEFT_FUSE_ENTRY)
#undef WEFT_FUSE_ENTRY
  };
  if (cs.store == nullptr) {
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
#define ACC_GET(T) GetAcc<T>(acc, acc_f, acc_d)
#define ACC_PUT(v) PutAcc(acc, acc_f, acc_d, v)

#define DISPATCH()                   \
  do {                               \
    const void* h_;                  \
    std::memcpy(&h_, ip, sizeof h_); \
    WEFT_PROFILE_HIT(h_);            \
    goto* h_;                        \
  } while (0)
#define NEXT(n)  \
  do {           \
    ip += (n);   \
    DISPATCH();  \
  } while (0)
#define TRAP(code)   \
  do {               \
    cs.trap = (code);   \
    goto trap_exit;  \
  } while (0)
// After an instance switch: find its memory 0. After anything that may grow it: refresh.
#define SWITCH_MEM()                                                \
  do {                                                              \
    cs.memi = cs.inst->memories.empty() ? nullptr : cs.inst->memories[0];    \
    RELOAD_MEM();                                                   \
  } while (0)
#define RELOAD_MEM()          \
  do {                        \
    if (cs.memi) {               \
      mem = cs.memi->base;       \
      mem_size = cs.memi->size;  \
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

  {
    cs.callee = cs.ftop[-1].func;
    cs.inst = cs.callee->instance;
    SWITCH_MEM();
    runtime::CompiledFunc* cf = GetCompiled(cs.callee);
    ip = cf->code.data();
    DISPATCH();
  }

  // ---- Generated handlers -------------------------------------------------------------------
#define WEFT_GEN1(N, R, A)                    \
  L_##N : {                                   \
    A a = Rd<A>(S(1));                        \
    CHECK_TRAP(N, a);                         \
    Wr(S(0), static_cast<R>(ops::N(a)));      \
    NEXT(4);                                  \
  }
#define WEFT_GEN2(N, R, A, B)                 \
  L_##N : {                                   \
    A a = Rd<A>(S(1));                        \
    B b = Rd<B>(S(2));                        \
    CHECK_TRAP(N, a, b);                      \
    Wr(S(0), static_cast<R>(ops::N(a, b)));   \
    NEXT(5);                                  \
  }
#define WEFT_GEN3(N, R, A, B, C)                  \
  L_##N : {                                       \
    A a = Rd<A>(S(1));                            \
    B b = Rd<B>(S(2));                            \
    C c = Rd<C>(S(3));                            \
    Wr(S(0), static_cast<R>(ops::N(a, b, c)));    \
    NEXT(6);                                      \
  }
#define WEFT_GEN1R(N, R, A)                          \
  WEFT_GEN1(N, R, A)                                 \
  L_##N##_V1 : {                                     \
    A a = ACC_GET(A);                           \
    CHECK_TRAP(N, a);                                \
    Wr(S(0), static_cast<R>(ops::N(a)));             \
    NEXT(4);                                         \
  }                                                  \
  L_##N##_V3 : {                                     \
    A a = Rd<A>(S(1));                               \
    CHECK_TRAP(N, a);                                \
    ACC_PUT(static_cast<R>(ops::N(a)));          \
    NEXT(4);                                         \
  }                                                  \
  L_##N##_V4 : {                                     \
    A a = ACC_GET(A);                           \
    CHECK_TRAP(N, a);                                \
    ACC_PUT(static_cast<R>(ops::N(a)));          \
    NEXT(4);                                         \
  }
#define WEFT_GEN2R(N, R, A, B)                       \
  WEFT_GEN2(N, R, A, B)                              \
  L_##N##_V1 : {                                     \
    A a = ACC_GET(A);                           \
    B b = Rd<B>(S(2));                               \
    CHECK_TRAP(N, a, b);                             \
    Wr(S(0), static_cast<R>(ops::N(a, b)));          \
    NEXT(5);                                         \
  }                                                  \
  L_##N##_V2 : {                                     \
    A a = Rd<A>(S(1));                               \
    B b = ACC_GET(B);                           \
    CHECK_TRAP(N, a, b);                             \
    Wr(S(0), static_cast<R>(ops::N(a, b)));          \
    NEXT(5);                                         \
  }                                                  \
  L_##N##_V3 : {                                     \
    A a = Rd<A>(S(1));                               \
    B b = Rd<B>(S(2));                               \
    CHECK_TRAP(N, a, b);                             \
    ACC_PUT(static_cast<R>(ops::N(a, b)));       \
    NEXT(5);                                         \
  }                                                  \
  L_##N##_V4 : {                                     \
    A a = ACC_GET(A);                           \
    B b = Rd<B>(S(2));                               \
    CHECK_TRAP(N, a, b);                             \
    ACC_PUT(static_cast<R>(ops::N(a, b)));       \
    NEXT(5);                                         \
  }                                                  \
  L_##N##_V5 : {                                     \
    A a = Rd<A>(S(1));                               \
    B b = ACC_GET(B);                           \
    CHECK_TRAP(N, a, b);                             \
    ACC_PUT(static_cast<R>(ops::N(a, b)));       \
    NEXT(5);                                         \
  }
#define WEFT_HS_Special(N) WEFT_H_INVALID(N)
#define WEFT_HS_x_x(N) WEFT_H_INVALID(N)
#define WEFT_HS_x_III(N) WEFT_H_INVALID(N)
#define WEFT_HS_I_x(N) WEFT_H_INVALID(N)
#define WEFT_HS_L_x(N) WEFT_H_INVALID(N)
#define WEFT_HS_F_x(N) WEFT_H_INVALID(N)
#define WEFT_HS_D_x(N) WEFT_H_INVALID(N)
#define WEFT_HS_V_x(N) WEFT_H_INVALID(N)
#define WEFT_HS_1(N, R, A) WEFT_GEN1(N, WEFT_T_##R, WEFT_T_##A)
#define WEFT_HS_2(N, R, A, B) WEFT_GEN2(N, WEFT_T_##R, WEFT_T_##A, WEFT_T_##B)
#define WEFT_HS_1R(N, R, A) WEFT_GEN1R(N, WEFT_T_##R, WEFT_T_##A)
#define WEFT_HS_2R(N, R, A, B) WEFT_GEN2R(N, WEFT_T_##R, WEFT_T_##A, WEFT_T_##B)
#define WEFT_HS_I_I(N) WEFT_HS_1R(N, I, I)
#define WEFT_HS_I_L(N) WEFT_HS_1R(N, I, L)
#define WEFT_HS_I_F(N) WEFT_HS_1R(N, I, F)
#define WEFT_HS_I_D(N) WEFT_HS_1R(N, I, D)
#define WEFT_HS_I_V(N) WEFT_HS_1(N, I, V)
#define WEFT_HS_L_I(N) WEFT_HS_1R(N, L, I)
#define WEFT_HS_L_L(N) WEFT_HS_1R(N, L, L)
#define WEFT_HS_L_F(N) WEFT_HS_1R(N, L, F)
#define WEFT_HS_L_D(N) WEFT_HS_1R(N, L, D)
#define WEFT_HS_L_V(N) WEFT_HS_1(N, L, V)
#define WEFT_HS_F_I(N) WEFT_HS_1R(N, F, I)
#define WEFT_HS_F_L(N) WEFT_HS_1R(N, F, L)
#define WEFT_HS_F_F(N) WEFT_HS_1R(N, F, F)
#define WEFT_HS_F_D(N) WEFT_HS_1R(N, F, D)
#define WEFT_HS_F_V(N) WEFT_HS_1(N, F, V)
#define WEFT_HS_D_I(N) WEFT_HS_1R(N, D, I)
#define WEFT_HS_D_L(N) WEFT_HS_1R(N, D, L)
#define WEFT_HS_D_F(N) WEFT_HS_1R(N, D, F)
#define WEFT_HS_D_D(N) WEFT_HS_1R(N, D, D)
#define WEFT_HS_D_V(N) WEFT_HS_1(N, D, V)
#define WEFT_HS_V_I(N) WEFT_HS_1(N, V, I)
#define WEFT_HS_V_L(N) WEFT_HS_1(N, V, L)
#define WEFT_HS_V_F(N) WEFT_HS_1(N, V, F)
#define WEFT_HS_V_D(N) WEFT_HS_1(N, V, D)
#define WEFT_HS_V_V(N) WEFT_HS_1(N, V, V)
#define WEFT_HS_I_II(N) WEFT_HS_2R(N, I, I, I)
#define WEFT_HS_I_LL(N) WEFT_HS_2R(N, I, L, L)
#define WEFT_HS_I_FF(N) WEFT_HS_2R(N, I, F, F)
#define WEFT_HS_I_DD(N) WEFT_HS_2R(N, I, D, D)
#define WEFT_HS_L_LL(N) WEFT_HS_2R(N, L, L, L)
#define WEFT_HS_F_FF(N) WEFT_HS_2R(N, F, F, F)
#define WEFT_HS_D_DD(N) WEFT_HS_2R(N, D, D, D)
#define WEFT_HS_V_VV(N) WEFT_HS_2(N, V, V, V)
#define WEFT_HS_V_VI(N) WEFT_HS_2(N, V, V, I)
#define WEFT_HS_V_VL(N) WEFT_HS_2(N, V, V, L)
#define WEFT_HS_V_VF(N) WEFT_HS_2(N, V, V, F)
#define WEFT_HS_V_VD(N) WEFT_HS_2(N, V, V, D)
#define WEFT_HS_V_VVV(N) WEFT_GEN3(N, V128, V128, V128, V128)

  // Loads [dst][addr][offset], stores [addr][value][offset].
#define WEFT_LOAD(N, R, size)                  \
  L_##N : {                                    \
    MEM_ADDR(1, 2, size);                      \
    Wr(S(0), static_cast<R>(ops::N(p_)));      \
    NEXT(5);                                   \
  }
#define WEFT_STORE(N, T, size)                 \
  L_##N : {                                    \
    MEM_ADDR(0, 2, size);                      \
    ops::N(p_, Rd<T>(S(1)));                   \
    NEXT(5);                                   \
  }
#define WEFT_LOADR(N, R, size)                            \
  WEFT_LOAD(N, R, size)                                   \
  L_##N##_V1 : {                                          \
    MEM_ADDR_OF(static_cast<u32>(acc), 2, size);          \
    Wr(S(0), static_cast<R>(ops::N(p_)));                 \
    NEXT(5);                                              \
  }                                                       \
  L_##N##_V3 : {                                          \
    MEM_ADDR(1, 2, size);                                 \
    ACC_PUT(static_cast<R>(ops::N(p_)));              \
    NEXT(5);                                              \
  }                                                       \
  L_##N##_V4 : {                                          \
    MEM_ADDR_OF(static_cast<u32>(acc), 2, size);          \
    ACC_PUT(static_cast<R>(ops::N(p_)));              \
    NEXT(5);                                              \
  }                                                       \
  L_##N##_A1 : {                                          \
    ADD_THEN_ACCESS();                                    \
    goto L_##N##_V1;                                      \
  }                                                       \
  L_##N##_A4 : {                                          \
    ADD_THEN_ACCESS();                                    \
    goto L_##N##_V4;                                      \
  }
#define WEFT_STORER(N, T, size)                           \
  WEFT_STORE(N, T, size)                                  \
  L_##N##_V1 : {                                          \
    MEM_ADDR_OF(static_cast<u32>(acc), 2, size);          \
    ops::N(p_, Rd<T>(S(1)));                              \
    NEXT(5);                                              \
  }                                                       \
  L_##N##_V2 : {                                          \
    MEM_ADDR(0, 2, size);                                 \
    ops::N(p_, ACC_GET(T));                          \
    NEXT(5);                                              \
  }                                                       \
  L_##N##_A1 : {                                          \
    ADD_THEN_ACCESS();                                    \
    goto L_##N##_V1;                                      \
  }
  // Runs the i32.add [dst][a][b] this handler replaces (its result was bound for the
  // accumulator, which only the following access reads) and steps to that access.
#define ADD_THEN_ACCESS()                                          \
  acc = static_cast<u32>(Rd<u32>(S(1)) + Rd<u32>(S(2)));           \
  ip += 5
#define WEFT_HM_I_I(N, size) WEFT_LOADR(N, u32, size)
#define WEFT_HM_L_I(N, size) WEFT_LOADR(N, u64, size)
#define WEFT_HM_F_I(N, size) WEFT_LOADR(N, float, size)
#define WEFT_HM_D_I(N, size) WEFT_LOADR(N, double, size)
#define WEFT_HM_V_I(N, size) WEFT_LOAD(N, V128, size)
#define WEFT_HM_x_II(N, size) WEFT_STORER(N, u32, size)
#define WEFT_HM_x_IL(N, size) WEFT_STORER(N, u64, size)
#define WEFT_HM_x_IF(N, size) WEFT_STORER(N, float, size)
#define WEFT_HM_x_ID(N, size) WEFT_STORER(N, double, size)
#define WEFT_HM_x_IV(N, size) WEFT_STORE(N, V128, size)
  // Lane loads [dst][addr][vec][offset][lane], lane stores [addr][vec][offset][lane].
#define WEFT_HML_V_IV(N, size)                                 \
  L_##N : {                                                    \
    MEM_ADDR(1, 3, size);                                      \
    Wr(S(0), ops::N(Rd<V128>(S(2)), p_, ip[6]));               \
    NEXT(7);                                                   \
  }
#define WEFT_HML_x_IV(N, size)                                 \
  L_##N : {                                                    \
    MEM_ADDR(0, 2, size);                                      \
    ops::N(p_, Rd<V128>(S(1)), ip[5]);                         \
    NEXT(6);                                                   \
  }
  // Lane access [dst][vec][lane], replace [dst][vec][x][lane].
#define WEFT_LANE_EXTRACT(N, R)                      \
  L_##N : {                                          \
    Wr(S(0), static_cast<R>(ops::N(Rd<V128>(S(1)), ip[4]))); \
    NEXT(5);                                         \
  }
#define WEFT_LANE_REPLACE(N, T)                                   \
  L_##N : {                                                       \
    Wr(S(0), ops::N(Rd<V128>(S(1)), ip[5], Rd<T>(S(2))));         \
    NEXT(6);                                                      \
  }
#define WEFT_HL_I_V(N) WEFT_LANE_EXTRACT(N, u32)
#define WEFT_HL_L_V(N) WEFT_LANE_EXTRACT(N, u64)
#define WEFT_HL_F_V(N) WEFT_LANE_EXTRACT(N, float)
#define WEFT_HL_D_V(N) WEFT_LANE_EXTRACT(N, double)
#define WEFT_HL_V_VI(N) WEFT_LANE_REPLACE(N, u32)
#define WEFT_HL_V_VL(N) WEFT_LANE_REPLACE(N, u64)
#define WEFT_HL_V_VF(N) WEFT_LANE_REPLACE(N, float)
#define WEFT_HL_V_VD(N) WEFT_LANE_REPLACE(N, double)

#define WEFT_H_None(N, s) WEFT_HS_##s(N)
#define WEFT_H_Mem0(N, s) WEFT_HM_##s(N, 1)
#define WEFT_H_Mem1(N, s) WEFT_HM_##s(N, 2)
#define WEFT_H_Mem2(N, s) WEFT_HM_##s(N, 4)
#define WEFT_H_Mem3(N, s) WEFT_HM_##s(N, 8)
#define WEFT_H_Mem4(N, s) WEFT_HM_##s(N, 16)
#define WEFT_H_MemLane0(N, s) WEFT_HML_##s(N, 1)
#define WEFT_H_MemLane1(N, s) WEFT_HML_##s(N, 2)
#define WEFT_H_MemLane2(N, s) WEFT_HML_##s(N, 4)
#define WEFT_H_MemLane3(N, s) WEFT_HML_##s(N, 8)
#define WEFT_H_Lane16(N, s) WEFT_HL_##s(N)
#define WEFT_H_Lane8(N, s) WEFT_HL_##s(N)
#define WEFT_H_Lane4(N, s) WEFT_HL_##s(N)
#define WEFT_H_Lane2(N, s) WEFT_HL_##s(N)
#define WEFT_H_V128(N, s)                                \
  L_##N : {                                              \
    fp[ip[2]] = ip[3] | (static_cast<u64>(ip[4]) << 32); \
    fp[ip[2] + 1] = ip[5] | (static_cast<u64>(ip[6]) << 32); \
    NEXT(7);                                             \
  }
#define WEFT_H_Shuffle(N, s)                                                              \
  L_##N : {                                                                               \
    uint8_t lanes_[16];                                                                   \
    std::memcpy(lanes_, ip + 5, 16);                                                      \
    Wr(S(0), ops::I8x16Shuffle(Rd<V128>(S(1)), Rd<V128>(S(2)), lanes_));                  \
    NEXT(9);                                                                              \
  }
#define WEFT_H_BlockType(N, s) WEFT_H_INVALID(N)
#define WEFT_H_Label(N, s) WEFT_H_INVALID(N)
#define WEFT_H_BrTable(N, s) WEFT_H_INVALID(N)
#define WEFT_H_Func(N, s) WEFT_H_INVALID(N)
#define WEFT_H_CallIndirect(N, s) WEFT_H_INVALID(N)
#define WEFT_H_Local(N, s) WEFT_H_INVALID(N)
#define WEFT_H_Global(N, s) WEFT_H_INVALID(N)
#define WEFT_H_Table(N, s) WEFT_H_INVALID(N)
#define WEFT_H_MemIdx(N, s) WEFT_H_INVALID(N)
#define WEFT_H_I32(N, s) WEFT_H_INVALID(N)
#define WEFT_H_I64(N, s) WEFT_H_INVALID(N)
#define WEFT_H_F32(N, s) WEFT_H_INVALID(N)
#define WEFT_H_F64(N, s) WEFT_H_INVALID(N)
#define WEFT_H_RefType(N, s) WEFT_H_INVALID(N)
#define WEFT_H_SelectT(N, s) WEFT_H_INVALID(N)
#define WEFT_H_MemInit(N, s) WEFT_H_INVALID(N)
#define WEFT_H_DataIdx(N, s) WEFT_H_INVALID(N)
#define WEFT_H_MemCopy(N, s) WEFT_H_INVALID(N)
#define WEFT_H_TableInit(N, s) WEFT_H_INVALID(N)
#define WEFT_H_ElemIdx(N, s) WEFT_H_INVALID(N)
#define WEFT_H_TableCopy(N, s) WEFT_H_INVALID(N)

#define WEFT_OP(prefix, code, name, text, imm, sig) WEFT_H_##imm(name, sig)
#include "wasm/opcodes.def"

  // ---- Interpreter instructions --------------------------------------------------------------
LX_Invalid:
  TRAP(TrapCode::kUnreachable);

LX_Trap:
  TRAP(TrapCode::kUnreachable);

LX_Copy:
  *S(0) = *S(1);
  NEXT(4);

LX_Copy2 : {
  uint64_t* d = S(0);
  const uint64_t* s = S(1);
  uint64_t lo = s[0], hi = s[1];
  d[0] = lo;
  d[1] = hi;
  NEXT(4);
}

LX_Const64:
  *S(0) = ip[3] | (static_cast<u64>(ip[4]) << 32);
  NEXT(5);

LX_Jump:
  ip += static_cast<int32_t>(ip[2]);
  DISPATCH();

LX_JumpIf:
  if (Rd<u32>(S(0))) {
    ip += static_cast<int32_t>(ip[3]);
    DISPATCH();
  }
  NEXT(4);

LX_JumpIfR:
  if (static_cast<u32>(acc)) {
    ip += static_cast<int32_t>(ip[3]);
    DISPATCH();
  }
  NEXT(4);

LX_JumpUnlessR:
  if (!static_cast<u32>(acc)) {
    ip += static_cast<int32_t>(ip[3]);
    DISPATCH();
  }
  NEXT(4);

LX_JumpUnless:
  if (!Rd<u32>(S(0))) {
    ip += static_cast<int32_t>(ip[3]);
    DISPATCH();
  }
  NEXT(4);

LX_JumpTable : {
  u32 i = Rd<u32>(S(0));
  u32 n = ip[3];
  if (i > n) i = n;
  ip += static_cast<int32_t>(ip[4 + i]);
  DISPATCH();
}

LX_JumpTableAcc : {
  u32 i = static_cast<u32>(acc);
  u32 n = ip[3];
  if (i > n) i = n;
  ip += static_cast<int32_t>(ip[4 + i]);
  DISPATCH();
}

LX_Select1Acc:
  *S(0) = static_cast<u32>(acc) ? *S(1) : *S(2);
  NEXT(6);

LX_GlobalSet1Acc:
  cs.inst->globals[ip[2]]->value[0] = acc;
  NEXT(4);

LX_Ret : {
  Frame* f = --cs.ftop;
  if (WEFT_UNLIKELY(f->ret_ip == nullptr)) goto done;
  ip = f->ret_ip;
  fp = f->ret_fp;
  cs.inst = f->ret_inst;
  cs.memi = f->ret_memi;
  RELOAD_MEM();
  DISPATCH();
}

LX_CallOp:
  cs.callee = cs.inst->funcs[ip[2]];
  cs.arg = ip[3];
  ip += 4;
  goto do_call;

LX_CallIndirectOp : {
  runtime::TableInst* t = cs.inst->tables[ip[3]];
  u32 i = Rd<u32>(S(3));
  if (WEFT_UNLIKELY(i >= t->elems.size())) TRAP(TrapCode::kUndefinedElement);
  cs.callee = reinterpret_cast<FuncInst*>(static_cast<uintptr_t>(t->elems[i]));
  if (WEFT_UNLIKELY(cs.callee == nullptr)) TRAP(TrapCode::kUninitializedElement);
  if (WEFT_UNLIKELY(cs.callee->type_id != ip[2])) TRAP(TrapCode::kIndirectCallTypeMismatch);
  cs.arg = ip[4];
  ip += 6;
  goto do_call;
}

do_call : {
  uint64_t* args = fp + cs.arg;
  if (cs.callee->host) {
    const wasm::FuncType& ft = *cs.callee->type;
    uint32_t np = runtime::SlotCount(ft.params), nr = runtime::SlotCount(ft.results);
    cs.ex->ftop = cs.ftop;
    cs.ex->sp = args + std::max(np, nr);
    runtime::HostCallContext ctx{cs.store, cs.inst};
    runtime::HostStatus st = cs.callee->host->callback(cs.callee->host->env, ctx, args);
    if (st != runtime::HostStatus::kOk) TRAP(TrapCode::kHost);
    RELOAD_MEM();
    DISPATCH();
  }
  runtime::CompiledFunc* cf = GetCompiled(cs.callee);
  if (WEFT_UNLIKELY(cf == nullptr)) TRAP(TrapCode::kUnreachable);
  if (WEFT_UNLIKELY(cs.ftop == cs.ex->frames_end || args + cf->frame_slots > cs.ex->stack_end)) {
    TRAP(TrapCode::kCallStackExhausted);
  }
  cs.ftop->ret_ip = ip;
  cs.ftop->ret_fp = fp;
  cs.ftop->ret_inst = cs.inst;
  cs.ftop->ret_memi = cs.memi;
  cs.ftop->func = cs.callee;
  ++cs.ftop;
  fp = args;
  {
    uint64_t* d = fp + cf->param_slots;
    const uint64_t* img = cf->init.data();
    size_t n = cf->init.size();
    if (WEFT_LIKELY(n != 0)) {
      // The usual small frame: one unrolled copy of the initial image (code.h). The values
      // are hidden from the optimiser so this stays four moves, not a memcpy call.
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
    } else if (cf->local_slots + cf->consts.size() != 0) {
      std::memset(d, 0, cf->local_slots * sizeof(uint64_t));
      if (!cf->consts.empty()) {
        std::memcpy(fp + cf->const_base, cf->consts.data(), cf->consts.size() * sizeof(uint64_t));
      }
    }
  }
  if (cs.callee->instance != cs.inst) {
    cs.inst = cs.callee->instance;
    SWITCH_MEM();
  }
  ip = cf->code.data();
  DISPATCH();
}

LX_Select1:
  *S(0) = Rd<u32>(S(3)) ? *S(1) : *S(2);
  NEXT(6);

LX_Select2 : {
  const uint64_t* s = Rd<u32>(S(3)) ? S(1) : S(2);
  uint64_t lo = s[0], hi = s[1];
  uint64_t* d = S(0);
  d[0] = lo;
  d[1] = hi;
  NEXT(6);
}

LX_GlobalGet1:
  *S(0) = cs.inst->globals[ip[3]]->value[0];
  NEXT(4);

LX_GlobalGet2 : {
  const runtime::GlobalInst* g = cs.inst->globals[ip[3]];
  S(0)[0] = g->value[0];
  S(0)[1] = g->value[1];
  NEXT(4);
}

LX_GlobalSet1:
  cs.inst->globals[ip[2]]->value[0] = *S(1);
  NEXT(4);

LX_GlobalSet2 : {
  runtime::GlobalInst* g = cs.inst->globals[ip[2]];
  g->value[0] = S(1)[0];
  g->value[1] = S(1)[1];
  NEXT(4);
}

LX_TableGetOp : {
  // [dst][index][table]
  runtime::TableInst* t = cs.inst->tables[ip[4]];
  u32 i = Rd<u32>(S(1));
  if (i >= t->elems.size()) TRAP(TrapCode::kOutOfBoundsTable);
  *S(0) = t->elems[i];
  NEXT(5);
}

LX_TableSetOp : {
  // [index][value][table]
  runtime::TableInst* t = cs.inst->tables[ip[4]];
  u32 i = Rd<u32>(S(0));
  if (i >= t->elems.size()) TRAP(TrapCode::kOutOfBoundsTable);
  t->elems[i] = *S(1);
  NEXT(5);
}

LX_TableSizeOp:
  *S(0) = static_cast<u32>(cs.inst->tables[ip[3]]->elems.size());
  NEXT(4);

LX_TableGrowOp : {
  // [dst][init][delta][table]
  runtime::TableInst* t = cs.inst->tables[ip[5]];
  int64_t r = t->Grow(Rd<u32>(S(2)), *S(1));
  *S(0) = static_cast<u32>(static_cast<int32_t>(r));
  NEXT(6);
}

LX_TableFillOp : {
  // [index][value][n][table]
  runtime::TableInst* t = cs.inst->tables[ip[5]];
  u64 i = Rd<u32>(S(0)), n = Rd<u32>(S(2));
  uint64_t v = *S(1);
  if (i + n > t->elems.size()) TRAP(TrapCode::kOutOfBoundsTable);
  std::fill(t->elems.begin() + static_cast<ptrdiff_t>(i),
            t->elems.begin() + static_cast<ptrdiff_t>(i + n), v);
  NEXT(6);
}

LX_TableInitOp : {
  // [d][s][n][elem][table]
  runtime::TableInst* t = cs.inst->tables[ip[6]];
  const std::vector<uint64_t>& seg = cs.inst->elems[ip[5]];
  u64 d = Rd<u32>(S(0)), s = Rd<u32>(S(1)), n = Rd<u32>(S(2));
  if (s + n > seg.size() || d + n > t->elems.size()) TRAP(TrapCode::kOutOfBoundsTable);
  std::copy_n(seg.begin() + static_cast<ptrdiff_t>(s), n,
              t->elems.begin() + static_cast<ptrdiff_t>(d));
  NEXT(7);
}

LX_TableCopyOp : {
  // [d][s][n][dst table][src table]
  runtime::TableInst* td = cs.inst->tables[ip[5]];
  runtime::TableInst* ts = cs.inst->tables[ip[6]];
  u64 d = Rd<u32>(S(0)), s = Rd<u32>(S(1)), n = Rd<u32>(S(2));
  if (s + n > ts->elems.size() || d + n > td->elems.size()) TRAP(TrapCode::kOutOfBoundsTable);
  if (n) std::memmove(td->elems.data() + d, ts->elems.data() + s, n * sizeof(uint64_t));
  NEXT(7);
}

LX_ElemDropOp:
  cs.inst->elems[ip[2]].clear();
  cs.inst->elems[ip[2]].shrink_to_fit();
  NEXT(3);

LX_MemorySizeOp:
  *S(0) = static_cast<u32>(mem_size >> 16);
  NEXT(3);

LX_MemoryGrowOp : {
  int64_t r = cs.inst->memories[0]->Grow(Rd<u32>(S(1)));
  *S(0) = static_cast<u32>(static_cast<int32_t>(r));
  RELOAD_MEM();
  NEXT(4);
}

LX_MemoryFillOp : {
  u64 d = Rd<u32>(S(0)), n = Rd<u32>(S(2));
  if (d + n > mem_size) TRAP(TrapCode::kOutOfBoundsMemory);
  std::memset(mem + d, static_cast<uint8_t>(*S(1)), n);
  NEXT(5);
}

LX_MemoryCopyOp : {
  u64 d = Rd<u32>(S(0)), s = Rd<u32>(S(1)), n = Rd<u32>(S(2));
  if (s + n > mem_size || d + n > mem_size) TRAP(TrapCode::kOutOfBoundsMemory);
  std::memmove(mem + d, mem + s, n);
  NEXT(5);
}

LX_MemoryInitOp : {
  std::span<const uint8_t> seg = cs.inst->datas[ip[5]];
  u64 d = Rd<u32>(S(0)), s = Rd<u32>(S(1)), n = Rd<u32>(S(2));
  if (s + n > seg.size() || d + n > mem_size) TRAP(TrapCode::kOutOfBoundsMemory);
  if (n) std::memcpy(mem + d, seg.data() + s, n);
  NEXT(6);
}

LX_DataDropOp:
  cs.inst->datas[ip[2]] = {};
  NEXT(3);

LX_RefIsNullOp:
  *S(0) = *S(1) == 0;
  NEXT(4);

LX_RefFuncOp:
  *S(0) = reinterpret_cast<uintptr_t>(cs.inst->funcs[ip[3]]);
  NEXT(4);

LX_CheckEpoch:
  if (WEFT_UNLIKELY(cs.store->engine->epoch.load(std::memory_order_relaxed) >=
                    cs.store->epoch_deadline)) {
    if (cs.store->deadline_action == runtime::DeadlineAction::kTrap || !cs.store->yield_hook) {
      TRAP(TrapCode::kDeadline);
    }
    cs.ex->ftop = cs.ftop;
    cs.ex->sp = fp + GetCompiled(cs.ftop[-1].func)->frame_slots;
    cs.store->yield_hook(*cs.store);
    cs.store->epoch_deadline =
        cs.store->engine->epoch.load(std::memory_order_relaxed) + cs.store->yield_epoch_delta;
    RELOAD_MEM();
  }
  NEXT(2);

LX_CheckFuel : {
  u64 amount = ip[2];
  if (WEFT_UNLIKELY(cs.store->fuel < amount)) {
    cs.store->fuel = 0;
    TRAP(TrapCode::kOutOfFuel);
  }
  cs.store->fuel -= amount;
  NEXT(3);
}

  // Fused compare-and-branch: [a][b][offset] (Eqz/Ne0: [a][offset]).
#define WEFT_BRCMP(Name)                     \
  LX_JumpIf##Name : {                        \
    if (ops::Name(Rd<u32>(S(0)), Rd<u32>(S(1)))) { \
      ip += static_cast<int32_t>(ip[4]);     \
      DISPATCH();                            \
    }                                        \
    NEXT(5);                                 \
  }
  // The same with operand a in the accumulator: [unused][b][offset].
#define WEFT_BRCMPA(Name)                    \
  LX_JumpAcc##Name : {                       \
    if (ops::Name(static_cast<u32>(acc), Rd<u32>(S(1)))) { \
      ip += static_cast<int32_t>(ip[4]);     \
      DISPATCH();                            \
    }                                        \
    NEXT(5);                                 \
  }
#define WEFT_BRCMP_BOTH(Name) WEFT_BRCMP(Name) WEFT_BRCMPA(Name)
  WEFT_BRCMP_BOTH(I32LtS)
  WEFT_BRCMP_BOTH(I32LtU)
  WEFT_BRCMP_BOTH(I32GtS)
  WEFT_BRCMP_BOTH(I32GtU)
  WEFT_BRCMP_BOTH(I32LeS)
  WEFT_BRCMP_BOTH(I32LeU)
  WEFT_BRCMP_BOTH(I32GeS)
  WEFT_BRCMP_BOTH(I32GeU)
  WEFT_BRCMP_BOTH(I32Eq)
  WEFT_BRCMP_BOTH(I32Ne)
#undef WEFT_BRCMP_BOTH
#undef WEFT_BRCMP
#undef WEFT_BRCMPA

LX_JumpIfI32Eqz:
  if (Rd<u32>(S(0)) == 0) {
    ip += static_cast<int32_t>(ip[3]);
    DISPATCH();
  }
  NEXT(4);

LX_JumpIfI32Ne0:
  goto LX_JumpIf;

  // Binary operations with an immediate second operand: [dst][a][imm].
LX_I32AddImm:
  *S(0) = static_cast<u32>(Rd<u32>(S(1)) + ip[4]);
  NEXT(5);
LX_I64AddImm:
  *S(0) = Rd<u64>(S(1)) + static_cast<u64>(static_cast<int64_t>(static_cast<int32_t>(ip[4])));
  NEXT(5);
LX_I32AndImm:
  *S(0) = Rd<u32>(S(1)) & ip[4];
  NEXT(5);
LX_I32ShlImm:
  *S(0) = static_cast<u32>(Rd<u32>(S(1)) << (ip[4] & 31));
  NEXT(5);
LX_I32ShrUImm:
  *S(0) = Rd<u32>(S(1)) >> (ip[4] & 31);
  NEXT(5);
LX_I32ShrSImm:
  *S(0) = static_cast<u32>(static_cast<int32_t>(Rd<u32>(S(1))) >> (ip[4] & 31));
  NEXT(5);

  // ---- Pair fusions (code.h FusedPairs) --------------------------------------------------
  // Each does one instruction X (same semantics as X's handler) and jumps straight to the
  // handler of the instruction after it, Y, which the lowering found statically: one dispatch
  // less. X is never a branch. Chosen by profiling the benchmark kernels (the most frequent
  // adjacent handler pairs, WEFT_INTERP_PROFILE); every fused handler changes clang's register
  // allocation of the whole loop, so check objdump and wall times when extending the list.
#define XB_ADD Wr(S(0), ops::I32Add(Rd<u32>(S(1)), Rd<u32>(S(2))))
#define XB_SUB Wr(S(0), ops::I32Sub(Rd<u32>(S(1)), Rd<u32>(S(2))))
#define XB_ADD_V1 Wr(S(0), ops::I32Add(ACC_GET(u32), Rd<u32>(S(2))))
#define XB_F64LOAD_V3                       \
  MEM_ADDR(1, 2, 8);                        \
  ACC_PUT(ops::F64Load(p_))
#define XB_F64STORE_V2                      \
  MEM_ADDR(0, 2, 8);                        \
  ops::F64Store(p_, ACC_GET(double))
#define XB_F64MUL_V2 Wr(S(0), ops::F64Mul(Rd<double>(S(1)), ACC_GET(double)))
#define XB_F64ADD_V5 ACC_PUT(ops::F64Add(Rd<double>(S(1)), ACC_GET(double)))
#define XB_SHL Wr(S(0), ops::I32Shl(Rd<u32>(S(1)), Rd<u32>(S(2))))
#define XB_SHL_V3 ACC_PUT(ops::I32Shl(Rd<u32>(S(1)), Rd<u32>(S(2))))
#define XB_I32STORE_V2 \
  MEM_ADDR(0, 2, 4);   \
  ops::I32Store(p_, ACC_GET(u32))
#define XB_LD8U_V3   \
  MEM_ADDR(1, 2, 1); \
  ACC_PUT(ops::I32Load8U(p_))
#define XB_F64MUL_V3 ACC_PUT(ops::F64Mul(Rd<double>(S(1)), Rd<double>(S(2))))
#define XB_F64MUL_V1 Wr(S(0), ops::F64Mul(ACC_GET(double), Rd<double>(S(2))))
#define XB_F64SUB_V5 ACC_PUT(ops::F64Sub(Rd<double>(S(1)), ACC_GET(double)))
#define XB_AND_V3 ACC_PUT(ops::I32And(Rd<u32>(S(1)), Rd<u32>(S(2))))
#define XB_XOR_V3 ACC_PUT(ops::I32Xor(Rd<u32>(S(1)), Rd<u32>(S(2))))
#define XB_SELECT1ACC *S(0) = static_cast<u32>(acc) ? *S(1) : *S(2)
#define XB_STORE8    \
  MEM_ADDR(0, 2, 1); \
  ops::I32Store8(p_, Rd<u32>(S(1)))
#define XB_STORE8_V2 \
  MEM_ADDR(0, 2, 1); \
  ops::I32Store8(p_, ACC_GET(u32))
#define XB_I64ADD Wr(S(0), ops::I64Add(Rd<u64>(S(1)), Rd<u64>(S(2))))
#define XB_I64LTU_V3 ACC_PUT(static_cast<u32>(ops::I64LtU(Rd<u64>(S(1)), Rd<u64>(S(2)))))
#define WEFT_FUSE(F, X, XB, XLEN, Y) \
  F : {                              \
    XB;                              \
    ip += (XLEN);                    \
    goto Y;                          \
  }
#define WEFT_FUSE_HANDLER(F, X, XB, XLEN, Y) WEFT_FUSE(F, X, XB, XLEN, Y)
  WEFT_FUSE_PAIRS(WEFT_FUSE_HANDLER)
#undef WEFT_FUSE_HANDLER

trap_exit:
  // Backtrace: the running function, then its callers down to this call's entry frame.
  cs.store->backtrace.clear();
  for (Frame* f = cs.ftop; f-- > cs.entry;) {
    cs.store->backtrace.emplace_back(f->func->instance, f->func->func_index);
  }
  return cs.trap;

done:
  return TrapCode::kNone;
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
