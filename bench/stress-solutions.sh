#!/usr/bin/env bash
# Runs the tests of the named solutions RUNS times each (default 20) while every core is kept
# busy, and reports each failure. A test that depends on timing or thread order shows up here.
#
# usage (from the repository root): bench/stress-solutions.sh [-n RUNS] NAME...
#   e.g. bench/stress-solutions.sh executor1 executor2 executor4
set -u
runs=20
if [ "${1:-}" = "-n" ]; then runs=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [-n RUNS] NAME..."; exit 2; }

# Build every test binary first, so the busy cores slow down only the runs.
declare -A bin
for name in "$@"; do
  path=$(cargo test -q -p asyncling-exercises --bin "${name}_sol" --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
  [ -n "$path" ] || { echo "$name: no test binary (does it build?)"; exit 1; }
  bin[$name]=$path
done

hogs=()
for _ in $(seq "$(nproc)"); do
  yes >/dev/null &
  hogs+=($!)
done
trap 'kill "${hogs[@]}" 2>/dev/null' EXIT

total=0
failed=0
for name in "$@"; do
  fails=0
  for run in $(seq "$runs"); do
    if ! out=$("${bin[$name]}" -q 2>&1); then
      fails=$((fails + 1))
      echo "$name run $run FAILED:"
      echo "$out" | grep -E "panicked|FAILED" | head -5
    fi
  done
  echo "$name: $((runs - fails))/$runs passed"
  total=$((total + runs))
  failed=$((failed + fails))
done
echo "stress: $total runs, $failed failed, $(nproc) busy cores"
[ "$failed" -eq 0 ]
