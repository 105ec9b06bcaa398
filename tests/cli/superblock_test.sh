#!/usr/bin/env bash
# A copy of a fixture with its primary superblock destroyed still probes and
# lists, reporting the backup superblock used; with every superblock copy
# destroyed it fails with one clear line and exit 8.
source "$(dirname "$0")/common.sh" "$@"

img=$FIX/cyrus36-uuid.ext4.img
truth=$SRCFIX/cyrus36-uuid.truth.json
[[ -f $img ]] || { fail "missing $img"; finish; }
cp "$img" "$TMP/bad.img"
dd if=/dev/zero of="$TMP/bad.img" bs=1024 seek=1 count=1 conv=notrunc status=none

expect_status 1 "probe with a destroyed primary superblock" -- "$BIN" probe --json "$TMP/bad.img"
python3 - "$TMP/out" <<'PY' || fail "probe JSON does not report the backup superblock"
import json, sys
p = json.load(open(sys.argv[1]))
fs = p["evidence"][0]["filesystem"]
codes = [f["code"] for f in p["evidence"][0]["findings"]]
assert fs["superblock"] == "backup", fs["superblock"]
assert fs["superblock_block"] > 0
assert "fs.backup-superblock" in codes, codes
assert p["counts"]["mailboxes"] > 0
PY
"$BIN" probe "$TMP/bad.img" >"$TMP/probe.txt" 2>&1
grep -q "backup superblock at block" "$TMP/probe.txt" && pass "text probe names the backup" ||
  fail "text probe does not name the backup superblock"

expect_status 1 "ls with a destroyed primary superblock" -- "$BIN" ls --json "$TMP/bad.img"
python3 "$HERE/check_ls_truth.py" "$TMP/out" "$truth" >"$TMP/cmp" &&
  pass "ls via the backup superblock agrees with the truth" ||
  { fail "ls via the backup superblock differs"; cat "$TMP/cmp"; }

# Destroy every superblock copy: the magic (offset 0x38 of each copy) of the
# primary and of every backup that dumpe2fs lists.
cp "$img" "$TMP/dead.img"
for blk in 1 $(dumpe2fs "$img" 2>/dev/null | sed -n 's/.*[Bb]ackup superblock at \([0-9]*\).*/\1/p'); do
  dd if=/dev/zero of="$TMP/dead.img" bs=1024 seek="$blk" count=1 conv=notrunc status=none
done
expect_status 8 "probe with every superblock destroyed" -- "$BIN" probe "$TMP/dead.img"
grep -q "fs.not-ext" "$TMP/err" && pass "names fs.not-ext" || fail "no fs.not-ext line"
[[ $(wc -l <"$TMP/err") -le 2 ]] || fail "more than a clear line on stderr"
finish
