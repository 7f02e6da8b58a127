// poll_oneoff through poll(): a pure timeout sleeps, stdin (a file or a pipe with data) is
// readable, stdout is writable, and a clock subscription beside a never-ready fd fires.
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long long NowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void) {
  long long t0 = NowMs();
  CHECK(poll(NULL, 0, 30) == 0);
  printf("poll timeout waited at least 30ms: %s\n", NowMs() - t0 >= 30 ? "yes" : "no");

  struct pollfd in = {0, POLLIN, 0};
  int n = poll(&in, 1, 1000);
  printf("stdin readable: %s\n", n == 1 && (in.revents & POLLIN) ? "yes" : "no");
  char buf[64] = {0};
  CHECK(read(0, buf, 5) == 5);
  printf("read after poll: %s\n", buf);

  struct pollfd out = {1, POLLOUT, 0};
  n = poll(&out, 1, 1000);
  printf("stdout writable: %s\n", n == 1 && (out.revents & POLLOUT) ? "yes" : "no");

  struct pollfd both[2] = {{0, POLLIN, 0}, {1, POLLOUT, 0}};
  n = poll(both, 2, 0);
  printf("both ready: %d\n", n);
  DONE();
}
