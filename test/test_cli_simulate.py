"""``sqs-scale-to-zero simulate`` on bad arguments: one line on stderr and exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sqs_scale_to_zero import cli
from sqs_scale_to_zero.simulate.workload.registry import GENERATORS


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        ("burst:count", "expected key=value, got 'count'"),
        ("steady:interval_seconds=0", "interval_seconds must be a number > 0"),
        ("burst:count=1e400", "count must be a whole number"),
        ("burst:count=-5", "count must be a whole number"),
        ("burst:work_seconds=-5", "work_seconds must be a number >= 0"),
        ("burst:cpu_percent=500", "cpu_percent must be a number from 0 to 100"),
        ("burst:at=-100", "at must be a number >= 0"),
        ("nope:count=3", "unknown workload generator 'nope'"),
        ("{dir}", "a directory, not a workload file"),
    ],
)
def test_a_bad_workload_is_one_line_and_exit_2(
    workload: str,
    message: str,
    reference_template_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["simulate", str(reference_template_path), "--workload", workload.format(dir=tmp_path)]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("sqs-scale-to-zero: error: ") and message in captured.err
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize("horizon", ["0", "-60", "nan", "inf"])
def test_a_horizon_that_is_not_a_positive_number_is_exit_2(
    horizon: str, reference_template_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", str(reference_template_path), "--workload", "burst:count=1"]
    assert cli.main([*args, "--horizon", horizon]) == 2
    err = capsys.readouterr().err
    assert "horizon must be a positive number of seconds" in err and err.count("\n") == 1


def test_a_directory_neither_assembly_nor_app_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["simulate", str(tmp_path), "--workload", "burst:count=1"]) == 2
    err = capsys.readouterr().err
    assert "neither a cloud assembly (manifest.json) nor an app" in err and err.count("\n") == 1


def test_help_lists_every_generator_with_its_keys(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["simulate", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name, generator in GENERATORS.items():
        (line,) = [x.strip() for x in out.splitlines() if x.strip().startswith(f"{name}:")]
        assert [kv.split("=")[0] for kv in line.split(":", 1)[1].split(",")] == list(
            generator.params
        )


def test_messages_left_at_the_horizon_are_named_under_the_table(
    reference_template_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", str(reference_template_path), "--workload", "burst:count=100"]
    assert cli.main([*args, "--horizon", "300"]) == 0
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert lines[-2].startswith("wasted starts")
    assert lines[-1].startswith("note: the horizon ended with messages unprocessed (Reference ")
    assert cli.main([*args, "--horizon", "36000"]) == 0
    assert "note:" not in capsys.readouterr().out


def test_json_carries_drain_wasted_starts_and_wait_minus_task_start(
    ours_signal_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    args = ["simulate", str(ours_signal_template), "--workload", "idle-then-one:idle_hours=8"]
    assert cli.main([*args, "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["results"]
    assert entry["drain_seconds"] > entry["wait_seconds"]["max"] > 0
    assert set(entry["wait_minus_task_start_seconds"]) == {"p50", "p95", "max"}
    assert entry["wait_minus_task_start_seconds"]["max"] < entry["wait_seconds"]["max"]
    assert (entry["wasted_starts"], entry["fast_wakes"]) == (0, 1)


@pytest.mark.parametrize(
    "at", ["-5", "nan", "inf", "3600", "1e400"], ids=["negative", "nan", "inf", "horizon", "huge"]
)
def test_a_deploy_time_outside_the_run_is_one_line_and_exit_2(
    at: str, reference_template_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", str(reference_template_path), "--workload", "burst:count=1"]
    assert cli.main([*args, "--horizon", "3600", "--deploy-at", "60", "--deploy-at", at]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "deploy_at must be a number of seconds from 0 to before the horizon" in captured.err
    assert captured.err.count("\n") == 1


def test_a_deploy_time_that_is_not_a_number_is_a_usage_error(
    reference_template_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", str(reference_template_path), "--workload", "burst:count=1"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*args, "--deploy-at", "soon"])
    assert exit_info.value.code == 2
    assert "argument --deploy-at: invalid float value: 'soon'" in capsys.readouterr().err


def test_each_deploy_is_a_line_of_text_and_an_entry_of_json(
    ours_template: Path, anchor_templates: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    templates = [str(ours_template), str(anchor_templates["QpfsDefaults"])]
    args = ["simulate", *templates, "--workload", "steady:interval_seconds=20,hours=1"]
    deploys = ["--deploy-at", "1800", "--deploy-at", "600"]
    assert cli.main([*args, *deploys]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [Path(t).name.removesuffix(".template.json") for t in templates]
    deploy_lines = [line for line in lines if ": deploy at " in line]
    assert [line.split(": deploy at ")[0] for line in deploy_lines] == [
        names[0],
        names[0],
        names[1],
        names[1],
    ]
    assert all("started on old code" in line and "interrupted" in line for line in deploy_lines)
    assert deploy_lines[0].split(": deploy at ")[1].startswith("10.0 min: completed after ")
    assert cli.main([*args, *deploys, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    for entry in results:
        assert [d["at"] for d in entry["deployments"]] == [600.0, 1800.0]
        for deployment in entry["deployments"]:
            assert set(deployment) == {
                "at",
                "completed_after_seconds",
                "started_on_old_code",
                "interrupted",
                "duplicates",
            }
            assert deployment["completed_after_seconds"] is not None


FAKE_APP = """
import json, os, pathlib, shutil
out = pathlib.Path(os.environ["CDK_OUTDIR"])
out.mkdir(parents=True, exist_ok=True)
shutil.copy({template!r}, out / "Worker.template.json")
(out / "Empty.template.json").write_text(json.dumps({{"Resources": {{}}}}))
stack = lambda name: {{"type": "aws:cloudformation:stack",
                      "properties": {{"templateFile": name + ".template.json"}}}}
(out / "manifest.json").write_text(json.dumps(
    {{"artifacts": {{"Empty": stack("Empty"), "Worker": stack("Worker")}}}}))
"""
"""An app that writes a cloud assembly of two stacks, one with the service, without the CDK."""


def _fake_app(directory: Path, template: Path) -> Path:
    directory.mkdir()
    (directory / "app.py").write_text(FAKE_APP.format(template=str(template)))
    return directory


def _simulated_stacks(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert cli.main(["simulate", *args, "--workload", "burst:count=2", "--json"]) == 0
    return [r["template"] for r in json.loads(capsys.readouterr().out)["results"]]


def test_simulate_takes_a_cloud_assembly_folder_and_runs_its_service_stacks(
    reference_template_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _fake_app(tmp_path / "app", reference_template_path)
    assert cli.main(["synth", str(app)]) == 0
    capsys.readouterr()
    stacks = _simulated_stacks([str(app / "cdk.out")], capsys)
    assert stacks == [str(app / "cdk.out" / "Worker.template.json")]


def test_simulate_takes_an_app_folder_and_synthesizes_it_first(
    reference_template_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _fake_app(tmp_path / "app", reference_template_path)
    stacks = _simulated_stacks([str(app), str(reference_template_path)], capsys)
    out = (app / "cdk.out").resolve()
    assert stacks == [str(out / "Worker.template.json"), str(reference_template_path)]


def test_an_assembly_without_the_named_service_is_one_line(
    reference_template_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _fake_app(tmp_path / "app", reference_template_path)
    args = ["simulate", str(app), "--workload", "burst:count=1", "--service", "Nope"]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "no stack with the ECS service Nope" in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["simulate", "synth"])
def test_a_reader_that_closes_early_gets_no_traceback(
    command: str, reference_template_path: Path, tmp_path: Path
) -> None:
    # given a reader that closes the pipe before the command writes (as `| head` does)
    app = _fake_app(tmp_path / "app", reference_template_path)
    args = {
        "simulate": ["simulate", str(reference_template_path), "--workload", "burst:count=5"],
        "synth": ["synth", str(app)],
    }[command]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sqs_scale_to_zero.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    # when it has run
    err = proc.stderr.read().decode()
    status = proc.wait(timeout=120)
    # then it stops quietly with SIGPIPE's status
    assert err == "" and status == cli.EXIT_BROKEN_PIPE
