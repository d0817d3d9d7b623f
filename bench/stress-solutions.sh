#!/usr/bin/env bash
# Runs the tests of the named solutions RUNS times each (default 20) while every core is kept
# busy, and reports each failure. A test that depends on timing or thread order shows up here.
#
# Then, under the same load, every named shipped exercise whose tests compile must fail within
# 2 s (it fails as shipped; it must never fail by hanging).
#
# usage (from the repository root): bench/stress-solutions.sh [-n RUNS] [NAME...]
#   e.g. bench/stress-solutions.sh executor1 executor2 executor4
#   no names: every exercise in info.toml
set -u
runs=20
if [ "${1:-}" = "-n" ]; then runs=$2; shift 2; fi
if [ $# -eq 0 ]; then
  set -- $(python3 -c 'import tomllib; print(" ".join(e["name"] for e in tomllib.load(open("info.toml","rb"))["exercises"]))')
fi

# Build every test binary first, so the busy cores slow down only the runs. `ecosystem` turns on
# every optional crate, so the bins that require some of them (info.toml `features`) are built.
declare -A bin
for name in "$@"; do
  path=$(cargo test -q -p asyncling-exercises --features ecosystem --bin "${name}_sol" --no-run --message-format=json 2>/dev/null |
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

# The shipped exercises: fail, and fast. (The hogs still run.) Exercises that pass as shipped
# by design (skip_check_unsolved) are left out.
skip=" $(python3 -c 'import tomllib; print(" ".join(e["name"] for e in tomllib.load(open("info.toml","rb"))["exercises"] if e.get("skip_check_unsolved")))') "
slow=0
slowest=0
compiled=0
for name in "$@"; do
  case "$skip" in *" $name "*) continue ;; esac
  path=$(cargo test -q -p asyncling-exercises --features ecosystem --bin "$name" --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
  [ -n "$path" ] || continue # fails at the build step: fast by nature
  compiled=$((compiled + 1))
  start=$(date +%s%N)
  timeout 10 "$path" -q >/dev/null 2>&1
  status=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$ms" -gt "$slowest" ] && slowest=$ms
  if [ "$status" -eq 0 ]; then
    echo "$name: the shipped exercise PASSES"; slow=$((slow + 1))
  elif [ "$ms" -gt 2000 ]; then
    echo "$name: the shipped exercise took ${ms} ms to fail"; slow=$((slow + 1))
  fi
done
echo "shipped: $compiled exercises compile as shipped, slowest failure ${slowest} ms, $slow too slow or passing"
[ "$failed" -eq 0 ] && [ "$slow" -eq 0 ]
