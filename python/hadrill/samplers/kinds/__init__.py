"""Every sampler kind; importing this package registers them all."""

from hadrill.samplers.kinds import http_probe  # noqa: F401

try:  # kinds added by the scenario packages
    from hadrill.samplers.kinds import backlog, canary  # noqa: F401
except ImportError:  # pragma: no cover - during development of a scenario
    pass
