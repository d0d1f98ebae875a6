"""The README's Quickstart works from a fresh copy of the project.

The commands are read from the ```bash block under the README's "Quickstart" heading, not
written here, so the test fails when the README stops telling the truth. A fresh clone
cannot hold uncommitted work, so the project's files (tracked and untracked, as git lists
them, without ``.venv``) are copied to a temporary folder instead; there the set-up lines
(``uv sync ...``) and the first ``uv run pax-silica`` line are run, each in a clean
environment. ``uv run pytest`` is only checked to be there (running it would recurse).
Takes a few seconds with a warm uv cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# The main command: `uv run pax-silica ...`, the first time with `--compile-bytecode` (the
# packages compiled once as they are installed; see pyproject.toml, [tool.uv]).
MAIN = re.compile(r"^uv run (?:--compile-bytecode )?pax-silica (\S+)")


def quickstart_commands(readme: str) -> list[str]:
    """The command lines of the first ```bash block after a "Quickstart" heading."""
    m = re.search(
        r"^#+\s*Quick\s*-?start.*?^```(?:bash|sh|shell)\s*\n(.*?)^```",
        readme,
        flags=re.M | re.S | re.I,
    )
    assert m, "README.md has no ```bash block under a Quickstart heading"
    lines = [ln.strip() for ln in m.group(1).splitlines()]
    return [ln.removeprefix("$ ") for ln in lines if ln and not ln.startswith("#")]


def project_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [
        f
        for f in out.decode().split("\0")
        if f and not f.startswith(".venv/") and (ROOT / f).is_file()
    ]


def fresh_copy(dest: Path) -> Path:
    for rel in project_files():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)
    return dest


def clean_env() -> dict[str, str]:
    """The caller's environment without the signs of running inside this project's venv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME")
    }
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def sh(command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_quickstart_lists_the_main_command_and_the_tests():
    commands = quickstart_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert any(MAIN.match(c) for c in commands), commands
    assert "uv run pytest" in commands, commands


def test_quickstart_runs_in_a_fresh_copy(tmp_path):
    assert shutil.which("uv"), "uv is not on PATH; see README.md"
    copy = fresh_copy(tmp_path / "pax-silica")
    assert not (copy / ".venv").exists()
    commands = quickstart_commands((copy / "README.md").read_text(encoding="utf-8"))
    setup = [c for c in commands if c.startswith("uv sync")]
    main = next(c for c in commands if MAIN.match(c))
    assert MAIN.match(main).group(1) == "run", f"main command is now {main!r}"
    for command in setup:
        proc = sh(command, copy)
        assert proc.returncode == 0, f"{command!r} failed:\n{proc.stderr}"
    proc = sh(main, copy)
    assert proc.returncode == 0, f"{main!r} failed:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    # The story of a run: its fate, membership, the bottleneck and the key events.
    assert re.search(r"The alliance (SURVIVED|COLLAPSED)", proc.stdout), proc.stdout
    for needle in ("Members by year-end", "Bottleneck: phase", "Credibility"):
        assert needle in proc.stdout, f"{needle!r} missing from:\n{proc.stdout}"
