#!/usr/bin/env bash
# Several Pigeon processes on one machine, without compose: N `pigeon serve` (each on its own port, with
# `dispatcher: false`) and M `pigeon worker` processes, all on one PostgreSQL database. Without
# --database-url a throwaway PostgreSQL cluster (Debian's postgresql package, default durability) is started
# in a temporary directory and removed at the end. Prints the endpoints, then runs until Ctrl-C or SIGTERM,
# which stops every process it started. No load balancer: clients spread over the ports, or put yours in front.
#
# Usage: scripts/cluster.sh [--api N] [--workers M] [--database-url URL] [--host HOST] [--data-dir DIR]
#                           [--config FILE] [--log-level LEVEL] [-- more `pigeon serve` flags]
#   --api N            API processes (default 2), on free ports (or --port-base P: P, P+1, ...)
#   --workers M        `pigeon worker` processes (default 2; 0 leaves delivery to nobody)
#   --database-url URL PostgreSQL to share (default: a throwaway cluster)
#   --data-dir DIR     the processes' shared data dir (media, voice audio, logs; default: a temporary one)
#   --config FILE      a settings file given to every process (`dispatcher: false` is forced on the API ones)
set -euo pipefail
cd "$(dirname "$0")/.."
api=2; workers=2; database_url=""; host=127.0.0.1; data_dir=""; config=""; log_level=info; port_base=""
serve_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --api) api=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --database-url) database_url=$2; shift 2 ;;
    --host) host=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --log-level) log_level=$2; shift 2 ;;
    --port-base) port_base=$2; shift 2 ;;
    --) shift; serve_args=("$@"); break ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "cluster.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$api" -ge 1 ] 2>/dev/null || { echo "cluster.sh: --api needs a number >= 1" >&2; exit 2; }
[ "$workers" -ge 0 ] 2>/dev/null || { echo "cluster.sh: --workers needs a number >= 0" >&2; exit 2; }
[ -x .venv/bin/python ] || scripts/setup.sh
py=.venv/bin/python
temporary=$(mktemp -d -t pigeon-cluster-XXXXXX)
data_dir=${data_dir:-$temporary/data}
mkdir -p "$data_dir"
pids=(); postgres_pid=""
stop_all() {
  trap - INT TERM EXIT
  [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null || true
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$postgres_pid" ]; then kill -TERM "$postgres_pid" 2>/dev/null || true; wait "$postgres_pid" 2>/dev/null || true; fi
  rm -rf "$temporary"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT
if [ -z "$database_url" ]; then
  mkfifo "$temporary/postgres-url"
  $py bench/postgres.py > "$temporary/postgres-url" & postgres_pid=$!
  read -r database_url < "$temporary/postgres-url" || true
  [ -n "$database_url" ] || { echo "cluster.sh: the throwaway PostgreSQL did not start (bench/postgres.py)" >&2; exit 1; }
fi
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
common=(--data-dir "$data_dir" --database-url "$database_url" --log-level "$log_level")
[ -n "$config" ] && common+=(--config "$config")
endpoints=()
for n in $(seq 1 "$api"); do
  if [ -n "$port_base" ]; then port=$((port_base + n - 1)); else port=$(free_port); fi
  PIGEON_DISPATCHER=false $py -m pigeon serve --host "$host" --port "$port" "${common[@]}" "${serve_args[@]}" \
    >>"$data_dir/api-$n.log" 2>&1 &
  pids+=($!)
  endpoints+=("http://$host:$port")
  if [ "$n" = 1 ]; then  # the first one runs the migrations; the others then find the schema current
    until curl -sf "http://$host:$port/_pigeon/health" >/dev/null; do
      kill -0 "${pids[0]}" 2>/dev/null || { echo "api 1 exited:" >&2; tail -20 "$data_dir/api-1.log" >&2; exit 1; }
      sleep 0.1
    done
  fi
done
for n in $(seq 1 "$workers"); do
  $py -m pigeon worker "${common[@]}" >>"$data_dir/worker-$n.log" 2>&1 &
  pids+=($!)
done
for n in $(seq 1 "$api"); do
  until curl -sf "${endpoints[$((n - 1))]}/_pigeon/health" >/dev/null; do
    kill -0 "${pids[$((n - 1))]}" 2>/dev/null || { echo "api $n exited: see $data_dir/api-$n.log" >&2; exit 1; }
    sleep 0.1
  done
done
sleep 0.5
for n in $(seq 1 "$workers"); do
  kill -0 "${pids[$((api + n - 1))]}" 2>/dev/null || { echo "worker $n exited: see $data_dir/worker-$n.log" >&2; exit 1; }
done
echo "database: $database_url"
for n in $(seq 1 "$api"); do echo "api $n:    ${endpoints[$((n - 1))]}   (pid ${pids[$((n - 1))]}, log $data_dir/api-$n.log)"; done
for n in $(seq 1 "$workers"); do echo "worker $n: pid ${pids[$((api + n - 1))]}   (log $data_dir/worker-$n.log)"; done
echo "ready: spread clients over the endpoints above (no load balancer is started). Ctrl-C stops everything."
# Run until a signal. A process that ends is reported once; the others keep running (a killed worker's claims
# are taken by the remaining workers when their lease runs out).
reported=" "
while true; do
  for pid in "${pids[@]}"; do
    if [[ "$reported" != *" $pid "* ]] && ! kill -0 "$pid" 2>/dev/null; then
      echo "cluster.sh: process $pid ended (see its log); the others keep running" >&2
      reported="$reported$pid "
    fi
  done
  sleep 1 & wait $! || true
done
