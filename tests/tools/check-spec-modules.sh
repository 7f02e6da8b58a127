#!/usr/bin/env bash
# check-spec-modules.sh BUILD_DIR [WAST...]: decode+validate check over the spec suite.
# Converts each .wast (default: /work/shared/wasm-testsuite/*.wast) with wast2json, then with
# BUILD_DIR/weft-validate checks that every `module` (and the modules of assert_unlinkable /
# assert_uninstantiable) validates and every binary assert_malformed / assert_invalid module is
# rejected. Prints per-file counts and a final "N passed, M failed" (exit 1 if any failed).
# Set VERBOSE=1 to list each failure, and messages whose wording differs from the suite's.
set -euo pipefail
build=${1:?usage: check-spec-modules.sh BUILD_DIR [WAST...]}
shift
tool="$build/weft-validate"
[[ -x $tool ]] || { echo "missing $tool (ninja -C $build weft-validate)" >&2; exit 2; }
if (($#)); then files=("$@"); else files=(/work/shared/wasm-testsuite/*.wast); fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tool" "$tmp" "${files[@]}" <<'PY'
import json, os, subprocess, sys
tool, tmp, files = sys.argv[1], sys.argv[2], sys.argv[3:]
verbose = os.environ.get("VERBOSE") == "1"
must_pass = {"module", "assert_unlinkable", "assert_uninstantiable"}
must_fail = {"assert_malformed", "assert_invalid"}
total_ok = total_bad = total_wording = 0
for wast in files:
    base = os.path.splitext(os.path.basename(wast))[0]
    out = os.path.join(tmp, base)
    os.makedirs(out, exist_ok=True)
    js = os.path.join(out, base + ".json")
    r = subprocess.run(["wast2json", wast, "-o", js], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"{base}: wast2json failed: {r.stderr.strip()[:200]}")
        total_bad += 1
        continue
    cases = []
    for c in json.load(open(js))["commands"]:
        t = c["type"]
        if t in must_pass and c.get("module_type", "binary") == "binary" and "filename" in c:
            cases.append((c["line"], t, True, os.path.join(out, c["filename"]), ""))
        elif t in must_fail and c.get("module_type") == "binary":
            cases.append((c["line"], t, False, os.path.join(out, c["filename"]), c.get("text", "")))
    results = {}
    if cases:
        p = subprocess.run([tool] + [c[3] for c in cases] + ([os.devnull] if len(cases) == 1 else []),
                           capture_output=True, text=True)
        for line in p.stdout.splitlines():
            path, _, res = line.partition("\t")
            results[path] = res
    ok = bad = wording = 0
    for line, t, valid, path, text in cases:
        res = results.get(path, "no result")
        good = (res == "ok") if valid else res.startswith(("malformed:", "invalid:"))
        kind_ok = True
        if not valid and good:
            want = "malformed:" if t == "assert_malformed" else "invalid:"
            msg = res.partition(": ")[2]
            if not msg.startswith(text) or not res.startswith(want):
                wording += 1
                if verbose:
                    print(f"  {base}:{line}: {t} expected \"{text}\", got {res}")
        if good:
            ok += 1
        else:
            bad += 1
            if verbose:
                exp = "valid" if valid else f"{t} \"{text}\""
                print(f"  FAIL {base}:{line}: expected {exp}, got {res}")
    total_ok += ok; total_bad += bad; total_wording += wording
    print(f"{base}: {ok} passed, {bad} failed" + (f" ({wording} with other wording)" if wording else ""))
print(f"total: {total_ok} passed, {total_bad} failed ({total_wording} rejections with other wording/class)")
sys.exit(1 if total_bad else 0)
PY
