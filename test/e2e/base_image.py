"""A local base image for the worker image, made without pulling anything from a registry.

``debootstrap --variant=minbase bookworm`` with python3 and pip into a folder, this machine's
local CA certificates added (pip inside the image then reaches the package index the way the
host does), bookworm's ``EXTERNALLY-MANAGED`` marker removed (the image's pip installs into the
system Python, as in the official python images), apt's caches and the docs trimmed, and the
folder packed as a tar that ``docker import`` turns into an image.

The tar is cached under ``.cache/e2e/`` (git-ignored), keyed by the recipe and the CA
certificates, so a developer's second run skips the ~1 minute debootstrap; CI starts from a
fresh clone and builds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .engine import EngineUnavailable, mounts_under, remove_tree

SUITE = "bookworm"
PACKAGES = ("ca-certificates", "python3", "python3-pip", "python-is-python3")
"""``python-is-python3`` gives the ``python`` command the Dockerfile's CMD runs."""
NODE_PACKAGES = ("ca-certificates", "nodejs")
"""The base of the HTTP delivery example's app: Debian's Node.js (``node`` on the PATH)."""
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")
"""Where Debian's ``update-ca-certificates`` takes a machine's own CA certificates from."""
TRIM = (
    "var/cache/apt",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
)
"""Folders emptied before packing: nothing at run time reads them."""
RECIPE_VERSION = 1
"""Bump when the steps below change in a way the key does not see."""
DEBOOTSTRAP_TIMEOUT_SECONDS = 900


def local_ca_certificates() -> list[Path]:
    return sorted(p for p in LOCAL_CA_DIR.rglob("*.crt") if p.is_file())


def cache_key(packages: tuple[str, ...] = PACKAGES) -> str:
    """Hash of everything the base rootfs with ``packages`` is made from."""
    digest = hashlib.sha256(
        json.dumps([RECIPE_VERSION, SUITE, packages, TRIM], sort_keys=True).encode()
    )
    for cert in local_ca_certificates():
        digest.update(str(cert.relative_to(LOCAL_CA_DIR)).encode() + b"\0" + cert.read_bytes())
    return digest.hexdigest()[:16]


def _run_debootstrap(rootfs: Path, log: Path, packages: tuple[str, ...]) -> None:
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise EngineUnavailable("debootstrap not found (apt-get install debootstrap)")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                debootstrap,
                "--variant=minbase",
                f"--include={','.join(packages)}",
                SUITE,
                str(rootfs),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=DEBOOTSTRAP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            code = -1
    if code != 0:
        tail = " | ".join(log.read_text(errors="replace").splitlines()[-3:])
        raise RuntimeError(f"debootstrap failed ({code}): {tail}")


def _finish_rootfs(rootfs: Path) -> None:
    """CA certificates in, the pip marker out, caches and docs trimmed."""
    target = rootfs / LOCAL_CA_DIR.relative_to("/")
    target.mkdir(parents=True, exist_ok=True)
    for cert in local_ca_certificates():
        destination = target / cert.relative_to(LOCAL_CA_DIR)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cert, destination)
    subprocess.run(
        ["chroot", str(rootfs), "update-ca-certificates"], check=True, capture_output=True
    )
    for marker in rootfs.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    for name in TRIM:
        folder = rootfs / name
        if folder.is_dir():
            for child in folder.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()


def base_rootfs_tar(cache_dir: Path, packages: tuple[str, ...] = PACKAGES) -> Path:
    """The packed base rootfs with ``packages``: from the cache, or made now (about a minute)
    and cached."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tar = cache_dir / f"base-{SUITE}-{cache_key(packages)}.tar"
    if tar.is_file():
        return tar
    work = Path(tempfile.mkdtemp(prefix="s2z-rootfs-", dir=cache_dir))
    rootfs = work / "rootfs"
    try:
        _run_debootstrap(rootfs, work / "debootstrap.log", packages)
        if mounts_under(rootfs):  # debootstrap unmounts /proc, /sys, ... itself on success
            raise RuntimeError(f"debootstrap left mounts under {rootfs}: {mounts_under(rootfs)}")
        _finish_rootfs(rootfs)
        partial = work / "rootfs.tar"
        subprocess.run(
            ["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."],
            check=True,
            capture_output=True,
        )
        partial.replace(tar)
    finally:
        remove_tree(work)  # unmounts whatever an interrupted debootstrap left first
    return tar
