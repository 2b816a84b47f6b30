"""Append-only JSON-lines files (no third-party imports: the timer callback loads this)."""

from __future__ import annotations

import functools
import json
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

FILE_MODE = 0o640  # the bundle's file mode (hadrill.layout.FILE_MODE)


class MalformedLine(ValueError):
    """A line of a JSON-lines file that no hadrill writer produced: not text, not JSON, not an object."""

    def __init__(self, path: Path, number: int, reason: str):
        self.path, self.number, self.reason = path, number, reason
        super().__init__(f"{path} line {number}: {reason}")


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type (for messages)."""
    if isinstance(value, bool):
        return "boolean"
    names = {dict: "object", list: "array", str: "string", int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def line_encoder() -> Callable[[Any], str]:
    """What ``json.dumps(record, separators=(",", ":"), default=str)`` writes, from one encoder made
    once: ``json.dumps`` builds a new encoder for every record. The timer callback writes a line
    per task from ansible-playbook's own process, where every object touched after a worker fork
    costs a page copy; building the encoder touched about as many as encoding the record."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - a Python without the json module's C speedups
        return functools.partial(json.dumps, separators=(",", ":"), default=str)
    # The arguments json.JSONEncoder(separators=(",", ":"), default=str, check_circular=False)
    # hands it: no circular check (a record is plain data), key and item separators, no sorting,
    # no skipped keys, NaN allowed, strings escaped to ASCII.
    encode = make(None, str, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)
    return lambda record: "".join(encode(record, 0))


def append_line(path: Path, record: Mapping[str, Any]) -> None:
    """Append one JSON record as one line, atomically with respect to other appenders.

    Never through a symbolic link (``O_NOFOLLOW``): a link planted in a bundle is not written through.
    """
    appender = Appender(path)
    try:
        appender.append(record)
    finally:
        appender.close()


class Appender:
    """One JSON-lines file opened once for many appends (the timer callback writes a line per
    task): each record is one ``write`` on an ``O_APPEND`` descriptor, so it reaches the file as
    it happens and stays atomic with respect to other appenders. Opened never through a symbolic
    link, and only onto a regular file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._encode = line_encoder()
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                                       FILE_MODE)
        if not stat.S_ISREG(os.fstat(self._fd).st_mode):
            self.close()
            raise OSError(f"{path} is not a regular file; not appended to")

    def append(self, record: Mapping[str, Any]) -> None:
        self.write_line(self._encode(record))

    def write_line(self, text: str) -> None:
        """One line already encoded: a JSON object's text (the timer callback formats its task lines)."""
        if self._fd is None:
            raise ValueError(f"{self.path} is closed")
        os.write(self._fd, (text + "\n").encode())

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    """Yield every JSON object line.

    A torn line (a record cut short by a crash mid-write: the start of a JSON object) is skipped.
    Anything else that is not a JSON object (binary data, an array, a number) raises
    ``MalformedLine`` naming the file and line: hadrill never wrote it.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise MalformedLine(path, 0, "not a regular file")
        for number, raw in enumerate(handle, 1):
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                raise MalformedLine(path, number, "binary data, not UTF-8 text") from None
            if not text:
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                if text.startswith("{"):
                    continue  # torn by a crash mid-write
                raise MalformedLine(path, number, "not JSON") from None
            if not isinstance(value, dict):
                raise MalformedLine(path, number, f"a JSON {json_type(value)}, expected an object")
            yield value
