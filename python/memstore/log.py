"""One JSON object per line on stderr, shared by every memstore process.

JSON lines so the drill and a supervisor log tail can parse them without guessing formats.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from typing import Any

_lock = threading.Lock()


def log(event: str, **fields: Any) -> None:
    record: dict[str, Any] = {
        "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "event": event,
    }
    record.update(fields)
    line = json.dumps(record, default=str, separators=(",", ":"))
    # Request threads log concurrently; a lock keeps lines whole.
    with _lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
