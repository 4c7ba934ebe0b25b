#!/usr/bin/env bash
# A local Asset Hub runtime for the chain tests: chopsticks building blocks from the
# Kusama Asset Hub genesis in ../shared/chain (no network needed).
#
#   scripts/chopsticks.sh install
#       Install @acala-network/chopsticks into ./node_modules if missing (~5 min).
#   scripts/chopsticks.sh start [--port N] [--fund SS58=PLANCK]... [--db FILE]
#       Install if needed, write a config and exec chopsticks in the foreground
#       (so killing this process stops the chain). Prints the endpoint first.
#       Without --fund, //Alice gets 10^18 planck. With --db, blocks are saved and
#       a restart with the same file resumes from the latest block.
#
# Environment: WICKET_CHAIN_GENESIS overrides the genesis path (relative to the repo).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="1.5.1"
BIN="$REPO/node_modules/.bin/chopsticks"
PKG="$REPO/node_modules/@acala-network/chopsticks/package.json"
GENESIS="${WICKET_CHAIN_GENESIS:-../shared/chain/asset-hub-kusama.json}"
ALICE="5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"

install() {
    if [[ -x "$BIN" ]] && grep -q "\"version\": \"$VERSION\"" "$PKG" 2>/dev/null; then
        return 0
    fi
    echo "installing @acala-network/chopsticks@$VERSION into $REPO/node_modules (takes minutes)" >&2
    (cd "$REPO" && npm install --no-save --no-package-lock --no-audit --no-fund \
        "@acala-network/chopsticks@$VERSION") >&2
}

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start() {
    local port="" db="" funds=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --port) port="$2"; shift 2 ;;
            --fund) funds+=("$2"); shift 2 ;;
            --db) db="$2"; shift 2 ;;
            *) echo "unknown option $1" >&2; exit 2 ;;
        esac
    done
    install
    [[ -n "$port" ]] || port="$(free_port)"
    [[ ${#funds[@]} -gt 0 ]] || funds=("$ALICE=1000000000000000000")
    # Resume from the highest saved block. A `resume: true` in the config file is
    # shadowed by the CLI flag's default, so pass the block hash as a flag.
    local extra=()
    if [[ -n "$db" && -s "$db" ]]; then
        local head
        head="$(cd "$REPO" && node -e '
            const db = new (require("sqlite3").Database)(process.argv[1]);
            db.get("SELECT hash FROM block ORDER BY number DESC LIMIT 1",
                   (e, r) => { if (r) console.log(r.hash); db.close(); });' "$db")"
        if [[ "$head" =~ ^0x[0-9a-f]{64}$ ]]; then extra=(--resume "$head"); fi
    fi
    local dir
    dir="$(mktemp -d "${TMPDIR:-/tmp}/wicket-chopsticks.XXXXXX")"
    local cfg="$dir/chopsticks.yml"
    {
        echo "genesis: $GENESIS"
        echo "host: 127.0.0.1"
        echo "port: $port"
        echo "build-block-mode: Instant"
        if [[ -n "$db" ]]; then
            echo "db: $db"
            echo "save-blocks: true"
        fi
        echo "import-storage:"
        echo "  System:"
        echo "    Account:"
        local f addr amount
        for f in "${funds[@]}"; do
            addr="${f%%=*}"
            amount="${f#*=}"
            [[ "$addr" =~ ^[1-9A-HJ-NP-Za-km-z]+$ && "$amount" =~ ^[0-9]+$ ]] || {
                echo "bad --fund $f (want SS58=PLANCK)" >&2; exit 2; }
            echo "      - - - $addr"
            echo "        - providers: 1"
            echo "          data: { free: '$amount' }"
        done
    } > "$cfg"
    echo "chopsticks ws://127.0.0.1:$port config $cfg"
    cd "$REPO"
    exec "$BIN" -c "$cfg" "${extra[@]}"
}

case "${1:-}" in
    install) install ;;
    start) shift; start "$@" ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
