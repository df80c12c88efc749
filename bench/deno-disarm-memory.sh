#!/usr/bin/env bash
# What adapters/deno/disarm-debug-signal.ts costs each Deno process in memory and threads, part by part:
# N processes at once that do nothing, call the C library once through FFI (how the disarm hides Deno's
# announcement), open an inspector on 127.255.255.255 (the disarm itself), or both, as the disarm does.
# Prints, per part, the medians over every process of every round: RSS, PSS (shared pages divided
# among the processes that map them) and private memory, in kB, and threads.
#
# Usage: bench/deno-disarm-memory.sh [PROCESSES] [ROUNDS]   (Linux, glibc)
set -euo pipefail
cd "$(dirname "$0")/.."
processes=${1:-4}
rounds=${2:-5}
deno=node_modules/.bin/deno
work=$(mktemp -d)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"' EXIT

cat > "$work/probe.ts" <<'EOF'
import inspector from "node:inspector";
const part = Deno.args[0];
if (part === "ffi" || part === "both") {
  Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } }).symbols.getpid();
}
if (part === "inspector" || part === "both") inspector.open(0, "127.255.255.255");
Deno.writeTextFileSync(Deno.args[1], "ready");
setInterval(() => {}, 60_000);
EOF

# "RSS PSS private threads" of process $1.
sample() {
  awk '/^Rss:/ { rss = $2 } /^Pss:/ { pss = $2 } /^Private_(Clean|Dirty):/ { own += $2 } END { printf "%s %s %s ", rss, pss, own }' "/proc/$1/smaps_rollup"
  awk '/^Threads:/ { print $2 }' "/proc/$1/status"
}

median() {
  sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

for part in none ffi inspector both; do
  : > "$work/$part.txt"
done
for round in $(seq "$rounds"); do
  for part in none ffi inspector both; do
    pids=()
    for i in $(seq "$processes"); do
      "$deno" run -A "$work/probe.ts" "$part" "$work/ready.$i" >/dev/null 2>&1 &
      pids+=($!)
    done
    for i in $(seq "$processes"); do
      for _ in $(seq 300); do [ -s "$work/ready.$i" ] && break; sleep 0.05; done
    done
    sleep 1 # past the start's own allocations settling
    for pid in "${pids[@]}"; do sample "$pid" >> "$work/$part.txt"; done
    for pid in "${pids[@]}"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done
    rm -f "$work"/ready.*
  done
  echo "round $round of $rounds done" >&2
done

printf '%-10s %8s %8s %8s %8s\n' part RSS PSS private threads
for part in none ffi inspector both; do
  printf '%-10s' "$part"
  for column in 1 2 3 4; do printf ' %8s' "$(cut -d' ' -f"$column" "$work/$part.txt" | median)"; done
  echo
done
