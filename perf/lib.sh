# perf/lib.sh: shared functions of the data-plane benchmarks (perf/bench_dp.sh,
# perf/run). Source it from bash after setting:
#
#   ROOT BUILD_DIR OUT     the tree, its build directory, where outputs go
#   DIR                    scratch file system for data directories (O_DIRECT)
#   HUGE HUGEPAGES         1: reserve HUGEPAGES 2 MiB pages if fewer are free
#   WARM SECS              warm-up and measured window of a run (seconds)
#   FLOWS KEYS SHARDS      generator flows (raw), keys (framed), stream shards
#   LOG_NAME               prefix of log lines ("bench_dp.sh", "run")
#
# What a run does, and why it is shaped so (perf/README.md, "bench_dp.sh"):
# the receiver (dpdk-testpmd --forward-mode=rxonly, or sluiced) is the memif
# server and polls on CPU 1; sluice-gen is the memif client on CPU 0 and sends
# flat out (or at --rate); after WARM seconds the window of SECS seconds is
# measured from the receiver's counters and the CPU time of its threads; then
# the generator stops sending (SIGINT, it keeps its port open: memif in DPDK
# 22.11 may crash the side still polling when its peer goes), the receiver is
# stopped (sluiced by SIGTERM: everything received becomes durable), and the
# generator exits. sluiced's records are counted from the logs afterwards.
#
# Every function that starts a process records its PID in PIDS; lib_cleanup
# (installed by lib_traps) stops what is left, receivers first, removes data
# directories in DATA_DIRS and gives back the hugepages it reserved.

SLC_MAC=${SLC_MAC:-02:00:00:00:00:01}
TAG=${TAG:-slp$$}
SOCK=${SOCK:-$OUT/memif.sock}
HP_SYS=/sys/kernel/mm/hugepages/hugepages-2048kB
HP_PREV=
GEN_ZC=
GEN_EAL_EXTRA=
PIDS=""
DATA_DIRS=""
TSC_HZ=${TSC_HZ:-}
EAL_MEM=${EAL_MEM:-}
EAL=${EAL:-}
GEN=$BUILD_DIR/perf/sluice-gen
SLUICED_BIN=$BUILD_DIR/app/sluiced/sluiced
SLUICE_BIN=$BUILD_DIR/app/sluice/sluice

log() { echo "${LOG_NAME:-perf}: $*" >&2; }

# ---------------------------------------------------------------- clean-up

lib_cleanup() {
	local p
	for p in $PIDS; do
		kill -INT "$p" 2>/dev/null && sleep 1
		kill -KILL "$p" 2>/dev/null
	done
	PIDS=""
	for p in $DATA_DIRS; do
		rm -rf "$p"
	done
	DATA_DIRS=""
	rm -f "$SOCK"
	if [ -n "$HP_PREV" ]; then
		echo "$HP_PREV" >"$HP_SYS/nr_hugepages" 2>/dev/null &&
			log "hugepages given back: nr_hugepages = $(cat "$HP_SYS/nr_hugepages")"
		HP_PREV=
	fi
}

lib_traps() {
	trap lib_cleanup EXIT
	trap 'exit 130' INT TERM
}

# ---------------------------------------------------------------- build and tools

# lib_build TARGET...: meson setup if needed, then ninja those targets
lib_build() {
	if [ ! -f "$BUILD_DIR/build.ninja" ]; then
		meson setup "$BUILD_DIR" "$ROOT" -Dperf=true >"$OUT/meson.log" 2>&1 ||
			{ log "meson setup failed: $OUT/meson.log"; return 1; }
	fi
	ninja -C "$BUILD_DIR" "$@" >"$OUT/ninja.log" 2>&1 ||
		{ log "build failed: $OUT/ninja.log"; return 1; }
}

# lib_has_target TARGET: 0 if the build knows it (another helper's tools may not exist yet)
lib_has_target() {
	ninja -C "$BUILD_DIR" -t targets all 2>/dev/null | grep -q "^$1:"
}

lib_need_testpmd() {
	if ! command -v dpdk-testpmd >/dev/null 2>&1; then
		# Debian 12 ships dpdk-testpmd in dpdk-dev (not in the dpdk runtime package)
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y dpdk-dev >"$OUT/apt.log" 2>&1
		fi
		command -v dpdk-testpmd >/dev/null 2>&1 ||
			{ log "dpdk-testpmd missing: apt-get install dpdk-dev"; return 1; }
	fi
	command -v python3 >/dev/null 2>&1 || { log "python3 missing"; return 1; }
}

# ---------------------------------------------------------------- memory

# Sets EAL_MEM, EAL, GEN_ZC, GEN_EAL_EXTRA: hugepages (--in-memory, the generator a
# zero-copy memif client) when HUGE=1 and they can be had, else --no-huge.
lib_memory() {
	local cur free
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
			# the generator's memif sends from its own mbufs (zero-copy client): it
			# then costs less than the receiver, so the receiver is what limits the rate
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
}

# ---------------------------------------------------------------- small helpers

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

# per thread of PID: "TID COMM CPU_NS WAIT_NS" (schedstat: time on a CPU, time runnable
# but waiting for one); the report groups them (data core, io_uring workers, ...)
task_dump() {
	local t
	for t in /proc/"$1"/task/*; do
		printf "%s %s %s\n" "${t##*/}" "$(tr ' ' '_' <"$t/comm" 2>/dev/null)" \
			"$(cut -d' ' -f1,2 "$t/schedstat" 2>/dev/null)"
	done 2>/dev/null
}

# busy CPU time (ns) of the whole machine so far, from /proc/stat
sys_busy_ns() {
	awk '/^cpu / {printf "%.0f\n", ($2 + $3 + $4 + $7 + $8 + $9) * 1e9 / 100}' /proc/stat
}

# stop_pid PID SIG SECS: signal, wait up to SECS, then SIGKILL; returns the exit status
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

# tel PREFIX CMD...: ask sluiced's telemetry socket, print {"CMD": value, ...} as one line
tel() {
	python3 - "$@" <<'EOF'
import json, os, socket, sys
prefix = sys.argv[1]
base = "/var/run" if os.geteuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("%s/dpdk/%s/dpdk_telemetry.v2" % (base, prefix))
json.loads(s.recv(16384).decode())
out = {}
for c in sys.argv[2:]:
    s.send(c.encode())
    out.update(json.loads(s.recv(1 << 20).decode()))
print(json.dumps(out))
EOF
}

# sluiced's JSON stats, via `sluice stats`, else straight from the telemetry socket
sl_stats() {   # sl_stats PREFIX > json
	if "$SLUICE_BIN" stats --file-prefix "$1" --json 2>/dev/null; then
		return 0
	fi
	tel "$1" /sluice/stats
}

# ---------------------------------------------------------------- the generator

gen_args() {    # gen_args SIZE MODE
	case "$2" in
	raw) echo "--mode raw --size $1 --flows $FLOWS" ;;
	framed) echo "--mode framed --size $1 --flows 1024 --keys $KEYS" ;;
	framed-hk) echo "--mode framed --size $1 --flows 1024 --keys $KEYS --frame-hash-key --shards $SHARDS" ;;
	esac
}

# records per packet of a case (framed: as many as fit a 1500 B packet, as sluice-gen does)
rpf_of() {
	case "$2" in
	raw) echo 1 ;;
	framed) echo $(( (1500 - 20 - 8 - 16 - 4) / (8 + 12 + $1) )) ;;
	framed-hk) echo $(( (1500 - 20 - 8 - 32 - 4) / (8 + 12 + $1) )) ;;
	esac
}

# start_gen LOG SIZE MODE [extra]: sets GPID
start_gen() {
	local logf=$1 size=$2 mode=$3
	shift 3
	local cmd="$GEN -l 0 $EAL $GEN_EAL_EXTRA --file-prefix ${TAG}gen --vdev net_memif0,role=client,socket=$SOCK,socket-abstract=no$GEN_ZC -- $(gen_args "$size" "$mode") --seconds $((WARM + SECS + 20)) --wait-peer 30 $*"
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

# ---------------------------------------------------------------- testpmd

# testpmd stats blocks: "RX-packets: N" and "Rx-pps: N" once a second
tp_rx_pps_mean() {   # tp_rx_pps_mean LOG FIRST_BLOCK LAST_BLOCK
	grep -a 'Rx-pps:' "$1" | awk -v a="$2" -v b="$3" '
		{ n++ } n > a && n <= b { s += $2; k++ }
		END { if (k) printf "%.0f\n", s / k; else print 0 }'
}
tp_blocks() { grep -ac 'Rx-pps:' "$1"; }

# run_testpmd SIZE MODE RUN: the link's ceiling. Sets RUN_DIR; writes $RUN_DIR/result
# (tab-separated, bench_dp.sh's columns) and $RUN_DIR/result.json. 0 or 1.
run_testpmd() {
	local size=$1 mode=$2 run=$3 d=$OUT/tp-$1-$2-$3
	RUN_DIR=$d
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
	python3 - "$d" "$pps" "$rpf" "$c1" "$c2" "$t1" "$t2" "${TSC_HZ:-0}" \
		"$(gen_field "$d/gen.log" mpps)" "$(gen_field "$d/gen.log" tx_drops)" \
		"$(gen_field "$d/gen.log" packets)" "$g1" "$g2" "$s1" "$s2" "$size" "$mode" "$run" <<'EOF' >"$d/result"
import json, sys
(d, pps, rpf, c1, c2, t1, t2, hz, gmpps, gdrops, gpkts, g1, g2, s1, s2,
 size, mode, run) = sys.argv[1:]
pps = float(pps); rpf = int(rpf); win = float(t2) - float(t1)
cpu = (int(c2) - int(c1)) / 1e9
hz = float(hz) if float(hz) > 0 else 0
cyc = cpu * hz / (pps * win) if pps > 0 and hz > 0 else 0
# CPU used by everything else on the machine during the window (other helpers, builds)
other = ((int(s2) - int(s1)) - (int(c2) - int(c1)) - (int(g2) - int(g1))) / 1e9 / win
gd = float(gdrops or 0); gp = float(gpkts or 0)
res = {"kind": "testpmd", "size": int(size), "mode": mode, "run": int(run),
       "mpps": pps / 1e6, "mrecs": pps * rpf / 1e6, "cyc_per_pkt": cyc, "cores": cpu / win,
       "gen_mpps": float(gmpps or 0), "gen_refused": gd / (gd + gp) if gd + gp > 0 else 0,
       "other_cores": max(other, 0), "window_s": win, "tsc_hz": hz,
       "cmds": [open(d + "/testpmd.cmd").read().strip(), open(d + "/gen.log.cmd").read().strip()]}
json.dump(res, open(d + "/result.json", "w"))
# mpps recs/s cycles/pkt cpu_cores gen_mpps gen_drop_fraction other_cores
print("%.3f\t%.3f\t%.0f\t%.2f\t%s\t%.3f\t%.2f" % (res["mpps"], res["mrecs"], cyc, cpu / win,
      gmpps or "0", res["gen_refused"], res["other_cores"]))
EOF
}

# ---------------------------------------------------------------- sluiced

# run_sluiced SIZE MODE RUN: sluiced fed by the generator over memif. Knobs (environment;
# empty by default):
#   SL_CASE     suffix of the run directory's name (e.g. "deflate")
#   SL_STREAM   what follows s:SHARDS in --stream (":deflate", ":none:fsync")
#   SL_ARGS     more sluiced options (e.g. --latency-stamps)
#   SL_EAL      EAL lcore options (default "-l 0,1 --main-lcore 0"), SL_RX (--rx-lcores, 1)
#   SL_VDEV     the port (default: the memif server); with SL_NOGEN=1 no generator runs
#               (a net_pcap replay port feeds sluiced by itself)
#   GEN_ARGS    more generator options (--rate, --stamp)
#   SL_LAT      1: /sluice/latency is reset at the start of the window and read after
#               the generator stopped (everything sent is durable by then)
# Sets RUN_DIR; writes $RUN_DIR/result (tab-separated, bench_dp.sh's columns) and
# $RUN_DIR/result.json (every figure). 0 or 1.
run_sluiced() {
	local size=$1 mode=$2 run=$3
	local d=$OUT/sl-$1-$2${SL_CASE:+-$SL_CASE}-$3
	RUN_DIR=$d
	mkdir -p "$d"
	rm -f "$SOCK"
	local data
	data=$(mktemp -d "$DIR/perf-sl.XXXXXX") || return 1
	DATA_DIRS="$DATA_DIRS $data"
	local vdev=${SL_VDEV:-net_memif0,role=server,socket=$SOCK,socket-abstract=no,mac=$SLC_MAC}
	local cmd="$SLUICED_BIN ${SL_EAL:--l 0,1 --main-lcore 0} $EAL --file-prefix ${TAG}sl --vdev $vdev -- --data-dir $data --stream s:$SHARDS${SL_STREAM:-} --udp-port 7000:raw --udp-port 7001:framed --ip 10.0.0.1/24 --accept-any-dst --rx-lcores ${SL_RX:-1} ${SL_ARGS:-}"
	echo "$cmd" >"$d/sluiced.cmd"
	: >"$d/gen.log.cmd"
	$cmd </dev/null >"$d/sluiced.log" 2>&1 &
	local sl=$!
	PIDS="$PIDS $sl"
	if ! wait_for "$d/sluiced.log" 'sluiced: ready' 30 $sl; then
		log "sluiced did not start: $d/sluiced.log"
		stop_pid $sl TERM 30
		return 1
	fi
	GPID=
	if [ "${SL_NOGEN:-0}" != 1 ]; then
		start_gen "$d/gen.log" "$size" "$mode" --dst-mac $SLC_MAC ${GEN_ARGS:-}
		if ! wait_for "$d/gen.log" 'link up, sending' 20 $GPID; then
			log "generator did not start: $d/gen.log"
			stop_pid $sl TERM 30
			finish_gen "$d/gen.log"
			return 1
		fi
	fi
	local c1 t1 c2 t2 g1=0 g2=0 s1 s2 t0
	t0=$(now)
	sleep "$WARM"
	[ "${SL_LAT:-0}" = 1 ] && tel "${TAG}sl" /sluice/latency,reset >"$d/latency0.json"
	c1=$(cpu_ns $sl); [ -n "$GPID" ] && g1=$(cpu_ns $GPID); s1=$(sys_busy_ns); t1=$(now)
	task_dump $sl >"$d/tasks1.txt"
	sl_stats "${TAG}sl" >"$d/stats1.json"
	sleep "$SECS"
	c2=$(cpu_ns $sl); [ -n "$GPID" ] && g2=$(cpu_ns $GPID); s2=$(sys_busy_ns); t2=$(now)
	task_dump $sl >"$d/tasks2.txt"
	sl_stats "${TAG}sl" >"$d/stats2.json"
	if [ -n "$GPID" ]; then
		stop_sending "$d/gen.log"
		# let sluiced empty memif's ring (up to 1024 frames behind), then SIGTERM: it
		# stops receiving and makes everything received durable
		sleep 1
	fi
	[ "${SL_LAT:-0}" = 1 ] && tel "${TAG}sl" /sluice/latency >"$d/latency.json"
	local t3
	t3=$(now)
	stop_pid $sl TERM 120
	local rc=$?
	[ $rc -ne 0 ] && log "sluiced exited with $rc: $d/sluiced.log"
	[ -n "$GPID" ] && finish_gen "$d/gen.log"
	"$SLUICE_BIN" shards --data-dir "$data" --stream s >"$d/shards.txt" 2>&1
	local vrc=0
	"$SLUICE_BIN" verify --data-dir "$data" --stream s >"$d/verify.txt" 2>&1 || vrc=$?
	[ $vrc -ne 0 ] && log "sluice verify failed: $d/verify.txt"
	rm -rf "$data"
	DATA_DIRS=$(echo "$DATA_DIRS" | sed "s|$data||")
	local gsecs
	gsecs=$(gen_field "$d/gen.log" seconds 2>/dev/null)
	# with no generator, sluiced received from start-up to SIGTERM
	[ -z "$gsecs" ] && gsecs=$(awk -v a="$t3" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
	python3 - "$d" "$c1" "$c2" "$t1" "$t2" "$gsecs" "${TSC_HZ:-0}" \
		"$(gen_field "$d/gen.log" mpps 2>/dev/null)" "$(gen_field "$d/gen.log" tx_drops 2>/dev/null)" \
		"$(gen_field "$d/gen.log" packets 2>/dev/null)" "$(gen_field "$d/gen.log" records 2>/dev/null)" \
		"$g1" "$g2" "$s1" "$s2" "$size" "$mode" "$run" "$vrc" "$rc" <<'EOF' >"$d/result"
import json, os, sys
(d, c1, c2, t1, t2, gsecs, hz, gmpps, gdrops, gpkts, grecs, g1, g2, s1, s2,
 size, mode, run, vrc, rc) = sys.argv[1:]
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
nrec = tot2["records"] - tot1["records"]
cyc = cpu * hz / nrec if nrec > 0 and hz > 0 else 0
def core_sum(j, k):
    return sum(v.get(k, 0) for kk, v in j.items() if kk.startswith("core") and isinstance(v, dict))
busy = core_sum(j2, "busy_cycles") - core_sum(j1, "busy_cycles")
poll = core_sum(j2, "poll_cycles") - core_sum(j1, "poll_cycles")
if hz == 0 and poll > 0:
    # no generator told the TSC rate: the data cores' loops count TSC cycles of wall time
    hz = poll / max(1, j2.get("data_cores", 1)) / win
    cyc = cpu * hz / nrec if nrec > 0 else 0
wbytes = core_sum(j2, "log_write_bytes") - core_sum(j1, "log_write_bytes")
nwrites = core_sum(j2, "log_writes") - core_sum(j1, "log_writes")
nblocks = core_sum(j2, "log_blocks") - core_sum(j1, "log_blocks")
nappends = core_sum(j2, "log_appends") - core_sum(j1, "log_appends")
sbytes = tot2["stored_bytes"] - tot1["stored_bytes"]
stored = (tot2["stored"] - tot1["stored"]) / win
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
# sluiced's final line counts drops after the last sample too
fin = {}
for line in open(d + "/sluiced.log", errors="replace"):
    if "sluiced: final: dropped" in line:
        import re
        for name, val in re.findall(r"(\w+) (\d+)", line.split("(", 1)[1]):
            fin[name] = int(val)
for k, v in fin.items():
    if v and k in ("ring_full", "log_full", "too_big", "nombuf", "log_error"):
        causes["drop_" + k] = max(causes.get("drop_" + k, 0), v)
cs = ",".join("%s=%d" % kv for kv in sorted(causes.items())) or "none"
gd = float(gdrops or 0); gp = float(gpkts or 0)
other = ((int(s2) - int(s1)) - (int(c2) - int(c1)) - (int(g2) - int(g1))) / 1e9 / win
# CPU and run-queue wait of sluiced's threads by kind over the window: io_uring's
# workers (iou-wrk-*: O_DIRECT writes that extend a file are punted to them) compete
# with the polling lcores for the CPUs; their wait shows in the latency
def tasks(f):
    o = {}
    for line in open(f):
        x = line.split()
        if len(x) == 4:
            o[x[0]] = (x[1], int(x[2]), int(x[3]))
    return o
threads = {}
try:
    a, b = tasks(d + "/tasks1.txt"), tasks(d + "/tasks2.txt")
    for tid, (comm, cpu_b, wait_b) in b.items():
        cpu_a, wait_a = a.get(tid, (comm, 0, 0))[1:]
        kind = ("io_uring workers" if comm.startswith("iou-") else
                "data cores" if comm.startswith("lcore-worker") else
                "main" if comm == "sluiced" else "other")
        t = threads.setdefault(kind, {"cpu_cores": 0.0, "wait_cores": 0.0, "threads": 0})
        t["cpu_cores"] += (cpu_b - cpu_a) / 1e9 / win
        t["wait_cores"] += (wait_b - wait_a) / 1e9 / win
        t["threads"] += 1
except (OSError, ValueError):
    pass
lat = None
if os.path.exists(d + "/latency.json"):
    try:
        lat = json.load(open(d + "/latency.json")).get("/sluice/latency")
    except ValueError:
        lat = None
cmds = [open(d + "/sluiced.cmd").read().strip()]
if os.path.getsize(d + "/gen.log.cmd"):
    cmds.append(open(d + "/gen.log.cmd").read().strip())
res = {"kind": "sluiced", "size": int(size), "mode": mode, "run": int(run),
       "rx_mpps": rx / 1e6, "mrecs": recs / 1e6, "stored_mrecs": stored / 1e6,
       "durable": durable,
       "durable_mrecs": durable / sent / 1e6 if sent > 0 else 0, "sent_recs": int(grecs or 0),
       "send_s": sent, "cyc_per_rec_cpu": cyc, "cyc_per_rec_busy": busy / nrec if nrec else 0,
       "busy_share": busy / poll if poll else 0, "cores": cpu / win,
       "write_MBps": wbytes / win / 1e6, "stored_MBps": sbytes / win / 1e6,
       "writes_per_s": nwrites / win, "blocks_per_s": nblocks / win,
       "records_per_block": nappends / nblocks if nblocks else 0,
       "gen_mpps": float(gmpps or 0), "gen_refused": gd / (gd + gp) if gd + gp > 0 else 0,
       "drops": causes, "other_cores": max(other, 0), "window_s": win, "tsc_hz": hz,
       "verify_ok": int(vrc) == 0, "exit": int(rc), "latency": lat, "threads": threads,
       "cmds": cmds}
json.dump(res, open(d + "/result.json", "w"))
# mpps recs/s(M) durable/s(M) cycles/rec cpu_cores gen_mpps gen_drop_frac durable sent_recs causes other_cores
print("%.3f\t%.3f\t%.3f\t%.0f\t%.2f\t%s\t%.3f\t%d\t%s\t%s\t%.2f" % (rx / 1e6, recs / 1e6,
      res["durable_mrecs"], cyc, cpu / win, gmpps or "0", res["gen_refused"],
      durable, grecs or "0", cs, res["other_cores"]))
EOF
}
