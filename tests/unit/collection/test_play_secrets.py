"""The secrets of a play's variables (plugin_utils/secrets.py), read from a real Ansible inventory
through ansible-core's own variable manager and templar, the way the drill_start and evidence_sink
actions read them. A host's variable is templated again only when its template can read something
that differs from the play's variables; every secret is still found."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

SOURCE = Path(__file__).resolve().parents[3] / "collection/plugins/plugin_utils/secrets.py"
spec = importlib.util.spec_from_file_location("hadrill_secrets_under_test", SOURCE)
secrets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(secrets)

INVENTORY = """
all:
  vars:
    shared_pw: shared-secret-of-every-host
    app_url: "postgresql://app:{{ shared_pw }}@db.example/app"
    host_url: "postgresql://app:{{ host_pw }}@{{ inventory_hostname }}/app"
    through_hostvars: "postgresql://app:{{ hostvars[inventory_hostname]['host_pw'] }}@h/app"
    from_the_environment: "postgresql://app:{{ lookup('env', 'HADRILL_TEST_LOOKED_UP') }}@h/app"
    nested:
      headers:
        Authorization: "Bearer {{ api_token_value }}"
    api_token_value: token-of-every-host-0001
    chained: "{{ app_url }}"
    host_pw: default-host-password-0000
  hosts:
    alpha:
      host_pw: password-of-alpha-1111
      ansible_host: 192.0.2.10
      ansible_user: drill-operator
      ansible_become_password: become-password-of-alpha-5555
      ansible_ssh_pass: "{{ host_pw }}-over-ssh"
      ansible_ssh_private_key_file: /etc/hadrill/keys/alpha
    beta:
      host_pw: password-of-beta-2222
      shared_pw: beta-overrides-the-shared-3333
"""


class CountingTemplar:
    """A real Templar that counts what it is asked to template."""

    def __init__(self, templar):
        self._templar = templar
        self.calls = 0

    def template(self, value, *args, **kwargs):
        self.calls += 1
        return self._templar.template(value, *args, **kwargs)

    def is_template(self, value):
        return self._templar.is_template(value)


@pytest.fixture
def play(tmp_path, monkeypatch):
    monkeypatch.setenv("HADRILL_TEST_LOOKED_UP", "looked-up-secret-4444")
    (tmp_path / "hosts.yml").write_text(INVENTORY, encoding="utf-8")
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(tmp_path / "hosts.yml")])
    variables = VariableManager(loader=loader, inventory=inventory)
    # What the task queue manager does before a play: the hostvars every task sees.
    variables._hostvars = HostVars(inventory=inventory, variable_manager=variables, loader=loader)
    task_vars = variables.get_vars(host=inventory.get_host("localhost"), include_hostvars=True)
    return CountingTemplar(Templar(loader=loader, variables=task_vars)), task_vars


def test_every_secret_of_every_scope_is_found(play):
    templar, task_vars = play
    found = secrets.play_secrets(templar, task_vars)
    for expected in ("shared-secret-of-every-host", "beta-overrides-the-shared-3333", "password-of-alpha-1111",
                     "password-of-beta-2222", "default-host-password-0000", "looked-up-secret-4444",
                     "token-of-every-host-0001", "become-password-of-alpha-5555", "password-of-alpha-1111-over-ssh"):
        assert expected in found, expected
    # Ansible's own variables are read only where their name says they hold a secret (connection
    # and become passwords); the rest (the host's address, the user, where a key file is) are not.
    assert not {"192.0.2.10", "drill-operator", "/etc/hadrill/keys/alpha"} & found


def test_a_group_variable_is_templated_again_only_where_it_can_differ(play):
    templar, task_vars = play
    secrets.play_secrets(templar, task_vars)
    templated_everywhere = templar.calls
    templar.calls = 0
    # The same variables with every scope templated in full: the count the shortcut is measured against.
    secrets._values(templar, task_vars, lambda name: templar.template(task_vars[name]))
    hostvars = task_vars["hostvars"]
    for host in hostvars:
        scope = hostvars[host]
        secrets._values(templar, hostvars.raw_get(host), lambda name, scope=scope: templar.template(scope[name]))
    assert templated_everywhere < templar.calls


@pytest.mark.parametrize(("text", "reads"), [
    ("plain {{ a.b | default(c) | to_json }}", {"a", "c"}),
    ("{% for item in things %}{{ item }}{% endfor %}", {"item", "things"}),
    ("{{ hostvars[inventory_hostname].x }}", None),
    ("{{ lookup('env', 'HOME') }}", None),
    ("{{ query('inventory_hostnames', 'all') }}", None),
    ("{{ vars['a' ~ b] }}", None),
    ("#jinja2:variable_start_string:'[%'\n[% a %]", None),
    ("{{ unclosed", None),
])
def test_what_a_template_reads(text, reads):
    found = secrets._names_read(text, {})
    assert (None if found is None else set(found)) == reads
