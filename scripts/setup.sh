#!/usr/bin/env bash
# Install everything Wicket needs on Debian 12 (idempotent): system packages for the
# Tauri desktop shell and its end-to-end test (libdbus for the OS keyring),
# PostgreSQL 15 for the tests' throwaway clusters (scripts/postgres.sh), python3-venv
# for schemathesis (scripts/schemathesis.sh), chromium and chromium-driver for the
# claim page's browser test (scripts/claim-e2e.sh), cups with the cups-pdf queue
# driver and poppler-utils for the printing test (scripts/print-e2e.sh), and the
# UI's npm packages; iproute2 for the door discovery test's network namespace;
# cmake to build zxing-cpp (the QR reader) from its bundled source.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
need=(build-essential pkg-config libssl-dev libdbus-1-dev libwebkit2gtk-4.1-dev xvfb xauth webkit2gtk-driver imagemagick postgresql python3-venv chromium chromium-driver cups printer-driver-cups-pdf poppler-utils iproute2 cmake)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ -f ui/package.json ]; then
  # `npm install` (it follows package-lock.json) rather than `npm ci`: npm 11 here
  # leaves other platforms' optional packages out of the lock and `npm ci` then
  # refuses the lock as out of sync.
  (cd ui && npm install --no-audit --no-fund)
fi
if [ -d src-tauri ] && ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked
fi
