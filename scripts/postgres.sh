#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: Debian's server binaries
# (/usr/lib/postgresql/15/bin, from scripts/setup.sh) run on a free port on 127.0.0.1
# with trust auth, superuser `wicket` and a database `wicket`.
#
#   scripts/postgres.sh start [DIR]
#       initdb and start a cluster in DIR (default: a new mktemp -d folder). Prints
#       one line on stdout, postgres://wicket@127.0.0.1:PORT/wicket, and writes it
#       to DIR/url; everything else goes to stderr.
#   scripts/postgres.sh stop [DIR]
#       Stop the cluster in DIR (default: the `env` folder) and remove DIR.
#   scripts/postgres.sh env
#       Print $WICKET_TEST_DATABASE_URL if set; otherwise reuse the cluster running in
#       ${TMPDIR:-/tmp}/wicket-pg-$UID or start one there, and print its URL:
#       export WICKET_TEST_DATABASE_URL=$(scripts/postgres.sh env)
#
# The server refuses to run as root: as root it runs as the `postgres` system user.
set -euo pipefail

ME="postgres.sh"
ENV_DIR="${TMPDIR:-/tmp}/wicket-pg-$UID"

die() { echo "$ME: $*" >&2; exit 1; }

# The newest PostgreSQL server binaries; Debian 12's 15 if present.
bindir() {
    local d
    if [[ -x /usr/lib/postgresql/15/bin/initdb && -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
        echo /usr/lib/postgresql/15/bin; return 0
    fi
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return 0; fi
    die "PostgreSQL server not installed (no /usr/lib/postgresql/*/bin/initdb); run scripts/setup.sh or apt-get install postgresql"
}

# Run a server command as a user the server accepts: `postgres` when we are root.
# Every fd above 2 is closed first: pg_ctl start leaves the server running in the
# background, and it must not hold our stdout pipe (fd 3: `$(postgres.sh start)`
# would never return), the env lock (fd 8) or any pipe of our caller.
as_pg() {
    (
        local fd
        for fd in /proc/$BASHPID/fd/*; do
            fd="${fd##*/}"
            if [[ "$fd" -gt 2 ]]; then eval "exec $fd>&-"; fi
        done
        cd /
        if [[ "$(id -u)" -eq 0 ]]; then
            exec runuser -u postgres -- "$@"
        fi
        exec "$@"
    )
}

free_port() {
    if python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null; then
        return 0
    fi
    # No python: try random ports until nothing answers on one.
    local p i
    for i in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    die "no free TCP port found on 127.0.0.1"
}

# A folder this script made (so safe to delete): holding nothing but our files.
ours() {
    [[ -d "$1" ]] || return 1
    local f
    for f in "$1"/* "$1"/.[!.]*; do
        [[ -e "$f" || -L "$f" ]] || continue
        case "${f##*/}" in
            data | log | url | .s.PGSQL.*) ;;
            *) return 1 ;;
        esac
    done
}

running() { [[ -f "$1/data/PG_VERSION" ]] && as_pg "$BIN/pg_ctl" status -D "$1/data" >/dev/null 2>&1; }

start() {
    [[ $# -le 1 ]] || die "usage: $ME start [DIR]"
    BIN="$(bindir)"
    local dir made=""
    if [[ -n "${1:-}" ]]; then
        mkdir -p "$1"
        dir="$(cd "$1" && pwd)"
        [[ -z "$(ls -A "$dir")" ]] || die "$dir is not empty"
    else
        dir="$(mktemp -d "${TMPDIR:-/tmp}/wicket-pg.XXXXXX")"
        made=1
    fi
    # pg_ctl -o goes through a shell, and a socket path must fit in 107 bytes.
    [[ "$dir" != *"'"* ]] || die "$dir: a quote in the path is not supported"
    [[ $(( ${#dir} + 16 )) -le 107 ]] || die "$dir: path too long for a Unix socket; set TMPDIR shorter"
    if [[ "$(id -u)" -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no postgres user (apt-get install postgresql)"
        chown postgres:postgres "$dir"
        chmod 700 "$dir"
        as_pg test -w "$dir" || die "user postgres cannot write $dir (is a parent folder private to root?)"
    fi
    as_pg "$BIN/initdb" -D "$dir/data" -A trust -U wicket --encoding=UTF8 --no-locale \
        --no-sync >&2 || { [[ -z "$made" ]] || rm -rf "$dir"; die "initdb failed in $dir"; }
    local port try ok=""
    for try in 1 2 3 4 5; do
        port="$(free_port)"
        # fsync and friends off: a throwaway test cluster need not survive a crash,
        # and tests run much faster without the disk flushes.
        if as_pg "$BIN/pg_ctl" start -w -D "$dir/data" -l "$dir/log" -o "-p $port -k '$dir' \
-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=200" >&2; then
            ok=1; break
        fi
        # Someone took the port between our probe and the server's bind: try another.
        grep -qi "could not bind\|address already in use" "$dir/log" 2>/dev/null || break
        echo "$ME: port $port taken, retrying" >&2
    done
    if [[ -z "$ok" ]]; then
        tail -n 20 "$dir/log" >&2 2>/dev/null || true
        [[ -z "$made" ]] || rm -rf "$dir"
        die "PostgreSQL did not start (log above)"
    fi
    if ! "$BIN/createdb" -h 127.0.0.1 -p "$port" -U wicket wicket >&2; then
        as_pg "$BIN/pg_ctl" stop -w -m immediate -D "$dir/data" >&2 || true
        [[ -z "$made" ]] || rm -rf "$dir"
        die "could not create database wicket"
    fi
    local url="postgres://wicket@127.0.0.1:$port/wicket"
    echo "$url" > "$dir/url"
    echo "$ME: PostgreSQL $("$BIN/pg_ctl" --version | awk '{print $3}') in $dir" >&2
    echo "$url" >&3
}

stop() {
    [[ $# -le 1 ]] || die "usage: $ME stop [DIR]"
    local dir="${1:-$ENV_DIR}"
    if [[ ! -d "$dir" ]]; then echo "$ME: no cluster at $dir" >&2; return 0; fi
    dir="$(cd "$dir" && pwd)"
    ours "$dir" || die "$dir does not look like a postgres.sh cluster folder; not removing it"
    if [[ -f "$dir/data/PG_VERSION" ]]; then
        BIN="$(bindir)"
        if running "$dir"; then
            as_pg "$BIN/pg_ctl" stop -w -m fast -D "$dir/data" >&2 \
                || as_pg "$BIN/pg_ctl" stop -w -m immediate -D "$dir/data" >&2 \
                || die "could not stop the server in $dir; left it in place"
        fi
    fi
    rm -rf "$dir"
}

env_url() {
    if [[ -n "${WICKET_TEST_DATABASE_URL:-}" ]]; then
        echo "$WICKET_TEST_DATABASE_URL" >&3; return 0
    fi
    BIN="$(bindir)"
    # One cluster per user even when several make runs ask at once.
    exec 8>"$ENV_DIR.lock"
    flock -w 300 8 || die "waited 5 minutes for $ENV_DIR.lock; another postgres.sh env holds it"
    if [[ -s "$ENV_DIR/url" ]] && running "$ENV_DIR"; then
        cat "$ENV_DIR/url" >&3; return 0
    fi
    # A leftover (crashed, or half made): start afresh.
    if [[ -e "$ENV_DIR" ]]; then
        echo "$ME: replacing stale $ENV_DIR" >&2
        stop "$ENV_DIR"
    fi
    start "$ENV_DIR"
}

# Only the URL goes to stdout (fd 3); everything else to stderr.
exec 3>&1 1>&2
case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    env) shift; [[ $# -eq 0 ]] || die "usage: $ME env"; env_url ;;
    *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
