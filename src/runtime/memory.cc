// Linear memories and tables. A memory takes a slot reserving its whole maximum (plus a guard
// region) from the thread's pool and makes pages accessible on growth, so MemoryInst::base
// never moves: the interpreter may cache it across calls and growth.
#include "platform/memory_slot.h"

#include <algorithm>
#include <string>

#include "runtime/objects.h"

namespace weft::runtime {

namespace {
constexpr uint64_t kPageBytes = 65536;
constexpr uint64_t kMaxPages32 = 65536;      // 4 GiB.
constexpr uint64_t kGuardBytes = 64 * 1024;  // Catches small overruns past the reservation.
constexpr uint64_t kMaxTableSize = 0xffffffffu;
}  // namespace

Error MemoryInst::Init(const wasm::MemoryType& t, uint64_t limit_bytes,
                       const platform::MemoryImage* image) {
  type = t;
  uint64_t declared = t.limits.max ? std::min(*t.limits.max, kMaxPages32) : kMaxPages32;
  max_pages = std::min(declared, limit_bytes / kPageBytes);
  if (t.limits.min > max_pages) {
    return Error::Make(ErrorCode::kLimit, "memory minimum of " + std::to_string(t.limits.min) +
                                              " pages exceeds the limit of " +
                                              std::to_string(max_pages) + " pages");
  }
  uint64_t want = max_pages * kPageBytes + kGuardBytes;
  uint64_t initial = t.limits.min * kPageBytes;
  if (image != nullptr && image->size() > initial) image = nullptr;  // callers' plans fit
  slot = platform::MemorySlot::Acquire(want, initial, image);
  if (slot == nullptr) {
    return Error::Make(ErrorCode::kLimit, "cannot reserve address space for a linear memory");
  }
  base = slot->base();
  reserved = slot->reserved();
  size = initial;
  return Error();
}

MemoryInst::~MemoryInst() {
  if (slot != nullptr) slot->Release();
}

bool MemoryInst::DropImage() { return slot == nullptr || slot->DropImage(); }

int64_t MemoryInst::Grow(uint64_t delta_pages) {
  uint64_t old = pages();
  if (delta_pages > max_pages - old) return -1;
  if (delta_pages == 0) return static_cast<int64_t>(old);
  uint64_t add = delta_pages * kPageBytes;
  if (!slot->Grow(size + add)) return -1;
  size += add;
  type.limits.min = old + delta_pages;  // The spec's memory type tracks the current size.
  return static_cast<int64_t>(old);
}

Error TableInst::Init(const wasm::TableType& t, uint64_t limit, uint64_t init) {
  type = t;
  uint64_t declared = t.limits.max ? std::min(*t.limits.max, kMaxTableSize) : kMaxTableSize;
  max = std::min(declared, limit);
  if (t.limits.min > max) {
    return Error::Make(ErrorCode::kLimit, "table minimum of " + std::to_string(t.limits.min) +
                                              " elements exceeds the limit of " +
                                              std::to_string(max) + " elements");
  }
  elems.assign(t.limits.min, init);
  return Error();
}

int64_t TableInst::Grow(uint64_t delta, uint64_t init) {
  Materialize();
  uint64_t old = elems.size();
  if (delta > max - old) return -1;
  elems.resize(old + delta, init);
  type.limits.min = old + delta;
  return static_cast<int64_t>(old);
}

FuncInst* TableInst::ResolveLazy(uint64_t i) {
  if (lazy_funcs == nullptr || i >= lazy_count || lazy_funcs[i] == 0) return nullptr;
  FuncInst* f = lazy_instance->funcs[lazy_funcs[i] - 1];
  elems[i] = reinterpret_cast<uintptr_t>(f);
  return f;
}

void TableInst::MaterializeSlow() {
  const uint32_t* funcs = lazy_funcs;
  lazy_funcs = nullptr;
  for (uint32_t i = 0; i < lazy_count; ++i) {
    if (funcs[i] != 0 && elems[i] == 0) {
      elems[i] = reinterpret_cast<uintptr_t>(lazy_instance->funcs[funcs[i] - 1]);
    }
  }
}

}  // namespace weft::runtime
