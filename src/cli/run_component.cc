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
#include "weft/component_wave.h"
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

Error AddDirsAndEnv(const std::vector<std::string>& dirs, const std::vector<std::string>& envs,
                    p2::WasiP2Config& config) {
  for (const std::string& dir : dirs) {
    auto d = ParseDir(dir);
    if (!d.ok()) return std::move(d).error();
    config.preopens.push_back({d->host, d->guest});
  }
  for (const std::string& env : envs) {
    auto e = ParseEnv(env);
    if (!e.ok()) return std::move(e).error();
    if (!e->has_value()) continue;
    const std::string& kv = **e;
    size_t eq = kv.find('=');
    config.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return Error();
}

int RunComponent(const RunOptions& o, std::span<const uint8_t> bytes,
                 std::optional<std::chrono::nanoseconds> timeout) {
  p2::WasiP2Config config;
  if (Error e = AddDirsAndEnv(o.dirs, o.envs, config); !e.ok()) return Fail(e.message());
  config.args.push_back(o.file);
  if (!o.invoke) config.args.insert(config.args.end(), o.args.begin(), o.args.end());

  GuestLimits limits(o, timeout);
  Config engine_config;
  limits.Configure(engine_config);
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
  if (Error e = limits.ApplyTo(store)) return Fail(e.message());

  cm::Linker<State> linker(engine);
  linker.TrapUnknownImports(o.trap_unknown_imports);
  if (Error e = p2::AddAllToLinker<State, &GetWasi>(linker)) return Fail(e.message());
  auto pre = linker.InstantiatePre(*component);
  if (!pre.ok()) {
    std::string hint = o.trap_unknown_imports
                           ? ""
                           : "\n(--trap-unknown-imports makes missing imports trap when called)";
    bool runnable = false, handler = false;
    for (const cm::ExternDesc& e : component->exports()) {
      runnable |= e.name.starts_with("wasi:cli/run@");
      handler |= e.name.starts_with("wasi:http/incoming-handler@");
    }
    if (handler && !runnable) {
      hint = "\n(it is a wasi:http handler: serve it with `weft serve " + o.file + "`)";
    }
    return Fail("failed to link `" + o.file + "`: " + pre.error().ToString() + hint);
  }

  // From here on guest code runs (a start function may already), so arm the timeout.
  limits.Arm(engine, store);
  auto finish = [&](const Error& e) { return limits.Finish(e, "failed to run `" + o.file + "`"); };

  auto instance = pre->Instantiate(store);
  if (!instance.ok()) return limits.FinishInstantiate(instance.error());
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
      return Fail("`" + o.file +
                  "` is not a command component: it does not export wasi:cli/run@0.2.x "
                  "(use --invoke 'NAME(ARGS)' to call one of its exports). It exports:\n" +
                  DescribeExports(exports));
    }
    std::vector<cm::Val> results;
    Error e = call(*run, {}, results);
    if (!e.ok()) return finish(e);
    limits.Stop();
    std::fflush(stdout);
    // run: func() -> result: err means failure without a message (exit status 1).
    if (!results.empty() && results[0].kind == cm::TypeKind::kResult && results[0].bits != 0) {
      return kExitError;
    }
    return 0;
  }

  // --invoke 'name(a, b)' (WAVE arguments) or --invoke name with ARGS one value each.
  auto call_text = cm::SplitWaveCall(*o.invoke);
  if (!call_text.ok()) return Fail("--invoke `" + *o.invoke + "`: " + call_text.error().message());
  const std::string name = call_text->name;
  const bool parenthesised = o.invoke->find('(') != std::string::npos;
  if (parenthesised && !o.args.empty()) {
    return Fail("--invoke `" + *o.invoke + "`: give the arguments inside the parentheses only");
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
    return Fail("`" + o.file + "` has no exported function `" + name + "`. It exports:\n" +
                DescribeExports(exports));
  }
  cm::TypeRef type = func->type();
  std::vector<cm::Val> params;
  if (parenthesised) {
    auto p = cm::ParseWaveArgs(call_text->args, type, call_text->args_offset);
    if (!p.ok()) {
      return Fail("--invoke " + name + " " + cm::TypeToString(type) + ": " + p.error().message());
    }
    params = std::move(p).value();
  } else {
    if (o.args.size() != type->fields.size()) {
      return Fail("--invoke " + name + ": expected " + std::to_string(type->fields.size()) +
                  " argument(s) for " + cm::TypeToString(type) + ", got " +
                  std::to_string(o.args.size()));
    }
    for (size_t i = 0; i < o.args.size(); ++i) {
      auto v = cm::ParseWave(o.args[i], type->fields[i].type);
      if (!v.ok()) {
        return Fail("--invoke " + name + ": argument " + std::to_string(i + 1) + " (" +
                    type->fields[i].name + ": " + cm::TypeToString(type->fields[i].type) +
                    "): " + v.error().message());
      }
      params.push_back(std::move(v).value());
    }
  }
  std::vector<cm::Val> results;
  Error e = call(*func, std::move(params), results);
  if (!e.ok()) return finish(e);
  limits.Stop();
  std::fflush(stdout);
  if (type->result != nullptr) {
    std::printf("%s\n", cm::ResultsToWave(results, type).c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace weft::cli
