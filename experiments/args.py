"""What every ``pax-silica`` subcommand shares: argument types, the user-error exception
and the scenario named on the command line.

It imports no subcommand, so each subcommand imports it at the top and ``experiments.cli``
imports the subcommands: the command line is a tree, not a cycle.
"""

from __future__ import annotations

import argparse

from model.scenario import load_scenario

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
natural_int = whole_number(0)  # seeds


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
    """The scenario named on the command line with its ``--set`` overrides applied."""
    return load_scenario(args.scenario, args.overrides)
