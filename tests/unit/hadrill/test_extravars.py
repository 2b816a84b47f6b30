"""Extra vars: parsed like ansible-playbook's -e, handed on unchanged, vault values stay encrypted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.parsing.dataloader import DataLoader

from hadrill.extravars import ExtraVars, ExtraVarsError
from hadrill.inventory import ansible_loader, resolve


def test_key_value_json_and_files_are_kept_apart(tmp_path):
    overlay = tmp_path / "overlay.yml"
    overlay.write_text("a: 1\n")
    extra = ExtraVars.parse([f"@{overlay}", "b=2 c=x", '{"d": [1, 2]}'])
    assert extra.files == (overlay.resolve(),)
    assert extra.inline == {"b": "2", "c": "x", "d": [1, 2]}


def test_quoted_values_keep_their_spaces_as_with_ansible_playbook():
    assert ExtraVars.parse(['owner="on call" drill_id=x']).inline == {"owner": "on call", "drill_id": "x"}


def test_files_come_first_so_inline_values_win(tmp_path):
    overlay = tmp_path / "overlay.yml"
    overlay.write_text("a: 1\n")
    args = ExtraVars.parse([f"@{overlay}", "a=2"]).with_values(drill_scenarios=["restore"]).cli_args()
    assert args[:2] == ["-e", f"@{overlay.resolve()}"]
    assert args[2] == "-e"
    assert json.loads(args[3]) == {"a": "2", "drill_scenarios": ["restore"]}


@pytest.mark.parametrize("item, message", [
    ("@/nonexistent/overlay.yml", "no such file"),
    ("{not json", "invalid JSON"),
    ("[1, 2]", "expected key=value"),
    ("novalue", "expected key=value"),
    ("=x", "expected key=value"),
    ("a=1 stray", "expected key=value"),
])
def test_bad_items_are_named(item, message):
    with pytest.raises(ExtraVarsError, match=message):
        ExtraVars.parse([item])


def test_vaulted_file_values_are_decrypted_only_by_the_loader(tmp_path):
    password = tmp_path / "pw"
    password.write_text("unit-vault-password\n")
    encrypted = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-vault"), "encrypt_string", "--vault-password-file", str(password),
         "s3cret-value", "--name", "token"],
        capture_output=True, text=True, check=True,
    ).stdout
    overlay = tmp_path / "vaulted.yml"
    overlay.write_text(encrypted)
    extra = ExtraVars.parse([f"@{overlay}", "other=1"])
    assert "s3cret-value" not in " ".join(extra.cli_args())
    values = extra.load(ansible_loader(password))
    assert str(values["token"]) == "s3cret-value"
    assert values["other"] == "1"


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path):
    overlay = tmp_path / "list.yml"
    overlay.write_text("- a\n- b\n")
    with pytest.raises(ExtraVarsError, match="expected a mapping"):
        ExtraVars.parse([f"@{overlay}"]).load(DataLoader())


def test_host_templates_in_an_extra_vars_file_are_rendered_per_host_of_their_groups():
    """A platform command using the API host's own supervisor_ctl: rendered for the API hosts, and
    not attempted for hosts (the database, the load balancer) that do not have that variable."""
    repo = Path(__file__).resolve().parents[3]
    adapter = repo / "tests/integration/rollback/command_adapter.json"
    resolved = resolve(repo / "inventories/local", ExtraVars.parse([f"@{adapter}"]))
    status = resolved.hosts["api-1"]["platform_status_command"]
    assert "supervisorctl -c" in status and "{{" not in status
    assert "platform_status_command" not in resolved.hosts["pg-primary"]


def test_inline_values_are_templated_as_ansible_playbook_templates_its_own_extra_vars():
    """-e key={{ ... }} is a template for ansible-playbook; validation must see what the drill will."""
    repo = Path(__file__).resolve().parents[3]
    resolved = resolve(repo / "inventories/local", ExtraVars.parse(
        ["drill_owner={{ sandbox_app_user }}-oncall", '{"drill_observers": ["{{ drill_environment }}-lead"]}']))
    assert resolved.variables["drill_owner"] == "memstore-oncall"
    assert resolved.variables["drill_observers"] == ["local-lead"]
