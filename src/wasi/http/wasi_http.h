// The wasi:http 0.2 host: wasi:http/types (fields, requests, responses, bodies as wasi:io
// streams with trailers, request-options, the error-code variant), wasi:http/outgoing-handler
// (on http::Client) and the serving side of wasi:http/incoming-handler (StartHandle: one
// server request in, its response streamed out to an http::ResponseSink as the guest writes
// it). Interfaces are defined as @0.2.12; guests importing any 0.2.x link to them.
// Not thread-safe: one WasiHttpCtx per store, used on the store's (event loop) thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/message.h"
#include "wasi/p2/io.h"
#include "weft/component.h"
#include "weft/weft.h"

namespace weft::wasi::http {

struct WasiHttpConfig {
  /// `--allow-outbound HOST[:PORT]` entries; empty: every authority is allowed.
  std::vector<std::string> allow_outbound;
};

/// Per-store wasi:http state: the host objects behind every wasi:http resource of one store,
/// and the outbound client. Movable.
class WasiHttpCtx {
 public:
  WasiHttpCtx(boost::asio::io_context& io, WasiHttpConfig config);
  ~WasiHttpCtx();
  WasiHttpCtx(WasiHttpCtx&&) noexcept;
  WasiHttpCtx& operator=(WasiHttpCtx&&) noexcept;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

using HttpGetter = std::function<WasiHttpCtx&(StoreBase& store)>;

/// The non-template adder behind AddToLinker.
Error AddToLinkerBase(component::LinkerBase& linker, HttpGetter get, p2::CtxGetter io);

/// Adds wasi:http/types and wasi:http/outgoing-handler @0.2.12. `io` reaches the store's
/// wasi:io context, whose tables hold the streams and pollables wasi:http hands out (so
/// wasi:io must be in the linker too, e.g. through p2::AddAllToLinker).
template <typename T>
Error AddToLinker(component::Linker<T>& linker, WasiHttpCtx& (*get)(T&),
                  p2::WasiP2Ctx& (*io)(T&)) {
  return AddToLinkerBase(
      linker,
      [get](StoreBase& s) -> WasiHttpCtx& { return get(static_cast<Store<T>&>(s).data()); },
      p2::MakeCtxGetter(io));
}

/// The `handle` function of the instance's wasi:http/incoming-handler@0.2.x export, if any.
std::optional<component::Func> FindHandler(const component::Instance& instance);
/// The name of that export ("wasi:http/incoming-handler@0.2.N"), if any. A server making an
/// instance per request finds it once and then calls instance.GetFunc(name, "handle"), which
/// does not copy the instance's export list as FindHandler does.
std::optional<std::string> FindHandlerExport(const component::Instance& instance);

/// Serves `request` with `handle` (from FindHandler) in `store`: adds the incoming-request
/// (its body streams from request.body as the guest reads) and the response-outparam (set →
/// sink->Start, then the outgoing-body's writes go to the returned BodyWriter, finish →
/// Finish with the trailers) and starts the call asynchronously. The driver resumes the
/// returned call (wakes come through the store's p2::WasiP2Ctx) and, once it is done, calls
/// FinishHandle. The store must have been linked with AddToLinker.
Expected<std::unique_ptr<AsyncCall>> StartHandle(StoreBase& store, const component::Func& handle,
                                                 WasiHttpCtx& ctx, ::weft::http::Request request,
                                                 std::shared_ptr<::weft::http::ResponseSink> sink);

/// After the call from StartHandle is done (or was cancelled, `call` then null): finishes
/// the call and settles the response: a guest that trapped, or returned without setting the
/// response-outparam, gets sink->Fail(500, …) (if nothing was sent yet; else the response
/// is aborted); an outgoing-body the guest dropped without finishing aborts the response.
/// Returns the guest's error (trap) or, for a missing response, an error saying so.
Error FinishHandle(StoreBase& store, const component::Func& handle, WasiHttpCtx& ctx,
                   AsyncCall* call);

}  // namespace weft::wasi::http
