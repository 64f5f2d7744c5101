"""Workload files and generators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqs_scale_to_zero.simulate.errors import SimulationArgumentError, SimulationInputError
from sqs_scale_to_zero.simulate.workload import (
    WorkItem,
    burst,
    daily_curve,
    from_spec,
    idle_then_one,
    poisson,
    read_jsonl,
    steady,
    write_jsonl,
)


def test_reads_json_lines_sorted_skipping_blanks_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    path.write_text(
        '# comment\n{"at": 5, "work_seconds": 1, "cpu_percent": 10}\n\n{"at": 1, "work_seconds": 2}\n'
    )
    assert read_jsonl(path) == [WorkItem(1.0, 2.0, 50.0), WorkItem(5.0, 1.0, 10.0)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", r"w.jsonl:2: not valid JSON"),
        ('{"at": 1}', r"w.jsonl:2: missing field 'work_seconds'"),
        (
            '{"at": "x", "work_seconds": 1}',
            r"w.jsonl:2: at, work_seconds and cpu_percent must be numbers",
        ),
        (
            '{"at": -1, "work_seconds": 1}',
            r"w.jsonl:2: at and work_seconds must be finite and >= 0",
        ),
        (
            '{"at": 1, "work_seconds": 1, "cpu_percent": 150}',
            r"w.jsonl:2: cpu_percent must be between 0 and 100",
        ),
        ("[1, 2]", r"w.jsonl:2: expected a JSON object"),
    ],
)
def test_unreadable_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "w.jsonl"
    path.write_text('{"at": 0, "work_seconds": 1}\n' + line + "\n")
    with pytest.raises(SimulationInputError, match=message):
        read_jsonl(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SimulationInputError, match="workload file not found"):
        read_jsonl(tmp_path / "nope.jsonl")


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    items = [WorkItem(0.0, 1.5, 20.0), WorkItem(60.0, 3.0, 90.0)]
    write_jsonl(items, tmp_path / "w.jsonl")
    assert read_jsonl(tmp_path / "w.jsonl") == items


def test_generators_have_the_documented_shapes() -> None:
    assert len(steady(interval_seconds=60, hours=1)) == 60
    b = burst(count=10, at=100, spread_seconds=5)
    assert len(b) == 10 and b[0].at == 100 and b[-1].at < 105
    assert idle_then_one(idle_hours=8) == [WorkItem(8 * 3600.0, 60.0, 50.0)]
    p = poisson(rate_per_minute=2, hours=10, seed=1)
    assert 1000 < len(p) < 1400 and all(0 <= w.at < 36000 for w in p)
    night = [
        w
        for w in daily_curve(days=2, peak_per_hour=120, seed=1)
        if not 8 <= (w.at % 86400) / 3600 < 20
    ]
    assert night == []


def test_generators_are_deterministic_with_a_seed() -> None:
    assert poisson(seed=3) == poisson(seed=3)
    assert poisson(seed=3) != poisson(seed=4)


def test_spec_strings_build_generators_or_read_files(tmp_path: Path) -> None:
    assert len(from_spec("burst:count=7,at=0")) == 7
    assert len(from_spec("steady:interval_seconds=30,hours=1")) == 120
    path = tmp_path / "w.jsonl"
    path.write_text('{"at": 0, "work_seconds": 1}\n')
    assert len(from_spec(str(path))) == 1
    with pytest.raises(SimulationInputError, match="count must be a whole number"):
        from_spec("burst:count=many")
    with pytest.raises(SimulationInputError, match="burst has no argument 'colour'"):
        from_spec("burst:colour=1")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("burst:count", r"expected key=value, got 'count' \(keys: count, at, spread_seconds"),
        ("steady:interval_seconds=0", r"interval_seconds must be a number > 0 \(got 0\)"),
        ("burst:count=1e400", r"count must be a whole number from 0 to 2,000,000 \(got inf\)"),
        ("burst:count=2.5", "count must be a whole number"),
        ("burst:count=-5", r"count must be a whole number .* \(got -5\)"),
        ("burst:work_seconds=-5", r"work_seconds must be a number >= 0 \(got -5\)"),
        ("steady:cpu_percent=500", r"cpu_percent must be a number from 0 to 100 \(got 500\)"),
        ("burst:at=-100", r"at must be a number >= 0 \(got -100\)"),
        ("poisson:rate_per_minute=nan", "rate_per_minute must be a number >= 0"),
        ("poisson:seed=1.5", "seed must be a whole number"),
        ("poisson:rate_per_minute=1e9", "at most 2,000,000"),
        ("nope:count=3", r"unknown workload generator 'nope' \(known: steady, poisson, burst"),
    ],
)
def test_bad_generator_specs_are_argument_errors(spec: str, message: str) -> None:
    with pytest.raises(SimulationArgumentError, match=message):
        from_spec(spec)


def test_generators_check_their_arguments_from_python_too() -> None:
    with pytest.raises(SimulationArgumentError, match="interval_seconds must be a number > 0"):
        steady(interval_seconds=0)
    with pytest.raises(SimulationArgumentError, match="cpu_percent must be a number from 0"):
        idle_then_one(cpu_percent=-1)


def test_generator_ranges_match_the_file_reader(tmp_path: Path) -> None:
    """A value the JSON Lines reader rejects is rejected by the generators as well."""
    for field, value in (("at", -100), ("work_seconds", -5), ("cpu_percent", 500)):
        path = tmp_path / f"{field}.jsonl"
        path.write_text(json.dumps({"at": 0, "work_seconds": 1, field: value}) + "\n")
        with pytest.raises(SimulationInputError):
            read_jsonl(path)
        generator = "burst" if field != "cpu_percent" else "daily"
        with pytest.raises(SimulationArgumentError, match=f"{field} must be"):
            from_spec(f"{generator}:{field}={value}")


def test_a_directory_is_not_a_workload(tmp_path: Path) -> None:
    with pytest.raises(SimulationArgumentError, match="a directory, not a workload file"):
        from_spec(str(tmp_path))


def test_a_file_whose_name_looks_like_a_spec_is_read(tmp_path: Path) -> None:
    path = tmp_path / "odd:name.jsonl"
    path.write_text('{"at": 0, "work_seconds": 1}\n')
    assert len(from_spec(str(path))) == 1
