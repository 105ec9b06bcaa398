#!/usr/bin/env bash
# A finding on an index record names its place down to the image: the
# "image byte N" it gives holds that record (its CRC over the bytes there is
# the "computed" value the finding reports).
source "$(dirname "$0")/common.sh" "$@"

img=$FIX/sample-damaged.ext4.img
[[ -f $img ]] || { fail "missing $img"; finish; }
"$BIN" check --json "$img" -m user/fred >"$TMP/c.json" 2>/dev/null
python3 - "$TMP/c.json" "$img" <<'PY' && pass "record.crc names the image offset of the record" || fail "image offset in the finding"
import json, re, struct, sys, zlib
c = json.load(open(sys.argv[1]))
f = [f for m in c["mailboxes"] for f in m["check_findings"] if f["code"] == "record.crc"][0]
off = int(re.search(r"image byte (\d+)", f["place"]).group(1))
computed = int(re.search(r"computed (0x[0-9a-f]+)", f["detail"]).group(1), 16)
with open(sys.argv[2], "rb") as img:
    img.seek(off)
    rec = img.read(112)          # v17 record
sys.exit(0 if zlib.crc32(rec[:108]) & 0xFFFFFFFF == computed else 1)
PY
finish
