"""Every replica of a backend, watched on its own: its health check sent straight to it (not
through the load balancer) and HAProxy's status of its server, read from HAProxy's read-only
statistics page (``haproxy_stats_url``, the CSV of ``stats uri``: any load balancer the controller
reaches over the network) or, when the load balancer runs on the controller, its admin socket.

One record per replica per sample: ``host``, ``sent_mono``/``sent_ts``, ``ok``, ``status``,
``latency_ms``, ``error``, and ``lb_status`` (HAProxy's ``status`` column: ``UP``, ``DOWN``,
``MAINT``, ``DRAIN``, ``UP 1/2``...) or ``lb_error``. The rollback scenario uses it to name a
replica the drill did not touch that went down while another one was switched.
"""

from __future__ import annotations

import csv
import io
import socket
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat

from hadrill import clock
from hadrill.httpspec import HttpRequestSpec, send
from hadrill.samplers.base import register
from hadrill.samplers.spec import SamplerSpec


class Replica(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1)
    base_url: str = Field(min_length=1)
    health_path: str = "/health"
    lb_server: str | None = None  # the replica's server name in the load balancer's backend


class ReplicaWatchConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replicas: list[Replica] = Field(min_length=1)
    timeout_seconds: PositiveFloat = 1.0
    # Sent with every health check, as with every request of the drill (drill_http_headers).
    headers: dict[str, str] = {}
    # HAProxy's statistics CSV over HTTP (a remote load balancer), else its admin socket when the
    # controller can open it (the load balancer runs here).
    haproxy_stats_url: str | None = None
    haproxy_socket: str | None = None
    haproxy_backend: str | None = None


def parse_show_stat(text: str, backend: str) -> dict[str, str]:
    """server name -> status of every server of ``backend`` in HAProxy's ``show stat`` CSV."""
    if not text.startswith("# "):
        raise ValueError(f"unexpected 'show stat' answer: {text[:120]!r}")
    return {
        row["svname"]: row.get("status", "")
        for row in csv.DictReader(io.StringIO(text[2:]))
        if row.get("pxname") == backend and row.get("svname") not in ("FRONTEND", "BACKEND")
    }


def haproxy_statuses(socket_path: str, backend: str, timeout: float) -> dict[str, str]:
    """The statuses of ``backend``'s servers, read from HAProxy's runtime API on its admin socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        client.connect(socket_path)
        client.sendall(b"show stat\n")
        chunks = []
        while chunk := client.recv(65536):
            chunks.append(chunk)
    return parse_show_stat(b"".join(chunks).decode(errors="replace"), backend)


def haproxy_statuses_over_http(url: str, backend: str, timeout: float) -> dict[str, str]:
    """The statuses of ``backend``'s servers, read from HAProxy's statistics page in CSV
    (``stats uri`` + ``;csv``: the same columns as ``show stat``)."""
    from urllib.request import urlopen

    with urlopen(url, timeout=timeout) as answer:  # noqa: S310 - an http(s) URL of the inventory
        return parse_show_stat(answer.read().decode(errors="replace"), backend)


class ReplicaWatch:
    def __init__(self, spec: SamplerSpec):
        self.config = ReplicaWatchConfig.model_validate(spec.config)
        self._requests = {
            item.host: HttpRequestSpec(name="health", path=item.health_path, timeout_seconds=self.config.timeout_seconds)
            for item in self.config.replicas
        }

    def _lb_view(self) -> tuple[dict[str, str] | None, str]:
        config = self.config
        if not config.haproxy_backend or not (config.haproxy_stats_url or config.haproxy_socket):
            return None, ""
        try:
            if config.haproxy_stats_url:
                return haproxy_statuses_over_http(config.haproxy_stats_url, config.haproxy_backend,
                                                  config.timeout_seconds), ""
            return haproxy_statuses(str(config.haproxy_socket), config.haproxy_backend, config.timeout_seconds), ""
        except (OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}"

    def sample(self, seq: int) -> list[dict[str, Any]]:
        view, lb_error = self._lb_view()
        records = []
        for replica in self.config.replicas:
            sent = clock.now()
            result = send(replica.base_url, self._requests[replica.host], default_headers=self.config.headers)
            record: dict[str, Any] = {
                "seq": seq, "host": replica.host, "sent_ts": sent.iso, "sent_mono": sent.mono,
                "ok": result.ok, "status": result.status, "latency_ms": round(result.latency_s * 1000.0, 3),
            }
            if result.error:
                record["error"] = result.error
            if view is not None:
                record["lb_status"] = view.get(replica.lb_server or replica.host, "ABSENT")
            elif lb_error:
                record["lb_error"] = lb_error
            records.append(record)
        return records

    def close(self) -> None:
        return None


register("replica_watch")(ReplicaWatch)
