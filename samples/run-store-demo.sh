#!/usr/bin/env bash
# The negotiated two-process packet demo: PvRing.Rx (the back, and the toolstack) hosts a xenstore-compatible store and
# offers every feature and grant mode, PvRing.Tx (the front) connects as domain 1; both negotiate device vif/0, print
# what they agreed, then move numbered, CRC32C-checked packets both ways and print packets/s, GB/s and latency.
# Usage: samples/run-store-demo.sh [COUNT] [ORDER] [GRANT_MODE] [DIRECTION] [PACKET_SIZE]
#   COUNT        packets per direction (default 200,000)
#   ORDER        ring-page-order the front wants (0..4, default 2)
#   GRANT_MODE   copy, map, persistent (default), direct, deferred
#   DIRECTION    tx, rx, both (default both)
#   PACKET_SIZE  N or MIN-MAX (default 64-1500, random sizes)
#   RX_SWITCHES / TX_SWITCHES  extra options for each side, for example
#     RX_SWITCHES="--split-rings off" TX_SWITCHES="--split-event-channels off" samples/run-store-demo.sh
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
count=${1:-200000}
order=${2:-2}
mode=${3:-persistent}
direction=${4:-both}
size=${5:-64-1500}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build samples/PvRing.Rx -c Release -v quiet -nologo >/dev/null
dotnet build samples/PvRing.Tx -c Release -v quiet -nologo >/dev/null
bin=bin/Release/net10.0
parent="${PVRING_HOST:-/dev/shm/pvring-$(id -u)}"
host="$parent/store-demo-$$"
[ -d "$parent" ] || mkdir -m 0700 "$parent"
mkdir -m 0700 "$host"
trap 'rm -rf "$host"' EXIT
socket="$host/xenstored.sock"

pin_rx=() pin_tx=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_rx=(taskset -c 1) pin_tx=(taskset -c 0)
fi

# shellcheck disable=SC2086 # the switch variables are word lists on purpose
"${pin_rx[@]}" dotnet "samples/PvRing.Rx/$bin/PvRing.Rx.dll" --store "$socket" --host "$host" --count "$count" \
    --direction "$direction" --packet-size "$size" ${RX_SWITCHES:-} &
rx=$!
status=0
# shellcheck disable=SC2086
"${pin_tx[@]}" dotnet "samples/PvRing.Tx/$bin/PvRing.Tx.dll" --store "$socket" --host "$host" --order "$order" --count "$count" \
    --grant-mode "$mode" --direction "$direction" --packet-size "$size" ${TX_SWITCHES:-} || status=$?
wait "$rx" || status=$?
exit "$status"
