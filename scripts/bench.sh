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
#   scripts/bench.sh --galera              # single-node MariaDB next to the Galera cluster, 1x1 and 2x2
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
#   --galera             also run the users and groups scenarios on the three-node Galera cluster of
#                        scripts/galera.sh (127.0.0.1:3311-3313): 1 scim-edge + 1 identity-core
#                        (node 1, fallbacks nodes 2 and 3), then 2 edges + 2 cores (node 1 and node 2),
#                        each edge balancing over both cores and the requests alternating between
#                        the edges; with the conflict-retry counts (Galera's cert failures + BF
#                        aborts over the nodes, identity-core's retries) in a "Galera cluster"
#                        section, next to everything else the run measures (single-node MariaDB is
#                        --backends' mariadb; `--galera --backends mariadb --no-peer` is the short
#                        run). Starts the cluster when no node answers and stops it at the end; a
#                        running cluster is used and left running.
#
# Needs: a Rust toolchain, curl, Python 3.11 with venv, MariaDB answering on
# 127.0.0.1:3306 as root without password (MYSQL_HOST/MYSQL_PORT to change),
# and apt-get for sysbench (installed when missing); for --galera, what
# scripts/galera.sh needs. Raw results and service logs stay in
# target/bench/run-<time>/.
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
BACKENDS=
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
GALERA=0
GALERA_PORTS=(3311 3312 3313)
GALERA_STARTED=0

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
        --galera) GALERA=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown flag $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "--repeat: a positive whole number" >&2; exit 2; }
BACKENDS=${BACKENDS:-mariadb,sqlite}
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

# The benchmark measures the service, not its per-tenant limiter: every
# identity-core serve gets limits no scenario reaches (the defaults, 200
# calls/s and 8 in flight per tenant per replica, would answer 429 to one
# tenant driven at full speed). The report states them.
CORE_LIMITS=(--tenant-rps 1000000 --tenant-burst 1000000 --tenant-concurrency 1024)

STARTED_PIDS=()
CREATED_DATABASES=()
GALERA_DATABASES=()

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
info core_limits "${CORE_LIMITS[*]}"

say() { printf '\n[bench %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[bench] FAILED: %s\n' "$*" >&2; exit 1; }

sql() { mariadb -uroot -h"$MYSQL_HOST" -P"$MYSQL_PORT" "$@"; }
# A statement on the Galera node listening on port $1.
gsql() {
    local port=$1
    shift
    mariadb --no-defaults --protocol=TCP -uroot -h127.0.0.1 -P"$port" --connect-timeout=2 "$@"
}

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
    # Replicated to every node by the one that runs it.
    for db in "${GALERA_DATABASES[@]}"; do gsql "${GALERA_PORTS[0]}" -e "DROP DATABASE IF EXISTS \`$db\`"; done
    if ((GALERA_STARTED)); then scripts/galera.sh down >>"$RUN_DIR/galera.log" 2>&1; fi
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
# around each measured window (replicas given the same NAME are summed), and
# identity-core's statement and retry counters at METRICS_URL when it is not
# empty. BASE and METRICS_URL may be comma-separated lists (replicas: the
# requests alternate between the BASEs, the counters are summed).
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
    conflicts_mark "$label" users before "$metrics_url"
    "$BENCH" run "${run_flags[@]}" --scenarios users --out "$RUN_DIR/results-$label-users.json"
    conflicts_mark "$label" users after "$metrics_url"
    say "$label: load groups of $GROUP_SIZES"
    timeout "$load_timeout" "$BENCH" load "${load_flags[@]}" "${common[@]}" "${group_flags[@]}" ||
        say "$label: loading groups failed or took over ${load_timeout}s; the groups not loaded are n/a"
    say "$label: group scenarios"
    conflicts_mark "$label" groups before "$metrics_url"
    "$BENCH" run "${run_flags[@]}" --scenarios groups --out "$RUN_DIR/results-$label-groups.json"
    conflicts_mark "$label" groups after "$metrics_url"
}

# ------------------------------------------------------------------ Galera (--galera)

# The pid of the mariadbd listening on 127.0.0.1:PORT (empty when not found).
mariadbd_pid() {
    ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true
}

# "ANSWERING SYNCED": how many nodes answer on GALERA_PORTS, and how many of
# them are Synced in a primary component of 3.
galera_health() {
    local answering=0 synced=0 port out
    for port in "${GALERA_PORTS[@]}"; do
        out=$(gsql "$port" -N -B -e "SHOW GLOBAL STATUS WHERE Variable_name IN
            ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_cluster_status')" 2>/dev/null) || continue
        answering=$((answering + 1))
        if [[ $out == *$'wsrep_local_state_comment\tSynced'* && $out == *$'wsrep_cluster_size\t3'* &&
            $out == *$'wsrep_cluster_status\tPrimary'* ]]; then
            synced=$((synced + 1))
        fi
    done
    echo "$answering $synced"
}

# Makes sure the cluster runs, leaving it as found: a cluster that runs (from
# any checkout) is used as it is; when no node answers, this checkout's
# scripts/galera.sh starts one and the cleanup stops it. A cluster partly up
# is brought up only when this checkout's script runs some of its nodes.
galera_ensure() {
    local answering synced ours
    read -r answering synced < <(galera_health)
    ours=$(scripts/galera.sh status 2>/dev/null || true)
    if ((synced == 3)); then
        say "galera: the cluster on 127.0.0.1:${GALERA_PORTS[0]}-${GALERA_PORTS[2]} runs (3 nodes Synced): using it, left running"
        info galera_started "no (it was running)"
    elif ((answering == 0)); then
        say "galera: no node answers on ${GALERA_PORTS[*]}: scripts/galera.sh up (stopped again at the end)"
        GALERA_STARTED=1
        info galera_started "yes (by this run, stopped at its end)"
        scripts/galera.sh up >>"$RUN_DIR/galera.log" 2>&1 || die "scripts/galera.sh up failed; see $RUN_DIR/galera.log"
    elif [[ $ours == *' pid '* ]]; then
        say "galera: the cluster is partly up ($synced of 3 nodes Synced): scripts/galera.sh up (left running)"
        info galera_started "partly (brought up by this run, left running)"
        scripts/galera.sh up >>"$RUN_DIR/galera.log" 2>&1 || die "scripts/galera.sh up failed; see $RUN_DIR/galera.log"
    else
        die "galera: $answering of 3 nodes answer on ${GALERA_PORTS[*]}, $synced Synced in a cluster of 3, and this checkout did not start them: bring that cluster up or down (scripts/galera.sh in the checkout that runs it), then run again"
    fi
    read -r answering synced < <(galera_health)
    ((synced == 3)) || die "galera: $synced of 3 nodes Synced after scripts/galera.sh up"
    info mariadb_address "$MYSQL_HOST:$MYSQL_PORT"
    info galera "$(gsql "${GALERA_PORTS[0]}" -N -B -e "SELECT CONCAT(VERSION(), ', Galera ',
        (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_PROVIDER_VERSION'),
        ', innodb_flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit, ', wsrep_slave_threads=',
        @@wsrep_slave_threads, ', innodb_buffer_pool_size=', @@innodb_buffer_pool_size DIV 1048576, ' MiB')")"
}

# "CERT_FAILURES BF_ABORTS": wsrep_local_cert_failures and
# wsrep_local_bf_aborts summed over the nodes ("n/a n/a" when one does not
# answer). They count since each node started, for every client of the cluster.
galera_conflict_counters() {
    local cert=0 bf=0 port name value out
    for port in "${GALERA_PORTS[@]}"; do
        out=$(gsql "$port" -N -B -e "SHOW GLOBAL STATUS WHERE Variable_name IN
            ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')" 2>/dev/null) || { echo "n/a n/a"; return 0; }
        while read -r name value; do
            case $name in
                wsrep_local_cert_failures) cert=$((cert + value)) ;;
                wsrep_local_bf_aborts) bf=$((bf + value)) ;;
            esac
        done <<<"$out"
    done
    echo "$cert $bf"
}

# conflicts_mark LABEL PHASE before|after METRICS_URLS: with --galera, appends
# "PHASE WHEN CERT_FAILURES BF_ABORTS CORE_RETRIES" (tab-separated) to
# conflicts-LABEL.tsv: the cluster's counters (cluster topologies only) and
# identity_core_db_transaction_retries_total summed over the cores' /metrics.
conflicts_mark() {
    ((GALERA)) || return 0
    local label=$1 phase=$2 when=$3 metrics_urls=$4 cert=n/a bf=n/a retries=n/a url text urls=()
    if [[ $label == galera-* ]]; then read -r cert bf < <(galera_conflict_counters); fi
    IFS=, read -r -a urls <<<"$metrics_urls"
    if ((${#urls[@]})); then retries=0; fi
    for url in "${urls[@]}"; do
        if ! text=$(curl -sf --max-time 5 "$url"); then
            retries=n/a
            break
        fi
        retries=$((retries + $(awk '$1 ~ /^identity_core_db_transaction_retries_total/ { s += $NF } END { printf "%d", s }' <<<"$text")))
    done
    printf '%s\t%s\t%s\t%s\t%s\n' "$phase" "$when" "$cert" "$bf" "$retries" >>"$RUN_DIR/conflicts-$label.tsv"
}

# replica NAME LOG READY_URL TOKEN CMD...: starts one service of a topology in
# the background (output to LOG) and waits until READY_URL answers 200; its
# pid goes to STARTED_PIDS and, as NAME=PID, to the caller's `pids` array.
replica() {
    local name=$1 log=$2 ready=$3 token=$4 pid
    shift 4
    "$@" >>"$log" 2>&1 &
    pid=$!
    STARTED_PIDS+=("$pid")
    pids+=("$name=$pid")
    wait_for "$ready" "$token" "$pid"
}

# galera_topology EDGES CORES: the users and groups scenarios on the cluster,
# labelled galera-EDGESxCORES. A fresh database, migrated once through node 1
# (where the tenant is created and the data loaded, through core 1); core i
# on node i with the other nodes as --database-fallback-urls (next ones
# first); every edge balances over every core (--core-url A,B); the requests
# alternate between the edges.
galera_topology() {
    local edges=$1 cores=$2
    local label=galera-${edges}x${cores} db=bench_galera_${edges}x${cores}_$TAG nodes=${#GALERA_PORTS[@]}
    local log=$RUN_DIR/$label token i j port metrics_port pid pids=()
    local core_urls=() metrics_urls=() bases=() args
    ((cores <= nodes)) || die "$label: more cores than nodes"
    say "$label: fresh database on the cluster, $cores identity-core, $edges scim-edge ($PROFILE)"
    gsql "${GALERA_PORTS[0]}" -e "CREATE DATABASE \`$db\`"
    GALERA_DATABASES+=("$db")
    local url0="mysql://root@127.0.0.1:${GALERA_PORTS[0]}/$db"
    "$CORE" migrate --database-url "$url0" >>"$log-migrate.log" 2>&1 ||
        die "$label: identity-core migrate failed; see $log-migrate.log"
    token=$("$CORE" tenant create "bench-$label" --database-url "$url0" 2>>"$log-migrate.log" | tail -n 1) ||
        die "$label: identity-core tenant create failed; see $log-migrate.log"
    for ((i = 0; i < cores; i++)); do
        args=(serve --database-url "mysql://root@127.0.0.1:${GALERA_PORTS[i]}/$db")
        for ((j = 1; j < nodes; j++)); do
            args+=(--database-fallback-url "mysql://root@127.0.0.1:${GALERA_PORTS[(i + j) % nodes]}/$db")
        done
        port=$(free_port)
        metrics_port=$(free_port)
        core_urls+=("http://127.0.0.1:$port")
        metrics_urls+=("http://127.0.0.1:$metrics_port/metrics")
        # Its metrics answer once its database is open and its gRPC port bound.
        replica identity-core "$log-core$((i + 1)).log" "${metrics_urls[-1]}" "$token" \
            "$CORE" "${args[@]}" --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$metrics_port" "${CORE_LIMITS[@]}"
    done
    local core_list metrics_list
    core_list=$(IFS=,; echo "${core_urls[*]}")
    metrics_list=$(IFS=,; echo "${metrics_urls[*]}")
    for ((i = 0; i < edges; i++)); do
        port=$(free_port)
        bases+=("http://127.0.0.1:$port/scim/v2")
        replica scim-edge "$log-edge$((i + 1)).log" "${bases[-1]}/ServiceProviderConfig" "$token" \
            "$EDGE" --core-url "$core_list" --listen "127.0.0.1:$port"
    done
    local services=("${pids[@]}")
    for port in "${GALERA_PORTS[@]}"; do
        pid=$(mariadbd_pid "$port")
        if [[ -n $pid ]]; then pids+=("mariadbd=$pid"); fi
    done
    load_and_run "$label" "$token" "$(IFS=,; echo "${bases[*]}")" "$USERS" "" 86400 "$metrics_list" \
        --core-url "${core_urls[0]}" -- "${pids[@]}"
    # The edges first (cores last, in the order started): none of the cluster's nodes.
    for pid in "${services[@]}"; do
        if [[ $pid == scim-edge=* ]]; then stop_process "${pid#*=}"; fi
    done
    for pid in "${services[@]}"; do stop_process "${pid#*=}"; done
}

# ------------------------------------------------------------------ ours, floor, peer

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
        "${CORE_LIMITS[@]}" >>"$RUN_DIR/$backend-core.log" 2>&1 &
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

# The cluster first: a run that cannot have it stops before measuring anything.
if ((GALERA)); then galera_ensure; fi
IFS=, read -r -a backends <<<"$BACKENDS"
for backend in "${backends[@]}"; do
    ours "$backend"
    if [[ $backend == mariadb ]]; then floor; fi
done
if ((GALERA)); then
    galera_topology 1 1
    galera_topology 2 2
fi
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
