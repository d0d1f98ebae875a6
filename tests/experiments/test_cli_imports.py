"""A command imports only what it uses: ``pax-silica run`` and ``pax-silica table`` start
without the modules of the other commands (sweep, analyze, report, ...) or the libraries
only those need (Dask, Solara, Matplotlib, lifelines, SALib), so small work starts fast.

Each command is run in a fresh interpreter, where ``sys.modules`` is what that command
imported and nothing a test imported before. (pandas and SciPy are not on the list for
``run``: Mesa's own ``import mesa`` loads them, and the model needs Mesa. ``table`` reads
only the world's data, so it loads neither Mesa nor pandas.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.cli import COMMANDS, build_parser, command_of

ROOT = Path(__file__).resolve().parents[2]
# What `run` and `table` do not use; any of them in sys.modules is an import on their path
# that only another command needs.
NOT_USED = (
    "dask",
    "distributed",
    "solara",
    "matplotlib",
    "lifelines",
    "SALib",
    "experiments.sweep",
    "experiments.design",
    "experiments.analyze",
    "experiments.report_cmd",
    "experiments.play_cmd",
    "experiments.lesson_cmd",
    "experiments.app_cmd",
    "experiments.bench",
    "model.lessons",
    "model.estimates",
)
# The command runs as `pax-silica` would run it, its output kept apart from the module list.
CHILD = """\
import contextlib, io, json, sys
from experiments.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    status = main(sys.argv[1:])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def modules_after(*argv: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.splitlines()[-1])
    assert got["status"] == 0, proc.stderr
    return set(got["modules"])


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--steps", "2", "--set", "n_investors=50"],
        ["table"],
        ["table", "--format", "json"],
        ["scenarios"],
    ],
)
def test_run_and_table_import_only_what_they_use(argv):
    modules = modules_after(*argv)
    assert COMMANDS[argv[0]] in modules  # the command did run here
    assert sorted(m for m in NOT_USED if m in modules) == []


@pytest.mark.parametrize("argv", [["table"], ["table", "--format", "csv"]])
def test_the_table_reads_the_data_without_mesa_or_pandas(argv):
    """The world's data and the paper's table are plain records (agents/records.py):
    Mesa, and the pandas and SciPy it loads, are left to the commands that run a model;
    networkx to those that draw the ties (``model.world.tie_graph``)."""
    modules = modules_after(*argv)
    assert sorted(m for m in ("mesa", "pandas", "scipy", "networkx") if m in modules) == []


def test_every_command_is_listed_where_its_module_is_named():
    """With no command named (``--help``), every module registers its commands; each of
    those must be in COMMANDS, or naming it would import every module to find it."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert list(sub.choices) == list(COMMANDS)
    for name in COMMANDS:
        one = next(a for a in build_parser(name)._actions if a.dest == "command")
        assert name in one.choices


@pytest.mark.parametrize(
    "argv,command",
    [
        (["run", "--steps", "3"], "run"),
        (["table", "--members", "run"], "table"),
        (["--help"], None),
        ([], None),
        (["nosuch", "run"], None),
    ],
)
def test_the_command_is_the_first_word(argv, command):
    assert command_of(argv) == command
