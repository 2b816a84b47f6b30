"""The hadrill command line: run drills, verify and sign their evidence, compare them over time."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import hadrill

if TYPE_CHECKING:
    from hadrill.project import Project

# The exit codes (README.md, "Exit codes"):
EXIT_PASS = 0  # the drill passed; the command did what was asked (verify: the bundle checks out)
EXIT_FAIL = 1  # the drill failed; verify found a problem; signoff refused a bundle that does not verify
EXIT_PARTIAL = 2  # hadrill run: nothing failed, but the drill did not do all it was asked
EXIT_COULD_NOT_RUN = 3  # could not run or refused, nothing changed: invalid configuration, a running drill...
EXIT_USAGE = 64  # the command line is wrong (EX_USAGE): unknown option, missing argument, no such bundle
RESULT_EXIT = {"pass": EXIT_PASS, "fail": EXIT_FAIL, "partial": EXIT_PARTIAL}


class UsageError(Exception):
    """The command line is wrong; printed as one line, exit 64."""


class Refused(Exception):
    """The command cannot do what was asked; nothing was changed. One line, exit 3."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit 64 (its own 2 would read as "partial")."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parse_extra_vars(items: list[str]) -> Any:
    from hadrill.extravars import ExtraVars, ExtraVarsError

    try:
        return ExtraVars.parse(items)
    except ExtraVarsError as exc:
        raise UsageError(str(exc)) from None


def _scenarios(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    from hadrill.config.common import parse_scenarios

    flat = ",".join(values)
    try:
        return parse_scenarios(flat)
    except ValueError as exc:
        raise UsageError(f"--scenario: {exc}") from None


def _bundle(path: str) -> Path:
    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"{path}: no such bundle directory")
    if not (root / "drill.json").is_file():
        raise UsageError(f"{path}: not a drill evidence bundle (no drill.json)")
    return root


def _existing_file(option: str, value: str | None) -> Path | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise UsageError(f"{option} {value}: no such file")
    return path.absolute()


def _check_signing_key(settings: Any) -> None:
    """A configured drill key that cannot sign is refused before anything runs."""
    from hadrill.signing import SigningError, check_drill_key

    try:
        check_drill_key(settings.drill_signing_key)
    except SigningError as exc:
        raise Refused(f"{exc}. Nothing was run.") from None


def seal_line(summary: Any) -> str:
    """How the bundle was sealed, in words that never call an unsigned bundle signed."""
    seal = summary.seal
    if seal is None:
        return "sealed (no seal record)"
    if seal.signing:
        return f"sealed; manifest signature by drill key {seal.signing.principal} ({seal.signing.key_fingerprint})"
    return f"sealed, unsigned: {seal.unsigned_reason}"


def print_summary(summary: Any, bundle: Path, out: Any = sys.stdout) -> None:
    from hadrill.report import _figure

    print(f"\nDrill {summary.drill_id} ({summary.environment}): {summary.result.upper()}", file=out)
    print(f"  preconditions: {summary.preconditions.outcome}", file=out)
    for scenario in summary.scenarios.values():
        if not scenario.selected:
            continue
        print(f"  {scenario.scenario:<9} {scenario.outcome}", file=out)
        for figure in scenario.figures:
            verdict = {"pass": "ok", "fail": "FAIL", "missing": "not measured"}.get(figure.verdict, "")
            limit = f" (limit {figure.comparison} {figure.threshold:g})" if figure.threshold is not None else ""
            label = figure.label if len(figure.label) <= 52 else figure.label[:51] + "…"
            print(f"      {label:<52} {_figure(figure):>14}{limit} {verdict}", file=out)
    for gate in summary.gates:
        print(f"  gate {gate.name:<30} {'pass' if gate.passed else 'FAIL'} (rc {gate.rc}, {gate.duration_s:.2f}s)", file=out)
    for reason in summary.result_reasons:
        print(f"  - {reason}", file=out)
    print(f"Evidence: {bundle} ({seal_line(summary)})", file=out)


def cmd_run(args: argparse.Namespace) -> int:
    from hadrill.config import ConfigError
    from hadrill.finalize import finalize
    from hadrill.inventory import InventoryError, load_config
    from hadrill.layout import Bundle
    from hadrill.runner import Progress, run_drill
    from hadrill.summary import Summary

    project = _project(args.project)
    inventory = Path(args.inventory)
    options: dict[str, Any] = {}
    scenarios = _scenarios(args.scenario)
    if scenarios is not None:
        options["drill_scenarios"] = scenarios
    if args.owner:
        options["drill_owner"] = args.owner
    if args.observer:
        options["drill_observers"] = args.observer
    if args.drill_id:
        options["drill_id"] = args.drill_id
    if args.confirm_id:
        options["drill_confirm_id"] = args.confirm_id
    if args.allow_production:
        options["drill_allow_production"] = True
    signing_key = _existing_file("--signing-key", args.signing_key)
    if signing_key:
        options["drill_signing_key"] = str(signing_key)
    extravars = _parse_extra_vars(args.extra_vars or []).with_values(**options)
    vault = Path(args.vault_password_file) if args.vault_password_file else None
    try:
        config = load_config(inventory, extravars, vault_password_file=vault)
    except ConfigError as exc:
        print(f"hadrill: {exc}\nNothing was run.", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    except InventoryError as exc:
        print(f"hadrill: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    settings = config.settings
    _check_signing_key(settings)
    print(f"hadrill {hadrill.__version__}: drill on {settings.drill_environment} ({settings.drill_environment_class}), "
          f"scenarios: {', '.join(settings.drill_scenarios) or 'none'}; owner {settings.drill_owner}")
    progress = Progress(out=sys.stdout)
    outcome = run_drill(
        project=project, inventory=inventory, extra_vars=extravars, progress=progress,
        vault_password_file=vault, evidence_root=Path(args.evidence_root).resolve() if args.evidence_root else None,
        environment=settings.drill_environment,
    )
    if progress.config_errors:
        print("hadrill: invalid drill configuration:\n" + "\n".join(f"  - {item}" for item in progress.config_errors),
              file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    bundle_dir = outcome.evidence_dir
    if bundle_dir is None or not bundle_dir.is_dir():
        print(f"hadrill: the drill could not start ({outcome.failure or outcome.status}); no evidence bundle", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    bundle = Bundle(bundle_dir)
    if outcome.cancelled:
        from hadrill import journal
        from hadrill.recover import stop_orphans

        stop_orphans(settings.drill_environment)
        entries = journal.open_entries(bundle_dir)
        if entries:
            print(f"undoing {len(entries)} open action(s) of the interrupted drill…", flush=True)
            _recover(project, inventory, config, extravars, vault, [bundle_dir])
    if not bundle.manifest.exists():
        # The playbook did not reach its sealing step: seal what was recorded, saying why.
        if not outcome.cancelled:
            from hadrill.events import make_marker, record_marker

            reason = outcome.failure or f"ansible-playbook ended with status {outcome.status} (rc {outcome.rc})"
            record_marker(bundle_dir, make_marker("drill_stopped", data={"reason": reason}))
        finalize(bundle_dir, sealed_by="hadrill run",
                 reason="the playbook ended before its sealing step" if not outcome.cancelled else "the drill was interrupted")
    summary = Summary.model_validate_json(bundle.summary.read_text(encoding="utf-8"))
    print_summary(summary, bundle_dir)
    if outcome.cancelled:
        return EXIT_PARTIAL if summary.result != "fail" else EXIT_FAIL
    return RESULT_EXIT.get(summary.result, EXIT_COULD_NOT_RUN)


def _project(explicit: str | None) -> Project:
    """The checkout (``--project``, or around the current directory) or the installed collection."""
    from hadrill.project import ProjectNotFound, find_project

    try:
        return find_project(Path.cwd(), Path(explicit) if explicit else None)
    except ProjectNotFound as exc:
        raise Refused(str(exc)) from None


def _evidence_root(project: Path, explicit: str | None) -> Path:
    import os

    from hadrill.start import resolve_evidence_root

    return resolve_evidence_root(explicit, os.environ.get("HADRILL_EVIDENCE_ROOT"), project).resolve()


def _recover(project: Project, inventory: Path, config: Any, extravars: Any, vault: Path | None,
             evidence_dirs: list[Path]) -> int | None:
    """Run the recover playbook for the environment and say, from the journal, what it undid.
    Returns the number of actions still open, or None when there was nothing to recover."""
    from hadrill.layout import Bundle
    from hadrill.recover import plan, run_recovery, target_journal_of
    from hadrill.target_journal import JournalUnavailable

    target = target_journal_of(config)
    try:
        before, warnings = plan(target, evidence_dirs)
    except JournalUnavailable as exc:
        raise Refused(f"{exc}: recovery cannot know what to undo. Nothing was changed") from None
    for warning in warnings:
        print(f"hadrill: {warning}", file=sys.stderr)
    pending = [drill for drill in before if drill.entries]
    if not pending:
        for drill in before:  # closed in their bundles only: the playbook records the closes on the target
            print(f"{drill.drill_id}: {len(drill.closed_in_bundle)} action(s) closed in its bundle are closed in the journal")
        if before:
            run_recovery(project, inventory, evidence_dirs=evidence_dirs, vault_password_file=vault, extra_vars=extravars)
        return None
    run = run_recovery(project, inventory, evidence_dirs=evidence_dirs, vault_password_file=vault, extra_vars=extravars)
    try:
        after = {drill.drill_id: drill for drill in plan(target, evidence_dirs)[0]}
    except JournalUnavailable as exc:
        print(f"hadrill: {exc}", file=sys.stderr)
        after = {drill.drill_id: drill for drill in pending}
    remaining = 0
    for drill in pending:
        left = {entry.id for entry in after[drill.drill_id].entries} if drill.drill_id in after else set()
        print(f"{drill.drill_id}: tried to undo {len(drill.entries)} open action(s)")
        for entry in drill.entries:
            where = f" on {entry.host}" if entry.host else ""
            print(f"  {'STILL OPEN' if entry.id in left else 'undone    '}  {entry.action}{where} ({entry.undo.get('kind')})")
        remaining += len(left)
        if drill.bundle is not None:
            print(f"  bundle re-sealed: {drill.bundle}" if Bundle(drill.bundle).manifest.exists()
                  else f"  bundle NOT re-sealed: {drill.bundle}")
        else:
            print(f"  {drill.describe_bundle()}")
    if remaining or run.returncode not in (0, None):
        print("  recovery playbook output (last lines):\n" + "\n".join("    " + line for line in run.output_tail.splitlines()))
    return remaining


def cmd_recover(args: argparse.Namespace) -> int:
    from hadrill.config import ConfigError
    from hadrill.inventory import InventoryError, load_config
    from hadrill.recover import RecoveryRefused, local_bundles, refuse_if_running, stop_orphans, unattributed_orphans
    from hadrill.runner import remove_leftover_private_dirs

    project = _project(args.project)
    vault = Path(args.vault_password_file) if args.vault_password_file else None
    extravars = _parse_extra_vars(args.extra_vars or [])
    try:
        config = load_config(Path(args.inventory), extravars.with_values(drill_scenarios="none"), vault_password_file=vault)
    except (ConfigError, InventoryError) as exc:
        print(f"hadrill: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    environment = config.settings.drill_environment
    root = _evidence_root(project.root, args.evidence_root)
    try:
        refuse_if_running(root, environment)
    except RecoveryRefused as exc:
        print(f"hadrill: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    orphans = stop_orphans(environment)
    if orphans:
        print(f"stopped {len(orphans)} process(es) of the interrupted drill still running without their controller "
              f"(its ansible-playbook, the workers and what they ran): {orphans}")
    unknown = unattributed_orphans()
    if unknown:
        print(f"left alone {len(unknown)} orphaned drill playbook(s) not started by hadrill run, whose environment is "
              f"unknown: {unknown}; stop them yourself if they are {environment!r}'s")
    leftovers = remove_leftover_private_dirs(environment=environment)
    if leftovers:
        print(f"removed {len(leftovers)} ansible-runner directory(ies) left by a killed controller "
              f"(raw task output): {', '.join(str(path) for path in leftovers)}")
    remaining = _recover(project, Path(args.inventory), config, extravars, vault, local_bundles(root, environment))
    if remaining is None:
        print(f"nothing to recover: no drill of {environment!r} has open actions in the drill journal "
              f"({config.settings.drill_journal_table} on {config.db_primary[0]}) or under {root}")
        return EXIT_PASS
    if remaining:
        print(f"hadrill: {remaining} action(s) could not be undone; fix the cause and run hadrill recover again",
              file=sys.stderr)
        return EXIT_FAIL
    print(f"recovered: {environment} is back to its pre-drill state as far as the journal knows")
    return EXIT_PASS


def cmd_validate(args: argparse.Namespace) -> int:
    from hadrill.config import ConfigError
    from hadrill.inventory import InventoryError, load_config

    extravars = _parse_extra_vars(args.extra_vars or [])
    scenarios = _scenarios(args.scenario)
    if scenarios is not None:
        extravars = extravars.with_values(drill_scenarios=scenarios)
    try:
        config = load_config(Path(args.inventory), extravars,
                             vault_password_file=Path(args.vault_password_file) if args.vault_password_file else None)
    except (ConfigError, InventoryError) as exc:
        print(f"hadrill: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    settings = config.settings
    _check_signing_key(settings)
    print(f"configuration valid: environment {settings.drill_environment} ({settings.drill_environment_class}), "
          f"scenarios {settings.drill_scenarios or 'none'}, "
          + ", ".join(f"{group} {len(hosts)}" for group, hosts in config.hosts.items()))
    return EXIT_PASS


def _refuse_newer(root: Path) -> None:
    from hadrill.schemas import NewerSchema
    from hadrill.verify import check_versions

    try:
        check_versions(root)
    except NewerSchema as exc:
        raise Refused(f"{root}: {exc}") from None


def cmd_report(args: argparse.Namespace) -> int:
    from hadrill import journal, layout, lock, manifest, statements
    from hadrill.report import render_report
    from hadrill.summary import Summary

    root = _bundle(args.bundle)
    _refuse_newer(root)
    if not manifest.is_sealed(root):
        holder = lock.running_holder(root)
        if holder:
            raise Refused(f"{root}: drill {root.name} is still running (pid {holder.get('pid')} since "
                          f"{holder.get('since')}); it seals its own bundle when it ends. Nothing was changed")
        if journal.open_entries(root):
            raise Refused(f"{root}: the drill stopped with actions still open; `hadrill recover -i <inventory>` "
                          "undoes them and seals the bundle. Nothing was changed")
        if not args.reseal:
            raise Refused(f"{root}: not sealed (the drill stopped before its sealing step); seal it with "
                          "`hadrill report BUNDLE --reseal [--reason TEXT]` (recorded in the bundle)")
        from hadrill.finalize import finalize

        key = _existing_file("--signing-key", args.signing_key)
        summary, digest = finalize(root, sealed_by="hadrill report --reseal", reason=args.reason, signing_key=key)
        print(f"sealed {root} (seal {summary.seal.number if summary.seal else '?'}, MANIFEST sha256 {digest[:16]}…): "
              f"{seal_line(summary)}; drill result {summary.result}")
        return EXIT_PASS
    if args.reseal:
        raise Refused(f"{root}: already sealed; a sealed bundle is never re-rendered or re-sealed (`hadrill verify` "
                      "re-derives it and names any difference)")
    files = manifest.verify(root)
    if not files.ok:
        problems = files.problems()
        print(f"hadrill: {root} does not match its manifest ({problems[0]}"
              + (f" and {len(problems) - 1} more" if len(problems) > 1 else "") + "); run `hadrill verify`",
              file=sys.stderr)
        return EXIT_FAIL
    try:
        summary = Summary.model_validate_json(layout.read_bytes(root, "summary.json"))
    except (OSError, ValueError) as exc:
        raise Refused(f"{root}: summary.json is not readable: {str(exc).splitlines()[0]}") from None
    signoffs = [item.statement for item in statements.load(root).signoffs
                if isinstance(item.statement, statements.SignoffStatement)]
    if args.pdf or args.junit or args.prometheus:
        return _export(root, summary, signoffs, args)
    sys.stdout.write(render_report(summary, signoffs))
    return EXIT_PASS


def _export(root: Path, summary: Any, signoffs: list[Any], args: argparse.Namespace) -> int:
    """hadrill report --junit/--prometheus/--pdf: the drill in the formats other tools read."""
    import tempfile

    from hadrill import metrics, prometheus
    from hadrill.browser import BrowserError, print_pdf
    from hadrill.html_report import render_html
    from hadrill.junit import render_junit

    if args.junit:
        Path(args.junit).write_text(render_junit(summary), encoding="utf-8")
        print(f"JUnit XML: {args.junit}")
    if args.prometheus:
        target = Path(args.prometheus)
        if not target.parent.is_dir():
            raise UsageError(f"--prometheus {args.prometheus}: no such directory {target.parent}")
        prometheus.write_textfile(target, metrics.families(summary), metrics.grouping(summary))
        print(f"Prometheus textfile: {args.prometheus} (environment {summary.environment} updated)")
    if args.pdf:
        with tempfile.TemporaryDirectory(prefix="hadrill-report-") as scratch:
            html = Path(scratch) / "report.html"
            html.write_text(render_html(summary, root, signoffs), encoding="utf-8")
            try:
                print_pdf(html, Path(args.pdf))
            except BrowserError as exc:
                print(f"hadrill: --pdf: {exc}", file=sys.stderr)
                return EXIT_COULD_NOT_RUN
        print(f"PDF: {args.pdf} (report.html with {len(signoffs)} sign-off(s), printed by Chromium)")
    return EXIT_PASS


def cmd_verify(args: argparse.Namespace) -> int:
    from hadrill.schemas import NewerSchema
    from hadrill.verify import verify

    root = _bundle(args.bundle)
    allowed = _existing_file("--allowed-signers", args.allowed_signers)
    try:
        result = verify(root, allowed_signers=allowed)
    except NewerSchema as exc:
        raise Refused(f"{root}: {exc}") from None
    name = result.drill_id or root.name
    print(f"bundle {root}")
    if result.manifest_digest:
        print(f"  MANIFEST.sha256 sha256 {result.manifest_digest}, {result.files} file(s)")
    for line in result.signatures:
        print(f"  {line.line()}")
    for note in result.notes:
        print(f"  note: {note}")
    if not result.ok:
        for problem in result.problems:
            print(f"  - {problem}", file=sys.stderr)
        more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        print(f"FAILED: {name}: {result.problems[0]}{more}", file=sys.stderr)
        return EXIT_FAIL
    if result.sealed_by is not None:
        sealed = f"seal signature {result.sealed_by.status} ({result.sealed_by.principal})"
    else:
        sealed = "unsigned (the seal has no signature)"
    signed = ", ".join(f"{item.principal} {item.status}" for item in result.signed_off)
    print(f"OK: {name}: files match MANIFEST.sha256, figures and report re-derived; {sealed}; "
          f"sign-offs: {signed or 'none'}")
    return EXIT_PASS


def cmd_signoff(args: argparse.Namespace) -> int:
    from hadrill.schemas import NewerSchema
    from hadrill.signing import SigningError
    from hadrill.signoff import BundleTampered, SignoffRefused, check_principal, check_text, sign

    root = _bundle(args.bundle)
    try:
        check_principal(args.by)
        check_text("role", args.role, 64)
        check_text("note", args.note, 500)
    except SignoffRefused as exc:
        raise UsageError(str(exc)) from None
    key = _existing_file("--key", args.key)
    allowed = _existing_file("--allowed-signers", args.allowed_signers)
    assert key is not None
    try:
        statement, path = sign(root, by=args.by, key=key, role=args.role, note=args.note, allowed_signers=allowed)
    except BundleTampered as exc:
        print(f"hadrill: refusing to sign {root}: it does not verify: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except (SignoffRefused, SigningError, NewerSchema) as exc:
        raise Refused(f"refusing to sign {root}: {exc}") from None
    print(f"signed off by {statement.by} at {statement.at}: {path} (+ .sig) over MANIFEST sha256 "
          f"{statement.manifest_sha256[:16]}… with key {statement.key_fingerprint}")
    return EXIT_PASS


def cmd_history(args: argparse.Namespace) -> int:
    from hadrill.config.common import HistoryTolerance
    from hadrill.history import load, render_table

    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"{root}: no such directory")
    tolerance = None
    if args.tolerance_percent is not None or args.tolerance_seconds is not None:
        default = HistoryTolerance()
        tolerance = HistoryTolerance(
            percent=default.percent if args.tolerance_percent is None else args.tolerance_percent,
            seconds=default.seconds if args.tolerance_seconds is None else args.tolerance_seconds)
    rows, skipped = load(root, tolerance)
    if args.html:
        from hadrill.history import render_html

        Path(args.html).write_text(render_html(rows, skipped, root), encoding="utf-8")
        print(f"history page: {args.html} ({len(rows)} verified drill(s))")
    if rows:
        print(render_table(rows))
    for item in skipped:
        print(f"skipped {item.drill_id}: {item.reason}", file=sys.stderr if item.problem else sys.stdout)
    damaged = [item for item in skipped if item.problem]
    if damaged:
        print(f"hadrill: {len(damaged)} bundle(s) under {root} do not verify and were left out", file=sys.stderr)
        return EXIT_FAIL
    if not rows:
        print(f"no sealed drill bundles under {root}")
    return EXIT_PASS


def cmd_schema(args: argparse.Namespace) -> int:
    from hadrill import schemas

    if not args.name:
        for name in schemas.NAMES:
            print(f"{name:<8} {schemas.DESCRIPTIONS[name]}")
        return EXIT_PASS
    if args.name not in schemas.NAMES:
        raise UsageError(f"schema {args.name!r}: expected one of {', '.join(schemas.NAMES)}")
    sys.stdout.write(schemas.published(args.name))
    return EXIT_PASS


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="hadrill", description=__doc__)
    parser.add_argument("--version", action="version", version=f"hadrill {hadrill.__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_inventory_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("-i", "--inventory", required=True, help="inventory directory or file")
        command.add_argument("--scenario", action="append", metavar="NAME",
                             help="restore, rollback, replay, all or none (repeat or comma-separate); default: the inventory's drill_scenarios")
        command.add_argument("-e", "--extra-vars", action="append", metavar="VARS", help="key=value, JSON, or @file.yml")
        command.add_argument("--vault-password-file", metavar="FILE")

    run = commands.add_parser("run", help="run a drill through ansible-runner and seal its evidence")
    add_inventory_options(run)
    run.add_argument("--owner", help="drill owner (overrides drill_owner)")
    run.add_argument("--observer", action="append", help="observer (repeat)")
    run.add_argument("--drill-id", help="use this drill id (ha_drill_<YYYYMMDD>_<env>_<NN>)")
    run.add_argument("--confirm-id", help="production: type the drill id again to confirm")
    run.add_argument("--allow-production", action="store_true", help="production: allow fault-injecting scenarios")
    run.add_argument("--project", help="a hadrill checkout (default: the one around the current directory, else the "
                     "installed hadrill.drills collection, run from the current directory)")
    run.add_argument("--evidence-root", help="where bundles go (default: <project>/artifacts/ha_drill)")
    run.add_argument("--signing-key", metavar="KEY",
                     help="SSH key that signs the sealed manifest (sets drill_signing_key): a private key file, "
                          "or a public key file whose private key is in ssh-agent")
    run.set_defaults(func=cmd_run)

    validate = commands.add_parser("validate", help="validate an inventory's drill configuration without running anything")
    add_inventory_options(validate)
    validate.set_defaults(func=cmd_validate)

    report = commands.add_parser(
        "report", help="print a sealed bundle's report with its sign-offs; --pdf, --junit, --prometheus export it; "
                       "--reseal seals a bundle left unsealed")
    report.add_argument("bundle")
    report.add_argument("--stdout", action="store_true", help="(the default) print the report")
    report.add_argument("--reseal", action="store_true",
                        help="seal a bundle whose drill stopped before sealing it (recorded in the bundle)")
    report.add_argument("--reason", help="with --reseal: why, recorded with the seal")
    report.add_argument("--signing-key", metavar="KEY", help="with --reseal: sign the seal with this SSH key")
    report.add_argument("--pdf", metavar="FILE", help="print report.html with its sign-offs to a PDF (needs Chromium)")
    report.add_argument("--junit", metavar="FILE", help="write the drill as JUnit XML (the bundle's junit.xml)")
    report.add_argument("--prometheus", metavar="FILE",
                        help="write the drill's metrics into a node_exporter textfile (other environments kept)")
    report.set_defaults(func=cmd_report)

    verify = commands.add_parser(
        "verify", help="check a bundle: files, figures re-derived, seal and sign-off signatures")
    verify.add_argument("bundle")
    verify.add_argument("--allowed-signers", metavar="FILE",
                        help="allowed-signers file (ssh-keygen(1)): each signature is verified, unknown or bad")
    verify.set_defaults(func=cmd_verify)

    signoff = commands.add_parser("signoff", help="verify a sealed bundle, then record your signed sign-off")
    signoff.add_argument("bundle")
    signoff.add_argument("--by", required=True, metavar="PRINCIPAL",
                         help="who signs: your principal in the allowed-signers file, e.g. alice@example.com")
    signoff.add_argument("--key", required=True, metavar="KEY",
                         help="your SSH key: a private key file, or a public key file whose private key is in ssh-agent")
    signoff.add_argument("--role", help="your role, e.g. sre-lead")
    signoff.add_argument("--note", help="a note or follow-up (one line)")
    signoff.add_argument("--allowed-signers", metavar="FILE", help="also check that this file accepts your key as --by")
    signoff.set_defaults(func=cmd_signoff)

    recover = commands.add_parser("recover", help="undo what an interrupted drill left open (from its journal)")
    recover.add_argument("-i", "--inventory", required=True, help="inventory of the environment to recover")
    recover.add_argument("-e", "--extra-vars", action="append", metavar="VARS",
                         help="the same extra vars the drill ran with (key=value, JSON, or @file.yml)")
    recover.add_argument("--vault-password-file", metavar="FILE")
    recover.add_argument("--project", help="a hadrill checkout (default: the one around the current directory, else "
                         "the installed hadrill.drills collection, run from the current directory)")
    recover.add_argument("--evidence-root", help="where bundles are (default: <project>/artifacts/ha_drill)")
    recover.set_defaults(func=cmd_recover)

    history = commands.add_parser("history", help="one row per verified drill, flagging figures that got worse")
    history.add_argument("dir", nargs="?", default="artifacts/ha_drill")
    history.add_argument("--tolerance-percent", type=float, metavar="P",
                         help="flag a figure only when it grew by more than P%% (default: drill_history_tolerance, 10)")
    history.add_argument("--tolerance-seconds", type=float, metavar="S",
                         help="... and by more than S seconds (default: drill_history_tolerance, 5)")
    history.add_argument("--html", metavar="FILE",
                         help="also write a page charting RTO, RPO, rollback and drain over time per environment")
    history.set_defaults(func=cmd_history)

    schema = commands.add_parser("schema", help="print a published JSON Schema of the evidence bundle")
    schema.add_argument("name", nargs="?", help="summary, drill, event, seal or signoff (none: list them)")
    schema.set_defaults(func=cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    from hadrill.jsonl import MalformedLine
    from hadrill.signing import SigningError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"hadrill: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Refused as exc:
        print(f"hadrill: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    except MalformedLine as exc:  # a JSON-lines file no hadrill writer produced
        print(f"hadrill: {exc}; nothing was changed", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    except SigningError as exc:  # ssh-keygen missing, a key that cannot sign
        print(f"hadrill: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    except KeyboardInterrupt:
        print("hadrill: interrupted", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    except Exception as exc:  # the operator gets a sentence, not a traceback
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"hadrill: unexpected error: {type(exc).__name__}: {exc} (rerun with --debug for details)", file=sys.stderr)
        return EXIT_COULD_NOT_RUN


if __name__ == "__main__":
    sys.exit(main())
