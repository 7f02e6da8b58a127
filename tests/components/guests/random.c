// random_get: bytes arrive, are not all zero, and differ between calls.
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

int main(void) {
  unsigned char a[32], b[32];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  CHECK(getentropy(a, sizeof a) == 0);
  CHECK(getentropy(b, sizeof b) == 0);
  int nonzero = 0;
  for (size_t i = 0; i < sizeof a; ++i) nonzero |= a[i];
  printf("random ok: %zu bytes, not all zero: %s\n", sizeof a, nonzero ? "yes" : "no");
  printf("two draws differ: %s\n", memcmp(a, b, sizeof a) != 0 ? "yes" : "no");
  unsigned char big[4096];
  CHECK(getentropy(big, 256) == 0);
  uint32_t r1 = arc4random(), r2 = arc4random(), r3 = arc4random();
  printf("arc4random varies: %s\n", (r1 != r2 || r2 != r3) ? "yes" : "no");
  DONE();
}
