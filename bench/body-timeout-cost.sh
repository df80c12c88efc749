#!/usr/bin/env bash
# What `--body-timeout` costs a 512-byte POST: CPU time per request of mgr's process tree (one
# worker, pinned to CPU 1; wrk pinned to CPU 0), with the bound off and on, on each runtime.
#
# Usage: bench/body-timeout-cost.sh [ROUNDS]   (after `npm run build`; needs wrk and 2 CPUs)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
port=${PORT:-18090}
lua=$(mktemp --suffix .lua)
trap 'rm -f "$lua"' EXIT
printf 'wrk.method = "POST"\nwrk.body = string.rep("x", 512)\nwrk.headers["Content-Type"] = "text/plain"\n' > "$lua"
ticks_per_s=$(getconf CLK_TCK)

# Clock ticks of user and system time of process $1 and its children.
tree_ticks() {
  local total=0 pid fields
  for pid in $(ps -o pid= --ppid "$1") "$1"; do
    read -r -a fields < <(cut -d' ' -f14,15 "/proc/$pid/stat")
    total=$((total + fields[0] + fields[1]))
  done
  echo "$total"
}

measure() {
  local runtime=$1 timeout=$2 command pid before after requests
  case $runtime in
    node) command=(node dist/src/cli/bin.js) ;;
    bun) command=(node_modules/.bin/bun dist/src/cli/bin.js) ;;
    deno) command=(node_modules/.bin/deno run -A mgr.ts) ;;
  esac
  taskset -c 1 "${command[@]}" bench/apps/post-echo.ts -w 1 -b "127.0.0.1:$port" --body-timeout "$timeout" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 150); do curl -s -XPOST -d x "127.0.0.1:$port/" | grep -q got && break; sleep 0.2; done
  taskset -c 0 wrk -t1 -c20 -d1s -s "$lua" "http://127.0.0.1:$port/" >/dev/null
  before=$(tree_ticks "$pid")
  requests=$(taskset -c 0 wrk -t1 -c20 -d5s -s "$lua" "http://127.0.0.1:$port/" | awk '/requests in/ { print $1 }')
  after=$(tree_ticks "$pid")
  kill -TERM "$pid"
  wait "$pid" || true
  printf '%-5s --body-timeout %-3s %9s requests  %6.2f µs CPU per request\n' "$runtime" "$timeout" "$requests" \
    "$(echo "($after - $before) * 1000000 / $ticks_per_s / $requests" | bc -l)"
}

for ((round = 1; round <= rounds; round++)); do
  for runtime in node bun deno; do
    measure "$runtime" 0
    measure "$runtime" 30
  done
done
