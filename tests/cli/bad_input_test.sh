#!/usr/bin/env bash
# Bad input gets one clear line naming the problem and the documented exit
# status, never a crash (a crash would show as exit >= 128).
source "$(dirname "$0")/common.sh" "$@"

expect_status 8 "nonexistent path" -- "$BIN" probe "$TMP/nope.img"
grep -q "evidence.not-found" "$TMP/err" || fail "nonexistent: no evidence.not-found"

: >"$TMP/empty.img"
expect_status 8 "empty file" -- "$BIN" ls "$TMP/empty.img"
grep -q "evidence.empty" "$TMP/err" || fail "empty: no evidence.empty"

head -c 3000000 /dev/urandom >"$TMP/random.img"
expect_status 8 "random bytes" -- "$BIN" probe "$TMP/random.img"
grep -q "fs.not-ext" "$TMP/err" || fail "random: no fs.not-ext"

printf 'hello\n' >"$TMP/text.img"
expect_status 8 "small text file" -- "$BIN" probe "$TMP/text.img"

mkdir -p "$TMP/emptydir/a/b"; echo x >"$TMP/emptydir/a/b/file"
"$BIN" ls "$TMP/emptydir" >"$TMP/out" 2>"$TMP/err"; st=$?
(( st & 4 && st < 8 )) && pass "directory without a spool: exit $st (bit 4: nothing could be read)" ||
  fail "directory without a spool: exit $st, want bit 4 set and no bit >= 8"
"$BIN" probe "$TMP/emptydir" >"$TMP/p.txt" 2>&1
grep -q "spool.none-found" "$TMP/p.txt" || fail "no spool: no spool.none-found"

expect_status 16 "no arguments" -- "$BIN"
expect_status 16 "unknown command" -- "$BIN" frobnicate x
expect_status 16 "unknown option" -- "$BIN" probe --bogus x
expect_status 0 "--help" -- "$BIN" --help
grep -q "Exit status" "$TMP/out" || fail "--help does not document the exit status"

# Truncated images: no crash, a documented status, and a clear finding.
img=$FIX/cyrus36-uuid.ext4.img
if [[ -f $img ]]; then
  size=$(stat -c %s "$img")
  for frac in 2 4 10 100; do
    head -c $((size / frac)) "$img" >"$TMP/trunc.img"
    for cmd in probe ls; do
      "$BIN" $cmd "$TMP/trunc.img" >"$TMP/out" 2>"$TMP/err"; st=$?
      if [[ $st -ge 128 || $st -eq 2 || $st -eq 3 ]]; then fail "truncated 1/$frac $cmd: exit $st"
      elif [[ $st -eq 0 ]]; then fail "truncated 1/$frac $cmd: exit 0 on a truncated image"
      else pass "truncated 1/$frac $cmd: exit $st"; fi
    done
    grep -qE "fs.truncated|fs.not-ext|fs.open-failed|evidence" "$TMP/out" "$TMP/err" ||
      fail "truncated 1/$frac: no finding names the truncation"
  done
fi

# A hostile directory spool: mailbox names with control characters, a
# symlink pointing out of the tree, a garbage cyrus.header and cyrus.index.
h=$TMP/hostile/spool/user
mkdir -p "$h/fred/$(printf 'evil\033[31mred')" "$h/fred/ok"
printf '\241\002\213\015Cyrus mailbox header\ngarbage' >"$h/fred/ok/cyrus.header"
head -c 10 /dev/urandom >"$h/fred/ok/cyrus.index"
printf 'x' >"$h/fred/ok/1."
cp "$h/fred/ok/cyrus.header" "$h/fred/$(printf 'evil\033[31mred')/cyrus.header"
ln -s /etc "$h/fred/link"
ln -s /etc/passwd "$h/fred/ok/2."
"$BIN" ls "$TMP/hostile" >"$TMP/out" 2>"$TMP/err"; st=$?
[[ $st -lt 16 ]] && pass "hostile tree: exit $st" || fail "hostile tree: exit $st"
if grep -q $'\033' "$TMP/out" "$TMP/err"; then fail "hostile tree: raw escape reached the terminal"
else pass "hostile tree: control characters escaped"; fi
"$BIN" ls --json "$TMP/hostile" >"$TMP/h.json" 2>/dev/null
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/h.json" &&
  pass "hostile tree: JSON parses" || fail "hostile tree: JSON invalid"
finish
