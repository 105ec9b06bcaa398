#!/usr/bin/env python3
"""Helpers for tests/cli/resource_bounds_test.sh; every index written is v17,
built from the synthetic fixture tests/fixtures/versions/v17 (160-byte
header, 112-byte records, CRCs recomputed so the hostile values are *trusted*
by their CRC, the worst case).

  resource_bounds.py patch INDEX (header OFF VAL | record N OFF VAL)...
      set big-endian u32s (VAL may be 0x...), fix record and header CRCs
  resource_bounds.py bigbox TEMPLATE_DIR DIR N
      DIR gets TEMPLATE_DIR's cyrus.header and cyrus.cache, a cyrus.index of N
      intact records (uid 1..N, size 0, GUID = SHA-1 of nothing) and N empty
      message files "1." .. "N." — a mailbox directory of N+3 entries whose
      every message verifies
  resource_bounds.py rss MAX_KB OUT_FILE -- COMMAND...
      runs COMMAND (stdout/stderr to OUT_FILE.stdout/.stderr) and writes
      "<exit> <peak RSS in KiB> <seconds>" to OUT_FILE
"""
import hashlib
import os
import resource
import shutil
import struct
import subprocess
import sys
import time
import zlib

HS, RS = 160, 112


def fix_crcs(b, records=()):
    for n in records:
        base = HS + (n - 1) * RS
        struct.pack_into('>I', b, base + RS - 4, zlib.crc32(bytes(b[base:base + RS - 4])))
    struct.pack_into('>I', b, HS - 4, zlib.crc32(bytes(b[:HS - 4])))


def patch(path, args):
    b = bytearray(open(path, 'rb').read())
    touched = set()
    while args:
        what = args.pop(0)
        if what == 'header':
            off, val = int(args.pop(0)), int(args.pop(0), 0)
            struct.pack_into('>I', b, off, val)
        else:
            n, off, val = int(args.pop(0)), int(args.pop(0)), int(args.pop(0), 0)
            struct.pack_into('>I', b, HS + (n - 1) * RS + off, val)
            touched.add(n)
    fix_crcs(b, touched)
    open(path, 'wb').write(b)


def bigbox(template, d, n):
    os.makedirs(d, exist_ok=True)
    for f in ('cyrus.header', 'cyrus.cache'):
        shutil.copyfile(os.path.join(template, f), os.path.join(d, f))
    t = open(os.path.join(template, 'cyrus.index'), 'rb').read()
    head = bytearray(t[:HS])
    struct.pack_into('>I', head, 20, n)        # num_records
    struct.pack_into('>I', head, 28, n)        # last_uid
    struct.pack_into('>Q', head, 32, 0)        # quota_mailbox_used
    for off in (48, 52, 56):                   # deleted, answered, flagged
        struct.pack_into('>I', head, off, 0)
    struct.pack_into('>I', head, 84, n)        # exists
    struct.pack_into('>I', head, 124, 0)       # unseen
    struct.pack_into('>I', head, HS - 4, zlib.crc32(bytes(head[:HS - 4])))
    tmpl = bytearray(t[HS:HS + RS])
    struct.pack_into('>I', tmpl, 12, 0)        # size
    struct.pack_into('>I', tmpl, 16, 0)        # header_size
    struct.pack_into('>I', tmpl, 24, 4)        # cache_offset: the first cache record
    struct.pack_into('>I', tmpl, 32, 0)        # system_flags
    tmpl[36:52] = bytes(16)                    # user flags
    tmpl[60:80] = hashlib.sha1(b'').digest()   # GUID of an empty message
    struct.pack_into('>I', tmpl, 104, 0)       # cache_crc 0: "old style", not checked
    with open(os.path.join(d, 'cyrus.index'), 'wb') as out:
        out.write(head)
        chunk = []
        for uid in range(1, n + 1):
            struct.pack_into('>I', tmpl, 0, uid)
            struct.pack_into('>I', tmpl, RS - 4, zlib.crc32(bytes(tmpl[:RS - 4])))
            chunk.append(bytes(tmpl))
            if len(chunk) >= 65536:
                out.write(b''.join(chunk))
                chunk = []
        out.write(b''.join(chunk))
    flags = os.O_CREAT | os.O_WRONLY | os.O_EXCL
    for uid in range(1, n + 1):
        os.close(os.open(os.path.join(d, f'{uid}.'), flags, 0o644))


def rss(out_file, cmd):
    t0 = time.monotonic()
    with open(out_file + '.stdout', 'wb') as so, open(out_file + '.stderr', 'wb') as se:
        rc = subprocess.call(cmd, stdout=so, stderr=se)
    secs = time.monotonic() - t0
    # The largest resident set of any child waited for: the only child is COMMAND.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(out_file, 'w') as f:
        f.write(f'{rc} {peak} {secs:.1f}\n')


def main():
    a = sys.argv[1:]
    if a[0] == 'patch':
        patch(a[1], a[2:])
    elif a[0] == 'bigbox':
        bigbox(a[1], a[2], int(a[3]))
    elif a[0] == 'rss':
        rss(a[1], a[3:] if a[2] == '--' else a[2:])
    else:
        sys.exit(f'unknown command {a[0]}')


if __name__ == '__main__':
    main()
