#!/usr/bin/env bash
# `ls EVIDENCE MAILBOX` lists exactly the message files the truth says are on
# disk, by internal and by display name, with their sizes.
source "$(dirname "$0")/common.sh" "$@"

while read -r img truth; do
  name=$(basename "$img")
  python3 - "$truth" >"$TMP/boxes" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for m in t["mailboxes"]:
    sizes = {x["uid"]: x["size"] for x in m["messages"]}
    files = " ".join(f"{u}:{sizes.get(u, -1)}" for u in m["message_files"])
    print(f"{m['name']}\t{m['display_name']}\t{files}")
PY
  while IFS=$'\t' read -r mname dname files; do
    for sel in "$mname" "$dname"; do
      "$BIN" ls --json "$img" "$sel" >"$TMP/m.json" 2>"$TMP/err"
      st=$?
      [[ $st -eq 0 ]] || { fail "$name: ls '$sel' exit $st"; sed 's/^/    /' "$TMP/err"; continue; }
      got=$(python3 -c 'import json,sys; print(" ".join("%d:%d" % (m["uid"], m["size"]) for m in json.load(open(sys.argv[1]))["messages"]))' "$TMP/m.json")
      if [[ $got == "$files" ]]; then pass "$name: ls '$sel'"; else
        fail "$name: ls '$sel' gave [$got], truth [$files]"; fi
    done
  done <"$TMP/boxes"
  # --messages: every mailbox's files in one run, the same as one ls each.
  "$BIN" ls --messages --json "$img" >"$TMP/all.json" 2>"$TMP/err"
  st=$?
  if [[ $st -ne 0 ]]; then fail "$name: ls --messages exit $st"; sed 's/^/    /' "$TMP/err"; else
    got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for b in d["mailboxes"]:
    print("%s\t%s" % (b["mailbox"]["name"], " ".join("%d:%d" % (m["uid"], m["size"]) for m in b["messages"])))
' "$TMP/all.json" | sort)
    want=$(cut -f1,3 "$TMP/boxes" | sort)
    if [[ $got == "$want" ]]; then pass "$name: ls --messages (json)"; else
      fail "$name: ls --messages gave"$'\n'"$got"$'\n'"truth"$'\n'"$want"; fi
  fi
  "$BIN" ls --messages "$img" >"$TMP/all.txt" 2>"$TMP/err"
  rows=$(grep -cE '^ +[0-9]+ +[0-9]+ +[0-9]+$' "$TMP/all.txt")
  want_rows=$(cut -f3 "$TMP/boxes" | tr ' ' '\n' | grep -c .)
  if [[ $rows -eq $want_rows ]]; then pass "$name: ls --messages (text) lists $rows files"; else
    fail "$name: ls --messages (text) lists $rows files, truth $want_rows"; fi
done < <(fixture_images)

img=$(fixture_images | head -1 | cut -d' ' -f1)
expect_status 16 "unknown mailbox is a usage error" -- "$BIN" ls "$img" "user/nobody/none"
grep -q "no mailbox named" "$TMP/err" || fail "unknown mailbox: no clear message"
expect_status 16 "ls --messages with a MAILBOX is a usage error" -- "$BIN" ls --messages "$img" "user/fred"
grep -q "give no MAILBOX" "$TMP/err" || fail "ls --messages MAILBOX: no clear message"
finish
