"""One version number, in one place: python/hadrill/__init__.py. Everything else that states it is
derived from it (the wheel's metadata) or checked here; the declared ansible-core range is the
same wherever it is declared."""

from __future__ import annotations

import ast
import re
import subprocess
import tomllib
from pathlib import Path

import yaml

import hadrill

REPO = Path(__file__).resolve().parents[3]
COLLECTION = REPO / "collection"
VERSION = hadrill.__version__


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.match(r"\d+(\.\d+)*", version).group(0).split("."))  # type: ignore[union-attr]


def test_the_version_is_a_plain_semantic_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION), VERSION


def test_the_python_package_takes_its_version_from_hadrill_init():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "hadrill.__version__"}


def test_the_collection_has_the_same_version_and_requires_that_hadrill():
    galaxy = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())
    assert galaxy["version"] == VERSION
    requirements = [line.strip() for line in (COLLECTION / "requirements.txt").read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
    assert requirements == [f"hadrill=={VERSION}"]


def test_the_changelog_knows_the_version_and_no_later_one():
    changelog = yaml.safe_load((COLLECTION / "changelogs" / "changelog.yaml").read_text())
    releases = sorted(changelog["releases"], key=_numbers)
    assert releases[-1] == VERSION or _numbers(releases[-1]) < _numbers(VERSION), releases


def test_no_plugin_claims_to_be_added_after_this_version():
    found = []
    for path in sorted((COLLECTION / "plugins").rglob("*.py")) + sorted((COLLECTION / "plugins").rglob("*.yml")):
        text = path.read_text()
        if path.suffix == ".py":
            tree = ast.parse(text)
            docs = [node.value.value for node in tree.body if isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", "") == "DOCUMENTATION" and isinstance(node.value, ast.Constant)]
            text = docs[0] if docs else ""
        for added in re.findall(r"version_added:\s*['\"]?([0-9][0-9.]*)", text):
            found.append(added)
            assert _numbers(added) <= _numbers(VERSION), f"{path}: version_added {added} > {VERSION}"
    assert found  # the modules do state it


def test_the_declared_ansible_core_range_is_the_same_everywhere():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    (core,) = [dep for dep in project["project"]["dependencies"] if dep.startswith("ansible-core")]
    declared = core.removeprefix("ansible-core")
    assert declared == ">=2.16,<2.20"
    lowest = re.search(r">=([0-9.]+)", declared).group(1)  # type: ignore[union-attr]
    runtime = yaml.safe_load((COLLECTION / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] in (f">={lowest}", f">={lowest}.0")
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    assert ee["dependencies"]["ansible_core"]["package_pip"] == core
    makefile = (REPO / "Makefile").read_text()
    oldest = re.search(r"^COMPAT_ANSIBLE_CORE\s*\?=\s*(\S+)", makefile, re.MULTILINE)
    assert oldest and oldest.group(1).startswith(f"ansible-core=={lowest}."), "make test-compat tests the oldest declared"


def test_the_cli_reports_the_version():
    result = subprocess.run([str(REPO / ".venv" / "bin" / "hadrill"), "--version"], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == f"hadrill {VERSION}"
