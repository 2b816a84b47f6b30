"""What launched a drill, for drill.json: the AWX job (when AWX runs it) and the collection version.

AWX gives ansible-playbook the environment variables ``JOB_ID``, ``INVENTORY_ID``,
``PROJECT_REVISION`` and ``AWX_HOST`` (awx/main/tasks/jobs.py, ``RunJob.build_env``) and adds
extra variables about the job (``awx_job_id``, ``awx_user_name``, ``awx_job_template_name``,
``awx_project_revision``, ... from ``UnifiedJob.awx_meta_vars``; older releases name them
``tower_*``). Only what is there is recorded; a run outside AWX records no job.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# drill.json's launch key -> the extra variable (awx_*, then tower_*) and the environment variable.
FIELDS: dict[str, tuple[str | None, str | None]] = {
    "job_id": ("job_id", "JOB_ID"),
    "job_template": ("job_template_name", None),
    "launch_type": ("job_launch_type", None),
    "launched_by": ("user_name", None),
    "schedule": ("schedule_name", None),
    "workflow_job_id": ("workflow_job_id", None),
    "project_revision": ("project_revision", "PROJECT_REVISION"),
    "inventory": ("inventory_name", None),
    "inventory_id": ("inventory_id", "INVENTORY_ID"),
    "awx_host": (None, "AWX_HOST"),
}


def awx_job(environ: Mapping[str, str], variables: Mapping[str, Any]) -> dict[str, Any] | None:
    """The AWX job running this drill, or None outside AWX (no job id anywhere)."""
    found: dict[str, Any] = {}
    for key, (variable, env_name) in FIELDS.items():
        value: Any = None
        if variable:
            value = next((variables[f"{prefix}_{variable}"] for prefix in ("awx", "tower")
                          if variables.get(f"{prefix}_{variable}") not in (None, "")), None)
        if value in (None, "") and env_name:
            value = environ.get(env_name) or None
        if value not in (None, ""):
            found[key] = value if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    if "job_id" not in found:
        return None
    if found.get("awx_host"):
        found["job_url"] = f"{str(found['awx_host']).rstrip('/')}/#/jobs/playbook/{found['job_id']}/output"
    return {"system": "awx", **found}


def collection_version(collection_dir: Path) -> dict[str, str] | None:
    """The hadrill.drills collection's version: MANIFEST.json of an installed collection (``source``
    installed), else galaxy.yml of a checkout (``source`` checkout); None when neither is there."""
    try:
        info = json.loads((collection_dir / "MANIFEST.json").read_text(encoding="utf-8"))["collection_info"]
        return {"name": f"{info['namespace']}.{info['name']}", "version": str(info["version"]), "source": "installed"}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    import yaml

    try:
        galaxy = yaml.safe_load((collection_dir / "galaxy.yml").read_text(encoding="utf-8"))
        return {"name": f"{galaxy['namespace']}.{galaxy['name']}", "version": str(galaxy["version"]), "source": "checkout"}
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        return None
