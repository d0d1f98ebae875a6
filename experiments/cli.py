"""The ``pax-silica`` command line.

Every subcommand calls the model; none re-implements a rule. Bad input of any kind
(a flag, a scenario file, a ``--set`` value) ends with one ``error:`` line naming the
field and what was expected, and exit status 2, with no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from typing import NoReturn

from experiments.args import EXIT_USAGE, CliError, add_scenario_args
from model.scenario import ScenarioError


class ArgumentParser(argparse.ArgumentParser):
    """argparse's usage errors (bad flag, bad value, unknown command) as the same one
    ``error:`` line and exit status 2 as every other bad input, without the usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message}\n")


# Each command's module, in the order of `pax-silica --help`. A module is imported only when
# its command is the one run (or for --help): `run` and `table` must not pay for the
# imports of `sweep`, `analyze`, `report` and the rest.
COMMANDS = {
    "table": "experiments.table_cmd",
    "scenarios": "experiments.table_cmd",
    "run": "experiments.run_cmd",
    "bench": "experiments.bench",
    "app": "experiments.app_cmd",
    "assets": "experiments.app_cmd",
    "sweep": "experiments.sweep",
    "analyze": "experiments.analyze",
    "lesson": "experiments.lesson_cmd",
    "play": "experiments.play_cmd",
    "report": "experiments.report_cmd",
    "calibrate": "experiments.calibrate",
    "claims": "experiments.claims",
    "optimize": "experiments.optimize",
    "optimize-point": "experiments.optimize",
    "runs": "experiments.catalogue",
    "query": "experiments.catalogue",
}


def command_of(argv: list[str]) -> str | None:
    """The command named in ``argv`` (its first word that is not an option), if it is one
    of ours; None for ``--help``, no command or a word we do not know."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return word if word in COMMANDS else None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``command`` alone (only its module is imported), or with no command the
    parser of them all: for ``--help``, and so that an unknown command's error lists every
    choice."""
    parser = ArgumentParser(
        prog="pax-silica",
        description="Pax Silica: an agent-based model of the US-led AI supply-chain alliance.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True
    names = [COMMANDS[command]] if command else COMMANDS.values()
    for name in dict.fromkeys(names):  # a module that registers two commands, once
        importlib.import_module(name).register(sub, add_scenario_args)
    return parser


class Terminated(BaseException):
    """SIGTERM (``kill``, ``timeout``, a cancelled job) as an exception, so that the
    writers' clean-up runs and no temporary is left, as for Ctrl-C."""


def _terminate(signum, frame) -> NoReturn:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(command_of(argv)).parse_args(argv)
    args.argv = list(argv)  # the command line, for the catalogue of studies
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
    except BrokenPipeError:
        # The reader left (`pax-silica ... | head`): stop quietly, as a Unix tool does.
        # Python would still try to flush stdout at exit, so point it at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
