#!/usr/bin/env bash
# Cyrus writes index records before the header, so a crash can leave whole,
# CRC-valid records past num_records. check and salvage read them (finding
# index.trailing-records) instead of losing those messages. Made from a real
# mailbox by lowering num_records by 2 and fixing the header CRC.
source "$(dirname "$0")/common.sh" "$@"

img=$FIX/cyrus36-uuid.ext4.img
src=$("$BIN" ls --json "$img" | python3 -c 'import json,sys; print([m["dir"] for m in json.load(sys.stdin)["mailboxes"] if m["name"]=="user.fred"][0])')
mkdir -p "$TMP/one"
debugfs -R "rdump /$src $TMP/one" "$img" >/dev/null 2>&1
box=$(ls -d "$TMP"/one/*)
python3 - "$box/cyrus.index" <<'PY'
import struct, sys, zlib
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
hsize = struct.unpack(">I", d[12:16])[0]
n = struct.unpack(">I", d[20:24])[0]
d[20:24] = struct.pack(">I", n - 2)
d[hsize - 4:hsize] = struct.pack(">I", zlib.crc32(bytes(d[:hsize - 4])) & 0xFFFFFFFF)
open(p, "wb").write(bytes(d))
PY
"$BIN" check --json "$box/cyrus.index" >"$TMP/c.json" 2>"$TMP/err"
python3 - "$TMP/c.json" <<'PY' && pass "records past num_records read, reported as trailing" || { fail "trailing records"; head -c 2000 "$TMP/c.json"; }
import json, sys
c = json.load(open(sys.argv[1]))
m = c["mailboxes"][0]
codes = [f["code"] for f in m["check_findings"]]
states = {x["uid"]: x["state"] for x in m["messages"]}
ok = "index.trailing-records" in codes and m["index"]["trailing_records"] == 2
ok = ok and len(states) == 12 and all(s == "verified" for s in states.values())
sys.exit(0 if ok else 1)
PY
finish
