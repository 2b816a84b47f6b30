#!/usr/bin/env python3
# Copyright: hadrill maintainers. GNU General Public License v3.0+ (see LICENSE).
"""Take one plain-format base backup with pg_basebackup into ROOT/<UTC timestamp>/.

Beside it, ROOT/<UTC timestamp>.json records what a restore method needs to choose the newest
base backup before a recovery target: the backup_label start time and WAL location, and the UTC
wall-clock times before and after the backup ran. The backup is written to a hidden scratch
directory first and only renamed into place once complete, so a crash leaves no half backup.
Run it as the PostgreSQL OS user. Prints the metadata as one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def parse_label(text: str) -> dict:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            fields[key.strip()] = value.strip()
    meta = {"backup_label": fields}
    start = fields.get("START TIME", "")
    match = re.match(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(UTC|GMT|Z|[+-]\d\d(?::?\d\d)?)$", start)
    if match:
        stamp, zone = match.groups()
        offset = "+00:00" if zone in ("UTC", "GMT", "Z") else zone
        meta["start_time"] = dt.datetime.fromisoformat(f"{stamp}{offset}").astimezone(dt.timezone.utc).isoformat()
    wal = re.match(r"^([0-9A-F]+/[0-9A-F]+) \(file ([0-9A-F]{24})\)$", fields.get("START WAL LOCATION", ""))
    if wal:
        meta["start_lsn"], meta["start_wal_file"] = wal.groups()
    if fields.get("START TIMELINE", "").isdigit():
        meta["start_timeline"] = int(fields["START TIMELINE"])
    return meta


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bindir", required=True, help="PostgreSQL bin directory")
    parser.add_argument("--host", required=True, help="socket directory or host of the primary")
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--root", required=True, help="directory holding the base backups")
    args = parser.parse_args()

    started = utc_now()
    label = started.strftime("%Y%m%dT%H%M%SZ")
    final = os.path.join(args.root, label)
    scratch = os.path.join(args.root, f".{label}.partial")
    if os.path.exists(final):
        print(f"base backup {final} already exists", file=sys.stderr)
        return 1
    shutil.rmtree(scratch, ignore_errors=True)
    cmd = [
        os.path.join(args.bindir, "pg_basebackup"),
        f"--host={args.host}", f"--port={args.port}", f"--pgdata={scratch}",
        "--format=plain", "--wal-method=stream", "--checkpoint=fast",
        f"--label=sandbox base backup {label}", "--no-password",
    ]
    try:
        subprocess.run(cmd, check=True)
        with open(os.path.join(scratch, "backup_label"), encoding="utf-8") as handle:
            meta = parse_label(handle.read())
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        print(f"pg_basebackup failed: {exc}", file=sys.stderr)
        return 1
    finished = utc_now()
    os.rename(scratch, final)
    meta.update({
        "label": label,
        "method": "pg_basebackup",
        "format": "plain",
        "path": final,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
    })
    tmp = f"{final}.json.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(meta, handle, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, f"{final}.json")
    print(json.dumps(meta, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
