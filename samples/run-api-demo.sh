#!/usr/bin/env bash
# The byte-mode demo: nothing but the application API (PvRingListener, PvRingConnection). PvRing.Rx listens by a
# name (it hosts the store and hands the front its domain and device), PvRing.Tx connects by that name; they move
# numbered, CRC32C-checked packets with SendAsync and ReceivePacketAsync and print packets/s, GB/s and latency.
# Usage: samples/run-api-demo.sh [COUNT] [GRANT_MODE] [DIRECTION] [PACKET_SIZE] [QUEUES]
#   COUNT        packets per direction (default 100,000)
#   GRANT_MODE   copy, map, persistent (default), direct, deferred
#   DIRECTION    tx, rx, both (default both)
#   PACKET_SIZE  N or MIN-MAX (default 64-1500, random sizes)
#   QUEUES       queues Tx asks for (default 1); with several, COUNT packets per direction on every queue, one pinned
#                worker per queue on each side, and each queue's CPU and packets/s printed
set -euo pipefail
. "$(dirname "$0")/lib/demo-common.sh"
demo_arguments "$0" "$@"
cd "$(dirname "$0")/.."
count=${1:-100000}
mode=${2:-persistent}
direction=${3:-both}
size=${4:-64-1500}
queues=${5:-1}
demo_build
demo_host api-demo

"samples/PvRing.Rx/$bin/PvRing.Rx" --name demo --host "$host" --count "$count" --direction "$direction" --packet-size "$size" &
rx=$!
status=0
"samples/PvRing.Tx/$bin/PvRing.Tx" --name demo --host "$host" --count "$count" --grant-mode "$mode" \
    --direction "$direction" --packet-size "$size" --queues "$queues" || status=$?
wait "$rx" || status=$?
exit "$status"
