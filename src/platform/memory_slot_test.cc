// Tests of the per-thread linear-memory slot pool and copy-on-write images: reuse without new
// reservations, resets that really zero (and restore images), protections after reuse with
// other sizes, guard behaviour, image isolation between slots, the pool's cap, thread exit.
#include "platform/memory_slot.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

namespace weft::platform {
namespace {

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * kKiB;

// Probes through the kernel, which reports EFAULT instead of faulting: readable if write()
// can read the byte, writable if read() can store it (the byte is written back unchanged).
bool Readable(const uint8_t* p) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  bool ok = write(fds[1], p, 1) == 1;
  close(fds[0]);
  close(fds[1]);
  return ok;
}

bool Writable(uint8_t* p) {
  if (!Readable(p)) return false;
  int fds[2];
  if (pipe(fds) != 0) return false;
  uint8_t orig = *p;
  bool ok = write(fds[1], &orig, 1) == 1 && read(fds[0], p, 1) == 1;
  close(fds[0]);
  close(fds[1]);
  return ok;
}

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

TEST(MemorySlot, ReuseMakesNoNewReservation) {
  MemorySlot* a = MemorySlot::Acquire(4 * kMiB, 64 * kKiB, nullptr);
  ASSERT_NE(a, nullptr);
  uint8_t* base = a->base();
  EXPECT_GE(a->reserved(), 4 * kMiB);
  a->Release();
  uint64_t before = MemorySlot::ReservationsInThisThread();
  MemorySlot* b = MemorySlot::Acquire(4 * kMiB, 64 * kKiB, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->base(), base);  // the same range back, newest first
  EXPECT_EQ(MemorySlot::ReservationsInThisThread(), before);
  b->Release();
}

TEST(MemorySlot, ResetReallyZeroes) {
  MemorySlot* a = MemorySlot::Acquire(6 * kMiB, 256 * kKiB, nullptr);
  ASSERT_NE(a, nullptr);
  uint8_t* base = a->base();
  std::memset(base, 0xab, 256 * kKiB);
  a->Release();
  MemorySlot* b = MemorySlot::Acquire(6 * kMiB, 256 * kKiB, nullptr);
  ASSERT_EQ(b->base(), base);
  EXPECT_TRUE(AllZero(b->base(), 256 * kKiB));
  b->Release();
}

TEST(MemorySlot, GrowthAfterReuseAndProtections) {
  MemorySlot* a = MemorySlot::Acquire(2 * kMiB, 64 * kKiB, nullptr);
  ASSERT_NE(a, nullptr);
  uint8_t* base = a->base();
  EXPECT_TRUE(Writable(base + 64 * kKiB - 1));
  EXPECT_FALSE(Readable(base + 64 * kKiB));  // guard: past the accessible size
  ASSERT_TRUE(a->Grow(512 * kKiB));
  std::memset(base, 0x5a, 512 * kKiB);
  EXPECT_FALSE(a->Grow(a->reserved() + 64 * kKiB));  // not past the reservation
  a->Release();

  // Reused with a smaller initial size: the grown part is inaccessible again...
  MemorySlot* b = MemorySlot::Acquire(2 * kMiB, 64 * kKiB, nullptr);
  ASSERT_EQ(b->base(), base);
  EXPECT_EQ(b->accessible(), 64 * kKiB);
  EXPECT_TRUE(AllZero(base, 64 * kKiB));
  EXPECT_FALSE(Readable(base + 64 * kKiB));
  EXPECT_FALSE(Readable(base + 511 * kKiB));
  // ...and grows again into zeros.
  ASSERT_TRUE(b->Grow(1 * kMiB));
  EXPECT_TRUE(Writable(base + 1 * kMiB - 1));
  EXPECT_FALSE(Readable(base + 1 * kMiB));
  EXPECT_TRUE(AllZero(base, 1 * kMiB));
  b->Release();

  // Reused with a larger initial size: accessible at once, zero.
  MemorySlot* c = MemorySlot::Acquire(2 * kMiB, 1536 * kKiB, nullptr);
  ASSERT_EQ(c->base(), base);
  EXPECT_TRUE(Writable(base + 1536 * kKiB - 1));
  EXPECT_FALSE(Readable(base + 1536 * kKiB));
  EXPECT_TRUE(AllZero(base, 1536 * kKiB));
  c->Release();
}

TEST(MemorySlot, DifferentSizes) {
  MemorySlot* big = MemorySlot::Acquire(8 * kMiB, 0, nullptr);
  MemorySlot* small = MemorySlot::Acquire(1 * kMiB, 0, nullptr);
  ASSERT_NE(big, nullptr);
  ASSERT_NE(small, nullptr);
  uint8_t* big_base = big->base();
  uint8_t* small_base = small->base();
  big->Release();
  small->Release();
  uint64_t before = MemorySlot::ReservationsInThisThread();
  // The exact size wins over the newer, larger slot...
  MemorySlot* s1 = MemorySlot::Acquire(8 * kMiB, 0, nullptr);
  EXPECT_EQ(s1->base(), big_base);
  // ...a smaller request may take a larger slot...
  MemorySlot* s2 = MemorySlot::Acquire(512 * kKiB, 128 * kKiB, nullptr);
  EXPECT_EQ(s2->base(), small_base);
  EXPECT_TRUE(Writable(s2->base() + 128 * kKiB - 1));
  EXPECT_FALSE(Readable(s2->base() + 128 * kKiB));
  EXPECT_EQ(MemorySlot::ReservationsInThisThread(), before);
  // ...and a larger one than any free slot gets a new reservation.
  MemorySlot* s3 = MemorySlot::Acquire(16 * kMiB, 0, nullptr);
  ASSERT_NE(s3, nullptr);
  EXPECT_EQ(MemorySlot::ReservationsInThisThread(), before + 1);
  EXPECT_GE(s3->reserved(), 16 * kMiB);
  s1->Release();
  s2->Release();
  s3->Release();
}

TEST(MemorySlot, RefusesInconsistentRequests) {
  EXPECT_EQ(MemorySlot::Acquire(64 * kKiB, 128 * kKiB, nullptr), nullptr);
  auto image = MemoryImage::Create(128 * kKiB);
  ASSERT_NE(image, nullptr);
  EXPECT_EQ(MemorySlot::Acquire(1 * kMiB, 64 * kKiB, image.get()), nullptr);
}

TEST(MemorySlot, PoolIsCapped) {
  std::vector<MemorySlot*> slots;
  for (size_t i = 0; i < MemorySlot::kMaxFreePerThread + 5; ++i) {
    slots.push_back(MemorySlot::Acquire(128 * kKiB, 64 * kKiB, nullptr));
    ASSERT_NE(slots.back(), nullptr);
  }
  for (MemorySlot* s : slots) s->Release();
  EXPECT_EQ(MemorySlot::FreeInThisThread(), MemorySlot::kMaxFreePerThread);
}

TEST(MemoryImage, ContentsAndCopyOnWrite) {
  const size_t kSize = 3 * kMiB + 128 * kKiB;  // no other test's slots have this size
  auto image = MemoryImage::Create(10000);  // rounded up to whole pages
  ASSERT_NE(image, nullptr);
  EXPECT_EQ(image->size() % 4096, 0u);
  EXPECT_GE(image->size(), 10000u);
  const uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_TRUE(image->Write(3, hello));
  const uint8_t over[] = {'J'};
  ASSERT_TRUE(image->Write(3, over));  // a later write wins
  ASSERT_TRUE(image->Write(9000, hello));
  EXPECT_FALSE(image->Write(image->size() - 2, hello));  // outside the image

  MemorySlot* a = MemorySlot::Acquire(kSize, 64 * kKiB, image.get());
  MemorySlot* b = MemorySlot::Acquire(kSize, 64 * kKiB, image.get());
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(std::memcmp(a->base() + 3, "Jello", 5), 0);
  EXPECT_EQ(std::memcmp(a->base() + 9000, "hello", 5), 0);
  EXPECT_TRUE(AllZero(a->base(), 3));
  EXPECT_TRUE(AllZero(a->base() + 9005, 64 * kKiB - 9005));  // zeros after the image
  // Writes stay private to the slot that makes them.
  a->base()[3] = 'M';
  a->base()[20000] = 1;
  EXPECT_EQ(b->base()[3], 'J');
  EXPECT_EQ(b->base()[20000], 0);
  uint8_t* a_base = a->base();
  a->Release();
  // Reused for the same image: the image is back, the private write gone, no remapping.
  MemorySlot* c = MemorySlot::Acquire(kSize, 64 * kKiB, image.get());
  ASSERT_EQ(c->base(), a_base);
  EXPECT_EQ(c->image_id(), image->id());
  EXPECT_EQ(std::memcmp(c->base() + 3, "Jello", 5), 0);
  EXPECT_EQ(c->base()[20000], 0);
  c->Release();
  // Reused without an image: zeros where the image was.
  MemorySlot* d = MemorySlot::Acquire(kSize, 64 * kKiB, nullptr);
  ASSERT_EQ(d->base(), a_base);
  EXPECT_EQ(d->image_id(), 0u);
  EXPECT_TRUE(AllZero(d->base(), 64 * kKiB));
  d->Release();
  b->Release();
}

TEST(MemoryImage, SlotOutlivesImageAndDropImage) {
  auto image = MemoryImage::Create(4096);
  ASSERT_NE(image, nullptr);
  const uint8_t x[] = {42};
  ASSERT_TRUE(image->Write(100, x));
  MemorySlot* s = MemorySlot::Acquire(1 * kMiB, 64 * kKiB, image.get());
  ASSERT_NE(s, nullptr);
  image.reset();  // the mapping keeps the file alive
  EXPECT_EQ(s->base()[100], 42);
  ASSERT_TRUE(s->DropImage());
  EXPECT_EQ(s->base()[100], 0);
  EXPECT_TRUE(Writable(s->base() + 100));
  EXPECT_EQ(s->image_id(), 0u);
  s->Release();
  // A new image never shares an id with the destroyed one (ids are not addresses).
  auto other = MemoryImage::Create(4096);
  MemorySlot* t = MemorySlot::Acquire(1 * kMiB, 64 * kKiB, other.get());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->base()[100], 0);
  t->Release();
}

TEST(MemoryImage, KeptResidentPartIsResetOnReuse) {
  // The first kKeepResidentBytes of a returned slot stay mapped and are reset on reuse by
  // copying; the rest is dropped. Dirty both, and the image part, then reuse the slot for the
  // same image, another image, and an image too big to keep a copy of.
  const size_t kSize = 3 * kMiB + 192 * kKiB;  // no other test's slots have this size
  const size_t kKeep = MemorySlot::kKeepResidentBytes;
  const size_t kAccessible = kKeep + 128 * kKiB;
  auto image = MemoryImage::Create(8192);
  auto other = MemoryImage::Create(4096);
  auto big = MemoryImage::Create(kKeep + 4096);
  ASSERT_NE(image, nullptr);
  ASSERT_NE(other, nullptr);
  ASSERT_NE(big, nullptr);
  EXPECT_NE(image->bytes(), nullptr);
  EXPECT_NE(big->bytes(), nullptr);
  const uint8_t a_bytes[] = {'a', 'b', 'c'};
  const uint8_t o_bytes[] = {'x', 'y'};
  ASSERT_TRUE(image->Write(5000, a_bytes));
  ASSERT_TRUE(other->Write(10, o_bytes));
  ASSERT_TRUE(big->Write(kKeep + 100, a_bytes));
  ASSERT_TRUE(big->Write(7, o_bytes));

  MemorySlot* s = MemorySlot::Acquire(kSize, kAccessible, image.get());
  ASSERT_NE(s, nullptr);
  uint8_t* base = s->base();
  auto dirty = [&] { std::memset(base, 0xcd, s->accessible()); };
  auto expect = [&](const uint8_t* bytes, size_t at, size_t n) {
    EXPECT_EQ(std::memcmp(base + at, bytes, n), 0);
    EXPECT_TRUE(AllZero(base, at));
    EXPECT_TRUE(AllZero(base + at + n, kAccessible - at - n));
  };
  dirty();
  s->Release();
  s = MemorySlot::Acquire(kSize, kAccessible, image.get());  // same image: copied back
  ASSERT_EQ(s->base(), base);
  expect(a_bytes, 5000, 3);
  dirty();
  s->Release();
  s = MemorySlot::Acquire(kSize, kAccessible, other.get());  // another image: remapped
  ASSERT_EQ(s->base(), base);
  EXPECT_EQ(s->image_id(), other->id());
  expect(o_bytes, 10, 2);
  dirty();
  s->Release();
  s = MemorySlot::Acquire(kSize, kAccessible, big.get());  // no copy kept: dropped
  ASSERT_EQ(s->base(), base);
  EXPECT_EQ(std::memcmp(base + 7, o_bytes, 2), 0);
  EXPECT_EQ(std::memcmp(base + kKeep + 100, a_bytes, 3), 0);
  dirty();
  s->Release();
  s = MemorySlot::Acquire(kSize, kAccessible, big.get());  // the same, again
  ASSERT_EQ(s->base(), base);
  EXPECT_EQ(std::memcmp(base + 7, o_bytes, 2), 0);
  EXPECT_TRUE(AllZero(base + 9, kKeep + 100 - 9));
  EXPECT_EQ(std::memcmp(base + kKeep + 100, a_bytes, 3), 0);
  EXPECT_TRUE(AllZero(base + kKeep + 103, kAccessible - kKeep - 103));
  dirty();
  s->Release();
  s = MemorySlot::Acquire(kSize, 64 * kKiB, nullptr);  // no image, smaller: zeros
  ASSERT_EQ(s->base(), base);
  EXPECT_TRUE(AllZero(base, 64 * kKiB));
  EXPECT_FALSE(Readable(base + 64 * kKiB));
  s->Release();
}

// Whether this kernel's /proc/self/pagemap shows a written private page as present and
// exclusively mapped (bits 63 and 56), which slots need to keep pages; where it does not,
// they drop them all (the content checks hold either way, the kept counts do not).
bool PagemapShowsWrittenPages() {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* p = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  static_cast<volatile uint8_t*>(p)[0] = 1;
  bool ok = false;
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    uint64_t e = 0;
    off_t at = static_cast<off_t>(reinterpret_cast<uintptr_t>(p) / page * sizeof e);
    ok = pread(fd, &e, sizeof e, at) == sizeof e && (e >> 63) == 1 && ((e >> 56) & 1) == 1;
    close(fd);
  }
  munmap(p, page);
  return ok;
}

TEST(MemoryImage, WrittenPagesOfLargerMemoriesAreKeptAndReset) {
  // Past kKeepResidentBytes, a returned slot keeps the pages pagemap shows as written (and
  // zero pages read), drops the rest, and the next user for the same image gets them reset
  // by copying; another image or too many written pages drop them.
  const size_t kSize = 20 * kMiB + 64 * kKiB;  // no other test's slots have this size
  const size_t kPage = 4096;
  const size_t kAccessible = 2 * kMiB;
  const bool have_pagemap = PagemapShowsWrittenPages();
  auto image = MemoryImage::Create(256 * kKiB);
  auto other = MemoryImage::Create(8 * kKiB);
  ASSERT_NE(image, nullptr);
  ASSERT_NE(other, nullptr);
  std::vector<uint8_t> pattern(image->size());
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 7 + i / kPage + 1);
  ASSERT_TRUE(image->Write(0, pattern));
  const uint8_t o_bytes[] = {'x', 'y'};
  ASSERT_TRUE(other->Write(kPage + 5, o_bytes));

  MemorySlot* s = MemorySlot::Acquire(kSize, kAccessible, image.get());
  ASSERT_NE(s, nullptr);
  uint8_t* base = s->base();
  auto expect_image = [&](size_t accessible) {
    EXPECT_EQ(std::memcmp(base, pattern.data(), pattern.size()), 0);
    EXPECT_TRUE(AllZero(base + pattern.size(), accessible - pattern.size()));
  };
  expect_image(kAccessible);  // (reads every page: image pages and zero pages)
  // Writes into image pages (whole and partial) and after the image.
  for (size_t page : {0u, 10u, 63u, 64u, 100u, 511u}) base[page * kPage + 17] ^= 0xff;
  std::memset(base + 30 * kPage, 0xab, 3 * kPage);
  uint64_t kept_before = MemorySlot::KeptBytesInThisThread();
  s->Release();
  uint64_t kept = MemorySlot::KeptBytesInThisThread() - kept_before;
  if (have_pagemap) {
    // The 9 pages written (6 of the image, 3 after it): not the 58 image pages only read,
    // nor the zero pages after the image that were only read.
    EXPECT_EQ(kept, 9 * kPage);
  }
  s = MemorySlot::Acquire(kSize, kAccessible, image.get());  // same image: reset in place
  ASSERT_EQ(s->base(), base);
  expect_image(kAccessible);
  std::memset(base, 0xcd, kAccessible);  // every page written
  kept_before = MemorySlot::KeptBytesInThisThread();
  s->Release();
  if (have_pagemap) {
    EXPECT_EQ(MemorySlot::KeptBytesInThisThread() - kept_before, kAccessible);
  }
  s = MemorySlot::Acquire(kSize, kAccessible, image.get());
  ASSERT_EQ(s->base(), base);
  expect_image(kAccessible);
  std::memset(base, 0xcd, kAccessible);
  s->Release();
  s = MemorySlot::Acquire(kSize, kAccessible, other.get());  // another image: dropped, remapped
  ASSERT_EQ(s->base(), base);
  EXPECT_EQ(std::memcmp(base + kPage + 5, o_bytes, 2), 0);
  EXPECT_TRUE(AllZero(base, kPage + 5));
  EXPECT_TRUE(AllZero(base + kPage + 7, kAccessible - kPage - 7));
  std::memset(base, 0xcd, kAccessible);
  s->Release();
  // Smaller, then grown again: the part given up reads as zeros when it comes back.
  s = MemorySlot::Acquire(kSize, 1 * kMiB, nullptr);
  ASSERT_EQ(s->base(), base);
  EXPECT_TRUE(AllZero(base, 1 * kMiB));
  EXPECT_FALSE(Readable(base + 1 * kMiB));
  ASSERT_TRUE(s->Grow(kAccessible));
  EXPECT_TRUE(AllZero(base, kAccessible));
  // More than kMaxKeptBytes written: all dropped, nothing kept.
  const size_t kLarge = MemorySlot::kMaxKeptBytes + 1 * kMiB;
  ASSERT_TRUE(s->Grow(kLarge));
  std::memset(base, 0xee, kLarge);
  kept_before = MemorySlot::KeptBytesInThisThread();
  s->Release();
  EXPECT_EQ(MemorySlot::KeptBytesInThisThread(), kept_before);
  s = MemorySlot::Acquire(kSize, kLarge, image.get());
  ASSERT_EQ(s->base(), base);
  expect_image(kLarge);
  s->Release();
}

TEST(MemorySlot, KeptPagesAreBoundedPerThread) {
  // Ten slots with 7 MiB written each: the thread's free slots keep at most
  // kMaxKeptBytesPerThread (nine of them), the tenth drops its pages; all reset on reuse.
  if (!PagemapShowsWrittenPages()) GTEST_SKIP() << "pagemap shows no written pages here";
  std::thread([] {  // a fresh pool
    const size_t kReserve = 9 * kMiB, kAccessible = 8 * kMiB, kWritten = 7 * kMiB;
    static_assert(MemorySlot::kMaxKeptBytesPerThread / (7 * kMiB) == 9);
    std::vector<MemorySlot*> slots;
    for (int i = 0; i < 10; ++i) {
      MemorySlot* s = MemorySlot::Acquire(kReserve, kAccessible, nullptr);
      ASSERT_NE(s, nullptr);
      std::memset(s->base(), 0x5a, kWritten);
      slots.push_back(s);
    }
    for (MemorySlot* s : slots) s->Release();
    EXPECT_EQ(MemorySlot::KeptBytesInThisThread(), 9 * kWritten);
    slots.clear();
    for (int i = 0; i < 10; ++i) {
      MemorySlot* s = MemorySlot::Acquire(kReserve, kAccessible, nullptr);
      ASSERT_NE(s, nullptr);
      EXPECT_TRUE(AllZero(s->base(), kAccessible)) << i;
      slots.push_back(s);
    }
    EXPECT_EQ(MemorySlot::KeptBytesInThisThread(), 0u);
    for (MemorySlot* s : slots) s->Release();
  }).join();
}

TEST(MemorySlot, ThreadsHaveTheirOwnPools) {
  MemorySlot* mine = MemorySlot::Acquire(1 * kMiB, 64 * kKiB, nullptr);
  ASSERT_NE(mine, nullptr);
  size_t free_here = MemorySlot::FreeInThisThread();
  std::thread t([&] {
    EXPECT_EQ(MemorySlot::FreeInThisThread(), 0u);
    MemorySlot* s = MemorySlot::Acquire(1 * kMiB, 64 * kKiB, nullptr);
    ASSERT_NE(s, nullptr);
    std::memset(s->base(), 1, 64 * kKiB);
    s->Release();
    EXPECT_EQ(MemorySlot::FreeInThisThread(), 1u);
    // A slot from another thread goes to the releasing thread's pool.
    mine->Release();
    EXPECT_EQ(MemorySlot::FreeInThisThread(), 2u);
  });  // thread exit unmaps its free slots (LeakSanitizer checks the objects)
  t.join();
  EXPECT_EQ(MemorySlot::FreeInThisThread(), free_here);
}

}  // namespace
}  // namespace weft::platform
