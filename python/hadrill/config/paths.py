"""The one rule for every path hadrill creates, chowns, chmods, replaces or removes on a host.

hadrill only ever acts on directories (and links) that are its own. A path setting that names
one must therefore be:

- absolute and written in canonical form: no ``.`` or ``..`` component, no empty component
  (``//``), no trailing ``/``, no control character; ``~`` is not expanded (it is relative);
- outside the operating system's own trees, where nothing belongs to a drill: ``/bin``,
  ``/boot``, ``/dev``, ``/etc``, ``/lib`` (and ``/lib32``, ``/lib64``, ``/libx32``), ``/proc``,
  ``/sbin``, ``/sys``, ``/usr`` -- neither one of them nor anything below them;
- not a shared or system directory itself, nor above one: ``/``, ``/home`` and each
  ``/home/<user>``, ``/lost+found``, ``/media``, ``/mnt``, ``/opt``, ``/root``, ``/run``,
  ``/run/user``, ``/snap``, ``/srv``, ``/tmp``, ``/var`` and its standard directories, and
  PostgreSQL's homes ``/var/lib/postgresql`` and ``/var/lib/pgsql``. A dedicated directory
  *below* them (``/srv/hadrill``, ``/var/lib/postgresql/hadrill-restore``) is fine;
- neither at, above nor below a directory of the database: the primary's data directory
  (``db_data_dir``), its WAL archive (``db_wal_archive_dir``), its base backups
  (``db_basebackup_dir``) and the pgBackRest repository (``db_restore_pgbackrest_repo_path``).

Symbolic links on a remote host cannot be seen before the drill runs; on the controller (the
evidence root) the path is also checked with every existing link resolved. A work root that
exists on its host without hadrill's own marker inside is refused at run time by the role.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo

# Operating-system trees: refused, and so is everything below them.
SYSTEM_TREES: tuple[str, ...] = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sbin", "/sys", "/usr",
)
# Shared and system directories: refused themselves (and so is anything above them); a
# dedicated directory below them is fine.
SYSTEM_DIRECTORIES: tuple[str, ...] = (
    "/", "/home", "/lost+found", "/media", "/mnt", "/opt", "/root", "/run", "/run/user", "/snap", "/srv", "/tmp",
    "/var", "/var/backups", "/var/cache", "/var/lib", "/var/local", "/var/lock", "/var/log", "/var/mail",
    "/var/opt", "/var/run", "/var/spool", "/var/tmp", "/var/lib/postgresql", "/var/lib/pgsql",
)
# Directories whose every child is someone's own directory (a user's home).
OWNED_CHILDREN: tuple[str, ...] = ("/home",)

# Validation context key: {label: path} of the database directories no dedicated path may touch.
PROTECTED = "protected_paths"


def canonical_problem(path: str) -> str | None:
    """Why ``path`` is not an absolute path in canonical form, or None."""
    if not isinstance(path, str) or not path:
        return "expected an absolute path, got an empty value"
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        return f"expected a path without control characters, got {path!r}"
    if not path.startswith("/"):
        return f"expected an absolute path, got {path!r}"
    parts = path.split("/")[1:]
    if ".." in parts:
        return f"expected a path without '..' components, got {path!r}"
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    if normal != path:
        return f"expected the path written as {normal!r} (no '.', '//' or trailing '/'), got {path!r}"
    return None


def _inside(path: PurePosixPath, root: PurePosixPath) -> bool:
    """``path`` is ``root`` or below it."""
    return path == root or root in path.parents


def system_problem(path: str) -> str | None:
    """Why the canonical absolute ``path`` is a system location, or None."""
    candidate = PurePosixPath(path)
    if candidate == PurePosixPath("/"):
        return "expected a dedicated directory, got '/', the root of the file system"
    for tree in SYSTEM_TREES:
        if _inside(candidate, PurePosixPath(tree)):
            return f"expected a dedicated directory outside the system tree {tree}, got {path!r}"
    for directory in SYSTEM_DIRECTORIES:
        if _inside(PurePosixPath(directory), candidate):
            what = "is" if candidate == PurePosixPath(directory) else "contains"
            return (f"expected a dedicated directory, got {path!r}, which {what} the system directory {directory} "
                    f"(use a directory of its own below it, e.g. {posixpath.join(directory, 'hadrill')})")
    for directory in OWNED_CHILDREN:
        if candidate.parent == PurePosixPath(directory):
            return f"expected a dedicated directory, got {path!r}, a user's own directory (use one below it)"
    return None


def overlap_problem(path: str, protected: Mapping[str, str]) -> str | None:
    """Why ``path`` is at, above or below one of the ``protected`` directories ({label: path})."""
    candidate = PurePosixPath(path)
    for label, other in protected.items():
        if not isinstance(other, str) or canonical_problem(other) is not None:
            continue
        guarded = PurePosixPath(other)
        if _inside(candidate, guarded) or _inside(guarded, candidate):
            relation = "is" if candidate == guarded else ("is inside" if guarded in candidate.parents else "contains")
            return f"expected a directory apart from the database's directories, got {path!r}, which {relation} {label} {other!r}"
    return None


def dedicated_path_problem(path: Any, protected: Mapping[str, str] | None = None) -> str | None:
    """The one rule: why ``path`` may not be a directory hadrill owns on a host, or None.

    ``protected`` maps a label (the variable and host that name it) to a database directory.
    """
    problem = canonical_problem(path)
    if problem is None:
        problem = system_problem(path)
    if problem is None and protected:
        problem = overlap_problem(path, protected)
    return problem


def controller_path_problem(path: str, protected: Mapping[str, str] | None = None) -> str | None:
    """The rule for a path on the controller: the path as written, then with its links resolved."""
    problem = dedicated_path_problem(path, protected)
    if problem is None:
        resolved = os.path.realpath(path)
        if resolved != path:
            problem = dedicated_path_problem(resolved, protected)
            if problem is not None:
                problem = f"{path!r} resolves (through a symbolic link) to {resolved!r}: {problem}"
    return problem


def protected_paths(values: Mapping[str, Any]) -> dict[str, str]:
    """{label: path} of the database directories among ``values`` (labels are kept as given),
    normalised; values that are not absolute paths are left out (their own validation names them)."""
    found = {}
    for label, value in values.items():
        if isinstance(value, str) and value.startswith("/") and "\x00" not in value:
            found[label] = posixpath.normpath(value)
    return found


def _dedicated(value: str | None, info: ValidationInfo) -> str | None:
    if value is None:
        return value
    protected = (info.context or {}).get(PROTECTED) if info.context else None
    problem = dedicated_path_problem(value, protected)
    if problem:
        raise ValueError(problem)
    return value


# A path hadrill creates, chowns, chmods, replaces or removes: every such setting has this type.
DedicatedPath = Annotated[str, AfterValidator(_dedicated)]
