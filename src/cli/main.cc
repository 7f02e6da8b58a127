// The `weft` program: parses the command line (CLI11) and dispatches to the subcommands
// (run.cc, wast.cc). Usage errors exit with code 2 (CLI11's convention), after a message.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/run.h"

namespace weft::cli {
int InspectMain(const std::string& file, bool verbose);  // inspect.cc
}  // namespace weft::cli

namespace {
constexpr const char* kVersion = "weft 0.1.0";

// Returns how many of argv's entries CLI11 should parse: up to and including `run`'s FILE
// (the first non-option after `run`); the rest become `guest_args`.
int SplitGuestArgs(int argc, char** argv, std::vector<std::string>* guest_args) {
  static const std::set<std::string> kTakesValue = {"--dir",  "--env",     "--invoke",
                                                    "--fuel", "--timeout", "--max-memory-size"};
  int i = 1;
  while (i < argc && argv[i][0] == '-') ++i;  // global flags (--help, --version)
  if (i >= argc || std::strcmp(argv[i], "run") != 0) return argc;
  for (++i; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() > 1 && a[0] == '-') {
      if (kTakesValue.count(a) != 0) ++i;  // "--dir X" (not "--dir=X")
      continue;
    }
    break;
  }
  int end = std::min(i + 1, argc);  // FILE included
  for (int j = end; j < argc; ++j) guest_args->push_back(argv[j]);
  return end;
}
}  // namespace

// Digits only, within 64 bits: CLI11 would wrap "-1" into a huge unsigned value.
const CLI::Validator kUnsignedInteger(
    [](std::string& s) -> std::string {
      uint64_t v;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      bool ok = !s.empty() && ec == std::errc() && end == s.data() + s.size();
      return ok ? std::string() : "`" + s + "` is not a non-negative 64-bit integer";
    },
    "");

int main(int argc, char** argv) {
  CLI::App app{"Weft: a WebAssembly runtime.", "weft"};
  app.set_version_flag("--version", kVersion, "Print the version and exit");
  app.require_subcommand(1);
  app.footer("Run `weft SUBCOMMAND --help` for a subcommand's options.");

  weft::cli::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand(
      "run",
      "Run a WebAssembly module (a WASI command's _start) or component (its wasi:cli/run), or "
      "one export with --invoke.");
  run_cmd->add_option("--dir", run.dirs,
                      "Preopen host directory HOST for the guest, named GUEST (default: HOST)")
      ->type_name("HOST[::GUEST]")
      ->allow_extra_args(false);
  run_cmd->add_option("--env", run.envs,
                      "Set a guest environment variable; NAME alone inherits weft's value")
      ->type_name("NAME[=VALUE]")
      ->allow_extra_args(false);
  run_cmd->add_option("--invoke", run.invoke,
                      "Call export NAME instead of _start, with ARGS as its parameters; prints "
                      "the results one per line. Components: 'NAME(ARG, ...)' with WAVE "
                      "values (\"text\", [1, 2], some(3), {a: 1}); the result prints as WAVE")
      ->type_name("NAME");
  run_cmd->add_flag("--trap-unknown-imports", run.trap_unknown_imports,
                    "Components: imports weft does not provide trap when called, instead of "
                    "failing at instantiation");
  run_cmd->add_flag("--inherit-network", run.inherit_network,
                    "Components: let wasi:sockets create TCP/UDP sockets and resolve names on "
                    "the host's network (denied by default: access-denied)");
  run_cmd->add_option("--fuel", run.fuel, "Trap with \"all fuel consumed\" after N units of fuel")
      ->type_name("N")
      ->check(kUnsignedInteger);
  run_cmd->add_option("--timeout", run.timeout,
                      "Stop the guest after DURATION (e.g. 1s, 500ms, 2m) with exit code 124")
      ->type_name("DURATION");
  run_cmd->add_option("--max-memory-size", run.max_memory_size,
                      "Limit each linear memory to BYTES")
      ->type_name("BYTES")
      ->check(kUnsignedInteger);
  run_cmd->add_option("FILE", run.file, "The WebAssembly module or component (.wasm)")
      ->required();
  run_cmd->add_option("ARGS", run.args, "Arguments for the guest (or --invoke parameters)");

  weft::cli::WastOptions wast;
  CLI::App* wast_cmd = app.add_subcommand(
      "wast", "Run a WebAssembly spec test script (wast2json .json, or .wast)");
  wast_cmd
      ->add_option("FILE", wast.file,
                   "The script: the .json that wast2json writes (its .wasm files beside it), "
                   "or a .wast file, converted first with wast2json (which must be on PATH)")
      ->required();
  wast_cmd->add_flag("-v,--verbose", wast.verbose, "Print every command, not only failures");

  std::string inspect_file;
  bool inspect_verbose = false;
  CLI::App* inspect_cmd = app.add_subcommand(
      "inspect", "Print a component's imports and exports as WIT, or a module's as a list");
  inspect_cmd->add_option("FILE", inspect_file, "The component or module (.wasm)")->required();
  inspect_cmd->add_flag("-v,--verbose", inspect_verbose,
                        "Also print each interface's functions and types");

  // Everything after `run`'s FILE belongs to the guest, even if it looks like an option, so
  // CLI11 only sees the command line up to FILE (an unknown option before FILE is an error).
  std::vector<std::string> guest_args;
  int parsed_argc = SplitGuestArgs(argc, argv, &guest_args);
  try {
    app.parse(parsed_argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help, the version, or the problem
    return code == 0 ? 0 : 2;
  }
  if (run_cmd->parsed()) {
    run.args = std::move(guest_args);
    return weft::cli::RunMain(run);
  }
  if (wast_cmd->parsed()) return weft::cli::WastMain(wast);
  if (inspect_cmd->parsed()) return weft::cli::InspectMain(inspect_file, inspect_verbose);
  return 2;
}
