#!/usr/bin/env bash
# Foundation benchmark: requests/s of DescribeAccountAttributes and CreateConfigurationSet on one Pigeon
# process (SQLite), side by side with the bare ASGI endpoint on the same stack; start-to-healthy time;
# idle RSS. Needs wrk (Debian package). Usage: bench/run.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
command -v wrk >/dev/null || { sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo; $sudo_cmd apt-get install -y -qq wrk >/dev/null; }
duration=${1:-10}
py=.venv/bin/python
data=$(mktemp -d)
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cleanup() { kill $pigeon_pid $bare_pid 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

pigeon_port=$(free_port); bare_port=$(free_port)
# CreateConfigurationSet creates one set per request: lift the account's quota so every call succeeds.
printf 'quotas:\n  CONFIGURATION_SETS: 1000000000\n' > "$data/bench.yaml"
export PIGEON_CONFIG="$data/bench.yaml"
start=$($py -c 'import time; print(time.time())')
$py -m pigeon serve --port "$pigeon_port" --data-dir "$data" --log-level warning 2>>"$data/server.log" & pigeon_pid=$!
until curl -sf "http://127.0.0.1:$pigeon_port/_pigeon/health" >/dev/null; do sleep 0.01; done
healthy=$($py -c "import time; print(round(time.time() - $start, 3))")
first_start=$healthy
# A second start on the now-migrated store is what operators see on every restart.
kill $pigeon_pid; wait $pigeon_pid 2>/dev/null || true
start=$($py -c 'import time; print(time.time())')
$py -m pigeon serve --port "$pigeon_port" --data-dir "$data" --log-level warning 2>>"$data/server.log" & pigeon_pid=$!
until curl -sf "http://127.0.0.1:$pigeon_port/_pigeon/health" >/dev/null; do sleep 0.01; done
healthy=$($py -c "import time; print(round(time.time() - $start, 3))")
sleep 1
rss_mb=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$pigeon_pid/status)
$py bench/bare_asgi.py "$bare_port" & bare_pid=$!
until curl -sf -X POST -d '{}' "http://127.0.0.1:$bare_port/" >/dev/null; do sleep 0.01; done

run() {  # run NAME PORT OPERATION -> prints requests/s
  PIGEON_OPERATION=$3 wrk -t1 -c16 -d"${duration}s" -s bench/request.lua "http://127.0.0.1:$2/" 2>/tmp/wrk-errors.txt \
    | awk '/Requests\/sec/ {print $2}'
}
# warm-up
PIGEON_OPERATION=DescribeAccountAttributes wrk -t1 -c4 -d2s -s bench/request.lua "http://127.0.0.1:$pigeon_port/" >/dev/null 2>&1
# Three alternating rounds; the medians are reported (this machine's other load makes single runs noisy).
bares=(); describes=()
for round in 1 2 3; do
  bares+=("$(run bare "$bare_port" DescribeAccountAttributes)")
  describes+=("$(run pigeon "$pigeon_port" DescribeAccountAttributes)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
bare=$(median "${bares[@]}"); describe=$(median "${describes[@]}")
create=$(run pigeon "$pigeon_port" CreateConfigurationSet)
errors=$(grep -c unexpected /tmp/wrk-errors.txt || true)
rss_after_mb=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$pigeon_pid/status)
pct() { $py -c "print(round(100 * $1 / $2, 1))"; }
cat <<REPORT
date:                         $(date -u +%Y-%m-%dT%H:%MZ)   cores: $(nproc)   wrk: 1 thread, 16 connections, ${duration}s
bare ASGI endpoint:           $bare req/s (median of ${bares[*]})
DescribeAccountAttributes:    $describe req/s ($(pct "$describe" "$bare") % of bare; median of ${describes[*]})
CreateConfigurationSet:       $create req/s ($(pct "$create" "$bare") % of bare; SQLite, one commit per request)
start to healthy:             ${first_start}s (first start, runs migrations) / ${healthy}s (restart)
idle RSS:                     ${rss_mb} MB (after the runs: ${rss_after_mb} MB)
non-200 answers during the runs: ${errors}
REPORT
