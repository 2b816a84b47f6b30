"""The db_restore_* configuration: errors that name the variable, and the pydantic model, the
role's argument_specs and its defaults agreeing on names, types, defaults and what is required."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from hadrill.config import ConfigError, validate
from hadrill.scenarios.restore.config import RestoreSettings
from tests.support.inventory import host_lookups

ROLE = Path(__file__).resolve().parents[3] / "collection" / "roles" / "db_restore"
INVENTORY_FILE = Path(__file__).resolve().parents[3] / "inventories" / "local" / "group_vars" / "all" / "restore.yml"

VARIABLES: dict[str, Any] = {
    "drill_environment": "staging",
    "drill_environment_class": "staging",
    "drill_owner": "platform-oncall",
    "drill_scenarios": "restore",
    "db_restore_work_root": "/srv/pg-verify",
    "db_restore_schema_version_query": "select max(version)::text from schema_migrations",
    "db_restore_api_port": 18100,
    "db_restore_api_processes": [
        {"name": "api", "command": "/srv/app/bin/app api --port ${api_port}", "chdir": "/srv/app",
         "environment": {"DATABASE_URL": "postgresql://app:pw@${db_host}:${db_port}/app"}},
    ],
    "db_restore_smoke_requests": [
        {"name": "health", "path": "/health", "retry_seconds": 30},
        {"name": "write", "method": "POST", "path": "/v1/items", "json": {"text": "smoke ${token}"},
         "capture": {"id": "id"}},
        {"name": "read-back", "path": "/v1/items/${id}", "expect_body_contains": "${token}", "retry_seconds": 20},
    ],
}
HOSTS: dict[str, dict[str, Any]] = {
    "db-1": {"db_host": "10.0.0.5", "db_name": "app", "db_user": "drill", "pgbackrest_stanza": "main"},
    "api-1": {"api_base_url": "http://10.0.0.11:8080", "lb_server_name": "api-1",
              "supervisor_ctl": "supervisorctl", "supervisor_program": "api"},
    "lb-1": {"lb_base_url": "http://10.0.0.10", "haproxy_admin_socket": "/run/haproxy.sock", "haproxy_backend": "api"},
}
GROUPS = {"db_primary": ["db-1"], "api": ["api-1"], "lb": ["lb-1"], "worker": []}


def check(hosts: dict[str, dict[str, Any]] | None = None, **changes: Any):
    variables = copy.deepcopy(VARIABLES)
    for name, value in changes.items():
        if value is None:
            variables.pop(name, None)
        else:
            variables[name] = value
    known = hosts or HOSTS
    return validate(variables, GROUPS, *host_lookups(variables, known))


def problems(hosts: dict[str, dict[str, Any]] | None = None, **changes: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        check(hosts, **changes)
    return caught.value.problems


def test_a_minimal_configuration_is_accepted_with_its_defaults():
    settings = check().scenarios["restore"]
    assert isinstance(settings, RestoreSettings)
    assert settings.db_restore_method == "pgbackrest" and settings.db_restore_target == "time"
    assert settings.db_restore_canary_table == "hadrill_canary"
    assert settings.db_restore_canary_interval_seconds == pytest.approx(0.1)
    assert settings.db_restore_smoke_requests[1].body == {"text": "smoke ${token}"}
    assert settings.db_restore_smoke_requests[0].retry_seconds == 30


def test_the_section_is_ignored_when_the_scenario_is_not_selected():
    config = check(drill_scenarios="none", db_restore_api_port=None)
    assert "restore" not in config.scenarios


@pytest.mark.parametrize("name", ["db_restore_schema_version_query", "db_restore_api_port",
                                  "db_restore_api_processes", "db_restore_smoke_requests"])
def test_required_variables_are_named(name):
    assert f"{name}: required but not set" in problems(**{name: None})


def test_a_typo_suggests_the_variable():
    assert ("db_restore_canary_tabel: unknown variable (did you mean db_restore_canary_table?)"
            in problems(db_restore_canary_tabel="x"))


def test_field_errors_name_the_variable_and_what_was_expected():
    found = "\n".join(problems(db_restore_method="snapshot", db_restore_target_time="yesterday",
                               db_restore_canary_table="Canary-Table", db_restore_work_root="relative/path",
                               db_restore_api_port=70000))
    assert "db_restore_method: input should be 'pgbackrest', 'basebackup' or 'command'" in found
    assert "db_restore_target_time: expected an ISO 8601 timestamp with a UTC offset" in found
    assert "db_restore_canary_table: string should match pattern" in found
    assert "db_restore_work_root: expected an absolute path, got 'relative/path'" in found
    assert "db_restore_api_port: input should be less than or equal to 65535" in found


def test_a_target_time_without_offset_is_refused():
    assert any(item.startswith("db_restore_target_time: expected an ISO 8601 timestamp with a UTC offset")
               for item in problems(db_restore_target_time="2026-02-28T10:10:00"))


def test_method_settings_are_checked_one_line_each():
    found = problems(db_restore_method="command", db_restore_work_root=None)
    assert found == [
        "db_restore_method: 'command' needs db_restore_command_restore, db_restore_command_teardown",
        "db_restore_method: 'command' needs db_restore_host and db_restore_port, or a db_restore_command_wait "
        "that prints {\"host\": ..., \"port\": ...}",
    ]
    assert check(db_restore_method="command", db_restore_command_restore="restore ${target_time}",
                 db_restore_command_wait="wait", db_restore_command_teardown="drop ${drill_id}")
    assert problems(db_restore_work_root=None) == [
        "db_restore_work_root: required with db_restore_method 'pgbackrest' (where the verification "
        "instance's data directory is created on the db_primary host)"]
    # A latest pgbackrest restore pins the repository through pgBackRest, wherever it is: its path
    # is not needed (it stays an optional protected path for validation).
    assert check(db_restore_target="latest")
    assert problems(db_restore_target="latest", db_restore_pgbackrest_repo_path="/var/lib/pgbackrest",
                    db_restore_target_time="2026-02-28T10:10:00Z") == [
        "db_restore_target_time: only used with db_restore_target: time"]


def test_the_method_must_find_its_settings_on_the_db_primary_host():
    without_stanza = copy.deepcopy(HOSTS)
    del without_stanza["db-1"]["pgbackrest_stanza"]
    without_stanza["db-1"]["db_backup_method"] = "command"
    without_stanza["db-1"]["db_backup_info_command"] = "backup-info"
    assert problems(without_stanza) == ["db_restore_method 'pgbackrest' needs pgbackrest_stanza on the db_primary host db-1"]
    assert problems(db_restore_method="basebackup") == [
        "db_restore_method 'basebackup' needs db_wal_archive_dir and db_basebackup_dir on the db_primary host db-1"]


def test_unknown_placeholders_are_named_with_the_known_ones():
    processes = [{"name": "api", "command": "app --db ${database_port}"}]
    smoke = [{"name": "read", "path": "/v1/items/${id}"}]
    found = problems(db_restore_api_processes=processes, db_restore_smoke_requests=smoke,
                     db_restore_method="command", db_restore_command_restore="restore --at ${when}",
                     db_restore_command_teardown="drop", db_restore_host="db", db_restore_port=5433)
    assert "db_restore_command_restore: unknown placeholder(s) ['when']; known: ['drill_id', 'drill_slug', " \
           "'target', 'target_time', 'target_time_iso', 'incident_time', 'port']" in found
    assert "db_restore_api_processes[0]: unknown placeholder(s) ['database_port']; known: ['drill_id', 'db_host', " \
           "'db_port', 'api_port']" in found
    assert ("db_restore_smoke_requests[0] (read): unknown placeholder(s) ['id']; known here: "
            "['drill_id', 'scenario', 'run', 'token']") in found


def test_hosts_must_be_inventory_hosts_and_names_unique():
    # A host that is not in the inventory is refused with its field; the checks between
    # variables then run on the valid values only.
    assert "db_restore_api_host: expected an inventory host or 'localhost', got 'verify-9'" in problems(
        db_restore_api_host="verify-9")
    found = problems(db_restore_api_host="api-1",
                     db_restore_api_processes=[{"name": "api", "command": "a"}, {"name": "api", "command": "b"}])
    assert "db_restore_api_base_url: required when db_restore_api_host is not localhost" in found
    assert "db_restore_api_processes: names must be unique, got ['api', 'api']" in found


def test_sample_queries_need_tenants():
    queries = [{"name": "orders", "query": "select count(*) from orders where tenant = %(tenant)s"}]
    assert problems(db_restore_sample_queries=queries) == ["db_restore_sample_queries: needs db_restore_sample_tenants"]
    assert check(db_restore_sample_queries=queries, db_restore_sample_tenants=["t1"])


def test_the_sandbox_inventory_file_sets_only_known_variables():
    values = yaml.safe_load(INVENTORY_FILE.read_text())
    restore_names = {name for name in values if name.startswith("db_restore_")}
    assert restore_names <= set(RestoreSettings.model_fields)


# --- nested options of meta/argument_specs.yml and their models agree (the flat options and
# defaults/main.yml: tests/unit/hadrill/test_argument_specs_match_models.py)

def _options() -> dict[str, dict[str, Any]]:
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())
    return specs["argument_specs"]["main"]["options"]


def test_nested_options_match_their_models():
    from hadrill.scenarios.restore.config import SampleQuery, VerificationProcess

    options = _options()
    assert set(options["db_restore_sample_queries"]["options"]) == set(SampleQuery.model_fields)
    assert set(options["db_restore_api_processes"]["options"]) == set(VerificationProcess.model_fields)
