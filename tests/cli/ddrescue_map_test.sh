#!/usr/bin/env bash
# --map MAPFILE: a GNU ddrescue mapfile beside the image (issue 8, item 2).
# On the cyrus36-uuid fixture, a map marks three 1 KiB ranges as not
# recovered, found with debugfs: a block of the inode table (the inodes of
# alice's messages 5, 6 and 7), the data block of fred's message 3, and the
# second block of the Work Projects mailbox's cyrus.index. Then:
#  - check and salvage run to the end, exit bit 4;
#  - fred's message 3 is `unread` (never verified, never written);
#  - nothing in Work Projects is verified (its index is not all there), nor
#    alice's 5-7 (their inodes are not there);
#  - every other message is still verified, as without the map;
#  - the rescue domain written (check --domain-out, salvage
#    OUT/rescue-domain.map) holds exactly the ranges the run needed: the three
#    bad ones, as '+', everything else '?';
#  - --hash reports the image's SHA-256 (its bytes as they are);
#  - a malformed map, or a map with a directory, fails clearly;
#  - the image is unchanged.
source "$(dirname "$0")/common.sh" "$@"
IMG=$FIX/cyrus36-uuid.ext4.img
[[ -f $IMG ]] || { fail "fixture missing"; finish; }
command -v debugfs >/dev/null || { fail "debugfs missing (e2fsprogs)"; finish; }
FRED=var/spool/cyrus/mail/uuid/w/k/wkvl07kbgsw39h5a9unhsz7x
WORK=var/spool/cyrus/mail/uuid/s/1/s1vxuh124x7vp1q8xj1qj3mr
ALICE=var/spool/cyrus/mail/uuid/z/8/z84zz0rc3gtoriiugqt3oaua
bs=1024
msg_block=$(debugfs -R "blocks $FRED/3." "$IMG" 2>/dev/null | awk '{print $1}')
idx_block=$(debugfs -R "blocks $WORK/cyrus.index" "$IMG" 2>/dev/null | awk '{print $2}')
alice5=$(debugfs -R "stat $ALICE/5." "$IMG" 2>/dev/null | awk '/^Inode:/ {print $2; exit}')
itab_block=$(debugfs -R "imap <$alice5>" "$IMG" 2>/dev/null | awk '/located at block/ {gsub(",", "", $4); print $4}')
[[ -n $msg_block && -n $idx_block && -n $itab_block ]] || { fail "debugfs found no blocks"; finish; }
size=$(stat -c %s "$IMG")
python3 - "$size" "$bs" "$itab_block" "$msg_block" "$idx_block" >"$TMP/image.map" <<'PY'
import sys
size, bs, *blocks = map(int, sys.argv[1:])
bad = sorted((b * bs, st) for b, st in zip(blocks, "-/*"))
print("# Mapfile. Created by GNU ddrescue version 1.27 (hand-written for a test)")
print("0x%08X     +     1" % 0)
at = 0
for off, st in bad:
    if off > at: print("0x%08X  0x%08X  +" % (at, off - at))
    print("0x%08X  0x%08X  %s" % (off, bs, st)); at = off + bs
if at < size: print("0x%08X  0x%08X  +" % (at, size - at))
PY
before=$(sha256sum "$IMG" | cut -d' ' -f1)

"$BIN" check "$IMG" --map "$TMP/image.map" --domain-out "$TMP/check.domain" --json >"$TMP/c.json" 2>"$TMP/c.err"
st=$?
(( st & 4 )) && (( st < 8 )) && pass "check --map runs to the end, exit $st (bit 4)" || { fail "check exit $st"; head -5 "$TMP/c.err"; }
"$BIN" check "$IMG" --json >"$TMP/plain.json" 2>/dev/null
python3 - "$TMP/c.json" "$TMP/plain.json" <<'PY' && pass "check: fred 3 unread; Work Projects and alice 5-7 not verified; the rest as without the map" || fail "check states"
import json, sys
c, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def states(j):
    return {(m["name"], x["uid"]): x["state"] for m in j["mailboxes"] for x in m["messages"]}
s, q = states(c), states(p)
bad = []
if s.get(("user.fred", 3)) != "unread": bad.append(f"fred 3 is {s.get(('user.fred', 3))}")
for k, v in s.items():
    hit = k == ("user.fred", 3) or k[0] == "user.fred.Work Projects" or (k[0] == "user.alice" and k[1] in (5, 6, 7))
    if hit and v == "verified": bad.append(f"{k} verified though its bytes, index or inode are unread")
    if not hit and v != q.get(k): bad.append(f"{k}: {v}, without the map {q.get(k)}")
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
python3 - "$TMP/check.domain" "$bs" "$itab_block" "$msg_block" "$idx_block" <<'PY' && pass "check --domain-out: exactly the three bad ranges, as a ddrescue domain" || fail "check domain file"
import sys
path, bs, *blocks = sys.argv[1], *map(int, sys.argv[2:])
lines = [l.split() for l in open(path) if l.strip() and not l.startswith("#")]
plus = sorted((int(a, 16), int(b, 16)) for a, b, st in lines[1:] if st == "+")
want = sorted((b * bs, bs) for b in blocks)
ok = plus == want and lines[1][0] == "0x00000000"
at = 0
for a, b, st in lines[1:]:
    ok = ok and int(a, 16) == at; at = int(a, 16) + int(b, 16)
if not ok: print("domain", plus, "want", want, file=sys.stderr)
sys.exit(0 if ok else 1)
PY

"$BIN" salvage "$IMG" --map "$TMP/image.map" --hash -o "$TMP/sout" >"$TMP/s.txt" 2>"$TMP/s.err"
st=$?
(( st & 4 )) && (( st < 8 )) && pass "salvage --map runs to the end, exit $st" || { fail "salvage exit $st"; head -5 "$TMP/s.err"; }
python3 - "$TMP/sout" <<'PY' && pass "salvage: fred 3 unread and not written, no damaged message verified" || fail "salvage manifest"
import json, os, sys
out = sys.argv[1]
m = {(e["mailbox"], e["uid"]): e for e in map(json.loads, open(os.path.join(out, "manifest.jsonl")))}
bad = []
e = m.get(("user.fred", 3))
if not e or e["status"] != "unread" or e["file"]: bad.append(f"fred 3: {e and (e['status'], e['file'])}")
elif "message.unreadable" not in e["reasons"]: bad.append(f"fred 3 reasons {e['reasons']}")
for k, e in m.items():
    if (k[0] == "user.fred.Work Projects" or (k[0] == "user.alice" and k[1] in (5, 6, 7))) and e["status"] in ("verified", "corrected"):
        bad.append(f"{k} {e['status']}")
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
cmp -s "$TMP/check.domain" "$TMP/sout/rescue-domain.map" && pass "salvage wrote the same rescue domain to OUT/rescue-domain.map" \
  || fail "OUT/rescue-domain.map differs from check's"
grep -q "rescue-domain.map" "$TMP/s.err" && pass "salvage says where the rescue domain is" || fail "no word of the rescue domain"

# --hash: SHA-256 of the image as it is (not through the map), in both reports
python3 - "$TMP/sout" "$before" "$TMP/image.map" <<'PY' && pass "--hash: the image's SHA-256 and its map in report.json and report.txt" || fail "--hash report"
import json, os, sys
out, want, mapfile = sys.argv[1:]
ev = json.load(open(os.path.join(out, "report.json")))["evidence"][0]
txt = open(os.path.join(out, "report.txt")).read()
sys.exit(0 if ev.get("sha256") == want and ev.get("ddrescue_map") == mapfile and f"SHA-256 {want}" in txt else 1)
PY

printf '0x0 +\n0x0 0x400 +\n0x800 0x400 -\n' >"$TMP/gap.map"
expect_status 8 "a map with a gap between blocks" -- "$BIN" check "$IMG" --map "$TMP/gap.map"
grep -q "evidence.map-invalid.*does not follow" "$TMP/err" && pass "  ... says so" || fail "gap map message: $(head -1 "$TMP/err")"
printf '0x0 +\n0x0 0x400 X\n' >"$TMP/status.map"
expect_status 8 "a map with an unknown status" -- "$BIN" check "$IMG" --map "$TMP/status.map"
expect_status 8 "a missing map" -- "$BIN" check "$IMG" --map "$TMP/none.map"
mkdir -p "$TMP/tree"
expect_status 8 "a map with a directory" -- "$BIN" check "$TMP/tree" --map "$TMP/image.map"
[[ $(sha256sum "$IMG" | cut -d' ' -f1) == "$before" ]] && pass "the image is unchanged" || fail "the image changed"
finish
