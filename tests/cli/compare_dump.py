#!/usr/bin/env python3
"""Compares `spoolsalvage dump --json` of a cyrus.index with an expected.json
written by scripts/make-version-fixtures (an independent reading of the fact
sheet). Usage: compare_dump.py DUMP_JSON EXPECTED_JSON. Prints each
difference; exit 1 if any."""
import json
import sys


def main():
    dump = json.load(open(sys.argv[1], encoding="utf-8"))
    want = json.load(open(sys.argv[2], encoding="utf-8"))
    diffs = []
    got_h = dump["header"]["fields"]
    for k, v in want["header"].items():
        if got_h.get(k) != v:
            diffs.append(f"header.{k}: dump {got_h.get(k)!r}, expected {v!r}")
    for k in got_h:
        if k not in want["header"]:
            diffs.append(f"header.{k}: in dump, not in expected")
    if dump["header"].get("crc") and not dump["header"]["crc"]["ok"]:
        diffs.append("header CRC does not hold")
    recs = [r for r in dump["records"] if not r["past_num_records"]]
    if len(recs) != len(want["records"]):
        diffs.append(f"{len(recs)} records, expected {len(want['records'])}")
    for i, (r, w) in enumerate(zip(recs, want["records"]), 1):
        for k, v in w.items():
            if r["fields"].get(k) != v:
                diffs.append(f"record {i}.{k}: dump {r['fields'].get(k)!r}, expected {v!r}")
        for k in r["fields"]:
            if k not in w:
                diffs.append(f"record {i}.{k}: in dump, not in expected")
        if r.get("crc") and not r["crc"]["ok"]:
            diffs.append(f"record {i}: CRC does not hold")
    for d in diffs:
        print("  " + d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
