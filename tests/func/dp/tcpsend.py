#!/usr/bin/env python3
"""TCP producers for the func-dp-tcp* tests; run inside the test's network namespace.

  tcpsend.py framed --host H --port P --out EXPECTED [--connections N] [--frames F]
                    [--records R] [--size B] [--vary] [--keys K] [--stream S] [--tag T]
                    [--max-unacked M] [--connect-parallel N] [--timeout S]
                    [--ready-file F --go-file F] [--pause-after N --pause-file F
                    --resume-file F] [--frame-gap-ms MS] [--close-rst]
                    [--abort-unacked] [--rcvbuf B] [--read-delay S] [--allow-refused]
                    [--mss N]
      N kernel TCP connections (one asyncio loop) to a `framed` port. Each sends F
      frames (docs/frame-format.md) of R records of B bytes of deterministic data
      (--vary: B/2..3B/2), with K partition keys per connection, keeping at most M
      frames unacknowledged, and reads the acknowledgement frames sluiced sends back:
      each must name the next frame in send order, cover its records in groups
      (first, n, status, shard, counter) and carry a good CRC32C. Then half-closes
      (FIN) and expects sluiced's FIN with no further byte. Exits 0 only if every
      record was acknowledged as stored and every connection closed cleanly.
      --close-rst: reset the connection instead of the FIN.
      --abort-unacked: send every frame and reset at once, reading no ack (the
      records may or may not be stored; not an error).
      --rcvbuf B, --read-delay S: a small receive buffer and acks read only after
      S seconds, so that sluiced meets a zero window with its acks.
      --mss N: TCP_MAXSEG before connect (tiny segments: N = 88 and up).
      --allow-refused: a connection reset before its first ack counts as refused
      (sluiced's connection table was full), not failed; EXPECTED leaves out its
      records, and a line "N connections refused" is printed.
      --ready-file/--go-file: open every connection first, then create the ready
      file and wait for the go file before sending (the test counts connections).
      --pause-after N: connection 0 stops after N frames are acknowledged, writes
      "LOCAL_PORT BYTES_SENT BYTES_RECEIVED" into the pause file and waits for the
      resume file (func-dp-tcp-hostile injects segments meanwhile).
  tcpsend.py lines --out-data FILE --out EXPECTED --stream S --label L --lines N
                   [--json-key FIELD --keys K | --key KEY] [--size B] [--tab]
      Writes N newline-terminated records into FILE for a lines port (socat, nc) and
      what sluiced must store into EXPECTED: JSON objects whose FIELD names one of K
      keys (the partition key), or plain text lines stored under KEY (the sender's
      ip:port); --tab writes "key<TAB>data" lines for `sluice send` instead (KEY or
      K keys).
  tcpsend.py reject --host H --port P --out EXPECTED [--good N] [--stream S] [--tag T]
                    [--bad crc|magic|count|too_long|truncated]
      One connection: N good frames (acknowledged, listed in EXPECTED), then a
      bad frame (a bad CRC; magic "SLFX"; count 9 of 10 records, CRC good; or a
      length of 300 KiB, more than the receive buffer) and a good frame after
      it. sluiced must answer the bad frame with a REJECTED ack naming it with
      its error (enum slc_frame_err: crc 6, magic 2, count 7, length 5) and no
      group, send nothing after it, and close the connection; neither frame
      after the good ones is listed in EXPECTED. truncated: half of the frame,
      then FIN: sluiced must close the connection (a REJECTED ack, short 1, is
      allowed before its FIN).
  tcpsend.py idle --host H --port P --out EXPECTED --wait S --expect close|open
      One connection: a frame and its ack, then idle. close: sluiced must close
      it (FIN) within S seconds (idle timeout); open: it must stay open S seconds
      (keepalive probes answered by the kernel), then take a second frame and
      close cleanly. EXPECTED lists the records with their acked sequences.
  tcpsend.py lines-edge --kind json|long --out-data FILE --out EXPECTED --stream S
                        --sender-key IP:PORT
      The edge cases of docs/dataplane.md "Lines" into FILE (for socat from the
      source port in --sender-key) and what sluiced must store into EXPECTED.
      json (a key=k port): string and number keys, a \\u escape, lines without a
      usable field (missing, empty, 257 bytes, an array, not an object, not JSON,
      an empty line) keyed by the sender, CRLF endings. long (any lines port):
      short lines around a 300 KiB line (a record: below the 1 MiB max record,
      above the 256 KiB receive buffer) and a line of 1 MiB + 100 bytes (skipped,
      counted), and an unterminated last line (a record at EOF). Prints
      "lines N fallback F too_long T".
  tcpsend.py generated --out EXPECTED --stream S --n N --size B --keys K
      What `sluice send --generate N --size B --keys K` sends (docs there: record i
      has key "k<i mod K>" and data "k<i mod K> <i div K> " padded with '.' to B
      bytes), labelled per key (sluice send keeps a key's records in order).

EXPECTED (tcpcheck.py reads it): one line per record in send order,
  stream <TAB> key <TAB> md5(data) hex <TAB> data length <TAB> label <TAB> sequence|-
label names the connection (its records must be stored in this order within each
shard); sequence is the one the acknowledgement gave (decimal, "-" if none).
"""
import argparse
import asyncio
import collections
import ctypes
import hashlib
import json
import os
import random
import resource
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slframe  # noqa: E402

SEQ_BASE = 1 << 127
ACK_HDR = struct.Struct("<4sBBHIIHBB")
ACK_GROUP = struct.Struct("<HHB3xIQ")

# ---- CRC32C: ISA-L when it is there (pure Python is slow for tens of MB) ----

_isal = None
try:
    _isal = ctypes.CDLL("libisal.so.2")
    _isal.crc32_iscsi.restype = ctypes.c_uint32
    _isal.crc32_iscsi.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint32]
    if (~_isal.crc32_iscsi(b"123456789", 9, 0xFFFFFFFF)) & 0xFFFFFFFF != 0xE3069283:
        _isal = None
except OSError:
    _isal = None


def crc32c(b):
    if _isal is not None:
        return (~_isal.crc32_iscsi(bytes(b), len(b), 0xFFFFFFFF)) & 0xFFFFFFFF
    return slframe.crc32c(b)


def frame(recs, frame_id):
    """A frame of recs [(key, data)] (no hash keys)."""
    body = b"".join(slframe.rec_bytes(k, d) for k, d in recs)
    n = 16 + len(body) + 4
    fr = slframe.MAGIC + struct.pack("<BBHII", 1, 0, len(recs), n, frame_id) + body
    return fr + struct.pack("<I", crc32c(fr))


def decode_ack(hdr, rest):
    """(status, count, frame_id, error, [(first, n, status, shard, counter)]) or raise."""
    magic, ver, status, count, length, fid, ngroups, error, zero = ACK_HDR.unpack(hdr)
    if magic != b"SLA1" or ver != 1 or zero != 0:
        raise ValueError("bad ack header %r" % hdr.hex())
    if length != 20 + 20 * ngroups + 4 or len(rest) != length - 20:
        raise ValueError("ack length %d for %d groups" % (length, ngroups))
    (crc,) = struct.unpack("<I", rest[-4:])
    if crc != crc32c(hdr + rest[:-4]):
        raise ValueError("ack CRC mismatch (frame_id %d)" % fid)
    groups = []
    nxt = 0
    for i in range(ngroups):
        g = ACK_GROUP.unpack_from(rest, 20 * i)
        if g[0] != nxt or g[1] == 0:
            raise ValueError("ack of frame %d: group %d covers %d+%d, want first %d" % (
                fid, i, g[0], g[1], nxt))
        nxt += g[1]
        groups.append(g)
    if status != 2 and nxt != count:
        raise ValueError("ack of frame %d: groups cover %d of %d records" % (fid, nxt, count))
    return status, count, fid, error, groups


# ---- deterministic record content ----

_FILL = random.Random(99).randbytes(1 << 17) if hasattr(random.Random, "randbytes") else \
    bytes(random.Random(99).getrandbits(8) for _ in range(1 << 17))


def rec_data(tag, ci, f, r, size, vary):
    head = ("%s c%d f%d r%d " % (tag, ci, f, r)).encode()
    n = size if not vary else size // 2 + (ci * 7919 + f * 104729 + r * 13) % (size + 1)
    n = max(n, len(head))
    off = (ci * 131 + f * 17 + r * 1031) % (len(_FILL) - n)
    return head + _FILL[off:off + n - len(head)]


# ---- framed connections ----

class Conn:
    def __init__(self, ci):
        self.ci = ci
        self.sent = []          # (key, data, seq or None) in send order
        self.frames_acked = 0
        self.bytes_sent = 0
        self.bytes_recv = 0
        self.local_port = 0
        self.error = None
        self.refused = False
        self.t = [0.0, 0.0, 0.0]    # start, every ack in, sluiced's FIN in (monotonic)
        self.reader = None
        self.writer = None


async def wait_file(path, timeout, what):
    t0 = time.monotonic()
    while not os.path.exists(path):
        if time.monotonic() - t0 > timeout:
            raise TimeoutError("no %s (%s) within %.0f s" % (what, path, timeout))
        await asyncio.sleep(0.05)


async def open_conn(a):
    """asyncio streams on a socket with --rcvbuf and --mss applied before connect
    (the window scale and the MSS option are chosen then)."""
    if not getattr(a, "rcvbuf", 0) and not getattr(a, "mss", 0):
        return await asyncio.open_connection(a.host, a.port)
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_STREAM)
    if a.rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    if a.mss:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, a.mss)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (a.host, a.port))
    except BaseException:
        sock.close()
        raise
    return await asyncio.open_connection(sock=sock)


async def connect(a, c, sem):
    async with sem:
        for attempt in range(3):
            try:
                c.reader, c.writer = await asyncio.wait_for(open_conn(a), a.connect_timeout)
                break
            except (ConnectionResetError, ConnectionRefusedError) as e:
                if a.allow_refused:
                    c.refused = True   # sluiced's table was full
                    return
                raise ConnectionError("connection %d: connect: %r" % (c.ci, e))
            except (OSError, asyncio.TimeoutError) as e:
                if attempt == 2:
                    raise ConnectionError("connection %d: connect: %r" % (c.ci, e))
                await asyncio.sleep(0.5)
        c.local_port = c.writer.get_extra_info("sockname")[1]


async def stream_conn(a, c):
    r, w = c.reader, c.writer
    ci = c.ci
    keys = [("%s-c%d-k%d" % (a.tag, ci, j)).encode() for j in range(a.keys)]
    inflight = collections.deque()
    window = asyncio.Semaphore(a.max_unacked)
    acked_all = asyncio.Event()
    pause_at = a.pause_after if ci == 0 and a.pause_after else None
    paused = asyncio.Event()

    async def read_acks():
        if a.read_delay:
            await asyncio.sleep(a.read_delay)
        for _ in range(a.frames):
            hdr = await r.readexactly(20)
            length = struct.unpack_from("<I", hdr, 8)[0]
            if length < 24 or length > 20 + 20 * 65535 + 4:
                raise ValueError("connection %d: ack length %d" % (ci, length))
            rest = await r.readexactly(length - 20)
            c.bytes_recv += length
            status, count, fid, error, groups = decode_ack(hdr, rest)
            if not inflight:
                raise ValueError("connection %d: ack of frame %d, none outstanding" % (ci, fid))
            want_fid, first_idx, n = inflight.popleft()
            if fid != want_fid or count != n:
                raise ValueError("connection %d: ack names frame %d (%d records), want frame "
                                 "%d (%d records): acks out of order" % (ci, fid, count,
                                                                         want_fid, n))
            if status != 0:
                raise ValueError("connection %d: frame %d acknowledged with status %d error "
                                 "%d groups %r" % (ci, fid, status, error, groups))
            for first, gn, gst, shard, counter in groups:
                if gst != 0:
                    raise ValueError("connection %d: frame %d records %d..%d status %d" % (
                        ci, fid, first, first + gn - 1, gst))
                for i in range(gn):
                    k, d, _ = c.sent[first_idx + first + i]
                    c.sent[first_idx + first + i] = (k, d, SEQ_BASE + (shard << 64) +
                                                     counter + i)
            c.frames_acked += 1
            window.release()
            if pause_at is not None and c.frames_acked == pause_at:
                paused.set()
        acked_all.set()

    if a.abort_unacked:
        # send every frame, then reset at once: sluiced's acks find no connection
        try:
            for f in range(a.frames):
                recs = [(keys[(f * a.records + i) % len(keys)],
                         rec_data(a.tag, ci, f, i, a.size, a.vary)) for i in range(a.records)]
                c.sent += [(k, d, None) for k, d in recs]
                fr = frame(recs, a.frame_id_base + f)
                w.write(fr)
                c.bytes_sent += len(fr)
            await w.drain()
        finally:
            w.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                  struct.pack("ii", 1, 0))
            w.transport.abort()
        return
    reader = asyncio.ensure_future(read_acks())
    try:
        for f in range(a.frames):
            if pause_at is not None and f == pause_at:
                await asyncio.wait([reader, asyncio.ensure_future(paused.wait())],
                                   return_when=asyncio.FIRST_COMPLETED)
                if reader.done():
                    reader.result()
                tmp = a.pause_file + ".tmp"
                with open(tmp, "w") as pf:
                    pf.write("%d %d %d\n" % (c.local_port, c.bytes_sent, c.bytes_recv))
                os.rename(tmp, a.pause_file)
                await wait_file(a.resume_file, a.timeout, "resume file")
            await window.acquire()
            if reader.done():
                reader.result()
            recs = []
            first_idx = len(c.sent)
            for i in range(a.records):
                k = keys[(f * a.records + i) % len(keys)]
                d = rec_data(a.tag, ci, f, i, a.size, a.vary)
                recs.append((k, d))
                c.sent.append((k, d, None))
            fid = a.frame_id_base + f
            fr = frame(recs, fid)
            inflight.append((fid, first_idx, len(recs)))
            w.write(fr)
            c.bytes_sent += len(fr)
            await w.drain()
            if a.frame_gap_ms:
                await asyncio.sleep(a.frame_gap_ms / 1000.0)
        await reader
        c.t[1] = time.monotonic()
        if a.close_rst:
            # abortive close: RST (SO_LINGER 0) once every ack is in
            w.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                  struct.pack("ii", 1, 0))
            w.transport.abort()
            return
        # half-close; sluiced must answer with its FIN and nothing else
        w.write_eof()
        rest = await asyncio.wait_for(r.read(), a.close_timeout)
        c.t[2] = time.monotonic()
        if rest:
            raise ValueError("connection %d: %d unexpected bytes after the last ack" % (
                ci, len(rest)))
    finally:
        if not reader.done():
            reader.cancel()
        w.close()


async def run_framed(a):
    conns = [Conn(i) for i in range(a.connections)]
    sem = asyncio.Semaphore(a.connect_parallel)
    t0 = time.monotonic()
    await asyncio.gather(*(connect(a, c, sem) for c in conns))
    print("tcpsend: %d connections open after %.1f s" % (
        sum(1 for c in conns if not c.refused), time.monotonic() - t0), flush=True)
    if a.ready_file:
        with open(a.ready_file, "w") as f:
            f.write("%d\n" % len(conns))
        await wait_file(a.go_file, a.timeout, "go file")
    t1 = time.monotonic()

    async def one(c):
        if c.refused:
            return
        c.t[0] = time.monotonic()
        try:
            await stream_conn(a, c)
        except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError) as e:
            if a.allow_refused and c.frames_acked == 0:
                c.refused = True       # reset before any ack: sluiced's table was full
                c.sent = []
            else:
                c.error = "%s: %s" % (type(e).__name__, e)
        except Exception as e:  # noqa: BLE001 - reported per connection
            c.error = "%s: %s" % (type(e).__name__, e)

    await asyncio.gather(*(one(c) for c in conns))
    return conns, time.monotonic() - t1


def cmd_framed(a):
    if a.max_unacked < 1 or a.frames < 1 or a.records < 1 or a.keys < 1:
        sys.exit("tcpsend: --max-unacked, --frames, --records, --keys must be >= 1")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, a.connections + 256))
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    loop = asyncio.new_event_loop()
    try:
        conns, dt = loop.run_until_complete(asyncio.wait_for(run_framed(a), a.timeout))
    except asyncio.TimeoutError:
        sys.exit("tcpsend: FAIL: not done within --timeout %.0f s" % a.timeout)
    except ConnectionError as e:
        sys.exit("tcpsend: FAIL: %s" % e)
    nrec = sum(len(c.sent) for c in conns)
    nacked = sum(1 for c in conns for x in c.sent if x[2] is not None)
    nbytes = sum(c.bytes_sent for c in conns)
    with open(a.out, "w") as f:
        for c in conns:
            label = "%s-c%d" % (a.tag, c.ci)
            for k, d, seq in c.sent:
                f.write("%s\t%s\t%s\t%d\t%s\t%s\n" % (a.stream, k.decode(),
                                                      hashlib.md5(d).hexdigest(), len(d),
                                                      label, "-" if seq is None else seq))
    errs = [c.error for c in conns if c.error]
    done = [c for c in conns if c.t[1]]
    if done:
        slow = max(done, key=lambda c: (c.t[2] or c.t[1]) - c.t[0])
        print("tcpsend: slowest connection %d (port %d): acks after %.2f s, sluiced's FIN "
              "%s" % (slow.ci, slow.local_port, slow.t[1] - slow.t[0],
                      "after %.2f s more" % (slow.t[2] - slow.t[1]) if slow.t[2] else "-"))
    print("tcpsend: %d connections, %d frames, %d records, %d bytes in %.1f s; frames acked "
          "%d, acknowledged %d records; %d connections failed" % (
              len(conns), sum(len(c.sent) for c in conns) // a.records, nrec, nbytes, dt,
              sum(c.frames_acked for c in conns), nacked, len(errs)), flush=True)
    if a.allow_refused:
        print("tcpsend: %d connections refused (reset at connect or before any ack)" % sum(
            1 for c in conns if c.refused))
    for e in errs[:10]:
        print("  %s" % e)
    if errs or (nacked != nrec and not a.abort_unacked):
        sys.exit(1)


def cmd_reject(a):
    async def run():
        r, w = await asyncio.wait_for(asyncio.open_connection(a.host, a.port), 20)
        sent = []
        keys = [("%s-k%d" % (a.tag, j)).encode() for j in range(2)]
        for f in range(a.good + 2):
            recs = [(keys[i % 2], rec_data(a.tag, 0, f, i, 200, True)) for i in range(10)]
            fr = frame(recs, 500 + f)
            if f == a.good:
                if a.bad == "crc":
                    fr = fr[:-4] + bytes(x ^ 0xFF for x in fr[-4:])
                elif a.bad == "magic":
                    fr = b"SLFX" + fr[4:]
                elif a.bad == "count":        # records stop short of the CRC
                    fr = fr[:6] + struct.pack("<H", 9) + fr[8:-4]
                    fr += struct.pack("<I", crc32c(fr))
                elif a.bad == "too_long":     # longer than the receive buffer
                    fr = fr[:8] + struct.pack("<I", 300 << 10) + fr[12:]
                else:                         # truncated: half a frame, then FIN
                    fr = fr[:len(fr) // 2]
            w.write(fr)
            if f < a.good:
                sent += recs
            if f == a.good and a.bad == "truncated":
                w.write_eof()
                break
        await w.drain()
        acks = []
        for f in range(a.good + (0 if a.bad == "truncated" else 1)):
            hdr = await asyncio.wait_for(r.readexactly(20), 20)
            rest = await r.readexactly(struct.unpack_from("<I", hdr, 8)[0] - 20)
            acks.append(decode_ack(hdr, rest))
        try:
            tail = await asyncio.wait_for(r.read(), 20)
        except ConnectionResetError:
            tail = b""
        except asyncio.TimeoutError:
            tail = None
        w.close()
        if a.bad == "truncated" and tail:
            # a REJECTED ack (short) for the partial frame is allowed, then EOF
            if len(tail) < 20 or len(tail) != struct.unpack_from("<I", tail, 8)[0]:
                raise ValueError("%d bytes after the acks, not one ack" % len(tail))
            acks.append(decode_ack(tail[:20], tail[20:]))
            tail = b""
        return sent, acks, tail
    loop = asyncio.new_event_loop()
    sent, acks, tail = loop.run_until_complete(asyncio.wait_for(run(), 60))
    problems = []
    seqs = []
    for f, (status, count, fid, error, groups) in enumerate(acks[:a.good]):
        if status != 0 or fid != 500 + f or count != 10:
            problems.append("ack %d: status %d frame %d count %d, want ok frame %d count 10" %
                            (f, status, fid, count, 500 + f))
            continue
        for first, gn, gst, shard, counter in groups:
            seqs += [SEQ_BASE + (shard << 64) + counter + i for i in range(gn)]
    want_err = {"crc": 6, "magic": 2, "count": 7, "too_long": 5, "truncated": 1}[a.bad]
    status, count, fid, error, groups = acks[-1] if len(acks) > a.good else \
        (2, 0, 500 + a.good, want_err, [])
    if (status, fid, error, groups) != (2, 500 + a.good, want_err, []):
        problems.append("ack of the bad frame: status %d frame %d error %d groups %r, want "
                        "status 2 (rejected) frame %d error %d (%s), no group" % (
                            status, fid, error, groups, 500 + a.good, want_err, a.bad))
    if tail is None:
        problems.append("sluiced did not close the connection within 20 s")
    elif tail:
        problems.append("%d bytes after the rejected ack, want the connection closed" %
                        len(tail))
    print("tcpsend reject: %d good frames acknowledged, the bad one (%s) rejected, "
          "connection closed%s" % (a.good, a.bad, "" if not problems else ": PROBLEMS"))
    for p in problems:
        print("  %s" % p)
    if problems:
        sys.exit(1)
    with open(a.out, "w") as f:
        for (k, d), seq in zip(sent, seqs):
            f.write("%s\t%s\t%s\t%d\t%s-c0\t%d\n" % (a.stream, k.decode(),
                                                      hashlib.md5(d).hexdigest(), len(d),
                                                      a.tag, seq))


def cmd_idle(a):
    """One connection: a frame, its ack, then idle: --expect close: sluiced's FIN
    (EOF) must come within --wait seconds; --expect open: none may come within
    --wait seconds, then a second frame must be acknowledged and the close be
    clean. EXPECTED lists the records (with their acked sequence numbers)."""
    async def one_frame(r, w, f, sent):
        recs = [(b"%s-k%d" % (a.tag.encode(), i % 2), rec_data(a.tag, 0, f, i, 300, True))
                for i in range(5)]
        w.write(frame(recs, 700 + f))
        await w.drain()
        hdr = await asyncio.wait_for(r.readexactly(20), 20)
        rest = await r.readexactly(struct.unpack_from("<I", hdr, 8)[0] - 20)
        status, count, fid, error, groups = decode_ack(hdr, rest)
        if status != 0 or fid != 700 + f:
            raise ValueError("ack: status %d frame %d, want ok %d" % (status, fid, 700 + f))
        seqs = [SEQ_BASE + (sh << 64) + ctr + i for _, gn, _, sh, ctr in groups
                for i in range(gn)]
        sent += [(k, d, q) for (k, d), q in zip(recs, seqs)]

    async def run():
        r, w = await asyncio.wait_for(asyncio.open_connection(a.host, a.port), 20)
        sent = []
        await one_frame(r, w, 0, sent)
        t0 = time.monotonic()
        try:
            tail = await asyncio.wait_for(r.read(), a.wait)
            got_eof = True
        except asyncio.TimeoutError:
            got_eof = False
            tail = b""
        except ConnectionResetError:
            raise ValueError("connection reset by sluiced while idle")
        dt = time.monotonic() - t0
        if tail:
            raise ValueError("%d unexpected bytes while idle" % len(tail))
        if a.expect == "close":
            if not got_eof:
                raise ValueError("sluiced did not close the idle connection within %.0f s"
                                 % a.wait)
            print("tcpsend idle: sluiced closed the connection after %.1f s idle" % dt)
            w.close()
        else:
            if got_eof:
                raise ValueError("sluiced closed the connection after %.1f s idle" % dt)
            await one_frame(r, w, 1, sent)
            w.write_eof()
            rest = await asyncio.wait_for(r.read(), 20)
            if rest:
                raise ValueError("%d unexpected bytes after the last ack" % len(rest))
            w.close()
            print("tcpsend idle: the connection stayed open %.0f s idle, then took a frame"
                  % a.wait)
        return sent
    loop = asyncio.new_event_loop()
    try:
        sent = loop.run_until_complete(asyncio.wait_for(run(), a.wait + 60))
    except (ValueError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
        sys.exit("tcpsend idle: FAIL: %s: %s" % (type(e).__name__, e))
    with open(a.out, "w") as f:
        for k, d, q in sent:
            f.write("%s\t%s\t%s\t%d\t%s-c0\t%d\n" % (a.stream, k.decode(),
                                                      hashlib.md5(d).hexdigest(), len(d),
                                                      a.tag, q))


# ---- lines files (socat, nc, sluice send) ----

def cmd_lines(a):
    rng = random.Random(a.seed)
    with open(a.out_data, "wb") as fd, open(a.out, "w") as fe:
        for i in range(a.lines):
            if a.json_key:
                key = "%s-k%d" % (a.label, i % a.keys)
                pad = "".join(rng.choice("abcdefghij") for _ in range(rng.randrange(a.size)))
                line = json.dumps({"n": i, a.json_key: key, "src": a.label, "pad": pad},
                                  separators=(",", ":"))
            else:
                key = a.key if a.key else "%s-k%d" % (a.label, i % a.keys)
                pad = "".join(rng.choice("abcdefghij ") for _ in range(rng.randrange(a.size)))
                line = "%s line %d %s" % (a.label, i, pad)
            data = line.encode()
            fd.write(b"%s\t%s\n" % (key.encode(), data) if a.tab else data + b"\n")
            fe.write("%s\t%s\t%s\t%d\t%s\t-\n" % (a.stream, key, hashlib.md5(data).hexdigest(),
                                                 len(data), a.label))


def cmd_lines_edge(a):
    sk = a.sender_key
    recs = []      # (raw line bytes as sent incl. terminator, key or None (dropped))
    fallback = too_long = 0
    if a.kind == "json":
        cases = [
            (b'{"k":"alpha","v":1}', "alpha"),
            (b'{"k":42,"v":2}', "42"),
            (b'{"k":"\\u00fcml","v":3}', "\u00fcml"),
            (b'{"v":4}', None),
            (b'{"k":"","v":5}', None),
            (b'{"k":"' + b"x" * 257 + b'","v":6}', None),
            (b'{"k":["a"],"v":7}', None),
            (b'[1,2,3]', None),
            (b'not json at all 9', None),
            (b'', None),
            (b'{"k":"beta","v":11}', "beta"),
            (b'{"k":"alpha","v":12}', "alpha"),
        ]
        for i, (line, key) in enumerate(cases):
            if key is None:
                fallback += 1
            recs.append((line + (b"\r\n" if i % 2 else b"\n"), line,
                         key if key is not None else sk))
    else:
        for i in range(3):
            line = b"before %d" % i
            recs.append((line + b"\r\n", line, sk))
        line = b"L" * (300 << 10)
        recs.append((line + b"\n", line, sk))
        recs.append((b"X" * ((1 << 20) + 100) + b"\r\n", None, None))
        too_long += 1
        for i in range(3):
            line = b"after %d" % i
            recs.append((line + b"\n", line, sk))
        recs.append((b"last line, unterminated", b"last line, unterminated", sk))
    with open(a.out_data, "wb") as fd, open(a.out, "w", encoding="utf-8") as fe:
        for raw, data, key in recs:
            fd.write(raw)
            if data is not None:
                fe.write("%s\t%s\t%s\t%d\t%s\t-\n" % (a.stream, key,
                                                       hashlib.md5(data).hexdigest(),
                                                       len(data), a.kind))
    print("lines %d fallback %d too_long %d" % (sum(1 for r in recs if r[1] is not None),
                                               fallback, too_long))


def cmd_generated(a):
    with open(a.out, "w") as fe:
        for i in range(a.n):
            key = "k%d" % (i % a.keys)
            d = "%s %d " % (key, i // a.keys)
            d = (d + "." * a.size)[:a.size]
            fe.write("%s\t%s\t%s\t%d\tgen-%s\t-\n" % (
                a.stream, key, hashlib.md5(d.encode()).hexdigest(), len(d), key))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("framed")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stream", default="s")
    p.add_argument("--tag", default="tcp")
    p.add_argument("--connections", type=int, default=1)
    p.add_argument("--frames", type=int, default=10, help="frames per connection")
    p.add_argument("--records", type=int, default=100, help="records per frame")
    p.add_argument("--size", type=int, default=1024, help="data bytes per record")
    p.add_argument("--vary", action="store_true", help="data bytes size/2..3*size/2")
    p.add_argument("--keys", type=int, default=4, help="partition keys per connection")
    p.add_argument("--max-unacked", type=int, default=4, help="frames in flight")
    p.add_argument("--frame-id-base", type=int, default=1000)
    p.add_argument("--connect-parallel", type=int, default=64)
    p.add_argument("--connect-timeout", type=float, default=20)
    p.add_argument("--close-timeout", type=float, default=20)
    p.add_argument("--timeout", type=float, default=120, help="whole run, seconds")
    p.add_argument("--frame-gap-ms", type=float, default=0)
    p.add_argument("--close-rst", action="store_true", help="end with RST, not FIN")
    p.add_argument("--rcvbuf", type=int, default=0, help="SO_RCVBUF before connect")
    p.add_argument("--mss", type=int, default=0, help="TCP_MAXSEG before connect")
    p.add_argument("--read-delay", type=float, default=0,
                   help="seconds before the first ack is read (a slow reader)")
    p.add_argument("--allow-refused", action="store_true",
                   help="a connection reset before its first ack is refused, not failed")
    p.add_argument("--abort-unacked", action="store_true",
                   help="send every frame, then RST at once without reading an ack")
    p.add_argument("--ready-file")
    p.add_argument("--go-file")
    p.add_argument("--pause-after", type=int, default=0)
    p.add_argument("--pause-file")
    p.add_argument("--resume-file")
    p = sub.add_parser("lines")
    p.add_argument("--out-data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stream", default="s")
    p.add_argument("--label", required=True)
    p.add_argument("--lines", type=int, required=True)
    p.add_argument("--json-key")
    p.add_argument("--key")
    p.add_argument("--keys", type=int, default=3)
    p.add_argument("--size", type=int, default=200)
    p.add_argument("--tab", action="store_true")
    p.add_argument("--seed", type=int, default=5)
    p = sub.add_parser("reject")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stream", default="s")
    p.add_argument("--tag", default="rej")
    p.add_argument("--good", type=int, default=3)
    p.add_argument("--bad", choices=("crc", "magic", "count", "too_long", "truncated"),
                   default="crc")
    p = sub.add_parser("idle")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stream", default="s")
    p.add_argument("--tag", default="idle")
    p.add_argument("--wait", type=float, required=True)
    p.add_argument("--expect", choices=("close", "open"), required=True)
    p = sub.add_parser("lines-edge")
    p.add_argument("--kind", choices=("json", "long"), required=True)
    p.add_argument("--out-data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stream", default="l")
    p.add_argument("--sender-key", required=True)
    p = sub.add_parser("generated")
    p.add_argument("--out", required=True)
    p.add_argument("--stream", default="s")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--keys", type=int, default=16)
    a = ap.parse_args()
    if a.cmd == "generated":
        cmd_generated(a)
    elif a.cmd == "idle":
        cmd_idle(a)
    elif a.cmd == "lines-edge":
        cmd_lines_edge(a)
    elif a.cmd == "reject":
        cmd_reject(a)
    elif a.cmd == "framed":
        if (a.ready_file is None) != (a.go_file is None):
            sys.exit("tcpsend: --ready-file and --go-file go together")
        if a.pause_after and not (a.pause_file and a.resume_file):
            sys.exit("tcpsend: --pause-after needs --pause-file and --resume-file")
        cmd_framed(a)
    else:
        cmd_lines(a)


if __name__ == "__main__":
    main()
