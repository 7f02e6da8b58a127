// weft-wast-test: a stand-alone front end for weft::cli::WastMain, so the spec suite can run
// before (and independently of) the `weft` program's command dispatch. Same arguments as
// `weft wast`: [-v] FILE (.json from wast2json, or .wast).
#include <cstdio>
#include <cstring>

#include "cli/commands.h"

int main(int argc, char** argv) {
  weft::cli::WastOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-v") == 0 || std::strcmp(argv[i], "--verbose") == 0) {
      options.verbose = true;
    } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      std::printf(
          "usage: %s [-v] FILE\n  FILE: the .json written by `wast2json X.wast -o DIR/X.json`,\n"
          "        or a .wast file (converted with wast2json into a temporary directory)\n",
          argv[0]);
      return 0;
    } else if (options.file.empty()) {
      options.file = argv[i];
    } else {
      std::fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[i]);
      return 2;
    }
  }
  if (options.file.empty()) {
    std::fprintf(stderr, "usage: %s [-v] FILE\n", argv[0]);
    return 2;
  }
  return weft::cli::WastMain(options);
}
