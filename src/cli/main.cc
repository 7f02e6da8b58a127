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
#include "cli/serve.h"

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

  weft::cli::ServeOptions serve;
  CLI::App* serve_cmd = app.add_subcommand(
      "serve",
      "Serve a wasi:http component (one exporting wasi:http/incoming-handler@0.2.x) over "
      "HTTP/1.1. Each request runs in a guest instance taken from per-thread pools; stops "
      "gracefully on SIGINT/SIGTERM.");
  serve_cmd->add_option("--addr", serve.addr, "Listen on HOST:PORT (port 0: any free port)")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  serve_cmd->add_option("--threads", serve.threads,
                        "Event loops, each with its own listener and instance pool (default: "
                        "one per core)")
      ->type_name("N");
  serve_cmd->add_option("--max-instance-reuse-count", serve.max_instance_reuse_count,
                        "Requests an instance serves before it is dropped (1: a fresh instance "
                        "per request)")
      ->type_name("N")
      ->capture_default_str();
  serve_cmd->add_option("--max-instance-concurrent-reuse-count",
                        serve.max_instance_concurrent_reuse_count,
                        "Requests an instance serves at once, for handlers that can run "
                        "requests concurrently (wasi:http 0.2 handlers cannot)")
      ->type_name("N")
      ->capture_default_str();
  serve_cmd->add_option("--idle-instance-timeout", serve.idle_instance_timeout,
                        "Drop an instance idle for this long")
      ->type_name("DURATION")
      ->capture_default_str();
  serve_cmd->add_option("--request-timeout", serve.request_timeout,
                        "Stop a request's guest after DURATION (the client gets 504; default: "
                        "no limit)")
      ->type_name("DURATION");
  serve_cmd->add_option("--max-concurrent-requests", serve.max_concurrent_requests,
                        "Requests handled at once; more get 503 (default 0: unlimited)")
      ->type_name("N");
  serve_cmd->add_option("--max-concurrent-connections", serve.max_concurrent_connections,
                        "Open connections; more are closed at once (default 0: unlimited)")
      ->type_name("N");
  serve_cmd->add_option("--max-header-size", serve.max_header_size,
                        "Request line + headers; larger gets 431")
      ->type_name("BYTES")
      ->capture_default_str()
      ->check(kUnsignedInteger);
  serve_cmd->add_option("--max-body-size", serve.max_body_size, "Request body; larger gets 413")
      ->type_name("BYTES")
      ->capture_default_str()
      ->check(kUnsignedInteger);
  serve_cmd->add_option("--header-read-timeout", serve.header_read_timeout,
                        "Close connections that take longer to send a request head")
      ->type_name("DURATION")
      ->capture_default_str();
  serve_cmd->add_option("--shutdown-grace", serve.shutdown_grace,
                        "On SIGINT/SIGTERM, let in-flight requests finish for this long")
      ->type_name("DURATION")
      ->capture_default_str();
  serve_cmd->add_option("--max-memory-size", serve.max_memory_size,
                        "Limit each linear memory of each instance to BYTES")
      ->type_name("BYTES")
      ->check(kUnsignedInteger);
  serve_cmd->add_option("--env", serve.envs,
                        "Set a guest environment variable; NAME alone inherits weft's value")
      ->type_name("NAME[=VALUE]")
      ->allow_extra_args(false);
  serve_cmd->add_option("--dir", serve.dirs,
                        "Preopen host directory HOST for the guest, named GUEST (default: HOST)")
      ->type_name("HOST[::GUEST]")
      ->allow_extra_args(false);
  serve_cmd->add_option("--allow-outbound", serve.allow_outbound,
                        "Let outgoing requests (wasi:http/outgoing-handler) reach HOST (any "
                        "port) or HOST:PORT; repeatable. Default: all hosts. Others fail with "
                        "HTTP-request-denied")
      ->type_name("HOST[:PORT]")
      ->allow_extra_args(false);
  serve_cmd->add_flag("--inherit-network", serve.inherit_network,
                      "Let wasi:sockets use the host's network (denied by default)");
  serve_cmd->add_flag("-q,--quiet", serve.quiet, "No access log lines on stderr");
  serve_cmd->add_option("--metrics-addr", serve.metrics_addr,
                        "Serve Prometheus text metrics at http://HOST:PORT/metrics")
      ->type_name("HOST:PORT");
  serve_cmd->add_option("COMPONENT", serve.file, "The wasi:http component (.wasm)")->required();

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
  if (serve_cmd->parsed()) return weft::cli::ServeMain(serve);
  if (wast_cmd->parsed()) return weft::cli::WastMain(wast);
  if (inspect_cmd->parsed()) return weft::cli::InspectMain(inspect_file, inspect_verbose);
  return 2;
}
