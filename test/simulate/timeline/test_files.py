"""``simulate(..., timeline=...)``: the minutes and messages files agree with the result, and
the picture is a real PNG."""

from __future__ import annotations

import csv
import re
import struct
import sys
from collections import Counter
from pathlib import Path

import pytest

from sqs_scale_to_zero import cli
from sqs_scale_to_zero.simulate import SimulationArgumentError, simulate
from sqs_scale_to_zero.simulate.models.alarm_evaluation import ALARM, INSUFFICIENT_DATA, OK
from sqs_scale_to_zero.simulate.report import Result
from sqs_scale_to_zero.simulate.template.reader import load_service
from sqs_scale_to_zero.simulate.timeline.files import MESSAGE_COLUMNS, MINUTE_COLUMNS
from sqs_scale_to_zero.simulate.timeline.picture import lane_labels

WORKLOAD = "burst:count=40,work_seconds=20"
HORIZON = 3 * 3600 + 30.0  # not a whole minute: the last row is a partial minute


@pytest.fixture(scope="module")
def run(ours_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("timeline") / "day.png"
    (result,) = simulate([ours_template], WORKLOAD, seed=3, horizon=HORIZON, timeline=out)
    return result, out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_the_minutes_add_up_to_the_result(run: tuple[Result, Path], ours_template: Path) -> None:
    result, out = run
    rows = _rows(out.with_name("day.csv"))
    # one row a minute boundary before the horizon, and one for the partial minute
    assert len(rows) == int(HORIZON // 60) + 1
    assert float(rows[-1]["end_seconds"]) == HORIZON
    assert sum(int(r["started"]) for r in rows) == result.processed == 40
    assert sum(int(r["finished"]) for r in rows) == result.processed
    assert sum(int(r["sent"]) for r in rows) == result.messages
    assert sum(int(r["deleted"]) for r in rows) == result.processed + result.duplicate_deliveries
    assert max(int(r["tasks_running"]) for r in rows) <= result.max_tasks
    assert max(int(r["tasks_desired"]) for r in rows) >= 2, "the burst scaled out"
    model = load_service(ours_template)
    alarms = [f"alarm:{a.logical_id}" for a in model.alarms]
    assert list(rows[0]) == [*MINUTE_COLUMNS, *alarms]
    states = {r[a] for r in rows for a in alarms}
    assert states <= {OK, ALARM, INSUFFICIENT_DATA} and ALARM in states
    # the service ends idle: the last minutes have no task and an empty queue
    assert rows[-2]["tasks_running"] == "0" and rows[-2]["visible"] == "0"


def test_every_message_has_its_wait(run: tuple[Result, Path]) -> None:
    result, out = run
    rows = _rows(out.with_name("day.messages.csv"))
    assert list(rows[0]) == list(MESSAGE_COLUMNS)
    assert len(rows) == result.messages
    waits = sorted(float(r["wait_seconds"]) for r in rows if r["wait_seconds"])
    assert waits == pytest.approx(sorted(result.waits), abs=1e-3)
    assert Counter(r["outcome"] for r in rows) == {"processed": result.processed}
    for r in rows:
        started, finished = float(r["started_seconds"]), float(r["finished_seconds"])
        assert finished - started == pytest.approx(20.0, abs=1e-3)
        assert started - float(r["sent_seconds"]) == pytest.approx(float(r["wait_seconds"]))


def test_the_picture_is_a_png_of_the_drawn_size(run: tuple[Result, Path]) -> None:
    _, out = run
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1100, 900)  # figsize 11 x 9 inches at 100 dpi
    assert len(data) > 30_000, "four panels with lines, lanes and points"


def test_the_pictures_alarm_lanes_are_named_in_plain_words(run: tuple[Result, Path]) -> None:
    _, out = run
    with out.with_name("day.csv").open(newline="") as f:
        header = next(csv.reader(f))
    alarm_ids = [column.removeprefix("alarm:") for column in header if column.startswith("alarm:")]

    labels = lane_labels(alarm_ids)

    assert "idle scale-in" in labels and "wake and scale-out" in labels, labels
    assert not [label for label in labels if re.search(r"[0-9A-F]{8}$", label)], labels


def test_recording_a_timeline_changes_no_result(
    run: tuple[Result, Path], ours_template: Path
) -> None:
    result, _ = run
    (plain,) = simulate([ours_template], WORKLOAD, seed=3, horizon=HORIZON)
    assert plain.to_json() == result.to_json() and plain.waits == result.waits


def test_several_templates_each_get_their_files(ours_template: Path, tmp_path: Path) -> None:
    other = tmp_path / "Other.template.json"
    other.write_text(ours_template.read_text())
    simulate([ours_template, other], "burst:count=2", timeline=tmp_path / "t.csv")
    names = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("t."))
    assert names == [
        "t.Other.csv",
        "t.Other.messages.csv",
        "t.ScaleToZero.csv",
        "t.ScaleToZero.messages.csv",
    ]


def test_a_timeline_of_another_kind_is_refused(ours_template: Path, tmp_path: Path) -> None:
    with pytest.raises(SimulationArgumentError, match=r"must end in \.csv, \.png, \.svg"):
        simulate([ours_template], "burst:count=1", timeline=tmp_path / "t.html")


def test_a_picture_without_matplotlib_is_one_line_and_exit_2(
    ours_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    args = ["simulate", str(ours_template), "--workload", "burst:count=1"]
    assert cli.main([*args, "--timeline", str(tmp_path / "day.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "needs matplotlib: pip install 'sqs-scale-to-zero[plot]'" in err
    assert not list(tmp_path.iterdir()), "nothing was run or written"
    # CSV only needs no extra
    assert cli.main([*args, "--timeline", str(tmp_path / "day.csv")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["day.csv", "day.messages.csv"]


def test_a_picture_without_matplotlib_is_refused_before_an_app_is_synthesized(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)

    def synthesize(*_: object) -> None:
        raise AssertionError("the app was synthesized before the timeline was checked")

    monkeypatch.setattr(cli, "simulated_templates", synthesize)
    args = ["simulate", str(tmp_path), "--workload", "burst:count=1"]
    assert cli.main([*args, "--timeline", str(tmp_path / "day.png")]) == 2
    assert "needs matplotlib" in capsys.readouterr().err


def test_a_template_given_twice_gets_two_sets_of_files(ours_template: Path, tmp_path: Path) -> None:
    simulate([ours_template, ours_template], "burst:count=1", timeline=tmp_path / "t.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "t.ScaleToZero-1.csv",
        "t.ScaleToZero-1.messages.csv",
        "t.ScaleToZero-2.csv",
        "t.ScaleToZero-2.messages.csv",
    ]
