#!/usr/bin/env bash
# Checks of the gRPC API as a product for internal services:
#   1. buf lint + buf breaking of proto/ (.ci/buf.sh)
#   2. a fresh identity-core (debug build, SQLite in a temp dir) and a tenant
#   3. the Rust example: identity-client/examples/provision.rs
#   4. the same flow from Python: stubs generated from proto/ with
#      grpcio-tools (pinned in .ci/grpc-requirements.txt, venv in target/)
#      and identity-client/examples/provision.py
#   5. every ```sh and ```python block of README.md's gRPC section, in order
#      (sh with bash, python with the venv's python; $TOKEN and $CORE set)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV="$ROOT/target/ci-grpc-venv"
REQUIREMENTS="$ROOT/.ci/grpc-requirements.txt"
WAIT_SECONDS=60

section() { printf '\n==================== grpc: %s ====================\n' "$*"; }
info() { printf '[grpc] %s\n' "$*"; }
die() { printf '[grpc] FAILED: %s\n' "$*" >&2; exit 1; }

section "buf"
bash .ci/buf.sh

section "identity-core"
timeout 900 cargo build --quiet -p identity-core --bin identity-core
timeout 900 cargo build --quiet -p identity-client --example provision
WORK=$(mktemp -d)
CORE_PID=""
cleanup() {
    if [[ -n "$CORE_PID" ]]; then kill "$CORE_PID" 2>/dev/null || true; wait "$CORE_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export IDENTITY_DATABASE_URL="sqlite://$WORK/identity.db?mode=rwc"
target/debug/identity-core serve --listen "127.0.0.1:$PORT" >"$WORK/core.log" 2>&1 &
CORE_PID=$!
for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
    (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$CORE_PID" 2>/dev/null || { cat "$WORK/core.log" >&2; die "identity-core exited"; }
    sleep 0.1
done
(echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || die "identity-core did not listen within ${WAIT_SECONDS}s"
TOKEN=$(target/debug/identity-core tenant create grpc-examples | tail -n1)
export TOKEN CORE="127.0.0.1:$PORT"
info "identity-core on $CORE"

section "Rust example"
IDENTITY_CORE_URL="http://$CORE" IDENTITY_TOKEN="$TOKEN" timeout 120 target/debug/examples/provision

section "Python example"
if [[ ! -x "$VENV/bin/python" ]] || ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt"; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    timeout 600 "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi
GEN="$WORK/gen"
mkdir -p "$GEN"
"$VENV/bin/python" -m grpc_tools.protoc -I proto --python_out="$GEN" --grpc_python_out="$GEN" proto/identity/v1/*.proto
IDENTITY_CORE_ADDR="$CORE" IDENTITY_TOKEN="$TOKEN" PYTHONPATH="$GEN" timeout 120 \
    "$VENV/bin/python" identity-client/examples/provision.py

section "README snippets"
# The gRPC section: from its heading to the next level-2 heading. Each
# fenced block becomes a file, run in order from a scratch directory (the
# `gen` the sh block writes is the python blocks' PYTHONPATH).
SNIPPETS="$WORK/readme"
mkdir -p "$SNIPPETS/run/proto"
cp -r proto/identity "$SNIPPETS/run/proto/"
awk -v dir="$SNIPPETS" '
    /^## / { in_section = ($0 ~ /^## The gRPC API/) }
    in_section && /^```(sh|python)$/ { n++; lang = substr($0, 4); file = sprintf("%s/%02d.%s", dir, n, lang); next }
    in_section && /^```$/ && file != "" { close(file); file = ""; next }
    file != "" { print > file }
' README.md
count=$(find "$SNIPPETS" -maxdepth 1 -type f | wc -l)
[[ "$count" -ge 3 ]] || die "expected at least 3 snippets in README.md's gRPC section, found $count"
mkdir -p "$SNIPPETS/run/gen"
for f in "$SNIPPETS"/*.*; do
    info "README snippet $(basename "$f")"
    case "$f" in
        *.sh) (cd "$SNIPPETS/run" && PATH="$VENV/bin:$PATH" timeout 120 bash -euo pipefail "$f") ;;
        *.python) (cd "$SNIPPETS/run" && PYTHONPATH="$SNIPPETS/run/gen" timeout 120 "$VENV/bin/python" "$f") ;;
    esac || die "README snippet $(basename "$f") failed"
done
info "ok: buf, Rust and Python examples, $count README snippets"
