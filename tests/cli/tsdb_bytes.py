# SPDX-License-Identifier: GPL-3.0-or-later
"""Byte helpers for the TSDB tests that rewrite index and chunk files
(tests/cli/tsdb_damage.sh, tsdb_ranges.sh): CRC32C as the TSDB computes
it, and unsigned varints."""


def crc32c(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82f63b78 if c & 1 else 0)
    return c ^ 0xffffffff


def uv(b, i):
    """(value, next offset) of the unsigned varint at b[i]."""
    x = s = 0
    while True:
        c = b[i]
        i += 1
        x |= (c & 0x7f) << s
        s += 7
        if c < 0x80:
            return x, i


def enc(x):
    """x as an unsigned varint."""
    out = bytearray()
    while x >= 0x80:
        out.append(x & 0x7f | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)
