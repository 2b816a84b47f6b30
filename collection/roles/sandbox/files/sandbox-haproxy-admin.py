#!/usr/bin/env python3
# Copyright: hadrill maintainers. GNU General Public License v3.0+ (see LICENSE).
"""Talk to the HAProxy runtime API over its UNIX socket (no socat needed).

  sandbox-haproxy-admin SOCKET 'show stat'         raw answer of any runtime command
  sandbox-haproxy-admin SOCKET --servers BACKEND   JSON {"backend", "servers": {name: status}, "up", "total"}
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import socket
import sys


def ask(path: str, command: str, timeout: float = 5.0) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(command.encode() + b"\n")
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def servers(path: str, backend: str) -> dict:
    raw = ask(path, "show stat").lstrip("# ")
    rows = [row for row in csv.DictReader(io.StringIO(raw)) if row.get("pxname") == backend]
    found = {row["svname"]: row["status"] for row in rows if row["svname"] not in ("FRONTEND", "BACKEND")}
    return {
        "backend": backend,
        "servers": found,
        "up": sum(1 for status in found.values() if status.startswith("UP")),
        "total": len(found),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("socket")
    parser.add_argument("command", nargs="?", default=None)
    parser.add_argument("--servers", metavar="BACKEND")
    args = parser.parse_args()
    try:
        if args.servers:
            print(json.dumps(servers(args.socket, args.servers), sort_keys=True))
        elif args.command:
            sys.stdout.write(ask(args.socket, args.command))
        else:
            parser.error("give a runtime command or --servers BACKEND")
    except OSError as exc:
        print(f"cannot talk to HAProxy at {args.socket}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
