// Linear-memory slots and copy-on-write memory images (docs/architecture.md "Memories").
// A slot is a reserved address range for one linear memory, taken from and returned to the
// calling thread's pool, so instantiation costs no mmap/munmap once the pool is warm. A slot
// handed out has [0, accessible) readable and writable, holding the image's bytes (or zeros)
// with zeros after them, and [accessible, reserved) inaccessible. Returning a slot drops its
// pages past the first kKeepResidentBytes with madvise(MADV_DONTNEED): anonymous pages read
// back as zeros and image pages as the image again. The first kKeepResidentBytes stay
// resident and are reset when the slot is next acquired, by copying the image's bytes and
// zeroing the rest (cheaper for small memories than dropping the pages and faulting them back
// in); a slot acquired for another image, or with an image too big to keep a copy of, drops
// them instead. Pools are per thread: no locks.
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
  /// The image's bytes in process memory (size() of them), kept for images of at most
  /// MemorySlot::kKeepResidentBytes so reused slots can be reset by copying; else null.
  const uint8_t* resident_copy() const { return copy_.empty() ? nullptr : copy_.data(); }
  /// Unique for the process's life (never reused, unlike addresses): slots remember which
  /// image they hold by this id.
  uint64_t id() const { return id_; }
  int fd() const { return fd_; }

 private:
  MemoryImage(int fd, size_t size, uint64_t id) : fd_(fd), size_(size), id_(id) {}
  int fd_;
  size_t size_;
  uint64_t id_;
  std::vector<uint8_t> copy_;  ///< see resident_copy()
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
  /// Bytes at the start of a returned slot kept resident and reset by copying/zeroing on
  /// reuse instead of dropped (wasmtime's "linear_memory_keep_resident"). One wasm page: a
  /// memset of 64 KiB costs less than dropping and re-faulting the few pages a request touches.
  static constexpr size_t kKeepResidentBytes = 64 * 1024;
  /// The calling thread's pool: slots now free in it, and reservations (mmaps) it has made
  /// (a reused slot adds none).
  static size_t FreeInThisThread();
  static uint64_t ReservationsInThisThread();

 private:
  friend struct SlotPool;
  MemorySlot(uint8_t* base, size_t reserved) : base_(base), reserved_(reserved) {}
  bool Prepare(size_t accessible_bytes, const MemoryImage* image);
  void Unmap();

  uint8_t* base_;
  size_t reserved_;
  size_t accessible_ = 0;  ///< [0, accessible_) is PROT_READ|PROT_WRITE
  uint64_t image_id_ = 0;
  size_t image_size_ = 0;  ///< bytes of [0, ...) mapped from the image file
  /// [0, dirty_) was kept resident by Release and still holds the last user's bytes: Prepare
  /// resets it before anything else (it is readable and writable).
  size_t dirty_ = 0;
};

}  // namespace weft::platform
