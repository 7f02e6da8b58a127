#!/usr/bin/env bash
# `make run`: runs the bundled example program with `weft run`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/weft run build/examples/hello.wasm
