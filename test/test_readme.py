"""The README's props and attributes tables cover the construct's whole public surface."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from sqs_scale_to_zero import ScaleToZeroQueueService

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def table_names(heading: str) -> list[str]:
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", section, flags=re.M)


def test_props_table_lists_every_prop_in_signature_order() -> None:
    parameters = list(inspect.signature(ScaleToZeroQueueService.__init__).parameters)[3:]
    assert table_names("Props") == parameters


def test_attributes_table_lists_every_public_attribute() -> None:
    attributes = [
        name
        for name in inspect.get_annotations(ScaleToZeroQueueService)
        if not name.startswith("_")
    ]
    assert sorted(table_names("Attributes")) == sorted(attributes)


# The README's structure: a newcomer finds what it is, the quick start and the props first.

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 700
EARLY_LINE = 400
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of every heading outside code blocks."""
    found, fenced = set(), False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (heading := re.match(r"^#{1,6} (.+)$", line)):
            found.add(slug(heading.group(1)))
    return found


def heading_line(heading: str) -> int:
    """The 1-based line of ``## heading`` in the README."""
    return README.splitlines().index(f"## {heading}") + 1


def test_readme_is_at_most_700_lines() -> None:
    assert len(README.splitlines()) <= MAX_LINES


def test_the_contents_list_comes_first_and_links_every_section() -> None:
    contents = README.split("**Contents**\n", 1)[1].split("\n\n", 1)[0]
    targets = [m.group(1) for m in LINK.finditer(contents)]
    sections = [line[3:] for line in README.splitlines() if line.startswith("## ")]

    assert README.index("**Contents**") < README.index("\n## ")
    assert all(t.startswith("#") for t in targets)
    assert {t[1:] for t in targets} <= anchors(README)
    assert {slug(s) for s in sections} <= {t[1:] for t in targets}


def test_what_it_is_the_quick_start_and_the_props_come_before_line_400() -> None:
    assert README.startswith("# sqs-scale-to-zero\n\nAn AWS CDK construct library")
    assert heading_line("Quick start") < heading_line("Props") < EARLY_LINE
    assert "sqs-scale-to-zero new " in QUICK_START_SECTION
    for word in ("npm install -g aws-cdk", "cdk bootstrap", "Docker"):
        assert word in QUICK_START_SECTION
    assert "[API.md](API.md)" in README


QUICK_START_SECTION = README.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]


def test_every_relative_link_in_the_readme_and_docs_resolves() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    broken = []
    for page in pages:
        text = page.read_text()
        for target in (m.group(1) for m in LINK.finditer(text)):
            if re.match(r"^[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken


def test_the_readme_links_every_docs_file() -> None:
    linked = {
        (ROOT / m.group(1).partition("#")[0]).resolve()
        for m in LINK.finditer(README)
        if m.group(1).startswith("docs/")
    }
    reachable = set(linked)
    for page in linked:  # one hop on: docs/benchmarks/README.md lists the benchmark files
        if page.is_file():
            for m in LINK.finditer(page.read_text()):
                target = m.group(1).partition("#")[0]
                if target and not re.match(r"^[a-z]+:", target):
                    reachable.add((page.parent / target).resolve())
    assert set((ROOT / "docs").rglob("*.md")) <= reachable


def test_the_seed_blog_is_explained_once() -> None:
    explained = [p for p in README.split("\n\n") if "**the seed blog**" in p]
    assert len(explained) == 1
    assert "not part of this repository" in explained[0]
    assert "seed-blog.txt" not in README
