// `weft run`: load, link against WASI preview1, instantiate, run `_start` or --invoke, and map
// the outcome to an exit code (see run.h). Every failure is one clear message on stderr.
// Components take their own path after the file is read (run_component.cc).
#include "cli/run.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/run_internal.h"
#include "cli/run_options.h"
#include "wasi/wasi.h"
#include "weft/component.h"
#include "weft/weft.h"

namespace weft::cli {

namespace {

struct State {
  wasi::WasiCtx wasi;
};

}  // namespace

int Fail(const std::string& message) {
  std::fprintf(stderr, "Error: %s\n", message.c_str());
  return kExitError;
}

// POSIX calls (no iostream exceptions): directories, FIFOs that fail and unreadable files
// are errors with the reason.
Error ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  auto fail = [&path](int err) {
    return Error::Make(ErrorCode::kIo, "failed to read `" + path + "`: " + std::strerror(err));
  };
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno);
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    return fail(EISDIR);
  }
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return fail(err);
    }
    if (n == 0) break;
    out->insert(out->end(), buf, buf + n);
  }
  close(fd);
  return Error();
}

void PrintTrap(const std::string& file, const Error& e) {
  std::fprintf(stderr, "Error: failed to run main module `%s`\n\nCaused by:\n", file.c_str());
  std::fprintf(stderr, "    wasm trap: %s\n", e.message().c_str());
  const std::vector<std::string>& frames = e.backtrace();
  if (frames.empty()) return;
  std::fprintf(stderr, "    wasm backtrace:\n");
  // A stack overflow has thousands of frames: show both ends.
  constexpr size_t kHead = 20, kTail = 5;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames.size() > kHead + kTail + 1 && i == kHead) {
      std::fprintf(stderr, "        ... %zu more frames ...\n", frames.size() - kHead - kTail);
      i = frames.size() - kTail;
    }
    std::fprintf(stderr, "        %zu: %s\n", i, frames[i].c_str());
  }
}

int RunMain(const RunOptions& o) {
  // A guest writing to a closed pipe (`weft run prog | head -1`) gets EPIPE from fd_write,
  // as under wasmtime and node, instead of weft dying from SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  // Options first: a bad flag is reported before any work.
  std::optional<std::chrono::nanoseconds> timeout;
  if (o.timeout) {
    auto d = ParseDuration(*o.timeout);
    if (!d.ok()) return Fail("--timeout: " + d.error().message());
    timeout = *d;
  }
  wasi::WasiConfig config;
  for (const std::string& dir : o.dirs) {
    auto d = ParseDir(dir);
    if (!d.ok()) return Fail(d.error().message());
    config.preopens.push_back({d->host, d->guest});
  }
  for (const std::string& env : o.envs) {
    auto e = ParseEnv(env);
    if (!e.ok()) return Fail(e.error().message());
    if (e->has_value()) config.env.push_back(**e);
  }
  // argv[0] is the module's file name as given on the command line, like wasmtime.
  config.args.push_back(o.file);
  if (!o.invoke) config.args.insert(config.args.end(), o.args.begin(), o.args.end());

  std::vector<uint8_t> bytes;
  if (Error e = ReadFile(o.file, &bytes)) return Fail(e.message());
  if (component::Component::IsComponentBinary(bytes)) return RunComponent(o, bytes, timeout);

  GuestLimits limits(o, timeout);
  Config engine_config;
  limits.Configure(engine_config);
  Engine engine(engine_config);
  auto module = Module::Compile(engine, bytes);
  if (!module.ok()) {
    return Fail("failed to compile `" + o.file + "`: " + module.error().ToString());
  }

  auto ctx = wasi::WasiCtx::Create(std::move(config));
  if (!ctx.ok()) return Fail(ctx.error().message());
  Store<State> store(engine, State{std::move(ctx).value()});
  if (Error e = limits.ApplyTo(store)) return Fail(e.message());

  Linker<State> linker(engine);
  if (Error e = wasi::AddToLinker(linker, +[](State& s) -> wasi::WasiCtx& { return s.wasi; })) {
    return Fail(e.message());
  }
  auto pre = linker.InstantiatePre(*module);
  if (!pre.ok()) return Fail("failed to link `" + o.file + "`: " + pre.error().ToString());

  // From here on guest code runs (a start function may already), so arm the timeout.
  limits.Arm(engine, store);
  auto finish = [&](const Error& e) {
    return limits.Finish(e, "failed to run main module `" + o.file + "`");
  };

  auto instance = pre->Instantiate(store);
  if (!instance.ok()) return limits.FinishInstantiate(instance.error());

  if (!o.invoke) {
    std::optional<Func> start = instance->GetFunc("_start");
    if (!start) {
      // A reactor (or a plain module): initialise it, nothing else to run.
      if (auto init = instance->GetFunc("_initialize")) {
        return finish(init->Call(store, {}, {}));
      }
      return 0;
    }
    if (!start->type().params.empty() || !start->type().results.empty()) {
      return Fail("`_start` in `" + o.file + "` must have type () -> (), has " +
                  start->type().ToString());
    }
    return finish(start->Call(store, {}, {}));
  }

  std::optional<Func> func = instance->GetFunc(*o.invoke);
  if (!func) {
    return Fail("`" + o.file + "` has no exported function `" + *o.invoke + "`");
  }
  FuncType type = func->type();
  if (o.args.size() != type.params.size()) {
    return Fail("--invoke " + *o.invoke + ": expected " + std::to_string(type.params.size()) +
                " argument(s) for " + type.ToString() + ", got " + std::to_string(o.args.size()));
  }
  std::vector<Val> args;
  for (size_t i = 0; i < o.args.size(); ++i) {
    auto v = ParseInvokeArg(o.args[i], type.params[i]);
    if (!v.ok()) {
      return Fail("--invoke " + *o.invoke + ": argument " + std::to_string(i + 1) + ": " +
                  v.error().message());
    }
    args.push_back(*v);
  }
  if (auto init = instance->GetFunc("_initialize")) {
    if (Error e = init->Call(store, {}, {})) return finish(e);
  }
  std::vector<Val> results(type.results.size());
  Error e = func->Call(store, args, results);
  if (!e.ok()) return finish(e);
  limits.Stop();
  for (const Val& v : results) std::printf("%s\n", FormatResult(v).c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace weft::cli
