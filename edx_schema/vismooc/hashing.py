"""RIPEMD-160 usernames, as MOOCdb's tracking-log parser hashes them, and the vismooc ``_id``.

Pure: no Django import.

- :func:`anonymize` is ``ripemd160(value.encode("utf-8")).hexdigest()``: 40 lower-case hex
  characters, no case folding, trimming or normalisation, so a username hashes exactly as the
  parser hashed it in the tracking logs and the two join. OpenSSL 3.0.0 to 3.0.6 lack RIPEMD-160
  (it was moved to the legacy provider), so when hashlib cannot compute it correctly, a
  pure-Python implementation below gives the same digests.
- :func:`vismooc_id` is the original pipeline's ``hash(str(value)) % (sys.maxsize + 1)`` under
  64-bit CPython 2.7 (its string hash, without randomisation), so video ids match the original's.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable

_EMPTY_DIGEST = "9c1185a5c5e9fc54612808977ee8f548b2258d31"  # RIPEMD-160 of b""

# -- pure-Python RIPEMD-160 (Dobbertin, Bosselaers, Preneel, 1996) ------------------------------

_R_LEFT = (
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
    3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
    1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
    4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
)  # fmt: skip
_R_RIGHT = (
    5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
    6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
    15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
    8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
    12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
)  # fmt: skip
_S_LEFT = (
    11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
    7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
    11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
    11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
    9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
)  # fmt: skip
_S_RIGHT = (
    8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
    9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
    9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
    15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
    8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
)  # fmt: skip
_K_LEFT = (0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E)
_K_RIGHT = (0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0x00000000)
_MASK = 0xFFFFFFFF


def _f(round_: int, x: int, y: int, z: int) -> int:
    if round_ == 0:
        return x ^ y ^ z
    if round_ == 1:
        return (x & y) | (~x & z)
    if round_ == 2:
        return (x | ~y) ^ z
    if round_ == 3:
        return (x & z) | (y & ~z)
    return x ^ (y | ~z)


def _rol(value: int, shift: int) -> int:
    value &= _MASK
    return ((value << shift) | (value >> (32 - shift))) & _MASK


def ripemd160_pure(data: bytes) -> str:
    """RIPEMD-160 of ``data`` as a hex string, in Python alone (slow, but everywhere)."""
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    message = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", len(data) * 8)
    for offset in range(0, len(message), 64):
        x = struct.unpack("<16I", message[offset : offset + 64])
        al, bl, cl, dl, el = h
        ar, br, cr, dr, er = h
        for j in range(80):
            round_ = j // 16
            t = _rol(al + _f(round_, bl, cl, dl) + x[_R_LEFT[j]] + _K_LEFT[round_], _S_LEFT[j]) + el
            al, el, dl, cl, bl = el, dl, _rol(cl, 10), bl, t & _MASK
            t = _rol(ar + _f(4 - round_, br, cr, dr) + x[_R_RIGHT[j]] + _K_RIGHT[round_], _S_RIGHT[j]) + er
            ar, er, dr, cr, br = er, dr, _rol(cr, 10), br, t & _MASK
        h = [
            (h[1] + cl + dr) & _MASK,
            (h[2] + dl + er) & _MASK,
            (h[3] + el + ar) & _MASK,
            (h[4] + al + br) & _MASK,
            (h[0] + bl + cr) & _MASK,
        ]
    return struct.pack("<5I", *h).hex()


def _openssl_ripemd160(data: bytes) -> str:
    return hashlib.new("ripemd160", data).hexdigest()


def _choose() -> Callable[[bytes], str]:
    """hashlib's RIPEMD-160 when it really works (OpenSSL may list it and fail), else ours."""
    try:
        if _openssl_ripemd160(b"") == _EMPTY_DIGEST:
            return _openssl_ripemd160
    except ValueError:
        pass
    return ripemd160_pure


ripemd160: Callable[[bytes], str] = _choose()


def anonymize(value: str) -> str:
    """The RIPEMD-160 hex digest of ``value``'s UTF-8 bytes, as MOOCdb hashes usernames."""
    return ripemd160(value.encode("utf-8"))


def _py2_string_hash(data: bytes) -> int:
    """CPython 2.7's 64-bit ``string_hash`` (hash randomisation off)."""
    if not data:
        return 0
    mask = (1 << 64) - 1
    x = (data[0] << 7) & mask
    for byte in data:
        x = ((1000003 * x) & mask) ^ byte
    x ^= len(data)
    if x >= 1 << 63:
        x -= 1 << 64
    return -2 if x == -1 else x


def vismooc_id(value: str) -> str:
    """The original pipeline's ``_id`` for ``value``: decimal, in [0, 2**63)."""
    return str(_py2_string_hash(value.encode("utf-8")) % (1 << 63))
