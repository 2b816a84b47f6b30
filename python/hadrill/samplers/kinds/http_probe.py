"""HTTP traffic through the load balancer: one record per request (time, status, latency).

Used as the rollback scenario's traffic probe and as the replay scenario's write traffic: the
request mix is weighted, ``${seq}`` and ``${token}`` are filled per request (with the drill's
``${drill_id}``, ``${scenario}`` and ``${run}``), and captured values (such as a written id) are
kept in the record.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hadrill import clock
from hadrill.httpspec import HttpRequestSpec, drill_values, send
from hadrill.samplers.base import register
from hadrill.samplers.spec import SamplerSpec


class HttpProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str
    requests: list[HttpRequestSpec] = Field(min_length=1)
    headers: dict[str, str] = {}
    seed: int = 0
    # A response header naming the backend that answered (for example set by the load balancer).
    backend_header: str | None = None


class HttpProbe:
    def __init__(self, spec: SamplerSpec):
        self.config = HttpProbeConfig.model_validate(spec.config)
        self._rng = random.Random(self.config.seed)
        self._weights = [item.weight for item in self.config.requests]
        self._prefix = uuid.uuid4().hex[:8]
        self._values = drill_values(spec.evidence_dir, spec.scenario)

    def _choose(self, seq: int) -> HttpRequestSpec:
        if len(self.config.requests) == 1:
            return self.config.requests[0]
        return self._rng.choices(self.config.requests, weights=self._weights, k=1)[0]

    def sample(self, seq: int) -> dict[str, Any]:
        request = self._choose(seq)
        token = f"hd{self._prefix}n{seq}"
        sent = clock.now()
        result = send(
            self.config.base_url, request,
            context={**self._values, "seq": seq, "token": token}, default_headers=self.config.headers,
        )
        record: dict[str, Any] = {
            "seq": seq,
            "sent_ts": sent.iso,
            "sent_mono": sent.mono,
            "request": request.name,
            "status": result.status,
            "ok": result.ok,
            "latency_ms": round(result.latency_s * 1000.0, 3),
            "token": token,
        }
        if result.error:
            record["error"] = result.error
        if result.captured:
            record["captured"] = result.captured
        return record

    def close(self) -> None:
        return None


register("http_probe")(HttpProbe)
