"""Destructive or impossible settings are refused before anything runs, each naming the variable
and what was expected: paths hadrill owns, host references, ports, durations, thresholds, the
production opt-in, the environment class, and everything reported in one pass."""

from __future__ import annotations

from datetime import date

import pytest

from hadrill.config.guard import environment_class_problems, extra_var_problems, production_guard

TODAY = date(2026, 12, 1)


def one(problems: list[str], prefix: str) -> str:
    found = [line for line in problems if line.startswith(prefix)]
    assert len(found) == 1, f"expected one problem starting {prefix!r}, got {problems}"
    return found[0]


# --- paths hadrill creates, chowns, chmods or removes ----------------------------------------------

@pytest.mark.parametrize("path, expected", [
    ("/", "expected a dedicated directory, got '/', the root of the file system"),
    ("/etc", "outside the system tree /etc, got '/etc'"),
    ("/etc/hadrill", "outside the system tree /etc, got '/etc/hadrill'"),
    ("/usr/local/hadrill", "outside the system tree /usr"),
    ("/proc/1", "outside the system tree /proc"),
    ("/var", "which is the system directory /var"),
    ("/var/lib", "which is the system directory /var/lib (use a directory of its own below it, e.g. /var/lib/hadrill)"),
    ("/var/lib/postgresql", "which is the system directory /var/lib/postgresql"),
    ("/tmp", "which is the system directory /tmp"),
    ("/home", "which is the system directory /home"),
    ("/home/alice", "a user's own directory"),
    ("/root", "which is the system directory /root"),
    ("/opt", "which is the system directory /opt"),
    ("relative/restore", "expected an absolute path, got 'relative/restore'"),
    ("~/restore", "expected an absolute path, got '~/restore'"),
    ("/srv/drill/../../etc", "expected a path without '..' components"),
    ("/srv/./drill", "expected the path written as '/srv/drill'"),
    ("/srv/drill/", "expected the path written as '/srv/drill'"),
    ("//srv/drill", "expected the path written as '/srv/drill'"),
    ("/srv/dri\nll", "expected a path without control characters"),
])
def test_the_restore_work_root_must_be_a_dedicated_directory(inventory, path, expected):
    inventory.select("restore").variables["db_restore_work_root"] = path
    line = one(inventory.problems(), "db_restore_work_root: ")
    assert expected in line


@pytest.mark.parametrize("path", ["/srv/pg-verify", "/var/lib/postgresql/hadrill-restore", "/tmp/hadrill-restore",
                                  "/home/alice/drills", "/data/restore"])
def test_a_dedicated_work_root_is_accepted(inventory, path):
    inventory.select("restore").variables["db_restore_work_root"] = path
    assert inventory.validate().scenarios["restore"].db_restore_work_root == path


@pytest.mark.parametrize("path, relation", [
    ("/data/pg/15/main", "is"), ("/data/pg", "contains"), ("/data/pg/15/main/hadrill", "is inside"),
])
def test_the_work_root_keeps_away_from_the_primary_data_directory(inventory, path, relation):
    inventory.hosts["db-1"]["db_data_dir"] = "/data/pg/15/main"
    inventory.select("restore").variables["db_restore_work_root"] = path
    line = one(inventory.problems(), "db_restore_work_root: ")
    assert f"which {relation} db_data_dir of db-1 '/data/pg/15/main'" in line
    assert line.startswith("db_restore_work_root: expected a directory apart from the database's directories")


@pytest.mark.parametrize("host_variable, value", [
    ("db_wal_archive_dir", "/backup/wal"), ("db_basebackup_dir", "/backup/base"),
])
def test_the_work_root_keeps_away_from_the_archive_and_the_base_backups(inventory, host_variable, value):
    inventory.hosts["db-1"][host_variable] = value
    inventory.select("restore").variables["db_restore_work_root"] = "/backup"
    assert f"{host_variable} of db-1 {value!r}" in one(inventory.problems(), "db_restore_work_root: ")


def test_the_work_root_keeps_away_from_the_pgbackrest_repository(inventory):
    inventory.select("restore").variables.update(db_restore_work_root="/var/lib/pgbackrest/restore",
                                                 db_restore_pgbackrest_repo_path="/var/lib/pgbackrest")
    line = one(inventory.problems(), "db_restore_work_root: ")
    assert "which is inside db_restore_pgbackrest_repo_path '/var/lib/pgbackrest'" in line


def test_the_data_directory_must_be_an_absolute_path(inventory):
    inventory.hosts["db-1"]["db_data_dir"] = "pg/main"
    assert "host db-1 (group db_primary): db_data_dir: expected an absolute path, got 'pg/main'" in inventory.problems()


def test_the_evidence_root_and_the_release_link_follow_the_same_rule(inventory):
    inventory.variables["drill_evidence_root"] = "/var"
    inventory.hosts["api-1"]["release_link"] = "/usr/bin"
    problems = inventory.problems()
    assert "which is the system directory /var" in one(problems, "drill_evidence_root: ")
    assert "outside the system tree /usr" in one(problems, "host api-1 (group api): release_link: ")


def test_the_resolved_evidence_root_is_checked_with_its_links(inventory, tmp_path):
    link = tmp_path / "evidence"
    link.symlink_to("/etc")
    line = one(inventory.problems(evidence_root=link), "drill_evidence_root: ")
    assert f"{str(link)!r} resolves (through a symbolic link) to '/etc'" in line
    assert inventory.validate(evidence_root=tmp_path / "bundles")


# --- settings that name hosts, and ports ------------------------------------------------------------

def test_every_host_setting_must_name_an_inventory_host(inventory):
    inventory.select("restore", "rollback", "replay")
    inventory.variables.update(
        db_restore_api_host="verify-9", db_restore_command_host="nowhere",
        validation_gates_commands=[{"name": "g", "command": "true", "host": "gate-host"}],
        worker_replay_gates=[{"name": "h", "command": "true", "host": "api-7"}],
        api_rollback_canary_hosts=["api-9"], worker_replay_targets=["worker-9"],
    )
    problems = inventory.problems()
    assert "db_restore_api_host: expected an inventory host or 'localhost', got 'verify-9'" in problems
    assert "db_restore_command_host: expected an inventory host or 'localhost', got 'nowhere'" in problems
    assert "validation_gates_commands[0].host: expected an inventory host or 'localhost', got 'gate-host'" in problems
    assert "worker_replay_gates[0].host: expected an inventory host or 'localhost', got 'api-7'" in problems
    assert "api_rollback_canary_hosts: expected hosts of the 'api' group ['api-1', 'api-2'], got ['api-9']" in problems
    assert "worker_replay_targets: expected hosts of the 'worker' group ['worker-1'], got ['worker-9']" in problems


def test_the_restore_address_must_be_the_database_hosts(inventory):
    inventory.hosts["db-1"]["ansible_host"] = "10.0.0.50"
    inventory.select("restore").variables["db_restore_host"] = "no-such-host"
    line = one(inventory.problems(), "db_restore_host: ")
    assert line == ("db_restore_host: expected an address of the db_primary host db-1, where the verification instance "
                    "runs with db_restore_method 'pgbackrest' (one of ['10.0.0.5', '10.0.0.50', 'db-1']), "
                    "got 'no-such-host'")
    for address in ("10.0.0.5", "10.0.0.50", "db-1"):
        inventory.variables["db_restore_host"] = address
        assert inventory.validate().scenarios["restore"].db_restore_host == address


def test_loopback_is_the_database_host_only_when_it_is_the_controller(inventory):
    inventory.select("restore").variables["db_restore_host"] = "127.0.0.1"
    assert "db_restore_host: " in " ".join(inventory.problems())
    inventory.hosts["db-1"]["ansible_connection"] = "local"
    assert inventory.validate().scenarios["restore"].db_restore_host == "127.0.0.1"


def test_a_restore_port_on_the_primarys_port_is_refused(inventory):
    inventory.select("restore").variables["db_restore_port"] = 5432
    assert one(inventory.problems(), "db_restore_port: ") == (
        "db_restore_port: expected a port other than the primary's (db_port 5432 of db-1): the verification "
        "instance runs on the same host, got 5432")


def test_the_verification_api_port_must_be_free_on_its_machine(inventory):
    inventory.hosts["db-1"]["ansible_connection"] = "local"
    inventory.select("restore").variables.update(db_restore_port=15433, db_restore_api_port=15433)
    assert "the port of the verification instance (db_restore_port) on the same machine" in one(
        inventory.problems(), "db_restore_api_port: ")
    inventory.variables["db_restore_api_port"] = 5432
    assert "the port of the primary database (db_port of db-1)" in one(inventory.problems(), "db_restore_api_port: ")
    inventory.variables.update(db_restore_api_host="api-1", db_restore_api_port=8080,
                               db_restore_api_base_url="http://10.0.0.11:8080")
    assert "the port of the API replica api-1 (api_base_url)" in one(inventory.problems(), "db_restore_api_port: ")
    inventory.variables["db_restore_api_port"] = 18100
    inventory.variables["db_restore_api_base_url"] = "http://10.0.0.11:18100"
    assert inventory.validate()


def test_a_command_restore_pointed_at_the_primary_is_refused(inventory):
    inventory.select("restore").variables.update(
        db_restore_method="command", db_restore_command_restore="restore", db_restore_command_teardown="drop",
        db_restore_host="10.0.0.5", db_restore_port=5432)
    assert "is the primary database (db_host and db_port of db-1)" in one(inventory.problems(), "db_restore_host: ")


# --- durations and the thresholds they must leave room for -------------------------------------------

def test_a_duration_longer_than_the_drill_is_refused_naming_the_variable_to_raise(inventory):
    inventory.select("replay").variables["worker_replay_pause_seconds"] = 3e10
    assert one(inventory.problems(), "worker_replay_pause_seconds: ") == (
        "worker_replay_pause_seconds: expected at most 21600 seconds (drill_max_duration_seconds: no wait, window or "
        "timeout may outlast the drill; raise drill_max_duration_seconds for a longer drill), got 3e+10")
    inventory.variables["worker_replay_pause_seconds"] = 30000
    assert "worker_replay_pause_seconds: " in " ".join(inventory.problems())
    inventory.variables["drill_max_duration_seconds"] = 36000
    assert inventory.validate().scenarios["replay"].worker_replay_pause_seconds == 30000


def test_nested_durations_are_bounded_too(inventory):
    inventory.select("restore").variables.update(
        validation_gates_commands=[{"name": "g", "command": "true", "timeout_seconds": "86400"}],
        db_restore_smoke_requests=[{"name": "health", "path": "/health", "retry_seconds": 99999,
                                    "timeout_seconds": 5}],
        drill_alert_channel={"name": "#ops", "check_timeout_seconds": 1e9},
    )
    problems = inventory.problems()
    assert one(problems, "validation_gates_commands[0].timeout_seconds: ").endswith("got 86400")
    assert one(problems, "db_restore_smoke_requests[0].retry_seconds: ").endswith("got 99999")
    assert one(problems, "drill_alert_channel.check_timeout_seconds: ").endswith("got 1e+09")


def test_limits_and_ages_are_not_durations_and_the_maximum_itself_is_capped(inventory):
    inventory.variables["drill_thresholds"] = {"backup_max_age_seconds": 30 * 86400}
    inventory.variables["preconditions_backup_max_age_seconds"] = 30 * 86400
    assert inventory.validate()
    inventory.variables["drill_max_duration_seconds"] = 3e10
    assert "less than or equal to 604800" in one(inventory.problems(), "drill_max_duration_seconds: ")


@pytest.mark.parametrize("scenario, threshold, variable, value, why", [
    ("replay", "drain_seconds", "worker_replay_drain_timeout_seconds", 60, "the drain is only watched until its timeout"),
    ("restore", "rto_seconds", "db_restore_timeout_seconds", 600, "the restore and the promotion are part of the RTO"),
    ("restore", "rto_seconds", "db_restore_promote_timeout_seconds", 600, "part of the RTO"),
    ("rollback", "rollback_seconds", "api_rollback_ready_timeout_seconds", 60, "a rolled-back replica"),
    ("rollback", "error_rate_recovery_seconds", "api_rollback_recovery_window_seconds", 60,
     "error-rate recovery is only looked for within the recovery window"),
])
def test_a_timeout_shorter_than_its_threshold_is_refused(inventory, scenario, threshold, variable, value, why):
    inventory.select(scenario).variables.update({variable: value, "drill_thresholds": {threshold: 1200}})
    line = one(inventory.problems(), f"{variable}: ")
    assert line.startswith(f"{variable}: expected at least drill_thresholds.{threshold} (1200 s)")
    assert why in line and line.endswith(f"got {value}")
    inventory.variables[variable] = 1200
    assert inventory.validate()


# --- the production guard -----------------------------------------------------------------------------

def production(inventory, **values):
    inventory.variables.update(drill_environment="prod-eu", drill_environment_class="production",
                               drill_scenarios="rollback", drill_allow_production=True, **values)
    return inventory


def test_production_needs_todays_id_of_its_own_environment_confirmed(inventory):
    good = "ha_drill_20261201_prod-eu_03"
    assert production(inventory, drill_id=good, drill_confirm_id=good).select("rollback").validate(today=TODAY)
    assert production(inventory, drill_id=good, drill_confirm_id=good).problems(today=date(2026, 12, 2)) == [
        "drill_id: expected today's date 20261202 (UTC), i.e. ha_drill_20261202_prod-eu_<NN>, got "
        "'ha_drill_20261201_prod-eu_03'"]
    other = "ha_drill_20261201_staging_03"
    assert production(inventory, drill_id=other, drill_confirm_id=other).problems(today=TODAY) == [
        "drill_id: expected the environment part 'prod-eu' (this inventory's drill_environment), i.e. "
        "ha_drill_20261201_prod-eu_<NN>, got 'ha_drill_20261201_staging_03'"]
    assert production(inventory, drill_id=good, drill_confirm_id=good.replace("03", "04")).problems(today=TODAY) == [
        "drill_confirm_id: expected the drill id typed again (ha_drill_20261201_prod-eu_03), got "
        "'ha_drill_20261201_prod-eu_04'"]
    inventory.variables.pop("drill_id")
    inventory.variables.pop("drill_confirm_id")
    assert production(inventory).problems(today=TODAY) == [
        "drill_id: a production drill needs an explicit drill id, expected ha_drill_20261201_prod-eu_<NN> "
        "(hadrill run --drill-id)"]


def test_production_guard_is_a_pure_function_of_the_settings_and_the_day():
    from hadrill.config.common import DrillSettings

    settings = DrillSettings(drill_environment="prod", drill_environment_class="production", drill_owner="o",
                             drill_scenarios=["restore"], drill_allow_production=True,
                             drill_id="ha_drill_20261201_prod_01", drill_confirm_id="ha_drill_20261201_prod_01")
    assert production_guard(settings, TODAY) == []
    assert production_guard(settings, date(2026, 11, 30))[0].startswith("drill_id: expected today's date 20261130")
    staging = settings.model_copy(update={"drill_environment_class": "staging", "drill_id": None})
    assert production_guard(staging, TODAY) == []


# --- the environment class: required, the same everywhere, never an extra var ------------------------

def test_a_missing_class_is_refused_never_taken_for_staging(inventory):
    del inventory.variables["drill_environment_class"]
    problems = inventory.problems()
    assert "drill_environment_class: required but not set" in problems
    line = one(problems, "drill_environment_class: not set for ")
    assert "api-1, api-2, db-1, lb-1, localhost, worker-1" in line and "never taken to mean staging" in line


def test_a_class_set_for_some_hosts_only_or_differently_is_refused(inventory):
    inventory.hosts["db-1"]["drill_environment_class"] = "production"
    assert one(inventory.problems(), "drill_environment_class: expected the same") == (
        "drill_environment_class: expected the same class on every host of the inventory, got 'production' on db-1; "
        "'staging' on api-1, api-2, lb-1, localhost, worker-1")
    del inventory.variables["drill_environment_class"]
    for host in ("api-1", "api-2", "lb-1", "worker-1"):
        inventory.hosts[host]["drill_environment_class"] = "production"
    assert "drill_environment_class: not set for localhost;" in " ".join(inventory.problems())


def test_class_consistency_is_a_pure_function_of_each_hosts_class():
    assert environment_class_problems({"a": "staging", "localhost": "staging"}) == []
    assert environment_class_problems({"a": "staging", "b": None})[0].startswith("drill_environment_class: not set for b;")
    assert environment_class_problems({}) == ["drill_environment_class: the inventory has no host to read it from"]


def test_the_class_from_extra_vars_is_refused(inventory):
    problems = inventory.problems(extra_vars={"drill_environment_class", "drill_owner"})
    assert one(problems, "drill_environment_class: ").startswith(
        "drill_environment_class: given as an extra var (-e, AWX extra variables or survey), but it is a property of "
        "the inventory and cannot be overridden for a run")
    assert not any(line.startswith("drill_owner") for line in problems)


def test_the_environment_name_from_extra_vars_is_refused_on_production_only(inventory):
    assert inventory.validate(extra_vars={"drill_environment"})
    inventory.variables["drill_environment_class"] = "production"
    assert "on a production inventory" in one(inventory.problems(extra_vars={"drill_environment"}), "drill_environment: ")
    assert extra_var_problems({"drill_environment"}, "staging") == []


# --- one pass ------------------------------------------------------------------------------------------

def test_one_pass_reports_every_kind_of_mistake_together(inventory):
    """An unknown variable, an unknown placeholder in a traffic request, a malformed query and a bad
    host reference in the same scenario section, plus a contradiction elsewhere: all in one answer."""
    inventory.select("restore", "rollback", "replay")
    inventory.variables.update(
        worker_replay_pause_secs=60,
        api_rollback_probe_requests=[{"name": "write", "method": "POST", "path": "/v1/items",
                                      "json": {"text": "probe ${tokn}"}}],
        worker_replay_write_request={"name": "write", "method": "POST", "path": "/v1/items/${idd}",
                                     "json": {"text": "item ${token}"}, "capture": {"id": "id"}},
        worker_replay_proof_query="SELECT id FROM queue WHERE id = ANY(%(ids)s) AND note LIKE 'a%'",
        worker_replay_targets=["worker-9"],
        db_restore_sample_tenants=["t1"],
        db_restore_sample_queries=[{"name": "rows", "query": "select count(*) from t where tenant = %(tennant)s"}],
        validation_gates_commands=[{"name": "g", "command": "true", "host": "gate-9"}],
        worker_replay_drain_timeout_seconds=30,
        drill_thresholds={"drain_seconds": 60},
    )
    problems = inventory.problems()
    assert "worker_replay_pause_secs: unknown variable (did you mean worker_replay_pause_seconds?)" in problems
    assert "unknown placeholder(s) ['tokn'] in request 'write'" in one(problems, "api_rollback_probe_requests: ")
    assert "unknown placeholder(s) ['idd'] in request 'write'" in one(problems, "worker_replay_write_request: ")
    assert "a lone '%'" in one(problems, "worker_replay_proof_query: ")
    assert "%(tennant)s: not a parameter of this query; the drill binds ['cutoff', 'tenant']" in one(
        problems, "db_restore_sample_queries[0].query: ")
    assert "worker_replay_targets: expected hosts of the 'worker' group ['worker-1'], got ['worker-9']" in problems
    assert "validation_gates_commands[0].host: expected an inventory host or 'localhost', got 'gate-9'" in problems
    # a required variable of the replay section (its write request) failed, so the section cannot be
    # judged as a whole and the drain contradiction waits for its fix (see the next test for a section
    # whose failed variables have defaults); every other problem is here at once.
    assert len(problems) == 7, problems


def test_checks_between_sections_still_run_when_a_section_has_its_own_mistakes(inventory):
    """A threshold section with a typo still selects and bounds the scenarios; a scenario with a bad
    value still has its other timeouts checked. A check that would judge a failed variable's default
    instead of what the inventory set is not reported."""
    inventory.select("restore", "rollback").variables.update(
        drill_ownr="x",
        drill_max_duration_seconds="an hour",
        drill_thresholds={"rollback_seconds": 300, "rto_seconds": "fast"},
        api_rollback_ready_timeout_seconds=60,
        api_rollback_probe_rate="often",
        db_restore_timeout_seconds=30,
    )
    problems = inventory.problems()
    assert "drill_ownr: unknown variable (did you mean drill_owner?)" in problems
    assert one(problems, "drill_max_duration_seconds: ")
    assert one(problems, "drill_thresholds.rto_seconds: ")
    assert one(problems, "api_rollback_probe_rate: ")
    assert one(problems, "api_rollback_ready_timeout_seconds: ").startswith(
        "api_rollback_ready_timeout_seconds: expected at least drill_thresholds.rollback_seconds (300 s)")
    # rto_seconds failed on its own: the restore timeout is not judged against a default threshold
    assert not any(line.startswith("db_restore_timeout_seconds: ") for line in problems), problems


def test_a_contradiction_is_reported_with_the_field_errors_of_other_sections(inventory):
    inventory.select("replay").variables.update(worker_replay_drain_timeout_seconds=30,
                                                drill_thresholds={"drain_seconds": 60},
                                                drill_ownr="x", validation_gates_commands=[{"name": "g"}])
    problems = inventory.problems()
    assert any(line.startswith("worker_replay_drain_timeout_seconds: expected at least") for line in problems)
    assert "drill_ownr: unknown variable (did you mean drill_owner?)" in problems
    assert "validation_gates_commands[0].command: required but not set" in problems


def test_a_variable_that_cannot_be_templated_is_named_not_reported_missing(inventory):
    from hadrill.config.errors import Unreadable

    inventory.hosts["api-2"]["api_base_url"] = Unreadable("hostvars['api-9'] is undefined")
    inventory.variables["drill_owner"] = Unreadable("'owner' is undefined")
    problems = inventory.problems()
    assert "host api-2 (group api): api_base_url: cannot be templated: hostvars['api-9'] is undefined" in problems
    assert "drill_owner: cannot be templated: 'owner' is undefined" in problems
    assert not any("required but not set" in line for line in problems), problems


def test_a_play_or_task_variable_cannot_lower_the_class_of_an_inventory_that_lists_localhost(inventory):
    inventory.groups["controller"] = ["localhost"]
    for host in inventory.hosts:
        inventory.hosts[host]["drill_environment_class"] = "production"
    inventory.hosts["localhost"] = {"drill_environment_class": "production"}
    inventory.variables["drill_environment_class"] = "staging"  # what the play sees, e.g. a task's vars
    line = one(inventory.problems(), "drill_environment_class: expected the same")
    assert line.endswith("got 'production' on api-1, api-2, db-1, lb-1, localhost, worker-1; 'staging' on the play's variables")
