# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny HTTP service for the collection's integration targets (stdlib only).

    python hadrill_test_http.py --state-dir DIR [--release v1] [--lifetime 900]

Binds 127.0.0.1 on a free port, detaches (own session), prints {"pid": ..., "port": ...} once
it accepts connections and exits; the server stops by itself after --lifetime seconds.

GET  /health            200 {"status": "ok", "release": <release>}
GET  /status/<code>     answers <code>
POST /items             201 {"id": "ok-<n>", "text": ...} (stores the JSON body)
GET  /items/<id>        200 when <id> was stored or starts with "ok-", else 404
POST /hooks/<code>      answers <code>, after recording the request (path, headers, body as text)
                        as one JSON line of <state-dir>/requests.jsonl (a webhook receiver)
POST /hooks/sleep/<s>   records the request, then answers 200 after <s> seconds (at most 30)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    server_version = "hadrill-test-http/1"
    items = {}
    counter = itertools.count(1)
    lock = threading.Lock()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return

    def _answer(self, status, document=None):
        body = json.dumps(document if document is not None else {"status": status}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # pylint: disable=invalid-name
        parts = [part for part in self.path.split("?")[0].split("/") if part]
        if parts == ["health"]:
            self._answer(200, {"status": "ok", "release": self.server.release})
        elif len(parts) == 2 and parts[0] == "status" and parts[1].isdigit():
            self._answer(int(parts[1]))
        elif len(parts) == 2 and parts[0] == "items":
            with self.lock:
                stored = self.items.get(parts[1])
            if stored is not None or parts[1].startswith("ok-"):
                self._answer(200, {"id": parts[1], "text": (stored or {}).get("text")})
            else:
                self._answer(404, {"error": "no such item"})
        else:
            self._answer(404, {"error": "not found"})

    def _record_hook(self, raw):
        record = {"path": self.path, "headers": dict(self.headers.items()), "body": raw.decode("utf-8", "replace")}
        with self.lock:
            with open(os.path.join(self.server.state_dir, "requests.jsonl"), "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
        parts = [part for part in self.path.split("?")[0].split("/") if part]
        if len(parts) == 3 and parts[1] == "sleep":
            time.sleep(min(float(parts[2]), 30.0))
            self._answer(200, {"ok": True})
        elif len(parts) == 2 and parts[1].isdigit():
            self._answer(int(parts[1]), {"ok": parts[1].startswith("2")})
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self):  # pylint: disable=invalid-name
        length = int(self.headers.get("Content-Length") or 0)
        if self.path.startswith("/hooks/"):
            self._record_hook(self.rfile.read(length))
            return
        try:
            document = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._answer(400, {"error": "invalid JSON"})
            return
        if self.path.rstrip("/") != "/items" or not isinstance(document, dict):
            self._answer(404, {"error": "not found"})
            return
        with self.lock:
            item_id = "ok-%d" % next(self.counter)
            self.items[item_id] = document
        self._answer(201, {"id": item_id, "text": document.get("text")})


def serve(args):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.release = args.release
    server.state_dir = args.state_dir
    threading.Timer(args.lifetime, server.shutdown).start()
    state = os.path.join(args.state_dir, "server.json")
    with open(state + ".tmp", "w", encoding="utf-8") as handle:
        json.dump({"pid": os.getpid(), "port": server.server_address[1]}, handle)
    os.rename(state + ".tmp", state)
    server.serve_forever(poll_interval=0.2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--release", default="v1")
    parser.add_argument("--lifetime", type=float, default=900.0)
    args = parser.parse_args()
    state = os.path.join(args.state_dir, "server.json")
    if os.path.exists(state):
        os.remove(state)
    if os.fork() == 0:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(devnull, stream)
        try:
            serve(args)
        finally:
            os._exit(0)  # pylint: disable=protected-access
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if os.path.exists(state):
            with open(state, encoding="utf-8") as handle:
                print(handle.read())
            return 0
        time.sleep(0.02)
    print("the test HTTP server did not start", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
