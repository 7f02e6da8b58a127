// All of WASI 0.2 for one store in one object: the io context (with cli, clocks, random),
// the filesystem and the sockets state, created from one WasiP2Config, and AddAllToLinker,
// which binds every interface given one getter. What `weft run` uses; embedders with other
// needs combine the per-interface adders themselves (io.h, filesystem.h, sockets.h).
#pragma once

#include <utility>

#include "wasi/p2/filesystem.h"
#include "wasi/p2/io.h"
#include "wasi/p2/sockets.h"

namespace weft::wasi::p2 {

/// The whole WASI 0.2 state of one store. Movable; not thread-safe (one store, one thread).
struct WasiP2State {
  WasiP2Ctx io;
  FilesystemCtx fs;
  SocketsCtx sockets;

  /// Opens config.preopens (an error names the first directory that cannot be opened).
  /// `net` decides which network uses the guest may make (default: all).
  static Expected<WasiP2State> Create(boost::asio::io_context& io_context, WasiP2Config config,
                                      SocketsPolicy net = {}) {
    return Create(io_context, std::make_shared<const WasiP2Config>(std::move(config)),
                  std::move(net));
  }
  /// The same with a configuration shared by many states (not copied; not null).
  static Expected<WasiP2State> Create(boost::asio::io_context& io_context,
                                      std::shared_ptr<const WasiP2Config> config,
                                      SocketsPolicy net = {}) {
    WasiP2State s{WasiP2Ctx(io_context, std::move(config)), FilesystemCtx(),
                  SocketsCtx(io_context, std::move(net))};
    for (const auto& p : s.io.config().preopens) {
      WEFT_TRY(s.fs.AddPreopen(Preopen{p.host_path, p.guest_path, true}));
    }
    return s;
  }
};

/// Adds every WASI 0.2 interface (io, cli, clocks, random, filesystem, sockets @0.2.12) to
/// `linker`; Get reaches the state from the store data:
///   WasiP2State& GetWasi(State& s) { return s.wasi; }
///   AddAllToLinker<State, &GetWasi>(linker);
template <typename T, WasiP2State& (*Get)(T&)>
Error AddAllToLinker(component::Linker<T>& linker) {
  auto io = +[](T& t) -> WasiP2Ctx& { return Get(t).io; };
  WEFT_TRY(AddToLinker(linker, io));
  WEFT_TRY(AddFilesystemToLinker(linker, +[](T& t) -> FilesystemCtx& { return Get(t).fs; }, io));
  return AddSocketsToLinker(linker, +[](T& t) -> SocketsCtx& { return Get(t).sockets; }, io);
}

}  // namespace weft::wasi::p2
