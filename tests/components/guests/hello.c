// Hello world: the smallest command component, used by the instantiation benchmark and as
// the first smoke test of `weft run` for components.
#include <stdio.h>

int main(void) {
  printf("hello from a WASI 0.2 component\n");
  return 0;
}
