"""Each role's meta/argument_specs.yml and the pydantic model of the same variables agree:
the same names, compatible types. Two descriptions of one input must not drift apart."""

from __future__ import annotations

import types
import typing
from pathlib import Path

import pytest
import yaml

from hadrill.config.gates import GatesSettings, PreconditionsSettings
from hadrill.config.loader import SCENARIO_SECTIONS, _load_scenario_models

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "collection" / "roles"
SCENARIO_ROLES = {"restore": "db_restore", "rollback": "api_rollback", "replay": "worker_replay"}

SPEC_TYPES = {
    "str": {str}, "int": {int}, "float": {float, int}, "bool": {bool}, "list": {list}, "dict": {dict},
    "path": {str}, "raw": None,
}


def pairs() -> list[tuple[str, type]]:
    _load_scenario_models()
    found = [("preconditions", PreconditionsSettings), ("validation_gates", GatesSettings)]
    for scenario, (_, model) in SCENARIO_SECTIONS.items():
        role = SCENARIO_ROLES[scenario]
        if (ROLES / role / "meta" / "argument_specs.yml").exists():
            found.append((role, model))
    return found


def python_types(annotation: typing.Any) -> set[type]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return python_types(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        result: set[type] = set()
        for argument in typing.get_args(annotation):
            if argument is not type(None):
                result |= python_types(argument)
        return result
    if origin is typing.Literal:
        return {type(value) for value in typing.get_args(annotation)}
    if origin in (list, tuple, set):
        return {list}
    if origin is dict:
        return {dict}
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return {bool}
        if issubclass(annotation, (int, float, str, list, dict)):
            return {next(base for base in (bool, int, float, str, list, dict) if issubclass(annotation, base))}
        if hasattr(annotation, "model_fields"):
            return {dict}
        if annotation.__name__ == "SecretStr":
            return {str}
    return set()


@pytest.mark.parametrize("role,model", pairs(), ids=lambda item: item if isinstance(item, str) else item.__name__)
def test_role_arguments_and_model_fields_agree(role, model):
    spec = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"].get("options", {})
    assert set(options) == set(model.model_fields), (
        f"only in argument_specs: {sorted(set(options) - set(model.model_fields))}; "
        f"only in {model.__name__}: {sorted(set(model.model_fields) - set(options))}"
    )
    for name, option in options.items():
        expected = SPEC_TYPES.get(option.get("type", "str"))
        if expected is None:
            continue
        actual = python_types(model.model_fields[name].annotation)
        if not actual:
            continue
        assert actual & expected, f"{role}: {name} is {option.get('type')} in argument_specs but {actual} in {model.__name__}"
