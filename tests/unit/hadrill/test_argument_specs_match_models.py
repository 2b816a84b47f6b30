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


SPEC_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", list: "list", dict: "dict"}


def spec_type(annotation: typing.Any) -> tuple[str, list[typing.Any] | None]:
    """The argument_specs type (and choices) that a field annotation corresponds to exactly."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return spec_type(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return spec_type(next(arg for arg in typing.get_args(annotation) if arg is not type(None)))
    if origin is typing.Literal:
        values = list(typing.get_args(annotation))
        return SPEC_TYPE_NAMES[type(values[0])], values
    if origin in (list, dict):
        return SPEC_TYPE_NAMES[origin], None
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return "dict", None
    return SPEC_TYPE_NAMES[annotation], None


@pytest.mark.parametrize("role,model", [pair for pair in pairs() if pair[0] in SCENARIO_ROLES.values()],
                         ids=lambda item: item if isinstance(item, str) else item.__name__)
def test_scenario_role_specs_and_defaults_equal_the_model(role, model):
    """Scenario roles: each option's exact type, choices, requiredness and default, and the role's
    defaults/main.yml, are the model's (a derived value has no default anywhere)."""
    options = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    for name, field in model.model_fields.items():
        option = options[name]
        expected_type, choices = spec_type(field.annotation)
        assert option["type"] == expected_type, name
        if choices:
            assert option.get("choices") == choices, name
        assert bool(option.get("required", False)) == field.is_required(), name
        if not field.is_required():
            assert option.get("default") == field.default, name
        assert option.get("description"), name
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
    optional = {name for name, field in model.model_fields.items() if not field.is_required()}
    assert set(defaults) == optional
    for name in optional:
        assert defaults[name] == model.model_fields[name].default, name
