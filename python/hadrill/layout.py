"""Where things live inside an evidence bundle, and how its files are written and read.

The rules for a bundle's file system, applied by every writer and reader here:

- Nothing follows a symbolic link. Paths are opened one component at a time below the bundle
  directory with ``O_NOFOLLOW``; a link, FIFO, socket or device where a file or directory is
  expected is an error, never something to write through or read from.
- Files are replaced atomically: written to a temporary file in the same directory, then renamed
  over the old name (a crash leaves the old file or the new one, never a truncated one).
- Modes: raw outputs are sensitive, so nothing in a bundle is readable by others. Directories are
  0750 and files 0640 (the owner reads and writes, the owner's group reads). ``apply_modes`` sets
  them on the whole bundle when it is sealed.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DRILL_ID_PATTERN = re.compile(r"^ha_drill_(?P<date>\d{8})_(?P<environment>[a-z0-9][a-z0-9-]*)_(?P<seq>\d{2,})$")


@dataclass(frozen=True)
class Bundle:
    """The files of one drill's evidence directory."""

    root: Path

    @property
    def drill_id(self) -> str:
        return self.root.name

    @property
    def events(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def drill(self) -> Path:
        """Configuration snapshot and metadata written at drill start (secrets redacted)."""
        return self.root / "drill.json"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    @property
    def report(self) -> Path:
        return self.root / "report.md"

    @property
    def manifest(self) -> Path:
        return self.root / "MANIFEST.sha256"

    @property
    def signatures(self) -> Path:
        """Seal and sign-off statements with their SSH signatures (appended after sealing)."""
        return self.root / SIGNATURES_DIR

    @property
    def journal(self) -> Path:
        return self.root / "journal.jsonl"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def gates(self) -> Path:
        return self.root / "gates"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def records(self) -> Path:
        """Structured results handed over by roles (one JSON file per scenario step)."""
        return self.root / "records"

    def sample_file(self, name: str) -> Path:
        return self.samples / f"{name}.jsonl"


def is_bundle(path: Path) -> bool:
    return path.is_dir() and DRILL_ID_PATTERN.match(path.name) is not None and (path / "drill.json").exists()


SIGNATURES_DIR = "signatures"
DIR_MODE = 0o750
FILE_MODE = 0o640
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafePath(OSError):
    """A path inside a bundle that is not what it must be (a link, a FIFO, a device...)."""


def kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "directory"), (stat.S_ISLNK, "symlink"),
                       (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device")):
        if test(mode):
            return name
    return "special file"


def _parts(relative: str) -> list[str]:
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise UnsafePath(errno.EINVAL, f"not a path inside the bundle: {relative!r}")
    return parts


def open_dir(root: Path, parts: list[str], create: bool = False) -> int:
    """A descriptor of root/parts..., every component a real directory (never a link)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts:
            if create:
                try:
                    os.mkdir(part, DIR_MODE, dir_fd=fd)
                except FileExistsError:
                    pass
            try:
                child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafePath(exc.errno, f"{part} is not a directory (a link or a file); not followed") from None
                raise
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_file(root: Path, relative: str) -> int:
    """Open a regular file of the bundle for reading, without following any link."""
    *dirs, name = _parts(relative)
    dir_fd = open_dir(root, dirs)
    try:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePath(exc.errno, f"{relative} is a symbolic link; not followed") from None
            raise
    finally:
        os.close(dir_fd)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise UnsafePath(errno.EINVAL, f"{relative} is a {kind_of(mode)}, not a regular file")
    return fd


def read_bytes(root: Path, relative: str) -> bytes:
    with os.fdopen(open_file(root, relative), "rb") as handle:
        return handle.read()


def read_text(root: Path, relative: str) -> str:
    return read_bytes(root, relative).decode("utf-8")


def write_bytes(root: Path, relative: str, data: bytes, *, exclusive: bool = False) -> None:
    """Write a bundle file atomically (temporary file, then rename), creating its directories.

    The rename replaces whatever has the name, a symbolic link included, instead of writing
    through it. ``exclusive``: refuse when the name exists (appended records never overwrite).
    """
    *dirs, name = _parts(relative)
    dir_fd = open_dir(root, dirs, create=True)
    try:
        temporary = f".{name}.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), FILE_MODE)
                os.fsync(handle.fileno())
            if exclusive:
                os.link(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
                os.unlink(temporary, dir_fd=dir_fd)
            else:
                os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            try:
                os.unlink(temporary, dir_fd=dir_fd)
            except FileNotFoundError:
                pass
            raise
    finally:
        os.close(dir_fd)


def write_text(root: Path, relative: str, text: str, *, exclusive: bool = False) -> None:
    write_bytes(root, relative, text.encode("utf-8"), exclusive=exclusive)


@dataclass(frozen=True)
class Entry:
    """One name under a bundle directory, as lstat sees it (links are never followed)."""

    path: str  # POSIX, relative to the bundle
    kind: str  # file, directory, symlink, FIFO, socket, ...
    mode: int
    target: str | None = None  # where a symbolic link points (reported, never followed)


def walk(root: Path) -> Iterator[Entry]:
    """Every entry below root, depth first, sorted by name; links are listed, not entered."""

    def visit(directory: Path, prefix: str) -> Iterator[Entry]:
        with os.scandir(directory) as entries:
            children = sorted(entries, key=lambda item: item.name)
        for child in children:
            info = child.stat(follow_symlinks=False)
            kind = kind_of(info.st_mode)
            relative = prefix + child.name
            target = os.readlink(child.path) if kind == "symlink" else None
            yield Entry(relative, kind, stat.S_IMODE(info.st_mode), target)
            if kind == "directory":
                yield from visit(Path(child.path), relative + "/")

    yield from visit(root, "")


def apply_modes(root: Path) -> None:
    """The bundle's mode rule on every directory (0750) and regular file (0640); links untouched."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fchmod(fd, DIR_MODE)
    finally:
        os.close(fd)
    for entry in walk(root):
        if entry.kind == "directory" and entry.mode != DIR_MODE:
            fd = open_dir(root, _parts(entry.path))
            try:
                os.fchmod(fd, DIR_MODE)
            finally:
                os.close(fd)
        elif entry.kind == "file" and entry.mode != FILE_MODE:
            fd = open_file(root, entry.path)
            try:
                os.fchmod(fd, FILE_MODE)
            finally:
                os.close(fd)


def prune_empty_dirs(root: Path) -> list[str]:
    """Remove directories that hold nothing (a bundle lists files; an empty directory says nothing)."""
    removed = []
    for entry in sorted((item for item in walk(root) if item.kind == "directory"), key=lambda item: -item.path.count("/")):
        try:
            os.rmdir(root / entry.path)
        except OSError:
            continue
        removed.append(entry.path)
    return removed
