// weft-fuzz-exec: runs a module the way binaryen 108's `wasm-opt M.wasm --fuzz-exec-before`
// does and prints the same trace, so tests/fuzz/diff-fuzz.sh can compare the two line by line.
//
// Behaviour mirrored from binaryen's ExecutionResults::get (src/tools/execution-results.h):
// one instance; for each function export in export order print "[fuzz-exec] calling NAME",
// call the "hangLimitInitializer" export first if there is one, call the function with zero
// arguments, then print "[trap MSG]" on a trap or "[fuzz-exec] note result: NAME => VALUES"
// when it returns values. "fuzzing-support" imports print
// "[LoggingExternalInterface logging ARGS]" (an i64 argument as its low and high i32 halves);
// env.setTempRet0/getTempRet0/log_execution behave as binaryen's; any other import returns
// zeros. Trap messages are Weft's own (binaryen's differ): the comparison ignores the text.
// Uses only the public API (include/weft/weft.h).
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "binaryen_print.h"
#include "weft/weft.h"

namespace {

struct State {
  uint32_t temp_ret0 = 0;
};

// Output goes through one buffer flushed after every export call, so a crash of the engine
// still leaves the lines printed so far for the comparison.
std::string out;

void Flush() {
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  out.clear();
}

std::string ValueText(const weft::Val& v) {
  using weft::ValKind;
  switch (v.kind()) {
    case ValKind::kI32:
      return std::to_string(v.i32());
    case ValKind::kI64:
      return std::to_string(v.i64());
    case ValKind::kF32:
      return weft::fuzz::PrintF32(v.f32());
    case ValKind::kF64:
      return weft::fuzz::PrintF64(v.f64());
    case ValKind::kV128:
      return weft::fuzz::PrintV128(v.v128().lo, v.v128().hi);
    case ValKind::kFuncRef:
      // binaryen prints funcref(NAME); names are not comparable across engines.
      return v.is_null_ref() ? "funcref(null)" : "funcref(?)";
    case ValKind::kExternRef:
      return v.is_null_ref() ? "externref(null)" : "externref(?)";
  }
  return "?";
}

bool IsRef(weft::ValKind k) { return k == weft::ValKind::kFuncRef || k == weft::ValKind::kExternRef; }

// binaryen's `Literals` printing: one value bare, several as "(a, b)"; a single reference
// result prints its type only.
std::string ResultsText(const weft::FuncType& type, const std::vector<weft::Val>& results) {
  if (results.size() == 1) {
    if (IsRef(type.results[0])) return std::string(weft::ValKindName(type.results[0]));
    return ValueText(results[0]);
  }
  std::string s = "(";
  for (size_t i = 0; i < results.size(); i++) {
    if (i) s += ", ";
    s += ValueText(results[i]);
  }
  return s + ")";
}

weft::Error DefineImports(weft::Linker<State>& linker, const weft::Module& module) {
  for (const weft::ImportType& imp : module.imports()) {
    if (imp.type.kind != weft::ExternKind::kFunc) {
      return weft::Error::Make(weft::ErrorCode::kUnlinkable,
                               "unsupported non-function import " + imp.module + "." + imp.name);
    }
    weft::HostCallback cb;
    if (imp.module == "fuzzing-support") {
      cb = [](weft::CallerBase&, std::span<const weft::Val> args, std::span<weft::Val> results) {
        out += "[LoggingExternalInterface logging";
        for (const weft::Val& a : args) {
          if (a.kind() == weft::ValKind::kI64) {
            out += ' ' + std::to_string(static_cast<int32_t>(a.i64()));
            out += ' ' + std::to_string(static_cast<int32_t>(a.i64() >> 32));
          } else {
            out += ' ' + ValueText(a);
          }
        }
        out += "]\n";
        for (weft::Val& r : results) r = weft::Val::Zero(r.kind());
        return weft::Error();
      };
    } else if (imp.module == "env" && imp.name == "log_execution") {
      cb = [](weft::CallerBase&, std::span<const weft::Val> args, std::span<weft::Val> results) {
        out += "[LoggingExternalInterface log-execution";
        for (const weft::Val& a : args) out += ' ' + ValueText(a);
        out += "]\n";
        for (weft::Val& r : results) r = weft::Val::Zero(r.kind());
        return weft::Error();
      };
    } else if (imp.module == "env" && imp.name == "setTempRet0") {
      cb = [](weft::CallerBase& caller, std::span<const weft::Val> args, std::span<weft::Val>) {
        auto& c = static_cast<weft::Caller<State>&>(caller);
        if (!args.empty()) c.data().temp_ret0 = static_cast<uint32_t>(args[0].i32());
        return weft::Error();
      };
    } else if (imp.module == "env" && imp.name == "getTempRet0") {
      cb = [](weft::CallerBase& caller, std::span<const weft::Val>, std::span<weft::Val> results) {
        auto& c = static_cast<weft::Caller<State>&>(caller);
        if (!results.empty()) results[0] = weft::Val::I32(static_cast<int32_t>(c.data().temp_ret0));
        return weft::Error();
      };
    } else {
      std::fprintf(stderr, "[LoggingExternalInterface ignoring an unknown import %s . %s\n",
                   imp.module.c_str(), imp.name.c_str());
      cb = [](weft::CallerBase&, std::span<const weft::Val>, std::span<weft::Val> results) {
        for (weft::Val& r : results) r = weft::Val::Zero(r.kind());
        return weft::Error();
      };
    }
    WEFT_TRY(linker.DefineFunc(imp.module, imp.name, imp.type.func, std::move(cb)));
  }
  return weft::Error();
}

// Returns false if the call trapped (the trap line is already printed).
bool CallExport(weft::StoreBase& store, const weft::Func& f, const weft::FuncType& type,
                std::vector<weft::Val>& results) {
  std::vector<weft::Val> args;
  for (weft::ValKind k : type.params) args.push_back(weft::Val::Zero(k));
  results.assign(type.results.size(), weft::Val());
  weft::Error e = f.Call(store, args, results);
  if (e.ok()) return true;
  if (e.code() == weft::ErrorCode::kTrap) {
    out += "[trap " + e.message() + "]\n";
  } else {
    // Not a trap (an engine error): printed so that the comparison reports it.
    out += "[weft error " + e.ToString() + "]\n";
  }
  return false;
}

int Usage() {
  std::fprintf(stderr,
               "usage: weft-fuzz-exec [--max-call-depth N] MODULE.wasm\n"
               "Runs every function export like `wasm-opt MODULE.wasm --fuzz-exec-before`.\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // binaryen's interpreter traps ("stack limit") on entering a call while 251 frames are
  // active (ModuleRunner::maxDepth = 250, checked as depth > max before the increment); with
  // Weft's Config::max_call_depth = 250 both run exactly 251 nested calls (tested with a
  // self-recursive export: both log 251 entries).
  uint32_t max_depth = 250;
  const char* path = nullptr;
  for (int i = 1; i < argc; i++) {
    std::string_view a = argv[i];
    if (a == "--max-call-depth" && i + 1 < argc) {
      max_depth = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (a.starts_with("-")) {
      return Usage();
    } else if (!path) {
      path = argv[i];
    } else {
      return Usage();
    }
  }
  if (!path) return Usage();

  weft::Config config;
  config.max_call_depth = max_depth;
  weft::Engine engine(config);
  auto module = weft::Module::FromFile(engine, path);
  if (!module.ok()) {
    std::printf("[weft-fuzz-exec] compile error: %s\n", module.error().ToString().c_str());
    return 2;
  }
  weft::Store<State> store(engine);
  weft::Linker<State> linker(engine);
  if (weft::Error e = DefineImports(linker, *module); !e.ok()) {
    std::printf("[weft-fuzz-exec] link error: %s\n", e.ToString().c_str());
    return 2;
  }
  auto instance = linker.Instantiate(store, *module);
  if (!instance.ok()) {
    if (instance.error().code() == weft::ErrorCode::kTrap) {
      // binaryen prints the trap and runs nothing when instantiation traps.
      out += "[trap " + instance.error().message() + "]\n";
      Flush();
      return 0;
    }
    std::printf("[weft-fuzz-exec] instantiation error: %s\n", instance.error().ToString().c_str());
    return 2;
  }

  std::optional<weft::Func> hang_init = instance->GetFunc("hangLimitInitializer");
  std::vector<weft::Val> results;
  for (const weft::ExportType& exp : module->exports()) {
    if (exp.type.kind != weft::ExternKind::kFunc) continue;
    out += "[fuzz-exec] calling " + exp.name + "\n";
    std::optional<weft::Func> f = instance->GetFunc(exp.name);
    if (!f) {
      out += "[weft error export not found]\n";
      Flush();
      continue;
    }
    bool ok = true;
    if (hang_init) ok = CallExport(store, *hang_init, hang_init->type(), results);
    const weft::FuncType& type = exp.type.func;
    if (ok && CallExport(store, *f, type, results) && !results.empty()) {
      out += "[fuzz-exec] note result: " + exp.name + " => " + ResultsText(type, results) + "\n";
    }
    Flush();
  }
  Flush();
  return 0;
}
