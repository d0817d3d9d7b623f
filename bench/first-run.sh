#!/usr/bin/env bash
# A learner's first minute, measured: a fresh clone of this repository (empty target directory,
# warm registry cache), `cargo course` started in a tmux terminal, the screen read every 50 ms.
# Records the time to the first visible output and to the first verdict on the watch screen
# ("failed at the" or "is done"), with the machine's load before and after. Then, as a learner
# who reads the welcome for READ_SECS seconds (default 20) and presses n, the time from that key
# to the second exercise's verdict: the first tokio exercise, whose dependencies watch builds in
# the background meanwhile.
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
python3 - "$sock" "$start" "${READ_SECS:-20}" > "$work/times" <<'PY'
import subprocess, sys, time
sock, start, read_secs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
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
    sys.exit()
time.sleep(read_secs)
subprocess.run(["tmux", "-L", sock, "send-keys", "n"])
pressed = time.time()
while time.time() < pressed + 600:
    screen = subprocess.run(["tmux", "-L", sock, "capture-pane", "-p"],
                            capture_output=True, text=True).stdout
    if "intro2 failed at the" in screen or "intro2 is done" in screen:
        print(f"second_verdict_after_{read_secs:.0f}s_reading {time.time() - pressed:.2f}")
        break
    time.sleep(0.05)
else:
    print("second_verdict none")
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
echo "cpu_seconds_whole_run $cpu (everything cargo course ran until q, background builds included)"
echo "load average before: $load_before; after: $load_after"
