"""The benchmarks' docs files: the writer keeps the hand-written text, and every published file
names the command that rewrites it, in the format that command writes."""

from __future__ import annotations

import contextlib
import datetime
import importlib
import io
import re
from pathlib import Path

import pytest

from benchmarks.tables import BEGIN, DOCS, END, DocsFile, table_lines, write_docs

WHEN = datetime.datetime(2026, 12, 6, 21, 0, tzinfo=datetime.UTC)
REGENERATE = re.compile(r"> Regenerate: `python -m benchmarks\.(\w+)((?: [^`]+)?) --write-docs`")
PUBLISHED = sorted(p for p in DOCS.glob("*.md") if p.name != "README.md")


def test_a_new_file_gets_a_title_the_commands_and_the_output(tmp_path: Path) -> None:
    path = write_docs(
        "spikes", "Spikes", "spike", ["--seeds", "2"], "| a |", when=WHEN, docs=tmp_path
    )

    text = path.read_text()
    assert path == tmp_path / "spikes.md"
    assert text.startswith("# Spikes\n")
    assert "> Regenerate: `python -m benchmarks.spike --write-docs`" in text
    assert "> Last written 2026-12-06 21:00 UTC by `python -m benchmarks.spike --seeds 2`." in text
    assert f"{BEGIN}\n| a |\n{END}" in text


def test_a_rewrite_replaces_the_output_and_date_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write_docs("spikes", "Spikes", "spike", [], "old numbers", when=WHEN, docs=tmp_path)
    text = path.read_text().replace(BEGIN, f"What we measured.\n\n{BEGIN}")
    path.write_text(text + "\nWhat it says.\n")

    later = WHEN + datetime.timedelta(days=1)
    write_docs(
        "spikes", "Ignored", "spike", ["--write-docs"], "new numbers", when=later, docs=tmp_path
    )

    text = path.read_text()
    assert "old numbers" not in text and f"{BEGIN}\nnew numbers\n{END}" in text
    assert "What we measured.\n\n" + BEGIN in text and text.endswith("What it says.\n")
    assert "2026-12-07 21:00 UTC by `python -m benchmarks.spike --write-docs`" in text
    assert "2026-12-06" not in text and text.startswith("# Spikes\n")


def test_a_file_without_markers_is_refused_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "spikes.md").write_text("# Spikes\n\nhand-written only\n")

    with pytest.raises(ValueError, match="Last written"):
        write_docs("spikes", "Spikes", "spike", [], "numbers", docs=tmp_path)
    assert (tmp_path / "spikes.md").read_text() == "# Spikes\n\nhand-written only\n"


def test_every_published_benchmark_file_exists() -> None:
    names = {p.stem for p in PUBLISHED}
    assert names == {
        "alternatives",
        "bursts",
        "deploys",
        "gpu",
        "http-delivery",
        "idle-detection",
        "wake-modes",
    }


@pytest.mark.parametrize("page", PUBLISHED, ids=lambda p: p.name)
def test_each_file_names_the_command_that_rewrites_it(page: Path) -> None:
    text = page.read_text()
    match = REGENERATE.search(text)
    assert match, f"{page.name}: no '> Regenerate: `python -m benchmarks.NAME ... --write-docs`'"
    module = importlib.import_module(f"benchmarks.{match.group(1)}")
    docs_file: DocsFile = module.DOCS_FILE
    assert docs_file.name == page.stem and docs_file.module == match.group(1)
    assert re.search(r"^> Last written .* by `python -m benchmarks\.", text, flags=re.M)
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text), pytest.raises(SystemExit):
        module.main(["--help"])
    assert "--write-docs" in help_text.getvalue()


@pytest.mark.parametrize(
    ("name", "module", "headers"),
    [
        ("idle-detection", "idle_detection", "HEADERS"),
        ("bursts", "spike", "HEADERS"),
        ("wake-modes", "wake", "HEADERS"),
        ("deploys", "deploys", "HEADERS"),
    ],
)
def test_the_published_output_has_the_table_its_command_writes(
    name: str, module: str, headers: str
) -> None:
    columns = getattr(importlib.import_module(f"benchmarks.{module}"), headers)
    output = (DOCS / f"{name}.md").read_text().split(BEGIN, 1)[1].split(END, 1)[0]
    assert output.lstrip().startswith("\n".join(table_lines(columns, [], markdown=True)))


def test_the_alternatives_have_one_table_per_workload_in_the_policies_format() -> None:
    from benchmarks.policies import COLUMNS, WORKLOADS

    output = (DOCS / "alternatives.md").read_text().split(BEGIN, 1)[1].split(END, 1)[0]
    header = "\n".join(table_lines(["", *COLUMNS], [], markdown=True))
    assert output.count(header) == len(WORKLOADS)
    assert [line for line in output.splitlines() if line.startswith("### ")] == [
        f"### {name} ({len(items)} messages, 5 seeds)" for name, items in WORKLOADS.items()
    ]


def test_the_gpu_output_has_the_table_its_command_writes() -> None:
    from benchmarks.gpu import render

    output = (DOCS / "gpu.md").read_text().split(BEGIN, 1)[1].split(END, 1)[0]
    assert output.lstrip().startswith("\n".join(render([], markdown=True)))
