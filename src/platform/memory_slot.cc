// Linux implementation of memory_slot.h: memfd images, per-thread slot pools. A free slot
// keeps its protections (the next user usually wants the same sizes: no mprotect) and its
// image mapping (the next user usually instantiates the same module: no mmap).
#include "platform/memory_slot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "platform/memory.h"

namespace weft::platform {

// ---------------------------------------------------------------------------------------------
// MemoryImage

namespace {
std::atomic<uint64_t> next_image_id{1};

size_t RoundUpToPage(size_t n) {
  size_t p = PageSize();
  return (n + p - 1) & ~(p - 1);
}
}  // namespace

std::unique_ptr<MemoryImage> MemoryImage::Create(size_t bytes) {
  size_t size = RoundUpToPage(bytes);
  if (size == 0) return nullptr;
  int fd = memfd_create("weft-memory-image", MFD_CLOEXEC);
  if (fd < 0) return nullptr;
  // The file is sparse: pages never written are holes and read as zeros.
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    close(fd);
    return nullptr;
  }
  auto image = std::unique_ptr<MemoryImage>(
      new MemoryImage(fd, size, next_image_id.fetch_add(1, std::memory_order_relaxed)));
  // Shared and read-only: shows the file's pages as written (before slots map it).
  void* view = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (view != MAP_FAILED) image->view_ = static_cast<const uint8_t*>(view);
  return image;
}

MemoryImage::~MemoryImage() {
  if (view_ != nullptr) munmap(const_cast<uint8_t*>(view_), size_);
  close(fd_);
}

bool MemoryImage::Write(size_t offset, std::span<const uint8_t> data) {
  if (offset > size_ || data.size() > size_ - offset) return false;
  while (!data.empty()) {
    ssize_t n = pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data = data.subspan(static_cast<size_t>(n));
    offset += static_cast<size_t>(n);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The per-thread pool

struct SlotPool {
  std::vector<MemorySlot*> free;
  uint64_t reservations = 0;
  ~SlotPool();
  static MemorySlot* Take(size_t reserve_bytes, uint64_t image_id);
};

namespace {
// Set when the thread's pool has been destroyed (thread exit): slots released later, by
// other thread-local destructors, are unmapped instead. Trivially destructible on purpose.
thread_local bool pool_destroyed = false;
thread_local SlotPool pool;
// Bytes the free slots of this thread's pool keep resident for their next user to reset.
thread_local uint64_t pool_kept = 0;

// /proc/self/pagemap, opened once per process (reopened in a forked child, whose "self" is
// another process); -1 if unavailable.
int PagemapFd() {
  static std::mutex mu;
  static int fd = -1;
  static pid_t owner = 0;
  std::lock_guard<std::mutex> lock(mu);
  pid_t pid = getpid();
  if (owner != pid) {
    if (fd >= 0) close(fd);
    fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    owner = pid;
  }
  return fd;
}
}  // namespace

SlotPool::~SlotPool() {
  pool_destroyed = true;
  for (MemorySlot* s : free) {
    s->Unmap();
    delete s;
  }
  free.clear();
}

// The best free slot for a request: one holding the same image with the exact size (nothing
// to remap or re-protect), else the exact size, else the smallest that fits.
MemorySlot* SlotPool::Take(size_t reserve_bytes, uint64_t image_id) {
  std::vector<MemorySlot*>& f = pool.free;
  size_t best = f.size();
  int best_score = -1;
  for (size_t i = f.size(); i-- > 0;) {  // newest first: its pages are most likely cached
    const MemorySlot* s = f[i];
    if (s->reserved() < reserve_bytes) continue;
    bool exact = s->reserved() == reserve_bytes;
    int score = exact ? (s->image_id() == image_id ? 3 : 2) : 1;
    if (score > best_score ||
        (score == best_score && score == 1 && s->reserved() < f[best]->reserved())) {
      best = i;
      best_score = score;
      if (score == 3) break;
    }
  }
  if (best == f.size()) return nullptr;
  MemorySlot* s = f[best];
  f.erase(f.begin() + static_cast<ptrdiff_t>(best));
  pool_kept -= s->kept_bytes_;
  return s;
}

size_t MemorySlot::FreeInThisThread() { return pool_destroyed ? 0 : pool.free.size(); }
uint64_t MemorySlot::ReservationsInThisThread() { return pool_destroyed ? 0 : pool.reservations; }
uint64_t MemorySlot::KeptBytesInThisThread() { return pool_destroyed ? 0 : pool_kept; }

// ---------------------------------------------------------------------------------------------
// MemorySlot

MemorySlot* MemorySlot::Acquire(size_t reserve_bytes, size_t accessible_bytes,
                                const MemoryImage* image) {
  if (accessible_bytes > reserve_bytes) return nullptr;
  if (image != nullptr && image->size() > accessible_bytes) return nullptr;
  MemorySlot* s = nullptr;
  if (!pool_destroyed) s = SlotPool::Take(reserve_bytes, image != nullptr ? image->id() : 0);
  if (s == nullptr) {
    size_t n = RoundUpToPage(std::max<size_t>(reserve_bytes, 1));
    void* base = Reserve(n);
    if (base == nullptr) return nullptr;
    s = new MemorySlot(static_cast<uint8_t*>(base), n);
    if (!pool_destroyed) ++pool.reservations;
  }
  if (!s->Prepare(accessible_bytes, image)) {
    s->Unmap();
    delete s;
    return nullptr;
  }
  return s;
}

bool MemorySlot::Prepare(size_t accessible_bytes, const MemoryImage* image) {
  uint64_t want = image != nullptr ? image->id() : 0;
  if (!kept_.empty()) {
    // Same image (or none) with its bytes at hand: copy and zero in place, no page faults.
    // Otherwise drop the pages as Release would have.
    const uint8_t* src = image != nullptr ? image->bytes() : nullptr;
    if (image_id_ == want && (want == 0 || src != nullptr)) {
      for (const Run& r : kept_) {
        size_t end = r.offset + r.bytes;
        size_t image_end = std::min(end, image_size_);
        if (r.offset < image_end) std::memcpy(base_ + r.offset, src + r.offset, image_end - r.offset);
        size_t zeros_from = std::max(r.offset, image_size_);
        if (zeros_from < end) std::memset(base_ + zeros_from, 0, end - zeros_from);
      }
    } else {
      for (const Run& r : kept_) {
        if (madvise(base_ + r.offset, r.bytes, MADV_DONTNEED) != 0) return false;
      }
    }
    kept_.clear();
    kept_bytes_ = 0;
  }
  if (image_id_ != want) {
    if (image_size_ != 0) {
      // Anonymous zero pages over the old image; they stay accessible like the image was.
      void* p = mmap(base_, image_size_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
      if (p == MAP_FAILED) return false;
      image_size_ = 0;
      image_id_ = 0;
    }
    if (image != nullptr) {
      void* p = mmap(base_, image->size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
                     image->fd(), 0);
      if (p == MAP_FAILED) return false;  // the range may be unmapped now: caller drops it
      image_size_ = image->size();
      image_id_ = want;
      accessible_ = std::max(accessible_, image_size_);
    }
  }
  if (accessible_ < accessible_bytes) {
    if (!Commit(base_ + accessible_, accessible_bytes - accessible_)) return false;
  } else if (accessible_ > accessible_bytes) {
    // Pages past the new size were dropped by Release (they read as zeros if made accessible
    // again); only the protection changes. The image is never in this range (its size is at
    // most the accessible size of the memories it serves).
    if (mprotect(base_ + accessible_bytes, accessible_ - accessible_bytes, PROT_NONE) != 0) {
      return false;
    }
  }
  accessible_ = accessible_bytes;
  return true;
}

bool MemorySlot::Grow(size_t bytes) {
  if (bytes <= accessible_) return true;
  if (bytes > reserved_) return false;
  if (!Commit(base_ + accessible_, bytes - accessible_)) return false;
  accessible_ = bytes;
  return true;
}

bool MemorySlot::DropImage() {
  if (image_size_ == 0) return true;
  void* p = mmap(base_, image_size_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  image_size_ = 0;
  image_id_ = 0;
  return true;
}

void MemorySlot::Release() {
  if (pool_destroyed || pool.free.size() >= kMaxFreePerThread) {
    Unmap();
    delete this;
    return;
  }
  if (!KeepWrittenPages()) {
    Unmap();
    delete this;
    return;
  }
  pool_kept += kept_bytes_;
  pool.free.push_back(this);
}

bool MemorySlot::KeepWrittenPages() {
  kept_.clear();
  kept_bytes_ = 0;
  if (accessible_ == 0) return true;
  // What this slot may keep: its own bound and what is left of the thread's.
  const size_t budget = std::min<uint64_t>(
      kMaxKeptBytes, kMaxKeptBytesPerThread - std::min(pool_kept, kMaxKeptBytesPerThread));
  if (accessible_ <= kKeepResidentBytes && accessible_ <= budget) {
    kept_.push_back({0, accessible_});
    kept_bytes_ = accessible_;
    return true;
  }
  // The pagemap entry of a page (Documentation/admin-guide/mm/pagemap.rst): bit 63 present,
  // 62 swapped, 61 file page or shared anonymous, 56 exclusively mapped. A page of the
  // image's MAP_PRIVATE mapping that was written is an anonymous copy (61 clear, 56 set);
  // one only read is the file's page (61 set) and equals the image. After the image, a page
  // written is anonymous and exclusive; one only read maps the shared zero page (neither).
  // Kept, to be reset by copying: present, not file, exclusive. Dropped now: any other page
  // that is not a file page (zero pages, swapped pages, pages shared by KSM): a drop is
  // right whatever such a page holds, and zero pages stay unmaterialised.
  constexpr uint64_t kPresent = uint64_t{1} << 63, kSwapped = uint64_t{1} << 62,
                     kFile = uint64_t{1} << 61, kExclusive = uint64_t{1} << 56;
  thread_local std::vector<Run> drop;
  drop.clear();
  auto add = [](std::vector<Run>& runs, size_t offset, size_t bytes) {
    if (!runs.empty() && runs.back().offset + runs.back().bytes == offset) {
      runs.back().bytes += bytes;
    } else {
      runs.push_back({offset, bytes});
    }
  };
  int fd = accessible_ > kKeepResidentBytes && accessible_ <= kMaxScanBytes ? PagemapFd() : -1;
  bool scanned = fd >= 0;
  const size_t page = PageSize();
  const size_t pages = accessible_ / page;
  const uint64_t first_entry = reinterpret_cast<uintptr_t>(base_) / page;
  size_t kept = 0;
  // Entries per read; not on the stack, which may be a fiber's.
  constexpr size_t kBatch = 1024;
  thread_local uint64_t entries[kBatch];
  for (size_t at = 0; scanned && at < pages; at += kBatch) {
    size_t n = std::min(kBatch, pages - at);
    size_t want = n * sizeof(uint64_t);
    ssize_t got;
    do {
      got = pread(fd, entries, want, static_cast<off_t>((first_entry + at) * sizeof(uint64_t)));
    } while (got < 0 && errno == EINTR);
    if (got != static_cast<ssize_t>(want)) {
      scanned = false;
      break;
    }
    for (size_t i = 0; i < n; ++i) {
      uint64_t e = entries[i];
      if ((e & (kPresent | kSwapped)) == 0 || (e & kFile) != 0) continue;
      size_t offset = (at + i) * page;
      if ((e & (kPresent | kExclusive)) == (kPresent | kExclusive)) {
        add(kept_, offset, page);
        kept += page;
      } else {
        add(drop, offset, page);
      }
    }
    if (kept > budget) scanned = false;
  }
  if (scanned) {
    for (const Run& r : drop) {
      if (madvise(base_ + r.offset, r.bytes, MADV_DONTNEED) != 0) return false;
    }
    kept_bytes_ = kept;
    return true;
  }
  // MADV_DONTNEED on a private mapping: anonymous pages come back as zeros, file pages as the
  // file's (the image's) contents. The cost is in the pages the memory touched, not its size.
  kept_.clear();
  return madvise(base_, accessible_, MADV_DONTNEED) == 0;
}

void MemorySlot::Unmap() {
  platform::Release(base_, reserved_);
  base_ = nullptr;
}

}  // namespace weft::platform
