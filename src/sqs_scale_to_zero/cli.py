"""The ``sqs-scale-to-zero`` command line: ``synth``, ``simulate`` and ``from-copilot``.

This module never imports aws_cdk: ``synth`` runs the CDK app in a subprocess and reads the
templates it writes with the simulator's template reader.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqs_scale_to_zero.copilot.plan import ManifestError
from sqs_scale_to_zero.simulate.describe import describe
from sqs_scale_to_zero.simulate.errors import SimulationArgumentError, SimulationInputError
from sqs_scale_to_zero.simulate.report import column_name, table
from sqs_scale_to_zero.simulate.template.reader import TemplateReader

PROG = "sqs-scale-to-zero"


class CliError(Exception):
    """A problem reported as one line on stderr with a non-zero exit."""


def parser() -> argparse.ArgumentParser:
    """The command line's argument parser."""
    command_line = argparse.ArgumentParser(
        prog=PROG, description="SQS queue workers on ECS Fargate that scale to zero."
    )
    command_line.add_argument("--version", action="version", version=_version())
    sub = command_line.add_subparsers(dest="command", required=True)

    synth = sub.add_parser(
        "synth", help="synthesize a CDK app and summarize each service's scaling"
    )
    synth.add_argument(
        "app_dir",
        metavar="APP_DIR",
        help="directory holding app.py (and optionally cdk.json)",
    )
    synth.add_argument(
        "--outdir",
        metavar="DIR",
        help="cloud assembly directory (default: APP_DIR/cdk.out)",
    )
    synth.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="context for the app, as with cdk synth -c (repeatable; over cdk.json's "
        "'context' and cdk.context.json)",
    )

    sim = sub.add_parser(
        "simulate",
        help="replay a workload against synthesized templates",
        epilog=_generators_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sim.add_argument(
        "templates",
        metavar="TEMPLATE",
        nargs="+",
        help="template JSON files from cdk.out",
    )
    sim.add_argument(
        "--workload",
        required=True,
        metavar="FILE",
        help="JSON Lines file ({'at', 'work_seconds', 'cpu_percent'} per line; 'topic' and "
        "'attributes' publish to a subscribed SNS topic, 'schedule' gives the work of a "
        "schedule's runs) or a generator spec NAME:key=value,... (generators and their keys "
        "below)",
    )
    sim.add_argument("--json", action="store_true", help="print {'results': [...]} as JSON")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    sim.add_argument("--horizon", type=float, metavar="SECONDS", help="virtual seconds to simulate")
    sim.add_argument(
        "--service",
        metavar="LOGICAL_ID",
        help="the ECS service, where a template has several",
    )
    sim.add_argument(
        "--deploy-at",
        type=float,
        action="append",
        default=[],
        metavar="SECONDS",
        help="deploy a new task definition at this virtual time (repeatable); each "
        "deployment is reported: time to complete, messages started on old code, "
        "interrupted, duplicates",
    )

    copilot = sub.add_parser(
        "from-copilot",
        help="write a CDK app (app.py, cdk.json) from an AWS Copilot Worker Service manifest",
    )
    copilot.add_argument("manifest", metavar="MANIFEST", help="the service's manifest.yml")
    copilot.add_argument("--app", required=True, help="the Copilot application's name")
    copilot.add_argument("--env", required=True, help="the Copilot environment to deploy as")
    copilot.add_argument("-o", "--out", required=True, metavar="DIR", help="where to write")
    return command_line


def _version() -> str:
    """``sqs-scale-to-zero X (sqs-scale-to-zero-worker Y)``: the installed distributions."""
    versions = []
    for dist in ("sqs-scale-to-zero", "sqs-scale-to-zero-worker"):
        try:
            versions.append(importlib.metadata.version(dist))
        except importlib.metadata.PackageNotFoundError:
            versions.append("not installed")
    return f"{PROG} {versions[0]} (sqs-scale-to-zero-worker {versions[1]})"


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise CliError(f"{path}: not valid JSON") from None
    if not isinstance(value, dict):
        raise CliError(f"{path}: not a JSON object")
    return value


def _context(app_dir: Path, pairs: Sequence[str]) -> dict[str, Any]:
    """The context the cdk CLI gives an app.

    Lowest precedence first: ``cdk.context.json``, ``cdk.json``'s ``context``, then each
    ``-c KEY=VALUE`` (a string, as with ``cdk -c``).
    """
    context: dict[str, Any] = {}
    if (app_dir / "cdk.context.json").is_file():
        context.update(_read_json_object(app_dir / "cdk.context.json"))
    if (app_dir / "cdk.json").is_file():
        project = _read_json_object(app_dir / "cdk.json").get("context", {})
        if not isinstance(project, dict):
            raise CliError(f"{app_dir / 'cdk.json'}: 'context' is not a JSON object")
        context.update(project)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"-c expects KEY=VALUE, got {pair!r}")
        context[key] = value
    return context


def _assembly_templates(out: Path) -> list[Path]:
    """The templates of the stacks in the cloud assembly at ``out``, in manifest order.

    Reads ``manifest.json`` (nested assemblies, i.e. stages, included), so templates left in
    ``out`` by earlier runs are never summarized.
    """
    manifest_path = out / "manifest.json"
    if not manifest_path.is_file():
        raise CliError(f"synth: the app wrote no cloud assembly (manifest.json) into {out}")
    artifacts = _read_json_object(manifest_path).get("artifacts", {})
    templates = []
    for artifact in artifacts.values():
        properties = artifact.get("properties", {})
        if artifact.get("type") == "aws:cloudformation:stack":
            templates.append(out / properties["templateFile"])
        elif artifact.get("type") == "cdk:cloud-assembly":
            templates.extend(_assembly_templates(out / properties["directoryName"]))
    return templates


def _generators_help() -> str:
    """The ``simulate`` epilog: every workload generator with its keys and defaults."""
    from sqs_scale_to_zero.simulate.workload.registry import GENERATORS

    lines = ["workload generators (NAME:key=value,...; these are the defaults):"]
    lines += [f"  {g.usage()}" for g in GENERATORS.values()]
    lines.append(
        "times and durations are seconds (hours/days where named), finite and >= 0; "
        "cpu_percent is 0-100"
    )
    return "\n".join(lines)


def _app_command(app_dir: Path) -> list[str]:
    """The command that runs the app: ``cdk.json``'s ``app`` if it is ``python <file>``, else app.py."""
    cdk_json = app_dir / "cdk.json"
    if cdk_json.exists():
        app = _read_json_object(cdk_json).get("app")
        if isinstance(app, str):
            words = shlex.split(app)
            if (
                len(words) == 2
                and Path(words[0]).name.startswith("python")
                and words[1].endswith(".py")
            ):
                return [sys.executable, words[1]]
    if (app_dir / "app.py").exists():
        return [sys.executable, "app.py"]
    raise CliError(f"{app_dir}: no app.py (and no cdk.json 'app' of the form 'python <file>.py')")


def synth(app_dir: str, outdir: str | None = None, context: Sequence[str] = ()) -> int:
    """Run the CDK app in ``app_dir`` and print each template's path and scaling summary.

    Only the stacks of this run's cloud assembly are summarized (read from its
    ``manifest.json``); ``context`` holds ``KEY=VALUE`` pairs passed to the app as with
    ``cdk synth -c``.
    """
    app = Path(app_dir)
    if not app.is_dir():
        raise CliError(f"{app_dir}: not a directory")
    out = Path(outdir).resolve() if outdir else (app / "cdk.out").resolve()
    command = _app_command(app)
    env = dict(os.environ, CDK_OUTDIR=str(out))
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    values = _context(app, context)
    if values:
        env["CDK_CONTEXT_JSON"] = json.dumps(values)
    (out / "manifest.json").unlink(missing_ok=True)  # never read an earlier run's assembly
    proc = subprocess.run(command, cwd=app, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = next(
            (line.strip() for line in reversed(proc.stderr.splitlines()) if line.strip()),
            "",
        )
        raise CliError(
            f"synth: {' '.join(command[1:])} in {app_dir} failed with exit code {proc.returncode}"
            + (f": {last}" if last else "")
        )
    templates = _assembly_templates(out)
    if not templates:
        raise CliError(f"synth: the app's cloud assembly in {out} has no stack")
    for path in templates:
        print(path)
        reader = TemplateReader.from_path(path)
        services = reader.service_ids()
        if not services:
            print("  (no ECS service)")
        for sid in services:
            try:
                lines = describe(reader.service(sid))
            except SimulationInputError as exc:
                lines = [f"service {sid}: cannot summarize ({exc})"]
            print("\n".join("  " + line for line in lines))
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    """The ``simulate`` subcommand."""
    from sqs_scale_to_zero.simulate.api import simulate
    from sqs_scale_to_zero.simulate.workload import from_spec

    items = from_spec(args.workload)
    results = simulate(
        args.templates,
        items,
        seed=args.seed,
        horizon=args.horizon,
        service=args.service,
        deploy_at=args.deploy_at,
    )
    if args.json:
        print(json.dumps({"results": [r.to_json() for r in results]}, indent=2))
        return 0
    horizon = results[0].horizon_seconds if results else 0.0
    print(f"workload: {len(items)} messages; horizon {horizon / 3600:.2f} h; seed {args.seed}\n")
    print(table(results))
    for r in results:
        for deployment in r.deployments:
            print(f"{column_name(r.template)}: {deployment.summary()}")
    left = [r for r in results if r.unprocessed]
    if left:
        counts = ", ".join(f"{column_name(r.template)} {r.unprocessed}" for r in left)
        print(
            f"note: the horizon ended with messages unprocessed ({counts}); "
            "pass a longer --horizon to see them through"
        )
    return 0


def run_from_copilot(args: argparse.Namespace) -> int:
    """The ``from-copilot`` subcommand: write the app, then list what was not carried over."""
    from sqs_scale_to_zero.copilot.command import from_copilot

    plan = from_copilot(args.manifest, app=args.app, env=args.env, out_dir=args.out)
    print(f"wrote {Path(args.out) / 'app.py'} and {Path(args.out) / 'cdk.json'}")
    if plan.not_carried:
        print("not carried over:")
        for name, why in plan.not_carried:
            print(f"  {name}: {why}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script.

    Returns:
        0 on success; 1 with a one-line message on stderr for invalid input; 2 for bad usage
        (including a ``simulate`` argument that is wrong in itself, such as a malformed
        workload generator or a directory given as a file, and a ``from-copilot`` manifest
        it refuses).
    """
    args = parser().parse_args(argv)
    try:
        if args.command == "synth":
            return synth(args.app_dir, args.outdir, args.context)
        if args.command == "from-copilot":
            return run_from_copilot(args)
        return run_simulate(args)
    except (SimulationArgumentError, ManifestError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except (CliError, SimulationInputError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
