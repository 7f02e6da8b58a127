// `weft wast FILE`: runs a WebAssembly specification script through the public API only.
//
// Input is the JSON command list that wabt's `wast2json X.wast -o DIR/X.json` writes, with the
// module binaries beside it; a `.wast` file is converted first with `wast2json` into a temporary
// directory. Every command counts once: passed, failed, or skipped (only text-format
// `assert_malformed` modules are skipped, since Weft has no text parser). The last line printed
// is always "N passed, M failed[, K skipped]"; the exit code is 0 iff M == 0.
//
// One Engine, Store and Linker serve the whole script, as in the reference interpreter: modules
// registered with `register` stay importable, and failed instantiations leave their partial
// effects in the store. A runaway guest is stopped by an epoch deadline per command.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "weft/weft.h"

namespace weft::cli {
namespace {

using Json = nlohmann::json;

// The epoch ticker runs every kTickMs; a command gets kDeadlineTicks before it is interrupted.
// 10 ms x 1000 = 10 s: two orders of magnitude above the slowest legitimate command of the
// suite, so only a real hang trips it, even on a loaded machine.
constexpr uint32_t kTickMs = 10;
constexpr uint64_t kDeadlineTicks = 1000;

// ---------------------------------------------------------------------------------------------
// JSON helpers that never throw (the CLI is built like engine code: no exceptions in flight).

const Json* Field(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string Str(const Json& j, const char* key) {
  const Json* f = Field(j, key);
  return f != nullptr && f->is_string() ? f->get<std::string>() : std::string();
}

bool HasStr(const Json& j, const char* key) {
  const Json* f = Field(j, key);
  return f != nullptr && f->is_string();
}

uint64_t Line(const Json& cmd) {
  const Json* f = Field(cmd, "line");
  return f != nullptr && f->is_number_unsigned() ? f->get<uint64_t>() : 0;
}

/// Parses a decimal integer as written by wast2json (unsigned, or signed with '-'), keeping
/// the low `bits` bits. Returns false on garbage.
bool ParseBits(const std::string& s, unsigned bits, uint64_t* out) {
  if (s.empty()) return false;
  const char* p = s.c_str();
  char* end = nullptr;
  errno = 0;
  uint64_t v;
  if (*p == '-') {
    v = static_cast<uint64_t>(std::strtoll(p, &end, 10));
  } else {
    v = std::strtoull(p, &end, 10);
  }
  if (errno != 0 || end == p || *end != '\0') return false;
  if (bits < 64) v &= (uint64_t{1} << bits) - 1;
  *out = v;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Values: parsing, formatting, matching.

bool KindFromName(const std::string& s, ValKind* k) {
  static const std::pair<const char*, ValKind> kNames[] = {{"i32", ValKind::kI32},
                                                           {"i64", ValKind::kI64},
                                                           {"f32", ValKind::kF32},
                                                           {"f64", ValKind::kF64},
                                                           {"v128", ValKind::kV128},
                                                           {"funcref", ValKind::kFuncRef},
                                                           {"externref", ValKind::kExternRef}};
  for (const auto& [name, kind] : kNames) {
    if (s == name) {
      *k = kind;
      return true;
    }
  }
  return false;
}

/// Lane width in bits for a v128 lane_type ("i8" ... "f64"); 0 if unknown.
unsigned LaneBits(const std::string& lane_type) {
  if (lane_type == "i8") return 8;
  if (lane_type == "i16") return 16;
  if (lane_type == "i32" || lane_type == "f32") return 32;
  if (lane_type == "i64" || lane_type == "f64") return 64;
  return 0;
}

uint64_t GetLane(const V128& v, unsigned bits, unsigned i) {
  uint8_t bytes[16];
  std::memcpy(bytes, &v.lo, 8);
  std::memcpy(bytes + 8, &v.hi, 8);
  uint64_t r = 0;
  std::memcpy(&r, bytes + i * (bits / 8), bits / 8);  // Little-endian host (x86-64, aarch64).
  return r;
}

void SetLane(V128* v, unsigned bits, unsigned i, uint64_t lane) {
  uint8_t bytes[16];
  std::memcpy(bytes, &v->lo, 8);
  std::memcpy(bytes + 8, &v->hi, 8);
  std::memcpy(bytes + i * (bits / 8), &lane, bits / 8);
  std::memcpy(&v->lo, bytes, 8);
  std::memcpy(&v->hi, bytes + 8, 8);
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string FormatF32(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g (0x%08" PRIx32 ")", static_cast<double>(f), bits);
  return buf;
}

std::string FormatF64(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g (0x%016" PRIx64 ")", d, bits);
  return buf;
}

/// Formats a v128 as lanes of `lane_type` (i32 lanes when unknown).
std::string FormatV128(const V128& v, std::string lane_type) {
  unsigned bits = LaneBits(lane_type);
  if (bits == 0) {
    lane_type = "i32";
    bits = 32;
  }
  std::string s = "v128:" + lane_type + "[";
  for (unsigned i = 0; i < 128 / bits; ++i) {
    if (i > 0) s += ' ';
    uint64_t lane = GetLane(v, bits, i);
    if (lane_type == "f32") {
      s += FormatF32(static_cast<uint32_t>(lane));
    } else if (lane_type == "f64") {
      s += FormatF64(lane);
    } else {
      s += std::to_string(lane);
    }
  }
  return s + "]";
}

/// A value as the runner prints it; `lane_type` chooses the v128 lane view.
std::string FormatVal(const Val& v, const std::string& lane_type = "") {
  switch (v.kind()) {
    case ValKind::kI32:
      return "i32:" + std::to_string(static_cast<uint32_t>(v.i32())) + " (" +
             Hex(static_cast<uint32_t>(v.i32())) + ")";
    case ValKind::kI64:
      return "i64:" + std::to_string(static_cast<uint64_t>(v.i64())) + " (" +
             Hex(static_cast<uint64_t>(v.i64())) + ")";
    case ValKind::kF32:
      return "f32:" + FormatF32(v.f32_bits());
    case ValKind::kF64:
      return "f64:" + FormatF64(v.f64_bits());
    case ValKind::kV128:
      return FormatV128(v.v128(), lane_type);
    case ValKind::kFuncRef:
      return v.is_null_ref() ? "funcref:null" : "funcref:" + Hex(v.lo_bits());
    case ValKind::kExternRef:
      // Externref N of the script is carried as N + 1 (0 is null in the API).
      return v.is_null_ref() ? "externref:null" : "externref:" + std::to_string(v.lo_bits() - 1);
  }
  return "?";
}

/// Formats an expected value straight from its JSON (keeps nan:canonical etc. readable).
std::string FormatExpected(const Json& e) {
  std::string type = Str(e, "type");
  const Json* value = Field(e, "value");
  if (value == nullptr) {
    if (type == "funcref") return "funcref:<non-null>";
    return type + ":<any>";
  }
  if (value->is_array()) {
    std::string s = "v128:" + Str(e, "lane_type") + "[";
    bool first = true;
    for (const Json& lane : *value) {
      if (!first) s += ' ';
      first = false;
      std::string ls = lane.is_string() ? lane.get<std::string>() : "?";
      uint64_t bits = 0;
      std::string lt = Str(e, "lane_type");
      if (ls.rfind("nan:", 0) != 0 && ParseBits(ls, LaneBits(lt), &bits)) {
        if (lt == "f32") {
          s += FormatF32(static_cast<uint32_t>(bits));
        } else if (lt == "f64") {
          s += FormatF64(bits);
        } else {
          s += std::to_string(bits);
        }
      } else {
        s += ls;
      }
    }
    return s + "]";
  }
  std::string vs = value->is_string() ? value->get<std::string>() : "?";
  if (vs.rfind("nan:", 0) == 0 || vs == "null") return type + ":" + vs;
  uint64_t bits = 0;
  if (type == "f32" && ParseBits(vs, 32, &bits))
    return "f32:" + FormatF32(static_cast<uint32_t>(bits));
  if (type == "f64" && ParseBits(vs, 64, &bits)) return "f64:" + FormatF64(bits);
  if ((type == "i32" || type == "i64") && ParseBits(vs, type == "i32" ? 32 : 64, &bits)) {
    return type + ":" + std::to_string(bits) + " (" + Hex(bits) + ")";
  }
  return type + ":" + vs;
}

/// Builds an argument value from its JSON. Returns false (with *why) on anything unexpected.
bool ParseArg(const Json& a, Val* out, std::string* why) {
  ValKind kind;
  std::string type = Str(a, "type");
  if (!KindFromName(type, &kind)) {
    *why = "unknown argument type '" + type + "'";
    return false;
  }
  const Json* value = Field(a, "value");
  uint64_t bits = 0;
  switch (kind) {
    case ValKind::kI32:
    case ValKind::kI64:
    case ValKind::kF32:
    case ValKind::kF64: {
      unsigned width = kind == ValKind::kI32 || kind == ValKind::kF32 ? 32 : 64;
      if (value == nullptr || !value->is_string() ||
          !ParseBits(value->get<std::string>(), width, &bits)) {
        *why = "bad " + type + " argument";
        return false;
      }
      *out = Val::FromBits(kind, bits);
      return true;
    }
    case ValKind::kV128: {
      unsigned lb = LaneBits(Str(a, "lane_type"));
      if (value == nullptr || !value->is_array() || lb == 0 || value->size() != 128 / lb) {
        *why = "bad v128 argument";
        return false;
      }
      V128 v;
      unsigned i = 0;
      for (const Json& lane : *value) {
        if (!lane.is_string() || !ParseBits(lane.get<std::string>(), lb, &bits)) {
          *why = "bad v128 lane";
          return false;
        }
        SetLane(&v, lb, i++, bits);
      }
      *out = Val::MakeV128(v);
      return true;
    }
    case ValKind::kFuncRef:
    case ValKind::kExternRef: {
      std::string vs = value != nullptr && value->is_string() ? value->get<std::string>() : "";
      if (vs == "null") {
        *out = Val::Null(kind);
        return true;
      }
      if (kind == ValKind::kExternRef && ParseBits(vs, 64, &bits)) {
        // N may be 0, and 0 is the API's null: carry N + 1.
        *out = Val::MakeExternRef(ExternRef{static_cast<uintptr_t>(bits + 1)});
        return true;
      }
      *why = "unsupported " + type + " argument '" + vs + "'";
      return false;
    }
  }
  *why = "unknown argument";
  return false;
}

bool IsCanonicalNan32(uint32_t b) { return (b & 0x7fffffffu) == 0x7fc00000u; }
bool IsArithmeticNan32(uint32_t b) { return (b & 0x7fc00000u) == 0x7fc00000u; }
bool IsCanonicalNan64(uint64_t b) { return (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull; }
bool IsArithmeticNan64(uint64_t b) { return (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull; }

/// Matches one float (or float lane) of width 32/64 against "nan:canonical", "nan:arithmetic"
/// or exact bits.
bool MatchFloat(const std::string& expected, unsigned width, uint64_t got) {
  if (expected == "nan:canonical") {
    return width == 32 ? IsCanonicalNan32(static_cast<uint32_t>(got)) : IsCanonicalNan64(got);
  }
  if (expected == "nan:arithmetic") {
    return width == 32 ? IsArithmeticNan32(static_cast<uint32_t>(got)) : IsArithmeticNan64(got);
  }
  uint64_t bits = 0;
  return ParseBits(expected, width, &bits) && bits == got;
}

/// Compares a result with its expectation: exact bits for integers and floats, NaN classes for
/// nan:canonical / nan:arithmetic, lane by lane for v128, null-ness and identity for references.
bool MatchVal(const Json& e, const Val& got) {
  ValKind kind;
  if (!KindFromName(Str(e, "type"), &kind) || kind != got.kind()) return false;
  const Json* value = Field(e, "value");
  switch (kind) {
    case ValKind::kI32:
    case ValKind::kI64: {
      unsigned width = kind == ValKind::kI32 ? 32 : 64;
      uint64_t bits = 0;
      uint64_t g = width == 32 ? static_cast<uint32_t>(got.lo_bits()) : got.lo_bits();
      return value != nullptr && value->is_string() &&
             ParseBits(value->get<std::string>(), width, &bits) && bits == g;
    }
    case ValKind::kF32:
      return value != nullptr && value->is_string() &&
             MatchFloat(value->get<std::string>(), 32, got.f32_bits());
    case ValKind::kF64:
      return value != nullptr && value->is_string() &&
             MatchFloat(value->get<std::string>(), 64, got.f64_bits());
    case ValKind::kV128: {
      std::string lt = Str(e, "lane_type");
      unsigned lb = LaneBits(lt);
      if (value == nullptr || !value->is_array() || lb == 0 || value->size() != 128 / lb)
        return false;
      unsigned i = 0;
      for (const Json& lane : *value) {
        if (!lane.is_string()) return false;
        uint64_t g = GetLane(got.v128(), lb, i++);
        std::string ls = lane.get<std::string>();
        if (lt == "f32" || lt == "f64") {
          if (!MatchFloat(ls, lb, g)) return false;
        } else {
          uint64_t bits = 0;
          if (!ParseBits(ls, lb, &bits) || bits != g) return false;
        }
      }
      return true;
    }
    case ValKind::kFuncRef: {
      std::string vs = value != nullptr && value->is_string() ? value->get<std::string>() : "";
      if (vs == "null") return got.is_null_ref();
      return !got.is_null_ref();  // ref.func: any non-null function.
    }
    case ValKind::kExternRef: {
      std::string vs = value != nullptr && value->is_string() ? value->get<std::string>() : "";
      if (vs == "null") return got.is_null_ref();
      uint64_t n = 0;
      if (!ParseBits(vs, 64, &n)) return !got.is_null_ref();
      return got.lo_bits() == n + 1;
    }
  }
  return false;
}

/// True if a trap/error message satisfies the script's expected text. The message must contain
/// the text; a message that is a word-boundary prefix of the text also matches, because the
/// reference interpreter sometimes appends detail ("uninitialized element 2").
bool MessageMatches(const std::string& got, const std::string& want) {
  if (got.find(want) != std::string::npos) return true;
  return !got.empty() && want.size() > got.size() && want.compare(0, got.size(), got) == 0 &&
         want[got.size()] == ' ';
}

const char* CodeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::kMalformed:
      return "malformed";
    case ErrorCode::kInvalid:
      return "invalid";
    case ErrorCode::kUnlinkable:
      return "unlinkable";
    case ErrorCode::kTrap:
      return "trap";
    default:
      return "error";
  }
}

bool ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// ---------------------------------------------------------------------------------------------
// wast2json conversion for .wast input.

std::optional<std::string> FindInPath(const std::string& prog) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  // Built with append() only: string assignment from literals here trips g++-12's false
  // -Wrestrict at -O3.
  std::string_view rest(path);
  while (true) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    std::string candidate;
    candidate.append(dir.empty() ? std::string_view(".") : dir).append(1, '/').append(prog);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
}

/// Runs `wast2json WAST -o DIR/NAME.json`; returns the JSON path or an error message.
bool ConvertWast(const std::string& wast, const std::string& dir, std::string* json_path,
                 std::string* err) {
  std::optional<std::string> tool = FindInPath("wast2json");
  if (!tool) {
    *err =
        "wast2json not found in PATH; it is needed to run .wast files (install wabt, or pass "
        "the .json that `wast2json FILE.wast -o DIR/FILE.json` writes)";
    return false;
  }
  std::string stem = std::filesystem::path(wast).stem().string();
  if (stem.empty()) stem = "script";
  *json_path = dir + "/" + stem + ".json";
  pid_t pid = ::fork();
  if (pid < 0) {
    *err = std::string("fork failed: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    const char* argv[] = {tool->c_str(), wast.c_str(), "-o", json_path->c_str(), nullptr};
    ::execv(tool->c_str(), const_cast<char* const*>(argv));
    _exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *err = "wast2json failed on " + wast + " (exit status " +
           std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The runner.

struct Empty {};

/// The module files a script names, by file name, read up front so that a temporary
/// conversion directory can be removed before any guest code runs (a crash cannot leak it).
using ModuleFiles = std::map<std::string, std::vector<uint8_t>>;

ModuleFiles ReadModuleFiles(const Json& commands, const std::string& dir) {
  ModuleFiles files;
  for (const Json& cmd : commands) {
    std::string file = Str(cmd, "filename");
    if (file.empty() || files.count(file) != 0) continue;
    std::vector<uint8_t> bytes;
    if (ReadFile(dir + "/" + file, &bytes)) files.emplace(file, std::move(bytes));
  }
  return files;
}

class Runner {
 public:
  Runner(const WastOptions& options, std::string dir, std::string source, ModuleFiles modules)
      : options_(options),
        dir_(std::move(dir)),
        modules_(std::move(modules)),
        source_(std::move(source)),
        engine_(MakeConfig()),
        store_(engine_),
        linker_(engine_) {}

  /// Sets up the spectest module; false (with a message printed) if the API refuses.
  bool Init() {
    linker_.AllowShadowing(true);  // `register` may reuse a name (table_copy.wast).
    engine_.StartEpochTicker(kTickMs);
    store_.SetDeadlineAction(DeadlineAction::kTrap);
    return DefineSpectest();
  }

  void Run(const Json& commands) {
    for (const Json& cmd : commands) RunCommand(cmd);
  }

  int Finish() {
    std::printf("%" PRIu64 " passed, %" PRIu64 " failed", passed_, failed_);
    if (skipped_ > 0) std::printf(", %" PRIu64 " skipped", skipped_);
    std::printf("\n");
    std::fflush(stdout);
    return failed_ == 0 ? 0 : 1;
  }

 private:
  static Config MakeConfig() {
    Config c;
    c.epoch_interruption = true;
    // WEFT_WAST_EAGER=1 lowers every function at load, so code the script never calls is
    // lowered too (a triage aid for the interpreter's lowering; see docs/testing.md).
    const char* eager = std::getenv("WEFT_WAST_EAGER");
    if (eager != nullptr && std::strcmp(eager, "1") == 0) c.lazy_compile = false;
    return c;
  }

  // -- reporting ------------------------------------------------------------------------------

  void Pass(const Json& cmd, const std::string& what) {
    ++passed_;
    if (options_.verbose)
      std::printf("%s:%" PRIu64 ": ok: %s\n", source_.c_str(), Line(cmd), what.c_str());
  }
  void Fail(const Json& cmd, const std::string& what, const std::string& why) {
    ++failed_;
    std::printf("%s:%" PRIu64 ": FAIL: %s: %s\n", source_.c_str(), Line(cmd), what.c_str(),
                why.c_str());
  }
  void Skip(const Json& cmd, const std::string& what) {
    ++skipped_;
    if (options_.verbose)
      std::printf("%s:%" PRIu64 ": skipped: %s\n", source_.c_str(), Line(cmd), what.c_str());
  }
  void Note(const Json& cmd, const std::string& what) {
    if (options_.verbose)
      std::printf("%s:%" PRIu64 ": note: %s\n", source_.c_str(), Line(cmd), what.c_str());
  }

  // -- spectest -------------------------------------------------------------------------------

  bool Check(Error e, const char* what) {
    if (e.ok()) return true;
    std::fprintf(stderr, "weft wast: cannot define spectest.%s: %s\n", what, e.ToString().c_str());
    return false;
  }

  bool DefineSpectest() {
    // Printing mirrors the reference interpreter ("42 : i32"), only with -v to keep logs short.
    bool v = options_.verbose;
    bool ok = true;
    // A zero-parameter FuncWrap trips g++-12's -Wunused-but-set-parameter inside weft.h.
    ok &= Check(linker_.DefineFunc("spectest", "print", FuncType{},
                                   [v](CallerBase&, std::span<const Val>, std::span<Val>) -> Error {
                                     if (v) std::printf("print\n");
                                     return Error();
                                   }),
                "print");
    ok &= Check(linker_.FuncWrap("spectest", "print_i32",
                                 [v](int32_t x) {
                                   if (v) std::printf("%" PRId32 " : i32\n", x);
                                 }),
                "print_i32");
    ok &= Check(linker_.FuncWrap("spectest", "print_i64",
                                 [v](int64_t x) {
                                   if (v) std::printf("%" PRId64 " : i64\n", x);
                                 }),
                "print_i64");
    ok &= Check(linker_.FuncWrap("spectest", "print_f32",
                                 [v](float x) {
                                   if (v) std::printf("%.9g : f32\n", static_cast<double>(x));
                                 }),
                "print_f32");
    ok &= Check(linker_.FuncWrap("spectest", "print_f64",
                                 [v](double x) {
                                   if (v) std::printf("%.17g : f64\n", x);
                                 }),
                "print_f64");
    ok &= Check(linker_.FuncWrap("spectest", "print_i32_f32",
                                 [v](int32_t x, float y) {
                                   if (v)
                                     std::printf("%" PRId32 " : i32\n%.9g : f32\n", x,
                                                 static_cast<double>(y));
                                 }),
                "print_i32_f32");
    ok &= Check(linker_.FuncWrap("spectest", "print_f64_f64",
                                 [v](double x, double y) {
                                   if (v) std::printf("%.17g : f64\n%.17g : f64\n", x, y);
                                 }),
                "print_f64_f64");
    if (!ok) return false;

    struct GlobalDef {
      const char* name;
      ValKind kind;
      Val init;
    };
    const GlobalDef globals[] = {
        {"global_i32", ValKind::kI32, Val::I32(666)},
        {"global_i64", ValKind::kI64, Val::I64(666)},
        {"global_f32", ValKind::kF32, Val::F32(666.6f)},
        {"global_f64", ValKind::kF64, Val::F64(666.6)},
    };
    for (const GlobalDef& g : globals) {
      Expected<Global> global = NewGlobal(store_, GlobalType{g.kind, false}, g.init);
      if (!global.ok()) return Check(global.error(), g.name);
      if (!Check(linker_.Define("spectest", g.name, Extern::Of(*global)), g.name)) return false;
    }
    TableType tt;
    tt.elem = ValKind::kFuncRef;
    tt.limits.min = 10;
    tt.limits.max = 20;
    Expected<Table> table = NewTable(store_, tt, Val::Null(ValKind::kFuncRef));
    if (!table.ok()) return Check(table.error(), "table");
    if (!Check(linker_.Define("spectest", "table", Extern::Of(*table)), "table")) return false;
    MemoryType mt;
    mt.limits.min = 1;
    mt.limits.max = 2;
    Expected<Memory> memory = NewMemory(store_, mt);
    if (!memory.ok()) return Check(memory.error(), "memory");
    return Check(linker_.Define("spectest", "memory", Extern::Of(*memory)), "memory");
  }

  // -- modules --------------------------------------------------------------------------------

  /// Reads and compiles the command's module file.
  Expected<Module> CompileFile(const Json& cmd) {
    std::string file = Str(cmd, "filename");
    auto it = modules_.find(file);
    if (file.empty() || it == modules_.end()) {
      return Error::Make(ErrorCode::kIo, "cannot read module file '" + dir_ + "/" + file + "'");
    }
    return Module::Compile(engine_, it->second);
  }

  Expected<Instance> Instantiate(const Module& module) {
    store_.SetEpochDeadline(kDeadlineTicks);  // The start function runs guest code.
    return linker_.Instantiate(store_, module);
  }

  void CmdModule(const Json& cmd) {
    std::string what = "module " + Str(cmd, "filename");
    if (HasStr(cmd, "name")) what += " as " + Str(cmd, "name");
    current_.reset();  // A module that fails leaves no current module behind.
    Expected<Module> module = CompileFile(cmd);
    if (!module.ok()) return Fail(cmd, what, "compile failed: " + module.error().ToString());
    Expected<Instance> inst = Instantiate(*module);
    if (!inst.ok()) return Fail(cmd, what, "instantiation failed: " + inst.error().ToString());
    current_ = *inst;
    if (HasStr(cmd, "name")) named_[Str(cmd, "name")] = *inst;
    Pass(cmd, what);
  }

  void CmdRegister(const Json& cmd) {
    std::string as = Str(cmd, "as");
    std::string what = "register \"" + as + "\"";
    std::optional<Instance> inst = FindInstance(cmd, &what);
    if (!inst) return Fail(cmd, what, "no such module");
    Error e = linker_.DefineInstance(as, *inst);
    if (!e.ok()) return Fail(cmd, what, e.ToString());
    Pass(cmd, what);
  }

  std::optional<Instance> FindInstance(const Json& obj, std::string* what) {
    if (HasStr(obj, "name") || HasStr(obj, "module")) {
      std::string name = HasStr(obj, "module") ? Str(obj, "module") : Str(obj, "name");
      *what += " (module " + name + ")";
      auto it = named_.find(name);
      if (it == named_.end()) return std::nullopt;
      return it->second;
    }
    return current_;
  }

  /// assert_invalid / assert_malformed: the binary must be rejected.
  void CmdRejected(const Json& cmd, const std::string& type) {
    std::string text = Str(cmd, "text");
    std::string what = type + " " + Str(cmd, "filename") + " \"" + text + "\"";
    if (Str(cmd, "module_type") == "text") {
      if (type == "assert_malformed") return Skip(cmd, what + " (text format)");
      return Fail(cmd, what, "text-format modules are not supported");
    }
    Expected<Module> module = CompileFile(cmd);
    if (module.ok()) return Fail(cmd, what, "module was accepted; expected rejection: " + text);
    const Error& e = module.error();
    ErrorCode want = type == "assert_malformed" ? ErrorCode::kMalformed : ErrorCode::kInvalid;
    if (e.code() == ErrorCode::kIo) return Fail(cmd, what, e.ToString());
    if (e.code() != want || !MessageMatches(e.message(), text)) {
      Note(cmd, std::string("rejected with a different reason: ") + CodeName(e.code()) + ": " +
                    e.ToString());
    }
    Pass(cmd, what);
  }

  void CmdUnlinkable(const Json& cmd) {
    std::string text = Str(cmd, "text");
    std::string what = "assert_unlinkable " + Str(cmd, "filename") + " \"" + text + "\"";
    Expected<Module> module = CompileFile(cmd);
    if (!module.ok()) return Fail(cmd, what, "compile failed: " + module.error().ToString());
    Expected<Instance> inst = Instantiate(*module);
    if (inst.ok()) return Fail(cmd, what, "instantiation succeeded; expected: " + text);
    if (inst.error().code() != ErrorCode::kUnlinkable ||
        !MessageMatches(inst.error().message(), text)) {
      Note(cmd, std::string("failed with a different reason: ") + CodeName(inst.error().code()) +
                    ": " + inst.error().ToString());
    }
    Pass(cmd, what);
  }

  void CmdUninstantiable(const Json& cmd) {
    std::string text = Str(cmd, "text");
    std::string what = "assert_uninstantiable " + Str(cmd, "filename") + " \"" + text + "\"";
    Expected<Module> module = CompileFile(cmd);
    if (!module.ok()) return Fail(cmd, what, "compile failed: " + module.error().ToString());
    Expected<Instance> inst = Instantiate(*module);
    if (inst.ok()) return Fail(cmd, what, "instantiation succeeded; expected trap: " + text);
    const Error& e = inst.error();
    if (e.code() != ErrorCode::kTrap)
      return Fail(cmd, what, "expected trap \"" + text + "\", got " + e.ToString());
    if (!MessageMatches(e.message(), text)) {
      return Fail(cmd, what, "expected trap \"" + text + "\", got trap \"" + e.message() + "\"");
    }
    Pass(cmd, what);
  }

  // -- actions --------------------------------------------------------------------------------

  struct ActionResult {
    std::string setup_error;  ///< Non-empty: the action could not even be attempted.
    Error error;              ///< The call's trap or failure.
    std::vector<Val> results;
  };

  /// Describes an action for messages: invoke "f"(i32:1, ...) or get "g".
  static std::string Describe(const Json& action) {
    std::string s = Str(action, "type") + " \"" + Str(action, "field") + "\"";
    if (Str(action, "type") != "invoke") return s;
    s += "(";
    const Json* args = Field(action, "args");
    if (args != nullptr && args->is_array()) {
      bool first = true;
      for (const Json& a : *args) {
        if (!first) s += ", ";
        first = false;
        s += FormatExpected(a);
      }
    }
    return s + ")";
  }

  ActionResult RunAction(const Json& action, std::string* what) {
    ActionResult r;
    std::optional<Instance> inst = FindInstance(action, what);
    if (!inst) {
      r.setup_error = HasStr(action, "module") ? "no such module" : "no current module";
      return r;
    }
    std::string field = Str(action, "field");
    std::string type = Str(action, "type");
    if (type == "get") {
      std::optional<Global> g = inst->GetGlobal(field);
      if (!g) {
        r.setup_error = "no global export \"" + field + "\"";
        return r;
      }
      r.results.push_back(g->Get());
      return r;
    }
    if (type != "invoke") {
      r.setup_error = "unknown action type \"" + type + "\"";
      return r;
    }
    std::optional<Func> f = inst->GetFunc(field);
    if (!f) {
      r.setup_error = "no function export \"" + field + "\"";
      return r;
    }
    std::vector<Val> args;
    const Json* jargs = Field(action, "args");
    if (jargs != nullptr && jargs->is_array()) {
      for (const Json& a : *jargs) {
        Val v;
        if (!ParseArg(a, &v, &r.setup_error)) return r;
        args.push_back(v);
      }
    }
    FuncType ft = f->type();
    bool match = ft.params.size() == args.size();
    for (size_t i = 0; match && i < args.size(); ++i) match = ft.params[i] == args[i].kind();
    if (!match) {
      r.setup_error = "arguments do not match the function type " + ft.ToString();
      return r;
    }
    store_.SetEpochDeadline(kDeadlineTicks);
    Expected<std::vector<Val>> out = f->Call(store_, args);
    if (out.ok()) {
      r.results = std::move(*out);
    } else {
      r.error = out.take_error();
    }
    return r;
  }

  static std::string FormatResults(const std::vector<Val>& vals, const Json* expected) {
    std::string s = "(";
    for (size_t i = 0; i < vals.size(); ++i) {
      if (i > 0) s += ", ";
      std::string lt;
      if (expected != nullptr && expected->is_array() && i < expected->size())
        lt = Str((*expected)[i], "lane_type");
      s += FormatVal(vals[i], lt);
    }
    return s + ")";
  }

  static std::string FormatExpectedList(const Json* expected) {
    std::string s = "(";
    if (expected != nullptr && expected->is_array()) {
      bool first = true;
      for (const Json& e : *expected) {
        if (!first) s += ", ";
        first = false;
        s += FormatExpected(e);
      }
    }
    return s + ")";
  }

  void CmdAction(const Json& cmd) {
    const Json* action = Field(cmd, "action");
    std::string what = "action " + (action ? Describe(*action) : std::string("?"));
    if (action == nullptr) return Fail(cmd, what, "missing action");
    ActionResult r = RunAction(*action, &what);
    if (!r.setup_error.empty()) return Fail(cmd, what, r.setup_error);
    if (!r.error.ok()) return Fail(cmd, what, "unexpected failure: " + r.error.ToString());
    Pass(cmd, what);
  }

  void CmdAssertReturn(const Json& cmd) {
    const Json* action = Field(cmd, "action");
    std::string what = "assert_return " + (action ? Describe(*action) : std::string("?"));
    if (action == nullptr) return Fail(cmd, what, "missing action");
    ActionResult r = RunAction(*action, &what);
    if (!r.setup_error.empty()) return Fail(cmd, what, r.setup_error);
    const Json* expected = Field(cmd, "expected");
    if (!r.error.ok()) {
      return Fail(cmd, what,
                  "expected " + FormatExpectedList(expected) + ", got " +
                      (r.error.code() == ErrorCode::kTrap ? "trap: " : "error: ") +
                      r.error.ToString());
    }
    bool ok = expected != nullptr && expected->is_array() && expected->size() == r.results.size();
    for (size_t i = 0; ok && i < r.results.size(); ++i) ok = MatchVal((*expected)[i], r.results[i]);
    if (!ok) {
      return Fail(cmd, what,
                  "expected " + FormatExpectedList(expected) + ", got " +
                      FormatResults(r.results, expected));
    }
    Pass(cmd, what);
  }

  /// assert_trap and assert_exhaustion: the action must trap with the expected message.
  void CmdAssertTrap(const Json& cmd, const std::string& type) {
    const Json* action = Field(cmd, "action");
    std::string text = Str(cmd, "text");
    std::string what = type + " " + (action ? Describe(*action) : std::string("?"));
    if (action == nullptr) return Fail(cmd, what, "missing action");
    ActionResult r = RunAction(*action, &what);
    if (!r.setup_error.empty()) return Fail(cmd, what, r.setup_error);
    if (r.error.ok()) {
      return Fail(cmd, what,
                  "expected trap \"" + text + "\", got " +
                      FormatResults(r.results, Field(cmd, "expected")));
    }
    if (r.error.code() != ErrorCode::kTrap) {
      return Fail(cmd, what, "expected trap \"" + text + "\", got error: " + r.error.ToString());
    }
    if (!MessageMatches(r.error.message(), text)) {
      return Fail(cmd, what,
                  "expected trap \"" + text + "\", got trap \"" + r.error.message() + "\"");
    }
    Pass(cmd, what);
  }

  void RunCommand(const Json& cmd) {
    std::string type = Str(cmd, "type");
    if (type == "module") {
      CmdModule(cmd);
    } else if (type == "register") {
      CmdRegister(cmd);
    } else if (type == "action") {
      CmdAction(cmd);
    } else if (type == "assert_return") {
      CmdAssertReturn(cmd);
    } else if (type == "assert_trap" || type == "assert_exhaustion") {
      CmdAssertTrap(cmd, type);
    } else if (type == "assert_invalid" || type == "assert_malformed") {
      CmdRejected(cmd, type);
    } else if (type == "assert_unlinkable") {
      CmdUnlinkable(cmd);
    } else if (type == "assert_uninstantiable") {
      CmdUninstantiable(cmd);
    } else {
      Fail(cmd, type, "unknown command type");
    }
    std::fflush(stdout);
  }

  const WastOptions& options_;
  std::string dir_;      // Where the module files named by the JSON lived (for messages).
  ModuleFiles modules_;  // Their contents, read before the run.
  std::string source_;   // The .wast name used in messages.
  Engine engine_;
  Store<Empty> store_;
  Linker<Empty> linker_;
  std::optional<Instance> current_;
  std::map<std::string, Instance> named_;
  uint64_t passed_ = 0;
  uint64_t failed_ = 0;
  uint64_t skipped_ = 0;
};

/// Removes a temporary directory when the run ends, whatever the path out.
struct TempDir {
  std::string path;
  ~TempDir() { Remove(); }
  void Remove() {
    if (!path.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
      path.clear();
    }
  }
};

}  // namespace

int WastMain(const WastOptions& options) {
  std::string json_path = options.file;
  TempDir temp;
  std::filesystem::path p(options.file);
  if (p.extension() == ".wast") {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmpdir != nullptr && *tmpdir ? tmpdir : "/tmp") + "/weft-wast-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) {
      std::fprintf(stderr, "weft wast: cannot create a temporary directory: %s\n",
                   std::strerror(errno));
      return 1;
    }
    temp.path = buf.data();
    std::string err;
    if (!ConvertWast(options.file, temp.path, &json_path, &err)) {
      std::fprintf(stderr, "weft wast: %s\n", err.c_str());
      return 1;
    }
  }

  std::vector<uint8_t> bytes;
  if (!ReadFile(json_path, &bytes)) {
    std::fprintf(stderr, "weft wast: cannot read %s: %s\n", json_path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  Json doc = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  const Json* commands = Field(doc, "commands");
  if (doc.is_discarded() || commands == nullptr || !commands->is_array()) {
    std::fprintf(stderr,
                 "weft wast: %s is not a wast2json command list (expected {\"commands\": [...]})\n",
                 json_path.c_str());
    return 1;
  }
  std::string source = Str(doc, "source_filename");
  if (source.empty()) source = std::filesystem::path(options.file).filename().string();
  std::string dir = std::filesystem::path(json_path).parent_path().string();
  if (dir.empty()) dir = ".";

  ModuleFiles modules = ReadModuleFiles(*commands, dir);
  temp.Remove();
  Runner runner(options, dir, source, std::move(modules));
  if (!runner.Init()) return 1;
  runner.Run(*commands);
  return runner.Finish();
}

}  // namespace weft::cli
