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
. "$(dirname "$0")/lib/demo-common.sh"
demo_arguments "$0" "$@"
cd "$(dirname "$0")/.."
count=${1:-200000}
order=${2:-2}
mode=${3:-persistent}
direction=${4:-both}
size=${5:-64-1500}
demo_build
demo_host store-demo
socket="$host/xenstored.sock"

pin_rx=() pin_tx=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_rx=(taskset -c 1) pin_tx=(taskset -c 0)
fi

# shellcheck disable=SC2086 # the switch variables are word lists on purpose
"${pin_rx[@]}" "samples/PvRing.Rx/$bin/PvRing.Rx" --store "$socket" --host "$host" --count "$count" \
    --direction "$direction" --packet-size "$size" ${RX_SWITCHES:-} &
rx=$!
status=0
# shellcheck disable=SC2086
"${pin_tx[@]}" "samples/PvRing.Tx/$bin/PvRing.Tx" --store "$socket" --host "$host" --order "$order" --count "$count" \
    --grant-mode "$mode" --direction "$direction" --packet-size "$size" ${TX_SWITCHES:-} || status=$?
wait "$rx" || status=$?
exit "$status"
