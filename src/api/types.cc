// Printing and conversion of the public value and type vocabulary.
#include <cinttypes>
#include <cstdio>

#include "api/internal.h"

namespace weft {

std::string_view ValKindName(ValKind k) {
  switch (k) {
    case ValKind::kI32:
      return "i32";
    case ValKind::kI64:
      return "i64";
    case ValKind::kF32:
      return "f32";
    case ValKind::kF64:
      return "f64";
    case ValKind::kV128:
      return "v128";
    case ValKind::kFuncRef:
      return "funcref";
    case ValKind::kExternRef:
      return "externref";
  }
  return "?";
}

static std::string KindList(const std::vector<ValKind>& ks) {
  std::string s = "(";
  for (size_t i = 0; i < ks.size(); ++i) {
    if (i) s.append(", ");
    s.append(ValKindName(ks[i]));
  }
  s.append(")");
  return s;
}

std::string FuncType::ToString() const {
  std::string s = KindList(params);
  s.append(" -> ").append(KindList(results));
  return s;
}

// Strings are built with append: g++-12 reports false -Wrestrict on `"lit" + std::string`.
static void AppendLimits(std::string& s, const Limits& l) {
  s.append(std::to_string(l.min));
  if (l.max) s.append(" ").append(std::to_string(*l.max));
}

std::string ExternType::ToString() const {
  std::string s;
  switch (kind) {
    case ExternKind::kFunc:
      s.append("func ").append(func.ToString());
      break;
    case ExternKind::kTable:
      s.append("table ");
      AppendLimits(s, table.limits);
      s.append(" ").append(ValKindName(table.elem));
      break;
    case ExternKind::kMemory:
      s.append("memory ");
      AppendLimits(s, memory.limits);
      break;
    case ExternKind::kGlobal:
      s.append("global ");
      if (global.mut) s.append("(mut ");
      s.append(ValKindName(global.type));
      if (global.mut) s.append(")");
      break;
  }
  return s;
}

std::string Val::ToString() const {
  char buf[96];
  switch (kind_) {
    case ValKind::kI32:
      std::snprintf(buf, sizeof buf, "i32:%" PRId32, i32());
      break;
    case ValKind::kI64:
      std::snprintf(buf, sizeof buf, "i64:%" PRId64, i64());
      break;
    case ValKind::kF32:
      std::snprintf(buf, sizeof buf, "f32:%.9g", static_cast<double>(f32()));
      break;
    case ValKind::kF64:
      std::snprintf(buf, sizeof buf, "f64:%.17g", f64());
      break;
    case ValKind::kV128:
      std::snprintf(buf, sizeof buf, "v128:0x%016" PRIx64 "%016" PRIx64, hi_, lo_);
      break;
    case ValKind::kFuncRef:
      if (lo_ == 0) return "funcref:null";
      std::snprintf(buf, sizeof buf, "funcref:0x%" PRIx64, lo_);
      break;
    case ValKind::kExternRef:
      if (lo_ == 0) return "externref:null";
      std::snprintf(buf, sizeof buf, "externref:%" PRIu64, lo_);
      break;
  }
  return buf;
}

namespace api {

ValKind ToKind(wasm::ValType t) {
  switch (t) {
    case wasm::ValType::kI32:
      return ValKind::kI32;
    case wasm::ValType::kI64:
      return ValKind::kI64;
    case wasm::ValType::kF32:
      return ValKind::kF32;
    case wasm::ValType::kF64:
      return ValKind::kF64;
    case wasm::ValType::kV128:
      return ValKind::kV128;
    case wasm::ValType::kFuncRef:
      return ValKind::kFuncRef;
    case wasm::ValType::kExternRef:
      return ValKind::kExternRef;
  }
  return ValKind::kI32;
}

wasm::ValType ToValType(ValKind k) {
  switch (k) {
    case ValKind::kI32:
      return wasm::ValType::kI32;
    case ValKind::kI64:
      return wasm::ValType::kI64;
    case ValKind::kF32:
      return wasm::ValType::kF32;
    case ValKind::kF64:
      return wasm::ValType::kF64;
    case ValKind::kV128:
      return wasm::ValType::kV128;
    case ValKind::kFuncRef:
      return wasm::ValType::kFuncRef;
    case ValKind::kExternRef:
      return wasm::ValType::kExternRef;
  }
  return wasm::ValType::kI32;
}

FuncType ToApi(const wasm::FuncType& t) {
  FuncType r;
  r.params.reserve(t.params.size());
  r.results.reserve(t.results.size());
  for (auto v : t.params) r.params.push_back(ToKind(v));
  for (auto v : t.results) r.results.push_back(ToKind(v));
  return r;
}

wasm::FuncType ToWasm(const FuncType& t) {
  wasm::FuncType r;
  for (auto v : t.params) r.params.push_back(ToValType(v));
  for (auto v : t.results) r.results.push_back(ToValType(v));
  return r;
}

Limits ToApi(const wasm::Limits& l) { return {l.min, l.max}; }
wasm::Limits ToWasm(const Limits& l) { return {l.min, l.max}; }

}  // namespace api
}  // namespace weft
