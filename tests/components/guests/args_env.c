// Arguments and environment: argv as given (argv[0] names the module or component), a few variables,
// and the whole environment sorted.
#include <stdlib.h>
#include <string.h>

#include "check.h"

extern char** environ;

static int Compare(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
  printf("argc = %d\n", argc);
  for (int i = 1; i < argc; ++i) printf("argv[%d] = [%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
  CHECK(strstr(argv[0], "args_env") != NULL);
  CHECK(argv[argc] == NULL);
  const char* greeting = getenv("GREETING");
  printf("GREETING = %s\n", greeting ? greeting : "(unset)");
  const char* empty = getenv("EMPTY");
  printf("EMPTY = %s\n", empty ? (*empty ? empty : "(empty)") : "(unset)");
  printf("MISSING = %s\n", getenv("MISSING") ? "set" : "(unset)");
  int n = 0;
  while (environ[n]) ++n;
  char** sorted = malloc(sizeof(char*) * (size_t)(n + 1));
  memcpy(sorted, environ, sizeof(char*) * (size_t)n);
  qsort(sorted, (size_t)n, sizeof(char*), Compare);
  printf("environ has %d entries:\n", n);
  for (int i = 0; i < n; ++i) printf("  %s\n", sorted[i]);
  free(sorted);
  CHECK(setenv("NEW", "value", 1) == 0);
  CHECK(strcmp(getenv("NEW"), "value") == 0);
  DONE();
}
