"""Fixtures of the evidence tests: tests/support/recording.py (a recorded drill, sealed by the real
finalize; real SSH keys)."""

from tests.support.recording import _signed_template, keys, other_signed, recorded, signed, unsigned  # noqa: F401
