"""Nothing in the kit (the collection, with its docs and role READMEs, and the hadrill package) may
name the rehearsal target: everything about the service a drill runs against lives in the
inventories. The rehearsal targets are the Python packages under python/ other than hadrill."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
KIT = (REPO / "collection", REPO / "python" / "hadrill")
SKIPPED_PARTS = {"__pycache__", "output"}  # compiled files; ansible-test's output under collection/tests


def rehearsal_targets() -> list[str]:
    return sorted(path.name for path in (REPO / "python").iterdir()
                  if path.is_dir() and (path / "__init__.py").is_file() and path.name != "hadrill")


def kit_files() -> list[Path]:
    return [path for root in KIT for path in sorted(root.rglob("*"))
            if path.is_file() and not SKIPPED_PARTS & set(path.relative_to(root).parts)]


def test_there_is_a_rehearsal_target_to_look_for():
    assert rehearsal_targets(), "no package under python/ besides hadrill"
    assert len(kit_files()) > 100


def test_no_file_of_the_kit_names_the_rehearsal_target():
    names = re.compile("|".join(re.escape(name) for name in rehearsal_targets()), re.IGNORECASE)
    found = []
    for path in kit_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary (images): no name to read
        found += [f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}"
                  for number, line in enumerate(text.splitlines(), 1) if names.search(line)]
    assert found == [], "move this knowledge into the inventories (inventories/local):\n" + "\n".join(found)
