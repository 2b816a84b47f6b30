"""The shared sampler loop: pacing, bounds, shutdown and the sample file."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from hadrill import clock
from hadrill.events import append_line
from hadrill.processes import alive
from hadrill.samplers.spec import SamplerSpec

SampleFunction = Callable[[int], "dict[str, Any] | list[dict[str, Any]] | None"]


class SamplerKind(Protocol):
    """A kind of sampler: built from the spec, takes sample number ``seq`` when asked."""

    def sample(self, seq: int) -> dict[str, Any] | list[dict[str, Any]] | None: ...

    def close(self) -> None: ...


KINDS: dict[str, Callable[[SamplerSpec], SamplerKind]] = {}
# How often a sampler checks that the drill's controller process still exists.
WATCH_INTERVAL_SECONDS = 1.0


def register(kind: str) -> Callable[[Callable[[SamplerSpec], SamplerKind]], Callable[[SamplerSpec], SamplerKind]]:
    def decorator(factory: Callable[[SamplerSpec], SamplerKind]) -> Callable[[SamplerSpec], SamplerKind]:
        KINDS[kind] = factory
        return factory

    return decorator


class SampleWriter:
    """Appends samples, stamping each with the controller's clocks when it completed."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0
        self.errors = 0
        self._lock = threading.Lock()

    def write(self, sample: dict[str, Any]) -> None:
        moment = clock.now()
        record = {"ts": moment.iso, "mono": moment.mono, **sample}
        with self._lock:
            append_line(self.path, record)
            self.count += 1
            if sample.get("ok") is False or sample.get("error"):
                self.errors += 1


def run(spec: SamplerSpec, kind: SamplerKind, writer: SampleWriter, stop: threading.Event) -> str:
    """Take samples every ``interval_seconds`` on a fixed schedule until told to stop.

    The schedule is open-loop (sample n is due at start + n * interval), so a slow sample
    does not lower the rate: samples run in a small thread pool. Returns why it stopped.
    """
    started = time.monotonic()
    deadline = started + spec.max_duration_seconds
    reason = "stopped"

    def take(seq: int) -> None:
        try:
            outcome = kind.sample(seq)
        except Exception as exc:  # a sampler must keep sampling through target failures
            outcome = {"seq": seq, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
        for item in outcome if isinstance(outcome, list) else [outcome] if outcome else []:
            writer.write(item)

    watched_at = started
    with ThreadPoolExecutor(max_workers=spec.concurrency, thread_name_prefix=spec.name) as pool:
        seq = 0
        while True:
            if stop.is_set():
                break
            now = time.monotonic()
            if now >= deadline:
                reason = "max_duration"
                break
            if seq >= spec.max_samples:
                reason = "max_samples"
                break
            if spec.watch_pid and now - watched_at >= WATCH_INTERVAL_SECONDS:
                watched_at = now
                if not alive(spec.watch_pid):
                    reason = "controller_gone"
                    break
            due = started + seq * spec.interval_seconds
            if due > now:
                stop.wait(min(due - now, deadline - now, WATCH_INTERVAL_SECONDS))
                continue
            pool.submit(take, seq)
            seq += 1
    kind.close()
    return reason


def install_stop_handlers(stop: threading.Event) -> None:
    def handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
