#!/usr/bin/env bash
# Runs the test suites with Node's built-in runner (TypeScript through tsx).
#   npm test            unit + integration + e2e
#   npm test -- unit    one suite (unit | integration | e2e)
set -euo pipefail
cd "$(dirname "$0")/.."
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit integration e2e)
files=()
for s in "${suites[@]}"; do
  while IFS= read -r f; do files+=("$f"); done < <(find "test/$s" -name '*.test.ts' 2>/dev/null | sort)
done
if [ ${#files[@]} -eq 0 ]; then echo "no test files in: ${suites[*]}" >&2; exit 1; fi
# One file at a time: integration and e2e tests own real ports and browsers on a 2-core machine.
exec node --import tsx --test --test-concurrency=1 --test-timeout=180000 "${files[@]}"
