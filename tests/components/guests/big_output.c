// Large writes: 256 KiB to stdout in a single write(2) (the preview1 adapter must split it
// into several wasi:io stream writes), then 2000 short lines through stdio, and 96 KiB to
// stderr in uneven chunks. The driver compares the bytes (golden files hold their SHA-256).
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
  size_t size = 256 * 1024;
  char* big = malloc(size);
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
  // `big` is deliberately not freed: jco run 1.35 writes stdout from a view of guest memory
  // after blocking-write-and-flush returns, so free()'s bookkeeping would show in its output.
  DONE();
}
