#!/usr/bin/env bash
# The checker's speed, measured on a synthetic course of N small tokio exercises (default 120),
# side by side in one run:
#   1. verify, solutions in place, from an empty target dir (dependencies included), and its size;
#   2. verify again with nothing changed;
#   3. save -> result for one exercise: `asyncling run`, and `asyncling watch` (the screen read
#      through tmux), each vs a bare warm `cargo test --bin`;
#   4. verify --solutions (unsolved must fail, solved must pass) from an empty target dir.
# BASELINE=1 also checks the course the one-cargo-per-exercise way with the default dev profile.
#
# Usage: bench/checker-speed.sh [N]        (writes only under target/bench/)
set -euo pipefail

N=${1:-120}
ROUNDS=${ROUNDS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/target/bench/checker"
course="$work/course"
export NO_COLOR=1 RUST_BACKTRACE=0 CARGO_TERM_COLOR=never
unset CARGO_TARGET_DIR

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "building asyncling (release)..."
cargo build --quiet --release --locked -p asyncling --manifest-path "$root/Cargo.toml"
A="$root/target/release/asyncling"
# Learners start it with `cargo course`, and cargo tells the programs it runs where it is.
CARGO="$(rustc --print sysroot)/bin/cargo"
export CARGO

rm -rf "$work"
mkdir -p "$course/exercises/bench" "$course/solutions/bench"
cat > "$course/Cargo.toml" <<EOF
[workspace]
resolver = "3"
members = ["exercises"]

[profile.dev]
debug = false

[profile.dev.package."*"]
incremental = false

[profile.dev.package.bench-exercises]
incremental = false
EOF
cat > "$course/exercises/Cargo.toml" <<EOF
[package]
name = "bench-exercises"
version = "0.0.0"
edition = "2024"
publish = false
autobins = false

[dependencies]
tokio = { version = "1", features = ["full", "test-util"] }
EOF
echo "format_version = 1" > "$course/info.toml"
for i in $(seq -w 1 "$N"); do
  n=$((10#$i + 3))
  for side in exercises solutions; do
    if [ "$side" = exercises ]; then body='    todo!("receive every value and add them up")'
    else body='    let mut total = 0;
    while let Some(v) = rx.recv().await {
        total += v;
    }
    total'
    fi
    cat > "$course/$side/bench/e$i.rs" <<EOF
// e$i: add up every value sent over a bounded channel.
use tokio::sync::mpsc;

async fn sum(mut rx: mpsc::Receiver<u64>) -> u64 {
$body
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stopping_after_the_first_value_is_rejected() {
        let (tx, rx) = mpsc::channel(2);
        tokio::spawn(async move {
            for v in 1..=$n {
                tx.send(v).await.unwrap();
            }
        });
        assert_eq!(sum(rx).await, $n * ($n + 1) / 2);
    }
}
EOF
  done
  printf '[[bin]]\nname = "e%s"\npath = "bench/e%s.rs"\n[[bin]]\nname = "e%s_sol"\npath = "../solutions/bench/e%s.rs"\n' \
    "$i" "$i" "$i" "$i" >> "$course/exercises/Cargo.toml"
  printf '\n[[exercises]]\nname = "e%s"\ndir = "bench"\nhints = ["Loop on recv.", "while let Some(v) = rx.recv().await"]\n' \
    "$i" >> "$course/info.toml"
done
# The root lock file pins the same tokio; cargo trims it to this course without the network.
cp "$root/Cargo.lock" "$course/Cargo.lock"
(cd "$course" && cargo metadata --offline --format-version 1 >/dev/null 2>&1 || cargo metadata --format-version 1 >/dev/null)
cp -r "$course/exercises/bench" "$work/shipped"

report=()
add() { report+=("$(printf '%-58s %s' "$1" "$2")"); echo "  $1: $2"; }

echo "1. verify, solutions in place, empty target dir"
cp "$course"/solutions/bench/*.rs "$course/exercises/bench/"
rm -rf "$course/target" "$course/.asyncling"
t0=$(now); "$A" --course "$course" verify --no-cache >"$work/verify-cold.log" 2>&1; t1=$(now)
cold=$(secs "$t0" "$t1")
size=$(du -sm "$course/target" | cut -f1)
add "verify, $N exercises, cold (deps included)" "${cold} s (bar: 30 s)"
add "target dir after it" "${size} MB (bar: 600 MB)"

echo "2. verify again, nothing changed"
t0=$(now); "$A" --course "$course" verify >"$work/verify-warm.log" 2>&1; t1=$(now)
add "verify again, nothing changed" "$(secs "$t0" "$t1") s (bar: 1 s)"

echo "3. save -> result, one exercise ($ROUNDS rounds each, median)"
ex="$course/exercises/bench/e$(printf '%0*d' ${#N} $((N / 2))).rs"
name=$(basename "$ex" .rs)
bare_target="$course/target-bare"
(cd "$course" && CARGO_TARGET_DIR="$bare_target" cargo test --quiet -p bench-exercises --bin "$name" >/dev/null 2>&1)
"$A" --course "$course" run "$name" >/dev/null 2>&1
: > "$work/run.times"; : > "$work/bare.times"
for r in $(seq 1 "$ROUNDS"); do
  echo "// save $r a" >> "$ex"
  t0=$(now); "$A" --course "$course" run "$name" >/dev/null 2>&1; t1=$(now)
  secs "$t0" "$t1" >> "$work/run.times"
  echo "// save $r b" >> "$ex"
  t0=$(now); (cd "$course" && CARGO_TARGET_DIR="$bare_target" cargo test --quiet -p bench-exercises --bin "$name" >/dev/null 2>&1); t1=$(now)
  secs "$t0" "$t1" >> "$work/bare.times"
done
run_med=$(median < "$work/run.times"); bare_med=$(median < "$work/bare.times")
add "save -> result: asyncling run" "${run_med} s"
add "save -> result: bare warm cargo test --bin" "${bare_med} s"
add "ratio run / bare" "$(python3 -c "print(f'{$run_med / $bare_med:.2f}')") (bar: 1.2)"

echo "3b. save -> result shown by watch ($ROUNDS rounds, median)"
# watch appends the moment each result is drawn to $ASYNCLING_TRACE; the saves and the reading
# of that file happen in one python process, so measuring steals no CPU from the build.
sock="asyncling-bench-$$"
trace="$work/watch.trace"
solved="$course/solutions/bench/$name.rs"
unsolved="$work/shipped/$name.rs"
cp "$solved" "$ex"
: > "$trace"
mkdir -p "$course/.asyncling"
printf '{"current": "%s", "done": []}' "$name" > "$course/.asyncling/state.json"
tmux -L "$sock" -f /dev/null new-session -d -x 160 -y 50 \
  "cd '$course' && env NO_COLOR=1 CARGO='$CARGO' ASYNCLING_TRACE='$trace' '$A' watch; sleep 5"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true' EXIT
python3 - "$ex" "$solved" "$unsolved" "$trace" "$ROUNDS" > "$work/watch.times" <<'PY'
import os, sys, time
ex, solved, unsolved, trace, rounds = sys.argv[1:6]

def results():
    with open(trace) as f:
        return [line.split() for line in f if line.strip()]

def wait_for(verdict, seen):
    deadline = time.time() + 120
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
    os.replace(ex + ".tmp", ex)  # an atomic-rename save, as editors do
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
watch_med=$(median < "$work/watch.times")
add "save -> result shown: asyncling watch" "${watch_med} s"
add "ratio watch / bare" "$(python3 -c "print(f'{$watch_med / $bare_med:.2f}')") (bar: 1.3)"

echo "4. verify --solutions, empty target dir"
cp "$work"/shipped/*.rs "$course/exercises/bench/"
rm -rf "$course/target" "$course/.asyncling"
t0=$(now); "$A" --course "$course" verify --solutions --no-cache >"$work/verify-solutions.log" 2>&1 || true; t1=$(now)
both=$(secs "$t0" "$t1")
grep -q "every exercise fails as shipped" "$work/verify-solutions.log" || { echo "verify --solutions did not pass; see $work/verify-solutions.log"; exit 1; }
add "verify --solutions, cold (both passes)" "${both} s ($(python3 -c "print(f'{$both / $cold:.2f}')")x the single pass)"

if [ "${BASELINE:-0}" = 1 ]; then
  echo "5. baseline: one cargo test per exercise, default dev profile (debug info), cold"
  cp "$course"/solutions/bench/*.rs "$course/exercises/bench/"
  base="$course/target-baseline"
  rm -rf "$base"
  t0=$(now)
  for f in "$course"/exercises/bench/*.rs; do
    (cd "$course" && CARGO_TARGET_DIR="$base" CARGO_PROFILE_DEV_DEBUG=true CARGO_PROFILE_DEV_INCREMENTAL=true \
      cargo test --quiet -p bench-exercises --bin "$(basename "$f" .rs)" >/dev/null 2>&1)
  done
  t1=$(now)
  add "baseline: one cargo per exercise, cold" "$(secs "$t0" "$t1") s, $(du -sm "$base" | cut -f1) MB"
fi

echo
echo "asyncling checker speed, $N exercises, $(nproc) cores, $(rustc --version)"
printf '%s\n' "${report[@]}" | tee "$work/results.txt"
