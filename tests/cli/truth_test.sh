#!/usr/bin/env bash
# `ls --json` on every committed real-Cyrus fixture agrees with its ground
# truth (read back over IMAP when the fixture was made): every mailbox found
# and named right, live and deleted, every message file counted. The same
# spool copied out into a directory tree (debugfs rdump) must list the same.
source "$(dirname "$0")/common.sh" "$@"

n=0
while read -r img truth; do
  n=$((n + 1))
  name=$(basename "$img")
  "$BIN" ls --json "$img" >"$TMP/ls.json" 2>"$TMP/err"
  st=$?
  if [[ $st -ne 0 ]]; then fail "$name: ls exit $st, want 0"; sed 's/^/    /' "$TMP/err"; fi
  if python3 "$HERE/check_ls_truth.py" "$TMP/ls.json" "$truth" >"$TMP/cmp"; then
    pass "$name: ls --json agrees with $(basename "$truth")"
  else
    fail "$name: ls --json differs from the truth"; cat "$TMP/cmp"
  fi
  # Text output names every mailbox too.
  "$BIN" ls "$img" >"$TMP/ls.txt" 2>&1
  for dn in $(python3 -c 'import json,sys; [print(m["display_name"].replace(" ","\x01")) for m in json.load(open(sys.argv[1]))["mailboxes"]]' "$truth"); do
    dn=${dn//$'\x01'/ }
    grep -qF -- "$dn" "$TMP/ls.txt" || fail "$name: text ls lacks $dn"
  done
done < <(fixture_images)
[[ $n -gt 0 ]] || fail "no fixture images with a truth in $FIX"

# The directory-tree source: copy the uuid spool out with debugfs (read-only)
# and list it; it must agree with the same truth.
img=$FIX/cyrus36-uuid.ext4.img
if [[ -f $img ]]; then
  mkdir -p "$TMP/tree"
  debugfs -R "rdump / $TMP/tree" "$img" >/dev/null 2>&1
  "$BIN" ls --json "$TMP/tree" >"$TMP/tree.json" 2>"$TMP/err"
  st=$?
  [[ $st -eq 0 ]] || { fail "tree: ls exit $st"; sed 's/^/    /' "$TMP/err"; }
  if python3 "$HERE/check_ls_truth.py" "$TMP/tree.json" "$SRCFIX/cyrus36-uuid.truth.json" >"$TMP/cmp"; then
    pass "directory tree: ls --json agrees with the truth"
  else
    fail "directory tree: ls --json differs"; cat "$TMP/cmp"
  fi
fi

# One server over two evidence trees: the config (etc/, var/lib/cyrus) on
# one, the spool partition on another, as when /var/spool/cyrus is its own
# filesystem.
if [[ -f $img ]]; then
  mkdir -p "$TMP/cfg/var/lib" "$TMP/part"
  debugfs -R "rdump /etc $TMP/cfg" "$img" >/dev/null 2>&1
  debugfs -R "rdump /var/lib/cyrus $TMP/cfg/var/lib" "$img" >/dev/null 2>&1
  debugfs -R "rdump /var/spool/cyrus/mail $TMP/part" "$img" >/dev/null 2>&1
  "$BIN" ls --json "$TMP/part" -e "$TMP/cfg" >"$TMP/split.json" 2>"$TMP/err"
  st=$?
  [[ $st -eq 0 ]] || { fail "split evidence: ls exit $st"; sed 's/^/    /' "$TMP/err"; }
  if python3 "$HERE/check_ls_truth.py" "$TMP/split.json" "$SRCFIX/cyrus36-uuid.truth.json" >"$TMP/cmp"; then
    pass "config and spool on two evidence trees: ls --json agrees with the truth"
  else
    fail "split evidence: ls --json differs"; cat "$TMP/cmp"
  fi
fi
finish
