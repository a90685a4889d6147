#!/usr/bin/env bash
# func-corrupt: flip one byte inside a block in the middle of a segment. verify
# must exit 1 naming the file and the block's offset; read must stop before that
# block with "bad block" naming the same file and offset, exit 1, and print
# exactly the records of the blocks before it.
source "$(dirname "$0")/lib.sh" "$@"

N=30000
"$SLUICE" create --data-dir "$D" --stream c --shards 1 >/dev/null
$GEN $N >"$WORK/in"
"$SLUICE" put --data-dir "$D" --stream c <"$WORK/in" 2>"$WORK/put.err" || { rc=$?; cat "$WORK/put.err"; fail "put exited $rc"; }
"$SLUICE" verify --data-dir "$D" --stream c >/dev/null || fail "verify before the damage exited $?"

SEG=$D/streams/c/shardId-000000000000/00000000000000000000.log
[ -f "$SEG" ] || fail "no segment file $SEG"
check "flip one payload byte of the middle block of $(basename "$SEG")"
# Walk the blocks by their spans (docs/log-format.md), pick the middle one, flip
# a byte in the middle of its payload. Prints: block offset, first_seq, count.
read -r BOFF BSEQ BCOUNT < <(python3 - "$SEG" <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b")
data = f.read()
blocks, off = [], 0
while off + 64 <= len(data) and data[off:off + 64] != bytes(64):
    magic, crc, ver, hl, flags, stored, raw, count, shard, first_seq, t0, t1, span, _ = \
        struct.unpack_from("<IIHHIIIIIQqqII", data, off)
    assert magic == 0x42434c53 and span >= 64 + stored and span % 8 == 0, "bad block at %d" % off
    blocks.append((off, stored, first_seq, count))
    off += span
assert len(blocks) >= 3, "want at least 3 blocks, have %d" % len(blocks)
off, stored, first_seq, count = blocks[len(blocks) // 2]
pos = off + 64 + stored // 2
f.seek(pos)
b = f.read(1)
f.seek(pos)
f.write(bytes([b[0] ^ 0x5a]))
f.close()
print(off, first_seq, count)
PY
)
echo "damaged block at offset $BOFF (records $BSEQ..$((BSEQ + BCOUNT - 1)))"

check "verify exits 1 and names the file and offset"
rc=0
"$SLUICE" verify --data-dir "$D" --stream c >"$WORK/verify.out" 2>&1 || rc=$?
cat "$WORK/verify.out"
expect_eq "verify exit status" $rc 1
expect_eq "BAD lines" "$(grep -c '^BAD ' "$WORK/verify.out")" 1
grep -qE "^BAD [^ ]*/streams/c/shardId-000000000000/00000000000000000000\.log offset $BOFF: " "$WORK/verify.out" ||
	fail "verify does not name $SEG offset $BOFF"
grep -q "^stream c: 1 shards, .* 1 bad blocks: BAD$" "$WORK/verify.out" || fail "verify summary"

check "read stops at the bad block with a message naming it, exit 1"
rc=0
"$SLUICE" read --data-dir "$D" --stream c --shard 0 >"$WORK/r" 2>"$WORK/r.err" || rc=$?
cat "$WORK/r.err"
expect_eq "read exit status" $rc 1
grep -qE "bad block: [^ ]*/streams/c/shardId-000000000000/00000000000000000000\.log offset $BOFF: " "$WORK/r.err" ||
	fail "read does not name $SEG offset $BOFF"
check "read printed exactly the $BSEQ records before the bad block, none of it"
expect_eq "records printed" "$(wc -l <"$WORK/r")" "$BSEQ"
cut -f2- "$WORK/r" | cmp - <(head -n "$BSEQ" "$WORK/in") || fail "records before the bad block differ from the input"

check "jsonl read stops at the same place"
rc=0
"$SLUICE" read --data-dir "$D" --stream c --shard 0 --format jsonl >"$WORK/j" 2>/dev/null || rc=$?
expect_eq "jsonl read exit status" $rc 1
expect_eq "jsonl records printed" "$(wc -l <"$WORK/j")" "$BSEQ"

echo "PASS: func-corrupt"
