// Clocks (wall and monotonic, their resolutions): realtime is after 2020, monotonic never goes
// back, sleeping (poll_oneoff on a clock) really waits. Printed as deterministic verdicts.
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long long Ns(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0) return -1;
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// Slack allowed on sleeps, from TIMER_SLACK_US (default none). The test scripts grant the
// node and jco legs 1 ms: libuv's timers count whole milliseconds from a cached loop time and
// can fire just under the requested span. weft's own leg runs with no slack.
static long long SlackNs(void) {
  const char* s = getenv("TIMER_SLACK_US");
  return s ? atoll(s) * 1000LL : 0;
}

int main(void) {
  struct timespec res;
  CHECK(clock_getres(CLOCK_REALTIME, &res) == 0);
  CHECK(res.tv_sec == 0 && res.tv_nsec > 0);
  CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0);
  long long real = Ns(CLOCK_REALTIME);
  printf("realtime after 2020: %s\n", real > 1577836800LL * 1000000000LL ? "yes" : "no");
  CHECK(time(NULL) > 1577836800);
  long long m0 = Ns(CLOCK_MONOTONIC);
  long long prev = m0;
  int monotonic = 1;
  for (int i = 0; i < 1000; ++i) {
    long long t = Ns(CLOCK_MONOTONIC);
    if (t < prev) monotonic = 0;
    prev = t;
  }
  printf("monotonic: %s\n", monotonic ? "yes" : "no");
  CHECK(usleep(50000) == 0);
  long long slept = Ns(CLOCK_MONOTONIC) - m0;
  printf("usleep(50ms) waited at least 50ms: %s\n", slept >= 50000000LL - SlackNs() ? "yes" : "no");
  struct timespec req = {0, 20000000};
  long long m1 = Ns(CLOCK_MONOTONIC);
  CHECK(nanosleep(&req, NULL) == 0);
  printf("nanosleep(20ms) waited at least 20ms: %s\n",
         Ns(CLOCK_MONOTONIC) - m1 >= 20000000LL - SlackNs() ? "yes" : "no");
  // No CPU-time clocks: WASI 0.2 has none, so the preview1 adapter refuses them.
  DONE();
}
