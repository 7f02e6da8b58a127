// The `weft` subcommands, each implemented in its own file and registered by main.cc.
#pragma once

#include <string>
#include <vector>

namespace weft::cli {

struct WastOptions {
  std::string file;      ///< .json from wast2json, or .wast (converted with wast2json).
  bool verbose = false;  ///< Print every command, not only failures.
};
/// `weft wast FILE`: runs a spec script; prints failures with line numbers and ends with
/// "N passed, M failed[, K skipped]". Returns 0 when nothing failed.
int WastMain(const WastOptions& options);

}  // namespace weft::cli
