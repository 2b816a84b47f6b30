"""Property-based: any corruption of a valid drill configuration is either still valid or
rejected with ConfigError lines that each name a variable; nothing else escapes validation."""

from __future__ import annotations

import copy
import functools
import math
import re
from pathlib import Path, PurePosixPath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hadrill.config import ConfigError
from hadrill.config.loader import GROUPS, SCENARIO_SECTIONS, SECTIONS
from hadrill.config.paths import SYSTEM_DIRECTORIES, SYSTEM_TREES
from hadrill.inventory import ResolvedInventory, resolve

REPO = Path(__file__).resolve().parents[3]
PROBLEM_LINE = re.compile(r"^(host [\w.-]+ \(group \w+\): )?([a-z_][a-z0-9_]*)([.\[:\s]|$)|^inventory group '")

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.one_of(st.integers(), st.text(max_size=4)), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=6), st.one_of(st.integers(), st.text(max_size=4)), max_size=3),
)


@functools.cache
def base() -> ResolvedInventory:
    """The local inventory with every scenario selected, resolved once through Ansible."""
    resolved = resolve(REPO / "inventories" / "local", {"drill_scenarios": ["restore", "rollback", "replay"]})
    resolved.validate()  # the starting point must be valid
    return resolved


def known_play_variables() -> list[str]:
    resolved = base()  # first: resolving registers the scenario models
    names = {name for model in SECTIONS.values() for name in model.model_fields}
    names |= {name for _, model in SCENARIO_SECTIONS.values() for name in model.model_fields}
    return sorted(names | set(resolved.variables))


def host_fields(host: str, resolved: ResolvedInventory) -> list[str]:
    groups = [group for group in GROUPS if host in resolved.groups.get(group, [])]
    return sorted({name for group in groups for name in GROUPS[group][0].model_fields})


def check(resolved: ResolvedInventory, mutated: str) -> None:
    try:
        resolved.validate()
    except ConfigError as exc:
        assert exc.problems, "a ConfigError must list its problems"
        for line in exc.problems:
            assert isinstance(line, str) and PROBLEM_LINE.match(line), f"problem does not name a variable: {line!r}"
        assert any(mutated in line for line in exc.problems) or len(exc.problems) >= 1


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_corrupting_a_play_variable_is_rejected_by_name(data):
    resolved = copy.deepcopy(base())
    name = data.draw(st.sampled_from(known_play_variables()), label="variable")
    current = resolved.variables.get(name)
    if isinstance(current, dict) and current and data.draw(st.booleans(), label="nested"):
        key = data.draw(st.sampled_from(sorted(current)), label="key")
        current[key] = data.draw(JUNK, label="value")
    else:
        resolved.variables[name] = data.draw(JUNK, label="value")
    check(resolved, name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_corrupting_or_removing_a_host_variable_is_rejected_by_name(data):
    resolved = copy.deepcopy(base())
    host = data.draw(st.sampled_from(sorted(resolved.hosts)), label="host")
    fields = host_fields(host, resolved)
    if not fields:
        return
    name = data.draw(st.sampled_from(fields), label="variable")
    if data.draw(st.booleans(), label="remove"):
        resolved.hosts[host].pop(name, None)
    else:
        resolved.hosts[host][name] = data.draw(JUNK, label="value")
    check(resolved, name)


@settings(max_examples=60, deadline=None)
@given(prefix=st.sampled_from(sorted(set(SECTIONS) | {prefix for prefix, _ in SCENARIO_SECTIONS.values()} or {"drill_"})),
       suffix=st.from_regex(r"[a-z][a-z_]{2,12}", fullmatch=True))
def test_a_misspelt_variable_under_a_hadrill_prefix_is_reported(prefix, suffix):
    resolved = copy.deepcopy(base())
    name = prefix + suffix
    if name in known_play_variables():
        return
    resolved.variables[name] = "x"
    try:
        resolved.validate()
    except ConfigError as exc:
        assert any(line.startswith(f"{name}: unknown variable") for line in exc.problems)
    else:
        raise AssertionError(f"{name} was accepted")


def test_nan_and_infinite_thresholds_are_rejected():
    for value in (math.nan, math.inf):
        resolved = copy.deepcopy(base())
        resolved.variables["drill_thresholds"] = {"rto_seconds": value}
        try:
            config = resolved.validate()
        except ConfigError as exc:
            assert any(line.startswith("drill_thresholds.rto_seconds") for line in exc.problems)
        else:
            raise AssertionError(f"rto_seconds={value} accepted: {config.settings.drill_thresholds}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_cli_answers_bad_input_with_a_sentence_not_a_traceback(data, capsys):
    import json

    from hadrill.cli import main

    name = data.draw(st.sampled_from(known_play_variables()), label="variable")
    value = data.draw(JUNK.filter(lambda item: not (isinstance(item, float) and not math.isfinite(item))), label="value")
    code = main(["validate", "-i", str(REPO / "inventories" / "local"), "-e", json.dumps({name: value})])
    captured = capsys.readouterr()
    assert code in (0, 3), captured
    assert "Traceback" not in captured.out + captured.err
    if code == 3:
        assert "invalid drill configuration" in captured.err or "hadrill:" in captured.err


# --- paths hadrill owns: one rule for every path setting ------------------------------------------


SEGMENT = st.from_regex(r"[a-z0-9_-]{1,8}", fullmatch=True)
# Every setting naming a directory (or link) hadrill creates, chowns, chmods, replaces or removes:
# (where it is set, the variable). "play" is the play-level variables, else an inventory host.
PATH_SETTINGS = [("play", "db_restore_work_root"), ("play", "drill_evidence_root"), ("api-1", "release_link")]
DATA_DIR = "/data/pg/15/main"
REPOSITORY = "/backup/pgbackrest"


def join(*parts: str) -> str:
    return "/" + "/".join(part.strip("/") for part in parts if part.strip("/"))


@st.composite
def system_paths(draw) -> str:
    """A system directory, a directory above one, or anything inside an operating-system tree."""
    kind = draw(st.sampled_from(["directory", "tree", "above"]))
    if kind == "directory":
        return draw(st.sampled_from(SYSTEM_DIRECTORIES + ("/home/" + draw(SEGMENT),)))
    if kind == "tree":
        return join(draw(st.sampled_from(SYSTEM_TREES)), *draw(st.lists(SEGMENT, max_size=3)))
    directory = PurePosixPath(draw(st.sampled_from([item for item in SYSTEM_DIRECTORIES if item.count("/") > 1])))
    return str(draw(st.sampled_from(list(directory.parents))))


@st.composite
def database_paths(draw) -> str:
    """The primary's data directory or the repository, a directory above either, or one inside."""
    guarded = PurePosixPath(draw(st.sampled_from([DATA_DIR, REPOSITORY])))
    kind = draw(st.sampled_from(["same", "above", "below"]))
    if kind == "same":
        return str(guarded)
    if kind == "above":
        return str(draw(st.sampled_from([item for item in guarded.parents if str(item) != "/"])))
    return join(str(guarded), *draw(st.lists(SEGMENT, min_size=1, max_size=3)))


@st.composite
def dotted_paths(draw) -> str:
    """A path with a '..' component somewhere, whatever it resolves to."""
    parts = draw(st.lists(SEGMENT, min_size=1, max_size=4))
    parts.insert(draw(st.integers(0, len(parts))), "..")
    return "/" + "/".join(parts)


@st.composite
def dedicated_paths(draw) -> str:
    """A directory of its own below a shared directory, away from the database's."""
    parent = draw(st.sampled_from(["/srv", "/var/lib", "/opt", "/tmp", "/data/drills", "/home/alice"]))
    first = draw(SEGMENT.filter(lambda item: item not in {"postgresql", "pgsql", "lib", "log", "tmp", "run"}))
    return join(parent, "hadrill-" + first, *draw(st.lists(SEGMENT, max_size=2)))


def with_path(setting: tuple[str, str], path: str) -> ResolvedInventory:
    # Validation reads its input only: copies of the two levels a path setting changes are enough.
    original = base()
    resolved = ResolvedInventory(variables=dict(original.variables), groups=original.groups,
                                 hosts={host: dict(values) for host, values in original.hosts.items()},
                                 extra_vars=original.extra_vars)
    resolved.hosts["pg-primary"]["db_data_dir"] = DATA_DIR
    resolved.variables["db_restore_pgbackrest_repo_path"] = REPOSITORY
    where, name = setting
    (resolved.variables if where == "play" else resolved.hosts[where])[name] = path
    return resolved


def refusal(setting: tuple[str, str], path: str) -> str:
    where, name = setting
    prefix = f"{name}: " if where == "play" else f"host {where} (group api): {name}: "
    try:
        with_path(setting, path).validate()
    except ConfigError as exc:
        found = [line for line in exc.problems if line.startswith(prefix)]
        assert found, f"{name}={path!r} refused, but not by name: {exc.problems}"
        return found[0]
    raise AssertionError(f"{name}={path!r} was accepted")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setting=st.sampled_from(PATH_SETTINGS), path=system_paths())
def test_no_system_path_validates_for_any_path_setting(setting, path):
    assert "dedicated directory" in refusal(setting, path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setting=st.sampled_from(PATH_SETTINGS), path=database_paths())
def test_no_path_at_above_or_below_the_data_directory_or_the_repository_validates(setting, path):
    line = refusal(setting, path)
    assert "apart from the database's directories" in line
    assert f"db_data_dir of pg-primary {DATA_DIR!r}" in line or f"db_restore_pgbackrest_repo_path {REPOSITORY!r}" in line


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setting=st.sampled_from(PATH_SETTINGS), path=dotted_paths())
def test_no_path_with_dot_dot_validates(setting, path):
    assert "expected a path without '..' components" in refusal(setting, path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setting=st.sampled_from(PATH_SETTINGS), path=dedicated_paths())
def test_a_dedicated_directory_validates_for_every_path_setting(setting, path):
    config = with_path(setting, path).validate()
    where, name = setting
    if name == "db_restore_work_root":
        assert config.scenarios["restore"].db_restore_work_root == path
    elif name == "drill_evidence_root":
        assert config.settings.drill_evidence_root == path
    else:
        assert config.hosts["api"][where].release_link == path
