"""Everything recorded in a bundle, loaded once, for the code that computes figures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from hadrill.events import (
    CheckEvent,
    GateEvent,
    MarkerIndex,
    TaskEvent,
    load_checks,
    load_gates,
    load_markers,
    load_tasks,
    read_lines,
)
from hadrill.layout import Bundle


@dataclass
class BundleContext:
    bundle: Bundle
    drill: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> "BundleContext":
        bundle = Bundle(root)
        drill = json.loads(bundle.drill.read_text(encoding="utf-8")) if bundle.drill.exists() else {}
        return cls(bundle=bundle, drill=drill)

    @cached_property
    def markers(self) -> MarkerIndex:
        return MarkerIndex(load_markers(self.bundle.root))

    @cached_property
    def checks(self) -> list[CheckEvent]:
        return load_checks(self.bundle.root)

    @cached_property
    def gates(self) -> list[GateEvent]:
        return load_gates(self.bundle.root)

    @cached_property
    def tasks(self) -> list[TaskEvent]:
        return load_tasks(self.bundle.root)

    def samples(self, name: str) -> list[dict[str, Any]]:
        return list(read_lines(self.bundle.sample_file(name)))

    def scenario_checks(self, scenario: str | None) -> list[CheckEvent]:
        return [item for item in self.checks if item.scenario == scenario]

    def scenario_gates(self, scenario: str | None) -> list[GateEvent]:
        return [item for item in self.gates if item.scenario == scenario]

    def failed_tasks(self, scenario: str | None = None) -> list[TaskEvent]:
        return [
            item
            for item in self.tasks
            if item.status in {"failed", "unreachable"}
            and not getattr(item, "ignored", False)
            and (scenario is None or item.scenario == scenario)
        ]

    @property
    def thresholds(self) -> dict[str, float | None]:
        return self.drill.get("thresholds", {})

    def scenario_config(self, scenario: str) -> dict[str, Any]:
        return self.drill.get("config", {}).get("scenarios", {}).get(scenario, {})
