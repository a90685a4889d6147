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
# The runs themselves are perf/lib.sh's (run_testpmd, run_sluiced), shared with perf/run.
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
	-h|--help) sed -n '2,32p' "$0"; exit 0 ;;
	*) echo "bench_dp.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

OUT=${OUT:-$(mktemp -d /tmp/bench_dp-results.XXXXXX)}
mkdir -p "$OUT"
LOG_NAME=bench_dp.sh
TAG=sbdp$$
# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"
lib_traps

# ---- build and tools ----
TARGETS=perf/sluice-gen
[ "$SLUICED" = 1 ] && TARGETS="$TARGETS app/sluiced/sluiced app/sluice/sluice"
# shellcheck disable=SC2086
lib_build $TARGETS || exit 1
lib_need_testpmd || exit 1

# ---- memory ----
lib_memory

RES=$OUT/results.tsv
: >"$RES"
CMDS=$OUT/commands.txt
: >"$CMDS"

# one run of each receiver: its result line into $RES, its commands into $CMDS once
bench_testpmd() {   # bench_testpmd SIZE MODE RUN
	run_testpmd "$1" "$2" "$3" || return 1
	printf "testpmd\t%s\t%s\t%s\t%s\n" "$1" "$2" "$3" "$(cat "$RUN_DIR/result")" >>"$RES"
	if ! grep -q "^testpmd $1 $2" "$CMDS"; then
		{
			echo "testpmd $1 $2:"
			echo "  $(cat "$RUN_DIR/testpmd.cmd")"
			echo "  $(cat "$RUN_DIR/gen.log.cmd")"
		} >>"$CMDS"
	fi
	log "testpmd  $1 B $2 run $3: $(cat "$RUN_DIR/result")"
}

bench_sluiced() {   # bench_sluiced SIZE MODE RUN
	run_sluiced "$1" "$2" "$3" || return 1
	printf "sluiced\t%s\t%s\t%s\t%s\n" "$1" "$2" "$3" "$(cat "$RUN_DIR/result")" >>"$RES"
	if ! grep -q "^sluiced $1 $2" "$CMDS"; then
		{
			echo "sluiced $1 $2:"
			echo "  $(cat "$RUN_DIR/sluiced.cmd")"
			echo "  $(cat "$RUN_DIR/gen.log.cmd")"
		} >>"$CMDS"
	fi
	log "sluiced  $1 B $2 run $3: $(cat "$RUN_DIR/result")"
}

# ---- the runs: receivers alternate, run after run ----
log "outputs in $OUT; EAL memory: $EAL_MEM; $RUNS runs x $SECS s per case"
for run in $(seq 1 "$RUNS"); do
	for size in $SIZES; do
		for mode in $MODES; do
			bench_testpmd "$size" "$mode" "$run"
			[ "$SLUICED" = 1 ] && bench_sluiced "$size" "$mode" "$run"
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
