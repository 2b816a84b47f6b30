"""Where things live inside an evidence bundle: artifacts/ha_drill/<drill_id>/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DRILL_ID_PATTERN = re.compile(r"^ha_drill_(?P<date>\d{8})_(?P<environment>[a-z0-9][a-z0-9-]*)_(?P<seq>\d{2,})$")


@dataclass(frozen=True)
class Bundle:
    """The files of one drill's evidence directory."""

    root: Path

    @property
    def drill_id(self) -> str:
        return self.root.name

    @property
    def events(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def drill(self) -> Path:
        """Configuration snapshot and metadata written at drill start (secrets redacted)."""
        return self.root / "drill.json"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    @property
    def report(self) -> Path:
        return self.root / "report.md"

    @property
    def manifest(self) -> Path:
        return self.root / "MANIFEST.sha256"

    @property
    def signoff(self) -> Path:
        return self.root / "signoff.json"

    @property
    def journal(self) -> Path:
        return self.root / "journal.jsonl"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def gates(self) -> Path:
        return self.root / "gates"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def records(self) -> Path:
        """Structured results handed over by roles (one JSON file per scenario step)."""
        return self.root / "records"

    def sample_file(self, name: str) -> Path:
        return self.samples / f"{name}.jsonl"


def is_bundle(path: Path) -> bool:
    return path.is_dir() and DRILL_ID_PATTERN.match(path.name) is not None and (path / "drill.json").exists()
