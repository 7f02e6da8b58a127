// Tiny assertion helpers for the WASI test guests: a failed CHECK prints one "FAIL" line
// (with errno) and makes the program exit 1 through DONE(); passing checks print nothing
// unless they carry a message, so the expected output stays short and deterministic.
#pragma once
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int check_failures = 0;
#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      printf("FAIL line %d: %s (errno %d: %s)\n", __LINE__, #cond, errno, strerror(errno)); \
      check_failures++;                                                                \
    }                                                                                  \
  } while (0)
#define DONE()                                                       \
  do {                                                               \
    printf("%s\n", check_failures ? "some checks FAILED" : "all checks passed"); \
    return check_failures ? 1 : 0;                                   \
  } while (0)
