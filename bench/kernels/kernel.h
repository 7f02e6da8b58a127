/* Shared scaffolding for the benchmark kernels. Each kernel defines
 *   static uint64_t Kernel(int scale, int argc)
 * doing `scale` units of work (a unit is ~25-40 ms under node) and ends with
 * KERNEL_MAIN("name"). Built normally it is a wasm32-wasi command `kernel [SCALE]` (default
 * scale 10) printing one line "name checksum HEX" (for `weft run` and node). Built with
 * -DKERNEL_BARE it has no imports and exports `run() -> i64` returning the checksum of scale 1
 * (for wabt's wasm-interp, which Debian builds without WASI, and about 50-100x slower).
 * `argc` and `scale` are read at run time so -O2 cannot fold the work away. */
#ifndef WEFT_BENCH_KERNEL_H_
#define WEFT_BENCH_KERNEL_H_

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef KERNEL_BARE
static volatile int kernel_bare_argc = 1;
#define KERNEL_MAIN(name)                                      \
  __attribute__((export_name("run"))) uint64_t run(void) {     \
    return Kernel(kernel_bare_argc, kernel_bare_argc);         \
  }
#else
#include <stdio.h>
#define KERNEL_MAIN(name)                                                  \
  int main(int argc, char** argv) {                                        \
    int scale = argc > 1 ? atoi(argv[1]) : 10;                             \
    if (scale < 1) scale = 1;                                              \
    printf("%s checksum %016llx\n", name,                                  \
           (unsigned long long)Kernel(scale, argc > 1 ? 1 : argc));        \
    return 0;                                                              \
  }
#endif

#endif
