// Small helpers over the module description: type and kind names for messages, and the
// function names used in trap backtraces.
#include "wasm/module.h"

namespace weft::wasm {

std::string_view ValTypeName(ValType t) {
  switch (t) {
    case ValType::kI32: return "i32";
    case ValType::kI64: return "i64";
    case ValType::kF32: return "f32";
    case ValType::kF64: return "f64";
    case ValType::kV128: return "v128";
    case ValType::kFuncRef: return "funcref";
    case ValType::kExternRef: return "externref";
  }
  return "<unknown type>";
}

std::string FuncTypeToString(const FuncType& t) {
  auto list = [](const std::vector<ValType>& types) {
    std::string s = "(";
    for (size_t i = 0; i < types.size(); ++i) {
      if (i) s += ", ";
      s += ValTypeName(types[i]);
    }
    return s + ")";
  };
  return list(t.params) + " -> " + list(t.results);
}

std::string_view ExternKindName(ExternKind k) {
  switch (k) {
    case ExternKind::kFunc: return "func";
    case ExternKind::kTable: return "table";
    case ExternKind::kMemory: return "memory";
    case ExternKind::kGlobal: return "global";
  }
  return "<unknown kind>";
}

std::string Module::FuncName(uint32_t func_index) const {
  if (auto it = func_names.find(func_index); it != func_names.end() && !it->second.empty()) {
    return it->second;
  }
  for (const Export& e : exports) {
    if (e.kind == ExternKind::kFunc && e.index == func_index) return e.name;
  }
  // Imported functions are best named by where they come from.
  if (func_index < num_imported_funcs) {
    uint32_t n = 0;
    for (const Import& imp : imports) {
      if (imp.kind != ExternKind::kFunc) continue;
      if (n++ == func_index) return imp.module + "." + imp.name;
    }
  }
  return "func[" + std::to_string(func_index) + "]";
}

}  // namespace weft::wasm
