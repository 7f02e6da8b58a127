// Lowering: the body validator (wasm/code_validator_impl.h) drives this sink, which turns one
// function into the register-style internal code of code.h in the same pass.
// Invariants: the operand stack entry at height h (in slots) lives in frame slot
// first_stack_slot + h ("home") unless it is a deferred local.get, whose value is still in the
// local's slot; deferred entries are materialised before anything can change the local or
// before control flow merges (block entry, branches, end), so every label sees values in homes.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <algorithm>

#include <unordered_map>

#include "interp/code.h"
#include "interp/interp.h"
#include "wasm/code_validator_impl.h"

namespace weft::interp {
namespace {

using wasm::BlockSig;
using wasm::FrameKind;
using wasm::Imm;
using wasm::Op;
using wasm::OpSig;
using wasm::ValType;

constexpr uint32_t kNone = ~0u;
constexpr uint32_t kConstTag = 0x80000000u;  // Slot operand naming constant k (before Finish).
constexpr uint32_t kAbsTag = 0x40000000u;    // Absolute slot operand (never relocated).
constexpr size_t kMaxConsts = 64;

class Lowerer {
 public:


  Lowerer(const runtime::CompiledModule& cm, runtime::CompiledFunc* out)
      : cm_(cm), out_(out), handlers_(HandlerTable()), variants_(VariantTable()) {}

  void Begin(const std::vector<ValType>& locals, uint32_t num_params) {
    local_slot_.resize(locals.size());
    uint32_t s = 0;
    for (size_t i = 0; i < locals.size(); ++i) {
      local_slot_[i] = s;
      local_n_.push_back(static_cast<uint8_t>(runtime::SlotCount(locals[i])));
      s += runtime::SlotCount(locals[i]);
      if (i + 1 == num_params) out_->param_slots = s;
    }
    if (num_params == 0) out_->param_slots = 0;
    out_->local_slots = s - out_->param_slots;
    first_stack_slot_ = s;
    max_slot_ = s;
    const wasm::FuncType& ft = cm_.module.func_type(out_->func_index);
    out_->result_slots = runtime::SlotCount(ft.results);
    if (max_slot_ < out_->result_slots) max_slot_ = out_->result_slots;
    // The function frame: its label is the function end (branches to it return).
    BlockSig fs{nullptr, 0, ft.results.data(), static_cast<uint32_t>(ft.results.size())};
    ctrls_.push_back(LFrame{FrameKind::kFunc, true, fs, 0, first_stack_slot_, kNone, kNone, {}});
    EmitChecks();
  }

  void Finish() {
    // Constants go between the locals and the operand stack: shift stack slots up past them.
    uint32_t nconsts = static_cast<uint32_t>(consts_.size());
    for (uint32_t w : slot_words_) {
      uint32_t x = code()[w];
      if (x & kAbsTag) {
        code()[w] = x & ~kAbsTag;
      } else if (x & kConstTag) {
        code()[w] = first_stack_slot_ + (x & ~kConstTag);
      } else if (x >= first_stack_slot_) {
        code()[w] = x + nconsts;
      }
    }
    out_->const_base = first_stack_slot_;
    out_->consts = std::move(consts_);
    out_->frame_slots = max_slot_ + nconsts + 2;  // Slack for v128 temporaries.
    uint32_t init_slots = out_->local_slots + nconsts;
    if (init_slots <= runtime::CompiledFunc::kMaxInitImage) {
      // Never empty for a small frame: an empty image marks the general (slow) call path.
      uint32_t padded = std::max<uint32_t>(4, (init_slots + 3) & ~3u);
      out_->init.assign(padded, 0);
      std::copy(out_->consts.begin(), out_->consts.end(), out_->init.begin() + out_->local_slots);
      if (out_->frame_slots < out_->param_slots + padded) out_->frame_slots = out_->param_slots + padded;
    }
    FusePairs();
    ResolveTableHandlers();
    if (dump_) Dump();
  }

  // Replaces the handler of each instruction that falls through to one it can be fused with
  // (code.h FusedPair), from the last instruction backwards. The successor is looked up first
  // by its final (possibly fused) handler, so a table entry whose `second` is itself a fused
  // handler chains three or more instructions with direct jumps; otherwise by its own handler,
  // where the fused handler then jumps (a chain X Y Z gets X fused with Y and Y with Z
  // independently, with a dispatch at Y's handler).
  void FusePairs() {
    const auto& table = FusionIndex();
    if (table.empty() || starts_.size() < 2) return;
    const void* next;
    std::memcpy(&next, &code()[starts_.back().first], sizeof next);
    const void* next_final = next;
    for (size_t i = starts_.size() - 1; i-- > 0;) {
      const void* h;
      uint32_t pos = starts_[i].first;
      std::memcpy(&h, &code()[pos], sizeof h);
      auto it = table.find(PairKey{h, next_final});
      if (it == table.end() && next_final != next) it = table.find(PairKey{h, next});
      const void* final_h = h;
      if (it != table.end()) {
        std::memcpy(&code()[pos], &it->second, sizeof it->second);
        final_h = it->second;
      }
      next = h;
      next_final = final_h;
    }
  }
  // Copies each br_table target's final handler (after fusion) into the table's handler
  // column, which the jump-table handlers dispatch through (exec_handlers.inc).
  void ResolveTableHandlers() {
    for (const auto& [pos, op] : starts_) {
      if (op != IOp::kJumpTable && op != IOp::kJumpTableAcc) continue;
      uint32_t n = code()[pos + 3];
      for (uint32_t i = 0; i <= n; ++i) {
        uint32_t target = pos + code()[pos + 4 + i];
        std::memcpy(&code()[pos + 5 + n + 2 * i], &code()[target], sizeof(const void*));
      }
    }
  }
  struct PairKey {
    const void* a;
    const void* b;
    bool operator==(const PairKey&) const = default;
  };
  struct PairHash {
    size_t operator()(const PairKey& k) const {
      return std::hash<const void*>()(k.a) * 31 + std::hash<const void*>()(k.b);
    }
  };
  static const std::unordered_map<PairKey, const void*, PairHash>& FusionIndex() {
    static const std::unordered_map<PairKey, const void*, PairHash> index = [] {
      std::unordered_map<PairKey, const void*, PairHash> m;
      for (const FusedPair& f : FusedPairs()) m.emplace(PairKey{f.first, f.second}, f.fused);
      return m;
    }();
    return index;
  }

  // Debug listing (WEFT_DUMP_CODE=1): one line per instruction, operand words in decimal;
  // "+next" marks a handler fused with the next instruction's.
  void Dump() const {
    static const char* const kExtra[] = {
#define WEFT_IOP_NAME(n) #n,
        WEFT_IOPS(WEFT_IOP_NAME)
#undef WEFT_IOP_NAME
    };
    std::fprintf(stderr, "func %u: params %u locals %u frame %u\n", out_->func_index,
                 out_->param_slots, out_->local_slots, out_->frame_slots);
    for (size_t i = 0; i < starts_.size(); ++i) {
      uint32_t pos = starts_[i].first;
      uint32_t end = i + 1 < starts_.size() ? starts_[i + 1].first : Pos();
      IOp op = starts_[i].second;
      const char* name = op < IOp::kOpCount
                             ? wasm::GetOpInfo(static_cast<Op>(op)).text
                             : kExtra[static_cast<size_t>(op) - static_cast<size_t>(IOp::kOpCount) - 1];
      const void* h;
      std::memcpy(&h, &code()[pos], sizeof h);
      bool fused = false;
      for (const FusedPair& f : FusedPairs()) fused = fused || f.fused == h;
      std::fprintf(stderr, "  %5u %-22s%s", pos, name, fused ? " +next" : "");
      for (uint32_t w = pos + 2; w < end; ++w) std::fprintf(stderr, " %d", static_cast<int32_t>(code()[w]));
      std::fprintf(stderr, "\n");
    }
  }

  // --- Instructions with fixed signatures ---------------------------------------------------
  void Simple(Op op, const OpSig& sig, const Imm& imm) {
    switch (op) {
      case Op::kI32Const:
      case Op::kF32Const:
      case Op::kI64Const:
      case Op::kF64Const: {
        if (PushConst(imm.bits)) return;
        uint32_t d = PushResult(1);
        Emit(IOp::kConst64);
        MarkDst(d);
        Word(static_cast<uint32_t>(imm.bits));
        Word(static_cast<uint32_t>(imm.bits >> 32));
        return;
      }
      case Op::kV128Const: {
        if (PushConst2(imm.bits, imm.bits_hi)) return;
        uint32_t d = PushResult(2);
        Emit(static_cast<IOp>(op));
        MarkDst(d);
        Word(static_cast<uint32_t>(imm.bits));
        Word(static_cast<uint32_t>(imm.bits >> 32));
        Word(static_cast<uint32_t>(imm.bits_hi));
        Word(static_cast<uint32_t>(imm.bits_hi >> 32));
        return;
      }
      case Op::kMemorySize: {
        uint32_t d = PushResult(1);
        Emit(IOp::kMemorySizeOp);
        MarkDst(d);
        return;
      }
      case Op::kMemoryGrow: {
        uint32_t a = Pop();
        uint32_t d = PushResult(1);
        Emit(IOp::kMemoryGrowOp);
        MarkDst(d);
        Slot(a);
        return;
      }
      case Op::kMemoryFill:
      case Op::kMemoryCopy:
      case Op::kMemoryInit: {
        uint32_t n = Pop(), s = Pop(), d = Pop();
        Emit(op == Op::kMemoryFill   ? IOp::kMemoryFillOp
             : op == Op::kMemoryCopy ? IOp::kMemoryCopyOp
                                     : IOp::kMemoryInitOp);
        Slot(d);
        Slot(s);
        Slot(n);
        if (op == Op::kMemoryInit) Word(imm.index);
        return;
      }
      case Op::kDataDrop:
        Emit(IOp::kDataDropOp);
        Word(imm.index);
        return;
      case Op::kElemDrop:
        Emit(IOp::kElemDropOp);
        Word(imm.index);
        return;
      default:
        break;
    }
    uint32_t src[3] = {0, 0, 0};
    Entry ent[3] = {};
    for (uint32_t i = sig.num_params; i-- > 0;) {
      ent[i] = PopEntry();
      src[i] = ent[i].src;
    }
    // An operand the previous instruction just produced travels in the accumulator.
    int variant = 0;
    for (uint32_t i = 0; i < sig.num_params && i < 2; ++i) {
      if (variants_[static_cast<size_t>(op)][i + 1] && ProducedByLast(ent[i]) && CanRedirectLast()) {
        RedirectLastToAcc();
        variant = static_cast<int>(i) + 1;
        break;
      }
    }
    // An address computed by an i32.add of two slots just before: the add's handler becomes
    // the access's add-then-access entry, which skips one dispatch.
    uint32_t add_pos = kNone;
    if (variant == 1 && last_iop_ == IOp::kI32Add && last_variant_ == 3 &&
        variants_[static_cast<size_t>(op)][6] != nullptr)
      add_pos = last_op_;
    uint32_t d = kNone;
    if (sig.result) d = PushResult(runtime::SlotCount(static_cast<ValType>(sig.result)));
    Emit(static_cast<IOp>(op), variant);
    if (add_pos != kNone) {
      const void* h = variants_[static_cast<size_t>(op)][6];
      std::memcpy(&code()[add_pos], &h, sizeof h);
      fused_add_ = add_pos;
    }
    if (sig.result) MarkDst(d);
    for (uint32_t i = 0; i < sig.num_params; ++i) Slot(src[i]);
    const wasm::OpInfo& info = wasm::GetOpInfo(op);
    switch (info.imm) {
      case wasm::ImmKind::Mem0:
      case wasm::ImmKind::Mem1:
      case wasm::ImmKind::Mem2:
      case wasm::ImmKind::Mem3:
      case wasm::ImmKind::Mem4:
        Word(imm.offset);
        break;
      case wasm::ImmKind::MemLane0:
      case wasm::ImmKind::MemLane1:
      case wasm::ImmKind::MemLane2:
      case wasm::ImmKind::MemLane3:
        Word(imm.offset);
        Word(imm.lane);
        break;
      case wasm::ImmKind::Lane16:
      case wasm::ImmKind::Lane8:
      case wasm::ImmKind::Lane4:
      case wasm::ImmKind::Lane2:
        Word(imm.lane);
        break;
      case wasm::ImmKind::Shuffle:
        for (int i = 0; i < 4; ++i) {
          uint32_t w;
          std::memcpy(&w, imm.shuffle + 4 * i, 4);
          Word(w);
        }
        break;
      default:
        break;
    }
  }

  // --- Control ------------------------------------------------------------------------------
  void Block(FrameKind kind, const BlockSig& bs, bool reachable) {
    if (!reachable) {
      ctrls_.push_back(LFrame{kind, false, bs, 0, 0, kNone, kNone, {}});
      return;
    }
    Entry cond{};
    if (kind == FrameKind::kIf) cond = PopEntry();
    MaterializeLocals();
    MaterializeTop(bs.num_params);
    uint32_t base_entries = static_cast<uint32_t>(vstack_.size()) - bs.num_params;
    uint32_t base_slot = base_entries == 0 ? first_stack_slot_
                                           : vstack_[base_entries - 1].home +
                                                 vstack_[base_entries - 1].n;
    LFrame f{kind, true, bs, base_entries, base_slot, kNone, kNone, {}};
    if (kind == FrameKind::kLoop) {
      BindLabel();
      f.loop_start = Pos();
      EmitChecks();
    } else if (kind == FrameKind::kIf) {
      f.else_fixup = EmitCondJump(false, cond);
    }
    ctrls_.push_back(std::move(f));
  }

  void Else(bool was_reachable) {
    LFrame& f = ctrls_.back();
    if (!f.live) return;
    if (was_reachable) {
      MaterializeTop(f.sig.num_results);
      f.fixups.push_back(EmitBranch(IOp::kJump, kNone));
    }
    BindLabel();
    Patch(f.else_fixup, Pos());
    f.else_fixup = kNone;
    ResetStack(f, f.sig.params, f.sig.num_params);
  }

  void End(bool was_reachable, bool is_func) {
    LFrame f = std::move(ctrls_.back());
    ctrls_.pop_back();
    if (!f.live) return;
    if (is_func) {
      if (was_reachable) EmitReturn(f.sig.num_results);
      return;
    }
    if (was_reachable) MaterializeTop(f.sig.num_results);
    BindLabel();
    uint32_t here = Pos();
    for (uint32_t fx : f.fixups) Patch(fx, here);
    if (f.else_fixup != kNone) Patch(f.else_fixup, here);
    ResetStack(f, f.sig.results, f.sig.num_results);
  }

  void Br(uint32_t depth) { BranchTo(depth); }

  void BrIf(uint32_t depth) {
    Entry cond = PopEntry();
    LFrame& t = Target(depth);
    if (t.kind != FrameKind::kFunc && ValuesInPlace(t, LabelArity(t))) {
      uint32_t w = EmitCondJump(true, cond);
      AddFixupAt(t, w, code()[w]);
      return;
    }
    uint32_t skip = EmitCondJump(false, cond);
    BranchTo(depth);
    BindLabel();
    Patch(skip, Pos());
  }

  void BrTable(const std::vector<uint32_t>& targets, uint32_t def) {
    Entry ie = PopEntry();
    uint32_t idx = ie.src;
    bool acc = ProducedByLast(ie) && CanRedirectLast();
    if (acc) RedirectLastToAcc();
    uint32_t start = Pos();
    Emit(acc ? IOp::kJumpTableAcc : IOp::kJumpTable);
    Slot(idx);
    Word(static_cast<uint32_t>(targets.size()));
    uint32_t table = Pos();
    for (size_t i = 0; i <= targets.size(); ++i) Word(0);
    // The targets' handlers, filled in once all code is final (ResolveTableHandlers).
    for (size_t i = 0; i <= targets.size(); ++i) {
      Word(0);
      Word(0);
    }
    for (size_t i = 0; i <= targets.size(); ++i) {
      uint32_t depth = i < targets.size() ? targets[i] : def;
      LFrame& t = Target(depth);
      uint32_t entry = table + static_cast<uint32_t>(i);
      if (t.kind != FrameKind::kFunc && ValuesInPlace(t, LabelArity(t))) {
        AddFixupAt(t, entry, start);
      } else {
        // A stub that moves the values, then jumps.
        SetRel(entry, start, Pos());
        BranchTo(depth);
      }
    }
  }

  void Return() { EmitReturn(ctrls_.front().sig.num_results); }

  void Unreachable() { Emit(IOp::kTrap); }

  void Call(uint32_t func_index, const wasm::FuncType& ft) {
    uint32_t arg = ArgsBase(static_cast<uint32_t>(ft.params.size()));
    Emit(IOp::kCallOp);
    Word(func_index);
    Slot(arg);
    // For a function defined in this module, the address of its lowered-code slot in the
    // module (stable for the module's lifetime; 0 for an import): the call handler finds the
    // callee's code with one load instead of a chain through the instance.
    uintptr_t code_slot = 0;
    if (func_index >= cm_.module.num_imported_funcs) {
      code_slot = reinterpret_cast<uintptr_t>(&cm_.code[func_index - cm_.module.num_imported_funcs]);
    }
    Word(static_cast<uint32_t>(code_slot));
    Word(static_cast<uint32_t>(static_cast<uint64_t>(code_slot) >> 32));
    PushCallResults(arg, ft);
  }

  void CallIndirect(uint32_t type_index, uint32_t table, const wasm::FuncType& ft) {
    uint32_t index = Pop();
    // The index may live where the callee frame starts: keep it in a slot above the args.
    uint32_t arg = ArgsBase(static_cast<uint32_t>(ft.params.size()));
    Emit(IOp::kCallIndirectOp);
    Word(cm_.type_ids[type_index]);
    Word(table);
    Slot(arg);
    Slot(index);
    PushCallResults(arg, ft);
  }

  void Drop(ValType) { vstack_.pop_back(); }

  void Select(ValType t) {
    Entry ce = PopEntry();
    uint32_t c = ce.src, b = Pop(), a = Pop();
    uint32_t n = runtime::SlotCount(t);
    bool acc = n == 1 && ProducedByLast(ce) && CanRedirectLast();
    if (acc) RedirectLastToAcc();
    uint32_t d = PushResult(n);
    Emit(n == 2 ? IOp::kSelect2 : acc ? IOp::kSelect1Acc : IOp::kSelect1);
    MarkDst(d);
    Slot(a);
    Slot(b);
    Slot(c);
  }

  void LocalGet(uint32_t i, ValType) {
    uint32_t n = local_n_[i];
    uint32_t home = NextHome();
    vstack_.push_back(Entry{home, local_slot_[i], static_cast<uint8_t>(n), i});
    Grow(home + n);
  }

  void LocalSet(uint32_t i, ValType t) { SetLocal(i, t, false); }
  void LocalTee(uint32_t i, ValType t) { SetLocal(i, t, true); }

  void GlobalGet(uint32_t i, ValType t) {
    uint32_t n = runtime::SlotCount(t);
    uint32_t d = PushResult(n);
    Emit(n == 2 ? IOp::kGlobalGet2 : IOp::kGlobalGet1);
    MarkDst(d);
    Word(i);
  }
  void GlobalSet(uint32_t i, ValType t) {
    Entry e = PopEntry();
    uint32_t s = e.src;
    // Integer results can come in the (integer) accumulator.
    bool acc = (t == ValType::kI32 || t == ValType::kI64) && ProducedByLast(e) && CanRedirectLast();
    if (acc) RedirectLastToAcc();
    Emit(runtime::SlotCount(t) == 2 ? IOp::kGlobalSet2
         : acc                      ? IOp::kGlobalSet1Acc
                                    : IOp::kGlobalSet1);
    Word(i);
    Slot(s);
  }

  void TableOp(Op op, const Imm& imm) {
    switch (op) {
      case Op::kTableGet: {
        uint32_t i = Pop();
        uint32_t d = PushResult(1);
        Emit(IOp::kTableGetOp);
        MarkDst(d);
        Slot(i);
        Word(imm.index);
        return;
      }
      case Op::kTableSet: {
        uint32_t v = Pop(), i = Pop();
        Emit(IOp::kTableSetOp);
        Slot(i);
        Slot(v);
        Word(imm.index);
        return;
      }
      case Op::kTableSize: {
        uint32_t d = PushResult(1);
        Emit(IOp::kTableSizeOp);
        MarkDst(d);
        Word(imm.index);
        return;
      }
      case Op::kTableGrow: {
        uint32_t n = Pop(), v = Pop();
        uint32_t d = PushResult(1);
        Emit(IOp::kTableGrowOp);
        MarkDst(d);
        Slot(v);
        Slot(n);
        Word(imm.index);
        return;
      }
      case Op::kTableFill: {
        uint32_t n = Pop(), v = Pop(), i = Pop();
        Emit(IOp::kTableFillOp);
        Slot(i);
        Slot(v);
        Slot(n);
        Word(imm.index);
        return;
      }
      case Op::kTableInit:
      case Op::kTableCopy: {
        uint32_t n = Pop(), s = Pop(), d = Pop();
        Emit(op == Op::kTableInit ? IOp::kTableInitOp : IOp::kTableCopyOp);
        Slot(d);
        Slot(s);
        Slot(n);
        Word(imm.index);
        Word(imm.index2);
        return;
      }
      default:
        return;
    }
  }

  void RefNull(ValType) {
    if (PushConst(0)) return;
    uint32_t d = PushResult(1);
    Emit(IOp::kConst64);
    MarkDst(d);
    Word(0);
    Word(0);
  }
  void RefIsNull() {
    uint32_t s = Pop();
    uint32_t d = PushResult(1);
    Emit(IOp::kRefIsNullOp);
    MarkDst(d);
    Slot(s);
  }
  void RefFunc(uint32_t i) {
    uint32_t d = PushResult(1);
    Emit(IOp::kRefFuncOp);
    MarkDst(d);
    Word(i);
  }

 private:
  struct Entry {
    uint32_t home;   ///< Slot this height owns.
    uint32_t src;    ///< Where the value is now (== home unless a deferred local.get).
    uint8_t n;       ///< Slots (1, or 2 for v128).
    uint32_t local;  ///< Local index for deferred entries, else kNone.
  };
  struct LFrame {
    FrameKind kind;
    bool live;                 ///< False when the block starts in unreachable code.
    BlockSig sig;
    uint32_t base_entries;     ///< vstack_ size below the block's params.
    uint32_t base_slot;        ///< Home slot of the first param / result.
    uint32_t loop_start;       ///< Code position of a loop's header.
    uint32_t else_fixup;       ///< An if's conditional branch to its else / end.
    std::vector<uint32_t> fixups;  ///< Words holding forward offsets to the end label.
  };

  uint32_t Pos() const { return static_cast<uint32_t>(code().size()); }
  std::vector<uint32_t>& code() { return out_->code; }
  const std::vector<uint32_t>& code() const { return out_->code; }
  void Word(uint32_t w) { code().push_back(w); }
  // A frame-slot operand: relocated by Finish() (constants and operand-stack slots move).
  void Slot(uint32_t x) {
    slot_words_.push_back(Pos());
    Word(x);
  }
  // Pools a constant in a frame slot (copied in at function entry); false when the pool is full.
  bool PushConst(uint64_t bits) {
    auto it = const_index_.find(bits);
    uint32_t k;
    if (it != const_index_.end()) {
      k = it->second;
    } else {
      if (consts_.size() >= kMaxConsts) return false;
      k = static_cast<uint32_t>(consts_.size());
      consts_.push_back(bits);
      const_index_.emplace(bits, k);
    }
    uint32_t home = NextHome();
    vstack_.push_back(Entry{home, kConstTag | k, 1, kNone});
    Grow(home + 1);
    return true;
  }
  bool PushConst2(uint64_t lo, uint64_t hi) {
    if (consts_.size() + 2 > kMaxConsts) return false;
    uint32_t k = static_cast<uint32_t>(consts_.size());
    consts_.push_back(lo);
    consts_.push_back(hi);
    uint32_t home = NextHome();
    vstack_.push_back(Entry{home, kConstTag | k, 2, kNone});
    Grow(home + 2);
    return true;
  }
  void Emit(IOp op, int variant = 0) {
    starts_.emplace_back(Pos(), op);
    last_op_ = Pos();
    fused_add_ = kNone;
    last_iop_ = op;
    last_variant_ = variant;
    last_dst_ = kNone;
    const void* h = variant ? variants_[static_cast<size_t>(op)][variant]
                            : handlers_[static_cast<size_t>(op)];
    uint32_t w[2];
    std::memcpy(w, &h, sizeof h);
    Word(w[0]);
    Word(w[1]);
  }
  // Records that the instruction just emitted writes its result to its first operand word.
  void MarkDst(uint32_t d) {
    last_dst_ = Pos();
    Slot(d);
  }
  // True when `e` is the result the last instruction emitted wrote to its first operand.
  bool ProducedByLast(const Entry& e) const {
    return e.src == e.home && last_dst_ != kNone && last_op_ != kNone &&
           last_dst_ == last_op_ + 2 && code()[last_dst_] == e.home;
  }
  bool CanRedirectLast() const {
    return last_iop_ < IOp::kOpCount && last_variant_ < 3 &&
           variants_[static_cast<size_t>(last_iop_)][last_variant_ + 3] != nullptr;
  }
  // Makes the last instruction write its result to the accumulator instead of its slot.
  void RedirectLastToAcc() {
    last_variant_ += 3;
    const void* h = variants_[static_cast<size_t>(last_iop_)][last_variant_];
    std::memcpy(&code()[last_op_], &h, sizeof h);
    last_dst_ = kNone;
    if (fused_add_ != kNone) {
      // The access now leaves its result in the accumulator: so must the fused entry.
      const void* fh = variants_[static_cast<size_t>(last_iop_)][7];
      if (fh == nullptr) fh = variants_[static_cast<size_t>(IOp::kI32Add)][3];
      std::memcpy(&code()[fused_add_], &fh, sizeof fh);
      fused_add_ = kNone;
    }
  }
  void BindLabel() { last_dst_ = kNone; last_op_ = kNone; }

  void Grow(uint32_t end) {
    if (end > max_slot_) max_slot_ = end;
  }
  uint32_t NextHome() const {
    const LFrame& f = ctrls_.back();
    (void)f;
    return vstack_.empty() ? first_stack_slot_ : vstack_.back().home + vstack_.back().n;
  }
  uint32_t PushResult(uint32_t n) {
    uint32_t home = NextHome();
    vstack_.push_back(Entry{home, home, static_cast<uint8_t>(n), kNone});
    Grow(home + n);
    return home;
  }
  Entry PopEntry() {
    Entry e = vstack_.back();
    vstack_.pop_back();
    return e;
  }
  uint32_t Pop() {
    Entry e = vstack_.back();
    vstack_.pop_back();
    return e.src;
  }
  static uint32_t SlotsOf(const ValType* t, uint32_t n) {
    uint32_t s = 0;
    for (uint32_t i = 0; i < n; ++i) s += runtime::SlotCount(t[i]);
    return s;
  }

  void EmitCopy(uint32_t dst, uint32_t src, uint32_t n, bool dst_absolute = false) {
    if (dst == src && !dst_absolute) return;
    Emit(n == 2 ? IOp::kCopy2 : IOp::kCopy);
    if (dst_absolute) {
      Word(dst);  // A result position: not an operand-stack slot, never relocated.
    } else {
      Slot(dst);
    }
    Slot(src);
  }
  void Materialize(Entry& e) {
    if (e.src != e.home) {
      EmitCopy(e.home, e.src, e.n);
      e.src = e.home;
      e.local = kNone;
    }
  }
  // Before a block: deferred locals could be changed inside it (constants cannot).
  void MaterializeLocals() {
    for (Entry& e : vstack_) {
      if (e.local != kNone) Materialize(e);
    }
  }
  void MaterializeTop(uint32_t k) {
    for (size_t i = vstack_.size() - k; i < vstack_.size(); ++i) Materialize(vstack_[i]);
  }

  void SetLocal(uint32_t i, ValType t, bool tee) {
    uint32_t slot = local_slot_[i];
    uint32_t n = local_n_[i];
    Entry v = vstack_.back();
    vstack_.pop_back();
    bool pending = false;
    for (Entry& e : vstack_) {
      if (e.local == i) pending = true;
    }
    if (pending) {
      for (Entry& e : vstack_) {
        if (e.local == i) Materialize(e);
      }
    }
    if (v.src == v.home && last_dst_ != kNone && code()[last_dst_] == v.home &&
        last_dst_ + 1 <= Pos() && !pending && IsLastResult(v)) {
      // Retarget the producing instruction to write the local directly.
      code()[last_dst_] = slot;
      last_dst_ = kNone;
    } else {
      EmitCopy(slot, v.src, n);
    }
    (void)t;
    if (tee) vstack_.push_back(Entry{v.home, slot, static_cast<uint8_t>(n), i});
  }
  // True when `v` (just popped) is the result of the last instruction emitted.
  bool IsLastResult(const Entry& v) const { return last_dst_ != kNone && v.home == code()[last_dst_]; }

  LFrame& Target(uint32_t depth) { return ctrls_[ctrls_.size() - 1 - depth]; }
  uint32_t LabelArity(const LFrame& t) const {
    return t.kind == FrameKind::kLoop ? t.sig.num_params : t.sig.num_results;
  }
  // Are the top `arity` values already where the target label expects them?
  bool ValuesInPlace(const LFrame& t, uint32_t arity) const {
    if (arity == 0) return true;
    uint32_t dst = t.base_slot;
    for (size_t i = vstack_.size() - arity; i < vstack_.size(); ++i) {
      if (vstack_[i].src != dst) return false;
      dst += vstack_[i].n;
    }
    return true;
  }

  uint32_t EmitBranch(IOp op, uint32_t cond) {
    uint32_t start = Pos();
    Emit(op);
    if (cond != kNone) Slot(cond);
    uint32_t w = Pos();
    Word(start);  // Temporarily the instruction start; Patch() makes it relative.
    return w;
  }
  // A conditional jump on `cond` (taken when it is non-zero if `if_true`, else when zero), fused
  // with the i32 comparison that produced it when that was the last instruction emitted.
  // Returns the offset word, holding the instruction start until patched.
  uint32_t EmitCondJump(bool if_true, const Entry& cond) {
    if (cond.src == cond.home && last_dst_ != kNone && code()[last_dst_] == cond.home &&
        last_op_ != kNone && last_dst_ == last_op_ + 2 && last_variant_ == 0) {
      IOp fused = FusedJump(last_iop_, if_true);
      if (fused != IOp::kInvalid || last_iop_ == IOp::kI32Eqz) {
        uint32_t a = code()[last_op_ + 3];
        uint32_t b = last_iop_ == IOp::kI32Eqz ? 0 : code()[last_op_ + 4];
        IOp prev = last_iop_;
        code().resize(last_op_);
        while (!slot_words_.empty() && slot_words_.back() >= last_op_) slot_words_.pop_back();
        starts_.pop_back();
        uint32_t start = Pos();
        if (prev == IOp::kI32Eqz) {
          Emit(if_true ? IOp::kJumpUnless : IOp::kJumpIf);
          Slot(a);
        } else {
          Emit(fused);
          Slot(a);
          Slot(b);
        }
        uint32_t w = Pos();
        Word(start);
        return w;
      }
    }
    if (cond.src == cond.home && last_dst_ != kNone && code()[last_dst_] == cond.home &&
        last_op_ != kNone && last_dst_ == last_op_ + 2 &&
        (last_variant_ == 1 || last_variant_ == 2)) {
      // The comparison read one operand from the accumulator: fuse it with the jump too.
      IOp cmp = last_iop_;
      // i32.eqz has no second operand word: reading one would run past the code's end.
      uint32_t other =
          last_iop_ == IOp::kI32Eqz ? kNone : code()[last_op_ + (last_variant_ == 1 ? 4 : 3)];
      if (last_variant_ == 2) cmp = Mirror(cmp);
      IOp fused = cmp == IOp::kI32Eqz ? IOp::kInvalid : AccJump(FusedJump(cmp, if_true));
      if (fused != IOp::kInvalid || (last_iop_ == IOp::kI32Eqz && last_variant_ == 1)) {
        code().resize(last_op_);
        while (!slot_words_.empty() && slot_words_.back() >= last_op_) slot_words_.pop_back();
        starts_.pop_back();
        uint32_t start = Pos();
        if (fused == IOp::kInvalid) {
          Emit(if_true ? IOp::kJumpUnlessR : IOp::kJumpIfR);
          Slot(cond.src);
        } else {
          Emit(fused);
          Word(0);
          Slot(other);
        }
        uint32_t w = Pos();
        Word(start);
        return w;
      }
    }
    if (ProducedByLast(cond) && CanRedirectLast()) {
      RedirectLastToAcc();
      return EmitBranch(if_true ? IOp::kJumpIfR : IOp::kJumpUnlessR, cond.src);
    }
    return EmitBranch(if_true ? IOp::kJumpIf : IOp::kJumpUnless, cond.src);
  }
  // a OP b == b Mirror(OP) a.
  static IOp Mirror(IOp cmp) {
    switch (cmp) {
      case IOp::kI32LtS: return IOp::kI32GtS;
      case IOp::kI32LtU: return IOp::kI32GtU;
      case IOp::kI32GtS: return IOp::kI32LtS;
      case IOp::kI32GtU: return IOp::kI32LtU;
      case IOp::kI32LeS: return IOp::kI32GeS;
      case IOp::kI32LeU: return IOp::kI32GeU;
      case IOp::kI32GeS: return IOp::kI32LeS;
      case IOp::kI32GeU: return IOp::kI32LeU;
      default: return cmp;  // eq, ne (and non-comparisons) are symmetric or unchanged.
    }
  }
  static IOp AccJump(IOp j) {
    switch (j) {
      case IOp::kJumpIfI32LtS: return IOp::kJumpAccI32LtS;
      case IOp::kJumpIfI32LtU: return IOp::kJumpAccI32LtU;
      case IOp::kJumpIfI32GtS: return IOp::kJumpAccI32GtS;
      case IOp::kJumpIfI32GtU: return IOp::kJumpAccI32GtU;
      case IOp::kJumpIfI32LeS: return IOp::kJumpAccI32LeS;
      case IOp::kJumpIfI32LeU: return IOp::kJumpAccI32LeU;
      case IOp::kJumpIfI32GeS: return IOp::kJumpAccI32GeS;
      case IOp::kJumpIfI32GeU: return IOp::kJumpAccI32GeU;
      case IOp::kJumpIfI32Eq: return IOp::kJumpAccI32Eq;
      case IOp::kJumpIfI32Ne: return IOp::kJumpAccI32Ne;
      default: return IOp::kInvalid;
    }
  }
  static IOp FusedJump(IOp cmp, bool if_true) {
    switch (cmp) {
      case IOp::kI32Eq: return if_true ? IOp::kJumpIfI32Eq : IOp::kJumpIfI32Ne;
      case IOp::kI32Ne: return if_true ? IOp::kJumpIfI32Ne : IOp::kJumpIfI32Eq;
      case IOp::kI32LtS: return if_true ? IOp::kJumpIfI32LtS : IOp::kJumpIfI32GeS;
      case IOp::kI32LtU: return if_true ? IOp::kJumpIfI32LtU : IOp::kJumpIfI32GeU;
      case IOp::kI32GtS: return if_true ? IOp::kJumpIfI32GtS : IOp::kJumpIfI32LeS;
      case IOp::kI32GtU: return if_true ? IOp::kJumpIfI32GtU : IOp::kJumpIfI32LeU;
      case IOp::kI32LeS: return if_true ? IOp::kJumpIfI32LeS : IOp::kJumpIfI32GtS;
      case IOp::kI32LeU: return if_true ? IOp::kJumpIfI32LeU : IOp::kJumpIfI32GtU;
      case IOp::kI32GeS: return if_true ? IOp::kJumpIfI32GeS : IOp::kJumpIfI32LtS;
      case IOp::kI32GeU: return if_true ? IOp::kJumpIfI32GeU : IOp::kJumpIfI32LtU;
      default: return IOp::kInvalid;
    }
  }

  void Patch(uint32_t word, uint32_t target) {
    uint32_t start = code()[word];
    code()[word] = target - start;  // Relative, two's complement for backward jumps.
  }
  void SetRel(uint32_t word, uint32_t start, uint32_t target) { code()[word] = target - start; }
  void AddFixupAt(LFrame& t, uint32_t word, uint32_t start) {
    if (t.kind == FrameKind::kLoop) {
      SetRel(word, start, t.loop_start);
    } else {
      code()[word] = start;
      t.fixups.push_back(word);
    }
  }

  // Unconditional branch to `depth`, moving the label's values into place first. Does not
  // change the operand stack model (it may sit on a conditional path).
  void BranchTo(uint32_t depth) {
    LFrame& t = Target(depth);
    uint32_t arity = LabelArity(t);
    if (t.kind == FrameKind::kFunc) {
      EmitReturn(arity);
      return;
    }
    uint32_t dst = t.base_slot;
    for (size_t i = vstack_.size() - arity; i < vstack_.size(); ++i) {
      EmitCopy(dst, vstack_[i].src, vstack_[i].n);
      dst += vstack_[i].n;
    }
    uint32_t start = Pos();
    Emit(IOp::kJump);
    uint32_t w = Pos();
    Word(0);
    AddFixupAt(t, w, start);
  }

  // Moves the top `k` values to slots 0.. and returns, without changing the stack model:
  // deferred values go to their homes first, so no copy overwrites a later source.
  void EmitReturn(uint32_t k) {
    if (k == 1 && vstack_.back().src == vstack_.back().home && IsLastResult(vstack_.back())) {
      // The last instruction produced the only result: have it write slot 0 directly.
      code()[last_dst_] = kAbsTag;
      last_dst_ = kNone;
      Emit(IOp::kRet);
      return;
    }
    for (size_t i = vstack_.size() - k; i < vstack_.size(); ++i) {
      EmitCopy(vstack_[i].home, vstack_[i].src, vstack_[i].n);
    }
    uint32_t dst = 0;
    for (size_t i = vstack_.size() - k; i < vstack_.size(); ++i) {
      EmitCopy(dst, vstack_[i].home, vstack_[i].n, /*dst_absolute=*/true);
      dst += vstack_[i].n;
    }
    Emit(IOp::kRet);
  }

  // After else / end: the block's params or results, in their homes.
  void ResetStack(const LFrame& f, const ValType* types, uint32_t n) {
    vstack_.resize(f.base_entries);
    uint32_t home = f.base_slot;
    for (uint32_t i = 0; i < n; ++i) {
      uint8_t k = static_cast<uint8_t>(runtime::SlotCount(types[i]));
      vstack_.push_back(Entry{home, home, k, kNone});
      home += k;
    }
    Grow(home);
  }

  uint32_t ArgsBase(uint32_t nargs) {
    MaterializeTop(nargs);
    uint32_t base = NextHome();
    if (nargs) base = vstack_[vstack_.size() - nargs].home;
    vstack_.resize(vstack_.size() - nargs);
    return base;
  }
  void PushCallResults(uint32_t arg, const wasm::FuncType& ft) {
    uint32_t home = arg;
    for (ValType t : ft.results) {
      uint32_t n = runtime::SlotCount(t);
      vstack_.push_back(Entry{home, home, static_cast<uint8_t>(n), kNone});
      home += n;
    }
    uint32_t np = SlotsOf(ft.params.data(), static_cast<uint32_t>(ft.params.size()));
    uint32_t nr = SlotsOf(ft.results.data(), static_cast<uint32_t>(ft.results.size()));
    Grow(arg + (np > nr ? np : nr));
  }

  void EmitChecks() {
    const runtime::EngineConfig& cfg = cm_.engine->config;
    if (cfg.epoch_interruption) Emit(IOp::kCheckEpoch);
    if (cfg.consume_fuel) {
      Emit(IOp::kCheckFuel);
      Word(1);
    }
  }

  const runtime::CompiledModule& cm_;
  runtime::CompiledFunc* out_;
  const void* const* handlers_;
  const void* const (*variants_)[kNumVariants];
  int last_variant_ = 0;
  std::vector<uint32_t> local_slot_;
  std::vector<uint8_t> local_n_;
  uint32_t first_stack_slot_ = 0;
  uint32_t max_slot_ = 0;
  std::vector<Entry> vstack_;
  std::vector<uint32_t> slot_words_;
  std::vector<uint64_t> consts_;
  std::unordered_map<uint64_t, uint32_t> const_index_;
  IOp last_iop_ = IOp::kInvalid;
  bool dump_ = std::getenv("WEFT_DUMP_CODE") != nullptr;
  std::vector<std::pair<uint32_t, IOp>> starts_;
  std::vector<LFrame> ctrls_;
  uint32_t last_op_ = kNone;
  uint32_t fused_add_ = kNone;  ///< The i32.add fused into the last instruction (a load/store).

  uint32_t last_dst_ = kNone;
};


}  // namespace

Error Compile(const runtime::CompiledModule& module, uint32_t func_index) {
  const wasm::Module& m = module.module;
  if (func_index < m.num_imported_funcs || func_index >= m.num_funcs()) {
    return Error::Make(ErrorCode::kInternal, "not a defined function", kNoOffset, func_index);
  }
  std::atomic<runtime::CompiledFunc*>& slot = module.code[func_index - m.num_imported_funcs];
  if (slot.load(std::memory_order_acquire)) return Error();
  auto cf = std::make_unique<runtime::CompiledFunc>();
  cf->func_index = func_index;
  Lowerer sink(module, cf.get());
  wasm::CodeValidator<Lowerer> v(m, func_index, sink);
  WEFT_TRY(v.Run());
  sink.Finish();
  runtime::CompiledFunc* expected = nullptr;
  if (slot.compare_exchange_strong(expected, cf.get(), std::memory_order_acq_rel)) cf.release();
  return Error();
}

}  // namespace weft::interp

namespace weft::interp {
void DestroyCompiledFunc(runtime::CompiledFunc* code) { delete code; }
}  // namespace weft::interp
