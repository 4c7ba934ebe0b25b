#!/usr/bin/env bash
# End-to-end test of the production app as a head-office-connected device, under
# Xvfb through tauri-driver: builds the UI, the app (custom-protocol) and head
# office; seeds and serves a real head office on a free loopback port; creates an
# enrollment code with its CLI; then starts the app on an empty replica (no
# WICKET_DEMO) and drives first-run enrollment, the door (with a ticket signed by
# head office), the box office, back office and sync screens, screenshotting each
# one into docs/screenshots/. Any failed step fails the script.
#
# Needs: xvfb, xauth, webkit2gtk-driver (WebKitWebDriver), curl, and
# `cargo install tauri-driver --locked`. Set SKIP_BUILD=1 to reuse the last build.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
APP="$CARGO_TARGET_DIR/debug/wicket-app"
HO="$CARGO_TARGET_DIR/debug/wicket-headoffice"
WICKET="$CARGO_TARGET_DIR/debug/wicket"
SHOTS="$ROOT/docs/screenshots"
WORK="$(mktemp -d /tmp/wicket-e2e.XXXXXX)"
DISPLAY_NUM="${E2E_DISPLAY:-:99}"
DRIVER_PORT="${E2E_DRIVER_PORT:-4444}"
USERS="${E2E_USERS:-1000}"
PIDS=()
started=$(date +%s)

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "== building the UI"
  (cd "$ROOT/ui" && npm run build)
  echo "== building head office and the app (production assets)"
  (cd "$ROOT" && cargo build -p wicket-headoffice -p wicket-device)
  (cd "$ROOT" && cargo build -p wicket-app --features tauri/custom-protocol)
fi
for bin in "$APP" "$HO" "$WICKET"; do
  [[ -x "$bin" ]] || { echo "missing $bin" >&2; exit 1; }
done
command -v tauri-driver >/dev/null || { echo "install tauri-driver: cargo install tauri-driver --locked" >&2; exit 1; }

echo "== head office: demo with $USERS users"
"$HO" demo --db "$WORK/ho.db" --users "$USERS" | tee "$WORK/demo.txt"
KEY="$(awk '/^write key:/ {print $NF}' "$WORK/demo.txt")"
[[ "$KEY" == wk_* ]] || { echo "no write key in the demo output" >&2; exit 1; }
CODE="$("$HO" enrollment-code --db "$WORK/ho.db" | tail -n1 | awk '{print $NF}')"
[[ "$CODE" == en_* ]] || { echo "no enrollment code from the CLI" >&2; exit 1; }
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
RUST_LOG=warn "$HO" serve --db "$WORK/ho.db" --listen "127.0.0.1:$PORT" >"$WORK/ho.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  curl -fs "$BASE/openapi.json" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$BASE/openapi.json" >/dev/null || { echo "head office did not start:" >&2; cat "$WORK/ho.log" >&2; exit 1; }
echo "head office on $BASE"

# The app starts on an empty replica with no demo: it must ask for head office.
export WICKET_DB="$WORK/replica.db"
unset WICKET_DEMO WICKET_HEADOFFICE WICKET_ENROLL_CODE
export XDG_DATA_HOME="$WORK/data" XDG_DOWNLOAD_DIR="$WORK/downloads"

echo "== Xvfb $DISPLAY_NUM and tauri-driver"
Xvfb "$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
export DISPLAY="$DISPLAY_NUM"
sleep 1
tauri-driver --port "$DRIVER_PORT" >"$WORK/driver.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$DRIVER_PORT/status" >/dev/null 2>&1 && break
  sleep 0.2
done

mkdir -p "$SHOTS"
python3 "$ROOT/ui/e2e/e2e.py" --app "$APP" --ho "$BASE" --key "$KEY" --code "$CODE" \
  --driver "http://127.0.0.1:$DRIVER_PORT" --shots "$SHOTS" \
  --wicket "$WICKET" --second-db "$WORK/second.db" || {
  echo "== e2e failed; tauri-driver log (app stderr included):" >&2
  cp "$WORK/driver.log" /tmp/wicket-e2e-driver.log 2>/dev/null || true
  grep -v "^ \+[0-9]\+:\|^ \+at " "$WORK/driver.log" | tail -40 >&2
  echo "== head office log:" >&2
  tail -20 "$WORK/ho.log" >&2
  exit 1
}
echo "== e2e passed in $(( $(date +%s) - started )) s"
