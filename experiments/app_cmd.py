"""``pax-silica app`` (the interactive app) and ``pax-silica assets`` (its offline cache).

``app`` makes sure the Solara asset cache exists (building it from the npm registry the
first time, with a progress message), then serves ``server/app.py`` with
``solara run`` on 127.0.0.1:8765 unless told otherwise. The server is pointed at the
cache and its usage reports to Solara's authors are turned off, so the page loads with
no request to any host but this one.

Both run the app's own entry point, ``python -m server`` (``server/__main__.py``), in this
Python (the project is installed in it): the command line checks the flags and never
imports the app. The entry point checks that it can listen where asked (the host
resolves, the port is free) before it serves, so a mistake is one ``error:`` line and exit
status 2, not a server's traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from experiments.args import whole_number


def host_address(text: str) -> str:
    """An argparse type: an address or host name to listen on. An empty host would have
    the server listen on every interface, so it is refused rather than taken as 0.0.0.0
    (whether the host resolves is checked by the app's entry point, before it serves)."""
    if not text.strip() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(
            "expected an IP address or host name (127.0.0.1 for this machine only, "
            f"0.0.0.0 for every interface), got {text[:60]!r}"
        )
    return text


def register(sub, add_scenario_args) -> None:
    p = sub.add_parser("app", help="start the interactive app in the browser (Solara)")
    p.add_argument(
        "--host",
        type=host_address,
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; "
        "0.0.0.0 for every interface: anyone who can reach this machine can use the app)",
    )
    p.add_argument(
        "--port",
        type=whole_number(0, 65535, "a port"),
        default=8765,
        help="port (default 8765; 0 for any free port)",
    )
    p.add_argument(
        "--dev",
        action="store_true",
        help="development mode: restart when the code changes, full tracebacks",
    )
    p.add_argument("--open", action="store_true", help="open a browser on the page")
    p.set_defaults(func=run)

    a = sub.add_parser(
        "assets",
        help="fill the app's offline asset cache from the npm "
        "registry (done by `app` when missing)",
    )
    a.add_argument(
        "--dir",
        type=Path,
        help="cache folder (default: .solara-assets in the project, or $PAX_SILICA_ASSETS)",
    )
    a.add_argument("--force", action="store_true", help="download every package again")
    a.add_argument(
        "--check",
        action="store_true",
        help="only report whether the cache is complete (exit 1 if not)",
    )
    a.set_defaults(func=assets)


def server_command(*args: str) -> list[str]:
    """The app's own entry point (``server/__main__.py``) with ``args``, in this Python."""
    return [sys.executable, "-m", "server", *args]


def assets(args) -> int:
    flags = ["--dir", str(args.dir)] if args.dir else []
    flags += ["--force"] * args.force + ["--check"] * args.check
    return subprocess.call(server_command("assets", *flags))


def app_command(host: str, port: int, dev: bool = False, open_browser: bool = False) -> list[str]:
    """``python -m server app`` with the command line's flags."""
    flags = ["--host", host, "--port", str(port)] + ["--dev"] * dev + ["--open"] * open_browser
    return server_command("app", *flags)


def run(args) -> int:
    cmd = app_command(args.host, args.port, args.dev, args.open)
    if os.name == "posix":
        # become the app's process, which becomes the server: no child is left behind
        os.execv(cmd[0], cmd)
    try:  # pragma: no cover - Windows has no exec that keeps the process
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130
