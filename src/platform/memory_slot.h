// Linear-memory slots and copy-on-write memory images (docs/architecture.md "Memories").
// A slot is a reserved address range for one linear memory, taken from and returned to the
// calling thread's pool, so instantiation costs no mmap/munmap once the pool is warm. A slot
// handed out has [0, accessible) readable and writable, holding the image's bytes (or zeros)
// with zeros after them, and [accessible, reserved) inaccessible.
//
// Returning a slot keeps the pages its user may have written resident, and the next
// acquisition for the same image resets them by copying the image's bytes and zeroing the
// rest: no page faults to copy them again, no kernel work to drop them. Which pages: all of
// a memory of at most kKeepResidentBytes; for a larger one, the pages /proc/self/pagemap
// shows as present, exclusively mapped and not file pages, i.e. the copy-on-write copies of
// image pages and the anonymous pages written after the image. Image pages only read are
// still the image's file pages and need nothing; other pages that are not file pages (zero
// pages read, swapped pages) are dropped at once. When pagemap is unavailable, the memory is
// larger than kMaxScanBytes, more than kMaxKeptBytes were written or the thread's free slots
// would keep more than kMaxKeptBytesPerThread, the whole memory is dropped instead with
// madvise(MADV_DONTNEED): anonymous pages read back as zeros and image pages as the image
// again. A slot acquired for another image drops its kept pages the same way before
// remapping. Pools are per thread: no locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace weft::platform {

/// The initial contents of a linear memory, in an in-memory file (memfd) mapped MAP_PRIVATE
/// into slots: pages are shared until a memory writes them. Immutable once built; may be
/// shared by any number of threads and slots, and outlives neither (the mappings keep the
/// file alive after the image is destroyed).
class MemoryImage {
 public:
  /// An image of `bytes` (rounded up to the page size), all zeros until written. Null if the
  /// OS refuses (no memfd): callers then copy their data instead.
  static std::unique_ptr<MemoryImage> Create(size_t bytes);
  ~MemoryImage();
  MemoryImage(const MemoryImage&) = delete;
  MemoryImage& operator=(const MemoryImage&) = delete;

  /// Writes `data` at `offset` (later writes win where they overlap). Only before the image
  /// is first mapped. False on an I/O error or if the range is outside the image.
  bool Write(size_t offset, std::span<const uint8_t> data);

  size_t size() const { return size_; }  ///< A multiple of the page size.
  /// The image's bytes (size() of them) through a read-only shared mapping of its file, the
  /// source reused slots are reset from; null if the OS refused that mapping.
  const uint8_t* bytes() const { return view_; }
  /// Unique for the process's life (never reused, unlike addresses): slots remember which
  /// image they hold by this id.
  uint64_t id() const { return id_; }
  int fd() const { return fd_; }

 private:
  MemoryImage(int fd, size_t size, uint64_t id) : fd_(fd), size_(size), id_(id) {}
  int fd_;
  size_t size_;
  uint64_t id_;
  const uint8_t* view_ = nullptr;  ///< see bytes()
};

/// A reserved address range for one linear memory (see the file comment).
class MemorySlot {
 public:
  /// A slot of at least `reserve_bytes` from the calling thread's pool (or a new reservation)
  /// with [0, accessible_bytes) readable and writable and the rest inaccessible; with
  /// `image`, [0, image->size()) holds the image copy-on-write (requires image->size() <=
  /// accessible_bytes) and the rest of the accessible part zeros. Byte counts must be
  /// page multiples. Null if address space or memory is exhausted.
  static MemorySlot* Acquire(size_t reserve_bytes, size_t accessible_bytes,
                             const MemoryImage* image);

  /// Makes [0, bytes) accessible (bytes >= accessible(), <= reserved(), page multiple).
  /// False if the OS refuses.
  bool Grow(size_t bytes);

  /// Replaces the image part with zeros (for an instantiation that must undo its image).
  bool DropImage();

  /// Resets the slot (see the file comment) and returns it to the calling thread's pool, or
  /// unmaps it when the pool is full or being destroyed. The slot must not be used after.
  void Release();

  uint8_t* base() const { return base_; }
  size_t reserved() const { return reserved_; }
  size_t accessible() const { return accessible_; }
  uint64_t image_id() const { return image_id_; }  ///< 0: no image mapped

  /// Free slots kept per thread beyond which returned slots are unmapped.
  static constexpr size_t kMaxFreePerThread = 32;
  /// A memory of at most this many bytes is kept resident whole and reset by copying and
  /// zeroing on reuse (wasmtime's "linear_memory_keep_resident"), without a pagemap scan. One
  /// wasm page: a memset of 64 KiB costs less than the scan's system call.
  static constexpr size_t kKeepResidentBytes = 64 * 1024;
  /// Larger memories are scanned for written pages only up to this size (the scan reads 8
  /// bytes per page), and keep them only up to kMaxKeptBytes (a pooled slot's resident set).
  static constexpr size_t kMaxScanBytes = 256 * 1024 * 1024;
  static constexpr size_t kMaxKeptBytes = 8 * 1024 * 1024;
  /// The bound on what all free slots of a thread's pool keep resident: a slot that would
  /// exceed it drops its pages instead.
  static constexpr uint64_t kMaxKeptBytesPerThread = 64 * 1024 * 1024;
  /// Bytes the free slots of the calling thread's pool keep resident now (see the file
  /// comment). For tests.
  static uint64_t KeptBytesInThisThread();
  /// The calling thread's pool: slots now free in it, and reservations (mmaps) it has made
  /// (a reused slot adds none).
  static size_t FreeInThisThread();
  static uint64_t ReservationsInThisThread();

 private:
  friend struct SlotPool;
  MemorySlot(uint8_t* base, size_t reserved) : base_(base), reserved_(reserved) {}
  bool Prepare(size_t accessible_bytes, const MemoryImage* image);
  /// Release's choice: fills kept_ (see the file comment) and drops the rest. False if the
  /// OS refuses the drop.
  bool KeepWrittenPages();
  void Unmap();

  struct Run {
    size_t offset, bytes;
  };

  uint8_t* base_;
  size_t reserved_;
  size_t accessible_ = 0;  ///< [0, accessible_) is PROT_READ|PROT_WRITE
  uint64_t image_id_ = 0;
  size_t image_size_ = 0;  ///< bytes of [0, ...) mapped from the image file
  /// Ranges Release kept resident that may still hold the last user's bytes: Prepare resets
  /// them before anything else (they are readable and writable). Sorted, disjoint.
  std::vector<Run> kept_;
  size_t kept_bytes_ = 0;  ///< the sum of kept_ (counted in the pool's total while free)
};

}  // namespace weft::platform
