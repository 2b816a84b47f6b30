# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from datetime import timedelta

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.module_utils.process_command import EPHEMERAL_RANGE, ephemeral_problem
from ansible_collections.hadrill.drills.plugins.plugin_utils.restore_shell import ShellResult, run_shell
from ansible_collections.hadrill.drills.plugins.modules.restore_instance import ARGUMENT_SPEC
WORKDIR_ENTRY = "restore-workdir"
INSTANCE_ENTRY = "restore-instance"
COMMAND_ENTRY = "restore-command-instance"


def _before(moment, seconds):
    """The instant ``seconds`` before ``moment`` on both clocks."""
    from hadrill.clock import Instant

    return Instant(wall=moment.wall - timedelta(seconds=seconds), mono=moment.mono - seconds)


class ActionModule(DrillAction):
    """Restore into an isolated verification instance and wait for its promotion; or remove it."""

    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()

        args = self.validated_args(ARGUMENT_SPEC)
        self._evidence = self.evidence_dir(task_vars, args.get("evidence_dir"))
        self._args = args
        self._db_name, self._db = self.database_host(args.get("db_inventory_host"), task_vars)
        self._host_name = self._task.delegate_to or task_vars.get("inventory_hostname", "localhost")
        self._address = args.get("host") or self._db.db_host
        method = args["method"]
        if method != "command" and not args.get("work_root"):
            raise AnsibleActionFail(f"work_root is required for the {method} method")
        if args["state"] == "work_root":
            return self._work_root(result) if method != "command" else {**result, "changed": False}
        if args["state"] == "prepared":
            return self._prepare(result) if method != "command" else {**result, "changed": False}
        if args["state"] == "absent":
            return self._remove_command(result) if method == "command" else self._remove(result)
        if not args.get("port") and method != "command":
            raise AnsibleActionFail("port is required")
        return self._restore_command(result) if method == "command" else self._restore(result)

    # -- helpers --------------------------------------------------------------------------------
    def _layout(self):
        from hadrill.scenarios.restore.instance import Layout

        return Layout(self._args["work_root"], self._evidence.name)

    def _target(self):
        from hadrill.clock import parse_utc
        from hadrill.scenarios.restore.targets import Target

        if self._args["target"] == "time":
            if not self._args.get("target_time"):
                raise AnsibleActionFail("target_time is required for a time target")
            return Target("time", parse_utc(self._args["target_time"]))
        return Target("latest")

    def _pin(self):
        """The repository pinned at the incident (latest target, pgbackrest method), or None."""
        from hadrill.scenarios.restore.targets import ArchivePin

        pin = self._args.get("pgbackrest_pin")
        if self._args["target"] != "latest" or self._args["method"] != "pgbackrest" or not pin:
            return None
        try:
            return ArchivePin(backup=str(pin["backup"]), wal=str(pin["wal"]), archive_id=str(pin.get("archive_id", "")))
        except KeyError as exc:
            raise AnsibleActionFail(f"pgbackrest_pin needs {exc.args[0]!r} (the pinned_archive of restore_incident)") from None

    def _save_log(self, name, text):
        from hadrill.layout import Bundle
        from hadrill.runtime import load_redactor

        logs = Bundle(self._evidence).logs
        logs.mkdir(parents=True, exist_ok=True)
        (logs / name).write_text(load_redactor(self._evidence).text(text), encoding="utf-8")
        return f"logs/{name}"

    @staticmethod
    def _explained(message, outcome):
        """The cause line of a failed command's output (a traceback's exception, a FATAL line), else its tail."""
        from hadrill.causes import cause_line

        cause = cause_line(outcome.stderr + "\n" + outcome.stdout)
        return f"{message}: {cause}" if cause else f"{message}: {outcome.tail()}"

    def _fail(self, result, message, **extra):
        result.update(failed=True, msg=message, **extra)
        return result

    def _conninfo(self, host, port):
        return self._db.conninfo(host=host, port=port)

    def _wait_promoted(self, host, port, alive):
        from hadrill.scenarios.restore import instance, record

        promotion = instance.wait_promoted(self._conninfo(host, port), timeout_seconds=self._args["promote_timeout_seconds"],
                                           alive=alive)
        if not promotion.promoted:
            return promotion
        record.mark(self._evidence, "promoted", {"host": host, "port": port, "waited_seconds": round(promotion.waited_seconds, 3),
                                                 "polls": promotion.polls})
        return promotion

    # -- pgbackrest and basebackup --------------------------------------------------------------
    def _work_root(self, result):
        """The root of the work directories: made by hadrill (marked), or refused. Runs as root."""
        from hadrill.scenarios.restore import instance

        root = self._args["work_root"]
        outcome = run_shell(self, instance.work_root_command(root, self._db.db_os_user))
        if not outcome.ok:
            return self._fail(result, f"db_restore_work_root {root}: {outcome.tail()}")
        result.update(changed=outcome.stdout.strip() == "created", work_root=root)
        return result

    def _port_busy(self, port):
        """Why the instance cannot have ``port``: it is in use, or in the host's ephemeral range."""
        from hadrill.scenarios.restore import instance

        if instance.port_open(self._address, port):
            return (f"port {port} on {self._address} is already in use: the verification instance needs a free "
                    "port (db_restore_port)")
        ephemeral = run_shell(self, f"cat {EPHEMERAL_RANGE}", become=False)
        problem = ephemeral_problem(port, ephemeral.stdout) if ephemeral.ok else None
        return f"{problem} (db_restore_port)" if problem else None

    def _prepare(self, result):
        from hadrill import journal
        from hadrill.scenarios.restore import instance, record

        layout = self._layout()
        # Before anything is created (and before the canary table): a busy port is refused.
        busy = self._port_busy(self._args["port"]) if self._args.get("port") else None
        if busy:
            return self._fail(result, busy)
        if not run_shell(self, instance.work_root_marked_command(self._args["work_root"])).ok:
            return self._fail(result, f"db_restore_work_root {self._args['work_root']} was not created by hadrill "
                                      "(no marker inside): refusing to create anything in it")
        journal.open_entry(self._evidence, "verification work directory created",
                           {"kind": "path_absent", "host": self._host_name, "path": layout.work_dir},
                           scenario=record.SCENARIO, host=self._host_name, entry_id=WORKDIR_ENTRY)
        outcome = run_shell(self, instance.prepare_command(layout))
        if not outcome.ok:
            journal.close_entry(self._evidence, WORKDIR_ENTRY, by="not_created")
            return self._fail(result, f"cannot create the work directory {layout.work_dir}: {outcome.tail()}")
        result.update(changed=True, work_dir=layout.work_dir, data_dir=layout.data_dir,
                      frozen_wal=layout.frozen_wal)
        return result

    def _choose_backup(self, target):
        """Refuse an impossible target before anything is restored; returns the backup's label."""
        from hadrill.scenarios.restore import instance, targets

        db = self._db
        if self._args["method"] == "pgbackrest":
            argv = ["pgbackrest"] + ([f"--config={db.pgbackrest_config}"] if db.pgbackrest_config else [])
            argv += [f"--stanza={db.pgbackrest_stanza}", "--output=json", "info"]
            outcome = run_shell(self, instance.bounded(" ".join(instance.q(part) for part in argv), 300))
            if not outcome.ok:
                raise targets.TargetError(f"pgbackrest info failed (rc {outcome.rc}): {outcome.tail()}")
            sets = targets.pgbackrest_sets(outcome.stdout, db.pgbackrest_stanza)
            pin = self._pin()
            if pin is not None:
                if pin.backup not in {item.label for item in sets}:
                    raise targets.TargetError(f"the pinned backup set {pin.backup} is no longer in the repository")
                return pin.backup, None
            return targets.choose_pgbackrest_set(sets, target).label, None
        root = db.db_basebackup_dir
        listing = run_shell(self, f"for f in {instance.q(root.rstrip('/'))}/*.json; do [ -f \"$f\" ] && cat \"$f\" && echo; done; true")
        chosen = targets.choose_base_backup(targets.base_backups(listing.stdout.splitlines(), root), target)
        return chosen.label, chosen.path

    def _restore(self, result):
        from hadrill import clock, journal
        from hadrill.scenarios.restore import instance, record, targets

        args, db = self._args, self._db
        layout, target, port = self._layout(), self._target(), args["port"]
        busy = self._port_busy(port)
        if busy:
            return self._fail(result, busy)
        try:
            label, backup_path = self._choose_backup(target)
        except targets.TargetError as exc:
            return self._fail(result, str(exc))

        journal.open_entry(self._evidence, "verification instance restored and started",
                           {"kind": "pg_instance", "host": self._host_name, "data_dir": layout.data_dir,
                            "pg_bindir": db.db_pg_bindir, "os_user": db.db_os_user},
                           scenario=record.SCENARIO, host=self._host_name, entry_id=INSTANCE_ENTRY)
        if args["method"] == "pgbackrest":
            pin = self._pin()
            command = instance.pgbackrest_restore_command(
                config=db.pgbackrest_config, stanza=str(db.pgbackrest_stanza), layout=layout, target=target,
                options=args["pgbackrest_options"], pin=pin)
            if pin is not None:
                command = instance.pinned_archive_get_command(
                    layout, config=db.pgbackrest_config, stanza=str(db.pgbackrest_stanza), pin=pin) + " && " + command
        else:
            if not args.get("wal_dir"):
                raise AnsibleActionFail("wal_dir is required for the basebackup method")
            command = instance.basebackup_restore_command(backup_path=str(backup_path), layout=layout,
                                                          target=target, wal_dir=args["wal_dir"])
        record.mark(self._evidence, "restore_started", {
            "method": args["method"], "target": target.kind, "target_time": target.iso, "backup": label,
            "host": self._address, "port": port})
        # One command on the host: restore, settings, start (one connection and become, not three).
        settings = instance.instance_settings(port, args["instance_settings"], self._evidence.name)
        outcome = run_shell(self, instance.restore_and_start_command(
            command, restore_timeout_seconds=args["restore_timeout_seconds"], layout=layout, settings=settings,
            bindir=db.db_pg_bindir))
        returned = clock.now()
        steps = instance.command_steps(outcome.stdout)
        outcome = ShellResult(outcome.rc, steps.output, outcome.stderr)
        if not steps.ok("restore"):
            rc = steps.rcs.get("restore", outcome.rc)
            return self._fail(result, self._explained(f"{args['method']} restore failed (rc {rc})", outcome))
        # The moment the restore ended on the host: the command's return less what ran after it
        # there (as exact as a marker written when a command returns).
        record.mark(self._evidence, "restore_finished",
                    {"method": args["method"], "data_dir": layout.data_dir,
                     **({"host_seconds": round(steps.seconds["restore"], 3)} if steps.seconds else {})},
                    at=_before(returned, steps.before_end.get("restore", 0.0)))
        if not outcome.ok:
            return self._fail(result, f"the verification instance did not start (rc {outcome.rc}): {outcome.tail()}"
                              + self._log_tail(layout))
        timed = {}
        if steps.seconds:
            timed = {"settings_seconds": round(steps.seconds.get("settings", 0.0), 3),
                     "start_seconds": round(steps.seconds.get("start", 0.0), 3),
                     "command_seconds": round(steps.total_seconds or 0.0, 3)}
        record.mark(self._evidence, "instance_started", {"data_dir": layout.data_dir, "port": port, **timed}, at=returned)

        def alive():
            return run_shell(self, instance.status_command(db.db_pg_bindir, layout)).ok

        promotion = self._wait_promoted(self._address, port, alive)
        if not promotion.promoted:
            return self._fail(result, f"{promotion.reason}{self._log_tail(layout)}")
        result.update(changed=True, host=self._address, port=port, data_dir=layout.data_dir, backup=label,
                      promote_wait_seconds=round(promotion.waited_seconds, 3))
        return result

    def _log_tail(self, layout):
        """The server's reason (its last FATAL line) for the failure message; the full log is kept at teardown."""
        from hadrill.causes import cause_line
        from hadrill.scenarios.restore import instance

        tail = run_shell(self, instance.log_tail_command(layout, 200)).stdout
        cause = cause_line(tail)
        if cause:
            return f": {cause} (server log in logs/restore-postgres.log)"
        last = [line for line in tail.strip().splitlines() if line.strip()][-3:]
        return f"; server log ends with: {' | '.join(last)}" if last else ""

    def _remove(self, result):
        from hadrill import journal
        from hadrill.scenarios.restore import instance, record

        args, db, layout = self._args, self._db, self._layout()
        opened = {entry.id for entry in journal.open_entries(self._evidence)}
        if not opened & {INSTANCE_ENTRY, WORKDIR_ENTRY}:
            # Nothing of this drill's is there (it failed before creating its work directory):
            # whatever exists at that path belongs to someone else and is left alone.
            result.update(changed=False, removed=True, server_log=None)
            return result
        log = run_shell(self, instance.log_tail_command(layout, 400)).stdout
        saved = self._save_log("restore-postgres.log", log) if log.strip() else None
        stop = instance.stop_command(db.db_pg_bindir, layout, args["teardown_timeout_seconds"] / 2)
        stopped = run_shell(self, instance.bounded(stop, args["teardown_timeout_seconds"]))
        removed = run_shell(self, instance.remove_command(layout))
        left = run_shell(self, f"test -e {instance.q(layout.work_dir)}").ok
        listening = bool(args.get("port")) and instance.port_open(self._address, args["port"])
        clean = not left and not listening
        if clean:
            for entry in (INSTANCE_ENTRY, WORKDIR_ENTRY):
                journal.close_entry(self._evidence, entry)
        problems = []
        if listening:
            problems.append(f"port {args.get('port')} still answers ({stopped.tail(300)})")
        if left:
            problems.append(f"{layout.work_dir} is still there ({removed.tail(300)})")
        record.check(self._evidence, "verification_instance_removed",
                     "Verification instance stopped, its port closed and its data directory removed", clean,
                     observed={"port_open": listening, "work_dir_exists": left},
                     expected={"port_open": False, "work_dir_exists": False}, detail="; ".join(problems))
        result.update(changed=True, removed=clean, server_log=saved)
        return result

    # -- command method (managed databases) -----------------------------------------------------
    def _values(self):
        from hadrill.clock import format_utc, parse_utc
        from hadrill.scenarios.restore.targets import postgres_time

        time_value = self._args.get("target_time")
        return {
            "drill_id": self._evidence.name,
            # Cloud resource names often allow only lower-case letters, digits and dashes.
            "drill_slug": self._evidence.name.replace("_", "-"),
            "target": self._args["target"],
            "target_time": postgres_time(parse_utc(time_value)) if time_value else "",
            "target_time_iso": format_utc(parse_utc(time_value)) if time_value else "",
            "incident_time": format_utc(parse_utc(self._args["incident_time"])) if self._args.get("incident_time") else "",
            "port": self._args.get("port") or "",
        }

    def _restore_command(self, result):
        import json

        from hadrill import journal
        from hadrill.scenarios.restore import instance, placeholders, record

        args, values = self._args, self._values()
        target = self._target()
        teardown = placeholders.fill(args.get("command_teardown") or "", values)
        journal.open_entry(self._evidence, "verification instance created by the restore command",
                           {"kind": "command", "host": self._host_name, "command": teardown},
                           scenario=record.SCENARIO, host=self._host_name, entry_id=COMMAND_ENTRY)
        record.mark(self._evidence, "restore_started", {
            "method": "command", "target": target.kind, "target_time": target.iso,
            "host": args.get("host"), "port": args.get("port"),
        })
        outcome = run_shell(self, instance.bounded(placeholders.fill(args["command_restore"], values),
                                                   args["restore_timeout_seconds"]), become=False)
        self._save_log("restore-command.log", f"$ restore (rc {outcome.rc})\n{outcome.stdout}\n{outcome.stderr}\n")
        if not outcome.ok:
            return self._fail(result, self._explained(f"the restore command failed (rc {outcome.rc})", outcome))
        record.mark(self._evidence, "restore_finished", {"method": "command"})
        host, port = args.get("host"), args.get("port")
        if args.get("command_wait"):
            waited = run_shell(self, instance.bounded(placeholders.fill(args["command_wait"], values),
                                                      args["promote_timeout_seconds"]), become=False)
            if not waited.ok:
                return self._fail(result, self._explained(f"the wait command failed (rc {waited.rc})", waited))
            lines = [line for line in waited.stdout.strip().splitlines() if line.strip()]
            try:
                endpoint = json.loads(lines[-1]) if lines else {}
            except ValueError:
                endpoint = {}
            host = endpoint.get("host") or host
            port = int(endpoint.get("port") or port or 0) or None
        if not host or not port:
            return self._fail(result, "the restored instance's host and port are unknown: set db_restore_host and "
                                      "db_restore_port or make db_restore_command_wait print {\"host\": ..., \"port\": ...}")
        record.mark(self._evidence, "instance_started", {"host": host, "port": port})
        promotion = self._wait_promoted(host, port, None)
        if not promotion.promoted:
            return self._fail(result, promotion.reason)
        result.update(changed=True, host=host, port=port, promote_wait_seconds=round(promotion.waited_seconds, 3))
        return result

    def _remove_command(self, result):
        from hadrill import journal
        from hadrill.scenarios.restore import instance, placeholders, record

        args = self._args
        if not args.get("command_teardown"):
            raise AnsibleActionFail("command_teardown is required for the command method")
        if COMMAND_ENTRY not in {entry.id for entry in journal.open_entries(self._evidence)}:
            result.update(changed=False, removed=True)  # the restore command never ran
            return result
        outcome = run_shell(self, instance.bounded(placeholders.fill(args["command_teardown"], self._values()),
                                                   args["teardown_timeout_seconds"]), become=False)
        self._save_log("restore-command-teardown.log", f"$ teardown (rc {outcome.rc})\n{outcome.stdout}\n{outcome.stderr}\n")
        if outcome.ok:
            journal.close_entry(self._evidence, COMMAND_ENTRY)
        record.check(self._evidence, "verification_instance_removed", "Verification instance removed by the teardown command",
                     outcome.ok, observed={"rc": outcome.rc}, expected={"rc": 0}, detail=outcome.tail(300) if not outcome.ok else "")
        result.update(changed=True, removed=outcome.ok)
        return result
