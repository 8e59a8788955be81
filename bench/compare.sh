#!/usr/bin/env bash
# Two iamd builds side by side in one run. For each round and each scenario, both builds start on
# fresh data directories and are measured one after the other (alternating which goes first), and
# beside req/s the server's own CPU time per request is printed (user + system from
# /proc/<pid>/stat over the wrk run): the figure that the machine's other load moves least.
#
#   bench/compare.sh BEFORE_BIN AFTER_BIN [DURATION_SECONDS] [CONNECTIONS] [SCENARIOS] [ROUNDS]
#   e.g. bench/compare.sh /tmp/base/iamd target/release/iamd 8 16 gsv,ar1 3
#
# Scenarios are bench/bench.py's, one wrk run each: gci, gsv, ar1 (AssumeRole alone).
# Needs wrk and python3 with boto3 (the bench venv of bench/run.sh, or $PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."
before="$1"; after="$2"
dur="${3:-8}"; conns="${4:-16}"; scenarios="${5:-gsv,ar1}"; rounds="${6:-3}"
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
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; return 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick_hz=$(getconf CLK_TCK)

one() { # LABEL BIN SCENARIO ROUND
  local label=$1 bin=$2 scen=$3 r=$4 port out t0 t1 rps
  port=$(free_port)
  "$bin" serve --dev --listen "127.0.0.1:$port" --data-dir "$tmp/$label-$scen-$r" >"$tmp/$label.log" 2>&1 &
  pid=$!
  wait_http "http://127.0.0.1:$port/_iamd/health"
  # bench.py prepares its users first (a few requests), then runs wrk once: the CPU of the
  # preparation is a few ms against seconds of load.
  t0=$(cpu_ticks "$pid")
  out=$($py bench/bench.py --iamd "http://127.0.0.1:$port/" --duration "$dur" --connections "$conns" --scenarios "$scen")
  t1=$(cpu_ticks "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  rps=$(echo "$out" | awk -F'|' '/\| iamd \|/ {gsub(/[ ,]/, "", $4); print $4; exit}')
  awk -v l="$label" -v s="$scen" -v r="$r" -v rps="$rps" -v d="$((t1 - t0))" -v hz="$tick_hz" -v dur="$dur" \
    'BEGIN { printf "| %s | %s | %s | %s | %.1f |\n", r, s, l, rps, (d / hz) * 1e6 / (rps * dur) }'
}

echo "before: $before"
echo "after:  $after"
echo "wrk -t2 -c$conns -d${dur}s, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| round | scenario | build | req/s | server CPU µs per request |"
echo "|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  for scen in ${scenarios//,/ }; do
    if [ $((r % 2)) -eq 1 ]; then
      one before "$before" "$scen" "$r"; one after "$after" "$scen" "$r"
    else
      one after "$after" "$scen" "$r"; one before "$before" "$scen" "$r"
    fi
  done
done
