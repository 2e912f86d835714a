#!/usr/bin/env bash
# Regenerate into a temporary folder and compare with generated/; print a readable diff and fail on any change.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/generate.sh "$tmp"
if ! diff -ru --exclude=__pycache__ generated "$tmp" > "$tmp.diff"; then
  sed "s|$tmp|<regenerated>|g" "$tmp.diff"
  rm -f "$tmp.diff"
  echo "generated/ is out of date with openapi/: run 'make generate', review the diff and commit it." >&2
  exit 1
fi
rm -f "$tmp.diff"
echo "generated/ is up to date with openapi/."
