#!/usr/bin/env bash
# Runs identity-core and scim-edge on the embedded SQLite default (./data/)
# and prints the SCIM base URL and a bearer token to paste into Okta.
# Stop with Ctrl-C: both services finish their requests and exit.
#
# Environment (all optional): IDENTITY_DATABASE_URL, IDENTITY_CORE_LISTEN,
# SCIM_EDGE_LISTEN, SCIM_EDGE_PUBLIC_URL (the https URL Okta reaches us at).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export IDENTITY_DATABASE_URL="${IDENTITY_DATABASE_URL:-sqlite://data/identity.db?mode=rwc}"
export IDENTITY_CORE_LISTEN="${IDENTITY_CORE_LISTEN:-127.0.0.1:50051}"
export SCIM_EDGE_LISTEN="${SCIM_EDGE_LISTEN:-127.0.0.1:8080}"
export IDENTITY_CORE_URL="http://${IDENTITY_CORE_LISTEN}"
export RUST_LOG="${RUST_LOG:-info}"

echo "building (the first build takes a few minutes)..."
cargo build --quiet --bins
core="${CARGO_TARGET_DIR:-target}/debug/identity-core"
edge="${CARGO_TARGET_DIR:-target}/debug/scim-edge"

# One tenant for this checkout; its token is kept beside the database, and a
# new one is made when the database is new.
mkdir -p data
token_file=data/quickstart-token
if [[ ! -s "$token_file" || ( "$IDENTITY_DATABASE_URL" == sqlite://data/* && ! -e data/identity.db ) ]]; then
    "$core" tenant create "quickstart-$(date +%Y%m%d%H%M%S)" | tail -n 1 >"$token_file"
    chmod 600 "$token_file"
fi
token=$(cat "$token_file")

pids=()
stop() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait
}
trap stop EXIT INT TERM

"$core" serve &
pids+=($!)
"$edge" &
pids+=($!)

# Wait (bounded) until the edge answers.
base="${SCIM_EDGE_PUBLIC_URL:-http://${SCIM_EDGE_LISTEN}/scim/v2}"
for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://${SCIM_EDGE_LISTEN}/scim/v2/ServiceProviderConfig"; then break; fi
    sleep 0.1
done

cat <<BANNER

  identity-core (gRPC)  ${IDENTITY_CORE_URL}   database ${IDENTITY_DATABASE_URL}
  scim-edge (SCIM)      http://${SCIM_EDGE_LISTEN}/scim/v2

  Paste into Okta (Provisioning > Integration):
    SCIM connector base URL   ${base}
    Unique identifier field   userName
    Authentication mode       HTTP Header
    Bearer token              ${token}

  Okta needs an https URL it can reach: put a TLS proxy or tunnel in front of
  ${SCIM_EDGE_LISTEN} and set SCIM_EDGE_PUBLIC_URL to its https://.../scim/v2 URL.

  Try it:  curl -H "Authorization: Bearer ${token}" http://${SCIM_EDGE_LISTEN}/scim/v2/Users

BANNER
wait
