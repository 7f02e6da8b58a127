// Linux implementation of memory.h on mmap/mprotect/madvise.
#include "platform/memory.h"

#include <sys/mman.h>
#include <unistd.h>

namespace weft::platform {

size_t PageSize() {
  static const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return kPage;
}

static size_t RoundUp(size_t n) {
  size_t p = PageSize();
  return (n + p - 1) & ~(p - 1);
}

void* Reserve(size_t bytes) {
  if (bytes == 0) bytes = PageSize();
  // MAP_NORESERVE: a 4 GiB reservation per memory must not count against overcommit, and
  // later mprotect(RW) on a NORESERVE mapping is not charged either.
  void* p =
      mmap(nullptr, RoundUp(bytes), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

bool Commit(void* addr, size_t bytes) {
  if (bytes == 0) return true;
  return mprotect(addr, RoundUp(bytes), PROT_READ | PROT_WRITE) == 0;
}

bool Decommit(void* addr, size_t bytes) {
  if (bytes == 0) return true;
  size_t n = RoundUp(bytes);
  if (madvise(addr, n, MADV_DONTNEED) != 0) return false;
  return mprotect(addr, n, PROT_NONE) == 0;
}

void Release(void* addr, size_t bytes) {
  if (addr != nullptr) munmap(addr, RoundUp(bytes == 0 ? PageSize() : bytes));
}

}  // namespace weft::platform
