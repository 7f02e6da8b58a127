// Module-level validation of WebAssembly 2.0 (spec section 3.4): type indices, limits,
// constant expressions, segments, start, exports; then every function body through
// ValidateCode. Messages follow the reference interpreter ("unknown global 1", "type
// mismatch", ...), so the spec suite's expected texts are prefixes of ours.
// Invariant on success: every index stored in the Module is in range, so later layers may
// index Module tables without checks.
#include "wasm/validator.h"

#include <string>
#include <string_view>
#include <unordered_set>

#include "wasm/code_validator.h"

namespace weft::wasm {
namespace {

constexpr uint64_t kMaxMemoryPages = 65536;  // 4 GiB of 64 KiB pages (32-bit memories).

Error Invalid(std::string message, uint64_t offset = kNoOffset) {
  return Error::Make(ErrorCode::kInvalid, std::move(message), offset);
}

Error Unknown(std::string_view what, uint32_t index, uint64_t offset = kNoOffset) {
  return Invalid("unknown " + std::string(what) + " " + std::to_string(index), offset);
}

class ModuleValidator {
 public:
  ModuleValidator(const Module& m, const ValidateOptions& options) : m_(m), options_(options) {}

  Error Run() {
    for (const Import& imp : m_.imports) {
      switch (imp.kind) {
        case ExternKind::kFunc:
          if (imp.type_index >= m_.types.size()) return Unknown("type", imp.type_index);
          break;
        case ExternKind::kTable:
          WEFT_TRY(CheckTable(imp.table));
          break;
        case ExternKind::kMemory:
          WEFT_TRY(CheckMemory(imp.memory));
          break;
        case ExternKind::kGlobal:
          break;
      }
    }
    for (const Function& f : m_.functions) {
      if (f.type_index >= m_.types.size()) return Unknown("type", f.type_index, f.body_offset);
    }
    for (const TableType& t : m_.tables) WEFT_TRY(CheckTable(t));
    for (const MemoryType& mem : m_.memories) WEFT_TRY(CheckMemory(mem));
    if (m_.all_memories.size() > 1) return Invalid("multiple memories");

    for (const Global& g : m_.globals) WEFT_TRY(CheckConstExpr(g.init, g.type.type));

    for (const ElemSegment& seg : m_.elems) {
      if (seg.mode == ElemSegment::Mode::kActive) {
        if (seg.table_index >= m_.all_tables.size()) {
          return Unknown("table", seg.table_index, seg.offset.offset);
        }
        WEFT_TRY(CheckConstExpr(seg.offset, ValType::kI32));
        if (m_.all_tables[seg.table_index].elem != seg.type) {
          return Invalid("type mismatch", seg.offset.offset);
        }
      }
      for (const ConstExpr& item : seg.items) WEFT_TRY(CheckConstExpr(item, seg.type));
    }

    for (const DataSegment& seg : m_.datas) {
      if (seg.mode != DataSegment::Mode::kActive) continue;
      if (seg.memory_index >= m_.all_memories.size()) {
        return Unknown("memory", seg.memory_index, seg.offset.offset);
      }
      WEFT_TRY(CheckConstExpr(seg.offset, ValType::kI32));
    }

    if (m_.start) {
      uint32_t s = *m_.start;
      if (s >= m_.num_funcs()) return Unknown("function", s);
      const FuncType& t = m_.func_type(s);
      if (!t.params.empty() || !t.results.empty()) return Invalid("start function");
    }

    std::unordered_set<std::string_view> names;
    names.reserve(m_.exports.size());
    for (const Export& e : m_.exports) {
      size_t limit = 0;
      std::string_view what;
      switch (e.kind) {
        case ExternKind::kFunc: limit = m_.num_funcs(), what = "function"; break;
        case ExternKind::kTable: limit = m_.all_tables.size(), what = "table"; break;
        case ExternKind::kMemory: limit = m_.all_memories.size(), what = "memory"; break;
        case ExternKind::kGlobal: limit = m_.all_globals.size(), what = "global"; break;
      }
      if (e.index >= limit) return Unknown(what, e.index);
      if (!names.insert(e.name).second) return Invalid("duplicate export name");
    }

    if (!options_.function_bodies) return Error();
    for (uint32_t i = 0; i < m_.functions.size(); ++i) {
      WEFT_TRY(ValidateCode(m_, m_.num_imported_funcs + i));
    }
    return Error();
  }

 private:
  Error CheckLimits(const Limits& l, uint64_t range, const char* range_message) {
    if (l.min > range || (l.max && *l.max > range)) return Invalid(range_message);
    if (l.max && l.min > *l.max) return Invalid("size minimum must not be greater than maximum");
    return Error();
  }
  Error CheckTable(const TableType& t) {
    return CheckLimits(t.limits, 0xffffffffu, "table size must be at most 2^32-1");
  }
  Error CheckMemory(const MemoryType& t) {
    return CheckLimits(t.limits, kMaxMemoryPages, "memory size must be at most 65536 pages (4GiB)");
  }

  // A constant expression of type `expected` (spec 3.3.10). In 2.0, global.get may name only
  // an imported immutable global, in initialisers and segment offsets alike.
  Error CheckConstExpr(const ConstExpr& e, ValType expected) {
    ValType actual = ValType::kI32;
    switch (e.kind) {
      case ConstExpr::Kind::kI32: actual = ValType::kI32; break;
      case ConstExpr::Kind::kI64: actual = ValType::kI64; break;
      case ConstExpr::Kind::kF32: actual = ValType::kF32; break;
      case ConstExpr::Kind::kF64: actual = ValType::kF64; break;
      case ConstExpr::Kind::kV128: actual = ValType::kV128; break;
      case ConstExpr::Kind::kRefNull: actual = e.ref_type; break;
      case ConstExpr::Kind::kRefFunc:
        if (e.index >= m_.num_funcs()) return Unknown("function", e.index, e.offset);
        actual = ValType::kFuncRef;
        break;
      case ConstExpr::Kind::kGlobalGet:
        if (e.index >= m_.num_imported_globals) return Unknown("global", e.index, e.offset);
        if (m_.all_globals[e.index].mut) return Invalid("constant expression required", e.offset);
        actual = m_.all_globals[e.index].type;
        break;
    }
    if (actual != expected) return Invalid("type mismatch", e.offset);
    return Error();
  }

  const Module& m_;
  const ValidateOptions& options_;
};

}  // namespace

Error Validate(const Module& module, const ValidateOptions& options) {
  return ModuleValidator(module, options).Run();
}

}  // namespace weft::wasm
