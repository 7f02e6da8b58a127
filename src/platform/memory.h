// Virtual memory primitives for linear memories and fiber stacks. A reservation is address
// space only (PROT_NONE, not charged to the commit limit); Commit makes a page-aligned range
// of it readable and writable (zero-filled on first touch). Addresses never move.
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::platform {

/// The OS page size (4 KiB on x86-64 Linux).
size_t PageSize();

/// Reserves `bytes` (rounded up to the page size) of inaccessible address space.
/// Returns null on failure.
void* Reserve(size_t bytes);

/// Makes [addr, addr + bytes) readable and writable. Both must be page-aligned and inside a
/// reservation. Returns false on failure (e.g. out of memory).
bool Commit(void* addr, size_t bytes);

/// Makes [addr, addr + bytes) inaccessible again and returns its pages to the OS.
bool Decommit(void* addr, size_t bytes);

/// Releases a whole reservation made by Reserve.
void Release(void* addr, size_t bytes);

}  // namespace weft::platform
