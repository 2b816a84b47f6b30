"""The hadrill command line: run drills, verify and sign their evidence, compare them over time."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import Any

import hadrill

EXIT_PASS, EXIT_FAIL, EXIT_PARTIAL, EXIT_COULD_NOT_RUN = 0, 1, 2, 3
RESULT_EXIT = {"pass": EXIT_PASS, "fail": EXIT_FAIL, "partial": EXIT_PARTIAL}


class UsageError(Exception):
    """A problem the operator can fix; printed without a traceback."""


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
    if not (root / "drill.json").exists():
        raise UsageError(f"{path}: not a drill evidence bundle (no drill.json)")
    return root


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
    print(f"Evidence: {bundle}", file=out)


def cmd_run(args: argparse.Namespace) -> int:
    from hadrill.config import ConfigError
    from hadrill.finalize import finalize
    from hadrill.inventory import InventoryError, load_config
    from hadrill.layout import Bundle
    from hadrill.runner import Progress, find_project_dir, run_drill
    from hadrill.summary import Summary

    project = Path(args.project) if args.project else find_project_dir(Path.cwd())
    if project is None:
        raise UsageError("cannot find the hadrill project (playbooks/drill.yml and ansible.cfg); run from it or pass --project")
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
    print(f"hadrill {hadrill.__version__}: drill on {settings.drill_environment} ({settings.drill_environment_class}), "
          f"scenarios: {', '.join(settings.drill_scenarios) or 'none'}; owner {settings.drill_owner}")
    progress = Progress(out=sys.stdout)
    outcome = run_drill(
        project_dir=project, inventory=inventory, extra_vars=extravars, progress=progress,
        vault_password_file=vault, evidence_root=Path(args.evidence_root).resolve() if args.evidence_root else None,
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
        from hadrill.recover import recover_bundle, stop_orphans

        stop_orphans()
        entries = journal.open_entries(bundle_dir)
        if entries:
            print(f"undoing {len(entries)} open action(s) of the interrupted drill…", flush=True)
            _report_recovery([recover_bundle(project, inventory, bundle_dir, entries, vault_password_file=vault,
                                             extra_vars=extravars)])
    if not bundle.manifest.exists():
        # The playbook did not reach its sealing step: seal what was recorded, saying why.
        if not outcome.cancelled:
            from hadrill.events import make_marker, record_marker

            reason = outcome.failure or f"ansible-playbook ended with status {outcome.status} (rc {outcome.rc})"
            record_marker(bundle_dir, make_marker("drill_stopped", data={"reason": reason}))
        finalize(bundle_dir)
    summary = Summary.model_validate_json(bundle.summary.read_text(encoding="utf-8"))
    print_summary(summary, bundle_dir)
    if outcome.cancelled:
        return EXIT_PARTIAL if summary.result != "fail" else EXIT_FAIL
    return RESULT_EXIT.get(summary.result, EXIT_COULD_NOT_RUN)


def _evidence_root(project: Path, explicit: str | None) -> Path:
    import os

    from hadrill.start import resolve_evidence_root

    return resolve_evidence_root(explicit, os.environ.get("HADRILL_EVIDENCE_ROOT"), project).resolve()


def _report_recovery(results: list[Any]) -> int:
    remaining = 0
    for result in results:
        print(f"{result.bundle.name}: tried to undo {len(result.attempted)} open action(s)")
        for entry in result.attempted:
            left = any(item.id == entry.id for item in result.still_open)
            where = f" on {entry.host}" if entry.host else ""
            print(f"  {'STILL OPEN' if left else 'undone    '}  {entry.action}{where} ({entry.undo.get('kind')})")
        if result.still_open:
            remaining += len(result.still_open)
            print("  recovery playbook output (last lines):\n" + "\n".join("    " + line for line in result.output_tail.splitlines()))
        print(f"  bundle re-sealed: {result.bundle}")
    return remaining


def cmd_recover(args: argparse.Namespace) -> int:
    from hadrill.config import ConfigError
    from hadrill.inventory import InventoryError, load_config
    from hadrill.recover import RecoveryRefused, bundles_with_open_entries, recover_bundle, refuse_if_running, stop_orphans
    from hadrill.runner import find_project_dir, remove_leftover_private_dirs

    project = Path(args.project) if args.project else find_project_dir(Path.cwd())
    if project is None:
        raise UsageError("cannot find the hadrill project (playbooks/recover.yml and ansible.cfg); run from it or pass --project")
    vault = Path(args.vault_password_file) if args.vault_password_file else None
    extravars = _parse_extra_vars(args.extra_vars or [])
    try:
        config = load_config(Path(args.inventory), extravars.with_values(drill_scenarios="none"), vault_password_file=vault)
    except (ConfigError, InventoryError) as exc:
        print(f"hadrill: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    environment = config.settings.drill_environment
    root = _evidence_root(project, args.evidence_root)
    try:
        refuse_if_running(root, environment)
    except RecoveryRefused as exc:
        print(f"hadrill: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    orphans = stop_orphans()
    if orphans:
        print(f"stopped {len(orphans)} process(es) of the interrupted drill still running without their controller "
              f"(its ansible-playbook, the workers and what they ran): {orphans}")
    leftovers = remove_leftover_private_dirs()
    if leftovers:
        print(f"removed {len(leftovers)} ansible-runner directory(ies) left by a killed controller "
              f"(raw task output): {', '.join(str(path) for path in leftovers)}")
    pending = bundles_with_open_entries(root, environment)
    if not pending:
        print(f"nothing to recover: no drill of {environment!r} under {root} has open actions")
        return EXIT_PASS
    results = [recover_bundle(project, Path(args.inventory), bundle, entries, vault_password_file=vault,
                              extra_vars=extravars)
               for bundle, entries in pending]
    remaining = _report_recovery(results)
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
    print(f"configuration valid: environment {settings.drill_environment} ({settings.drill_environment_class}), "
          f"scenarios {settings.drill_scenarios or 'none'}, "
          + ", ".join(f"{group} {len(hosts)}" for group, hosts in config.hosts.items()))
    return EXIT_PASS


def cmd_report(args: argparse.Namespace) -> int:
    from hadrill import manifest
    from hadrill.finalize import finalize, render
    from hadrill.report import render_report
    from hadrill.signoff import check, load_signatures
    from hadrill.summary import Summary

    root = _bundle(args.bundle)
    if not (root / manifest.MANIFEST_NAME).exists():
        summary, _ = finalize(root)
        print(f"sealed the unsealed bundle {root}: {summary.result}")
        return EXIT_PASS
    state = check(root)
    if not state.ok and not args.stdout:
        raise UsageError("the bundle does not verify; refusing to re-render it:\n" + "\n".join(f"  - {p}" for p in state.problems))
    if args.stdout or load_signatures(root):
        if not args.stdout:
            print("the bundle is signed: re-rendering would break the signatures; printing to stdout instead", file=sys.stderr)
        summary = Summary.model_validate_json((root / "summary.json").read_text(encoding="utf-8"))
        sys.stdout.write(render_report(root, summary))
        return EXIT_PASS
    summary = render(root)
    manifest.write_manifest(root)
    print(f"re-rendered {root / 'report.md'} and summary.json ({summary.result}); manifest rewritten")
    return EXIT_PASS


def cmd_verify(args: argparse.Namespace) -> int:
    from hadrill.signoff import check

    root = _bundle(args.bundle)
    state = check(root)
    if state.ok:
        signed = ", ".join(sig.get("by", "?") for sig in state.signatures) or "not signed"
        print(f"OK: {root} matches its manifest ({state.manifest_digest}); {signed}")
        return EXIT_PASS
    print(f"TAMPERED or incomplete: {root}", file=sys.stderr)
    for problem in state.problems:
        print(f"  - {problem}", file=sys.stderr)
    return EXIT_FAIL


def cmd_signoff(args: argparse.Namespace) -> int:
    from hadrill.signoff import BundleTampered, sign

    root = _bundle(args.bundle)
    try:
        entry = sign(root, by=args.by, role=args.role, note=args.note)
    except BundleTampered as exc:
        print(f"hadrill: refusing to sign {root}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"signed by {entry['by']} at {entry['at']}; manifest {entry['manifest_sha256']}")
    return EXIT_PASS


def cmd_history(args: argparse.Namespace) -> int:
    from hadrill.history import load_rows, render_table

    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"{root}: no such directory")
    rows = load_rows(root)
    if not rows:
        print(f"no drills with a summary under {root}")
        return EXIT_PASS
    print(render_table(rows))
    return EXIT_PASS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hadrill", description=__doc__)
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
    run.add_argument("--project", help="project directory (default: found from the current directory)")
    run.add_argument("--evidence-root", help="where bundles go (default: <project>/artifacts/ha_drill)")
    run.set_defaults(func=cmd_run)

    validate = commands.add_parser("validate", help="validate an inventory's drill configuration without running anything")
    add_inventory_options(validate)
    validate.set_defaults(func=cmd_validate)

    report = commands.add_parser("report", help="re-render summary.json and report.md from the recording")
    report.add_argument("bundle")
    report.add_argument("--stdout", action="store_true", help="print the report instead of writing it")
    report.set_defaults(func=cmd_report)

    verify = commands.add_parser("verify", help="check a bundle against its manifest and signatures")
    verify.add_argument("bundle")
    verify.set_defaults(func=cmd_verify)

    signoff = commands.add_parser("signoff", help="verify a bundle, then record a signature")
    signoff.add_argument("bundle")
    signoff.add_argument("--by", required=True, help="who signs")
    signoff.add_argument("--role", help="their role, e.g. sre-lead")
    signoff.add_argument("--note", help="a note or follow-up, shown in the report")
    signoff.set_defaults(func=cmd_signoff)

    recover = commands.add_parser("recover", help="undo what an interrupted drill left open (from its journal)")
    recover.add_argument("-i", "--inventory", required=True, help="inventory of the environment to recover")
    recover.add_argument("-e", "--extra-vars", action="append", metavar="VARS",
                         help="the same extra vars the drill ran with (key=value, JSON, or @file.yml)")
    recover.add_argument("--vault-password-file", metavar="FILE")
    recover.add_argument("--project", help="project directory (default: found from the current directory)")
    recover.add_argument("--evidence-root", help="where bundles are (default: <project>/artifacts/ha_drill)")
    recover.set_defaults(func=cmd_recover)

    history = commands.add_parser("history", help="one row per drill, flagging figures that got worse")
    history.add_argument("dir", nargs="?", default="artifacts/ha_drill")
    history.set_defaults(func=cmd_history)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
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
