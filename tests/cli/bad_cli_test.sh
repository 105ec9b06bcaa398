#!/usr/bin/env bash
# Bad command-line input, as a user gets it wrong (issue 5, item 4). Every
# case must give exactly one clear line on stderr naming the problem (no stack
# trace, no abort, no sanitizer report) and the documented exit status
# (DESIGN.md "Exit status"): 16 for a usage error (the arguments are wrong or
# contradict each other), 8 for an operational error (an input file or the
# evidence cannot be opened or read, OUT cannot be written). A salvage that
# fails on its arguments writes nothing: OUT is not created, or a given empty
# OUT stays empty.
#
# Decided here (and in src/cli/main.cpp):
#  * --not-in-guids FILE: one GUID a line, 40 hex digits in either case;
#    blank lines, spaces/tabs around a GUID and a CR before the LF are
#    accepted. Any other line (39 or 41 digits, a non-hex byte, two GUIDs, a
#    prefix, a # comment, binary junk, a BOM, a line longer than 128 bytes) is a usage
#    error (16) naming the file and line: a GUID list is the operator's input,
#    and a line guessed at could leave out a message the other side lacks.
#    An empty list is valid (the other side holds nothing). A file that
#    cannot be read (missing, a directory, a read error) is operational (8).
#  * --mailboxes-from-sync-log FILE: the sync log comes from the failed
#    master, so a bad line is a finding (printed, at most 10 lines, the run
#    goes on). A file in which no line at all can be read is not a sync log:
#    usage error (16). Missing, a directory, a device, or a read error: 8.
#  * The same evidence given twice (same path, a link, -e, or as --not-in)
#    and a directory evidence inside another: usage error (16).
#  * dump of a path that is not in the evidence: 8 (the file cannot be
#    opened, as a missing evidence); dump of a directory: 16.
# Unwritable OUT cases must fail for root too (CI runs as root): a path under
# a regular file, under /proc, a missing parent, and when unshare(1) can make
# a mount namespace, a read-only and a full tmpfs.
source "$(dirname "$0")/common.sh" "$@"

# The cases run in $TMP: make the arguments absolute first.
[[ $BIN == /* ]] || BIN=$PWD/$BIN
[[ $FIX == /* ]] || FIX=$PWD/$FIX
IMG=$FIX/cyrus36-uuid.ext4.img
IMG2=$FIX/cyrus36-legacy.ext4.img
[[ -x $BIN ]] || { fail "no binary $BIN"; finish; }
[[ -f $IMG && -f $IMG2 ]] || { fail "fixture images missing in $FIX"; finish; }
cd "$TMP" || exit 1

show() { head -c 160 "$TMP/err" | tr -d '\n' | cat -v; }

# bad WANT REGEX DESCRIPTION -- command...
# Exit status WANT, exactly one line on stderr, matching REGEX (grep -E), and
# nothing that looks like a crash or a sanitizer report.
bad() {
  local want=$1 re=$2 what=$3; shift 4
  timeout 60 "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  local got=$? lines
  lines=$(grep -c '' "$TMP/err")
  if grep -qE 'Sanitizer|runtime error:|terminate called|Assertion|internal error|Aborted|core dumped' \
       "$TMP/err"; then
    fail "$what: crash or sanitizer report (exit $got)"; sed 's/^/    /' "$TMP/err" | head -10
  elif [[ $got -ne $want ]]; then
    fail "$what: exit $got, want $want"; sed 's/^/    /' "$TMP/err" | head -5
  elif [[ $lines -ne 1 ]]; then
    fail "$what: $lines lines on stderr, want 1"; sed 's/^/    /' "$TMP/err" | head -5
  elif ! grep -qE -- "$re" "$TMP/err"; then
    fail "$what: stderr does not say /$re/: $(show)"
  else
    pass "$what: exit $got: $(show)"
  fi
}

# OUT must not exist after a failed salvage.
not_created() {
  if [[ -e $1 || -L $1 ]]; then fail "$2: $1 was created"; ls -la "$1" | head -5 | sed 's/^/    /'
  else pass "$2: nothing written"; fi
  rm -rf "$1"
}
# OUT existed empty: it must still be an empty directory.
still_empty() {
  if [[ -d $1 && -z $(ls -A "$1") ]]; then pass "$2: OUT still empty"
  else fail "$2: OUT $1 changed"; ls -la "$1" | head -5 | sed 's/^/    /'; fi
}

# bad_salvage WANT REGEX DESCRIPTION salvage-args... (OUT is added, fresh,
# and must not be created).
bad_salvage() {
  local want=$1 re=$2 what=$3; shift 3
  bad "$want" "$re" "$what" -- "$BIN" salvage "$@" -o "$TMP/o"
  not_created "$TMP/o" "$what"
}

# --- the command line itself --------------------------------------------------
bad 16 'subcommand is required' "no arguments" -- "$BIN"
bad 16 "unknown command or option 'frobnicate'" "unknown command" -- "$BIN" frobnicate "$IMG"
bad 16 "unknown command or option '--bogus'" "unknown option before the command" -- "$BIN" --bogus
bad 16 '^spoolsalvage salvage: .*--bogus' "unknown option of salvage" \
  -- "$BIN" salvage "$IMG" -o "$TMP/o" --bogus
not_created "$TMP/o" "unknown option of salvage"
bad 16 'probe: .*(-o|not expected)' "option of another command (probe -o)" -- "$BIN" probe "$IMG" -o "$TMP/o"
bad 16 'EVIDENCE is required' "salvage without EVIDENCE" -- "$BIN" salvage -o "$TMP/o"
not_created "$TMP/o" "salvage without EVIDENCE"
bad 16 '--out is required' "salvage without -o" -- "$BIN" salvage "$IMG"
bad 16 '--out.*missing' "-o without its value" -- "$BIN" salvage "$IMG" -o
bad 16 '--since.*missing' "--since without its value" -- "$BIN" salvage "$IMG" -o "$TMP/o" --since
bad 16 '--not-in-guids.*missing' "--not-in-guids without its value" \
  -- "$BIN" salvage "$IMG" -o "$TMP/o" --not-in-guids
bad 16 '--not-in.*missing' "--not-in without its value" -- "$BIN" salvage "$IMG" -o "$TMP/o" --not-in
bad 16 '--mailbox.*missing' "check -m without its value" -- "$BIN" check "$IMG" -m
bad 16 '--evidence.*missing' "ls -e without its value" -- "$BIN" ls "$IMG" -e
bad 16 'EVIDENCE is required' "probe without EVIDENCE" -- "$BIN" probe
bad 16 'ARGS is required' "dump without arguments" -- "$BIN" dump
bad 16 'ARGS.*3' "dump with three arguments" -- "$BIN" dump "$IMG" a b
bad 16 'not expected: extra' "ls with an extra argument" -- "$BIN" ls "$IMG" user.fred extra
bad 16 '--out.*2' "-o given twice" -- "$BIN" salvage "$IMG" -o "$TMP/o" -o "$TMP/o2"
not_created "$TMP/o" "-o given twice"; not_created "$TMP/o2" "-o given twice"
bad 16 '--out: the value is empty' "-o '' (an unset variable)" -- "$BIN" salvage "$IMG" -o ''
bad_salvage 16 '--since: the value is empty' "--since ''" "$IMG" --since ''
bad_salvage 16 '--not-in-guids: the value is empty' "--not-in-guids ''" "$IMG" --not-in-guids ''
bad 16 '\\x1b\[31m' "control characters in an unknown argument are escaped" \
  -- "$BIN" ls "$IMG" user.fred $'\e[31mred'
"$BIN" salvage --help >"$TMP/out" 2>"$TMP/err"; st=$?
[[ $st -eq 0 ]] && grep -q "Exit status" "$TMP/out" && [[ ! -s $TMP/err ]] &&
  pass "salvage --help: exit 0, documents the exit status" || fail "salvage --help: exit $st"

# --- dates ------------------------------------------------------------------------
for t in yesterday now 1.5 -5 0x10 ' 5' 2024-13-01 2024-00-10 2024-01-32 2024-01-01T25:00 \
         2024-01-01T10:61 2024-01-01T10:00:00+0100 2024/01/01 '2024-01-01 10'; do
  bad_salvage 16 "--since: not a time.*${t//[.+\/]/.}" "--since '$t'" "$IMG" --since "$t"
done
bad_salvage 16 '--until: not a time' "--until garbage" "$IMG" --until 'last tuesday'
bad_salvage 16 '--until 2020-01-01 is before --since 2030-01-01' "--until before --since (ISO)" \
  "$IMG" --since 2030-01-01 --until 2020-01-01
bad_salvage 16 'is before --since' "--until before --since (epoch seconds)" \
  "$IMG" --since 1700000001 --until 1700000000
bad_salvage 16 'is before --since' "--until before --since (zones)" \
  "$IMG" --since 2024-01-01T10:00:00+01:00 --until 2024-01-01T08:59:59Z
"$BIN" salvage "$IMG" -o "$TMP/o" --since 2024-01-01T00:00:00Z --until 2024-01-01T00:00:00Z \
  >/dev/null 2>"$TMP/err"; st=$?
[[ $st -eq 0 && -f $TMP/o/manifest.jsonl ]] && pass "--since = --until is valid (inclusive): exit 0" ||
  fail "--since = --until: exit $st $(show)"
rm -rf "$TMP/o"

# Strict times (src/core/time_parse.hpp): a day that does not exist in its
# month, a zone offset beyond 23:59, and a bare number of 8 digits or fewer
# (a year? an ISO basic date? as epoch seconds it lies in 1970 and --since
# would select everything) are refused, saying why. Epoch seconds are a bare
# number of 9+ digits, or @N.
bad_salvage 16 '--since: not a time.*2024-02-30: no day 30 in 2024-02 \(29 days\)' \
  "--since '2024-02-30' (29 days)" "$IMG" --since 2024-02-30
bad_salvage 16 '--since: not a time.*2023-02-29: no day 29 in 2023-02 \(28 days\)' \
  "--since '2023-02-29' (not a leap year)" "$IMG" --since 2023-02-29
bad_salvage 16 '--until: not a time.*2024-04-31: no day 31 in 2024-04' "--until '2024-04-31'" \
  "$IMG" --until 2024-04-31
for t in 2024-01-01T00:00:00+25:00 2024-01-01T00:00:00+00:99; do
  bad_salvage 16 "--since: not a time.*${t//[.+\/]/.}: zone offset" "--since '$t'" "$IMG" --since "$t"
done
for t in 2024 20240101 0; do
  bad_salvage 16 "--since: not a time.*$t: ambiguous.*YYYY-MM-DD.*@$t" "--since '$t' (ambiguous)" \
    "$IMG" --since "$t"
done
for t in 2024-02-29 2024-01-01T00:00:00+23:59 @2024 1700000000; do
  "$BIN" salvage "$IMG" -o "$TMP/o" --since "$t" >/dev/null 2>"$TMP/err"; st=$?
  [[ $st -eq 0 && ! -s $TMP/err ]] && pass "--since '$t' is valid: exit 0" ||
    fail "--since '$t': exit $st $(show)"
  rm -rf "$TMP/o"
done

# --- evidence -----------------------------------------------------------------------
bad_salvage 8 'evidence.not-found' "missing evidence" "$TMP/nope.img"
bad 8 'evidence.not-found' "missing evidence (ls)" -- "$BIN" ls "$TMP/nope.img"
# One of several evidences missing: said, and the run goes on with the others
# (DESIGN: damage stays local); bit 8 says an evidence could not be opened.
"$BIN" salvage "$IMG" -e "$TMP/nope.img" -o "$TMP/o" >/dev/null 2>"$TMP/err"; st=$?
(( st < 64 && (st & 8) )) && [[ $(grep -c '' "$TMP/err") -eq 1 && -f $TMP/o/manifest.jsonl ]] &&
  grep -q 'nope.img: fatal evidence.not-found' "$TMP/err" &&
  pass "a missing -e evidence: said once, the run goes on: exit $st: $(show)" ||
  fail "a missing -e evidence: exit $st $(show)"
rm -rf "$TMP/o"
bad_salvage 8 'evidence.not-found' "empty EVIDENCE ''" ''
bad_salvage 8 'evidence.not-found' "evidence under a regular file" "$IMG/x"
long=$TMP/$(printf 'a%.0s' {1..5000})
bad_salvage 8 'evidence.(unreadable|not-found).*File name too long' "a 5000-byte evidence path" "$long"
bad_salvage 8 '\\x1b\]0;owned\\x07.*evidence.not-found' "control characters in a missing evidence" \
  "$TMP/"$'\e]0;owned\a'
ln -s loop1 loop2; ln -s loop2 loop1
bad_salvage 8 'evidence.unreadable.*symbolic links' "a symlink loop as evidence" loop1
mkfifo fifo
bad_salvage 8 'fifo: .*evidence.unsupported-type' "a FIFO as evidence" fifo
bad 8 'evidence.unsupported-type' "a FIFO as evidence (probe)" -- "$BIN" probe fifo
bad_salvage 8 '/dev/zero: .*evidence.unsupported-type' "/dev/zero as evidence" /dev/zero
bad 8 'evidence.unsupported-type' "/dev/zero as evidence (check)" -- "$BIN" check /dev/zero
bad 8 'evidence.unsupported-type' "/dev/null as evidence (ls)" -- "$BIN" ls /dev/null
: >empty.img
bad_salvage 8 'evidence.empty' "an empty file" empty.img
head -c 4194304 /dev/zero >zero.img
bad_salvage 8 'fs.not-ext' "a zero-filled file" zero.img
bad 8 'fs.not-ext' "a zero-filled file (probe)" -- "$BIN" probe zero.img
if command -v mkfs.minix >/dev/null; then
  head -c 4194304 /dev/zero >minix.img && mkfs.minix minix.img >/dev/null 2>&1
  bad_salvage 8 'fs.not-ext' "a minix filesystem image" minix.img
fi
if command -v mkswap >/dev/null; then
  head -c 4194304 /dev/zero >swap.img && mkswap swap.img >/dev/null 2>&1
  bad 8 'fs.not-ext' "a swap area" -- "$BIN" ls swap.img
fi
bad 8 'evidence.empty' "/proc/self/mem (a 0-byte regular file)" -- "$BIN" probe /proc/self/mem
# A superblock that makes libext2fs 1.47.0's ext2fs_open2 divide by zero
# (found by fuzz_ext_image): the attempt dies in a child, the run does not.
CRASHER=$(dirname "$0")/../../fuzz/corpus/ext_image/crash-ext2fs-open2-divides-by-zero
[[ $CRASHER == /* ]] || CRASHER=$OLDPWD/$CRASHER
bad_salvage 8 'fs.open-failed.*libext2fs crashed opening it \(signal 8' \
  "a superblock libext2fs crashes on" "$CRASHER"

# The same evidence twice.
ln -s "$IMG" link.img
bad_salvage 16 'same evidence, given twice' "an image given twice (-e)" "$IMG" -e "$IMG"
bad_salvage 16 'link.img are the same evidence' "an image and a link to it" "$IMG" -e link.img
bad_salvage 16 'same evidence, given twice' "the image as its own --not-in" "$IMG" --not-in link.img
bad_salvage 16 'same evidence, given twice' "one --not-in twice" "$IMG" --not-in "$IMG2" --not-in "$IMG2"
bad 16 'same evidence, given twice' "an image given twice (probe)" -- "$BIN" probe "$IMG" "$IMG"
bad 16 'same evidence, given twice' "an image given twice (ls)" -- "$BIN" ls "$IMG" -e "$IMG"
bad 16 'same evidence, given twice' "an image given twice (check)" -- "$BIN" check "$IMG" -e link.img
mkdir -p tree/spool/user
bad 16 'tree/spool lies inside tree' "a directory evidence inside another" -- "$BIN" ls tree -e tree/spool
bad 16 'same evidence' "a directory given twice as tree and tree/." -- "$BIN" ls tree -e tree/.
bad_salvage 8 'evidence.not-found' "--not-in a missing evidence" "$IMG" --not-in "$TMP/nope.img"

# --- OUT --------------------------------------------------------------------------
: >afile
# Each refusal gives the advice that fits: "--resume" only where there is an
# earlier salvage to finish.
bad 16 'out.not-directory: .*not a directory; give a new or empty directory' "OUT is a regular file" \
  -- "$BIN" salvage "$IMG" -o afile
grep -q -- '--resume' "$TMP/err" && fail "OUT is a regular file: advises --resume: $(show)"
[[ -f afile && ! -s afile ]] && pass "OUT is a file: file unchanged" || fail "OUT is a file: changed"
bad 16 'out.not-directory' "OUT is a regular file, with --resume" -- "$BIN" salvage "$IMG" -o afile --resume
mkdir full; echo keep >full/x
bad 16 'out.not-empty: .*no earlier salvage: give a new or empty directory' "OUT is not empty" \
  -- "$BIN" salvage "$IMG" -o full
grep -q -- '--resume' "$TMP/err" && fail "OUT not empty (no earlier salvage): advises --resume: $(show)"
bad 16 'out.not-resumable: --resume: .*no earlier salvage.*no maildir/.*without --resume' \
  "--resume into a directory that holds no salvage" -- "$BIN" salvage "$IMG" -o full --resume
grep -q -- 'use --resume' "$TMP/err" && fail "--resume refused: advises --resume: $(show)"
[[ $(ls -A full) == x && $(cat full/x) == keep ]] && pass "OUT not empty: untouched" ||
  fail "OUT not empty: changed"
mkdir -p before/maildir
bad 16 'out.not-empty: .*earlier salvage \(maildir/\): add --resume' \
  "OUT holds an earlier salvage, no --resume" -- "$BIN" salvage "$IMG" -o before
[[ $(ls -A before) == maildir && -z $(ls -A before/maildir) ]] && pass "earlier salvage: untouched" ||
  fail "earlier salvage: changed"
bad 8 'out.write-failed.*Not a directory' "OUT under a regular file" -- "$BIN" salvage "$IMG" -o afile/out
bad 8 'out.write-failed' "OUT under /proc" -- "$BIN" salvage "$IMG" -o /proc/spoolsalvage-out
bad 8 'out.write-failed.*Not a directory' "OUT under a /proc file" \
  -- "$BIN" salvage "$IMG" -o /proc/version/out
bad 8 'out.write-failed.*No such file' "OUT's parent missing" -- "$BIN" salvage "$IMG" -o nope/a/b
not_created nope "OUT's parent missing"
# OUT inside the evidence: a directory spool, written to under itself.
mkdir -p spooltree
debugfs -R "rdump /var/spool/cyrus/mail $TMP/spooltree" "$IMG" >/dev/null 2>&1
find spooltree -type f | sort | xargs sha1sum >tree.before
bad 16 'out.inside-evidence' "OUT inside a directory evidence" -- "$BIN" salvage spooltree -o spooltree/out
not_created spooltree/out "OUT inside a directory evidence"
bad 16 'out.inside-evidence' "OUT is the evidence directory" -- "$BIN" salvage spooltree -o spooltree
ln -s spooltree/mail sneaky
bad 16 'out.inside-evidence' "OUT inside the evidence through a symlink" \
  -- "$BIN" salvage spooltree -o sneaky/out
not_created spooltree/mail/out "OUT inside the evidence through a symlink"
bad 16 'out.inside-evidence' "OUT inside the --not-in evidence" \
  -- "$BIN" salvage "$IMG" --not-in spooltree -o spooltree/out
bad 16 'out.inside-evidence' "OUT is the evidence image" -- "$BIN" salvage "$IMG" -o "$IMG"
find spooltree -type f | sort | xargs sha1sum | cmp -s - tree.before &&
  pass "directory evidence unchanged" || fail "directory evidence changed"

# Where a mount namespace can be made (root, or user namespaces): a
# read-only tmpfs, and one too small for the output.
mkdir mnt
if unshare -m true 2>/dev/null; then NS="unshare -m"; elif unshare -rm true 2>/dev/null; then NS="unshare -rm"
else NS=""; fi
if [[ -n $NS ]]; then
  bad 8 'out.write-failed.*Read-only file system' "OUT on a read-only filesystem" \
    -- $NS sh -c 'mount -t tmpfs -o ro tmpfs "$1" && exec "$2" salvage "$3" -o "$1/out"' sh \
    "$TMP/mnt" "$BIN" "$IMG"
  $NS sh -c 'mount -t tmpfs -o size=16k tmpfs "$1" || exit 99; "$2" salvage "$3" -o "$1/out"; st=$?
              cp -a "$1/out" "$4"; exit $st' sh "$TMP/mnt" "$BIN" "$IMG" "$TMP/fullout" \
    >"$TMP/out" 2>"$TMP/err"; st=$?
  if (( st < 64 && (st & 8) )) && [[ $(grep -c '' "$TMP/err") -eq 1 ]] &&
     grep -q "could not be written" "$TMP/err"; then pass "OUT fills up: exit $st: $(show)"
  else fail "OUT fills up: exit $st: $(show)"; fi
  # Nothing claimed that is not there: a salvaged message either has its
  # file in OUT (the right size) or says out.write-failed and has no file,
  # and the report counts the ones not written.
  python3 - "$TMP/fullout" "$TMP/out" <<'EOF' && pass "OUT full: every message not written says so, and the report counts them" || fail "OUT full: the report/manifest claim messages whose files were not written"
import json, os, re, sys
out, stdout = sys.argv[1], open(sys.argv[2], errors="replace").read()
bad = not_written = 0
for line in open(os.path.join(out, "manifest.jsonl"), errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue  # the last line may be cut short by the full disk
    if e.get("status") not in ("verified", "corrected", "unverified") or not e.get("size"):
        continue
    if e.get("file"):
        f = os.path.join(out, e["file"])
        bad += not os.path.isfile(f) or os.path.getsize(f) != e.get("size")
    else:
        not_written += 1
        bad += "out.write-failed" not in e.get("reasons", [])
m = re.search(r"NOT WRITTEN to OUT: (\d+)", stdout)
claimed = int(m.group(1)) if m else 0
# The manifest may itself be cut short by the full disk: the report's count
# is at least what the manifest shows.
sys.exit(1 if bad or claimed < max(not_written, 1) else 0)
EOF
else
  echo "skip: no mount namespace (unshare) for the read-only and full OUT cases"
fi

# --- --not-in-guids ------------------------------------------------------------------
bad_salvage 8 'cannot read --not-in-guids .*No such file' "--not-in-guids missing" \
  "$IMG" --not-in-guids "$TMP/nope.txt"
bad_salvage 8 'cannot read --not-in-guids .*is a directory' "--not-in-guids a directory" \
  "$IMG" --not-in-guids "$TMP"
bad_salvage 8 'cannot read --not-in-guids .*Not a directory' "--not-in-guids under a file" \
  "$IMG" --not-in-guids afile/guids
bad_salvage 8 'cannot read --not-in-guids .*read error' "--not-in-guids unreadable (/proc/self/mem)" \
  "$IMG" --not-in-guids /proc/self/mem
G=dfc31e95b98e8e97919f1657795e07e478f52d90   # a message of cyrus36-uuid (DELETED.user.fred.Trash uid 1)
H=d024513c62ab5500f01138cb626fa01200afd1da
guidcase() {  # guidcase NAME CONTENT-PRINTF LINE
  printf "$2" >"$TMP/g.$1"
  bad_salvage 16 "--not-in-guids .*g.$1 line $3: not a GUID" "--not-in-guids: $1" \
    "$IMG" --not-in-guids "$TMP/g.$1"
}
guidcase 39-digits "$G\n${H:1}\n" 2
guidcase 41-digits "$G\n${H}0\n" 2
guidcase non-hex "$G\n${H:0:39}g\n" 2
guidcase two-per-line "$G $H\n" 1
guidcase prefixed "guid: $G\n" 1
guidcase comment "# GUIDs held by the new master\n$G\n" 1
guidcase bom '\xef\xbb\xbf'"$G\n" 1
guidcase nul "$G\n\0\0\0\n" 2
guidcase long-line "\n\n$(printf 'a%.0s' {1..1000000})\n" 3
guidcase long-blank "$G\n$(printf ' %.0s' {1..200})x\n" 2
python3 -c 'import random, sys; r = random.Random(5)
sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(100000)))' >"$TMP/g.junk"
bad_salvage 16 "--not-in-guids .*g.junk line 1: not a GUID" "--not-in-guids: binary junk" \
  "$IMG" --not-in-guids "$TMP/g.junk"
bad_salvage 16 "--not-in-guids /dev/zero line 1: not a GUID" "--not-in-guids /dev/zero" \
  "$IMG" --not-in-guids /dev/zero
# Accepted: upper case, CRLF, blank lines, spaces around, no final newline.
printf '\r\n  %s \r\n\n\t\n%s' "${G^^}" "$H" >"$TMP/g.ok"
"$BIN" salvage "$IMG" -o "$TMP/o" --not-in-guids "$TMP/g.ok" >/dev/null 2>"$TMP/err"; st=$?
held=$(python3 - "$TMP/o/manifest.jsonl" "$G" "$H" <<'EOF'
import json, sys
m = [json.loads(l) for l in open(sys.argv[1])]
print(sum(1 for e in m if e["guid"] in sys.argv[2:] and "select.held-elsewhere" in e["reasons"]),
      sum(1 for e in m if e["status"] == "verified"))
EOF
)
[[ $st -eq 0 && $held == "2 "* && ! -s $TMP/err ]] &&
  pass "--not-in-guids: upper case, CRLF, blanks, no final LF accepted: both GUIDs held (exit $st)" ||
  fail "--not-in-guids accepted forms: exit $st, held/verified: $held $(show)"
rm -rf "$TMP/o"
: >"$TMP/g.empty"
"$BIN" salvage "$IMG" -o "$TMP/o" --not-in-guids "$TMP/g.empty" >/dev/null 2>"$TMP/err"; st=$?
[[ $st -eq 0 && ! -s $TMP/err ]] && pass "--not-in-guids: an empty list is valid (exit 0)" ||
  fail "--not-in-guids empty list: exit $st $(show)"
rm -rf "$TMP/o"
"$BIN" salvage "$IMG" -o "$TMP/o" --not-in-guids <(printf '%s\n' "$G") >/dev/null 2>"$TMP/err"; st=$?
[[ $st -eq 0 ]] && pass "--not-in-guids from a pipe (<(...)): exit 0" || fail "--not-in-guids pipe: exit $st $(show)"
rm -rf "$TMP/o"

# --- --mailboxes-from-sync-log ---------------------------------------------------------
bad_salvage 8 'cannot read sync log .*No such file' "sync log missing" \
  "$IMG" --mailboxes-from-sync-log "$TMP/nope.log"
bad_salvage 8 'cannot read sync log .*is a directory' "sync log a directory" \
  "$IMG" --mailboxes-from-sync-log "$TMP"
bad_salvage 8 'cannot read sync log .*Not a directory' "sync log under a file" \
  "$IMG" --mailboxes-from-sync-log afile/log
bad_salvage 8 'cannot read sync log /dev/zero: not a regular file' "sync log /dev/zero" \
  "$IMG" --mailboxes-from-sync-log /dev/zero
bad_salvage 8 'cannot read sync log .*read error' "sync log unreadable (/proc/self/mem)" \
  "$IMG" --mailboxes-from-sync-log /proc/self/mem
truncate -s 2G big.log   # sparse: no disk space used
bad_salvage 8 'cannot read sync log big.log: larger than 1073741824 bytes' "sync log of 2 GiB" \
  "$IMG" --mailboxes-from-sync-log big.log
rm -f big.log
bad_salvage 16 'g.junk is not a Cyrus sync log: no line names a known verb' \
  "sync log of binary junk" "$IMG" --mailboxes-from-sync-log "$TMP/g.junk"
debugfs -R "cat /etc/imapd.conf" "$IMG" >imapd.conf 2>/dev/null
bad_salvage 16 'imapd.conf is not a Cyrus sync log' "sync log: the wrong text file (imapd.conf)" \
  "$IMG" --mailboxes-from-sync-log imapd.conf
printf 'hello world\nfoo bar\n' >words.txt
bad_salvage 16 'words.txt is not a Cyrus sync log' "sync log: lines with unknown verbs only" \
  "$IMG" --mailboxes-from-sync-log words.txt
# No FILE, and no config directory in the evidence (a bare spool tree).
bad_salvage 8 'no sync log found' "--mailboxes-from-sync-log without FILE, no config directory" \
  spooltree --mailboxes-from-sync-log
mkdir given
mkdir -p earlier/maildir
bad 8 'cannot read sync log' "--resume, sync log missing" \
  -- "$BIN" salvage "$IMG" -o earlier --resume --mailboxes-from-sync-log "$TMP/nope.log"
[[ -d earlier/maildir && $(ls -A earlier) == maildir ]] && pass "--resume, sync log missing: OUT kept as it was" ||
  fail "--resume, sync log missing: OUT changed: $(ls -A earlier)"
bad 8 'cannot read sync log' "sync log missing, OUT given empty" \
  -- "$BIN" salvage "$IMG" -o given --mailboxes-from-sync-log "$TMP/nope.log"
still_empty given "sync log missing, OUT given empty"
# Some bad lines among good ones: findings (at most 10 lines and a count), the run goes on.
{ echo "MAILBOX user.fred"; for i in $(seq 25); do printf 'MAILBOX "unterminated\n'; done
  echo "APPEND user.alice"; } >"$TMP/part.log"
"$BIN" salvage "$IMG" -o "$TMP/o" --mailboxes-from-sync-log "$TMP/part.log" >/dev/null 2>"$TMP/err"; st=$?
n=$(grep -c '' "$TMP/err")
if (( st < 8 )) && [[ -f $TMP/o/manifest.jsonl && $n -le 11 ]] && grep -q 'sync-log-syntax' "$TMP/err" &&
   grep -q '15 more sync log findings' "$TMP/err"; then
  pass "sync log with bad lines: findings ($n lines on stderr), the run goes on (exit $st)"
else fail "sync log with bad lines: exit $st, $n stderr lines"; head -3 "$TMP/err"; fi
rm -rf "$TMP/o"

# --- selections that match nothing, paths that are not there -------------------------
bad 16 "no mailbox named 'no.such.mailbox'" "ls of a mailbox that does not exist" \
  -- "$BIN" ls "$IMG" no.such.mailbox
bad 16 'no mailbox matches the --mailbox selection' "check --mailbox matching nothing" \
  -- "$BIN" check "$IMG" -m 'user.nobody*'
bad_salvage 16 'no mailbox matches the --mailbox selection' "salvage --mailbox matching nothing" \
  "$IMG" -m 'user.nobody*'
bad_salvage 16 'no mailbox matches' "salvage --mailbox ''" "$IMG" -m ''
bad 8 'fs.path-not-found.*/var/nope' "dump of a path that does not exist" \
  -- "$BIN" dump "$IMG" /var/nope/cyrus.index
bad 8 'evidence.not-found' "dump of a loose file that does not exist" -- "$BIN" dump "$TMP/nope/cyrus.index"
bad 8 'evidence.not-found' "check of a loose cyrus.index that does not exist" \
  -- "$BIN" check "$TMP/nope/cyrus.index"
bad 16 '/var/spool: is a directory' "dump of a directory in the evidence" -- "$BIN" dump "$IMG" /var/spool
bad 16 'spooltree: is a directory' "dump of a directory (loose)" -- "$BIN" dump "$TMP/spooltree"
bad 16 'imapd.conf: not a cyrus.index' "dump of a file that is not a Cyrus file" \
  -- "$BIN" dump "$IMG" /etc/imapd.conf
bad 8 'fs.symlink-not-followed' "dump through a symlink in a directory evidence" \
  -- "$BIN" dump "$TMP" sneaky/cyrus.index

finish
