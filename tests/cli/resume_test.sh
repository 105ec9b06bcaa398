#!/usr/bin/env bash
# salvage --resume: an interrupted or damaged earlier output is finished to
# exactly what a fresh run gives. Messages already written whose SHA-1 is the
# GUID of their intact record are kept without reading the evidence again;
# a changed, missing or unfinished one is done again; a file the earlier run
# did not account for goes. SIGINT stops a run (exit 32 bit) so that --resume
# can finish it. Without --resume a non-empty OUT is refused.
source "$(dirname "$0")/common.sh" "$@"
REPO=$(cd "$HERE/../.." && pwd)

img=$FIX/cyrus36-uuid.ext4.img
"$BIN" salvage "$img" -o "$TMP/fresh" >/dev/null 2>"$TMP/err" || { fail "fresh salvage"; cat "$TMP/err"; }
files() { (cd "$1" && find maildir -type f | sort); }
same_output() {  # A B: same manifest, same files, same bytes
  cmp -s "$1/manifest.jsonl" "$2/manifest.jsonl" || return 1
  diff <(files "$1") <(files "$2") >/dev/null || return 1
  local f
  while read -r f; do cmp -s "$1/$f" "$2/$f" || return 1; done < <(files "$1")
}
totals() { python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['totals']; print(t[sys.argv[2]] if sys.argv[2] != 'read' else t['reading']['message_bytes_read'])" "$@"; }

# 1. Resuming a complete run reads no message bytes and changes nothing.
cp -a "$TMP/fresh" "$TMP/again"
expect_status 0 "resume of a finished run" -- "$BIN" salvage "$img" -o "$TMP/again" --resume
[[ $(totals "$TMP/again/report.json" kept_from_earlier_run) == 42 ]] && pass "all 42 kept" ||
  fail "kept $(totals "$TMP/again/report.json" kept_from_earlier_run) of 42"
[[ $(totals "$TMP/again/report.json" read) == 0 ]] && pass "no message byte read again" ||
  fail "read $(totals "$TMP/again/report.json" read) message bytes again"
same_output "$TMP/fresh" "$TMP/again" && pass "output identical to a fresh run" || fail "output changed"

# 2. A damaged earlier output: three messages missing, one changed, an
#    unfinished temp file, a stray file with a message's name.
cp -a "$TMP/fresh" "$TMP/dam"
mapfile -t cur < <(cd "$TMP/dam" && find maildir -path '*/cur/*' -type f | sort)
rm "$TMP/dam/${cur[0]}" "$TMP/dam/${cur[4]}" "$TMP/dam/${cur[8]}"
printf 'X' >>"$TMP/dam/${cur[2]}"
box=$(dirname "$(dirname "${cur[0]}")")
echo partial >"$TMP/dam/$box/tmp/7.1.partial"
echo stray >"$TMP/dam/$box/cur/1.999999.spoolsalvage:2,S"
expect_status 0 "resume of a damaged output" -- "$BIN" salvage "$img" -o "$TMP/dam" --resume
[[ $(totals "$TMP/dam/report.json" kept_from_earlier_run) == 38 ]] && pass "38 kept, 4 done again" ||
  fail "kept $(totals "$TMP/dam/report.json" kept_from_earlier_run), want 38"
read_again=$(totals "$TMP/dam/report.json" read)
[[ $read_again -gt 0 && $read_again -lt $(totals "$TMP/fresh/report.json" read) ]] &&
  pass "only the four were read again ($read_again bytes)" || fail "read $read_again bytes again"
same_output "$TMP/fresh" "$TMP/dam" && pass "damaged output finished to a fresh run's" ||
  { fail "resumed output differs from a fresh run"; diff <(files "$TMP/fresh") <(files "$TMP/dam") | head; }
[[ ! -e $TMP/dam/$box/tmp/7.1.partial ]] && pass "unfinished temp file removed" || fail "temp file left"

# 3. Refusals: a non-empty OUT without --resume; --resume on a directory
#    that holds no earlier salvage.
mkdir -p "$TMP/other" && echo x >"$TMP/other/notes.txt"
expect_status 16 "non-empty OUT without --resume" -- "$BIN" salvage "$img" -o "$TMP/fresh"
grep -q "out.not-empty" "$TMP/err" && pass "says out.not-empty" || fail "no out.not-empty message"
expect_status 16 "--resume on a directory without an earlier salvage" -- "$BIN" salvage "$img" -o "$TMP/other" --resume
grep -q "no maildir/" "$TMP/err" && pass "says why" || fail "no reason given"
[[ $(ls "$TMP/other") == notes.txt ]] && pass "that directory is left as it was" || fail "it was changed"

# 4. SIGINT stops a run with exit bit 32; --resume finishes it to what a
#    fresh run gives. A spool of 300 small mailboxes, so the signal lands
#    while mailboxes are still being worked on.
spool=$TMP/spool
"$REPO/scripts/make-version-fixtures" --big "$spool" --mailboxes 300 --records 4 >/dev/null 2>&1 ||
  fail "make-version-fixtures --big"
"$BIN" salvage "$spool" -o "$TMP/whole" >/dev/null 2>&1
"$BIN" salvage "$spool" -o "$TMP/cut" >/dev/null 2>"$TMP/cut.err" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  [[ $(ls "$TMP/cut/maildir" 2>/dev/null | wc -l) -ge 5 ]] && { kill -INT "$pid"; break; }
  sleep 0.005
done
wait "$pid"; st=$?
if (( st & 32 )); then
  pass "SIGINT: exit $st has the cancelled bit"
  grep -q -- "--resume" "$TMP/cut.err" && pass "says to resume" || fail "no hint to resume"
  python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['totals']; sys.exit(0 if t['cancelled'] and t['mailboxes_not_done'] > 0 else 1)" \
    "$TMP/cut/report.json" && pass "report says cancelled, mailboxes not done" || fail "report does not say cancelled"
else
  fail "SIGINT: exit $st, no cancelled bit"
fi
expect_status 0 "resume after SIGINT" -- "$BIN" salvage "$spool" -o "$TMP/cut" --resume
same_output "$TMP/whole" "$TMP/cut" && pass "the resumed run equals an uninterrupted one" ||
  fail "resumed output differs from an uninterrupted run"
finish
