#!/usr/bin/env bash
# Builds siem-agent as one self-contained executable (no .NET runtime needed on the host).
#   deploy/build-agent.sh [--single-file] [RID] [OUT_DIR]   RID default linux-x64 (also linux-arm64, linux-musl-x64), OUT default artifacts/agent/<rid>
#   default        Native AOT: machine code, no JIT and no runtime files to map: ~25 MiB resident idle, under 60 MiB at
#                  100k+ lines/s (siem bench agent measures it). Built for .NET 9: this registry has the Native AOT
#                  runtime only inside .NET 9's ILCompiler package (Microsoft.NETCore.App.Runtime.NativeAOT.* for .NET 10
#                  is missing). Needs clang or gcc and zlib1g-dev; a first build takes a few minutes.
#   --single-file  the .NET 10 runtime + JIT bundled into one compressed file instead (no C toolchain needed; about
#                  twice the memory: ~64 MiB resident before the first line).
#   (--aot is accepted for scripts written when AOT was an option.)
# Install:  install -m 0755 artifacts/agent/linux-x64/siem-agent /usr/local/bin/  and see deploy/systemd/siem-agent.service
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
aot=true
case "${1:-}" in
  --single-file) aot=false; shift ;;
  --aot) shift ;;
esac
rid="${1:-linux-x64}"
out="${2:-$root/artifacts/agent/$rid}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if [ "$aot" = true ]; then
  # Its own artifacts dir: the .NET 9 build of the libraries must never mix with the normal .NET 10 build.
  export SIEM_ARTIFACTS="${SIEM_ARTIFACTS:-$root/artifacts/publish-$rid-aot}"
  dotnet publish "$root/collectors/Siem.Agent/Siem.Agent.csproj" -c Release -r "$rid" -p:SiemAgentAot=true -p:DebugType=none \
    -o "$out" --nologo -v q -clp:ErrorsOnly
  kind="Native AOT"
else
  # A separate artifacts dir so the publish (RID-specific obj/) never races a normal build of the tree.
  export SIEM_ARTIFACTS="${SIEM_ARTIFACTS:-$root/artifacts/publish-$rid}"
  dotnet publish "$root/collectors/Siem.Agent/Siem.Agent.csproj" -c Release -r "$rid" --self-contained \
    -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:DebugType=none \
    -o "$out" --nologo -v q -clp:ErrorsOnly
  kind="self-contained single file"
fi
bin="$out/siem-agent"
[ -x "$bin" ] || { echo "build-agent: $bin was not produced" >&2; exit 1; }
# An unchanged publish keeps the old file time; siem bench agent compares it with the sources' to decide on a rebuild.
touch "$bin"
# Smoke test when the binary can run here (same OS/architecture).
if [ "$rid" = "linux-x64" ] && [ "$(uname -m)" = "x86_64" ]; then
  "$bin" --help >/dev/null || { echo "build-agent: $bin does not start" >&2; exit 1; }
fi
echo "build-agent: $bin ($(du -h "$bin" | cut -f1), $rid, $kind)"
