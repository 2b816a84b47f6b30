"""The sampler kinds, one module each, named as its kind; importing a module registers its kind.

A sampler process imports only its own kind's module (``load``): each kind brings its own
dependencies (a database driver, an HTTP client), and every sampler start would pay for all of them.
"""

import importlib

KIND_MODULES = ("http_probe", "advisory_lock", "canary", "backlog", "replica_watch")


def load(kind: str) -> None:
    """Register ``kind`` (nothing for a name that is not a kind: the registry lookup says so)."""
    if kind not in KIND_MODULES:
        return
    try:
        importlib.import_module(f"{__name__}.{kind}")
    except ModuleNotFoundError as exc:  # a kind not shipped in this build contributes nothing
        if exc.name != f"{__name__}.{kind}":
            raise
