#!/usr/bin/env bash
# The two-process demo: builds the samples, starts PvRing.Rx (the back) and PvRing.Tx (the front) as two
# separate processes sharing one Xen ring in a memory-mapped file, and shows what each printed.
# Usage: samples/run-demo.sh [COUNT] [ORDER] [WARMUP]
#   default: 10,000,000 timed requests after 2,000,000 warm-up requests (checked, not timed, so the JIT has
#   optimised the loops), ring order 0 (one page, 256 netif TX slots)
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
count=${1:-10000000}
order=${2:-0}
warmup=${3:-2000000}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build samples/PvRing.Rx -c Release -v quiet -nologo >/dev/null
dotnet build samples/PvRing.Tx -c Release -v quiet -nologo >/dev/null
bin=bin/Release/net10.0
ring="demo-$$"

# Pin the two processes to two different CPUs when the machine has them, so the ring's cache lines really
# travel between cores; without taskset (or with one CPU) they run unpinned.
pin_rx=() pin_tx=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_rx=(taskset -c 1) pin_tx=(taskset -c 0)
fi

"${pin_rx[@]}" dotnet "samples/PvRing.Rx/$bin/PvRing.Rx.dll" --attach "$ring" --count "$((count + warmup))" &
rx=$!
status=0
"${pin_tx[@]}" dotnet "samples/PvRing.Tx/$bin/PvRing.Tx.dll" --create "$ring" --order "$order" --count "$count" --warmup "$warmup" || status=$?
wait "$rx" || status=$?
exit "$status"
