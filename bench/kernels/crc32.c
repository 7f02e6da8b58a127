/* crc32: table-driven CRC-32 over a pseudo-random buffer (i32 shifts, xors, table loads). */
#include "kernel.h"

enum { kBytes = 1 << 18 };
static uint8_t buf[kBytes];
static uint32_t table[256];

static uint64_t Kernel(int scale, int argc) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  uint32_t x = 12345u + (uint32_t)argc;
  for (uint32_t i = 0; i < kBytes; i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (uint8_t)(x >> 16);
  }
  uint32_t crc = 0;
  for (int s = 0; s < scale * 40; s++) {
    uint32_t c = ~crc;
    for (uint32_t i = 0; i < kBytes; i++) c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
    crc = ~c;
  }
  return (uint64_t)(crc);
}

KERNEL_MAIN("crc32")
