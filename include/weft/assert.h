// Bug checks: WEFT_ASSERT (on in every build: engine invariants are cheap to check and a
// silent corruption is worse than an abort) and WEFT_UNREACHABLE.
#pragma once

namespace weft {
[[noreturn]] void AssertFail(const char* expr, const char* file, int line);
}  // namespace weft

#define WEFT_LIKELY(x) __builtin_expect(!!(x), 1)
#define WEFT_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define WEFT_ASSERT(cond) \
  (WEFT_LIKELY(cond) ? (void)0 : ::weft::AssertFail(#cond, __FILE__, __LINE__))

#define WEFT_UNREACHABLE() ::weft::AssertFail("unreachable", __FILE__, __LINE__)

#ifdef NDEBUG
#define WEFT_DASSERT(cond) ((void)0)
#else
#define WEFT_DASSERT(cond) WEFT_ASSERT(cond)
#endif
