#!/bin/sh
# The import graph between the modules of runtime-reference, and a check that it has no loop.
#
#   runtime-reference/imports.sh      prints "module -> modules it names as crate::..."
#
# Only code outside the `#[cfg(test)] mod tests` blocks counts (tests may use anything), and
# comments do not. Exits non-zero, naming the modules of a loop, if there is one.
set -eu
cd "$(dirname "$0")/src"
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in *.rs sync/*.rs; do
  [ "$f" = lib.rs ] && continue
  from=${f%%/*}
  from=${from%.rs}
  awk '/^#\[cfg\(test\)\]/ { held = $0; next }
       held && /^mod tests/ { exit }
       held { print held; held = "" }
       { print }' "$f" |
    grep -v '^[[:space:]]*//' | grep -oE 'crate::[a-z_]+' | sed 's/crate:://' | sort -u |
    while read -r to; do
      if [ "$to" != "$from" ]; then echo "$from $to"; fi
    done
done | sort -u >"$edges"
awk '{ out[$1] = out[$1] " " $2 } END { for (m in out) print m " ->" out[m] }' "$edges" | sort
if tsort "$edges" >/dev/null 2>&1; then
  echo "no loops"
else
  echo "import loop:" >&2
  tsort "$edges" 2>&1 >/dev/null | grep -v 'input contains a loop' | sed 's/^tsort: /  /' >&2
  exit 1
fi
