/* loops: tight nested counting loops with a data-dependent update (branches, locals, adds). */
#include "kernel.h"

static uint64_t Kernel(int scale, int argc) {
  uint32_t n = 5000 + (uint32_t)(argc > 5);
  uint32_t acc = 1;
  for (int s = 0; s < scale; s++) {
    for (uint32_t i = 0; i < n; i++) {
      for (uint32_t j = 0; j < n; j++) {
        acc = (acc ^ j) + i;
        if (acc & 0x100) acc += 3;
      }
    }
  }
  return (uint64_t)(acc);
}

KERNEL_MAIN("loops")
