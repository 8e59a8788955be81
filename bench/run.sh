#!/usr/bin/env bash
# Load benchmarks of iamd beside moto's server in one run on this machine (see bench/bench.py).
#
#   bench/run.sh [DURATION_SECONDS] [CONNECTIONS] [SCENARIOS]     e.g. bench/run.sh 10 16 gci,gsv
#
# Needs wrk (apt-get install wrk) and python3. Builds iamd in release mode and a venv with
# moto[server] and boto3 under bench/.venv. Prints a Markdown table for docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
dur="${1:-10}"
conns="${2:-16}"
scenarios="${3:-gci,gsv,ar,list,cu}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }

cargo build --release -p iamd --locked >&2
if [ ! -x bench/.venv/bin/moto_server ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==5.2.5" "boto3==1.44.5" >&2
fi
py=bench/.venv/bin/python

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; return 1; }

iamd_port=$(free_port)
target/release/iamd serve --dev --listen "127.0.0.1:$iamd_port" --data-dir "$tmp/iamd" >"$tmp/iamd.log" 2>&1 &
pids+=($!)
moto_port=$(free_port)
bench/.venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >"$tmp/moto.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$iamd_port/_iamd/health"
wait_http "http://127.0.0.1:$moto_port/moto-api/"

$py bench/bench.py --iamd "http://127.0.0.1:$iamd_port/" --moto "http://127.0.0.1:$moto_port/" \
  --duration "$dur" --connections "$conns" --scenarios "$scenarios"
