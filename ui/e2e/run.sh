#!/usr/bin/env bash
# End-to-end test of the production app under Xvfb through tauri-driver:
# builds the UI and the app (custom-protocol), starts a fresh demo replica, then
# drives the door, box office and back-office screens and screenshots each one
# into docs/screenshots/.
#
# Needs: xvfb, xauth, webkit2gtk-driver (WebKitWebDriver), imagemagick, and
# `cargo install tauri-driver --locked`. Set SKIP_BUILD=1 to reuse the last build.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
APP="$CARGO_TARGET_DIR/debug/wicket-app"
SHOTS="$ROOT/docs/screenshots"
WORK="$(mktemp -d /tmp/wicket-e2e.XXXXXX)"
DISPLAY_NUM="${E2E_DISPLAY:-:99}"
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "== building the UI"
  (cd "$ROOT/ui" && npm run build)
  echo "== building the app (production assets)"
  (cd "$ROOT" && cargo build -p wicket-app --features tauri/custom-protocol)
fi
[[ -x "$APP" ]] || { echo "missing $APP" >&2; exit 1; }
command -v tauri-driver >/dev/null || { echo "install tauri-driver: cargo install tauri-driver --locked" >&2; exit 1; }

export WICKET_DB="$WORK/replica.db"
export WICKET_DEMO=1
export XDG_DATA_HOME="$WORK/data" XDG_DOWNLOAD_DIR="$WORK/downloads"
echo "== fresh demo replica at $WICKET_DB"
TOKEN="$("$APP" --print-demo-ticket 7)"
echo "demo ticket #7: ${TOKEN:0:24}… (${#TOKEN} chars)"

echo "== Xvfb $DISPLAY_NUM and tauri-driver"
Xvfb "$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
export DISPLAY="$DISPLAY_NUM"
sleep 1
tauri-driver --port 4444 >"$WORK/driver.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
  curl -fs http://127.0.0.1:4444/status >/dev/null 2>&1 && break
  sleep 0.2
done

mkdir -p "$SHOTS"
python3 "$ROOT/ui/e2e/e2e.py" --app "$APP" --token "$TOKEN" --shots "$SHOTS" || {
  echo "== e2e failed; tauri-driver log:" >&2
  cp "$WORK/driver.log" /tmp/wicket-e2e-driver.log 2>/dev/null || true
  grep -v "^ \+[0-9]\+:\|^ \+at " "$WORK/driver.log" | tail -40 >&2
  exit 1
}
