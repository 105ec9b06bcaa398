#!/usr/bin/env python3
"""Compare `spoolsalvage check --json` of a damaged image with a golden file.

    compare.py GOLDEN.expected.json CHECK.json EXIT_STATUS DAMAGE.json

Prints one line per problem and exits 1 if there is any. The golden format
and the rules are in tests/damage/README.md.
"""

import json
import os
import re
import sys

SEVERE = {"damage", "error", "fatal"}
NOTABLE = {"warning", "damage", "error", "fatal"}   # must be accounted for in the damaged mailbox


def as_list(v):
    return v if isinstance(v, list) else [v]


def place_keys(f):
    """record number, uid and fields a finding names (None when it names none)."""
    place = f.get("place", "")
    rec = re.search(r"\brecord (\d+)", place)
    uid = re.search(r"\buid (\d+)", place) or re.search(r"\bfile (\d+)\.", place)
    return {"record": int(rec.group(1)) if rec else None,
            "uid": int(uid.group(1)) if uid else None,
            "fields": re.findall(r"\bfield (\w+)", f.get("detail", ""))}


def describe(mb, f):
    k = place_keys(f)
    return (f"{f['code']} ({f['severity']}) in {mb} record={k['record']} uid={k['uid']} "
            f"fields={k['fields']}: {f.get('detail', '')}")


def place_matches(want, f):
    """`want` names a place: every key it gives must agree. A golden entry
    without "record"/"uid" names the mailbox (or index header) itself: the
    finding must then name no record."""
    k = place_keys(f)
    if "record" in want or "uid" in want:
        if "record" in want and k["record"] != want["record"]:
            return False
        if "uid" in want and k["uid"] != want["uid"]:
            return False
        return True
    if "records" in want:
        return k["record"] in want["records"]
    if "uids" in want:
        return k["uid"] in want["uids"]
    return k["record"] is None and k["uid"] is None


def code_matches(want, f):
    return "*" in as_list(want["code"]) or f["code"] in as_list(want["code"])


def finding_matches(want, f, with_field=True):
    if not code_matches(want, f) or not place_matches(want, f):
        return False
    if with_field and "field" in want and want["field"] not in place_keys(f)["fields"]:
        return False
    return True


def message_matches(want, m):
    if "uid" in want and m.get("uid") != want["uid"]:
        return False
    if "recno" in want and m.get("recno") != want["recno"]:
        return False
    return True


def main():
    gpath, cpath, status, dpath = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    golden = json.load(open(gpath))
    damage = json.load(open(dpath))
    try:
        check = json.load(open(cpath))
    except ValueError as e:
        print(f"    check --json output is not JSON ({e}); exit status {status}")
        return 1
    problems = []
    err = problems.append

    m = re.search(r"\.exit(\d+)\.expected\.json$", os.path.basename(gpath))
    if not m or int(m.group(1)) != golden["exit"]:
        err(f"golden file name and its \"exit\" disagree ({os.path.basename(gpath)}, exit {golden['exit']})")
    if status != golden["exit"]:
        err(f"exit status {status}, expected {golden['exit']}")

    target = golden["mailbox"]
    changed = {c.get("display_name") for c in damage.get("changes", [])}
    if changed != {target}:
        err(f"the recipe damaged {sorted(changed)}, the golden expects {target}")

    boxes = {b["display_name"]: b for b in check.get("mailboxes", [])}
    box = boxes.get(target)
    if box is None:
        err(f"mailbox {target} not in the check report")
        box = {"findings": [], "check_findings": [], "messages": [], "index": None}

    # Outside the damaged mailbox: nothing of severity damage/error/fatal.
    outside = [("(top)", f) for f in check.get("findings", [])]
    for e in check.get("evidence", []):
        outside += [("(evidence)", f) for f in e.get("findings", [])]
    for name, b in boxes.items():
        if name != target:
            outside += [(name, f) for f in b.get("findings", []) + b.get("check_findings", [])]
    for where, f in outside:
        if f.get("severity") in SEVERE:
            err(f"finding outside the damaged mailbox: {describe(where, f)}")

    found = box.get("findings", []) + box.get("check_findings", [])
    expected = golden.get("findings", [])
    allowed = golden.get("allowed", [])

    # Every expected finding is there, at its place.
    for want in expected:
        if not any(finding_matches(want, f) for f in found):
            err(f"missing expected finding {json.dumps(want, sort_keys=True)} in {target}")

    # An expected code appears only at the places the golden names.
    codes = {c for w in expected for c in as_list(w["code"])}
    for f in found:
        if f["code"] in codes and not any(finding_matches(w, f, with_field=False)
                                          for w in expected + allowed):
            err(f"{f['code']} at a place the golden does not name: {describe(target, f)}")

    # In the damaged mailbox, every warning or worse is expected or allowed.
    for f in found:
        if f.get("severity") in NOTABLE and not any(
                finding_matches(w, f, with_field=False) for w in expected + allowed):
            err(f"unexpected finding: {describe(target, f)}")

    # Message states: those the golden names, and every other one verified.
    gmsgs = golden.get("messages", [])
    for want in gmsgs:
        hits = [x for x in box.get("messages", []) if message_matches(want, x)]
        if not hits:
            err(f"no message {json.dumps({k: v for k, v in want.items() if k != 'state'})} in {target}")
        for x in hits:
            if x["state"] not in as_list(want["state"]):
                err(f"{target} uid {x['uid']} record {x['recno']}: state {x['state']}, "
                    f"expected {want['state']}")
    for name, b in boxes.items():
        for x in b.get("messages", []):
            if name == target and any(message_matches(w, x) for w in gmsgs):
                continue
            if x["state"] != "verified":
                err(f"{name} uid {x['uid']} record {x['recno']}: state {x['state']} "
                    f"({x.get('reason', '')}), expected verified")

    # Index integrity: the records and header the golden names; all others intact.
    grecs = {r["record"]: r for r in golden.get("records", [])}
    bits_done = {}
    for c in damage.get("changes", []):
        if c.get("unit") == "record":
            bits_done[c["record"]] = sorted(bits_done.get(c["record"], []) + c["bits_in_unit"])
    for name, b in boxes.items():
        ix = b.get("index")
        if not ix:
            if b.get("records"):
                err(f"{name}: no index in the check report")
            continue
        want_h = golden.get("header_integrity", "crc-ok") if name == target else "crc-ok"
        if ix["header_integrity"] not in as_list(want_h):
            err(f"{name}: header integrity {ix['header_integrity']}, expected {want_h}")
        for r in ix.get("records", []):
            want = grecs.get(r["recno"]) if name == target else None
            if want is None:
                if r["integrity"] != "crc-ok":
                    err(f"{name} record {r['recno']}: integrity {r['integrity']}, expected crc-ok")
                continue
            if r["integrity"] not in as_list(want["integrity"]):
                err(f"{name} record {r['recno']}: integrity {r['integrity']}, expected {want['integrity']}")
            fb = want.get("flipped_bits")
            if fb == "as-damaged":
                if sorted(r["flipped_bits"]) != bits_done.get(r["recno"]):
                    err(f"{name} record {r['recno']}: flipped_bits {r['flipped_bits']}, "
                        f"the recipe flipped {bits_done.get(r['recno'])}")
        if name == target:
            seen = {r["recno"] for r in ix.get("records", [])}
            for n in grecs:
                if n not in seen:
                    err(f"{name}: record {n} not in the check report")

    for p in problems:
        print(f"    {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
