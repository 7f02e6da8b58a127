// `weft run`: runs a wasm32-wasi command module (or one export with --invoke) under WASI
// preview1, or a component's wasi:cli/run (or one export with --invoke 'name(wave args)')
// under WASI 0.2, following `wasmtime run`'s conventions. See docs/cli.md and docs/wasi.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weft::cli {

/// Exit codes of `weft run` besides the guest's own proc_exit status.
inline constexpr int kExitError = 1;     ///< Bad flags, unreadable/invalid module, link error.
inline constexpr int kExitTimeout = 124;  ///< --timeout expired (as coreutils timeout(1)).
inline constexpr int kExitTrap = 134;    ///< Guest trap (128 + SIGABRT, as wasmtime on unix).

struct RunOptions {
  std::string file;                  ///< The module or component; argv[0] for the guest.
  std::vector<std::string> args;     ///< Guest arguments after FILE.
  std::vector<std::string> dirs;     ///< --dir HOST[::GUEST]
  std::vector<std::string> envs;     ///< --env NAME=VALUE | NAME
  /// --invoke NAME (args are its parameters); for components also 'NAME(WAVE, ...)'.
  std::optional<std::string> invoke;
  std::optional<uint64_t> fuel;      ///< --fuel N
  std::optional<std::string> timeout;           ///< --timeout DURATION
  std::optional<uint64_t> max_memory_size;      ///< --max-memory-size BYTES
  /// --trap-unknown-imports (components): imports the host lacks trap when called instead of
  /// failing instantiation.
  bool trap_unknown_imports = false;
  bool inherit_network = false;  ///< components: wasi:sockets may use the host network
};

/// Runs the module; returns the process exit code (errors are printed to stderr).
int RunMain(const RunOptions& options);

}  // namespace weft::cli
