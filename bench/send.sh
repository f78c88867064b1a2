#!/usr/bin/env bash
# Sending benchmark: durable SendTextMessage accepted per second on one Pigeon process (SQLite), side by side
# with the bare ASGI endpoint; then accepted -> final event per second (the dispatcher and the simulator
# draining what was accepted); the latency at half the measured load; and the server's RSS as the total
# grows to PIGEON_BENCH_MESSAGES (default 100000; 0 skips). Needs wrk.
# Beside them, the floors of the stack (bench/README.md, "Session 6"): the bare endpoint plus only a durable
# SQLite insert (bench/durable_floor.py), Pigeon's SendTextMessage as a DryRun (every check, no write), and
# the CPU of the store writes of one delivery (bench/dispatch_floor.py).
# Usage: bench/send.sh [seconds per run, default 10]
# PIGEON_BENCH_CONNECTIONS=N: wrk's connections to both endpoints (default 16).
# PIGEON_CPU_AFFINITY=none|N: Pigeon's processes unpinned / on CPU N (default auto: one free CPU each).
# PIGEON_DATABASE_URL=postgresql://... runs it on PostgreSQL; PIGEON_BENCH_POSTGRES=1 on a throwaway cluster
# (bench/postgres.py: Debian's postgresql, default durability) that the script starts and removes.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null && [ -x /usr/bin/time ] || { echo "wrk and time are needed (apt-get install wrk time)"; exit 1; }
duration=${1:-10}
connections=${PIGEON_BENCH_CONNECTIONS:-16}  # wrk connections, for both endpoints
py=.venv/bin/python
data=$(mktemp -d)
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
worker_pid=""; postgres_pid=""
cleanup() { kill $pigeon_pid $bare_pid $worker_pid $postgres_pid 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
if [ "${PIGEON_BENCH_POSTGRES:-0}" = 1 ]; then
  mkfifo "$data/postgres-url"
  $py bench/postgres.py > "$data/postgres-url" & postgres_pid=$!
  read -r PIGEON_DATABASE_URL < "$data/postgres-url"
  export PIGEON_DATABASE_URL
fi
pigeon_port=$(free_port); bare_port=$(free_port)
# PIGEON_BENCH_WORKER=1: the dispatcher runs in a separate `pigeon worker` process instead of inside serve.
in_serve=true; [ "${PIGEON_BENCH_WORKER:-0}" = 1 ] && in_serve=false
printf "mps:\n  SIMULATOR: 1000000\ndispatcher: %s\n" "${PIGEON_BENCH_DISPATCHER:-$in_serve}" > "$data/bench.yaml"
PIGEON_CONFIG="$data/bench.yaml" $py -m pigeon serve --port "$pigeon_port" --data-dir "$data" --log-level warning \
  2>>"$data/server.log" & pigeon_pid=$!
$py bench/bare_asgi.py "$bare_port" & bare_pid=$!
until curl -sf "http://127.0.0.1:$pigeon_port/_pigeon/health" >/dev/null; do sleep 0.05; done
until curl -sf -X POST -d '{}' "http://127.0.0.1:$bare_port/" >/dev/null; do sleep 0.05; done
origination=$($py - "$pigeon_port" <<'PY'
import sys, boto3
client = boto3.client("pinpoint-sms-voice-v2", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                      aws_access_key_id="123456789012", aws_secret_access_key="x")
print(client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
                                  NumberType="SIMULATOR")["PhoneNumberId"])
PY
)
export PIGEON_ORIGINATION=$origination
send_wrk() { PIGEON_OPERATION=SendTextMessage wrk "$@"; }
if [ "${PIGEON_BENCH_WORKER:-0}" = 1 ]; then
  PIGEON_CONFIG="$data/bench.yaml" $py -m pigeon worker --data-dir "$data" --log-level warning 2>>"$data/worker.log" &
  worker_pid=$!
fi
counts() { $py - "${PIGEON_DATABASE_URL:-sqlite:///$data/pigeon.db}" <<'PY'
import sys
from pigeon.store.engine import create_engine
with create_engine(sys.argv[1]).connect() as db:
    print(db.exec_driver_sql("select count(*) from messages").scalar(),
          db.exec_driver_sql("select count(*) from events where is_final").scalar())
PY
}
bare=$(wrk -t1 -c$connections -d"${duration}s" -s bench/request.lua "http://127.0.0.1:$bare_port/" | awk '/Requests\/sec/ {print $2}')
# The same bare endpoint on Pigeon's own HTTP protocol (one write per response), for comparison.
kill $bare_pid; wait $bare_pid 2>/dev/null || true
$py bench/bare_asgi.py "$bare_port" coalescing & bare_pid=$!
until curl -sf -X POST -d '{}' "http://127.0.0.1:$bare_port/" >/dev/null; do sleep 0.05; done
bare_coalescing=$(wrk -t1 -c$connections -d"${duration}s" -s bench/request.lua "http://127.0.0.1:$bare_port/" | awk '/Requests\/sec/ {print $2}')
kill $bare_pid; wait $bare_pid 2>/dev/null || true
# The floor of durability on this stack: the bare endpoint plus one outbox-shaped row per request, group-committed
# to SQLite by a thread, pinned to one CPU (bench/durable_floor.py); none of Pigeon's logic.
$py bench/durable_floor.py "$bare_port" "$data/floor.db" & bare_pid=$!
until curl -sf -X POST -d '{}' "http://127.0.0.1:$bare_port/" >/dev/null; do sleep 0.05; done
floor=$(send_wrk -t1 -c$connections -d"${duration}s" -s bench/request.lua "http://127.0.0.1:$bare_port/" | awk '/Requests\/sec/ {print $2}')
kill $bare_pid; wait $bare_pid 2>/dev/null || true; bare_pid=""
# ... and of delivery: the store writes of one simulated delivery per message, CPU µs (bench/dispatch_floor.py).
dispatch_floor=$($py bench/dispatch_floor.py "$data/floor.db")
cpu_ticks() { [ -n "$1" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }  # user + system, 1/100 s
server_ticks=$(cpu_ticks $pigeon_pid); worker_ticks=$(cpu_ticks "$worker_pid")
start=$($py -c 'import time; print(time.time())')
# wrk under time(1): its own CPU per request, which a real client would spend elsewhere.
/usr/bin/time -f "%U %S" -o "$data/wrk-cpu.txt" env PIGEON_OPERATION=SendTextMessage \
  wrk -t1 -c$connections -d"${duration}s" --latency -s bench/request.lua "http://127.0.0.1:$pigeon_port/" 2>/tmp/wrk-send-errors.txt \
  > "$data/wrk.txt"
send=$(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt")
server_cpu=$(( ($(cpu_ticks $pigeon_pid) - server_ticks) / duration )); worker_cpu=$(( ($(cpu_ticks "$worker_pid") - worker_ticks) / duration ))
p99=$(awk '/ 99%/ {print $2}' "$data/wrk.txt")
read -r accepted finals < <(counts)
at_end_of_load=$finals
at_full=$accepted
while [ "$finals" -lt "$accepted" ]; do sleep 0.2; read -r accepted finals < <(counts); done
drained=$($py -c "import time; print(round(time.time() - $start, 2))")
wrk_cpu=$($py -c "u, s = open('$data/wrk-cpu.txt').read().split()[-2:]; print(round(100 * (float(u) + float(s)) / $duration))")
# Pigeon's request path without its write: SendTextMessage with DryRun (every admission rule, no row).
dry_run=$(PIGEON_DRY_RUN=1 send_wrk -t1 -c$connections -d"${duration}s" -s bench/request.lua "http://127.0.0.1:$pigeon_port/" \
  2>>/tmp/wrk-send-errors.txt | awk '/Requests\/sec/ {print $2}')
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$pigeon_pid/status; }
rss_mb=$(rss)
allowed() { awk '/Cpus_allowed_list/ {print $2}' "/proc/$1/status"; }
pct() { $py -c "print(round(100 * $1 / $2, 1))"; }
# Half load: each of the connections pauses so that together they offer half the rate measured above.
# A 3-second calibration run measures what a request takes at about that rate; the pause is the rest of
# each connection's cycle.
cycle_ms=$($py -c "print($connections * 1000 / ($send / 2))")
pause_ms=$($py -c "print(round(max(0.5, $cycle_ms - 1.5), 2))")
calibration=$(PIGEON_DELAY_MS=$pause_ms send_wrk -t1 -c$connections -d3s -s bench/request.lua "http://127.0.0.1:$pigeon_port/" \
  2>>/tmp/wrk-send-errors.txt | awk '/Requests\/sec/ {print $2}')
pause_ms=$($py -c "print(round(max(0.5, $cycle_ms - ($connections * 1000 / $calibration - $pause_ms)), 2))")
PIGEON_DELAY_MS=$pause_ms send_wrk -t1 -c$connections -d"${duration}s" --latency -s bench/request.lua "http://127.0.0.1:$pigeon_port/" \
  2>>/tmp/wrk-send-errors.txt > "$data/wrk-half.txt"
half=$(awk '/Requests\/sec/ {print $2}' "$data/wrk-half.txt")
half_p50=$(awk '/ 50%/ {print $2}' "$data/wrk-half.txt"); half_p99=$(awk '/ 99%/ {print $2}' "$data/wrk-half.txt")
# Memory: keep sending at full load until PIGEON_BENCH_MESSAGES messages were accepted in all.
goal=${PIGEON_BENCH_MESSAGES:-100000}
memory="RSS ${rss_mb} MB at $accepted messages"
read -r accepted finals < <(counts)
while [ "$goal" -gt 0 ] && [ "$accepted" -lt "$goal" ]; do
  send_wrk -t1 -c$connections -d10s -s bench/request.lua "http://127.0.0.1:$pigeon_port/" >/dev/null 2>>/tmp/wrk-send-errors.txt
  read -r accepted finals < <(counts)
  memory="$memory, $(rss) MB at $accepted"
done
cat <<REPORT
date:                     $(date -u +%Y-%m-%dT%H:%MZ)   cores: $(nproc)   wrk: 1 thread, $connections connections, ${duration}s
bare ASGI endpoint:       $bare req/s (on Pigeon's one-write protocol: $bare_coalescing req/s)
SendTextMessage:          $send req/s ($(pct "$send" "$bare") % of bare), p99 $p99 (at full load)
floors (same run):        durable floor $floor req/s ($(pct "$floor" "$bare") % of bare: one group-committed SQLite row, no Pigeon logic);
                          DryRun $dry_run req/s ($(pct "$dry_run" "$bare") %: Pigeon's checks, no row); delivery writes $dispatch_floor µs CPU per message
CPU at full load:         wrk ${wrk_cpu} %, serve ${server_cpu} %$([ -n "$worker_pid" ] && echo ", worker ${worker_cpu} %") (of one core)
CPUs allowed:             serve $(allowed $pigeon_pid)$([ -n "$worker_pid" ] && echo ", worker $(allowed $worker_pid)") (cpu_affinity ${PIGEON_CPU_AFFINITY:-auto}; wrk and the bare endpoint unpinned)
accepted:                 $at_full messages; final events when the load stopped: $at_end_of_load
accepted -> final:        all final after ${drained}s ($($py -c "print(round($at_full / $drained))") per second overall)
half load:                $half req/s offered (aim: $($py -c "print(round($send / 2))")) by $connections connections pausing ${pause_ms} ms on average: p50 $half_p50, p99 $half_p99
memory:                   $memory
non-200 answers:          $(grep -c unexpected /tmp/wrk-send-errors.txt || true)
REPORT
