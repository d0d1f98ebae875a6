"""The ``pax-silica`` command line.

Every subcommand calls the model; none re-implements a rule. Bad input of any kind
(a flag, a scenario file, a ``--set`` value) ends with one ``error:`` line naming the
field and what was expected, and exit status 2, with no traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import NoReturn

from experiments import (
    analyze,
    app_cmd,
    bench,
    lesson_cmd,
    play_cmd,
    report_cmd,
    run_cmd,
    sweep,
    table_cmd,
)
from experiments.args import EXIT_USAGE, CliError, add_scenario_args
from model.scenario import ScenarioError


class ArgumentParser(argparse.ArgumentParser):
    """argparse's usage errors (bad flag, bad value, unknown command) as the same one
    ``error:`` line and exit status 2 as every other bad input, without the usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="pax-silica",
        description="Pax Silica: an agent-based model of the US-led AI supply-chain alliance.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True

    # in the order of `pax-silica --help`
    commands = (
        table_cmd,
        run_cmd,
        bench,
        app_cmd,
        sweep,
        analyze,
        lesson_cmd,
        play_cmd,
        report_cmd,
    )
    for command in commands:
        command.register(sub, add_scenario_args)
    return parser


class Terminated(BaseException):
    """SIGTERM (``kill``, ``timeout``, a cancelled job) as an exception, so that the
    writers' clean-up runs and no temporary is left, as for Ctrl-C."""


def _terminate(signum, frame) -> NoReturn:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return args.func(args) or 0
    except (ScenarioError, CliError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
