"""The benchmarks' output: one table renderer, and the writer of their ``docs/benchmarks`` files.

A benchmark that publishes a table takes ``--write-docs``: it renders its output in Markdown and
:func:`write_docs` puts it into ``docs/benchmarks/NAME.md`` between :data:`BEGIN` and
:data:`END`, under a header naming the command that regenerates the file and the one that made
it, with its date. The text around the markers (what was measured, what the numbers say) is
written by hand and kept.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks"
"""Where each benchmark's published tables live, one file per benchmark."""

BEGIN = "<!-- BEGIN output of the command named above; rewritten by it -->"
END = "<!-- END output -->"
MADE_BY = re.compile(r"^> Last written .*$", flags=re.M)


def table_lines(
    headers: Sequence[str], body: Sequence[Sequence[str]], *, markdown: bool
) -> list[str]:
    """``body`` under ``headers``; in Markdown the first two columns are left-aligned labels.

    Args:
        headers: The column names.
        body: One list of cell texts per row.
        markdown: A Markdown table instead of space-aligned columns.

    Returns:
        The table's lines.
    """
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|---|---|" + "---:|" * (len(headers) - 2)]
        return lines + ["| " + " | ".join(cells) + " |" for cells in body]
    widths = [max(len(x) for x in column) for column in zip(headers, *body, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    return lines + ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]


def regenerate_command(module: str, *required: str) -> str:
    """The command that rewrites ``module``'s docs file, as its header names it.

    Args:
        module: The benchmark's module under ``benchmarks`` (``idle_detection``).
        required: Arguments it cannot run without (``--sqsd-source DIR``).

    Returns:
        ``python -m benchmarks.MODULE [REQUIRED ...] --write-docs``.
    """
    return " ".join(["python -m", f"benchmarks.{module}", *required, "--write-docs"])


def made_by_line(module: str, argv: Sequence[str], when: datetime.datetime) -> str:
    """The header line saying which command line wrote the output, and when (UTC)."""
    command = shlex.join(["python", "-m", f"benchmarks.{module}", *argv])
    return f"> Last written {when:%Y-%m-%d %H:%M} UTC by `{command}`."


def write_docs(
    name: str,
    title: str,
    module: str,
    argv: Sequence[str],
    output: str,
    *,
    required: Sequence[str] = (),
    when: datetime.datetime | None = None,
    docs: Path = DOCS,
) -> Path:
    """Write ``output`` into ``docs/NAME.md``, keeping the hand-written text around it.

    A new file gets a title, the header and the markers; an existing one gets its header's
    "Last written" line and the text between :data:`BEGIN` and :data:`END` replaced.

    Args:
        name: The file's name without ``.md`` (``idle-detection``).
        title: The file's title, used only when the file is new.
        module: The benchmark's module under ``benchmarks``.
        argv: The arguments the benchmark ran with, named in the header.
        output: The benchmark's Markdown output.
        required: Arguments the benchmark cannot run without, for the regenerate command.
        when: When it ran. Default: now.
        docs: The folder. Default: :data:`DOCS`.

    Returns:
        The file written.

    Raises:
        ValueError: An existing file lacks the markers or the "Last written" line.
    """
    moment = when or datetime.datetime.now(datetime.UTC)
    made_by = made_by_line(module, argv, moment)
    block = f"{BEGIN}\n{output.strip()}\n{END}"
    path = docs / f"{name}.md"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if BEGIN not in text or END not in text or not MADE_BY.search(text):
            raise ValueError(f"{path}: no '> Last written' line or no {BEGIN!r} ... {END!r}")
        start, end = text.index(BEGIN), text.index(END) + len(END)
        text = MADE_BY.sub(lambda _: made_by, text[:start] + block + text[end:], count=1)
    else:
        text = "\n".join(
            [
                f"# {title}",
                "",
                f"> Regenerate: `{regenerate_command(module, *required)}` (from the repository",
                "> root, in its venv). The part between the markers below is its output; the",
                "> text around it is written by hand. The stacks compared are described in",
                "> [the index](README.md).",
                ">",
                made_by,
                "",
                block,
                "",
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True)
class DocsFile:
    """A benchmark's ``docs/benchmarks`` file: its ``--write-docs`` flag and its writer.

    Attributes:
        name: The file's name without ``.md`` (``idle-detection``).
        title: The file's title, used when the file is new.
        module: The benchmark's module under ``benchmarks`` (``idle_detection``).
        required: Arguments the benchmark cannot run without (``--sqsd-source DIR``).
    """

    name: str
    title: str
    module: str
    required: tuple[str, ...] = ()

    def add_flag(self, parser: argparse.ArgumentParser) -> None:
        """Give ``parser`` the ``--write-docs`` flag."""
        parser.add_argument(
            "--write-docs",
            action="store_true",
            help=f"print Markdown and write it into docs/benchmarks/{self.name}.md",
        )

    def write(self, argv: Sequence[str] | None, output: str) -> Path:
        """Write ``output`` (Markdown) into the file; ``argv`` None means ``sys.argv[1:]``."""
        return write_docs(
            self.name,
            self.title,
            self.module,
            sys.argv[1:] if argv is None else argv,
            output,
            required=self.required,
        )
