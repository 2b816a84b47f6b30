"""Issue 12 item 5 on a bundle sealed by the real finalize: every forgery is caught by
`hadrill verify --allowed-signers` with a one-line reason and exit 1 (the same forgeries run on a
real drill's bundle in tests/integration/evidence)."""

from __future__ import annotations

import pytest

from hadrill.verify import verify
from tests.support.forgery import FORGERIES, assert_caught


def test_the_untouched_bundle_verifies(signed, keys):
    result = verify(signed, allowed_signers=keys.allowed_signers)
    assert result.ok, result.problems


@pytest.mark.parametrize("forgery", FORGERIES)
def test_every_forgery_is_caught(signed, keys, other_signed, forgery):
    reason = FORGERIES[forgery](signed, keys, other_signed)
    assert_caught(signed, keys, reason)


def test_an_edited_summary_is_caught_without_any_signature(unsigned):
    """Re-derivation catches an edited, re-hashed figure even in an unsigned bundle."""
    from tests.support.forgery import edit_a_figure_and_rehash, rehash

    reason = edit_a_figure_and_rehash(unsigned, None, None)
    (unsigned / "signatures" / "seal-01.json").unlink()  # and no seal statement to compare the manifest with
    rehash(unsigned)
    problems = verify(unsigned).problems
    assert any(reason in line and "re-derived" in line for line in problems), problems


def test_an_edited_report_is_caught_by_its_rendering(unsigned):
    from tests.support.forgery import rehash

    report = unsigned / "report.md"
    report.write_text(report.read_text().replace("1. Drill result: `pass`", "1. Drill result: `pass` (signed by the CTO)"))
    rehash(unsigned)
    problems = verify(unsigned).problems
    assert any(line.startswith("report.md differs from its rendering of the re-derived summary") and "CTO" in line
               for line in problems), problems
