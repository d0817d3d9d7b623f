#!/usr/bin/env bash
# How long the course's tests take to run, compile excluded: every solution's test binary is
# built first, then each is run once and timed; totals are given per part of the course
# (bars: Part I 1.5 s, Part II 1.5 s, Parts III-V 3 s). Sequential, so the sum is honest.
#
# Usage: bench/exercise-test-time.sh            (writes only under target/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export RUST_BACKTRACE=0

bins=$(python3 - <<'EOF'
import tomllib
info = tomllib.load(open("info.toml", "rb"))
print(" ".join(f"--bin {e['name']}_sol" for e in info["exercises"]))
EOF
)
# shellcheck disable=SC2086
cargo test --quiet --locked -p asyncling-exercises --no-run --message-format json $bins \
  > "${CARGO_TARGET_DIR:-target}/exercise-test-binaries.json"

python3 - <<'EOF'
import json, subprocess, time, tomllib

info = tomllib.load(open("info.toml", "rb"))
exes = {}
import os
for line in open(os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "exercise-test-binaries.json")):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        exes[m["target"]["name"]] = m["executable"]

def part(d):
    if d.startswith("p1") or d[:2] in {f"{i:02d}" for i in range(0, 9)}:
        return "Part I (00-08, p1)"
    if d.startswith("p2") or d[:2] in {f"{i:02d}" for i in range(9, 16)}:
        return "Part II (09-15, p2)"
    return "Parts III-V (16-27, p3, capstone)"

totals, slowest = {}, []
for e in info["exercises"]:
    exe = exes[e["name"] + "_sol"]
    t0 = time.perf_counter()
    r = subprocess.run([exe, "-q"], cwd="exercises", capture_output=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{e['name']}_sol failed:\n{r.stdout.decode()}{r.stderr.decode()}")
    p = part(e.get("dir", ""))
    n, s = totals.get(p, (0, 0.0))
    totals[p] = (n + 1, s + dt)
    slowest.append((dt, e["name"]))

bars = {"Part I (00-08, p1)": 1.5, "Part II (09-15, p2)": 1.5, "Parts III-V (16-27, p3, capstone)": 3.0}
print(f"{'part':<36} {'exercises':>9} {'test time':>10}  bar")
for p, (n, s) in totals.items():
    print(f"{p:<36} {n:>9} {s:>9.2f}s  {bars[p]} s")
print("slowest:", ", ".join(f"{name} {dt * 1000:.0f} ms" for dt, name in sorted(slowest)[-5:][::-1]))
EOF
