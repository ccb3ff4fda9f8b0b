#!/usr/bin/env bash
# Runs the test suites with Node's built-in runner (TypeScript through tsx).
#   npm test            unit + integration + e2e
#   npm test -- unit    one suite (unit | integration | e2e)
# Integration and e2e files drive real peers (browsers, ffmpeg, WebRTC) on a 2-core machine; a
# file that fails is run once more, and the retry is reported by name so flakiness stays visible.
# The last line is the overall count: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit integration e2e)
files=()
for s in "${suites[@]}"; do
  while IFS= read -r f; do files+=("$f"); done < <(find "test/$s" -name '*.test.ts' 2>/dev/null | sort)
done
if [ ${#files[@]} -eq 0 ]; then echo "no test files in: ${suites[*]}" >&2; exit 1; fi
log=$(mktemp)
trap 'rm -f "$log" "$log.retry"' EXIT
run() {
  # One file at a time: integration and e2e tests own real ports and browsers.
  node --import tsx --test --test-concurrency=1 --test-timeout=180000 "$@"
}
run "${files[@]}" | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
failed=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
if [ "$status" -ne 0 ]; then
  # Files of the failed tests, from the TAP `location:` lines that follow each `not ok`.
  mapfile -t again < <(awk '/^not ok /{want=1} want && /location: /{match($0, /\x27[^\x27:]+/); print substr($0, RSTART+1, RLENGTH-1); want=0}' "$log" | sort -u | sed "s#^$PWD/##" | grep -E '^test/(integration|e2e)/' || true)
  if [ ${#again[@]} -gt 0 ] && [ "$(awk '/^not ok /{want=1} want && /location: /{n++; want=0} END{print n+0}' "$log")" -gt 0 ]; then
    echo "# retrying once: ${again[*]}"
    run "${again[@]}" | tee "$log.retry"
    retry_status=${PIPESTATUS[0]}
    still=$(grep -E '^# fail [0-9]+' "$log.retry" | tail -1 | awk '{print $3}')
    unit_failed=$(awk '/^not ok /{want=1} want && /location: /{match($0, /\x27[^\x27:]+/); print substr($0, RSTART+1, RLENGTH-1); want=0}' "$log" | sed "s#^$PWD/##" | grep -cvE '^test/(integration|e2e)/' || true)
    passed=$(( passed + failed - still - unit_failed ))
    failed=$(( still + unit_failed ))
    [ "$retry_status" -eq 0 ] && [ "$unit_failed" -eq 0 ] && status=0
  fi
fi
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
