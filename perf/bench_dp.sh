#!/bin/bash
# perf/bench_dp.sh: the data-plane benchmark (perf/README.md, "Data plane").
# sluice-gen sends UDP telemetry over net_memif, flat out, to
#   (1) dpdk-testpmd --forward-mode=rxonly  (the PMD's cost alone), then
#   (2) sluiced, storing every record in a 4-shard stream,
# alternating the two receivers run after run, for 64 B and 512 B records, raw
# and framed. It prints a Markdown table of the medians and the exact commands.
#
#   perf/bench_dp.sh [--quick] [--runs R] [--seconds T] [--no-sluiced] [--no-huge]
#                    [--sizes "64 512"] [--modes "raw framed framed-hk"] [--dir D]
#
#   --quick      one run of 3 s per case, raw and framed only: does it work?
#   --runs R     runs per receiver and case (3); medians are reported
#   --seconds T  measured window per run (5), after a 2 s warm-up
#   --no-sluiced only the testpmd half (before sluiced exists)
#   --no-huge    do not reserve hugepages; every process runs --no-huge
#   --dir D      scratch file system for sluiced's data dirs (/var/tmp; O_DIRECT)
#
# CPUs: the machine this was written for has 2. The receiver's polling lcore
# runs on CPU 1, the generator on CPU 0; testpmd's and sluiced's main (control)
# lcore shares CPU 0 with the generator (both mostly sleep).
#
# Memory: hugepages make memif faster, so the script reserves 2 MiB pages
# (HUGEPAGES, default 1024 = 2 GiB) if fewer are free, and runs each process
# with --in-memory (no hugetlbfs mount or files needed), the generator as a
# zero-copy memif client (--single-file-segments); if the reservation fails it
# falls back to --no-huge --no-shconf -m 512 and copying memif. What it
# reserved is given back at exit.
#
# Environment: BUILD_DIR (<repo>/build), OUT (full outputs; default a fresh
# /tmp/bench_dp-results.*), HUGEPAGES (1024), FLOWS (4096), KEYS (4096), SHARDS (4).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
RUNS=3
SECS=5
WARM=2
SIZES="64 512"
MODES="raw framed framed-hk"
SLUICED=1
HUGE=1
DIR=/var/tmp
HUGEPAGES=${HUGEPAGES:-1024}
FLOWS=${FLOWS:-4096}
KEYS=${KEYS:-4096}
SHARDS=${SHARDS:-4}
SLC_MAC=02:00:00:00:00:01

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) RUNS=1; SECS=3; MODES="raw framed" ;;
	--runs) shift; RUNS=$1 ;;
	--seconds) shift; SECS=$1 ;;
	--no-sluiced) SLUICED=0 ;;
	--no-huge) HUGE=0 ;;
	--sizes) shift; SIZES=$1 ;;
	--modes) shift; MODES=$1 ;;
	--dir) shift; DIR=$1 ;;
	-h|--help) sed -n '2,31p' "$0"; exit 0 ;;
	*) echo "bench_dp.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

OUT=${OUT:-$(mktemp -d /tmp/bench_dp-results.XXXXXX)}
mkdir -p "$OUT"
GEN=$BUILD_DIR/perf/sluice-gen
SLUICED_BIN=$BUILD_DIR/app/sluiced/sluiced
SLUICE_BIN=$BUILD_DIR/app/sluice/sluice
TAG=sbdp$$
SOCK=$OUT/memif.sock
HP_SYS=/sys/kernel/mm/hugepages/hugepages-2048kB
HP_PREV=
GEN_ZC=
GEN_EAL_EXTRA=
PIDS=""
DATA_DIRS=""

log() { echo "bench_dp.sh: $*" >&2; }

# ---- clean-up: our children (receiver first), data dirs, hugepages ----
cleanup() {
	local p
	for p in $PIDS; do
		kill -INT "$p" 2>/dev/null && sleep 1
		kill -KILL "$p" 2>/dev/null
	done
	for p in $DATA_DIRS; do
		rm -rf "$p"
	done
	rm -f "$SOCK"
	if [ -n "$HP_PREV" ]; then
		echo "$HP_PREV" >"$HP_SYS/nr_hugepages" 2>/dev/null &&
			log "hugepages given back: nr_hugepages = $(cat "$HP_SYS/nr_hugepages")"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build and tools ----
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
	meson setup "$BUILD_DIR" "$ROOT" -Dperf=true >"$OUT/meson.log" 2>&1 ||
		{ log "meson setup failed: $OUT/meson.log"; exit 1; }
fi
TARGETS=perf/sluice-gen
[ "$SLUICED" = 1 ] && TARGETS="$TARGETS app/sluiced/sluiced app/sluice/sluice"
ninja -C "$BUILD_DIR" $TARGETS >"$OUT/ninja.log" 2>&1 ||
	{ log "build failed: $OUT/ninja.log"; exit 1; }
if ! command -v dpdk-testpmd >/dev/null 2>&1; then
	# Debian 12 ships dpdk-testpmd in dpdk-dev (not in the dpdk runtime package)
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y dpdk-dev >"$OUT/apt.log" 2>&1
	fi
	command -v dpdk-testpmd >/dev/null 2>&1 ||
		{ log "dpdk-testpmd missing: apt-get install dpdk-dev"; exit 1; }
fi
command -v python3 >/dev/null 2>&1 || { log "python3 missing"; exit 1; }

# ---- memory ----
EAL_MEM="--no-huge --no-shconf -m 512"
if [ "$HUGE" = 1 ] && [ -w "$HP_SYS/nr_hugepages" ]; then
	cur=$(cat "$HP_SYS/nr_hugepages")
	free=$(cat "$HP_SYS/free_hugepages")
	if [ "$free" -lt "$HUGEPAGES" ]; then
		HP_PREV=$cur
		echo $((cur + HUGEPAGES - free)) >"$HP_SYS/nr_hugepages" 2>/dev/null
		free=$(cat "$HP_SYS/free_hugepages")
	fi
	if [ "$free" -ge "$HUGEPAGES" ]; then
		EAL_MEM="--in-memory -m 512"
		# the generator's memif sends from its own mbufs (zero-copy client): it then
		# costs less than the receiver, so the receiver is what limits the rate
		GEN_ZC=",zero-copy=yes"
		GEN_EAL_EXTRA="--single-file-segments"
		log "hugepages: $free free 2 MiB pages (reserved by us: $([ -n "$HP_PREV" ] && echo $(( $(cat "$HP_SYS/nr_hugepages") - HP_PREV )) || echo 0))"
	else
		log "could not reserve $HUGEPAGES hugepages ($free free): running --no-huge"
		if [ -n "$HP_PREV" ]; then
			echo "$HP_PREV" >"$HP_SYS/nr_hugepages"
			HP_PREV=
		fi
	fi
fi
EAL="$EAL_MEM --no-pci --log-level=warning"
TSC_HZ=

# ---- helpers ----
now() { date +%s.%N; }

# wait_for FILE PATTERN SECONDS PID: 0 when PATTERN shows up, 1 on timeout or exit
wait_for() {
	local i=0 lim=$(($3 * 10))
	while [ $i -lt $lim ]; do
		grep -aq "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# CPU time (ns) of every thread of PID so far
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'
}

# busy CPU time (ns) of the whole machine so far, from /proc/stat
sys_busy_ns() {
	awk '/^cpu / {printf "%.0f\n", ($2 + $3 + $4 + $7 + $8 + $9) * 1e9 / 100}' /proc/stat
}

# stop PID with SIG, wait up to SECS, then SIGKILL
stop_pid() {
	local i=0
	kill -"$2" "$1" 2>/dev/null
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($3 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		log "pid $1 did not exit after SIG$2 in $3 s: SIGKILL"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	local rc=$?
	PIDS=$(echo "$PIDS" | sed "s/\b$1\b//")
	return $rc
}

gen_args() {    # gen_args SIZE MODE
	case "$2" in
	raw) echo "--mode raw --size $1 --flows $FLOWS" ;;
	framed) echo "--mode framed --size $1 --flows 1024 --keys $KEYS" ;;
	framed-hk) echo "--mode framed --size $1 --flows 1024 --keys $KEYS --frame-hash-key --shards $SHARDS" ;;
	esac
}

# records per packet of a case (framed: as many as fit a 1500 B packet)
rpf_of() {
	case "$2" in
	raw) echo 1 ;;
	framed) echo $(( (1500 - 20 - 8 - 16 - 4) / (8 + 12 + $1) )) ;;
	framed-hk) echo $(( (1500 - 20 - 8 - 32 - 4) / (8 + 12 + $1) )) ;;
	esac
}

GEN_SECS=$((WARM + SECS + 20))    # bound; the receiver's stop ends it earlier

# start_gen LOG SIZE MODE [extra]: sets GPID
start_gen() {
	local logf=$1 size=$2 mode=$3
	shift 3
	local cmd="$GEN -l 0 $EAL $GEN_EAL_EXTRA --file-prefix ${TAG}gen --vdev net_memif0,role=client,socket=$SOCK,socket-abstract=no$GEN_ZC -- $(gen_args "$size" "$mode") --seconds $GEN_SECS --wait-peer 30 $*"
	echo "$cmd" >"$logf.cmd"
	$cmd >"$logf" 2>&1 &
	GPID=$!
	PIDS="$PIDS $GPID"
}

gen_field() {   # gen_field LOG NAME: from the "total" line
	grep -a 'sluice-gen: total' "$1" | tail -1 | sed -n "s/.* $2 \([^ ]*\).*/\1/p"
}

# end of the window: the generator stops sending and idles (polls nothing) until
# its peer goes; then the receiver is stopped (memif peer-disconnect crash in 22.11)
stop_sending() {
	kill -INT "$GPID" 2>/dev/null
	wait_for "$1" 'sluice-gen: total' 10 "$GPID" ||
		log "generator did not stop sending: $1"
}

finish_gen() {  # the receiver has stopped: the generator sees the link go down
	local i=0
	while kill -0 "$GPID" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	stop_pid "$GPID" INT 5
	local rc=$?
	[ $rc -ne 0 ] && log "generator exited with $rc (see $1)"
	if [ -z "$TSC_HZ" ]; then
		TSC_HZ=$(sed -n 's/.*tsc \([0-9]*\) Hz.*/\1/p' "$1" | head -1)
	fi
}

# testpmd stats blocks: "RX-packets: N" and "Rx-pps: N" once a second
tp_rx_pps_mean() {   # tp_rx_pps_mean LOG FIRST_BLOCK LAST_BLOCK
	grep -a 'Rx-pps:' "$1" | awk -v a="$2" -v b="$3" '
		{ n++ } n > a && n <= b { s += $2; k++ }
		END { if (k) printf "%.0f\n", s / k; else print 0 }'
}
tp_blocks() { grep -ac 'Rx-pps:' "$1"; }

RES=$OUT/results.tsv
: >"$RES"
CMDS=$OUT/commands.txt
: >"$CMDS"

run_testpmd() {   # run_testpmd SIZE MODE RUN
	local size=$1 mode=$2 run=$3 d=$OUT/tp-$1-$2-$3
	mkdir -p "$d"
	rm -f "$SOCK"
	local cmd="dpdk-testpmd -l 0,1 --main-lcore 0 $EAL --file-prefix ${TAG}tp --vdev net_memif0,role=server,socket=$SOCK,socket-abstract=no -- --forward-mode=rxonly --auto-start --stats-period 1 --total-num-mbufs 16384 --rxq 1 --txq 1 --nb-cores 1"
	echo "$cmd" >"$d/testpmd.cmd"
	$cmd </dev/null >"$d/testpmd.log" 2>&1 &
	local tp=$!
	PIDS="$PIDS $tp"
	if ! wait_for "$d/testpmd.log" 'Rx-pps:' 20 $tp; then
		log "testpmd did not start: $d/testpmd.log"
		stop_pid $tp INT 5
		return 1
	fi
	start_gen "$d/gen.log" "$size" "$mode"
	if ! wait_for "$d/gen.log" 'link up, sending' 20 $GPID; then
		log "generator did not start: $d/gen.log"
		stop_pid $tp INT 5
		finish_gen "$d/gen.log"
		return 1
	fi
	sleep "$WARM"
	local b1 c1 t1 b2 c2 t2 g1 g2 s1 s2
	b1=$(tp_blocks "$d/testpmd.log"); c1=$(cpu_ns $tp); g1=$(cpu_ns $GPID); s1=$(sys_busy_ns); t1=$(now)
	sleep "$SECS"
	b2=$(tp_blocks "$d/testpmd.log"); c2=$(cpu_ns $tp); g2=$(cpu_ns $GPID); s2=$(sys_busy_ns); t2=$(now)
	stop_sending "$d/gen.log"
	stop_pid $tp INT 10
	finish_gen "$d/gen.log"
	local pps rpf
	pps=$(tp_rx_pps_mean "$d/testpmd.log" "$b1" "$b2")
	rpf=$(rpf_of "$size" "$mode")
	# receiver CPU per packet: CPU time of every testpmd thread over the window
	python3 - "$pps" "$rpf" "$c1" "$c2" "$t1" "$t2" "${TSC_HZ:-0}" \
		"$(gen_field "$d/gen.log" mpps)" "$(gen_field "$d/gen.log" tx_drops)" \
		"$(gen_field "$d/gen.log" packets)" "$g1" "$g2" "$s1" "$s2" <<'EOF' >"$d/result"
import sys
pps, rpf, c1, c2, t1, t2, hz, gmpps, gdrops, gpkts, g1, g2, s1, s2 = sys.argv[1:]
pps = float(pps); rpf = int(rpf); win = float(t2) - float(t1)
cpu = (int(c2) - int(c1)) / 1e9
hz = float(hz) if float(hz) > 0 else 0
cyc = cpu * hz / (pps * win) if pps > 0 and hz > 0 else 0
# CPU used by everything else on the machine during the window (other helpers, builds)
other = ((int(s2) - int(s1)) - (int(c2) - int(c1)) - (int(g2) - int(g1))) / 1e9 / win
# mpps recs/s cycles/pkt cpu_cores gen_mpps gen_drop_fraction other_cores
gd = float(gdrops or 0); gp = float(gpkts or 0)
print("%.3f\t%.3f\t%.0f\t%.2f\t%s\t%.3f\t%.2f" % (pps / 1e6, pps * rpf / 1e6, cyc, cpu / win,
      gmpps or "0", gd / (gd + gp) if gd + gp > 0 else 0, max(other, 0)))
EOF
	printf "testpmd\t%s\t%s\t%s\t%s\n" "$size" "$mode" "$run" "$(cat "$d/result")" >>"$RES"
	if ! grep -q "^testpmd $size $mode" "$CMDS"; then
		{
			echo "testpmd $size $mode:"
			echo "  $(cat "$d/testpmd.cmd")"
			echo "  $(cat "$d/gen.log.cmd")"
		} >>"$CMDS"
	fi
	log "testpmd  $size B $mode run $run: $(cat "$d/result")"
}

# sluiced's JSON stats, via `sluice stats`, else straight from the telemetry socket
sl_stats() {   # sl_stats PREFIX > json
	if "$SLUICE_BIN" stats --file-prefix "$1" --json 2>/dev/null; then
		return 0
	fi
	python3 - "$1" <<'EOF'
import json, os, socket, sys
p = "/var/run/dpdk/%s/dpdk_telemetry.v2" % sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(p)
json.loads(s.recv(16384).decode())
s.send(b"/sluice/stats")
print(json.dumps(json.loads(s.recv(65536).decode())))
EOF
}

run_sluiced() {   # run_sluiced SIZE MODE RUN
	local size=$1 mode=$2 run=$3 d=$OUT/sl-$1-$2-$3
	mkdir -p "$d"
	rm -f "$SOCK"
	local data
	data=$(mktemp -d "$DIR/bench_dp.XXXXXX") || return 1
	DATA_DIRS="$DATA_DIRS $data"
	local cmd="$SLUICED_BIN -l 0,1 --main-lcore 0 $EAL --file-prefix ${TAG}sl --vdev net_memif0,role=server,socket=$SOCK,socket-abstract=no,mac=$SLC_MAC -- --data-dir $data --stream s:$SHARDS --udp-port 7000:raw --udp-port 7001:framed --ip 10.0.0.1/24 --accept-any-dst --rx-lcores 1"
	echo "$cmd" >"$d/sluiced.cmd"
	$cmd </dev/null >"$d/sluiced.log" 2>&1 &
	local sl=$!
	PIDS="$PIDS $sl"
	if ! wait_for "$d/sluiced.log" 'sluiced: ready' 30 $sl; then
		log "sluiced did not start: $d/sluiced.log"
		stop_pid $sl TERM 30
		return 1
	fi
	start_gen "$d/gen.log" "$size" "$mode" --dst-mac $SLC_MAC
	if ! wait_for "$d/gen.log" 'link up, sending' 20 $GPID; then
		log "generator did not start: $d/gen.log"
		stop_pid $sl TERM 30
		finish_gen "$d/gen.log"
		return 1
	fi
	local c1 t1 c2 t2 g1 g2 s1 s2
	sleep "$WARM"
	c1=$(cpu_ns $sl); g1=$(cpu_ns $GPID); s1=$(sys_busy_ns); t1=$(now)
	sl_stats "${TAG}sl" >"$d/stats1.json"
	sleep "$SECS"
	c2=$(cpu_ns $sl); g2=$(cpu_ns $GPID); s2=$(sys_busy_ns); t2=$(now)
	sl_stats "${TAG}sl" >"$d/stats2.json"
	stop_sending "$d/gen.log"
	# let sluiced empty memif's ring (up to 1024 frames behind), then SIGTERM: it stops
	# receiving and makes everything received durable
	sleep 1
	stop_pid $sl TERM 120
	local rc=$?
	[ $rc -ne 0 ] && log "sluiced exited with $rc: $d/sluiced.log"
	finish_gen "$d/gen.log"
	"$SLUICE_BIN" shards --data-dir "$data" --stream s >"$d/shards.txt" 2>&1
	"$SLUICE_BIN" verify --data-dir "$data" --stream s >"$d/verify.txt" 2>&1 ||
		log "sluice verify failed: $d/verify.txt"
	rm -rf "$data"
	DATA_DIRS=$(echo "$DATA_DIRS" | sed "s|$data||")
	python3 - "$d" "$c1" "$c2" "$t1" "$t2" "$(gen_field "$d/gen.log" seconds)" "${TSC_HZ:-0}" \
		"$(gen_field "$d/gen.log" mpps)" "$(gen_field "$d/gen.log" tx_drops)" \
		"$(gen_field "$d/gen.log" packets)" "$(gen_field "$d/gen.log" records)" \
		"$g1" "$g2" "$s1" "$s2" <<'EOF' >"$d/result"
import json, sys
d, c1, c2, t1, t2, gsecs, hz, gmpps, gdrops, gpkts, grecs, g1, g2, s1, s2 = sys.argv[1:]
def stats(f):
    j = json.load(open(f))
    return j.get("/sluice/stats", j)
j1 = stats(d + "/stats1.json"); j2 = stats(d + "/stats2.json")
win = float(t2) - float(t1)
tot1, tot2 = j1["totals"], j2["totals"]
rx = (tot2["rx_packets"] - tot1["rx_packets"]) / win
recs = (tot2["records"] - tot1["records"]) / win
cpu = (int(c2) - int(c1)) / 1e9
hz = float(hz)
cyc = cpu * hz / (recs * win) if recs > 0 else 0
durable = 0
col = None      # the RECORDS column, found by its header (columns may be added)
for line in open(d + "/shards.txt"):
    f = line.split()
    if f and f[0] == "SHARD" and "RECORDS" in f:
        col = f.index("RECORDS")
    elif col is not None and len(f) > col and f[0].startswith("shardId-"):
        durable += int(f[col])
sent = float(gsecs)     # the generator's sending time: sluiced ran throughout
# drops by cause over the whole run (final stats sample + sluiced's own totals)
causes = {}
for k, v in tot2.items():
    if (k.startswith("drop_") or k in ("frame_drops", "pkt_drops", "port_imissed",
            "port_ierrors", "port_rx_nombuf", "mbuf_leak")) and isinstance(v, int) and v:
        causes[k] = v
for k, v in j2.items():
    if k.startswith("core") and isinstance(v, dict):
        for kk, vv in v.items():
            if kk.startswith("drop_") and isinstance(vv, int) and vv:
                causes["%s.%s" % (k, kk)] = vv
cs = ",".join("%s=%d" % kv for kv in sorted(causes.items())) or "none"
gd = float(gdrops or 0); gp = float(gpkts or 0)
other = ((int(s2) - int(s1)) - (int(c2) - int(c1)) - (int(g2) - int(g1))) / 1e9 / win
# mpps recs/s(M) durable/s(M) cycles/rec cpu_cores gen_mpps gen_drop_frac durable sent_recs causes other_cores
print("%.3f\t%.3f\t%.3f\t%.0f\t%.2f\t%s\t%.3f\t%d\t%s\t%s\t%.2f" % (rx / 1e6, recs / 1e6,
      durable / sent / 1e6, cyc, cpu / win, gmpps or "0", gd / (gd + gp) if gd + gp else 0,
      durable, grecs or "0", cs, max(other, 0)))
EOF
	printf "sluiced\t%s\t%s\t%s\t%s\n" "$size" "$mode" "$run" "$(cat "$d/result")" >>"$RES"
	if ! grep -q "^sluiced $size $mode" "$CMDS"; then
		{
			echo "sluiced $size $mode:"
			echo "  $(cat "$d/sluiced.cmd")"
			echo "  $(cat "$d/gen.log.cmd")"
		} >>"$CMDS"
	fi
	log "sluiced  $size B $mode run $run: $(cat "$d/result")"
}

# ---- the runs: receivers alternate, run after run ----
log "outputs in $OUT; EAL memory: $EAL_MEM; $RUNS runs x $SECS s per case"
for run in $(seq 1 "$RUNS"); do
	for size in $SIZES; do
		for mode in $MODES; do
			run_testpmd "$size" "$mode" "$run"
			[ "$SLUICED" = 1 ] && run_sluiced "$size" "$mode" "$run"
		done
	done
done

# ---- table of medians ----
python3 - "$RES" "$RUNS" "$SECS" "$EAL_MEM" <<'EOF' | tee "$OUT/table.md"
import statistics as st, sys
res, runs, secs, mem = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(res) if l.strip()]
def med(xs):
    xs = [float(x) for x in xs]
    return st.median(xs) if xs else float("nan")
cases = []
for r in rows:
    if (r[1], r[2]) not in cases:
        cases.append((r[1], r[2]))
print("| records | mode | testpmd rx Mpps | testpmd Mrec/s carried | sluiced rx Mpps | "
      "sluiced Mrec/s decoded | durable Mrec/s | durable / testpmd | sluiced CPU cycles/record "
      "(cores) | testpmd cycles/packet (cores) | durable / sent | generator Mpps, refused: tp / sl | "
      "sluiced drops by cause | other load, cores tp / sl | runs |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
goal = None
for size, mode in cases:
    tp = [r for r in rows if r[0] == "testpmd" and r[1] == size and r[2] == mode]
    sl = [r for r in rows if r[0] == "sluiced" and r[1] == size and r[2] == mode]
    tp_mpps = med([r[4] for r in tp]); tp_recs = med([r[5] for r in tp])
    tp_cyc = med([r[6] for r in tp]); tp_cores = med([r[7] for r in tp])
    tp_gen = med([r[8] for r in tp]); tp_oth = med([r[10] for r in tp])
    tp_ref = med([r[9] for r in tp]) * 100
    if sl:
        sl_mpps = med([r[4] for r in sl]); sl_recs = med([r[5] for r in sl])
        sl_dur = med([r[6] for r in sl]); sl_cyc = med([r[7] for r in sl])
        sl_cores = med([r[8] for r in sl]); sl_gen = med([r[9] for r in sl])
        sl_oth = med([r[14] for r in sl]); sl_ref = med([r[10] for r in sl]) * 100
        lost = min(int(r[11]) / int(r[12]) if int(r[12]) else 0 for r in sl)
        causes = "; ".join(sorted(set(r[13] for r in sl)))
        ratio = sl_dur / tp_recs if tp_recs > 0 else float("nan")
        if size == "64" and mode == "raw":
            goal = ratio
        print("| %s B | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f (%.2f) | %.0f (%.2f) | %s | %.2f, %.0f%% / %.2f, %.0f%% | %s | %.2f / %.2f | %d/%d |"
              % (size, mode, tp_mpps, tp_recs, sl_mpps, sl_recs, sl_dur, ratio, sl_cyc,
                 sl_cores, tp_cyc, tp_cores, "%.4f" % lost if lost < 1 else "1 (all)", tp_gen,
                 tp_ref, sl_gen, sl_ref, causes, tp_oth, sl_oth, len(tp), len(sl)))
    else:
        print("| %s B | %s | %.2f | %.2f | - | - | - | - | - | %.0f (%.2f) | - | %.2f, %.0f%% / - | - | %.2f / - | %d/0 |"
              % (size, mode, tp_mpps, tp_recs, tp_cyc, tp_cores, tp_gen, tp_ref, tp_oth, len(tp)))
print()
print("Medians of %s alternating runs of %s s each (memory: %s)." % (runs, secs, mem))
if goal is not None:
    print("Goal, durable ingest >= 0.5 x testpmd rxonly for 64 B raw records on one core: "
          "%.2f -> %s" % (goal, "met" if goal >= 0.5 else "MISSED"))
EOF
echo
echo "Commands (first run of each case; every output is in $OUT):"
cat "$CMDS"
