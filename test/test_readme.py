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
