#!/usr/bin/env python3
"""Compares `spoolsalvage ls --json` with a fixture's ground truth.

Usage: check_ls_truth.py LS_JSON TRUTH_JSON
Every mailbox of the truth must be found once, with the same name, display_name,
uniqueid, state (and original_name for deleted ones) and the same number of message
files; no mailbox may be found that the truth does not have. Prints one line per
difference; exits 1 if there is any.
"""
import json
import sys


def main():
    ls = json.load(open(sys.argv[1], encoding="utf-8"))
    truth = json.load(open(sys.argv[2], encoding="utf-8"))
    found = {}
    problems = []
    for m in ls["mailboxes"]:
        for key in ("name", "display_name", "name_source", "uniqueid", "dir", "index_version",
                    "records", "message_files", "state"):
            if key not in m:
                problems.append(f"{m.get('name')}: key {key} missing")
        if m["name"] in found:
            problems.append(f"{m['name']}: listed twice")
        found[m["name"]] = m
    want = {t["name"]: t for t in truth["mailboxes"]}
    for name, t in want.items():
        m = found.get(name)
        if m is None:
            problems.append(f"{name}: not found")
            continue
        for key in ("display_name", "uniqueid", "state"):
            if m[key] != t[key]:
                problems.append(f"{name}: {key} is {m[key]!r}, truth {t[key]!r}")
        if t["state"] == "deleted" and m.get("original_name") != t.get("original_name"):
            problems.append(f"{name}: original_name is {m.get('original_name')!r}, "
                            f"truth {t.get('original_name')!r}")
        nfiles = len(t["message_files"])
        if m["message_files"] != nfiles:
            problems.append(f"{name}: message_files is {m['message_files']}, truth {nfiles}")
        if t.get("dir") and not m["dir"].endswith(t["dir"]):
            problems.append(f"{name}: dir {m['dir']!r} does not end with truth {t['dir']!r}")
    for name in found:
        if name not in want:
            problems.append(f"{name}: found, but not in the truth")
    for p in problems:
        print("  " + p)
    print(f"  {len(want)} mailboxes in truth, {len(found)} listed, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
