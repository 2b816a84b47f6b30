"""hadrill without a checkout: the wheel and the collection tarball, built by scripts/build-dist,
installed into a fresh virtualenv (from /usr/bin/python3) and a private collections path, drive
a drill against the sandbox from a temporary directory holding only a copy of the inventory.

One drill (`--scenario none`: preconditions, gates, sealed bundle), checked from outside: the
bundle verifies with the installed hadrill, every task was recorded by the installed collection's
timer callback, and the commands refuse clearly when the collection is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

import hadrill
from tests.integration.conftest import extra_vars_args

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
VERSION = hadrill.__version__


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(dist: dict[str, Path], packaging_root: Path) -> dict[str, Path]:
    """A fresh venv with the wheel, a collections path with the tarball, a work directory."""
    base = packaging_root / "installed"
    base.mkdir()
    venv = base / "venv"
    made = _run(["/usr/bin/python3", "-m", "venv", str(venv)], cwd=base, env=dict(os.environ))
    assert made.returncode == 0, made.stderr
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(dist["wheel"])],
               cwd=base, env=dict(os.environ), timeout=900)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    collections = base / "collections"
    # As a user's shell would (_env): a collection some earlier test installed under a path of this
    # process's environment must not make ansible-galaxy answer "Nothing to do" here.
    galaxy = _run([str(venv / "bin" / "ansible-galaxy"), "collection", "install", "--force", "-p", str(collections),
                   str(dist["tarball"])], cwd=base, env=_env({"venv": venv, "collections": collections}))
    assert galaxy.returncode == 0, galaxy.stdout + galaxy.stderr
    assert (collections / "ansible_collections" / "hadrill" / "drills" / "playbooks" / "drill.yml").is_file(), galaxy.stdout
    work = base / "work"
    work.mkdir()
    shutil.copytree(REPO / "inventories" / "local", work / "inventory")
    return {"wheel": dist["wheel"], "venv": venv, "collections": collections, "work": work}


def _env(installed: dict[str, Path], collections: Path | None = None) -> dict[str, str]:
    """A user's shell: the fresh venv first on PATH, nothing pointing into the checkout."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ANSIBLE_", "HADRILL_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{installed['venv'] / 'bin'}:/usr/bin:/bin"
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections or installed["collections"])
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def _hadrill(installed: dict[str, Path], *args: str, collections: Path | None = None,
             timeout: float = 900) -> subprocess.CompletedProcess:
    return _run([str(installed["venv"] / "bin" / "hadrill"), *args], cwd=installed["work"],
                env=_env(installed, collections), timeout=timeout)


def test_the_wheel_holds_hadrill_only_at_the_one_version(installed):
    wheel = installed["wheel"]
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {"hadrill", f"hadrill-{VERSION}.dist-info"}, top
    assert "hadrill/templates/report.md.j2" in names and "hadrill/py.typed" in names
    assert any(name.startswith("hadrill/schemas/") and name.endswith(".schema.json") for name in names)
    probe = _run([str(installed["venv"] / "bin" / "python"), "-c",
                  "import hadrill, importlib.util; print(hadrill.__file__, hadrill.__version__, "
                  "importlib.util.find_spec('memstore') is not None)"],
                 cwd=installed["work"], env=_env(installed))
    where, version, has_memstore = probe.stdout.split()
    assert where.startswith(str(installed["venv"])), where  # the installed copy, not the checkout's
    assert version == VERSION
    assert has_memstore == "False"


def test_commands_refuse_clearly_without_the_collection(installed, tmp_path):
    empty = tmp_path / "no-collections"
    empty.mkdir()
    result = _hadrill(installed, "run", "-i", "inventory", *extra_vars_args(), "--scenario", "none", collections=empty)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "no installed hadrill.drills collection" in result.stderr
    assert str(empty) in result.stderr
    assert not (installed["work"] / "artifacts").exists()
    result = _hadrill(installed, "recover", "-i", "inventory", *extra_vars_args(), collections=empty)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "ansible-galaxy collection install" in result.stderr


def test_validate_run_verify_and_recover_from_the_installed_collection(installed, sandbox):
    work = installed["work"]
    assert not (work / "ansible.cfg").exists() and not (work / "playbooks").exists()

    result = _hadrill(installed, "validate", "-i", "inventory", *extra_vars_args())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "configuration valid" in result.stdout

    run = _hadrill(installed, "run", "-i", "inventory", *extra_vars_args(), "--scenario", "none")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr
    bundles = sorted((work / "artifacts" / "ha_drill").glob("ha_drill_*"))
    assert len(bundles) == 1, bundles  # evidence root: artifacts/ha_drill under the directory it ran from
    bundle = bundles[0]
    assert f"Evidence: {bundle}" in run.stdout
    summary = json.loads((bundle / "summary.json").read_text())
    assert summary["result"] == "pass", summary.get("result_reasons")
    assert summary["hadrill_version"] == VERSION
    # Every task was recorded by the installed collection's timer callback (no ansible.cfg
    # enables it here: hadrill adds it to the enabled callbacks).
    events = [json.loads(line) for line in (bundle / "events.jsonl").read_text().splitlines() if line.strip()]
    actions = {event.get("action") for event in events if event.get("event") == "task"}
    assert {"hadrill.drills.drill_start", "hadrill.drills.gate", "hadrill.drills.mark"} <= actions, sorted(map(str, actions))

    verify = _hadrill(installed, "verify", str(bundle))
    assert verify.returncode == 0, verify.stdout + verify.stderr

    recover = _hadrill(installed, "recover", "-i", "inventory", *extra_vars_args())
    assert recover.returncode == 0, recover.stdout + recover.stderr
    assert "nothing to recover" in recover.stdout

    # The AWX kit's sign-off job, as its job template runs it: the project's playbook with the
    # signer's credential (key file and principal) and the drill id as extra vars.
    key = work / "alice_key"
    made = _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", str(key)], cwd=work, env=_env(installed))
    assert made.returncode == 0, made.stderr
    signoff = _run([str(installed["venv"] / "bin" / "ansible-playbook"), str(REPO / "awx" / "playbooks" / "signoff.yml"),
                    "-e", f"drill_id={bundle.name}", "-e", "signoff_by=alice@example.com", "-e", f"signoff_key={key}",
                    "-e", "signoff_role=sre-lead", "-e", f"drill_evidence_root={bundle.parent}"],
                   cwd=work, env=_env(installed))
    assert signoff.returncode == 0, signoff.stdout[-3000:] + signoff.stderr
    assert "signed off by alice@example.com" in signoff.stdout
    verify = _hadrill(installed, "verify", str(bundle))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "alice@example.com" in verify.stdout, verify.stdout
