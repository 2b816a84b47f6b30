"""The isolated verification instance: shell commands run on the database host, and promotion.

Everything here runs as the PostgreSQL OS user on the db_primary host (the action plugin
executes the commands there) and never touches the primary: the instance gets its own data
directory under the drill's work directory, its own port, no Unix socket, and archiving off
(a restored copy that archives pushes its own timeline into the repository, and a later
"latest" restore would follow the drill's timeline).

Facts measured on this kind of machine (shared/notes/pitr-facts.md): pgBackRest rewrites
``postgresql.auto.conf`` during a restore, so the port is appended afterwards;
``--target-action=promote`` (the default action pauses forever); ``pg_ctl -w`` returns at the
consistency point, long before promotion, so promotion is detected by polling
``pg_is_in_recovery()``.

The restore, the instance's settings and its start are one command on the host
(:func:`restore_and_start_command`): one connection and ``become`` instead of one per step, each
step timed there so that the markers between them keep their moments.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from hadrill.scenarios.restore.targets import ArchivePin, Target

TIMEOUT_KILL_GRACE_SECONDS = 5
# Promotion: a query on the open connection every few milliseconds (it costs the server a fraction
# of a millisecond); a refused connection attempt costs it a log line, so those are spaced more.
POLL_SECONDS = 0.005
REFUSED_RETRY_SECONDS = 0.05
# The lines of restore_and_start_command's steps: "hadrill-step NAME RC EPOCH_SECONDS".
STEP_PREFIX = "hadrill-step"
STEPS = ("restore", "settings", "start")
INSTANCE_PREFIX = "hadrill_verify"
# Written by hadrill into the root of the work directories it creates: an existing root without it is refused.
WORK_ROOT_MARKER = ".hadrill-work-root"


@dataclass(frozen=True)
class Layout:
    """Paths of one drill's verification environment on the database host."""

    work_root: str
    drill_id: str

    @property
    def work_dir(self) -> str:
        return f"{self.work_root.rstrip('/')}/{self.drill_id}"

    @property
    def data_dir(self) -> str:
        return f"{self.work_dir}/data"

    @property
    def log_file(self) -> str:
        return f"{self.work_dir}/postgres.log"

    @property
    def frozen_wal(self) -> str:
        return f"{self.work_dir}/frozen-wal"

    @property
    def archive_get(self) -> str:
        """The restore_command of a pinned ``latest`` restore (:func:`pinned_archive_get_command`)."""
        return f"{self.work_dir}/archive-get"


def q(value: Any) -> str:
    return shlex.quote(str(value))


def bounded(command: str, timeout_seconds: float) -> str:
    """Run ``command`` through sh under coreutils ``timeout`` (exit 124 when it had to stop it)."""
    return (f"timeout --kill-after={TIMEOUT_KILL_GRACE_SECONDS} {timeout_seconds:g} "
            f"sh -c {q(command)}")


def _conf_value(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def instance_name(drill_id: str) -> str:
    """The copy's ``cluster_name`` (in its process titles): named by the drill, so that two drills
    on one machine, of two environments, can tell their instances apart."""
    return f"{INSTANCE_PREFIX}_{drill_id}"


def instance_settings(port: int, extra: Mapping[str, Any], drill_id: str) -> dict[str, Any]:
    """What the copy must override: its port, no archiving, no Unix socket, the drill's name."""
    settings: dict[str, Any] = {
        "port": int(port),
        "archive_mode": "off",
        "unix_socket_directories": "",
        "cluster_name": instance_name(drill_id),
    }
    settings.update(extra)
    return settings


def append_settings_command(layout: Layout, settings: Mapping[str, Any]) -> str:
    lines = ["", "# hadrill verification instance (appended after the restore)"]
    lines += [f"{name} = {_conf_value(value)}" for name, value in settings.items()]
    text = "\n".join(lines) + "\n"
    return f"printf '%s' {q(text)} >> {q(layout.data_dir + '/postgresql.auto.conf')}"


def work_root_command(root: str, os_user: str) -> str:
    """Make the root of the work directories, owned by the PostgreSQL OS user, mode 0700, with
    hadrill's marker inside (owned by root); an existing root is accepted only with that marker
    and is then left as it is. Never creates parents, never follows a link, never chowns a
    directory it did not just make. Prints ``created`` or ``existing``."""
    root = root.rstrip("/")
    marker = f"{root}/{WORK_ROOT_MARKER}"

    def refuse(message: str) -> str:
        return f"{{ echo {q(message)} >&2; exit 3; }}"

    not_ours = (f"{root} already exists and was not created by hadrill (no {WORK_ROOT_MARKER} inside): refused; "
                "choose a dedicated directory that does not exist yet (or remove this one if an older hadrill left it)")
    note = "work root of hadrill verification instances; hadrill removes only what it creates here"
    return "; ".join([
        f"root={q(root)}",
        f"marker={q(marker)}",
        f'if [ -L "$root" ]; then {refuse(f"{root} is a symbolic link: refused")}; fi',
        f'if [ -e "$root" ]; then if [ -d "$root" ] && [ -f "$marker" ] && [ ! -L "$marker" ]; then echo existing; exit 0; fi; '
        f'{refuse(not_ours)}; fi',
        f'[ -d "$(dirname "$root")" ] || {refuse(f"the parent directory of {root} does not exist")}',
        f'mkdir -m 0700 "$root" && printf \'%s\\n\' {q(note)} > "$marker" && chmod 0444 "$marker" '
        f'&& chown {q(os_user)}: "$root" && echo created',
    ])


def work_root_marked_command(root: str) -> str:
    """Succeeds only when the root carries hadrill's marker (run before anything is made in it)."""
    marker = f"{root.rstrip('/')}/{WORK_ROOT_MARKER}"
    return f"test -d {q(root)} && test ! -L {q(root)} && test -f {q(marker)} && test ! -L {q(marker)}"


def prepare_command(layout: Layout) -> str:
    """The drill's work directory, private to the PostgreSQL OS user; refuses a leftover one."""
    return (f"test ! -e {q(layout.work_dir)} || {{ echo 'work directory {layout.work_dir} already exists "
            f"(left by an earlier drill? run hadrill recover)' >&2; exit 3; }}; "
            f"mkdir -m 0700 {q(layout.work_dir)}")


def freeze_command(source: str, frozen: str) -> str:
    """A hard-link copy: WAL archived after this moment is not in it (instant, same file system)."""
    return f"cp -al {q(source.rstrip('/'))} {q(frozen)}"


def pinned_archive_get_command(layout: Layout, *, config: str | None, stanza: str, pin: ArchivePin) -> str:
    """Write the restore_command of a ``latest`` restore pinned at the incident: pgBackRest's own
    ``archive-get``, except for WAL newer than the pin's newest segment (and timeline histories
    above its timeline), which it answers as missing, so recovery ends where the archive ended at
    the incident. Works for every repository type, local or remote: nothing is copied."""
    argv = ["pgbackrest"] + ([f"--config={config}"] if config else [])
    argv += [f"--stanza={stanza}", f"--pg1-path={layout.data_dir}", "archive-get"]
    script = "\n".join([
        "#!/bin/sh",
        f"# hadrill: the WAL archive of stanza {stanza} as it was at the incident (newest segment {pin.wal}).",
        "# WAL archived later is answered as missing, so recovery ends where the archive ended then.",
        "newest() { printf '%s\\n%s\\n' \"$1\" \"$2\" | LC_ALL=C sort | tail -n 1; }",
        'case "$1" in',
        f'  *.history) [ "$(newest "${{1%.history}}" {pin.timeline})" = {pin.timeline} ] || exit 1 ;;',
        f'  *) [ "$(newest "$(printf %.24s "$1")" {pin.wal})" = {pin.wal} ] || exit 1 ;;',
        "esac",
        "exec " + " ".join(q(part) for part in argv) + ' "$1" "$2"',
        "",
    ])
    path = q(layout.archive_get)
    return f"printf '%s' {q(script)} > {path} && chmod 0700 {path}"


def pgbackrest_restore_command(*, config: str | None, stanza: str, layout: Layout, target: Target,
                               options: Sequence[str], pin: ArchivePin | None = None) -> str:
    """pgBackRest's restore into the layout's data directory; with ``pin`` (a ``latest`` target),
    from the pinned backup set, recovery reading WAL through :func:`pinned_archive_get_command`."""
    argv = ["pgbackrest"]
    if config:
        argv.append(f"--config={config}")
    argv += [f"--stanza={stanza}", f"--pg1-path={layout.data_dir}"]
    if target.kind == "time":
        argv += ["--type=time", f"--target={target.postgres}", "--target-action=promote"]
    else:
        argv.append("--type=default")
    if pin is not None:
        argv += [f"--set={pin.backup}", f'--recovery-option=restore_command={layout.archive_get} %f "%p"']
    argv += ["--archive-mode=off", *options, "restore"]
    return " ".join(q(part) for part in argv)


def basebackup_restore_command(*, backup_path: str, layout: Layout, target: Target, wal_dir: str) -> str:
    """Copy the base backup and configure archive recovery from the (frozen) plain WAL archive."""
    settings = {"restore_command": f"cp {wal_dir.rstrip('/')}/%f \"%p\""}
    if target.kind == "time":
        settings["recovery_target_time"] = str(target.postgres)
        settings["recovery_target_action"] = "promote"
    lines = ["", "# hadrill: archive recovery of the base backup"]
    lines += [f"{name} = {_conf_value(value)}" for name, value in settings.items()]
    text = "\n".join(lines) + "\n"
    data = layout.data_dir
    return " && ".join([
        f"cp -a {q(backup_path.rstrip('/'))} {q(data)}",
        f"chmod 0700 {q(data)}",
        f"rm -f {q(data + '/postmaster.pid')} {q(data + '/standby.signal')}",
        f"touch {q(data + '/recovery.signal')}",
        f"printf '%s' {q(text)} >> {q(data + '/postgresql.auto.conf')}",
    ])


def start_command(bindir: str, layout: Layout) -> str:
    # -W: return as soon as the postmaster is launched; promotion is polled separately.
    return f"{q(bindir.rstrip('/') + '/pg_ctl')} start -W -D {q(layout.data_dir)} -l {q(layout.log_file)}"


def restore_and_start_command(restore: str, *, restore_timeout_seconds: float, layout: Layout,
                              settings: Mapping[str, Any], bindir: str) -> str:
    """One command for the host: the restore (bounded by ``restore_timeout_seconds``), the
    instance's settings appended, the instance started (``pg_ctl start -W``: it returns once the
    postmaster is launched).

    Stops at the first step that fails. Before the first step and after each one it prints a
    line ``hadrill-step NAME RC SECONDS`` (``begin`` first; SECONDS from the host's clock, GNU
    ``date +%s.%N``), read back by :func:`command_steps`.
    """
    script = "\n".join([
        f"step() {{ printf '{STEP_PREFIX} %s %s %s\\n' \"$1\" \"$2\" \"$(date +%s.%N)\"; }}",
        "step begin 0",
        f"{bounded(restore, restore_timeout_seconds)}; rc=$?; step restore $rc; [ $rc -eq 0 ] || exit $rc",
        f"{append_settings_command(layout, settings)}; rc=$?; step settings $rc; [ $rc -eq 0 ] || exit $rc",
        f"{start_command(bindir, layout)}; rc=$?; step start $rc; exit $rc",
    ])
    return f"sh -c {q(script)}"


@dataclass(frozen=True)
class CommandSteps:
    """What :func:`restore_and_start_command` reported: each step's exit status and duration on the host."""

    rcs: dict[str, int]
    seconds: dict[str, float]
    # From the end of each step to the end of the last one reported (to date a marker back from the return).
    before_end: dict[str, float]
    output: str = ""  # the commands' own output, without the step lines

    def ok(self, name: str) -> bool:
        return self.rcs.get(name) == 0

    @property
    def total_seconds(self) -> float | None:
        """From before the first step to after the last one reported (None without timings)."""
        return sum(self.seconds.values()) if self.seconds else None


def command_steps(stdout: str) -> CommandSteps:
    """The steps of :func:`restore_and_start_command` from its output; timings only when every
    reported step carried one (a host whose ``date`` has no ``%N`` reports none)."""
    rcs: dict[str, int] = {}
    moments: list[tuple[str, float | None]] = []
    output: list[str] = []
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) != 4 or parts[0] != STEP_PREFIX:
            output.append(line)
            continue
        try:
            rcs[parts[1]] = int(parts[2])
        except ValueError:
            continue
        try:
            moments.append((parts[1], float(parts[3])))
        except ValueError:
            moments.append((parts[1], None))
    rcs.pop("begin", None)
    text = "\n".join(output)
    if len(moments) < 2 or any(moment is None for _, moment in moments) or moments[0][0] != "begin":
        return CommandSteps(rcs, {}, {}, text)
    end = float(moments[-1][1] or 0.0)
    seconds = {name: float(moment or 0.0) - float(previous or 0.0)
               for (_, previous), (name, moment) in zip(moments, moments[1:])}
    return CommandSteps(rcs, seconds, {name: end - float(moment or 0.0) for name, moment in moments[1:]}, text)


def status_command(bindir: str, layout: Layout) -> str:
    return f"{q(bindir.rstrip('/') + '/pg_ctl')} status -D {q(layout.data_dir)}"


def stop_command(bindir: str, layout: Layout, timeout_seconds: float) -> str:
    """Immediate shutdown (the copy is thrown away: no checkpoint to wait for); nothing to do
    without a running instance."""
    pg_ctl = q(bindir.rstrip('/') + '/pg_ctl')
    data = q(layout.data_dir)
    wait = max(int(timeout_seconds), 1)
    return f"if [ -f {data}/postmaster.pid ]; then {pg_ctl} stop -D {data} -m immediate -w -t {wait}; fi; true"


def remove_command(layout: Layout) -> str:
    return f"rm -rf {q(layout.work_dir)}"


def log_tail_command(layout: Layout, lines: int = 25) -> str:
    return f"tail -n {int(lines)} {q(layout.log_file)} 2>/dev/null || true"


# -- promotion --------------------------------------------------------------------------------


class PromotionError(RuntimeError):
    pass


@dataclass
class Promotion:
    promoted: bool
    waited_seconds: float
    connected: bool
    reason: str = ""
    polls: int = 0  # queries and connection attempts


def wait_promoted(
    conninfo: str,
    *,
    timeout_seconds: float,
    interval_seconds: float = POLL_SECONDS,
    refused_retry_seconds: float = REFUSED_RETRY_SECONDS,
    alive: Callable[[], bool] | None = None,
    alive_every_seconds: float = 2.0,
) -> Promotion:
    """Poll ``pg_is_in_recovery()`` every ``interval_seconds`` until it is false; bounded by
    ``timeout_seconds``.

    While the instance answers it is running, so ``alive`` (a command on its host: a round trip)
    is asked only while it does not, at most every ``alive_every_seconds``: the caller stops early
    when the instance died, e.g. on a recovery target it cannot reach.
    """
    started = time.monotonic()
    deadline = started + timeout_seconds
    checked = started
    connected = False
    polls = 0
    connection: psycopg.Connection | None = None
    try:
        while True:
            now = time.monotonic()
            pause = interval_seconds
            try:
                polls += 1
                if connection is None or connection.closed or connection.broken:
                    connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=2)
                    connected = True
                in_recovery = connection.execute("select pg_is_in_recovery()").fetchone()[0]
                if not in_recovery:
                    return Promotion(True, time.monotonic() - started, connected, polls=polls)
            except psycopg.Error:
                if connection is not None:
                    connection.close()
                    connection = None
                pause = max(interval_seconds, refused_retry_seconds)
                if alive is not None and now - checked >= alive_every_seconds:
                    checked = now
                    if not alive():
                        return Promotion(False, now - started, connected,
                                         "the instance stopped before it was promoted", polls)
            if now >= deadline:
                return Promotion(False, now - started, connected,
                                 f"the instance was not promoted within {timeout_seconds:g}s", polls)
            time.sleep(pause)
    finally:
        if connection is not None:
            connection.close()


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
