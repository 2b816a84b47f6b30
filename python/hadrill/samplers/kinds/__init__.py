"""Every sampler kind; importing this package registers them all."""

import importlib

KIND_MODULES = ("http_probe", "advisory_lock", "canary", "backlog", "replica_watch")

for _name in KIND_MODULES:
    try:
        importlib.import_module(f"hadrill.samplers.kinds.{_name}")
    except ModuleNotFoundError as _exc:  # a kind not shipped in this build contributes nothing
        if _exc.name != f"hadrill.samplers.kinds.{_name}":
            raise
