#!/usr/bin/env bash
# Two iamd builds side by side in one run: each round starts both on fresh data directories and
# measures the same scenarios on each, alternating which goes first (see bench/bench.py).
#
#   bench/compare.sh BEFORE_BIN AFTER_BIN [DURATION_SECONDS] [CONNECTIONS] [SCENARIOS] [ROUNDS]
#   e.g. bench/compare.sh /tmp/base/iamd target/release/iamd 8 16 gsv,ar 3
#
# Needs wrk and python3 with boto3 (the bench venv of bench/run.sh, or $PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."
before="$1"; after="$2"
dur="${3:-8}"; conns="${4:-16}"; scenarios="${5:-gsv,ar}"; rounds="${6:-3}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
py="${PYTHON:-}"
if [ -z "$py" ]; then
  if [ ! -x bench/.venv/bin/python ]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==5.2.5" "boto3==1.44.5" >&2
  fi
  py=bench/.venv/bin/python
fi

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; return 1; }

echo "before: $before ($("$before" --version 2>/dev/null || echo '?'))"
echo "after:  $after ($("$after" --version 2>/dev/null || echo '?'))"
for r in $(seq 1 "$rounds"); do
  pb=$(free_port); pa=$(free_port)
  "$before" serve --dev --listen "127.0.0.1:$pb" --data-dir "$tmp/b$r" >"$tmp/b$r.log" 2>&1 & pids+=($!)
  "$after" serve --dev --listen "127.0.0.1:$pa" --data-dir "$tmp/a$r" >"$tmp/a$r.log" 2>&1 & pids+=($!)
  wait_http "http://127.0.0.1:$pb/_iamd/health"; wait_http "http://127.0.0.1:$pa/_iamd/health"
  first=(); [ $((r % 2)) -eq 1 ] && first=(--before-first)
  echo; echo "round $r (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  $py bench/bench.py --iamd "http://127.0.0.1:$pa/" --before "http://127.0.0.1:$pb/" "${first[@]}" \
    --duration "$dur" --connections "$conns" --scenarios "$scenarios"
  kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()
done
