#!/usr/bin/env bash
# func-dp-tcp-lines: the edge cases of lines ports (docs/dataplane.md, "Lines";
# docs/tcp-producer.md, "Lines ports"), sent with socat from fixed source ports
# so that the sender's "ip:port" key is known. On a key=k port: string and
# number keys, a \u escape, and lines without a usable field (missing, empty,
# 257 bytes, an array, not an object, not JSON, an empty line) keyed by the
# sender and counted as fallbacks; CRLF and LF endings. On a port without key=:
# a 300 KiB line (a record: the stream's max record is 1 MiB, even though the
# connection's receive buffer is 256 KiB), a line of 1 MiB + 100 bytes (skipped
# to its newline and counted), and an unterminated last line (a record at EOF);
# and plain lines over IPv6, keyed "[fd99::2]:PORT".
# Every record stored exactly once, in order, and the connections closed.
source "$(dirname "$0")/dp_tcp_lib.sh" "$@"
command -v socat >/dev/null || { echo "SKIP: no socat (deploy/install-deps.sh)"; exit 77; }

check "start sluiced in $NS: lines :7101 (key=k) and :7102 -> l:1"
tcp_start dp-tcp-lines --stream l:1 --tcp-port 7101:lines:l:key=k --tcp-port 7102:lines:l

check "socat: JSON edge cases to :7101 from port 40011"
$PY "$TSEND" lines-edge --kind json --out-data "$WORK/json.lines" --out "$WORK/exp.json" \
	--stream l --sender-key 10.99.0.2:40011 | tee "$WORK/json.n"
nsx timeout -k 5 30 socat -u "OPEN:$WORK/json.lines" TCP:$SL4:7101,sourceport=40011 ||
	fail "socat (JSON edge cases) exited $?"
check "socat: a 300 KiB line, a 1 MiB + 100 bytes line, an unterminated last line to :7102"
$PY "$TSEND" lines-edge --kind long --out-data "$WORK/long.lines" --out "$WORK/exp.long" \
	--stream l --sender-key 10.99.0.2:40012 | tee "$WORK/long.n"
nsx timeout -k 5 30 socat -u "OPEN:$WORK/long.lines" TCP:$SL4:7102,sourceport=40012 ||
	fail "socat (long lines) exited $? (124: sluiced stopped reading: window closed for good)"

check "socat over IPv6: 300 plain lines to :7102 from port 40013 (key [fd99::2]:40013)"
$PY "$TSEND" lines --out-data "$WORK/v6.lines" --out "$WORK/exp.v6" --stream l \
	--label v6 --lines 300 --key "[fd99::2]:40013" --size 100
nsx timeout -k 5 30 socat -u "OPEN:$WORK/v6.lines" "TCP6:[$SL6]:7102,sourceport=40013" ||
	fail "socat (IPv6) exited $?"

read -r _ NJ _ FJ _ _ <"$WORK/json.n"
read -r _ NL _ _ _ TL <"$WORK/long.n"
WANT=$((NJ + NL + 300))
check "wait until the $WANT records are stored and the connections are closed"
wait_stored "$WANT" 30
tcp_wait 30 "sum:stats.core*.tcp_conns==0"
stats "$WORK/st.json"
tcp_counters "$WORK/st.json" tcp_accepted tcp_conns tcp_lines tcp_line_key_fallback \
	tcp_lines_too_long tcp_records tcp_window_zero tcp_blocked
read -r stored drops <<<"$(stat "$WORK/st.json" /sluice/stats.totals.stored \
	/sluice/stats.totals.drops)"
expect_eq "records stored" "$stored" "$WANT"
expect_eq "records dropped" "$drops" 0
expect_counter "$WORK/st.json" tcp_accepted 3
expect_counter "$WORK/st.json" tcp_conns 0
expect_counter "$WORK/st.json" tcp_lines "$WANT"
expect_counter "$WORK/st.json" tcp_records "$WANT"
expect_counter "$WORK/st.json" tcp_line_key_fallback "$FJ"
expect_counter "$WORK/st.json" tcp_lines_too_long "$TL"

check "SIGTERM: exit 0, no mbuf leak"
stop_sluiced

check "every line stored exactly once, in order, with its key"
$TCHECK records "$SLUICE" "$D" l:1 "$WORK/exp.json" "$WORK/exp.long" "$WORK/exp.v6"

echo "PASS: func-dp-tcp-lines"
