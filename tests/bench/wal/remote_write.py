#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""remote_write.py - push label sets x scrapes samples to a Prometheus
remote-write receiver, so that Prometheus itself writes a snappy-compressed
WAL (its default) the way a Thanos Receive ingester does.

    remote_write.py URL LABELS_JSONL SERIES SCRAPES [T0_MS] [STEP_MS]

One request per SERIES_PER_REQ series x SCRAPES_PER_REQ scrapes (20000
samples, like a Samples record of promtool's bench writer). Protobuf
(prometheus.WriteRequest) is encoded by hand; the body is a snappy raw
block made of literals only (valid snappy, no compression needed).
Deterministic: values and timestamps depend only on the arguments.
"""
import http.client
import json
import struct
import sys
import urllib.parse

SCRAPES_PER_REQ = 10
SERIES_PER_REQ = 2000


def uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field_bytes(num, payload):
    return uvarint(num << 3 | 2) + uvarint(len(payload)) + payload


def snappy_literal_block(data):
    out = bytearray(uvarint(len(data)))
    pos = 0
    while pos < len(data):
        chunk = data[pos:pos + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out.append(60 << 2)
            out.append(n)
        else:
            out.append(61 << 2)
            out += struct.pack('<H', n)
        out += chunk
        pos += len(chunk)
    return bytes(out)


def main():
    url, labels_path, nseries, nscrapes = sys.argv[1:5]
    t0 = int(sys.argv[5]) if len(sys.argv) > 5 else 1795500000000
    step = int(sys.argv[6]) if len(sys.argv) > 6 else 5000
    nseries, nscrapes = int(nseries), int(nscrapes)
    label_blocks = []
    with open(labels_path) as f:
        for i, line in enumerate(f):
            if i >= nseries:
                break
            ls = json.loads(line)
            b = b''.join(field_bytes(1, field_bytes(1, k.encode()) + field_bytes(2, v.encode()))
                         for k, v in sorted(ls.items()))
            label_blocks.append(b)
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    hdr = {'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy',
           'X-Prometheus-Remote-Write-Version': '0.1.0'}
    pack = struct.Struct('<d').pack
    for first in range(0, nscrapes, SCRAPES_PER_REQ):
        scr = range(first, min(nscrapes, first + SCRAPES_PER_REQ))
        ts = [(s, uvarint(t0 + s * step)) for s in scr]
        for lo in range(0, len(label_blocks), SERIES_PER_REQ):
            parts = []
            for i in range(lo, min(len(label_blocks), lo + SERIES_PER_REQ)):
                samples = b''.join(
                    field_bytes(2, b'\x09' + pack(float((i * 7 + s * 3) % 1000)) + b'\x10' + tb)
                    for s, tb in ts)
                parts.append(field_bytes(1, label_blocks[i] + samples))
            body = snappy_literal_block(b''.join(parts))
            conn.request('POST', u.path, body, hdr)
            r = conn.getresponse()
            r.read()
            if r.status // 100 != 2:
                sys.exit('remote write: HTTP %d at scrape %d' % (r.status, first))
    print('pushed %d series x %d scrapes' % (len(label_blocks), nscrapes))


if __name__ == '__main__':
    main()
