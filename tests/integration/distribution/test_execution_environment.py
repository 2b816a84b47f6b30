"""The execution environment, without a container engine: `ansible-builder introspect` on the
installed collection lists hadrill's Python and system requirements, and `ansible-builder create`
makes a build context whose steps are then replayed here outside a container (the galaxy stage's
install from the context's requirements, the builder stage's introspection with the context's own
script, pip finding hadrill in the context's dist/ with no package index)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import json
from pathlib import Path

import pytest
import yaml

import hadrill

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
BIN = REPO / ".venv" / "bin"
VERSION = hadrill.__version__
HADRILL_PIN = f"hadrill=={VERSION}"


def _run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result


def _lines(path: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def test_introspect_on_the_installed_collection_lists_hadrills_requirements(dist, tmp_path):
    collections = tmp_path / "collections"
    _run(BIN / "ansible-galaxy", "collection", "install", "-p", collections, dist["tarball"], cwd=tmp_path)
    _run(BIN / "ansible-builder", "introspect", "--sanitize", collections, "--write-pip", tmp_path / "pip.txt",
         "--write-bindep", tmp_path / "bindep.txt", cwd=tmp_path)
    assert _lines(tmp_path / "pip.txt") == [HADRILL_PIN]
    assert _lines(tmp_path / "bindep.txt") == ["openssh-clients [platform:rpm]", "openssh-client [platform:dpkg]"]
    assert "from collection hadrill.drills" in (tmp_path / "pip.txt").read_text()


def test_create_makes_a_build_context_that_installs_the_collection_and_hadrill(dist, tmp_path):
    # execution-environment.yml next to build/ee/dist/, as scripts/build-ee lays it out.
    shutil.copy(REPO / "execution-environment.yml", tmp_path)
    staged = tmp_path / "build" / "ee" / "dist"
    staged.mkdir(parents=True)
    shutil.copy(dist["wheel"], staged)
    shutil.copy(dist["tarball"], staged / "hadrill-drills.tar.gz")
    context = tmp_path / "context"
    _run(BIN / "ansible-builder", "create", "-f", "execution-environment.yml", "--context", context,
         "--output-filename", "Containerfile", cwd=tmp_path)

    build = context / "_build"
    assert sorted(path.name for path in (build / "dist").iterdir()) == [dist["wheel"].name, "hadrill-drills.tar.gz"]
    assert {"assemble", "introspect.py", "install-from-bindep", "check_ansible", "check_galaxy"} <= {
        path.name for path in (build / "scripts").iterdir()}
    containerfile = (context / "Containerfile").read_text()
    stages = containerfile.split("\n# ")
    builder = next(stage for stage in stages if stage.startswith("Builder build stage"))
    final = next(stage for stage in stages if stage.startswith("Final build stage"))
    for stage in (builder, final):  # both stages' pip find hadrill in the context
        assert "COPY _build/dist /build/dist" in stage and "ARG PIP_FIND_LINKS=/build/dist" in stage
        assert stage.index("ARG PIP_FIND_LINKS") < stage.index("RUN /output/scripts/" + (
            "assemble" if stage is builder else "install-from-bindep"))
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core>=2.16,<2.20 ansible-runner>=2.4"' in containerfile
    assert "RUN rm -rf /build/dist" in final

    # The galaxy stage: ansible-galaxy collection install -r requirements.yml from /build.
    requirements = yaml.safe_load((build / "requirements.yml").read_text())
    assert requirements == {"collections": [{"name": "dist/hadrill-drills.tar.gz", "type": "file"}]}
    collections = tmp_path / "image" / "collections"
    _run(BIN / "ansible-galaxy", "collection", "install", "-r", "requirements.yml", "--collections-path",
         collections, cwd=build)
    manifest = json.loads((collections / "ansible_collections" / "hadrill" / "drills" / "MANIFEST.json").read_text())
    assert manifest["collection_info"]["version"] == VERSION

    # The builder stage: the context's own introspect script over what the galaxy stage installed.
    _run(BIN / "python", build / "scripts" / "introspect.py", "introspect", collections,
         "--write-pip", tmp_path / "requirements.txt", "--write-bindep", tmp_path / "bindep.txt", cwd=build)
    assert _lines(tmp_path / "requirements.txt") == [HADRILL_PIN]
    assert "openssh-clients [platform:rpm]" in _lines(tmp_path / "bindep.txt")

    # ...and pip resolves that pin from the context alone (no package index).
    fetched = tmp_path / "fetched"
    _run(BIN / "python", "-m", "pip", "download", "-q", "--no-deps", "--no-index", "--find-links", build / "dist",
         "--dest", fetched, "-r", tmp_path / "requirements.txt", cwd=tmp_path)
    assert [path.name for path in fetched.iterdir()] == [dist["wheel"].name]
    with tarfile.open(build / "dist" / "hadrill-drills.tar.gz") as archive:
        assert "meta/execution-environment.yml" in archive.getnames()
