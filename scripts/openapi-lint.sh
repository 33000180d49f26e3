#!/usr/bin/env bash
# Lints openapi/v1.json with @redocly/cli (recommended rules; redocly.yaml at the root). Needs npm.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if ! command -v npx >/dev/null 2>&1; then
  echo "!! npx not found: install Node.js 18+ to lint the OpenAPI document" >&2
  exit 1
fi
exec npx --yes @redocly/cli@2.77.0 lint openapi/v1.json --format=stylish
