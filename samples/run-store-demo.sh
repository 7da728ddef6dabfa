#!/usr/bin/env bash
# The negotiated two-process demo: PvRing.Rx (the back) hosts a xenstore-compatible store and offers every ring feature,
# PvRing.Tx (the front) connects as domain 1, both negotiate device vif/0, print what they agreed, and Tx sends its
# requests over the negotiated ring, granted from its memory and mapped by Rx.
# Usage: samples/run-store-demo.sh [COUNT] [ORDER]
#   COUNT  timed requests (default 10,000,000, after 2,000,000 warm-up requests)
#   ORDER  ring-page-order the front wants (0..4, default 2)
#   RX_SWITCHES / TX_SWITCHES  extra options for each side, for example
#     RX_SWITCHES="--split-rings off" TX_SWITCHES="--split-event-channels off" samples/run-store-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000000}
order=${2:-2}
warmup=2000000
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
"${pin_rx[@]}" dotnet "samples/PvRing.Rx/$bin/PvRing.Rx.dll" --store "$socket" --host "$host" --count "$((count + warmup))" ${RX_SWITCHES:-} &
rx=$!
status=0
# shellcheck disable=SC2086
"${pin_tx[@]}" dotnet "samples/PvRing.Tx/$bin/PvRing.Tx.dll" --store "$socket" --host "$host" --order "$order" \
    --count "$count" --warmup "$warmup" ${TX_SWITCHES:-} || status=$?
wait "$rx" || status=$?
exit "$status"
