"""``pax-silica app`` (the interactive app) and ``pax-silica assets`` (its offline cache).

``app`` makes sure the Solara asset cache exists (building it from the npm registry the
first time, with a progress message), then serves ``server/app.py`` with
``solara run`` on 127.0.0.1:8765 unless told otherwise. The server is pointed at the
cache and its usage reports to Solara's authors are turned off, so the page loads with
no request to any host but this one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from experiments.cli import whole_number

APP = Path(__file__).resolve().parent.parent / "server" / "app.py"


def register(sub, add_scenario_args) -> None:
    p = sub.add_parser("app", help="start the interactive app in the browser (Solara)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; "
        "0.0.0.0 for every interface)",
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


def _build(target: Path | None = None) -> Path:
    """The cache folder, built first if anything is missing (progress on stderr)."""
    from experiments.cli import CliError
    from server import assets as A

    try:
        return A.ensure_assets(target)
    except A.AssetError as e:
        raise CliError(f"asset cache: {e}") from None


def assets(args) -> int:
    from experiments.cli import CliError
    from server import assets as A

    target = (args.dir or A.asset_dir()).resolve()
    todo = A.required_packages() if args.force else A.missing(target)
    if not todo:
        print(f"Asset cache complete: {target}")
        return 0
    if args.check:
        print(f"Asset cache {target} is missing: {', '.join(todo)}")
        return 1
    print(f"Filling the app's asset cache in {target} from the npm registry ...", flush=True)
    try:
        A.build_assets(target, todo, say=lambda s: print(s, flush=True))
    except A.AssetError as e:
        raise CliError(f"asset cache: {e}") from None
    print(f"Asset cache ready: {target} ({', '.join(A.required_packages())})")
    return 0


def server_command(
    host: str, port: int, dev: bool = False, open_browser: bool = False
) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP),
        "--host",
        host,
        "--port",
        str(port),
        "--open" if open_browser else "--no-open",
    ]
    if not dev:
        cmd.append("--production")
    else:
        cmd.append("--auto-restart")
    return cmd


def run(args) -> int:
    from server import assets as A

    target = _build()
    env = {**os.environ, **A.server_env(target)}
    host = f"[{args.host}]" if ":" in args.host else args.host
    where = f"http://{host}:{args.port}" if args.port else f"http://{host}:<a free port>"
    print(f"Pax Silica app on {where} (Ctrl+C to stop)", flush=True)
    cmd = server_command(args.host, args.port, args.dev, args.open)
    if os.name == "posix":
        # become the server (no child left behind when this process is stopped)
        os.chdir(APP.parent.parent)
        os.execve(cmd[0], cmd, env)
    try:  # pragma: no cover - Windows has no exec that keeps the process
        return subprocess.call(cmd, env=env, cwd=APP.parent.parent)
    except KeyboardInterrupt:
        return 130
