#!/usr/bin/env bash
# Headless Chromium for the Web UI screenshot test (test/local-stack/readme-commands.test.ts): Debian's
# `chromium` package, driven by playwright-core (which downloads no browser of its own). Installs it
# with apt-get when /usr/bin/chromium is missing; prints the binary's path as the last line.
set -euo pipefail

if [[ ! -x /usr/bin/chromium ]]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: /usr/bin/chromium is missing and there is no apt-get to install it" >&2
    exit 1
  fi
  sudo=""
  if [[ "$(id -u)" != "0" ]]; then sudo="sudo"; fi
  echo "ensure-chromium: installing Debian's chromium package ..." >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
fi
/usr/bin/chromium --version >&2
echo /usr/bin/chromium
