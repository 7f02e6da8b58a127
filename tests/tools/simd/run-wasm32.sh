#!/bin/sh
# Builds src/interp/simd_test.cc for wasm32-wasi (a 32-bit, non-x86 target: the `vec` and
# `portable` variants of simd.h) against a minimal GoogleTest stand-in and runs it under node,
# once without and once with wasm SIMD (-msimd128). Exits non-zero on any failure.
# Usage: tests/tools/simd/run-wasm32.sh   (from anywhere; needs clang-19 with wasi-libc, node)
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for flags in "" "-msimd128"; do
  clang++-19 --target=wasm32-wasi $flags -fno-exceptions -std=c++20 -O2 -Wall -Wextra \
    -Wno-unused-parameter -I"$here/shim" -I"$root/src" -I"$root/include" \
    "$root/src/interp/simd_test.cc" -o "$out/simd_test.wasm"
  echo "wasm32-wasi ${flags:-(scalar)}:"
  if ! node --no-warnings "$here/run-wasi.mjs" "$out/simd_test.wasm" >"$out/log" 2>&1; then
    grep -v '^ok ' "$out/log"
    exit 1
  fi
  tail -1 "$out/log"
done
