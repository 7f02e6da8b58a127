/* calls: naive recursive Fibonacci; measures call/return and small-frame overhead. */
#include "kernel.h"

__attribute__((noinline)) static uint32_t Fib(uint32_t n) {
  return n < 2 ? n : Fib(n - 1) + Fib(n - 2);
}

static uint64_t Kernel(int scale, int argc) {
  uint64_t sum = 0;
  for (int i = 0; i < scale * 2; i++) sum = sum * 31 + Fib(32 + (uint32_t)(argc > 5) + (uint32_t)(i & 1));
  return (uint64_t)(sum);
}

KERNEL_MAIN("fib")
