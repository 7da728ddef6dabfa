#!/usr/bin/env bash
# The two-process demo: builds the samples, starts PvRing.Rx (the back) and PvRing.Tx (the front) as two
# separate processes sharing one Xen ring in a memory-mapped file, and shows what each printed.
# Usage: samples/run-demo.sh [COUNT] [ORDER] [WARMUP]
#   default: 10,000,000 timed requests after 2,000,000 warm-up requests (checked, not timed, so the JIT has
#   optimised the loops), ring order 0 (one page, 256 netif TX slots)
set -euo pipefail
. "$(dirname "$0")/lib/demo-common.sh"
demo_arguments "$0" "$@"
cd "$(dirname "$0")/.."
count=${1:-10000000}
order=${2:-0}
warmup=${3:-2000000}
demo_build
ring="demo-$$"

# Pin the two processes to two different CPUs when the machine has them, so the ring's cache lines really
# travel between cores; without taskset (or with one CPU) they run unpinned.
pin_rx=() pin_tx=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_rx=(taskset -c 1) pin_tx=(taskset -c 0)
fi

"${pin_rx[@]}" "samples/PvRing.Rx/$bin/PvRing.Rx" --attach "$ring" --count "$((count + warmup))" &
rx=$!
status=0
"${pin_tx[@]}" "samples/PvRing.Tx/$bin/PvRing.Tx" --create "$ring" --order "$order" --count "$count" --warmup "$warmup" || status=$?
wait "$rx" || status=$?
exit "$status"
