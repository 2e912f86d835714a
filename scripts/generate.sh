#!/usr/bin/env bash
# Regenerate every generated package from its spec into OUT (default: generated).
# Usage: scripts/generate.sh [OUT]. Needs the dev tools in .venv (make setup).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-generated}
venv=${VENV:-.venv}
# The pinned openapi-python-client and ruff of the venv, whatever else is on the machine's PATH.
export PATH="$PWD/$venv/bin:$PATH"
mkdir -p "$out"
# spec file : package name
for pair in "openapi/fota-v3.yaml:thingspace_fota_generated" "openapi/thingspace-auth.yaml:thingspace_auth_generated"; do
  spec=${pair%%:*}
  pkg=${pair##*:}
  rm -rf "${out:?}/$pkg"
  openapi-python-client generate --path "$spec" --output-path "$out/$pkg" --meta none \
    --config openapi/generator.yaml --fail-on-warning >/dev/null
done
