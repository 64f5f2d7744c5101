"""Check a release tag against the project and print its CHANGELOG section.

Usage (the release workflow runs this before building)::

    python scripts/release_notes.py v0.2.0 > notes.md

Fails, naming the fix, when the tag is not ``v`` + the ``[project] version`` of pyproject.toml
(set by ``VERSION`` in ``.projenrc.py``) or when CHANGELOG.md has no ``## [0.2.0]`` section.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ReleaseError(Exception):
    """The tag, the version and the changelog disagree."""


def project_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """Return ``[project] version`` from pyproject.toml."""
    version: str = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    return version


def changelog_section(changelog: str, version: str) -> str:
    """Return the body of the ``## [version]`` section of a Keep a Changelog file.

    Raises:
        ReleaseError: The changelog has no section for ``version``, or it is empty.
    """
    heading = re.compile(rf"^## \[{re.escape(version)}\][^\n]*\n", flags=re.M)
    match = heading.search(changelog)
    if match is None:
        raise ReleaseError(
            f"CHANGELOG.md has no `## [{version}] - YYYY-MM-DD` section: "
            "move the Unreleased entries into one"
        )
    rest = changelog[match.end() :]
    end = re.search(r"^## |^\[[^\]]+\]: ", rest, flags=re.M)
    body = rest[: end.start() if end else len(rest)].strip()
    if not body:
        raise ReleaseError(f"CHANGELOG.md's section for {version} is empty")
    return body


def release_notes(tag: str, root: Path = ROOT) -> str:
    """Check ``tag`` against the project version and return the release notes for it.

    Raises:
        ReleaseError: The tag does not match the version, or the changelog lacks the section.
    """
    version = project_version(root / "pyproject.toml")
    if tag != f"v{version}":
        raise ReleaseError(
            f"tag {tag} does not match the project version {version}: set VERSION in "
            f".projenrc.py, run `python .projenrc.py`, commit, and tag v{version}"
        )
    return changelog_section((root / "CHANGELOG.md").read_text(encoding="utf-8"), version)


def main(argv: list[str] | None = None) -> int:
    """Print the notes for the tag given as the only argument, or explain what is wrong."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: release_notes.py vX.Y.Z", file=sys.stderr)
        return 2
    try:
        print(release_notes(args[0]))
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
