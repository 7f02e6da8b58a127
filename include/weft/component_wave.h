// WAVE (WebAssembly Value Encoding) helpers beyond ValToWave/ParseWave (component_types.h),
// for embedders and `weft run --invoke`: the `name(args)` call form with the appendix rules of
// the WAVE README (comma-separated arguments, trailing `none` options may be omitted), and the
// printing of call results. Errors are kArgument with a 1-based column into the full text.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/component_types.h"
#include "weft/error.h"

namespace weft::component {

/// A call written as `name(args)`: `name` is everything before the first `(` (trimmed, not
/// empty), `args` the text between it and the final `)`; `args_offset` is args' byte
/// offset in the original text (pass it to ParseWaveArgs for columns in the original).
struct WaveCall {
  std::string name;
  std::string_view args;
  size_t args_offset = 0;
};
/// Splits "name(args)" (whitespace allowed around); a bare "name" means no arguments.
Expected<WaveCall> SplitWaveCall(std::string_view text);

/// Parses comma-separated WAVE values for the params of `func` (a kFunc type). Trailing
/// params of option type may be omitted (they are `none`); a trailing comma is allowed.
/// `offset` is added to reported columns.
Expected<std::vector<Val>> ParseWaveArgs(std::string_view args, TypeRef func, size_t offset = 0);

/// The WAVE text of a call's results: "" when `func` has no result, else the single
/// result's ValToWave.
std::string ResultsToWave(std::span<const Val> results, TypeRef func);

}  // namespace weft::component
