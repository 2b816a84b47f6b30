"""A test's own observer, running in a thread beside a drill: the independent ground truth."""

from __future__ import annotations

import threading


class BackgroundObserver:
    """`with Observer(...) as seen:` runs `observe(stop)` in a daemon thread until the block ends.

    `observe` must return soon after `stop` is set (wait on it between readings), and bound itself
    in time as well: the block's end is not the only way a test can stop.
    """

    join_timeout: float = 15.0

    def observe(self, stop: threading.Event) -> None:
        raise NotImplementedError

    def __enter__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.observe, args=(self._stop,), name=type(self).__name__,
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.join_timeout)
