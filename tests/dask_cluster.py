"""A Dask scheduler and workers on 127.0.0.1, each started as its own process (group), as
on a real cluster: shared by the tests of sweeps and of calibration on an external
scheduler."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def kill(p: subprocess.Popen, sig=signal.SIGKILL) -> None:
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        p.wait(timeout=30)


@contextlib.contextmanager
def running_cluster(logs: Path, names=("w1", "w2")) -> Iterator[dict]:
    """A scheduler and one single-threaded worker per name; yields its address, a client
    and the worker processes by name; stops them all on exit."""
    from distributed import Client

    port = free_port()
    addr = f"tcp://127.0.0.1:{port}"
    sched = start(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-dashboard",
        ],
        logs / "scheduler.log",
    )
    workers = {
        name: start(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                addr,
                "--nworkers",
                "1",
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--name",
                name,
            ],
            logs / f"{name}.log",
        )
        for name in names
    }
    client = None
    try:
        deadline = time.time() + 90
        while client is None:
            try:
                client = Client(addr, timeout="5s")
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        client.wait_for_workers(len(names), timeout=90)
        yield {"address": addr, "client": client, "workers": workers}
    finally:
        if client is not None:
            client.close()
        for p in [*workers.values(), sched]:
            kill(p, signal.SIGTERM)
            kill(p)
