"""Start and stop sampler processes (the controller side of the mechanism)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hadrill.layout import Bundle
from hadrill.runtime import runtime_dir
from hadrill.samplers.spec import SamplerSpec

START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 20.0


class SamplerError(RuntimeError):
    pass


def spec_path(evidence_dir: Path, name: str) -> Path:
    return runtime_dir(evidence_dir) / evidence_dir.name / "samplers" / f"{name}.json"


def status_path(spec_file: Path) -> Path:
    return spec_file.with_suffix(".status.json")


def pid_path(spec_file: Path) -> Path:
    return spec_file.with_suffix(".pid")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def process_matches(pid: int, spec_file: Path) -> bool:
    """True when pid is alive and is the sampler of this spec (guards against pid reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and str(spec_file).encode() in cmdline


@dataclass
class Launch:
    """A sampler process spawned and not yet known to run."""

    spec: SamplerSpec
    path: Path
    process: subprocess.Popen
    log: Path


def spawn(spec: SamplerSpec) -> Launch:
    """Write the sampler's spec and start its process (without waiting for it to run)."""
    evidence_dir = Path(spec.evidence_dir)
    path = spec_path(evidence_dir, spec.name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    existing = _read_json(pid_path(path)).get("pid")
    if existing and process_matches(int(existing), path):
        raise SamplerError(f"sampler {spec.name} is already running (pid {existing})")
    status_path(path).unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(spec.model_dump_json())
    bundle = Bundle(evidence_dir)
    bundle.logs.mkdir(parents=True, exist_ok=True)
    log_path = bundle.logs / f"sampler-{spec.name}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "hadrill.samplers", str(path)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, close_fds=True,
    )
    log.close()
    pid_path(path).write_text(json.dumps({"pid": process.pid}), encoding="utf-8")
    return Launch(spec, path, process, log_path)


def wait_running(launch: Launch, deadline: float) -> int:
    """The sampler's pid once it runs; SamplerError (its process stopped) if it does not by ``deadline``."""
    name = launch.spec.name
    while time.monotonic() < deadline:
        if _read_json(status_path(launch.path)).get("state") == "running":
            return launch.process.pid
        code = launch.process.poll()
        if code is not None:
            failure = _read_json(status_path(launch.path)).get("error")
            if failure:
                raise SamplerError(f"sampler {name} could not start: {failure}")
            tail = launch.log.read_text(errors="replace")[-2000:]
            raise SamplerError(f"sampler {name} exited at start with code {code}: {tail}")
        time.sleep(0.02)
    stop_pid(launch.process.pid, launch.path)
    raise SamplerError(f"sampler {name} did not start within {START_TIMEOUT_SECONDS:g}s")


def start(spec: SamplerSpec) -> int:
    return start_all([spec])[0]


def start_all(specs: list[SamplerSpec]) -> list[int]:
    """Start several samplers at once (their processes start side by side) and wait until each
    runs; if one does not, the others started here are stopped and SamplerError says which."""
    launches: list[Launch] = []
    try:
        for spec in specs:
            launches.append(spawn(spec))
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        return [wait_running(launch, deadline) for launch in launches]
    except BaseException:
        for launch in launches:
            stop_pid(launch.process.pid, launch.path)
        raise


def stop_pid(pid: int, spec_file: Path, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """SIGTERM, wait, then SIGKILL. True if the process had to be killed."""
    if not process_matches(pid, spec_file):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_matches(pid, spec_file):
            _reap(pid)
            return False
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop(evidence_dir: Path, name: str) -> dict[str, Any]:
    path = spec_path(evidence_dir, name)
    pid = _read_json(pid_path(path)).get("pid")
    killed = stop_pid(int(pid), path) if pid else False
    meta = _read_json(Bundle(evidence_dir).samples / f"{name}.meta.json")
    meta["killed"] = killed
    if not meta.get("samples") and not (Bundle(evidence_dir).sample_file(name)).exists():
        meta.setdefault("samples", 0)
    return meta


def running(evidence_dir: Path) -> list[tuple[str, int]]:
    """Sampler processes of this drill still alive."""
    folder = spec_path(evidence_dir, "x").parent
    alive = []
    for pid_file in sorted(folder.glob("*.pid")):
        spec_file = pid_file.with_suffix(".json")
        pid = _read_json(pid_file).get("pid")
        if pid and process_matches(int(pid), spec_file):
            alive.append((spec_file.stem, int(pid)))
    return alive
