#!/usr/bin/env bash
# A learner's first minute, measured: a fresh clone of this repository (empty target directory,
# warm registry cache), `cargo course` started in a tmux terminal, the screen read every 50 ms.
# Records the time to the first visible output and to the first verdict on the watch screen
# ("failed at the" or "is done"), with the machine's load before and after.
#
# Usage: bench/first-run.sh [COMMIT]   (default HEAD; writes only under target/bench/first-run)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
commit=${1:-HEAD}
work="$root/target/bench/first-run"
clone="$work/clone"
sock="asyncling-first-run-$$"
rm -rf "$work"
mkdir -p "$work"
git clone --quiet --no-hardlinks "$root" "$clone"
git -C "$clone" checkout --quiet "$(git -C "$root" rev-parse "$commit")"
unset CARGO_TARGET_DIR
trap 'tmux -L "$sock" kill-server 2>/dev/null || true' EXIT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s.%N)
tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
  "cd '$clone' && env NO_COLOR=1 CARGO_NET_OFFLINE=true cargo course; times > '$work/cpu'; sleep 600"
python3 - "$sock" "$start" > "$work/times" <<'PY'
import subprocess, sys, time
sock, start = sys.argv[1], float(sys.argv[2])
first = None
deadline = time.time() + 900
while time.time() < deadline:
    screen = subprocess.run(["tmux", "-L", sock, "capture-pane", "-p"],
                            capture_output=True, text=True).stdout
    now = time.time() - start
    if first is None and screen.strip():
        first = now
        print(f"first_output {now:.2f}")
        print("first_screen " + screen.strip().splitlines()[0][:100])
        sys.stdout.flush()
    if "failed at the" in screen or "is done" in screen:
        print(f"first_verdict {now:.2f}")
        break
    time.sleep(0.05)
else:
    print("first_verdict none")
PY
tmux -L "$sock" capture-pane -p > "$work/last-screen.txt" || true
tmux -L "$sock" send-keys q
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq 100); do [ -s "$work/cpu" ] && break; sleep 0.1; done
# bash's `times`: the second line is the CPU time of everything `cargo course` ran (user, system).
cpu=$(sed -n 2p "$work/cpu" 2>/dev/null | python3 -c "
import sys, re
t = [float(m) * 60 + float(s) for m, s in re.findall(r'(\d+)m([\d.]+)s', sys.stdin.read())]
print(f'{sum(t):.1f}' if t else '?')")
echo "fresh clone of $(git -C "$root" rev-parse --short "$commit"), $(nproc) cores, $(rustc --version)"
cat "$work/times"
echo "cpu_seconds_to_first_verdict $cpu"
echo "load average before: $load_before; after: $load_after"
