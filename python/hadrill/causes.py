"""The line of a log or an error output that names why something failed.

A message that quotes the first line of a failure ("Traceback (most recent call last):") hides
its cause. The cause is the exception line that ends a Python traceback (the last traceback's,
when exceptions are chained) or the last FATAL or PANIC line of a PostgreSQL server log. The
full text goes into the evidence bundle; messages quote this line.
"""

from __future__ import annotations

import re

TRACEBACK_START = "Traceback (most recent call last):"
# A frame of a traceback is indented ("  File ...", "    code", "    ^^^^"); the exception line is not.
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(: .*)?$")
_POSTGRES = re.compile(r"\b(FATAL|PANIC):\s")
# Connection attempts while a server starts are refused with a FATAL line each: not the cause.
POSTGRES_STARTUP_NOISE = ("the database system is starting up", "not yet accepting connections")


def traceback_cause(text: str) -> str | None:
    """The exception line of the last Python traceback in ``text`` (None without a complete one)."""
    lines = text.splitlines()
    starts = [index for index, line in enumerate(lines) if line.rstrip().endswith(TRACEBACK_START)]
    if not starts:
        return None
    for line in lines[starts[-1] + 1:]:
        if not line.strip() or line[:1].isspace():
            continue
        stripped = line.strip()
        return stripped if _EXCEPTION.match(stripped) else None
    return None


def postgres_cause(text: str) -> str | None:
    """The server's own last FATAL or PANIC line, from the severity on (None when it logged none)."""
    causes = [line.strip() for line in text.splitlines()
              if _POSTGRES.search(line) and not any(noise in line for noise in POSTGRES_STARTUP_NOISE)]
    if not causes:
        return None
    line = causes[-1]
    return line[_POSTGRES.search(line).start():]


def cause_line(text: str) -> str | None:
    """Why it failed, in the text's own words: a traceback's exception line, else a server's
    FATAL/PANIC line; None when the text names no cause this recognises."""
    if not text:
        return None
    return traceback_cause(text) or postgres_cause(text)


def explain(message: str, text: str) -> str:
    """``message`` with the cause line of ``text`` after it, unless the message already quotes it."""
    cause = cause_line(text)
    if not cause or cause in message:
        return message
    # "...: Traceback (most recent call last):" quotes the first line of the traceback: replace it.
    if message.rstrip().endswith(TRACEBACK_START):
        message = message.rstrip()[:-len(TRACEBACK_START)].rstrip().rstrip(":").rstrip()
    return f"{message}: {cause}" if message else cause
