#!/usr/bin/env bash
# Redis Streams as a peer of sluiced (perf/peers/README.md): the same records,
# XADD into one stream by a pipelined client, Redis' AOF at appendfsync
# everysec. Starts its own redis-server (Debian's) on a free 127.0.0.1 port with
# a fresh scratch directory, never touching any other Redis; loads it with
# $BUILD_DIR/perf/redis_load; counts what the stream holds (XLEN) after the last
# reply; then, unless --no-reload, kills the server (SIGKILL, by pid) and starts
# it again on the same directory so that XLEN counts what the AOF really held;
# stops the server by pid and removes the directory.
#
#   perf/peers/redis.sh --records N --size S [--keys K] [--pipeline P]
#                       [--clients C] [--dir D] [--no-reload] [--seconds T]
#
# Prints human lines and one final "RESULT tool=redis ..." line; exits non-zero
# with a message on any error.
set -euo pipefail

PEERS_NAME=redis.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=perf/peers/lib.sh
. "$here/lib.sh"

usage() {
	cat <<EOF
usage: perf/peers/redis.sh --records N --size S [options]
  --records N     records to XADD (k/m = 10^3/10^6)
  --size S        data bytes per record
  --keys K        distinct partition keys, field k (1024)
  --pipeline P    commands in flight per connection (64)
  --clients C     client connections, one thread each (1)
  --dir D         scratch parent directory (/var/tmp); a fresh mktemp dir inside
  --seconds T     stop loading after T seconds (300)
  --no-reload     skip the restart that counts what the AOF holds
Environment: BUILD_DIR (build) holds perf/redis_load.
EOF
}

records='' size='' keys=1024 pipeline=64 clients=1 dir=/var/tmp seconds=300 reload=1
while [ $# -gt 0 ]; do
	case "$1" in
	--records) records=${2:?--records needs a value}; shift 2 ;;
	--size) size=${2:?--size needs a value}; shift 2 ;;
	--keys) keys=${2:?--keys needs a value}; shift 2 ;;
	--pipeline) pipeline=${2:?--pipeline needs a value}; shift 2 ;;
	--clients) clients=${2:?--clients needs a value}; shift 2 ;;
	--dir) dir=${2:?--dir needs a value}; shift 2 ;;
	--seconds) seconds=${2:?--seconds needs a value}; shift 2 ;;
	--no-reload) reload=0; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; peers_die "unknown option '$1'" ;;
	esac
done
if [ -z "$records" ] || [ -z "$size" ]; then
	usage >&2
	peers_die "--records and --size are required"
fi
[ -d "$dir" ] || peers_die "--dir $dir: no such directory"

load=$(peers_build_path "$root" perf/redis_load)
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	peers_die "redis-server/redis-cli not found: deploy/install-deps.sh --perf installs Debian's redis-server"
fi
[ -x "$load" ] || peers_die "$load not built: it needs libhiredis-dev (deploy/install-deps.sh --perf), then ninja -C ${BUILD_DIR:-build}"

scratch=$(mktemp -d "$dir/peer-redis.XXXXXX")
pid=
stop_server() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	pid=
}
cleanup() {
	stop_server
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Start redis-server on $port in $scratch and wait until it answers PING
# (after loading its AOF, when there is one): up to $1 seconds.
start_server() {
	local limit=$1 reply
	redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes \
		--dir "$scratch" --appendonly yes --appendfsync everysec --save '' \
		--daemonize no --logfile "$scratch/redis.log" --loglevel notice \
		>/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 $((limit * 10))); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || true
			pid=
			return 1
		fi
		reply=$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null || true)
		[ "$reply" = PONG ] && return 0
		sleep 0.1
	done
	return 2
}

started=0
for _ in 1 2 3; do
	port=$(peers_free_port tcp) || peers_die "no free TCP port found"
	if start_server 20; then
		started=1
		break
	fi
	stop_server
done
[ "$started" = 1 ] || peers_die "redis-server did not start (log: $(tail -3 "$scratch/redis.log" 2>/dev/null | tr '\n' ' '))"
echo "redis.sh: redis-server $(redis-server --version | awk '{print $3}') pid $pid on 127.0.0.1:$port, dir $scratch, appendonly yes, appendfsync everysec, no RDB saves"

cpu0=$(peers_cpu_s "$pid")
"$load" --port "$port" --records "$records" --size "$size" --keys "$keys" \
	--pipeline "$pipeline" --clients "$clients" --seconds "$seconds" \
	>"$scratch/load.out" 2>"$scratch/load.err" || {
	cat "$scratch/load.out" "$scratch/load.err" >&2
	peers_die "redis_load failed (above)"
}
cpu1=$(peers_cpu_s "$pid")
sed -n '/^RESULT /!p' "$scratch/load.out"
cat "$scratch/load.err" >&2
res=$(grep '^RESULT ' "$scratch/load.out") || peers_die "redis_load printed no RESULT line"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$res"; }
sent=$(field records_sent)
acked=$(field records_acked)
errors=$(field errors)
secs=$(field seconds)
client_cpu=$(field client_cpu_s)

stored=$(redis-cli -h 127.0.0.1 -p "$port" XLEN s) || peers_die "XLEN failed"
aof=$(redis-cli -h 127.0.0.1 -p "$port" INFO persistence | tr -d '\r' |
	grep -E '^(aof_last_write_status|aof_delayed_fsync|aof_rewrites)' | tr '\n' ' ')
server_cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b - a }')
echo "redis.sh: XLEN after the last reply: $stored; server CPU ${server_cpu} s over the load; $aof"

reloaded=-1
if [ "$reload" = 1 ]; then
	# Past the next everysec fsync, then kill without a chance to flush anything
	# more and count what the append-only files hold.
	sleep 1.5
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	if ! start_server 300; then
		peers_die "redis-server did not come back on its AOF (log: $(tail -3 "$scratch/redis.log" | tr '\n' ' '))"
	fi
	reloaded=$(redis-cli -h 127.0.0.1 -p "$port" XLEN s) || peers_die "XLEN after the reload failed"
	echo "redis.sh: after SIGKILL and a restart on the AOF, XLEN $reloaded ($(du -sb "$scratch/appendonlydir" | awk '{print $1}') B of AOF files)"
fi
redis-cli -h 127.0.0.1 -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
stop_server

rps=$(peers_div "$acked" "$secs")
per_cpu=$(peers_div "$acked" "$server_cpu")
echo "redis.sh: $acked records acknowledged in $secs s: $rps records/s, $per_cpu records per server CPU second"
echo "RESULT tool=redis records_sent=$sent records_stored=$stored seconds=$secs records_per_s=$rps server_cpu_s=$server_cpu client_cpu_s=$client_cpu durability=appendfsync-everysec records_acked=$acked errors=$errors records_reloaded=$reloaded records_per_server_cpu_s=$per_cpu size=$size keys=$keys pipeline=$pipeline clients=$clients"
