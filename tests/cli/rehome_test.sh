#!/usr/bin/env bash
# Lost mail put back (issue 9, first part): a record whose file is missing is
# found among the filesystem's other inodes and re-homed when the SHA-1 of
# the bytes is its GUID. Recipes on copies of the real fixture (debugfs,
# e2fsck):
#  - orphan: fred's "3." unlinked (the inode stays allocated, no name);
#  - deleted: fred's "4." removed with debugfs rm (inode and blocks freed,
#    its block map intact);
#  - lost+found: "3." unlinked, then e2fsck -fy reconnects the inode as
#    lost+found/#N;
#  - one byte of the orphan's data changed: not matched, stays unrecoverable;
#  - --no-orphans: nothing looked for.
# Each re-homed message: status rehomed, written to its own Maildir with the
# record's flags and internal date, its bytes' SHA-1 = the record's GUID;
# every other message as on the intact fixture; exit 1 (a warning says where
# each was found); check says what salvage would re-home.
source "$(dirname "$0")/common.sh" "$@"
IMG=$FIX/cyrus36-uuid.ext4.img
FRED=var/spool/cyrus/mail/uuid/w/k/wkvl07kbgsw39h5a9unhsz7x
[[ -f $IMG ]] || { fail "fixture missing"; finish; }
command -v debugfs >/dev/null && command -v e2fsck >/dev/null || { fail "e2fsprogs missing"; finish; }
cd "$TMP" || exit 1
"$BIN" salvage "$IMG" -o intact >/dev/null 2>&1

cp "$IMG" orphan.img && debugfs -w -R "unlink $FRED/3." orphan.img >/dev/null 2>&1
cp "$IMG" deleted.img && debugfs -w -R "rm $FRED/4." deleted.img >/dev/null 2>&1
cp orphan.img lostfound.img && e2fsck -fy lostfound.img >/dev/null 2>&1
debugfs -R "ls -l lost+found" lostfound.img 2>/dev/null | grep -q '#' || fail "e2fsck put nothing in lost+found"
cp "$IMG" corrupt.img && debugfs -w -R "unlink $FRED/3." corrupt.img >/dev/null 2>&1
blk=$(debugfs -R "blocks <$(debugfs -R "stat $FRED/3." "$IMG" 2>/dev/null | awk '/^Inode:/ {print $2; exit}')>" "$IMG" 2>/dev/null | awk '{print $1}')
printf 'X' | dd of=corrupt.img bs=1 seek=$((blk * 1024 + 100)) conv=notrunc status=none

# verify OUT UID STATUS WHERE-REGEX: the manifest against the intact salvage
verify() {
  python3 - "$1" intact "$2" "$3" "$4" <<'PY'
import hashlib, json, os, re, sys
out, intact, uid, status, where = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
def load(d): return {(e["mailbox"], e["uid"]): e for e in map(json.loads, open(os.path.join(d, "manifest.jsonl")))}
got, want = load(out), load(intact)
bad = []
for k, w in want.items():
    g = got.get(k)
    if g is None: bad.append(f"{k} missing"); continue
    if k == ("user.fred", uid):
        if g["status"] != status: bad.append(f"{k}: {g['status']}, want {status}")
        if status == "rehomed":
            if not any(re.search(where, d) for d in g["reason_details"]): bad.append(f"{k}: reasons {g['reason_details']}")
            data = open(os.path.join(out, g["file"]), "rb").read()
            if hashlib.sha1(data).hexdigest() != w["guid"]: bad.append(f"{k}: bytes are not the GUID's")
            for f in ("flags", "keywords", "internaldate", "guid"):
                if g[f] != w[f]: bad.append(f"{k}: {f} {g[f]} != {w[f]}")
            if os.path.basename(g["file"]) != os.path.basename(w["file"]): bad.append(f"{k}: file {g['file']} != {w['file']}")
    elif g["status"] != w["status"]:
        bad.append(f"{k}: {g['status']}, intact {w['status']}")
print("\n".join(bad) if bad else "same")
PY
}
run() {  # NAME IMAGE UID STATUS WHERE [salvage args]
  local name=$1 img=$2 uid=$3 status=$4 where=$5; shift 5
  "$BIN" salvage "$img" -o "$name" "$@" >"$name.txt" 2>"$name.err"
  local st=$? out
  out=$(verify "$name" "$uid" "$status" "$where" 2>&1)
  if [[ $out == same ]]; then pass "$name: uid $uid $status, everything else as intact (exit $st)"
  else fail "$name:"; echo "$out" | head -5 | sed 's/^/    /'; fi
  return $st
}
run orphan orphan.img 3 rehomed "inode [0-9]+, which the mailbox's directory does not name"; [[ $? -eq 1 ]] || fail "orphan: exit not 1"
run deleted deleted.img 4 rehomed "deleted inode [0-9]+"
run lostfound lostfound.img 3 rehomed "in lost\+found as inode [0-9]+"
run corrupt corrupt.img 3 unrecoverable ""
run noorphans orphan.img 3 unrecoverable "" --no-orphans
"$BIN" check orphan.img >check.txt 2>&1
grep -q "warning message.rehomable: .*found in inode [0-9]*, which the mailbox's directory does not name.* uid 3$" check.txt \
  && pass "check says what salvage would re-home" || fail "check: $(grep -c rehomable check.txt) rehomable findings"
grep -q "lost mail: 1 records had no file; 1 inodes of their sizes were read" orphan/report.txt \
  && pass "report.txt says what the search read and found" || fail "report.txt: $(grep 'lost mail' orphan/report.txt)"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["totals"]["reading"]["lost_mail_search"]; sys.exit(0 if r["found"] == 1 and r["candidate_inodes_hashed"] >= 1 else 1)' orphan/report.json \
  && pass "report.json: lost_mail_search" || fail "report.json lost_mail_search"
finish
