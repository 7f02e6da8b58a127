// The bundled example (`make run`): greets, lists its arguments, shows $USER if set, and
// prints a file given as the first argument (it must lie in a directory passed with --dir).
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  printf("Hello from WebAssembly, running on Weft!\n");
  for (int i = 0; i < argc; ++i) printf("  argv[%d] = %s\n", i, argv[i]);
  const char* user = getenv("USER");
  printf("  USER = %s\n", user ? user : "(not set; try --env USER)");
  if (argc > 1) {
    FILE* f = fopen(argv[1], "r");
    if (f == NULL) {
      perror(argv[1]);
      return 1;
    }
    printf("--- %s ---\n", argv[1]);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
  }
  return 0;
}
