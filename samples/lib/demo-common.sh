# Shared by the samples/run-*.sh demos (sourced, not run). Bash, with set -euo pipefail in the caller.

# demo_arguments SCRIPT ARGS...: --help prints SCRIPT's opening comment block (its usage) and exits 0; any other
# option exits 64. Positional arguments are the caller's to read.
demo_arguments() {
    local script=$1
    shift
    if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
        sed -n '2,/^set -euo/p' "$script" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 0
    fi
    local argument
    for argument in "$@"; do
        case "$argument" in
            -*) echo "$script: unknown option '$argument' (see --help)" >&2; exit 64 ;;
        esac
    done
}

# demo_build: builds both samples (Release), quietly; sets bin to their output folder below each project.
demo_build() {
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
    dotnet build samples/PvRing.Rx -c Release -v quiet -nologo >/dev/null
    dotnet build samples/PvRing.Tx -c Release -v quiet -nologo >/dev/null
    bin=bin/Release/net10.0
}

# demo_host NAME: a fresh private (0700) directory NAME-PID under $PVRING_HOST or /dev/shm/pvring-UID, in $host,
# removed when the script exits.
demo_host() {
    local parent="${PVRING_HOST:-/dev/shm/pvring-$(id -u)}"
    host="$parent/$1-$$"
    [ -d "$parent" ] || mkdir -m 0700 "$parent"
    mkdir -m 0700 "$host"
    trap 'rm -rf "$host"' EXIT
}
