"""drill_evidence_sink (hadrill.sink) and what drill.json records of the launch (hadrill.launch)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from hadrill import launch, sink
from hadrill.config.common import DrillSettings
from hadrill.redact import Redactor


def _values(tmp_path: Path) -> dict[str, str]:
    bundle = tmp_path / "evidence" / "ha_drill_20260101_staging_01"
    bundle.mkdir(parents=True)
    (bundle / "summary.json").write_text("{}\n")
    return sink.values_for(bundle, bundle.name, "staging", "ab" * 32)


def test_placeholders_are_filled_in_each_argument_and_never_split_one(tmp_path):
    values = _values(tmp_path)
    values["bundle"] = str(tmp_path / "a dir with spaces")
    chosen = sink.EvidenceSink(command="rsync -a ${bundle}/ 'drills@bastion:/srv/x y/${environment}/${drill_id}/'")
    assert sink.argv(chosen, values) == ["rsync", "-a", f"{tmp_path}/a dir with spaces/",
                                         "drills@bastion:/srv/x y/staging/ha_drill_20260101_staging_01/"]
    assert sink.location(chosen, values) == "drills@bastion:/srv/x y/staging/ha_drill_20260101_staging_01/"
    explicit = sink.EvidenceSink(command="true", location="s3://drills/${drill_id}/${manifest_sha256}")
    assert sink.location(explicit, values) == f"s3://drills/ha_drill_20260101_staging_01/{'ab' * 32}"


@pytest.mark.parametrize("given,expected", [
    ({"command": "rsync ${bundel} host:"}, "unknown placeholder(s) ['bundel'] in the command"),
    ({"command": "scp 'unclosed ${bundle}"}, "the command cannot be split into arguments"),
    ({"command": "   "}, "expected a command"),
    ({"command": "true", "location": "s3://${bucket}/"}, "unknown placeholder(s) ['bucket'] in the location"),
    ({"command": "true", "timeout_seconds": 0}, "greater than 0"),
    ({"command": "true", "shell": True}, "Extra inputs are not permitted"),
])
def test_a_bad_sink_is_refused_naming_what_is_wrong(given, expected):
    with pytest.raises(ValidationError) as caught:
        DrillSettings.model_validate({"drill_environment": "staging", "drill_environment_class": "staging",
                                      "drill_owner": "x", "drill_evidence_sink": given})
    assert expected in str(caught.value)


def test_an_upload_copies_the_bundle_and_says_where(tmp_path):
    values = _values(tmp_path)
    target = tmp_path / "bastion"
    target.mkdir()
    outcome = sink.upload(sink.EvidenceSink(command="cp -r ${bundle} " + f"{target}/" + "${drill_id}"), values)
    assert outcome["ok"] and outcome["rc"] == 0 and outcome["error"] is None, outcome
    assert (target / "ha_drill_20260101_staging_01" / "summary.json").read_text() == "{}\n"
    assert outcome["location"] == f"{target}/ha_drill_20260101_staging_01"
    assert Path(values["bundle"], "summary.json").exists(), "the bundle stays where it was"


def test_a_failed_upload_is_reported_with_its_output_redacted_and_never_raises(tmp_path):
    values = _values(tmp_path)
    failing = sink.EvidenceSink(command=f"{sys.executable} -c \"import sys; print('token s3cr3t-t0ken-value'); sys.exit(3)\"")
    outcome = sink.upload(failing, values, redact=Redactor(["s3cr3t-t0ken-value"]).text)
    assert not outcome["ok"] and outcome["rc"] == 3 and outcome["error"] == "the upload command exited with 3"
    assert "s3cr3t" not in json.dumps(outcome) and "REDACTED" in outcome["output_tail"]
    missing = sink.upload(sink.EvidenceSink(command="/nonexistent/uploader ${bundle}"), values)
    assert not missing["ok"] and missing["rc"] is None and missing["error"].startswith("the upload command could not run")
    slow = sink.upload(sink.EvidenceSink(command=f"{sys.executable} -c \"import time; print('started', flush=True); "
                                                 "time.sleep(30)\"", timeout_seconds=0.5), values)
    assert not slow["ok"] and slow["error"] == "the upload did not finish within 0.5s" and slow["seconds"] < 30
    assert Path(values["bundle"], "summary.json").exists()


def test_the_awx_job_is_read_from_its_environment_and_extra_variables():
    environ = {"JOB_ID": "42", "PROJECT_REVISION": "abc123", "AWX_HOST": "https://awx.example.com/", "INVENTORY_ID": "7"}
    variables = {"awx_job_id": 42, "awx_user_name": "alice", "awx_job_template_name": "hadrill drill (staging)",
                 "awx_job_launch_type": "workflow", "awx_workflow_job_id": 40, "awx_inventory_name": "hadrill staging"}
    assert launch.awx_job(environ, variables) == {
        "system": "awx", "job_id": 42, "job_template": "hadrill drill (staging)", "launch_type": "workflow",
        "launched_by": "alice", "workflow_job_id": 40, "project_revision": "abc123", "inventory": "hadrill staging",
        "inventory_id": "7", "awx_host": "https://awx.example.com/",
        "job_url": "https://awx.example.com/#/jobs/playbook/42/output"}
    # Older releases name the extra variables tower_*; the environment alone is enough for a job id.
    assert launch.awx_job({}, {"tower_job_id": 5, "tower_user_name": "bob"})["launched_by"] == "bob"
    assert launch.awx_job({"JOB_ID": "6"}, {}) == {"system": "awx", "job_id": "6"}
    assert launch.awx_job({"PROJECT_REVISION": "abc"}, {"awx_user_name": "alice"}) is None  # not an AWX job


def test_the_collection_version_comes_from_the_installed_manifest_else_galaxy_yml(tmp_path):
    installed = tmp_path / "installed"
    installed.mkdir()
    (installed / "MANIFEST.json").write_text(json.dumps({"collection_info": {"namespace": "hadrill", "name": "drills",
                                                                             "version": "1.2.3"}}))
    assert launch.collection_version(installed) == {"name": "hadrill.drills", "version": "1.2.3", "source": "installed"}
    checkout = Path(__file__).resolve().parents[3] / "collection"
    import hadrill

    assert launch.collection_version(checkout) == {"name": "hadrill.drills", "version": hadrill.__version__,
                                                   "source": "checkout"}
    assert launch.collection_version(tmp_path / "nothing") is None
