"""Issue 12 item 3: published JSON Schemas, generated from the models, shipped in the package."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from hadrill import schemas
from hadrill.cli import EXIT_PASS, main
from hadrill.signoff import sign
from tests.support.bundles import assert_matches_schemas, schema_problems
from tests.support.keys import PRINCIPALS

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", schemas.NAMES)
def test_the_committed_schema_is_what_the_models_generate(name):
    committed = (REPO / "python" / "hadrill" / "schemas" / schemas.filename(name)).read_text()
    assert committed == schemas.text(name), (
        f"python/hadrill/schemas/{schemas.filename(name)} is stale: regenerate with `python -m hadrill.schemas` "
        "and follow the version rules in hadrill/schemas/__init__.py")


@pytest.mark.parametrize("name", schemas.NAMES)
def test_hadrill_schema_prints_the_published_file(name, capsys):
    assert main(["schema", name]) == EXIT_PASS
    assert capsys.readouterr().out == schemas.published(name)


def test_a_sealed_and_signed_off_bundle_matches_the_published_schemas(signed, keys):
    sign(signed, by=PRINCIPALS["alice"], key=keys.key("alice"), role="sre-lead", note="ok")
    assert_matches_schemas(signed)


def test_the_schemas_catch_a_wrongly_shaped_file(unsigned):
    summary = unsigned / "summary.json"
    summary.write_text(summary.read_text().replace('"result": "pass"', '"result": "great"'))
    (unsigned / "events.jsonl").write_text((unsigned / "events.jsonl").read_text() + '{"event": "marker", "name": 3}\n')
    problems = schema_problems(unsigned)
    assert any(item.startswith("summary.json: result:") for item in problems), problems
    assert any(item.startswith("events.jsonl line") for item in problems), problems


@pytest.mark.parametrize("found, readable", [
    (None, True), ("1.0", True), ("1.1", True), ("1.2", True), ("1.3", False), ("2.0", False), ("0.9", False), ("x", False)])
def test_version_rules(found, readable):
    if readable:
        schemas.check_readable("summary", found)
    else:
        with pytest.raises(schemas.NewerSchema):
            schemas.check_readable("summary", found)


def test_the_package_data_ships_the_schemas():
    """The wheel's package data (pyproject's [tool.setuptools.package-data]) matches every schema file.
    (Building the wheel here needs setuptools>=77, which this offline machine does not have.)"""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["hadrill"]
    package = REPO / "python" / "hadrill"
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    for name in schemas.NAMES:
        assert package / "schemas" / schemas.filename(name) in shipped
