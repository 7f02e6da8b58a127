/* memory: bulk memset/memcpy traffic over a 1 MiB buffer plus a strided read-modify-write
 * pass (loads and stores of every width). */
#include "kernel.h"

enum { kBytes = 1 << 20 };
static uint8_t a[kBytes], b[kBytes];

static uint64_t Kernel(int scale, int argc) {
  uint64_t sum = 0;
  for (int s = 0; s < scale * 40; s++) {
    memset(a, s & 0xff, kBytes);
    for (uint32_t i = 0; i < kBytes; i += 64) a[i] = (uint8_t)(i >> 6);
    memcpy(b, a, kBytes);
    memmove(b + 1, b, kBytes - 1);
    uint32_t* w = (uint32_t*)b;
    for (uint32_t i = 0; i < kBytes / 4; i += 7) w[i] += i;
    uint16_t* h = (uint16_t*)a;
    for (uint32_t i = 0; i < kBytes / 2; i += 3) sum += h[i] ^ b[i];
  }
  return (uint64_t)(sum);
}

KERNEL_MAIN("memory")
