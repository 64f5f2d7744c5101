"""``sqs-scale-to-zero new``: writes a new CDK app that synthesizes with ``cdk synth`` at once.

The app's files are templates shipped in this package (``templates/<language>/``, each name
ending in ``.tmpl``); ``{{stack_name}}`` in them becomes a stack name made from the folder's
name. The examples under ``examples/`` carry the Python template's ``worker/`` folder unchanged
(a test keeps them equal), so every example builds its image from its own folder.

This module never imports aws_cdk.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

LANGUAGES = ("python", "node")
"""The worker languages ``new`` can write, the first being the default: ``python`` (a handler
run by the worker runtime) or ``node`` (a Node.js HTTP app the runtime POSTs each message to,
``HttpDelivery``)."""

TEMPLATE_SUFFIX = ".tmpl"
RENAMED = {"gitignore": ".gitignore"}
"""Template names that a package would not carry as they are."""
KEPT_EMPTY = {"python": (Path("worker", "wheels", ".gitkeep"),)}
"""Empty files a new app of each language gets so that git keeps their folders. The package cannot carry
``wheels/`` (the project's .gitignore leaves every ``wheels/`` out), so they are made here."""


class ScaffoldError(Exception):
    """A reason ``new`` cannot write the app, said in one line."""


def stack_name(directory: Path) -> str:
    """A CloudFormation stack name from a folder's name: ``my-app`` -> ``MyAppStack``."""
    words = re.findall(r"[A-Za-z0-9]+", directory.resolve().name)
    name = "".join(word[:1].upper() + word[1:] for word in words)
    if not name or not name[0].isalpha():
        name = "App" + name
    return name + "Stack"


def _templates(language: str) -> Traversable:
    return resources.files("sqs_scale_to_zero").joinpath("templates", language)


def _walk(folder: Traversable, relative: Path = Path()) -> list[tuple[Path, Traversable]]:
    """Every template file below ``folder``, with its path in the new app."""
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            found += _walk(entry, relative / entry.name)
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            name = entry.name.removesuffix(TEMPLATE_SUFFIX)
            found.append((relative / RENAMED.get(name, name), entry))
    return found


def template_files(language: str) -> dict[Path, str]:
    """Path in a new app -> its text (``{{stack_name}}`` not yet filled in)."""
    if language not in LANGUAGES:
        raise ScaffoldError(f"--language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    files = {path: entry.read_text() for path, entry in _walk(_templates(language))}
    return files | dict.fromkeys(KEPT_EMPTY.get(language, ()), "")


def write_app(directory: Path, language: str = LANGUAGES[0]) -> list[Path]:
    """Write a new app into ``directory`` (absent or empty) and return the files written.

    Raises:
        ScaffoldError: ``directory`` is a file or holds anything, or ``language`` is unknown.
    """
    files = template_files(language)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ScaffoldError(f"{directory}: exists and is not an empty folder; name a new one")
    name = stack_name(directory)
    written = []
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{{stack_name}}", name))
        written.append(path)
    return written
