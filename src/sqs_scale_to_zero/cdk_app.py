"""A CDK app run the way the ``cdk`` CLI runs it, and the templates of its cloud assembly.

``synth`` summarizes what :func:`synthesize` writes; ``simulate`` takes a template, a cloud
assembly folder or an app folder (:func:`simulated_templates`). This module never imports
aws_cdk: the app runs in a subprocess.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError
from sqs_scale_to_zero.simulate.template.reader import TemplateReader


class CliError(Exception):
    """A problem reported as one line on stderr with a non-zero exit."""


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


def synthesize(app_dir: str, outdir: str | None = None, context: Sequence[str] = ()) -> list[Path]:
    """Run the CDK app in ``app_dir``; the templates of this run's cloud assembly, in order.

    Only the stacks of this run's cloud assembly are returned (read from its
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
    return templates


def simulated_templates(arguments: Sequence[str], service: str | None = None) -> list[Path]:
    """The templates ``simulate`` runs: each argument a template, a cloud assembly or an app.

    A cloud assembly folder (with ``manifest.json``) gives each of its stacks that has an ECS
    service (``service``, when given); an app folder is synthesized first, as by ``synth``.
    """
    templates: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if not path.is_dir():
            templates.append(path)
            continue
        assembly = (path / "manifest.json").is_file()
        if not (assembly or (path / "app.py").is_file() or (path / "cdk.json").is_file()):
            raise SimulationArgumentError(
                f"{argument}: a directory, but neither a cloud assembly (manifest.json) nor an "
                "app (app.py or cdk.json); give a template file, cdk.out or the app's folder"
            )
        stacks = _assembly_templates(path) if assembly else synthesize(argument)
        found = [
            t
            for t in stacks
            if (service in TemplateReader.from_path(t).service_ids())
            or (service is None and TemplateReader.from_path(t).service_ids())
        ]
        if not found:
            raise CliError(
                f"{argument}: no stack with "
                + (f"the ECS service {service}" if service else "an ECS service")
            )
        templates.extend(found)
    return templates
