#!/usr/bin/env bash
# Self-test of the spec runner: runs extra/runner_selftest.wast and checks that exactly the
# lines marked `;; expect-fail` are reported as failures, that the summary line counts them and
# the one skip, and that the exit status is 1. Usage: selftest.sh RUNNER... (e.g. build/weft wast)
set -u
here=$(cd "$(dirname "$0")" && pwd)
wast=$here/extra/runner_selftest.wast
out=$("$@" "$wast" 2>&1)
rc=$?
want=$(grep -nE ';; expect-fail$' "$wast" | cut -d: -f1 | sort -n | tr '\n' ' ')
got=$(sed -nE 's/^[^:]*runner_selftest\.wast:([0-9]+): FAIL:.*/\1/p' <<<"$out" | sort -n | tr '\n' ' ')
total=$(grep -cE '^\((module|register|assert_|invoke|get)' "$wast")
nfail=$(wc -w <<<"$want")
summary="$((total - nfail - 1)) passed, $nfail failed, 1 skipped"
ok=1
[[ $got == "$want" ]] || { echo "failing lines: want [$want] got [$got]"; ok=0; }
[[ $(tail -n 1 <<<"$out") == "$summary" ]] || { echo "summary: want '$summary' got '$(tail -n 1 <<<"$out")'"; ok=0; }
[[ $rc == 1 ]] || { echo "exit status: want 1 got $rc"; ok=0; }
if ((ok)); then
  echo "runner self-test ok ($summary)"
else
  echo "--- runner output:"; echo "$out"
  exit 1
fi
