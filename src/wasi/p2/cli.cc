// wasi:cli @0.2.12 host: environment (from WasiP2Config), exit (Error::Exit), stdin/stdout/
// stderr (the context's shared fd streams), and the terminal-* interfaces, which, like
// wasmtime, offer a terminal handle only when the fd is a tty (isatty) and none otherwise.
#include <unistd.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "wasi/p2/io.h"

namespace weft::wasi::p2 {

namespace {

using component::HostContext;
using component::Resource;

struct TerminalInputTag {};
struct TerminalOutputTag {};

struct AnyData {};
using Inst = component::LinkerInstance<AnyData>;

Inst InstanceOf(component::LinkerBase& linker, std::string_view name) {
  component::LinkerInstanceBase b = linker.InstanceBase(name);
  return Inst(b.linker(), b.node());
}

// Terminal handles carry no state: the rep is the host fd + 1 (never 0), nothing to free.
Error DefineTerminalInput(Inst& inst) {
  return inst.DefineResource<TerminalInputTag>("terminal-input");
}
Error DefineTerminalOutput(Inst& inst) {
  return inst.DefineResource<TerminalOutputTag>("terminal-output");
}

template <typename Tag>
std::optional<Resource<Tag>> TerminalOf(int fd) {
  if (fd < 0 || ::isatty(fd) != 1) return std::nullopt;
  return Resource<Tag>{static_cast<uint32_t>(fd) + 1};
}

}  // namespace

Error AddCliToLinkerBase(component::LinkerBase& linker, CtxGetter get) {
  {
    Inst inst = InstanceOf(linker, "wasi:cli/environment@0.2.12");
    WEFT_TRY(inst.FuncWrap(
        "get-environment",
        [get](HostContext& cx) -> std::vector<std::tuple<std::string, std::string>> {
          std::vector<std::tuple<std::string, std::string>> env;
          for (const auto& [k, v] : get(cx.store()).config().env) env.emplace_back(k, v);
          return env;
        }));
    WEFT_TRY(inst.FuncWrap("get-arguments", [get](HostContext& cx) -> std::vector<std::string> {
      return get(cx.store()).config().args;
    }));
    WEFT_TRY(inst.FuncWrap("initial-cwd", [get](HostContext& cx) -> std::optional<std::string> {
      return get(cx.store()).config().initial_cwd;
    }));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:cli/exit@0.2.12");
    WEFT_TRY(inst.FuncWrap("exit", [](component::Result<void, void> status) -> Error {
      return Error::Exit(status.ok() ? 0 : 1);
    }));
    // @unstable(feature = cli-exit-with-code); harmless to offer.
    WEFT_TRY(inst.FuncWrap("exit-with-code",
                           [](uint8_t code) -> Error { return Error::Exit(code); }));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:cli/stdin@0.2.12");
    WEFT_TRY(DefineIoResource(inst, "input-stream", get));
    WEFT_TRY(inst.FuncWrap("get-stdin", [get](HostContext& cx) -> Resource<InputStreamTag> {
      WasiP2Ctx& ctx = get(cx.store());
      return Resource<InputStreamTag>{ctx.input_streams.Add(ctx.StdinStream())};
    }));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:cli/stdout@0.2.12");
    WEFT_TRY(DefineIoResource(inst, "output-stream", get));
    WEFT_TRY(inst.FuncWrap("get-stdout", [get](HostContext& cx) -> Resource<OutputStreamTag> {
      WasiP2Ctx& ctx = get(cx.store());
      return Resource<OutputStreamTag>{ctx.output_streams.Add(ctx.StdoutStream())};
    }));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:cli/stderr@0.2.12");
    WEFT_TRY(DefineIoResource(inst, "output-stream", get));
    WEFT_TRY(inst.FuncWrap("get-stderr", [get](HostContext& cx) -> Resource<OutputStreamTag> {
      WasiP2Ctx& ctx = get(cx.store());
      return Resource<OutputStreamTag>{ctx.output_streams.Add(ctx.StderrStream())};
    }));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:cli/terminal-input@0.2.12");
    WEFT_TRY(DefineTerminalInput(inst));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:cli/terminal-output@0.2.12");
    WEFT_TRY(DefineTerminalOutput(inst));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:cli/terminal-stdin@0.2.12");
    WEFT_TRY(DefineTerminalInput(inst));
    WEFT_TRY(inst.FuncWrap("get-terminal-stdin",
                           [get](HostContext& cx) -> std::optional<Resource<TerminalInputTag>> {
                             return TerminalOf<TerminalInputTag>(get(cx.store()).config().stdin_fd);
                           }));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:cli/terminal-stdout@0.2.12");
    WEFT_TRY(DefineTerminalOutput(inst));
    WEFT_TRY(inst.FuncWrap(
        "get-terminal-stdout",
        [get](HostContext& cx) -> std::optional<Resource<TerminalOutputTag>> {
          return TerminalOf<TerminalOutputTag>(get(cx.store()).config().stdout_fd);
        }));
  }
  {
    Inst inst = InstanceOf(linker, "wasi:cli/terminal-stderr@0.2.12");
    WEFT_TRY(DefineTerminalOutput(inst));
    WEFT_TRY(inst.FuncWrap(
        "get-terminal-stderr",
        [get](HostContext& cx) -> std::optional<Resource<TerminalOutputTag>> {
          return TerminalOf<TerminalOutputTag>(get(cx.store()).config().stderr_fd);
        }));
  }
  return Error();
}

}  // namespace weft::wasi::p2
