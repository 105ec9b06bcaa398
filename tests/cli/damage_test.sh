#!/usr/bin/env bash
# Damage recipes against their golden verdicts (tests/damage/README.md).
# For each tests/damage/<recipe>.exit<N>.expected.json: apply the recipe
# (scripts/damage) to a copy of cyrus36-uuid.ext4.img (and, for a few, of
# cyrus36-legacy.ext4.img), run `check --json` twice, and require: the
# golden's findings at their places, nothing severe outside the damaged
# mailbox, every other message verified, exit N, identical JSON both times,
# the damaged image's bytes unchanged by check, no crash (exit < 64). The
# recipe itself must be reproducible (same seed, same bytes).
source "$(dirname "$0")/common.sh" "$@"

ROOT=$(cd "$HERE/../.." && pwd)
DAMAGE=$ROOT/scripts/damage
GOLDEN=$ROOT/tests/damage
COMPARE=$GOLDEN/compare.py
# Recipes also run on the legacy-layout image (same mailboxes, uids, records).
LEGACY="record-bit record-two-bits index-zero-block index-truncated cache-garbage header-flag-name message-missing"

run_one() {
  local golden=$1 img=$2 recipe=$3 label
  label="$recipe on $(basename "$img")"
  local out=$TMP/$recipe.$(basename "$img")
  if ! "$DAMAGE" "$recipe" "$img" "$out" --spoolsalvage "$BIN" >"$out.damage.json" 2>"$TMP/err"; then
    fail "$label: scripts/damage failed"; sed 's/^/    /' "$TMP/err"; return
  fi
  # Reproducible: the same recipe and seed give the same bytes.
  "$DAMAGE" "$recipe" "$img" "$out.again" --spoolsalvage "$BIN" >"$out.again.json" 2>/dev/null
  if ! cmp -s "$out" "$out.again"; then fail "$label: recipe not reproducible"; fi
  rm -f "$out.again"

  local before after s1 s2
  before=$(sha256sum "$out" | cut -d' ' -f1)
  "$BIN" check --json "$out" >"$out.1.json" 2>"$out.1.err"; s1=$?
  "$BIN" check --json "$out" >"$out.2.json" 2>"$out.2.err"; s2=$?
  "$BIN" check "$out" >"$out.txt" 2>"$out.txt.err"; local s3=$?
  after=$(sha256sum "$out" | cut -d' ' -f1)

  local ok=1
  for s in $s1 $s2 $s3; do
    if [[ $s -ge 64 ]]; then fail "$label: check crashed (exit $s)"; ok=0; sed 's/^/    /' "$out.1.err" | head -5; fi
  done
  [[ $s1 -eq $s2 && $s1 -eq $s3 ]] || { fail "$label: exit status differs between runs ($s1 $s2 $s3)"; ok=0; }
  cmp -s "$out.1.json" "$out.2.json" || { fail "$label: check --json not deterministic"; ok=0; }
  [[ $before == "$after" ]] || { fail "$label: check changed the image ($before -> $after)"; ok=0; }
  if python3 "$COMPARE" "$golden" "$out.1.json" "$s1" "$out.damage.json" >"$TMP/cmp" 2>&1; then
    [[ $ok -eq 1 ]] && pass "$label (exit $s1)"
  else
    fail "$label: differs from $(basename "$golden")"; cat "$TMP/cmp"
    echo "    reproduce: scripts/damage $recipe $img /tmp/$recipe.img && $BIN check --json /tmp/$recipe.img"
  fi
  # salvage on the damaged image: nothing lost silently, nothing damaged
  # called verified, every message check proved still salvaged as proven.
  local truth=$SRCFIX/cyrus36-uuid.truth.json
  [[ $img == *legacy* ]] && truth=$SRCFIX/cyrus36-legacy.truth.json
  "$BIN" salvage "$out" -o "$out.salvage" >/dev/null 2>"$out.salvage.err"; local s4=$?
  if [[ $s4 -ge 8 ]]; then fail "$label: salvage exit $s4"; sed 's/^/    /' "$out.salvage.err" | head -5
  elif python3 "$GOLDEN/salvage_vs_truth.py" "$out.salvage" "$truth" "$out.1.json" >"$TMP/cmp"; then
    pass "$label: salvage loses nothing and verifies only the intact (exit $s4)"
  else
    fail "$label: salvage"; cat "$TMP/cmp"
  fi
  rm -rf "$out" "$out.salvage"
}

n=0
for golden in "$GOLDEN"/*.expected.json; do
  recipe=$(basename "$golden"); recipe=${recipe%%.exit*}
  run_one "$golden" "$FIX/cyrus36-uuid.ext4.img" "$recipe"
  if [[ " $LEGACY " == *" $recipe "* ]]; then
    run_one "$golden" "$FIX/cyrus36-legacy.ext4.img" "$recipe"
  fi
  n=$((n + 1))
done
# Every recipe has a golden, and every golden a recipe.
for r in $("$DAMAGE" --list); do
  compgen -G "$GOLDEN/$r.exit*.expected.json" >/dev/null || fail "recipe $r has no golden"
done
[[ $n -ge 10 ]] || fail "only $n goldens in $GOLDEN"

# The input is never written, and OUT may not be IN.
cp "$FIX/cyrus36-uuid.ext4.img" "$TMP/in.img"
sum=$(sha256sum "$TMP/in.img" | cut -d' ' -f1)
"$DAMAGE" record-bit "$TMP/in.img" "$TMP/in.img" --spoolsalvage "$BIN" >/dev/null 2>&1 &&
  fail "damage accepted OUT = IN"
"$DAMAGE" message-missing "$TMP/in.img" "$TMP/o.img" --spoolsalvage "$BIN" >/dev/null 2>&1
[[ $(sha256sum "$TMP/in.img" | cut -d' ' -f1) == "$sum" ]] && pass "damage never writes its input" ||
  fail "damage changed its input"
finish
