#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback, for the cluster tests and
# benchmarks:
#
#   scripts/galera.sh up        start the nodes that are down (bootstrap when none runs), wait until
#                               wsrep_cluster_size = 3 and every node is Synced
#   scripts/galera.sh down      stop the nodes this script started (SIGTERM, clean shutdown)
#   scripts/galera.sh status    one line per node; exit 0 only when all three are Synced in one cluster
#   scripts/galera.sh kill N    SIGKILL node N (1-3), as a crash would; `up` brings it back (IST)
#
# Node N (1-3) keeps everything under target/galera/nodeN/ (datadir, config, logs) and listens on
# 127.0.0.1 only: SQL 331N, group communication 451N, IST 452N, SST (rsync) 453N. The shared
# MariaDB on 3306 is never touched: each node reads only its own config file (--defaults-file).
# The servers run as the mysql system user on datadirs it owns (rsync state transfers would run
# as nobody under root), with no root password, like the test server on 3306.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE="${GALERA_DIR:-$ROOT/target/galera}"
NODES=(1 2 3)
CLUSTER_NAME=scim-galera
START_TIMEOUT=50 # seconds one node may take to reach Synced
STOP_TIMEOUT=30  # seconds one node may take to shut down before SIGKILL

info() { printf '[galera] %s\n' "$*"; }
die() {
    printf '[galera] FAILED: %s\n' "$*" >&2
    exit 1
}

sql_port() { echo $((3310 + $1)); }
gcomm_port() { echo $((4510 + $1)); }
ist_port() { echo $((4520 + $1)); }
sst_port() { echo $((4530 + $1)); }
node_dir() { echo "$BASE/node$1"; }

# The Galera 4 provider library, from the galera-4 package.
provider() {
    local lib
    lib=$(dpkg -L galera-4 2>/dev/null | grep -m1 '/libgalera_smm\.so$' || true)
    [[ -n "$lib" && -f "$lib" ]] || lib=/usr/lib/galera/libgalera_smm.so
    [[ -f "$lib" ]] || die "the Galera provider library is missing (apt-get install galera-4)"
    echo "$lib"
}

client() {
    local n=$1
    shift
    mariadb --no-defaults --protocol=TCP -h127.0.0.1 -P"$(sql_port "$n")" -uroot --connect-timeout=2 -N -B "$@"
}

# wsrep status variable NAME of node N, empty when the node does not answer.
wsrep_status() {
    client "$1" -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2 || true
}

# The pid of node N when this script started it and it still runs, else nothing.
node_pid() {
    local dir pid
    dir=$(node_dir "$1")
    [[ -f "$dir/launcher.pid" ]] || return 0
    pid=$(cat "$dir/launcher.pid")
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 0
    # Only a mariadbd started with this node's config file counts as ours.
    if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--defaults-file=$dir/my.cnf"; then
        echo "$pid"
    fi
}

write_config() {
    local n=$1 dir lib peers=() m
    dir=$(node_dir "$n")
    lib=$(provider)
    for m in "${NODES[@]}"; do peers+=("127.0.0.1:$(gcomm_port "$m")"); done
    local IFS=,
    cat >"$dir/my.cnf" <<EOF
# Written by scripts/galera.sh; node $n of the loopback test cluster.
[mysqld]
user=mysql
datadir=$dir/data
socket=$dir/mariadbd.sock
pid-file=$dir/mariadbd.pid
log-error=$dir/error.log
port=$(sql_port "$n")
bind-address=127.0.0.1
max_connections=400

# What Galera requires (see README, "Running on a Galera cluster").
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
# A killed process loses nothing the OS has; the cluster holds every
# committed write set anyway, and a restarted node catches up by IST.
innodb_flush_log_at_trx_commit=2
innodb_buffer_pool_size=256M
innodb_log_file_size=256M

wsrep_on=ON
wsrep_provider=$lib
wsrep_cluster_name=$CLUSTER_NAME
wsrep_cluster_address=gcomm://${peers[*]}
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:$(gcomm_port "$n")
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$(sst_port "$n")
wsrep_slave_threads=4
# Certification conflicts and brute-force aborts go to error.log.
wsrep_log_conflicts=ON
# Galera's defaults for the limits, written out: a write set may touch at most
# this many rows (0 = no limit) and be at most this many bytes (2 GiB).
wsrep_max_ws_rows=0
wsrep_max_ws_size=2147483647
# A killed node is declared gone after 3 s (default 5 s), so writes on the
# survivors stall for less time.
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=256M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT6S"
EOF
}

# Datadirs come from mariadb-install-db once (without wsrep), then are copied.
init_node() {
    local n=$1 dir template="$BASE/template"
    dir=$(node_dir "$n")
    mkdir -p "$dir"
    write_config "$n"
    chown mysql:mysql "$dir"
    [[ -d "$dir/data/mysql" ]] && return 0
    if [[ ! -d "$template/mysql" ]]; then
        info "mariadb-install-db into ${template#"$ROOT"/}"
        rm -rf "$template"
        mariadb-install-db --no-defaults --datadir="$template" --user=mysql \
            --auth-root-authentication-method=normal --skip-test-db >"$BASE/install-db.log" 2>&1 ||
            die "mariadb-install-db failed; see $BASE/install-db.log"
    fi
    rm -rf "$dir/data"
    cp -a "$template" "$dir/data"
    chown -R mysql:mysql "$dir"
}

# Which node may start a new cluster when none runs: the one Galera marked
# safe_to_bootstrap (the last to stop cleanly), else the one whose recovered
# position is furthest, else node 1 (a fresh cluster).
pick_bootstrap() {
    local n best="" best_seqno=-2 state seqno
    for n in "${NODES[@]}"; do
        state="$(node_dir "$n")/data/grastate.dat"
        if [[ -f "$state" ]] && grep -q '^safe_to_bootstrap: *1' "$state"; then
            echo "$n"
            return 0
        fi
    done
    for n in "${NODES[@]}"; do
        state="$(node_dir "$n")/data/grastate.dat"
        [[ -f "$state" ]] || continue
        seqno=$(recovered_seqno "$n")
        if ((seqno > best_seqno)); then
            best=$n
            best_seqno=$seqno
        fi
    done
    if [[ -z "$best" ]]; then
        echo 1
        return 0
    fi
    # Every node crashed: bootstrap the most advanced one (what an operator
    # does by hand after a full-cluster crash).
    info "no node is safe to bootstrap; node $best has the furthest position ($best_seqno)" >&2
    sed -i 's/^safe_to_bootstrap: *0/safe_to_bootstrap: 1/' "$(node_dir "$best")/data/grastate.dat"
    echo "$best"
}

# The committed position (uuid:seqno) of a stopped node: grastate.dat after a
# clean stop, InnoDB's own record (mariadbd --wsrep-recover) after a crash.
# Empty for a node that never joined.
recovered_position() {
    local n=$1 dir uuid seqno pos
    dir=$(node_dir "$n")
    [[ -f "$dir/data/grastate.dat" ]] || return 0
    uuid=$(sed -n 's/^uuid: *//p' "$dir/data/grastate.dat")
    seqno=$(sed -n 's/^seqno: *//p' "$dir/data/grastate.dat")
    [[ -n "$uuid" && "$uuid" != 00000000-0000-0000-0000-000000000000 ]] || return 0
    if [[ "$seqno" != -1 ]]; then
        echo "$uuid:$seqno"
        return 0
    fi
    rm -f "$dir/recover.log"
    mariadbd --defaults-file="$dir/my.cnf" --wsrep-recover --log-error="$dir/recover.log" >/dev/null 2>&1 || true
    pos=$(sed -n 's/.*WSREP: Recovered position: \([0-9a-f-]*:-\?[0-9]*\).*/\1/p' "$dir/recover.log" 2>/dev/null | tail -n 1)
    echo "$pos"
}

recovered_seqno() {
    local pos
    pos=$(recovered_position "$1")
    echo "${pos##*:}" | grep -E '^-?[0-9]+$' || echo -1
}

start_node() {
    local n=$1 mode=$2 dir pid
    dir=$(node_dir "$n")
    local args=(--defaults-file="$dir/my.cnf")
    [[ "$mode" == bootstrap ]] && args+=(--wsrep-new-cluster)
    # A crashed node starts from the position InnoDB recovered: a joiner then
    # receives only what it missed (IST) instead of a full copy (SST), and a
    # bootstrap keeps the cluster's history.
    local pos
    pos=$(recovered_position "$n")
    [[ -z "$pos" ]] || args+=(--wsrep-start-position="$pos")
    info "starting node $n ($mode) on 127.0.0.1:$(sql_port "$n")"
    # setsid: the node outlives this script and ignores the caller's Ctrl-C.
    setsid mariadbd "${args[@]}" >>"$dir/console.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/launcher.pid"
    # Until the exec, /proc shows this shell or setsid, not mariadbd.
    local waited=0
    until [[ -n "$(node_pid "$n")" ]]; do
        kill -0 "$pid" 2>/dev/null || break
        ((waited < 50)) || break
        sleep 0.1
        waited=$((waited + 1))
    done
}

wait_synced() {
    local n=$1 waited=0 state
    while :; do
        [[ -n "$(node_pid "$n")" ]] || {
            tail -n 40 "$(node_dir "$n")/error.log" "$(node_dir "$n")/console.log" >&2 || true
            die "node $n exited while starting; see $(node_dir "$n")/error.log"
        }
        state=$(wsrep_status "$n" wsrep_local_state_comment)
        [[ "$state" == Synced ]] && break
        ((waited < START_TIMEOUT * 5)) || die "node $n is not Synced after ${START_TIMEOUT}s (state: ${state:-no answer})"
        sleep 0.2
        waited=$((waited + 1))
    done
    info "node $n Synced after $((waited / 5))s"
}

cmd_up() {
    local started=$SECONDS n running=() down=()
    command -v mariadbd >/dev/null || die "mariadbd is missing (apt-get install mariadb-server)"
    command -v rsync >/dev/null || die "rsync is missing (apt-get install rsync): joiners receive their state with it"
    provider >/dev/null
    mkdir -p "$BASE"
    for n in "${NODES[@]}"; do
        if [[ -n "$(node_pid "$n")" ]]; then
            running+=("$n")
        else
            init_node "$n"
            down+=("$n")
        fi
    done
    if ((${#down[@]} == 0)); then
        info "all nodes run already"
    elif ((${#running[@]} == 0)); then
        local first
        first=$(pick_bootstrap)
        start_node "$first" bootstrap
        wait_synced "$first"
        for n in "${down[@]}"; do
            [[ "$n" == "$first" ]] && continue
            start_node "$n" join
            wait_synced "$n"
        done
    else
        # Joiners one at a time: a donor serves one state transfer at once.
        for n in "${down[@]}"; do
            start_node "$n" join
            wait_synced "$n"
        done
    fi
    local waited=0
    until cmd_status >/dev/null; do
        ((waited < START_TIMEOUT * 5)) || {
            cmd_status || true
            die "the cluster did not reach 3 Synced nodes"
        }
        sleep 0.2
        waited=$((waited + 1))
    done
    cmd_status
    info "up in $((SECONDS - started))s"
}

cmd_status() {
    local n pid state size status healthy=0
    for n in "${NODES[@]}"; do
        pid=$(node_pid "$n")
        if [[ -z "$pid" ]]; then
            printf 'node%s 127.0.0.1:%s down\n' "$n" "$(sql_port "$n")"
            healthy=1
            continue
        fi
        state=$(wsrep_status "$n" wsrep_local_state_comment)
        size=$(wsrep_status "$n" wsrep_cluster_size)
        status=$(wsrep_status "$n" wsrep_cluster_status)
        printf 'node%s 127.0.0.1:%s pid %s %s cluster_size=%s %s\n' \
            "$n" "$(sql_port "$n")" "$pid" "${state:-no-answer}" "${size:-?}" "${status:-?}"
        [[ "$state" == Synced && "$size" == 3 && "$status" == Primary ]] || healthy=1
    done
    return "$healthy"
}

stop_node() {
    local n=$1 pid waited=0
    pid=$(node_pid "$n")
    [[ -n "$pid" ]] || return 0
    info "stopping node $n (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= STOP_TIMEOUT * 5)); then
            info "node $n ignored SIGTERM for ${STOP_TIMEOUT}s; SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    rm -f "$(node_dir "$n")/launcher.pid"
}

cmd_down() {
    local n
    # Node 1 last: the last node to leave is the one safe to bootstrap.
    for n in 3 2 1; do stop_node "$n"; done
    info "down"
}

cmd_kill() {
    local n=${1:-} pid
    [[ "$n" =~ ^[123]$ ]] || die "usage: galera.sh kill 1|2|3"
    pid=$(node_pid "$n")
    [[ -n "$pid" ]] || die "node $n does not run"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    rm -f "$(node_dir "$n")/launcher.pid"
    info "node $n killed (pid $pid)"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
kill) cmd_kill "${2:-}" ;;
*)
    echo "usage: $0 up|down|status|kill N" >&2
    exit 2
    ;;
esac
