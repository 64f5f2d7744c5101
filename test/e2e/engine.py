"""A private Docker engine for the end-to-end tests: Debian's ``dockerd``, started and stopped by PID.

The daemon gets its own data root, exec root, pidfile and socket, no bridge and no iptables
rules; containers run on ``--network host`` and so reach servers on 127.0.0.1. Nothing of the
machine's own Docker set-up (if any) is touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


class EngineUnavailable(Exception):
    """The engine cannot run on this machine; the message says why."""


def mounts_under(root: Path) -> list[Path]:
    """Mount points at or below ``root``, deepest first (from /proc/self/mountinfo)."""
    prefix = str(root.resolve())
    found = []
    with contextlib.suppress(FileNotFoundError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            # Field 5 is the mount point, with spaces and the like octal-escaped.
            point = line.split(" ")[4].encode().decode("unicode_escape")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(Path(point))
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def unmount_all(root: Path) -> None:
    """Unmount everything mounted under ``root``; raise if anything stays mounted."""
    for point in mounts_under(root):
        if subprocess.run(["umount", str(point)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)
    left = mounts_under(root)
    if left:
        raise RuntimeError(f"still mounted under {root}: {left}")


def remove_tree(root: Path) -> None:
    """Delete ``root`` only once nothing is mounted below it (never delete through a mount)."""
    unmount_all(root)
    shutil.rmtree(root, ignore_errors=True)


def _find_client(dockerd: str) -> str:
    """The Docker client shipped beside the daemon, else the first ``docker`` on PATH."""
    for candidate in (Path(dockerd).parent / "docker", Path("/usr/bin/docker")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    client = shutil.which("docker")
    if client is None:
        raise EngineUnavailable("no docker client found (apt-get install docker.io)")
    return client


class DockerEngine:
    """One ``dockerd`` process and the client talking to it over its own socket."""

    def __init__(self, data_root: Path) -> None:
        dockerd = shutil.which("dockerd")
        if dockerd is None:
            raise EngineUnavailable("dockerd not found (apt-get install docker.io)")
        if os.geteuid() != 0:
            raise EngineUnavailable("dockerd needs root")
        self.client = _find_client(dockerd)
        self.data_root = data_root
        # The exec root holds containerd's socket: keep its path short (sun_path is 108 bytes).
        self.exec_root = Path(tempfile.mkdtemp(prefix="s2z-dockerd-"))
        self.socket = self.exec_root / "docker.sock"
        self.log_path = data_root.parent / "dockerd.log"
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.socket}", DOCKER_BUILDKIT="0")
        self.process: subprocess.Popen[bytes] | None = None
        self._start(dockerd)

    def _start(self, dockerd: str) -> None:
        self.data_root.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    dockerd,
                    "--storage-driver",
                    "overlay2",
                    "--iptables=false",
                    "--ip6tables=false",
                    "--bridge=none",
                    "--data-root",
                    str(self.data_root),
                    "--exec-root",
                    str(self.exec_root / "exec"),
                    "--pidfile",
                    str(self.exec_root / "dockerd.pid"),
                    "-H",
                    f"unix://{self.socket}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            probe = self.run("version", "--format", "{{.Server.Version}}", check=False)
            if probe.returncode == 0:
                self.version = probe.stdout.strip()
                return
            time.sleep(0.5)
        tail = " | ".join(self.log_path.read_text(errors="replace").splitlines()[-3:])
        self.stop()
        raise EngineUnavailable(f"dockerd did not start within {START_TIMEOUT_SECONDS} s: {tail}")

    def run(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run ``docker ARGS`` against this engine; raise with its stderr when ``check`` fails."""
        proc = subprocess.run(
            [self.client, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"docker {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}"
            )
        return proc

    def stop(self) -> None:
        """Remove every container, stop the daemon by its PID, unmount and delete its roots."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                ids = self.run("ps", "-aq", check=False, timeout=30).stdout.split()
                if ids:
                    self.run("rm", "-f", *ids, check=False, timeout=60)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                # The daemon leads its own session: its containerd goes with it.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        remove_tree(self.data_root)
        remove_tree(self.exec_root)
