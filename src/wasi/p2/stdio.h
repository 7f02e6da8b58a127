// wasi:io streams over host file descriptors, behind wasi:cli's stdin/stdout/stderr.
// Output is written synchronously and completely before Write returns (as wasmtime's stdout
// does): bytes reach the fd in the order the guest wrote them, none are buffered in the host
// or lost, and a full pipe stalls the writer (poll()ing for POLLOUT when the fd is
// non-blocking) rather than dropping data. Input reads only what poll() says is available,
// so a Read never blocks; Subscribe() is readiness of the fd on the io_context.
#pragma once

#include <memory>

#include "wasi/p2/io.h"

namespace weft::wasi::p2 {

/// An input stream reading `fd` (not owned; -1: a stream that is closed from the start).
/// A closed descriptor (EBADF) reads as end of input, as wasmtime's stdin does.
std::shared_ptr<InputStream> FdInputStream(int fd);
/// An output stream writing `fd` (not owned; -1: closed). EPIPE reports the stream closed;
/// writes to a closed descriptor (EBADF) are dropped and succeed, as wasmtime's stdout does.
std::shared_ptr<OutputStream> FdOutputStream(int fd);

/// check-write's budget for fd streams: writes of up to this many bytes are accepted at once.
inline constexpr uint64_t kFdWriteBudget = 1 << 20;

}  // namespace weft::wasi::p2
