"""What every ``pax-silica`` subcommand shares: argument types, the user-error exception
and the scenario named on the command line.

It imports no subcommand, so each subcommand imports it at the top and ``experiments.cli``
imports the subcommands: the command line is a tree, not a cycle.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from model.files import temporary
from model.scenario import ScenarioError, is_path, load_scenario

EXIT_USAGE = 2


def whole_number(low: int, high: int | None = None, what: str = "a whole number"):
    """An argparse type: a whole number in [low, high], with one clear message if not."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if v < low or (high is not None and v > high):
            bound = f"in [{low}, {high}]" if high is not None else f"of at least {low}"
            raise argparse.ArgumentTypeError(f"expected {what} {bound}, got {v}")
        return v

    return parse


positive_int = whole_number(1)  # counts: steps, replications, workers, chunk sizes
natural_int = whole_number(0)  # seeds, counts that may be zero


class CliError(Exception):
    """A user error found by the command line itself (not by the scenario loader)."""


def add_scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scenario",
        default="baseline",
        help="preset name (see `pax-silica scenarios`) or path to a .toml file",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter or member list, e.g. --set pressure_intensity=2",
    )


def load_from_args(args: argparse.Namespace):
    """The scenario named on the command line with its ``--set`` overrides applied.

    The loader words what it knows as a ScenarioError; a file the system will not let us
    read (a folder, no permission, a path through a file) is worded here, so that no
    ``OSError`` reaches the user as a traceback."""
    if is_path(args.scenario) and Path(args.scenario).is_dir():
        raise CliError(f"--scenario: {args.scenario} is a folder; expected a scenario .toml file")
    try:
        return load_scenario(args.scenario, args.overrides)
    except ScenarioError:
        raise
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise CliError(f"--scenario: cannot read {args.scenario} ({reason})") from None


def check_output(flag: str, path: Path, folder: bool = False, make_parents: bool = False) -> None:
    """Refuse, before any work is done, an output path that cannot be written.

    ``path`` is to be a file (or, with ``folder``, a folder). Refused: a file expected but
    a folder there; a folder expected but a file there; a parent that is a file or (unless
    ``make_parents``) missing; a folder we cannot create a file in -- tested by creating
    and removing a hidden temporary there, the one test that also holds for root, for
    read-only mounts and for ``/proc``."""
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise CliError(f"{flag}: {path} exists and is not a folder")
    if not folder and path.is_dir():
        raise CliError(f"{flag}: {path} is a folder; expected a file name")
    parent = path.absolute().parent
    above = next(p for p in (parent, *parent.parents) if os.path.lexists(p))
    if not above.is_dir():
        raise CliError(f"{flag}: {above} is not a folder, so {path} cannot be written")
    if above != parent and not make_parents:
        raise CliError(f"{flag}: the folder {parent} does not exist")
    # the probe is named as the writer's own temporary, so that if we are killed this
    # instant the next write removes it like any temporary of a dead writer
    first = path.absolute() if above == parent else parent.relative_to(above).parts[0]
    probe = temporary(above / Path(first).name)
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as e:
        raise CliError(f"{flag}: cannot write in the folder {above} ({e.strerror})") from None
    os.close(fd)
    os.unlink(probe)


def add_posterior_arg(p: argparse.ArgumentParser) -> None:
    """``--posterior``: draw each run's uncertain parameters from a calibrated posterior."""
    p.add_argument(
        "--posterior",
        metavar="NAME|FILE",
        help="draw each run's uncertain parameters (by its seed) from a calibrated posterior: "
        "'default' (model/data/posterior/default.csv) or a posterior.csv written by "
        "`pax-silica calibrate`; parameters the scenario or --set changes keep their value",
    )


def posterior_from_args(args: argparse.Namespace):
    """The posterior named by ``--posterior`` (None without it); a bad file is one error."""
    name = getattr(args, "posterior", None)
    if not name:
        return None
    from model.posterior import PosteriorError, load_posterior

    try:
        return load_posterior(name)
    except PosteriorError as e:
        raise CliError(f"--posterior: {e}") from None
    except OSError as e:
        raise CliError(f"--posterior: cannot read {name} ({e.strerror or e})") from None


def markdown_table(df, cell=str) -> str:
    """A data frame as a Markdown table, each value written by ``cell``: one layout for
    every subcommand that prints a table (each keeps its own way of writing a number)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)
