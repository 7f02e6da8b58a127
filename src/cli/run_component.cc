// `weft run` for components: compile, link WASI 0.2, instantiate, then call the
// wasi:cli/run export (or --invoke's export with WAVE arguments) as an async call driven by
// the io_context loop: a guest waiting in wasi:io/poll suspends, the loop runs Asio until a
// waker fires (WasiP2Ctx::TakeWake) and resumes it, so waiting never spins or blocks in a
// host function. Exit codes as for modules (run.h): run's err → 1, wasi:cli/exit → its status.
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/run_internal.h"
#include "cli/run_options.h"
#include "wasi/p2/wasi_p2.h"
#include "weft/component.h"
#include "weft/weft.h"

namespace weft::cli {

namespace {

namespace cm = weft::component;
namespace p2 = weft::wasi::p2;

struct State {
  p2::WasiP2State wasi;
};

p2::WasiP2State& GetWasi(State& s) { return s.wasi; }

const char* SortName(cm::ExternSort s) {
  switch (s) {
    case cm::ExternSort::kCoreModule: return "core module";
    case cm::ExternSort::kFunc: return "func";
    case cm::ExternSort::kValue: return "value";
    case cm::ExternSort::kType: return "type";
    case cm::ExternSort::kComponent: return "component";
    case cm::ExternSort::kInstance: return "instance";
  }
  return "?";
}

// "  name: func(a: u32) -> string", and for an instance its functions below it.
std::string DescribeExports(const std::vector<cm::ExternDesc>& exports) {
  if (exports.empty()) return "  (nothing)\n";
  std::string out;
  for (const cm::ExternDesc& e : exports) {
    if (e.sort == cm::ExternSort::kFunc && e.type != nullptr) {
      out += "  " + e.name + ": " + cm::TypeToString(e.type) + "\n";
    } else if (e.sort == cm::ExternSort::kInstance && e.type != nullptr) {
      out += "  instance " + e.name + "\n";
      for (const cm::ExternDesc& f : e.type->exports) {
        if (f.sort == cm::ExternSort::kFunc && f.type != nullptr) {
          out += "    " + f.name + ": " + cm::TypeToString(f.type) + "\n";
        }
      }
    } else {
      out += "  " + std::string(SortName(e.sort)) + " " + e.name + "\n";
    }
  }
  return out;
}

// The exported instance named `prefix` + version (e.g. "wasi:cli/run@0.2.") if any.
std::optional<std::string> FindInstanceExport(const std::vector<cm::ExternDesc>& exports,
                                              std::string_view prefix) {
  for (const cm::ExternDesc& e : exports) {
    if (e.sort == cm::ExternSort::kInstance && e.name.rfind(prefix, 0) == 0) return e.name;
  }
  return std::nullopt;
}

// Splits "a, [1, 2], \"x,y\"" at top-level commas (outside brackets and string/char quotes).
std::vector<std::string> SplitWaveArgs(std::string_view text) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      cur += c;
      if (c == '\\' && i + 1 < text.size()) {
        cur += text[++i];
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  auto blank = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); });
  };
  if (!blank(cur) || !parts.empty()) parts.push_back(cur);
  // A trailing comma ("f(1, 2,)") leaves a blank last part: drop it.
  if (parts.size() > 1 && blank(parts.back())) parts.pop_back();
  return parts;
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\n");
  size_t e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Drives an async call to completion: a host suspension waits on the io_context until a
// waker fires; an epoch yield resumes at once.
Error Drive(p2::WasiP2Ctx& ctx, boost::asio::io_context& io, AsyncCall& call) {
  while (call.state() == AsyncCall::State::kSuspended) {
    if (call.reason() == AsyncCall::Reason::kHostSuspend) {
      while (!ctx.TakeWake()) {
        if (io.stopped()) io.restart();
        if (io.run_one() == 0) {
          return Error::Make(ErrorCode::kTrap,
                             "the guest waits on nothing that can wake it (deadlock)");
        }
      }
    }
    call.Resume();
  }
  return Error();
}

}  // namespace

int RunComponent(const RunOptions& o, std::span<const uint8_t> bytes,
                 std::optional<std::chrono::nanoseconds> timeout) {
  p2::WasiP2Config config;
  for (const std::string& dir : o.dirs) {
    auto d = ParseDir(dir);
    if (!d.ok()) return Fail(d.error().message());
    config.preopens.push_back({d->host, d->guest});
  }
  for (const std::string& env : o.envs) {
    auto e = ParseEnv(env);
    if (!e.ok()) return Fail(e.error().message());
    if (!e->has_value()) continue;
    const std::string& kv = **e;
    size_t eq = kv.find('=');
    config.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  config.args.push_back(o.file);
  if (!o.invoke) config.args.insert(config.args.end(), o.args.begin(), o.args.end());

  Config engine_config;
  engine_config.consume_fuel = o.fuel.has_value();
  engine_config.epoch_interruption = timeout.has_value();
  Engine engine(engine_config);
  auto component = cm::Component::Compile(engine, bytes);
  if (!component.ok()) {
    return Fail("failed to compile `" + o.file + "`: " + component.error().ToString());
  }

  boost::asio::io_context io;
  // The network is closed unless granted, as in wasmtime (-S inherit-network): sockets and
  // name lookups then fail with access-denied.
  p2::SocketsPolicy net;
  net.allow_tcp = net.allow_udp = net.allow_ip_name_lookup = o.inherit_network;
  auto wasi = p2::WasiP2State::Create(io, std::move(config), std::move(net));
  if (!wasi.ok()) return Fail(wasi.error().message());
  Store<State> store(engine, State{std::move(wasi).value()});
  if (o.max_memory_size) {
    StoreLimits limits;
    limits.max_memory_bytes = *o.max_memory_size;
    store.SetLimits(limits);
  }
  if (o.fuel) {
    if (Error e = store.SetFuel(*o.fuel)) return Fail(e.message());
  }

  cm::Linker<State> linker(engine);
  linker.TrapUnknownImports(o.trap_unknown_imports);
  if (Error e = p2::AddAllToLinker<State, &GetWasi>(linker)) return Fail(e.message());
  auto pre = linker.InstantiatePre(*component);
  if (!pre.ok()) {
    std::string hint = o.trap_unknown_imports
                           ? ""
                           : "\n(--trap-unknown-imports makes missing imports trap when called)";
    return Fail("failed to link `" + o.file + "`: " + pre.error().ToString() + hint);
  }

  Watchdog watchdog;
  auto stop_timers = [&] {
    engine.StopEpochTicker();
    watchdog.Stop();
  };
  if (timeout) {
    watchdog.Start(*timeout, *o.timeout);
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout).count();
    uint32_t interval = static_cast<uint32_t>(std::clamp<int64_t>(ms / 100, 1, 10));
    store.SetEpochDeadline(static_cast<uint64_t>((ms + interval - 1) / interval));
    store.SetDeadlineAction(DeadlineAction::kTrap);
    engine.StartEpochTicker(interval);
  }

  auto finish = [&](Error e) -> int {
    stop_timers();
    std::fflush(stdout);
    if (e.ok()) return 0;
    if (e.code() == ErrorCode::kExit) return e.exit_status();
    if (e.code() == ErrorCode::kTrap) {
      if (timeout && e.message().find("interrupt") != std::string::npos) {
        std::fprintf(stderr, "timeout: guest exceeded %s\n", o.timeout->c_str());
        return kExitTimeout;
      }
      PrintTrap(o.file, e);
      return kExitTrap;
    }
    return Fail("failed to run `" + o.file + "`: " + e.ToString());
  };

  auto instance = pre->Instantiate(store);
  if (!instance.ok()) {
    Error e = std::move(instance).error();
    if (e.code() == ErrorCode::kTrap || e.code() == ErrorCode::kExit) return finish(std::move(e));
    stop_timers();
    return Fail("failed to instantiate `" + o.file + "`: " + e.ToString());
  }
  std::vector<cm::ExternDesc> exports = instance->exports();
  p2::WasiP2Ctx& ctx = store.data().wasi.io;

  // Calls `f` asynchronously with `params`; results into `results`.
  auto call = [&](const cm::Func& f, std::vector<cm::Val> params,
                  std::vector<cm::Val>& results) -> Error {
    auto c = f.CallAsync(store, std::move(params));
    if (!c.ok()) return std::move(c).error();
    WEFT_TRY(Drive(ctx, io, **c));
    if (!(*c)->error().ok()) return (*c)->error();
    return f.FinishAsync(store, **c, results);
  };

  if (!o.invoke) {
    std::optional<std::string> run_name = FindInstanceExport(exports, "wasi:cli/run@0.2.");
    std::optional<cm::Func> run;
    if (run_name) run = instance->GetFunc(*run_name, "run");
    if (!run) {
      stop_timers();
      return Fail("`" + o.file +
                  "` is not a command component: it does not export wasi:cli/run@0.2.x "
                  "(use --invoke 'NAME(ARGS)' to call one of its exports). It exports:\n" +
                  DescribeExports(exports));
    }
    std::vector<cm::Val> results;
    Error e = call(*run, {}, results);
    if (!e.ok()) return finish(std::move(e));
    stop_timers();
    std::fflush(stdout);
    // run: func() -> result: err means failure without a message (exit status 1).
    if (!results.empty() && results[0].kind == cm::TypeKind::kResult && results[0].bits != 0) {
      return kExitError;
    }
    return 0;
  }

  // --invoke 'name(a, b)' (WAVE arguments) or --invoke name with ARGS one value each.
  std::string spec = Trim(*o.invoke);
  std::string name = spec;
  std::vector<std::string> arg_texts;
  size_t open = spec.find('(');
  if (open != std::string::npos) {
    if (spec.back() != ')') {
      stop_timers();
      return Fail("--invoke `" + spec + "`: expected NAME(ARGS) with a closing parenthesis");
    }
    name = Trim(spec.substr(0, open));
    arg_texts = SplitWaveArgs(std::string_view(spec).substr(open + 1, spec.size() - open - 2));
    if (!o.args.empty()) {
      stop_timers();
      return Fail("--invoke `" + spec + "`: give the arguments inside the parentheses only");
    }
  } else {
    arg_texts = o.args;
  }
  // "iface#func" names a function in an exported instance; a bare name is a top-level
  // export, or else the one exported instance function of that name.
  std::optional<cm::Func> func;
  size_t hash = name.find('#');
  if (hash != std::string::npos) {
    func = instance->GetFunc(name.substr(0, hash), name.substr(hash + 1));
  } else {
    func = instance->GetFunc(name);
    if (!func) {
      for (const cm::ExternDesc& e : exports) {
        if (e.sort != cm::ExternSort::kInstance || e.type == nullptr) continue;
        for (const cm::ExternDesc& f : e.type->exports) {
          if (f.sort == cm::ExternSort::kFunc && f.name == name) {
            if (func) {
              stop_timers();
              return Fail("--invoke: `" + name + "` is exported by several instances; write " +
                          "INSTANCE#" + name);
            }
            func = instance->GetFunc(e.name, name);
          }
        }
      }
    }
  }
  if (!func) {
    stop_timers();
    return Fail("`" + o.file + "` has no exported function `" + name + "`. It exports:\n" +
                DescribeExports(exports));
  }
  cm::TypeRef type = func->type();
  if (arg_texts.size() != type->fields.size()) {
    stop_timers();
    return Fail("--invoke " + name + ": expected " + std::to_string(type->fields.size()) +
                " argument(s) for " + cm::TypeToString(type) + ", got " +
                std::to_string(arg_texts.size()));
  }
  std::vector<cm::Val> params;
  for (size_t i = 0; i < arg_texts.size(); ++i) {
    auto v = cm::ParseWave(Trim(arg_texts[i]), type->fields[i].type);
    if (!v.ok()) {
      stop_timers();
      return Fail("--invoke " + name + ": argument " + std::to_string(i + 1) + " (" +
                  type->fields[i].name + ": " + cm::TypeToString(type->fields[i].type) +
                  "): " + v.error().message());
    }
    params.push_back(std::move(v).value());
  }
  std::vector<cm::Val> results;
  Error e = call(*func, std::move(params), results);
  if (!e.ok()) return finish(std::move(e));
  stop_timers();
  std::fflush(stdout);
  if (type->result != nullptr && !results.empty()) {
    std::printf("%s\n", cm::ValToWave(results[0], type->result).c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace weft::cli
