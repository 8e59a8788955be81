#!/usr/bin/env bash
# GetSecretValue over plain HTTP and over TLS (the network edge, issue #11), iamd alone.
#
#   bench/edge.sh [DURATION_SECONDS] [CONNECTIONS] [ROUNDS]        e.g. bench/edge.sh 8 16 3
#
# Each round runs, one after the other on fresh servers: plain HTTP with this build, TLS with
# this build, and — if IAMD_BENCH_BASELINE names another iamd binary (e.g. a release build of an
# earlier commit) — plain HTTP with that binary, so that alternating runs separate a change from
# the machine's mood. Needs wrk (apt-get install wrk), openssl and python3 (bench/.venv, as
# bench/run.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
dur="${1:-8}"
conns="${2:-16}"
rounds="${3:-3}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }

cargo build --release -p iamd --locked >&2
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet --disable-pip-version-check "boto3==1.44.5" >&2
fi
py=bench/.venv/bin/python

tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

# A throwaway CA and a certificate for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/ca.key" \
  -out "$tmp/ca.pem" -days 1 -subj /CN=bench-ca -addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/tls.key" \
  -out "$tmp/tls.csr" -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$tmp/ext"
openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -set_serial 1 \
  -out "$tmp/tls.pem" -days 1 -extfile "$tmp/ext" 2>/dev/null

# user + system clock ticks of a process so far
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run LABEL BINARY SCHEME [serve args…]
run() {
  local label=$1 bin=$2 scheme=$3; shift 3
  local port; port=$(free_port)
  rm -rf "$tmp/data"
  "$bin" serve --dev --listen "127.0.0.1:$port" --data-dir "$tmp/data" "$@" >"$tmp/iamd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do curl -s -o /dev/null --cacert "$tmp/ca.pem" "$scheme://127.0.0.1:$port/_iamd/health" && break; sleep 0.05; done
  local before; before=$(cpu_ticks "$pid")
  local row; row=$(AWS_CA_BUNDLE="$tmp/ca.pem" $py bench/bench.py --iamd "$scheme://127.0.0.1:$port/" \
    --duration "$dur" --connections "$conns" --scenarios gsv | tail -1)
  local after; after=$(cpu_ticks "$pid")
  # req/s is the third column of bench.py's row; the server's user+system CPU per request is the
  # figure that the machine's other load moves least.
  local rps; rps=$(echo "$row" | awk -F'|' '{gsub(/[ ,]/,"",$4); print $4}')
  printf '%s: %s server CPU %s µs/request\n' "$label" "$row" \
    "$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v r="$rps" -v d="$dur" 'BEGIN { printf "%.1f", t / hz / (r * d) * 1e6 }')"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

for r in $(seq 1 "$rounds"); do
  echo "round $r ($(cut -d' ' -f1 /proc/loadavg) load)"
  if [ -n "${IAMD_BENCH_BASELINE:-}" ]; then
    run "baseline HTTP" "$IAMD_BENCH_BASELINE" http
  fi
  run "this build HTTP" target/release/iamd http
  run "this build TLS " target/release/iamd https --tls-cert "$tmp/tls.pem" --tls-key "$tmp/tls.key"
done
