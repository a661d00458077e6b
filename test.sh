#!/usr/bin/env bash
# Installs what the tests need, builds everything, runs the whole suite; non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
# The console's browser test drives Debian's chromium through Playwright (no browser download).
[ -x /usr/bin/chromium ] || need+=(chromium)
# deploy/systemd units are checked by systemd-analyze verify/security and systemd-sysusers (nothing is started).
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# The Native AOT agent (deploy/build-agent.sh) links with a C toolchain and zlib.
command -v gcc >/dev/null 2>&1 || command -v clang >/dev/null 2>&1 || need+=(gcc)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

dotnet build Siem.sln -c Release --nologo -v q -clp:ErrorsOnly

log="$(mktemp)"
set +e
dotnet test Siem.sln -c Release --no-build --nologo -v q --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# The agent as deployed: the Native AOT siem-agent of deploy/build-agent.sh (about 2 CPU-minutes when built from
# scratch), then the agent's process-level tests once more against it: enroll, TLS to nats-server, syslog UDP/TCP/TLS,
# journald, OTLP export, spool, kill -9, engine key rotation and rotate-key.
case "$(uname -m)" in x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; *) rid="" ;; esac
if [ -n "$rid" ]; then
  set +e
  { deploy/build-agent.sh "$rid" && SIEM_AGENT_EXE="$root/artifacts/agent/$rid/siem-agent" dotnet test tests/Siem.Collectors.Tests -c Release \
      --no-build --nologo -v q --logger "console;verbosity=normal" \
      --filter "FullyQualifiedName~Agent.AgentExecutableTests|FullyQualifiedName~Agent.AgentCrashTests|FullyQualifiedName~Agent.AgentTelemetryTests|FullyQualifiedName~Agent.AgentStatusCommandTests|FullyQualifiedName~Agent.AgentKeyProcessTests"
  } 2>&1 | tee -a "$log"
  aot=${PIPESTATUS[0]}
  set -e
  [ "$aot" -eq 0 ] || status=$aot
else
  echo "test.sh: no Native AOT agent pass on $(uname -m) (deploy/build-agent.sh knows linux-x64 and linux-arm64)"
fi
count() { { grep -oE "$1: +[0-9]+" "$log" || true; } | awk '{s+=$2} END {print s+0}'; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
# CI keeps only the tail of this output: repeat each failed or skipped test with the start of its message here.
awk '/^ +(Failed|Skipped) [A-Za-z_]/ {n=16} n>0 {print; n--}' "$log" | cut -c1-400 >&2
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$skipped" -ne 0 ] || [ "$passed" -eq 0 ]; then
  echo "test.sh: FAILED (exit $status)" >&2
  exit 1
fi
