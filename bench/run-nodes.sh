#!/usr/bin/env bash
# iamd on PostgreSQL: GetSecretValue and AssumeRole through one node and through two nodes over one
# database, beside one node on SQLite, in one run on this machine.
#
#   bench/run-nodes.sh [DURATION_SECONDS] [CONNECTIONS]
#
# Needs wrk and a PostgreSQL server; IAMD_BENCH_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/test). Every node binds 127.0.0.1 on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."
dur="${1:-10}"
conns="${2:-16}"
pg="${IAMD_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
cargo build --release -p iamd --locked >&2
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==5.2.5" "boto3==1.44.5" >&2
fi
py=bench/.venv/bin/python
tmp=$(mktemp -d)
schema="bench_$(date +%s)"
cleanup() {
  # start() runs in a command substitution (a subshell), so pids are kept in a file.
  for p in $(cat "$tmp/pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg" -q -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; return 1; }
head -c 32 /dev/urandom > "$tmp/master.key"
start() { # name store-args...
  local name=$1; shift
  local port; port=$(free_port)
  target/release/iamd serve --dev --listen "127.0.0.1:$port" --data-dir "$tmp/$name" \
    --master-key-file "$tmp/master.key" "$@" >"$tmp/$name.log" 2>&1 &
  echo $! >> "$tmp/pids"
  wait_http "http://127.0.0.1:$port/_iamd/health"
  echo "http://127.0.0.1:$port/"
}
sqlite=$(start sqlite)
$py bench/nodes.py --node "$sqlite" --duration "$dur" --connections "$conns" --label sqlite
sep='?'; case "$pg" in *\?*) sep='&';; esac
a=$(start pg-a --store "$pg${sep}schema=$schema")
b=$(start pg-b --store "$pg${sep}schema=$schema")
$py bench/nodes.py --node "$a" --node "$b" --duration "$dur" --connections "$conns" --label postgres | tail -n +3
