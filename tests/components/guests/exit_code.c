// Exits with the status given as argv[1] from inside nested calls (proc_exit unwinds the
// whole guest); output written before exit must not be lost.
#include <stdlib.h>

#include "check.h"

static void __attribute__((noinline)) Deep(int depth, int status) {
  if (depth == 0) {
    printf("exiting with %d\n", status);
    exit(status);
  }
  Deep(depth - 1, status);
  printf("not reached\n");
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  if (argc != 2) DONE();
  fprintf(stderr, "to stderr before exit\n");
  Deep(10, atoi(argv[1]));
  return 99;
}
