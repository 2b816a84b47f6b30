"""ansible-playbook, in this process, with a clock on what one callback plugin costs inside the run.

Usage: ``python -m tests.support.callback_clock <report.json> <callback name> <ansible-playbook args...>``

The timer benchmark's wall-clock ratio moves with the shared machine (one run can be 10 % off the
next); a share of the same run does not, since the part and the whole see the same machine. This
adds up, with ``time.perf_counter``, the time the plugin's hooks take and the time ansible-core
takes to make the plugin its own copy of each task result (``as_callback_task_result``, made just
before the hook is called, for every plugin that implements it), and writes both with the number
of hooks called to ``report.json`` when the playbook ends. Indirect costs (a larger process for
every worker fork, garbage collection) are not in it: the benchmark's wall-clock ratio is.

Needs ansible-core 2.19 or later (the copies are ``_RawTaskResult.as_callback_task_result``).
Every side of the benchmark runs through this driver, with or without the plugin enabled, so the
clock's own cost (two readings per result copy) is on both sides.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path
from typing import Any


class CallbackClock:
    def __init__(self, callback_name: str) -> None:
        self.callback_name = callback_name
        self.hook_seconds = 0.0
        self.copy_seconds = 0.0
        self.hooks = 0
        self.clocked: list[Any] = []
        self._last_copy = 0.0  # the copy made for the plugin called next (ansible-core copies, then calls)

    def timed_copy(self, copy: Any) -> Any:
        @functools.wraps(copy)
        def wrapper(result: Any) -> Any:
            started = time.perf_counter()
            try:
                return copy(result)
            finally:
                self._last_copy = time.perf_counter() - started

        return wrapper

    def timed_hook(self, hook: Any, result_type: type) -> Any:
        @functools.wraps(hook)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if any(isinstance(arg, result_type) for arg in args):
                self.copy_seconds += self._last_copy
            started = time.perf_counter()
            try:
                return hook(*args, **kwargs)
            finally:
                self.hook_seconds += time.perf_counter() - started
                self.hooks += 1

        return wrapper

    def install(self) -> None:
        from ansible.executor import task_result
        from ansible.executor.task_queue_manager import TaskQueueManager

        raw = task_result._RawTaskResult
        raw.as_callback_task_result = self.timed_copy(raw.as_callback_task_result)
        load_callbacks = TaskQueueManager.load_callbacks
        clock = self

        def load_and_clock(tqm: Any) -> Any:
            loaded = load_callbacks(tqm)
            for plugin in tqm._callback_plugins:
                # load_callbacks runs for every play; a plugin is clocked once.
                if getattr(plugin, "CALLBACK_NAME", None) != clock.callback_name or plugin in clock.clocked:
                    continue
                clock.clocked.append(plugin)
                for name in plugin._implemented_callback_methods:
                    setattr(plugin, name, clock.timed_hook(getattr(plugin, name), task_result.CallbackTaskResult))
            return loaded

        TaskQueueManager.load_callbacks = load_and_clock

    def report(self) -> dict[str, Any]:
        return {"callback": self.callback_name, "hook_seconds": self.hook_seconds, "copy_seconds": self.copy_seconds,
                "hooks": self.hooks}


def main(argv: list[str]) -> int:
    report_path, callback_name, playbook_args = Path(argv[0]), argv[1], argv[2:]
    from ansible.cli.playbook import PlaybookCLI  # first, as ansible-playbook itself imports it

    clock = CallbackClock(callback_name)
    clock.install()

    try:
        PlaybookCLI.cli_executor(["ansible-playbook", *playbook_args])  # ends with sys.exit
    except SystemExit as exited:
        return int(exited.code or 0)
    finally:
        report_path.write_text(json.dumps(clock.report()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
