// The function-body validator (spec section 3.3) as a template over a Sink, so one pass both
// checks a body and drives the interpreter's lowering (DESIGN.md decision 1). NoopSink (in
// code_validator.cc) gives the fast load-time check; interp/lower.cc supplies the lowering sink.
// Invariants: the Sink sees every instruction after its immediates are decoded and checked
// and before the operand stack is updated; structural callbacks (block/loop/if/else/end) are
// made even in unreachable code, every other callback only in reachable code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wasm/module.h"
#include "wasm/reader.h"
#include "weft/error.h"

namespace weft::wasm {

/// Every instruction, generated from opcodes.def.
enum class Op : uint16_t {
#define WEFT_OP(prefix, code, name, text, imm, sig) k##name,
#include "wasm/opcodes.def"
  kCount
};

enum class ImmKind : uint8_t {
  None, BlockType, Label, BrTable, Func, CallIndirect, Local, Global, Table,
  Mem0, Mem1, Mem2, Mem3, Mem4, MemIdx, I32, I64, F32, F64, V128, RefType, SelectT,
  MemInit, DataIdx, MemCopy, TableInit, ElemIdx, TableCopy,
  Lane16, Lane8, Lane4, Lane2, MemLane0, MemLane1, MemLane2, MemLane3, Shuffle,
};

/// Fixed typing of an instruction: up to 3 operands and at most one result (0 = none).
struct OpSig {
  bool special;
  uint8_t result;  ///< A ValType byte, or 0.
  uint8_t num_params;
  uint8_t params[3];
};

namespace sig {
constexpr uint8_t I = 0x7f, L = 0x7e, F = 0x7d, D = 0x7c, V = 0x7b;
inline constexpr OpSig Special{true, 0, 0, {}};
inline constexpr OpSig x_x{false, 0, 0, {}};
#define WEFT_SIG0(n, r) inline constexpr OpSig n{false, r, 0, {}};
#define WEFT_SIG1(n, r, a) inline constexpr OpSig n{false, r, 1, {a}};
#define WEFT_SIG2(n, r, a, b) inline constexpr OpSig n{false, r, 2, {a, b}};
#define WEFT_SIG3(n, r, a, b, c) inline constexpr OpSig n{false, r, 3, {a, b, c}};
WEFT_SIG0(I_x, I) WEFT_SIG0(L_x, L) WEFT_SIG0(F_x, F) WEFT_SIG0(D_x, D) WEFT_SIG0(V_x, V)
WEFT_SIG1(I_I, I, I) WEFT_SIG1(I_L, I, L) WEFT_SIG1(I_F, I, F) WEFT_SIG1(I_D, I, D) WEFT_SIG1(I_V, I, V)
WEFT_SIG1(L_I, L, I) WEFT_SIG1(L_L, L, L) WEFT_SIG1(L_F, L, F) WEFT_SIG1(L_D, L, D) WEFT_SIG1(L_V, L, V)
WEFT_SIG1(F_I, F, I) WEFT_SIG1(F_L, F, L) WEFT_SIG1(F_F, F, F) WEFT_SIG1(F_D, F, D) WEFT_SIG1(F_V, F, V)
WEFT_SIG1(D_I, D, I) WEFT_SIG1(D_L, D, L) WEFT_SIG1(D_F, D, F) WEFT_SIG1(D_D, D, D) WEFT_SIG1(D_V, D, V)
WEFT_SIG1(V_I, V, I) WEFT_SIG1(V_L, V, L) WEFT_SIG1(V_F, V, F) WEFT_SIG1(V_D, V, D) WEFT_SIG1(V_V, V, V)
WEFT_SIG2(I_II, I, I, I) WEFT_SIG2(I_LL, I, L, L) WEFT_SIG2(I_FF, I, F, F) WEFT_SIG2(I_DD, I, D, D)
WEFT_SIG2(L_LL, L, L, L) WEFT_SIG2(F_FF, F, F, F) WEFT_SIG2(D_DD, D, D, D)
WEFT_SIG2(V_VV, V, V, V) WEFT_SIG2(V_VI, V, V, I) WEFT_SIG2(V_VL, V, V, L) WEFT_SIG2(V_VF, V, V, F)
WEFT_SIG2(V_VD, V, V, D) WEFT_SIG2(V_IV, V, I, V)
WEFT_SIG2(x_II, 0, I, I) WEFT_SIG2(x_IL, 0, I, L) WEFT_SIG2(x_IF, 0, I, F) WEFT_SIG2(x_ID, 0, I, D)
WEFT_SIG2(x_IV, 0, I, V)
WEFT_SIG3(x_III, 0, I, I, I) WEFT_SIG3(V_VVV, V, V, V, V)
#undef WEFT_SIG0
#undef WEFT_SIG1
#undef WEFT_SIG2
#undef WEFT_SIG3
}  // namespace sig

struct OpInfo {
  const char* text;
  ImmKind imm;
  OpSig sig;
};

inline constexpr OpInfo kOpInfo[] = {
#define WEFT_OP(prefix, code, name, text, imm, s) {text, ImmKind::imm, sig::s},
#include "wasm/opcodes.def"
};

inline const OpInfo& GetOpInfo(Op op) { return kOpInfo[static_cast<size_t>(op)]; }

/// Opcode byte / sub-opcode -> Op, kCount when illegal.
struct OpTables {
  Op one[256];
  Op fc[32];
  Op fd[256];
  constexpr OpTables() : one(), fc(), fd() {
    for (auto& o : one) o = Op::kCount;
    for (auto& o : fc) o = Op::kCount;
    for (auto& o : fd) o = Op::kCount;
    uint16_t i = 0;
#define WEFT_OP(prefix, code, name, text, imm, s)      \
  if ((prefix) == 0) one[code] = static_cast<Op>(i);  \
  if ((prefix) == 0xfc) fc[code] = static_cast<Op>(i); \
  if ((prefix) == 0xfd) fd[code] = static_cast<Op>(i); \
  ++i;
#include "wasm/opcodes.def"
  }
};
inline constexpr OpTables kOpTables{};

/// Decoded immediates of the current instruction.
struct Imm {
  uint32_t index = 0;   ///< Label depth, function/local/global/table/type/segment index.
  uint32_t index2 = 0;  ///< call_indirect table, table.init table, table.copy source.
  uint32_t offset = 0;  ///< memarg offset.
  uint32_t align = 0;   ///< memarg alignment (log2).
  uint32_t lane = 0;
  uint64_t bits = 0;     ///< Constant bits (low half of v128).
  uint64_t bits_hi = 0;  ///< High half of v128.
  uint8_t shuffle[16] = {};
  ValType type = ValType::kI32;  ///< ref.null / typed select type.
};

/// A block type resolved to parameter and result type lists.
struct BlockSig {
  const ValType* params = nullptr;
  uint32_t num_params = 0;
  const ValType* results = nullptr;
  uint32_t num_results = 0;
};

/// Unknown ("bottom") operand type after an unconditional branch; never a binary type byte.
inline constexpr ValType kUnknownType = static_cast<ValType>(0);

enum class FrameKind : uint8_t { kFunc, kBlock, kLoop, kIf, kElse };

/// The fields of a control frame that sinks may read (spec "ctrl" entries).
struct CtrlFrame {
  FrameKind kind;
  bool unreachable;
  BlockSig sig;
  uint32_t height;  ///< Operand stack height at entry (after the params were popped).
  /// Types a branch to this label carries.
  const ValType* label_types() const { return kind == FrameKind::kLoop ? sig.params : sig.results; }
  uint32_t label_arity() const { return kind == FrameKind::kLoop ? sig.num_params : sig.num_results; }
};

/// A sink that does nothing: plain validation. Sinks implement the same member functions.
struct NoopSink {
  static constexpr bool kActive = false;
  void Begin(const std::vector<ValType>&, uint32_t) {}
  void Simple(Op, const OpSig&, const Imm&) {}
  void Block(FrameKind, const BlockSig&, bool /*reachable*/) {}
  void Else(bool /*was_reachable*/) {}
  void End(bool /*was_reachable*/, bool /*is_func*/) {}
  void Br(uint32_t) {}
  void BrIf(uint32_t) {}
  void BrTable(const std::vector<uint32_t>&, uint32_t) {}
  void Return() {}
  void Unreachable() {}
  void Call(uint32_t, const FuncType&) {}
  void CallIndirect(uint32_t, uint32_t, const FuncType&) {}
  void Drop(ValType) {}
  void Select(ValType) {}
  void LocalGet(uint32_t, ValType) {}
  void LocalSet(uint32_t, ValType) {}
  void LocalTee(uint32_t, ValType) {}
  void GlobalGet(uint32_t, ValType) {}
  void GlobalSet(uint32_t, ValType) {}
  void TableOp(Op, const Imm&) {}
  void RefNull(ValType) {}
  void RefIsNull() {}
  void RefFunc(uint32_t) {}
};

/// Implementation limit on locals per function (params included), beyond the spec's 2^32-1.
inline constexpr uint64_t kMaxLocals = 50000;

template <typename Sink>
class CodeValidator {
 public:
  CodeValidator(const Module& module, uint32_t func_index, Sink& sink)
      : m_(module), func_index_(func_index), sink_(sink) {}

  /// Validates the body; on success the sink has seen every instruction.
  Error Run();

  const std::vector<ValType>& locals() const { return locals_; }
  const std::vector<CtrlFrame>& ctrls() const { return ctrls_; }
  uint32_t stack_height() const { return static_cast<uint32_t>(vals_.size()); }
  ValType stack_type(uint32_t i) const { return vals_[i]; }

 private:
  Error Fail(const std::string& msg) {
    return Error::Make(ErrorCode::kInvalid, msg, instr_offset_, func_index_);
  }
  Error Malformed(const std::string& msg) {
    return Error::Make(ErrorCode::kMalformed, msg, instr_offset_, func_index_);
  }
  Error ReaderError() {
    Error e = r_.TakeError();
    return Error::Make(e.code(), e.message(), e.offset(), func_index_);
  }

  void Push(ValType t) { vals_.push_back(t); }
  // Pops one operand; `*out` gets its type (kUnknownType in unreachable code).
  bool PopAny(ValType* out) {
    const CtrlFrame& f = ctrls_.back();
    if (vals_.size() == f.height) {
      if (f.unreachable) {
        *out = kUnknownType;
        return true;
      }
      return false;
    }
    *out = vals_.back();
    vals_.pop_back();
    return true;
  }
  bool Pop(ValType expect) {
    ValType t;
    if (!PopAny(&t)) return false;
    return t == expect || t == kUnknownType || expect == kUnknownType;
  }
  bool PopVals(const ValType* types, uint32_t n) {
    for (uint32_t i = n; i-- > 0;) {
      if (!Pop(types[i])) return false;
    }
    return true;
  }
  void PushVals(const ValType* types, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) Push(types[i]);
  }
  // Checks that the top of the stack matches `types` without consuming it (br_if, br_table).
  bool CheckTop(const ValType* types, uint32_t n) {
    const CtrlFrame& f = ctrls_.back();
    size_t sz = vals_.size();
    for (uint32_t i = 0; i < n; ++i) {
      size_t pos = sz - 1 - i;  // Stack position of types[n-1-i].
      if (sz < i + 1 || pos < f.height) {
        if (f.unreachable) continue;
        return false;
      }
      ValType t = vals_[pos];
      ValType e = types[n - 1 - i];
      if (t != e && t != kUnknownType) return false;
    }
    return true;
  }
  void SetUnreachable() {
    vals_.resize(ctrls_.back().height);
    ctrls_.back().unreachable = true;
  }
  void PushCtrl(FrameKind kind, const BlockSig& s) {
    ctrls_.push_back(CtrlFrame{kind, false, s, static_cast<uint32_t>(vals_.size())});
    PushVals(s.params, s.num_params);
  }

  bool ReadBlockType(BlockSig* out);
  Error ReadMemArg(uint32_t natural_log2, Imm* imm);
  Error ReadLane(uint32_t count, Imm* imm);
  Error CheckTable(uint32_t index) {
    if (index >= m_.all_tables.size()) return Fail("unknown table " + std::to_string(index));
    return Error();
  }
  Error Instr(Op op, Imm& imm);

  const Module& m_;
  uint32_t func_index_;
  Sink& sink_;
  Reader r_;
  uint64_t instr_offset_ = 0;
  std::vector<ValType> locals_;
  std::vector<ValType> vals_;
  std::vector<CtrlFrame> ctrls_;
  std::vector<uint32_t> br_targets_;
  ValType single_[1] = {ValType::kI32};
};

inline bool IsValTypeByte(uint8_t b) {
  return b == 0x7f || b == 0x7e || b == 0x7d || b == 0x7c || b == 0x7b || b == 0x70 || b == 0x6f;
}

inline const ValType* SingleType(ValType t) {
  static constexpr ValType kAll[] = {ValType::kI32, ValType::kI64, ValType::kF32, ValType::kF64,
                                     ValType::kV128, ValType::kFuncRef, ValType::kExternRef};
  for (const ValType& v : kAll) {
    if (v == t) return &v;
  }
  return nullptr;
}

template <typename Sink>
bool CodeValidator<Sink>::ReadBlockType(BlockSig* out) {
  uint8_t b;
  if (!r_.PeekU8(&b)) return r_.Fail("unexpected end");
  *out = BlockSig{};
  if (b == 0x40) {
    r_.Skip(1);
    return true;
  }
  if (IsValTypeByte(b)) {
    r_.Skip(1);
    out->results = SingleType(static_cast<ValType>(b));
    out->num_results = 1;
    return true;
  }
  int64_t idx;
  if (!r_.ReadVarS33(&idx)) return false;
  if (idx < 0) return r_.Fail("malformed value type");
  if (static_cast<uint64_t>(idx) >= m_.types.size()) {
    out->num_params = ~0u;  // Marker: unknown type (reported by the caller as invalid).
    out->num_results = static_cast<uint32_t>(idx);
    return true;
  }
  const FuncType& ft = m_.types[static_cast<size_t>(idx)];
  out->params = ft.params.data();
  out->num_params = static_cast<uint32_t>(ft.params.size());
  out->results = ft.results.data();
  out->num_results = static_cast<uint32_t>(ft.results.size());
  return true;
}

template <typename Sink>
Error CodeValidator<Sink>::ReadMemArg(uint32_t natural_log2, Imm* imm) {
  if (!r_.ReadVarU32(&imm->align) || !r_.ReadVarU32(&imm->offset)) return ReaderError();
  if (m_.all_memories.empty()) return Fail("unknown memory 0");
  if (imm->align > natural_log2) return Fail("alignment must not be larger than natural");
  return Error();
}

template <typename Sink>
Error CodeValidator<Sink>::ReadLane(uint32_t count, Imm* imm) {
  uint8_t lane;
  if (!r_.ReadU8(&lane)) return ReaderError();
  if (lane >= count) return Fail("invalid lane index");
  imm->lane = lane;
  return Error();
}

template <typename Sink>
Error CodeValidator<Sink>::Run() {
  const FuncType& ft = m_.func_type(func_index_);
  std::span<const uint8_t> body = m_.body(func_index_);
  const Function& fn = m_.functions[func_index_ - m_.num_imported_funcs];
  r_ = Reader(body, fn.body_offset);
  instr_offset_ = fn.body_offset;

  // Locals: the spec bounds the total by 2^32-1 (malformed beyond); the engine by kMaxLocals.
  locals_.assign(ft.params.begin(), ft.params.end());
  uint32_t num_decls;
  if (!r_.ReadVarU32(&num_decls)) return ReaderError();
  uint64_t total = ft.params.size();
  struct Decl {
    uint32_t count;
    ValType type;
  };
  std::vector<Decl> decls;
  for (uint32_t i = 0; i < num_decls; ++i) {
    uint32_t count;
    uint8_t t;
    if (!r_.ReadVarU32(&count) || !r_.ReadU8(&t)) return ReaderError();
    if (!IsValTypeByte(t)) {
      instr_offset_ = r_.offset() - 1;
      return Malformed("malformed value type");
    }
    total += count;
    if (total > 0xffffffffu) return Malformed("too many locals");
    decls.push_back({count, static_cast<ValType>(t)});
  }
  if (total > kMaxLocals) return Fail("too many locals");
  for (const Decl& d : decls) locals_.insert(locals_.end(), d.count, d.type);

  sink_.Begin(locals_, static_cast<uint32_t>(ft.params.size()));
  BlockSig fsig{nullptr, 0, ft.results.data(), static_cast<uint32_t>(ft.results.size())};
  ctrls_.push_back(CtrlFrame{FrameKind::kFunc, false, fsig, 0});

  Imm imm;
  while (!ctrls_.empty()) {
    instr_offset_ = r_.offset();
    uint8_t b;
    if (!r_.ReadU8(&b)) return Malformed("unexpected end of section or function");
    Op op;
    if (b == 0xfc || b == 0xfd) {
      uint32_t sub;
      if (!r_.ReadVarU32(&sub)) return ReaderError();
      op = b == 0xfc ? (sub < 32 ? kOpTables.fc[sub] : Op::kCount)
                     : (sub < 256 ? kOpTables.fd[sub] : Op::kCount);
    } else {
      op = kOpTables.one[b];
    }
    if (op == Op::kCount) return Malformed("illegal opcode");
    WEFT_TRY(Instr(op, imm));
  }
  if (!r_.at_end()) {
    instr_offset_ = r_.offset();
    return Malformed("section size mismatch");
  }
  return Error();
}

template <typename Sink>
Error CodeValidator<Sink>::Instr(Op op, Imm& imm) {
  const OpInfo& info = GetOpInfo(op);
  const bool reachable = !ctrls_.back().unreachable;
  // Immediates.
  switch (info.imm) {
    case ImmKind::None:
      break;
    case ImmKind::BlockType:
      break;  // Read below, with the control instructions.
    case ImmKind::Label:
    case ImmKind::Func:
    case ImmKind::Local:
    case ImmKind::Global:
    case ImmKind::Table:
    case ImmKind::DataIdx:
    case ImmKind::ElemIdx:
      if (!r_.ReadVarU32(&imm.index)) return ReaderError();
      break;
    case ImmKind::BrTable:
      break;
    case ImmKind::CallIndirect:
      if (!r_.ReadVarU32(&imm.index) || !r_.ReadVarU32(&imm.index2)) return ReaderError();
      break;
    case ImmKind::Mem0:
    case ImmKind::Mem1:
    case ImmKind::Mem2:
    case ImmKind::Mem3:
    case ImmKind::Mem4:
      WEFT_TRY(ReadMemArg(static_cast<uint32_t>(info.imm) - static_cast<uint32_t>(ImmKind::Mem0),
                          &imm));
      break;
    case ImmKind::MemIdx: {
      uint8_t z;
      if (!r_.ReadU8(&z)) return ReaderError();
      if (z != 0) return Malformed("zero byte expected");
      if (m_.all_memories.empty()) return Fail("unknown memory 0");
      break;
    }
    case ImmKind::I32: {
      int32_t v;
      if (!r_.ReadVarS32(&v)) return ReaderError();
      imm.bits = static_cast<uint32_t>(v);
      break;
    }
    case ImmKind::I64: {
      int64_t v;
      if (!r_.ReadVarS64(&v)) return ReaderError();
      imm.bits = static_cast<uint64_t>(v);
      break;
    }
    case ImmKind::F32: {
      uint32_t v;
      if (!r_.ReadF32Bits(&v)) return ReaderError();
      imm.bits = v;
      break;
    }
    case ImmKind::F64:
      if (!r_.ReadF64Bits(&imm.bits)) return ReaderError();
      break;
    case ImmKind::V128:
      if (!r_.ReadV128(&imm.bits, &imm.bits_hi)) return ReaderError();
      break;
    case ImmKind::RefType: {
      uint8_t t;
      if (!r_.ReadU8(&t)) return ReaderError();
      if (t != 0x70 && t != 0x6f) return Malformed("malformed reference type");
      imm.type = static_cast<ValType>(t);
      break;
    }
    case ImmKind::SelectT: {
      uint32_t n;
      if (!r_.ReadVarU32(&n)) return ReaderError();
      if (n != 1) {
        // Read the types anyway so malformed ones are reported as such.
        for (uint32_t i = 0; i < n && i < 16; ++i) {
          uint8_t t;
          if (!r_.ReadU8(&t)) return ReaderError();
          if (!IsValTypeByte(t)) return Malformed("malformed value type");
        }
        return Fail("invalid result arity");
      }
      uint8_t t;
      if (!r_.ReadU8(&t)) return ReaderError();
      if (!IsValTypeByte(t)) return Malformed("malformed value type");
      imm.type = static_cast<ValType>(t);
      break;
    }
    case ImmKind::MemInit: {
      if (!r_.ReadVarU32(&imm.index)) return ReaderError();
      uint8_t z;
      if (!r_.ReadU8(&z)) return ReaderError();
      if (z != 0) return Malformed("zero byte expected");
      break;
    }
    case ImmKind::MemCopy: {
      uint8_t z1, z2;
      if (!r_.ReadU8(&z1) || !r_.ReadU8(&z2)) return ReaderError();
      if (z1 != 0 || z2 != 0) return Malformed("zero byte expected");
      if (m_.all_memories.empty()) return Fail("unknown memory 0");
      break;
    }
    case ImmKind::TableInit:
    case ImmKind::TableCopy:
      if (!r_.ReadVarU32(&imm.index) || !r_.ReadVarU32(&imm.index2)) return ReaderError();
      break;
    case ImmKind::Lane16:
      WEFT_TRY(ReadLane(16, &imm));
      break;
    case ImmKind::Lane8:
      WEFT_TRY(ReadLane(8, &imm));
      break;
    case ImmKind::Lane4:
      WEFT_TRY(ReadLane(4, &imm));
      break;
    case ImmKind::Lane2:
      WEFT_TRY(ReadLane(2, &imm));
      break;
    case ImmKind::MemLane0:
    case ImmKind::MemLane1:
    case ImmKind::MemLane2:
    case ImmKind::MemLane3: {
      uint32_t n = static_cast<uint32_t>(info.imm) - static_cast<uint32_t>(ImmKind::MemLane0);
      WEFT_TRY(ReadMemArg(n, &imm));
      WEFT_TRY(ReadLane(16u >> n, &imm));
      break;
    }
    case ImmKind::Shuffle:
      for (int i = 0; i < 16; ++i) {
        if (!r_.ReadU8(&imm.shuffle[i])) return ReaderError();
      }
      for (int i = 0; i < 16; ++i) {
        if (imm.shuffle[i] >= 32) return Fail("invalid lane index");
      }
      break;
  }

  if (!info.sig.special) {
    // Index checks for the few fixed-signature instructions with index immediates.
    if (op == Op::kMemoryInit || op == Op::kDataDrop) {
      if (op == Op::kMemoryInit && m_.all_memories.empty()) return Fail("unknown memory 0");
      // Without a DataCount section there is nothing to index unless data segments exist, in
      // which case the binary is malformed (the text format never omits it for such uses).
      if (!m_.data_count && !m_.datas.empty()) return Malformed("data count section required");
      uint32_t count = m_.data_count ? *m_.data_count : 0;
      if (imm.index >= count) return Fail("unknown data segment " + std::to_string(imm.index));
    } else if (op == Op::kElemDrop) {
      if (imm.index >= m_.elems.size()) return Fail("unknown elem segment " + std::to_string(imm.index));
    }
    const OpSig& s = info.sig;
    if (reachable) sink_.Simple(op, s, imm);
    for (uint32_t i = s.num_params; i-- > 0;) {
      if (!Pop(static_cast<ValType>(s.params[i]))) return Fail("type mismatch");
    }
    if (s.result) Push(static_cast<ValType>(s.result));
    return Error();
  }

  switch (op) {
    case Op::kUnreachable:
      if (reachable) sink_.Unreachable();
      SetUnreachable();
      return Error();
    case Op::kNop:
      return Error();
    case Op::kBlock:
    case Op::kLoop:
    case Op::kIf: {
      BlockSig bs;
      if (!ReadBlockType(&bs)) return ReaderError();
      if (bs.num_params == ~0u) return Fail("unknown type " + std::to_string(bs.num_results));
      if (op == Op::kIf && !Pop(ValType::kI32)) return Fail("type mismatch");
      if (!PopVals(bs.params, bs.num_params)) return Fail("type mismatch");
      FrameKind kind = op == Op::kBlock ? FrameKind::kBlock
                       : op == Op::kLoop ? FrameKind::kLoop
                                         : FrameKind::kIf;
      sink_.Block(kind, bs, reachable);
      PushCtrl(kind, bs);
      return Error();
    }
    case Op::kElse: {
      CtrlFrame& f = ctrls_.back();
      if (f.kind != FrameKind::kIf) return Fail("else without if");
      if (!PopVals(f.sig.results, f.sig.num_results) || vals_.size() != f.height) {
        return Fail("type mismatch");
      }
      sink_.Else(!f.unreachable);
      f.kind = FrameKind::kElse;
      f.unreachable = false;
      PushVals(f.sig.params, f.sig.num_params);
      return Error();
    }
    case Op::kEnd: {
      CtrlFrame f = ctrls_.back();
      if (!PopVals(f.sig.results, f.sig.num_results) || vals_.size() != f.height) {
        return Fail("type mismatch");
      }
      // An `if` without `else` behaves as if the else branch passed its params through.
      if (f.kind == FrameKind::kIf) {
        bool same = f.sig.num_params == f.sig.num_results;
        for (uint32_t i = 0; same && i < f.sig.num_params; ++i) {
          same = f.sig.params[i] == f.sig.results[i];
        }
        if (!same) return Fail("type mismatch");
      }
      sink_.End(!f.unreachable, f.kind == FrameKind::kFunc);
      ctrls_.pop_back();
      PushVals(f.sig.results, f.sig.num_results);
      return Error();
    }
    case Op::kBr: {
      if (imm.index >= ctrls_.size()) return Fail("unknown label " + std::to_string(imm.index));
      const CtrlFrame& t = ctrls_[ctrls_.size() - 1 - imm.index];
      if (!PopVals(t.label_types(), t.label_arity())) return Fail("type mismatch");
      if (reachable) sink_.Br(imm.index);
      SetUnreachable();
      return Error();
    }
    case Op::kBrIf: {
      if (imm.index >= ctrls_.size()) return Fail("unknown label " + std::to_string(imm.index));
      if (!Pop(ValType::kI32)) return Fail("type mismatch");
      const CtrlFrame& t = ctrls_[ctrls_.size() - 1 - imm.index];
      // Pop then push back the label types (so unknown operands become typed).
      if (!PopVals(t.label_types(), t.label_arity())) return Fail("type mismatch");
      PushVals(t.label_types(), t.label_arity());
      if (reachable) sink_.BrIf(imm.index);
      return Error();
    }
    case Op::kBrTable: {
      uint32_t n;
      if (!r_.ReadVarU32(&n)) return ReaderError();
      if (n > r_.remaining()) return Malformed("unexpected end");
      br_targets_.resize(n);
      for (uint32_t i = 0; i < n; ++i) {
        if (!r_.ReadVarU32(&br_targets_[i])) return ReaderError();
      }
      uint32_t def;
      if (!r_.ReadVarU32(&def)) return ReaderError();
      if (!Pop(ValType::kI32)) return Fail("type mismatch");
      if (def >= ctrls_.size()) return Fail("unknown label " + std::to_string(def));
      const CtrlFrame& d = ctrls_[ctrls_.size() - 1 - def];
      uint32_t arity = d.label_arity();
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t l = br_targets_[i];
        if (l >= ctrls_.size()) return Fail("unknown label " + std::to_string(l));
        const CtrlFrame& t = ctrls_[ctrls_.size() - 1 - l];
        if (t.label_arity() != arity) return Fail("type mismatch");
        if (!CheckTop(t.label_types(), arity)) return Fail("type mismatch");
      }
      if (!PopVals(d.label_types(), arity)) return Fail("type mismatch");
      if (reachable) sink_.BrTable(br_targets_, def);
      SetUnreachable();
      return Error();
    }
    case Op::kReturn: {
      const CtrlFrame& f = ctrls_.front();
      if (!PopVals(f.sig.results, f.sig.num_results)) return Fail("type mismatch");
      if (reachable) sink_.Return();
      SetUnreachable();
      return Error();
    }
    case Op::kCall: {
      if (imm.index >= m_.num_funcs()) return Fail("unknown function " + std::to_string(imm.index));
      const FuncType& t = m_.func_type(imm.index);
      if (!PopVals(t.params.data(), static_cast<uint32_t>(t.params.size()))) {
        return Fail("type mismatch");
      }
      if (reachable) sink_.Call(imm.index, t);
      PushVals(t.results.data(), static_cast<uint32_t>(t.results.size()));
      return Error();
    }
    case Op::kCallIndirect: {
      WEFT_TRY(CheckTable(imm.index2));
      if (m_.all_tables[imm.index2].elem != ValType::kFuncRef) return Fail("type mismatch");
      if (imm.index >= m_.types.size()) return Fail("unknown type " + std::to_string(imm.index));
      const FuncType& t = m_.types[imm.index];
      if (!Pop(ValType::kI32)) return Fail("type mismatch");
      if (!PopVals(t.params.data(), static_cast<uint32_t>(t.params.size()))) {
        return Fail("type mismatch");
      }
      if (reachable) sink_.CallIndirect(imm.index, imm.index2, t);
      PushVals(t.results.data(), static_cast<uint32_t>(t.results.size()));
      return Error();
    }
    case Op::kDrop: {
      ValType t;
      if (!PopAny(&t)) return Fail("type mismatch");
      if (reachable) sink_.Drop(t);
      return Error();
    }
    case Op::kSelect: {
      if (!Pop(ValType::kI32)) return Fail("type mismatch");
      ValType t1, t2;
      if (!PopAny(&t1) || !PopAny(&t2)) return Fail("type mismatch");
      if (IsRefType(t1) || IsRefType(t2)) return Fail("type mismatch");
      if (t1 != t2 && t1 != kUnknownType && t2 != kUnknownType) return Fail("type mismatch");
      ValType t = t1 == kUnknownType ? t2 : t1;
      if (reachable) sink_.Select(t);
      Push(t);
      return Error();
    }
    case Op::kSelectT: {
      if (!Pop(ValType::kI32) || !Pop(imm.type) || !Pop(imm.type)) return Fail("type mismatch");
      if (reachable) sink_.Select(imm.type);
      Push(imm.type);
      return Error();
    }
    case Op::kLocalGet:
    case Op::kLocalSet:
    case Op::kLocalTee: {
      if (imm.index >= locals_.size()) return Fail("unknown local " + std::to_string(imm.index));
      ValType t = locals_[imm.index];
      if (op == Op::kLocalGet) {
        if (reachable) sink_.LocalGet(imm.index, t);
        Push(t);
      } else {
        if (!Pop(t)) return Fail("type mismatch");
        if (op == Op::kLocalSet) {
          if (reachable) sink_.LocalSet(imm.index, t);
        } else {
          if (reachable) sink_.LocalTee(imm.index, t);
          Push(t);
        }
      }
      return Error();
    }
    case Op::kGlobalGet:
    case Op::kGlobalSet: {
      if (imm.index >= m_.all_globals.size()) {
        return Fail("unknown global " + std::to_string(imm.index));
      }
      const GlobalType& g = m_.all_globals[imm.index];
      if (op == Op::kGlobalGet) {
        if (reachable) sink_.GlobalGet(imm.index, g.type);
        Push(g.type);
      } else {
        if (!g.mut) return Fail("global is immutable");
        if (!Pop(g.type)) return Fail("type mismatch");
        if (reachable) sink_.GlobalSet(imm.index, g.type);
      }
      return Error();
    }
    case Op::kTableGet:
    case Op::kTableSet:
    case Op::kTableSize:
    case Op::kTableGrow:
    case Op::kTableFill: {
      WEFT_TRY(CheckTable(imm.index));
      ValType et = m_.all_tables[imm.index].elem;
      bool ok = true;
      if (op == Op::kTableGet) {
        ok = Pop(ValType::kI32);
      } else if (op == Op::kTableSet) {
        ok = Pop(et) && Pop(ValType::kI32);
      } else if (op == Op::kTableGrow) {
        ok = Pop(ValType::kI32) && Pop(et);
      } else if (op == Op::kTableFill) {
        ok = Pop(ValType::kI32) && Pop(et) && Pop(ValType::kI32);
      }
      if (!ok) return Fail("type mismatch");
      if (reachable) sink_.TableOp(op, imm);
      if (op == Op::kTableGet) Push(et);
      if (op == Op::kTableSize || op == Op::kTableGrow) Push(ValType::kI32);
      return Error();
    }
    case Op::kTableInit: {
      // Binary order: elemidx then tableidx.
      WEFT_TRY(CheckTable(imm.index2));
      if (imm.index >= m_.elems.size()) {
        return Fail("unknown elem segment " + std::to_string(imm.index));
      }
      if (m_.elems[imm.index].type != m_.all_tables[imm.index2].elem) return Fail("type mismatch");
      if (!Pop(ValType::kI32) || !Pop(ValType::kI32) || !Pop(ValType::kI32)) {
        return Fail("type mismatch");
      }
      if (reachable) sink_.TableOp(op, imm);
      return Error();
    }
    case Op::kTableCopy: {
      WEFT_TRY(CheckTable(imm.index));
      WEFT_TRY(CheckTable(imm.index2));
      if (m_.all_tables[imm.index].elem != m_.all_tables[imm.index2].elem) {
        return Fail("type mismatch");
      }
      if (!Pop(ValType::kI32) || !Pop(ValType::kI32) || !Pop(ValType::kI32)) {
        return Fail("type mismatch");
      }
      if (reachable) sink_.TableOp(op, imm);
      return Error();
    }
    case Op::kRefNull:
      if (reachable) sink_.RefNull(imm.type);
      Push(imm.type);
      return Error();
    case Op::kRefIsNull: {
      ValType t;
      if (!PopAny(&t)) return Fail("type mismatch");
      if (t != kUnknownType && !IsRefType(t)) return Fail("type mismatch");
      if (reachable) sink_.RefIsNull();
      Push(ValType::kI32);
      return Error();
    }
    case Op::kRefFunc:
      if (imm.index >= m_.num_funcs()) return Fail("unknown function " + std::to_string(imm.index));
      if (imm.index >= m_.declared_funcs.size() || !m_.declared_funcs[imm.index]) {
        return Fail("undeclared function reference");
      }
      if (reachable) sink_.RefFunc(imm.index);
      Push(ValType::kFuncRef);
      return Error();
    default:
      return Malformed("illegal opcode");
  }
}

}  // namespace weft::wasm
