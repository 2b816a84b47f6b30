"""Where hadrill run/recover find their playbooks: a checkout, else the installed collection."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadrill import project as discovery
from hadrill.project import Project, ProjectNotFound, find_project, installed_collection

REPO = Path(__file__).resolve().parents[3]


def _collection(base: Path) -> Path:
    found = base / "ansible_collections" / "hadrill" / "drills"
    (found / "playbooks").mkdir(parents=True)
    for name in ("drill.yml", "recover.yml"):
        (found / "playbooks" / name).write_text("---\n")
    return found


def test_the_checkout_is_found_from_a_directory_below_it():
    found = find_project(REPO / "collection" / "docs")
    assert found.root == REPO
    assert (found.drill_playbook, found.recover_playbook) == ("playbooks/drill.yml", "playbooks/recover.yml")
    assert found.collection is None
    assert found.environment() == {"ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}


def test_an_explicit_project_must_be_a_checkout(tmp_path):
    assert find_project(tmp_path, explicit=REPO).root == REPO
    with pytest.raises(ProjectNotFound, match=r"--project .*: no playbooks/drill.yml and ansible.cfg"):
        find_project(REPO, explicit=tmp_path)


def test_a_checkout_needs_both_the_playbook_and_ansible_cfg(tmp_path, monkeypatch):
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "drill.yml").write_text("---\n")  # no ansible.cfg beside it
    monkeypatch.setattr(discovery, "collection_search_paths", lambda: [])
    with pytest.raises(ProjectNotFound):
        find_project(tmp_path)


def test_without_a_checkout_the_installed_collection_runs_from_the_current_directory(tmp_path, monkeypatch):
    paths = tmp_path / "collections"
    collection = _collection(paths)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(discovery, "collection_search_paths", lambda: [tmp_path / "empty", paths])
    found = find_project(work)
    assert found == Project(root=work, drill_playbook="hadrill.drills.drill", recover_playbook="hadrill.drills.recover",
                            collection=collection)
    # No ansible.cfg is forced; the timer callback joins whatever callbacks are configured.
    environment = found.environment()
    assert "ANSIBLE_CONFIG" not in environment
    assert environment["ANSIBLE_CALLBACKS_ENABLED"].split(",")[-1] == "hadrill.drills.timer"


def test_a_search_path_may_name_the_ansible_collections_directory_itself(tmp_path):
    collection = _collection(tmp_path)
    assert installed_collection([tmp_path / "ansible_collections"]) == collection
    assert installed_collection([tmp_path]) == collection


def test_a_collection_without_its_playbooks_is_not_taken(tmp_path):
    incomplete = tmp_path / "a"
    (incomplete / "ansible_collections" / "hadrill" / "drills" / "playbooks").mkdir(parents=True)
    complete = _collection(tmp_path / "b")
    assert installed_collection([incomplete, tmp_path / "b"]) == complete


def test_nothing_found_names_the_places_searched_and_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "collection_search_paths", lambda: [tmp_path / "nowhere"])
    with pytest.raises(ProjectNotFound) as caught:
        find_project(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "nowhere") in message
    assert "ansible-galaxy collection install" in message


def test_the_search_paths_are_ansibles_own(monkeypatch, tmp_path):
    from ansible import constants as C

    monkeypatch.setattr(C, "COLLECTIONS_PATHS", [str(tmp_path / "configured")])
    monkeypatch.setattr(C, "COLLECTIONS_SCAN_SYS_PATH", False)
    assert discovery.collection_search_paths() == [tmp_path / "configured"]
    monkeypatch.setattr(C, "COLLECTIONS_SCAN_SYS_PATH", True)
    import sys

    assert discovery.collection_search_paths()[1:] == [Path(entry) for entry in sys.path if entry]


def _started(*argv: str):
    """A process whose command line reads like ``argv`` (bash's $0 and $1), once bash runs."""
    import subprocess

    from hadrill.processes import cmdline
    from tests.support.wait import wait_until

    process = subprocess.Popen(["bash", "-c", "sleep 30; exit", *argv])
    wait_until(lambda: cmdline(process.pid).startswith("bash"), timeout=10, what="bash to start")
    return process


@pytest.mark.parametrize("playbook", ["playbooks/drill.yml", "hadrill.drills.drill"])
def test_recovery_recognises_the_drill_playbook_of_either_layout(playbook):
    from hadrill.recover import is_drill_playbook

    for argv, expected in [(("ansible-playbook", playbook), True), (("ansible-playbook", "hadrill.drills.recover"), False)]:
        process = _started(*argv)
        try:
            assert is_drill_playbook(process.pid) is expected, argv
        finally:
            process.kill()
            process.wait()
