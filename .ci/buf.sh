#!/usr/bin/env bash
# buf checks of the identity.v1 contract (proto/, rules in buf.yaml):
#   - `buf lint`: the STANDARD rule set minus two rules that contradict AIP
#     (see buf.yaml);
#   - `buf breaking` (FILE rules) against the previous commit (the first
#     parent of HEAD, i.e. the previous commit on main), or against
#     $BUF_AGAINST (a commit) when set, e.g. the merge base of a branch.
#     Skipped, with a message, when that commit has no buf.yaml yet.
# buf comes from npm (@bufbuild/buf, pinned), installed under target/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BUF_VERSION=1.75.0
TOOLS="$ROOT/target/ci-tools/buf-$BUF_VERSION"
BUF="$TOOLS/node_modules/.bin/buf"

info() { printf '[buf] %s\n' "$*"; }

if [[ ! -x "$BUF" ]]; then
    if ! command -v npm >/dev/null 2>&1; then
        info "installing npm with apt-get"
        { apt-get install -y --no-install-recommends npm >/dev/null ||
            { apt-get update >/dev/null && apt-get install -y --no-install-recommends npm >/dev/null; }; } ||
            { echo "[buf] FAILED: npm is missing and apt-get could not install it" >&2; exit 1; }
    fi
    info "installing @bufbuild/buf@$BUF_VERSION into $TOOLS"
    mkdir -p "$TOOLS"
    timeout 300 npm install --silent --no-audit --no-fund --prefix "$TOOLS" "@bufbuild/buf@$BUF_VERSION" >/dev/null
fi
"$BUF" --version

info "lint"
timeout 120 "$BUF" lint

against="${BUF_AGAINST:-}"
if [[ -z "$against" ]]; then
    against=$(git rev-parse --verify --quiet 'HEAD~1^{commit}' || true)
fi
if [[ -z "$against" ]]; then
    info "breaking: skipped (no previous commit)"
elif ! git cat-file -e "$against:buf.yaml" 2>/dev/null; then
    info "breaking: skipped ($against has no buf.yaml: the contract had no buf checks before)"
else
    info "breaking: against $against"
    # buf reads the old tree from a plain checkout of that commit (works
    # in clones and in git worktrees alike).
    old=$(mktemp -d)
    trap 'rm -rf "$old"' EXIT
    git archive "$against" buf.yaml proto | tar -x -C "$old"
    timeout 120 "$BUF" breaking --against "$old"
fi
info "ok"
