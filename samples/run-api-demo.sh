#!/usr/bin/env bash
# The byte-mode demo: nothing but the application API (PvRingListener, PvRingConnection). PvRing.Rx listens by a
# name (it hosts the store and hands the front its domain and device), PvRing.Tx connects by that name; they move
# numbered, CRC32C-checked packets with SendAsync and ReceivePacketAsync and print packets/s, GB/s and latency.
# Usage: samples/run-api-demo.sh [COUNT] [GRANT_MODE] [DIRECTION] [PACKET_SIZE]
#   COUNT        packets per direction (default 100,000)
#   GRANT_MODE   copy, map, persistent (default), direct, deferred
#   DIRECTION    tx, rx, both (default both)
#   PACKET_SIZE  N or MIN-MAX (default 64-1500, random sizes)
set -euo pipefail
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    # The comment block above is the help.
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
fi
for argument in "$@"; do
    case "$argument" in
        -*) echo "$0: unknown option '$argument' (see --help)" >&2; exit 64 ;;
    esac
done
cd "$(dirname "$0")/.."
count=${1:-100000}
mode=${2:-persistent}
direction=${3:-both}
size=${4:-64-1500}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build samples/PvRing.Rx -c Release -v quiet -nologo >/dev/null
dotnet build samples/PvRing.Tx -c Release -v quiet -nologo >/dev/null
bin=bin/Release/net10.0
parent="${PVRING_HOST:-/dev/shm/pvring-$(id -u)}"
host="$parent/api-demo-$$"
[ -d "$parent" ] || mkdir -m 0700 "$parent"
mkdir -m 0700 "$host"
trap 'rm -rf "$host"' EXIT

dotnet "samples/PvRing.Rx/$bin/PvRing.Rx.dll" --name demo --host "$host" --count "$count" --direction "$direction" --packet-size "$size" &
rx=$!
status=0
dotnet "samples/PvRing.Tx/$bin/PvRing.Tx.dll" --name demo --host "$host" --count "$count" --grant-mode "$mode" \
    --direction "$direction" --packet-size "$size" || status=$?
wait "$rx" || status=$?
exit "$status"
