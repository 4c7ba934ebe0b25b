#!/usr/bin/env bash
# Property-based test of the head office HTTP API against its own OpenAPI document
# with Schemathesis: every operation in /openapi.json gets generated valid and
# invalid inputs, and every response is checked for 5xx, undocumented status codes,
# content types, headers and body schemas, auth that is ignored, and invalid data
# that is accepted.
#
#   scripts/schemathesis.sh
#
# Starts a throwaway head office (debug binary, fresh SQLite file with the demo
# project) on a free 127.0.0.1 port, runs Schemathesis twice (API-key operations
# with a write key; device operations with an enrolled device's credential), stops
# the server and exits non-zero if anything failed. About 2 minutes on 2 cores.
# Fixed Hypothesis seed and no example database, but two workers share one database
# in no fixed order, so the failing example reported for an operation (rarely, which
# check fails first on it) can differ between runs.
#
# Environment:
#   WICKET_ST_MAX_EXAMPLES  examples per operation (default 100)
#   WICKET_ST_BUILD         "missing" (default: build the binary only if absent) or
#                           "always" (cargo build first, so the run tests current code)
#   WICKET_ST_KEEP=1        keep the work directory (logs, database) after a pass;
#                           after a failure it is always kept
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/target/debug/wicket-headoffice"
VENV="${TMPDIR:-/tmp}/wicket-schemathesis-venv"
MAX_EXAMPLES="${WICKET_ST_MAX_EXAMPLES:-100}"
BUILD="${WICKET_ST_BUILD:-missing}"
# Schemathesis 3 is the line whose CLI flags this script uses (4.x renamed them).
# Hypothesis 6.170 changed an internal that hypothesis-jsonschema 0.23 (pulled in by
# Schemathesis 3) relies on: every operation with a JSON body errors with
# "'many' object has no attribute 'more'", so hold it below that.
REQUIREMENTS=("schemathesis>=3.30,<4" "hypothesis<6.170")
# Device-only routes: they take the credential handed out at enrollment, not an API key.
DEVICE_ROUTES='^/v1/sync/(push|pull|allotments)'

log() { printf '[schemathesis.sh] %s\n' "$*" >&2; }

# ------------------------------------------------------------------ tools

# (Re)install when the venv is missing or was made with other requirements.
if [[ ! -x "$VENV/bin/schemathesis" ]] ||
    [[ "$(cat "$VENV/.wicket-requirements" 2>/dev/null)" != "${REQUIREMENTS[*]}" ]]; then
    log "installing ${REQUIREMENTS[*]} into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${REQUIREMENTS[@]}"
    printf '%s' "${REQUIREMENTS[*]}" >"$VENV/.wicket-requirements"
fi
ST="$VENV/bin/schemathesis"
log "$("$ST" --version)"

if [[ "$BUILD" == always || ! -x "$BIN" ]]; then
    log "building wicket-headoffice (debug)"
    (cd "$ROOT" && cargo build --quiet -p wicket-headoffice --bin wicket-headoffice)
fi

# ------------------------------------------------------------------ server

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wicket-schemathesis.XXXXXX")
DB="$WORK/ho.db"
SERVER_LOG="$WORK/server.log"
SERVER_PID=""
PASSED=0

cleanup() {
    # This script's own children (the server, a Schemathesis run cut short by a
    # signal), by parent id.
    pkill -TERM -P $$ 2>/dev/null || true
    if [[ -n "$SERVER_PID" ]]; then
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "$PASSED" == 1 && "${WICKET_ST_KEEP:-0}" != 1 ]]; then
        rm -rf "$WORK"
    else
        log "logs and database kept in $WORK"
    fi
}
# Bash runs the EXIT trap on SIGINT and SIGTERM too.
trap cleanup EXIT

"$BIN" demo --db "$DB" >"$WORK/demo.txt" 2>>"$SERVER_LOG"
KEY=$("$BIN" keys create --db "$DB" --scope write 2>>"$SERVER_LOG" | awk '{print $NF}')
# PERS's public key header, given like the bearer key (else Schemathesis invents
# header values hyper refuses before any route runs).
PROJECT_KEY=$("$BIN" keys create --db "$DB" --scope project 2>>"$SERVER_LOG" | awk '{print $NF}')
ENROLL_CODE=$("$BIN" enrollment-code --db "$DB" 2>>"$SERVER_LOG" | awk '/enrollment code/ {print $NF}')
[[ -n "$KEY" && -n "$ENROLL_CODE" ]] || {
    log "could not create a key or an enrollment code (see $SERVER_LOG)"
    exit 1
}

# Port 0 and read the address back from the log: no race with another process
# grabbing a port picked in advance.
NO_COLOR=1 RUST_LOG=info "$BIN" serve --db "$DB" --listen 127.0.0.1:0 >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
ADDR=""
for _ in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || {
        log "head office exited at start:"
        tail -20 "$SERVER_LOG" >&2
        exit 1
    }
    ADDR=$(sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG" |
        sed -n 's/.*head office listening addr=\(127\.0\.0\.1:[0-9]*\).*/\1/p' | head -1)
    [[ -n "$ADDR" ]] && break
    sleep 0.1
done
[[ -n "$ADDR" ]] || {
    log "head office did not start in 10 s (see $SERVER_LOG)"
    exit 1
}
BASE="http://$ADDR"
log "head office at $BASE (pid $SERVER_PID, db $DB)"

# A device for the device-only routes; Ed25519 keys are only checked for length here.
PUBKEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
DEVICE_CRED=$(curl -sf -H 'content-type: application/json' "$BASE/v1/devices/enroll" \
    -d "{\"code\":\"$ENROLL_CODE\",\"name\":\"Schemathesis\",\"public_key\":\"$PUBKEY\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["credential"])')

# ------------------------------------------------------------------ runs

requests_served() { grep -c 'finished processing request' "$SERVER_LOG" || true; }

# One Schemathesis run; its output goes to the terminal and to $WORK/<name>.txt.
#   --experimental=openapi-3.1      the document is 3.1; without this no response is validated
#   -D all                          valid and invalid inputs (invalid ones must get 4xx)
#   --exclude-checks negative_data_rejection
#                                   serde reads `[]` as `{}` for all-optional bodies:
#                                   harmless. (Unknown query parameters are refused
#                                   now, see api/params.rs.) Everything else is
#                                   checked, 5xx first.
#   --contrib-openapi-formats-uuid  generate real UUIDs for `format: uuid` (else any
#                                   string, and every path id is a 400 before any logic)
#   --hypothesis-database none      no example reuse between runs: same seed, same run
#   --request-timeout               a hung request is a failure, not a hung script
run_st() {
    local name=$1 token=$2
    shift 2
    local rc=0
    "$ST" run "$BASE/openapi.json" \
        --experimental=openapi-3.1 \
        -H "Authorization: Bearer $token" \
        -H "x-project-key: $PROJECT_KEY" \
        --checks all \
        --exclude-checks negative_data_rejection \
        -D all \
        --contrib-openapi-formats-uuid \
        --hypothesis-seed=1 \
        --hypothesis-max-examples "$MAX_EXAMPLES" \
        --hypothesis-database none \
        --request-timeout 10000 \
        --workers 2 \
        --no-color \
        "$@" 2>&1 | tee "$WORK/$name.txt" || rc=${PIPESTATUS[0]}
    # Every later request would fail to connect: say why instead. (Ctrl-C lands
    # here too: it stops the server, and Schemathesis catches it and carries on.)
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        log "head office exited during the $name run (see $SERVER_LOG):"
        tail -20 "$SERVER_LOG" >&2
        exit 1
    fi
    return "$rc"
}

started=$SECONDS
before=$(requests_served)
api_rc=0
run_st api "$KEY" --exclude-path-regex "$DEVICE_ROUTES" || api_rc=$?
mid=$(requests_served)
device_rc=0
run_st device "$DEVICE_CRED" --include-path-regex "$DEVICE_ROUTES" || device_rc=$?
after=$(requests_served)
elapsed=$((SECONDS - started))

# ------------------------------------------------------------------ summary

summarize() {
    local name=$1 rc=$2 requests=$3 out="$WORK/$1.txt" ops result
    ops=$(sed -n 's/^Collected API operations: //p' "$out" | head -1)
    result=$(grep -E '^=+ .* in [0-9.]+s =+$' "$out" | tail -1 | sed 's/^=* //; s/ =*$//')
    printf '  %-7s exit %s, %s operations, %s requests: %s\n' \
        "$name" "$rc" "${ops:-?}" "$requests" "${result:-no result line}"
    # One line per failing test case: operation, failed check (Schemathesis prints
    # titles; mapped back to the --checks names), status, and the curl to reproduce.
    sed -n '/^=* FAILURES =*$/,/^=* SUMMARY =*$/p' "$out" | awk '
        function flush() {
            if (checks != "") printf "    FAIL %s [%s] -> %s\n         %s\n", op, checks, status, cmd
            checks = ""; status = "?"; cmd = ""
        }
        BEGIN {
            name["Server error"] = "not_a_server_error"
            name["Undocumented HTTP status code"] = "status_code_conformance"
            name["Undocumented Content-Type"] = "content_type_conformance"
            name["Missing Content-Type header"] = "content_type_conformance"
            name["Malformed media type"] = "content_type_conformance"
            name["Missing required headers"] = "response_headers_conformance"
            name["Response violates schema"] = "response_schema_conformance"
            name["JSON deserialization error"] = "response_schema_conformance"
            name["Accepted negative data"] = "negative_data_rejection"
            name["Authentication declared but not enforced for this operation"] = "ignored_auth"
        }
        /^___+ .* ___+$/ { flush(); op = $0; gsub(/^_+ | _+$/, "", op); next }
        /^[0-9]+\. Test Case ID:/ { flush(); next }
        /^- / { t = substr($0, 3); if (t in name) t = name[t]; checks = checks ? checks ", " t : t; next }
        /^\[[0-9][0-9][0-9]\]/ { status = substr($0, 2, 3); next }
        /^    curl / { cmd = $0; sub(/^ +/, "", cmd); next }
        END { flush() }'
    # Operations Schemathesis could not test at all (schema or generation errors).
    sed -n '/^=* ERRORS =*$/,/^=* \(FAILURES\|SUMMARY\) =*$/p' "$out" |
        awk '/^___+ .* ___+$/ { op = $0; gsub(/^_+ | _+$/, "", op); print "    ERROR " op }'
}

echo
echo "Schemathesis summary: seed 1, $MAX_EXAMPLES examples per operation, ${elapsed}s"
summarize api "$api_rc" $((mid - before))
summarize device "$device_rc" $((after - mid))
if grep -qE '(status|code)=5[0-9][0-9]' <(sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG"); then
    echo "  the server answered 5xx; see $SERVER_LOG"
fi

if [[ "$api_rc" == 0 && "$device_rc" == 0 ]]; then
    PASSED=1
    echo "PASS"
else
    echo "FAIL (full output in $WORK/api.txt and $WORK/device.txt)"
    exit 1
fi
