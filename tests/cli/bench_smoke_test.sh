#!/usr/bin/env bash
# scripts/bench keeps working: its smallest form (--scale tiny: 2 k messages in 10 mailboxes, fresh and aged
# ext4 images, one run of each command cold and cached) runs to the end, every command does its job, and the
# table and the goals are printed.  Never a timed assertion: the figures themselves are not judged here.
source "$(dirname "$0")/common.sh" "$@"
REPO=$(cd "$HERE/../.." && pwd)

for tool in mke2fs debugfs e2fsck dd sha1sum /usr/bin/time; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    fail "$tool is not installed (scripts/bench needs it; scripts/deps installs it)"
    finish
  fi
done

"$REPO/scripts/bench" --scale tiny --runs 1 --quick --no-install --bin "$BIN" --work "$TMP/work" \
  >"$TMP/out" 2>"$TMP/err"
st=$?
if [[ $st -eq 0 ]]; then pass "scripts/bench --scale tiny --quick ran (exit 0)"; else
  fail "scripts/bench --scale tiny --quick: exit $st"; tail -30 "$TMP/out"; tail -30 "$TMP/err"; fi

# The two tables, with a median and a ratio for every command in both conditions.
for img in fresh aged; do
  grep -q "^$img image  *cold s  *x D" "$TMP/out" && pass "$img table printed" || fail "no $img table"
done
for row in 'dd iflag=direct (D)' 'debugfs rdump' 'rdump + sha1sum' 'e2fsck -fn' 'spoolsalvage check (SHA-1)' \
           'spoolsalvage ls' 'spoolsalvage ls --messages' 'spoolsalvage salvage'; do
  n=$(grep -cE "^$(printf '%s' "$row" | sed 's/[][().+*]/\\&/g') +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ .* [0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ .*M$" \
      "$TMP/out")
  [[ $n -eq 2 ]] && pass "row '$row' has figures for both images" || fail "row '$row': $n of 2 rows with figures"
done
grep -q 'salvage read from the evidence' "$TMP/out" && pass "bytes read from the evidence printed" ||
  fail "no bytes-read line"
for g in G1 G2 G3 G4 G5 G6; do
  grep -qE "^  $g +(PASS|MISS|n/a)" "$TMP/out" && pass "goal $g printed" || fail "goal $g not printed"
done
grep -q '^PROBLEM' "$TMP/out" && { fail "a command did not do its job"; sed -n '/^PROBLEM/,$p' "$TMP/out"; }
[[ -f $TMP/work/results-tiny.json ]] && pass "results-tiny.json written" || fail "no results-tiny.json"
finish
