"""Frame format v1 encoder for the data-plane tests (docs/frame-format.md), with
CRC32C and the MD5 hash key of a partition key. No dependency beyond Python's
standard library, so senders in a network namespace can use it.

frame_bytes(recs, frame_id, fhk=None, ...) encodes records [(key, data, ehk)]
(bytes, bytes, int or None); the keyword arguments lie about single fields to
build the bad frames of each drop cause.
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
