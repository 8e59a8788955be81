#!/usr/bin/env bash
# Load benchmark: authenticated STS GetCallerIdentity against iamd and moto's server, side by side
# in one run on this machine, with wrk replaying a signed request.
#
#   bench/run.sh [DURATION_SECONDS] [CONNECTIONS]
#
# Needs: wrk (apt-get install wrk), python3. Builds iamd in release mode and a venv with
# moto[server] under bench/.venv. Prints a Markdown table for docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
dur="${1:-10}"
conns="${2:-16}"
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

run() { # name url service body target
  local name=$1 url=$2
  $py bench/signed_request.py "$url" "$3" "$4" "${5:-}" > "$tmp/$name.lua"
  wrk -t2 -c"$conns" -d"${dur}s" --latency -s "$tmp/$name.lua" "$url" > "$tmp/$name.out" 2>"$tmp/$name.err" || true
  if [ -s "$tmp/$name.err" ]; then echo "$name: $(head -c 300 "$tmp/$name.err")" >&2; fi
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/$name.out")
  p50=$(awk '$1=="50%" {print $2}' "$tmp/$name.out")
  p99=$(awk '$1=="99%" {print $2}' "$tmp/$name.out")
  printf '| %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99"
}

echo "GetCallerIdentity, wrk -t2 -c$conns -d${dur}s, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| server | req/s | p50 | p99 |"
echo "|---|---|---|---|"
body="Action=GetCallerIdentity&Version=2011-06-15"
run iamd "http://127.0.0.1:$iamd_port/" sts "$body"
run moto "http://127.0.0.1:$moto_port/" sts "$body"
