"""Issue 15.5: each service of the multi-host sandbox is reachable only at its own host's address.

Every host is a network namespace: a service bound to 127.0.0.1 or to another address, or one
reached at the wrong host, fails here as it would in a real network. Ground truth is the kernel's:
the listening sockets of each namespace (`ss`) and TCP connections made from the controller and
from inside every host.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.hosts]


def test_every_listening_socket_of_a_host_is_bound_to_that_hosts_address(hosts_sandbox):
    for name, host in hosts_sandbox.hosts.items():
        listening = hosts_sandbox.listening(name)
        assert listening, f"{name} listens on nothing"
        wrong = [socket for socket in listening if socket.rpartition(":")[0] != host["address"]]
        assert wrong == [], f"{name} ({host['address']}) listens elsewhere than at its own address: {wrong}"
        expected = {f"{host['address']}:{item['port']}" for item in hosts_sandbox.facts["services"] if item["host"] == name}
        assert expected <= set(listening), f"{name}: services missing: {sorted(expected - set(listening))}"


def test_each_service_answers_at_its_own_host_address_only(hosts_sandbox):
    services = hosts_sandbox.facts["services"]
    hosts = hosts_sandbox.hosts
    # From the controller: at its host's address, and at no address of a host that runs nothing on
    # that port (each API replica has its own API on the same port, at its own address).
    for service in services:
        own = hosts[service["host"]]["address"]
        serving = {item["host"] for item in services if item["port"] == service["port"]}
        others = [facts["address"] for name, facts in hosts.items() if name not in serving]
        answers = hosts_sandbox.connects([(own, service["port"])] + [(address, service["port"]) for address in others])
        assert answers[0], f"{service['name']} does not answer at {own}:{service['port']} from the controller"
        assert not any(answers[1:]), (
            f"port {service['port']} ({service['name']}) also answers at other hosts' addresses: "
            f"{[address for address, answered in zip(others, answers[1:]) if answered]}")


def test_no_service_answers_at_any_namespaces_loopback_and_every_host_reaches_the_others(hosts_sandbox):
    services = hosts_sandbox.facts["services"]
    hosts = hosts_sandbox.hosts
    ports = sorted({service["port"] for service in services})
    for name in hosts:
        loopback = hosts_sandbox.connects([("127.0.0.1", port) for port in ports], from_host=name)
        assert not any(loopback), (
            f"inside {name}, 127.0.0.1 answers on ports {[port for port, answered in zip(ports, loopback) if answered]}")
        # Over the network from this host: every service of the other hosts at its address.
        remote = [(hosts[service["host"]]["address"], service["port"]) for service in services if service["host"] != name]
        answers = hosts_sandbox.connects(remote, from_host=name)
        assert all(answers), f"from {name}, unreachable: {[target for target, ok in zip(remote, answers) if not ok]}"


def test_a_namespace_reaches_nothing_beyond_the_sandbox_network(hosts_sandbox):
    """No default route inside a host: only the sandbox's /24 is reachable."""
    for name in hosts_sandbox.hosts:
        routes = hosts_sandbox.in_netns(name, "ip", "-4", "route", "show").stdout.split("\n")
        routes = [line.strip() for line in routes if line.strip()]
        assert routes and all(line.startswith(hosts_sandbox.facts["network"] + ".0/24 ") for line in routes), (name, routes)
