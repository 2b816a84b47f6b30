"""memstore: the rehearsal target service of hadrill.

A small memory service with the shape of a production split service: PostgreSQL schema with
versioned migrations, an HTTP API, and an outbox worker that builds a derived index.
"""

__all__ = ["__version__"]

# The code version is not the release version: releases are copies of this package plus a
# release.json manifest, and the manifest decides what a running process calls itself.
__version__ = "0.3.0"
