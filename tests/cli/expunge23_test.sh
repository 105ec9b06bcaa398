#!/usr/bin/env bash
# 2.3 delayed expunge keeps expunged records in cyrus.expunge (the index's
# format, in no uid order) while the files stay: check and salvage read them
# as expunged records, so those messages are verified, not "no record".
# The mailbox is the v10 version fixture (uids 1, 2, 5, 7) with two records moved from
# cyrus.index into a cyrus.expunge, in reverse uid order.
source "$(dirname "$0")/common.sh" "$@"

box=$TMP/spool/user/test
mkdir -p "$TMP/spool/user"
cp -r "$SRCFIX/versions/v10" "$box"; rm -f "$box/expected.json"
python3 - "$box" <<'PY'
import struct, sys
d = sys.argv[1]
data = open(d + "/cyrus.index", "rb").read()
hsize, rsize = struct.unpack(">II", data[12:20])
n = struct.unpack(">I", data[20:24])[0]
recs = [data[hsize + i * rsize: hsize + (i + 1) * rsize] for i in range(n)]
moved = [recs[1], recs[3]]          # uids 2 and 7 (the v10 fixture has 1, 2, 5, 7)
kept = [r for i, r in enumerate(recs) if i not in (1, 3)]
def with_count(header, count):
    return header[:20] + struct.pack(">I", count) + header[24:]
header = data[:hsize]
open(d + "/cyrus.index", "wb").write(with_count(header, len(kept)) + b"".join(kept))
open(d + "/cyrus.expunge", "wb").write(with_count(header, len(moved)) + b"".join(reversed(moved)))
PY
"$BIN" check --json "$box/cyrus.index" >"$TMP/check.json" 2>"$TMP/err"; st=$?
python3 - "$TMP/check.json" <<'PY' && pass "check: expunged records from cyrus.expunge verified (exit $st)" || { fail "check"; cat "$TMP/check.json" | head -50; }
import json, sys
c = json.load(open(sys.argv[1]))
msgs = {m["uid"]: m for m in c["mailboxes"][0]["messages"]}
ok = sorted(msgs) == [1, 2, 5, 7] and all(m["state"] == "verified" for m in msgs.values())
ok = ok and msgs[2]["expunged"] and msgs[7]["expunged"] and not msgs[1]["expunged"] and not msgs[5]["expunged"]
codes = {f["code"] for f in c["mailboxes"][0]["check_findings"]}
ok = ok and "record.uid-order" not in codes and "message.no-record" not in codes
sys.exit(0 if ok else 1)
PY
"$BIN" salvage "$TMP/spool" -o "$TMP/out" >/dev/null 2>&1
python3 - "$TMP/out" <<'PY' && pass "salvage: provenance names cyrus.expunge" || fail "salvage provenance"
import json, sys
es = {json.loads(l)["uid"]: json.loads(l) for l in open(sys.argv[1] + "/manifest.jsonl")}
ok = es[2]["expunged"] and es[2]["status"] == "verified" and es[2]["provenance"]["record"] != "none"
ok = ok and es[2]["provenance"]["internaldate"].startswith("cyrus.expunge record")
sys.exit(0 if ok else 1)
PY
finish
