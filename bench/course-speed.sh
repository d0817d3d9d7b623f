#!/usr/bin/env bash
# The checker on the real course, from a fresh clone with its own empty target directory:
#   1. `verify` with nothing changed, at 0 %, 50 % and 100 % of the course done (each after one
#      verify that checks what changed);
#   2. save -> result in `asyncling watch` on three real exercises (std only, on the reference
#      runtime, on tokio) against a bare warm `cargo test --bin` of the same file.
# The machine's load is recorded with the figures.
#
# Usage: [PARTS=2] [PICKS="name kind,..."] bench/course-speed.sh [COMMIT]   (default HEAD; writes only under target/bench/course)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
commit=${1:-HEAD}
ROUNDS=${ROUNDS:-5}
work="$root/target/bench/course"
clone="$work/clone"
export NO_COLOR=1 RUST_BACKTRACE=0 CARGO_TERM_COLOR=never CARGO_NET_OFFLINE=true
unset CARGO_TARGET_DIR

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
report=()
add() { report+=("$(printf '%-58s %s' "$1" "$2")"); echo "  $1: $2"; }

rm -rf "$work"
mkdir -p "$work"
git clone --quiet --no-hardlinks "$root" "$clone"
git -C "$clone" checkout --quiet "$(git -C "$root" rev-parse "$commit")"
cd "$clone"
echo "building asyncling (dev profile, as cargo course does)..."
cargo build --quiet -p asyncling
A="$clone/target/debug/asyncling"
CARGO="$(rustc --print sysroot)/bin/cargo"
export CARGO

# name -> "dir features" from info.toml, in course order (features comma-separated, or "-")
mapfile -t names < <(python3 -c "
import tomllib
for e in tomllib.load(open('info.toml','rb'))['exercises']:
    print(e['name'], e['dir'], ','.join(e.get('features', [])) or '-')")
solve_first() {
  local n=$1 i=0
  for entry in "${names[@]}"; do
    set -- $entry
    if [ "$i" -lt "$n" ]; then cp "solutions/$2/$1.rs" "exercises/$2/$1.rs"; fi
    i=$((i + 1))
  done
}
total=${#names[@]}

echo "1. verify with nothing changed"
# PARTS=2 skips this part (save -> result only).
for pct in $([ "${PARTS:-12}" = 2 ] || echo 0 50 100); do
  git checkout --quiet -- exercises
  solve_first $((total * pct / 100))
  t0=$(now); "$A" verify >"$work/verify-$pct-first.log" 2>&1 || true; t1=$(now)
  first=$(secs "$t0" "$t1")
  l=$(load)
  t0=$(now); "$A" verify >"$work/verify-$pct-again.log" 2>&1 || true; t1=$(now)
  add "verify at $pct % done: after changes / nothing changed" "${first} s / $(secs "$t0" "$t1") s (bar: 1 s; load $l)"
done
git checkout --quiet -- exercises

echo "2. save -> result, watch vs bare warm cargo test --bin ($ROUNDS rounds, median)"
bare_target="$clone/target-bare"
sock="asyncling-course-bench-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true' EXIT
# PICKS="name kind,name kind" measures other exercises (e.g. PICKS="eco2 ecosystem").
IFS=',' read -r -a picks <<< "${PICKS:-futures3 std-only,futures2 reference-runtime,intro2 tokio}"
for pick in "${picks[@]}"; do
  set -- $pick
  name=$1 kind=$2
  dir=$(printf '%s\n' "${names[@]}" | awk -v n="$name" '$1 == n {print $2}')
  features=$(printf '%s\n' "${names[@]}" | awk -v n="$name" '$1 == n && $3 != "-" {print "--features=" $3}')
  ex="exercises/$dir/$name.rs"
  solved="solutions/$dir/$name.rs"
  shipped="$work/$name.shipped.rs"
  git show "HEAD:$ex" > "$shipped"
  cp "$solved" "$ex"
  CARGO_TARGET_DIR="$bare_target" cargo test --quiet -p asyncling-exercises $features --bin "$name" >/dev/null 2>&1 || true
  : > "$work/bare-$name.times"
  for r in $(seq 1 "$ROUNDS"); do
    echo "// bare $r" >> "$ex"
    t0=$(now); CARGO_TARGET_DIR="$bare_target" cargo test --quiet -p asyncling-exercises $features --bin "$name" >/dev/null 2>&1; t1=$(now)
    secs "$t0" "$t1" >> "$work/bare-$name.times"
  done
  trace="$work/watch-$name.trace"
  : > "$trace"
  mkdir -p .asyncling
  printf '{"current": "%s", "done": []}' "$name" > .asyncling/state.json
  tmux -L "$sock" -f /dev/null new-session -d -x 160 -y 50 \
    "cd '$clone' && env NO_COLOR=1 CARGO='$CARGO' ASYNCLING_TRACE='$trace' '$A' watch; sleep 5"
  python3 - "$ex" "$solved" "$shipped" "$trace" "$ROUNDS" > "$work/watch-$name.times" <<'PY'
import os, sys, time
ex, solved, unsolved, trace, rounds = sys.argv[1:6]

def results():
    with open(trace) as f:
        # A line being written may be read half-way: only whole "<ns> <verdict>" lines count.
        return [w for w in (line.split() for line in f) if len(w) == 2]

def wait_for(verdict, seen):
    deadline = time.time() + 300
    while time.time() < deadline:
        lines = results()
        if len(lines) > seen and lines[-1][1] == verdict:
            return int(lines[-1][0]), len(lines)
        time.sleep(0.002)
    sys.exit(f"watch never showed {verdict}")

def save(src, tag):
    with open(src) as f:
        text = f.read() + f"// {tag}\n"
    with open(ex + ".tmp", "w") as f:
        f.write(text)
    t0 = time.time_ns()
    os.replace(ex + ".tmp", ex)
    return t0

_, seen = wait_for("passed", 0)
for r in range(int(rounds)):
    save(unsolved, f"round {r} fail")
    _, seen = wait_for("failed", seen)
    t0 = save(solved, f"round {r} pass")
    t1, seen = wait_for("passed", seen)
    print(f"{(t1 - t0) / 1e9:.3f}")
PY
  tmux -L "$sock" send-keys q
  sleep 1
  tmux -L "$sock" kill-server 2>/dev/null || true
  git checkout --quiet -- "$ex"
  w=$(median < "$work/watch-$name.times"); b=$(median < "$work/bare-$name.times")
  add "save -> result, $name ($kind): watch / bare" "${w} s / ${b} s = $(python3 -c "print(f'{$w / $b:.2f}')") (bar: 1.2; load $(load))"
done

echo
echo "asyncling on the real course ($total exercises), $(git rev-parse --short HEAD), $(nproc) cores, $(rustc --version)"
printf '%s\n' "${report[@]}" | tee "$work/results.txt"
