"""Property-based: any corruption of a valid drill configuration is either still valid or
rejected with ConfigError lines that each name a variable; nothing else escapes validation."""

from __future__ import annotations

import copy
import functools
import math
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hadrill.config import ConfigError
from hadrill.config.loader import GROUPS, SCENARIO_SECTIONS, SECTIONS
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
