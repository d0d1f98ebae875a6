"""``python -m server``: the app's own entry point, which ``pax-silica app`` and
``pax-silica assets`` run as a subprocess (the command line does not import the app).

    python -m server app [--host H] [--port P] [--dev] [--open]
        build the offline asset cache if anything is missing, then become
        ``solara run server/app.py`` on H:P
    python -m server assets [--dir D] [--force] [--check]
        fill (or with --check only check) the asset cache

Messages and exit statuses are those of the command line: a failure is one ``error:`` line
and exit status 2.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

from server import limits
from server.assets import (
    AssetError,
    asset_dir,
    build_assets,
    ensure_assets,
    missing,
    required_packages,
    server_env,
)

APP = Path(__file__).resolve().parent / "app.py"
EXIT_USAGE = 2


class ListenError(ValueError):
    """The server could not listen where it was asked; the message names the flag."""


def listen_addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` stands for, once a socket has bound the first (as the server
    will, then let go): the host resolves to an address of this machine and the port is
    free. Raises :class:`ListenError` with the message to show."""
    if not host.strip():
        raise ListenError("--host: expected an IP address or host name, got an empty host")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as e:
        raise ListenError(f"--host: cannot resolve {host!r} ({e})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            sock.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ListenError(
                    f"--port: port {port} on {host} is in use (another server?); "
                    "choose another with --port, or 0 for any free port"
                ) from None
            if e.errno == errno.EADDRNOTAVAIL:
                raise ListenError(f"--host: {host!r} is not an address of this machine") from None
            raise ListenError(f"--host: cannot listen on {host}:{port} ({e.strerror})") from None
    return [info[4][0] for info in infos]


def exposure_warning(host: str, port: int, addresses: list[str]) -> str | None:
    """What serving beyond this machine exposes, or None for loopback only."""
    if all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        return None
    where = (
        "every network interface of this machine"
        if any(ipaddress.ip_address(a.split("%")[0]).is_unspecified for a in addresses)
        else f"the network of {', '.join(addresses)}"
    )
    cap = limits.current()
    return (
        f"warning: serving on {host}:{port} opens the app to anyone who can reach {where}: "
        "no login; each visitor can run models on this machine (up to "
        f"{cap.replications} replications of {cap.investors:,} investors per page, "
        "PAX_MAX_REPLICATIONS / PAX_MAX_INVESTORS) and join or open classroom games. "
        "Use --host 127.0.0.1 to keep it on this machine."
    )


PUBLIC_URL_ENV = "PAX_SILICA_URL"


def public_url(host: str, port: int) -> str:
    """The address students type to reach this server: the host as given, or for a
    wildcard host (0.0.0.0, ::) this machine's own address as its name resolves locally."""
    if host in ("0.0.0.0", "::", ""):
        try:
            host = socket.gethostbyname(socket.gethostname())
        except OSError:
            host = "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def solara_command(
    host: str, port: int, dev: bool = False, open_browser: bool = False
) -> list[str]:
    """The ``solara run`` command that serves the app."""
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
    cmd.append("--auto-restart" if dev else "--production")
    return cmd


def serve(host: str, port: int, dev: bool = False, open_browser: bool = False) -> int:
    """Check the limits and that the server can listen on ``host``:``port`` (raises
    ``LimitError`` or ``ListenError`` before any work), warn when that is beyond this
    machine, build the cache if needed, then become the Solara server (on POSIX, no child
    is left behind when this process is stopped)."""
    limits.current()
    addresses = listen_addresses(host, port)
    warning = exposure_warning(host, port, addresses)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    target = ensure_assets()
    env = {**os.environ, **server_env(target)}
    shown = f"[{host}]" if ":" in host else host
    where = f"http://{shown}:{port}" if port else f"http://{shown}:<a free port>"
    if port and not env.get(PUBLIC_URL_ENV):  # the classroom's links and QR code use it
        env[PUBLIC_URL_ENV] = public_url(host, port)
    print(f"Pax Silica app on {where} (Ctrl+C to stop)", flush=True)
    cmd = solara_command(host, port, dev, open_browser)
    if os.name == "posix":
        os.chdir(APP.parent.parent)
        os.execve(cmd[0], cmd, env)
    try:  # pragma: no cover - Windows has no exec that keeps the process
        return subprocess.call(cmd, env=env, cwd=APP.parent.parent)
    except KeyboardInterrupt:
        return 130


def fill(folder: Path | None, force: bool = False, check: bool = False) -> int:
    """Fill the asset cache (every package again if ``force``); with ``check`` only say
    whether it is complete (exit status 1 if not)."""
    target = (folder or asset_dir()).resolve()
    todo = required_packages() if force else missing(target)
    if not todo:
        print(f"Asset cache complete: {target}")
        return 0
    if check:
        print(f"Asset cache {target} is missing: {', '.join(todo)}")
        return 1
    print(f"Filling the app's asset cache in {target} from the npm registry ...", flush=True)
    build_assets(target, todo, say=lambda s: print(s, flush=True))
    print(f"Asset cache ready: {target} ({', '.join(required_packages())})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("app", help="serve the app (see `pax-silica app --help`)")
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, default=8765)
    a.add_argument("--dev", action="store_true")
    a.add_argument("--open", action="store_true")
    c = sub.add_parser("assets", help="fill the asset cache (see `pax-silica assets --help`)")
    c.add_argument("--dir", type=Path)
    c.add_argument("--force", action="store_true")
    c.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.command == "app":
            return serve(args.host, args.port, args.dev, args.open)
        return fill(args.dir, args.force, args.check)
    except AssetError as e:
        print(f"error: asset cache: {e}", file=sys.stderr)
        return EXIT_USAGE
    except (ListenError, limits.LimitError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
