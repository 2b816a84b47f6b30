"""CLI usage and configuration errors (in-process: none of them reaches the database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memstore.cli import main

ENV = {"MEMSTORE_DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/x", "MEMSTORE_RELEASE_FILE": ""}


def exit_code(argv: list[str], env: dict[str, str] = ENV) -> int:
    try:
        return main(argv, env)
    except SystemExit as exc:  # argparse
        return int(exc.code or 0)


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("api", "worker", "migrate", "gate", "MEMSTORE_DATABASE_URL", "78"):
        assert word in out


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["gate"], ["gate", "nope"], ["api"], ["migrate", "--to", "x"], ["migrate", "--to", "2", "--status"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_gate_without_database_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["gate", "health"], {}) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"gate": "health", "result": "error", "error": "MEMSTORE_DATABASE_URL is not set"}
    assert "configuration error" in captured.err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["api", "--listen", "127.0.0.1:1"], {"MEMSTORE_API_KEYS": "{secret-key"}, "MEMSTORE_API_KEYS is not valid JSON"),
        (["api", "--listen", "127.0.0.1:1"], {}, "MEMSTORE_API_KEYS is not set or empty"),
        (["api", "--listen", "nowhere"], {"MEMSTORE_API_KEYS": '{"k": "t"}'}, "HOST:PORT"),
        (["worker", "--batch", "0"], {}, "--batch must be >= 1"),
        (["worker"], {"MEMSTORE_WORKER_POLL_INTERVAL": "soon"}, "MEMSTORE_WORKER_POLL_INTERVAL must be a number"),
        (["migrate", "--to", "99"], {}, "not within [0, 4]"),
        (["migrate"], {"MEMSTORE_FAULT_ERROR_RATE": "2"}, "MEMSTORE_FAULT_ERROR_RATE"),
    ],
)
def test_configuration_errors_exit_2(
    argv: list[str], env: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(argv, {**ENV, **env}) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "secret-key" not in err and "Traceback" not in err


def test_release_file_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent.json"
    assert exit_code(["migrate", "--status"], {**ENV, "MEMSTORE_RELEASE_FILE": str(missing)}) == 2
    assert "does not exist" in capsys.readouterr().err

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"version": "v1", "schema_min": 3, "schema_max": 2}))
    assert exit_code(["migrate", "--status"], {**ENV, "MEMSTORE_RELEASE_FILE": str(broken)}) == 2
    assert "below schema_min" in capsys.readouterr().err
