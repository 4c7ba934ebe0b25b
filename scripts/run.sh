#!/usr/bin/env bash
# Build and run Wicket locally: head office on its embedded SQLite with demo data,
# a demo device replica, and the desktop app when it is built.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${WICKET_DATA:-$PWD/.wicket-demo}"
LISTEN="${WICKET_LISTEN:-127.0.0.1:8080}"
mkdir -p "$DATA"

pkgs=(-p wicket-headoffice -p wicket-device)
if [ -d src-tauri ]; then
  if [ -f ui/package.json ]; then (cd ui && npm run build); fi
  pkgs+=(-p wicket-app --features tauri/custom-protocol)
fi
echo "run: building (first build takes several minutes on 2 cores)..."
cargo build --release "${pkgs[@]}"
BIN="$PWD/target/release"

if [ ! -f "$DATA/headoffice.db" ]; then
  "$BIN/wicket-headoffice" demo --db "$DATA/headoffice.db" | tee "$DATA/headoffice-demo.txt"
fi
"$BIN/wicket-headoffice" serve --db "$DATA/headoffice.db" --listen "$LISTEN" &
HO=$!
trap 'kill $HO 2>/dev/null || true' EXIT
echo "run: head office on http://$LISTEN (API key in $DATA/headoffice-demo.txt)"

if [ ! -f "$DATA/device.db" ]; then
  "$BIN/wicket" --db "$DATA/device.db" demo
fi

echo
echo "Demo staff PINs: door 1111, box office 2222, manager 3333, admin 4444"
if [ -x "$BIN/wicket-app" ] && [ -n "${DISPLAY:-}" ]; then
  WICKET_DB="$DATA/device.db" WICKET_HEADOFFICE="http://$LISTEN" "$BIN/wicket-app"
else
  echo "The device CLI works on the same replica, e.g.:"
  echo "  $BIN/wicket --db $DATA/device.db products"
  echo "  $BIN/wicket --db $DATA/device.db redeem --product general-admission --number 1 --gate north"
  echo "Press Ctrl-C to stop head office."
  wait $HO
fi
