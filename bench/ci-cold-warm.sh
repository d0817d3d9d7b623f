#!/usr/bin/env bash
# A learner's fork in CI, cold and warm: a fresh clone of this repository with chapters 00-05
# solved (solutions copied over the exercises), then `cargo course verify --through LAST`
#   1. cold: empty target directory (what the first CI run of a fork pays);
#   2. warm: the target directory restored from a copy, as the workflow's cache step does.
# Both include building the checker, as `cargo course` does in CI. Registry cache warm in both.
# Usage: bench/ci-cold-warm.sh [LAST]   (default executor5; writes only under target/bench/)
set -euo pipefail
last=${1:-executor5}
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/target/bench/ci"
rm -rf "$work"; mkdir -p "$work"
git clone -q "$root" "$work/fork"
cd "$work/fork"
export NO_COLOR=1 RUST_BACKTRACE=0 CARGO_TERM_COLOR=never
unset CARGO_TARGET_DIR
# Solve everything up to and including $last.
python3 - "$last" <<'PY'
import sys, tomllib, shutil
for e in tomllib.load(open("info.toml", "rb"))["exercises"]:
    shutil.copy(f"solutions/{e['dir']}/{e['name']}.rs", f"exercises/{e['dir']}/{e['name']}.rs")
    if e["name"] == sys.argv[1]:
        break
PY
now() { date +%s.%N; }
t0=$(now); cargo course verify --through "$last" > "$work/cold.txt" 2>&1; t1=$(now)
cp -a target "$work/target-cache"
rm -rf target; cp -a "$work/target-cache" target
t2=$(now); cargo course verify --through "$last" --no-cache > "$work/warm.txt" 2>&1; t3=$(now)
python3 -c "print(f'cold (empty target dir): {$t1-$t0:.1f} s; warm (target dir restored, pass cache off): {$t3-$t2:.1f} s')"
tail -2 "$work/cold.txt"
