// ObjectList<T, kInline>: the append-only, address-stable container a runtime::Store keeps its
// functions, memories, tables, globals and instances in (what std::deque gave it, minus the
// deque's map and first node allocated even when empty). The first kInline objects live
// inside the list itself (a store is one allocation for a small instance: `weft serve` makes
// and drops one per request); later ones in chunks that double in size. Objects never move
// and are destroyed in the order they were added, when the list is.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace weft::runtime {

template <typename T, size_t kInline>
class ObjectList {
  static_assert(kInline > 0);

 public:
  ObjectList() = default;
  ObjectList(const ObjectList&) = delete;
  ObjectList& operator=(const ObjectList&) = delete;
  ~ObjectList() {
    size_t i = 0;
    for (; i < size_ && i < kInline; ++i) InlineAt(i)->~T();
    for (Chunk& c : chunks_) {
      for (size_t k = 0; k < c.used; ++k) c.items[k].~T();
    }
  }

  /// Constructs an object at the end; its address stays valid for the list's life.
  template <typename... A>
  T& emplace_back(A&&... args) {
    T* at;
    if (size_ < kInline) {
      at = InlineAt(size_);
    } else {
      if (chunks_.empty() || chunks_.back().used == chunks_.back().capacity) {
        size_t cap = chunks_.empty() ? kInline * 2 : chunks_.back().capacity * 2;
        chunks_.push_back(Chunk{std::allocator<T>().allocate(cap), 0, cap});
      }
      Chunk& c = chunks_.back();
      at = c.items + c.used;
    }
    ::new (static_cast<void*>(at)) T(std::forward<A>(args)...);
    if (size_ >= kInline) ++chunks_.back().used;
    ++size_;
    return *at;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Chunk {
    T* items;
    size_t used;
    size_t capacity;
  };
  // Owns a chunk's memory (not its objects: ~ObjectList destroys those first).
  struct ChunkVector : std::vector<Chunk> {
    ~ChunkVector() {
      for (Chunk& c : *this) std::allocator<T>().deallocate(c.items, c.capacity);
    }
  };

  T* InlineAt(size_t i) { return std::launder(reinterpret_cast<T*>(inline_)) + i; }

  alignas(T) unsigned char inline_[sizeof(T) * kInline];
  size_t size_ = 0;
  ChunkVector chunks_;
};

}  // namespace weft::runtime
