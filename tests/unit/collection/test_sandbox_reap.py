"""The sandbox teardown's process matcher (roles/sandbox/files/sandbox-reap.py): a sandbox root
matches only as a path, so tearing one sandbox down never stops another one whose root merely
starts with the same characters (inventories/local-alt runs beside inventories/local)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REAP = Path(__file__).resolve().parents[3] / "collection" / "roles" / "sandbox" / "files" / "sandbox-reap.py"


@pytest.fixture(scope="module")
def names():
    spec = importlib.util.spec_from_file_location("sandbox_reap", REAP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.names


@pytest.mark.parametrize("cmdline", [
    "/var/lib/hadrill-sandbox/venv/bin/python -m memstore api --listen 127.0.0.1:18081",
    "/usr/lib/postgresql/15/bin/postgres -D /var/lib/hadrill-sandbox",
    "pgbackrest --config=/var/lib/hadrill-sandbox/pgbackrest/pgbackrest.conf",
    "sh -c 'cp %p /var/lib/hadrill-sandbox'",
    "archive_command=x:/var/lib/hadrill-sandbox:y",
])
def test_a_command_line_naming_the_root_as_a_path_belongs_to_it(names, cmdline):
    assert names("/var/lib/hadrill-sandbox").search(cmdline)


@pytest.mark.parametrize("cmdline", [
    "/var/lib/hadrill-sandbox-alt/venv/bin/python -m memstore worker",
    "/usr/lib/postgresql/15/bin/postgres -D /var/lib/hadrill-sandbox2/pg/primary",
    "/var/lib/hadrill-sandbox.old/bin/x",
])
def test_another_root_with_the_same_prefix_does_not(names, cmdline):
    assert not names("/var/lib/hadrill-sandbox").search(cmdline)
