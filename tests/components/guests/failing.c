// A program that fails the ordinary way: it cannot open its input, says why on stderr and
// returns 2 from main (a component reports it as wasi:cli/exit with an error, status 1).
#include <stdio.h>
#include <string.h>
#include <errno.h>

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "missing.txt";
  printf("opening %s\n", path);
  FILE* f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "failing: cannot open %s: %s\n", path, strerror(errno));
    return 2;
  }
  fclose(f);
  return 0;
}
