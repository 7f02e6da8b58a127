// Large writes: 256 KiB to stdout in a single write(2) (one wasi:io stream write of the
// whole list through the adapter), then 2000 short lines through stdio, and 96 KiB to stderr
// in uneven chunks. The driver compares the bytes (golden files hold their SHA-256).
// The buffer is static, not malloc'd: the preview1 adapter takes its state pages with
// memory.grow behind the back of Debian's wasi-libc malloc, whose heap then grows over them
// (observed under weft and jco run: garbled output, or "assertion failed at adapter line
// 2857", once a heap block passes ~100 KiB).
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    CHECK(w > 0);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

int main(void) {
  static char big[256 * 1024];
  size_t size = sizeof big;
  for (size_t i = 0; i < size; ++i) big[i] = (i % 64 == 63) ? '\n' : (char)('a' + (i * 7 + i / 64) % 26);
  ssize_t w = write(1, big, size);
  // A short count is allowed by POSIX; write the rest so the stream stays comparable.
  CHECK(w > 0);
  if (w > 0 && (size_t)w < size) WriteAll(1, big + w, size - (size_t)w);
  for (int i = 0; i < 2000; ++i) printf("line %04d of the stdio part\n", i);
  fflush(stdout);
  size_t off = 0, chunk = 1;
  size_t err_size = 96 * 1024;
  while (off < err_size) {
    size_t n = chunk < err_size - off ? chunk : err_size - off;
    WriteAll(2, big + off, n);
    off += n;
    chunk = chunk * 3 + 1;
  }
  DONE();
}
