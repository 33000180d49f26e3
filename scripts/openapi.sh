#!/usr/bin/env bash
# Regenerates openapi/v1.json from the served document (the snapshot test with TOM_UPDATE_OPENAPI=1,
# on the test harness's PostgreSQL), then lints it with @redocly/cli's recommended rules (npm needed;
# skipped with a note when npx is missing). Exit status: the lint's.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
TOM_UPDATE_OPENAPI=1 dotnet test tests/TheOpenMoney.Tests -c Release --nologo -v q \
  --filter "FullyQualifiedName~OpenApiDocumentTests" >/dev/null
git --no-pager diff --stat -- openapi/v1.json || true
exec "$root/scripts/openapi-lint.sh"
