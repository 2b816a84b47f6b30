"""Sealing again after recovery: each seal is its own statement, the last one names the manifest."""

from __future__ import annotations

from hadrill.finalize import finalize
from hadrill.verify import verify


def test_a_recovery_reseal_is_signed_again_and_named(signed, keys):
    (signed / "MANIFEST.sha256").unlink()  # what hadrill recover does before it undoes and re-seals
    summary, _ = finalize(signed, sealed_by="hadrill recover", reason="recovery undid 1 of 1 open action(s)")
    assert summary.seal is not None and summary.seal.number == 2 and summary.seal.signing is not None
    result = verify(signed, allowed_signers=keys.allowed_signers)
    assert result.ok, result.problems
    assert [line.what for line in result.signatures] == ["seal 1", "seal 2"]
    assert result.notes == ["re-sealed: seal 2 by hadrill recover (recovery undid 1 of 1 open action(s)); earlier seals: 1"]
    assert "Seal 2 (hadrill recover: recovery undid 1 of 1 open action(s)" in (signed / "report.md").read_text()


def test_a_reseal_without_the_drill_key_after_a_signed_seal_fails_verification(signed, keys):
    (signed / "MANIFEST.sha256").unlink()
    finalize(signed, sealed_by="hadrill report --reseal", signing_key=None)
    problems = verify(signed, allowed_signers=keys.allowed_signers).problems
    assert problems == ["signatures/seal-02.json: seal 2 (hadrill report --reseal) is unsigned, yet seal 1 was signed: "
                        "the bundle changed after the drill key signed it",
                        "unsigned: the seal has no signature, so there is nothing to check against the allowed signers"]
