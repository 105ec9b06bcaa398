#!/usr/bin/env bash
# The ext3/4 journal (issue 8, item 5). A copy of the real fixture is given a
# new message file (fred's "13.") with debugfs; the filesystem blocks that
# changed (superblock, group descriptors, bitmaps, inode table, the mailbox's
# directory block, the file's data) are then written, from that copy, into
# the journal of another copy of the fixture as one committed transaction
# (debugfs journal_write), so that the new message exists only in the
# journal, as after a crash. Then:
#  - by default the journal is replayed into memory: ls and check see what
#    the kernel would have seen after recovery (the same as the copy with the
#    message), and salvage writes the new message with its bytes;
#  - --no-journal reads the filesystem as it stands (no "13.");
#  - a transaction without its commit block is not replayed, and a revoke
#    record in a later transaction cancels the copy of the block it names;
#  - the image's bytes are unchanged.
source "$(dirname "$0")/common.sh" "$@"
IMG=$FIX/cyrus36-uuid.ext4.img
FRED=var/spool/cyrus/mail/uuid/w/k/wkvl07kbgsw39h5a9unhsz7x
[[ -f $IMG ]] || { fail "fixture missing"; finish; }
command -v debugfs >/dev/null || { fail "debugfs missing"; finish; }
cd "$TMP" || exit 1
cp "$IMG" base.img
cp "$IMG" after.img
printf 'From: late@example.org\r\nSubject: only in the journal\r\n\r\nwritten just before the crash\r\n' >new.msg
debugfs -w -R "write new.msg $FRED/13." after.img >/dev/null 2>&1
changed=$(cmp -l base.img after.img | awk '{print int(($1 - 1) / 1024)}' | uniq | paste -sd, -)
[[ -n $changed ]] || { fail "debugfs changed nothing"; finish; }
: >blocks.bin
for b in ${changed//,/ }; do dd if=after.img bs=1024 skip="$b" count=1 status=none >>blocks.bin; done
# crashed.img: the change only in the journal, committed
cp base.img crashed.img
printf 'jo\njw -b %s blocks.bin\njc\n' "$changed" | debugfs -w -f - crashed.img >/dev/null 2>&1
dumpe2fs -h crashed.img 2>/dev/null | grep -q needs_recovery || { fail "the journal was not written"; finish; }
before=$(sha256sum crashed.img | cut -d' ' -f1)

files() { "$BIN" ls "$@" user/fred --json 2>/dev/null | python3 -c 'import json,sys; print(sorted(m["uid"] for m in json.load(sys.stdin)["messages"]))'; }
[[ $(files crashed.img) == "$(files after.img)" ]] && pass "replayed by default: fred's files are those after the change ($(files crashed.img))" \
  || fail "replayed: $(files crashed.img), want $(files after.img)"
[[ $(files --no-journal crashed.img) == "$(files base.img)" ]] && pass "--no-journal: as it stands ($(files --no-journal crashed.img))" \
  || fail "--no-journal: $(files --no-journal crashed.img), want $(files base.img)"
"$BIN" probe crashed.img >probe.txt 2>&1
grep -q "fs.journal-replayed.*1 transactions (sequence 1..1), $(echo "$changed" | tr ',' '\n' | wc -l) blocks" probe.txt \
  && pass "probe: fs.journal-replayed, 1 transaction, every changed block" || { fail "probe"; grep journal probe.txt; }
[[ $("$BIN" check crashed.img 2>/dev/null | tail -1) == "$("$BIN" check after.img 2>/dev/null | tail -1)" ]] \
  && pass "check of the crashed image = check after the change: $("$BIN" check crashed.img 2>/dev/null | tail -1)" \
  || fail "check differs"
"$BIN" salvage crashed.img -o out >/dev/null 2>&1
python3 - out "$(sha1sum new.msg | cut -d' ' -f1)" <<'PY' && pass "salvage writes the message that exists only in the journal" || fail "salvage of 13."
import json, os, sys
m = [json.loads(l) for l in open(os.path.join(sys.argv[1], "manifest.jsonl"))]
e = [x for x in m if x["mailbox"] == "user.fred" and x["uid"] == 13]
sys.exit(0 if e and e[0]["sha1"] == sys.argv[2] and e[0]["file"] else 1)
PY

# Not committed: nothing replayed.
cp base.img uncommitted.img
printf 'jo\njw -c -b %s blocks.bin\njc\n' "$changed" | debugfs -w -f - uncommitted.img >/dev/null 2>&1
[[ $(files uncommitted.img) == "$(files base.img)" ]] && pass "an uncommitted transaction is not replayed" \
  || fail "uncommitted: $(files uncommitted.img)"
# A later transaction revokes the directory block: 13. is not listed.
dirblock=$(debugfs -R "blocks $FRED" after.img 2>/dev/null | awk '{print $1}')
cp base.img revoked.img
printf 'jo\njw -b %s blocks.bin\njw -r %s\njc\n' "$changed" "$dirblock" | debugfs -w -f - revoked.img >/dev/null 2>&1
[[ $(files revoked.img) == "$(files base.img)" ]] && pass "a revoke record in a later transaction cancels the directory block" \
  || fail "revoked: $(files revoked.img)"
"$BIN" probe revoked.img >probe2.txt 2>&1
grep -q "copies revoked" probe2.txt && pass "  ... and probe says so" || fail "no word of the revoke"
[[ $(sha256sum crashed.img | cut -d' ' -f1) == "$before" ]] && pass "the image is unchanged" || fail "the image changed"
finish
