"""One AWX-like job: ansible_runner.run() on a private data directory, as AWX's task runner calls it.

Run with the Python of the execution environment under test (the fresh virtualenv), not the
checkout's: ``python runner_job.py PRIVATE_DATA_DIR PLAYBOOK CANCEL_FILE RESULT_JSON``. The job is
cancelled, with ansible-runner's SIGKILL of ansible-playbook's process group, when CANCEL_FILE
appears (as AWX's cancel flag is polled). RESULT_JSON receives the status, rc, the custom stats of
the playbook_on_stats event (AWX's job artifacts) and the failed tasks' messages.
"""

import json
import os
import sys

import ansible_runner


def main() -> None:
    private, playbook, cancel_file, result_file = sys.argv[1:5]
    failures = []
    stats = {}

    def on_event(event):
        data = event.get("event_data") or {}
        if event.get("event") == "runner_on_failed" and not data.get("ignore_errors"):
            failures.append({"task": data.get("task"), "msg": str((data.get("res") or {}).get("msg", ""))})
        if event.get("event") == "playbook_on_stats":
            stats.update(data.get("artifact_data") or {})
        return True

    runner = ansible_runner.run(
        private_data_dir=private, playbook=playbook, ident="job", quiet=True,
        event_handler=on_event, cancel_callback=lambda: os.path.exists(cancel_file),
        settings={"pexpect_timeout": 1},
    )
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump({"status": runner.status, "rc": runner.rc, "artifacts": stats, "failures": failures,
                   "stdout_tail": runner.stdout.read()[-6000:]}, handle)


if __name__ == "__main__":
    main()
