"""The ``sqs-scale-to-zero`` command line: ``synth`` and ``simulate``.

This module never imports aws_cdk: ``synth`` runs the CDK app in a subprocess and reads the
templates it writes with the simulator's template reader.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from sqs_scale_to_zero.simulate.describe import describe
from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.report import table
from sqs_scale_to_zero.simulate.template import TemplateReader

PROG = "sqs-scale-to-zero"


class CliError(Exception):
    """A problem reported as one line on stderr with a non-zero exit."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="SQS queue workers on ECS Fargate that scale to zero."
    )
    sub = parser.add_subparsers(dest="command", required=True)

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

    sim = sub.add_parser("simulate", help="replay a workload against synthesized templates")
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
        help="JSON Lines file ({'at', 'work_seconds', 'cpu_percent'} per line) or a generator "
        "spec: steady:|poisson:|burst:|daily:|idle-then-one: with key=value,... arguments",
    )
    sim.add_argument("--json", action="store_true", help="print {'results': [...]} as JSON")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    sim.add_argument("--horizon", type=float, metavar="SECONDS", help="virtual seconds to simulate")
    sim.add_argument(
        "--service",
        metavar="LOGICAL_ID",
        help="the ECS service, where a template has several",
    )
    return parser


def _app_command(app_dir: Path) -> list[str]:
    """The command that runs the app: ``cdk.json``'s ``app`` if it is ``python <file>``, else app.py."""
    cdk_json = app_dir / "cdk.json"
    if cdk_json.exists():
        try:
            app = json.loads(cdk_json.read_text()).get("app")
        except json.JSONDecodeError:
            raise CliError(f"{cdk_json}: not valid JSON") from None
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


def synth(app_dir: str, outdir: str | None = None) -> int:
    """Run the CDK app in ``app_dir`` and print each template's path and scaling summary."""
    app = Path(app_dir)
    if not app.is_dir():
        raise CliError(f"{app_dir}: not a directory")
    out = Path(outdir).resolve() if outdir else (app / "cdk.out").resolve()
    command = _app_command(app)
    env = dict(os.environ, CDK_OUTDIR=str(out))
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
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
    templates = sorted(out.rglob("*.template.json"))
    if not templates:
        raise CliError(f"synth: the app wrote no *.template.json into {out}")
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
    )
    if args.json:
        print(json.dumps({"results": [r.to_json() for r in results]}, indent=2))
        return 0
    horizon = results[0].horizon_seconds if results else 0.0
    print(f"workload: {len(items)} messages; horizon {horizon / 3600:.2f} h; seed {args.seed}\n")
    print(table(results))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script.

    Returns:
        0 on success; 1 with a one-line message on stderr for invalid input; 2 for bad usage.
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "synth":
            return synth(args.app_dir, args.outdir)
        return run_simulate(args)
    except (CliError, SimulationInputError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
