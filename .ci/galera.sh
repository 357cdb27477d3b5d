#!/usr/bin/env bash
# CI step: the Galera cluster suite (tests/galera). Installs what a fresh
# machine lacks (galera-4, rsync), starts a three-node cluster on loopback
# with scripts/galera.sh (SQL ports 3311-3313; the MariaDB on 3306 is not
# touched), runs the suite against the real binaries, and stops the cluster.
# Bounded: about 10 minutes at most, most of it building.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
UP_TIMEOUT=120     # seconds for scripts/galera.sh up (it needs well under a minute)
SUITE_TIMEOUT=600  # seconds for the suite, building included

info() { printf '[ci:galera] %s\n' "$*"; }

ensure_packages() {
    local missing=()
    [[ -n "$(dpkg -L galera-4 2>/dev/null | grep -m1 '/libgalera_smm\.so$')" ]] || missing+=(galera-4)
    command -v rsync >/dev/null 2>&1 || missing+=(rsync)
    command -v mariadb-install-db >/dev/null 2>&1 || missing+=(mariadb-server)
    if ((${#missing[@]} > 0)); then
        info "installing ${missing[*]} with apt-get"
        apt-get update >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

STARTED_CLUSTER=0
cleanup() {
    local status=$?
    set +e
    if ((STARTED_CLUSTER)); then
        if ((status != 0)); then
            for log in "$ROOT"/target/galera/node*/error.log; do
                printf '\n----- %s (last 40 lines) -----\n' "${log#"$ROOT"/}"
                tail -n 40 "$log"
            done
        fi
        scripts/galera.sh down
    fi
    exit "$status"
}
trap cleanup EXIT

main() {
    local started=$SECONDS
    ensure_packages
    info "building the binaries and the suite"
    cargo build --bins
    cargo test -p e2e-tests --test galera --no-run

    # A cluster nobody runs starts from fresh datadirs, and is stopped at
    # the end; one already running (a developer's) is used and left running.
    local status
    status=$(scripts/galera.sh status 2>/dev/null || true)
    if ! grep -q ' pid ' <<<"$status"; then
        rm -rf "$ROOT/target/galera"
        STARTED_CLUSTER=1
    fi
    timeout "$UP_TIMEOUT" scripts/galera.sh up

    info "running tests/galera (GALERA_TEST=1)"
    GALERA_TEST=1 timeout "$SUITE_TIMEOUT" cargo test -p e2e-tests --test galera -- --nocapture --test-threads=1
    info "done in $((SECONDS - started))s"
}

main "$@"
