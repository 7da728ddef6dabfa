#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to the project's
# PublicAPI.Unshipped.txt, and drops declared symbols that no longer exist (RS0017).
# Usage: eng/update-public-api.sh src/PvRing.Core   (then review the diff: it is the API change)
set -euo pipefail
project_dir=${1:?usage: $0 PROJECT_DIR}
unshipped="$project_dir/PublicAPI.Unshipped.txt"
log=$(mktemp)
dotnet build "$project_dir" -p:TreatWarningsAsErrors=false --no-incremental 2>&1 >"$log" || true
grep -oP "RS0016: Symbol '\K.*(?=' is not part of the declared)" "$log" | sort -u >>"$unshipped" || true
{ grep -oP "RS0017: Symbol '\K.*(?=' is part of the declared)" "$log" || true; } | sort -u | while IFS= read -r gone; do
    grep -vxF -- "$gone" "$unshipped" >"$unshipped.tmp" || true
    mv "$unshipped.tmp" "$unshipped"
done
{ head -n1 "$unshipped"; tail -n +2 "$unshipped" | sort -u; } >"$unshipped.tmp" && mv "$unshipped.tmp" "$unshipped"
rm -f "$log"
