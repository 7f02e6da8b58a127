#!/usr/bin/env bash
# `make run`: runs the bundled example program (examples/hello) with `weft run`, giving it
# the repository's examples/ directory, one argument (a file to print) and an environment
# variable.
set -euo pipefail
cd "$(dirname "$0")/.."
exec ${WEFT:-build/weft} run --dir examples::examples --env USER="${USER:-weft}" \
  ${HELLO:-build/examples/hello.wasm} examples/hello/greeting.txt
