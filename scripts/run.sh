#!/usr/bin/env bash
# Build and run Wicket locally: head office on its embedded SQLite with demo data
# (staff included), served on WICKET_LISTEN; then the desktop app as a device that
# enrolls itself with head office on first start (a fresh one-time code is made
# each run; an enrolled device ignores it), pulls everything, syncs in the
# background and waits signed out on the PIN screen.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${WICKET_DATA:-$PWD/.wicket-demo}"
LISTEN="${WICKET_LISTEN:-127.0.0.1:8080}"
mkdir -p "$DATA"

pkgs=(-p wicket-headoffice -p wicket-device)
echo "run: building (first build takes several minutes on 2 cores)..."
cargo build --release "${pkgs[@]}"
if [ -d src-tauri ]; then
  if [ -f ui/package.json ]; then (cd ui && npm run build); fi
  cargo build --release -p wicket-app --features tauri/custom-protocol
fi
BIN="$PWD/target/release"
HO_DB="$DATA/headoffice.db"
# The device replica that head office feeds (an older stand-alone demo replica
# in $DATA/device.db is left alone).
DEVICE_DB="$DATA/device-ho.db"

if [ ! -f "$HO_DB" ]; then
  "$BIN/wicket-headoffice" demo --db "$HO_DB" | tee "$DATA/headoffice-demo.txt"
fi
CODE="$("$BIN/wicket-headoffice" enrollment-code --db "$HO_DB" | tail -n1 | awk '{print $NF}')"

# One log line per request: to a file, so that the terminal stays readable.
"$BIN/wicket-headoffice" serve --db "$HO_DB" --listen "$LISTEN" >>"$DATA/headoffice.log" 2>&1 &
HO=$!
trap 'kill $HO 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fs "http://$LISTEN/openapi.json" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://$LISTEN/openapi.json" >/dev/null || { echo "run: head office did not start; see $DATA/headoffice.log" >&2; exit 1; }
echo "run: head office on http://$LISTEN (write key in $DATA/headoffice-demo.txt, log in $DATA/headoffice.log)"

echo
echo "Demo staff PINs (they reach the device through sync):"
echo "  door 1111, box office 2222, manager 333333, admin 444444"
if [ -x "$BIN/wicket-app" ] && [ -n "${DISPLAY:-}" ]; then
  echo "run: starting the app on $DEVICE_DB; on first start it enrolls with code ${CODE:0:10}…"
  WICKET_DB="$DEVICE_DB" WICKET_HEADOFFICE="http://$LISTEN" WICKET_ENROLL_CODE="$CODE" \
    WICKET_DEVICE_NAME="${WICKET_DEVICE_NAME:-Demo laptop}" "$BIN/wicket-app"
else
  echo "No display (or no app build): enroll a device from the command line instead:"
  echo "  $BIN/wicket --db $DEVICE_DB enroll --url http://$LISTEN --code $CODE --name cli"
  echo "  $BIN/wicket --db $DEVICE_DB sync"
  echo "  $BIN/wicket --db $DEVICE_DB products"
  echo "Press Ctrl-C to stop head office."
  wait $HO
fi
