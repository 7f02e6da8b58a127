// The interpreter's internal code (docs/interpreter.md): one lowered function is a vector of
// 32-bit words; each instruction is an 8-byte handler address followed by 32-bit operands
// (frame slot indices, immediates, relative branch offsets in words). Invariants: every
// operand slot is below CompiledFunc::frame_slots; branch offsets are relative to the start of
// the branching instruction; the code always ends with a return.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/objects.h"
#include "wasm/code_validator_impl.h"

namespace weft::interp {

/// Internal opcodes: every wasm::Op (same numbering; those without a direct handler map to
/// kInvalid at runtime), then the interpreter's own instructions.
enum class IOp : uint16_t {
#define WEFT_OP(prefix, code, name, text, imm, sig) k##name,
#include "wasm/opcodes.def"
  kOpCount,
#define WEFT_IOPS(X)                                                                         \
  X(Invalid) X(Copy) X(Copy2) X(Jump) X(JumpIf) X(JumpUnless) X(JumpIfR) X(JumpUnlessR) X(Select1Acc) X(GlobalSet1Acc) X(JumpTableAcc) X(JumpTable) X(Ret) X(CallOp)        \
  X(CallIndirectOp) X(Trap) X(Select1) X(Select2) X(GlobalGet1) X(GlobalGet2) X(GlobalSet1)   \
  X(GlobalSet2) X(TableGetOp) X(TableSetOp) X(TableSizeOp) X(TableGrowOp) X(TableFillOp)      \
  X(TableInitOp) X(TableCopyOp) X(ElemDropOp) X(MemorySizeOp) X(MemoryGrowOp)                \
  X(MemoryFillOp) X(MemoryCopyOp) X(MemoryInitOp) X(DataDropOp) X(RefIsNullOp) X(RefFuncOp)   \
  X(Const64) X(CheckEpoch) X(CheckFuel)                                                       \
  X(JumpIfI32Eqz) X(JumpIfI32Ne0) X(JumpIfI32LtS) X(JumpIfI32LtU) X(JumpIfI32GtS) X(JumpIfI32GtU)        \
  X(JumpIfI32LeS) X(JumpIfI32LeU) X(JumpIfI32GeS) X(JumpIfI32GeU) X(JumpIfI32Eq) X(JumpIfI32Ne)          \
  X(JumpAccI32LtS) X(JumpAccI32LtU) X(JumpAccI32GtS) X(JumpAccI32GtU) X(JumpAccI32LeS)          \
  X(JumpAccI32LeU) X(JumpAccI32GeS) X(JumpAccI32GeU) X(JumpAccI32Eq) X(JumpAccI32Ne)          \
  X(I32AddImm) X(I64AddImm) X(I32AndImm) X(I32ShlImm) X(I32ShrUImm) X(I32ShrSImm)
#define WEFT_IOP_ENUM(n) k##n,
  WEFT_IOPS(WEFT_IOP_ENUM)
#undef WEFT_IOP_ENUM
  kCount
};

/// Handler addresses indexed by IOp (filled once by the interpreter loop).
const void* const* HandlerTable();

/// Accumulator variants of each wasm op's handler (null where none): [0] plain, [1] operand a
/// from the accumulator, [2] operand b from it, [3] result to it, [4] = [1]+[3], [5] = [2]+[3].
/// Operand words are the same in every variant, so switching variant patches only the handler.
/// Scalar loads and stores also have [6] and [7]: handlers for the i32.add (slots, result to
/// the accumulator) just before them, which jump straight (no dispatch) to the access's [1]
/// resp. [4] variant: the address add + access super-instruction.
inline constexpr int kNumVariants = 8;
const void* const (*VariantTable())[kNumVariants];

/// A pair fusion: when an instruction whose handler is `first` is followed in the code by one
/// whose handler is `second` (and falls through to it), `first` may be replaced by `fused`,
/// which does the same work and then jumps straight into `second` (no dispatch). Operand words
/// are unchanged. A fusable `first` is never an unconditional branch, call or return.
struct FusedPair {
  const void* first;
  const void* second;
  const void* fused;
};
std::span<const FusedPair> FusedPairs();

}  // namespace weft::interp

namespace weft::runtime {

/// Lowered code of one function.
struct CompiledFunc {
  std::vector<uint32_t> code;
  uint32_t param_slots = 0;
  uint32_t local_slots = 0;  ///< Declared locals (zeroed on entry), after the params.
  uint32_t result_slots = 0;
  uint32_t frame_slots = 0;  ///< Params + locals + deepest operand stack (>= result_slots).
  uint32_t func_index = 0;
  uint32_t const_base = 0;       ///< First slot of the constant pool (after the locals).
  std::vector<uint64_t> consts;  ///< Copied to slots const_base.. on entry.
  /// Small frames (locals + constants at most kMaxInitImage slots): the initial contents of
  /// slots param_slots.. (zeroed locals, then the constant pool), padded with zeros to a
  /// non-zero multiple of 4 slots (frame_slots covers them), so a call sets the frame up with
  /// one unrolled copy. Empty only for larger frames, which take the interpreter's general
  /// call path (zero the locals, copy the constants).
  std::vector<uint64_t> init;
  static constexpr uint32_t kMaxInitImage = 64;
};

}  // namespace weft::runtime
