#!/usr/bin/env bash
# Lays out a rustlings checkout as the community-course folder `rustlings init` makes (info.toml,
# Cargo.toml with every bin, exercises/, solutions/ at the root), then runs asyncling on it.
# usage: bench/rustlings-course.sh RUSTLINGS_CHECKOUT OUT_DIR [asyncling args...]
# e.g.   bench/rustlings-course.sh ~/src/rustlings target/rustlings-course verify --solutions
set -euo pipefail
src=$(cd "$1" && pwd); out=$2; shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"; mkdir -p "$out"
cp -r "$src/exercises" "$src/solutions" "$out/"
cp "$src/rustlings-macros/info.toml" "$out/info.toml"
# The bin list with paths from the course root instead of from dev/.
grep -v "^# Don't edit" "$src/dev/Cargo.toml" | sed 's#"\.\./#"#' > "$out/Cargo.toml"
echo "[workspace]" >> "$out/Cargo.toml"
(cd "$here" && cargo build -q --release -p asyncling)
cd "$out"
exec "$here/target/release/asyncling" "$@"
