#!/usr/bin/env bash
# rsyslog as a peer of sluiced (perf/peers/README.md): the same records as
# syslog lines over loopback UDP, imudp to omfile. Runs its own rsyslogd in the
# foreground (-n) with its own configuration (perf/peers/rsyslog.conf filled
# in), pid file and work directory in a fresh scratch directory, on a free
# 127.0.0.1 port; no other module, so it never touches the system's logging.
# Feeds it with $BUILD_DIR/perf/udpsend --syslog (one record = one datagram =
# one line), waits until the output file stops growing (bounded), reads the
# drop counter of rsyslogd's socket, stops rsyslogd by pid, counts the lines
# stored (and the distinct records among them), removes the directory.
#
#   perf/peers/rsyslog.sh --records N --size S [--keys K] [--rate R] [--dir D]
#                         [--sync] [--seconds T]
#
# Prints human lines and one final "RESULT tool=rsyslog ..." line; exits non-zero
# with a message on any error.
set -euo pipefail

PEERS_NAME=rsyslog.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=perf/peers/lib.sh
. "$here/lib.sh"

usage() {
	cat <<EOF
usage: perf/peers/rsyslog.sh --records N --size S [options]
  --records N     records to send (k/m = 10^3/10^6)
  --size S        bytes per record = per syslog line without its newline (>= 48)
  --keys K        distinct senders (source ports) (64)
  --rate R        records per second (default: flat out)
  --dir D         scratch parent directory (/var/tmp); a fresh mktemp dir inside
  --sync          omfile sync="on": fdatasync after every batch (default off)
  --seconds T     stop sending after T seconds (300)
Environment: BUILD_DIR (build) holds perf/udpsend.
EOF
}

records='' size='' keys=64 rate='' dir=/var/tmp sync=off seconds=300
while [ $# -gt 0 ]; do
	case "$1" in
	--records) records=${2:?--records needs a value}; shift 2 ;;
	--size) size=${2:?--size needs a value}; shift 2 ;;
	--keys) keys=${2:?--keys needs a value}; shift 2 ;;
	--rate) rate=${2:?--rate needs a value}; shift 2 ;;
	--dir) dir=${2:?--dir needs a value}; shift 2 ;;
	--sync) sync=on; shift ;;
	--seconds) seconds=${2:?--seconds needs a value}; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; peers_die "unknown option '$1'" ;;
	esac
done
if [ -z "$records" ] || [ -z "$size" ]; then
	usage >&2
	peers_die "--records and --size are required"
fi
[ -d "$dir" ] || peers_die "--dir $dir: no such directory"
case "$size" in
''|*[!0-9]*) peers_die "--size $size: expected a number of bytes" ;;
esac
[ "$size" -ge 48 ] || peers_die "--size $size: a syslog line of udpsend --syslog needs at least 48 bytes"

send=$(peers_build_path "$root" perf/udpsend)
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$rsyslogd" ] || peers_die "rsyslogd not found: deploy/install-deps.sh --perf installs Debian's rsyslog"
[ -x "$send" ] || peers_die "$send not built: ninja -C ${BUILD_DIR:-build}"

scratch=$(mktemp -d "$dir/peer-rsyslog.XXXXXX")
out=$scratch/records.log
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

# /proc/net/udp line of the socket bound to 127.0.0.1:$port: "drops rx_queue_bytes".
sock_counters() {
	local hex drops queued
	hex=$(printf '0100007F:%04X' "$port")
	read -r drops queued < <(awk -v a="$hex" \
		'$2 == a { split($5, q, ":"); print $13, q[2]; exit }' /proc/net/udp)
	if [ -z "${drops:-}" ]; then
		echo "-1 -1"
	else
		echo "$drops $((16#$queued))"
	fi
}

started=0
for _ in 1 2 3; do
	port=$(peers_free_port udp) || peers_die "no free UDP port found"
	sed -e "s|@WORKDIR@|$scratch|" -e "s|@PORT@|$port|" -e "s|@OUT@|$out|" \
		-e "s|@SYNC@|$sync|" "$here/rsyslog.conf" >"$scratch/rsyslog.conf"
	"$rsyslogd" -N1 -f "$scratch/rsyslog.conf" >"$scratch/check.out" 2>&1 ||
		peers_die "rsyslogd rejects the configuration: $(tr '\n' ' ' <"$scratch/check.out")"
	"$rsyslogd" -n -f "$scratch/rsyslog.conf" -i "$scratch/rsyslogd.pid" \
		>"$scratch/rsyslogd.out" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		if [ "$(sock_counters)" != "-1 -1" ]; then
			started=1
			break
		fi
		sleep 0.1
	done
	[ "$started" = 1 ] && break
	stop_server
done
[ "$started" = 1 ] || peers_die "rsyslogd did not start listening (output: $(tail -3 "$scratch/rsyslogd.out" | tr '\n' ' '))"
echo "rsyslog.sh: rsyslogd $("$rsyslogd" -v | awk 'NR == 1 {print $2}') pid $pid, imudp on 127.0.0.1:$port -> omfile $out (flushOnTXEnd=on asyncWriting=off sync=$sync)"
read -r drops0 _ <<<"$(sock_counters)"

cpu0=$(peers_cpu_s "$pid")
t0=$(peers_now)
"$send" --dst 127.0.0.1 --port "$port" --mode raw --syslog --size "$size" \
	--records "$records" --keys "$keys" ${rate:+--rate "$rate"} --seconds "$seconds" \
	>"$scratch/send.out" 2>"$scratch/send.err" || {
	cat "$scratch/send.out" "$scratch/send.err" >&2
	peers_die "udpsend failed (above)"
}
sed -n '/^RESULT /!p' "$scratch/send.out"
res=$(grep '^RESULT ' "$scratch/send.out") || peers_die "udpsend printed no RESULT line"
sent=$(sed -n 's/.* records=\([0-9]*\).*/\1/p' <<<"$res")
send_secs=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$res")

# Wait until the socket is drained and the file has not grown for 1 s; at most
# 120 s (rsyslog works through its in-memory queue after the sender is done).
last=-1 stable=0 waited=0
while [ "$waited" -lt 1200 ]; do
	kill -0 "$pid" 2>/dev/null || peers_die "rsyslogd died (output: $(tail -3 "$scratch/rsyslogd.out" | tr '\n' ' '))"
	cur=$(stat -c %s "$out" 2>/dev/null || echo 0)
	read -r _ queued <<<"$(sock_counters)"
	if [ "$cur" = "$last" ] && [ "$queued" = 0 ]; then
		stable=$((stable + 1))
		[ "$stable" -ge 10 ] && break
	else
		stable=0
	fi
	last=$cur
	sleep 0.1
	waited=$((waited + 1))
done
[ "$stable" -ge 10 ] || echo "rsyslog.sh: warning: the output still grew after 120 s; counting what is there" >&2
cpu1=$(peers_cpu_s "$pid")
read -r drops1 _ <<<"$(sock_counters)"
stop_server

t_last=$(stat -c %.9Y "$out" 2>/dev/null || echo "$t0")
secs=$(awk -v a="$t0" -v b="$t_last" 'BEGIN { printf "%.6f", (b > a ? b - a : 0) }')
lines=$(wc -l <"$out" 2>/dev/null || echo 0)
distinct=$(grep -ao 'udpsend: k=[0-9]* s=[0-9]* ' "$out" 2>/dev/null | LC_ALL=C sort -u -S 256M | wc -l || true)
server_cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b - a }')
kdrops=$((drops1 - drops0))
rps=$(peers_div "$distinct" "$secs")
per_cpu=$(peers_div "$distinct" "$server_cpu")
durability=omfile-flushOnTXEnd-nosync
[ "$sync" = on ] && durability=omfile-sync-per-batch
echo "rsyslog.sh: $lines lines stored, $distinct distinct records, of $sent sent; $kdrops datagrams dropped by the kernel at rsyslogd's socket"
echo "rsyslog.sh: $secs s from the first send to the last write of the file: $rps records/s; server CPU $server_cpu s ($per_cpu records per server CPU second); sending took $send_secs s"
echo "RESULT tool=rsyslog records_sent=$sent records_stored=$distinct seconds=$secs records_per_s=$rps server_cpu_s=$server_cpu durability=$durability lines=$lines kernel_drops=$kdrops records_per_server_cpu_s=$per_cpu send_seconds=$send_secs size=$size keys=$keys rate=${rate:-max}"
