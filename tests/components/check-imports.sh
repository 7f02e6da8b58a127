#!/usr/bin/env bash
# Checks the imports a tool lists for a component against a golden list (one WIT interface
# name per line, in the component's import order; compared as sets).
# Usage: check-imports.sh jco|weft TOOL COMPONENT EXPECTED
#   jco:  `TOOL wit COMPONENT` (node_modules/.bin/jco)    weft: `TOOL inspect COMPONENT`
# Both print WIT; every `import NAME;` line at any indentation counts.
set -uo pipefail
KIND=$1 TOOL=$2 COMPONENT=$3 EXPECTED=$4
case $KIND in
  jco) out=$(node "$TOOL" wit "$COMPONENT" 2>&1) ;;
  weft) out=$(timeout 60 "$TOOL" inspect "$COMPONENT" 2>&1) ;;
  *) echo "unknown tool kind $KIND"; exit 2 ;;
esac
status=$?
[[ $status == 0 ]] || { echo "$out" | head -20; echo "FAIL: $KIND exited with $status"; exit 1; }
got=$(sed -n 's/^[[:space:]]*import \([^;[:space:]]*\);.*$/\1/p' <<<"$out" | sort)
want=$(sort "$EXPECTED")
if [[ "$got" != "$want" ]]; then
  diff -u <(echo "$want") <(echo "$got")
  echo "FAIL: $KIND lists $(grep -c . <<<"$got") imports, expected $(grep -c . "$EXPECTED") ($EXPECTED)"
  exit 1
fi
echo "PASS: $KIND lists the $(grep -c . "$EXPECTED") expected imports"
