#!/bin/bash
# perf/bench_tcp.sh: the TCP ingest benchmark (perf/README.md, "TCP ingest").
# The same framed stream (tcpsend: N connections, a bounded number of frames
# unacknowledged each, acks counted) goes, in alternating rounds, to
#   (a) sluiced, its TCP endpoint on one DPDK data core (--tcp-port P:framed),
#       on net_tap inside a network namespace; the sender runs in that namespace
#       and reaches sluiced through the tap device;
#   (b) kernel_tcp_rx, the Linux TCP stack + an epoll loop on one pinned core
#       appending into the same log library, in a network namespace of its own;
#       the sender runs in another namespace and reaches it over a veth pair.
# Both store every record in a 4-shard stream (durability direct) and ack each
# frame once its records are durable; the sender's rate is records acknowledged
# as stored over its time, measured the same way for both. It prints a Markdown
# table of the medians and the exact commands.
#
#   perf/bench_tcp.sh [--quick] [--runs R] [--sizes "64 1024"] [--records N]
#                     [--connections C] [--batch B] [--max-unacked U]
#                     [--sender tcpsend|sluice] [--profile] [--kernel-mss]
#                     [--no-rps] [--no-sluiced] [--no-kernel] [--dir D]
#
#   --quick        one round, fewer records: does it work? (well under 2 minutes)
#   --runs R       rounds (3); each round runs every size on both paths
#   --sizes S      record data sizes in bytes ("64 1024")
#   --records N    records per run of records up to 256 B (2000000; quick 600000);
#                  larger records get a quarter of it
#   --connections C, --batch B, --max-unacked U   the sender's (4, 64, 32)
#   --sender S     sluice (`sluice send --generate`, the project's producer) or
#                  tcpsend (perf/tcpsend.c, leaner); default tcpsend (see README)
#   --profile      perf record -e cpu-clock -C 1 (sluiced's data core's CPU) during
#                  sluiced's runs: the share of that CPU spent in the kernel (net_tap's
#                  readv/writev and SIGIO, and the peer's TCP work done inside them)
#                  and sluiced's user-space cycles per record outside it
#   --no-sluiced   only the kernel path (before sluiced's TCP endpoint exists)
#   --no-kernel    only sluiced
#   --kernel-mss   the kernel path also with gso_max_segs 1 on the sender's veth end
#                  (1500-byte packets, what net_tap gives sluiced); by default only as
#                  Linux sets the veth up (GSO: the sender's segments of up to 64 KiB
#                  cross whole)
#   --no-rps       leave the kernel path's receive softirq where veth runs it (the
#                  sender's CPU, inside its send calls): no IPI per packet batch (IPIs
#                  are costly in a VM), but the receiver's core then does not pay for
#                  IP and TCP receive processing
#   --dir D        scratch file system for data directories (/var/tmp; O_DIRECT)
#
# CPUs (written for 2): receivers on CPU 1 (sluiced's data core, kernel_tcp_rx
# pinned there, and the kernel path's receive softirq steered there with RPS on
# the veth), the sender on CPU 0 (sluiced's main lcore shares it and mostly
# sleeps). net_tap tops out near 0.1 Mpps (MACHINE-NOTES), so sluiced's rate is
# the tap's here; its busy cycles per record (telemetry) give its per-record
# cost apart from the tap's rate (the tap's syscalls still in it: --profile
# separates them). Needs root (network namespaces).
#
# Environment: BUILD_DIR (<repo>/build), OUT (full outputs; default a fresh
# /tmp/bench_tcp-results.*), KEYS (4096), SHARDS (4), SENDER_ARGS (more tcpsend
# options), SL_EAL_MEM (sluiced's EAL memory options, "--no-huge --no-shconf -m 512").
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
RUNS=3
SIZES="64 1024"
RECORDS=
CONNS=4
BATCH=64
UNACKED=32
SENDER=tcpsend
SLUICED=1
KERNEL=1
QUICK=0
PROFILE=0
KVARIANTS=gso
RPS=1
DIR=/var/tmp
KEYS=${KEYS:-4096}
SHARDS=${SHARDS:-4}
SENDER_ARGS=${SENDER_ARGS:-}
SL_EAL_MEM=${SL_EAL_MEM:-"--no-huge --no-shconf -m 512"}
PORT=7100

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1; RUNS=1 ;;
	--runs) shift; RUNS=$1 ;;
	--sizes) shift; SIZES=$1 ;;
	--records) shift; RECORDS=$1 ;;
	--connections) shift; CONNS=$1 ;;
	--batch) shift; BATCH=$1 ;;
	--max-unacked) shift; UNACKED=$1 ;;
	--sender) shift; SENDER=$1 ;;
	--no-sluiced) SLUICED=0 ;;
	--profile) PROFILE=1 ;;
	--no-kernel) KERNEL=0 ;;
	--kernel-mss) KVARIANTS="gso mss" ;;
	--no-rps) RPS=0 ;;
	--dir) shift; DIR=$1 ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "bench_tcp.sh: unknown argument '$1' (--help)" >&2; exit 2 ;;
	esac
	shift
done
[ -z "$RECORDS" ] && RECORDS=$([ "$QUICK" = 1 ] && echo 600000 || echo 2000000)
for v in "runs=$RUNS" "records=$RECORDS" "connections=$CONNS" "batch=$BATCH" "max-unacked=$UNACKED"; do
	case ${v#*=} in
	''|*[!0-9]*|0) echo "bench_tcp.sh: --${v%%=*} '${v#*=}': expected a whole number >= 1" >&2
		exit 2 ;;
	esac
done
case $SENDER in
sluice|tcpsend) ;;
*) echo "bench_tcp.sh: --sender '$SENDER': expected sluice or tcpsend" >&2; exit 2 ;;
esac
for s in $SIZES; do
	case $s in
	''|*[!0-9]*) echo "bench_tcp.sh: --sizes: '$s' is not a size in bytes" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "bench_tcp.sh: needs root (network namespaces, veth, net_tap)" >&2
	exit 2
fi

OUT=${OUT:-$(mktemp -d /tmp/bench_tcp-results.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# shellcheck disable=SC2034   # LOG_NAME, HUGE: read by perf/lib.sh
LOG_NAME=bench_tcp.sh HUGE=0
TAG=sbtcp$$
# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"

NS_SL=slc-perf-tsl-$$     # sluiced + its sender
NS_KR=slc-perf-tkr-$$     # kernel_tcp_rx
NS_KS=slc-perf-tks-$$     # the kernel path's sender
SL_IP=10.78.0.1
SL_PEER=10.78.0.2
KR_IP=10.77.0.1
KS_IP=10.77.0.2
TSEND=$BUILD_DIR/perf/tcpsend
KTRX=$BUILD_DIR/perf/kernel_tcp_rx

bench_cleanup() {
	lib_cleanup
	ip netns del "$NS_SL" 2>/dev/null
	ip netns del "$NS_KR" 2>/dev/null
	ip netns del "$NS_KS" 2>/dev/null
	rm -rf "/var/run/dpdk/${TAG}sl"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ----
SL_SKIP=""    # why sluiced is not measured, if it is not
lib_build perf/tcpsend perf/kernel_tcp_rx app/sluice/sluice || exit 1
if [ "$SLUICED" = 1 ]; then
	if ! ninja -C "$BUILD_DIR" app/sluiced/sluiced >>"$OUT/ninja.log" 2>&1; then
		SL_SKIP="sluiced does not build (see $OUT/ninja.log)"
	elif ! grep -aq -- "--tcp-port PORT" "$SLUICED_BIN"; then
		SL_SKIP="this sluiced has no --tcp-port"
	fi
	if [ -n "$SL_SKIP" ]; then
		log "sluiced not measured: $SL_SKIP; the kernel path alone"
		SLUICED=0
	fi
fi
command -v python3 >/dev/null 2>&1 || { log "python3 missing"; exit 1; }
command -v ip >/dev/null 2>&1 || { log "no 'ip' command (iproute2)"; exit 1; }
if [ "$PROFILE" = 1 ] && ! command -v perf >/dev/null 2>&1; then
	log "--profile: no perf (Debian linux-perf): not profiling"
	PROFILE=0
fi

# busy time (ns) of CPU N ("all": the machine) so far, from /proc/stat: user nice
# system irq softirq steal
cpu_busy_ns() {
	local l=cpu
	[ "$1" != all ] && l=cpu$1
	awk -v l="$l" '$1 == l {printf "%.0f\n", ($2 + $3 + $4 + $7 + $8 + $9) * 1e9 / 100}' /proc/stat
}

# packets and bytes the kernel path's receiving veth end took in so far
veth_rx() {
	ip netns exec "$NS_KR" cat /sys/class/net/sltk0/statistics/rx_packets \
		/sys/class/net/sltk0/statistics/rx_bytes | tr '\n' ' '
}

records_for() {   # records_for SIZE: RECORDS up to 256 B, a quarter of it above
	if [ "$1" -le 256 ]; then echo "$RECORDS"; else echo $(( RECORDS / 4 )); fi
}

sender_cmd() {   # sender_cmd DST SIZE RECORDS
	if [ "$SENDER" = sluice ]; then
		echo "taskset -c 0 $SLUICE_BIN send --to $1:$PORT --connections $CONNS --generate $3 --size $2 --keys $KEYS --batch $BATCH --max-unacked $UNACKED --max-frame 1048576 $SENDER_ARGS"
	else
		echo "taskset -c 0 $TSEND --dst $1 --port $PORT --connections $CONNS --records $3 --size $2 --keys $KEYS --batch $BATCH --max-unacked $UNACKED --seconds 120 $SENDER_ARGS"
	fi
}

# ---- network namespaces ----
ns_setup() {
	if [ "$KERNEL" = 1 ]; then
		ip netns add "$NS_KR" && ip netns add "$NS_KS" || return 1
		ip link add sltk0 netns "$NS_KR" type veth peer name sltk1 netns "$NS_KS" || return 1
		ip -n "$NS_KR" addr add "$KR_IP/24" dev sltk0
		ip -n "$NS_KS" addr add "$KS_IP/24" dev sltk1
		ip -n "$NS_KR" link set lo up
		ip -n "$NS_KS" link set lo up
		ip -n "$NS_KR" link set sltk0 up
		ip -n "$NS_KS" link set sltk1 up
		# the receive softirq of the receiver's side on CPU 1, with kernel_tcp_rx: the
		# receiver's core does the kernel's receive work, as a NIC queue's IRQ would
		if [ "$RPS" = 1 ]; then
			ip netns exec "$NS_KR" sh -c 'echo 2 > /sys/class/net/sltk0/queues/rx-0/rps_cpus' ||
				log "could not steer sltk0's receive softirq to CPU 1 (RPS): it runs on the sender's CPU"
		fi
	fi
	if [ "$SLUICED" = 1 ]; then
		ip netns add "$NS_SL" || return 1
		ip -n "$NS_SL" link set lo up
	fi
}

RES=$OUT/results.tsv
: >"$RES"
CMDS=$OUT/commands.txt
: >"$CMDS"

# ---- what both paths' runs do ----
# run_prep DIR SIZE PREFIX DST NS: a run's output directory DIR, a fresh data
# directory $DIR/PREFIX.* into DATA, the sender's command (to DST, records of SIZE)
# into SCMD and, as run in namespace NS, into DIR/tx.cmd
run_prep() {
	mkdir -p "$1"
	DATA=$(mktemp -d "$DIR/$3.XXXXXX") || return 1
	DATA_DIRS="$DATA_DIRS $DATA"
	SCMD=$(sender_cmd "$4" "$2" "$(records_for "$2")")
	echo "ip netns exec $5 $SCMD" >"$1/tx.cmd"
}

# start_rx NS CMD LOG PATTERN WAIT NAME: start the receiver CMD in namespace NS (the
# command into LOG's .cmd), its output in LOG, and wait up to WAIT s for PATTERN in
# it; its pid in RX_PID
start_rx() {
	echo "ip netns exec $1 $2" >"${3%.log}.cmd"
	# shellcheck disable=SC2086
	ip netns exec "$1" $2 >"$3" 2>&1 </dev/null &
	RX_PID=$!
	PIDS="$PIDS $RX_PID"
	if ! wait_for "$3" "$4" "$5" "$RX_PID"; then
		log "$6 did not start: $3"
		stop_pid "$RX_PID" TERM "$5"
		return 1
	fi
}

# mark PID: "CPU BUSY1 MACHINE T": PID's CPU time, CPU 1's and the machine's busy
# time, the clock (summarize takes them before and after the sender)
mark() {
	echo "$(cpu_ns "$1") $(cpu_busy_ns 1) $(cpu_busy_ns all) $(now)"
}

# finish_run PID NAME LOG SRC DIR DATA: the sender done (exit status SRC), stop the
# receiver PID (NAME, output in LOG); verify and count what it stored in DATA into
# DIR, then remove DATA
finish_run() {
	local data=$6 rrc
	[ "$4" -ne 0 ] && log "tcpsend exited $4: $5/tx.log"
	stop_pid "$1" TERM 60
	rrc=$?
	[ $rrc -ne 0 ] && log "$2 exited $rrc: $3"
	"$SLUICE_BIN" verify --data-dir "$data" --stream s >"$5/verify.txt" 2>&1 ||
		log "sluice verify failed: $5/verify.txt"
	"$SLUICE_BIN" shards --data-dir "$data" --stream s >"$5/shards.txt" 2>&1
	rm -rf "$data"
	DATA_DIRS=$(echo "$DATA_DIRS" | sed "s|$data||")
}

# record_cmds CASE NOTE FILE...: the commands of the first run of CASE into $CMDS
record_cmds() {
	local c=$1 note=$2 f
	shift 2
	grep -q "^$c:" "$CMDS" && return 0
	printf "%s:%s\n" "$c" "$note" >>"$CMDS"
	for f in "$@"; do
		printf "  %s\n" "$(cat "$f")" >>"$CMDS"
	done
}

# ---- one kernel path run ----
# run_kernel SIZE RUN VARIANT: gso (the veth as Linux sets it up: the sender's TCP
# hands it segments of up to 64 KiB, which cross to the receiver whole) or mss
# (gso_max_segs 1 on the sender's end: 1500-byte packets, as net_tap gives sluiced)
run_kernel() {
	local size=$1 run=$2 v=$3 d=$OUT/kr-$3-$1-$2 path=kernel
	[ "$v" = mss ] && path=kernel-mss
	run_prep "$d" "$size" perf-tcp-kr "$KR_IP" "$NS_KS" || return 1
	local data=$DATA scmd=$SCMD
	local rcmd="$KTRX --bind $KR_IP --port $PORT --cpu 1 --data-dir $data --stream s --shards $SHARDS --seconds 300"
	start_rx "$NS_KR" "$rcmd" "$d/rx.log" 'listening on' 10 kernel_tcp_rx || return 1
	local rx=$RX_PID c1 c2 b1 b2 m1 m2 t1 t2 src=0 q1 q2
	ip -n "$NS_KS" link set sltk1 gso_max_segs "$([ "$v" = mss ] && echo 1 || echo 65535)"
	q1=$(veth_rx)
	read -r c1 b1 m1 t1 <<<"$(mark "$rx")"
	# shellcheck disable=SC2086
	timeout -k 5 150 ip netns exec "$NS_KS" $scmd >"$d/tx.log" 2>&1 </dev/null || src=$?
	read -r c2 b2 m2 t2 <<<"$(mark "$rx")"
	q2=$(veth_rx)
	echo "$q1 $q2" >"$d/veth.txt"
	finish_run "$rx" kernel_tcp_rx "$d/rx.log" "$src" "$d" "$data"
	summarize "$path" "$d" "$size" "$run" "$c1" "$c2" "$b1" "$b2" "$m1" "$m2" "$t1" "$t2" || return 1
	record_cmds "$path $size" \
		"$([ "$v" = mss ] && echo " (first: ip -n $NS_KS link set sltk1 gso_max_segs 1)")" \
		"$d/rx.cmd" "$d/tx.cmd"
}

# ---- one sluiced run ----
run_sl() {   # run_sl SIZE RUN
	local size=$1 run=$2 d=$OUT/sl-$1-$2 i
	run_prep "$d" "$size" perf-tcp-sl "$SL_IP" "$NS_SL" || return 1
	local data=$DATA scmd=$SCMD
	local rcmd="$SLUICED_BIN -l 0,1 --main-lcore 0 $SL_EAL_MEM --no-pci --log-level=warning --file-prefix ${TAG}sl --vdev net_tap0,iface=sltcp0 -- --data-dir $data --stream s:$SHARDS --ip $SL_IP/24 --tcp-port $PORT:framed"
	start_rx "$NS_SL" "$rcmd" "$d/sluiced.log" 'sluiced: ready' 30 sluiced || return 1
	local sl=$RX_PID
	for ((i = 0; i < 100; i++)); do
		ip -n "$NS_SL" link show sltcp0 >/dev/null 2>&1 && break
		sleep 0.05
	done
	ip -n "$NS_SL" addr add "$SL_PEER/24" dev sltcp0 2>/dev/null
	ip -n "$NS_SL" link set sltcp0 up
	# ARP and the first handshake before the clock
	ip netns exec "$NS_SL" ping -c 1 -W 2 "$SL_IP" >"$d/ping.txt" 2>&1 ||
		log "ping $SL_IP from $NS_SL failed (see $d/ping.txt); trying anyway"
	local c1 c2 b1 b2 m1 m2 t1 t2 src=0 pp="" p1
	sl_stats "${TAG}sl" >"$d/stats1.json"
	if [ "$PROFILE" = 1 ]; then
		p1=$(now)
		perf record -e cpu-clock -C 1 -o "$d/perf.data" -- sleep 300 >"$d/perf.log" 2>&1 &
		pp=$!
		PIDS="$PIDS $pp"
		sleep 0.2
	fi
	read -r c1 b1 m1 t1 <<<"$(mark "$sl")"
	# shellcheck disable=SC2086
	timeout -k 5 150 ip netns exec "$NS_SL" $scmd >"$d/tx.log" 2>&1 </dev/null || src=$?
	[ -n "$pp" ] && kill -INT "$pp" 2>/dev/null
	read -r c2 b2 m2 t2 <<<"$(mark "$sl")"
	if [ -n "$pp" ]; then
		# perf stops at SIGINT and writes its file; samples by thread and object
		stop_pid "$pp" INT 30
		echo "$p1 $t2" >"$d/perf.window"
		perf report -i "$d/perf.data" --no-children --sort comm,dso --stdio \
			>"$d/perf-comm-dso.txt" 2>/dev/null
		perf report -i "$d/perf.data" --no-children --sort sym --stdio \
			>"$d/perf-sym.txt" 2>/dev/null
	fi
	sl_stats "${TAG}sl" >"$d/stats2.json"
	finish_run "$sl" sluiced "$d/sluiced.log" "$src" "$d" "$data"
	rm -rf "/var/run/dpdk/${TAG}sl"
	summarize sluiced "$d" "$size" "$run" "$c1" "$c2" "$b1" "$b2" "$m1" "$m2" "$t1" "$t2" || return 1
	record_cmds "sluiced $size" "" "$d/sluiced.cmd" "$d/tx.cmd"
}

# summarize PATH DIR SIZE RUN CPU1 CPU2 BUSY1 BUSY2 MACH1 MACH2 T1 T2: one line into $RES
summarize() {
	python3 - "$@" <<'EOF' >>"$RES"
import json, os, re, sys
(path, d, size, run, c1, c2, b1, b2, m1, m2, t1, t2) = sys.argv[1:]
def result(f):
    o = {}
    for line in open(f, errors="replace"):
        if line.startswith("RESULT "):
            o = {}
            for w in line.split()[1:]:
                if "=" in w:
                    k, v = w.split("=", 1)
                    try:
                        o[k] = float(v)
                    except ValueError:
                        o[k] = v
    return o
tx = result(d + "/tx.log")
if not tx:
    # sluice send: "sent N records in T s: R rec/s, M MB/s; acknowledged A, failed F, ..."
    for line in open(d + "/tx.log", errors="replace"):
        m = re.search(r"sent (\d+) records in ([\d.]+) s: .*acknowledged (\d+), failed (\d+)", line)
        if m:
            tx = {"records": int(m.group(1)), "seconds": float(m.group(2)),
                  "acked": int(m.group(3)), "failed": int(m.group(4))}
if not tx:
    sys.stderr.write("bench_tcp.sh: no summary from the sender in %s/tx.log\n" % d)
    sys.exit(1)
win = float(t2) - float(t1)
recs = tx.get("acked", 0)
secs = tx.get("seconds", 0) or win
proc = (int(c2) - int(c1)) / 1e9
core1 = (int(b2) - int(b1)) / 1e9
mach = (int(m2) - int(m1)) / 1e9
durable = 0
col = None
for line in open(d + "/shards.txt", errors="replace"):
    f = line.split()
    if f and f[0] == "SHARD" and "RECORDS" in f:
        col = f.index("RECORDS")
    elif col is not None and len(f) > col and f[0].startswith("shardId-"):
        durable += int(f[col])
res = {"path": path, "size": int(size), "run": int(run), "sent": int(tx.get("records", 0)),
       "acked": int(recs), "durable": durable, "seconds": secs,
       "recs_per_s": recs / secs if secs else 0,
       "MBps": recs * int(size) / secs / 1e6 if secs else 0,
       "proc_cpu_s": proc, "proc_cores": proc / win if win else 0,
       "recs_per_proc_cpu_s": recs / proc if proc else 0,
       "core1_cpu_s": core1, "recs_per_core1_s": recs / core1 if core1 else 0,
       "machine_us_per_rec": mach / recs * 1e6 if recs else 0,
       "sender_cores": tx["cpu_s"] / secs if tx.get("cpu_s") and secs else None,
       # everything else the machine did meanwhile (other work on a shared machine; for
       # the kernel path also receive softirq time charged to no process of ours)
       "other_cores": max(0.0, (mach - proc - tx["cpu_s"]) / win) if tx.get("cpu_s") and win else None,
       "verify_ok": "error" not in open(d + "/verify.txt", errors="replace").read().lower(),
       "busy_cyc_per_rec": None, "tsc_hz": None}
if os.path.exists(d + "/veth.txt"):
    v = [int(x) for x in open(d + "/veth.txt").read().split()]
    res["pkts_in"] = v[2] - v[0]
    res["pkt_bytes"] = (v[3] - v[1]) / (v[2] - v[0]) if v[2] > v[0] else None
if path == "sluiced":
    def st(f):
        j = json.load(open(f))
        return j.get("/sluice/stats", j)
    try:
        j1, j2 = st(d + "/stats1.json"), st(d + "/stats2.json")
        def cs(j, k):
            return sum(v.get(k, 0) for kk, v in j.items() if kk.startswith("core") and isinstance(v, dict))
        busy = cs(j2, "busy_cycles") - cs(j1, "busy_cycles")
        poll = cs(j2, "poll_cycles") - cs(j1, "poll_cycles")
        # records decoded: datagrams' (records) and TCP streams' (tcp_records)
        t1_, t2_ = j1["totals"], j2["totals"]
        nrec = (t2_.get("records", 0) - t1_.get("records", 0) +
                t2_.get("tcp_records", 0) - t1_.get("tcp_records", 0))
        res["sl_records"] = nrec
        if nrec > 0 and busy > 0:
            res["busy_cyc_per_rec"] = busy / nrec
        up = (j2.get("uptime_ms", 0) - j1.get("uptime_ms", 0)) / 1e3
        if poll > 0 and up > 0:
            # the data core's loop counts TSC cycles of wall time, between the two samples
            res["tsc_hz"] = poll / max(1, j2.get("data_cores", 1)) / up
        tc = lambda k: cs(j2, k) - cs(j1, k)
        res["pkts_in"] = tc("tcp_segs_in")
        res["pkt_bytes"] = tc("tcp_bytes_in") / res["pkts_in"] if res["pkts_in"] else None
        res["tcp"] = {k: tc("tcp_" + k) for k in ("segs_in", "segs_out", "acks_out",
                      "window_zero", "window_updates", "retransmits", "dup_segs", "ooo_segs",
                      "blocked", "acks", "ack_groups")}
        res["busy_share"] = busy / poll if poll else None
        drops = {k: v for k, v in j2["totals"].items()
                 if (k.startswith("drop") or k.endswith("drops")) and isinstance(v, int) and v}
        res["drops"] = drops
    except (OSError, ValueError, KeyError) as e:
        res["stats_error"] = str(e)
if os.path.exists(d + "/perf-comm-dso.txt"):
    # shares of CPU 1's samples: sluiced's data core thread in the kernel vs in user space
    kern = user = other = 0.0
    for line in open(d + "/perf-comm-dso.txt", errors="replace"):
        m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+(.+?)\s*$", line)
        if not m:
            continue
        pct, comm, dso = float(m.group(1)), m.group(2), m.group(3)
        if comm.startswith(("rte-worker", "lcore-worker")):
            if dso == "[kernel.kallsyms]":
                kern += pct
            else:
                user += pct
        else:
            other += pct
    res["prof"] = {"data_core_kernel_pct": kern, "data_core_user_pct": user,
                   "other_pct": other}
    pw = [float(x) for x in open(d + "/perf.window").read().split()]
    pwin = pw[1] - pw[0]
    if res.get("tsc_hz") and recs and kern + user > 0 and pwin > 0:
        # user-space cycles per record: the data core's share of CPU 1 in user space x
        # the profile's TSC cycles / records (idle polling included: an upper bound)
        res["user_cyc_per_rec"] = user / 100.0 * res["tsc_hz"] * pwin / recs
        res["kernel_cyc_per_rec"] = kern / 100.0 * res["tsc_hz"] * pwin / recs
        if res.get("busy_cyc_per_rec"):
            # busy cycles minus the data core's kernel time: a lower estimate of its
            # user-space cycles per record (some kernel time falls in idle iterations)
            res["own_lo_cyc_per_rec"] = max(0.0, res["busy_cyc_per_rec"] - res["kernel_cyc_per_rec"])
json.dump(res, open(d + "/result.json", "w"))
print(json.dumps(res))
EOF
}

# ---- the runs ----
ns_setup || { log "cannot set up the network namespaces (root? iproute2?)"; exit 1; }
log "outputs in $OUT; $RUNS round(s); sizes $SIZES; $CONNS connections, $BATCH records per frame, $UNACKED frames unacknowledged"
for run in $(seq 1 "$RUNS"); do
	for size in $SIZES; do
		if [ "$KERNEL" = 1 ]; then
			for v in $KVARIANTS; do
				run_kernel "$size" "$run" "$v" &&
					log "kernel $v $size B run $run: $(tail -1 "$RES" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.0f rec/s, %.1f MB/s, %.0f rec per receiver CPU-s" % (r["recs_per_s"], r["MBps"], r["recs_per_proc_cpu_s"]))')"
			done
		fi
		if [ "$SLUICED" = 1 ]; then
			run_sl "$size" "$run" &&
				log "sluiced $size B run $run: $(tail -1 "$RES" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.0f rec/s, %.1f MB/s, busy cycles/record %s" % (r["recs_per_s"], r["MBps"], r["busy_cyc_per_rec"]))')"
		fi
	done
done

# ---- table of medians ----
python3 - "$RES" "$RUNS" "$CONNS" "$BATCH" "$UNACKED" "$SENDER" "$SL_SKIP" "$RPS" <<'EOF' | tee "$OUT/table.md"
import json, statistics as st, sys
res, runs, conns, batch, unacked, sender, skip, rps = sys.argv[1:]
rows = [json.loads(l) for l in open(res) if l.strip()]
def med(xs):
    xs = [x for x in xs if x is not None]
    return st.median(xs) if xs else None
def f(x, fmt="%.0f"):
    return "-" if x is None else fmt % x
def sz(s):
    return "1 KiB" if s == 1024 else "%d B" % s
print("| records | path | records/s | MB/s (record data) | receiver process, cores | records per "
      "receiver CPU-s | records per CPU-1 busy s | machine CPU µs/record | sluiced busy "
      "cycles/record (M rec per busy core-s) | packets in: k/s, bytes each | sender, cores | other "
      "load, cores | acked = sent = stored | runs |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
ratios = []
for s in sorted(set(r["size"] for r in rows)):
    m = {}
    for p in ("kernel", "kernel-mss", "sluiced"):
        rr = [r for r in rows if r["size"] == s and r["path"] == p]
        if not rr:
            continue
        k = {x: med([r.get(x) for r in rr]) for x in
             ("recs_per_s", "MBps", "proc_cores", "recs_per_proc_cpu_s", "recs_per_core1_s",
              "machine_us_per_rec", "busy_cyc_per_rec", "tsc_hz", "sender_cores", "other_cores",
              "pkt_bytes", "user_cyc_per_rec", "own_lo_cyc_per_rec")}
        k["kpps"] = med([r["pkts_in"] / r["seconds"] / 1e3 for r in rr
                         if r.get("pkts_in") and r.get("seconds")])
        m[p] = k
        exact = all(r["acked"] == r["sent"] == r["durable"] and r["sent"] > 0 for r in rr)
        cap = None
        if k["busy_cyc_per_rec"] and k["tsc_hz"]:
            cap = k["tsc_hz"] / k["busy_cyc_per_rec"] / 1e6
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
            sz(s), {"sluiced": "sluiced (net_tap)", "kernel": "kernel TCP (veth, GSO)",
                    "kernel-mss": "kernel TCP (veth, 1500 B packets)"}[p],
            f(k["recs_per_s"]), f(k["MBps"], "%.1f"), f(k["proc_cores"], "%.2f"),
            f(k["recs_per_proc_cpu_s"]), f(k["recs_per_core1_s"]) if p != "sluiced" else "- (polls)",
            f(k["machine_us_per_rec"], "%.2f"),
            "%s (%s)" % (f(k["busy_cyc_per_rec"]), f(cap, "%.2f")) if p == "sluiced" else "-",
            "%s, %s" % (f(k["kpps"]), f(k["pkt_bytes"])),
            f(k["sender_cores"], "%.2f"), f(k["other_cores"], "%.2f"),
            "yes" if exact else "NO: " + ", ".join("%d/%d/%d" % (r["acked"], r["sent"], r["durable"]) for r in rr),
            len(rr)))
    for kp in ("kernel", "kernel-mss"):
        if kp not in m or "sluiced" not in m:
            continue
        k, sl = m[kp], m["sluiced"]
        cap = sl["tsc_hz"] / sl["busy_cyc_per_rec"] if sl["busy_cyc_per_rec"] and sl["tsc_hz"] else None
        ucap = sl["tsc_hz"] / sl["user_cyc_per_rec"] if sl["user_cyc_per_rec"] and sl["tsc_hz"] else None
        lcap = sl["tsc_hz"] / sl["own_lo_cyc_per_rec"] if sl["own_lo_cyc_per_rec"] and sl["tsc_hz"] else None
        ratios.append((s, "GSO" if kp == "kernel" else "1500 B packets",
                       sl["recs_per_s"] / k["recs_per_s"] if k["recs_per_s"] else None,
                       sl["recs_per_proc_cpu_s"] / k["recs_per_proc_cpu_s"] if k["recs_per_proc_cpu_s"] else None,
                       cap / k["recs_per_core1_s"] if cap and k["recs_per_core1_s"] else None,
                       ucap / k["recs_per_core1_s"] if ucap and k["recs_per_core1_s"] else None,
                       lcap / k["recs_per_core1_s"] if lcap and k["recs_per_core1_s"] else None))
print()
pr = [r for r in rows if r.get("prof")]
if pr:
    print("Profile of CPU 1 during sluiced's runs (`--profile`: perf record -e cpu-clock -C 1):")
    print()
    print("| records | data core in the kernel (net_tap readv/writev, SIGIO, the peer's TCP "
          "inside them), % of CPU 1 | data core in user space, % | busy cycles per record | "
          "of which in the kernel | sluiced's own cycles per record: busy − kernel (low) .. "
          "user space with idle polls (high) | runs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in sorted(set(r["size"] for r in pr)):
        rr = [r for r in pr if r["size"] == s]
        print("| %s | %s | %s | %s | %s | %s .. %s | %d |" % (sz(s),
            f(med([r["prof"]["data_core_kernel_pct"] for r in rr]), "%.0f"),
            f(med([r["prof"]["data_core_user_pct"] for r in rr]), "%.0f"),
            f(med([r.get("busy_cyc_per_rec") for r in rr])),
            f(med([r.get("kernel_cyc_per_rec") for r in rr])),
            f(med([r.get("own_lo_cyc_per_rec") for r in rr])),
            f(med([r.get("user_cyc_per_rec") for r in rr])), len(rr)))
    print()
if ratios:
    print("| records | against the kernel path with | sluiced / kernel: records/s | records per "
          "receiver CPU-s | sluiced per busy core-s / kernel per CPU-1 busy s | sluiced per core "
          "at its own cycles (profile: user space with idle polls .. busy − kernel) / kernel per "
          "CPU-1 busy s |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for s, kv, a, b, c, u, lo in ratios:
        print("| %s | %s | %s | %s | %s | %s |" % (sz(s), kv, f(a, "%.2f"), f(b, "%.2f"),
              f(c, "%.2f"), "%s .. %s" % (f(u, "%.2f"), f(lo, "%.2f")) if u else "-"))
    print()
if skip:
    print("sluiced: not measured: %s." % skip)
    print()
print("Medians of %s round(s), paths alternating; sender %s, %s connections, %s records per "
      "frame, %s frames unacknowledged per connection; kernel path receive softirq %s." % (
          runs, sender, conns, batch, unacked,
          "on CPU 1 (RPS)" if rps == "1" else "where veth runs it (no RPS)"))
EOF
echo
echo "Commands (first run of each case; every output is in $OUT):"
cat "$CMDS"
