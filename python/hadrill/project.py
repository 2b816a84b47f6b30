"""Where `hadrill run` and `hadrill recover` find the playbooks they drive.

Two layouts, tried in this order:

- a **checkout** of the hadrill repository (or a copy of its layout): ``playbooks/drill.yml`` beside
  ``ansible.cfg``, in the current directory or one above it, or the directory given with
  ``--project``. ansible-playbook runs there with that ``ansible.cfg``.
- the **installed collection** ``hadrill.drills`` (``ansible-galaxy collection install``), found where
  ansible-playbook itself looks for collections: the configured collections paths, then the Python
  path of the interpreter that runs hadrill (a collection installed into its site-packages). Its
  playbooks run by their names, ``hadrill.drills.drill`` and ``hadrill.drills.recover``, from the
  current directory, with Ansible's own configuration lookup (``ANSIBLE_CONFIG``, ``./ansible.cfg``,
  ``~/.ansible.cfg``) and the collection's timer callback added to the enabled callbacks.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

COLLECTION = "hadrill.drills"
CHECKOUT_DRILL_PLAYBOOK = "playbooks/drill.yml"
CHECKOUT_RECOVER_PLAYBOOK = "playbooks/recover.yml"
# Records every task into the drill's events.jsonl; a checkout's ansible.cfg enables it.
TIMER_CALLBACK = f"{COLLECTION}.timer"


class ProjectNotFound(RuntimeError):
    pass


@dataclass(frozen=True)
class Project:
    root: Path  # ansible-playbook's working directory (ansible-runner's project_dir)
    drill_playbook: str
    recover_playbook: str
    # The checkout's ansible.cfg; None for the installed collection (Ansible's own lookup applies).
    config: Path | None = None
    # The installed collection's directory (None in a checkout).
    collection: Path | None = None

    def environment(self) -> dict[str, str]:
        """Variables for the ansible-playbook that runs this project's playbooks."""
        if self.config is not None:
            return {"ANSIBLE_CONFIG": str(self.config)}
        # ANSIBLE_CALLBACKS_ENABLED replaces the configured list: keep it and add the timer.
        from ansible import constants as C

        enabled = [str(name) for name in (C.CALLBACKS_ENABLED or [])]
        if TIMER_CALLBACK not in enabled:
            enabled.append(TIMER_CALLBACK)
        return {"ANSIBLE_CALLBACKS_ENABLED": ",".join(enabled)}

    def describe(self) -> str:
        if self.collection is not None:
            return f"collection {COLLECTION} at {self.collection}, run from {self.root}"
        return f"project {self.root}"


def checkout(directory: Path) -> Project | None:
    """The checkout layout at ``directory``, or None."""
    if (directory / CHECKOUT_DRILL_PLAYBOOK).is_file() and (directory / "ansible.cfg").is_file():
        return Project(root=directory, drill_playbook=CHECKOUT_DRILL_PLAYBOOK,
                       recover_playbook=CHECKOUT_RECOVER_PLAYBOOK, config=directory / "ansible.cfg")
    return None


def collection_search_paths() -> list[Path]:
    """The directories ansible-playbook searches for collections, in its order."""
    from ansible import constants as C

    paths: list[str] = list(C.COLLECTIONS_PATHS or [])
    if C.COLLECTIONS_SCAN_SYS_PATH:
        paths += [entry for entry in sys.path if entry]
    return [Path(entry).expanduser() for entry in paths]


def installed_collection(search_paths: Iterable[Path]) -> Path | None:
    """The first ``hadrill.drills`` with its drill playbook under ``search_paths``."""
    namespace, name = COLLECTION.split(".")
    for base in search_paths:
        # A configured path may name the ansible_collections directory itself.
        root = base if base.name == "ansible_collections" else base / "ansible_collections"
        candidate = root / namespace / name
        if (candidate / "playbooks" / "drill.yml").is_file() and (candidate / "playbooks" / "recover.yml").is_file():
            return candidate
    return None


def find_project(start: Path, explicit: Path | None = None) -> Project:
    """The checkout given (``--project``) or around ``start``, else the installed collection, run
    from ``start``."""
    if explicit is not None:
        found = checkout(explicit)
        if found is None:
            raise ProjectNotFound(f"--project {explicit}: no {CHECKOUT_DRILL_PLAYBOOK} and ansible.cfg there")
        return found
    for directory in [start, *start.parents]:
        found = checkout(directory)
        if found is not None:
            return found
    search = collection_search_paths()
    collection = installed_collection(search)
    if collection is None:
        raise ProjectNotFound(
            f"no hadrill checkout here ({CHECKOUT_DRILL_PLAYBOOK} and ansible.cfg in {start} or above) and no "
            f"installed {COLLECTION} collection in {', '.join(str(path) for path in search) or 'any collections path'}; "
            f"install it (ansible-galaxy collection install hadrill-drills-<version>.tar.gz), or run from a "
            "checkout, or pass --project")
    return Project(root=start, drill_playbook=f"{COLLECTION}.drill", recover_playbook=f"{COLLECTION}.recover",
                   collection=collection)
