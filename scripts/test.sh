#!/usr/bin/env bash
# Runs the test suites with Node's built-in runner (TypeScript through tsx).
#   npm test            unit + integration + e2e
#   npm test -- unit    one suite (unit | integration | e2e)
# One file at a time: integration and e2e tests own real ports, browsers and media engines.
# A test that fails once is a bug: nothing is retried. The last line is the overall count:
# "N passed, N failed".
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
trap 'rm -f "$log"' EXIT
node --import tsx --test --test-concurrency=1 --test-timeout=180000 "${files[@]}" | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
failed=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
