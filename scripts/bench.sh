#!/usr/bin/env bash
# The whole benchmark on one machine: our stack on MariaDB and on SQLite,
# the raw-MariaDB floor (sysbench oltp_point_select), and the Python
# reference server scim2-server (in memory) as the peer, all with the same
# SCIM scenarios; writes BENCHMARKS.md and bench/latency_by_group_size.png.
# It refuses a tree with uncommitted changes (the report names the commit
# it measured), builds the binaries of that commit, and runs every scenario
# (and the floor) --repeat times: the report gives median (min-max).
#
#   scripts/bench.sh                       # 10,000 users, 3 x 6 s per scenario, 8 in flight (~17 min)
#   scripts/bench.sh --users 1000000 --backends mariadb --no-peer \
#       --md target/bench/1m/BENCHMARKS.md --png target/bench/1m/chart.png \
#       --save-summary bench/results-1m.json   # the 1M-user run the page_index target reads
#   scripts/bench.sh --users 1000 --seconds 2 --warmup 0.5 --group-sizes 100,1000 --allow-dirty \
#       --md target/bench/try/BENCHMARKS.md --png target/bench/try/chart.png   # a quick try
#
# Flags:
#   --users N            users the lookup/list scenarios see (default 10000)
#   --seconds S          measured seconds per run of a scenario (default 6)
#   --repeat R           runs of each scenario and of the floor (default 3)
#   --concurrency C      requests in flight, also sysbench's threads (default 8)
#   --warmup S           unmeasured seconds before each run of a scenario (default 1)
#   --group-sizes LIST   comma-separated (default 100,10000,100000); the tenant gets
#                        max(N, largest group + 1000) users before the group scenarios
#   --peer-users N       users loaded into the peer (default: --users, at most 10000: it keeps
#                        every user in Python objects and scans them for most filters)
#   --peer-max-group M   largest group loaded into the peer (default 10000: it copies the
#                        whole group on every PATCH, see bench/README.md); larger ones are n/a
#   --backends LIST      mariadb,sqlite (default both)
#   --no-peer            skip scim2-server
#   --profile P          cargo profile of our binaries: release (default) or dev
#   --no-build           use the binaries already built for that profile
#   --md FILE            where to write the report (default BENCHMARKS.md)
#   --png FILE           the chart (default bench/latency_by_group_size.png)
#   --million PATH       the 1,000,000-user run the page_index target compares with: its
#                        summary JSON or its run directory (default bench/results-1m.json
#                        when it exists)
#   --save-summary FILE  also write this run's summary JSON there (for --million)
#   --allow-dirty        run on a tree with uncommitted changes; the report says so loudly
#
# Needs: a Rust toolchain, curl, Python 3.11 with venv, MariaDB answering on
# 127.0.0.1:3306 as root without password (MYSQL_HOST/MYSQL_PORT to change),
# and apt-get for sysbench (installed when missing). Raw results and service
# logs stay in target/bench/run-<time>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# The exact command, for the report (arguments quoted only where the shell needs it).
COMMAND=scripts/bench.sh
for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z0-9_,./=:+-]+$ ]]; then COMMAND+=" $arg"; else COMMAND+=" $(printf '%q' "$arg")"; fi
done

USERS=10000
SECONDS_PER=6
REPEAT=3
CONCURRENCY=8
WARMUP=1
GROUP_SIZES=100,10000,100000
PEER_MAX_GROUP=10000
PEER_USERS=
BACKENDS=mariadb,sqlite
PEER=1
PROFILE=release
BUILD=1
MD=BENCHMARKS.md
PNG=bench/latency_by_group_size.png
MILLION=
MARIADBD_PID=
SAVE_SUMMARY=
ALLOW_DIRTY=0
MYSQL_HOST=${MYSQL_HOST:-127.0.0.1}
MYSQL_PORT=${MYSQL_PORT:-3306}
WAIT_SECONDS=60
PEER_LOAD_TIMEOUT=${PEER_LOAD_TIMEOUT:-1200}

while (($#)); do
    case $1 in
        --users) USERS=$2; shift ;;
        --seconds) SECONDS_PER=$2; shift ;;
        --repeat) REPEAT=$2; shift ;;
        --concurrency) CONCURRENCY=$2; shift ;;
        --warmup) WARMUP=$2; shift ;;
        --group-sizes) GROUP_SIZES=$2; shift ;;
        --peer-max-group) PEER_MAX_GROUP=$2; shift ;;
        --peer-users) PEER_USERS=$2; shift ;;
        --backends) BACKENDS=$2; shift ;;
        --no-peer) PEER=0 ;;
        --profile) PROFILE=$2; shift ;;
        --no-build) BUILD=0 ;;
        --md) MD=$2; shift ;;
        --png) PNG=$2; shift ;;
        --million) MILLION=$2; shift ;;
        --save-summary) SAVE_SUMMARY=$2; shift ;;
        --allow-dirty) ALLOW_DIRTY=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown flag $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "--repeat: a positive whole number" >&2; exit 2; }
if [[ -z $MILLION && -f bench/results-1m.json ]]; then MILLION=bench/results-1m.json; fi
if [[ -z $PEER_USERS ]]; then PEER_USERS=$((USERS < 10000 ? USERS : 10000)); fi
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case $PROFILE in
    release) BIN=$TARGET_DIR/release ;;
    dev | debug) PROFILE=dev; BIN=$TARGET_DIR/debug ;;
    *) echo "--profile: release or dev" >&2; exit 2 ;;
esac
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
STARTED_AT=$(date +%s)
RUN_DIR=$TARGET_DIR/bench/run-$(date -u +%Y%m%d-%H%M%S)

# The tree measured: a committed one, or a report that says it was not.
if ! COMMIT=$(git rev-parse HEAD 2>/dev/null); then
    ((ALLOW_DIRTY)) || { echo "[bench] not a git checkout: cannot name the commit measured (--allow-dirty to run anyway)" >&2; exit 1; }
    COMMIT=unknown
fi
DIRTY=$(git status --porcelain 2>/dev/null || echo "?? (git status failed)")
if [[ -n $DIRTY ]] && ((!ALLOW_DIRTY)); then
    {
        echo "[bench] the tree has uncommitted changes; BENCHMARKS.md must come from a committed tree:"
        printf '%s\n' "$DIRTY" | head -n 20 | sed 's/^/    /'
        echo "[bench] commit or stash them, or pass --allow-dirty (the report is then marked as such)"
    } >&2
    exit 1
fi
mkdir -p "$RUN_DIR"
VENV=$TARGET_DIR/bench-venv
TAG=$(date +%s)_$$

STARTED_PIDS=()
CREATED_DATABASES=()

# Facts about the run, for the report: one "key<TAB>value" line each.
info() { printf '%s\t%s\n' "$1" "$2" >>"$RUN_DIR/run-info.tsv"; }
info command "$COMMAND"
info started "$STARTED"
info commit "$COMMIT"
info commit_subject "$(git log -1 --format=%s 2>/dev/null || echo unknown)"
info dirty "$(printf '%s' "$DIRTY" | tr '\n' ';')"
info repeat "$REPEAT"
info profile "$PROFILE"
info built "$BUILD"

say() { printf '\n[bench %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[bench] FAILED: %s\n' "$*" >&2; exit 1; }

sql() { mariadb -uroot -h"$MYSQL_HOST" -P"$MYSQL_PORT" "$@"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Stops one process this script started: SIGTERM, then SIGKILL after 10 s.
stop_process() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$? pid db
    set +e
    for pid in "${STARTED_PIDS[@]}"; do stop_process "$pid"; done
    for db in "${CREATED_DATABASES[@]}"; do sql -e "DROP DATABASE IF EXISTS \`$db\`"; done
    exit "$status"
}
trap cleanup EXIT

# Waits (bounded) until a URL answers 200 with the bearer token.
wait_for() {
    local url=$1 token=$2 pid=$3 waited=0
    until [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url") == 200 ]]; do
        kill -0 "$pid" 2>/dev/null || die "the service for $url exited; see $RUN_DIR"
        ((waited < WAIT_SECONDS * 10)) || die "$url does not answer after ${WAIT_SECONDS}s"
        sleep 0.1
        waited=$((waited + 1))
    done
}

# ------------------------------------------------------------------ tools

say "build: cargo build --profile $PROFILE -p identity-core -p scim-edge -p scim-bench"
if ((BUILD)); then
    cargo build --profile "$PROFILE" -p identity-core -p scim-edge -p scim-bench
fi
for b in identity-core scim-edge scim-bench; do [[ -x $BIN/$b ]] || die "$BIN/$b is missing"; done
CORE=$BIN/identity-core
EDGE=$BIN/scim-edge
BENCH=$BIN/scim-bench

if [[ ,$BACKENDS, == *,mariadb,* ]] && ! command -v sysbench >/dev/null; then
    say "tools: installing sysbench (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sysbench >/dev/null
fi
if ! "$VENV/bin/python" -c 'import scim2_server, cryptography, matplotlib' 2>/dev/null; then
    say "tools: venv $VENV with scim2-server and matplotlib (bench/requirements.txt)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r bench/requirements.txt
fi

# The SQLite our binary bundles (libsqlite3-sys, built from source).
SQLITE_VERSION=unknown
sqlite_crate=$(awk '/^name = "libsqlite3-sys"/{getline; gsub(/"/, "", $3); print $3}' Cargo.lock | head -n1)
# synchronous is a per-connection setting (not stored in the file): what
# identity-core sets on each connection, read from its code.
SQLITE_SYNCHRONOUS=$(grep -o 'SqliteSynchronous::[A-Za-z]*' identity-core/src/store/mod.rs | head -n 1 | sed 's/.*:://' || true)
info sqlite_synchronous "${SQLITE_SYNCHRONOUS:-unknown}"
if [[ -n $sqlite_crate ]]; then
    headers=("${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"libsqlite3-sys-$sqlite_crate"/sqlite3/sqlite3.h)
    v=
    if [[ -f ${headers[0]} ]]; then
        v=$(awk '/#define SQLITE_VERSION /{gsub(/"/, "", $3); print $3}' "${headers[0]}")
    fi
    SQLITE_VERSION="${v:-?} (libsqlite3-sys $sqlite_crate)"
fi

if [[ ,$BACKENDS, == *,mariadb,* ]]; then
    mariadb-admin --connect-timeout=2 -uroot -h"$MYSQL_HOST" -P"$MYSQL_PORT" ping >/dev/null 2>&1 ||
        die "MariaDB does not answer on $MYSQL_HOST:$MYSQL_PORT"
    info mariadb_durability "$(sql -N -e "SELECT CONCAT('innodb_flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit,
        ', sync_binlog=', @@sync_binlog, ', log_bin=', @@log_bin, ', innodb_buffer_pool_size=',
        @@innodb_buffer_pool_size DIV 1048576, ' MiB')")"
    # mariadbd's pid, to read its CPU time (only when it runs here).
    if [[ $MYSQL_HOST == 127.0.0.1 || $MYSQL_HOST == localhost ]] && command -v ss >/dev/null; then
        MARIADBD_PID=$(ss -ltnpH "sport = :$MYSQL_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true)
    fi
fi

# ------------------------------------------------------------------ phases

# load_and_run LABEL TOKEN BASE USERS MAX_GROUP LOAD_TIMEOUT METRICS_URL LOAD_FLAGS... -- NAME=PID...
# Phase 1: USERS users, the user scenarios; phase 2: the groups (and the extra
# users they need), the group scenarios. The named processes' CPU time is read
# around each measured window, and identity-core's statement counter at
# METRICS_URL when it is not empty.
load_and_run() {
    local label=$1 token=$2 base=$3 users=$4 max_group=$5 load_timeout=$6 metrics_url=$7
    shift 7
    local load_flags=() pids=()
    while (($#)) && [[ $1 != -- ]]; do load_flags+=("$1"); shift; done
    shift
    for p in "$@"; do pids+=(--pid "$p"); done
    local state=$RUN_DIR/state-$label.json
    local common=(--token "$token" --state "$state")
    local group_flags=(--group-sizes "$GROUP_SIZES")
    if [[ -n $max_group ]]; then group_flags+=(--max-group-size "$max_group"); fi
    local run_flags=(--base "$base" --token "$token" --state "$state" --seconds "$SECONDS_PER" --warmup "$WARMUP"
        --repeat "$REPEAT" --concurrency "$CONCURRENCY" --label "$label" "${pids[@]}")
    if [[ -n $metrics_url ]]; then run_flags+=(--metrics-url "$metrics_url"); fi

    say "$label: load $users users"
    timeout "$load_timeout" "$BENCH" load "${load_flags[@]}" "${common[@]}" --users "$users" ||
        die "$label: loading users failed or took over ${load_timeout}s"
    say "$label: user scenarios"
    "$BENCH" run "${run_flags[@]}" --scenarios users --out "$RUN_DIR/results-$label-users.json"
    say "$label: load groups of $GROUP_SIZES"
    timeout "$load_timeout" "$BENCH" load "${load_flags[@]}" "${common[@]}" "${group_flags[@]}" ||
        say "$label: loading groups failed or took over ${load_timeout}s; the groups not loaded are n/a"
    say "$label: group scenarios"
    "$BENCH" run "${run_flags[@]}" --scenarios groups --out "$RUN_DIR/results-$label-groups.json"
}

ours() {
    local backend=$1 url
    case $backend in
        mariadb)
            local db=bench_$TAG
            sql -e "CREATE DATABASE \`$db\`"
            CREATED_DATABASES+=("$db")
            url="mysql://root@$MYSQL_HOST:$MYSQL_PORT/$db"
            ;;
        sqlite)
            mkdir -p "$RUN_DIR/sqlite"
            url="sqlite://$RUN_DIR/sqlite/identity.db?mode=rwc"
            ;;
        *) die "unknown backend $backend" ;;
    esac
    say "$backend: fresh database, tenant, identity-core and scim-edge ($PROFILE)"
    local token core_port metrics_port edge_port core_pid edge_pid
    "$CORE" migrate --database-url "$url" >>"$RUN_DIR/$backend-core.log" 2>&1 ||
        die "$backend: identity-core migrate failed; see $RUN_DIR/$backend-core.log"
    token=$("$CORE" tenant create "bench-$backend" --database-url "$url" 2>>"$RUN_DIR/$backend-core.log" | tail -n 1) ||
        die "$backend: identity-core tenant create failed; see $RUN_DIR/$backend-core.log"
    core_port=$(free_port)
    metrics_port=$(free_port)
    "$CORE" serve --database-url "$url" --listen "127.0.0.1:$core_port" --metrics-listen "127.0.0.1:$metrics_port" \
        >>"$RUN_DIR/$backend-core.log" 2>&1 &
    core_pid=$!
    STARTED_PIDS+=("$core_pid")
    edge_port=$(free_port)
    "$EDGE" --core-url "http://127.0.0.1:$core_port" --listen "127.0.0.1:$edge_port" >"$RUN_DIR/$backend-edge.log" 2>&1 &
    edge_pid=$!
    STARTED_PIDS+=("$edge_pid")
    local base=http://127.0.0.1:$edge_port/scim/v2
    wait_for "$base/ServiceProviderConfig" "$token" "$edge_pid"

    local pids=("scim-edge=$edge_pid" "identity-core=$core_pid")
    if [[ $backend == mariadb && -n $MARIADBD_PID ]]; then pids+=("mariadbd=$MARIADBD_PID"); fi
    # Ours loads without a time bound: --users 1000000 takes what it takes.
    load_and_run "$backend" "$token" "$base" "$USERS" "" 86400 "http://127.0.0.1:$metrics_port/metrics" \
        --core-url "http://127.0.0.1:$core_port" -- "${pids[@]}"
    if [[ $backend == sqlite ]]; then
        # journal_mode is stored in the file: bytes 18 and 19 of the header are 2 in WAL mode.
        info sqlite_journal_mode "$(python3 -c 'import sys; h = open(sys.argv[1], "rb").read(20); print("wal" if h[18:20] == bytes([2, 2]) else "rollback (delete, truncate or persist)")' \
            "$RUN_DIR/sqlite/identity.db" 2>/dev/null || echo unknown) (read from the database file)"
    fi
    stop_process "$edge_pid"
    stop_process "$core_pid"
}

floor() {
    local db=sbtest_$TAG
    say "floor: sysbench oltp_point_select, $CONCURRENCY threads, $REPEAT x ${SECONDS_PER}s"
    sql -e "CREATE DATABASE \`$db\`"
    CREATED_DATABASES+=("$db")
    local sb=(sysbench oltp_point_select --db-driver=mysql --mysql-host="$MYSQL_HOST" --mysql-port="$MYSQL_PORT"
        --mysql-user=root --mysql-db="$db" --tables=1 --table-size=10000)
    "${sb[@]}" prepare >"$RUN_DIR/floor-prepare.txt"
    local r
    for r in $(seq 1 "$REPEAT"); do
        "${sb[@]}" --threads="$CONCURRENCY" --time="$SECONDS_PER" --percentile=99 \
            --histogram=on run >"$RUN_DIR/floor-sysbench-$r.txt"
        grep -E 'queries:|99th' "$RUN_DIR/floor-sysbench-$r.txt" || true
    done
    "${sb[@]}" cleanup >/dev/null
    sql -e "DROP DATABASE IF EXISTS \`$db\`"
}

peer() {
    local port token=peer-bench-token pid
    port=$(free_port)
    say "peer: scim2-server (in memory) on 127.0.0.1:$port"
    "$VENV/bin/scim2-server" --hostname 127.0.0.1 --port "$port" --bearer-token "$token" \
        --service-provider-config bench/peer-service-provider-config.json >"$RUN_DIR/peer.log" 2>&1 &
    pid=$!
    STARTED_PIDS+=("$pid")
    local base=http://127.0.0.1:$port/v2
    wait_for "$base/ServiceProviderConfig" "$token" "$pid"
    load_and_run peer "$token" "$base" "$PEER_USERS" "$PEER_MAX_GROUP" "$PEER_LOAD_TIMEOUT" "" \
        --scim-url "$base" --in-flight 4 -- "scim2-server=$pid"
    stop_process "$pid"
}

IFS=, read -r -a backends <<<"$BACKENDS"
for backend in "${backends[@]}"; do
    ours "$backend"
    if [[ $backend == mariadb ]]; then floor; fi
done
if ((PEER)); then peer; fi

info sqlite_version "$SQLITE_VERSION"
info minutes "$(((($(date +%s) - STARTED_AT) + 30) / 60))"
say "report: $MD, $PNG"
mkdir -p "$(dirname "$MD")" "$(dirname "$PNG")"
render=(--run-dir "$RUN_DIR" --md "$MD" --png "$PNG")
if [[ -n $MILLION ]]; then render+=(--million "$MILLION"); fi
if [[ -n $SAVE_SUMMARY ]]; then mkdir -p "$(dirname "$SAVE_SUMMARY")"; render+=(--save-summary "$SAVE_SUMMARY"); fi
"$VENV/bin/python" bench/render.py "${render[@]}"
say "done; raw results and logs in $RUN_DIR"
