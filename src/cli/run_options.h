// Parsing helpers for `weft run`: durations, --dir and --env values, --invoke arguments, and
// wasmtime-style printing of results. Pure functions (no engine, no I/O except getenv).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/weft.h"

namespace weft::cli {

/// "1s", "500ms", "2m", "1h", "250us", "10ns", "1.5s"; a bare number means seconds.
/// Errors (kArgument) on anything else, on zero and on overflow.
Expected<std::chrono::nanoseconds> ParseDuration(std::string_view text);

/// `--dir HOST[::GUEST]`: the host directory and the name the guest sees (default: HOST).
struct DirMapping {
  std::string host;
  std::string guest;
};
Expected<DirMapping> ParseDir(std::string_view text);

/// `--env NAME=VALUE`, or `--env NAME` to inherit the host's value (nullopt if unset there).
Expected<std::optional<std::string>> ParseEnv(std::string_view text);

/// Parses one --invoke argument as a value of `kind`: integers in decimal (signed or unsigned
/// range) or 0x hex; floats as decimal, "nan", "inf", "-inf". References and v128 are not
/// supported and error.
Expected<Val> ParseInvokeArg(std::string_view text, ValKind kind);

/// A result as `wasmtime run --invoke` prints it: integers in signed decimal, floats in
/// shortest round-trip form ("3", "1.5", "NaN", "inf").
std::string FormatResult(const Val& v);

}  // namespace weft::cli
