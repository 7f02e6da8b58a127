/* sieve: sieve of Eratosthenes over 8 M bytes, repeated (byte stores, strided loops). */
#include "kernel.h"

enum { kN = 8 << 20 };
static uint8_t composite[kN];

static uint64_t Kernel(int scale, int argc) {
  uint64_t sum = 0;
  for (int s = 0; s < scale; s++) {
    memset(composite, 0, kN);
    uint32_t count = 0;
    for (uint32_t i = 2; i < kN; i++) {
      if (composite[i]) continue;
      count++;
      for (uint64_t j = (uint64_t)i * i; j < kN; j += i) composite[j] = 1;
    }
    sum = sum * 31 + count;
  }
  return (uint64_t)(sum);
}

KERNEL_MAIN("sieve")
