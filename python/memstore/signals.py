"""Stop requests (SIGTERM/SIGINT) recorded from the very start of the process.

Installed by __main__ before the slow imports (psycopg takes ~0.4 s), so a supervisor that
stops a process right after starting it still gets a clean exit 0 instead of a kill.
Handlers only record the signal; the long-running commands poll `stop_requested()` and shut
down in their own time (finishing in-flight work).
"""

from __future__ import annotations

import signal
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_received: list[int] = []


def _record(signum: int, _frame: FrameType | None) -> None:
    _received.append(signum)


def install() -> None:
    for sig in STOP_SIGNALS:
        signal.signal(sig, _record)


def stop_requested() -> int | None:
    """The first stop signal received, if any."""
    return _received[0] if _received else None


def restore_defaults() -> None:
    """For short commands (migrate, gate): Ctrl-C should simply interrupt them.

    A signal that arrived while the handlers were ours is re-delivered now.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if _received:
        signal.raise_signal(_received[0])


def name(signum: int | None) -> str | None:
    return signal.Signals(signum).name if signum is not None else None
