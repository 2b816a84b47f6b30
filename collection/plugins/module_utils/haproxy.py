# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HAProxy runtime API over its admin socket (stdlib only: runs on the load balancer host)."""

from __future__ import annotations

import csv
import io
import socket
import time

STATE_COMMANDS = {
    "ready": "set server {backend}/{server} state ready",
    "drain": "set server {backend}/{server} state drain",
    "maint": "set server {backend}/{server} state maint",
}


class HAProxyError(Exception):
    pass


class HAProxyRuntime(object):
    def __init__(self, socket_path, timeout=5.0):
        self.socket_path = socket_path
        self.timeout = timeout

    def command(self, text):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(self.timeout)
        try:
            client.connect(self.socket_path)
            client.sendall((text + "\n").encode())
            chunks = []
            while True:
                chunk = client.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (OSError, socket.timeout) as exc:
            raise HAProxyError("HAProxy admin socket %s: %s" % (self.socket_path, exc))
        finally:
            client.close()
        return b"".join(chunks).decode(errors="replace")

    def cli_level(self):
        """The access level of this socket (``admin``, ``operator`` or ``user``): setting a
        server's state needs ``admin``."""
        return self.command("show cli level").strip()

    def show_stat(self):
        raw = self.command("show stat")
        if not raw.startswith("# "):
            raise HAProxyError("unexpected 'show stat' answer: %r" % raw[:200])
        reader = csv.DictReader(io.StringIO(raw[2:]))
        return [dict(row) for row in reader]

    def servers(self, backend):
        rows = [
            row for row in self.show_stat()
            if row.get("pxname") == backend and row.get("svname") not in ("FRONTEND", "BACKEND")
        ]
        return [
            {
                "name": row["svname"],
                "status": row.get("status", ""),
                "sessions": int(row.get("scur") or 0),
                "check_status": row.get("check_status", ""),
                "weight": int(row.get("weight") or 0),
                "address": row.get("addr", ""),
            }
            for row in rows
        ]

    def server(self, backend, name):
        for item in self.servers(backend):
            if item["name"] == name:
                return item
        raise HAProxyError("backend %s has no server %s" % (backend, name))

    def set_state(self, backend, name, state):
        answer = self.command(STATE_COMMANDS[state].format(backend=backend, server=name)).strip()
        if answer:
            raise HAProxyError("HAProxy refused '%s' for %s/%s: %s" % (state, backend, name, answer))

    def wait_for(self, backend, name, predicate, timeout, interval=0.1):
        """Poll until predicate(server) is true; return (server, waited_seconds) or raise."""
        started = time.monotonic()
        deadline = started + timeout
        current = self.server(backend, name)
        while not predicate(current):
            if time.monotonic() >= deadline:
                raise HAProxyError(
                    "timed out after %.1fs waiting for %s/%s (status %s, %d sessions)"
                    % (timeout, backend, name, current["status"], current["sessions"])
                )
            time.sleep(interval)
            current = self.server(backend, name)
        return current, time.monotonic() - started


def is_up(server):
    return server["status"].startswith("UP")


def is_idle(server):
    return server["sessions"] == 0
