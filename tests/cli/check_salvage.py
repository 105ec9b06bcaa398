#!/usr/bin/env python3
"""Checks a salvage OUT directory against a fixture's ground truth.

Usage: check_salvage.py OUT TRUTH_JSON
Every message of the truth (expunged-but-present ones and deleted mailboxes
included) must be in the manifest as `verified`, its output file's SHA-1
equal to the truth, its internal date and flags equal, the file's mtime
equal to the internal date; the totals must reconcile.
"""
import hashlib
import json
import os
import sys


def main():
    out, truth_path = sys.argv[1], sys.argv[2]
    truth = json.load(open(truth_path, encoding="utf-8"))
    entries = [json.loads(l) for l in open(os.path.join(out, "manifest.jsonl"), encoding="utf-8")]
    report = json.load(open(os.path.join(out, "report.json"), encoding="utf-8"))
    by_key = {}
    problems = []
    for e in entries:
        key = (e["mailbox"], e["uid"])
        if key in by_key:
            problems.append(f"{key}: twice in the manifest")
        by_key[key] = e
        if e["file"]:
            p = os.path.realpath(os.path.join(out, e["file"]))
            if not p.startswith(os.path.realpath(out) + os.sep):
                problems.append(f"{key}: output {e['file']} escapes OUT")
    n = 0
    n_runs_proven = 0
    for m in truth["mailboxes"]:
        for t in m["messages"]:
            if t["uid"] not in m["message_files"]:
                continue
            n += 1
            key = (m["name"], t["uid"])
            e = by_key.get(key)
            if e is None:
                problems.append(f"{key}: not in the manifest")
                continue
            if e["status"] != "verified":
                problems.append(f"{key}: status {e['status']} {e['reasons']}")
                continue
            path = os.path.join(out, e["file"])
            data = open(path, "rb").read()
            if hashlib.sha1(data).hexdigest() != t["sha1"]:
                problems.append(f"{key}: output SHA-1 differs from the truth")
            if e["internaldate"] != t["internaldate"]:
                problems.append(f"{key}: internaldate {e['internaldate']}, truth {t['internaldate']}")
            if int(os.stat(path).st_mtime) != t["internaldate"]:
                problems.append(f"{key}: file mtime is not the internal date")
            # Provenance: the image bytes at the recorded byte runs are the message.
            runs = e["source"].get("byte_runs", [])
            if runs and all(r["img_offset"] is not None for r in runs):
                with open(e["source"]["evidence"], "rb") as img:
                    blob = b""
                    for r in runs:
                        img.seek(r["img_offset"])
                        blob += img.read(r["len"])
                if hashlib.sha1(blob).hexdigest() != t["sha1"]:
                    problems.append(f"{key}: the bytes at the recorded image offsets are not the message")
                else:
                    n_runs_proven += 1
            elif os.path.isfile(e["source"]["evidence"]):
                problems.append(f"{key}: no image byte runs recorded")
            got_flags = sorted(e["flags"] + e["keywords"])
            want_flags = sorted(f for f in t["flags"] if f != "\\Recent")
            # \Seen of a shared mailbox is per user (the admin's seen db), not in the index.
            if m.get("flags_read_as") not in (None, "owner") and "\\Seen" not in got_flags:
                want_flags = [f for f in want_flags if f != "\\Seen"]
            if got_flags != want_flags:
                problems.append(f"{key}: flags {got_flags}, truth {want_flags}")
            if e["expunged"] != t["expunged"]:
                problems.append(f"{key}: expunged {e['expunged']}, truth {t['expunged']}")
            if e["in_deleted_mailbox"] != (m["state"] == "deleted"):
                problems.append(f"{key}: in_deleted_mailbox wrong")
    tot = report["totals"]
    if not tot["reconciles"]:
        problems.append("totals do not reconcile")
    if tot["messages"] != len(entries):
        problems.append(f"report counts {tot['messages']} messages, manifest has {len(entries)}")
    for p in problems:
        print("  " + p)
    print(f"  {n} truth messages ({n_runs_proven} found again at their image byte runs), "
          f"{len(entries)} manifest lines, {len(problems)} problems")
    return 1 if problems or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
