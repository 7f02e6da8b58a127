// Terminals (wasi:cli/terminal-stdin, -stdout, -stderr, which the adapter consults for
// isatty): the driver redirects all three standard streams to files, so none of them is a
// terminal. Printed rather than checked: jco run claims terminals regardless.
#include <unistd.h>

#include "check.h"

int main(void) {
  for (int fd = 0; fd <= 2; ++fd) {
    printf("isatty(%d): %s\n", fd, isatty(fd) ? "yes" : "no");
  }
  DONE();
}
