"""The ``pax-silica`` command line.

Every subcommand calls the model; none re-implements a rule. Bad input of any kind
(a flag, a scenario file, a ``--set`` value) ends with one ``error:`` line naming the
field and what was expected, and exit status 2, with no traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from model.scenario import ScenarioError, load_scenario
from model.world import member_sets

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


class ArgumentParser(argparse.ArgumentParser):
    """argparse's usage errors (bad flag, bad value, unknown command) as the same one
    ``error:`` line and exit status 2 as every other bad input, without the usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message}\n")


def _add_scenario_args(p: argparse.ArgumentParser) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="pax-silica",
        description="Pax Silica: an agent-based model of the US-led AI supply-chain alliance.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True

    from experiments import table_cmd

    t = sub.add_parser("table", help="the paper's phase table, computed from the data")
    _add_scenario_args(t)
    t.add_argument(
        "--members",
        help="a member set name (" + ", ".join(member_sets()) + ") or a comma list of actor ids",
    )
    t.add_argument("--format", choices=["text", "markdown", "csv", "json"], default="text")
    t.set_defaults(func=table_cmd.run)

    s = sub.add_parser("scenarios", help="list the scenario presets")
    s.set_defaults(func=table_cmd.list_scenarios)

    for register in _later_commands():
        register(sub, _add_scenario_args)
    return parser


def _later_commands():
    """Subcommands from other modules, each of which adds its own parser."""
    import importlib

    out = []
    for mod in (
        "experiments.run_cmd",
        "experiments.bench",
        "experiments.app_cmd",
        "experiments.sweep",
        "experiments.analyze",
        "experiments.lesson_cmd",
        "experiments.play_cmd",
        "experiments.report_cmd",
    ):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name == mod:
                continue
            raise
        out.append(m.register)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except (ScenarioError, CliError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
