"""Entry point of a sampler process: ``python -m hadrill.samplers <spec.json>``."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from hadrill import clock
from hadrill.layout import Bundle
from hadrill.samplers import kinds
from hadrill.samplers.base import KINDS, SampleWriter, install_stop_handlers, run
from hadrill.samplers.launcher import status_path
from hadrill.samplers.spec import SamplerSpec


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m hadrill.samplers <spec.json>", file=sys.stderr)
        return 2
    spec_path = Path(argv[1])
    spec = SamplerSpec.model_validate_json(spec_path.read_text(encoding="utf-8"))
    bundle = Bundle(Path(spec.evidence_dir))
    stop = threading.Event()
    install_stop_handlers(stop)
    status = status_path(spec_path)
    try:
        kinds.load(spec.kind)
        kind = KINDS[spec.kind](spec)
    except Exception as exc:  # told to the operator by the launcher, in one sentence
        reason = str(exc) if not isinstance(exc, KeyError) else f"unknown sampler kind {spec.kind!r}"
        if hasattr(exc, "errors"):  # a pydantic ValidationError: name the fields
            reason = "; ".join(f"config.{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in exc.errors())
        status.write_text(json.dumps({"state": "failed", "error": reason}), encoding="utf-8")
        return 3
    writer = SampleWriter(bundle.sample_file(spec.name))
    started = clock.now()
    status.write_text(json.dumps({"state": "running", "started_at": started.iso}), encoding="utf-8")
    reason = run(spec, kind, writer, stop)
    stopped = clock.now()
    meta = {
        "name": spec.name,
        "kind": spec.kind,
        "scenario": spec.scenario,
        "interval_seconds": spec.interval_seconds,
        "started_at": started.iso,
        "started_mono": started.mono,
        "stopped_at": stopped.iso,
        "stopped_mono": stopped.mono,
        "samples": writer.count,
        "errors": writer.errors,
        "stop_reason": reason,
    }
    bundle.samples.mkdir(parents=True, exist_ok=True)
    (bundle.samples / f"{spec.name}.meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    status.write_text(json.dumps({"state": "stopped", **meta}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
