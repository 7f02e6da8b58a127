#!/usr/bin/env python3
"""Compares a binaryen `--fuzz-exec-before` trace with a weft-fuzz-exec trace.

  compare.py REFERENCE.txt WEFT.txt   -> exit 0 (same), 1 (different), 3 (reference unusable)

Both traces are normalised first: trap messages are dropped ("[trap ...]" -> "[trap]", the
two engines word them differently), every NaN ("nan", "-nan", "nan:0x...") becomes "nan"
(the spec leaves NaN sign and payload open), non-null function references lose their
binaryen function name ("funcref(3)" -> "funcref", names are not comparable), and only the trace lines are kept (binaryen's
"warning:" chatter is not part of it). A reference that hit a binaryen host limit
("[host limit ...]") is unusable: binaryen itself ignores such results. On a difference the
first differing lines and a unified diff are printed.
"""
import difflib
import re
import sys

TRACE_PREFIXES = ("[fuzz-exec]", "[LoggingExternalInterface", "[trap", "[host limit",
                  "[exception", "[weft")
NAN = re.compile(r"-?nan(:0x[0-9a-f]+)?")
FUNCREF = re.compile(r"funcref\((?!null\))[^)]*\)")


def normalise(path):
    lines = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            # binaryen may print "[fuzz-exec] calling X" with no newline before a warning on
            # the same stream; keep the part that is trace.
            if not line.startswith(TRACE_PREFIXES):
                continue
            if line.startswith("[trap"):
                line = "[trap]"
            else:
                line = FUNCREF.sub("funcref", NAN.sub("nan", line))
            lines.append(line)
    return lines


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    ref, got = normalise(sys.argv[1]), normalise(sys.argv[2])
    if any(l.startswith("[host limit") for l in ref):
        print("reference hit a binaryen host limit; not comparable")
        return 3
    if ref == got:
        return 0
    for i, (a, b) in enumerate(zip(ref, got)):
        if a != b:
            print(f"first difference at trace line {i + 1}:\n  binaryen: {a}\n  weft:     {b}")
            break
    else:
        print(f"trace lengths differ: binaryen {len(ref)} lines, weft {len(got)} lines")
    sys.stdout.writelines(
        l + "\n" for l in difflib.unified_diff(ref, got, "binaryen", "weft", lineterm="", n=2))
    return 1


if __name__ == "__main__":
    sys.exit(main())
