#!/usr/bin/env bash
# The evidence is never written: the image bytes (and mtime) are unchanged
# after probe and ls, on an intact image and on one with a destroyed primary
# superblock (where libext2fs would like to write the superblock back).
source "$(dirname "$0")/common.sh" "$@"

check_unchanged() {
  local img=$1 label=$2 before after m1 m2
  before=$(sha256sum "$img" | cut -d' ' -f1); m1=$(stat -c %Y.%s "$img")
  "$BIN" probe "$img" >/dev/null 2>&1
  "$BIN" probe --json "$img" >/dev/null 2>&1
  "$BIN" ls "$img" >/dev/null 2>&1
  "$BIN" ls --json "$img" >/dev/null 2>&1
  "$BIN" ls "$img" user/fred >/dev/null 2>&1
  after=$(sha256sum "$img" | cut -d' ' -f1); m2=$(stat -c %Y.%s "$img")
  if [[ $before == "$after" && $m1 == "$m2" ]]; then pass "$label: bytes unchanged ($before)"
  else fail "$label: evidence changed ($before -> $after, $m1 -> $m2)"; fi
}

n=0
for img in "$FIX"/*.img; do
  cp "$img" "$TMP/copy.img"
  check_unchanged "$TMP/copy.img" "$(basename "$img")"
  n=$((n + 1))
done
[[ $n -gt 0 ]] || fail "no fixture images"
cp "$FIX/cyrus36-uuid.ext4.img" "$TMP/bad.img"
dd if=/dev/zero of="$TMP/bad.img" bs=1024 seek=1 count=1 conv=notrunc status=none
check_unchanged "$TMP/bad.img" "destroyed primary superblock"
# Also as a file without write permission: reading must not need it.
chmod a-w "$TMP/bad.img"
expect_status 1 "read-only file still opens" -- "$BIN" probe "$TMP/bad.img"
finish
