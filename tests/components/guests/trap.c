// Traps (unreachable) three calls deep after printing a line: weft must report the trap with
// a backtrace naming these functions and exit 134.
#include <stdio.h>

__attribute__((noinline)) void innermost_function(int x) {
  if (x > 0) __builtin_trap();
}
__attribute__((noinline)) void middle_function(int x) { innermost_function(x + 1); }

int main(void) {
  printf("before the trap\n");
  fflush(stdout);
  middle_function(1);
  printf("not reached\n");
  return 0;
}
