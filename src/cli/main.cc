// Placeholder entry point; replaced by the real command-line front end.
#include <cstdio>
int main() {
  std::puts("weft: not yet implemented");
  return 1;
}
