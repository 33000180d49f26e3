#!/usr/bin/env bash
# Runs the C# client check (clients/csharp-check) end to end: installs the pinned generators as dotnet tools
# into .tools/dotnet (git-ignored; NSwag.ConsoleCore 14.8.0, Microsoft.OpenApi.Kiota 1.38.0), generates two
# clients from openapi/v1.json (NSwag with System.Text.Json; Kiota) into the check's git-ignored Generated/
# folders, builds them unedited with warnings as errors, refuses casts, `as` and `dynamic` in the two days,
# then builds the API and the simulator, starts a private PostgreSQL, the payment-processor simulator and the
# API on 127.0.0.1 (their own ports, a fresh state folder in .local/csharp-check, webhooks to a local receiver
# allowed), creates a partner for each client with a live key and a test-mode key (`--test`) from the operator
# CLI, runs both days (each a live day, then a test-mode day) and prints a summary.
# Stops everything it started; exits 0 only when both days passed. Bounded: TOM_CS_CHECK_TIMEOUT seconds
# overall (default 900). About 2–4 minutes on a 2-core machine with warm NuGet and tool caches.
#
# Environment (all optional):
#   TOM_CS_API_PORT (28080), TOM_CS_SIM_PORT (28081), TOM_CS_PG_PORT (55632), TOM_CS_METRICS_PORT (29464),
#   TOM_CS_WEBHOOK_PORT (28090: the days' webhook receiver)
#   TOM_CS_CHECK_TIMEOUT (900)  TOM_CS_SKIP_BUILD=1 (use the API and simulator already built in Release)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=lib/postgres.sh
source "$root/scripts/lib/postgres.sh"
# shellcheck source=lib/process.sh
source "$root/scripts/lib/process.sh"
# shellcheck source=lib/stack.sh
source "$root/scripts/lib/stack.sh"

client="$root/clients/csharp-check"
tools="$root/.tools/dotnet"
nswag_version=14.8.0
kiota_version=1.38.0
api_port=${TOM_CS_API_PORT:-28080}
sim_port=${TOM_CS_SIM_PORT:-28081}
pg_port=${TOM_CS_PG_PORT:-55632}
metrics_port=${TOM_CS_METRICS_PORT:-29464}
webhook_port=${TOM_CS_WEBHOOK_PORT:-28090}
api_url="http://127.0.0.1:$api_port"
sim_url="http://127.0.0.1:$sim_port"
timeout_s=${TOM_CS_CHECK_TIMEOUT:-900}
state="$root/.local/csharp-check"

for tool in dotnet curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "!! $tool is required on PATH" >&2
    exit 1
  fi
done

stack_guard csharp-check "$timeout_s"

# The generators, pinned, as dotnet tools in the repository's ignored .tools/dotnet.
install_tool() { # PACKAGE VERSION
  if ! dotnet tool list --tool-path "$tools" 2>/dev/null | grep -qi "^$1 *$2 "; then
    echo ">> installing $1 $2 into .tools/dotnet"
    dotnet tool uninstall "$1" --tool-path "$tools" >/dev/null 2>&1 || true
    dotnet tool install "$1" --version "$2" --tool-path "$tools" >"$state_tools_log" 2>&1 || { cat "$state_tools_log" >&2; exit 1; }
  fi
}
mkdir -p "$tools" "$root/.local"
state_tools_log="$root/.local/csharp-check-tools.log"
install_tool nswag.consolecore "$nswag_version"
install_tool microsoft.openapi.kiota "$kiota_version"

echo ">> generating the clients from openapi/v1.json (NSwag $nswag_version, Kiota $kiota_version)"
rm -rf "$client/Nswag/Generated" "$client/Kiota/Generated"
mkdir -p "$client/Nswag/Generated"
"$tools/nswag" openapi2csclient /input:"$root/openapi/v1.json" /output:"$client/Nswag/Generated/TheOpenMoneyClient.cs" \
  /namespace:TheOpenMoney.ClientCheck.Nswag.Client /className:TheOpenMoneyClient \
  /JsonLibrary:SystemTextJson /JsonLibraryVersion:9.0 /JsonPolymorphicSerializationStyle:SystemTextJson \
  /GenerateNullableReferenceTypes:true /GenerateOptionalParameters:true /OperationGenerationMode:SingleClientFromOperationId \
  >"$root/.local/csharp-check-nswag.log" 2>&1 || { cat "$root/.local/csharp-check-nswag.log" >&2; exit 1; }
# Kiota looks for a newer release on the internet first; the failed look-up is only a warning (kept in the log).
KIOTA_TUTORIAL_ENABLED=false "$tools/kiota" generate -l CSharp -d "$root/openapi/v1.json" -o "$client/Kiota/Generated" \
  -c TheOpenMoneyClient -n TheOpenMoney.ClientCheck.Kiota.Client --exclude-backward-compatible --clean-output \
  >"$root/.local/csharp-check-kiota.log" 2>&1 || { cat "$root/.local/csharp-check-kiota.log" >&2; exit 1; }
grep -A1 '^warn' "$root/.local/csharp-check-kiota.log" | grep -v 'Unable to check for updates\|^warn\|^--' | sed 's/^/   kiota: /' || true

# What a partner writes around a generated client: no casts, no `as`, no `dynamic` (the generated code is
# not looked at: it is compiled as it comes). Comments and string literals are blanked first.
forbidden='\bdynamic\b|\bas [A-Z]|\(\s*(long|int|short|byte|decimal|double|float|string|object|bool)\??\s*\)|\(\s*[A-Z][A-Za-z0-9_.<>?]*\s*\)\s*[A-Za-z_(@"]'
for day in "$client/Nswag/Program.cs" "$client/Kiota/Program.cs"; do
  if sed -E 's#//.*$##; s/\$?"([^"\\]|\\.)*"/""/g' "$day" | grep -nE "$forbidden"; then
    echo "!! a cast, an \`as\` or \`dynamic\` in ${day#"$root"/} (line above)" >&2
    exit 1
  fi
done

echo ">> building both clients unedited (warnings as errors)"
for project in Nswag Kiota; do
  dotnet build "$client/$project/$project.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly \
    || { echo "!! the $project client does not compile" >&2; exit 1; }
done

if [ "${TOM_CS_SKIP_BUILD:-}" != 1 ]; then stack_build "$root"; fi
# The days register a webhook endpoint on this machine over http (a local receiver).
export Webhooks__AllowInsecureUrls=true Webhooks__AllowPrivateNetworks=true
stack_up "$root" "$state" "$pg_port" "$sim_url" "$api_url" "$metrics_port"
# One partner per client, so each day's balance, events and webhook endpoint are its own; and the same partner's
# test-mode key (osk_test_…: its test twin, simulated money, the sandbox routes).
nswag_key=$(api keys create --telegram-user-id 1000011 --username cs-check-nswag 2>"$state/keys.log") || { cat "$state/keys.log" >&2; exit 1; }
kiota_key=$(api keys create --telegram-user-id 1000012 --username cs-check-kiota 2>>"$state/keys.log") || { cat "$state/keys.log" >&2; exit 1; }
nswag_test_key=$(api keys create --telegram-user-id 1000011 --username cs-check-nswag --test 2>>"$state/keys.log") || { cat "$state/keys.log" >&2; exit 1; }
kiota_test_key=$(api keys create --telegram-user-id 1000012 --username cs-check-kiota --test 2>>"$state/keys.log") || { cat "$state/keys.log" >&2; exit 1; }

export TOM_API_URL="$api_url" TOM_SIM_URL="$sim_url" TOM_WEBHOOK_PORT="$webhook_port"
status=0
results=()
for project in Nswag Kiota; do
  key_var="$(echo "$project" | tr '[:upper:]' '[:lower:]')_key"
  test_key_var="$(echo "$project" | tr '[:upper:]' '[:lower:]')_test_key"
  echo ">> the $project day"
  project_status=0
  TOM_API_KEY="${!key_var}" TOM_TEST_API_KEY="${!test_key_var}" timeout "$(left)" dotnet "$client/$project/bin/Release/net10.0/$(echo "$project" | tr '[:upper:]' '[:lower:]')-day.dll" \
    | tee "$state/$project.out" || project_status=$?
  results+=("$(tail -n 1 "$state/$project.out")")
  if [ "$project_status" -ne 0 ]; then status=$project_status; fi
done

echo ">> csharp-check summary (${SECONDS}s in all)"
for line in "${results[@]}"; do echo "   $line"; done
exit "$status"
