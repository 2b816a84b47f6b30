"""The collection as Galaxy shows it: galaxy.yml points only at what exists, the changelog is the one
antsibull-changelog generates from its fragments, every role has a README, and the docs the
READMEs link to exist."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
COLLECTION = REPO / "collection"
ANTSIBULL = REPO / ".venv" / "bin" / "antsibull-changelog"


def test_galaxy_yml_names_a_readme_that_exists_and_no_placeholder_url():
    galaxy = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())
    assert (COLLECTION / galaxy["readme"]).is_file()
    for key in ("repository", "documentation", "issues", "homepage"):
        value = galaxy.get(key)
        assert value is None or (value.startswith("https://") and ".invalid" not in value and "example." not in value), key


def test_every_role_has_a_readme_naming_it():
    for role in sorted(path for path in (COLLECTION / "roles").iterdir() if path.is_dir()):
        readme = role / "README.md"
        assert readme.is_file(), f"{role.name} has no README.md"
        assert readme.read_text().startswith(f"# hadrill.drills.{role.name}\n"), role.name


def test_relative_links_of_the_collection_readmes_resolve():
    readmes = [COLLECTION / "README.md", *sorted((COLLECTION / "roles").glob("*/README.md")), COLLECTION / "docs" / "awx.md"]
    for readme in readmes:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", readme.read_text()):
            assert (readme.parent / target).exists(), f"{readme.relative_to(REPO)} links to missing {target}"


def test_the_repository_readme_links_the_awx_page():
    assert "(collection/docs/awx.md)" in (REPO / "README.md").read_text()


def test_the_changelog_fragments_lint():
    result = subprocess.run([str(ANTSIBULL), "lint"], cwd=COLLECTION, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_changelog_md_is_what_antsibull_changelog_generates(tmp_path):
    work = tmp_path / "collection"
    work.mkdir()
    shutil.copy(COLLECTION / "galaxy.yml", work)
    shutil.copytree(COLLECTION / "changelogs", work / "changelogs", ignore=shutil.ignore_patterns(".plugin-cache.yaml"))
    result = subprocess.run([str(ANTSIBULL), "generate"], cwd=work, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (work / "CHANGELOG.md").read_text() == (COLLECTION / "CHANGELOG.md").read_text(), (
        "collection/CHANGELOG.md differs from what antsibull-changelog generate writes: edit changelogs/, then run it")


@pytest.mark.parametrize("fragment", sorted((COLLECTION / "changelogs" / "fragments").glob("*.yml")), ids=lambda p: p.name)
def test_fragments_are_yaml_mappings_of_known_sections(fragment):
    config = yaml.safe_load((COLLECTION / "changelogs" / "config.yaml").read_text())
    known = {section for section, _ in config["sections"]} | {config["prelude_section_name"], config["trivial_section_name"]}
    content = yaml.safe_load(fragment.read_text())
    assert isinstance(content, dict) and set(content) <= known, fragment.name
