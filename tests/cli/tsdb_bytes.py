# SPDX-License-Identifier: GPL-3.0-or-later
"""Byte helpers for the TSDB tests that rewrite index and chunk files
(tests/cli/tsdb_damage.sh, tsdb_ranges.sh) and the fuzz seed generator
(tests/fuzz/corpus-gen/block_seeds.py): CRC32C as the TSDB computes it, and
unsigned varints."""


_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)


def crc32c(b):
    """CRC-32C (Castagnoli, reflected), table-driven."""
    c = 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


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
