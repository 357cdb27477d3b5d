#!/usr/bin/env bash
# Checks of the gRPC API as a product (issue: the API for internal services):
#   1. buf lint + buf breaking of proto/ (.ci/buf.sh)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

printf '\n==================== grpc: buf ====================\n'
bash .ci/buf.sh
