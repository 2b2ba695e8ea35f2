#!/usr/bin/env bash
# make fuzz: every Go fuzz target, each for a bounded time (FUZZTIME, default
# 10s; e.g. FUZZTIME=2m make fuzz). Targets are found, not listed, so a new
# Fuzz* function is fuzzed without editing this file. Crashers are written by
# go test under the package's testdata/fuzz/ and fail the run.
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}
passed=0; failed=0; failures=()
while IFS=: read -r file name; do
  pkg=./$(dirname "$file")
  echo "fuzz $pkg $name ($FUZZTIME)"
  if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"; then
    passed=$((passed+1))
  else
    failed=$((failed+1)); failures+=("$pkg $name")
  fi
done < <(grep -rHo --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*' cmd internal sdk | sed 's/:func /:/' | sort)
[ ${#failures[@]} -eq 0 ] || printf 'FAIL %s\n' "${failures[@]}"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
