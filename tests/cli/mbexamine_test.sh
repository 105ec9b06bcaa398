#!/usr/bin/env bash
# spoolsalvage's decoding of cyrus.index / cyrus.header / cyrus.cache agrees,
# field by field, with Cyrus 3.6.1's own `mbexamine` of the same tree
# (tests/fixtures/cyrus36-<variant>.mbexamine.txt, captured when the fixture
# images were made; see tests/fixtures/README.md "mbexamine captures").
# For every mailbox of the capture: the index header block, the mailbox
# header (uniqueid, user flags, ACL), every record mbexamine prints (it skips
# expunged ones; the uid sets must match exactly) and the lengths and SHA-1s
# of its cache items, found through each record's cache_offset.
source "$(dirname "$0")/common.sh" "$@"

n=0
declare -A seen_capture=()
for img in "$FIX"/*.img; do
  [[ -f $img ]] || continue
  name=$(basename "$img"); base=${name%%.ext*}
  capture=$SRCFIX/$base.mbexamine.txt
  [[ -f $capture ]] || continue
  n=$((n + 1)); seen_capture[$base]=1
  if python3 "$HERE/compare_mbexamine.py" "$BIN" "$img" "$capture" >"$TMP/cmp" 2>&1; then
    pass "$(tail -n 1 "$TMP/cmp")"
  else
    fail "$name: spoolsalvage differs from $(basename "$capture")"
    sed 's/^/    /' "$TMP/cmp"
  fi
done
[[ $n -gt 0 ]] || fail "no fixture image in $FIX has an mbexamine capture in $SRCFIX"
# Every committed capture must have been compared with at least one image.
for capture in "$SRCFIX"/*.mbexamine.txt; do
  [[ -f $capture ]] || continue
  base=$(basename "$capture" .mbexamine.txt)
  [[ -n ${seen_capture[$base]:-} ]] || fail "$(basename "$capture"): no $base.*.img in $FIX to compare with"
done
finish
