"""The AWX job tests install what an execution environment holds: scripts/build-dist's wheel and
collection tarball, the packaging tests' own build (tests/integration/distribution/conftest.py)."""

from tests.integration.distribution.conftest import dist, packaging_root  # noqa: F401
