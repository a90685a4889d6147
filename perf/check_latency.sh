#!/bin/bash
# perf/check_latency.sh: an end-to-end check of sluiced's latency sampling
# (--latency-stamps, /sluice/latency; perf/README.md, "Latency"). Not part of
# meson test: it takes about 20 s and is for whoever changes the sampling.
#
# sluice-gen writes records stamped with the time it writes them into a capture;
# DELAY seconds later sluiced replays the capture (net_pcap delivers it once, at
# start) with one data core. So every latency is at least DELAY, and with one
# core the sample count is exact: 1 record in N of those appended. Cases:
#   1. raw, stamped, every record sampled: samples = records, invalid 0, skipped
#      0, DELAY <= min <= p50 <= p99 <= p99.9 <= max < DELAY + 60 s; a reset
#      empties the histogram
#   2. framed (17 records a frame), stamped, 1 in 5: samples = floor(records / 5)
#   3. raw, not stamped, 1 in 3: samples 0, invalid = floor(records / 3)
#   4. sampling off: /sluice/latency says so; bad option values are refused
#
#   perf/check_latency.sh [--delay S]      (BUILD_DIR: <repo>/build)
# Prints PASS or the first failure; exit 0 or 1.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
DELAY=2
[ "${1:-}" = "--delay" ] && DELAY=$2
GEN=$BUILD_DIR/perf/sluice-gen
SLUICED=$BUILD_DIR/app/sluiced/sluiced
WORK=$(mktemp -d /tmp/check_latency.XXXXXX)
DATA=
SPID=
PFX=chklat$$

cleanup() {
	[ -n "$SPID" ] && kill -TERM "$SPID" 2>/dev/null && sleep 1 && kill -KILL "$SPID" 2>/dev/null
	rm -rf "$WORK" "$DATA"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	[ -f "$WORK/sluiced.log" ] && sed 's/^/  sluiced: /' "$WORK/sluiced.log" | tail -20
	exit 1
}

ninja -C "$BUILD_DIR" perf/sluice-gen app/sluiced/sluiced >/dev/null ||
	fail "build"

tel() {   # tel CMD: the value of one telemetry command as JSON
	python3 - "$PFX" "$1" <<'EOF'
import json, os, socket, sys
base = "/var/run" if os.geteuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("%s/dpdk/%s/dpdk_telemetry.v2" % (base, sys.argv[1]))
json.loads(s.recv(16384).decode())
s.send(sys.argv[2].encode())
print(json.dumps(json.loads(s.recv(65536).decode())[sys.argv[2].split(",")[0]]))
EOF
}

field() {   # field JSON KEY
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

capture() {   # capture FILE OPTIONS...: prints the records written
	local f=$1
	shift
	"$GEN" -l 0 --no-huge --no-shconf -m 512 --no-pci --log-level=warning \
		--file-prefix "${PFX}g" --vdev "net_pcap0,tx_pcap=$f" -- --size 64 --flows 64 \
		--count 2000 --dst-mac 02:00:00:00:00:01 "$@" >"$WORK/gen.log" 2>&1 ||
		fail "sluice-gen: $(tail -1 "$WORK/gen.log")"
	sed -n 's/.* records \([0-9]*\) .*/\1/p' "$WORK/gen.log" | tail -1
}

# start_sluiced CAPTURE SLUICED-OPTIONS...: replays CAPTURE, waits until WANT records stored
start_sluiced() {
	local cap=$1 i stored=0
	shift
	DATA=$(mktemp -d /var/tmp/check_latency.XXXXXX)
	"$SLUICED" -l 0,1 --main-lcore 0 --no-huge --no-shconf -m 512 --no-pci \
		--log-level=warning --file-prefix "$PFX" --vdev "net_pcap0,rx_pcap=$cap" -- \
		--data-dir "$DATA" --stream s:4 --udp-port 7000:raw --udp-port 7001:framed \
		--ip 10.0.0.1/24 --accept-any-dst --rx-lcores 1 "$@" >"$WORK/sluiced.log" 2>&1 &
	SPID=$!
	for i in $(seq 1 300); do
		grep -q 'sluiced: ready' "$WORK/sluiced.log" && break
		kill -0 "$SPID" 2>/dev/null || fail "sluiced exited"
		sleep 0.1
	done
	for i in $(seq 1 300); do
		stored=$(tel /sluice/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["stored"])')
		[ "$stored" = "$WANT" ] && break
		sleep 0.1
	done
	[ "$stored" = "$WANT" ] || fail "sluiced stored $stored of $WANT records"
	sleep 0.5    # linger (1 ms) and the writes: everything durable
}

stop_sluiced() {
	kill -TERM "$SPID"
	wait "$SPID" || fail "sluiced exited with $?"
	SPID=
	rm -rf "$DATA"
	DATA=
}

expect() {   # expect WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got $2, want $3"
	echo "ok: $1 = $2"
}

# ---- 1. raw, stamped, every record
WANT=$(capture "$WORK/raw.pcap" --mode raw --stamp)
T0=$(date +%s%N)
sleep "$DELAY"
start_sluiced "$WORK/raw.pcap" --latency-stamps=1
T1=$(date +%s%N)
L=$(tel /sluice/latency)
echo "raw, every record: $L"
expect "every" "$(field "$L" every)" 1
expect "samples" "$(field "$L" samples)" "$WANT"
expect "invalid" "$(field "$L" invalid)" 0
expect "skipped" "$(field "$L" skipped)" 0
expect "pending" "$(field "$L" pending)" 0
python3 - "$L" "$DELAY" "$T0" "$T1" <<'EOF' || fail "latency bounds (above)"
import json, sys
l = json.loads(sys.argv[1]); delay = float(sys.argv[2]) * 1e9
t0, t1 = int(sys.argv[3]), int(sys.argv[4])
seq = [l["min_ns"], l["p50_ns"], l["p90_ns"], l["p99_ns"], l["p999_ns"], l["max_ns"]]
ok = True
if not all(a <= b for a, b in zip(seq, seq[1:])):
    print("not ordered: min p50 p90 p99 p99.9 max =", seq); ok = False
if l["min_ns"] < delay:
    print("min %d ns < the delay %d ns" % (l["min_ns"], delay)); ok = False
# stamped before t0, durable before t1: no latency can exceed t1 - (t0 - 5 s)
if l["max_ns"] > t1 - t0 + 5e9:
    print("max %d ns > %d ns" % (l["max_ns"], t1 - t0 + 5e9)); ok = False
# quantiles are bucket upper edges: at most 1/32 above the smallest sample
if l["p50_ns"] > l["min_ns"] * (1 + 1 / 32.0) + (t1 - t0 - delay):
    print("p50 %d far above min %d" % (l["p50_ns"], l["min_ns"])); ok = False
if not l["min_ns"] <= l["mean_ns"] <= l["max_ns"]:
    print("mean outside [min, max]"); ok = False
print("ok: %.3f s <= min %.3f <= p50 %.3f <= p99.9 %.3f <= max %.3f s" % (delay / 1e9,
      l["min_ns"] / 1e9, l["p50_ns"] / 1e9, l["p999_ns"] / 1e9, l["max_ns"] / 1e9))
sys.exit(0 if ok else 1)
EOF
R=$(tel /sluice/latency,reset)
expect "reset answers the figures so far" "$(field "$R" samples)" "$WANT"
sleep 0.2
L=$(tel /sluice/latency)
expect "samples after reset" "$(field "$L" samples)" 0
expect "max after reset" "$(field "$L" max_ns)" 0
E=$(tel /sluice/latency,bogus)
expect "bad params" "$(field "$E" error)" "params: none, or 'reset'"
stop_sluiced

# ---- 2. framed, stamped, 1 in 5
WANT=$(capture "$WORK/framed.pcap" --mode framed --keys 100 --count 500 --stamp)
start_sluiced "$WORK/framed.pcap" --latency-stamps=5
L=$(tel /sluice/latency)
echo "framed, 1 in 5: $L"
expect "samples" "$(field "$L" samples)" $((WANT / 5))
expect "invalid" "$(field "$L" invalid)" 0
stop_sluiced

# ---- 3. raw, not stamped, 1 in 3
WANT=$(capture "$WORK/plain.pcap" --mode raw)
start_sluiced "$WORK/plain.pcap" --latency-stamps=3
L=$(tel /sluice/latency)
echo "raw, unstamped, 1 in 3: $L"
expect "samples" "$(field "$L" samples)" 0
expect "invalid" "$(field "$L" invalid)" $((WANT / 3))
stop_sluiced

# ---- 4. off, and bad values
start_sluiced "$WORK/plain.pcap"
L=$(tel /sluice/latency)
expect "off" "$(field "$L" error)" "latency sampling is off: start sluiced with --latency-stamps"
stop_sluiced
for bad in abc -1 2000000 1x; do
	out=$("$SLUICED" --no-huge --no-shconf -m 64 --no-pci --log-level=warning \
		--file-prefix "${PFX}b" -- --data-dir /nonexistent --stream s:1 \
		--latency-stamps="$bad" 2>&1)
	rc=$?
	expect "exit status for --latency-stamps=$bad" "$rc" 1
	echo "$out" | grep -q "^sluiced: --latency-stamps '$bad' is not valid: use no value" ||
		fail "message for --latency-stamps=$bad: $out"
done
echo "PASS: perf/check_latency.sh"
