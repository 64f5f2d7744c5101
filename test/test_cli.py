"""The ``sqs-scale-to-zero`` command line: ``simulate`` and ``synth``."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sqs_scale_to_zero import cdk_app, cli
from test.simulate.reference_template import reference_template

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "Ours.template.json"
    path.write_text(json.dumps(reference_template()))
    return path


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "w.jsonl"
    path.write_text(
        "".join(
            json.dumps({"at": 60 * i, "work_seconds": 10, "cpu_percent": 40}) + "\n"
            for i in range(5)
        )
    )
    return path


def test_simulate_json_has_one_entry_per_template_in_order(
    ours: Path, workload: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cli.main(
            [
                "simulate",
                str(ours),
                str(ours),
                "--workload",
                str(workload),
                "--json",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["results"] and len(out["results"]) == 2
    entry = out["results"][0]
    assert entry["template"] == str(ours)
    types = {
        "processed": int,
        "interrupted": int,
        "dead_lettered": int,
        "task_hours": float,
        "cost_usd": float,
        "idle_task_hours": float,
    }
    assert all(isinstance(entry[k], t) for k, t in types.items())
    assert set(entry["wait_seconds"]) == {"p50", "p95", "max"} and all(
        isinstance(v, float) for v in entry["wait_seconds"].values()
    )
    assert entry["processed"] == 5 and entry["unprocessed"] == 0
    assert out["results"][0] == out["results"][1]


def test_simulate_table_names_each_template(ours: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli.main(["simulate", str(ours), "--workload", "burst:count=10", "--horizon", "7200"]) == 0
    )
    out = capsys.readouterr().out
    assert "workload: 10 messages; horizon 2.00 h; seed 0" in out
    assert "Ours" in out and "processed" in out and "cost (USD)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["simulate", "missing.template.json", "--workload", "burst:count=1"],
            "template file not found",
        ),
        (["simulate", "{ours}", "--workload", "nope.jsonl"], "workload file not found"),
        (["simulate", "{ours}", "--workload", "{bad}"], "bad.jsonl:1: not valid JSON"),
        (
            ["simulate", "{empty}", "--workload", "burst:count=1"],
            "no AWS::ECS::Service",
        ),
        (["synth", "{tmp}"], "no app.py"),
    ],
)
def test_invalid_input_exits_non_zero_with_one_line(
    args: list[str],
    message: str,
    ours: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "bad.jsonl").write_text("nope\n")
    (tmp_path / "Empty.template.json").write_text('{"Resources": {}}')
    values = {
        "ours": str(ours),
        "bad": str(tmp_path / "bad.jsonl"),
        "empty": str(tmp_path / "Empty.template.json"),
        "tmp": str(tmp_path),
    }
    assert cli.main([a.format(**values) for a in args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sqs-scale-to-zero: error: ") and message in err and err.count("\n") == 1


def test_app_command_honours_only_a_simple_cdk_json(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("")
    assert cdk_app._app_command(tmp_path) == [sys.executable, "app.py"]
    (tmp_path / "cdk.json").write_text('{"app": "python3 main.py"}')
    assert cdk_app._app_command(tmp_path) == [sys.executable, "main.py"]
    (tmp_path / "cdk.json").write_text('{"app": "npx ts-node bin/app.ts"}')
    assert cdk_app._app_command(tmp_path) == [sys.executable, "app.py"]


def test_cli_module_does_not_import_aws_cdk() -> None:
    code = "import sys, sqs_scale_to_zero.cli, sqs_scale_to_zero.simulate; print('aws_cdk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_synth_runs_the_app_and_summarizes_each_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            import aws_cdk as cdk
            from benchmarks import anchors
            app = cdk.App()
            anchors.add_seed_blog(app)
            app.synth()
            """
        )
    )
    assert cli.main(["synth", str(app)]) == 0
    plain = capsys.readouterr().out
    assert str(app / "cdk.out" / "SeedBlog.template.json") in plain
    # the plain paragraph, in words, from the template
    said = " ".join(plain.split())
    assert "back to 0 tasks" in said and "(3 idle minutes, judged on the tasks' CPU)" in said
    assert "up to 1 task, more while CPU is above 50 %" in said
    assert "$0.1975 an hour per running task (4 vCPU, 8 GB)" in said
    assert "scale-in can stop a task working on a message" in said
    assert "AWS/SQS" not in plain and "details:" not in plain
    assert max(len(line) for line in plain.splitlines()[1:]) <= 96
    # the idle bill names each item in plain words; logical IDs only with --details
    plain_bill = plain.split("  idle bill:")[1]
    assert "alarm: " in plain_bill and "[" not in plain_bill

    assert cli.main(["synth", str(app), "--details"]) == 0
    detailed = capsys.readouterr().out
    paragraph = plain.split("  idle bill:")[0]
    assert detailed.startswith(paragraph.rstrip("\n").rsplit(".", 1)[0])
    said = " ".join(detailed.split())
    assert (
        "wake / scale-out: when Maximum of AWS/SQS ApproximateNumberOfMessagesVisible"
        " (the queue) per 300 s >= 1" in said
    )
    assert (
        "scale-in: when Average of AWS/ECS CPUUtilization (the service) per 180 s <= 0.01" in said
    )
    assert "(-inf, 0.01] -> set to 0 (ExactCapacity" in said
    assert "capacity: min 0, max 1" in said and "CPU target tracking: 50 %" in said
    assert "task: 4 vCPU, 8 GB: about $0.1975/hour per task" in said
    assert max(len(line) for line in detailed.splitlines()[1:]) <= 96
    assert "Alarm" in detailed.split("  idle bill:")[1].split("[", 1)[1]


def test_synth_reports_a_failing_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.py").write_text("raise SystemExit(3)\n")
    assert cli.main(["synth", str(tmp_path), "--outdir", str(tmp_path / "out")]) == 1
    assert "failed with exit code 3" in capsys.readouterr().err


CONTEXT_APP = """
import aws_cdk as cdk
def stack(scope, name):
    cdk.CfnWaitConditionHandle(cdk.Stack(scope, name), "Handle")
app = cdk.App()
for name in filter(None, str(app.node.try_get_context("stacks") or "").split(",")):
    stack(app, name)
staged = app.node.try_get_context("staged")
if staged:
    stack(cdk.Stage(app, "Prod"), staged)
if app.node.try_get_context("a"):
    stack(app, "S" + "".join(app.node.try_get_context(k) for k in "abc"))
app.synth()
"""
"""A CDK app whose stacks are chosen by its context: no ECS service, so it synthesizes fast."""


def synth_output(app: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert cli.main(["synth", str(app), *args]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if not line.startswith(" ")]


def test_synth_summarizes_the_stacks_of_this_run_not_stale_templates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "app.py"
    out = tmp_path / "cdk.out"
    app.write_text(CONTEXT_APP.replace('app.node.try_get_context("stacks")', '"Old,Kept"'))
    first = synth_output(tmp_path, capsys=capsys)
    app.write_text(
        CONTEXT_APP.replace('app.node.try_get_context("stacks")', '"Kept"').replace(
            'app.node.try_get_context("staged")', '"Inner"'
        )
    )

    second = synth_output(tmp_path, capsys=capsys)

    assert first == [str(out / "Old.template.json"), str(out / "Kept.template.json")]
    assert (out / "Old.template.json").exists()  # left from the first run, and not summarized
    (staged,) = [line for line in second if "assembly-Prod" in line]
    assert sorted(second) == sorted([str(out / "Kept.template.json"), staged])
    assert staged.startswith(str(out / "assembly-Prod" / "ProdInner"))


def test_synth_passes_each_context_option_to_the_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.py").write_text(CONTEXT_APP)

    lines = synth_output(
        tmp_path, "-c", "stacks=One,Two", "--context", "staged=Three", capsys=capsys
    )

    assert len(lines) == 3
    assert lines[-2:] == [str(tmp_path / "cdk.out" / f"{n}.template.json") for n in ("One", "Two")]


def test_synth_context_precedence_is_the_cdk_clis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.py").write_text(CONTEXT_APP)
    (tmp_path / "cdk.context.json").write_text('{"a": "1", "b": "1", "c": "1"}')
    (tmp_path / "cdk.json").write_text('{"app": "python3 app.py", "context": {"b": "2", "c": "2"}}')

    (line,) = synth_output(tmp_path, "-c", "c=3", capsys=capsys)

    assert line == str(tmp_path / "cdk.out" / "S123.template.json")


def test_synth_rejects_context_without_an_equals_sign(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.py").write_text(CONTEXT_APP)

    assert cli.main(["synth", str(tmp_path), "-c", "stacks"]) == 1
    assert capsys.readouterr().err == (
        "sqs-scale-to-zero: error: -c expects KEY=VALUE, got 'stacks'\n"
    )


def test_version_names_both_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    import tomllib

    main_version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    worker = tomllib.loads((ROOT / "worker" / "pyproject.toml").read_text())["project"]["version"]

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])

    assert exit_info.value.code == 0
    assert capsys.readouterr().out == (
        f"sqs-scale-to-zero {main_version} (sqs-scale-to-zero-worker {worker})\n"
    )
