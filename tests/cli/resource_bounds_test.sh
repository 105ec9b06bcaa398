#!/usr/bin/env bash
# Resource bounds under hostile input (issue 5, item 5): an index claiming
# 2^32 records, a cache offset near 2^48, a directory with very many entries,
# a 2 GiB message file. For each, `check` and `salvage` run to the end with a
# clear finding, and their peak resident set (getrusage of the child, see
# resource_bounds.py rss) stays under a generous bound. A memory bound, not a
# timing assertion.
#
# Every mailbox starts from the synthetic v17 fixture (tests/fixtures/versions/v17)
# with its CRCs recomputed after the damage, so the hostile values are trusted
# by their CRC — the worst case.
#
# Sizes: SS_BIG_TESTS=1 runs the directory bound with a million entries (and
# asserts the per-entry cost instead of the 200 MB bound); the default is
# 30 000 entries (SS_BIG_N overrides). Measured on the 2-core CI machine
# (RelWithDebInfo, 2025-11), peak RSS / wall time:
#   bound 1 (num_records 2^32-1): check 17 MB, salvage 17 MB, < 0.2 s each
#   bound 2 (cache offset 2^48-16): check 17 MB, salvage 17 MB, < 0.2 s each
#   bound 3: check costs ~1.7 KB per entry (index record twice: decoded in
#     IndexContents and in its RecordVerdict, ~430 B each; the MessageVerdict;
#     the DirTree node and path; the listing; the uid maps; the hash job),
#     salvage the same. 30 000 entries: ~65 MB, check 2 s, salvage 10 s.
#     1 000 000 entries (SS_BIG_TESTS=1): check 1624 MB peak (1684 B/entry)
#     in 31 s; before the index_check/index_reader change that holds
#     two copies of each record at once instead of three, 2.2 KB per entry.
#   bound 4 (2 GiB sparse "8."): check 17 MB in 2-7 s, salvage 17 MB in 8-17 s
#     (the output file is a real 2 GiB: salvage runs only with > 5 GiB free).
source "$(dirname "$0")/common.sh" "$@"

PY="python3 $HERE/resource_bounds.py"
V17=$SRCFIX/versions/v17
LIMIT_KB=$((200 * 1024))
# Under AddressSanitizer (scripts/sanitize runs this suite again) memory is
# not the program's own: shadow memory and the quarantine of freed blocks
# (256 MB) inflate RSS several times. There only the behaviour is checked;
# the bounds are proven by the normal build.
ASAN=0
if [[ $(ldd "$BIN" 2>/dev/null) == *libasan* ]]; then
  ASAN=1
  echo "note: $BIN is built with AddressSanitizer: memory bounds not asserted, behaviour is"
fi

# measure NAME -- COMMAND...: runs it; sets RC, KB (peak RSS, KiB), SECS;
# keeps stdout/stderr in $TMP/m/NAME.stdout / .stderr.
measure() {
  local name=$1; shift 2
  mkdir -p "$TMP/m"
  $PY rss "$TMP/m/$name" -- "$@"
  read -r RC KB SECS <"$TMP/m/$name"
  echo "   $name: exit $RC, peak RSS $((KB / 1024)) MB, $SECS s"
}

# bounded NAME: the last measure stayed under LIMIT_KB and did not fail
# operationally (exit bit 8) or crash (>= 64 / signals).
bounded() {
  if [[ $ASAN == 1 ]]; then echo "   (ASan build: peak RSS $((KB / 1024)) MB not asserted)"
  elif [[ $KB -lt $LIMIT_KB ]]; then pass "$1: peak RSS $((KB / 1024)) MB < $((LIMIT_KB / 1024)) MB"
  else fail "$1: peak RSS $((KB / 1024)) MB >= $((LIMIT_KB / 1024)) MB"; fi
  if [[ $RC -lt 8 ]]; then pass "$1: ran to the end (exit $RC)"
  else fail "$1: exit $RC"; sed 's/^/    /' "$TMP/m/$2.stderr" | head -5; fi
}

# jq-less JSON assertions: json_check FILE PYTHON-EXPR-PRINTING-PROBLEMS
json_check() {
  local what=$1 file=$2 code=$3
  local out
  out=$(python3 -c "
import json, sys
c = json.load(open(sys.argv[1]))
bad = []
$code
print('\n'.join(bad))" "$file" 2>&1)
  if [[ -z $out ]]; then pass "$what"; else fail "$what"; sed 's/^/    /' <<<"$out" | head -10; fi
}

manifest_check() {
  local what=$1 out=$2 code=$3
  local res
  res=$(python3 -c "
import json, sys
es = [json.loads(l) for l in open(sys.argv[1] + '/manifest.jsonl')]
by = {e['uid']: e for e in es}
bad = []
$code
print('\n'.join(bad))" "$out" 2>&1)
  if [[ -z $res ]]; then pass "$what"; else fail "$what"; sed 's/^/    /' <<<"$res" | head -10; fi
}

# A tiny run first: the fixed cost every per-entry figure is measured against.
mkdir -p "$TMP/base/spool" && cp -r "$V17" "$TMP/base/spool/mbox" && rm "$TMP/base/spool/mbox/expected.json"
measure base -- "$BIN" check "$TMP/base/spool"
BASE_KB=$KB

# --- 1. cyrus.index claiming 2^32-1 records (and exists 2^32-1) ----------------
echo "1. index header claims num_records = exists = 2^32-1 in a 720-byte file"
mkdir -p "$TMP/b1/spool"
cp -r "$V17" "$TMP/b1/spool/mbox"; rm "$TMP/b1/spool/mbox/expected.json"
$PY patch "$TMP/b1/spool/mbox/cyrus.index" header 20 0xffffffff header 84 0xffffffff
measure b1check -- "$BIN" check --json "$TMP/b1/spool"
bounded "1 check" b1check
json_check "1 check: the 5 records in the file are read and verified; index.truncated" \
  "$TMP/m/b1check.stdout" '
m = c["mailboxes"][0]; ix = m["index"]
if ix["records_read"] != 5: bad.append("records_read %s" % (ix["records_read"],))
if ix["num_records"] != 2**32 - 1: bad.append("num_records %s" % (ix["num_records"],))
if not any(f["code"] == "index.truncated" for f in m["check_findings"]): bad.append("no index.truncated")
st = sorted((x["uid"], x["state"]) for x in m["messages"])
if st != [(u, "verified") for u in (1, 2, 4, 5, 7)]: bad.append(f"messages {st}")'
measure b1salvage -- "$BIN" salvage "$TMP/b1/spool" -o "$TMP/b1out"
bounded "1 salvage" b1salvage
manifest_check "1 salvage: 5 messages out, all verified" "$TMP/b1out" '
if sorted(by) != [1, 2, 4, 5, 7] or any(e["status"] != "verified" for e in es):
    bad.append(str([(e["uid"], e["status"]) for e in es]))'
# exists alone absurd (num_records true): a finding, nothing sized by it.
mkdir -p "$TMP/b1e/spool"
cp -r "$V17" "$TMP/b1e/spool/mbox"; rm "$TMP/b1e/spool/mbox/expected.json"
$PY patch "$TMP/b1e/spool/mbox/cyrus.index" header 84 0xffffffff
measure b1echeck -- "$BIN" check --json "$TMP/b1e/spool"
bounded "1 check (exists 2^32-1)" b1echeck
json_check "1 check (exists 2^32-1): index.exists, 5 verified" "$TMP/m/b1echeck.stdout" '
m = c["mailboxes"][0]
if not any(f["code"] == "index.exists" for f in m["check_findings"]): bad.append("no index.exists")
if sum(x["state"] == "verified" for x in m["messages"]) != 5: bad.append("not 5 verified")'

# --- 2. a cache offset near 2^48 --------------------------------------------
# Record 2 (uid 2): cache_offset low word 0xfffffff0, high half of the
# cache_version word 0xffff (3.2+ 48-bit offsets): 2^48 - 16 into a 3756-byte
# cyrus.cache.
echo "2. record 2 points 2^48-16 bytes into a 3756-byte cyrus.cache"
mkdir -p "$TMP/b2/spool"
cp -r "$V17" "$TMP/b2/spool/mbox"; rm "$TMP/b2/spool/mbox/expected.json"
$PY patch "$TMP/b2/spool/mbox/cyrus.index" record 2 24 0xfffffff0 record 2 56 0xffff000b
measure b2check -- "$BIN" check --json "$TMP/b2/spool"
bounded "2 check" b2check
json_check "2 check: cache.offset names 281474976710640; uid 2 unverified, the rest verified" \
  "$TMP/m/b2check.stdout" '
m = c["mailboxes"][0]
if not any(f["code"] == "cache.offset" and "281474976710640" in f["detail"] for f in m["check_findings"]):
    bad.append("no cache.offset finding naming the offset")
st = dict((x["uid"], x["state"]) for x in m["messages"])
if st != {1: "verified", 2: "unverified", 4: "verified", 5: "verified", 7: "verified"}: bad.append(str(st))'
measure b2salvage -- "$BIN" salvage "$TMP/b2/spool" -o "$TMP/b2out"
bounded "2 salvage" b2salvage
manifest_check "2 salvage: uid 2 out unverified with cache.offset, the rest verified" "$TMP/b2out" '
if sorted(by) != [1, 2, 4, 5, 7]: bad.append(f"uids {sorted(by)}")
elif by[2]["status"] != "unverified": bad.append("uid 2 %s" % (by[2]["status"],))
if any(by[u]["status"] != "verified" for u in (1, 4, 5, 7) if u in by): bad.append("others not verified")'
# The same record with its message file gone: salvage looks the envelope up
# in the cache (for the report of what is lost) at that offset.
rm "$TMP/b2/spool/mbox/2."
measure b2msalvage -- "$BIN" salvage "$TMP/b2/spool" -o "$TMP/b2mout"
bounded "2 salvage, file of uid 2 gone" b2msalvage
manifest_check "2 salvage, file gone: uid 2 in the manifest, not verified" "$TMP/b2mout" '
if 2 not in by: bad.append("uid 2 missing from the manifest")
elif by[2]["status"] in ("verified", "corrected"): bad.append("uid 2 %s" % (by[2]["status"],))'

# --- 3. a mailbox directory with very many entries -----------------------------
# N empty "<uid>." files and an intact v17 index of N records (GUID = SHA-1 of
# nothing): every entry is a message that verifies, so what is measured is the
# per-entry cost of listing, index records, verdicts and reading, not of
# findings text.
N=${SS_BIG_N:-30000}
[[ ${SS_BIG_TESTS:-0} == 1 ]] && N=${SS_BIG_N:-1000000}
echo "3. one mailbox directory with $N message files and $N index records"
mkdir -p "$TMP/b3/spool"
$PY bigbox "$V17" "$TMP/b3/spool/mbox" "$N"
# Per-entry cost bound: generous (what is measured is printed below).
PER_ENTRY_MAX=${SS_PER_ENTRY_MAX:-3072}
per_entry() {  # what KB
  local bytes=$(( ($2 - BASE_KB) * 1024 / N ))
  echo "   cost: $1 $bytes bytes per entry (peak $(( $2 / 1024 )) MB - tiny run $((BASE_KB / 1024)) MB, over $N entries)"
  if [[ $ASAN == 1 ]]; then echo "   (ASan build: cost per entry not asserted)"
  elif [[ $bytes -le $PER_ENTRY_MAX ]]; then pass "3 $1: $bytes bytes per entry <= $PER_ENTRY_MAX"
  else fail "3 $1: $bytes bytes per entry > $PER_ENTRY_MAX"; fi
}
measure b3check -- "$BIN" check "$TMP/b3/spool"
if [[ $N -le 60000 ]]; then bounded "3 check" b3check
elif [[ $RC -lt 8 ]]; then pass "3 check: ran to the end (exit $RC)"; else fail "3 check: exit $RC"; fi
per_entry check "$KB"
if grep -q "checked 1 mailboxes: $N verified" "$TMP/m/b3check.stdout"; then pass "3 check: $N verified"
else fail "3 check: not $N verified"; tail -3 "$TMP/m/b3check.stdout"; fi
measure b3salvage -- "$BIN" salvage "$TMP/b3/spool" -o "$TMP/b3out"
if [[ $N -le 60000 ]]; then bounded "3 salvage" b3salvage
elif [[ $RC -lt 8 ]]; then pass "3 salvage: ran to the end (exit $RC)"; else fail "3 salvage: exit $RC"; fi
per_entry salvage "$KB"
if grep -q "messages: $N ($N verified)" "$TMP/m/b3salvage.stdout" &&
   [[ $(wc -l <"$TMP/b3out/manifest.jsonl") -eq $N ]]; then pass "3 salvage: $N verified, $N manifest lines"
else fail "3 salvage: not $N verified"; grep messages: "$TMP/m/b3salvage.stdout"; fi
rm -rf "$TMP/b3" "$TMP/b3out"

# --- 4. a 2 GiB message file ------------------------------------------------
# A sparse file (no disk used) with no index record: read streamed through
# fs/bulk_read (files bigger than the 16 MiB window never sit in memory
# whole), hashed, reported as message.no-record. Its SHA-1 is that of 2^31
# zero bytes.
echo "4. a 2 GiB (sparse) message file 8."
ZERO_SHA1=91d50642dd930e9542c39d36f0516d45f4e1af0d
mkdir -p "$TMP/b4/spool"
cp -r "$V17" "$TMP/b4/spool/mbox"; rm "$TMP/b4/spool/mbox/expected.json"
truncate -s 2G "$TMP/b4/spool/mbox/8."
measure b4check -- "$BIN" check --json "$TMP/b4/spool"
bounded "4 check" b4check
json_check "4 check: 8. hashed whole (SHA-1 of 2 GiB of zeros), message.no-record, rest verified" \
  "$TMP/m/b4check.stdout" '
m = c["mailboxes"][0]
x = {y["uid"]: y for y in m["messages"]}
if 8 not in x: bad.append("no uid 8")
else:
    if x[8].get("sha1") != "'$ZERO_SHA1'": bad.append("sha1 %s" % (x[8].get("sha1"),))
    if x[8].get("size") != 2**31: bad.append("size %s" % (x[8].get("size"),))
if not any(f["code"] == "message.no-record" for f in m["check_findings"]): bad.append("no message.no-record")
if sum(y["state"] == "verified" for y in m["messages"]) != 5: bad.append("not 5 verified")'
# salvage writes the 2 GiB out for real (the copy is not sparse): only with
# room to spare on the disk under $TMP; else the check above is the proof.
avail_kb=$(df -Pk "$TMP" | awk 'NR == 2 {print $4}')
if [[ ${avail_kb:-0} -gt $((5 * 1024 * 1024)) ]]; then
  measure b4salvage -- "$BIN" salvage "$TMP/b4/spool" -o "$TMP/b4out"
  bounded "4 salvage" b4salvage
  manifest_check "4 salvage: 8. written whole, its SHA-1 in the manifest" "$TMP/b4out" '
import os
e = by.get(8)
if not e: bad.append("uid 8 not in the manifest")
else:
    if e["sha1"] != "'$ZERO_SHA1'": bad.append("sha1 %s" % (e["sha1"],))
    if os.path.getsize(os.path.join(sys.argv[1], e["file"])) != 2**31: bad.append("output size")'
  rm -rf "$TMP/b4out"
else
  echo "   salvage of the 2 GiB file skipped: only $((avail_kb / 1024)) MB free under $TMP (needs > 5 GiB)"
fi

# Bound 5: in an ext image, a message inode whose size says 1 TiB (its blocks
# unchanged). Only holes could make a file larger than the evidence, and a
# mail file has none: it is refused up front (message.unreadable, saying so), not hashed
# as a terabyte of zeros (found by fuzz_ext_image as a hang).
cp "$FIX/cyrus36-uuid.ext4.img" "$TMP/b5.img"
b5msg=$(debugfs -R "ls -p var/spool/cyrus/mail/uuid/w/k/wkvl07kbgsw39h5a9unhsz7x" "$TMP/b5.img" 2>/dev/null |
  awk -F/ '$6 ~ /^[0-9]+\.$/ {print $6; exit}')
debugfs -w -R "sif var/spool/cyrus/mail/uuid/w/k/wkvl07kbgsw39h5a9unhsz7x/$b5msg size 1099511627776" \
  "$TMP/b5.img" >/dev/null 2>&1
measure b5check -- timeout 120 "$BIN" check --json "$TMP/b5.img"
bounded "5 check" b5check
json_check "5 check: the 1 TiB inode is refused as damaged, not read" "$TMP/m/b5check.stdout" '
hits = [f for m in c["mailboxes"] for f in m.get("check_findings", []) if f["code"] == "message.unreadable" and "more than the whole evidence" in f.get("detail", "")]
if len(hits) != 1: bad.append("%d message.unreadable findings for the 1 TiB inode" % len(hits))'
finish
