"""Reading an inventory through Ansible: every failure is one line naming the file, the variable
or the option, never a Python exception; extra vars that belong to the inventory are refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hadrill.cli import main
from hadrill.config import ConfigError
from hadrill.extravars import ExtraVars, ExtraVarsError
from hadrill.inventory import InventoryError, load_config, resolve

REPO = Path(__file__).resolve().parents[3]
VAULT = Path(sys.executable).parent / "ansible-vault"


@pytest.fixture
def staging(tmp_path) -> Path:
    copy = tmp_path / "staging"
    shutil.copytree(REPO / "inventories" / "staging", copy)
    return copy


def refused(inventory: Path, extra=None, **options) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(inventory, extra if extra is not None else {}, **options)
    return caught.value.problems


def test_a_yaml_error_in_group_vars_names_the_file_line_and_column(staging):
    broken = staging / "group_vars" / "db_primary.yml"
    broken.write_text(broken.read_text() + "db_port: [5432\n")
    with pytest.raises(InventoryError) as caught:
        resolve(staging, {})
    assert str(caught.value).startswith(f"cannot read inventory {staging}: {broken} line ")
    assert "YAML error" in str(caught.value) and "\n" not in str(caught.value)


def test_a_yaml_error_in_the_hosts_file_is_not_an_empty_inventory(staging):
    (staging / "hosts.yml").write_text("all:\n  hosts:\n   a: b: c\n")
    with pytest.raises(InventoryError, match=r"hosts\.yml line 3, column 8: YAML error: mapping values are not allowed"):
        resolve(staging, {})


def test_an_empty_api_group_names_the_group_and_what_depends_on_it(staging):
    hosts = yaml.safe_load((staging / "hosts.yml").read_text())
    hosts["all"]["children"]["api"]["hosts"] = {}
    (staging / "hosts.yml").write_text(yaml.safe_dump(hosts))
    problems = refused(staging)
    assert "inventory group 'api': expected at least 1 host(s), found 0" in problems
    # Ansible's own words for the undefined variable differ between ansible-core versions.
    assert any(line.startswith("db_restore_api_base_url: cannot be templated: ") and "hostvars['api-staging-1']" in line
               and "is undefined" in line for line in problems), problems
    assert "db_restore_api_host: expected an inventory host or 'localhost', got 'api-staging-1'" in problems
    assert all("Traceback" not in line and "KeyError" not in line for line in problems)


def test_a_missing_vault_password_file_is_named(staging):
    with pytest.raises(InventoryError) as caught:
        resolve(staging, {}, vault_password_file=staging / "no-such-password")
    assert str(caught.value) == f"--vault-password-file {staging / 'no-such-password'}: no such file"


def test_a_vault_file_without_its_password_is_named(staging, tmp_path):
    password = tmp_path / "pw"
    password.write_text("right-password\n")
    vaulted = staging / "group_vars" / "all" / "vault.yml"
    subprocess.run([str(VAULT), "encrypt", "--vault-password-file", str(password), str(vaulted)], check=True,
                   capture_output=True)
    with pytest.raises(InventoryError) as missing:
        resolve(staging, {})
    assert f"(no --vault-password-file; vault-encrypted: {vaulted})" in str(missing.value)
    wrong = tmp_path / "wrong"
    wrong.write_text("wrong-password\n")
    with pytest.raises(InventoryError) as mismatch:
        resolve(staging, {}, vault_password_file=wrong)
    assert f"(--vault-password-file {wrong}; vault-encrypted: {vaulted})" in str(mismatch.value)
    assert resolve(staging, {}, vault_password_file=password).validate()


def test_the_cli_prints_one_line_for_each_loading_failure(staging, capsys):
    (staging / "hosts.yml").write_text("all: [\n")
    assert main(["validate", "-i", str(staging)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hosts.yml line" in err and "unexpected error" not in err
    assert main(["validate", "-i", str(REPO / "inventories" / "staging"), "--vault-password-file", "/nonexistent/pw"]) == 3
    assert capsys.readouterr().err == "hadrill: --vault-password-file /nonexistent/pw: no such file\n"


# --- extra vars that belong to the inventory ---------------------------------------------------------

def test_the_class_given_as_an_extra_var_is_refused_inline_or_in_a_file(tmp_path):
    overlay = tmp_path / "overlay.yml"
    overlay.write_text("drill_environment_class: staging\n")
    for extra in (ExtraVars.parse(["drill_environment_class=staging"]), ExtraVars.parse([f"@{overlay}"])):
        problems = refused(REPO / "inventories" / "production", extra)
        assert any(line.startswith("drill_environment_class: given as an extra var") for line in problems), problems


def test_the_environment_name_as_an_extra_var_is_refused_on_production_and_allowed_elsewhere(tmp_path):
    extra = ExtraVars.parse(["drill_environment=elsewhere"])
    assert any(line.startswith("drill_environment: given as an extra var on a production inventory")
               for line in refused(REPO / "inventories" / "production", extra))
    # The sandboxes of one inventory differ by their -e @vars file, which names their environment.
    assert load_config(REPO / "inventories" / "local", extra).settings.drill_environment == "elsewhere"


def test_a_yaml_error_in_an_extra_vars_file_names_it(tmp_path):
    overlay = tmp_path / "overlay.yml"
    overlay.write_text("a: 1\nb: [2\n")
    with pytest.raises(InventoryError, match=rf"--extra-vars @{overlay} line 3, column 1: YAML error"):
        resolve(REPO / "inventories" / "local", ExtraVars.parse([f"@{overlay}"]))
    with pytest.raises(ExtraVarsError, match="YAML error"):
        from ansible.parsing.dataloader import DataLoader

        ExtraVars.parse([f"@{overlay}"]).load(DataLoader())


def test_the_evidence_root_a_run_would_use_is_checked_before_it_starts():
    problems = refused(REPO / "inventories" / "local", {}, evidence_root=Path("/var/lib"))
    assert any(line.startswith("drill_evidence_root: the evidence root") and "/var/lib" in line for line in problems)
