"""Where a drill's effects appear on the multi-host sandbox, seen by the test itself.

`EffectWatch` samples, from the controller as root, every few hundred milliseconds while a drill
runs: the processes of every host namespace (a process's network namespace is the host it runs
on), each API host's release link, and the load balancer's view of its servers. The drill's
own records (events.jsonl) are then checked against it: independent ground truth of which host
each task acted on.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# Process kinds the drill starts or stops on a host, by command line. pgBackRest's remote, on the
# other side of an SSH connection, is a process of its own (`<command>:remote`) on the host that
# answered; `<command>:local` processes are the local side's workers.
KINDS = {
    "verification instance": re.compile(r"hadrill_verify_"),
    "verification api": re.compile(r"memstore api --listen \S+:18100\b"),
    "verification worker": re.compile(r"memstore worker --poll-interval"),
    "pgbackrest restore": re.compile(r"^(\S*/)?pgbackrest .* restore$"),
    "pgbackrest repository remote": re.compile(r"^(\S*/)?pgbackrest .*--remote-type=repo .*:remote$"),
    "validation gate": re.compile(r"memstore gate "),
}


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _netns(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return None


@dataclass
class EffectWatch:
    """Samples the hosts until stopped (at most ``max_seconds``, a bound on the loop)."""

    sandbox: object
    interval: float = 0.2
    max_seconds: float = 900.0
    # kind -> hosts it was seen on
    seen: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # API host -> releases its link pointed at, in order
    links: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # host -> programs seen not running on it (their process gone from the host's namespace)
    stopped: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # load balancer server -> statuses seen
    lb: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    samples: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        hosts = self.sandbox.hosts
        self._namespaces = {os.stat(f"/run/netns/{facts['netns']}").st_ino: name for name, facts in hosts.items()}
        # The programs each host runs (a paused or restarted one is missing for a while).
        self._programs = {name: list(facts["programs"]) for name, facts in hosts.items()}

    def start(self) -> "EffectWatch":
        self._thread.start()
        return self

    def stop(self) -> "EffectWatch":
        self._stop.set()
        self._thread.join(timeout=30)
        return self

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        running: dict[str, set[str]] = defaultdict(set)
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            host = self._namespaces.get(_netns(entry))
            if host is None:
                continue
            cmdline = _cmdline(entry)
            for kind, pattern in KINDS.items():
                if pattern.search(cmdline):
                    self.seen[kind].add(host)
            running[host].add(cmdline)
        for host, programs in self._programs.items():
            lines = running.get(host, set())
            for program in programs:
                if not any(_is_program(line, host, program) for line in lines):
                    self.stopped[host].add(program)
        for host in self.sandbox.group("api"):
            try:
                release = Path(os.readlink(self.sandbox.host(host)["release_link"])).name
            except OSError:
                continue
            if not self.links[host] or self.links[host][-1] != release:
                self.links[host].append(release)
        try:
            for server, status in self.sandbox.lb_servers().items():
                self.lb[server].add(status.split()[0])
        except (OSError, ValueError):
            pass
        self.samples += 1

    def moved_links(self) -> set[str]:
        return {host for host, releases in self.links.items() if len(releases) > 1}


def _is_program(cmdline: str, host: str, program: str) -> bool:
    """Whether a command line is ``program`` of the multi-host sandbox on ``host``."""
    if program == "postgres":
        return cmdline.startswith("/usr/lib/postgresql/") and " -D " in cmdline
    if program == "haproxy":
        return cmdline.startswith("/usr/sbin/haproxy ")
    if program.startswith("worker"):
        return "memstore worker" in cmdline and "--poll-interval" not in cmdline
    return "memstore api --listen" in cmdline and ":18100" not in cmdline
