"""The multi-host sandbox (playbooks/sandbox-hosts.yml on inventories/hosts-sandbox) for the tests
of issue 15: six hosts, each a network namespace with its own address, sshd and services.

`hosts_sandbox` (session scope) brings it up with its playbook unless it is already up and healthy,
and exposes the inventory's facts (rendered by Ansible, hosts_facts.yml). The tests run on six API
replicas (ten hosts): HADRILL_HOSTS_API_REPLICAS, set to 6 here unless the environment sets it
(molecule/hosts sets it for its bring-up too), reaches every playbook and drill the tests run. The tests observe the
hosts from the controller as root: inside a host's namespace with `ip netns exec`, through each
host's supervisord socket, and over the network at each host's address. These tests are marked
`hosts`: `make test-hosts` (molecule scenario hosts) runs them on the multi-host sandbox; the
one-machine integration run leaves them out.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import PlaybookRun, ansible_env
from tests.support.http import request
from tests.support.wait import wait_until

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = REPO / ".venv" / "bin"
INVENTORY = REPO / "inventories" / "hosts-sandbox"
PLAYBOOK = REPO / "playbooks" / "sandbox-hosts.yml"
FACTS_PLAYBOOK = Path(__file__).resolve().parent / "hosts_facts.yml"
BRING_UP_TIMEOUT = 1200  # seconds: a first bring-up installs packages
# The number of API replicas of the tests' sandbox (inventories/hosts-sandbox/hosts.py reads it).
REPLICAS_VARIABLE = "HADRILL_HOSTS_API_REPLICAS"
TEST_REPLICAS = "6"
os.environ.setdefault(REPLICAS_VARIABLE, TEST_REPLICAS)
# Thresholds that judge how fast this shared machine is rather than what the drill did (a rollback
# on six replicas switches them one by one): the tests' drills leave them out, their figures are
# still computed and checked against the markers. Tests never judge wall-clock speed.
SPEED_THRESHOLDS = ("rto_seconds", "rollback_seconds", "drain_seconds")

# Run inside a namespace: try a TCP connection to each ADDRESS:PORT argument, print one JSON list.
_CONNECT = (
    "import json,socket,sys\n"
    "found=[]\n"
    "for target in sys.argv[1:]:\n"
    "    host,_,port=target.rpartition(':')\n"
    "    with socket.socket() as probe:\n"
    "        probe.settimeout(1.0)\n"
    "        found.append(probe.connect_ex((host,int(port)))==0)\n"
    "print(json.dumps(found))\n"
)


def run_playbook(playbook: Path, *extra: str, timeout: float = BRING_UP_TIMEOUT, replicas: int | None = None) -> PlaybookRun:
    """``playbook`` on the multi-host inventory (with ``replicas`` API hosts instead of the tests' number)."""
    import time

    env = ansible_env() if replicas is None else {**ansible_env(), REPLICAS_VARIABLE: str(replicas)}
    started = time.monotonic()
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(INVENTORY), str(playbook), *extra],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    return PlaybookRun(proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started)


def load_facts() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hosts-facts-") as tmp:
        out = Path(tmp) / "facts.json"
        run = run_playbook(FACTS_PLAYBOOK, "-e", f"facts_out={out}", timeout=120)
        assert run.returncode == 0, f"rendering the multi-host sandbox's facts failed:\n{run.tail()}"
        return json.loads(out.read_text(encoding="utf-8"))


@dataclass
class HostsSandbox:
    """The running multi-host sandbox, described by its inventory's facts."""

    facts: dict[str, Any]
    bring_up_run: PlaybookRun | None = None

    # --- facts -----------------------------------------------------------------------------
    @property
    def inventory_args(self) -> list[str]:
        return ["-i", str(INVENTORY)]

    @property
    def hosts(self) -> dict[str, dict[str, Any]]:
        return dict(self.facts["hosts"])

    def host(self, name: str) -> dict[str, Any]:
        return self.facts["hosts"][name]

    def group(self, name: str) -> list[str]:
        return sorted(host for host, facts in self.hosts.items() if name in facts["groups"])

    @property
    def test_thresholds(self) -> dict[str, Any]:
        """The inventory's drill_thresholds without the SPEED_THRESHOLDS."""
        return {name: value for name, value in self.facts["drill_thresholds"].items() if name not in SPEED_THRESHOLDS}

    @property
    def lb_url(self) -> str:
        return self.facts["lb_url"]

    @property
    def api_urls(self) -> dict[str, str]:
        return {name: self.host(name)["api_base_url"] for name in self.group("api")}

    @property
    def db_admin_dsn(self) -> str:
        db = self.facts["db"]
        return f"host={db['host']} port={db['port']} dbname={db['dbname']} user={db['user']} password={db['password']}"

    # --- looking at the hosts -------------------------------------------------------------
    def in_netns(self, host: str, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess:
        """A command inside ``host``'s network namespace (as root on this machine)."""
        return subprocess.run(["ip", "netns", "exec", self.host(host)["netns"], *argv],
                              capture_output=True, text=True, timeout=timeout)

    def connects(self, targets: list[tuple[str, int]], *, from_host: str | None = None) -> list[bool]:
        """Whether a TCP connection to each (address, port) succeeds from ``from_host``'s namespace
        (None: the controller, the root namespace)."""
        args = [f"{address}:{port}" for address, port in targets]
        argv = ["/usr/bin/python3", "-c", _CONNECT, *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60) if from_host is None \
            else self.in_netns(from_host, *argv, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    def listening(self, host: str) -> list[str]:
        """Local ADDRESS:PORT of every listening TCP socket in ``host``'s namespace."""
        proc = self.in_netns(host, "ss", "-Hltn")
        assert proc.returncode == 0, proc.stderr
        return sorted(line.split()[3] for line in proc.stdout.splitlines() if line.strip())

    def supervisorctl(self, host: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*shlex.split(self.host(host)["supervisorctl"]), *args], capture_output=True,
                              text=True, timeout=60)

    def program_states(self, host: str) -> dict[str, str]:
        states = {}
        for line in self.supervisorctl(host, "status").stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2:
                states[parts[0]] = parts[1]
        return states

    def lb_servers(self) -> dict[str, str]:
        """server -> status of the API backend, from HAProxy's statistics page on lb-1."""
        from hadrill.samplers.kinds.replica_watch import haproxy_statuses_over_http

        return haproxy_statuses_over_http(self.facts["haproxy_stats_url"], self.facts["haproxy_backend"], 5.0)

    def release(self, host: str) -> str:
        return Path(os.readlink(self.host(host)["release_link"])).name

    def healthy(self) -> bool:
        try:
            if request("GET", self.facts["lb_url"] + self.facts["api_health_path"], timeout=3).status != 200:
                return False
            servers = self.lb_servers()
        except OSError:
            return False
        if len(servers) != len(self.group("api")) or not all(status.startswith("UP") for status in servers.values()):
            return False
        for name, host in self.hosts.items():
            states = self.program_states(name)
            if any(states.get(program) != "RUNNING" for program in host["programs"]):
                return False
        return True

    def bring_up(self) -> PlaybookRun:
        run = run_playbook(PLAYBOOK)
        assert run.returncode == 0, f"playbooks/sandbox-hosts.yml failed:\n{run.tail(80)}"
        wait_until(self.healthy, timeout=120, interval=1, what="the multi-host sandbox to be healthy")
        return run


@pytest.fixture(scope="session")
def hosts_sandbox() -> HostsSandbox:
    """The multi-host sandbox, up and healthy (brought up by its playbook only when it is not)."""
    box = HostsSandbox(load_facts())
    if not box.healthy():
        box.bring_up_run = box.bring_up()
    return box


# --- baseline ------------------------------------------------------------------------------------

def remote_commands(box: HostsSandbox) -> list[str]:
    """Processes in any host's namespace started through an SSH session that still run: a command
    of the controller that outlived it (sshd's own session processes are not commands)."""
    from hadrill import processes

    namespaces = {os.stat(f"/run/netns/{facts['netns']}").st_ino: name for name, facts in box.hosts.items()}
    parents = {int(entry.name): processes.parent_pid(int(entry.name)) for entry in Path("/proc").iterdir() if entry.name.isdigit()}
    found = []
    for pid in parents:
        try:
            host = namespaces.get(os.stat(f"/proc/{pid}/ns/net").st_ino)
        except OSError:
            continue
        line = processes.cmdline(pid).strip()
        if host is None or not line or line.startswith("sshd:") or processes.state(pid) in {"Z", None}:
            continue
        ancestor, hops = parents.get(pid), 0
        while ancestor and ancestor > 1 and hops < 64:
            if processes.cmdline(ancestor).startswith("sshd: ") and "@" in processes.cmdline(ancestor):
                found.append(f"{host} {pid}: {line}")
                break
            ancestor, hops = parents.get(ancestor), hops + 1
    return found


def open_journal_entries(box: HostsSandbox) -> list[str]:
    """Open entries of the drill journal on the target database (every drill of this environment)."""
    import psycopg

    with psycopg.connect(box.db_admin_dsn, connect_timeout=5) as connection:
        if connection.execute("SELECT to_regclass('hadrill_journal') IS NULL").fetchone()[0]:
            return []
        rows = connection.execute(
            "SELECT drill_id, entry_id, action FROM hadrill_journal WHERE environment = %s AND kind = 'entry' "
            "AND closed_at IS NULL", (box.facts["drill_environment"],)).fetchall()
    return [" ".join(str(value) for value in row) for row in rows]


def assert_at_baseline(box: HostsSandbox, releases_before: dict[str, str]) -> None:
    """Every host back where the drill found it: programs RUNNING, every API replica serving on its
    release or the known-good one and UP in the load balancer, no verification instance or API, an
    empty work root, no command of the controller still running on a host, the journal closed."""
    wait_until(box.healthy, timeout=90, interval=1, what="every host to serve (programs RUNNING, backends UP)")
    for host in box.group("api"):
        assert box.release(host) in {releases_before[host], box.facts["known_good_release"]}, (host, box.release(host))
    restore = box.facts["restore"]
    pg, api = box.host(restore["host"]), box.host(restore["api_host"])
    assert box.connects([(pg["address"], restore["port"]), (api["address"], restore["api_port"])]) == [False, False], \
        "the verification instance or API still answers"
    root = Path(restore["work_root"])
    leftovers = [path.name for path in root.iterdir() if path.name != ".hadrill-work-root"] if root.exists() else []
    assert leftovers == [], f"verification leftovers in {root} on {restore['host']}: {leftovers}"
    assert remote_commands(box) == [], "commands of the controller still run on the hosts"
    assert open_journal_entries(box) == [], "open entries in the drill journal on the target database"
