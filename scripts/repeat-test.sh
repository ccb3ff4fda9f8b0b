#!/usr/bin/env bash
# Runs one test file N times in a row and prints how many runs passed: the check that a
# browser/WebRTC test is sure, not lucky (issue 14: the room e2e must pass 20 runs in a row).
#   scripts/repeat-test.sh [file] [runs]      default: test/e2e/room.test.ts 20
# Stops at the first failing run and keeps its log (the path is printed).
set -uo pipefail
cd "$(dirname "$0")/.."
file=${1:-test/e2e/room.test.ts}
runs=${2:-20}
log=$(mktemp)
passed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if node --import tsx --test --test-timeout=180000 "$file" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "run $i: pass ($(( $(date +%s) - start )) s)"
  else
    echo "run $i: FAIL ($(( $(date +%s) - start )) s), log kept in $log"
    grep -E '^not ok|error:' "$log" | head -5
    break
  fi
done
echo "$passed/$runs runs passed in a row: $file"
[ "$passed" -eq "$runs" ] && rm -f "$log"
[ "$passed" -eq "$runs" ]
