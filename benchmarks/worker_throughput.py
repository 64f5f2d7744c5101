"""Worker throughput against its peers, RSS and SQS requests per message; import time.

Run: ``.venv/bin/python -m benchmarks.worker_throughput [--messages 200] [--latency-ms 10]
[--rounds 3]``
(the peers are the ``benchmark`` extra: ``pip install -e '.[benchmark]'``).

In one run, against one moto SQS-protocol server on 127.0.0.1 (its own process), for each cell
of: a no-op and a 50 ms handler; concurrency 1 and 10; straight to moto and behind a proxy on
127.0.0.1 that delays every chunk ``--latency-ms`` each way (closer to a round trip to SQS than
moto's CPU-bound answers), it runs each contender on a fresh queue of ``--messages`` messages,
in turn (the order rotates from cell to cell and round to round), ``--rounds`` times over all
the cells, and reports the median over the rounds of:

* messages/s from the first SQS request to the last delete;
* the peak RSS of the contender's processes, summed;
* SQS requests per message (SQS bills per request);
* the CPU time of the contender's processes per message (on a busy machine, where processes
  share the cores with others, N processes get more of them than one);
* ours / the best peer.

The contenders are in ``worker_peers.py``: ours is one process with ``concurrency`` handler
threads; the peers (``sqs-workers`` and ``aws-sqs-consumer``, from PyPI) run as ``concurrency``
processes, their way to scale. It also prints the wall time of ``from sqs_scale_to_zero.worker
import Message, Worker`` in a fresh interpreter (median of 5), that ``aws_cdk``, ``constructs``
and ``jsii`` are not in ``sys.modules`` afterwards, and the memory ``Worker(...)`` adds
(tracemalloc peak) in a process that already made a boto3 client.

moto spends milliseconds of CPU on each message it hands out, which caps every contender on a
busy machine; moto 5's receive also scans the whole queue, so keep ``--messages`` small and
compare numbers of one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid

import psutil  # type: ignore[import-untyped]

from benchmarks import worker_peers
from benchmarks.local_sqs import LatencyProxy, fill, free_port, wait_until_up
from benchmarks.tables import table_lines

IMPORT_PROBE = """
import json, sys, time
began = time.perf_counter()
from sqs_scale_to_zero.worker import Message, Worker  # what a container's app does (boto3 too)
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds,
                  "heavy": [m for m in ("aws_cdk", "constructs", "jsii") if m in sys.modules]}))
"""


MEMORY_PROBE = """
import json, tracemalloc, boto3
boto3.client("sqs", region_name="us-east-1")  # the app already uses boto3's default session
from sqs_scale_to_zero.worker import Worker
tracemalloc.start()
Worker(print, "https://sqs.us-east-1.amazonaws.com/123456789012/q", environ={})
print(json.dumps({"bytes": tracemalloc.get_traced_memory()[1]}))
"""


def race(
    contender: str, url: str, count: int, concurrency: int, handler_seconds: float
) -> tuple[float, float, float, float]:
    """Run ``contender`` until ``count`` messages are deleted.

    Returns:
        msg/s, peak RSS in MB, SQS requests per message, CPU ms per message.
    """
    processes, requests, deleted = worker_peers.start(contender, url, concurrency, handler_seconds)
    members = [psutil.Process(process.pid) for process in processes]
    began: float | None = None
    peak = 0
    sampled = 0.0
    deadline = time.monotonic() + 300
    try:
        while deleted.value < count:
            now = time.perf_counter()
            if began is None and requests.value > 0:
                began = now
            if now - sampled > 0.05:
                sampled = now
                peak = max(peak, sum(_rss(member) for member in members))
            if time.monotonic() > deadline:
                raise RuntimeError(f"{contender}: {deleted.value} of {count} deleted in 300 s")
            time.sleep(0.002)
        elapsed = time.perf_counter() - (began or time.perf_counter())
        made = requests.value
        peak = max(peak, sum(_rss(member) for member in members))
        cpu = sum(_cpu(member) for member in members)
    finally:
        worker_peers.end(processes)
    return count / elapsed, peak / 1e6, made / count, cpu * 1000 / count


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def _rss(process: psutil.Process) -> int:
    try:
        return int(process.memory_info().rss)
    except psutil.Error:
        return 0


def import_time(repeats: int = 5) -> tuple[float, list[str]]:
    """Median seconds of ``from sqs_scale_to_zero.worker import Message, Worker`` (the package
    re-exports lazily, so this includes boto3) in a new interpreter, and the
    heavy modules found in ``sys.modules`` afterwards."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        runs.append(json.loads(out))
    return statistics.median(r["seconds"] for r in runs), sorted(
        {m for r in runs for m in r["heavy"]}
    )


def worker_memory() -> float:
    """MB that ``Worker(...)`` allocates at its peak, in a process already using boto3."""
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE], check=True, capture_output=True, text=True
    ).stdout
    return float(json.loads(out)["bytes"]) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds over all cells (default 3)"
    )
    parser.add_argument("--handlers-ms", default="0,50", help="comma-separated (default 0,50)")
    parser.add_argument("--concurrency", default="1,10", help="comma-separated (default 1,10)")
    parser.add_argument(
        "--contenders",
        default=",".join(worker_peers.CONTENDERS),
        help="comma-separated, from " + ", ".join(worker_peers.CONTENDERS),
    )
    args = parser.parse_args()
    contenders = args.contenders.split(",")

    import logging

    logging.disable(logging.WARNING)  # per-message INFO lines would dominate the timing
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    import boto3  # type: ignore[import-untyped]

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proxy = LatencyProxy(port, args.latency_ms / 1000)
    paths = {"direct": port, f"proxy {args.latency_ms:g} ms": proxy.port}
    rows = []
    try:
        sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{port}")
        wait_until_up(sqs)
        cells = [
            (float(ms), int(concurrency), path)
            for ms in args.handlers_ms.split(",")
            for concurrency in args.concurrency.split(",")
            for path in paths
        ]
        runs: dict[tuple[float, int, str], dict[str, list[tuple[float, ...]]]] = {}
        turn = 0
        for _ in range(args.rounds):
            for ms, concurrency, path in cells:
                os.environ["AWS_ENDPOINT_URL_SQS"] = f"http://127.0.0.1:{paths[path]}"
                order = contenders[turn % len(contenders) :] + contenders[: turn % len(contenders)]
                turn += 1
                for contender in order:
                    url = sqs.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:8]}")["QueueUrl"]
                    fill(sqs, url, args.messages)
                    result = race(contender, url, args.messages, concurrency, ms / 1000)
                    runs.setdefault((ms, concurrency, path), {}).setdefault(contender, [])
                    runs[(ms, concurrency, path)][contender].append(result)
        for ms, concurrency, path in cells:
            results = {
                contender: tuple(map(statistics.median, zip(*measured, strict=True)))
                for contender, measured in runs[(ms, concurrency, path)].items()
            }
            rows.append((ms, concurrency, path, results))
    finally:
        proxy.close()
        server.terminate()
        server.wait()

    peers = [c for c in contenders if c != "ours"]
    print(
        f"{args.messages} messages per contender and cell, median of {args.rounds} interleaved "
        "rounds, moto server on 127.0.0.1"
    )
    print()
    head = ["handler", "concurrency", "path"] + [f"{c} msg/s" for c in contenders]
    if "ours" in contenders and peers:
        head.append("ours / best peer")
    head += [f"{c} RSS MB" for c in contenders] + [f"{c} requests/msg" for c in contenders]
    head += [f"{c} CPU ms/msg" for c in contenders]
    body = []
    for ms, concurrency, path, results in rows:
        cells_out = [f"{ms:g} ms" if ms else "no-op", str(concurrency), path]
        cells_out += [f"{results[c][0]:.0f}" for c in contenders]
        if "ours" in contenders and peers:
            best = max(results[c][0] for c in peers)
            cells_out.append(f"{results['ours'][0] / best:.2f}x")
        cells_out += [f"{results[c][1]:.0f}" for c in contenders]
        cells_out += [f"{results[c][2]:.2f}" for c in contenders]
        cells_out += [f"{results[c][3]:.1f}" for c in contenders]
        body.append(cells_out)
    print("\n".join(table_lines(head, body, markdown=True)))
    print()
    seconds, heavy = import_time()
    memory = worker_memory()
    print(
        f"from ...worker import Worker:     {seconds * 1000:8.1f} ms (median of 5, boto3 included)"
    )
    print(f"Worker() in an app using boto3:   {memory:8.1f} MB allocated (tracemalloc peak)")
    print(f"aws_cdk/constructs/jsii imported:  {heavy or 'none'}")
    return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
