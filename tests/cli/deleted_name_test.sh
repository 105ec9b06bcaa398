#!/usr/bin/env bash
# A deleted mailbox is never filed as live (src/spool/mailbox_dir.cpp).
# Cyrus 3.6 deletes a legacy-layout mailbox (delayed delete) by copying it
# under DELETED/ and leaves the old N (user.fred.Trash) in the copy's
# cyrus.header. With mailboxes.db out of reach (here: the directory block of
# /var/lib/cyrus zeroed in a copy of cyrus36-legacy), the path is what says
# the mailbox is deleted: its mail must be salvaged as
# DELETED.user.fred.Trash.<hex> with in_deleted_mailbox true, never as the
# live user.fred.Trash an admin would reinject it into.
source "$(dirname "$0")/common.sh" "$@"

[[ -x $BIN ]] || { fail "no binary $BIN"; finish; }
command -v debugfs >/dev/null || { echo "skip: no debugfs"; finish; }

# check_image IMAGE TRUTH NAME_SOURCE: zero the directory block of
# /var/lib/cyrus (mailboxes.db is listed there) in a copy, salvage it, and
# compare the deleted mailboxes with the truth. In the uuid layout the path
# says nothing about deletion; Cyrus rewrites the header's N when it renames
# a uuid mailbox to DELETED.*, so the header alone names it.
check_image() {
  local img=$1 truth=$2 source=$3 label work
  label=$(basename "$img")
  work=$TMP/$label
  mkdir -p "$work"
  [[ -f $img && -f $truth ]] || { fail "fixture missing: $img or $truth"; return; }
  local bs blk st sha_before
  bs=$(debugfs -R stats "$img" 2>/dev/null | awk -F: '/^Block size/ {gsub(/ /, "", $2); print $2}')
  blk=$(debugfs -R "bmap /var/lib/cyrus 0" "$img" 2>/dev/null)
  [[ $bs =~ ^[0-9]+$ && $blk =~ ^[0-9]+$ ]] || { fail "$label: debugfs: block size '$bs', block '$blk'"; return; }
  cp "$img" "$work/x.img"
  dd if=/dev/zero of="$work/x.img" bs="$bs" seek="$blk" count=1 conv=notrunc status=none
  sha_before=$(sha256sum "$work/x.img" | cut -d' ' -f1)

  "$BIN" salvage "$work/x.img" -o "$work/o" >"$work/report.txt" 2>"$work/err"; st=$?
  if (( st >= 64 )) || [[ ! -f $work/o/manifest.jsonl ]]; then
    fail "$label: salvage: exit $st"; head -5 "$work/err"; return
  fi
  pass "$label: salvage with mailboxes.db out of reach: exit $st"
  "$BIN" ls --json "$work/x.img" >"$work/ls.json" 2>/dev/null
  if grep -q 'mailboxes-db' "$work/ls.json"; then
    pass "$label: mailboxes.db out of reach (a spool.mailboxes-db-* finding)"
  else
    fail "$label: mailboxes.db was still read: the damage missed"
  fi

  python3 - "$work/o/manifest.jsonl" "$truth" "$work/ls.json" "$source" >"$work/cmp" <<'PY'
import json, sys
manifest = [json.loads(l) for l in open(sys.argv[1])]
truth = json.load(open(sys.argv[2]))
ls = json.load(open(sys.argv[3]))
source = sys.argv[4]
bad = []
deleted = [m for m in truth["mailboxes"] if m["state"] == "deleted"]
if not deleted:
    bad.append("the truth has no deleted mailbox")
live_names = {m["name"] for m in truth["mailboxes"] if m["state"] == "live"}
for tm in deleted:
    uids = {m["uid"]: m["sha1"] for m in tm["messages"]}
    got = [e for e in manifest if uids.get(e["uid"]) == e["guid"]
           and e["mailbox"] in (tm["name"], tm["original_name"])]
    if len(got) != len(uids):
        bad.append(f"{tm['name']}: {len(got)} manifest lines, truth {len(uids)}")
    for e in got:
        if e["mailbox"] != tm["name"]:
            bad.append(f"uid {e['uid']}: salvaged as mailbox {e['mailbox']!r}, want {tm['name']!r}")
        if e["in_deleted_mailbox"] is not True:
            bad.append(f"uid {e['uid']} of {e['mailbox']}: in_deleted_mailbox {e['in_deleted_mailbox']}")
    # No live mailbox of the original name is in this spool: nothing may be filed there.
    if tm["original_name"] not in live_names:
        n = sum(1 for e in manifest if e["mailbox"] == tm["original_name"])
        if n:
            bad.append(f"{n} message(s) filed under the live name {tm['original_name']!r}")
    boxes = [m for m in ls.get("mailboxes", []) if m.get("dir", "").endswith("/" + tm["dir"])]
    if len(boxes) != 1:
        bad.append(f"ls --json: {len(boxes)} mailboxes in {tm['dir']}")
    for m in boxes:
        want = {"name": tm["name"], "state": "deleted", "original_name": tm["original_name"],
                "display_name": tm["display_name"], "name_source": source}
        for k, v in want.items():
            if m.get(k) != v:
                bad.append(f"ls --json {tm['dir']}: {k} {m.get(k)!r}, want {v!r}")
# Every other message keeps its live mailbox and is not marked deleted.
live = {(m["name"], x["uid"]) for m in truth["mailboxes"] if m["state"] == "live" for x in m["messages"]}
for e in manifest:
    if (e["mailbox"], e["uid"]) in live and e["in_deleted_mailbox"]:
        bad.append(f"{e['mailbox']} uid {e['uid']}: in_deleted_mailbox true")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
  if [[ $? -eq 0 ]]; then pass "$label: the DELETED mailbox's mail is filed deleted, under its DELETED.* name"
  else fail "$label: deleted mailbox filed as live"; sed 's/^/    /' "$work/cmp" | head -20; fi

  # A header keeping the name before deletion is Cyrus's normal state: no
  # name conflict is reported for it.
  if grep -q "spool.name-conflict.*DELETED" "$work/report.txt"; then
    fail "$label: a name conflict is reported for the DELETED mailbox"
    grep "name-conflict" "$work/report.txt" | head -3 | sed 's/^/    /'
  else
    pass "$label: no name conflict reported for the DELETED mailbox"
  fi
  local d
  d=$(ls "$work/o/maildir" | tr '\n' ' ')
  [[ $d == *DELETED.user.fred.Trash.* && $d != *" user.fred.Trash "* ]] &&
    pass "$label: maildir folder DELETED.user.fred.Trash.*, no user.fred.Trash" ||
    fail "$label: maildir folders: $d"
  [[ $(sha256sum "$work/x.img" | cut -d' ' -f1) == "$sha_before" ]] && pass "$label: evidence unchanged" ||
    fail "$label: the evidence changed"
}

check_image "$FIX/cyrus36-legacy.ext4.img" "$SRCFIX/cyrus36-legacy.truth.json" path
check_image "$FIX/cyrus36-uuid.ext4.img" "$SRCFIX/cyrus36-uuid.truth.json" header

finish
