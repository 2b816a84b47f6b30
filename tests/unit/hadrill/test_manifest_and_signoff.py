from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill import manifest
from hadrill.signoff import BundleTampered, check, sign
from hadrill.summary import Preconditions, Summary


def make_bundle(root: Path) -> Path:
    bundle = root / "ha_drill_20261128_staging_01"
    (bundle / "samples").mkdir(parents=True)
    (bundle / "drill.json").write_text(json.dumps({"drill_id": bundle.name}))
    (bundle / "events.jsonl").write_text('{"event":"marker","name":"incident","ts":"x","mono":1.0}\n')
    (bundle / "samples" / "probe.jsonl").write_text('{"seq":0}\n')
    summary = Summary(drill_id=bundle.name, environment="staging", environment_class="staging", date="2026-11-28",
                      owner="oncall", started_at=None, finished_at=None, duration_s=None, run_status="completed",
                      result="pass", preconditions=Preconditions(outcome="pass"))
    (bundle / "summary.json").write_text(summary.model_dump_json())
    (bundle / "report.md").write_text("# report\n")
    manifest.write_manifest(bundle)
    return bundle


def test_a_sealed_bundle_verifies(tmp_path):
    bundle = make_bundle(tmp_path)
    assert manifest.verify(bundle).ok
    assert check(bundle).ok


@pytest.mark.parametrize("name", ["drill.json", "events.jsonl", "samples/probe.jsonl", "summary.json", "report.md"])
def test_changing_one_byte_of_any_file_is_named(tmp_path, name):
    bundle = make_bundle(tmp_path)
    path = bundle / name
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))
    result = manifest.verify(bundle)
    assert not result.ok and result.changed == [name]
    with pytest.raises(BundleTampered) as caught:
        sign(bundle, by="alice")
    assert f"changed: {name}" in caught.value.problems


def test_added_and_missing_files_are_named(tmp_path):
    bundle = make_bundle(tmp_path)
    (bundle / "samples" / "extra.jsonl").write_text("{}\n")
    (bundle / "report.md").unlink()
    result = manifest.verify(bundle)
    assert result.added == ["samples/extra.jsonl"] and result.missing == ["report.md"]


def test_missing_manifest_is_reported(tmp_path):
    bundle = make_bundle(tmp_path)
    (bundle / "MANIFEST.sha256").unlink()
    assert "MANIFEST.sha256 is missing" in manifest.verify(bundle).problems()[0]


def test_manifest_matches_sha256sum_format(tmp_path):
    bundle = make_bundle(tmp_path)
    lines = (bundle / "MANIFEST.sha256").read_text().splitlines()
    digest, name = lines[0].split("  ")
    assert len(digest) == 64 and not name.startswith("/")


def test_signatures_chain_and_refresh_the_report(tmp_path):
    bundle = make_bundle(tmp_path)
    first = sign(bundle, by="alice", role="sre-lead", note="tighten alert thresholds")
    second = sign(bundle, by="bob")
    state = check(bundle)
    assert state.ok, state.problems
    assert second["verified_manifest_sha256"] == first["manifest_sha256"]
    report = (bundle / "report.md").read_text()
    assert "`alice` (sre-lead), `bob`" in report
    assert "alice: tighten alert thresholds" in report


def test_resealing_after_a_signature_is_detected(tmp_path):
    bundle = make_bundle(tmp_path)
    sign(bundle, by="alice")
    (bundle / "summary.json").write_text((bundle / "summary.json").read_text().replace('"pass"', '"fail"'))
    manifest.write_manifest(bundle)
    state = check(bundle)
    assert not state.ok
    assert any("after the last signature" in item for item in state.problems)
    with pytest.raises(BundleTampered):
        sign(bundle, by="mallory")
