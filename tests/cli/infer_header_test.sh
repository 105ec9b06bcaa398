#!/usr/bin/env bash
# A cyrus.index whose header is destroyed (zeroed) in a version without
# record CRCs is still read: the record layout is inferred from uid order and
# the sizes of the message files (index.layout-inferred-from-files). Copies of
# the v10 and v6 synthetic fixtures (tests/fixtures/versions), and a v11 built
# from v10 by the fact sheet (v10 + cache_crc at 88 + record CRC at 92), each
# with its header zeroed, in a directory tree given as evidence:
#  - check: the layout is inferred, every record read as range-checked (never
#    crc-ok), v10/v11 messages verified by GUID, v6 unverified (no GUID);
#  - salvage: every message salvaged once, none missing from the manifest,
#    internal dates and flags as the records hold them, status as above, and
#    report.json's totals reconcile.
# A mailbox whose index cannot be inferred (its message files gone but one)
# reads no record: its remaining file is salvaged unverified, with no record.
source "$(dirname "$0")/common.sh" "$@"

VERS=$SRCFIX/versions
spool=$TMP/evidence/spool
mkdir -p "$spool"
for v in v6 v10; do
  cp -r "$VERS/$v" "$spool/$v"
  rm -f "$spool/$v/expected.json"
done
cp -r "$VERS/v10" "$spool/v11" && rm -f "$spool/v11/expected.json"
cp -r "$VERS/v10" "$spool/lost" && rm -f "$spool/lost/expected.json" "$spool/lost/"{2,5,7}.

python3 - "$spool" <<'PY' || fail "could not build the damaged indexes"
import os, struct, sys, zlib
spool = sys.argv[1]
def zero_header(path, hsize):
    d = bytearray(open(path, "rb").read())
    d[:hsize] = bytes(hsize)
    open(path, "wb").write(bytes(d))
# v11 from v10 (fact sheet 1.5): 88-byte records grow to 96 with cache_crc (0) and the CRC.
p = os.path.join(spool, "v11", "cyrus.index")
d = open(p, "rb").read()
out = bytearray(d[:96])
for off in range(96, len(d), 88):
    rec = d[off:off + 88] + bytes(4)
    out += rec + struct.pack(">I", zlib.crc32(rec) & 0xFFFFFFFF)
open(p, "wb").write(bytes(out))
for name, hsize in (("v6", 76), ("v10", 96), ("v11", 96), ("lost", 96)):
    zero_header(os.path.join(spool, name, "cyrus.index"), hsize)
PY

# check: the v10 mailbox alone is all verified (exit 1: damage found, nothing left).
"$BIN" check --json "$spool/v10" >"$TMP/c10.json" 2>"$TMP/err"; st=$?
[[ $st -eq 1 ]] && pass "check of the v10 copy alone: exit 1" || { fail "check v10: exit $st, want 1"; head -5 "$TMP/err"; }

"$BIN" check --json "$TMP/evidence" >"$TMP/check.json" 2>"$TMP/err"; st=$?
[[ $st -eq 5 ]] && pass "check of the tree: exit 5" || { fail "check: exit $st, want 5"; head -5 "$TMP/err"; }
python3 - "$TMP/check.json" "$VERS" >"$TMP/verdict" 2>&1 <<'PY' || echo "(the checker failed)" >>"$TMP/verdict"
import json, os, sys
c = json.load(open(sys.argv[1])); vers = sys.argv[2]
bad = []
boxes = {m["name"]: m for m in c["mailboxes"]}
if sorted(boxes) != ["lost", "v10", "v11", "v6"]: bad.append(f"mailboxes {sorted(boxes)}")
for name, minor in (("v6", 6), ("v10", 10), ("v11", 11)):
    m = boxes.get(name)
    if not m: continue
    exp = json.load(open(os.path.join(vers, "v10" if minor == 11 else name, "expected.json")))
    codes = [f["code"] for f in m["check_findings"]]
    inf = [f for f in m["check_findings"] if f["code"] == "index.layout-inferred-from-files"]
    if len(inf) != 1: bad.append(f"{name}: {len(inf)} layout-inferred-from-files findings")
    elif f"minor version {minor} (" not in inf[0]["detail"] or "4 of 4 records match" not in inf[0]["detail"]:
        bad.append(f"{name}: finding does not name the version and evidence: {inf[0]['detail']}")
    if "index.layout-not-inferred" in codes: bad.append(f"{name}: not-inferred finding")
    ix = m["index"]
    if ix["minor_version"] != minor: bad.append(f"{name}: read as minor {ix['minor_version']}")
    if ix["header_integrity"] != "damaged": bad.append(f"{name}: header {ix['header_integrity']}")
    recs = ix["records"]
    if [r["uid"] for r in recs] != [r["uid"] for r in exp["records"]]:
        bad.append(f"{name}: uids {[r['uid'] for r in recs]}")
    if any(r["integrity"] != "range-checked" for r in recs):
        bad.append(f"{name}: integrity {[r['integrity'] for r in recs]}, want all range-checked")
    want = "verified" if minor >= 10 else "unverified"
    states = {x["uid"]: x["state"] for x in m["messages"]}
    if states != {r["uid"]: want for r in exp["records"]}: bad.append(f"{name}: states {states}")
    for f in m["check_findings"]:
        if f["severity"] in ("damage", "error", "fatal", "warning") and f["code"] not in (
                "index.unknown-version", "index.layout-inferred-from-files"):
            bad.append(f"{name}: unexpected {f['code']}: {f['detail']}")
lost = boxes.get("lost")
if lost:
    codes = [f["code"] for f in lost["check_findings"]]
    if "index.layout-not-inferred" not in codes: bad.append("lost: no layout-not-inferred finding")
    if "index.layout-inferred-from-files" in codes: bad.append("lost: layout inferred from one file")
    if lost["index"] and lost["index"].get("records"): bad.append("lost: records read")
    if [(x["uid"], x["state"]) for x in lost["messages"]] != [(1, "no-record")]:
        bad.append(f"lost: messages {lost['messages']}")
if bad: print("\n".join(bad))
PY
if [[ -s $TMP/verdict ]]; then fail "check verdicts"; sed 's/^/    /' "$TMP/verdict"; else
  pass "check: layouts inferred, records range-checked, states by GUID"; fi

"$BIN" salvage "$TMP/evidence" -o "$TMP/out" >"$TMP/sout" 2>"$TMP/err"; st=$?
[[ $st -eq 5 ]] && pass "salvage: exit 5" || { fail "salvage: exit $st, want 5"; head -5 "$TMP/err"; }
python3 - "$TMP/out" "$VERS" >"$TMP/verdict" 2>&1 <<'PY' || echo "(the checker failed)" >>"$TMP/verdict"
import hashlib, json, os, sys
out, vers = sys.argv[1], sys.argv[2]
entries = [json.loads(l) for l in open(os.path.join(out, "manifest.jsonl"))]
report = json.load(open(os.path.join(out, "report.json")))
bad = []
by = {}
for e in entries:
    k = (e["mailbox"], e["uid"])
    if k in by: bad.append(f"{k} twice in the manifest")
    by[k] = e
NAMES = [(1, "\\Answered"), (2, "\\Flagged"), (4, "\\Deleted"), (8, "\\Draft")]
n = 0
for name, minor in (("v6", 6), ("v10", 10), ("v11", 11)):
    exp = json.load(open(os.path.join(vers, "v10" if minor == 11 else name, "expected.json")))
    files = {f["uid"]: f for f in exp["message_files"]}
    for r in exp["records"]:
        n += 1
        k = (name, r["uid"])
        e = by.get(k)
        if e is None:
            bad.append(f"{k}: not in the manifest"); continue
        want = "verified" if minor >= 10 else "unverified"
        if e["status"] != want: bad.append(f"{k}: status {e['status']} {e['reasons']}, want {want}")
        if minor < 10 and e["reasons"] != ["index.no-guid"]: bad.append(f"{k}: reasons {e['reasons']}")
        if e["internaldate"] != r["internaldate"]:
            bad.append(f"{k}: internaldate {e['internaldate']}, want {r['internaldate']}")
        if e["provenance"]["record"] != "range-checked" or "range-checked" not in e["provenance"]["internaldate"]:
            bad.append(f"{k}: provenance {e['provenance']}")
        flags = sorted(n_ for bit, n_ in NAMES if r["system_flags"] & bit)
        if sorted(e["flags"]) != flags: bad.append(f"{k}: flags {e['flags']}, want {flags}")
        if e["recno"] is None: bad.append(f"{k}: no record number")
        data = open(os.path.join(out, e["file"]), "rb").read() if e["file"] else b""
        if hashlib.sha1(data).hexdigest() != files[r["uid"]]["sha1"]:
            bad.append(f"{k}: salvaged bytes differ from the message file")
        if int(os.stat(os.path.join(out, e["file"])).st_mtime) != r["internaldate"]:
            bad.append(f"{k}: file mtime is not the internal date")
lost = [e for e in entries if e["mailbox"] == "lost"]
if [(e["uid"], e["status"], e["recno"]) for e in lost] != [(1, "unverified", None)]:
    bad.append(f"lost: {[(e['uid'], e['status'], e['recno']) for e in lost]}")
if len(entries) != n + 1: bad.append(f"{len(entries)} manifest lines, want {n + 1}")
if any(e["status"] in ("unrecoverable", "skipped") for e in entries): bad.append("a message not salvaged")
t = report["totals"]
if not t["reconciles"]: bad.append("totals do not reconcile")
if t["messages"] != len(entries): bad.append(f"report counts {t['messages']} messages, manifest {len(entries)}")
if t["files_found"] != t["salvaged"] or t["files_found"] != len(entries):
    bad.append(f"files found {t['files_found']}, salvaged {t['salvaged']}")
if t["records_found"] != n: bad.append(f"records found {t['records_found']}, want {n}")
# The equations, recomputed from the manifest (DESIGN.md: nothing is lost silently).
salvaged = lambda e: e["status"] not in ("skipped", "unrecoverable")
files_salvaged = sum(1 for e in entries if e["source"]["inode"] and salvaged(e))
recs_salvaged = sum(1 for e in entries if e["recno"] and salvaged(e))
if t["files_found"] != files_salvaged + t["skipped_files"]: bad.append("files found != salvaged + skipped")
if t["records_found"] != recs_salvaged + t["unrecoverable"] + t["skipped_records"]:
    bad.append("records found != salvaged + unrecoverable + skipped")
if bad: print("\n".join(bad))
PY
if [[ -s $TMP/verdict ]]; then fail "salvage verdicts"; sed 's/^/    /' "$TMP/verdict"; else
  pass "salvage: every message salvaged with its date and flags, totals reconcile"; fi
finish
