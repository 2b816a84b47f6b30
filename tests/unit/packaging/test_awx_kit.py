"""The AWX job template kit (awx/): its survey specs are valid AWX surveys whose answers hadrill
accepts, and every awx.awx task's arguments exist in that module's argument spec."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError, field_validator, model_validator

from hadrill.config.common import DrillSettings
from hadrill.config.guard import ALWAYS_FROM_INVENTORY, PRODUCTION_FROM_INVENTORY, production_guard
from hadrill.signoff import SignoffRefused, check_text

REPO = Path(__file__).resolve().parents[3]
KIT = REPO / "awx"
SPECS = yaml.safe_load((Path(__file__).parent / "awx_argument_specs.yml").read_text())
# The ansible-core under test (make test-compat runs these tests with 2.16).
BIN = Path(sys.executable).parent


# --- AWX's survey format --------------------------------------------------------------------
# From github.com/ansible/awx (commit e21dd0a0933fd544d1fe2513c54fe41203775eb5):
# awx/api/views/__init__.py, JobTemplateSurveySpec._validate_spec_data (what the API accepts as a
# survey_spec), awx/main/constants.py SURVEY_TYPE_MAPPING (question types and default types), and
# awx/main/models/mixins.py SurveyJobTemplateMixin._survey_element_validation (how an answer, or
# a default that AWX applies, is judged).
SURVEY_TYPE_MAPPING: dict[str, tuple[type, ...]] = {
    "text": (str,), "textarea": (str,), "password": (str,), "multiplechoice": (str,), "multiselect": (str,),
    "integer": (int,), "float": (float, int),
}


def _lines(value: str | list[str]) -> list[str]:
    return [line for line in value.splitlines() if line.strip()] if isinstance(value, str) else list(value)


class SurveyQuestion(BaseModel):
    model_config = ConfigDict(extra="allow")  # the API stores any further keys (question_description...)

    type: Literal["text", "textarea", "password", "multiplechoice", "multiselect", "integer", "float"]
    question_name: StrictStr
    variable: StrictStr
    required: StrictBool
    default: Any = None
    choices: str | list[str] | None = None
    min: int | None = None
    max: int | None = None

    @field_validator("min", "max", mode="before")
    @classmethod
    def _integer_limits(cls, value: Any) -> Any:
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValueError("expected to be integer")
        return value

    @model_validator(mode="after")
    def _type_rules(self) -> SurveyQuestion:
        if self.default not in (None, "") and not isinstance(self.default, SURVEY_TYPE_MAPPING[self.type]):
            raise ValueError(f"default {self.default!r} does not fit type {self.type}")
        if isinstance(self.default, str) and self.default.startswith("$encrypted$"):
            raise ValueError("$encrypted$ is a reserved keyword")
        if self.type in ("multiplechoice", "multiselect"):
            if self.choices is None:
                raise ValueError(f"type {self.type} must specify choices")
            if self.default is not None:
                defaults = _lines(self.default)
                if self.type == "multiplechoice" and len(defaults) > 1:
                    raise ValueError("multiplechoice can only have one default value")
                if any(item not in _lines(self.choices) for item in defaults):
                    raise ValueError("default choice must be answered from the choices listed")
        return self

    def answer_errors(self, value: Any) -> list[str]:
        """_survey_element_validation for one answer (or default)."""
        if self.type in ("text", "textarea", "password"):
            if not isinstance(value, str):
                return ["expected a string"]
            if self.min not in (None, "") and len(value) < int(self.min):
                return ["too short"]
            if self.max not in (None, "") and len(value) > int(self.max):
                return ["too long"]
        elif self.type == "multiselect":
            if not isinstance(value, list):
                return ["expected a list"]
            return [f"{item!r} not a choice" for item in value if item not in _lines(self.choices or [])]
        elif self.type == "multiplechoice":
            return [] if value in _lines(self.choices or []) else [f"{value!r} not a choice"]
        return []


class SurveySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: StrictStr
    description: StrictStr
    spec: list[SurveyQuestion]

    @field_validator("spec")
    @classmethod
    def _questions(cls, value: list[SurveyQuestion]) -> list[SurveyQuestion]:
        if not value:
            raise ValueError("'spec' doesn't contain any items")
        variables = [question.variable for question in value]
        if len(set(variables)) != len(variables):
            raise ValueError(f"duplicated variable in {variables}")
        return value


def _survey(name: str) -> SurveySpec:
    return SurveySpec.model_validate(yaml.safe_load((KIT / "surveys" / name).read_text()))


@pytest.mark.parametrize("bad, message", [
    ({"name": "s", "description": "", "spec": []}, "any items"),
    ({"name": "s", "description": "", "spec": [{"type": "text", "question_name": "q", "variable": "v"}]}, "required"),
    ({"name": "s", "description": "", "spec": [{"type": "date", "question_name": "q", "variable": "v", "required": True}]}, "type"),
    ({"name": "s", "description": "", "spec": [{"type": "multiselect", "question_name": "q", "variable": "v", "required": True}]}, "choices"),
    ({"name": "s", "description": "", "spec": [{"type": "multiplechoice", "question_name": "q", "variable": "v", "required": True,
                                                  "choices": ["a", "b"], "default": "a\nb"}]}, "one default"),
    ({"name": "s", "description": "", "spec": [{"type": "integer", "question_name": "q", "variable": "v", "required": True,
                                                  "default": "1"}]}, "does not fit"),
    ({"name": "s", "description": "", "spec": [{"type": "text", "question_name": "q", "variable": "v", "required": True},
                                                {"type": "text", "question_name": "r", "variable": "v", "required": True}]}, "duplicated"),
])
def test_the_survey_model_refuses_what_awx_refuses(bad, message):
    with pytest.raises(ValidationError, match=message):
        SurveySpec.model_validate(bad)


SURVEYS = ["drill.yml", "drill-production.yml", "signoff.yml"]


@pytest.mark.parametrize("name", SURVEYS)
def test_each_survey_is_a_valid_awx_survey_spec(name):
    survey = _survey(name)
    for question in survey.spec:
        if question.default is not None:  # AWX applies a default only when it validates
            value = _lines(question.default) if question.type == "multiselect" else question.default
            assert question.answer_errors(value) == [], (question.variable, question.default)


@pytest.mark.parametrize("name", ["drill.yml", "drill-production.yml"])
def test_every_drill_survey_answer_is_a_setting_hadrill_accepts_as_an_extra_var(name):
    survey = _survey(name)
    fields = set(DrillSettings.model_fields)
    base = {"drill_environment": "staging", "drill_environment_class": "staging", "drill_owner": "inventory-owner"}
    for question in survey.spec:
        assert question.variable in fields, question.variable
        assert question.variable not in ALWAYS_FROM_INVENTORY + PRODUCTION_FROM_INVENTORY
        if question.type == "multiselect":
            choices = _lines(question.choices or [])
            answers: list[Any] = [choices, choices[:1], choices[-1:]]
        elif question.type == "multiplechoice":
            answers = _lines(question.choices or [])
        elif question.variable in ("drill_id", "drill_confirm_id"):
            answers = ["ha_drill_20260101_staging_01"]
        else:
            answers = ["alice", "alice, bob"] if question.min in (None, 0) or question.min <= 5 else []
        for answer in answers:
            assert question.answer_errors(answer) == []
            DrillSettings.model_validate({**base, question.variable: answer})  # raises on a refused answer


def test_the_scenarios_question_offers_exactly_hadrills_scenarios():
    from hadrill.config.common import SCENARIOS

    question = next(q for q in _survey("drill.yml").spec if q.variable == "drill_scenarios")
    assert question.type == "multiselect" and _lines(question.choices or []) == list(SCENARIOS)
    settings = DrillSettings.model_validate({"drill_environment": "s", "drill_environment_class": "staging",
                                             "drill_owner": "o", "drill_scenarios": ["replay", "restore"]})
    assert settings.drill_scenarios == ["restore", "replay"]


def test_the_production_survey_asks_for_hadrills_opt_in_and_passes_its_guard():
    plain = {question.variable for question in _survey("drill.yml").spec}
    production = {question.variable: question for question in _survey("drill-production.yml").spec}
    assert plain <= set(production)
    for name in ("drill_allow_production", "drill_id", "drill_confirm_id"):
        assert production[name].required, name
    assert "default" not in (KIT / "surveys" / "drill-production.yml").read_text().split("drill_allow_production")[1].split(
        "variable:")[0]  # the opt-in is never pre-answered
    today = datetime.now(timezone.utc).date()
    drill_id = f"ha_drill_{today:%Y%m%d}_prod_01"
    answers = {"drill_scenarios": ["restore"], "drill_owner": "alice", "drill_allow_production": "yes",
               "drill_id": drill_id, "drill_confirm_id": drill_id}
    for variable, answer in answers.items():
        assert production[variable].answer_errors(answer) == [], variable
    settings = DrillSettings.model_validate({"drill_environment": "prod", "drill_environment_class": "production", **answers})
    assert production_guard(settings, today) == []
    refused = DrillSettings.model_validate({"drill_environment": "prod", "drill_environment_class": "production",
                                            **answers, "drill_allow_production": "no"})
    assert any("drill_allow_production" in problem for problem in production_guard(refused, today))


def test_the_signoff_survey_limits_are_hadrills():
    questions = {question.variable: question for question in _survey("signoff.yml").spec}
    assert set(questions) == {"drill_id", "signoff_role", "signoff_note"}
    for variable, field in (("signoff_role", "role"), ("signoff_note", "note")):
        limit = questions[variable].max
        assert limit is not None
        check_text(field, "x" * limit, limit)
        with pytest.raises(SignoffRefused):
            check_text(field, "x" * (limit + 1), limit)
    source = (REPO / "python" / "hadrill" / "cli.py").read_text()
    assert f'check_text("role", args.role, {questions["signoff_role"].max})' in source
    assert f'check_text("note", args.note, {questions["signoff_note"].max})' in source


# --- the awx.awx tasks ------------------------------------------------------------------------
def _kit_tasks() -> list[dict[str, Any]]:
    from ansible.parsing.dataloader import DataLoader

    plays = DataLoader().load_from_file(str(KIT / "configure.yml"))
    return [task for play in plays for task in play["tasks"]]


def _templated(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def _argument_problems(module: str, arguments: dict[str, Any]) -> list[str]:
    spec = {**SPECS["_auth"], **SPECS[module]}
    names = {alias: name for name, option in spec.items() for alias in [name, *option.get("aliases", [])]}
    problems = [f"{module}: unknown argument {key}" for key in arguments if key not in names]
    given = {names[key] for key in arguments if key in names}
    problems += [f"{module}: missing required {name}" for name, option in spec.items()
                 if option.get("required") and name not in given]
    for key, value in arguments.items():
        option = spec.get(names.get(key, ""), {})
        if "choices" in option and not _templated(value) and value not in option["choices"]:
            problems.append(f"{module}: {key}={value!r} not in {option['choices']}")
        kind = option.get("type")
        if not _templated(value):
            expected = {"dict": dict, "list": list, "bool": bool, "int": int}.get(kind or "")
            if expected and not isinstance(value, expected):
                problems.append(f"{module}: {key} should be a {kind}, got {value!r}")
    rules = SPECS["_rules"].get(module, {})
    for group in rules.get("mutually_exclusive", []):
        if len([name for name in group if name in given]) > 1:
            problems.append(f"{module}: {group} are mutually exclusive")
    if "approval_node" in arguments:
        suboptions = rules["approval_node_suboptions"]
        problems += [f"{module}: approval_node.{key} unknown" for key in arguments["approval_node"] if key not in suboptions]
        problems += [f"{module}: approval_node.{key} missing" for key, option in suboptions.items()
                     if option.get("required") and key not in arguments["approval_node"]]
    return problems


def test_every_awx_task_uses_only_arguments_of_its_modules_spec():
    used = set()
    problems: list[str] = []
    for task in _kit_tasks():
        modules = [key for key in task if key.startswith("awx.awx.")]
        if not modules:
            continue
        (module,) = modules
        name = module.split(".")[-1]
        used.add(name)
        problems += _argument_problems(name, dict(task[module]))
    assert problems == []
    assert used == set(SPECS) - {"_auth", "_rules"}  # every transcribed spec is used, none is missing


def test_the_argument_check_finds_a_wrong_argument():
    assert _argument_problems("job_template", {"name": "x", "survey": {}}) == ["job_template: unknown argument survey"]
    assert _argument_problems("inventory", {"name": "x"}) == ["inventory: missing required organization"]
    assert _argument_problems("project", {"name": "x", "scm_type": "hg"}) == [
        "project: scm_type='hg' not in ['manual', 'git', 'svn', 'insights', 'archive']"]
    assert _argument_problems("workflow_job_template_node", {"identifier": "a", "workflow_job_template": "w",
                                                             "unified_job_template": "j", "approval_node": {"name": "n"}})


def test_the_job_templates_name_playbooks_and_surveys_of_this_project():
    playbooks = set()
    for task in _kit_tasks():
        arguments = task.get("awx.awx.job_template")
        if arguments:
            playbooks.add(arguments["playbook"])
            assert (REPO / arguments["playbook"]).is_file(), arguments["playbook"]
    assert playbooks == {"playbooks/drill.yml", "playbooks/recover.yml", "awx/playbooks/signoff.yml"}
    text = (KIT / "configure.yml").read_text()
    for survey in SURVEYS:
        assert f"'{survey}'" in text or f"surveys/{survey}'" in text, survey


def _syntax_check(playbook: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", str(playbook)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_signoff_playbook_passes_syntax_check():
    result = _syntax_check(KIT / "playbooks" / "signoff.yml", {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")})
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_kit_passes_syntax_check_where_awx_awx_is_installed():
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    listed = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "list", "awx.awx"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    if "awx.awx" not in listed.stdout:
        pytest.skip("awx.awx is not installed here (ansible-galaxy collection install awx.awx); "
                    "its arguments are checked against the transcribed argument specs above")
    assert shutil.which("ansible-playbook", path=str(BIN))
    result = _syntax_check(KIT / "configure.yml", env)
    assert result.returncode == 0, result.stdout + result.stderr
