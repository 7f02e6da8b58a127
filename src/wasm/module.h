// The decoded description of a WebAssembly 2.0 module: types, imports, functions, tables,
// memories, globals, exports, start, element and data segments, custom sections and names.
// Produced by the decoder (decoder.h), checked by the validator (validator.h), immutable after.
// Function bodies are kept as byte ranges of the original binary (Module::bytes) so that
// they can be validated and lowered lazily; nothing here knows about execution.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weft::wasm {

/// Value types, numbered as in the binary format.
enum class ValType : uint8_t {
  kI32 = 0x7f,
  kI64 = 0x7e,
  kF32 = 0x7d,
  kF64 = 0x7c,
  kV128 = 0x7b,
  kFuncRef = 0x70,
  kExternRef = 0x6f,
};

inline bool IsRefType(ValType t) { return t == ValType::kFuncRef || t == ValType::kExternRef; }
inline bool IsNumType(ValType t) {
  return t == ValType::kI32 || t == ValType::kI64 || t == ValType::kF32 || t == ValType::kF64;
}
/// Text-format name: "i32", "funcref", ...
std::string_view ValTypeName(ValType t);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};
/// "(i32, i64) -> (f32)"
std::string FuncTypeToString(const FuncType& t);

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
};

struct TableType {
  ValType elem = ValType::kFuncRef;
  Limits limits;
};

struct MemoryType {
  Limits limits;  ///< In 64 KiB pages.
};

struct GlobalType {
  ValType type = ValType::kI32;
  bool mut = false;
};

enum class ExternKind : uint8_t { kFunc = 0, kTable = 1, kMemory = 2, kGlobal = 3 };
std::string_view ExternKindName(ExternKind k);  ///< "func", "table", "memory", "global"

/// A constant expression (global initialisers, segment offsets, element items). In 2.0 it is
/// a single instruction followed by `end`; the decoder checks that shape and the validator
/// checks types and indices.
struct ConstExpr {
  enum class Kind : uint8_t { kI32, kI64, kF32, kF64, kV128, kRefNull, kRefFunc, kGlobalGet };
  Kind kind = Kind::kI32;
  ValType ref_type = ValType::kFuncRef;  ///< For kRefNull.
  uint32_t index = 0;                    ///< Function index (kRefFunc) or global index (kGlobalGet).
  uint64_t bits = 0;                     ///< i32/i64 value or f32/f64 bit pattern (low lanes of v128).
  uint64_t bits_hi = 0;                  ///< High 64 bits of a v128.
  uint32_t offset = 0;                   ///< Byte offset in the binary, for errors.
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::kFunc;
  uint32_t type_index = 0;  ///< kFunc: index into Module::types.
  TableType table;          ///< kTable
  MemoryType memory;        ///< kMemory
  GlobalType global;        ///< kGlobal
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::kFunc;
  uint32_t index = 0;  ///< Index in the kind's index space (imports first).
};

/// A function defined in this module (not imported).
struct Function {
  uint32_t type_index = 0;
  uint32_t body_offset = 0;  ///< Offset in Module::bytes of the body's locals vector.
  uint32_t body_size = 0;    ///< Bytes from body_offset to the end of the body (incl. final `end`).
};

struct Global {
  GlobalType type;
  ConstExpr init;
};

struct ElemSegment {
  enum class Mode : uint8_t { kPassive, kActive, kDeclarative };
  Mode mode = Mode::kPassive;
  ValType type = ValType::kFuncRef;
  uint32_t table_index = 0;  ///< kActive
  ConstExpr offset;          ///< kActive
  /// Items; when the segment used the function-index encoding each item is kRefFunc.
  std::vector<ConstExpr> items;
};

struct DataSegment {
  enum class Mode : uint8_t { kPassive, kActive };
  Mode mode = Mode::kPassive;
  uint32_t memory_index = 0;  ///< kActive
  ConstExpr offset;           ///< kActive
  uint32_t data_offset = 0;   ///< Offset of the bytes in Module::bytes.
  uint32_t data_size = 0;
};

struct CustomSection {
  std::string name;
  uint32_t data_offset = 0;  ///< In Module::bytes.
  uint32_t data_size = 0;
};

/// A decoded module. Index spaces (functions, tables, memories, globals) count imports first,
/// as in the specification; helpers below translate.
struct Module {
  std::vector<uint8_t> bytes;  ///< The whole binary; offsets above point into it.

  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<Function> functions;  ///< Defined functions only.
  std::vector<TableType> tables;    ///< Defined tables only.
  std::vector<MemoryType> memories; ///< Defined memories only.
  std::vector<Global> globals;      ///< Defined globals only.
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::vector<DataSegment> datas;
  std::optional<uint32_t> data_count;  ///< From the DataCount section, if present.
  std::vector<CustomSection> customs;

  // Counts of imported entities of each kind, and the type index of each function
  // (imported then defined), filled by the decoder.
  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;
  std::vector<uint32_t> func_type_indices;  ///< Per function index (imports first).
  std::vector<TableType> all_tables;        ///< Per table index (imports first).
  std::vector<MemoryType> all_memories;     ///< Per memory index (imports first).
  std::vector<GlobalType> all_globals;      ///< Per global index (imports first).

  /// From the `name` custom section (empty when absent or malformed: names never fail a load).
  std::string module_name;
  std::unordered_map<uint32_t, std::string> func_names;

  /// C.refs (spec 3.4.10): declared_funcs[x] is true when function x is referenced outside
  /// function bodies (element segments, exports, global initialisers); `ref.func x` in a body
  /// requires it ("undeclared function reference"). Filled by the decoder, sized num_funcs().
  std::vector<bool> declared_funcs;

  uint32_t num_funcs() const { return static_cast<uint32_t>(func_type_indices.size()); }
  const FuncType& func_type(uint32_t func_index) const { return types[func_type_indices[func_index]]; }
  bool is_imported_func(uint32_t func_index) const { return func_index < num_imported_funcs; }
  /// Body bytes of a defined function (func_index counts imports).
  std::span<const uint8_t> body(uint32_t func_index) const {
    const Function& f = functions[func_index - num_imported_funcs];
    return {bytes.data() + f.body_offset, f.body_size};
  }
  /// Name for backtraces: the name section's, else an export name, else "func[N]".
  std::string FuncName(uint32_t func_index) const;
};

}  // namespace weft::wasm
