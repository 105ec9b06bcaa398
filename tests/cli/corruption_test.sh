#!/usr/bin/env bash
# A short randomized corruption campaign (scripts/corruption-campaign):
# 60 cases with a fixed seed over the real-Cyrus fixtures, 3 random damages
# each (bit flips, garbage runs, zeroed/garbage blocks of index, cache,
# header, directory and inode-table blocks, truncation). No crash, no hang,
# exit status within 1|4|8, nothing verified that is not the truth's bytes,
# the image unchanged, every untouched message still salvaged verified.
# Issue 5 asks CI for at least 50 cases: 60 take about 7 s of CPU (26 s wall
# measured on 2 cores under a load of 5). The script runs long ones on demand.
source "$(dirname "$0")/common.sh" "$@"
CAMPAIGN=$HERE/../../scripts/corruption-campaign

command -v debugfs >/dev/null || { fail "debugfs (e2fsprogs) is missing"; finish; }
python3 "$CAMPAIGN" --bin "$BIN" --fixtures "$FIX" --truth "$SRCFIX" \
  --cases 60 --seed 20261125 --damages 3 --timeout 20 --keep "$TMP/keep" >"$TMP/log" 2>&1
st=$?
cat "$TMP/log"
if [[ $st -eq 0 ]]; then
  pass "corruption campaign: $(tail -1 "$TMP/log")"
else
  fail "corruption campaign (exit $st): rerun with: scripts/corruption-campaign --cases 60 --seed 20261125 --damages 3 --keep DIR"
fi
# Cases that once failed, kept as regressions: seed 922 (libext2fs's inode
# cache poisoned through ext2fs_file_open: the root then read as "not a
# directory", every mailbox lost) and seed 653 (without imapd.conf, a mailbox
# whose directory block was garbage vanished with exit 1).
for seed in 653 922; do
  python3 "$CAMPAIGN" --bin "$BIN" --fixtures "$FIX" --truth "$SRCFIX" \
    --cases 1 --seed $seed --damages 3 --timeout 20 >"$TMP/log.$seed" 2>&1 \
    && pass "regression seed $seed: $(grep -o 'survivors=[0-9]* nameless=[0-9]*' "$TMP/log.$seed")" \
    || { fail "regression seed $seed:"; grep -E "VIOLATION|summary" "$TMP/log.$seed" | head -5; }
done
finish
