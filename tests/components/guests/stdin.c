// Reads all of stdin and prints its size, line count and a checksum, then echoes the first
// line to stderr.
#include <stdint.h>
#include <unistd.h>

#include "check.h"

int main(void) {
  char buf[1000];
  size_t total = 0, lines = 0;
  uint32_t sum = 2166136261u;  // FNV-1a
  char first[128] = {0};
  size_t first_len = 0;
  int in_first = 1;
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; ++i) {
      sum = (sum ^ (unsigned char)buf[i]) * 16777619u;
      if (buf[i] == '\n') {
        ++lines;
        in_first = 0;
      } else if (in_first && first_len + 1 < sizeof first) {
        first[first_len++] = buf[i];
      }
    }
    total += (size_t)n;
  }
  CHECK(n == 0);
  printf("stdin: %zu bytes, %zu lines, fnv1a %08x\n", total, lines, sum);
  fprintf(stderr, "first line: %s\n", first);
  CHECK(read(0, buf, sizeof buf) == 0);
  DONE();
}
