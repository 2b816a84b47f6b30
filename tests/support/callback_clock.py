"""ansible-playbook, in this process, with a clock on what one callback plugin costs inside the run.

Usage: ``python -m tests.support.callback_clock <report.json> <callback name> <ansible-playbook args...>``

The timer benchmark's wall-clock ratio moves with the shared machine (one run can be 10 % off the
next); a share of the same run does not, since the part and the whole see the same machine. This
adds up the time the plugin's hooks take and the time ansible-core takes to make the plugin its
own copy of each task result (``as_callback_task_result``, made just before the hook is called,
for every plugin that implements it), twice: on the wall clock (``time.perf_counter``), and in CPU
time of the thread that runs them (``time.thread_time``). ansible-playbook calls hooks from two
threads (its main loop and the thread that reads the workers' results), and a hook's wall time
also holds the moments the other thread had the interpreter lock: the wall-clock figure is an
upper bound, the CPU figure what the hooks themselves computed (system time included). It also
counts the minor page faults the hooks' thread took while in them: ansible-playbook forks a worker
for every task, and a page the parent writes while a worker still shares it is copied first. All
are written with the number of hooks called to ``report.json`` when the playbook ends. Indirect
costs (a larger process for every worker fork, garbage collection) are not in any of them: the
benchmark's wall-clock ratio is.

Needs ansible-core 2.19 or later (the copies are ``_RawTaskResult.as_callback_task_result``).
The clock costs something itself (a few system calls for every hook of the plugin and every result
copy), and only a run with the plugin pays for its hooks' readings: the benchmark's ratios come
from plain ``ansible-playbook`` runs, and this driver only from runs of their own.
"""

from __future__ import annotations

import functools
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


class CallbackClock:
    def __init__(self, callback_name: str) -> None:
        self.callback_name = callback_name
        self.hook_seconds = 0.0
        self.copy_seconds = 0.0
        self.hook_cpu_seconds = 0.0
        self.copy_cpu_seconds = 0.0
        self.hook_page_faults = 0
        self.hooks = 0
        self.clocked: list[Any] = []
        # The copy made for the plugin called next (ansible-core copies, then calls), wall and CPU.
        self._last_copy = (0.0, 0.0)

    def timed_copy(self, copy: Any) -> Any:
        @functools.wraps(copy)
        def wrapper(result: Any) -> Any:
            started, started_cpu = time.perf_counter(), time.thread_time()
            try:
                return copy(result)
            finally:
                self._last_copy = (time.perf_counter() - started, time.thread_time() - started_cpu)

        return wrapper

    def timed_hook(self, hook: Any, result_type: type) -> Any:
        @functools.wraps(hook)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if any(isinstance(arg, result_type) for arg in args):
                self.copy_seconds += self._last_copy[0]
                self.copy_cpu_seconds += self._last_copy[1]
            faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
            started, started_cpu = time.perf_counter(), time.thread_time()
            try:
                return hook(*args, **kwargs)
            finally:
                self.hook_seconds += time.perf_counter() - started
                self.hook_cpu_seconds += time.thread_time() - started_cpu
                self.hook_page_faults += resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - faults
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
                "hook_cpu_seconds": self.hook_cpu_seconds, "copy_cpu_seconds": self.copy_cpu_seconds,
                "hook_page_faults": self.hook_page_faults, "hooks": self.hooks}


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
