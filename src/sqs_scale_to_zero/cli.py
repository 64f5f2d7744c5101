"""The ``sqs-scale-to-zero`` command line: new, synth, simulate, local and from-copilot.

This module never imports aws_cdk: ``synth`` runs the CDK app in a subprocess
(:mod:`.cdk_app`) and reads the templates it writes with the simulator's template reader.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from sqs_scale_to_zero.cdk_app import CliError, simulated_templates, synthesize
from sqs_scale_to_zero.copilot.plan import ManifestError
from sqs_scale_to_zero.local import LocalError, run_local
from sqs_scale_to_zero.scaffold import LANGUAGES, ScaffoldError, write_app
from sqs_scale_to_zero.simulate.describe import summary
from sqs_scale_to_zero.simulate.errors import SimulationArgumentError, SimulationInputError
from sqs_scale_to_zero.simulate.idle_bill import bill_of
from sqs_scale_to_zero.simulate.plain_summary import WIDTH
from sqs_scale_to_zero.simulate.report import column_name, table
from sqs_scale_to_zero.simulate.template.reader import TemplateReader

PROG = "sqs-scale-to-zero"
EXIT_BROKEN_PIPE = 141
"""The exit status when stdout's reader went away: 128 + SIGPIPE, as a shell reports it."""


def parser() -> argparse.ArgumentParser:
    """The command line's argument parser."""
    command_line = argparse.ArgumentParser(
        prog=PROG, description="SQS queue workers on ECS Fargate that scale to zero."
    )
    command_line.add_argument("--version", action="version", version=_version())
    sub = command_line.add_subparsers(dest="command", required=True)

    new = sub.add_parser("new", help="write a new CDK app with a worker, ready for cdk synth")
    new.add_argument("directory", metavar="DIR", help="the new app's folder (absent or empty)")
    new.add_argument(
        "--language",
        choices=LANGUAGES,
        default=LANGUAGES[0],
        help=f"the worker's language (default: {LANGUAGES[0]})",
    )

    local = sub.add_parser(
        "local",
        help="run a handler (or POST to an app, --deliver-to) against a local SQS made with "
        "the construct's settings",
    )
    local.add_argument(
        "handler",
        metavar="HANDLER",
        nargs="?",
        help="package.module:function, as in the image (or --deliver-to)",
    )
    local.add_argument(
        "--deliver-to",
        metavar="URL",
        help="POST each message to the app listening at this http://127.0.0.1:PORT/PATH "
        "instead, as HttpDelivery does in the task (an app in any language)",
    )
    local.add_argument(
        "--template",
        metavar="FILE",
        help="take the queue's settings from this template (default: the one in cdk.out here "
        "or in the parent folder, else the construct's defaults)",
    )
    local.add_argument("--service", metavar="LOGICAL_ID", help="the ECS service, if several")
    local.add_argument("--port", type=int, help="the local SQS's port (default: a free one)")

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
    synth.add_argument(
        "--details",
        action="store_true",
        help="after each service's plain summary, the technical detail: logical IDs, alarms "
        "with their metric math, step levels",
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
        help="a template JSON file, a cloud assembly folder (cdk.out: each stack with an ECS "
        "service) or an app folder (synthesized first, as by synth)",
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
    sim.add_argument(
        "--timeline",
        metavar="FILE",
        help="write each run minute by minute: STEM.csv (queue, tasks, alarms, messages started "
        "and finished) and STEM.messages.csv (every message's wait); FILE ending in .png or "
        ".svg also draws them (needs the plot extra: pip install 'sqs-scale-to-zero[plot]')",
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


def synth(
    app_dir: str, outdir: str | None = None, context: Sequence[str] = (), details: bool = False
) -> int:
    """Run the CDK app in ``app_dir`` and print each template's path and scaling summary.

    See :func:`synthesize`; ``details`` adds the technical detail (logical IDs, metric math,
    step levels) after each service's plain summary.
    """
    for path in synthesize(app_dir, outdir, context):
        print(path)
        reader = TemplateReader.from_path(path)
        services = reader.service_ids()
        if not services:
            print("  (no ECS service)")
        for sid in services:
            try:
                lines = summary(reader.service(sid), details=details)
            except SimulationInputError as exc:
                lines = [f"service {sid}: cannot summarize ({exc})"]
            print("\n".join("  " + line for line in lines))
        bill = bill_of(reader).summary(width=WIDTH - 2, details=details)
        print("\n".join("  " + line for line in bill))
    return 0


def new(directory: str, language: str) -> int:
    """Write a new app into ``directory`` and print what was written and what to run next."""
    root = Path(directory)
    for path in write_app(root, language):
        print(f"wrote {path}")
    print(
        f"\nnext (with the CDK CLI: npm install -g aws-cdk):\n"
        f"  cd {shlex.quote(directory)} && cdk synth      # or: sqs-scale-to-zero synth .\n"
        f"  cdk bootstrap && cdk deploy    # needs AWS credentials and Docker"
    )
    if language == "python":
        print(
            "until sqs-scale-to-zero-worker is on the package index: worker/README.md "
            "says how to put its wheel into worker/wheels/"
        )
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    """The ``simulate`` subcommand."""
    from sqs_scale_to_zero.simulate.api import check_timeline_path, simulate
    from sqs_scale_to_zero.simulate.workload import from_spec

    items = from_spec(args.workload)
    if args.timeline is not None:
        check_timeline_path(args.timeline)  # before an app folder is synthesized
    results = simulate(
        simulated_templates(args.templates, args.service),
        items,
        seed=args.seed,
        horizon=args.horizon,
        service=args.service,
        deploy_at=args.deploy_at,
        timeline=args.timeline,
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
        workload generator or a timeline picture without matplotlib, and a ``from-copilot``
        manifest it refuses); 141 (128 + SIGPIPE) when stdout's reader closes early
        (``| head``), without a traceback.
    """
    args = parser().parse_args(argv)
    try:
        if args.command == "local":
            return run_local(
                args.handler,
                deliver_to=args.deliver_to,
                template=args.template,
                service=args.service,
                port=args.port,
            )
        if args.command == "new":
            return new(args.directory, args.language)
        if args.command == "synth":
            status = synth(args.app_dir, args.outdir, args.context, args.details)
        elif args.command == "from-copilot":
            status = run_from_copilot(args)
        else:
            status = run_simulate(args)
        sys.stdout.flush()  # inside the try: a closed pipe is reported here, not at exit
        return status
    except BrokenPipeError:
        # the reader (e.g. `| head`) closed early: say nothing more, as a killed writer would
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (SimulationArgumentError, ScaffoldError, LocalError, ManifestError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except (CliError, SimulationInputError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
