#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test Weft.
# Idempotent: prints nothing and installs nothing when every package is present.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  clang-19 lld-19 llvm-19 libclang-rt-19-dev
  g++-12
  libboost-dev libboost-context-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  wabt binaryen
  wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32
  libssl-dev libmimalloc-dev
  nodejs hyperfine python3
)

# `install-deps.sh --bench`: also the HTTP benchmark's tools (bench/http calls it), kept out
# of `make test`'s set-up: nothing in the tests needs them.
if [[ ${1:-} == --bench ]]; then
  APT_PACKAGES=(wrk nginx-light curl)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's own nodejs ships npm separately (nodesource's nodejs includes it).
if ! command -v npm >/dev/null; then
  echo "install-deps: installing npm" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

# npm tools for the component tests (jco, componentize-js, preview2-shim), pinned by
# package-lock.json; runs only when node_modules is missing or older than the lock file.
# `npm ci` refuses this lock (npm 11: jco-node-fs 0.3.2 names platform packages that were
# never published, so they are absent from the lock); `npm install --no-save` then installs
# exactly the locked versions and leaves the lock untouched.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -f $ROOT/package-lock.json ]] && command -v npm >/dev/null &&
   { [[ ! -d $ROOT/node_modules ]] || [[ $ROOT/package-lock.json -nt $ROOT/node_modules/.package-lock.json ]]; }; then
  echo "install-deps: installing npm packages from package-lock.json" >&2
  npm_quiet=(--no-audit --no-fund --loglevel=error)
  (cd "$ROOT" && { npm ci "${npm_quiet[@]}" >/dev/null 2>&1 ||
                   npm install --no-save "${npm_quiet[@]}" >/dev/null 2>&1; }) ||
    { echo "install-deps: npm install failed (run \`npm install --no-save\` in $ROOT to see why)" >&2; exit 1; }
fi
