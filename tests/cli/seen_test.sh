#!/usr/bin/env bash
# Index versions before 12 keep \Seen only in the owner's seen db: salvage
# reads it (here a 2.3-style v10 mailbox, legacy hashed layout, flat seen db)
# and says so in the provenance; without a seen db, \Seen is left off and the
# provenance says it is unknown.
source "$(dirname "$0")/common.sh" "$@"

make_tree() {  # $1 = root, $2 = seen uid set ("" for no seen db)
  mkdir -p "$1/etc" "$1/var/lib/cyrus/user/t" "$1/var/spool/cyrus/mail/t/user"
  cp -r "$SRCFIX/versions/v10" "$1/var/spool/cyrus/mail/t/user/test"
  rm -f "$1/var/spool/cyrus/mail/t/user/test/expected.json"
  printf 'configdirectory: /var/lib/cyrus\npartition-default: /var/spool/cyrus/mail\nhashimapspool: yes\n' \
    >"$1/etc/imapd.conf"
  local uniqueid
  uniqueid=$(sed -n '4p' "$1/var/spool/cyrus/mail/t/user/test/cyrus.header" | cut -f2)
  [[ -n $2 ]] && printf '%s\t1 1700000000 7 1700000000 %s\n' "$uniqueid" "$2" \
    >"$1/var/lib/cyrus/user/t/test.seen"
  return 0
}

make_tree "$TMP/with" "1:2"
"$BIN" salvage "$TMP/with" -o "$TMP/out1" >/dev/null 2>"$TMP/err"; st=$?
[[ $st -eq 0 ]] && pass "v10 with a seen db: exit 0" || { fail "exit $st"; cat "$TMP/err"; }
python3 - "$TMP/out1" <<'PY' && pass "\\Seen from the seen db, with its provenance" || fail "\\Seen from the seen db"
import json, sys
seen = {}
for line in open(sys.argv[1] + "/manifest.jsonl"):
    e = json.loads(line)
    seen[e["uid"]] = ("\\Seen" in e["flags"], e["provenance"]["flags"])
ok = all(seen[u][0] == (u in (1, 2)) for u in seen) and all("seen db of user" in p for _, p in seen.values())
sys.exit(0 if ok and len(seen) == 4 else 1)
PY

make_tree "$TMP/without" ""
"$BIN" salvage "$TMP/without" -o "$TMP/out2" >/dev/null 2>&1
python3 - "$TMP/out2" <<'PY' && pass "no seen db: \\Seen left off, provenance says unknown" || fail "no seen db"
import json, sys
es = [json.loads(l) for l in open(sys.argv[1] + "/manifest.jsonl")]
sys.exit(0 if es and all("\\Seen" not in e["flags"] and "unknown" in e["provenance"]["flags"] for e in es) else 1)
PY
finish
