#!/usr/bin/env python3
# Copyright: hadrill maintainers. GNU General Public License v3.0+ (see LICENSE).
"""The multi-host sandbox's hosts (an Ansible script inventory: --list, --host NAME).

Six machines of a split-service deployment, each a network namespace with its own address on a
bridge of this machine, its own sshd and an unprivileged `drill` user with sudo
(playbooks/sandbox-hosts.yml builds them; collection/roles/sandbox/README.md, "Multi-host sandbox"):

  pg-1      db_primary    PostgreSQL primary, archiving through pgBackRest to backup-1
  backup-1  backup_repo   the pgBackRest repository host (repo1-host of pg-1, over SSH)
  lb-1      lb            HAProxy in front of the API hosts
  worker-1  worker        the outbox worker
  api-N     api           API replicas, N = 1..HADRILL_HOSTS_API_REPLICAS (default 2)

Each host carries `sandbox_host_number`, the last octet of its address in sandbox_hosts_network
(group_vars/sandbox_hosts.yml turns it into ansible_host). The number of API replicas is the one
parameter of the topology: give the same HADRILL_HOSTS_API_REPLICAS to the bring-up and to every
drill (`make rehearse-hosts HOSTS_API_REPLICAS=6`).
"""

from __future__ import annotations

import json
import os
import sys

REPLICAS_VARIABLE = "HADRILL_HOSTS_API_REPLICAS"
MAX_REPLICAS = 50
# host -> (group, last octet of its address)
FIXED = {
    "pg-1": ("db_primary", 10),
    "backup-1": ("backup_repo", 11),
    "lb-1": ("lb", 20),
    "worker-1": ("worker", 30),
}
API_FIRST_OCTET = 100  # api-N gets 100 + N


def replicas() -> int:
    raw = os.environ.get(REPLICAS_VARIABLE, "2").strip() or "2"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_REPLICAS:
        raise SystemExit(f"{REPLICAS_VARIABLE}: expected a whole number from 1 to {MAX_REPLICAS}, got {raw!r}")
    return int(raw)


def inventory() -> dict:
    hosts = {name: number for name, (_, number) in FIXED.items()}
    groups: dict[str, dict] = {group: {"hosts": [name]} for name, (group, _) in FIXED.items()}
    api = [f"api-{index}" for index in range(1, replicas() + 1)]
    groups["api"] = {"hosts": api}
    hosts.update({name: API_FIRST_OCTET + index for index, name in enumerate(api, start=1)})
    groups["sandbox_hosts"] = {"children": sorted(groups)}
    return {**groups, "_meta": {"hostvars": {name: {"sandbox_host_number": number} for name, number in hosts.items()}}}


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--list"]:
        print(json.dumps(inventory(), indent=2, sort_keys=True))
        return 0
    if argv[1:2] == ["--host"] and len(argv) == 3:
        print(json.dumps(inventory()["_meta"]["hostvars"].get(argv[2], {})))
        return 0
    print("usage: hosts.py --list | --host NAME", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
