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
done < <(fixture_images)

img=$(fixture_images | head -1 | cut -d' ' -f1)
expect_status 16 "unknown mailbox is a usage error" -- "$BIN" ls "$img" "user/nobody/none"
grep -q "no mailbox named" "$TMP/err" || fail "unknown mailbox: no clear message"
finish
