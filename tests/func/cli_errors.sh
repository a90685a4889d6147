#!/usr/bin/env bash
# func-cli-errors: bad input lines, bad options and values, missing streams and
# shards, an existing stream, and a second writer: each gives the documented exit
# status (1 failure, 2 usage) and a message that names the problem.
source "$(dirname "$0")/lib.sh" "$@"

S=$SLUICE
"$S" create --data-dir "$D" --stream e --shards 2 >/dev/null

check "help"
"$S" help | grep -q "^usage: sluice" || fail "sluice help"
for c in create put read shards verify; do
	"$S" $c --help | grep -q "^usage: sluice $c" || fail "sluice $c --help"
	"$S" help $c | grep -q "^usage: sluice $c" || fail "sluice help $c"
done
expect_exit 2 "unknown command 'frobnicate'" "$S" frobnicate
expect_exit 2 "usage: sluice" "$S"

check "bad lines in put: line numbers, valid lines stored, exit 1"
K257=$(printf 'k%.0s' $(seq 257))
K256=$(printf 'k%.0s' $(seq 256))
{
	printf 'a\tone\n'            # 1 ok
	printf 'no tab here\n'       # 2 no tab
	printf '\tempty key\n'       # 3 empty key
	printf '%s\tlong key\n' "$K257"  # 4 key 257 bytes
	printf 'b\ttwo\tthree\n'     # 5 ok, data keeps its tab
	printf '\n'                  # 6 empty line: no tab
	printf '%s\tkey of 256\n' "$K256"  # 7 ok
	printf 'c\t\n'               # 8 ok, empty data
	printf 'd\tlast without newline'  # 9 ok
} >"$WORK/bad.in"
rc=0
"$S" put --data-dir "$D" --stream e --print-seq <"$WORK/bad.in" >"$WORK/bad.acks" 2>"$WORK/bad.err" || rc=$?
cat "$WORK/bad.err"
expect_eq "put exit status with bad lines" $rc 1
expect_eq "bad line messages" "$(grep -c ': line [0-9]*: ' "$WORK/bad.err")" 4
grep -q "line 2: no tab" "$WORK/bad.err" || fail "line 2 message"
grep -q "line 3: empty partition key" "$WORK/bad.err" || fail "line 3 message"
grep -q "line 4: partition key is 257 bytes" "$WORK/bad.err" || fail "line 4 message"
grep -q "line 6: no tab" "$WORK/bad.err" || fail "line 6 message"
grep -qF "5 records stored" "$WORK/bad.err" || fail "summary should say 5 records stored"
expect_eq "acks" "$(wc -l <"$WORK/bad.acks")" 5
expect_eq "records in e" "$(shard_records e)" 5
for i in 0 1; do "$S" read --data-dir "$D" --stream e --shard $i; done | cut -f2- | LC_ALL=C sort >"$WORK/bad.got"
printf 'a\tone\nb\ttwo\tthree\n%s\tkey of 256\nc\t\nd\tlast without newline\n' "$K256" | LC_ALL=C sort |
	cmp - "$WORK/bad.got" || fail "stored records differ from the valid lines"

check "jsonl: partition keys are JSON-escaped, invalid UTF-8 becomes U+FFFD, data is base64"
"$S" create --data-dir "$D" --stream j --shards 1 >/dev/null
printf 'q"b\\s\001\x7f caf\xc3\xa9 \xff\xc3(\tdata\twith tab\n' | "$S" put --data-dir "$D" --stream j 2>/dev/null ||
	fail "put to j exited $?"
"$S" read --data-dir "$D" --stream j --shard 0 --format jsonl >"$WORK/j.out"
python3 - "$WORK/j.out" <<'PY' || fail "jsonl escaping"
import base64, json, sys
raw = open(sys.argv[1], "rb").read()
assert raw.count(b"\n") == 1 and raw.endswith(b"\n"), raw
assert b'"PartitionKey":"q\\"b\\\\s\\u0001\x7f caf\xc3\xa9 \\ufffd\\ufffd("' in raw, raw
o = json.loads(raw)
assert o["PartitionKey"] == 'q"b\\s\x01\x7f caf\u00e9 \ufffd\ufffd(', o
assert o["Data"] == base64.b64encode(b"data\twith tab").decode(), o
PY

check "data longer than max record"
"$S" create --data-dir "$D" --stream small --shards 1 --max-record 10 >/dev/null
printf 'k\t0123456789\nk\t0123456789A\nk\t%s\nk\tok\n' "$(head -c 5000000 /dev/zero | tr '\0' x)" >"$WORK/big.in"
rc=0
"$S" put --data-dir "$D" --stream small <"$WORK/big.in" 2>"$WORK/big.err" || rc=$?
expect_eq "put exit status with long data" $rc 1
grep -q "line 2: data is 11 bytes, longer than the stream's max record of 10 bytes" "$WORK/big.err" || { cat "$WORK/big.err"; fail "line 2 message"; }
grep -q "line 3: data is longer than the stream's max record of 10 bytes" "$WORK/big.err" || { cat "$WORK/big.err"; fail "line 3 message"; }
expect_eq "records in small" "$(shard_records small)" 2
expect_eq "data stored" "$("$S" read --data-dir "$D" --stream small --shard 0 | cut -f3 | tr '\n' ' ')" "0123456789 ok "

check "bad options and values: exit 2 naming the option"
expect_exit 2 "unknown option '--bogus'" "$S" create --data-dir "$D" --stream x --shards 1 --bogus
expect_exit 2 "--shards '0' is not valid" "$S" create --data-dir "$D" --stream x --shards 0
expect_exit 2 "--shards '4097' is not valid" "$S" create --data-dir "$D" --stream x --shards 4097
expect_exit 2 "--shards 'two' is not valid" "$S" create --data-dir "$D" --stream x --shards two
expect_exit 2 "--shards is required" "$S" create --data-dir "$D" --stream x
expect_exit 2 "--data-dir is required" "$S" create --stream x --shards 1
expect_exit 2 "--stream is required" "$S" create --data-dir "$D" --shards 1
expect_exit 2 "--compression 'zstd' is not valid: use none or deflate" "$S" create --data-dir "$D" --stream x --shards 1 --compression zstd
expect_exit 2 "--durability 'maybe' is not valid" "$S" create --data-dir "$D" --stream x --shards 1 --durability maybe
expect_exit 2 "--max-record '-1' is not valid" "$S" create --data-dir "$D" --stream x --shards 1 --max-record -1
expect_exit 2 "--retention-hours '9000' is not valid" "$S" create --data-dir "$D" --stream x --shards 1 --retention-hours 9000
expect_exit 2 "--stream 'bad/name' is not a valid stream name" "$S" create --data-dir "$D" --stream bad/name --shards 1
expect_exit 2 "option '--shards' needs a value" "$S" create --data-dir "$D" --stream x --shards
expect_exit 2 "unexpected argument 'extra'" "$S" create --data-dir "$D" --stream x --shards 1 extra
[ ! -e "$D/streams/x" ] || fail "a rejected create left streams/x behind"
expect_exit 2 "unknown option '--shard'" "$S" put --data-dir "$D" --stream e --shard 1
expect_exit 2 "--linger-us 'soon' is not valid" "$S" put --data-dir "$D" --stream e --linger-us soon
expect_exit 2 "--stream is required" "$S" put --data-dir "$D"
expect_exit 2 "--shard is required" "$S" read --data-dir "$D" --stream e
expect_exit 2 "--shard 'shard-1' is not a shard id" "$S" read --data-dir "$D" --stream e --shard shard-1
expect_exit 2 "--from 'yesterday' is not a position" "$S" read --data-dir "$D" --stream e --shard 0 --from yesterday
expect_exit 2 "'123' is not a sequence number" "$S" read --data-dir "$D" --stream e --shard 0 --from at:123
seq1=$(head -1 "$WORK/bad.acks" | cut -f2)
shard1=$(head -1 "$WORK/bad.acks" | cut -f1)
other=$([ "$shard1" = shardId-000000000000 ] && echo 1 || echo 0)
expect_exit 2 "sequence number $seq1 belongs to $shard1, not shardId-00000000000$other" \
	"$S" read --data-dir "$D" --stream e --shard "$other" --from "after:$seq1"
expect_exit 2 "--from time:" "$S" read --data-dir "$D" --stream e --shard 0 --from time:noon
expect_exit 2 "--limit '0' is not valid" "$S" read --data-dir "$D" --stream e --shard 0 --limit 0
expect_exit 2 "--format 'xml' is not valid: use tsv or jsonl" "$S" read --data-dir "$D" --stream e --shard 0 --format xml
expect_exit 2 "unknown option '--shard'" "$S" shards --data-dir "$D" --stream e --shard 0
expect_exit 2 "--data-dir is required" "$S" shards --stream e
expect_exit 2 "unknown option '-x'" "$S" verify -x
expect_exit 2 "--data-dir is required" "$S" verify

check "missing stream, missing shard, existing stream: exit 1 naming it"
expect_exit 1 "stream nope not found in $D" "$S" read --data-dir "$D" --stream nope --shard 0
expect_exit 1 "stream nope not found in $D" "$S" shards --data-dir "$D" --stream nope
expect_exit 1 "stream nope not found in $D" "$S" put --data-dir "$D" --stream nope
expect_exit 1 "stream nope not found in $D" "$S" verify --data-dir "$D" --stream nope
expect_exit 1 "stream e has no shard shardId-000000000007" "$S" read --data-dir "$D" --stream e --shard 7
expect_exit 1 "stream e already exists in $D" "$S" create --data-dir "$D" --stream e --shards 3
expect_eq "shards of e after the failed create" "$("$S" shards --data-dir "$D" --stream e | grep -c '^shardId-')" 2

check "a second put while one holds the writer lock"
mkfifo "$WORK/fifo"
"$S" put --data-dir "$D" --stream e <"$WORK/fifo" 2>"$WORK/first.err" &
FIRST=$!
BG_PIDS+=("$FIRST")
exec 3>"$WORK/fifo"
printf 'x\tfirst writer\n' >&3
for _ in $(seq 200); do
	[ "$(cat "$D/streams/e/writer.lock" 2>/dev/null)" = "$FIRST" ] && break
	sleep 0.05
done
expect_exit 1 "stream e is being written by another process (pid $FIRST" "$S" put --data-dir "$D" --stream e
exec 3>&-
wait $FIRST || fail "first put exited $?"
expect_eq "records in e after both puts" "$(shard_records e)" 6

check "send: usage errors name the option and value (exit 2), no server needed"
"$S" send --help | grep -q "^usage: sluice send" || fail "sluice send --help"
expect_exit 2 "--to is required" "$S" send
expect_exit 2 "--to '127.0.0.1' has no port" "$S" send --to 127.0.0.1
expect_exit 2 "port '0' is not a number from 1 to 65535" "$S" send --to 127.0.0.1:0
expect_exit 2 "port 'x' is not a number" "$S" send --to 127.0.0.1:x
expect_exit 2 "write an IPv6 address as [ADDRESS]:PORT" "$S" send --to ::1:9000
expect_exit 2 "write an IPv6 address as [ADDRESS]:PORT" "$S" send --to '[::1]9000'
expect_exit 2 "--connections '0' is not valid" "$S" send --to 127.0.0.1:9 --connections 0
expect_exit 2 "--batch '65536' is not valid" "$S" send --to 127.0.0.1:9 --batch 65536
expect_exit 2 "--size applies to generated records" "$S" send --to 127.0.0.1:9 --size 10
expect_exit 2 "--keys applies to generated records" "$S" send --to 127.0.0.1:9 --keys 3
expect_exit 2 "does not fit in a frame of --max-frame 262144" "$S" send --to 127.0.0.1:9 --generate 1 --size 300000
expect_exit 2 "--timeout '0' is not valid" "$S" send --to 127.0.0.1:9 --timeout 0
expect_exit 2 "unknown option '--bogus'" "$S" send --to 127.0.0.1:9 --bogus
expect_exit 2 "unexpected argument 'extra'" "$S" send --to 127.0.0.1:9 extra
expect_exit 1 "--print-acks $WORK/no/such/dir: cannot create" "$S" send --to 127.0.0.1:9 --generate 0 --print-acks "$WORK/no/such/dir"

check "send: nothing listening: gives up after --timeout with exit 1"
# port 1 on loopback: nothing listens there (connection refused), retried until --timeout
expect_exit 1 "no progress for 1 s" timeout -k 5 20 "$S" send --to 127.0.0.1:1 --generate 3 --timeout 1

echo "PASS: func-cli-errors"
