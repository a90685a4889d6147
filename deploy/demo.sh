#!/usr/bin/env bash
# sluice storage demo (README's first command): installs what is missing, builds,
# creates a stream, loads simulated sensor telemetry through the appliance's log
# writer, reads it back from several iterator positions, verifies every block,
# and removes the data directory (keep it with --keep).
# Becomes the appliance demo (DPDK virtual devices, UDP senders) with the data plane.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0; [ "${1:-}" = "--keep" ] && keep=1

bash deploy/build.sh
sluice=build/app/sluice/sluice
data=$(mktemp -d /var/tmp/sluice-demo.XXXXXX)
cleanup() { [ $keep = 1 ] && echo "data kept in $data" || rm -rf "$data"; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "create stream 'sensors': 4 shards, deflate, durability direct"
$sluice create --data-dir "$data" --stream sensors --shards 4 --compression deflate

step "load 200,000 readings from 500 simulated sensors (put --print-seq: acknowledged once durable)"
python3 - <<'PY' >"$data/input.tsv"
import json, random
random.seed(7)
t0 = 1795300000000
for i in range(200000):
    s = i % 500
    rec = {"sensor": f"sensor-{s:04d}", "ts": t0 + i, "temp_c": round(20 + random.gauss(0, 3), 2),
           "humidity": random.randint(20, 90), "battery_mv": 3000 + random.randint(0, 600)}
    print(f"sensor-{s:04d}\t{json.dumps(rec, separators=(',', ':'))}")
PY
start=$(date +%s.%N)
$sluice put --data-dir "$data" --stream sensors --print-seq <"$data/input.tsv" >"$data/acks.tsv"
end=$(date +%s.%N)
acked=$(wc -l <"$data/acks.tsv")
echo "acknowledged $acked of 200000 records in $(python3 -c "print(f'{$end-$start:.2f}')") s"
[ "$acked" -eq 200000 ]

step "shards"
$sluice shards --data-dir "$data" --stream sensors

step "first 3 records of shardId-000000000000 (jsonl, data base64)"
$sluice read --data-dir "$data" --stream sensors --shard shardId-000000000000 --limit 3 --format jsonl

seq=$(awk -F'\t' '$1=="shardId-000000000002" {n++; if (n==1000) {print $2; exit}}' "$data/acks.tsv")
step "3 records of shardId-000000000002 from the 1000th acknowledged one (at:$seq)"
$sluice read --data-dir "$data" --stream sensors --shard shardId-000000000002 --from "at:$seq" --limit 3

step "read every shard back and compare with the input"
for s in 0 1 2 3; do
	$sluice read --data-dir "$data" --stream sensors --shard $s | cut -f2-
done | sort >"$data/out.sorted"
sort "$data/input.tsv" | cmp - "$data/out.sorted" && echo "all 200000 records read back exactly once, identical"

step "verify every block"
$sluice verify --data-dir "$data"
