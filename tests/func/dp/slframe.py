"""Frame format v1 encoder for the data-plane tests (docs/frame-format.md), with
CRC32C and the MD5 hash key of a partition key, and the acknowledgement frames of
TCP (docs/frame-format.md, "Acknowledgements (TCP)"). No dependency beyond
Python's standard library, so senders in a network namespace can use it.

frame_bytes(recs, frame_id, fhk=None, ...) encodes records [(key, data, ehk)]
(bytes, bytes, int or None); the keyword arguments lie about single fields to
build the bad frames of each drop cause.

decode_frame(buf) splits the first frame off a byte stream (a test server's view).
ack_bytes(frame_id, count, groups, error=0, ...) encodes an ack; decode_ack(buf)
decodes the first ack of a byte stream: (length, dict), or (0, None) while bytes
are missing, and raises ValueError for a bad ack with the rules of the C decoder
(lib/frame/frame_ack.c). seq_number(shard, counter) is the 39-digit decimal
sequence number a stored record gets.
"""
import hashlib
import struct

# ---- CRC32C (Castagnoli, reflected, poly 0x82F63B78), table-driven ----

def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC_T = _crc_table()


def crc32c(b, crc=0):
    crc ^= 0xFFFFFFFF
    t = _CRC_T
    for x in b:
        crc = t[(crc ^ x) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283

# ---- frame format v1 encoder (docs/frame-format.md) ----

MAGIC = b"SLF1"


def rec_bytes(key, data, ehk=None, flags=None, reserved=0, key_len=None, data_len=None):
    """One record; the optional arguments lie about fields for the bad frames."""
    f = (1 if ehk is not None else 0) if flags is None else flags
    out = struct.pack("<HBBI", len(key) if key_len is None else key_len, f, reserved,
                      len(data) if data_len is None else data_len)
    if ehk is not None:
        out += ehk.to_bytes(16, "big")
    return out + key + data


def frame_bytes(recs, frame_id, fhk=None, magic=MAGIC, version=1, flags=None, count=None,
                length=None, crc_xor=0, body=None):
    """A frame of recs [(key, data, ehk)]; body replaces the encoded records."""
    if body is None:
        body = b"".join(rec_bytes(k, d, e) for k, d, e in recs)
    hk = fhk.to_bytes(16, "big") if fhk is not None else b""
    n = 16 + len(hk) + len(body) + 4
    f = (1 if fhk is not None else 0) if flags is None else flags
    hdr = magic + struct.pack("<BBHII", version, f, len(recs) if count is None else count,
                              n if length is None else length, frame_id)
    fr = hdr + hk + body
    return fr + struct.pack("<I", crc32c(fr) ^ crc_xor)


def md5_hash(key):
    return int.from_bytes(hashlib.md5(key).digest(), "big")


# ---- frames on a stream (docs/frame-format.md) ----

FRAME_ERRORS = ["ok", "short", "magic", "version", "flags", "length", "crc", "count",
                "key_len", "record_len", "too_big"]


def decode_frame(buf):
    """The first frame of a byte stream: (length, {"frame_id", "count", "hash_key",
    "records": [(key, data, ehk)]}), or (0, None) while bytes are missing. Raises
    ValueError naming a cause (FRAME_ERRORS) for a bad frame; which cause, when several
    apply, may differ from slc_frame_check's precedence. No max data size."""
    if len(buf) < 20:
        if buf[:4] != MAGIC[:len(buf[:4])]:
            raise ValueError("magic")
        return 0, None
    length = struct.unpack_from("<I", buf, 8)[0]
    if length > len(buf):
        return 0, None
    if buf[:4] != MAGIC:
        raise ValueError("magic")
    version, flags, count = struct.unpack_from("<BBH", buf, 4)
    if version != 1:
        raise ValueError("version")
    if flags & ~1:
        raise ValueError("flags")
    hk_len = 16 if flags & 1 else 0
    if length < 20 + hk_len:
        raise ValueError("length")
    fr = bytes(buf[:length])
    if crc32c(fr[:-4]) != struct.unpack_from("<I", fr, length - 4)[0]:
        raise ValueError("crc")
    fhk = int.from_bytes(fr[16:16 + hk_len], "big") if hk_len else None
    p, end, recs = 16 + hk_len, length - 4, []
    for _ in range(count):
        if end - p < 8:
            raise ValueError("record_len")
        key_len, rflags, reserved, data_len = struct.unpack_from("<HBBI", fr, p)
        if rflags & ~1 or reserved:
            raise ValueError("flags")
        if not 1 <= key_len <= 256:
            raise ValueError("key_len")
        p += 8
        ehk = None
        if rflags & 1:
            if end - p < 16:
                raise ValueError("record_len")
            ehk = int.from_bytes(fr[p:p + 16], "big")
            p += 16
        if end - p < key_len + data_len:
            raise ValueError("record_len")
        recs.append((fr[p:p + key_len], fr[p + key_len:p + key_len + data_len], ehk))
        p += key_len + data_len
    if count == 0 or p != end:
        raise ValueError("count")
    frame_id = struct.unpack_from("<I", fr, 12)[0]
    return length, {"frame_id": frame_id, "count": count, "hash_key": fhk, "records": recs}


# ---- acknowledgement frames v1 (docs/frame-format.md, "Acknowledgements (TCP)") ----

ACK_MAGIC = b"SLA1"
ACK_OK, ACK_PARTIAL, ACK_REJECTED = 0, 1, 2
ACK_STATUS = ["ok", "partial", "rejected"]
R_STORED, R_RETRY, R_TOO_BIG, R_ERROR = 0, 1, 2, 3
ACK_REC_STATUS = ["stored", "retry", "too_big", "error"]
_ACK_HDR = struct.Struct("<4sBBHIIHBB")     # 20 bytes
_ACK_GROUP = struct.Struct("<HHB3sIQ")      # 20 bytes


def ack_size(n_groups):
    return 20 + 20 * n_groups + 4


def seq_number(shard, counter):
    """The sequence number of counter in shard, as 'sluice read' prints it (39 digits)."""
    return str((1 << 127) + (shard << 64) + counter)


def ack_bytes(frame_id, count, groups=(), error=0, status=None, magic=ACK_MAGIC, version=1,
              length=None, n_groups=None, crc_xor=0):
    """An ack; groups [(first, n, status, shard, counter)]. status is computed as the
    C encoder does (REJECTED if error, PARTIAL if a group is not stored, else OK);
    the keyword arguments lie about single fields to build bad acks."""
    if error:
        groups = ()
    if status is None:
        status = ACK_REJECTED if error else (
            ACK_PARTIAL if any(g[2] != R_STORED for g in groups) else ACK_OK)
    ng = len(groups) if n_groups is None else n_groups
    out = _ACK_HDR.pack(magic, version, status, count,
                        ack_size(len(groups)) if length is None else length, frame_id, ng,
                        error, 0)
    for first, n, st, shard, counter in groups:
        out += _ACK_GROUP.pack(first, n, st, b"\0\0\0", shard, counter)
    return out + struct.pack("<I", crc32c(out) ^ crc_xor)


def decode_ack(buf):
    """The first ack of a byte stream: (length, {"frame_id", "count", "status",
    "status_name", "error", "error_name", "groups": [{"first", "n", "status",
    "status_name", "shard", "counter"}]}), or (0, None) while bytes are missing.
    Raises ValueError for a bad ack (the rules of slc_ack_decode)."""
    head = bytes(buf[:20])
    if head[:4] != ACK_MAGIC[:len(head[:4])]:
        raise ValueError("ack: bad magic %r" % head[:4])
    if len(head) > 4 and head[4] != 1:
        raise ValueError("ack: version %d, want 1" % head[4])
    if len(head) < 20:
        return 0, None
    _, _, status, count, length, frame_id, ng, error, reserved = _ACK_HDR.unpack(head)
    if length != ack_size(ng):
        raise ValueError("ack: length %d, but %d groups make %d" % (length, ng, ack_size(ng)))
    if len(buf) < length:
        return 0, None
    a = bytes(buf[:length])
    crc = struct.unpack_from("<I", a, length - 4)[0]
    if crc32c(a[:-4]) != crc:
        raise ValueError("ack of frame %d: CRC mismatch" % frame_id)
    if status > ACK_REJECTED or reserved:
        raise ValueError("ack of frame %d: status %d, reserved %d" % (frame_id, status, reserved))
    groups = []
    if status == ACK_REJECTED:
        if ng or not error:
            raise ValueError("ack of frame %d: rejected with %d groups, error %d" % (
                frame_id, ng, error))
    else:
        if error:
            raise ValueError("ack of frame %d: status %s with error %d" % (
                frame_id, ACK_STATUS[status], error))
        if ng == 0:
            raise ValueError("ack of frame %d: no group" % frame_id)
        nxt, all_stored = 0, True
        for i in range(ng):
            first, n, st, pad, shard, counter = _ACK_GROUP.unpack_from(a, 20 + 20 * i)
            if first != nxt or n == 0 or st > R_ERROR or pad != b"\0\0\0":
                raise ValueError("ack of frame %d: group %d is records %d+%d status %d, want "
                                 "first %d, n >= 1, status <= 3" % (frame_id, i, first, n,
                                                                     st, nxt))
            all_stored = all_stored and st == R_STORED
            nxt = first + n
            groups.append({"first": first, "n": n, "status": st,
                           "status_name": ACK_REC_STATUS[st], "shard": shard,
                           "counter": counter})
        if nxt != count:
            raise ValueError("ack of frame %d: groups cover %d of %d records" % (
                frame_id, nxt, count))
        if all_stored != (status == ACK_OK):
            raise ValueError("ack of frame %d: status %s, but %s" % (
                frame_id, ACK_STATUS[status],
                "every group is stored" if all_stored else "a group is not stored"))
    return length, {"frame_id": frame_id, "count": count, "status": status,
                    "status_name": ACK_STATUS[status], "error": error,
                    "error_name": FRAME_ERRORS[error] if error < len(FRAME_ERRORS) else "unknown",
                    "groups": groups}
