#!/usr/bin/env bash
# `make test`: unit tests, spec suite, WASI tests and a short fuzz run on the release build,
# then the unit tests and the spec suite again under ASan+UBSan. Ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
passed=0; failed=0

run_ctest() {  # run_ctest DIR [ctest args...]
  local dir=$1; shift
  local out; out=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure -j "$JOBS" "$@" 2>&1 | tee "$out" | grep -vE '^\s+(Start|[0-9]+/[0-9]+ Test)' || true
  local line; line=$(grep -E 'tests passed, [0-9]+ tests failed out of' "$out" | tail -1)
  if [[ -n $line ]]; then
    local total fail
    fail=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
    passed=$((passed + total - fail)); failed=$((failed + fail))
  elif ! grep -q "No tests were found" "$out"; then
    failed=$((failed + 1))
  fi
  rm -f "$out"
}

echo "== release build: unit, spec, wasi, fuzz"
run_ctest build

echo "== ASan+UBSan build: unit tests and spec suite"
if make -s asan; then
  run_ctest build-asan -L "unit|spec"
else
  echo "sanitizer build failed"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
