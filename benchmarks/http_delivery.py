"""HTTP delivery: our runtime POSTing to a Node.js app as sqsd does, against the alternatives.

Run from the repository root::

    .venv/bin/python -m benchmarks.http_delivery [--messages 200] [--sqsd-source DIR] [--write-docs]

``--write-docs`` also writes the output into ``docs/benchmarks/http-delivery.md``.

One run, one local SQS: moto's server in its own process behind a TCP proxy on 127.0.0.1 that
delays every chunk by 10 ms in each direction (``local_sqs.LatencyProxy``), closer to a
network round trip to SQS than moto's CPU-bound answers. The app is ``test/worker/http_app.js``
(Node.js's own ``http`` module) answering each POST at once ("no-op") or after 50 ms. For each
work time and concurrency (1 and 10), each contender runs in its own process against its own
queue of ``--messages`` messages, filled after it has started; the time is from the fill until
the queue is empty (every message deleted); each contender runs ``--rounds`` times per cell,
in rotating order, and the median counts:

* **ours, HTTP**: ``python -m sqs_scale_to_zero.worker --deliver-to ... --concurrency C``;
* **ours, in-process**: the same runtime calling a Python handler that sleeps the work time;
* **npm sqsd**: mogadanez/sqsd, the most-used sqsd re-implementation on npm, run with
  ``--max-messages C`` (its number of requests in flight) and ``--endpoint-url``-free
  configuration: its AWS SDK v3 client takes the endpoint from ``AWS_ENDPOINT_URL_SQS``. The
  npm registry this project can reach serves no ``sqsd`` package (``npm install sqsd``: 404),
  so ``--sqsd-source`` names a checkout (or bare git directory) of mogadanez/sqsd and its
  dependencies are installed from npm into a temporary directory at run time (never committed);
  without it the column says n/a;
* **naive**: C threads of receive one, POST it, delete it (boto3 and ``http.client``).

It also prints the CPU milliseconds each contender's own process spent per message (``/proc``;
moto, the proxy and the app excluded): on a busy shared machine moto's CPU sets the pace and
the msg/s vary between runs, while the CPU per message says what each contender costs. And the
runtime's resident memory (VmRSS) at rest with HTTP delivery, after 5 s of long polls on an
empty queue. Goals: ours over HTTP ahead of npm sqsd in every cell, at least
0.8x ours in-process at concurrency 10, and under 60 MB at rest.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from benchmarks.local_sqs import LatencyProxy, fill, free_port, wait_until_up
from benchmarks.tables import DocsFile, table_lines

ROOT = Path(__file__).resolve().parents[1]
APP_SCRIPT = ROOT / "test" / "worker" / "http_app.js"
LATENCY_SECONDS = 0.010
WORK_MS = (0, 50)
CONCURRENCY = (1, 10)
SETTLE_SECONDS = 2.0
"""How long a contender runs on its empty queue before the fill (start-up, first long poll)."""
CELL_TIMEOUT_SECONDS = 180.0

HANDLER_SOURCE = """
import os, time

WORK = float(os.environ["BENCH_WORK_MS"]) / 1000


def handle(message):
    if WORK:
        time.sleep(WORK)
"""


def naive_loop(queue_url: str, app_port: int, threads: int) -> None:
    """``threads`` loops of receive one message, POST it to the app, delete it; until killed."""
    import boto3

    def loop() -> None:
        sqs = boto3.client("sqs")
        app = http.client.HTTPConnection("127.0.0.1", app_port, timeout=60)
        while True:
            answer = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=20
            )
            for message in answer.get("Messages", []):
                app.request("POST", "/work", body=message["Body"].encode())
                response = app.getresponse()
                response.read()
                if response.status == 200:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


class Bench:
    """moto behind the latency proxy, the Node apps, and the contenders' processes."""

    def __init__(self, messages: int, sqsd_dir: Path | None) -> None:
        import boto3

        self.messages = messages
        self.sqsd_dir = sqsd_dir
        self.moto_port = free_port()
        self.moto = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.moto_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.proxy = LatencyProxy(self.moto_port, LATENCY_SECONDS)
        self.env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_SQS": f"http://127.0.0.1:{self.proxy.port}",
        }
        # Arranging and watching the queues goes to moto directly, without the delay.
        self.direct = boto3.client(
            "sqs",
            endpoint_url=f"http://127.0.0.1:{self.moto_port}",
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        wait_until_up(self.direct)
        self.apps = {work: self._start_app(work) for work in WORK_MS}
        self.handler_dir = Path(tempfile.mkdtemp(prefix="http-bench-handler-"))
        (self.handler_dir / "bench_handler.py").write_text(textwrap.dedent(HANDLER_SOURCE))

    def _start_app(self, work_ms: int) -> tuple[subprocess.Popen[str], int]:
        port = free_port()
        app = subprocess.Popen(
            ["node", str(APP_SCRIPT), str(port)],
            env={**os.environ, "RECORD": "0", "SLEEP_MS": str(work_ms)},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert app.stdout is not None and app.stdout.readline().startswith("listening")
        return app, port

    def queue(self) -> str:
        """A new queue whose URL names the proxy, as a contender sees it."""
        url = self.direct.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:10]}")["QueueUrl"]
        return str(url).replace(f":{self.moto_port}/", f":{self.proxy.port}/")

    def run(
        self, command: list[str], url: str, cwd: Path | None = None, **env: str
    ) -> tuple[float, float]:
        """Start ``command``, fill ``url``; return msg/s until the queue is empty, and the CPU
        milliseconds the process spent per message meanwhile."""
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**self.env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(SETTLE_SECONDS)
            if process.poll() is not None:
                raise RuntimeError(f"{command[:3]} exited with {process.returncode}")
            direct = url.replace(f":{self.proxy.port}/", f":{self.moto_port}/")
            cpu_before = _cpu_seconds(process.pid)
            began = time.perf_counter()
            fill(self.direct, direct, self.messages)
            deadline = time.monotonic() + CELL_TIMEOUT_SECONDS
            while self._left(direct) > 0:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[:3]} did not empty the queue")
                time.sleep(0.02)
            elapsed = time.perf_counter() - began
            cpu_ms = (_cpu_seconds(process.pid) - cpu_before) * 1000 / self.messages
            return self.messages / elapsed, cpu_ms
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _left(self, url: str) -> int:
        attributes = self.direct.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def contenders(
        self, work_ms: int, concurrency: int
    ) -> dict[str, Callable[[], tuple[float, float]] | None]:
        port = self.apps[work_ms][1]
        runtime = [sys.executable, "-m", "sqs_scale_to_zero.worker"]
        common = ["--concurrency", str(concurrency), "--log-level", "WARNING"]

        def ours_http() -> tuple[float, float]:
            url = self.queue()
            target = f"http://127.0.0.1:{port}/work"
            return self.run([*runtime, "--deliver-to", target, "--queue-url", url, *common], url)

        def ours_python() -> tuple[float, float]:
            url = self.queue()
            return self.run(
                [*runtime, "bench_handler:handle", "--queue-url", url, *common],
                url,
                cwd=self.handler_dir,
                BENCH_WORK_MS=str(work_ms),
            )

        def naive() -> tuple[float, float]:
            url = self.queue()
            code = (
                "from benchmarks.http_delivery import naive_loop; "
                f"naive_loop({url!r}, {port}, {concurrency})"
            )
            return self.run([sys.executable, "-c", code], url, cwd=ROOT)

        def npm_sqsd() -> tuple[float, float]:
            assert self.sqsd_dir is not None
            url = self.queue()
            return self.run(
                [
                    "node",
                    str(self.sqsd_dir / "cli.js"),
                    "--web-hook",
                    f"http://127.0.0.1:{port}/work",
                    "--queue-url",
                    url,
                    "--daemonized",
                    "--max-messages",
                    str(concurrency),
                    "--timeout",
                    "60000",
                ],
                url,
            )

        return {
            "ours, HTTP": ours_http,
            "ours, in-process": ours_python,
            "npm sqsd": npm_sqsd if self.sqsd_dir is not None else None,
            "naive": naive,
        }

    def rss_at_rest_mb(self) -> float:
        """VmRSS of the runtime with HTTP delivery after 5 s on an empty queue."""
        url = self.queue()
        port = self.apps[0][1]
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sqs_scale_to_zero.worker",
                "--deliver-to",
                f"http://127.0.0.1:{port}/work",
                "--queue-url",
                url,
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(5)
            status = Path(f"/proc/{process.pid}/status").read_text()
            (line,) = [line for line in status.splitlines() if line.startswith("VmRSS:")]
            return int(line.split()[1]) / 1024
        finally:
            process.terminate()
            process.wait(30)

    def close(self) -> None:
        for app, _ in self.apps.values():
            app.terminate()
            app.wait(10)
        self.proxy.close()
        self.moto.terminate()
        self.moto.wait(10)
        shutil.rmtree(self.handler_dir, ignore_errors=True)


def install_sqsd(source: Path, into: Path) -> Path:
    """Copy mogadanez/sqsd from ``source`` (a checkout or a bare git directory) into ``into``
    and install its dependencies from npm there; return the directory holding ``cli.js``."""
    target = into / "sqsd"
    target.mkdir()
    if (source / "cli.js").exists():
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
    else:
        archive = subprocess.run(
            ["git", f"--git-dir={source}", "archive", "HEAD"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    subprocess.run(
        ["npm", "install", "--omit=dev", "--no-package-lock", "--no-audit", "--no-fund"],
        cwd=target,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return target


DOCS_FILE = DocsFile(
    "http-delivery", "HTTP delivery, measured", "http_delivery", ("--sqsd-source DIR",)
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs per contender and cell; the median counts"
    )
    parser.add_argument(
        "--sqsd-source",
        type=Path,
        help="a checkout or bare git directory of mogadanez/sqsd (default: no npm sqsd column)",
    )
    DOCS_FILE.add_flag(parser)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="http-bench-") as scratch:
        sqsd_dir = install_sqsd(args.sqsd_source, Path(scratch)) if args.sqsd_source else None
        bench = Bench(args.messages, sqsd_dir)
        try:
            rows, cpu_rows = [], []
            results: dict[tuple[int, int], dict[str, float | None]] = {}
            cpu: dict[tuple[int, int], dict[str, float | None]] = {}
            for work in WORK_MS:
                for concurrency in CONCURRENCY:
                    runs = bench.contenders(work, concurrency)
                    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
                    for round_ in range(args.rounds):
                        # Each round starts with another contender: a busy moment of the
                        # machine falls on each of them in turn.
                        order = list(runs)
                        for name in order[round_ % len(order) :] + order[: round_ % len(order)]:
                            run = runs[name]
                            if run is not None:
                                rates[name].append(run())
                    results[(work, concurrency)] = {
                        name: statistics.median(v[0] for v in values) if values else None
                        for name, values in rates.items()
                    }
                    cpu[(work, concurrency)] = {
                        name: statistics.median(v[1] for v in values) if values else None
                        for name, values in rates.items()
                    }
            rss = bench.rss_at_rest_mb()
        finally:
            bench.close()
    names = ["ours, HTTP", "ours, in-process", "npm sqsd", "naive"]
    for (work, concurrency), cell in results.items():
        ours, python, sqsd = cell["ours, HTTP"], cell["ours, in-process"], cell["npm sqsd"]
        assert ours is not None and python is not None
        rows.append(
            [
                "no-op" if work == 0 else f"{work} ms",
                str(concurrency),
                *(_rate(cell[name]) for name in names),
                "n/a" if sqsd is None else f"{ours / sqsd:.2f}x",
                f"{ours / python:.2f}x",
            ]
        )
        cpu_rows.append(
            [
                "no-op" if work == 0 else f"{work} ms",
                str(concurrency),
                *(_rate(cpu[(work, concurrency)][name], 2) for name in names),
            ]
        )
    header = ["work", "concurrency", *(f"{n} msg/s" for n in names)]
    header += ["HTTP / npm sqsd", "HTTP / in-process"]
    cpu_header = ["work", "concurrency", *(f"{n} CPU ms/msg" for n in names)]
    output = "\n".join(
        [
            f"{args.messages} messages per run, median of {args.rounds} runs per cell, "
            "contenders in rotating order; moto behind a proxy adding "
            f"{LATENCY_SECONDS * 1000:g} ms each way; app: Node.js {_node_version()} http_app.js",
            "",
            *table_lines(header, rows, markdown=True),
            "",
            "CPU ms per message of the contender's own process (the app and moto excluded):",
            "",
            *table_lines(cpu_header, cpu_rows, markdown=True),
            "",
            f"runtime with HTTP delivery at rest: {rss:.1f} MB resident (goal < 60 MB)",
        ]
    )
    print(output)
    if args.write_docs:
        DOCS_FILE.write(argv, output)
    behind = [row for row in rows if row[-2] != "n/a" and float(row[-2][:-1]) <= 1.0]
    slow = [row for row in rows if row[1] == "10" and float(row[-1][:-1]) < 0.8]
    return 1 if behind or slow or rss >= 60 else 0


def _rate(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of process ``pid`` so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
