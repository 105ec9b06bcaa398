#!/usr/bin/env bash
# diff OLD NEW on the split-brain fixture pair (both images offline), against
# its ground truth (tests/fixtures/splitbrain.truth.json, written by
# scripts/make-cyrus-fixture from what it delivered): the messages only on the
# old master are exactly the truth's stranded ones (GUID, uid, internal date,
# flags); every old mailbox is classified as the truth says; the uid
# collisions are exactly the truth's; the mailboxes deleted on the new master
# are named with the danger; --since CUTOFF --mailboxes-from-sync-log gives
# exactly the truth's narrowed set; a pair with nothing stranded exits 0.
# diff against a live Cyrus runs in reinject_test.sh.
source "$(dirname "$0")/common.sh" "$@"
OLD=$FIX/splitbrain-old.ext4.img NEW=$FIX/splitbrain-new.ext4.img
TRUTH=$SRCFIX/splitbrain.truth.json
[[ -f $OLD && -f $NEW && -f $TRUTH ]] || { fail "split-brain fixtures missing"; finish; }

"$BIN" diff "$OLD" "$NEW" --json >"$TMP/d.json" 2>"$TMP/d.err"
st=$?
[[ $st -eq 1 ]] && pass "diff finds differences (exit 1)" || { fail "diff exit $st, want 1"; head -5 "$TMP/d.err"; }

cat >"$TMP/cmp.py" <<'PY'
import json, sys
d, t, mode = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
bad = []
want = t["stranded"] if mode == "all" else t["stranded_after_cutoff_in_synclog"]
want = {(s["mailbox"], s["uid"]): s for s in want}
got = {(m["mailbox"], x["uid"]): x for m in d["mailboxes"] for x in m.get("only_on_old", [])}
for k in sorted(set(want) | set(got)):
    if k not in got: bad.append(f"{k}: stranded in the truth, not reported"); continue
    if k not in want: bad.append(f"{k}: reported, not stranded in the truth"); continue
    w, g = want[k], got[k]
    if g["guid"] != w["sha1"]: bad.append(f"{k}: guid {g['guid']} != {w['sha1']}")
    if g["internaldate"] != w["internaldate"]: bad.append(f"{k}: internaldate")
    if sorted(g["flags"]) != sorted(w["flags"]) and mode == "all":
        # the truth's flags list system flags and keywords together
        bad.append(f"{k}: flags {g['flags']} != {w['flags']}")
if d["totals"]["only_on_old"] != len(want): bad.append(f"total {d['totals']['only_on_old']} != {len(want)}")
if mode == "all":
    cls = {m["mailbox"]: m["classification"] for m in d["mailboxes"]}
    for name, c in t["old_mailbox_classification"].items():
        if cls.get(name) != c["classification"]: bad.append(f"{name}: {cls.get(name)} != {c['classification']}")
    wc = {(c["mailbox"], c["uid"], c["old_sha1"], c["new_sha1"]) for c in t["uid_collisions"]}
    gc = {(m["mailbox"], c["uid"], c["old_guid"], c["new_guid"]) for m in d["mailboxes"] for c in m.get("uid_collisions", [])}
    if wc != gc: bad.append(f"uid collisions {sorted(gc)} != truth {sorted(wc)}")
    wd = {n for n, c in t["old_mailbox_classification"].items() if c["classification"] == "deleted-there"}
    gd = {m["mailbox"] for m in d["mailboxes"] if m.get("danger")}
    if wd != gd: bad.append(f"danger named for {sorted(gd)}, want {sorted(wd)}")
    if d["totals"]["mailboxes_deleted_on_new"] != len(wd): bad.append("mailboxes_deleted_on_new")
print("\n".join(bad) if bad else "same")
PY
out=$(python3 "$TMP/cmp.py" "$TMP/d.json" "$TRUTH" all 2>&1)
[[ $out == same ]] && pass "only-on-old, classifications, uid collisions and dangers equal the truth" \
  || { fail "diff differs from the truth:"; echo "$out" | head -20 | sed 's/^/    /'; }

"$BIN" diff "$OLD" "$NEW" >"$TMP/d.txt" 2>&1
grep -q "DANGER: 2 mailboxes of the old master are deleted on the new master; resuming replication" "$TMP/d.txt" \
  && pass "the text names the danger" || fail "the text does not name the danger"

cutoff=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cutoff"])' "$TRUTH")
"$BIN" diff "$OLD" "$NEW" --since "@$cutoff" --mailboxes-from-sync-log --json >"$TMP/n.json" 2>"$TMP/n.err"
out=$(python3 "$TMP/cmp.py" "$TMP/n.json" "$TRUTH" narrowed 2>&1)
[[ $out == same ]] && pass "--since CUTOFF --mailboxes-from-sync-log: exactly the truth's narrowed set" \
  || { fail "narrowed diff differs:"; echo "$out" | head -10 | sed 's/^/    /'; }

# Nothing stranded: the same spool on ext4 and on ext3.
expect_status 0 "diff of the same spool on two filesystems finds nothing" -- \
  "$BIN" diff "$FIX/cyrus36-uuid.ext4.img" "$FIX/cyrus36-uuid.ext3.img"
expect_status 16 "diff of an image against itself is a usage error" -- "$BIN" diff "$OLD" "$OLD"
expect_status 16 "diff with a bad --since" -- "$BIN" diff "$OLD" "$NEW" --since yesterday
expect_status 8 "diff with a missing NEW" -- "$BIN" diff "$OLD" "$TMP/nothing.img"
finish
