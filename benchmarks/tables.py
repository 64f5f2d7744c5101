"""One table renderer for the benchmarks: Markdown for the README, aligned text for a terminal."""

from __future__ import annotations

from collections.abc import Sequence


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
