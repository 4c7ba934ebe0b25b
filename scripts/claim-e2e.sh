#!/usr/bin/env bash
# The public claim page (/claim/{code}) in a real headless browser: Debian's
# chromium through chromedriver, in a phone-sized window. Builds and serves a head
# office on an empty database and a free loopback port, makes a write key with its
# CLI, then scripts/claim_e2e.py creates a claimable product and a claim code
# through the API, claims it in the browser (QR shown, download saved) and opens
# the link again (already claimed). Prints CLAIM E2E PASSED; any failure exits
# non-zero.
#
# Needs: chromium, chromium-driver (scripts/setup.sh installs them), curl,
# python3. SKIP_BUILD=1 reuses the last build; CLAIM_E2E_SHOTS=DIR keeps
# screenshots of the three pages.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
HO="$CARGO_TARGET_DIR/debug/wicket-headoffice"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
WORK="$(mktemp -d /tmp/wicket-claim-e2e.XXXXXX)"
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "claim e2e: $*" >&2
  exit 1
}

for bin in "$CHROMIUM" "$CHROMEDRIVER"; do
  [[ -x "$bin" ]] || fail "missing $bin (apt-get install chromium chromium-driver, or scripts/setup.sh)"
done
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  (cd "$ROOT" && cargo build -p wicket-headoffice)
fi
[[ -x "$HO" ]] || fail "missing $HO"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for URL LOG: up to 10 s for URL to answer.
wait_for() {
  for _ in $(seq 100); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "no answer from $1; log:" >&2
  tail -20 "$2" >&2
  return 1
}

KEY="$("$HO" keys create --db "$WORK/ho.db" --scope write | awk '{print $NF}')"
[[ "$KEY" == wk_* ]] || fail "no write key from the CLI"
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
RUST_LOG=warn "$HO" serve --db "$WORK/ho.db" --listen "127.0.0.1:$PORT" >"$WORK/ho.log" 2>&1 &
PIDS+=($!)
wait_for "$BASE/healthz" "$WORK/ho.log" || fail "head office did not start"

DRIVER_PORT="$(free_port)"
"$CHROMEDRIVER" --port="$DRIVER_PORT" --log-path="$WORK/chromedriver.log" >/dev/null 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$DRIVER_PORT/status" "$WORK/chromedriver.log" || fail "chromedriver did not start"

mkdir -p "$WORK/profile" "$WORK/downloads"
shots=()
if [[ -n "${CLAIM_E2E_SHOTS:-}" ]]; then
  mkdir -p "$CLAIM_E2E_SHOTS"
  shots=(--shots "$CLAIM_E2E_SHOTS")
fi
python3 "$ROOT/scripts/claim_e2e.py" --ho "$BASE" --key "$KEY" \
  --driver "http://127.0.0.1:$DRIVER_PORT" --chromium "$CHROMIUM" \
  --profile "$WORK/profile" --downloads "$WORK/downloads" "${shots[@]}" || {
  echo "== head office log:" >&2
  tail -20 "$WORK/ho.log" >&2
  echo "== chromedriver log:" >&2
  tail -20 "$WORK/chromedriver.log" >&2
  fail "browser test failed"
}
echo "CLAIM E2E PASSED"
